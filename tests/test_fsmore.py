"""Named FIFOs, mknod, utimes, statfs, openat2, fallocate, sendfile/copy_file_range/splice/tee, flock and
record locks, getdents, chroot, memfd seals and MAP_SHARED file mappings: the fsmore guest prints what each
call returned, so the native run is the reference and emukernel must print the same transcript."""

from __future__ import annotations

import pytest
from harness import assert_guest_ok, assert_same, run_emu, run_native


@pytest.mark.guests("fsmore")
def test_fsmore_native(build_guest, variant: str) -> None:
    assert_guest_ok(run_native(build_guest("fsmore", variant)), f"fsmore ({variant}, native)")


@pytest.mark.guests("fsmore")
def test_fsmore_emu_matches_native(build_guest, variant: str) -> None:
    path = build_guest("fsmore", variant)
    native = run_native(path)
    assert_guest_ok(native, f"fsmore ({variant}, native)")
    assert_same(native, run_emu(path))


@pytest.mark.guests("fsmore")
def test_fsmore_in_a_host_root_matches_native(build_guest, variant: str, tmp_path) -> None:
    """The same checks with / a host directory: FIFOs, locks, times and getdents of hostfs files."""
    path = build_guest("fsmore", variant)
    native = run_native(path, ["nodev"])
    assert_guest_ok(native, f"fsmore nodev ({variant}, native)")
    root = tmp_path / "root"
    for d in ("tmp", "dev", "proc", "sys/fs/cgroup", str(path.parent).lstrip("/")):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    root.chmod(0o755)
    emu = run_emu(path, ["nodev"], root=str(root), binds=[(str(path.parent), str(path.parent), True)])
    assert_same(native, emu)
