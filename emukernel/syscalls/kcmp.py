"""kcmp (Linux kernel/kcmp.c): do two tasks share a kernel object?  0 equal, 1 or 2 an order (stable
within a run, by the objects' identities mixed with per-type cookies so that no address is revealed),
3 never (only for unorderable objects)."""

from __future__ import annotations

from ..abi import errno as E
from ..errors import Errno
from ..ptrace import PTRACE_MODE_READ_REALCREDS, ptrace_may_access
from . import s32
from .table import syscall

KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO, KCMP_SYSVSEM, KCMP_EPOLL_TFD = range(8)
_cookies: dict[int, tuple[int, int]] = {}


def kcmp_ptr(kernel, a: object, b: object, kind: int) -> int:
    """kcmp_ptr: 0 when the same object (or both absent), else 1 or 2 by an obfuscated order."""
    if a is b:
        return 0
    cookie = _cookies.get(kind)
    if cookie is None:
        raw = kernel.random_bytes(16)
        cookie = _cookies[kind] = (int.from_bytes(raw[:8], "little"), int.from_bytes(raw[8:], "little") | 1)
    mask = (1 << 64) - 1

    def key(obj: object) -> int:
        return ((id(obj) ^ cookie[0]) * cookie[1]) & mask if obj is not None else 0

    return 1 if key(a) < key(b) else 2


@syscall("kcmp", "d", "d", "d", "x", "x")
def sys_kcmp(task, pid1, pid2, kind, idx1, idx2):
    kernel = task.kernel
    t1 = kernel.find_task(task, s32(pid1))
    t2 = kernel.find_task(task, s32(pid2))
    if t1 is None or t2 is None:
        raise Errno(E.ESRCH)
    if not ptrace_may_access(task, t1, PTRACE_MODE_READ_REALCREDS) or \
            not ptrace_may_access(task, t2, PTRACE_MODE_READ_REALCREDS):
        raise Errno(E.EPERM)
    kind = s32(kind)
    if kind == KCMP_FILE:
        f1 = t1.files.lookup(idx1 & 0xFFFFFFFF) if t1.files is not None else None
        f2 = t2.files.lookup(idx2 & 0xFFFFFFFF) if t2.files is not None else None
        if f1 is None or f2 is None:
            raise Errno(E.EBADF)
        return kcmp_ptr(kernel, f1, f2, KCMP_FILE)
    if kind == KCMP_VM:
        return kcmp_ptr(kernel, t1.mm, t2.mm, KCMP_VM)
    if kind == KCMP_FILES:
        return kcmp_ptr(kernel, t1.files, t2.files, KCMP_FILES)
    if kind == KCMP_FS:
        return kcmp_ptr(kernel, t1.fs, t2.fs, KCMP_FS)
    if kind == KCMP_SIGHAND:
        return kcmp_ptr(kernel, t1.sighand, t2.sighand, KCMP_SIGHAND)
    if kind in (KCMP_IO, KCMP_SYSVSEM):
        return 0  # no task has an io_context or a System V semaphore undo list here: both absent
    if kind == KCMP_EPOLL_TFD:
        raise Errno(E.EOPNOTSUPP)  # as a kernel without the epoll target lookup answers
    raise Errno(E.EINVAL)
