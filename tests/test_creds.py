"""Credentials, differential: guest/creds_threads under musl and glibc, natively and under emukernel.

The guest needs root (it drops to uids 1000 and 2000 in forked children); the tests run as root, and skip
otherwise.  Every thread of a 4-thread process must report uid 1000 after the libc's setuid/setresuid,
which both libcs broadcast with a signal (glibc SIGSETXID, musl SIGSYNCCALL): this exercises emukernel's
signal delivery and syscall restart.

`zombie-leader` is the one case where emukernel departs from Linux on purpose: a process whose leader
exited as root and whose living threads then dropped to uid 1000.  Linux checks kill permission against
the zombie leader's stale credentials (EPERM for a uid-1000 sender); emukernel checks a living thread's.
"""

from __future__ import annotations

import os

import pytest
from harness import assert_guest_ok, assert_same, run_emu, run_native

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="creds_threads changes uids: needs root")

GUEST = "creds_threads"
THREAD_LINE = "thread {i}: uid 1000/1000/1000 gid 1000/1000/1000 groups 1:1000 eff 0 prm 0"
ZOMBIE_LINE = "kill(P, 0) from uid 1000, P's leader a root zombie: "


def _every_thread_dropped(out: str) -> None:
    for i in range(4):
        assert out.count(THREAD_LINE.format(i=i)) == 2, f"thread {i} did not report uid 1000 twice"


@pytest.mark.guests(GUEST)
def test_native(build_guest, variant: str) -> None:
    r = run_native(build_guest(GUEST, variant))
    assert_guest_ok(r, f"{GUEST} ({variant}, native)")
    _every_thread_dropped(r.stdout.decode())


def test_native_variants_agree(build_guest) -> None:
    musl = run_native(build_guest(GUEST, "musl"))
    glibc = run_native(build_guest(GUEST, "glibc"))
    assert musl.stdout == glibc.stdout and musl.status == glibc.status


@pytest.mark.guests(GUEST)
def test_emu_matches_native(build_guest, variant: str) -> None:
    path = build_guest(GUEST, variant)
    native = run_native(path)
    assert_guest_ok(native, f"{GUEST} ({variant}, native)")
    emu = run_emu(path)
    assert_same(native, emu)
    _every_thread_dropped(emu.stdout.decode())


@pytest.mark.guests(GUEST)
def test_zombie_leader_credentials(build_guest, variant: str) -> None:
    """Linux: the zombie leader's (root) credentials decide; emukernel: a living thread's (uid 1000)."""
    path = build_guest(GUEST, variant)
    native = run_native(path, ["zombie-leader"])
    assert_guest_ok(native, "zombie-leader (native)")
    assert ZOMBIE_LINE + "EPERM\n" in native.stdout.decode()
    emu = run_emu(path, ["zombie-leader"])
    assert_guest_ok(emu, "zombie-leader (emu)")
    assert ZOMBIE_LINE + "0\n" in emu.stdout.decode()
    # everything else is the same
    strip = [ln for ln in native.stdout.decode().splitlines() if not ln.startswith(ZOMBIE_LINE)]
    assert strip == [ln for ln in emu.stdout.decode().splitlines() if not ln.startswith(ZOMBIE_LINE)]
