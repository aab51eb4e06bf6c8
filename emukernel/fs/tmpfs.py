"""tmpfs (Linux mm/shmem.c): directories, regular files, symlinks and device nodes held in memory."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..abi import errno as E
from ..abi.fcntl import (
    O_APPEND,
    O_NOATIME,
    RENAME_EXCHANGE,
    S_IFDIR,
    S_IFLNK,
    S_IFMT,
    S_IFREG,
    SEEK_DATA,
    SEEK_HOLE,
)
from ..errors import Errno
from .file import DirFile, File, generic_llseek
from .inode import MAX_LFS_FILESIZE, Inode, SuperBlock, dtype_of, s_isdir
from .stat import STATX_ATTR_APPEND, STATX_ATTR_IMMUTABLE, STATX_ATTR_NODUMP, Kstat

if TYPE_CHECKING:
    from .mount import Path

PAGE_SIZE = 4096
BOGO_DIRENT_SIZE = 20  # Linux: mm/shmem.c, the size a directory entry adds to a directory's i_size
SHORT_SYMLINK_LEN = 128
DEFAULT_SIZE_LIMIT = 1 << 30
_ATTR_MASK = STATX_ATTR_APPEND | STATX_ATTR_IMMUTABLE | STATX_ATTR_NODUMP


def _page_up(n: int) -> int:
    return (n + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)


class TmpfsSuperBlock(SuperBlock):
    """One tmpfs instance: inode numbers, the clock for timestamps and a bound on the bytes it holds."""

    __slots__ = ("now", "size_limit", "used", "_inos", "root")

    def __init__(self, dev: int, now: Callable[[], int] | None = None, size_limit: int = DEFAULT_SIZE_LIMIT,
                 fs_type: str = "tmpfs", root_mode: int = 0o1777, uid: int = 0, gid: int = 0) -> None:  # fmt: skip
        super().__init__(fs_type, dev)
        self.now = now or time.time_ns
        self.size_limit = size_limit
        self.used = 0
        self._inos = itertools.count(1)
        self.root = TmpDir(self, S_IFDIR | root_mode, uid, gid)

    def next_ino(self) -> int:
        return next(self._inos)

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


class TmpFile(TmpInode):
    """A regular file.  `data` holds the bytes up to the last page written; past it, up to `length`, is a hole."""

    __slots__ = ("data", "length", "opens", "linkable")

    def __init__(self, sb: TmpfsSuperBlock, mode: int, uid: int, gid: int) -> None:
        super().__init__(sb, mode, uid, gid)
        self.data = bytearray()
        self.length = 0
        self.opens = 0
        self.linkable = False  # an O_TMPFILE file that linkat may give a name (Linux I_LINKABLE)

    def free_if_unused(self) -> None:
        """The last name is gone and nothing has the file open: give its memory back (Linux evict)."""
        if self.nlink == 0 and self.opens == 0 and self.data:
            self.sb.charge(-len(self.data))
            self.data = bytearray()

    def size(self) -> int:
        return self.length

    def blocks(self) -> int:
        return _page_up(len(self.data)) // 512

    def read_at(self, offset: int, n: int) -> bytes:
        end = min(offset + n, self.length)
        if end <= offset:
            return b""
        chunk = bytes(self.data[offset:end])
        if len(chunk) < end - offset:
            chunk += bytes(end - offset - len(chunk))
        return chunk

    def write_at(self, offset: int, buf: bytes) -> int:
        # Linux: mm/filemap.c generic_write_checks + generic_perform_write
        if not buf:
            return 0
        if offset >= MAX_LFS_FILESIZE:
            raise Errno(E.EFBIG)
        buf = buf[: MAX_LFS_FILESIZE - offset]
        end = offset + len(buf)
        grow = end - len(self.data)
        if grow > 0:
            self.sb.charge(grow)
            self.data.extend(bytes(grow))
        self.data[offset:end] = buf
        self.length = max(self.length, end)
        self.touch()
        return len(buf)

    def truncate(self, size: int) -> None:
        # Linux: mm/shmem.c shmem_setattr (ATTR_SIZE)
        if size > MAX_LFS_FILESIZE:
            raise Errno(E.EFBIG)
        if size < len(self.data):
            self.sb.charge(size - len(self.data))
            del self.data[size:]
        self.length = size
        self.touch()

    def seek_data_hole(self, offset: int, whence: int) -> int:
        # Linux: mm/filemap.c mapping_seek_hole_data: pages below the end of `data` are data, the rest a hole
        if offset < 0 or offset >= self.length:
            raise Errno(E.ENXIO)
        data_end = min(_page_up(len(self.data)), self.length)
        if whence == SEEK_DATA:
            if offset >= data_end:
                raise Errno(E.ENXIO)
            return offset
        return offset if offset >= data_end else data_end

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

    def fsync(self) -> None:
        return None

    def readable_bytes(self) -> int:
        return max(0, self.inode.length - self.pos)
