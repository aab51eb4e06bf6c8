"""Open file descriptions (Linux struct file): position, status flags and the file operations.

A `File` is shared by every fd that dup/fork made from one open(); its `refs` count those holders and the
last `put()` releases it.  The base class answers every operation the way Linux answers a file whose
file_operations lack it; each kind of file overrides what it supports.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from ..abi import errno as E
from ..abi.fcntl import (
    DT_DIR,
    O_ACCMODE,
    O_APPEND,
    O_ASYNC,
    O_DIRECT,
    O_NOATIME,
    O_NONBLOCK,
    O_PATH,
    SEEK_CUR,
    SEEK_DATA,
    SEEK_END,
    SEEK_HOLE,
    SEEK_SET,
)
from ..abi.mman import MAP_PRIVATE, MAP_TYPE, PROT_WRITE
from ..errors import Errno
from .inode import MAX_LFS_FILESIZE, Inode, put_write_access
from .locks import locks_remove_file
from .mount import fill_mount_attrs

if TYPE_CHECKING:
    from .mount import Path
    from .stat import Kstat

# fmt: off
FMODE_READ   = 0x1
FMODE_WRITE  = 0x2
FMODE_LSEEK  = 0x4
FMODE_PREAD  = 0x8
FMODE_PWRITE = 0x10
FMODE_EXEC   = 0x20
FMODE_PATH   = 0x4000
FMODE_WRITER = 0x10000  # holds write access to its inode (i_writecount), given back at the last put
# fmt: on

SETFL_MASK = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME  # Linux: fs/fcntl.c SETFL_MASK

DIRENT64_HEADER = struct.Struct("<QqHB")  # d_ino, d_off, d_reclen, d_type; then the name and a NUL


def pack_dirent64(ino: int, off: int, dtype: int, name: bytes) -> bytes:
    """One struct linux_dirent64, padded to 8 bytes."""
    reclen = (DIRENT64_HEADER.size + len(name) + 1 + 7) & ~7
    rec = DIRENT64_HEADER.pack(ino, off, reclen, dtype) + name
    return rec + b"\0" * (reclen - len(rec))


def open_fmode(flags: int) -> int:
    """FMODE_READ/WRITE of an access mode; O_ACCMODE (3) gives neither (Linux OPEN_FMODE)."""
    if flags & O_PATH:
        return FMODE_PATH
    return (flags + 1) & O_ACCMODE


def generic_llseek(file: File, offset: int, whence: int, eof: int) -> int:
    """lseek on a file whose data runs to `eof` with no holes (Linux generic_file_llseek_size)."""
    # Linux: fs/read_write.c generic_file_llseek_size
    if whence == SEEK_SET:
        pass
    elif whence == SEEK_CUR:
        if offset == 0:
            return file.pos
        offset += file.pos
    elif whence == SEEK_END:
        offset += eof
    elif whence == SEEK_DATA:
        if offset < 0 or offset >= eof:
            raise Errno(E.ENXIO)
    elif whence == SEEK_HOLE:
        if offset < 0 or offset >= eof:
            raise Errno(E.ENXIO)
        offset = eof
    else:
        raise Errno(E.EINVAL)
    return file.setpos(offset)


class WouldBlock(Exception):  # noqa: N818  (a control-flow signal, not an error)
    """Raised by a file operation that can make no progress now while O_NONBLOCK is clear.

    The syscall layer parks the task on `queue` (and/or until `deadline`) and tries again when woken;
    whatever the operation had done before raising it is kept by the caller's continuation."""

    def __init__(self, queue: Any = None, what: str = "", deadline: int | None = None) -> None:
        super().__init__(what)
        self.queue = queue
        self.what = what
        self.deadline = deadline


class BrokenPipe(Errno):
    """EPIPE from a write with no reader left: the syscall layer also sends SIGPIPE to the writer."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(E.EPIPE)


# EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM: what poll reports for a file without ->poll
DEFAULT_POLLMASK = 0x0001 | 0x0004 | 0x0040 | 0x0100


class File:
    """An open file description.  `path` is where it was opened (None for host stdio), `inode` its file."""

    __slots__ = ("path", "inode", "flags", "f_mode", "pos", "refs", "f_ep", "locks_held", "__weakref__")

    stream = False  # one read/write call per syscall, no looping (ttys, pipes: a second call could block)
    mmappable = False  # has an ->mmap: mmap reads its bytes with read_for_mmap
    can_poll = False  # has a ->poll of its own (file_can_poll): epoll accepts it
    write_continues = False  # a short stream write means "full, go on after a wait" (pipes), not "done"

    def __init__(self, path: Path | None, inode: Inode | None, flags: int) -> None:
        self.path = path
        self.inode = inode
        self.flags = flags
        self.f_mode = open_fmode(flags) | (0 if flags & O_PATH else FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE)
        self.pos = 0
        self.refs = 0
        self.f_ep: list[Any] | None = None  # the epoll items watching this file (Linux file->f_ep)
        self.locks_held = False  # flock or OFD locks may be held through this file (fs/locks.py)

    # -- references ---------------------------------------------------------------------------------------
    def get(self) -> File:
        self.refs += 1
        return self

    def put(self) -> None:
        self.refs -= 1
        if self.refs <= 0:
            if self.f_ep:
                # Linux __fput: eventpoll_release before ->release: drop the file from every epoll watching it
                for epi in self.f_ep[:]:
                    epi.ep.remove(epi)
                self.f_ep = None
            if self.locks_held:
                locks_remove_file(self)
            self.release()
            if self.f_mode & FMODE_WRITER and self.inode is not None:
                self.f_mode &= ~FMODE_WRITER
                put_write_access(self.inode)  # Linux __fput: put_file_access after ->release

    def release(self) -> None:
        """The last reference went away (Linux ->release): drop host resources."""

    def reopen(self, flags: int, creds: Any) -> File:
        """Open the object of this path-less file again through /proc/PID/fd/N (flags already checked): a new
        open file description.  Sockets and anonymous-inode files have no ->open (Linux no_open: ENXIO)."""
        raise Errno(E.ENXIO)

    def truncate_object(self, size: int) -> None:
        """truncate(2) or O_TRUNC through /proc/PID/fd/N of a path-less file that is a regular file."""
        raise Errno(E.EINVAL)

    def open_wait(self, task: Any) -> None:
        """An open that must wait before it completes (a FIFO's for its partner) raises WouldBlock."""

    # -- state ----------------------------------------------------------------------------------------------
    @property
    def readable(self) -> bool:
        return bool(self.f_mode & FMODE_READ)

    @property
    def writable(self) -> bool:
        return bool(self.f_mode & FMODE_WRITE)

    @property
    def is_path(self) -> bool:
        return bool(self.f_mode & FMODE_PATH)

    def setpos(self, offset: int, maxsize: int = MAX_LFS_FILESIZE) -> int:
        # Linux: fs/read_write.c vfs_setpos
        if offset < 0 or offset > maxsize:
            raise Errno(E.EINVAL)
        self.pos = offset
        return offset

    def set_status_flags(self, flags: int) -> None:
        """F_SETFL: only the SETFL_MASK bits change."""
        self.flags = (self.flags & ~SETFL_MASK) | (flags & SETFL_MASK)

    # -- operations -------------------------------------------------------------------------------------
    def read(self, n: int) -> bytes:
        raise Errno(E.EINVAL)

    def write(self, data: bytes) -> int:
        raise Errno(E.EINVAL)

    def read_task(self, task: Any, n: int) -> bytes:
        """read(2) on behalf of `task`: what most files read does not depend on the reader (signalfd's does)."""
        return self.read(n)

    def write_more(self, data: bytes) -> int:
        """Go on with a write this file already took part of (after a wait); only pipes distinguish it."""
        return self.write(data)

    def write_discard(self, n: int) -> int | None:
        """For devices that never look at the data (/dev/null, /dev/full): the result, else None."""
        return None

    def pread(self, n: int, offset: int) -> bytes:
        raise Errno(E.ESPIPE)

    def pwrite(self, data: bytes, offset: int) -> int:
        raise Errno(E.ESPIPE)

    def lseek(self, offset: int, whence: int) -> int:
        raise Errno(E.ESPIPE)

    def stat(self) -> Kstat:
        assert self.inode is not None
        k = self.inode.getattr()
        if self.path is not None:
            fill_mount_attrs(k, self.path)
        return k

    def getdents64(self, bufsize: int) -> bytes:
        raise Errno(E.ENOTDIR)

    def ioctl(self, task: Any, request: int, arg: int) -> int:
        raise Errno(E.ENOTTY)

    def truncate(self, length: int) -> None:
        raise Errno(E.EINVAL)

    def fallocate(self, mode: int, offset: int, length: int) -> None:
        raise Errno(E.EOPNOTSUPP)  # vfs_fallocate: no ->fallocate

    def fsync(self) -> None:
        raise Errno(E.EINVAL)

    def readable_bytes(self) -> int:
        """FIONREAD."""
        raise Errno(E.ENOTTY)

    def unread(self, data: bytes) -> None:
        """Give back bytes a stream read took that never reached the guest (a fault in the copy-out)."""

    def poll(self, task: Any, pt: Any) -> int:
        """The file's poll mask (EPOLL* bits) for `task`; registers its wait queues on `pt` when given.

        Files without a ->poll of their own are always readable and writable (Linux DEFAULT_POLLMASK)."""
        return DEFAULT_POLLMASK

    # -- mmap -------------------------------------------------------------------------------------------
    def check_mmap(self, prot: int, flags: int) -> None:
        """The file checks of mmap: EBADF (O_PATH), EACCES (access mode), ENODEV (no ->mmap)."""
        # Linux: mm/mmap.c do_mmap (file part)
        if self.is_path:
            raise Errno(E.EBADF)
        if flags & MAP_TYPE != MAP_PRIVATE and prot & PROT_WRITE and not self.writable:
            raise Errno(E.EACCES)
        if not self.readable:
            raise Errno(E.EACCES)
        if not self.mmappable:
            raise Errno(E.ENODEV)

    def map_shared(self, offset: int, length: int, prot: int) -> Any:
        """For MAP_SHARED: a SharedBlock of host memory that *is* the file's [offset, offset + length), or
        None when the file cannot share its memory (the mapping then starts as a copy, see read_for_mmap)."""
        return None

    def read_for_mmap(self, offset: int, length: int) -> bytes:
        """The bytes a new mapping of [offset, offset + length) starts with (short at end of file)."""
        return self.pread(length, offset)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} flags={self.flags:#o} pos={self.pos}>"


class PathFile(File):
    """An O_PATH descriptor: names a file for *at calls, fstat, fchdir and dup; no I/O."""

    __slots__ = ()


class DirFile(File):
    """An open directory: getdents64 over the directory's entries, positions are the filesystem's cursors."""

    __slots__ = ()

    def read(self, n: int) -> bytes:
        raise Errno(E.EISDIR)  # Linux: fs/libfs.c generic_read_dir

    def pread(self, n: int, offset: int) -> bytes:
        raise Errno(E.EISDIR)

    def lseek(self, offset: int, whence: int) -> int:
        # Linux: fs/libfs.c dcache_dir_lseek
        if whence == SEEK_CUR:
            offset += self.pos
        elif whence != SEEK_SET:
            raise Errno(E.EINVAL)
        if offset < 0:
            raise Errno(E.EINVAL)
        self.pos = offset
        return offset

    def fsync(self) -> None:
        return None

    def getdents64(self, bufsize: int) -> bytes:
        # Linux: fs/readdir.c iterate_dir + filldir64; "." is cursor 0, ".." cursor 1
        assert self.inode is not None and self.path is not None
        if self.inode.is_dead():
            raise Errno(E.ENOENT)
        out = bytearray()
        entries: list[tuple[int, bytes, int, int]] = []
        if self.pos == 0:
            entries.append((0, b".", self.inode.ino, DT_DIR))
        if self.pos <= 1:
            parent = self.path.dentry.parent
            pino = parent.inode.ino if parent is not None else self.inode.ino
            entries.append((1, b"..", pino, DT_DIR))
        for cursor, name, ino, dtype in entries + self.inode.readdir(self.path, max(self.pos, 2)):
            rec = pack_dirent64(ino, cursor + 1, dtype, name)
            if len(out) + len(rec) > bufsize:
                if not out:
                    raise Errno(E.EINVAL)  # result buffer too small
                break
            out += rec
            self.pos = cursor + 1
        return bytes(out)
