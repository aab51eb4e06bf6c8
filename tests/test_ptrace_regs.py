"""The register and memory half of ptrace (issue 10, item 5), and the other ways into a process's memory.

* ``process_vm``: process_vm_readv/writev and /proc/PID/mem between a parent and its child (no ptrace):
  partial transfers, argument errors, ESRCH/EPERM/EACCES, forced writes to a read-only page and to code.
* ``ptrace_regs``: a PTRACE_TRACEME child stopped with known registers; the parent reads and changes its
  registers and memory with every arch request (GETREGS ... PTRACE_ARCH_PRCTL) and PEEK/POKE; the child
  checks the changes after PTRACE_CONT.
* ``ptrace_thread_regs``: the same for a tracee whose sibling thread ran while it was stopped (under
  emukernel its registers are then in a saved context, not live in the CPU).
* ``ptrace_syscall_regs``: changes at syscall-entry and -exit stops take effect (orig_rax to another syscall
  or -1 to skip it, the arguments, the result).

Both print relations only (no addresses, pids or xstate sizes), so a native run and an emukernel run must
print the same bytes.
"""

from __future__ import annotations

import pytest
from harness import assert_guest_ok, assert_same, run_emu, run_native

GUESTS = ("process_vm", "ptrace_regs", "ptrace_thread_regs", "ptrace_syscall_regs")


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
    path = build_guest(guest, variant)
    native = run_native(path)
    assert_guest_ok(native, f"{guest} ({variant}, native)")
    emu = run_emu(path)
    if guest == "ptrace_regs":  # all but the restart below
        assert _without_restart(emu.stdout) == _without_restart(native.stdout)
    else:
        assert_same(native, emu)


#: the ptrace_regs lines that show a syscall restart asked for by the tracer through rax and orig_rax
_RESTART = ("the syscall restarted as getpid", "tracee: exit", "check(s) failed")


def _without_restart(out: bytes) -> list[str]:
    return [line for line in out.decode().splitlines() if not any(part in line for part in _RESTART)]


@pytest.mark.guests("ptrace_regs")
def test_emu_restart_from_registers(build_guest, variant: str) -> None:
    """The whole ptrace_regs transcript, the tracer-made syscall restart included."""
    path = build_guest("ptrace_regs", variant)
    assert_same(run_native(path), run_emu(path))
