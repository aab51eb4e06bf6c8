"""More file syscalls: mknod, the utimes family, statfs, openat2, fallocate, sendfile, copy_file_range,
splice and tee, sync, flock, fcntl record locks and seals, getdents, readahead/fadvise64, chroot,
memfd_create and msync.  As in fs.py, checks run in Linux's order and the rules live in emukernel.fs.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from ..abi import errno as E
from ..abi.fcntl import (
    AT_EMPTY_PATH,
    AT_FDCWD,
    AT_SYMLINK_NOFOLLOW,
    F_ADD_SEALS,
    F_GET_SEALS,
    F_GETLK,
    F_OFD_GETLK,
    F_OFD_SETLK,
    F_OFD_SETLKW,
    F_SETLK,
    F_SETLKW,
    O_APPEND,
    O_CLOEXEC,
    O_CREAT,
    O_LARGEFILE,
    O_NONBLOCK,
    O_PATH,
    O_TRUNC,
    S_IFBLK,
    S_IFCHR,
    S_IFDIR,
    S_IFIFO,
    S_IFMT,
    S_IFREG,
    SEEK_CUR,
    SEEK_END,
    SEEK_SET,
)
from ..errors import Errno, Fault
from ..fs.file import FMODE_PREAD, FMODE_PWRITE, FMODE_READ, FMODE_WRITE, BrokenPipe, File, WouldBlock
from ..fs.inode import MAX_LFS_FILESIZE
from ..fs.locks import (
    F_RDLCK,
    F_UNLCK,
    F_WRLCK,
    FL_OFDLCK,
    FL_POSIX,
    OFFSET_MAX,
    FileLock,
    LockConflict,
    done_waiting,
    flock_lock,
    note_waiting,
    posix_deadlock,
    posix_lock,
    posix_test_lock,
)
from ..fs.namei import RESOLVE_CACHED, RESOLVE_IN_ROOT, RESOLVE_SCOPED
from ..fs.permission import MAY_CHDIR, MAY_EXEC, capable, inode_permission
from ..fs.pipe import PipeFile
from ..fs.stat import mkdev
from ..fs.tmpfs import (
    F_ALL_SEALS,
    F_SEAL_EXEC,
    F_SEAL_FUTURE_WRITE,
    F_SEAL_GROW,
    F_SEAL_SEAL,
    F_SEAL_SHRINK,
    F_SEAL_WRITE,
    TmpFileHandle,
)
from ..sched import Block
from . import s32, s64
from .fs import (
    CHUNK,
    MAX_RW_COUNT,
    _dirpath,
    _fdget,
    _fdget_raw,
    _nofile,
    _path,
    _try_getname,
    _u32,
    _u64,
    _vfs,
    finish_open,
    getname,
    send_sigpipe,
)
from .table import syscall

UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2
_TIMESPEC2 = struct.Struct("<qqqq")
_TIMEVAL2 = struct.Struct("<qqqq")
_UTIMBUF = struct.Struct("<qq")
_LOFF = struct.Struct("<q")
FLOCK = struct.Struct("<hh4xqqi4x")  # struct flock: l_type, l_whence, l_start, l_len, l_pid
CAP_SYS_CHROOT = 18


def _loff_in(task: Any, ptr: int) -> int:
    return _LOFF.unpack(task.mm.read(ptr, 8))[0]


def _loff_out(task: Any, ptr: int, value: int) -> None:
    task.mm.write(ptr, _LOFF.pack(value))


def _file_mode(f: File) -> int:
    """The file type bits of an open file (what file_inode(f)->i_mode says)."""
    if f.inode is not None:
        return f.inode.mode
    try:
        return f.stat().mode
    except Errno:
        return 0


def _get_pos(f: File) -> int:
    """The file position (a host stdio file keeps its own on the host)."""
    return f.lseek(0, SEEK_CUR) if f.stream and f.f_mode & FMODE_PREAD else f.pos


def _set_pos(f: File, pos: int) -> None:
    if f.stream and f.f_mode & FMODE_PREAD:
        f.lseek(pos, SEEK_SET)
    else:
        f.pos = pos


def _wait_or_eintr(task: Any, queue: Any, what: str, retry: Callable[[], Any]) -> Any:
    """Park on `queue` and call retry() when woken; a pending signal ends the wait with ERESTARTSYS."""
    if task.signal_interrupts():
        return -E.ERESTARTSYS

    def resumed() -> Any:
        try:
            return retry()
        except Errno as e:
            return -e.errno

    return Block(queue, None, what, resume=resumed)


# -- mknod ----------------------------------------------------------------------------------------------------
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


# -- utimes ---------------------------------------------------------------------------------------------------
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


# -- statfs ---------------------------------------------------------------------------------------------------
@syscall("statfs", "path", "struct_out")
def sys_statfs(task: Any, pathname: int, buf: int) -> int:
    name = getname(task, pathname)
    vfs = _vfs(task)
    p = vfs.lookup(task.fs, task.creds, None, name, follow=True)
    task.mm.write(buf, vfs.statfs(p))
    return 0


@syscall("fstatfs", "fd", "struct_out")
def sys_fstatfs(task: Any, fd: int, buf: int) -> int:
    f = _fdget_raw(task, fd)
    task.mm.write(buf, _vfs(task).fstatfs(f))
    return 0


# -- openat2 --------------------------------------------------------------------------------------------------
OPEN_HOW = struct.Struct("<QQQ")
OPEN_HOW_SIZE_VER0 = 24
PAGE_SIZE = 4096
VALID_RESOLVE_FLAGS = 0x3F
O_PATH_FLAGS = 0o200000 | 0o400000 | O_PATH  # O_DIRECTORY | O_NOFOLLOW | O_PATH (O_CLOEXEC is stripped)
O_TMPFILE_BIT = 0o20000000


@syscall("openat2", "atfd", "path", "p", "u", ret="fd")
def sys_openat2(task: Any, dfd: int, filename: int, how: int, usize: int) -> int:
    # Linux: fs/open.c openat2 + copy_struct_from_user + build_open_flags
    usize = _u64(usize)
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
    from ..fs.vfs import VALID_OPEN_FLAGS

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
    fd = task.files.alloc_fd(0, _nofile(task))
    f = vfs.do_filp_open(task.fs, task.creds, dirpath, name, fflags, fmode, acc, resolve)
    return finish_open(task, f, fd, cloexec)


# -- fallocate, readahead, fadvise ----------------------------------------------------------------------------
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


@syscall("readahead", "fd", "d", "u")
def sys_readahead(task: Any, fd: int, offset: int, count: int) -> int:
    # Linux: mm/readahead.c ksys_readahead
    f = task.files.lookup(_u32(fd))
    if f is None or f.is_path or not f.f_mode & FMODE_READ:
        raise Errno(E.EBADF)
    if _file_mode(f) & S_IFMT not in (S_IFREG, S_IFBLK):
        raise Errno(E.EINVAL)
    return 0


@syscall("fadvise64", "fd", "d", "d", "d")
def sys_fadvise64(task: Any, fd: int, offset: int, length: int, advice: int) -> int:
    # Linux: mm/fadvise.c generic_fadvise (the advice is only checked); shmem_fadvise takes any length
    f = _fdget(task, fd)
    if _file_mode(f) & S_IFMT == S_IFIFO:
        raise Errno(E.ESPIPE)
    if (s64(length) < 0 and not isinstance(f, TmpFileHandle)) or not 0 <= s32(advice) <= 5:
        raise Errno(E.EINVAL)
    return 0


# -- sync -----------------------------------------------------------------------------------------------------
@syscall("sync")
def sys_sync(task: Any) -> int:
    return 0


@syscall("syncfs", "fd")
def sys_syncfs(task: Any, fd: int) -> int:
    _fdget(task, fd)
    return 0


# -- sendfile, copy_file_range, splice, tee -------------------------------------------------------------------
def _can_splice_read(f: File) -> bool:
    """Whether the file has a ->splice_read (regular files and the memory devices; not pipes)."""
    fmt = _file_mode(f) & S_IFMT
    return fmt == S_IFREG or (fmt == S_IFCHR and not f.stream)


def _write_out(task: Any, out: File, data: bytes, pos: int | None, nonblock: bool) -> int:
    """One write of `data` to `out` (at `pos` when given); a full pipe raises WouldBlock or EAGAIN."""
    if pos is not None:
        return out.pwrite(data, pos)
    if isinstance(out, PipeFile):
        n = out.pipe.write(data, nonblock or bool(out.flags & O_NONBLOCK), False)
        return n
    return out.write(data)


def _copy(task: Any, read: Callable[[int, int], bytes], out: File, count: int, out_pos: int | None,
          nonblock: bool) -> tuple[int, bool]:  # fmt: skip
    """Copy up to `count` bytes read with read(offset, n) to `out`: (bytes copied, whether it would block)."""
    done = 0
    while done < count:
        data = read(done, min(count - done, CHUNK))
        if not data:
            break
        try:
            n = _write_out(task, out, data, None if out_pos is None else out_pos + done, nonblock)
        except WouldBlock:
            if done:
                break
            return 0, True
        except BrokenPipe:
            if done:
                break
            send_sigpipe(task)
            raise
        except Errno:
            if done:
                break
            raise
        done += n
        if n < len(data):
            break
    return done, False


@syscall("sendfile", "fd", "fd", "p", "u")
def sys_sendfile(task: Any, out_fd: int, in_fd: int, offset: int, count: int) -> Any:
    # Linux: fs/read_write.c do_sendfile
    ppos = None
    if offset:
        ppos = _loff_in(task, offset)
    inf = _fdget(task, in_fd)
    if not inf.readable:
        raise Errno(E.EBADF)
    if ppos is None:
        pos = _get_pos(inf)
    else:
        pos = ppos
        if not inf.f_mode & FMODE_PREAD:
            raise Errno(E.ESPIPE)
    if pos < 0:
        raise Errno(E.EINVAL)
    count = min(_u64(count), MAX_RW_COUNT)
    out = _fdget(task, out_fd)
    if not out.writable:
        raise Errno(E.EBADF)
    if pos + count > MAX_LFS_FILESIZE:
        if pos >= MAX_LFS_FILESIZE:
            raise Errno(E.EOVERFLOW)
        count = MAX_LFS_FILESIZE - pos
    if not isinstance(out, PipeFile) and out.flags & O_APPEND:
        raise Errno(E.EINVAL)  # do_splice_direct
    if not _can_splice_read(inf):
        raise Errno(E.EINVAL)
    if count == 0:
        return 0

    def attempt() -> Any:
        start = _get_pos(inf) if ppos is None else pos
        n, blocked = _copy(task, lambda off, k: inf.pread(k, start + off), out, count, None,
                           bool(out.flags & O_NONBLOCK))  # fmt: skip
        if blocked:
            if out.flags & O_NONBLOCK:
                return -E.EAGAIN
            assert isinstance(out, PipeFile)
            return _wait_or_eintr(task, out.pipe.wr_wait, "sendfile", attempt)
        if ppos is None:
            _set_pos(inf, start + n)
        else:
            _loff_out(task, offset, start + n)
        return n

    return attempt()


@syscall("copy_file_range", "fd", "p", "fd", "p", "u", "x")
def sys_copy_file_range(task: Any, fd_in: int, off_in: int, fd_out: int, off_out: int, length: int,
                        flags: int) -> int:  # fmt: skip
    # Linux: fs/read_write.c copy_file_range + vfs_copy_file_range + generic_copy_file_checks
    fin = _fdget(task, fd_in)
    fout = _fdget(task, fd_out)
    pos_in = _loff_in(task, off_in) if off_in else _get_pos(fin)
    pos_out = _loff_in(task, off_out) if off_out else _get_pos(fout)
    if _u32(flags):
        raise Errno(E.EINVAL)
    ino_in, ino_out = fin.inode, fout.inode
    mode_in, mode_out = _file_mode(fin) & S_IFMT, _file_mode(fout) & S_IFMT
    if mode_in == S_IFDIR or mode_out == S_IFDIR:
        raise Errno(E.EISDIR)
    if mode_in != S_IFREG or mode_out != S_IFREG:
        raise Errno(E.EINVAL)
    if not fin.readable or not fout.writable or fout.flags & O_APPEND:
        raise Errno(E.EBADF)
    sb_in = ino_in.sb if ino_in is not None else None
    sb_out = ino_out.sb if ino_out is not None else None
    same_sb = sb_in is sb_out or (
        sb_in is not None and sb_out is not None and sb_in.fs_type == sb_out.fs_type == "hostfs"
        and sb_in.dev == sb_out.dev
    )  # fmt: skip
    if not same_sb:
        raise Errno(E.EXDEV)
    count = _u64(length)
    if pos_in + count >= 1 << 63 or pos_out + count >= 1 << 63:
        raise Errno(E.EOVERFLOW)
    size_in = fin.stat().size
    count = 0 if pos_in >= size_in else min(count, size_in - pos_in)
    if pos_out >= MAX_LFS_FILESIZE:
        raise Errno(E.EFBIG)
    count = min(count, MAX_LFS_FILESIZE - pos_out)
    same = ino_in is not None and ino_out is not None and ino_in.same(ino_out)
    if same and pos_out + count > pos_in and pos_out < pos_in + count:
        raise Errno(E.EINVAL)
    if pos_in < 0 or pos_out < 0:
        raise Errno(E.EINVAL)
    count = min(count, MAX_RW_COUNT)
    if count == 0:
        return 0
    n, _ = _copy(task, lambda off, k: fin.pread(k, pos_in + off), fout, count, pos_out, False)
    if n > 0:
        if off_in:
            _loff_out(task, off_in, pos_in + n)
        else:
            _set_pos(fin, pos_in + n)
        if off_out:
            _loff_out(task, off_out, pos_out + n)
        else:
            _set_pos(fout, pos_out + n)
    return n


SPLICE_F_MOVE = 1
SPLICE_F_NONBLOCK = 2
SPLICE_F_MORE = 4
SPLICE_F_GIFT = 8
SPLICE_F_ALL = 0xF


def _pipe_space(pipe: Any) -> int:
    return max(0, pipe.max_usage - len(pipe.bufs)) * PAGE_SIZE


def _pipe_peek(pipe: Any, n: int) -> bytes:
    out = bytearray()
    for b in pipe.bufs:
        if len(out) >= n:
            break
        out += b.data[: n - len(out)]
    return bytes(out)


@syscall("splice", "fd", "p", "fd", "p", "u", "x")
def sys_splice(task: Any, fd_in: int, off_in: int, fd_out: int, off_out: int, length: int, flags: int) -> Any:
    # Linux: fs/splice.c splice + __do_splice + do_splice
    length, flags = _u64(length), _u32(flags)
    if not length:
        return 0
    if flags & ~SPLICE_F_ALL:
        raise Errno(E.EINVAL)
    fin = _fdget(task, fd_in)
    fout = _fdget(task, fd_out)
    ipipe = fin.pipe if isinstance(fin, PipeFile) else None
    opipe = fout.pipe if isinstance(fout, PipeFile) else None
    if ipipe is not None and off_in:
        raise Errno(E.ESPIPE)
    if opipe is not None and off_out:
        raise Errno(E.ESPIPE)
    oin = _loff_in(task, off_in) if off_in else None
    oout = _loff_in(task, off_out) if off_out else None
    if not fin.f_mode & FMODE_READ or not fout.f_mode & FMODE_WRITE:
        raise Errno(E.EBADF)
    length = min(length, MAX_RW_COUNT)
    if ipipe is not None and opipe is not None:
        if ipipe is opipe:
            raise Errno(E.EINVAL)
        nonblock = bool(flags & SPLICE_F_NONBLOCK or (fin.flags | fout.flags) & O_NONBLOCK)
        return _splice_pipe_to_pipe(task, ipipe, opipe, length, nonblock, consume=True)
    if ipipe is not None:
        if oout is not None and not fout.f_mode & FMODE_PWRITE:
            raise Errno(E.EINVAL)
        if fout.flags & O_APPEND:
            raise Errno(E.EINVAL)
        nonblock = bool(flags & SPLICE_F_NONBLOCK or fin.flags & O_NONBLOCK)
        return _splice_from_pipe(task, ipipe, fout, oout, off_out, length, nonblock)
    if opipe is not None:
        if oin is not None and not fin.f_mode & FMODE_PREAD:
            raise Errno(E.EINVAL)
        if not _can_splice_read(fin):
            raise Errno(E.EINVAL)
        nonblock = bool(flags & SPLICE_F_NONBLOCK or fout.flags & O_NONBLOCK)
        return _splice_to_pipe(task, fin, oin, off_in, opipe, length, nonblock)
    raise Errno(E.EINVAL)


def _splice_from_pipe(task: Any, pipe: Any, out: File, opos: int | None, off_out: int, length: int,
                      nonblock: bool) -> Any:  # fmt: skip
    def attempt() -> Any:
        if pipe.waiting:
            pipe.prune_waiting()
        if not pipe.bufs:
            if not pipe.writers:
                return 0
            if nonblock:
                return -E.EAGAIN
            return _wait_or_eintr(task, pipe.rd_wait, "splice", attempt)
        data = _pipe_peek(pipe, length)
        pos = out.pos if opos is None else opos
        try:
            n = _write_out(task, out, data, pos if opos is not None or not out.stream else None, nonblock)
        except BrokenPipe:
            send_sigpipe(task)
            raise
        except WouldBlock:
            if nonblock:
                return -E.EAGAIN
            assert isinstance(out, PipeFile)
            return _wait_or_eintr(task, out.pipe.wr_wait, "splice", attempt)
        pipe.read(n, True)  # consume what was written
        if opos is None:
            if not out.stream:
                out.pos = pos + n
        else:
            _loff_out(task, off_out, opos + n)
        return n

    return attempt()


def _splice_to_pipe(task: Any, fin: File, ipos: int | None, off_in: int, pipe: Any, length: int,
                    nonblock: bool) -> Any:  # fmt: skip
    def attempt() -> Any:
        if pipe.waiting:
            pipe.prune_waiting()
        if not pipe.readers:
            send_sigpipe(task)
            return -E.EPIPE
        space = _pipe_space(pipe)
        if not space:
            if nonblock:
                return -E.EAGAIN
            return _wait_or_eintr(task, pipe.wr_wait, "splice", attempt)
        pos = _get_pos(fin) if ipos is None else ipos
        data = fin.pread(min(length, space), pos)
        if not data:
            return 0
        n = pipe.write(data, True, False)
        if ipos is None:
            _set_pos(fin, pos + n)
        else:
            _loff_out(task, off_in, ipos + n)
        return n

    return attempt()


def _splice_pipe_to_pipe(task: Any, ipipe: Any, opipe: Any, length: int, nonblock: bool, consume: bool) -> Any:
    def attempt() -> Any:
        for p in (ipipe, opipe):
            if p.waiting:
                p.prune_waiting()
        if not ipipe.bufs:
            if not ipipe.writers:
                return 0
            if nonblock:
                return -E.EAGAIN
            return _wait_or_eintr(task, ipipe.rd_wait, "splice" if consume else "tee", attempt)
        if not opipe.readers:
            send_sigpipe(task)
            return -E.EPIPE
        space = _pipe_space(opipe)
        if not space:
            if nonblock:
                return -E.EAGAIN
            return _wait_or_eintr(task, opipe.wr_wait, "splice" if consume else "tee", attempt)
        data = _pipe_peek(ipipe, min(length, space))
        n = opipe.write(data, True, False)
        if consume:
            ipipe.read(n, True)
        return n

    return attempt()


@syscall("tee", "fd", "fd", "u", "x")
def sys_tee(task: Any, fdin: int, fdout: int, length: int, flags: int) -> Any:
    # Linux: fs/splice.c tee + do_tee
    length, flags = _u64(length), _u32(flags)
    if flags & ~SPLICE_F_ALL:
        raise Errno(E.EINVAL)
    if not length:
        return 0
    fin = _fdget(task, fdin)
    fout = _fdget(task, fdout)
    if not fin.f_mode & FMODE_READ or not fout.f_mode & FMODE_WRITE:
        raise Errno(E.EBADF)
    if not isinstance(fin, PipeFile) or not isinstance(fout, PipeFile) or fin.pipe is fout.pipe:
        raise Errno(E.EINVAL)
    nonblock = bool(flags & SPLICE_F_NONBLOCK or (fin.flags | fout.flags) & O_NONBLOCK)
    return _splice_pipe_to_pipe(task, fin.pipe, fout.pipe, min(length, MAX_RW_COUNT), nonblock, consume=False)


# -- flock and record locks -----------------------------------------------------------------------------------
LOCK_SH = 1
LOCK_EX = 2
LOCK_NB = 4
LOCK_UN = 8
LOCK_MAND = 32


@syscall("flock", "fd", "x")
def sys_flock(task: Any, fd: int, cmd: int) -> Any:
    # Linux: fs/locks.c flock
    cmd = _u32(cmd)
    if cmd & LOCK_MAND:
        return 0  # LOCK_MAND locks never did anything: ignored
    type = {LOCK_SH: F_RDLCK, LOCK_EX: F_WRLCK, LOCK_UN: F_UNLCK}.get(cmd & ~LOCK_NB)
    if type is None:
        raise Errno(E.EINVAL)
    f = _fdget(task, fd)
    if type != F_UNLCK and not f.f_mode & (FMODE_READ | FMODE_WRITE):
        raise Errno(E.EBADF)
    if f.inode is None:
        return 0  # an anonymous object (pipe, host stream): nothing else can hold its lock here

    def attempt() -> Any:
        try:
            flock_lock(f, type)
        except LockConflict as c:
            if cmd & LOCK_NB:
                return -E.EWOULDBLOCK
            if task.kernel not in c.ctx.kernels:
                c.ctx.kernels.append(task.kernel)
            return _wait_or_eintr(task, c.ctx.wait, "flock", attempt)
        return 0

    return attempt()


def flock_to_posix_lock(task: Any, f: File, l_type: int, whence: int, start: int, length: int,
                        owner: Any) -> FileLock:  # fmt: skip
    # Linux: fs/locks.c flock64_to_posix_lock + assign_type
    if whence == SEEK_SET:
        base = 0
    elif whence == SEEK_CUR:
        base = f.pos
    elif whence == SEEK_END:
        base = f.stat().size
    else:
        raise Errno(E.EINVAL)
    if start > OFFSET_MAX - base:
        raise Errno(E.EOVERFLOW)
    fl_start = base + start
    if fl_start < 0:
        raise Errno(E.EINVAL)
    if length > 0:
        if length - 1 > OFFSET_MAX - fl_start:
            raise Errno(E.EOVERFLOW)
        fl_end = fl_start + length - 1
    elif length < 0:
        if fl_start + length < 0:
            raise Errno(E.EINVAL)
        fl_end = fl_start - 1
        fl_start += length
    else:
        fl_end = OFFSET_MAX
    if l_type not in (F_RDLCK, F_WRLCK, F_UNLCK):
        raise Errno(E.EINVAL)
    return FileLock(owner, f, l_type, fl_start, fl_end, task.tg.pid, FL_POSIX)


def fcntl_lock(task: Any, f: File, cmd: int, arg: int) -> Any:
    """F_GETLK, F_SETLK, F_SETLKW and their F_OFD_* forms."""
    raw = task.mm.read(arg, FLOCK.size)
    l_type, whence, start, length, l_pid = FLOCK.unpack(raw)
    ofd = cmd in (F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW)
    if cmd in (F_GETLK, F_OFD_GETLK):
        # Linux: fs/locks.c fcntl_getlk
        if cmd != F_OFD_GETLK and l_type not in (F_RDLCK, F_WRLCK):
            raise Errno(E.EINVAL)
        req = flock_to_posix_lock(task, f, l_type, whence, start, length, task.files)
        if ofd:
            if l_pid:
                raise Errno(E.EINVAL)
            req.owner, req.flags, req.pid = f, FL_OFDLCK, None
        blocker = posix_test_lock(f, req) if f.inode is not None and l_type != F_UNLCK else None
        if blocker is None:
            out = FLOCK.pack(F_UNLCK, whence, start, length, l_pid)
        else:
            pid = -1 if blocker.flags & FL_OFDLCK else blocker.pid.nr_in(task.pid.ns)
            ln = 0 if blocker.end == OFFSET_MAX else blocker.end - blocker.start + 1
            out = FLOCK.pack(blocker.type, SEEK_SET, blocker.start, ln, pid)
        task.mm.write(arg, out[:4] + raw[4:8] + out[8:28] + raw[28:])
        return 0
    # Linux: fs/locks.c fcntl_setlk
    req = flock_to_posix_lock(task, f, l_type, whence, start, length, task.files)
    if (req.type == F_RDLCK and not f.f_mode & FMODE_READ) or (req.type == F_WRLCK and not f.f_mode & FMODE_WRITE):
        raise Errno(E.EBADF)
    if ofd:
        if l_pid:
            raise Errno(E.EINVAL)
        req.owner, req.flags, req.pid = f, FL_OFDLCK, None
    if f.inode is None:
        return 0
    wait = cmd in (F_SETLKW, F_OFD_SETLKW)

    def attempt() -> Any:
        try:
            posix_lock(f, req)
        except LockConflict as c:
            if not wait:
                done_waiting(req)
                return -E.EAGAIN
            if posix_deadlock(req, c.blocker):
                done_waiting(req)
                return -E.EDEADLK
            note_waiting(req, c.blocker)
            if task.kernel not in c.ctx.kernels:
                c.ctx.kernels.append(task.kernel)
            if task.signal_interrupts():
                done_waiting(req)
            return _wait_or_eintr(task, c.ctx.wait, "fcntl lock", attempt)
        done_waiting(req)
        return 0

    return attempt()


def memfd_fcntl(task: Any, f: File, cmd: int, arg: int) -> int:
    """F_ADD_SEALS / F_GET_SEALS (Linux mm/memfd.c): tmpfs files have seals; others EINVAL."""
    ino = f.inode if isinstance(f, TmpFileHandle) else None
    if cmd == F_GET_SEALS:
        if ino is None:
            raise Errno(E.EINVAL)
        return ino.seals
    # Linux: mm/memfd.c memfd_add_seals
    seals = _u32(arg)
    if not f.writable:
        raise Errno(E.EPERM)
    if seals & ~F_ALL_SEALS:
        raise Errno(E.EINVAL)
    if ino is None:
        raise Errno(E.EINVAL)
    if ino.seals & F_SEAL_SEAL:
        raise Errno(E.EPERM)
    if seals & F_SEAL_WRITE and not ino.seals & F_SEAL_WRITE and not ino.write_sealable():
        raise Errno(E.EBUSY)
    if seals & F_SEAL_EXEC and ino.mode & 0o111:
        seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE
    ino.seals |= seals
    return 0


def fcntl_more(task: Any, f: File, cmd: int, arg: int) -> Any:
    """The fcntl commands of this module, or None when `cmd` is none of them."""
    if cmd in (F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW):
        return fcntl_lock(task, f, cmd, arg)
    if cmd in (F_ADD_SEALS, F_GET_SEALS):
        return memfd_fcntl(task, f, cmd, arg)
    return None


# -- getdents (struct linux_dirent) ---------------------------------------------------------------------------
_DIRENT64 = struct.Struct("<QqHB")
_DIRENT = struct.Struct("<QqH")


def dirents_from64(data: bytes) -> bytes:
    """linux_dirent64 records as struct linux_dirent (same record sizes; d_type in the last byte).

    On x86-64 d_ino is an unsigned long, so the EOVERFLOW of a 32-bit d_ino never happens."""
    out = bytearray()
    off = 0
    while off < len(data):
        ino, doff, reclen, dtype = _DIRENT64.unpack_from(data, off)
        name = data[off + _DIRENT64.size : off + reclen].split(b"\0", 1)[0]
        rec = bytearray(_DIRENT.pack(ino, doff, reclen) + name + b"\0")
        rec += bytes(reclen - len(rec))
        rec[reclen - 1] = dtype
        out += rec
        off += reclen
    return bytes(out)


@syscall("getdents", "fd", "struct_out", "u")
def sys_getdents(task: Any, fd: int, dirent: int, count: int) -> int:
    f = _fdget(task, fd)
    count = _u32(count)
    from .fs import _access_ok

    if not _access_ok(dirent, count):
        raise Errno(E.EFAULT)
    before = f.pos
    data = dirents_from64(f.getdents64(count))
    try:
        task.mm.write(dirent, data)
    except Fault:
        f.lseek(before, SEEK_SET)
        raise
    return len(data)


# -- chroot ---------------------------------------------------------------------------------------------------
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


# -- memfd_create ---------------------------------------------------------------------------------------------
MFD_CLOEXEC = 0x1
MFD_ALLOW_SEALING = 0x2
MFD_HUGETLB = 0x4
MFD_NOEXEC_SEAL = 0x8
MFD_EXEC = 0x10
MFD_ALL_FLAGS = 0x1F
MFD_HUGE_MASK = 0x3F << 26
MFD_NAME_MAX_LEN = 255 - len("memfd:")


@syscall("memfd_create", "path", "x", ret="fd")
def sys_memfd_create(task: Any, uname: int, flags: int) -> int:
    # Linux: mm/memfd.c memfd_create (sanitize_flags, alloc_name, alloc_file)
    flags = _u32(flags)
    if flags & ~(MFD_ALL_FLAGS | (MFD_HUGE_MASK if flags & MFD_HUGETLB else 0)):
        raise Errno(E.EINVAL)
    if flags & MFD_EXEC and flags & MFD_NOEXEC_SEAL:
        raise Errno(E.EINVAL)
    if not flags & (MFD_EXEC | MFD_NOEXEC_SEAL):
        flags |= MFD_EXEC  # vm.memfd_noexec = 0
    try:
        name = task.mm.read_cstring(uname, MFD_NAME_MAX_LEN + 1)
    except Errno as e:
        raise Errno(E.EINVAL if e.errno == E.ENAMETOOLONG else e.errno) from None
    if flags & MFD_HUGETLB:
        raise Errno(E.EINVAL)  # no hugetlbfs
    fd = task.files.alloc_fd(0, _nofile(task))
    f = _vfs(task).memfd_create(task.creds, name, bool(flags & MFD_ALLOW_SEALING), bool(flags & MFD_NOEXEC_SEAL))
    task.files.install_at(fd, f, bool(flags & MFD_CLOEXEC))
    return fd


# -- msync ----------------------------------------------------------------------------------------------------
MS_ASYNC = 1
MS_INVALIDATE = 2
MS_SYNC = 4


@syscall("msync", "p", "u", "x")
def sys_msync(task: Any, start: int, length: int, flags: int) -> int:
    # Linux: mm/msync.c: tmpfs and memfd shared mappings are the file's memory, so there is nothing to
    # write back; only the range is checked (ENOMEM for unmapped parts)
    flags = s32(flags)
    if flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC):
        raise Errno(E.EINVAL)
    if start & (PAGE_SIZE - 1):
        raise Errno(E.EINVAL)
    if flags & MS_ASYNC and flags & MS_SYNC:
        raise Errno(E.EINVAL)
    end = start + ((_u64(length) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
    if end >= 1 << 64 or end < start:
        raise Errno(E.ENOMEM)
    cur = start
    mm = task.mm
    for v in mm._overlapping(start, end):
        if v.start > cur:
            raise Errno(E.ENOMEM)
        cur = v.end
    if cur < end:
        raise Errno(E.ENOMEM)
    return 0


