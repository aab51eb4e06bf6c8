"""/proc and cgroup v2 guests: natively (as root) and under emukernel, transcripts compared.

* ``proc_status``: /proc/self/status, stat, cmdline, environ, exe/cwd/fd links, fdinfo, maps, ns/pid.
* ``ps``: walks /proc and finds the 3-level process tree it made; zombies show Z and vanish once reaped.
* ``cgroup``: makes a group in the unified hierarchy, moves itself in, reads /proc/self/cgroup, clone3
  CLONE_INTO_CGROUP, pids.max = 2 makes the next fork fail with EAGAIN, cleans up.

Where the host cannot do part of ``cgroup`` natively, the comparison leaves that part out and checks the
emulated part against what Linux documents instead.  On this project's hosts the unified hierarchy is
mounted (hybrid: /sys/fs/cgroup/unified) but its pids controller is bound to cgroup v1, so "+pids" in
cgroup.subtree_control fails with ENOENT natively (Documentation/admin-guide/cgroup-v2.rst: a controller
can be enabled only if it is listed in the parent's cgroup.controllers).  Under emukernel the pids section
must then print exactly PIDS_SECTION, the behaviour cgroup-v2.rst documents for pids.max and
pids.events ("fork() or clone() returns -EAGAIN").

Some checks need small edits outside the files of this feature (see the report of the /proc work); until
they are in, the tests that need them are expected failures, detected by probing, never silently skipped.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from harness import assert_guest_ok, assert_same, run_emu, run_native

PROC_ARGS = ("alpha", "beta gamma")

#: The emulated pids part of the cgroup guest, as Linux documents it (cgroup-v2.rst, "PID").
PIDS_SECTION = """\
-- pids controller
pids controller: enabled
ok the group's cgroup.controllers has pids
ok pids.max: max
ok pids.current: 1 (me)
ok the root has no pids.max
ok pids.max garbage -> EINVAL
ok pids.max -1 -> EINVAL
ok set pids.max to 2
ok pids.max reads 2
ok the first fork succeeds (2 of 2)
ok pids.current: 2
ok the next fork fails with EAGAIN
ok pids.events: max 1
ok pids.current: 1 once the child is reaped
ok fork works again
ok pids.max back to max
ok disable pids again
"""


def test_magic_links_jump_to_their_object() -> None:
    """The path walk follows procfs magic links to their object (Linux nd_jump_link)."""
    from emukernel.abi.fcntl import O_RDONLY
    from emukernel.clone import copy_process
    from emukernel.kernel import Kernel

    k = Kernel(quiet=True)
    t = copy_process(k, k.init, 0)
    k.sched.current = t
    f = k.vfs.open(t.fs, t.creds, None, b"/proc/self/ns/pid", O_RDONLY)
    assert getattr(f, "pidns", None) is t.pid.ns


def cgroup2_mount() -> str | None:
    out = subprocess.run(["mount"], capture_output=True, text=True, check=False).stdout
    m = re.search(r" on (\S+) type cgroup2 ", out)
    return m.group(1) if m else None


def sections(text: str) -> dict[str, str]:
    """A transcript cut at its "-- name" lines (the part before the first one is under "")."""
    out: dict[str, str] = {}
    name = ""
    for line in text.splitlines(keepends=True):
        if line.startswith("-- "):
            name = line[3:].strip()
        out[name] = out.get(name, "") + line
    return out


@pytest.mark.guests("proc_status", "ps")
def test_native(build_guest, guest: str, variant: str) -> None:
    """The /proc guests pass their own checks on the host."""
    args = PROC_ARGS if guest == "proc_status" else ()
    assert_guest_ok(run_native(build_guest(guest, variant), args), f"{guest} ({variant}, native)")


@pytest.mark.guests("ps")
def test_ps_matches_native(build_guest, variant: str) -> None:
    path = build_guest("ps", variant)
    native = run_native(path)
    assert_guest_ok(native, f"ps ({variant}, native)")
    assert_same(native, run_emu(path))


@pytest.mark.guests("proc_status")
def test_proc_status_matches_native(build_guest, variant: str) -> None:
    path = build_guest("proc_status", variant)
    native = run_native(path, PROC_ARGS)
    assert_guest_ok(native, f"proc_status ({variant}, native)")
    assert_same(native, run_emu(path, PROC_ARGS))


@pytest.mark.guests("proc_status")
def test_proc_status_without_magic_links(build_guest, variant: str) -> None:
    """Everything but opening ns/pid works with symlink bodies walked as text (no namei change)."""
    path = build_guest("proc_status", variant)
    native = run_native(path, PROC_ARGS)
    emu = run_emu(path, PROC_ARGS)
    drop = ("ns/pid opens", "the opened namespace file", "check(s) failed")

    def keep(out: bytes) -> str:
        return "".join(line for line in out.decode().splitlines(True) if not any(d in line for d in drop))

    assert keep(emu.stdout) == keep(native.stdout), emu.stderr.decode()[-2000:]


@pytest.mark.guests("cgroup")
def test_cgroup(build_guest, variant: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("the native run makes a cgroup: it needs root")
    path = build_guest("cgroup", variant)
    native = run_native(path)
    emu = run_emu(path)
    n, e = sections(native.stdout.decode()), sections(emu.stdout.decode())
    if cgroup2_mount() is None:
        # no unified hierarchy on this host: only the emulated run says anything, and it must pass
        assert native.stdout.decode() == "no cgroup2 hierarchy mounted\n"
        assert_guest_ok(emu, f"cgroup ({variant}, emu)")
        return
    pids_native = n.get("pids controller", "")
    if "not available on this host" in pids_native:
        # documented result instead of the native one (see the module docstring)
        assert e.get("pids controller") == PIDS_SECTION, emu.stdout.decode()
        for part in ("", "a new group", "moving in", "errors", "clone3 CLONE_INTO_CGROUP", "clean up"):
            assert e.get(part) == n.get(part), f"section {part!r} differs\n{emu.stdout.decode()}"
        assert "FAIL" not in native.stdout.decode(), native.stdout.decode()
        assert_guest_ok(emu, f"cgroup ({variant}, emu)")
    else:
        assert_guest_ok(native, f"cgroup ({variant}, native)")
        assert_same(native, emu)
