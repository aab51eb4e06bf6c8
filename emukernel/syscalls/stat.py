"""stat, lstat, fstat, newfstatat, statx, readlink and readlinkat (Linux fs/stat.c)."""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi.fcntl import AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_STATX_SYNC_TYPE, AT_SYMLINK_NOFOLLOW
from ..errors import Errno
from ..fs.stat import STATX__RESERVED, Kstat, pack_stat, pack_statx
from . import s32, u32
from .file import _fdget_raw
from .namei import _dirpath, _vfs, getname
from .table import syscall


def _stat_at(task: Any, dfd: int, filename: int, flags: int, always_check: bool = False) -> Kstat:
    """The kstat newfstatat/statx report (Linux vfs_fstatat / vfs_statx)."""
    empty_ok = bool(flags & AT_EMPTY_PATH)
    name = b"" if empty_ok and filename == 0 else getname(task, filename, empty_ok)
    dfd = s32(dfd)
    if not name and dfd >= 0 and not always_check:
        return _fdget_raw(task, dfd).stat()  # Linux vfs_fstatat: a plain fstat, flags unchecked
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE):
        raise Errno(E.EINVAL)
    vfs = _vfs(task)
    if not name:
        if dfd == AT_FDCWD:
            return vfs.getattr(task.fs.cwd)
        return _fdget_raw(task, dfd).stat()
    p = vfs.lookup(task.fs, task.creds, _dirpath(task, dfd, name), name, follow=not flags & AT_SYMLINK_NOFOLLOW)
    return vfs.getattr(p)


@syscall("stat", "path", "struct_out")
def sys_stat(task: Any, filename: int, statbuf: int) -> int:
    task.mm.write(statbuf, pack_stat(_stat_at(task, AT_FDCWD, filename, 0)))
    return 0


@syscall("lstat", "path", "struct_out")
def sys_lstat(task: Any, filename: int, statbuf: int) -> int:
    task.mm.write(statbuf, pack_stat(_stat_at(task, AT_FDCWD, filename, AT_SYMLINK_NOFOLLOW)))
    return 0


@syscall("fstat", "fd", "struct_out")
def sys_fstat(task: Any, fd: int, statbuf: int) -> int:
    task.mm.write(statbuf, pack_stat(_fdget_raw(task, fd).stat()))
    return 0


@syscall("newfstatat", "atfd", "path", "struct_out", "atflags")
def sys_newfstatat(task: Any, dfd: int, filename: int, statbuf: int, flags: int) -> int:
    task.mm.write(statbuf, pack_stat(_stat_at(task, dfd, filename, s32(flags))))
    return 0


@syscall("statx", "atfd", "path", "atflags", "x", "struct_out")
def sys_statx(task: Any, dfd: int, filename: int, flags: int, mask: int, buf: int) -> int:
    # Linux: fs/stat.c do_statx
    flags = s32(flags)
    mask = u32(mask)
    if mask & STATX__RESERVED:
        raise Errno(E.EINVAL)
    if flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE:
        raise Errno(E.EINVAL)
    task.mm.write(buf, pack_statx(_stat_at(task, dfd, filename, flags, always_check=True)))
    return 0


def _readlinkat(task: Any, dfd: int, pathname: int, buf: int, bufsiz: int) -> int:
    # Linux: fs/stat.c do_readlinkat
    bufsiz = s32(bufsiz)
    if bufsiz <= 0:
        raise Errno(E.EINVAL)
    name = getname(task, pathname, empty_ok=True)
    target = _vfs(task).readlink(task.fs, task.creds, _dirpath(task, dfd, name), name)[:bufsiz]
    task.mm.write(buf, target)
    return len(target)


@syscall("readlink", "path", "buf_out", "d")
def sys_readlink(task: Any, pathname: int, buf: int, bufsiz: int) -> int:
    return _readlinkat(task, AT_FDCWD, pathname, buf, bufsiz)


@syscall("readlinkat", "atfd", "path", "buf_out", "d")
def sys_readlinkat(task: Any, dfd: int, pathname: int, buf: int, bufsiz: int) -> int:
    return _readlinkat(task, dfd, pathname, buf, bufsiz)
