"""execve and friends: the exec_parent guest runs exec_child (and #! scripts, posix_spawn, system()).

exec_parent takes the exec_child path and a tag for its scratch directory
(/tmp/emk_exec_TAG).  Both paths appear in the transcript (a #! script's argv
holds them), so the native and the emukernel run use the same ones: under
emukernel the build directory is bound read-only at its host path, and /tmp is
the emulator's own tmpfs.

system() runs /bin/sh.  Natively that is the host's shell; under emukernel a
directory holding the ``sh_standin`` guest as ``sh`` is bound at /bin.  The
commands exec_parent gives to system() ("PATH hello 3", "exit 7") mean the
same to both shells, so the transcripts are identical.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from harness import assert_guest_ok, assert_same, run_emu, run_native

GUESTS = ("exec_parent", "exec_child", "sh_standin")


def _paths(build_guest, variant: str) -> tuple[Path, Path, Path]:
    return tuple(build_guest(g, variant) for g in GUESTS)  # type: ignore[return-value]


def _tag(variant: str) -> str:
    return f"{variant}_{os.getpid()}"


def _standin_bin(tmp_path: Path, standin: Path) -> Path:
    """A directory holding sh_standin as ``sh``, to bind at /bin."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    shutil.copy2(standin, bindir / "sh")
    return bindir


@pytest.mark.guests(*GUESTS)
def test_native(build_guest, variant: str) -> None:
    parent, child, _ = _paths(build_guest, variant)
    r = run_native(parent, [str(child), _tag(variant)])
    assert_guest_ok(r, f"exec_parent ({variant}, native)")
    out = r.stdout.decode()
    # The script argv rewrite, checked here too so a broken guest cannot hide it.
    assert f'child: argv[0]="{child}"\nchild: argv[1]="opt-arg"\n' in out


def test_native_variants_agree(build_guest) -> None:
    """musl and glibc print the same transcript once their paths are replaced."""
    outs = []
    for variant in ("musl", "glibc"):
        parent, child, _ = _paths(build_guest, variant)
        tag = _tag(variant)
        r = run_native(parent, [str(child), tag])
        outs.append(r.stdout.replace(str(child).encode(), b"CHILD").replace(tag.encode(), b"TAG"))
    assert outs[0] == outs[1]


@pytest.mark.guests(*GUESTS)
def test_sh_standin_native(build_guest, variant: str) -> None:
    """The stand-in shell runs a command and its exit builtin like sh -c would."""
    _, child, standin = _paths(build_guest, variant)
    r = run_native(standin, ["-c", f"{child} a b 4"], env={"EXEC_MODE": "sys"})
    assert r.exit_code == 4
    assert r.stdout == b'child(sys): argv[1]="a"\nchild(sys): argv[2]="b"\nchild(sys): argv[3]="4"\n'
    assert run_native(standin, ["-c", "exit 9"]).exit_code == 9
    assert run_native(standin, ["-c", "/nonexistent/x"]).exit_code == 127


@pytest.mark.guests(*GUESTS)
def test_emu_matches_native(build_guest, variant: str, tmp_path: Path) -> None:
    parent, child, standin = _paths(build_guest, variant)
    args = [str(child), _tag(variant)]
    native = run_native(parent, args)
    assert_guest_ok(native, f"exec_parent ({variant}, native)")
    build_dir = str(child.parent)
    binds = [(build_dir, build_dir, True), (str(_standin_bin(tmp_path, standin)), "/bin", True)]
    emu = run_emu(parent, args, binds=binds)
    assert_same(native, emu)
