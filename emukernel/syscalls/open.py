"""open, openat, openat2, creat, close, access/faccessat, chdir/fchdir/chroot, truncate/ftruncate, fallocate,
chmod and chown families (Linux fs/open.c).
"""

from __future__ import annotations

import struct
from typing import Any

from ..abi import errno as E
from ..abi.capability import CAP_SYS_CHROOT
from ..abi.fcntl import (
    AT_EMPTY_PATH,
    AT_FDCWD,
    AT_SYMLINK_NOFOLLOW,
    O_CLOEXEC,
    O_CREAT,
    O_LARGEFILE,
    O_PATH,
    O_TRUNC,
    O_WRONLY,
    S_IFBLK,
    S_IFDIR,
    S_IFIFO,
    S_IFMT,
    S_IFREG,
)
from ..abi.mman import PAGE_SIZE
from ..abi.resource import RLIMIT_NOFILE
from ..errors import Errno
from ..fs.file import File, WouldBlock
from ..fs.inode import MAX_LFS_FILESIZE, s_isreg
from ..fs.mount import Path
from ..fs.namei import RESOLVE_CACHED, RESOLVE_IN_ROOT, RESOLVE_SCOPED
from ..fs.permission import MAY_CHDIR, MAY_EXEC, capable, inode_permission
from ..fs.vfs import VALID_OPEN_FLAGS
from ..sched import Block
from ..threadgroup import task_rlimit
from . import s32, s64, u32, u64
from .file import _fdget, _fdget_raw, _file_mode
from .namei import _dirpath, _path, _vfs, getname
from .table import syscall


def _file_path(f: File) -> Path:
    """The path of an fd given to fchmod/fchown; our host stdio files have none (see report)."""
    if f.path is None:
        raise Errno(E.EPERM)
    return f.path


def do_sys_openat(task: Any, dfd: int, filename: int, flags: int, mode: int) -> int:
    # Linux: fs/open.c do_sys_openat2: flags, getname, a free fd, then the walk
    vfs = _vfs(task)
    flags = u32(flags)
    fflags, fmode, acc = vfs.build_open_flags(flags, mode & 0xFFFF)
    name = getname(task, filename)
    fd = task.files.alloc_fd(0, task_rlimit(task, RLIMIT_NOFILE))
    f = vfs.do_filp_open(task.fs, task.creds, _dirpath(task, dfd, name), name, fflags, fmode, acc)
    return finish_open(task, f, fd, bool(flags & O_CLOEXEC))


def finish_open(task: Any, f: File, fd: int, cloexec: bool) -> Any:
    """Install a newly opened file at `fd` (reserved by the caller) once its open may complete.

    A FIFO's open waits for the other side (Linux wait_for_partner, interruptible: ERESTARTSYS)."""
    try:
        f.open_wait(task)
    except WouldBlock as wb:
        if task.signal_interrupts():
            f.get().put()
            return -E.ERESTARTSYS
        return Block(wb.queue, wb.deadline, wb.what, resume=lambda: _finish_open_resumed(task, f, fd, cloexec))
    files = task.files
    if fd in files:  # another thread took the fd while this open waited
        try:
            fd = files.alloc_fd(0, task_rlimit(task, RLIMIT_NOFILE))
        except Errno:
            f.get().put()
            raise
    files.install_at(fd, f, cloexec)
    return fd


def _finish_open_resumed(task: Any, f: File, fd: int, cloexec: bool) -> Any:
    try:
        return finish_open(task, f, fd, cloexec)
    except Errno as e:
        return -e.errno


@syscall("open", "path", "oflags", "mode", ret="fd")
def sys_open(task: Any, filename: int, flags: int, mode: int) -> int:
    return do_sys_openat(task, AT_FDCWD, filename, flags, mode)


@syscall("openat", "atfd", "path", "oflags", "mode", ret="fd")
def sys_openat(task: Any, dfd: int, filename: int, flags: int, mode: int) -> int:
    return do_sys_openat(task, dfd, filename, flags, mode)


@syscall("creat", "path", "mode", ret="fd")
def sys_creat(task: Any, filename: int, mode: int) -> int:
    return do_sys_openat(task, AT_FDCWD, filename, O_CREAT | O_WRONLY | O_TRUNC, mode)


@syscall("close", "fd")
def sys_close(task: Any, fd: int) -> int:
    task.files.close(u32(fd))
    return 0


def _faccessat(task: Any, dfd: int, filename: int, mode: int, flags: int) -> int:
    vfs = _vfs(task)
    mode = s32(mode)
    vfs.check_access_args(mode, flags)
    name = getname(task, filename, bool(flags & AT_EMPTY_PATH))
    vfs.access(task.fs, task.creds, _dirpath(task, dfd, name), name, mode, flags)
    return 0


@syscall("access", "path", "d")
def sys_access(task: Any, filename: int, mode: int) -> int:
    return _faccessat(task, AT_FDCWD, filename, mode, 0)


@syscall("faccessat", "atfd", "path", "d")
def sys_faccessat(task: Any, dfd: int, filename: int, mode: int) -> int:
    return _faccessat(task, dfd, filename, mode, 0)


@syscall("faccessat2", "atfd", "path", "d", "atflags")
def sys_faccessat2(task: Any, dfd: int, filename: int, mode: int, flags: int) -> int:
    return _faccessat(task, dfd, filename, mode, s32(flags))


@syscall("chdir", "path")
def sys_chdir(task: Any, filename: int) -> int:
    name = getname(task, filename)
    vfs = _vfs(task)
    p = vfs.lookup(task.fs, task.creds, None, name, want_dir=True)
    vfs.chdir(task.fs, task.creds, p)
    return 0


@syscall("fchdir", "fd")
def sys_fchdir(task: Any, fd: int) -> int:
    f = _fdget_raw(task, fd)
    if f.path is None:
        raise Errno(E.ENOTDIR)
    _vfs(task).chdir(task.fs, task.creds, f.path)
    return 0


@syscall("truncate", "path", "d")
def sys_truncate(task: Any, pathname: int, length: int) -> int:
    # Linux: fs/open.c do_sys_truncate: EINVAL for a negative length before anything else
    length = s64(length)
    if length < 0:
        raise Errno(E.EINVAL)
    name = getname(task, pathname)
    vfs = _vfs(task)
    vfs.truncate(task.creds, vfs.lookup(task.fs, task.creds, None, name), length)
    return 0


@syscall("ftruncate", "fd", "d")
def sys_ftruncate(task: Any, fd: int, length: int) -> int:
    # Linux: fs/open.c do_sys_ftruncate
    length = s64(length)
    if length < 0:
        raise Errno(E.EINVAL)
    f = _fdget(task, fd)
    if not f.writable or not s_isreg(f.stat().mode):
        raise Errno(E.EINVAL)
    f.truncate(length)
    return 0


def _fchmodat(task: Any, dfd: int, filename: int, mode: int, flags: int) -> int:
    # Linux: fs/open.c do_fchmodat
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise Errno(E.EINVAL)
    name = getname(task, filename, bool(flags & AT_EMPTY_PATH))
    p = _path(task, dfd, name, follow=not flags & AT_SYMLINK_NOFOLLOW, empty_ok=bool(flags & AT_EMPTY_PATH))
    _vfs(task).chmod(task.creds, p, mode & 0xFFFF)
    return 0


@syscall("chmod", "path", "mode")
def sys_chmod(task: Any, filename: int, mode: int) -> int:
    return _fchmodat(task, AT_FDCWD, filename, mode, 0)


@syscall("fchmodat", "atfd", "path", "mode")
def sys_fchmodat(task: Any, dfd: int, filename: int, mode: int) -> int:
    return _fchmodat(task, dfd, filename, mode, 0)


@syscall("fchmodat2", "atfd", "path", "mode", "atflags")
def sys_fchmodat2(task: Any, dfd: int, filename: int, mode: int, flags: int) -> int:
    return _fchmodat(task, dfd, filename, mode, s32(flags))


@syscall("fchmod", "fd", "mode")
def sys_fchmod(task: Any, fd: int, mode: int) -> int:
    _vfs(task).chmod(task.creds, _file_path(_fdget(task, fd)), mode & 0xFFFF)
    return 0


def _id(x: int) -> int | None:
    x = u32(x)
    return None if x == 0xFFFFFFFF else x


def _fchownat(task: Any, dfd: int, filename: int, user: int, group: int, flags: int) -> int:
    # Linux: fs/open.c do_fchownat
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise Errno(E.EINVAL)
    name = getname(task, filename, bool(flags & AT_EMPTY_PATH))
    p = _path(task, dfd, name, follow=not flags & AT_SYMLINK_NOFOLLOW, empty_ok=bool(flags & AT_EMPTY_PATH))
    _vfs(task).chown(task.creds, p, _id(user), _id(group))
    return 0


@syscall("chown", "path", "d", "d")
def sys_chown(task: Any, filename: int, user: int, group: int) -> int:
    return _fchownat(task, AT_FDCWD, filename, user, group, 0)


@syscall("lchown", "path", "d", "d")
def sys_lchown(task: Any, filename: int, user: int, group: int) -> int:
    return _fchownat(task, AT_FDCWD, filename, user, group, AT_SYMLINK_NOFOLLOW)


@syscall("fchownat", "atfd", "path", "d", "d", "atflags")
def sys_fchownat(task: Any, dfd: int, filename: int, user: int, group: int, flags: int) -> int:
    return _fchownat(task, dfd, filename, user, group, s32(flags))


@syscall("fchown", "fd", "d", "d")
def sys_fchown(task: Any, fd: int, user: int, group: int) -> int:
    _vfs(task).chown(task.creds, _file_path(_fdget(task, fd)), _id(user), _id(group))
    return 0




OPEN_HOW = struct.Struct("<QQQ")
OPEN_HOW_SIZE_VER0 = 24


VALID_RESOLVE_FLAGS = 0x3F
O_PATH_FLAGS = 0o200000 | 0o400000 | O_PATH  # O_DIRECTORY | O_NOFOLLOW | O_PATH (O_CLOEXEC is stripped)
O_TMPFILE_BIT = 0o20000000


@syscall("openat2", "atfd", "path", "p", "u", ret="fd")
def sys_openat2(task: Any, dfd: int, filename: int, how: int, usize: int) -> int:
    # Linux: fs/open.c openat2 + copy_struct_from_user + build_open_flags
    usize = u64(usize)
    if usize < OPEN_HOW_SIZE_VER0:
        raise Errno(E.EINVAL)
    if usize > PAGE_SIZE:
        raise Errno(E.E2BIG)
    raw = task.mm.read(how, usize)
    if any(raw[OPEN_HOW_SIZE_VER0:]):
        raise Errno(E.E2BIG)  # a newer struct whose extra fields we do not know
    flags, mode, resolve = OPEN_HOW.unpack(raw[:OPEN_HOW_SIZE_VER0])
    if not flags & O_PATH:
        flags |= O_LARGEFILE  # force_o_largefile
    vfs = _vfs(task)
    cloexec = bool(flags & O_CLOEXEC)
    flags &= ~O_CLOEXEC
    if flags & ~VALID_OPEN_FLAGS:
        raise Errno(E.EINVAL)
    if resolve & ~VALID_RESOLVE_FLAGS:
        raise Errno(E.EINVAL)
    if resolve & RESOLVE_SCOPED == RESOLVE_SCOPED:
        raise Errno(E.EINVAL)
    if flags & (O_CREAT | O_TMPFILE_BIT):
        if mode & ~0o7777:
            raise Errno(E.EINVAL)
    elif mode:
        raise Errno(E.EINVAL)
    if flags & O_PATH and flags & ~O_PATH_FLAGS:
        raise Errno(E.EINVAL)
    fflags, fmode, acc = vfs.build_open_flags(flags, mode)
    if resolve & RESOLVE_CACHED and flags & (O_TRUNC | O_CREAT | O_TMPFILE_BIT):
        raise Errno(E.EAGAIN)
    name = getname(task, filename)
    if name[:1] == b"/" and resolve & RESOLVE_IN_ROOT:
        dirpath = _dirpath(task, dfd, b".")  # the scope is the dirfd even for an absolute name
    else:
        dirpath = _dirpath(task, dfd, name)
    fd = task.files.alloc_fd(0, task_rlimit(task, RLIMIT_NOFILE))
    f = vfs.do_filp_open(task.fs, task.creds, dirpath, name, fflags, fmode, acc, resolve)
    return finish_open(task, f, fd, cloexec)


FALLOC_FL_KEEP_SIZE = 0x01
FALLOC_FL_PUNCH_HOLE = 0x02
FALLOC_FL_COLLAPSE_RANGE = 0x08
FALLOC_FL_ZERO_RANGE = 0x10
FALLOC_FL_INSERT_RANGE = 0x20
FALLOC_FL_UNSHARE_RANGE = 0x40
FALLOC_FL_WRITE_ZEROES = 0x80
FALLOC_FL_MODE_MASK = (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE
                       | FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_WRITE_ZEROES)


@syscall("fallocate", "fd", "x", "d", "d")
def sys_fallocate(task: Any, fd: int, mode: int, offset: int, length: int) -> int:
    # Linux: fs/open.c vfs_fallocate
    f = _fdget(task, fd)
    mode, offset, length = s32(mode), s64(offset), s64(length)
    if offset < 0 or length <= 0:
        raise Errno(E.EINVAL)
    if mode & ~(FALLOC_FL_MODE_MASK | FALLOC_FL_KEEP_SIZE):
        raise Errno(E.EOPNOTSUPP)
    kind = mode & FALLOC_FL_MODE_MASK
    if kind == FALLOC_FL_PUNCH_HOLE:
        if not mode & FALLOC_FL_KEEP_SIZE:
            raise Errno(E.EOPNOTSUPP)
    elif kind in (FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_WRITE_ZEROES):
        if mode & FALLOC_FL_KEEP_SIZE:
            raise Errno(E.EOPNOTSUPP)
    elif kind not in (0, FALLOC_FL_ZERO_RANGE, FALLOC_FL_UNSHARE_RANGE):
        raise Errno(E.EOPNOTSUPP)
    if not f.writable:
        raise Errno(E.EBADF)
    fmt = _file_mode(f) & S_IFMT
    if fmt == S_IFIFO:
        raise Errno(E.ESPIPE)
    if fmt == S_IFDIR:
        raise Errno(E.EISDIR)
    if fmt not in (S_IFREG, S_IFBLK):
        raise Errno(E.ENODEV)
    if offset + length > MAX_LFS_FILESIZE:
        raise Errno(E.EFBIG)
    f.fallocate(mode, offset, length)
    return 0


@syscall("chroot", "path")
def sys_chroot(task: Any, filename: int) -> int:
    # Linux: fs/open.c chroot
    name = getname(task, filename)
    vfs = _vfs(task)
    p = vfs.lookup(task.fs, task.creds, None, name, follow=True, want_dir=True)
    inode_permission(task.creds, p.inode, MAY_EXEC | MAY_CHDIR)
    if not capable(task.creds, CAP_SYS_CHROOT):
        raise Errno(E.EPERM)
    task.fs.root = p
    return 0
