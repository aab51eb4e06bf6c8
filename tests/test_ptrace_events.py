"""ptrace beyond attach and peek/poke: syscall-stops, event stops, exec under ptrace, single-stepping.

Each guest forks its own tracee and prints a transcript of relations and exact
wait statuses (in hex: they are part of the ABI being tested), never pids or
addresses.  ``test_native`` checks a guest on the host; ``test_emu_matches_native``
compares the emukernel run with the native one.

* ``ptrace_syscalls``: PTRACE_SYSCALL entry/exit stops, PTRACE_GET_SYSCALL_INFO,
  changing/skipping a call and its result, interrupted calls (-ERESTART*),
  PTRACE_SYSEMU.
* ``ptrace_events``: PTRACE_O_TRACEFORK/VFORK/CLONE/VFORKDONE/EXEC/EXIT event
  stops and GETEVENTMSG, auto-attached children (SIGSTOP or PTRACE_EVENT_STOP).
* ``ptrace_exec``: execve from a non-leader thread while other threads are traced.
* ``ptrace_step``: PTRACE_SINGLESTEP, PTRACE_SYSEMU_SINGLESTEP and a trap flag set
  by the program itself.
"""

from __future__ import annotations

import pytest
from harness import assert_guest_ok, assert_same, run_emu, run_native

#: Guests compared native vs emukernel.
PTRACE_EVENT_GUESTS = (
    "ptrace_syscalls",
    "ptrace_events",
    "ptrace_exec",
    "ptrace_step",
)


@pytest.mark.guests(*PTRACE_EVENT_GUESTS)
def test_native(build_guest, guest: str, variant: str) -> None:
    """The guest passes its own checks on the host."""
    r = run_native(build_guest(guest, variant))
    assert_guest_ok(r, f"{guest} ({variant}, native)")


@pytest.mark.parametrize("guest", PTRACE_EVENT_GUESTS)
def test_native_variants_agree(build_guest, guest: str) -> None:
    """musl and glibc builds print the same transcript (so one emulator behaviour fits both)."""
    musl = run_native(build_guest(guest, "musl"))
    glibc = run_native(build_guest(guest, "glibc"))
    assert musl.stdout == glibc.stdout
    assert musl.status == glibc.status


@pytest.mark.guests(*PTRACE_EVENT_GUESTS)
def test_emu_matches_native(build_guest, guest: str, variant: str) -> None:
    path = build_guest(guest, variant)
    native = run_native(path)
    assert_guest_ok(native, f"{guest} ({variant}, native)")
    emu = run_emu(path)
    assert_same(native, emu)
