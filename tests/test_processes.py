"""Processes and threads: fork/wait, reparenting, vfork, clone3, pthreads, futexes, pipes, groups.

Each guest prints a transcript of relations ("ok ..." lines, errno names, wait
statuses in words), never pids or times, so a native run and an emukernel run
must print the same bytes and end the same way.  The ``*_native*`` tests check
the guests on the host (no emulator needed); ``test_emu_matches_native``
compares with emukernel.

Three guests are emukernel-only and never run natively:

* ``determinism``: the thread interleaving is the scheduler's choice, so a
  native order is not comparable; under emukernel the same seed must give the
  same bytes (and trace) every time, different seeds different orders.
* ``deadlock``: hangs forever natively; emukernel must detect and report it.
* ``forkbomb``: root is exempt from RLIMIT_NPROC, so natively it would fill the
  host's pid space; emukernel's task limit (512) stops it.
"""

from __future__ import annotations

import re

import pytest
from harness import assert_guest_ok, assert_same, run_emu, run_native

#: Guests compared native vs emukernel.
PROCESS_GUESTS = (
    "fork_wait",
    "reparent",
    "vfork",
    "clone3",
    "threads",
    "futex_pingpong",
    "spinflag",
    "pipes",
    "pgrp",
    "resume_errors",  # blocking calls that complete with a bad pointer (EFAULT) or no child left (ECHILD)
)


@pytest.mark.guests(*PROCESS_GUESTS)
def test_native(build_guest, guest: str, variant: str) -> None:
    """The guest passes its own checks on the host."""
    r = run_native(build_guest(guest, variant))
    assert_guest_ok(r, f"{guest} ({variant}, native)")


@pytest.mark.parametrize("guest", PROCESS_GUESTS)
def test_native_variants_agree(build_guest, guest: str) -> None:
    """musl and glibc builds print the same transcript (so one emulator behaviour fits both)."""
    musl = run_native(build_guest(guest, "musl"))
    glibc = run_native(build_guest(guest, "glibc"))
    assert musl.stdout == glibc.stdout
    assert musl.status == glibc.status


@pytest.mark.guests(*PROCESS_GUESTS)
def test_emu_matches_native(build_guest, guest: str, variant: str) -> None:
    path = build_guest(guest, variant)
    native = run_native(path)
    assert_guest_ok(native, f"{guest} ({variant}, native)")
    emu = run_emu(path)
    assert_same(native, emu)


# --------------------------------------------------------------------------- emukernel-only


@pytest.mark.guests("determinism")
def test_determinism_native_sanity(build_guest, variant: str) -> None:
    """Natively only the guest's own check is meaningful (every step recorded once), not the order."""
    r = run_native(build_guest("determinism", variant))
    assert_guest_ok(r, "determinism (native)")
    assert len(r.stdout.splitlines()) == 4 * 8 + 1


@pytest.mark.guests("determinism")
def test_emu_determinism_same_seed(build_guest, variant: str) -> None:
    """emukernel-only: the same seed gives byte-identical output and an identical trace."""
    path = build_guest("determinism", variant)
    first = run_emu(path, seed=1, trace=True)
    second = run_emu(path, seed=1, trace=True)
    assert_guest_ok(first, "determinism (emu, seed 1)")
    assert first.stdout == second.stdout
    assert first.stderr, "trace=True produced no trace"
    assert first.stderr == second.stderr, "the trace differs between two runs with the same seed"
    assert first.status == second.status


@pytest.mark.guests("determinism")
def test_emu_determinism_seeds_differ(build_guest, variant: str) -> None:
    """emukernel-only: the seed drives the interleaving, so seeds 1..5 do not all give one order."""
    path = build_guest("determinism", variant)
    outputs = set()
    for seed in range(1, 6):
        r = run_emu(path, seed=seed)
        assert_guest_ok(r, f"determinism (emu, seed {seed})")
        outputs.add(r.stdout)
    assert len(outputs) >= 2, "seeds 1..5 all produced the same interleaving"


@pytest.mark.guests("deadlock")
def test_emu_deadlock_reported(build_guest, variant: str) -> None:
    """emukernel-only (hangs natively): a futex deadlock ends the run with a report and a non-zero status."""
    r = run_emu(build_guest("deadlock", variant))
    err = r.stderr.decode("utf-8", "backslashreplace")
    assert r.stdout == b"starting two threads that wait on each other\n"
    assert r.status != 0 and not (r.exited and r.exit_code == 0), r.describe()
    assert "guest deadlock" in err, err[-3000:]
    task_lines = [line for line in err.splitlines() if re.match(r"\s*task \d+ .*waits on", line)]
    assert len(task_lines) == 3, f"want a line for main and both threads:\n{err[-3000:]}"


@pytest.mark.guests("forkbomb")
def test_emu_forkbomb_survives(build_guest, variant: str) -> None:
    """emukernel-only (NEVER native: root ignores RLIMIT_NPROC): fork fails with EAGAIN at the task limit."""
    r = run_emu(build_guest("forkbomb", variant))
    assert_guest_ok(r, "forkbomb (emu)")
    out = r.stdout.decode()
    assert "fork failed with EAGAIN after at least 100 children\n" in out
    assert out.endswith("survived\n")
