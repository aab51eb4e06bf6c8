"""The fd table: fdget, RLIMIT_NOFILE, dup, dup2, dup3 and close_range (Linux fs/file.c)."""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi.fcntl import O_CLOEXEC
from ..abi.resource import RLIMIT_NOFILE
from ..errors import Errno
from ..fs.file import File
from ..threadgroup import task_rlimit
from . import s32, u32
from .table import syscall


def _fdget(task: Any, fd: int) -> File:
    """A file for I/O: EBADF for a closed fd or an O_PATH one (Linux fdget)."""
    f = task.files.get(u32(fd))
    if f.is_path:
        raise Errno(E.EBADF)
    return f


def _fdget_raw(task: Any, fd: int) -> File:
    """Any open fd, O_PATH included (Linux fdget_raw)."""
    return task.files.get(u32(fd))


@syscall("dup", "fd", ret="fd")
def sys_dup(task: Any, fd: int) -> int:
    return task.files.dup(u32(fd), limit=task_rlimit(task, RLIMIT_NOFILE))


@syscall("dup2", "fd", "fd", ret="fd")
def sys_dup2(task: Any, oldfd: int, newfd: int) -> int:
    return task.files.dup2(u32(oldfd), u32(newfd), task_rlimit(task, RLIMIT_NOFILE))


@syscall("dup3", "fd", "fd", "oflags", ret="fd")
def sys_dup3(task: Any, oldfd: int, newfd: int, flags: int) -> int:
    # Linux: fs/file.c ksys_dup3
    flags = s32(flags)
    if flags & ~O_CLOEXEC:
        raise Errno(E.EINVAL)
    oldfd, newfd = u32(oldfd), u32(newfd)
    if oldfd == newfd:
        raise Errno(E.EINVAL)
    return task.files.dup3(oldfd, newfd, bool(flags & O_CLOEXEC), task_rlimit(task, RLIMIT_NOFILE))


CLOSE_RANGE_UNSHARE = 1 << 1
CLOSE_RANGE_CLOEXEC = 1 << 2


@syscall("close_range", "fd", "fd", "x")
def sys_close_range(task: Any, fd: int, max_fd: int, flags: int) -> int:
    # Linux: fs/file.c close_range
    fd, max_fd, flags = u32(fd), u32(max_fd), u32(flags)
    if flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC):
        raise Errno(E.EINVAL)
    if fd > max_fd:
        raise Errno(E.EINVAL)
    if flags & CLOSE_RANGE_UNSHARE and task.files.users > 1:
        task.files.users -= 1
        task.files = task.files.copy()
        task.files.users = 1
    task.files.close_range(fd, max_fd, bool(flags & CLOSE_RANGE_CLOEXEC))
    return 0


def _file_mode(f: File) -> int:
    """The file type bits of an open file (what file_inode(f)->i_mode says)."""
    if f.inode is not None:
        return f.inode.mode
    try:
        return f.stat().mode
    except Errno:
        return 0
