"""The in-process Python API: Kernel, spawn with host stdio, run, wait status."""

from __future__ import annotations

import tempfile

from harness import assert_same, run_emu, run_native

from emukernel.api import Process
from emukernel.kernel import Kernel


def test_spawn_with_host_stdout(build_guest) -> None:
    kernel = Kernel(quiet=True)
    kernel.vfs.add_host_file("/hello", str(build_guest("hello", "musl")))
    with tempfile.TemporaryFile() as out:
        proc = Process(kernel, kernel.spawn(["/hello"], stdout=out))
        assert proc.status is None
        kernel.run()
        out.seek(0)
        assert out.read() == b"hello, world\n"
    assert proc.status == 0 and proc.exit_code == 0


def test_two_processes_in_one_kernel(build_guest) -> None:
    kernel = Kernel(quiet=True)
    kernel.vfs.add_host_file("/exitcode", str(build_guest("exitcode", "musl")))
    a = Process(kernel, kernel.spawn(["/exitcode", "3"]))
    b = Process(kernel, kernel.spawn(["/exitcode", "4"]))
    kernel.run()
    assert (a.exit_code, b.exit_code) == (3, 4)
    assert a.pid != b.pid


def test_pdeathsig(build_guest, variant: str) -> None:
    path = build_guest("pdeathsig", variant)
    assert_same(run_native(path), run_emu(path))
