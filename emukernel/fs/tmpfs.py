"""tmpfs (Linux mm/shmem.c): directories, regular files, symlinks and device nodes held in memory."""

from __future__ import annotations

import ctypes
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..abi import errno as E
from ..abi.fcntl import (
    O_APPEND,
    O_NOATIME,
    RENAME_EXCHANGE,
    S_IFBLK,
    S_IFCHR,
    S_IFDIR,
    S_IFLNK,
    S_IFMT,
    S_IFREG,
    SEEK_DATA,
    SEEK_HOLE,
)
from ..errors import Errno
from ..mm import SharedBlock
from .file import DirFile, File, generic_llseek
from .inode import MAX_LFS_FILESIZE, Inode, SuperBlock, dtype_of, s_isdir
from .mem import open_device
from .stat import STATX_ATTR_APPEND, STATX_ATTR_IMMUTABLE, STATX_ATTR_NODUMP, Kstat, dev_major, dev_minor

if TYPE_CHECKING:
    from .mount import Path

PAGE_SIZE = 4096
BOGO_DIRENT_SIZE = 20  # Linux: mm/shmem.c, the size a directory entry adds to a directory's i_size
SHORT_SYMLINK_LEN = 128
DEFAULT_SIZE_LIMIT = 1 << 30
_ATTR_MASK = STATX_ATTR_APPEND | STATX_ATTR_IMMUTABLE | STATX_ATTR_NODUMP


_libc = ctypes.CDLL(None, use_errno=True)
_host_mmap = _libc.mmap
_host_mmap.restype = ctypes.c_void_p
_host_mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
_HOST_FAILED = ctypes.c_void_p(-1).value
_libc_fallocate = _libc.fallocate
_libc_fallocate.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long)


def _fallocate(fd: int, mode: int, offset: int, length: int) -> None:
    if _libc_fallocate(fd, mode, offset, length) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _page_up(n: int) -> int:
    return (n + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)


class TmpfsSuperBlock(SuperBlock):
    """One tmpfs instance: inode numbers, the clock for timestamps and a bound on the bytes it holds."""

    __slots__ = ("now", "size_limit", "used", "_inos", "root", "random_bytes")

    def __init__(self, dev: int, now: Callable[[], int] | None = None, size_limit: int = DEFAULT_SIZE_LIMIT,
                 fs_type: str = "tmpfs", root_mode: int = 0o1777, uid: int = 0, gid: int = 0,
                 random_bytes: Callable[[int], bytes] | None = None) -> None:  # fmt: skip
        super().__init__(fs_type, dev)
        self.now = now or time.time_ns
        self.random_bytes = random_bytes or os.urandom  # what a random device node made by mknod reads
        self.size_limit = size_limit
        self.used = 0
        self._inos = 0  # inode numbers handed out
        self.root = TmpDir(self, S_IFDIR | root_mode, uid, gid)

    def next_ino(self) -> int:
        self._inos += 1
        return self._inos

    def statfs_counts(self) -> tuple[int, int, int, int]:
        """(blocks, free blocks, inodes, free inodes) for statfs (shmem_statfs, with the size limit)."""
        blocks = self.size_limit // PAGE_SIZE
        free = max(0, self.size_limit - self.used) // PAGE_SIZE
        made = self._inos
        files = max(blocks, 1 << 20)
        return blocks, free, files, max(0, files - made)

    def charge(self, nbytes: int) -> None:
        """Account `nbytes` more of file data (negative to give back); ENOSPC past the size limit."""
        if nbytes > 0 and self.used + nbytes > self.size_limit:
            raise Errno(E.ENOSPC)
        self.used += nbytes


class TmpInode(Inode):
    """Attributes every tmpfs inode has."""

    __slots__ = ("mode", "uid", "gid", "nlink", "atime_ns", "mtime_ns", "ctime_ns", "btime_ns")

    sb: TmpfsSuperBlock

    def __init__(self, sb: TmpfsSuperBlock, mode: int, uid: int, gid: int) -> None:
        super().__init__(sb, sb.next_ino())
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.nlink = 1
        self.atime_ns = self.mtime_ns = self.ctime_ns = self.btime_ns = sb.now()

    def touch(self, *, m: bool = True, c: bool = True) -> None:
        now = self.sb.now()
        if m:
            self.mtime_ns = now
        if c:
            self.ctime_ns = now

    def is_dead(self) -> bool:
        return self.nlink == 0

    def set_times(self, atime_ns: int | None, mtime_ns: int | None, ctime_ns: int) -> None:
        if atime_ns is not None:
            self.atime_ns = atime_ns
        if mtime_ns is not None:
            self.mtime_ns = mtime_ns
        self.ctime_ns = ctime_ns

    def size(self) -> int:
        return 0

    def blocks(self) -> int:
        return 0

    def rdev(self) -> int:
        return 0

    def getattr(self) -> Kstat:
        # Linux: mm/shmem.c shmem_getattr
        return Kstat(
            dev=self.sb.dev, ino=self.ino, mode=self.mode, nlink=self.nlink, uid=self.uid, gid=self.gid,
            rdev=self.rdev(), size=self.size(), blksize=PAGE_SIZE, blocks=self.blocks(), atime_ns=self.atime_ns,
            mtime_ns=self.mtime_ns, ctime_ns=self.ctime_ns, btime_ns=self.btime_ns, attributes_mask=_ATTR_MASK,
        )  # fmt: skip

    def setattr(self, *, mode: int | None = None, uid: int | None = None, gid: int | None = None) -> None:
        if mode is not None:
            self.mode = (self.mode & S_IFMT) | (mode & 0o7777)
        if uid is not None:
            self.uid = uid
        if gid is not None:
            self.gid = gid
        self.touch(m=False)


class TmpSymlink(TmpInode):
    __slots__ = ("target",)

    def __init__(self, sb: TmpfsSuperBlock, target: bytes, uid: int, gid: int) -> None:
        super().__init__(sb, S_IFLNK | 0o777, uid, gid)
        self.target = target

    def size(self) -> int:
        return len(self.target)

    def blocks(self) -> int:
        return 0 if len(self.target) < SHORT_SYMLINK_LEN else PAGE_SIZE // 512

    def readlink(self) -> bytes:
        return self.target


class TmpSpecial(TmpInode):
    """A node made by mknod: a FIFO, a socket or a device (Linux shmem_mknod + init_special_inode).

    A FIFO is opened by the VFS (fs/pipe.py fifo_open); a character device opens the driver of its
    number when it is one of ours (ENXIO otherwise, as chrdev_open for an unregistered number); block
    devices and sockets cannot be opened (ENXIO)."""

    __slots__ = ("dev",)

    def __init__(self, sb: TmpfsSuperBlock, mode: int, dev: int, uid: int, gid: int) -> None:
        super().__init__(sb, mode, uid, gid)
        self.dev = dev

    def rdev(self) -> int:
        return self.dev

    def open(self, path: Path, flags: int) -> File:
        if self.mode & S_IFMT == S_IFCHR:
            return open_device(path, self, flags, dev_major(self.dev), dev_minor(self.dev), self.sb.random_bytes)
        raise Errno(E.ENXIO)


# memfd seals (include/uapi/linux/fcntl.h)
F_SEAL_SEAL = 0x01
F_SEAL_SHRINK = 0x02
F_SEAL_GROW = 0x04
F_SEAL_WRITE = 0x08
F_SEAL_FUTURE_WRITE = 0x10
F_SEAL_EXEC = 0x20
F_ALL_SEALS = 0x3F
_WRITE_SEALS = F_SEAL_WRITE | F_SEAL_FUTURE_WRITE

FALLOC_FL_KEEP_SIZE = 0x01
FALLOC_FL_PUNCH_HOLE = 0x02

PROT_WRITE = 0x2
_PROT_RW = 0x3
_MAP_SHARED = 0x01


class TmpFile(TmpInode):
    """A regular file.  Its bytes up to `alloc` are stored; past them, up to `length`, is a hole.

    The bytes live in `data` until the file is first mapped MAP_SHARED; from then on they live in a host
    memfd (`hfd`) that every shared mapping maps, so stores through a mapping and write(2) see each other
    at once (Linux shares the page cache).  The memfd never shrinks (`hsize` only grows): a host mapping
    never reaches past its end, so the host never faults on it; what a truncate cuts is punched out."""

    __slots__ = ("data", "length", "alloc", "opens", "linkable", "seals", "hfd", "hsize", "wmaps")

    def __init__(self, sb: TmpfsSuperBlock, mode: int, uid: int, gid: int) -> None:
        super().__init__(sb, mode, uid, gid)
        self.data = bytearray()
        self.length = 0
        self.alloc = 0  # the stored extent (len(data) until the file moves to a host memfd)
        self.opens = 0
        self.linkable = False  # an O_TMPFILE file that linkat may give a name (Linux I_LINKABLE)
        self.seals = F_SEAL_SEAL  # shmem_get_inode: sealing is off until memfd_create allows it
        self.hfd = -1
        self.hsize = 0
        self.wmaps: list = []  # SharedBlocks of shared mappings through a writable file (for F_SEAL_WRITE)

    def __del__(self) -> None:
        self._close_host()

    def _close_host(self) -> None:
        fd, self.hfd = self.hfd, -1
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass

    def free_if_unused(self) -> None:
        """The last name is gone and nothing has the file open: give its memory back (Linux evict)."""
        if self.nlink == 0 and self.opens == 0 and self.alloc:
            self.sb.charge(-self.alloc)
            self.alloc = 0
            self.data = bytearray()
            self._close_host()  # mappings keep their own hold on the host memory

    def size(self) -> int:
        return self.length

    def blocks(self) -> int:
        return _page_up(self.alloc) // 512

    # -- storage ----------------------------------------------------------------------------------------
    def _grow_to(self, end: int) -> None:
        """Store at least [0, end): charge what is new (ENOSPC past the tmpfs limit)."""
        grow = end - self.alloc
        if grow <= 0:
            return
        self.sb.charge(grow)
        if self.hfd >= 0:
            self._host_size(end)
        else:
            self.data.extend(bytes(grow))
        self.alloc = end

    def _host_size(self, end: int) -> None:
        if end > self.hsize:
            self.hsize = _page_up(end)
            os.ftruncate(self.hfd, self.hsize)

    def _cut(self, size: int) -> None:
        """Forget the stored bytes from `size` on (they read back as zeros)."""
        if size >= self.alloc:
            return
        self.sb.charge(size - self.alloc)
        if self.hfd >= 0:
            self._zero_host(size, self.hsize)
        else:
            del self.data[size:]
        self.alloc = size

    def _zero_host(self, start: int, end: int) -> None:
        """Zero [start, end) of the memfd (within hsize), giving whole pages back to the host."""
        if end <= start:
            return
        first, last = _page_up(start), end & ~(PAGE_SIZE - 1)
        if last <= first:
            os.pwrite(self.hfd, bytes(end - start), start)
            return
        if first > start:
            os.pwrite(self.hfd, bytes(first - start), start)
        try:
            _fallocate(self.hfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, first, last - first)
        except OSError:
            os.pwrite(self.hfd, bytes(last - first), first)
        if end > last:
            os.pwrite(self.hfd, bytes(end - last), last)

    def read_at(self, offset: int, n: int) -> bytes:
        end = min(offset + n, self.length)
        if end <= offset:
            return b""
        if self.hfd >= 0:
            chunk = os.pread(self.hfd, end - offset, offset)
        else:
            chunk = bytes(self.data[offset:end])
        if len(chunk) < end - offset:
            chunk += bytes(end - offset - len(chunk))
        return chunk

    def write_at(self, offset: int, buf: bytes) -> int:
        # Linux: mm/filemap.c generic_write_checks + generic_perform_write (shmem_write_begin: seals)
        if not buf:
            return 0
        if offset >= MAX_LFS_FILESIZE:
            raise Errno(E.EFBIG)
        buf = buf[: MAX_LFS_FILESIZE - offset]
        if self.seals & (_WRITE_SEALS | F_SEAL_GROW):
            if self.seals & _WRITE_SEALS:
                raise Errno(E.EPERM)
            # F_SEAL_GROW: page by page, the first page that would move the end of file fails
            ok = 0
            pos = offset
            while ok < len(buf):
                step = min(len(buf) - ok, PAGE_SIZE - (pos & (PAGE_SIZE - 1)))
                if pos + step > self.length:
                    break
                ok += step
                pos += step
            if not ok:
                raise Errno(E.EPERM)
            buf = buf[:ok]
        end = offset + len(buf)
        self._grow_to(end)
        if self.hfd >= 0:
            os.pwrite(self.hfd, buf, offset)
        else:
            self.data[offset:end] = buf
        self.length = max(self.length, end)
        self.touch()
        return len(buf)

    def truncate(self, size: int) -> None:
        # Linux: mm/shmem.c shmem_setattr (ATTR_SIZE)
        if size > MAX_LFS_FILESIZE:
            raise Errno(E.EFBIG)
        if (size < self.length and self.seals & F_SEAL_SHRINK) or (size > self.length and self.seals & F_SEAL_GROW):
            raise Errno(E.EPERM)
        self._cut(size)
        if self.hfd >= 0 and size > self.length:
            self._zero_host(self.length, min(size, self.hsize))  # stores through a mapping past the end
        self.length = size
        self.touch()

    def fallocate(self, mode: int, offset: int, length: int) -> None:
        """shmem_fallocate: allocate (mode 0, FALLOC_FL_KEEP_SIZE) or punch a hole (with KEEP_SIZE)."""
        # Linux: mm/shmem.c shmem_fallocate
        if mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE):
            raise Errno(E.EOPNOTSUPP)
        end = offset + length
        if mode & FALLOC_FL_PUNCH_HOLE:
            if self.seals & _WRITE_SEALS:
                raise Errno(E.EPERM)
            lo, hi = min(offset, self.alloc), min(end, self.alloc)
            if hi == self.alloc and lo < hi:
                self._cut(lo)
            elif lo < hi:
                if self.hfd >= 0:
                    self._zero_host(lo, hi)
                else:
                    self.data[lo:hi] = bytes(hi - lo)
            return
        if self.seals & F_SEAL_GROW and end > self.length:
            raise Errno(E.EPERM)
        self._grow_to(end)
        if not mode & FALLOC_FL_KEEP_SIZE and end > self.length:
            self.length = end
        self.touch(m=not mode & FALLOC_FL_KEEP_SIZE)

    def seek_data_hole(self, offset: int, whence: int) -> int:
        # Linux: mm/filemap.c mapping_seek_hole_data: pages below the end of `data` are data, the rest a hole
        if offset < 0 or offset >= self.length:
            raise Errno(E.ENXIO)
        data_end = min(_page_up(self.alloc), self.length)
        if whence == SEEK_DATA:
            if offset >= data_end:
                raise Errno(E.ENXIO)
            return offset
        return offset if offset >= data_end else data_end

    def setattr(self, *, mode: int | None = None, uid: int | None = None, gid: int | None = None) -> None:
        if mode is not None and self.seals & F_SEAL_EXEC and (self.mode ^ mode) & 0o111:
            raise Errno(E.EPERM)  # shmem_setattr
        super().setattr(mode=mode, uid=uid, gid=gid)

    # -- shared mappings --------------------------------------------------------------------------------
    def map_shared(self, offset: int, length: int) -> int:
        """A host mapping of [offset, offset + length) of the file's memory, for a MAP_SHARED VMA."""
        if self.hfd < 0:
            fd = os.memfd_create("emukernel-tmpfs", os.MFD_CLOEXEC)
            try:
                if self.alloc:
                    os.ftruncate(fd, _page_up(self.alloc))
                    os.pwrite(fd, bytes(self.data), 0)
            except OSError:
                os.close(fd)
                raise Errno(E.ENOMEM) from None
            self.hfd, self.hsize = fd, _page_up(self.alloc)
            self.data = bytearray()
        try:
            self._host_size(offset + length)
        except OSError:
            raise Errno(E.ENOMEM) from None
        addr = _host_mmap(None, length, _PROT_RW, _MAP_SHARED, self.hfd, offset)
        if addr is None or addr == _HOST_FAILED:
            raise Errno(E.ENOMEM)
        return addr

    def write_sealable(self) -> bool:
        """No shared mapping through a writable file is left (mapping_deny_writable would succeed)."""
        self.wmaps = [b for b in self.wmaps if b.refs > 0]
        return not self.wmaps

    def open(self, path: Path, flags: int) -> File:
        self.opens += 1
        return TmpFileHandle(path, self, flags)


class TmpDir(TmpInode):
    """A directory: names to inodes, each name with a cursor that only grows (Linux simple_offset)."""

    __slots__ = ("entries", "cursors", "_next_cursor")

    def __init__(self, sb: TmpfsSuperBlock, mode: int, uid: int, gid: int) -> None:
        super().__init__(sb, mode, uid, gid)
        self.nlink = 2
        self.entries: dict[bytes, TmpInode] = {}
        self.cursors: dict[bytes, int] = {}
        self._next_cursor = 2

    def size(self) -> int:
        return (len(self.entries) + 2) * BOGO_DIRENT_SIZE

    def open(self, path: Path, flags: int) -> File:
        return DirFile(path, self, flags)

    # -- entries ----------------------------------------------------------------------------------------
    def _add(self, name: bytes, inode: TmpInode) -> None:
        self.entries[name] = inode
        self.cursors[name] = self._next_cursor
        self._next_cursor += 1
        if s_isdir(inode.mode):
            self.nlink += 1
        self.touch()

    def _remove(self, name: bytes) -> TmpInode:
        inode = self.entries.pop(name)
        del self.cursors[name]
        if s_isdir(inode.mode):
            self.nlink -= 1
        self.touch()
        return inode

    def lookup(self, name: bytes) -> Inode | None:
        return self.entries.get(name)

    def readdir(self, path: Path, pos: int) -> list[tuple[int, bytes, int, int]]:
        return [
            (self.cursors[name], name, inode.ino, dtype_of(inode.mode))
            for name, inode in self.entries.items()
            if self.cursors[name] >= pos
        ]

    def create(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        inode = TmpFile(self.sb, S_IFREG | (mode & 0o7777), uid, gid)
        self._add(name, inode)
        return inode

    def mkdir(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        inode = TmpDir(self.sb, S_IFDIR | (mode & 0o7777), uid, gid)
        self._add(name, inode)
        return inode

    def symlink(self, name: bytes, target: bytes, uid: int, gid: int) -> Inode:
        inode = TmpSymlink(self.sb, target, uid, gid)
        self._add(name, inode)
        return inode

    def mknod(self, name: bytes, mode: int, dev: int, uid: int, gid: int) -> Inode:
        inode = TmpSpecial(self.sb, mode, dev if mode & S_IFMT in (S_IFCHR, S_IFBLK) else 0, uid, gid)
        self._add(name, inode)
        return inode

    def add_node(self, name: bytes, inode: TmpInode) -> TmpInode:
        """Place an inode made elsewhere (a device node) under `name`."""
        self._add(name, inode)
        return inode

    def link(self, name: bytes, inode: Inode) -> None:
        assert isinstance(inode, TmpInode)
        if inode.sb is not self.sb:
            raise Errno(E.EXDEV)
        inode.nlink += 1
        inode.touch(m=False)
        self._add(name, inode)

    def unlink(self, name: bytes, inode: Inode) -> None:
        victim = self._remove(name)
        victim.nlink -= 1
        victim.touch(m=False)
        self._release_if_gone(victim)

    def rmdir(self, name: bytes, inode: Inode) -> None:
        victim = self.entries[name]
        assert isinstance(victim, TmpDir)
        if victim.entries:
            raise Errno(E.ENOTEMPTY)
        self._remove(name)
        victim.nlink = 0
        victim.touch(m=False)

    def rename(self, old_name: bytes, new_dir: Inode, new_name: bytes, flags: int) -> None:
        # Linux: mm/shmem.c shmem_rename2
        assert isinstance(new_dir, TmpDir)
        src = self.entries[old_name]
        dst = new_dir.entries.get(new_name)
        if flags & RENAME_EXCHANGE:
            assert dst is not None
            self._remove(old_name)
            new_dir._remove(new_name)
            new_dir._add(new_name, src)
            self._add(old_name, dst)
            src.touch(m=False)
            dst.touch(m=False)
            return
        if dst is not None and isinstance(dst, TmpDir) and dst.entries:
            raise Errno(E.ENOTEMPTY)
        if dst is not None:
            new_dir._remove(new_name)
            dst.nlink = 0 if isinstance(dst, TmpDir) else dst.nlink - 1
            dst.touch(m=False)
            self._release_if_gone(dst)
        self._remove(old_name)
        new_dir._add(new_name, src)
        src.touch(m=False)

    def tmpfile(self, mode: int, uid: int, gid: int) -> Inode:
        inode = TmpFile(self.sb, S_IFREG | (mode & 0o7777), uid, gid)
        inode.nlink = 0
        return inode

    def _release_if_gone(self, inode: TmpInode) -> None:
        if isinstance(inode, TmpFile):
            inode.free_if_unused()


class TmpFileHandle(File):
    """An open tmpfs regular file (Linux shmem_file_operations)."""

    __slots__ = ()

    mmappable = True
    inode: TmpFile

    def release(self) -> None:
        self.inode.opens -= 1
        self.inode.free_if_unused()

    def read(self, n: int) -> bytes:
        data = self.inode.read_at(self.pos, n)
        self.pos += len(data)
        self._accessed()
        return data

    def pread(self, n: int, offset: int) -> bytes:
        data = self.inode.read_at(offset, n)
        self._accessed()
        return data

    def _accessed(self) -> None:
        # relatime: atime moves only when it is not newer than mtime or ctime
        ino = self.inode
        if not (self.flags & O_NOATIME) and (ino.atime_ns <= ino.mtime_ns or ino.atime_ns <= ino.ctime_ns):
            ino.atime_ns = ino.sb.now()

    def write(self, data: bytes) -> int:
        if self.flags & O_APPEND:
            self.pos = self.inode.length
        n = self.inode.write_at(self.pos, data)
        self.pos += n
        return n

    def pwrite(self, data: bytes, offset: int) -> int:
        # Linux: a file opened O_APPEND appends even with pwrite
        if self.flags & O_APPEND:
            offset = self.inode.length
        return self.inode.write_at(offset, data)

    def lseek(self, offset: int, whence: int) -> int:
        # Linux: mm/shmem.c shmem_file_llseek
        if whence in (SEEK_DATA, SEEK_HOLE):
            return self.setpos(self.inode.seek_data_hole(offset, whence))
        return generic_llseek(self, offset, whence, self.inode.length)

    def truncate(self, length: int) -> None:
        self.inode.truncate(length)

    def fallocate(self, mode: int, offset: int, length: int) -> None:
        self.inode.fallocate(mode, offset, length)

    def fsync(self) -> None:
        return None

    def readable_bytes(self) -> int:
        return max(0, self.inode.length - self.pos)

    def map_shared(self, offset: int, length: int, prot: int) -> Any:
        # Linux: mm/shmem.c shmem_mmap (memfd_check_seals_mmap): no new writable mapping of a sealed file
        ino = self.inode
        if ino.seals & _WRITE_SEALS and prot & PROT_WRITE:
            raise Errno(E.EPERM)

        block = SharedBlock(ino.map_shared(offset, length), length)
        if self.writable:
            if len(ino.wmaps) >= 64:
                ino.write_sealable()  # forget the mappings that are gone
            ino.wmaps.append(block)
        return block
