"""The syscall table: a list indexed by syscall number, filled by the @syscall decorator.

A handler is `handler(task, a0, a1, ...)` taking exactly as many integer arguments as it declares
(rdi, rsi, rdx, r10, r8, r9 in that order).  It returns the result (>= 0) or -errno as an int, may raise
`Errno`/`Fault` (turned into -errno at the boundary), or returns a non-int *action* object that the
scheduler acts on outside emulation (block, exit, exec...; see emukernel.sched).

Each argument is declared with a *kind* that the tracer uses to decode it; semantics never depend on the
kind.  Kinds:
  d signed decimal      u unsigned decimal     x hex               p pointer (NULL or hex)
  fd file descriptor    atfd dirfd (AT_FDCWD)  path NUL-terminated guest string
  buf_in  guest buffer the kernel reads, its length is the next argument (write, pwrite64)
  buf_out guest buffer the kernel fills, printed at exit with the return value as length (read)
  iov_in / iov_out      struct iovec array, count is the next argument
  oflags open flags     mode octal mode        prot PROT_*        mapflags MAP_*
  atflags AT_*          whence SEEK_*          fcntl F_* command  ioctl request
  clock clockid         sig signal number      how SIG_BLOCK...   prctl PR_* option
  arch_prctl ARCH_*     rlimit RLIMIT_*        timespec_in        struct_out (pointer, shown as address)
Return kinds: d (decimal, negative = errno), fd, x (hex address: brk, mmap), p.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..abi.syscall_numbers import NAMES, NUMBERS

NR_SYSCALLS = 512


class Syscall:
    """One table entry: the number, the name, the handler and the argument kinds for the tracer."""

    __slots__ = ("nr", "name", "handler", "args", "ret", "nargs")

    def __init__(self, nr: int, name: str, handler: Callable[..., Any], args: tuple[str, ...], ret: str):
        self.nr = nr
        self.name = name
        self.handler = handler
        self.args = args
        self.ret = ret
        self.nargs = len(args)

    def __repr__(self) -> str:
        return f"<Syscall {self.name}({self.nr})>"


TABLE: list[Syscall | None] = [None] * NR_SYSCALLS


def syscall(name: str, *args: str, ret: str = "d", nr: int | None = None) -> Callable:
    """Register the decorated function as the handler of syscall `name` with argument kinds `args`."""

    number = NUMBERS[name] if nr is None else nr

    def register(fn: Callable) -> Callable:
        if TABLE[number] is not None:
            raise RuntimeError(f"syscall {name} ({number}) registered twice")
        TABLE[number] = Syscall(number, name, fn, tuple(args), ret)
        return fn

    return register


def syscall_name(nr: int) -> str:
    """The Linux name of syscall `nr`, or `syscall_NNN` for a number Linux does not define."""
    return NAMES.get(nr, f"syscall_{nr}")
