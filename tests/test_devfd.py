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


@pytest.mark.guests("devfd")
def test_host_root_starts_in_the_host_cwd(build_guest, variant: str, tmp_path, monkeypatch) -> None:
    """With / the host's /, a program starts where emukernel was started, as a shell's child would."""
    path = build_guest("devfd", variant)
    here = tmp_path / "some dir"
    here.mkdir()
    monkeypatch.chdir(here)
    native = run_native(path, ["cwd"])
    assert native.stdout == f"cwd {here}\n".encode()
    assert_same(native, run_emu(path, ["cwd"], root="/"))


def test_initial_cwd_maps_the_host_cwd_into_the_root(tmp_path, monkeypatch) -> None:
    """A host cwd below the root (or a bind) is its guest name; anywhere else, or hidden by a mount, gives /."""
    from emukernel.kernel import Kernel

    root = tmp_path / "root"
    for d in ("a/b", "dev", "proc", "mnt", "sys/fs/cgroup"):
        (root / d).mkdir(parents=True)
    outside = tmp_path / "outside" / "deep"
    outside.mkdir(parents=True)
    cases = [
        (root / "a" / "b", [], "/a/b"),
        (root, [], "/"),
        (tmp_path, [], "/"),  # above the root
        (outside, [(str(tmp_path / "outside"), "/mnt", False)], "/mnt/deep"),
        (root / "mnt", [(str(tmp_path / "outside"), "/mnt", False)], "/"),  # hidden under the bind
    ]
    for cwd, binds, want in cases:
        monkeypatch.chdir(cwd)
        kernel = Kernel(root=str(root), binds=binds, quiet=True)
        assert kernel.init.fs.getcwd() == want.encode(), (cwd, binds)
    monkeypatch.chdir(root / "a")
    assert Kernel(quiet=True).init.fs.getcwd() == b"/"  # the private root: unchanged
