"""The in-process Python API: Kernel, spawn with host stdio, run, wait status."""

from __future__ import annotations

import io
import signal
import tempfile

import pytest
from harness import assert_same, run_emu, run_native

from emukernel.abi.syscall_numbers import NUMBERS
from emukernel.api import Process
from emukernel.kernel import Kernel
from emukernel.syscalls import load_all
from emukernel.syscalls.table import TABLE


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


def _broken_getpid(task):
    raise RuntimeError("a bug planted by the test")


@pytest.mark.parametrize("slow_entry", [False, True])
def test_a_kernel_bug_kills_the_process_not_the_kernel(build_guest, monkeypatch, slow_entry: bool) -> None:
    """A Python exception in a handler, in the hook (fast path) or in the run loop (slow path), is reported
    with its traceback and ends the guest process with SIGSYS; the kernel and its other processes go on."""
    load_all()
    getpid = TABLE[NUMBERS["getpid"]]
    monkeypatch.setattr(getpid, "handler", _broken_getpid)
    errors = io.StringIO()
    kernel = Kernel(quiet=True, errstream=errors, slow_entry=slow_entry)
    kernel.vfs.add_host_file("/getpid", str(build_guest("bench_syscall", "musl")))
    kernel.vfs.add_host_file("/exitcode", str(build_guest("exitcode", "musl")))
    broken = Process(kernel, kernel.spawn(["/getpid", "10"]))
    fine = Process(kernel, kernel.spawn(["/exitcode", "5"]))
    kernel.run()
    assert broken.status == signal.SIGSYS
    assert fine.exit_code == 5
    assert "kernel bug" in errors.getvalue() and "a bug planted by the test" in errors.getvalue()
