"""Path names and the namespace operations: getname and the dirfd start of a walk, mkdir, mknod, rmdir,
unlink, rename, symlink and link (Linux fs/namei.c).
"""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi.fcntl import AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW
from ..errors import Errno
from ..fs.inode import PATH_MAX, s_isdir
from ..fs.mount import Path
from ..fs.stat import mkdev
from . import s32, u32
from .table import syscall


def getname(task: Any, addr: int, empty_ok: bool = False) -> bytes:
    """A path argument: EFAULT, ENAMETOOLONG at PATH_MAX, ENOENT for "" unless empty_ok (Linux getname)."""
    name = task.mm.read_cstring(addr, PATH_MAX)
    if not name and not empty_ok:
        raise Errno(E.ENOENT)
    return name


def _try_getname(task: Any, addr: int, empty_ok: bool = False) -> bytes | Errno:
    try:
        return getname(task, addr, empty_ok)
    except Errno as e:
        return e


def _dirpath(task: Any, dfd: int, name: bytes) -> Path | None:
    """Where a relative name starts: None for the cwd; the dirfd is not looked at for an absolute name."""
    # Linux: fs/namei.c path_init
    if name[:1] == b"/":
        return None
    dfd = s32(dfd)
    if dfd == AT_FDCWD:
        return None
    f = task.files.get(u32(dfd))
    if f.path is None:  # a host stdio file: no directory, and nothing a name could resolve to
        raise Errno(E.ENOTDIR if name else E.ENOENT)
    if name and not s_isdir(f.path.inode.mode):
        raise Errno(E.ENOTDIR)
    return f.path


def _vfs(task: Any) -> Any:
    return task.kernel.vfs


def _path(task: Any, dfd: int, name: bytes, follow: bool = True, empty_ok: bool = False) -> Path:
    return _vfs(task).lookup(task.fs, task.creds, _dirpath(task, dfd, name), name, follow=follow,
                             empty_ok=empty_ok)  # fmt: skip


@syscall("mkdir", "path", "mode")
def sys_mkdir(task: Any, pathname: int, mode: int) -> int:
    return sys_mkdirat(task, AT_FDCWD, pathname, mode)


@syscall("mkdirat", "atfd", "path", "mode")
def sys_mkdirat(task: Any, dfd: int, pathname: int, mode: int) -> int:
    name = getname(task, pathname)
    _vfs(task).mkdir(task.fs, task.creds, _dirpath(task, dfd, name), name, mode & 0xFFFF)
    return 0


@syscall("rmdir", "path")
def sys_rmdir(task: Any, pathname: int) -> int:
    name = getname(task, pathname)
    _vfs(task).rmdir(task.fs, task.creds, None, name)
    return 0


@syscall("unlink", "path")
def sys_unlink(task: Any, pathname: int) -> int:
    name = getname(task, pathname)
    _vfs(task).unlink(task.fs, task.creds, None, name)
    return 0


@syscall("unlinkat", "atfd", "path", "atflags")
def sys_unlinkat(task: Any, dfd: int, pathname: int, flags: int) -> int:
    flags = s32(flags)
    if flags & ~AT_REMOVEDIR:
        raise Errno(E.EINVAL)
    name = getname(task, pathname)
    vfs = _vfs(task)
    op = vfs.rmdir if flags & AT_REMOVEDIR else vfs.unlink
    op(task.fs, task.creds, _dirpath(task, dfd, name), name)
    return 0


def _renameat2(task: Any, olddfd: int, oldname: int, newdfd: int, newname: int, flags: int) -> int:
    # Linux: fs/namei.c do_renameat2: both names are read, the flags checked, then each name is used
    old = _try_getname(task, oldname)
    new = _try_getname(task, newname)
    vfs = _vfs(task)
    vfs.check_rename_flags(task.creds, flags)
    if isinstance(old, Errno):
        raise old
    olddir = _dirpath(task, olddfd, old)
    if isinstance(new, Errno):
        raise new
    vfs.rename(task.fs, task.creds, olddir, old, _dirpath(task, newdfd, new), new, flags)
    return 0


@syscall("rename", "path", "path")
def sys_rename(task: Any, oldname: int, newname: int) -> int:
    return _renameat2(task, AT_FDCWD, oldname, AT_FDCWD, newname, 0)


@syscall("renameat", "atfd", "path", "atfd", "path")
def sys_renameat(task: Any, olddfd: int, oldname: int, newdfd: int, newname: int) -> int:
    return _renameat2(task, olddfd, oldname, newdfd, newname, 0)


@syscall("renameat2", "atfd", "path", "atfd", "path", "x")
def sys_renameat2(task: Any, olddfd: int, oldname: int, newdfd: int, newname: int, flags: int) -> int:
    return _renameat2(task, olddfd, oldname, newdfd, newname, u32(flags))


@syscall("symlink", "path", "path")
def sys_symlink(task: Any, oldname: int, newname: int) -> int:
    return sys_symlinkat(task, oldname, AT_FDCWD, newname)


@syscall("symlinkat", "path", "atfd", "path")
def sys_symlinkat(task: Any, oldname: int, newdfd: int, newname: int) -> int:
    target = getname(task, oldname)
    name = getname(task, newname)
    _vfs(task).symlink(task.fs, task.creds, target, _dirpath(task, newdfd, name), name)
    return 0


def _linkat(task: Any, olddfd: int, oldname: int, newdfd: int, newname: int, flags: int) -> int:
    # Linux: fs/namei.c do_linkat
    old = _try_getname(task, oldname, empty_ok=bool(flags & AT_EMPTY_PATH))
    new = _try_getname(task, newname)
    if flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH):
        raise Errno(E.EINVAL)
    if isinstance(old, Errno):
        raise old
    olddir = _dirpath(task, olddfd, old)
    if isinstance(new, Errno):
        raise new
    _vfs(task).link(task.fs, task.creds, olddir, old, _dirpath(task, newdfd, new), new, flags)
    return 0


@syscall("link", "path", "path")
def sys_link(task: Any, oldname: int, newname: int) -> int:
    return _linkat(task, AT_FDCWD, oldname, AT_FDCWD, newname, 0)


@syscall("linkat", "atfd", "path", "atfd", "path", "atflags")
def sys_linkat(task: Any, olddfd: int, oldname: int, newdfd: int, newname: int, flags: int) -> int:
    return _linkat(task, olddfd, oldname, newdfd, newname, s32(flags))


def new_decode_dev(dev: int) -> int:
    """The dev_t of mknod's 32-bit argument (Linux new_decode_dev)."""
    dev &= 0xFFFFFFFF
    major = (dev & 0xFFF00) >> 8
    minor = (dev & 0xFF) | ((dev >> 12) & 0xFFF00)
    return mkdev(major, minor)


def _mknodat(task: Any, dfd: int, filename: int, mode: int, dev: int) -> int:
    # Linux: fs/namei.c do_mknodat: the type is checked before the name is used
    mode &= 0xFFFF
    name = _try_getname(task, filename)
    vfs = _vfs(task)
    vfs.may_mknod(mode)
    if isinstance(name, Errno):
        raise name
    vfs.mknod(task.fs, task.creds, _dirpath(task, dfd, name), name, mode, new_decode_dev(dev))
    return 0


@syscall("mknod", "path", "mode", "x")
def sys_mknod(task: Any, filename: int, mode: int, dev: int) -> int:
    return _mknodat(task, AT_FDCWD, filename, mode, dev)


@syscall("mknodat", "atfd", "path", "mode", "x")
def sys_mknodat(task: Any, dfd: int, filename: int, mode: int, dev: int) -> int:
    return _mknodat(task, dfd, filename, mode, dev)
