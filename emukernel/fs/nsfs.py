"""nsfs (Linux fs/nsfs.c): namespaces as files, what /proc/PID/ns/* links lead to.

Each namespace has an inode on the internal nsfs superblock, its number the namespace's inum (Linux
ns_common.inum; the initial pid namespace has PROC_PID_INIT_INO).  Opening one gives an `NsFile`, which
setns(2) accepts; its name is "pid:[N]" (Linux ns_dname), not a path.  Only pid namespaces exist here.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..abi import errno as E
from ..abi.fcntl import S_IFREG
from ..errors import Errno
from .file import File
from .inode import Dentry
from .mount import Mount, Path
from .pseudo import PseudoDir, PseudoInode, PseudoSuperBlock
from .stat import mkdev

if TYPE_CHECKING:
    from ..pidns import PidNamespace

PROC_PID_INIT_INO = 0xEFFFFFFC  # Linux: include/linux/proc_ns.h, the initial pid namespace
PROC_NS_DYNAMIC_FIRST = 0xF0000000 + 0x100  # numbers for later namespaces (proc_alloc_inum)
NSFS_DEV = mkdev(0, 4)


# -- pid namespaces as nsfs files ------------------------------------------------------------------------------
class NsfsSuperBlock(PseudoSuperBlock):
    __slots__ = ("mnt", "_inums", "_next_inum")

    d_dname = True  # an open namespace file is named "pid:[N]" (Linux ns_dname), not by a path

    def __init__(self, kernel: Any, now: Callable[[], int]) -> None:
        super().__init__("nsfs", NSFS_DEV, kernel, now)
        self._inums: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self._next_inum = itertools.count(PROC_NS_DYNAMIC_FIRST)
        root = PseudoDir(self, ("nsfs-root",), ino=1)
        # an internal mount (Linux nsfs_mnt): never in the mount table, only a place for paths to live on
        self.mnt = Mount(self, Dentry(b"", None, root), None, None, True, 0)

    def inum(self, ns: PidNamespace) -> int:
        """The namespace's inode number: PROC_PID_INIT_INO for the root namespace (Linux ns_common.inum)."""
        if ns.parent is None:
            return PROC_PID_INIT_INO
        n = self._inums.get(ns)
        if n is None:
            n = self._inums[ns] = next(self._next_inum)
        return n

    def path_of(self, ns: PidNamespace) -> Path:
        """A path naming the namespace's nsfs inode (what opening /proc/PID/ns/pid gives)."""
        inode = NsInode(self, ns)
        return Path(self.mnt, Dentry(f"pid:[{inode.ino}]".encode(), self.mnt.root, inode))


class NsInode(PseudoInode):
    """The nsfs inode of a pid namespace: a read-only regular file, its number the namespace's inum."""

    __slots__ = ("pidns",)

    def __init__(self, sb: NsfsSuperBlock, ns: PidNamespace) -> None:
        super().__init__(sb, ("pidns", ns), S_IFREG | 0o444, ino=sb.inum(ns))
        self.pidns = ns

    def open(self, path: Path, flags: int) -> File:
        return NsFile(path, self, flags)


class NsFile(File):
    """An open namespace file: setns(fd, CLONE_NEWPID) finds the namespace as `.pidns`."""

    __slots__ = ("pidns",)

    def __init__(self, path: Path, inode: NsInode, flags: int) -> None:
        super().__init__(path, inode, flags)
        self.pidns = inode.pidns

    def read(self, n: int) -> bytes:
        raise Errno(E.EINVAL)

    def fdinfo_name(self) -> str:
        return f"pid:[{self.inode.ino if self.inode is not None else 0}]"
