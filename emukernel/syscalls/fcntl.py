"""fcntl, every command in one place (Linux fs/fcntl.c do_fcntl); record locks are fs/locks.c's (locks.py),
seals mm/memfd.c's (memfd.py) and pipe sizes fs/pipe.c's, as in Linux.
"""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi.fcntl import (
    F_ADD_SEALS,
    F_DUPFD,
    F_DUPFD_CLOEXEC,
    F_GET_SEALS,
    F_GETFD,
    F_GETFL,
    F_GETLK,
    F_GETPIPE_SZ,
    F_OFD_GETLK,
    F_OFD_SETLK,
    F_OFD_SETLKW,
    F_SETFD,
    F_SETFL,
    F_SETLK,
    F_SETLKW,
    F_SETPIPE_SZ,
    FD_CLOEXEC,
    O_NOATIME,
)
from ..abi.resource import RLIMIT_NOFILE
from ..errors import Errno
from ..fs.permission import inode_owner_or_capable
from ..fs.pipe import PipeFile
from ..threadgroup import task_rlimit
from . import u32, u64
from .file import _fdget_raw
from .locks import fcntl_lock
from .memfd import memfd_fcntl
from .table import syscall

_O_PATH_FCNTL = (F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL)


@syscall("fcntl", "fd", "fcntl", "x")
def sys_fcntl(task: Any, fd: int, cmd: int, arg: int) -> int:
    # Linux: fs/fcntl.c do_fcntl (with check_fcntl_cmd for O_PATH files)
    fd, cmd = u32(fd), u32(cmd)
    f = _fdget_raw(task, fd)
    if f.is_path and cmd not in _O_PATH_FCNTL:
        raise Errno(E.EBADF)
    files = task.files
    if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
        arg = u64(arg)
        limit = task_rlimit(task, RLIMIT_NOFILE)
        if arg >= limit:
            raise Errno(E.EINVAL)
        return files.dup(fd, min_fd=arg, cloexec=cmd == F_DUPFD_CLOEXEC, limit=limit)
    if cmd == F_GETFD:
        return FD_CLOEXEC if files.get_cloexec(fd) else 0
    if cmd == F_SETFD:
        files.set_cloexec(fd, bool(arg & FD_CLOEXEC))
        return 0
    if cmd == F_GETFL:
        return f.flags
    if cmd == F_SETFL:
        # Linux: fs/fcntl.c setfl
        arg = u32(arg)
        if arg & O_NOATIME and not f.flags & O_NOATIME:
            if f.inode is None or not inode_owner_or_capable(task.creds, f.inode):
                raise Errno(E.EPERM)
        f.set_status_flags(arg)
        return 0
    if cmd in (F_SETPIPE_SZ, F_GETPIPE_SZ):
        # Linux: fs/pipe.c pipe_fcntl (get_pipe_info fails with EBADF for anything but a pipe)
        if not isinstance(f, PipeFile):
            raise Errno(E.EBADF)
        return f.fcntl_pipe(cmd, arg, task.creds)
    if cmd in (F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW):
        return fcntl_lock(task, f, cmd, arg)
    if cmd in (F_ADD_SEALS, F_GET_SEALS):
        return memfd_fcntl(task, f, cmd, arg)
    raise Errno(E.EINVAL)
