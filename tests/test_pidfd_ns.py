"""pidfds that outlive their process, and NSpid in nested pid namespaces: differential, musl and glibc.

* ``pidfd_race``: a SIGCHLD handler reaps the child while the parent holds a pidfd to it (ESRCH, ECHILD,
  POLLIN|POLLHUP, fdinfo ``Pid: -1``), the handler racing a blocked poll / waitid(P_PIDFD) (the transcript
  says only what holds in every interleaving), ppoll's temporary mask, a thread pidfd, pidfd_getfd copying
  a pipe end, and pid reuse forced through /proc/sys/kernel/ns_last_pid inside a new pid namespace: the
  old pidfds never signal, wait for or poll as the new process with the same number.
* ``nspid``: a process tree two namespaces deep (and a thread, and a clone3 set_tid choice at two levels)
  reads /proc/self/status, /proc/self/stat and /proc/self from inside; the starting namespace reads
  /proc/PID/status for each.  ``nspid pid_max`` and ``nspid first-fork`` are two more pid-namespace rules.

Both need root (the tests run as root, and skip otherwise) and the initial pid namespace: on the host
/proc is mounted from it, so /proc numbers every process as level 0 does, whoever reads.

Some parts need fixes outside the pid-namespace files (emukernel/fs/proc/, emukernel/clone.py; see the
report of this work).  Until they are in, the tests that need them are expected failures, detected by
probing the kernel's behaviour, never silently skipped; the rest of the same transcripts is compared now.
"""

from __future__ import annotations

import os

import pytest
from harness import assert_guest_ok, assert_same, in_initial_pid_ns, run_emu, run_native

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="pid namespaces and ns_last_pid need CAP_SYS_ADMIN (root)"),
    pytest.mark.skipif(not in_initial_pid_ns(), reason="the guests assume the initial pid namespace"),
]

GUESTS = ("pidfd_race", "nspid")
INSIDE = "from inside: /proc/self/status, /proc/self/stat, /proc/self (thread-self for T)"


def sections(text: str) -> dict[str, str]:
    """A transcript cut at its "-- name" lines (the part before the first one is under "")."""
    out: dict[str, str] = {}
    name = ""
    for line in text.splitlines(keepends=True):
        if line.startswith("-- "):
            name = line[3:].strip()
        out[name] = out.get(name, "") + line
    return out


# --------------------------------------------------------------------------------- probes of pending fixes


def _nested_task():
    from emukernel.abi.clone import CLONE_NEWPID
    from emukernel.clone import copy_process
    from emukernel.kernel import Kernel

    k = Kernel(quiet=True)
    t = copy_process(k, k.init, CLONE_NEWPID)
    k.sched.current = t
    return k, t


def test_procfs_numbers_from_its_own_namespace() -> None:
    """/proc numbers processes as the namespace it was mounted from (the root) does, whoever reads it."""
    k, t = _nested_task()
    assert k.procfs.view.vtgid(t, t) == t.pid.numbers[0]


def test_clone_newpid_gets_its_own_pid_max() -> None:
    """clone(CLONE_NEWPID) makes a namespace whose pid_max starts at PID_MAX_LIMIT (Linux 6.14+)."""
    from emukernel.pidns import PID_MAX_LIMIT

    _, t = _nested_task()
    assert t.pid.ns.pid_max == PID_MAX_LIMIT


# ------------------------------------------------------------------------------------------------- tests


@pytest.mark.guests(*GUESTS)
def test_native(build_guest, guest: str, variant: str) -> None:
    assert_guest_ok(run_native(build_guest(guest, variant)), f"{guest} ({variant}, native)")


@pytest.mark.parametrize("guest", GUESTS)
def test_native_variants_agree(build_guest, guest: str) -> None:
    musl = run_native(build_guest(guest, "musl"))
    glibc = run_native(build_guest(guest, "glibc"))
    assert musl.stdout == glibc.stdout and musl.status == glibc.status


@pytest.mark.guests("pidfd_race")
def test_pidfd_race_matches_native(build_guest, variant: str) -> None:
    path = build_guest("pidfd_race", variant)
    native = run_native(path)
    assert_guest_ok(native, f"pidfd_race ({variant}, native)")
    assert_same(native, run_emu(path))


@pytest.mark.guests("pidfd_race")
def test_pidfd_reuse_in_the_starting_namespace(build_guest, variant: str) -> None:
    """Under emukernel only: the reuse part run in the starting namespace, where the old pidfd's number is
    reused at level 0 too (the native run cannot do that without renumbering the host).  It must print what
    the native run prints one namespace down, where only the inner number is reused."""
    path = build_guest("pidfd_race", variant)
    native = sections(run_native(path).stdout.decode())["pid reuse through ns_last_pid"]
    native = "".join(line for line in native.splitlines(True) if "the namespace's init" not in line)
    emu = run_emu(path, ["reuse-here"])
    assert_guest_ok(emu, f"pidfd_race reuse-here ({variant}, emu)")
    assert emu.stdout.decode() == native


@pytest.mark.guests("nspid")
def test_nspid_outside_matches_native(build_guest, variant: str) -> None:
    """The tree, set_tid at two levels, and /proc/PID/status read from the starting namespace."""
    path = build_guest("nspid", variant)
    native = run_native(path)
    assert_guest_ok(native, f"nspid ({variant}, native)")
    emu = run_emu(path)
    n, e = sections(native.stdout.decode()), sections(emu.stdout.decode())
    assert set(n) == set(e), emu.stdout.decode()
    for name in n:
        if name != INSIDE:
            assert e[name] == n[name], f"section {name!r} differs\n{emu.stdout.decode()}"
    assert comparable(native.status) == comparable(emu.status)


def comparable(status: int) -> int:
    return status & ~0x80


@pytest.mark.guests("nspid")
def test_nspid_inside_matches_native(build_guest, variant: str) -> None:
    """/proc/self/status (NStgid, NSpid, NSpgid, NSsid, Pid, PPid), stat and /proc/self read from inside
    nested namespaces show the numbers of /proc's namespace (level 0), as on the host."""
    path = build_guest("nspid", variant)
    native = run_native(path)
    assert_guest_ok(native, f"nspid ({variant}, native)")
    assert_same(native, run_emu(path))


@pytest.mark.guests("nspid")
def test_nspid_pid_max_unshare(build_guest, variant: str) -> None:
    """unshare(CLONE_NEWPID)'s namespace has its own pid_max (PID_MAX_LIMIT): the part that needs no fix."""
    path = build_guest("nspid", variant)
    native = run_native(path, ["pid_max"])
    assert_guest_ok(native, f"nspid pid_max ({variant}, native)")
    emu = run_emu(path, ["pid_max"])

    def unshare_part(out: bytes) -> list[str]:
        lines = out.decode().splitlines()
        start = lines.index("ok unshare(CLONE_NEWPID)")
        return [ln for ln in lines[start:] if "check(s) failed" not in ln]

    assert unshare_part(emu.stdout) == unshare_part(native.stdout), emu.stdout.decode()


@pytest.mark.guests("nspid")
def test_nspid_pid_max(build_guest, variant: str) -> None:
    path = build_guest("nspid", variant)
    native = run_native(path, ["pid_max"])
    assert_guest_ok(native, f"nspid pid_max ({variant}, native)")
    assert_same(native, run_emu(path, ["pid_max"]))


@pytest.mark.guests("nspid")
def test_nspid_first_fork(build_guest, variant: str) -> None:
    """A namespace whose first fork failed after alloc_pid (a bad CLONE_PIDFD pointer) takes no process."""
    path = build_guest("nspid", variant)
    native = run_native(path, ["first-fork"])
    assert_guest_ok(native, f"nspid first-fork ({variant}, native)")
    assert_same(native, run_emu(path, ["first-fork"]))


# ------------------------------------------------------------------------ emukernel/pidns.py, directly


def test_pid_max_per_namespace() -> None:
    from emukernel.pidns import PID_MAX_DEFAULT, PID_MAX_LIMIT, PidNamespace

    root = PidNamespace()
    child = PidNamespace(root)
    assert root.pid_max == PID_MAX_DEFAULT and child.pid_max == PID_MAX_LIMIT
    assert PidNamespace(root, 500).pid_max == 500
    child.last_pid = 40000
    pid = child.alloc_pid()
    assert pid.numbers[1] == 40001 and pid.numbers[0] < PID_MAX_DEFAULT


def test_free_pid_of_a_first_process_kills_the_namespace() -> None:
    """free_pid's PIDNS_ADDING case: the first process's fork failed after its pid was allocated."""
    from emukernel.errors import Errno
    from emukernel.pidns import PidNamespace

    root = PidNamespace()
    root.child_reaper = object()
    ns = PidNamespace(root)
    pid = ns.alloc_pid()
    assert pid.numbers[1] == 1
    ns.free_pid(pid)
    assert not ns.alive and not ns.pids and not root.pids
    with pytest.raises(Errno) as e:
        ns.alloc_pid()
    assert e.value.errno == 12  # ENOMEM
    assert not ns.pids and not root.pids  # nothing stays reserved
    # a namespace with an init is not affected by freeing one of its pids
    ns2 = PidNamespace(root)
    init = ns2.alloc_pid()
    ns2.child_reaper = object()
    other = ns2.alloc_pid()
    ns2.free_pid(other)
    assert ns2.alive and ns2.find(1) is init


def test_failed_first_allocation_resets_the_cursor() -> None:
    """alloc_pid: "on failure to allocate the first pid, reset the state" (the next one is still 1)."""
    from emukernel.errors import Errno
    from emukernel.pidns import PidNamespace

    root = PidNamespace(pid_max=4)
    root.child_reaper = object()
    taken = [root.alloc_pid() for _ in range(3)]  # 1, 2, 3: full
    ns = PidNamespace(root)
    with pytest.raises(Errno) as e:
        ns.alloc_pid()  # 1 in ns, then no number at level 0
    assert e.value.errno == 11  # EAGAIN
    assert ns.last_pid == 0 and not ns.pids and ns.alive
    root.free_pid(taken[1])
    assert ns.alloc_pid().numbers == [2, 1]
