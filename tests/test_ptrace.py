"""ptrace (issue 10), differential: guest/ptrace_*.c natively and under emukernel, musl and glibc.

Each guest prints a transcript of relations (the tracer, the tracee, wait statuses and ptrace
events in words, errno names), never pids, and orders every step with pipes and waits, so a
native run and an emukernel run must print the same bytes and end the same way.  What Linux 6.18
was seen to do natively is written out at the top of each guest.

Host requirements of the native runs (checked, else skipped):

* root: ptrace_attach switches a child to uid 65534 (the permission checks) and makes a pid
  namespace (unshare(CLONE_NEWPID)) to trace its init from inside; the tracers of every guest
  attach to processes that are not their descendants.
* Yama's ptrace_scope below 2 (absent counts as 0): at 2 only CAP_SYS_PTRACE may attach, at 3
  nobody may, and the unprivileged attach of ptrace_attach would then fail differently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from harness import assert_guest_ok, assert_same, run_emu, run_native

#: Guests compared native vs emukernel, one per line.
PTRACE_GUESTS = (
    "ptrace_attach",  # TRACEME/ATTACH/SEIZE/INTERRUPT/DETACH/KILL, who may attach, the tracer's exit, /proc
    "ptrace_signals",  # signal-delivery-stop, GET/SETSIGINFO, SIGKILL, group-stop, LISTEN, the real parent
    "ptrace_wait",  # wait for a non-child tracee, CLD_TRAPPED, WNOWAIT, traced threads, the zombie leader
)

YAMA_SCOPE = Path("/proc/sys/kernel/yama/ptrace_scope")


def native_skip_reason() -> str | None:
    """Why this host cannot run the ptrace guests natively with a comparable transcript, or None."""
    if os.geteuid() != 0:
        return "needs root (another uid, a new pid namespace, attaching to non-descendants)"
    try:
        scope = int(YAMA_SCOPE.read_text().strip())
    except (OSError, ValueError):
        scope = 0
    if scope >= 2:
        return f"Yama ptrace_scope is {scope}: only CAP_SYS_PTRACE (or nobody) may attach"
    return None


def _native(build_guest, guest: str, variant: str):
    reason = native_skip_reason()
    if reason:
        pytest.skip(reason)
    r = run_native(build_guest(guest, variant))
    assert_guest_ok(r, f"{guest} ({variant}, native)")
    return r


@pytest.mark.guests(*PTRACE_GUESTS)
def test_native(build_guest, guest: str, variant: str) -> None:
    """The guest passes its own checks on the host."""
    _native(build_guest, guest, variant)


@pytest.mark.parametrize("guest", PTRACE_GUESTS)
def test_native_variants_agree(build_guest, guest: str) -> None:
    """musl and glibc builds print the same transcript (so one emulator behaviour fits both)."""
    musl = _native(build_guest, guest, "musl")
    glibc = _native(build_guest, guest, "glibc")
    assert musl.stdout == glibc.stdout
    assert musl.status == glibc.status


@pytest.mark.guests(*PTRACE_GUESTS)
def test_emu_matches_native(build_guest, guest: str, variant: str) -> None:
    native = _native(build_guest, guest, variant)
    emu = run_emu(build_guest(guest, variant))
    assert_same(native, emu)
