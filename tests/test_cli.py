"""The `emukernel` command: running a program, bad executables, confinement, unimplemented syscalls, --trace."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from harness import REPO_ROOT

ENV = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}


def emukernel(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emukernel", "run", *args], capture_output=True, env=ENV,
                          cwd=cwd, timeout=120)


def test_hello_prints_its_line(build_guest) -> None:
    r = emukernel("--clearenv", str(build_guest("hello", "musl")))
    assert r.returncode == 0
    assert r.stdout == b"hello, world\n"


def test_exit_status_is_the_guests(build_guest) -> None:
    r = emukernel(str(build_guest("exitcode", "musl")), "42")
    assert r.returncode == 42


def _bad_executables(tmp: Path, hello: Path) -> dict[str, Path]:
    """Each kind of file the kernel must refuse, made from a real binary where that is needed."""
    data = hello.read_bytes()
    out = {}
    text = tmp / "text"
    text.write_text("echo this is not a program\n")
    out["text file"] = text
    trunc = tmp / "truncated"
    trunc.write_bytes(data[:40])
    out["truncated ELF"] = trunc
    trunc2 = tmp / "truncated-segments"
    trunc2.write_bytes(data[:300])
    out["ELF cut inside its segments"] = trunc2
    arm = tmp / "aarch64"
    arm.write_bytes(data[:18] + struct.pack("<H", 183) + data[20:])
    out["aarch64 ELF"] = arm
    empty = tmp / "empty"
    empty.write_bytes(b"")
    out["empty file"] = empty
    directory = tmp / "adir"
    directory.mkdir()
    out["directory"] = directory
    dyn = shutil.which("true")
    if dyn:
        out["dynamic ELF"] = Path(dyn)
    for p in out.values():
        if p.is_file():
            p.chmod(0o755)
    return out


def test_bad_executables_get_one_line_and_126(build_guest, tmp_path: Path) -> None:
    for what, path in _bad_executables(tmp_path, build_guest("hello", "musl")).items():
        r = emukernel(str(path))
        lines = r.stderr.decode().strip().splitlines()
        assert r.returncode == 126, (what, r.returncode, r.stderr)
        assert len(lines) == 1 and lines[0].startswith(f"emukernel: cannot execute {path}: "), (what, lines)
        assert "Traceback" not in r.stderr.decode()
        if what == "dynamic ELF":
            assert "dynamically linked (PT_INTERP /lib64/ld-linux-x86-64.so.2); emukernel runs static binaries" \
                in lines[0]


def test_missing_program_is_127(tmp_path: Path) -> None:
    r = emukernel(str(tmp_path / "nope"))
    assert r.returncode == 127
    assert r.stderr.decode().strip() == f"emukernel: cannot execute {tmp_path / 'nope'}: No such file or directory"


def test_guest_cannot_leave_its_root(build_guest, tmp_path: Path) -> None:
    """Hostile symlinks and .. inside a --root never reach the host file beside the root."""
    secret = tmp_path / "secret"
    secret.write_text("HOST-SECRET\n")
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "sub" / "deeper").mkdir(parents=True)
    shutil.copy(build_guest("escape", "musl"), root / "bin" / "escape")
    (root / "inside").write_text("just a file\n")
    os.symlink("../secret", root / "up")
    os.symlink(str(secret), root / "abs")
    os.symlink("../../../../../../../../" + str(secret).lstrip("/"), root / "sub" / "deeper" / "far")
    os.symlink("sub/deeper/far", root / "chain")
    os.symlink("/", root / "slash")
    paths = ["/inside", "/../secret", "/../../../../secret", "/up", "/abs", "/chain", "/sub/deeper/far",
             "/slash/../secret", "/sub/../../secret", str(secret), "/proc/self/root/../secret"]
    r = emukernel("--root", str(root), "/bin/escape", *paths)
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    assert "READ THE SECRET" not in out
    assert "/inside: opened, no secret" in out


def test_unimplemented_syscall_reported_once(build_guest) -> None:
    r = emukernel(str(build_guest("nosys", "musl")))
    assert r.returncode == 0
    assert r.stdout.count(b"ENOSYS") == 4
    err = r.stderr.decode().splitlines()
    assert err.count("emukernel: unimplemented syscall nfsservctl (180)") == 1
    assert len(err) == 2
    quiet = emukernel("--quiet", str(build_guest("nosys", "musl")))
    assert quiet.stderr == b""


@pytest.mark.parametrize("variant", ["musl", "glibc"])
def test_trace_prints_strace_lines(build_guest, variant: str) -> None:
    if variant == "glibc" and shutil.which("gcc") is None:
        pytest.skip("no gcc on this machine: the glibc variant cannot be built")
    r = emukernel("--trace", "--clearenv", str(build_guest("hello", variant)))
    assert r.returncode == 0
    err = r.stderr.decode()
    # musl writes with writev, glibc with write: strace shows the string either way
    assert ("hello, world" in err) and "= 13" in err
    assert "exit_group(0)" in err and "+++ exited with 0 +++" in err
    # off by default: nothing on stderr
    assert emukernel("--clearenv", str(build_guest("hello", variant))).stderr == b""


def test_segfault_exit_code_like_a_shell(build_guest) -> None:
    r = emukernel(str(build_guest("segv", "musl")))
    assert r.returncode == 139


@pytest.mark.parametrize("p_type", [0x6474E554, 0x60000123, 0x70000001, 0x12345678])
def test_unknown_program_header_types_are_ignored(build_guest, tmp_path: Path, p_type: int) -> None:
    """Linux's load_elf_binary acts on the p_types it knows and ignores the rest (PT_GNU_SFRAME, OS- and
    processor-specific values, anything new): the program runs, natively and under emukernel."""
    data = bytearray(build_guest("hello", "musl").read_bytes())
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    types = [struct.unpack_from("<I", data, phoff + i * phentsize)[0] for i in range(phnum)]
    i = types.index(0x6474E551)  # PT_GNU_STACK, which nothing else refers to, becomes p_type
    struct.pack_into("<I", data, phoff + i * phentsize, p_type)
    prog = tmp_path / "hello"
    prog.write_bytes(bytes(data))
    prog.chmod(0o755)
    native = subprocess.run([str(prog)], capture_output=True, timeout=60)
    emu = emukernel(str(prog))
    assert native.returncode == 0 and native.stdout == b"hello, world\n"
    assert (emu.returncode, emu.stdout, emu.stderr) == (0, native.stdout, b"")
