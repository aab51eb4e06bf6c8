"""utime, utimes, futimesat and utimensat (Linux fs/utimes.c)."""

from __future__ import annotations

import struct
from typing import Any

from ..abi import errno as E
from ..abi.fcntl import AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW
from ..errors import Errno
from . import s32
from .file import _fdget
from .namei import _path, _vfs, getname
from .table import syscall

UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2
_TIMESPEC2 = struct.Struct("<qqqq")
_TIMEVAL2 = struct.Struct("<qqqq")
_UTIMBUF = struct.Struct("<qq")


def _do_utimes(task: Any, dfd: int, filename: int, times: list[tuple[int, int]] | None, flags: int) -> int:
    # Linux: fs/utimes.c do_utimes
    dfd = s32(dfd)
    if filename == 0 and dfd != AT_FDCWD:
        if flags:
            raise Errno(E.EINVAL)
        f = _fdget(task, dfd)
        if f.path is None:
            raise Errno(E.EPERM)  # a host stdio stream: its times are the host's
        path = f.path
    else:
        if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
            raise Errno(E.EINVAL)
        empty = bool(flags & AT_EMPTY_PATH)
        name = getname(task, filename, empty)
        path = _path(task, dfd, name, follow=not flags & AT_SYMLINK_NOFOLLOW, empty_ok=empty)
    _vfs(task).utimes(task.creds, path, times)
    return 0


@syscall("utimensat", "atfd", "path", "p", "atflags")
def sys_utimensat(task: Any, dfd: int, filename: int, utimes: int, flags: int) -> int:
    times = None
    if utimes:
        a, an, m, mn = _TIMESPEC2.unpack(task.mm.read(utimes, _TIMESPEC2.size))
        if an == UTIME_OMIT and mn == UTIME_OMIT:
            return 0  # nothing to do: the name is not even looked at
        times = [(a, an), (m, mn)]
    return _do_utimes(task, dfd, filename, times, s32(flags))


def _futimesat(task: Any, dfd: int, filename: int, utimes: int) -> int:
    # Linux: fs/utimes.c do_futimesat: microseconds, UTIME_NOW/UTIME_OMIT are not special here
    times = None
    if utimes:
        a, au, m, mu = _TIMEVAL2.unpack(task.mm.read(utimes, _TIMEVAL2.size))
        if not (0 <= au < 1_000_000 and 0 <= mu < 1_000_000):
            raise Errno(E.EINVAL)
        times = [(a, au * 1000), (m, mu * 1000)]
    return _do_utimes(task, dfd, filename, times, 0)


@syscall("futimesat", "atfd", "path", "p")
def sys_futimesat(task: Any, dfd: int, filename: int, utimes: int) -> int:
    return _futimesat(task, dfd, filename, utimes)


@syscall("utimes", "path", "p")
def sys_utimes(task: Any, filename: int, utimes: int) -> int:
    return _futimesat(task, AT_FDCWD, filename, utimes)


@syscall("utime", "path", "p")
def sys_utime(task: Any, filename: int, times: int) -> int:
    tv = None
    if times:
        a, m = _UTIMBUF.unpack(task.mm.read(times, _UTIMBUF.size))
        tv = [(a, 0), (m, 0)]
    return _do_utimes(task, AT_FDCWD, filename, tv, 0)
