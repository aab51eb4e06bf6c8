"""Pipes (Linux fs/pipe.c).

A `Pipe` (pipe_inode_info) is a ring of page buffers: `max_usage` slots of PAGE_SIZE bytes each.  A write
first merges its odd tail-less head (total % PAGE_SIZE bytes) into the last buffer when that buffer still has
room in its page, then fills whole new pages; so a write of at most PIPE_BUF bytes is never split, and space
is freed a page at a time as readers drain buffers, exactly as Linux accounts it.  With O_DIRECT on the
writing file each buffer is a packet: a read returns one packet and discards what did not fit.

The two ends are open file descriptions (`PipeFile`); the reader and writer counts follow their lifetimes
(File.release runs when the last fd, inherited or dup'ed, is closed), so EOF and EPIPE appear when the last
end of a kind goes away, whether by close, exec's close-on-exec or exit.

Blocking: an operation that can make no progress raises WouldBlock(queue); the syscall layer parks the
task on the pipe's rd_wait or wr_wait and retries when woken (see emukernel.syscalls.read_write).
"""

from __future__ import annotations

import struct
from collections import deque
from typing import Any

from ..abi import errno as E
from ..abi.capability import CAP_SYS_ADMIN, CAP_SYS_RESOURCE
from ..abi.fcntl import F_GETPIPE_SZ, F_SETPIPE_SZ, O_DIRECT, O_NONBLOCK, O_RDONLY, O_WRONLY, S_IFIFO
from ..errors import Errno
from .file import (
    FMODE_LSEEK,
    FMODE_PREAD,
    FMODE_PWRITE,
    FMODE_READ,
    FMODE_WRITE,
    BrokenPipe,
    File,
    WouldBlock,
)
from .permission import capable
from .poll import POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, WaitHead, wake_up
from .stat import Kstat, mkdev

PAGE_SIZE = 4096
PIPE_BUF = PAGE_SIZE
PIPE_DEF_BUFFERS = 16
PIPE_MIN_DEF_BUFFERS = 2
INR_OPEN_CUR = 1024
PIPEFS_DEV = mkdev(0, 15)
FIONREAD = 0x541B


class PipeFs:
    """The per-kernel pipefs: inode numbers, /proc/sys/fs/pipe-* limits and per-user buffer accounting."""

    def __init__(self) -> None:
        self.next_ino = 0x2000  # Linux get_next_ino(): a counter shared by pseudo filesystems
        self.pipe_max_size = 1048576  # /proc/sys/fs/pipe-max-size
        self.pipe_user_pages_soft = PIPE_DEF_BUFFERS * INR_OPEN_CUR  # /proc/sys/fs/pipe-user-pages-soft
        self.pipe_user_pages_hard = 0  # /proc/sys/fs/pipe-user-pages-hard (0: no limit)
        self.user_bufs: dict[int, int] = {}  # uid -> pipe pages accounted to it (user_struct.pipe_bufs)

    def get_next_ino(self) -> int:
        self.next_ino += 1
        return self.next_ino

    def account(self, uid: int, old: int, new: int) -> int:
        """account_pipe_buffers: the user's total after replacing `old` pages by `new`."""
        n = self.user_bufs.get(uid, 0) + new - old
        if n:
            self.user_bufs[uid] = n
        else:
            self.user_bufs.pop(uid, None)
        return n

    def too_many_soft(self, user_bufs: int) -> bool:
        return bool(self.pipe_user_pages_soft) and user_bufs > self.pipe_user_pages_soft

    def too_many_hard(self, user_bufs: int) -> bool:
        return bool(self.pipe_user_pages_hard) and user_bufs > self.pipe_user_pages_hard


def pipefs(kernel: Any) -> PipeFs:
    fs = kernel.pipefs
    if fs is None:
        fs = PipeFs()
        kernel.pipefs = fs
    return fs


def _unprivileged(creds: Any) -> bool:
    """pipe_is_unprivileged_user."""
    return not capable(creds, CAP_SYS_RESOURCE) and not capable(creds, CAP_SYS_ADMIN)


def round_pipe_size(size: int) -> int:
    """round_pipe_size: a power-of-two number of pages, at least one; 0 when too big."""
    if size > 1 << 31:
        return 0
    if size < PAGE_SIZE:
        return PAGE_SIZE
    return 1 << (size - 1).bit_length()


class PipeBuffer:
    """One slot of the ring: the unread bytes of one page; `end` is where a merged write would go."""

    __slots__ = ("data", "end", "packet")

    def __init__(self, data: bytes, packet: bool) -> None:
        self.data = bytearray(data)
        self.end = len(data)
        self.packet = packet  # PIPE_BUF_FLAG_PACKET (else PIPE_BUF_FLAG_CAN_MERGE)


class Pipe:
    """pipe_inode_info."""

    def __init__(self, kernel: Any, creds: Any) -> None:
        fs = pipefs(kernel)
        self.kernel = kernel
        self.fs = fs
        # Linux: fs/pipe.c alloc_pipe_info
        bufs = PIPE_DEF_BUFFERS
        if bufs * PAGE_SIZE > fs.pipe_max_size and not capable(creds, CAP_SYS_RESOURCE):
            bufs = fs.pipe_max_size // PAGE_SIZE
        self.user = creds.uid
        user_bufs = fs.account(self.user, 0, bufs)
        if fs.too_many_soft(user_bufs) and _unprivileged(creds):
            user_bufs = fs.account(self.user, bufs, PIPE_MIN_DEF_BUFFERS)
            bufs = PIPE_MIN_DEF_BUFFERS
        if fs.too_many_hard(user_bufs) and _unprivileged(creds):
            fs.account(self.user, bufs, 0)
            raise Errno(E.ENFILE)
        self.max_usage = bufs
        self.nr_accounted = bufs
        self.bufs: deque[PipeBuffer] = deque()
        self.readers = 0
        self.writers = 0
        self.files = 0
        self.r_counter = 1
        self.w_counter = 1
        self.poll_usage = False
        self.rd_wait = WaitHead("pipe read")
        self.wr_wait = WaitHead("pipe write")
        self.freed = False
        self.on_free: Any = None  # a FIFO's: forget the pipe of the inode (Linux inode->i_pipe = NULL)
        self.waiting: dict[PipeFile, Any] = {}  # FIFO ends whose open waits for a partner -> the opener

    # -- state -------------------------------------------------------------------------------------------
    def full(self) -> bool:
        return len(self.bufs) >= self.max_usage

    def nbytes(self) -> int:
        return sum(len(b.data) for b in self.bufs)

    def wake(self, head: WaitHead, key: int = 0) -> None:
        wake_up(self.kernel, head, key)

    # -- I/O ---------------------------------------------------------------------------------------------
    def read(self, n: int, nonblock: bool) -> bytes:
        """pipe_read: up to n bytes (one packet in packet mode); b"" at EOF; EAGAIN / WouldBlock when empty."""
        if n == 0:
            return b""
        if self.waiting:
            self.prune_waiting()
        out = bytearray()
        bufs = self.bufs
        wake_writer = False
        while bufs:
            buf = bufs[0]
            chars = min(len(buf.data), n - len(out))
            out += buf.data[:chars]
            del buf.data[:chars]
            if buf.packet:
                buf.data.clear()  # the rest of a packet that did not fit is discarded
            if not buf.data:
                wake_writer |= self.full()
                bufs.popleft()
            if buf.packet or len(out) == n:
                break
        if not out:
            if not self.writers:
                return b""
            if nonblock:
                raise Errno(E.EAGAIN)
            raise WouldBlock(self.rd_wait, "pipe read")
        if wake_writer:
            self.wake(self.wr_wait, POLLOUT | POLLWRNORM)
        return bytes(out)

    def unread(self, data: bytes) -> None:
        """Put back bytes a read took that the guest never got (a fault while copying them out)."""
        if data:
            self.bufs.appendleft(PipeBuffer(data, False))

    def write(self, data: bytes, nonblock: bool, packet: bool, first: bool = True) -> int:
        """pipe_write: how many bytes went in; a write of at most PIPE_BUF bytes goes in whole or not at all.

        Raises BrokenPipe without readers, EAGAIN (nonblock) or WouldBlock when nothing fits.  `first` is
        False when a blocked write goes on: only its first step may merge into the last buffer."""
        total = len(data)
        if total == 0:
            return 0
        if self.waiting:
            self.prune_waiting()
        if not self.readers:
            raise BrokenPipe()
        bufs = self.bufs
        ret = 0
        was_empty = not bufs
        chars = total & (PAGE_SIZE - 1)
        if first and chars and not was_empty:
            last = bufs[-1]
            if not last.packet and last.end + chars <= PAGE_SIZE:
                last.data += data[:chars]
                last.end += chars
                ret = chars
        while ret < total:
            if self.full():
                if ret:
                    break
                if nonblock:
                    raise Errno(E.EAGAIN)
                raise WouldBlock(self.wr_wait, "pipe write")
            piece = data[ret : ret + PAGE_SIZE]
            bufs.append(PipeBuffer(piece, packet))
            ret += len(piece)
        if was_empty or self.poll_usage:
            self.wake(self.rd_wait, POLLIN | POLLRDNORM)
        return ret

    # -- F_SETPIPE_SZ ------------------------------------------------------------------------------------
    def set_size(self, arg: int, creds: Any) -> int:
        """pipe_set_size: the new capacity in bytes."""
        size = round_pipe_size(arg)
        nr_slots = size // PAGE_SIZE
        if not nr_slots:
            raise Errno(E.EINVAL)
        fs = self.fs
        if nr_slots > self.max_usage and size > fs.pipe_max_size and not capable(creds, CAP_SYS_RESOURCE):
            raise Errno(E.EPERM)
        user_bufs = fs.account(self.user, self.nr_accounted, nr_slots)
        if nr_slots > self.max_usage and (fs.too_many_hard(user_bufs) or fs.too_many_soft(user_bufs)) \
                and _unprivileged(creds):
            fs.account(self.user, nr_slots, self.nr_accounted)
            raise Errno(E.EPERM)
        if nr_slots < len(self.bufs):  # pipe_resize_ring
            fs.account(self.user, nr_slots, self.nr_accounted)
            raise Errno(E.EBUSY)
        self.max_usage = nr_slots
        self.nr_accounted = nr_slots
        self.wake(self.wr_wait)
        return self.max_usage * PAGE_SIZE

    # -- ends --------------------------------------------------------------------------------------------
    def open_end(self, f_mode: int) -> None:
        self.files += 1
        if f_mode & FMODE_READ:
            self.readers += 1
            self.r_counter += 1
        if f_mode & FMODE_WRITE:
            self.writers += 1
            self.w_counter += 1

    def release_end(self, f_mode: int) -> None:
        """pipe_release: the last reference to one end went away."""
        if f_mode & FMODE_READ:
            self.readers -= 1
        if f_mode & FMODE_WRITE:
            self.writers -= 1
        if (not self.readers) != (not self.writers):
            self.wake(self.rd_wait)
            self.wake(self.wr_wait)
        self.files -= 1
        if not self.files:
            self.free()

    def free(self) -> None:
        """free_pipe_info."""
        if not self.freed:
            self.freed = True
            self.fs.account(self.user, self.nr_accounted, 0)
            self.bufs.clear()
            if self.on_free is not None:
                self.on_free()

    def prune_waiting(self) -> None:
        """Drop the ends of FIFO opens whose task died while it waited (its open never finished)."""
        for f, task in list(self.waiting.items()):
            if not task.alive:
                del self.waiting[f]
                f.get().put()


class PipeInode:
    """The pipefs inode behind an anonymous pipe: its number, owner, times and its pipe while one is open
    (Linux inode->i_pipe: an O_PATH fd of the inode outlives the pipe, and opening it makes a new one)."""

    __slots__ = ("ino", "uid", "gid", "atime_ns", "mtime_ns", "ctime_ns", "pipe")

    def __init__(self, ino: int, uid: int, gid: int, now: int) -> None:
        self.ino = ino
        self.uid = uid
        self.gid = gid
        self.atime_ns = self.mtime_ns = self.ctime_ns = now
        self.pipe: Pipe | None = None

    def set_pipe(self, pipe: Pipe) -> Pipe:
        self.pipe = pipe

        def forget(pipe: Pipe = pipe) -> None:
            if self.pipe is pipe:
                self.pipe = None

        pipe.on_free = forget
        return pipe


class PipeFile(File):
    """One end of a pipe or an open FIFO (stream_open: no lseek, pread or pwrite)."""

    __slots__ = ("pipe", "pinode", "f_pipe", "released", "partner")

    stream = True
    can_poll = True
    write_continues = True

    def __init__(self, pipe: Pipe, flags: int, pinode: PipeInode | None = None, path: Any = None,
                 inode: Any = None) -> None:  # fmt: skip
        super().__init__(path, inode, flags)
        self.f_mode &= ~(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE)
        self.pipe = pipe
        self.pinode = pinode  # None for a FIFO: its inode is the filesystem's
        self.f_pipe = 0  # (FIFOs) a reader opened before any writer: no POLLHUP until w_counter moves
        self.released = False
        self.partner: tuple[str, int] | None = None  # (FIFOs) the open waits until this counter moves
        pipe.open_end(self.f_mode)

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.pipe.waiting.pop(self, None)
            self.pipe.release_end(self.f_mode)

    def open_wait(self, task: Any) -> None:
        # Linux: fs/pipe.c wait_for_partner
        if self.partner is None:
            return
        counter, cur = self.partner
        pipe = self.pipe
        if getattr(pipe, counter) != cur:
            self.partner = None
            pipe.waiting.pop(self, None)
            return
        pipe.waiting[self] = task
        raise WouldBlock(pipe.rd_wait, "fifo open")

    def _now(self) -> int:
        return self.pipe.kernel.vfs.now()

    def read(self, n: int) -> bytes:
        data = self.pipe.read(n, bool(self.flags & O_NONBLOCK))
        if data and self.pinode is not None:
            self.pinode.atime_ns = self._now()  # file_accessed
        return data

    def unread(self, data: bytes) -> None:
        self.pipe.unread(data)

    def _write(self, data: bytes, first: bool) -> int:
        n = self.pipe.write(data, bool(self.flags & O_NONBLOCK), bool(self.flags & O_DIRECT), first)
        if n and self.pinode is not None:
            self.pinode.mtime_ns = self.pinode.ctime_ns = self._now()  # file_update_time
        return n

    def write(self, data: bytes) -> int:
        return self._write(data, True)

    def write_more(self, data: bytes) -> int:
        return self._write(data, False)

    def readable_bytes(self) -> int:
        return self.pipe.nbytes()

    def ioctl(self, task: Any, request: int, arg: int) -> int:
        # Linux: fs/pipe.c pipe_ioctl
        if request == FIONREAD:
            task.mm.write(arg, struct.pack("<I", self.pipe.nbytes() & 0xFFFFFFFF))
            return 0
        raise Errno(E.ENOTTY)

    def fcntl_pipe(self, cmd: int, arg: int, creds: Any) -> int:
        """pipe_fcntl: F_SETPIPE_SZ (arg is an unsigned int) and F_GETPIPE_SZ."""

        if cmd == F_SETPIPE_SZ:
            return self.pipe.set_size(arg & 0xFFFFFFFF, creds)
        if cmd == F_GETPIPE_SZ:
            return self.pipe.max_usage * PAGE_SIZE
        raise Errno(E.EINVAL)

    def poll(self, task: Any, pt: Any) -> int:
        # Linux: fs/pipe.c pipe_poll
        pipe = self.pipe
        pipe.poll_usage = True
        if pt is not None:
            if self.f_mode & FMODE_READ:
                pt.wait(pipe.rd_wait)
            if self.f_mode & FMODE_WRITE:
                pt.wait(pipe.wr_wait)
        if pipe.waiting:
            pipe.prune_waiting()
        mask = 0
        if self.f_mode & FMODE_READ:
            if pipe.bufs:
                mask |= POLLIN | POLLRDNORM
            if not pipe.writers and self.f_pipe != pipe.w_counter:
                mask |= POLLHUP
        if self.f_mode & FMODE_WRITE:
            if not pipe.full():
                mask |= POLLOUT | POLLWRNORM
            if not pipe.readers:
                mask |= POLLERR
        return mask

    def stat(self) -> Kstat:
        if self.pinode is None:
            return super().stat()
        pi = self.pinode
        return Kstat(dev=PIPEFS_DEV, ino=pi.ino, mode=S_IFIFO | 0o600, nlink=1, uid=pi.uid, gid=pi.gid,
                     blksize=PAGE_SIZE, atime_ns=pi.atime_ns, mtime_ns=pi.mtime_ns, ctime_ns=pi.ctime_ns)

    def reopen(self, flags: int, creds: Any) -> PipeFile:
        # Linux: fs/pipe.c fifo_open on the pipefs inode: its pipe (a new one once every end was closed), an end
        # of the kind `flags` asks for
        if flags & O_DIRECT:
            raise Errno(E.EINVAL)  # do_dentry_open: no FMODE_CAN_ODIRECT
        pinode = self.pinode
        assert pinode is not None  # a FIFO's end has a path and is opened as the FIFO
        pipe = pinode.pipe
        fresh = pipe is None
        if pipe is None:
            pipe = pinode.set_pipe(Pipe(self.pipe.kernel, creds))
        try:
            return open_pipe_end(pipe, flags, True, pinode=pinode)
        except Errno:
            if fresh:
                pipe.free()
            raise

    def fdinfo_name(self) -> str:
        """What /proc/<pid>/fd/<n> links to (pipefs_dname)."""
        return f"pipe:[{self.pinode.ino if self.pinode is not None else 0}]"


PIPE2_FLAGS = O_NONBLOCK | O_DIRECT | 0o2000000  # O_CLOEXEC; O_NOTIFICATION_PIPE (O_EXCL) is not supported


def create_pipe_files(task: Any, flags: int) -> tuple[PipeFile, PipeFile]:
    """create_pipe_files: the read end (O_RDONLY) and the write end (O_WRONLY, with O_DIRECT if asked)."""
    kernel = task.kernel
    creds = task.creds
    pipe = Pipe(kernel, creds)
    pinode = PipeInode(pipefs(kernel).get_next_ino(), creds.fsuid, creds.fsgid, kernel.vfs.now())
    pinode.set_pipe(pipe)
    w = PipeFile(pipe, O_WRONLY | (flags & (O_NONBLOCK | O_DIRECT)), pinode)
    r = PipeFile(pipe, O_RDONLY | (flags & O_NONBLOCK), pinode)
    return r, w


def fifo_open(kernel: Any, fifos: dict, path: Any, inode: Any, flags: int, creds: Any) -> PipeFile:
    """Open a FIFO (Linux fs/pipe.c fifo_open): the pipe of the inode, made by its first opener.

    A read-only open without a writer (or a write-only one without a reader) returns an end whose
    `open_wait` blocks until the partner comes; O_NONBLOCK readers never wait, O_NONBLOCK writers get
    ENXIO, O_RDWR never waits.  `fifos` maps each FIFO in use to its pipe (Linux inode->i_pipe)."""
    if kernel is None:
        raise Errno(E.ENXIO)  # a VFS without a kernel has no pipes
    if flags & O_DIRECT:
        raise Errno(E.EINVAL)  # do_dentry_open: no FMODE_CAN_ODIRECT
    key = (id(inode.sb.writecount), inode.write_key())  # hostfs mounts share one table: one FIFO, one pipe
    pipe = fifos.get(key)
    if pipe is not None and pipe.waiting:
        pipe.prune_waiting()
        pipe = fifos.get(key)
    fresh = pipe is None
    if pipe is None:
        pipe = Pipe(kernel, creds)
        fifos[key] = pipe

        def forget(pipe: Pipe = pipe) -> None:
            if fifos.get(key) is pipe:
                del fifos[key]

        pipe.on_free = forget
    try:
        return open_pipe_end(pipe, flags, False, path, inode)
    except Errno:
        if fresh:
            pipe.free()
        raise


def open_pipe_end(pipe: Pipe, flags: int, is_pipe: bool, path: Any = None, inode: Any = None,
                  pinode: PipeInode | None = None) -> PipeFile:  # fmt: skip
    """A new end of `pipe` opened with `flags` (the second half of Linux fifo_open).  `is_pipe`: an anonymous
    pipe reached through /proc/PID/fd, which never waits for a partner and never fails for lack of one."""
    f_mode = (flags + 1) & 3
    if f_mode == 0 or (not is_pipe and f_mode == FMODE_WRITE and flags & O_NONBLOCK and not pipe.readers):
        raise Errno(E.ENXIO if f_mode else E.EINVAL)
    readers, writers = pipe.readers, pipe.writers
    f = PipeFile(pipe, flags, pinode, path, inode)
    if (f_mode & FMODE_READ and not readers) or (f_mode & FMODE_WRITE and not writers):
        pipe.wake(pipe.rd_wait)  # wake_up_partner
    if is_pipe:
        return f
    if f_mode == FMODE_READ and not pipe.writers:
        if flags & O_NONBLOCK:
            f.f_pipe = pipe.w_counter  # no POLLHUP until a writer has come
        else:
            f.partner = ("w_counter", pipe.w_counter)
    elif f_mode == FMODE_WRITE and not pipe.readers:
        f.partner = ("r_counter", pipe.r_counter)
    return f
