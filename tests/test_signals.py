"""Signals: siginfo and ucontext, masks, real-time queues, restarts, job control, zombie leaders,
sigaltstack, faults, synchronous waits, timers, process groups and SIGPIPE.

Each guest (guest/sig_*.c) prints a transcript of relations, never pids, addresses or times, and
orders everything it observes with pipes, futexes, blocked signals or the clock read back, never with
a bare sleep; where the host might be too slow for a time window the guest notices and repeats the
trial.  So a native run and an emukernel run must print the same bytes and end the same way, and the
musl and glibc builds print the same transcript.

Host requirements of the native runs (checked, else skipped):

* sig_info raises its soft RLIMIT_CORE to the hard limit in a scratch directory to see CLD_DUMPED, so
  the hard limit must be > 0 and core_pattern must write a file (not pipe to a helper, which dumps even
  with RLIMIT_CORE 0).
* sig_groups runs kill(-1) only inside a new pid namespace (unshare(CLONE_NEWPID)): root is needed.
  The guest itself refuses to call kill(-1) anywhere but as pid 5 under pid 1.
* sig_rtqueue switches to an otherwise unused uid for its RLIMIT_SIGPENDING part (the count that limit
  caps is per user, system-wide): root is needed.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

import pytest
from harness import assert_guest_ok, assert_same, run_emu, run_native

SIGNAL_GUESTS = (
    "sig_info",
    "sig_mask",
    "sig_rtqueue",
    "sig_restart",
    "sig_stop",
    "sig_leader",
    "sig_altstack",
    "sig_faults",
    "sig_wait",
    "sig_timers",
    "sig_groups",
    "sig_fpu",
)


def native_skip_reason(guest: str) -> str | None:
    """Why this host cannot run the guest natively with a comparable transcript, or None."""
    if guest == "sig_info":
        if resource.getrlimit(resource.RLIMIT_CORE)[1] == 0:
            return "the hard RLIMIT_CORE is 0: no core dump possible (CLD_DUMPED)"
        try:
            pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
        except OSError:
            pattern = ""
        if pattern.startswith("|"):
            return f"core_pattern pipes to a helper ({pattern!r}): dumps ignore RLIMIT_CORE 0"
    if guest in ("sig_groups", "sig_rtqueue") and os.geteuid() != 0:
        return "needs root (a new pid namespace / another uid)"
    return None


def _native(build_guest, guest: str, variant: str):
    reason = native_skip_reason(guest)
    if reason:
        pytest.skip(reason)
    r = run_native(build_guest(guest, variant))
    assert_guest_ok(r, f"{guest} ({variant}, native)")
    return r


@pytest.mark.guests(*SIGNAL_GUESTS)
def test_native(build_guest, guest: str, variant: str) -> None:
    """The guest passes its own checks on the host."""
    _native(build_guest, guest, variant)


@pytest.mark.parametrize("guest", SIGNAL_GUESTS)
def test_native_variants_agree(build_guest, guest: str) -> None:
    """musl and glibc builds print the same transcript (so one emulator behaviour fits both)."""
    musl = _native(build_guest, guest, "musl")
    glibc = _native(build_guest, guest, "glibc")
    assert musl.stdout == glibc.stdout
    assert musl.status == glibc.status


@pytest.mark.guests(*SIGNAL_GUESTS)
def test_emu_matches_native(build_guest, guest: str, variant: str) -> None:
    native = _native(build_guest, guest, variant)
    emu = run_emu(build_guest(guest, variant))
    assert_same(native, emu)
