"""The pseudo filesystem kit (Linux fs/kernfs, fs/seq_file.c, fs/libfs.c): files made from kernel objects.

What every pseudo filesystem needs, and nothing about what it shows: a superblock whose inodes are made on
demand and keep their numbers while their object lives (`PseudoSuperBlock`), `PseudoInode`, directories whose
entries are computed for the reader (`PseudoDir`), files generated at read time (`SeqInode`/`SeqFile`) and
symlinks whose target is computed (`LinkInode`, whose `get_link` names the object itself: Linux's "magic
links").  procfs, nsfs and cgroupfs are built from these pieces.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..abi import errno as E
from ..abi.fcntl import S_IFDIR, S_IFLNK, S_IFREG, SEEK_CUR, SEEK_SET
from ..errors import Errno
from .file import DirFile, File
from .inode import Inode, SuperBlock, dtype_of, s_isdir
from .mount import Path
from .stat import Kstat

if TYPE_CHECKING:
    from ..task import Task

MAX_WRITE = 4096  # one page per write, as proc's and kernfs's writers take


# -- the reader ----------------------------------------------------------------------------------------------
def current_task(kernel: Any) -> Task:
    """The task whose syscall is being served (Linux current); init outside of any syscall."""
    t = kernel.sched.current
    if t is None or t.pid is None:
        t = kernel.init
    return t


# -- the pseudo filesystem framework ---------------------------------------------------------------------------
class PseudoSuperBlock(SuperBlock):
    """A superblock whose inodes are made on demand; each object keeps its inode number while it lives."""

    __slots__ = ("kernel", "now", "_anchored", "_plain", "_next")

    def __init__(
        self, fs_type: str, dev: int, kernel: Any, now: Callable[[], int], first_ino: int = 2
    ) -> None:
        super().__init__(fs_type, dev)
        self.kernel = kernel
        self.now = now
        self._anchored: weakref.WeakKeyDictionary[Any, dict[tuple, int]] = weakref.WeakKeyDictionary()
        self._plain: dict[tuple, int] = {}
        self._next = itertools.count(first_ino)

    def ino_for(self, anchor: Any, key: tuple) -> int:
        """A stable inode number for (anchor object, key); forgotten with the anchor."""
        table = self._plain if anchor is None else self._anchored.setdefault(anchor, {})
        ino = table.get(key)
        if ino is None:
            ino = table[key] = next(self._next)
        return ino


class PseudoInode(Inode):
    """An inode of a pseudo filesystem: `key` identifies what it shows (two lookups of it are the same file)."""

    __slots__ = ("mode", "uid", "gid", "key", "time_ns")

    sb: PseudoSuperBlock

    def __init__(self, sb: PseudoSuperBlock, key: tuple, mode: int, uid: int = 0, gid: int = 0,
                 anchor: Any = None, ino: int | None = None) -> None:  # fmt: skip
        super().__init__(sb, ino if ino is not None else sb.ino_for(anchor, key))
        self.key = key
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.time_ns = sb.now()

    def same(self, other: Inode) -> bool:
        return type(other) is type(self) and isinstance(other, PseudoInode) and other.key == self.key

    def nlink(self) -> int:
        return 2 if s_isdir(self.mode) else 1

    def size(self) -> int:
        return 0

    def getattr(self) -> Kstat:
        return Kstat(dev=self.sb.dev, ino=self.ino, mode=self.mode, nlink=self.nlink(), uid=self.uid,
                     gid=self.gid, size=self.size(), blksize=1024, atime_ns=self.time_ns, mtime_ns=self.time_ns,
                     ctime_ns=self.time_ns)  # fmt: skip

    def setattr(self, *, mode: int | None = None, uid: int | None = None, gid: int | None = None) -> None:
        raise Errno(E.EPERM)  # Linux proc_setattr: no mode changes

    def truncate(self, size: int) -> None:
        """open(O_TRUNC) and truncate(2): accepted and ignored (proc_setattr, kernfs_iop_setattr: ATTR_SIZE has
        no effect), so that `echo x > /proc/sys/...` and `echo $$ > cgroup.procs` work from a shell."""


class SeqInode(PseudoInode):
    """A regular file generated when read: `show(viewer)` gives the content, `store(viewer, data)` takes a write."""

    __slots__ = ("show", "store")

    def __init__(self, sb: PseudoSuperBlock, key: tuple, mode: int, show: Callable[[Task], bytes],
                 store: Callable[[Task, bytes], None] | None = None, uid: int = 0, gid: int = 0,
                 anchor: Any = None) -> None:  # fmt: skip
        super().__init__(sb, key, S_IFREG | mode, uid, gid, anchor)
        self.show = show
        self.store = store

    def open(self, path: Path, flags: int) -> File:
        return SeqFile(path, self, flags)


class SeqFile(File):
    """An open generated file (Linux seq_file): the text is made at the first read from position 0."""

    __slots__ = ("buf",)

    inode: SeqInode

    def __init__(self, path: Path | None, inode: SeqInode, flags: int) -> None:
        super().__init__(path, inode, flags)
        self.buf: bytes | None = None

    def _render(self) -> bytes:
        return self.inode.show(current_task(self.inode.sb.kernel))

    def read(self, n: int) -> bytes:
        # Linux: fs/seq_file.c seq_read_iter
        if self.buf is None or self.pos == 0:
            self.buf = self._render()
        data = self.buf[self.pos : self.pos + n]
        self.pos += len(data)
        return data

    def pread(self, n: int, offset: int) -> bytes:
        return self._render()[offset : offset + n]

    def truncate(self, length: int) -> None:
        self.inode.truncate(length)  # ftruncate: accepted, no effect (see PseudoInode.truncate)

    def lseek(self, offset: int, whence: int) -> int:
        # Linux: fs/seq_file.c seq_lseek: SEEK_SET and SEEK_CUR only
        if whence == SEEK_CUR:
            offset += self.pos
        elif whence != SEEK_SET:
            raise Errno(E.EINVAL)
        if offset < 0:
            raise Errno(E.EINVAL)
        if offset != self.pos:
            self.buf = None
        self.pos = offset
        return offset

    def write(self, data: bytes) -> int:
        store = self.inode.store
        if store is None:
            raise Errno(E.EINVAL)  # no ->write: vfs_write without FMODE_CAN_WRITE
        store(current_task(self.inode.sb.kernel), data[:MAX_WRITE])
        self.pos += len(data)
        return len(data)

    def pwrite(self, data: bytes, offset: int) -> int:
        return self.write(data)


class LinkInode(PseudoInode):
    """A symlink whose body is computed; `jump()` gives the object it names, when it names one."""

    __slots__ = ("body", "jump")

    def __init__(self, sb: PseudoSuperBlock, key: tuple, body: Callable[[Task], bytes],
                 jump: Callable[[Task], Path | None] | None = None, mode: int = 0o777, uid: int = 0,
                 gid: int = 0, anchor: Any = None, ino: int | None = None) -> None:  # fmt: skip
        super().__init__(sb, key, S_IFLNK | mode, uid, gid, anchor, ino)
        self.body = body
        self.jump = jump

    def size(self) -> int:
        return 0

    def readlink(self) -> bytes:
        return self.body(current_task(self.sb.kernel))

    def get_link(self) -> Path | None:
        """The path a magic link leads to (Linux nd_jump_link); None: walk the body like any symlink."""
        if self.jump is None:
            return None
        return self.jump(current_task(self.sb.kernel))


class PseudoDir(PseudoInode):
    """A directory whose entries are computed for the reader: (readdir cursor, name, inode), cursor order.

    A name that is not there is an ENOENT error from the lookup itself, as procfs's lookups return (so
    mkdir or O_CREAT there fail with ENOENT too); kernfs directories give a negative dentry instead."""

    __slots__ = ()

    lookup_enoent = True

    def miss(self) -> None:
        if self.lookup_enoent:
            raise Errno(E.ENOENT)
        return None

    def __init__(self, sb: PseudoSuperBlock, key: tuple, mode: int = 0o555, uid: int = 0, gid: int = 0,
                 anchor: Any = None, ino: int | None = None) -> None:  # fmt: skip
        super().__init__(sb, key, S_IFDIR | mode, uid, gid, anchor, ino)

    def entries(self, viewer: Task) -> Iterable[tuple[int, bytes, Inode]]:
        return ()

    def lookup(self, name: bytes) -> Inode | None:
        if not self.is_dead():
            for _cursor, n, inode in self.entries(current_task(self.sb.kernel)):
                if n == name:
                    return inode
        return self.miss()

    def readdir(self, path: Path, pos: int) -> list[tuple[int, bytes, int, int]]:
        if self.is_dead():
            raise Errno(E.ENOENT)
        return [(c, n, i.ino, dtype_of(i.mode)) for c, n, i in self.entries(current_task(self.sb.kernel))
                if c >= pos]  # fmt: skip

    def nlink(self) -> int:
        # Linux: 2 + the subdirectories (proc_fill_super / pid_entry_nlink); computed for the reader
        try:
            return 2 + sum(1 for _c, _n, i in self.entries(current_task(self.sb.kernel)) if s_isdir(i.mode))
        except Errno:
            return 2

    def open(self, path: Path, flags: int) -> File:
        return DirFile(path, self, flags)


def static_entries(items: Iterable[tuple[bytes, Inode]], first: int = 2) -> list[tuple[int, bytes, Inode]]:
    return [(first + i, name, inode) for i, (name, inode) in enumerate(items)]
