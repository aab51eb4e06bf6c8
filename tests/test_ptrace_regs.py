"""The register and memory half of ptrace (issue 10, item 5), and the other ways into a process's memory.

* ``process_vm``: process_vm_readv/writev and /proc/PID/mem between a parent and its child (no ptrace):
  partial transfers, argument errors, ESRCH/EPERM/EACCES, forced writes to a read-only page and to code.
* ``ptrace_regs``: a PTRACE_TRACEME child stopped with known registers; the parent reads and changes its
  registers and memory with every arch request (GETREGS ... PTRACE_ARCH_PRCTL) and PEEK/POKE; the child
  checks the changes after PTRACE_CONT.

Both print relations only (no addresses, pids or xstate sizes), so a native run and an emukernel run must
print the same bytes.  The unit tests below drive emukernel.regset on a task built by hand.
"""

from __future__ import annotations

import pytest
from harness import assert_guest_ok, assert_same, run_emu, run_native

from emukernel.abi import errno as E
from emukernel.abi import ptrace as P
from emukernel.abi import signal as S
from emukernel.abi.syscall_numbers import NUMBERS
from emukernel.regset import arch_ptrace, ptrace_peek, ptrace_poke
from emukernel.signal.kill import do_kill
from emukernel.syscalls import load_all
from emukernel.syscalls.table import TABLE, Syscall
from emukernel.task import TASK_STOPPED

GUESTS = ("process_vm", "ptrace_regs")


@pytest.mark.guests(*GUESTS)
def test_native(build_guest, guest: str, variant: str) -> None:
    """The guest passes its own checks on the host."""
    assert_guest_ok(run_native(build_guest(guest, variant)), f"{guest} ({variant}, native)")


@pytest.mark.parametrize("guest", GUESTS)
def test_native_variants_agree(build_guest, guest: str) -> None:
    """musl and glibc builds print the same transcript."""
    musl = run_native(build_guest(guest, "musl"))
    glibc = run_native(build_guest(guest, "glibc"))
    assert musl.stdout == glibc.stdout
    assert musl.status == glibc.status


@pytest.mark.guests(*GUESTS)
def test_emu_matches_native(build_guest, guest: str, variant: str) -> None:
    load_all()
    if guest == "ptrace_regs" and TABLE[NUMBERS["ptrace"]] is None:
        pytest.xfail("no ptrace syscall yet (ptrace's core is the lead's); see test_emu_regs_with_stand_in")
    path = build_guest(guest, variant)
    native = run_native(path)
    assert_guest_ok(native, f"{guest} ({variant}, native)")
    assert_same(native, run_emu(path))


# --------------------------------------------------------------------------- the arch requests without ptrace


def _stand_in_ptrace(task, request, pid, addr, data):
    """A stand-in for the ptrace syscall, enough to drive emukernel.regset from the ptrace_regs guest before
    ptrace's core exists: TRACEME does nothing (the child's SIGSTOP is then a group stop), CONT is SIGCONT,
    every other request goes to the regset code for a child in a stop."""
    if request == P.PTRACE_TRACEME:
        return 0
    child = task.kernel.find_task(task, pid)
    if child is None or child.state != TASK_STOPPED:
        return -E.ESRCH
    if request == P.PTRACE_CONT:
        return do_kill(task, pid, S.SIGCONT)
    if request in (P.PTRACE_PEEKTEXT, P.PTRACE_PEEKDATA):
        task.mm.write_u64(data, ptrace_peek(child, addr))
        return 0
    if request in (P.PTRACE_POKETEXT, P.PTRACE_POKEDATA):
        ptrace_poke(child, addr, data)
        return 0
    r = arch_ptrace(task, child, request, addr, data)
    return -E.EIO if r is None else r  # what Linux answers an unknown request


#: lines of the ptrace_regs transcript the stand-in cannot give: orig_rax at a stop and a syscall restart
#: asked for through rax and orig_rax are ptrace's core (the syscall path), not the regset code
_NEEDS_PTRACE_CORE = ("orig_rax is kill's number", "the syscall restarted as getpid")


@pytest.mark.guests("ptrace_regs")
def test_emu_regs_with_stand_in(build_guest, variant: str) -> None:
    """The ptrace_regs guest under emukernel with the stand-in ptrace: every line of the native transcript
    but those that need ptrace's core (orig_rax at a stop, the syscall restart)."""
    path = build_guest("ptrace_regs", variant)
    native = run_native(path)
    nr = NUMBERS["ptrace"]
    load_all()
    saved = TABLE[nr]
    TABLE[nr] = Syscall(nr, "ptrace", _stand_in_ptrace, ("d", "d", "p", "p"), "d")
    try:
        emu = run_emu(path)
    finally:
        TABLE[nr] = saved
    assert_guest_ok(native, f"ptrace_regs ({variant}, native)")

    def keep(out: bytes) -> list[str]:
        return [line for line in out.decode().splitlines()
                if not any(part in line for part in _NEEDS_PTRACE_CORE + ("tracee: exit", "check(s) failed"))]

    assert keep(emu.stdout) == keep(native.stdout)
