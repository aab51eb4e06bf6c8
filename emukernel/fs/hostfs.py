"""hostfs: a host directory (or a single host file) seen as a filesystem of the guest.

Every inode pins its host file with an O_PATH|O_NOFOLLOW descriptor, opened relative to the descriptor of
its directory; the host is never handed a path with more than one component, and never follows a symlink
(symlinks are read and walked by the VFS, in the guest namespace).  A name swapped for a symlink on the host
between two steps is therefore opened as the symlink itself, never through it.  An open for I/O re-opens
the pinned inode through /proc/self/fd, which names exactly that inode and cannot be redirected.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import stat as pystat
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..abi import errno as E
from ..abi.fcntl import (
    O_ACCMODE,
    O_APPEND,
    O_DSYNC,
    O_SYNC,
    S_IFBLK,
    S_IFCHR,
    S_IFMT,
    SEEK_CUR,
    SEEK_DATA,
    SEEK_END,
    SEEK_HOLE,
    SEEK_SET,
)
from ..errors import Errno
from .file import DirFile, File, generic_llseek
from .inode import Inode, SuperBlock
from .mem import open_device
from .mount import fill_mount_attrs
from .stat import Kstat, dev_major, dev_minor

if TYPE_CHECKING:
    from collections.abc import Callable

    from .mount import Path

_PATH_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
_AT_EMPTY_PATH = 0x1000
_SYS_GETDENTS64 = 217
_SYS_FCHOWNAT = 260
_SYS_RENAMEAT2 = 316
GETDENTS_MAX = 1 << 16

_libc = ctypes.CDLL(None, use_errno=True)
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long


class _Timespec(ctypes.Structure):
    _fields_ = (("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long))


UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2


@contextlib.contextmanager
def host_errors() -> Iterator[None]:
    """Turn a host OSError into the same errno for the guest."""
    try:
        yield
    except OSError as e:
        raise Errno(e.errno or E.EIO) from None


def _check(ret: int) -> int:
    if ret < 0:
        raise Errno(ctypes.get_errno() or E.EIO)
    return ret


def _proc_fd(fd: int) -> str:
    return f"/proc/self/fd/{fd}"


class HostSuperBlock(SuperBlock):
    """A host directory or file (resolved once, on the host, when the mount is made) as a filesystem."""

    __slots__ = ("host_path", "root", "host_umask", "random_bytes")

    def __init__(self, host_path: str, random_bytes: Callable[[int], bytes], writecount: dict | None = None,
                 flctx: dict | None = None) -> None:  # fmt: skip
        real = os.path.realpath(host_path)
        try:
            fd = os.open(real, _PATH_FLAGS)
        except OSError as e:
            raise ValueError(f"cannot use host path {host_path!r}: {e.strerror}") from None
        st = os.fstat(fd)
        super().__init__("hostfs", st.st_dev, writecount, flctx)
        self.host_path = real
        self.root = HostInode(self, fd)
        mask = os.umask(0)
        os.umask(mask)
        self.host_umask = mask
        self.random_bytes = random_bytes


class HostInode(Inode):
    """A host file, pinned by an O_PATH descriptor.  Attributes are read from the host on every use."""

    __slots__ = ("fd", "key")

    sb: HostSuperBlock

    def __init__(self, sb: HostSuperBlock, fd: int) -> None:
        st = os.fstat(fd)
        super().__init__(sb, st.st_ino)
        self.fd = fd
        self.key = (st.st_dev, st.st_ino)

    def __del__(self) -> None:
        self.forget()

    def forget(self) -> None:
        fd, self.fd = self.fd, -1
        if fd >= 0:
            with contextlib.suppress(Exception):
                os.close(fd)

    def _st(self) -> os.stat_result:
        with host_errors():
            return os.fstat(self.fd)

    @property
    def mode(self) -> int:  # type: ignore[override]
        return self._st().st_mode

    @property
    def uid(self) -> int:  # type: ignore[override]
        return self._st().st_uid

    @property
    def gid(self) -> int:  # type: ignore[override]
        return self._st().st_gid

    def same(self, other: Inode) -> bool:
        return isinstance(other, HostInode) and other.key == self.key

    def write_key(self) -> object:
        return self.key

    def is_dead(self) -> bool:
        return self._st().st_nlink == 0

    def getattr(self) -> Kstat:
        return Kstat.from_host(self._st())

    # -- attribute changes (permission checked by the VFS) ----------------------------------------------
    def setattr(self, *, mode: int | None = None, uid: int | None = None, gid: int | None = None) -> None:
        with host_errors():
            if uid is not None or gid is not None:
                u = -1 if uid is None else uid
                g = -1 if gid is None else gid
                _check(_syscall(ctypes.c_long(_SYS_FCHOWNAT), ctypes.c_long(self.fd), b"", ctypes.c_long(u),
                                ctypes.c_long(g), ctypes.c_long(_AT_EMPTY_PATH)))  # fmt: skip
            if mode is not None:
                os.chmod(_proc_fd(self.fd), mode & 0o7777)

    def truncate(self, size: int) -> None:
        with host_errors():
            os.truncate(_proc_fd(self.fd), size)

    def set_times(self, atime_ns: int | None, mtime_ns: int | None, ctime_ns: int) -> None:
        # the host sets ctime itself; the O_PATH descriptor names a symlink itself when it is one
        ts = (_Timespec * 2)()
        for i, t in enumerate((atime_ns, mtime_ns)):
            if t is None:
                ts[i].tv_sec, ts[i].tv_nsec = 0, UTIME_OMIT
            else:
                ts[i].tv_sec, ts[i].tv_nsec = divmod(t, 1_000_000_000)
        _check(_libc.utimensat(self.fd, b"", ts, _AT_EMPTY_PATH))

    def readlink(self) -> bytes:
        with host_errors():
            return os.readlink(b"", dir_fd=self.fd)

    # -- directory operations ---------------------------------------------------------------------------
    def lookup(self, name: bytes) -> Inode | None:
        if name in (b"", b".", b"..") or b"/" in name:  # the VFS never asks; never let the host walk
            raise Errno(E.ENOENT)
        try:
            fd = os.open(name, _PATH_FLAGS, dir_fd=self.fd)
        except FileNotFoundError:
            return None
        except OSError as e:
            raise Errno(e.errno or E.EIO) from None
        return HostInode(self.sb, fd)

    def _child(self, name: bytes) -> HostInode:
        inode = self.lookup(name)
        if inode is None:  # removed on the host between the two calls
            raise Errno(E.ENOENT)
        assert isinstance(inode, HostInode)
        return inode

    def _own(self, child: HostInode, mode: int | None, uid: int, gid: int) -> HostInode:
        """Give a new host file the guest's owner (when the host lets us) and its exact mode."""
        if (uid, gid) != (os.geteuid(), os.getegid()) and os.geteuid() == 0:
            with contextlib.suppress(Errno):
                child.setattr(uid=uid, gid=gid)
        if mode is not None and mode & self.sb.host_umask:
            child.setattr(mode=mode)
        return child

    def create(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        with host_errors():
            os.close(os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, mode & 0o7777, dir_fd=self.fd))
        return self._own(self._child(name), mode & 0o7777, uid, gid)

    def mkdir(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        with host_errors():
            os.mkdir(name, mode & 0o7777, dir_fd=self.fd)
        return self._own(self._child(name), mode & 0o7777, uid, gid)

    def symlink(self, name: bytes, target: bytes, uid: int, gid: int) -> Inode:
        with host_errors():
            os.symlink(target, name, dir_fd=self.fd)
        return self._own(self._child(name), None, uid, gid)

    def mknod(self, name: bytes, mode: int, dev: int, uid: int, gid: int) -> Inode:
        if mode & S_IFMT in (S_IFCHR, S_IFBLK):
            raise Errno(E.EPERM)  # the guest never makes device nodes of the host
        with host_errors():
            os.mknod(name, mode & (S_IFMT | 0o7777), 0, dir_fd=self.fd)
        return self._own(self._child(name), mode & 0o7777, uid, gid)

    def link(self, name: bytes, inode: Inode) -> None:
        assert isinstance(inode, HostInode)
        with host_errors():
            os.link(_proc_fd(inode.fd), name, dst_dir_fd=self.fd, follow_symlinks=True)

    def unlink(self, name: bytes, inode: Inode) -> None:
        with host_errors():
            os.unlink(name, dir_fd=self.fd)

    def rmdir(self, name: bytes, inode: Inode) -> None:
        with host_errors():
            os.rmdir(name, dir_fd=self.fd)

    def rename(self, old_name: bytes, new_dir: Inode, new_name: bytes, flags: int) -> None:
        assert isinstance(new_dir, HostInode)
        if not flags:
            with host_errors():
                os.rename(old_name, new_name, src_dir_fd=self.fd, dst_dir_fd=new_dir.fd)
            return
        _check(_syscall(ctypes.c_long(_SYS_RENAMEAT2), ctypes.c_long(self.fd), old_name, ctypes.c_long(new_dir.fd),
                        new_name, ctypes.c_long(flags)))  # fmt: skip

    def tmpfile(self, mode: int, uid: int, gid: int) -> Inode:
        with host_errors():
            fd = os.open(b".", os.O_TMPFILE | os.O_RDWR, mode & 0o7777, dir_fd=self.fd)
        return self._own(HostInode(self.sb, fd), mode & 0o7777, uid, gid)

    # -- open -------------------------------------------------------------------------------------------
    def open(self, path: Path, flags: int) -> File:
        st = self._st()
        fmt = pystat.S_IFMT(st.st_mode)
        if fmt == pystat.S_IFDIR:
            with host_errors():
                return HostDirFile(path, self, flags, os.open(b".", os.O_RDONLY | os.O_DIRECTORY, dir_fd=self.fd))
        if fmt == pystat.S_IFCHR:
            # a host device node is only ever one of our own devices: never open the host's
            return open_device(path, self, flags, dev_major(st.st_rdev), dev_minor(st.st_rdev), self.sb.random_bytes)
        if fmt != pystat.S_IFREG:
            raise Errno(E.ENXIO)  # sockets and block devices (FIFOs are the VFS's: fs/pipe.py fifo_open)
        acc = flags & O_ACCMODE
        with host_errors():
            if acc == O_ACCMODE:
                hfd = os.dup(self.fd)  # ioctl-only open: no read, no write
            else:
                hfd = os.open(_proc_fd(self.fd), acc | (flags & (O_APPEND | O_DSYNC | O_SYNC)) | os.O_CLOEXEC)
        return HostFile(path, self, flags, hfd)


class HostFile(File):
    """An open host regular file.  The position is ours; O_APPEND writes go through the host's append."""

    __slots__ = ("hfd",)

    mmappable = True

    def __init__(self, path: Path, inode: HostInode, flags: int, hfd: int) -> None:
        super().__init__(path, inode, flags)
        self.hfd = hfd

    def release(self) -> None:
        fd, self.hfd = self.hfd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)

    def read(self, n: int) -> bytes:
        with host_errors():
            data = os.pread(self.hfd, n, self.pos)
        self.pos += len(data)
        return data

    def pread(self, n: int, offset: int) -> bytes:
        with host_errors():
            return os.pread(self.hfd, n, offset)

    def write(self, data: bytes) -> int:
        with host_errors():
            if self.flags & O_APPEND:
                n = os.write(self.hfd, data)
                self.pos = os.lseek(self.hfd, 0, SEEK_CUR)
            else:
                n = os.pwrite(self.hfd, data, self.pos)
                self.pos += n
        return n

    def pwrite(self, data: bytes, offset: int) -> int:
        with host_errors():
            return os.pwrite(self.hfd, data, offset)

    def lseek(self, offset: int, whence: int) -> int:
        if whence in (SEEK_DATA, SEEK_HOLE):
            with host_errors():
                return self.setpos(os.lseek(self.hfd, offset, whence))
        if whence in (SEEK_SET, SEEK_CUR, SEEK_END):
            with host_errors():
                size = os.fstat(self.hfd).st_size
            return generic_llseek(self, offset, whence, size)
        raise Errno(E.EINVAL)

    def set_status_flags(self, flags: int) -> None:
        super().set_status_flags(flags)
        with host_errors():
            host = fcntl.fcntl(self.hfd, fcntl.F_GETFL)
            fcntl.fcntl(self.hfd, fcntl.F_SETFL, (host & ~O_APPEND) | (self.flags & O_APPEND))

    def stat(self) -> Kstat:
        with host_errors():
            k = Kstat.from_host(os.fstat(self.hfd))
        if self.path is not None:
            fill_mount_attrs(k, self.path)
        return k

    def truncate(self, length: int) -> None:
        with host_errors():
            os.ftruncate(self.hfd, length)

    def fsync(self) -> None:
        with host_errors():
            os.fsync(self.hfd)

    def fallocate(self, mode: int, offset: int, length: int) -> None:
        _check(_libc.fallocate(self.hfd, mode, ctypes.c_long(offset), ctypes.c_long(length)))

    def readable_bytes(self) -> int:
        with host_errors():
            return max(0, os.fstat(self.hfd).st_size - self.pos)


class HostDirFile(DirFile):
    """An open host directory: getdents64 and lseek are the host's, cursors included."""

    __slots__ = ("hfd",)

    def __init__(self, path: Path, inode: HostInode, flags: int, hfd: int) -> None:
        super().__init__(path, inode, flags)
        self.hfd = hfd

    def release(self) -> None:
        fd, self.hfd = self.hfd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)

    def getdents64(self, bufsize: int) -> bytes:
        assert self.inode is not None
        if self.inode.is_dead():
            raise Errno(E.ENOENT)
        size = min(bufsize, GETDENTS_MAX)
        buf = ctypes.create_string_buffer(size)
        n = _check(_syscall(ctypes.c_long(_SYS_GETDENTS64), ctypes.c_long(self.hfd), buf, ctypes.c_long(size)))
        with host_errors():
            self.pos = os.lseek(self.hfd, 0, SEEK_CUR)
        return buf.raw[:n]

    def lseek(self, offset: int, whence: int) -> int:
        with host_errors():
            self.pos = os.lseek(self.hfd, offset, whence)
        return self.pos

    def fsync(self) -> None:
        with host_errors():
            os.fsync(self.hfd)
