"""anon_inodefs (Linux fs/anon_inodes.c): the one shared inode behind eventfd, epoll and signalfd files, and
the internal mount where the files that have no path in the namespace are found again through /proc."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..abi import errno as E
from ..abi.fcntl import S_IFDIR
from ..errors import Errno
from .inode import Dentry, Inode, SuperBlock
from .mount import Mount, Path
from .stat import Kstat, mkdev

if TYPE_CHECKING:
    from .file import File

ANON_INODE_DEV = mkdev(0, 16)
ANON_INODE_INO = 1038  # anon_inode_inode, created early at boot: every anonymous file shows this number


def anon_inode_stat() -> Kstat:
    """fstat of an anonymous-inode file: mode 0600 with no file type, owned by root, times of boot (0)."""
    return Kstat(dev=ANON_INODE_DEV, ino=ANON_INODE_INO, mode=0o600, nlink=1, uid=0, gid=0, blksize=4096)


class ObjectSuperBlock(SuperBlock):
    """The internal filesystems of pipefs, sockfs, anon_inodefs and pidfs folded into one: never mounted in the
    namespace, a place for the paths of files opened without a name (Linux alloc_file_pseudo's f_path)."""

    __slots__ = ("mnt",)

    d_dname = True  # its files are named by what they are ("pipe:[N]"), not by a path (Linux ->d_dname)

    def __init__(self, mnt_id: int) -> None:
        super().__init__("anon_inodefs", ANON_INODE_DEV)
        root = _ObjectRoot(self)
        self.mnt = Mount(self, Dentry(b"", None, root), None, None, False, mnt_id)

    def path_of(self, file: File, name: bytes) -> Path:
        """Where the magic link of `file` (named `name`) leads (Linux proc_fd_link: the file's f_path)."""
        return Path(self.mnt, Dentry(name, self.mnt.root, ObjectInode(self, file)))


class _ObjectRoot(Inode):
    __slots__ = ()

    mode = S_IFDIR | 0o500
    uid = gid = 0

    def __init__(self, sb: ObjectSuperBlock) -> None:
        super().__init__(sb, 1)

    def getattr(self) -> Kstat:
        return Kstat(dev=self.sb.dev, ino=1, mode=self.mode, nlink=2, uid=0, gid=0)

    def lookup(self, name: bytes) -> Inode | None:
        return None


class ObjectInode(Inode):
    """The inode of a file that has no path of ours (a pipe, an anonymous-inode file, a pidfd, a host stdio
    stream), as opening /proc/PID/fd/N meets it: its attributes are the file's and opening it asks the file
    for a new open file description of the same object (`File.reopen`, called by the VFS with the opener's credentials)."""

    __slots__ = ("file", "mode", "uid", "gid")

    def __init__(self, sb: ObjectSuperBlock, file: File) -> None:
        k = file.stat()
        super().__init__(sb, k.ino)
        self.file = file
        self.mode = k.mode
        self.uid = k.uid
        self.gid = k.gid

    def same(self, other: Inode) -> bool:
        return isinstance(other, ObjectInode) and other.file is self.file

    def getattr(self) -> Kstat:
        return self.file.stat()

    def open(self, path: Path, flags: int) -> File:
        raise Errno(E.ENXIO)  # opened by the VFS through open_as, which knows who opens

    def open_as(self, flags: int, creds: Any) -> File:
        return self.file.reopen(flags, creds)

    def truncate(self, size: int) -> None:
        self.file.truncate_object(size)
