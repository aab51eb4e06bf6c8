"""File syscalls: decode the arguments, call the VFS / file / fd table, copy results out.

The order of the checks is Linux's, so that a guest probing several errors at once sees the one Linux
reports: flag validation, then the name (EFAULT, ENAMETOOLONG, ENOENT for ""), then the fd (EBADF), then the
walk, then the copy-out (EFAULT).  Argument types follow the C prototypes: fds are unsigned int, dirfds and
flags int, lengths size_t, offsets loff_t.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from ..abi import errno as E
from ..abi.fcntl import (
    AT_EMPTY_PATH,
    AT_FDCWD,
    AT_NO_AUTOMOUNT,
    AT_REMOVEDIR,
    AT_STATX_SYNC_TYPE,
    AT_SYMLINK_FOLLOW,
    AT_SYMLINK_NOFOLLOW,
    F_DUPFD,
    F_DUPFD_CLOEXEC,
    F_GETFD,
    F_GETFL,
    F_GETPIPE_SZ,
    F_SETFD,
    F_SETFL,
    F_SETPIPE_SZ,
    FD_CLOEXEC,
    O_ASYNC,
    O_CLOEXEC,
    O_CREAT,
    O_NOATIME,
    O_NONBLOCK,
    O_TRUNC,
    O_WRONLY,
    SEEK_HOLE,
    SEEK_SET,
)
from ..abi.resource import RLIMIT_NOFILE
from ..errors import Errno, Fault
from ..fs.file import FMODE_LSEEK, FMODE_PREAD, FMODE_PWRITE, BrokenPipe, File, WouldBlock
from ..fs.inode import PATH_MAX, s_isdir, s_isreg
from ..fs.mount import Path
from ..fs.permission import inode_owner_or_capable
from ..fs.pipe import PipeFile
from ..fs.stat import STATX__RESERVED, Kstat, pack_stat, pack_statx
from ..sched import Block
from . import s32, s64
from .table import syscall

MAX_RW_COUNT = 0x7FFFF000  # Linux: INT_MAX & PAGE_MASK
TASK_SIZE_MAX = (1 << 47) - 4096
UIO_MAXIOV = 1024
CHUNK = 1 << 20  # one host allocation per step when a read or write is large
IOVEC = struct.Struct("<QQ")

FIONCLEX = 0x5450
FIOCLEX = 0x5451
FIONBIO = 0x5421
FIOASYNC = 0x5452
FIONREAD = 0x541B


# -- argument decoding -------------------------------------------------------------------------------------
def _u32(x: int) -> int:
    return x & 0xFFFFFFFF


def _u64(x: int) -> int:
    return x & 0xFFFFFFFFFFFFFFFF


def _access_ok(addr: int, size: int) -> bool:
    """Only that the range lies in user space, as Linux access_ok (whether it is mapped is found later)."""
    return addr + size <= TASK_SIZE_MAX


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


def _fdget(task: Any, fd: int) -> File:
    """A file for I/O: EBADF for a closed fd or an O_PATH one (Linux fdget)."""
    f = task.files.get(_u32(fd))
    if f.is_path:
        raise Errno(E.EBADF)
    return f


def _fdget_raw(task: Any, fd: int) -> File:
    """Any open fd, O_PATH included (Linux fdget_raw)."""
    return task.files.get(_u32(fd))


def _nofile(task: Any) -> int:
    """RLIMIT_NOFILE (soft) of the task's thread group, or the table's own default."""
    rlimits = getattr(getattr(task, "tg", None), "rlimits", None)
    if rlimits is not None:
        return rlimits[RLIMIT_NOFILE][0]
    return task.files.rlimit_nofile


def _dirpath(task: Any, dfd: int, name: bytes) -> Path | None:
    """Where a relative name starts: None for the cwd; the dirfd is not looked at for an absolute name."""
    # Linux: fs/namei.c path_init
    if name[:1] == b"/":
        return None
    dfd = s32(dfd)
    if dfd == AT_FDCWD:
        return None
    f = task.files.get(_u32(dfd))
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


def _file_path(f: File) -> Path:
    """The path of an fd given to fchmod/fchown; our host stdio files have none (see report)."""
    if f.path is None:
        raise Errno(E.EPERM)
    return f.path


# -- read and write ----------------------------------------------------------------------------------------
def _retry(task: Any, attempt: Callable[[], Any]) -> Any:
    """Run attempt(); when a stream file would block, park the task and attempt again once woken.

    A signal that arrives first ends the wait with ERESTARTSYS (Linux's pipe and eventfd read/write)."""
    try:
        return attempt()
    except WouldBlock as wb:
        if task.signal_interrupts():
            return -E.ERESTARTSYS
        return Block(wb.queue, wb.deadline, wb.what, resume=lambda: _resumed(task, attempt), hook_ok=True)


def _resumed(task: Any, attempt: Callable[[], Any]) -> Any:
    try:
        return _retry(task, attempt)
    except Errno as e:  # a continuation runs outside the dispatcher: errors become results here
        return -e.errno


def send_sigpipe(task: Any) -> None:
    """send_sig(SIGPIPE, current, 0): thread-directed, si_code SI_USER, si_pid the writer's own tgid."""
    signals = getattr(task.kernel, "signals", None)
    if signals is None:
        return
    from ..abi.signal import SIGPIPE
    from ..signal.siginfo import SI_USER, SigInfo

    info = SigInfo(SIGPIPE, SI_USER, pid=task.tg.pid.numbers[-1], uid=task.creds.uid)
    signals.send(task, SIGPIPE, group=False, info=info)


def _stream_write(task: Any, f: File, total: int, get: Callable[[int, int], bytes]) -> Any:
    """Write `total` bytes, taken with get(offset, n), to a stream file that may block (pipes, eventfd).

    A blocking write goes on after each wait until everything is written; a signal ends it with what was
    written so far (or ERESTARTSYS); EPIPE also sends SIGPIPE (Linux pipe_write)."""
    done = 0
    first = True

    def step() -> Any:
        nonlocal done, first
        while True:
            try:
                data = get(done, min(total - done, CHUNK))
                n = f.write(data) if first else f.write_more(data)
                first = False
            except WouldBlock as wb:
                if task.signal_interrupts():
                    return done or -E.ERESTARTSYS
                return Block(wb.queue, wb.deadline, wb.what, resume=resumed, hook_ok=True)
            except BrokenPipe:
                send_sigpipe(task)
                return done or -E.EPIPE
            except Errno:
                if done:
                    return done
                raise
            done += n
            if done >= total or (n < len(data) and not f.write_continues):
                return done

    def resumed() -> Any:
        try:
            return step()
        except Errno as e:
            return -e.errno

    return step()


def _read_to_user(task: Any, f: File, buf: int, count: int, pos: int | None = None) -> int:
    """Read up to `count` bytes into guest memory at `buf`, from the file position or from `pos`."""
    # Linux: fs/read_write.c vfs_read
    if not _access_ok(buf, count):
        raise Errno(E.EFAULT)
    count = min(count, MAX_RW_COUNT)
    if count == 0:
        f.read(0) if pos is None else f.pread(0, pos)  # a directory still says EISDIR
        return 0
    done = 0
    while done < count:
        want = min(count - done, CHUNK)
        try:
            data = f.read_task(task, want) if pos is None else f.pread(want, pos + done)
        except Errno:
            if done:
                break
            raise
        if data:
            try:
                task.mm.write(buf + done, data)
            except Fault:
                if pos is None:
                    if f.stream:
                        f.unread(data)
                    else:
                        f.pos -= len(data)  # the bytes never reached the guest
                if done:
                    break
                raise
        done += len(data)
        if len(data) < want or f.stream:
            break
    return done


def _write_from_user(task: Any, f: File, buf: int, count: int, pos: int | None = None) -> Any:
    """Write `count` bytes from guest memory at `buf`, at the file position or at `pos`."""
    # Linux: fs/read_write.c vfs_write
    if not _access_ok(buf, count):
        raise Errno(E.EFAULT)
    count = min(count, MAX_RW_COUNT)
    n = f.write_discard(count)
    if n is not None:
        return n
    if count == 0:
        return f.write(b"") if pos is None else f.pwrite(b"", pos)
    if f.stream and pos is None:
        return _stream_write(task, f, count, lambda off, n: task.mm.read(buf + off, n))
    done = 0
    while done < count:
        want = min(count - done, CHUNK)
        try:
            data = task.mm.read(buf + done, want)
        except Fault:
            if done:
                break
            raise
        try:
            n = f.write(data) if pos is None else f.pwrite(data, pos + done)
        except Errno:
            if done:
                break
            raise
        done += n
        if n < want:
            break
    return done


def _check_read(f: File) -> None:
    if not f.readable:
        raise Errno(E.EBADF)


def _check_write(f: File) -> None:
    if not f.writable:
        raise Errno(E.EBADF)


@syscall("read", "fd", "buf_out", "u")
def sys_read(task: Any, fd: int, buf: int, count: int) -> Any:
    f = _fdget(task, fd)
    _check_read(f)
    count = _u64(count)
    return _retry(task, lambda: _read_to_user(task, f, buf, count))


@syscall("write", "fd", "buf_in", "u")
def sys_write(task: Any, fd: int, buf: int, count: int) -> Any:
    f = _fdget(task, fd)
    _check_write(f)
    return _write_from_user(task, f, buf, _u64(count))


def _positional(task: Any, fd: int, pos: int, mode: int) -> File:
    # Linux: fs/read_write.c ksys_pread64: EINVAL for pos < 0, EBADF, ESPIPE
    if pos < 0:
        raise Errno(E.EINVAL)
    f = _fdget(task, fd)
    if not f.f_mode & mode:
        raise Errno(E.ESPIPE)
    return f


@syscall("pread64", "fd", "buf_out", "u", "d")
def sys_pread64(task: Any, fd: int, buf: int, count: int, pos: int) -> int:
    f = _positional(task, fd, s64(pos), FMODE_PREAD)
    _check_read(f)
    return _read_to_user(task, f, buf, _u64(count), s64(pos))


@syscall("pwrite64", "fd", "buf_in", "u", "d")
def sys_pwrite64(task: Any, fd: int, buf: int, count: int, pos: int) -> Any:
    f = _positional(task, fd, s64(pos), FMODE_PWRITE)
    _check_write(f)
    return _write_from_user(task, f, buf, _u64(count), s64(pos))


def import_iovec(task: Any, iov: int, iovcnt: int) -> list[tuple[int, int]]:
    """The (base, len) pairs of a guest iovec array (Linux import_iovec): EINVAL, EFAULT."""
    iovcnt = _u64(iovcnt)
    if iovcnt > UIO_MAXIOV:
        raise Errno(E.EINVAL)
    if iovcnt == 0:
        return []
    raw = task.mm.read(iov, IOVEC.size * iovcnt)
    vecs = []
    total = 0
    for base, length in IOVEC.iter_unpack(raw):
        if length >> 63:  # a negative ssize_t
            raise Errno(E.EINVAL)
        if not _access_ok(base, length):
            raise Errno(E.EFAULT)
        length = min(length, MAX_RW_COUNT - total)
        total += length
        vecs.append((base, length))
    return vecs


def _readv(task: Any, f: File, iov: int, iovcnt: int, pos: int | None) -> Any:
    _check_read(f)
    vecs = import_iovec(task, iov, iovcnt)
    total = sum(n for _, n in vecs)
    if total == 0:
        return 0
    if f.stream:
        return _retry(task, lambda: _stream_readv(task, f, vecs, total, pos))
    done = 0
    for base, n in vecs:
        try:
            got = _read_to_user(task, f, base, n, None if pos is None else pos + done)
        except Errno:
            if done:
                break
            raise
        done += got
        if got < n:
            break
    return done


def _stream_readv(task: Any, f: File, vecs: list[tuple[int, int]], total: int, pos: int | None) -> int:
    """One read for the whole vector, scattered: a second read could block."""
    data = f.read_task(task, total) if pos is None else f.pread(total, pos)
    off = 0
    for base, n in vecs:
        piece = data[off : off + n]
        if not piece:
            break
        try:
            task.mm.write(base, piece)
        except Fault:
            if pos is None:
                f.unread(data[off:])
            if off:
                break
            raise
        off += len(piece)
    return off


def _writev(task: Any, f: File, iov: int, iovcnt: int, pos: int | None) -> Any:
    _check_write(f)
    vecs = import_iovec(task, iov, iovcnt)
    total = sum(n for _, n in vecs)
    if total == 0:
        return 0
    if f.stream:
        # gather, then one host write: the record a terminal or pipe reader sees stays whole
        parts = []
        for base, n in vecs:
            try:
                parts.append(task.mm.read(base, n))
            except Fault:
                if parts:
                    break
                raise
        data = b"".join(parts)
        if pos is not None:
            return f.pwrite(data, pos)
        return _stream_write(task, f, len(data), lambda off, n: data[off : off + n])
    done = 0
    for base, n in vecs:
        try:
            put = _write_from_user(task, f, base, n, None if pos is None else pos + done)
        except Errno:
            if done:
                break
            raise
        done += put
        if put < n:
            break
    return done


@syscall("readv", "fd", "iov_out", "d")
def sys_readv(task: Any, fd: int, iov: int, iovcnt: int) -> Any:
    return _readv(task, _fdget(task, fd), iov, iovcnt, None)


@syscall("writev", "fd", "iov_in", "d")
def sys_writev(task: Any, fd: int, iov: int, iovcnt: int) -> Any:
    return _writev(task, _fdget(task, fd), iov, iovcnt, None)


@syscall("preadv", "fd", "iov_out", "d", "d", "d")
def sys_preadv(task: Any, fd: int, iov: int, iovcnt: int, pos_l: int, pos_h: int) -> Any:
    pos = s64(pos_l)  # on 64-bit the high word is shifted out (Linux pos_from_hilo)
    return _readv(task, _positional(task, fd, pos, FMODE_PREAD), iov, iovcnt, pos)


@syscall("pwritev", "fd", "iov_in", "d", "d", "d")
def sys_pwritev(task: Any, fd: int, iov: int, iovcnt: int, pos_l: int, pos_h: int) -> Any:
    pos = s64(pos_l)
    return _writev(task, _positional(task, fd, pos, FMODE_PWRITE), iov, iovcnt, pos)


@syscall("lseek", "fd", "d", "whence")
def sys_lseek(task: Any, fd: int, offset: int, whence: int) -> int:
    # Linux: fs/read_write.c ksys_lseek: EBADF, EINVAL for whence, ESPIPE
    f = _fdget(task, fd)
    whence = _u32(whence)
    if whence > SEEK_HOLE:
        raise Errno(E.EINVAL)
    if not f.f_mode & FMODE_LSEEK:
        raise Errno(E.ESPIPE)
    return f.lseek(s64(offset), whence)


# -- open and close ----------------------------------------------------------------------------------------
def do_sys_openat(task: Any, dfd: int, filename: int, flags: int, mode: int) -> int:
    # Linux: fs/open.c do_sys_openat2: flags, getname, a free fd, then the walk
    vfs = _vfs(task)
    flags = _u32(flags)
    fflags, fmode, acc = vfs.build_open_flags(flags, mode & 0xFFFF)
    name = getname(task, filename)
    fd = task.files.alloc_fd(0, _nofile(task))
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
            fd = files.alloc_fd(0, _nofile(task))
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
    task.files.close(_u32(fd))
    return 0


# -- stat --------------------------------------------------------------------------------------------------
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
    mask = _u32(mask)
    if mask & STATX__RESERVED:
        raise Errno(E.EINVAL)
    if flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE:
        raise Errno(E.EINVAL)
    task.mm.write(buf, pack_statx(_stat_at(task, dfd, filename, flags, always_check=True)))
    return 0


@syscall("getdents64", "fd", "struct_out", "u")
def sys_getdents64(task: Any, fd: int, dirent: int, count: int) -> int:
    f = _fdget(task, fd)
    count = _u32(count)
    if not _access_ok(dirent, count):
        raise Errno(E.EFAULT)
    before = f.pos
    data = f.getdents64(count)
    try:
        task.mm.write(dirent, data)
    except Fault:
        f.lseek(before, SEEK_SET)
        raise
    return len(data)


# -- access, cwd -------------------------------------------------------------------------------------------
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


@syscall("getcwd", "buf_out", "u")
def sys_getcwd(task: Any, buf: int, size: int) -> int:
    # Linux: fs/d_path.c getcwd: ENOENT for a removed directory, ERANGE when it does not fit
    cwd = task.fs.getcwd() + b"\0"
    if len(cwd) > _u64(size):
        raise Errno(E.ERANGE)
    task.mm.write(buf, cwd)
    return len(cwd)


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


# -- namespace operations ----------------------------------------------------------------------------------
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
    return _renameat2(task, olddfd, oldname, newdfd, newname, _u32(flags))


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


# -- fd table ----------------------------------------------------------------------------------------------
@syscall("dup", "fd", ret="fd")
def sys_dup(task: Any, fd: int) -> int:
    return task.files.dup(_u32(fd), limit=_nofile(task))


@syscall("dup2", "fd", "fd", ret="fd")
def sys_dup2(task: Any, oldfd: int, newfd: int) -> int:
    return task.files.dup2(_u32(oldfd), _u32(newfd), _nofile(task))


@syscall("dup3", "fd", "fd", "oflags", ret="fd")
def sys_dup3(task: Any, oldfd: int, newfd: int, flags: int) -> int:
    # Linux: fs/file.c ksys_dup3
    flags = s32(flags)
    if flags & ~O_CLOEXEC:
        raise Errno(E.EINVAL)
    oldfd, newfd = _u32(oldfd), _u32(newfd)
    if oldfd == newfd:
        raise Errno(E.EINVAL)
    return task.files.dup3(oldfd, newfd, bool(flags & O_CLOEXEC), _nofile(task))


CLOSE_RANGE_UNSHARE = 1 << 1
CLOSE_RANGE_CLOEXEC = 1 << 2


@syscall("close_range", "fd", "fd", "x")
def sys_close_range(task: Any, fd: int, max_fd: int, flags: int) -> int:
    # Linux: fs/file.c close_range
    fd, max_fd, flags = _u32(fd), _u32(max_fd), _u32(flags)
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


_O_PATH_FCNTL = (F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL)


@syscall("fcntl", "fd", "fcntl", "x")
def sys_fcntl(task: Any, fd: int, cmd: int, arg: int) -> int:
    # Linux: fs/fcntl.c do_fcntl (with check_fcntl_cmd for O_PATH files)
    fd, cmd = _u32(fd), _u32(cmd)
    f = _fdget_raw(task, fd)
    if f.is_path and cmd not in _O_PATH_FCNTL:
        raise Errno(E.EBADF)
    files = task.files
    if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
        arg = _u64(arg)
        limit = _nofile(task)
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
        arg = _u32(arg)
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
    from .fsmore import fcntl_more

    r = fcntl_more(task, f, cmd, arg)
    if r is not None:
        return r
    raise Errno(E.EINVAL)


@syscall("ioctl", "fd", "ioctl", "x")
def sys_ioctl(task: Any, fd: int, cmd: int, arg: int) -> int:
    # Linux: fs/ioctl.c do_vfs_ioctl handles these for every file, file_ioctl FIONREAD for regular ones
    f = _fdget(task, fd)
    fd, cmd = _u32(fd), _u32(cmd)
    if cmd == FIOCLEX or cmd == FIONCLEX:
        task.files.set_cloexec(fd, cmd == FIOCLEX)
        return 0
    if cmd == FIONBIO or cmd == FIOASYNC:
        on = task.mm.read_u32(arg)
        bit = O_NONBLOCK if cmd == FIONBIO else O_ASYNC
        f.set_status_flags((f.flags | bit) if on else (f.flags & ~bit))
        return 0
    if cmd == FIONREAD and f.inode is not None and s_isreg(f.inode.mode):
        task.mm.write(arg, struct.pack("<i", max(-(1 << 31), min(f.readable_bytes(), (1 << 31) - 1))))
        return 0
    return f.ioctl(task, cmd, arg)


@syscall("umask", "mode")
def sys_umask(task: Any, mask: int) -> int:
    return task.fs.set_umask(mask & 0o777)


# -- sizes and sync ----------------------------------------------------------------------------------------
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


@syscall("fsync", "fd")
def sys_fsync(task: Any, fd: int) -> int:
    _fdget(task, fd).fsync()
    return 0


@syscall("fdatasync", "fd")
def sys_fdatasync(task: Any, fd: int) -> int:
    _fdget(task, fd).fsync()
    return 0


# -- ownership and mode ------------------------------------------------------------------------------------
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
    x = _u32(x)
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
