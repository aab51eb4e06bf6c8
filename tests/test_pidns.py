"""Pid namespaces, differential: guest/pidns (clone/unshare/setns with CLONE_NEWPID, init semantics, the
namespace's death, nesting and its limit) and guest/set_tid (clone3 choosing pids per level), natively and
under emukernel, musl and glibc.

Both guests need CAP_SYS_ADMIN (the tests run as root and skip otherwise) and assume they start in the
initial pid namespace: pidns prints how many levels it could nest (32 from level 0) and set_tid relies on
pid 1 of level 0 being taken and on there being exactly one level above its first namespace.
"""

from __future__ import annotations

import os

import pytest
from harness import assert_guest_ok, assert_same, in_initial_pid_ns, run_emu, run_native

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="pid namespaces need CAP_SYS_ADMIN: run as root"),
    pytest.mark.skipif(not in_initial_pid_ns(), reason="the guests assume the initial pid namespace"),
]

GUESTS = ("pidns", "set_tid")


@pytest.mark.guests(*GUESTS)
def test_native(build_guest, guest: str, variant: str) -> None:
    r = run_native(build_guest(guest, variant))
    assert_guest_ok(r, f"{guest} ({variant}, native)")


@pytest.mark.parametrize("guest", GUESTS)
def test_native_variants_agree(build_guest, guest: str) -> None:
    musl = run_native(build_guest(guest, "musl"))
    glibc = run_native(build_guest(guest, "glibc"))
    assert musl.stdout == glibc.stdout and musl.status == glibc.status


@pytest.mark.guests(*GUESTS)
def test_emu_matches_native(build_guest, guest: str, variant: str) -> None:
    path = build_guest(guest, variant)
    native = run_native(path)
    assert_guest_ok(native, f"{guest} ({variant}, native)")
    assert_same(native, run_emu(path))


@pytest.mark.guests("pidns")
def test_pidns_transcript(build_guest, variant: str) -> None:
    """The numbers that only a namespace makes deterministic, and the nesting limit."""
    out = run_emu(build_guest("pidns", variant)).stdout.decode()
    for line in ("ok init: getpid() is 1", "ok orphan: getppid() is 1 (the namespace's init)",
                 "ok fork after the namespace's init exited -> ENOMEM",
                 "ok the init is not waitable while its member is a zombie",
                 "level 2 saw its nested init as 3", "clone(CLONE_NEWPID) fails: ENOSPC",
                 "namespaces nested below the starting one: 32"):
        assert line + "\n" in out, line


@pytest.mark.guests("pidns")
def test_native_setns_proc_ns_files(build_guest, variant: str) -> None:
    assert_guest_ok(run_native(build_guest("pidns", variant), ["proc"]), f"pidns proc ({variant}, native)")


@pytest.mark.guests("pidns")
def test_emu_setns_proc_ns_files(build_guest, variant: str) -> None:
    """setns() with an nsfs file (the procfs File exposes `.pidns`) instead of a pidfd."""
    path = build_guest("pidns", variant)
    native = run_native(path, ["proc"])
    assert_guest_ok(native, f"pidns proc ({variant}, native)")
    assert_same(native, run_emu(path, ["proc"]))
