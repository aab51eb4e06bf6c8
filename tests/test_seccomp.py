"""seccomp (issue 11): strict mode, filters and their actions, TSYNC, user notification, RET_TRACE.

Each guest runs every case in a forked child (a filter, the strict mode or a
kill ends only that child) and prints how it ended, so the transcript shows the
wait status in words.  The transcripts are what Linux 6.18 does; under
emukernel they must print the same bytes and end the same way.
"""

from __future__ import annotations

import pytest
from harness import assert_guest_ok, assert_same, run_emu, run_native

#: Guests compared native vs emukernel.
SECCOMP_GUESTS = (
    "seccomp_basic",  # seccomp(2)/prctl errors, GET_ACTION_AVAIL, strict mode, the checker, the budget, stacking
    "seccomp_actions",  # each action on getppid: ERRNO cap, TRAP's siginfo/ucontext, kills with threads, arguments
    "seccomp_tsync",  # FILTER_FLAG_TSYNC: ancestor chains, a thread's own filter (its tid / ESRCH), NEW_LISTENER
    "seccomp_notify",  # RET_USER_NOTIF: the listener's RECV/SEND/ID_VALID/ADDFD, poll, death, signals, close
    "seccomp_trace",  # RET_TRACE with ptrace: the event stop, changing/skipping the call, PTRACE_SYSCALL order
)


@pytest.mark.guests(*SECCOMP_GUESTS)
def test_native(build_guest, guest: str, variant: str) -> None:
    """The guest passes its own checks on the host."""
    r = run_native(build_guest(guest, variant))
    assert_guest_ok(r, f"{guest} ({variant}, native)")


@pytest.mark.parametrize("guest", SECCOMP_GUESTS)
def test_native_variants_agree(build_guest, guest: str) -> None:
    """musl and glibc builds print the same transcript (so one emulator behaviour fits both)."""
    musl = run_native(build_guest(guest, "musl"))
    glibc = run_native(build_guest(guest, "glibc"))
    assert musl.stdout == glibc.stdout
    assert musl.status == glibc.status


@pytest.mark.guests(*SECCOMP_GUESTS)
def test_emu_matches_native(build_guest, guest: str, variant: str) -> None:
    path = build_guest(guest, variant)
    native = run_native(path)
    assert_guest_ok(native, f"{guest} ({variant}, native)")
    emu = run_emu(path)
    assert_same(native, emu)
