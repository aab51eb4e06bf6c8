"""Build the Linux kernel's own ptrace and seccomp selftests as static x86-64 binaries, from Debian's
linux-source-6.12.

    python -m toolchain.kselftests [--cache-dir DIR] [--variant musl|glibc] [--deb FILE] [--force]

Steps, each skipped when its result is already in the cache (so a second run downloads and compiles
nothing):

1. ``apt-get download linux-source-6.12`` into ``<cache>/deb/`` (running ``apt-get update`` and trying
   again when the first attempt fails).  ``--deb FILE`` uses a .deb already at hand instead.
2. Unpack from the .deb's ``/usr/src/linux-source-6.12.tar.xz`` only what the tests need: the selftest
   sources (:data:`SELFTEST_PARTS`), the uapi headers and x86's syscall table (:data:`HEADER_PARTS`),
   streaming both archives so that nothing else is written.  Goes to ``<cache>/src/``.
3. Install the uapi headers into ``<cache>/usr/include`` the way the kernel's ``make headers_install``
   lays them out (the selftests' Makefiles expect ``-isystem usr/include``): arch headers over the
   generic ones, the ``asm-generic`` wrappers x86 does not provide, ``asm/unistd_64.h`` generated from
   ``syscall_64.tbl``, and the kernel-only annotations (``__user``, ``linux/compiler.h``...) removed.
4. Compile each test of :data:`TESTS` with the flags its Makefile uses plus ``-static``, into
   ``<cache>/bin/<variant>/<name>``, next to a stamp like :mod:`toolchain.build`'s.  A test that fails to
   compile is reported and skipped; the others are still built.
   Before them, our stand-ins for libraries a Makefile links that neither the host nor zig's musl has
   (:data:`SHIMS`: a minimal libcap for seccomp's ``-lcap``) are built into ``<cache>/shims/<variant>``.
5. Build two tiny static helpers, ``true`` and ``sleep``, into ``<cache>/bin/<variant>/helpers``:
   ``vmaccess`` execs them through PATH, and emukernel runs only static binaries.

The default cache is ``build/kselftests`` next to ``build/guests`` (where :mod:`toolchain.build` puts
the guests).  Variants: ``musl`` (``zig cc``, from PyPI's ziglang, the default) and ``glibc`` (the host
gcc).  All eight tests build with both; ``ptrace_syscall`` needs ``-fomit-frame-pointer`` with zig, and
``seccomp_bpf`` two defines for musl (see :data:`TESTS`).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import io
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .build import OUT_ROOT, ZIG_TARGET, BuildError, _compiler_version, elf_info, gcc_path

PACKAGE = "linux-source-6.12"
#: The source tarball inside the .deb, and the directory every path inside that tarball starts with.
TARBALL = f"./usr/src/{PACKAGE}.tar.xz"
TOPDIR = PACKAGE

DEFAULT_CACHE = OUT_ROOT.parent / "kselftests"
VARIANTS: tuple[str, ...] = ("musl", "glibc")

#: Bump when the layout of the cache or the way things are built changes: every stamp then misses.
BUILDER_VERSION = "1"

SELFTESTS = "tools/testing/selftests"
#: Paths (files, or directories ending in "/") unpacked for the tests themselves.
SELFTEST_PARTS: tuple[str, ...] = (
    "Makefile",
    f"{SELFTESTS}/kselftest.h",
    f"{SELFTESTS}/kselftest_harness.h",
    f"{SELFTESTS}/lib.mk",
    f"{SELFTESTS}/ptrace/",
    f"{SELFTESTS}/x86/",
    f"{SELFTESTS}/seccomp/",
    f"{SELFTESTS}/clone3/clone3_selftests.h",
)
#: Paths unpacked to make the uapi headers (``make headers_install``'s inputs for x86).
HEADER_PARTS: tuple[str, ...] = (
    "include/uapi/",
    "arch/x86/include/uapi/",
    "arch/x86/entry/syscalls/syscall_64.tbl",
)

# The flags of tools/testing/selftests/lib.mk and of each directory's Makefile (6.12), minus the header
# path, which is added per build.  lib.mk appends -D_GNU_SOURCE= to every CFLAGS.
_PTRACE_FLAGS = ("-std=c99", "-pthread", "-Wall", "-D_GNU_SOURCE=")
# x86/Makefile: CAN_BUILD_64 always; CAN_BUILD_32 only where the compiler can build i386 programs, which
# we do not ask for (emukernel runs x86-64 code only), so single_step_syscall_64 leaves out its int80
# case, as the Makefile does on a host without a 32-bit toolchain.  -no-pie as there (a static ET_EXEC).
_X86_FLAGS = ("-O2", "-g", "-std=gnu99", "-pthread", "-Wall", "-no-pie", "-D_GNU_SOURCE=", "-DCAN_BUILD_64",
              "-m64")
_X86_LIBS = ("-lrt", "-ldl")
# seccomp/Makefile: CFLAGS += -Wl,-no-as-needed -Wall; LDFLAGS += -lpthread (which lib.mk's link rule puts
# before the source); LDLIBS += -lcap (after it).  No -O: the Makefile builds these at -O0.  GNU ld reads
# the Makefile's -no-as-needed as --no-as-needed; zig cc's driver knows only that spelling, so we use it
# (a static link has no DT_NEEDED entries for it to affect anyway).
_SECCOMP_FLAGS = ("-Wl,--no-as-needed", "-Wall", "-D_GNU_SOURCE=", "-lpthread")
_SECCOMP_LIBS = ("-lcap",)


@dataclass(frozen=True)
class Test:
    """One selftest program: its source (relative to tools/testing/selftests) and how it is compiled."""

    name: str  #: the binary's name, as the selftests' Makefiles name it
    source: str
    flags: tuple[str, ...]
    libs: tuple[str, ...] = ()
    #: extra flags for zig cc only, with the reason
    zig_flags: tuple[str, ...] = ()
    #: files (relative to tools/testing/selftests) besides the source that the build reads
    deps: tuple[str, ...] = ("kselftest.h", "kselftest_harness.h")
    #: our stand-ins (names in :data:`SHIMS`) for libraries the Makefile links that we do not have
    shims: tuple[str, ...] = ()
    notes: str = ""


TESTS: tuple[Test, ...] = (
    Test("get_syscall_info", "ptrace/get_syscall_info.c", _PTRACE_FLAGS),
    Test("peeksiginfo", "ptrace/peeksiginfo.c", _PTRACE_FLAGS),
    Test("vmaccess", "ptrace/vmaccess.c", _PTRACE_FLAGS),
    Test("get_set_sud", "ptrace/get_set_sud.c", _PTRACE_FLAGS),
    # Not in 6.12 (it came later); built when a newer source package has it.
    Test("set_syscall_info", "ptrace/set_syscall_info.c", _PTRACE_FLAGS),
    # do_full_int80 binds a variable to %rbp, which clang refuses while it keeps a frame pointer (zig cc
    # does, even at -O2): "Interference usage of base pointer/frame pointer".  gcc omits the frame
    # pointer at -O2; -fomit-frame-pointer asks clang for the same.
    Test("ptrace_syscall_64", "x86/ptrace_syscall.c", _X86_FLAGS, _X86_LIBS, ("-fomit-frame-pointer",),
         ("x86/helpers.h",)),
    Test("single_step_syscall_64", "x86/single_step_syscall.c", _X86_FLAGS, _X86_LIBS, (),
         ("x86/helpers.h",)),
    # seccomp_bpf.c tests `#if !__GLIBC_PREREQ(2, 26)` to decide whether the C library's siginfo_t has
    # the SIGSYS fields; musl's has them but musl defines no __GLIBC_PREREQ, which clang then rejects in
    # #if.  Defining it true takes the branch for a C library that has them, as with any recent glibc.
    # It includes <sys/capability.h> unconditionally and calls libcap: see SHIMS["libcap"].
    Test("seccomp_bpf", "seccomp/seccomp_bpf.c", _SECCOMP_FLAGS, _SECCOMP_LIBS,
         ("-D__GLIBC_PREREQ(major,minor)=1", "-D_LINUX_PRCTL_H"),
         ("kselftest.h", "kselftest_harness.h", "clone3/clone3_selftests.h"), shims=("libcap",)),
    Test("seccomp_benchmark", "seccomp/seccomp_benchmark.c", _SECCOMP_FLAGS, _SECCOMP_LIBS,
         deps=("kselftest.h",), shims=("libcap",)),
)


@dataclass(frozen=True)
class Shim:
    """A small library of our own that stands in for one a Makefile links (``-l<name>``).

    Built per variant into ``<cache>/shims/<variant>/lib<name>.a``, its header under
    ``<cache>/shims/include``; the tests that use it get ``-I`` and ``-L`` for those, so their link line
    keeps the Makefile's ``-l<name>``.
    """

    name: str  #: the library's name, as in -l<name>
    headers: dict[str, str]  #: path under include/ -> text
    source: str  #: one C file
    why: str = ""


# seccomp_bpf uses five libcap calls, all about the calling thread's own capabilities: read them
# (cap_get_proc), test one flag (cap_get_flag), clear one (cap_set_flag), install them (cap_set_proc) and
# free (cap_free).  Neither the host nor zig's musl has libcap's headers or a static libcap, and the test
# has no fallback without it, so this is the least that does those five things, with capget/capset and
# the 64-bit (version 3) capability sets.
_CAP_HEADER = """\
/* A minimal <sys/capability.h>: the part of libcap's interface the kernel's seccomp selftests use. */
#ifndef EMUKERNEL_SHIM_SYS_CAPABILITY_H
#define EMUKERNEL_SHIM_SYS_CAPABILITY_H

#include <linux/capability.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct emukernel_cap_state *cap_t;  /* the three sets of one thread */
typedef int cap_value_t;                     /* a capability number, CAP_CHOWN ... */
typedef enum { CAP_EFFECTIVE = 0, CAP_PERMITTED = 1, CAP_INHERITABLE = 2 } cap_flag_t;
typedef enum { CAP_CLEAR = 0, CAP_SET = 1 } cap_flag_value_t;

cap_t cap_init(void);
cap_t cap_get_proc(void);
int cap_set_proc(cap_t caps);
int cap_get_flag(cap_t caps, cap_value_t cap, cap_flag_t set, cap_flag_value_t *value);
int cap_set_flag(cap_t caps, cap_flag_t set, int n, const cap_value_t *list, cap_flag_value_t value);
int cap_clear(cap_t caps);
int cap_free(void *obj);

#ifdef __cplusplus
}
#endif

#endif
"""

_CAP_SOURCE = """\
/* The libcap calls of <sys/capability.h> (our minimal one), on capget(2) and capset(2). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/capability.h>

/* Version 3 sets are two 32-bit words each: capability n is bit n % 32 of word n / 32. */
#define WORDS _LINUX_CAPABILITY_U32S_3

struct emukernel_cap_state {
    struct __user_cap_data_struct data[WORDS];
};

static int bad_flag(cap_t caps, cap_flag_t set)
{
    return caps == NULL || (set != CAP_EFFECTIVE && set != CAP_PERMITTED && set != CAP_INHERITABLE);
}

static __u32 *word(cap_t caps, cap_flag_t set, int n)
{
    struct __user_cap_data_struct *d = &caps->data[n / 32];
    return set == CAP_EFFECTIVE ? &d->effective : set == CAP_PERMITTED ? &d->permitted : &d->inheritable;
}

cap_t cap_init(void)
{
    return calloc(1, sizeof(struct emukernel_cap_state));
}

int cap_clear(cap_t caps)
{
    if (caps == NULL) {
        errno = EINVAL;
        return -1;
    }
    memset(caps, 0, sizeof(*caps));
    return 0;
}

cap_t cap_get_proc(void)
{
    struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
    cap_t caps = cap_init();
    if (caps != NULL && syscall(SYS_capget, &head, caps->data) != 0) {
        int saved = errno;
        free(caps);
        errno = saved;
        return NULL;
    }
    return caps;
}

int cap_set_proc(cap_t caps)
{
    struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
    if (caps == NULL) {
        errno = EINVAL;
        return -1;
    }
    return syscall(SYS_capset, &head, caps->data) == 0 ? 0 : -1;
}

int cap_get_flag(cap_t caps, cap_value_t cap, cap_flag_t set, cap_flag_value_t *value)
{
    if (bad_flag(caps, set) || value == NULL || cap < 0 || cap >= 32 * WORDS) {
        errno = EINVAL;
        return -1;
    }
    *value = (*word(caps, set, cap) >> (cap % 32)) & 1 ? CAP_SET : CAP_CLEAR;
    return 0;
}

int cap_set_flag(cap_t caps, cap_flag_t set, int n, const cap_value_t *list, cap_flag_value_t value)
{
    if (bad_flag(caps, set) || n < 0 || (n > 0 && list == NULL) || (value != CAP_SET && value != CAP_CLEAR)) {
        errno = EINVAL;
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (list[i] < 0 || list[i] >= 32 * WORDS) {
            errno = EINVAL;
            return -1;
        }
    for (int i = 0; i < n; i++) {
        __u32 bit = (__u32)1 << (list[i] % 32);
        __u32 *w = word(caps, set, list[i]);
        *w = value == CAP_SET ? (*w | bit) : (*w & ~bit);
    }
    return 0;
}

int cap_free(void *obj)
{
    free(obj);
    return 0;
}
"""

SHIMS: dict[str, Shim] = {
    "libcap": Shim("cap", {"sys/capability.h": _CAP_HEADER}, _CAP_SOURCE,
                   "seccomp_bpf includes <sys/capability.h> and links -lcap with no fallback"),
}

#: Our helpers for vmaccess, which runs ``execlp("true")`` and ``execlp("sleep", "2")``.
HELPERS: dict[str, str] = {
    "true": "/* true: exit 0, ignoring the arguments. */\nint main(void) { return 0; }\n",
    "sleep": (
        "/* sleep SECONDS: a whole number of seconds, then exit 0 (exit 1 on a bad argument). */\n"
        "#include <stdlib.h>\n#include <time.h>\n"
        "int main(int argc, char **argv)\n{\n"
        "    char *end;\n"
        "    long n = argc == 2 ? strtol(argv[1], &end, 10) : -1;\n"
        "    if (n < 0 || argc != 2 || *end)\n        return 1;\n"
        "    struct timespec ts = { n, 0 };\n"
        "    while (nanosleep(&ts, &ts) != 0)\n        ;\n"
        "    return 0;\n}\n"
    ),
}


class KselftestsUnavailable(RuntimeError):
    """The source package cannot be had (no apt-get, no network, no such package)."""


@dataclass
class Outcome:
    """What :func:`build_all` did."""

    cache: Path
    variant: str
    version: str = ""  #: the kernel version of the source package, e.g. "6.12.118"
    deb: Path | None = None
    downloaded_bytes: int = 0  #: size of the .deb fetched by this run (0 when it was cached)
    extracted: bool = False  #: this run unpacked the sources
    headers_installed: bool = False  #: this run installed the headers
    built: dict[str, Path] = field(default_factory=dict)  #: compiled by this run
    cached: dict[str, Path] = field(default_factory=dict)  #: already up to date
    failed: dict[str, str] = field(default_factory=dict)  #: name -> why it was skipped
    helpers: dict[str, Path] = field(default_factory=dict)  #: true and sleep, for vmaccess
    helpers_built: bool = False  #: this run compiled a helper
    shims_built: bool = False  #: this run compiled a library stand-in (see SHIMS)
    seconds: float = 0.0

    @property
    def binaries(self) -> dict[str, Path]:
        """Every test binary available after the run, by name."""
        return {**self.cached, **self.built}

    @property
    def did_nothing(self) -> bool:
        return not (self.downloaded_bytes or self.extracted or self.headers_installed or self.built
                    or self.helpers_built or self.shims_built)


# --------------------------------------------------------------------------- download


def _run(cmd: Sequence[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError) as exc:
        raise KselftestsUnavailable(f"cannot run {' '.join(cmd)}: {exc}") from exc


def find_deb(cache: Path) -> Path | None:
    """The newest cached linux-source-6.12 .deb, if any."""
    debs = sorted((cache / "deb").glob(f"{PACKAGE}_*.deb"))
    return debs[-1] if debs else None


def download(cache: Path) -> Path:
    """Fetch the source package with ``apt-get download`` (and ``apt-get update`` if that fails)."""
    if shutil.which("apt-get") is None:
        raise KselftestsUnavailable(f"apt-get is not installed: cannot download {PACKAGE}")
    debdir = cache / "deb"
    debdir.mkdir(parents=True, exist_ok=True)
    work = debdir / f".download{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    # apt drops to the _apt user to download; let it write here (else it warns and downloads as root)
    os.chmod(work, 0o777)
    try:
        proc = _run(["apt-get", "download", PACKAGE], work, 1800)
        if proc.returncode != 0:
            update = _run(["apt-get", "update"], work, 600)
            proc = _run(["apt-get", "download", PACKAGE], work, 1800)
            if proc.returncode != 0:
                raise KselftestsUnavailable(
                    f"apt-get download {PACKAGE} failed (exit {proc.returncode}), also after apt-get update "
                    f"(exit {update.returncode}):\n{proc.stderr.strip()}\n{update.stderr.strip()}"
                )
        got = sorted(work.glob(f"{PACKAGE}_*.deb"))
        if not got:
            raise KselftestsUnavailable(f"apt-get download {PACKAGE} left no .deb:\n{proc.stdout}{proc.stderr}")
        dest = debdir / got[-1].name
        os.replace(got[-1], dest)
        return dest
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- unpacking


def _ar_members(f: IO[bytes]) -> Iterator[tuple[str, int]]:
    """Walk a Unix ar archive (a .deb): yield (name, size) with ``f`` positioned at the member's data."""
    if f.read(8) != b"!<arch>\n":
        raise KselftestsUnavailable("not a .deb (no ar header)")
    while True:
        header = f.read(60)
        if len(header) < 60:
            return
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        start = f.tell()
        yield name, size
        f.seek(start + size + (size & 1))


class _Window(io.RawIOBase):
    """A read-only view of ``size`` bytes of ``f`` from its current position."""

    def __init__(self, f: IO[bytes], size: int) -> None:
        self._f, self._left = f, size

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(b), self._left)
        data = self._f.read(n)
        b[: len(data)] = data
        self._left -= len(data)
        return len(data)


def _wanted(rel: str, parts: Sequence[str]) -> bool:
    return any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in parts)


def _decompressor_mode(member: str) -> str:
    for ext, mode in ((".xz", "r|xz"), (".gz", "r|gz"), (".bz2", "r|bz2"), (".tar", "r|")):
        if member.endswith(ext):
            return mode
    raise KselftestsUnavailable(f"unsupported data member {member} in the .deb (zstd?)")


def extract(deb: Path, dest: Path, parts: Sequence[str]) -> int:
    """Unpack the regular files under ``parts`` from the kernel tarball inside ``deb`` into ``dest``.

    Both archives are streamed; only the wanted files are written.  Returns how many were.
    """
    count = 0
    with open(deb, "rb") as f:
        for name, size in _ar_members(f):
            if not name.startswith("data.tar"):
                continue
            with tarfile.open(fileobj=io.BufferedReader(_Window(f, size)), mode=_decompressor_mode(name)) as data:
                for m in data:
                    if m.name != TARBALL:
                        continue
                    inner = data.extractfile(m)
                    assert inner is not None
                    with tarfile.open(fileobj=lzma.LZMAFile(inner), mode="r|") as src:
                        for e in src:
                            top, _, rel = e.name.partition("/")
                            if top != TOPDIR or not e.isfile() or not _wanted(rel, parts) or ".." in rel:
                                continue
                            out = dest / rel
                            out.parent.mkdir(parents=True, exist_ok=True)
                            body = src.extractfile(e)
                            assert body is not None
                            with open(out, "wb") as w:
                                shutil.copyfileobj(body, w)
                            count += 1
                    return count
    raise KselftestsUnavailable(f"{deb} holds no {TARBALL}")


def kernel_version(src: Path) -> str:
    """VERSION.PATCHLEVEL.SUBLEVEL from the top Makefile."""
    fields = dict(re.findall(r"^(VERSION|PATCHLEVEL|SUBLEVEL) = (\d+)", (src / "Makefile").read_text(), re.M))
    return ".".join(fields.get(k, "?") for k in ("VERSION", "PATCHLEVEL", "SUBLEVEL"))


# --------------------------------------------------------------------------- headers


_ANNOTATION = re.compile(r"([\s(])(__user|__force|__iomem)\s")
_ATTR_CONST = re.compile(r"__attribute_const__(\s|$)", re.M)
_COMPILER_INCLUDE = re.compile(r"^#include <linux/compiler(_types)?\.h>", re.M)
_PACKED = re.compile(r"(^|[^a-zA-Z0-9])__packed([^a-zA-Z0-9_]|$)", re.M)
_KEYWORD = re.compile(r"(^|[\s(])(inline|asm|volatile)([\s(]|$)", re.M)
_UAPI_GUARD = re.compile(r"#(ifndef|define|endif\s*/[*])\s*_UAPI", re.M)
_COND = re.compile(r"^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b\s*(\S*)")
# What headers_install resolves: __KERNEL__ is undefined, __EXPORTED_HEADERS__ defined.
_KNOWN = {"__KERNEL__": False, "__EXPORTED_HEADERS__": True}


def _drop_known_conditionals(text: str) -> str:
    """Resolve ``#ifdef``/``#ifndef`` blocks on the symbols of _KNOWN, keeping every other conditional.

    (A smaller cousin of unifdef: other forms that mention those symbols are left to the preprocessor,
    which gives them the same meaning since a user program defines neither.)
    """
    out: list[str] = []
    # one entry per open conditional: None for one we keep, else [keep-this-branch, seen-else]
    stack: list[list[bool] | None] = []
    for line in text.splitlines(keepends=True):
        m = _COND.match(line)
        live = all(s is None or s[0] for s in stack)
        if m:
            kw, sym = m.groups()
            if kw in ("ifdef", "ifndef"):
                if sym in _KNOWN:
                    stack.append([_KNOWN[sym] == (kw == "ifdef")])
                    continue
                stack.append(None)
            elif kw == "if":
                stack.append(None)
            elif kw in ("else", "elif") and stack and stack[-1] is not None:
                if kw == "elif":
                    raise ValueError(f"#elif after #ifdef {sym}: not handled")
                top = stack[-1]
                stack[-1] = [not top[0]]
                continue
            elif kw == "endif" and stack:
                if stack.pop() is not None:
                    continue
        if live:
            out.append(line)
    return "".join(out)


def sanitize_header(text: str) -> str:
    """What ``scripts/headers_install.sh`` does to one uapi header, written anew for this builder."""
    text = _ANNOTATION.sub(r"\1", text)
    text = _ATTR_CONST.sub(r"\1", text)
    text = _COMPILER_INCLUDE.sub("", text)
    text = _PACKED.sub(r"\1__attribute__((packed))\2", text)
    text = _KEYWORD.sub(r"\1__\2__\3", text)
    text = _UAPI_GUARD.sub(r"#\1 ", text)
    return _drop_known_conditionals(text)


def _unistd_64(table: str) -> str:
    """asm/unistd_64.h from arch/x86/entry/syscalls/syscall_64.tbl (the common and 64 ABIs)."""
    lines = ["#ifndef _ASM_UNISTD_64_H", "#define _ASM_UNISTD_64_H", ""]
    for row in table.splitlines():
        cols = row.split()
        if not cols or cols[0].startswith("#") or cols[1] not in ("common", "64"):
            continue
        lines.append(f"#define __NR_{cols[2]} {cols[0]}")
    lines += ["", "#endif /* _ASM_UNISTD_64_H */", ""]
    return "\n".join(lines)


def install_headers(src: Path, dest: Path) -> int:
    """Lay out ``dest`` (a usr/include) from the unpacked uapi sources; returns the number of headers."""
    tmp = dest.with_name(dest.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    count = 0
    # generic first, then x86's, which replace any generic header of the same name
    for base in (src / "include" / "uapi", src / "arch" / "x86" / "include" / "uapi"):
        for h in sorted(base.rglob("*.h")):
            out = tmp / h.relative_to(base)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(sanitize_header(h.read_text(errors="surrogateescape")), errors="surrogateescape")
            count += 1
    # asm/ headers every architecture must have; x86 lacks some and gets asm-generic's
    kbuild = (src / "include" / "uapi" / "asm-generic" / "Kbuild").read_text()
    asm = tmp / "asm"
    for name in re.findall(r"^mandatory-y \+= (\S+)", kbuild, re.M):
        if not (asm / name).exists():
            (asm / name).write_text(f"#include <asm-generic/{name}>\n")
            count += 1
    table = (src / "arch" / "x86" / "entry" / "syscalls" / "syscall_64.tbl").read_text()
    (asm / "unistd_64.h").write_text(_unistd_64(table))
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return count + 1


# --------------------------------------------------------------------------- compiling


def compile_command(test: Test, source: Path, output: Path, include: Path, variant: str,
                    shims: Path | None = None) -> list[str]:
    """The full command line that builds one selftest (``shims``: the cache's shims/, for test.shims)."""
    # The Makefiles say -isystem usr/include, which gcc searches before its own directories.  zig cc puts
    # its libc's directories (with its own, newer, kernel headers) ahead of any -isystem, so 6.12's would
    # go unused; -I comes first.  usr/include holds only linux/, asm/... subdirectories, which musl's
    # headers do not have, so nothing of the C library is shadowed.
    if variant == "musl":
        head = [sys.executable, "-m", "ziglang", "cc", "-target", ZIG_TARGET, "-static", *test.zig_flags]
        inc = ["-I", str(include)]
    elif variant == "glibc":
        if gcc_path() is None:
            raise BuildError("the glibc variant needs gcc, which is not installed")
        head = ["gcc", "-static"]
        inc = ["-isystem", str(include)]
    else:
        raise BuildError(f"unknown variant {variant!r} (known: {', '.join(VARIANTS)})")
    if test.shims:
        if shims is None:
            raise BuildError(f"{test.name} needs the shims {', '.join(test.shims)}: no shims directory given")
        inc += ["-I", str(shims / "include"), "-L", str(shims / variant)]
    return [*head, *test.flags, *inc, str(source), "-o", str(output), *test.libs]


def _shim_commands(shim: Shim, source: Path, obj: Path, archive: Path, include: Path,
                   variant: str) -> list[list[str]]:
    """Compile a shim's source and archive it as lib<name>.a (against the same uapi headers)."""
    if variant == "musl":
        cc = [sys.executable, "-m", "ziglang", "cc", "-target", ZIG_TARGET, "-I", str(include)]
        ar = [sys.executable, "-m", "ziglang", "ar"]
    else:
        cc = ["gcc", "-isystem", str(include)]
        ar = ["ar"]
    return [[*cc, "-std=gnu99", "-O2", "-Wall", "-I", str(source.parent / "include"), "-c", str(source),
             "-o", str(obj)],
            [*ar, "rcsD", str(archive), str(obj)]]


def build_shim(shim: Shim, shims: Path, include: Path, variant: str, compiler: str, force: bool) -> bool:
    """Write a shim's files under ``shims`` and build ``shims/<variant>/lib<name>.a``; True if it did.

    Raises BuildError when it does not compile.
    """
    src = shims / f"lib{shim.name}.c"
    texts = [(f"include/{rel}", text) for rel, text in sorted(shim.headers.items())] + [(src.name, shim.source)]
    for rel, text in texts:
        path = shims / rel
        if not path.is_file() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    outdir = shims / variant
    outdir.mkdir(parents=True, exist_ok=True)
    archive = outdir / f"lib{shim.name}.a"
    obj = outdir / f".lib{shim.name}.o.tmp{os.getpid()}"
    tmp = outdir / f".lib{shim.name}.a.tmp{os.getpid()}"
    cmds = _shim_commands(shim, src, obj, archive, include, variant)
    key = _digest(("builder", BUILDER_VERSION.encode()), *((rel, text.encode()) for rel, text in texts),
                  ("commands", "\0".join(c for cmd in cmds for c in cmd).replace(str(obj), "OBJ").encode()),
                  ("headers", (include.parent.parent / "usr.stamp").read_bytes()),
                  ("compiler", compiler.encode()))
    if not force and _fresh(archive, key):
        return False
    tmp.unlink(missing_ok=True)
    try:
        for cmd in cmds:
            cmd = [str(tmp) if c == str(archive) else c for c in cmd]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=shims, timeout=600)
            except (OSError, subprocess.SubprocessError) as exc:
                raise BuildError(f"cannot build lib{shim.name}.a: {exc}", command=cmd) from exc
            if proc.returncode != 0:
                raise BuildError(f"building lib{shim.name}.a failed (exit {proc.returncode})", command=cmd,
                                 stderr=proc.stderr + proc.stdout)
        stamp = archive.with_name(archive.name + ".stamp")
        stamp.unlink(missing_ok=True)
        os.replace(tmp, archive)
        stamp.write_text(key + "\n")
    finally:
        obj.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return True


def _helper_command(source: Path, output: Path, variant: str) -> list[str]:
    head = ([sys.executable, "-m", "ziglang", "cc", "-target", ZIG_TARGET] if variant == "musl"
            else ["gcc"])
    return [*head, "-static", "-O2", "-s", str(source), "-o", str(output)]


def _digest(*items: tuple[str, bytes]) -> str:
    h = hashlib.sha256()
    for label, data in items:
        h.update(f"{label}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def _compile(cmd: list[str], out: Path, key: str, cwd: Path) -> str:
    """Run ``cmd`` (whose -o is ``out``) via a temporary file; check the ELF; write the stamp.

    Returns the compiler's messages; raises BuildError when it fails or the result is not static.
    """
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    cmd = [str(tmp) if c == str(out) else c for c in cmd]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=600)
    except (OSError, subprocess.SubprocessError) as exc:
        tmp.unlink(missing_ok=True)
        raise BuildError(f"cannot run the compiler: {exc}", command=cmd) from exc
    if proc.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise BuildError(f"building {out.name} failed (exit {proc.returncode})", command=cmd,
                         stderr=proc.stderr + proc.stdout)
    info = elf_info(tmp)
    if info.machine != 62 or info.has_interp or info.e_type != 2:
        tmp.unlink(missing_ok=True)
        raise BuildError(f"{out.name}: not a static x86-64 ET_EXEC ({info})", command=cmd)
    stamp = out.with_name(out.name + ".stamp")
    stamp.unlink(missing_ok=True)
    os.replace(tmp, out)
    stamp.write_text(key + "\n")
    return (proc.stderr + proc.stdout).strip()


def _fresh(out: Path, key: str) -> bool:
    stamp = out.with_name(out.name + ".stamp")
    try:
        return out.is_file() and stamp.read_text().strip() == key
    except OSError:
        return False


# --------------------------------------------------------------------------- the whole thing


def _log(quiet: bool, msg: str) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def build_all(cache: Path | str = DEFAULT_CACHE, variant: str = "musl", *, deb: Path | str | None = None,
              force: bool = False, quiet: bool = True) -> Outcome:
    """Download, unpack, install headers and compile, each step only when its output is stale.

    Raises KselftestsUnavailable when the source package cannot be had; a test that fails to compile is
    recorded in ``Outcome.failed`` instead.  Serialised across processes by a lock in the cache.
    """
    if variant not in VARIANTS:
        raise BuildError(f"unknown variant {variant!r} (known: {', '.join(VARIANTS)})")
    t0 = time.monotonic()
    cache = Path(cache).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    result = Outcome(cache, variant)
    with open(cache / ".lock", "w") as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)
        # 1. the package
        if deb is not None:
            # kept in the cache, so that later runs without --deb find it
            result.deb = cache / "deb" / Path(deb).name
            if not result.deb.is_file():
                result.deb.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(deb, result.deb.with_suffix(".part"))
                os.replace(result.deb.with_suffix(".part"), result.deb)
        else:
            result.deb = find_deb(cache)
            if result.deb is None:
                _log(quiet, f"downloading {PACKAGE} with apt-get ...")
                result.deb = download(cache)
                result.downloaded_bytes = result.deb.stat().st_size
                _log(quiet, f"downloaded {result.deb.name} ({result.downloaded_bytes / 1e6:.1f} MB)")
        # 2. the sources
        src = cache / "src"
        parts = SELFTEST_PARTS + HEADER_PARTS
        src_key = json.dumps({"builder": BUILDER_VERSION, "deb": result.deb.name, "parts": parts})
        src_stamp = cache / "src.stamp"
        if force or not src_stamp.is_file() or src_stamp.read_text() != src_key:
            _log(quiet, f"unpacking the selftests and uapi headers from {result.deb.name} ...")
            src_stamp.unlink(missing_ok=True)
            shutil.rmtree(src, ignore_errors=True)
            n = extract(result.deb, src, parts)
            if not (src / SELFTESTS / "kselftest_harness.h").is_file():
                raise KselftestsUnavailable(f"{result.deb.name} holds no {SELFTESTS}/kselftest_harness.h")
            src_stamp.write_text(src_key)
            result.extracted = True
            _log(quiet, f"unpacked {n} files")
        result.version = kernel_version(src)
        # 3. the headers
        include = cache / "usr" / "include"
        hdr_stamp = cache / "usr.stamp"
        if force or result.extracted or not hdr_stamp.is_file() or hdr_stamp.read_text() != src_key:
            hdr_stamp.unlink(missing_ok=True)
            n = install_headers(src, include)
            hdr_stamp.write_text(src_key)
            result.headers_installed = True
            _log(quiet, f"installed {n} uapi headers in {include}")
        # 4. the tests
        compiler = _compiler_version("zig" if variant == "musl" else "gcc")
        outdir = cache / "bin" / variant
        outdir.mkdir(parents=True, exist_ok=True)
        selftests = src / SELFTESTS
        shims = cache / "shims"
        broken_shims: dict[str, str] = {}
        for name in dict.fromkeys(n for t in TESTS for n in t.shims):
            try:
                if build_shim(SHIMS[name], shims, include, variant, compiler, force):
                    result.shims_built = True
                    _log(quiet, f"built {variant}/lib{SHIMS[name].name}.a ({name} stand-in)")
            except BuildError as exc:
                broken_shims[name] = str(exc)
                _log(quiet, f"cannot build the {name} stand-in: {exc}")
        for test in TESTS:
            source = selftests / test.source
            if not source.is_file():
                result.failed[test.name] = f"{SELFTESTS}/{test.source} is not in {result.deb.name}"
                continue
            if broken := [n for n in test.shims if n in broken_shims]:
                result.failed[test.name] = f"our {broken[0]} stand-in did not build: {broken_shims[broken[0]]}"
                continue
            out = outdir / test.name
            cmd = compile_command(test, source, out, include, variant, shims)
            key = _digest(("builder", BUILDER_VERSION.encode()), ("headers", src_key.encode()),
                          ("source", source.read_bytes()),
                          *((f"dep:{d}", (selftests / d).read_bytes()) for d in test.deps),
                          *((f"shim:{n}", (shims / variant / f"lib{SHIMS[n].name}.a.stamp").read_bytes())
                            for n in test.shims),
                          ("command", "\0".join(cmd).encode()), ("compiler", compiler.encode()))
            if not force and _fresh(out, key):
                result.cached[test.name] = out
                continue
            try:
                messages = _compile(cmd, out, key, selftests / Path(test.source).parent)
            except BuildError as exc:
                result.failed[test.name] = str(exc)
                _log(quiet, f"cannot build {test.name}: {exc}")
                continue
            result.built[test.name] = out
            _log(quiet, f"built {variant}/{test.name}" + (f"\n  {messages}" if messages else ""))
        # 5. the helpers
        hdir = outdir / "helpers"
        hsrc = cache / "helpers-src"
        hdir.mkdir(exist_ok=True)
        hsrc.mkdir(exist_ok=True)
        for name, text in HELPERS.items():
            source = hsrc / f"{name}.c"
            if not source.is_file() or source.read_text() != text:
                source.write_text(text)
            out = hdir / name
            cmd = _helper_command(source, out, variant)
            key = _digest(("source", text.encode()), ("command", "\0".join(cmd).encode()),
                          ("compiler", compiler.encode()))
            if force or not _fresh(out, key):
                _compile(cmd, out, key, hsrc)
                result.helpers_built = True
            result.helpers[name] = out
    result.seconds = time.monotonic() - t0
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m toolchain.kselftests", description=__doc__.split("\n")[0])
    p.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help=f"default: {DEFAULT_CACHE}")
    p.add_argument("--variant", choices=VARIANTS, default="musl", help="musl (zig cc, default) or glibc (gcc)")
    p.add_argument("--deb", type=Path, help=f"use this {PACKAGE} .deb instead of downloading one")
    p.add_argument("--force", action="store_true", help="unpack and rebuild even when the cache is fresh")
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    args = p.parse_args(argv)
    try:
        r = build_all(args.cache_dir, args.variant, deb=args.deb, force=args.force, quiet=args.quiet)
    except (KselftestsUnavailable, BuildError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{PACKAGE} {r.version} ({r.deb.name if r.deb else '?'}), {r.variant}, in {r.cache}")
    if r.downloaded_bytes:
        print(f"downloaded {r.downloaded_bytes} bytes")
    for name, path in sorted(r.binaries.items()):
        print(f"{'built ' if name in r.built else 'cached'} {path}")
    for name, why in sorted(r.failed.items()):
        print(f"skipped {name}: {why.splitlines()[0]}")
    if r.did_nothing:
        print(f"nothing to do: all up to date ({r.seconds:.1f}s)")
    else:
        print(f"done in {r.seconds:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
