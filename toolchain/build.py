"""Build the guest C programs (guest/*.c) into static x86-64 Linux ELF executables.

Variants:

* ``musl``      -- ``python -m ziglang cc -target x86_64-linux-musl -static``
* ``musl-pie``  -- the same with ``-static -pie -fPIE`` (a static-pie: ET_DYN, no PT_INTERP)
* ``glibc``     -- ``gcc -static`` (only where ``gcc`` is on PATH)
* ``glibc-pie`` -- ``gcc -static-pie -fPIE``

Only programs named in :data:`PIE_GUESTS` are built as pie variants.

Outputs go to ``<repo>/build/guests/<variant>/<name>``.  Next to each output is a
``<name>.stamp`` holding a sha256 over the source, every file in guest/include,
the full compiler command line and the compiler's version string; a build whose
stamp matches is skipped.  Compilers write to a temporary file that is renamed
into place, and a per-output ``flock`` serialises concurrent builders (threads or
processes), so parallel builds never see half-written binaries.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
GUEST_DIR = REPO_ROOT / "guest"
OUT_ROOT = REPO_ROOT / "build" / "guests"

#: Every variant this module knows; see :func:`available_variants` for the usable ones.
VARIANTS: tuple[str, ...] = ("musl", "glibc", "musl-pie", "glibc-pie")

#: Guests that are also built as static-pie (the ``*-pie`` variants).
PIE_GUESTS: frozenset[str] = frozenset({"hello", "auxv", "smoke"})

ZIG_TARGET = "x86_64-linux-musl"

# Flags shared by both compilers.  -s strips (zig's libc objects carry debug
# info even with -g0); -pthread links the thread library harmlessly everywhere.
COMMON_FLAGS: tuple[str, ...] = ("-O2", "-g0", "-s", "-Wall", "-D_GNU_SOURCE", "-pthread")

# How each compiler is asked for a static-pie.  For zig, ``-static-pie -fPIE``
# also works but makes clang warn "argument unused during compilation:
# '-static-pie'" on every compile; ``-static -pie -fPIE`` yields the identical
# static-pie ELF quietly.  ``-static-pie`` without ``-fPIE`` yields an ET_EXEC.
ZIG_STATIC = ("-static",)
ZIG_STATIC_PIE = ("-static", "-pie", "-fPIE")
GCC_STATIC = ("-static",)
GCC_STATIC_PIE = ("-static-pie", "-fPIE")


class BuildError(RuntimeError):
    """A guest failed to compile or link, or the result is not the ELF we asked for."""

    def __init__(self, message: str, *, command: Sequence[str] = (), stderr: str = "") -> None:
        text = message
        if command:
            text += "\n  command: " + " ".join(command)
        if stderr:
            text += "\n  compiler stderr:\n" + "\n".join(
                "    " + line for line in stderr.rstrip().splitlines()
            )
        super().__init__(text)
        self.command = list(command)
        self.stderr = stderr


@dataclass(frozen=True)
class Built:
    """The outcome of building one guest in one variant."""

    name: str
    variant: str
    path: Path
    cached: bool  #: True when the stamp matched and nothing was compiled
    seconds: float  #: wall time spent (compiling, or checking the stamp)
    warnings: str = ""  #: compiler stderr of a successful build


# --------------------------------------------------------------------------- compilers


def gcc_path() -> str | None:
    """The host gcc, or None when there is none (then glibc variants are unavailable)."""
    return shutil.which("gcc")


def available_variants() -> list[str]:
    """The variants buildable on this host: musl always, glibc ones only if gcc exists."""
    if gcc_path():
        return list(VARIANTS)
    return [v for v in VARIANTS if not v.startswith("glibc")]


def is_pie_variant(variant: str) -> bool:
    return variant.endswith("-pie")


def variants_for(name: str, variants: Iterable[str] | None = None) -> list[str]:
    """The variants a given guest is built in (pie variants only for PIE_GUESTS)."""
    vs = available_variants() if variants is None else list(variants)
    return [v for v in vs if not is_pie_variant(v) or name in PIE_GUESTS]


_version_lock = threading.Lock()
_versions: dict[str, str] = {}


def _compiler_version(kind: str) -> str:
    """The compiler's version string, computed once per process (thread-safe)."""
    with _version_lock:
        if kind not in _versions:
            if kind == "zig":
                cmd = [sys.executable, "-m", "ziglang", "version"]
            else:
                gcc = gcc_path()
                if gcc is None:
                    raise BuildError("gcc is not installed: glibc variants are unavailable")
                cmd = [gcc, "--version"]
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120)
            except (OSError, subprocess.SubprocessError) as exc:
                raise BuildError(f"cannot get the {kind} version: {exc}", command=cmd) from exc
            _versions[kind] = f"{kind} " + out.stdout.strip()
        return _versions[kind]


def compile_command(source: Path, output: Path, variant: str, include_dir: Path) -> list[str]:
    """The full compiler command line that builds ``source`` into ``output``."""
    if variant not in VARIANTS:
        raise BuildError(f"unknown variant {variant!r} (known: {', '.join(VARIANTS)})")
    pie = is_pie_variant(variant)
    if variant.startswith("musl"):
        head = [sys.executable, "-m", "ziglang", "cc", "-target", ZIG_TARGET]
        head += ZIG_STATIC_PIE if pie else ZIG_STATIC
    else:
        gcc = gcc_path()
        if gcc is None:
            raise BuildError(f"variant {variant!r} needs gcc, which is not installed")
        head = ["gcc"]
        head += GCC_STATIC_PIE if pie else GCC_STATIC
    return [*head, *COMMON_FLAGS, f"-I{include_dir}", str(source), "-o", str(output)]


def _compiler_kind(variant: str) -> str:
    return "zig" if variant.startswith("musl") else "gcc"


# --------------------------------------------------------------------------- ELF checks


@dataclass(frozen=True)
class ElfInfo:
    e_type: int  #: 2 = ET_EXEC, 3 = ET_DYN
    machine: int  #: 62 = EM_X86_64
    has_interp: bool  #: a PT_INTERP program header exists
    has_dynamic: bool  #: a PT_DYNAMIC program header exists

    @property
    def is_static_pie(self) -> bool:
        return self.e_type == 3 and not self.has_interp

    @property
    def is_static_exec(self) -> bool:
        return self.e_type == 2 and not self.has_interp


def elf_info(path: Path | str) -> ElfInfo:
    """Parse just enough of an ELF64 little-endian file to tell its type and whether it is static."""
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError(f"{path}: not an ELF64 little-endian file")
    e_type, machine = struct.unpack_from("<HH", data, 16)
    (e_phoff,) = struct.unpack_from("<Q", data, 32)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
    types = [struct.unpack_from("<I", data, e_phoff + i * e_phentsize)[0] for i in range(e_phnum)]
    return ElfInfo(e_type=e_type, machine=machine, has_interp=3 in types, has_dynamic=2 in types)


# --------------------------------------------------------------------------- builder


class Builder:
    """Builds guests from ``guest_dir`` into ``out_root``; the module functions use a default one."""

    def __init__(self, guest_dir: Path = GUEST_DIR, out_root: Path = OUT_ROOT) -> None:
        self.guest_dir = Path(guest_dir)
        self.include_dir = self.guest_dir / "include"
        self.out_root = Path(out_root)
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def guest_names(self) -> list[str]:
        return sorted(p.stem for p in self.guest_dir.glob("*.c"))

    def source(self, name: str) -> Path:
        src = self.guest_dir / f"{name}.c"
        if not src.is_file():
            raise BuildError(f"no such guest: {src} (known: {', '.join(self.guest_names())})")
        return src

    def output_path(self, name: str, variant: str) -> Path:
        return self.out_root / variant / name

    def stamp(self, name: str, variant: str) -> str:
        """The cache key: sha256 over source, include files, command line and compiler version."""
        src = self.source(name)
        h = hashlib.sha256()

        def add(label: str, data: bytes) -> None:
            h.update(f"{label}\0{len(data)}\0".encode())
            h.update(data)

        add("source", src.read_bytes())
        if self.include_dir.is_dir():
            for inc in sorted(p for p in self.include_dir.rglob("*") if p.is_file()):
                add("include:" + inc.relative_to(self.include_dir).as_posix(), inc.read_bytes())
        cmd = compile_command(src, self.output_path(name, variant), variant, self.include_dir)
        add("command", "\0".join(cmd).encode())
        add("compiler", _compiler_version(_compiler_kind(variant)).encode())
        return h.hexdigest()

    def is_fresh(self, name: str, variant: str) -> bool:
        """True when the output exists and its stamp matches (a build would be a cache hit)."""
        out = self.output_path(name, variant)
        stamp_file = out.with_name(out.name + ".stamp")
        try:
            return out.is_file() and stamp_file.read_text().strip() == self.stamp(name, variant)
        except OSError:
            return False

    def _thread_lock(self, key: tuple[str, str]) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    def build_one(self, name: str, variant: str = "musl", *, force: bool = False) -> Built:
        """Build one guest (unless cached) and report what happened."""
        if variant not in VARIANTS:
            raise BuildError(f"unknown variant {variant!r} (known: {', '.join(VARIANTS)})")
        if variant not in available_variants():
            raise BuildError(f"variant {variant!r} is not available on this host (no gcc)")
        if is_pie_variant(variant) and name not in PIE_GUESTS:
            raise BuildError(f"{name!r} is not built as {variant!r}: it is not in PIE_GUESTS")
        t0 = time.monotonic()
        src = self.source(name)
        out = self.output_path(name, variant)
        out.parent.mkdir(parents=True, exist_ok=True)
        stamp_file = out.with_name(out.name + ".stamp")
        with self._thread_lock((name, variant)), open(out.with_name(f".{out.name}.lock"), "w") as lockf:
            fcntl.flock(lockf, fcntl.LOCK_EX)  # another process may be building the same output
            key = self.stamp(name, variant)
            if not force and out.is_file() and stamp_file.is_file() and stamp_file.read_text().strip() == key:
                return Built(name, variant, out, True, time.monotonic() - t0)
            # Compile to a temporary name, check it, then rename into place.  The stamp
            # hashes the command line with the final output path; only -o differs here.
            tmp = out.with_name(f".{out.name}.tmp{os.getpid()}.{threading.get_ident()}")
            cmd = compile_command(src, tmp, variant, self.include_dir)
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=out.parent, timeout=600)
            except (OSError, subprocess.SubprocessError) as exc:
                tmp.unlink(missing_ok=True)
                raise BuildError(f"cannot run the compiler for {variant}/{name}: {exc}", command=cmd) from exc
            if proc.returncode != 0 or not tmp.is_file():
                tmp.unlink(missing_ok=True)
                raise BuildError(
                    f"building {variant}/{name} failed (exit {proc.returncode})",
                    command=cmd,
                    stderr=proc.stderr + proc.stdout,
                )
            try:
                self._check_elf(tmp, variant)
            except BuildError:
                tmp.unlink(missing_ok=True)
                raise
            stamp_file.unlink(missing_ok=True)
            os.replace(tmp, out)
            stamp_file.write_text(key + "\n")
            return Built(
                name, variant, out, False, time.monotonic() - t0, (proc.stderr + proc.stdout).strip()
            )

    @staticmethod
    def _check_elf(path: Path, variant: str) -> None:
        info = elf_info(path)
        if info.machine != 62:
            raise BuildError(f"{path}: not an x86-64 ELF (e_machine={info.machine})")
        if info.has_interp:
            raise BuildError(f"{path}: has a PT_INTERP, so it is not static")
        want = 3 if is_pie_variant(variant) else 2
        if info.e_type != want:
            raise BuildError(f"{path}: e_type is {info.e_type}, expected {want} for variant {variant!r}")

    def build_all(
        self,
        jobs: int = 2,
        *,
        names: Iterable[str] | None = None,
        variants: Iterable[str] | None = None,
        force: bool = False,
    ) -> dict[tuple[str, str], Built]:
        """Build every (guest, variant) pair in parallel; raises the first BuildError after all finish."""
        wanted = list(names) if names is not None else self.guest_names()
        for n in wanted:
            self.source(n)
        vlist = list(variants) if variants is not None else available_variants()
        pairs = [(n, v) for v in vlist for n in wanted if v in variants_for(n, vlist)]
        # Compute the compiler versions up front, serially (they are cached per process).
        for kind in sorted({_compiler_kind(v) for _, v in pairs}):
            _compiler_version(kind)
        results: dict[tuple[str, str], Built] = {}
        errors: list[BuildError] = []
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(self.build_one, n, v, force=force): (n, v) for n, v in pairs}
            for fut, key in futures.items():
                try:
                    results[key] = fut.result()
                except BuildError as exc:
                    errors.append(exc)
        if errors:
            if len(errors) == 1:
                raise errors[0]
            raise BuildError(f"{len(errors)} builds failed:\n" + "\n".join(str(e) for e in errors))
        return results


_default = Builder()


def guest_names() -> list[str]:
    """Names of all guest programs (guest/*.c without the suffix), sorted."""
    return _default.guest_names()


def output_path(name: str, variant: str = "musl") -> Path:
    """Where a guest's binary goes (whether or not it has been built)."""
    return _default.output_path(name, variant)


def build_one(name: str, variant: str = "musl", *, force: bool = False) -> Built:
    """Build one guest (unless the cache stamp matches); ``.cached`` tells which happened."""
    return _default.build_one(name, variant, force=force)


def build(name: str, variant: str = "musl") -> Path:
    """Build one guest (unless cached) and return the path of the static ELF."""
    return _default.build_one(name, variant).path


def build_all(
    jobs: int = 2,
    *,
    names: Iterable[str] | None = None,
    variants: Iterable[str] | None = None,
    force: bool = False,
) -> dict[tuple[str, str], Built]:
    """Build all guests in all available variants with a thread pool; keys are (name, variant)."""
    return _default.build_all(jobs, names=names, variants=variants, force=force)


def is_fresh(name: str, variant: str = "musl") -> bool:
    """True when building this guest would be a cache hit."""
    return _default.is_fresh(name, variant)
