"""/dev/fd, /dev/std{in,out,err}, /dev/tty and opening /proc/self/fd/N magic links: the devfd guest prints what
each call returned, so the native run is the reference and emukernel must print the same transcript."""

from __future__ import annotations

import pytest
from harness import assert_guest_ok, assert_same, run_emu, run_native

STDIN = b"input\n"  # the guest reads it back through /dev/stdin


@pytest.mark.guests("devfd")
def test_devfd_native(build_guest, variant: str) -> None:
    assert_guest_ok(run_native(build_guest("devfd", variant), stdin=STDIN), f"devfd ({variant}, native)")


@pytest.mark.guests("devfd")
def test_devfd_emu_matches_native(build_guest, variant: str) -> None:
    path = build_guest("devfd", variant)
    native = run_native(path, stdin=STDIN)
    assert_guest_ok(native, f"devfd ({variant}, native)")
    assert_same(native, run_emu(path, stdin=STDIN))


@pytest.mark.guests("devfd")
def test_devfd_in_a_host_root_matches_native(build_guest, variant: str, tmp_path) -> None:
    """The same with / a host directory: the reopened regular files are hostfs files."""
    path = build_guest("devfd", variant)
    native = run_native(path, stdin=STDIN)
    assert_guest_ok(native, f"devfd ({variant}, native)")
    root = tmp_path / "root"
    for d in ("tmp", "dev", "proc", "sys/fs/cgroup", str(path.parent).lstrip("/")):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    root.chmod(0o755)
    emu = run_emu(path, stdin=STDIN, root=str(root), binds=[(str(path.parent), str(path.parent), True)])
    assert_same(native, emu)
