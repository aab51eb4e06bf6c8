"""eventfd, eventfd2, signalfd, signalfd4 (Linux fs/eventfd.c, fs/signalfd.c)."""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi.resource import RLIMIT_NOFILE
from ..errors import Errno
from ..fs.eventfd import EFD_CLOEXEC, EFD_FLAGS_SET, EventFd
from ..fs.signalfd import SFD_CLOEXEC, SFD_NONBLOCK, SignalFd
from ..threadgroup import task_rlimit
from . import s32
from .table import syscall

SIGSET_SIZE = 8


def do_eventfd(task: Any, count: int, flags: int) -> int:
    if flags & ~EFD_FLAGS_SET:
        raise Errno(E.EINVAL)
    f = EventFd(task.kernel, count & 0xFFFFFFFF, flags)
    return task.files.install(f, bool(flags & EFD_CLOEXEC), limit=task_rlimit(task, RLIMIT_NOFILE))


@syscall("eventfd", "u", ret="fd")
def sys_eventfd(task: Any, count: int) -> int:
    return do_eventfd(task, count, 0)


@syscall("eventfd2", "u", "x", ret="fd")
def sys_eventfd2(task: Any, count: int, flags: int) -> int:
    return do_eventfd(task, count, s32(flags))


def do_signalfd4(task: Any, ufd: int, user_mask: int, sizemask: int, flags: int) -> int:
    # Linux: fs/signalfd.c signalfd4: size, copy, flags, then create or update
    if sizemask != SIGSET_SIZE:
        raise Errno(E.EINVAL)
    mask = task.mm.read_u64(user_mask)
    if flags & ~(SFD_CLOEXEC | SFD_NONBLOCK):
        raise Errno(E.EINVAL)
    if ufd == -1:
        f = SignalFd(task.kernel, mask, flags)
        return task.files.install(f, bool(flags & SFD_CLOEXEC), limit=task_rlimit(task, RLIMIT_NOFILE))
    f = task.files.lookup(ufd) if ufd >= 0 else None
    if f is None or f.is_path:
        raise Errno(E.EBADF)
    if not isinstance(f, SignalFd):
        raise Errno(E.EINVAL)
    f.set_mask(task, mask)
    return ufd


@syscall("signalfd", "fd", "p", "u", ret="fd")
def sys_signalfd(task: Any, ufd: int, user_mask: int, sizemask: int) -> int:
    return do_signalfd4(task, s32(ufd), user_mask, sizemask, 0)


@syscall("signalfd4", "fd", "p", "u", "x", ret="fd")
def sys_signalfd4(task: Any, ufd: int, user_mask: int, sizemask: int, flags: int) -> int:
    return do_signalfd4(task, s32(ufd), user_mask, sizemask, s32(flags))
