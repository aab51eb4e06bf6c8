"""read, write, pread64, pwrite64, readv, writev, preadv, pwritev, lseek, sendfile and copy_file_range
(Linux fs/read_write.c), with the blocking-retry and copy helpers that splice.py shares.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from ..abi import errno as E
from ..abi.fcntl import O_APPEND, O_NONBLOCK, S_IFCHR, S_IFDIR, S_IFMT, S_IFREG, SEEK_CUR, SEEK_HOLE, SEEK_SET
from ..abi.siginfo import SI_USER
from ..abi.signal import SIGPIPE
from ..errors import Errno, Fault
from ..fs.file import FMODE_LSEEK, FMODE_PREAD, FMODE_PWRITE, BrokenPipe, File, WouldBlock
from ..fs.inode import MAX_LFS_FILESIZE
from ..fs.pipe import PipeFile
from ..sched import Block
from ..signal.siginfo import SigInfo
from . import access_ok, s64, u32, u64
from .file import _fdget, _file_mode
from .table import syscall

MAX_RW_COUNT = 0x7FFFF000  # Linux: INT_MAX & PAGE_MASK


UIO_MAXIOV = 1024
CHUNK = 1 << 20  # one host allocation per step when a read or write is large
IOVEC = struct.Struct("<QQ")


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
    signals = task.kernel.signals
    if signals is None:
        return
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
    if not access_ok(buf, count):
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
    if not access_ok(buf, count):
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
    count = u64(count)
    return _retry(task, lambda: _read_to_user(task, f, buf, count))


@syscall("write", "fd", "buf_in", "u")
def sys_write(task: Any, fd: int, buf: int, count: int) -> Any:
    f = _fdget(task, fd)
    _check_write(f)
    return _write_from_user(task, f, buf, u64(count))


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
    return _read_to_user(task, f, buf, u64(count), s64(pos))


@syscall("pwrite64", "fd", "buf_in", "u", "d")
def sys_pwrite64(task: Any, fd: int, buf: int, count: int, pos: int) -> Any:
    f = _positional(task, fd, s64(pos), FMODE_PWRITE)
    _check_write(f)
    return _write_from_user(task, f, buf, u64(count), s64(pos))


def import_iovec(task: Any, iov: int, iovcnt: int) -> list[tuple[int, int]]:
    """The (base, len) pairs of a guest iovec array (Linux import_iovec): EINVAL, EFAULT."""
    iovcnt = u64(iovcnt)
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
        if not access_ok(base, length):
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
    whence = u32(whence)
    if whence > SEEK_HOLE:
        raise Errno(E.EINVAL)
    if not f.f_mode & FMODE_LSEEK:
        raise Errno(E.ESPIPE)
    return f.lseek(s64(offset), whence)


_LOFF = struct.Struct("<q")


def _loff_in(task: Any, ptr: int) -> int:
    return _LOFF.unpack(task.mm.read(ptr, 8))[0]


def _loff_out(task: Any, ptr: int, value: int) -> None:
    task.mm.write(ptr, _LOFF.pack(value))


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
    count = min(u64(count), MAX_RW_COUNT)
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
    if u32(flags):
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
    count = u64(length)
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
