"""Superblocks, inodes and dentries: the objects every filesystem provides and a path walk moves through.

A filesystem subclasses `Inode` and overrides the operations it supports; the defaults give the errno Linux
gives when an inode has no such operation.  Permission checks, read-only mounts and name validation are the
VFS's job (fs/vfs.py, fs/namei.py): an inode operation is only called once they passed.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from ..abi import errno as E
from ..abi.fcntl import (
    DT_BLK,
    DT_CHR,
    DT_DIR,
    DT_FIFO,
    DT_LNK,
    DT_REG,
    DT_SOCK,
    DT_UNKNOWN,
    S_IFDIR,
    S_IFLNK,
    S_IFMT,
    S_IFREG,
)
from ..errors import Errno

if TYPE_CHECKING:
    from .file import File
    from .mount import Path
    from .stat import Kstat

NAME_MAX = 255
PATH_MAX = 4096
MAX_LFS_FILESIZE = 0x7FFFFFFFFFFFFFFF

S_ISUID = 0o4000
S_ISGID = 0o2000
S_ISVTX = 0o1000
S_IRWXUGO = 0o777
S_IALLUGO = 0o7777
S_IXUGO = 0o111
S_IXGRP = 0o010


def s_isdir(mode: int) -> bool:
    return mode & S_IFMT == S_IFDIR


def s_isreg(mode: int) -> bool:
    return mode & S_IFMT == S_IFREG


def s_islnk(mode: int) -> bool:
    return mode & S_IFMT == S_IFLNK


_DTYPE = {0o01: DT_FIFO, 0o02: DT_CHR, 0o04: DT_DIR, 0o06: DT_BLK, 0o10: DT_REG, 0o12: DT_LNK, 0o14: DT_SOCK}


def dtype_of(mode: int) -> int:
    """The getdents d_type of an inode mode (fs_umode_to_dtype)."""
    return _DTYPE.get((mode & S_IFMT) >> 12, DT_UNKNOWN)


class SuperBlock:
    """One mounted filesystem instance (Linux struct super_block): its type name and device number.

    `writecount` is Linux's i_writecount of the inodes that have one in use, keyed by `Inode.write_key()`:
    > 0 counts the open files that may write, < 0 the executions that deny writing (see get_write_access);
    `flctx` the file locks of its inodes by the same key.
    """

    __slots__ = ("fs_type", "dev", "writecount", "flctx", "__weakref__")

    def __init__(self, fs_type: str, dev: int, writecount: dict | None = None, flctx: dict | None = None) -> None:
        self.fs_type = fs_type
        self.dev = dev
        self.writecount: dict = writecount if writecount is not None else {}
        self.flctx: dict = flctx if flctx is not None else {}  # file locks (fs/locks.py LockContext)


class Inode:
    """Linux struct inode with its inode_operations.  Subclasses provide `mode`, `uid`, `gid` and the ops."""

    __slots__ = ("sb", "ino", "__weakref__")

    mode: int
    uid: int
    gid: int
    # ->permission(creds, mask), raising Errno when refused; None: generic_permission decides (inode_permission)
    i_permission = None

    def __init__(self, sb: SuperBlock, ino: int) -> None:
        self.sb = sb
        self.ino = ino

    # -- identity and attributes ------------------------------------------------------------------------
    def same(self, other: Inode) -> bool:
        """Whether `other` is the same file (two lookups of one host file give two objects)."""
        return self is other

    def write_key(self) -> object:
        """What identifies this file in `sb.writecount` (several objects may stand for one host file)."""
        return self.ino

    def is_dead(self) -> bool:
        """A directory that was removed (Linux IS_DEADDIR) or a file with no names left."""
        return False

    def forget(self) -> None:
        """Drop host resources of an inode object the dentry cache did not keep."""

    def getattr(self) -> Kstat:
        raise NotImplementedError

    def setattr(self, *, mode: int | None = None, uid: int | None = None, gid: int | None = None) -> None:
        raise Errno(E.EPERM)

    def set_times(self, atime_ns: int | None, mtime_ns: int | None, ctime_ns: int) -> None:
        """utimensat's change (None leaves a time as it is); permission was checked by the VFS."""
        raise Errno(E.EPERM)

    def truncate(self, size: int) -> None:
        raise Errno(E.EINVAL)

    def readlink(self) -> bytes:
        raise Errno(E.EINVAL)

    def open(self, path: Path, flags: int) -> File:
        raise Errno(E.ENXIO)

    # -- directory operations (called with permissions already checked) ---------------------------------
    def lookup(self, name: bytes) -> Inode | None:
        raise Errno(E.ENOTDIR)

    def create(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        raise Errno(E.EACCES)  # Linux vfs_create: "shouldn't it be ENOSYS?"

    def mkdir(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        raise Errno(E.EPERM)

    def symlink(self, name: bytes, target: bytes, uid: int, gid: int) -> Inode:
        raise Errno(E.EPERM)

    def mknod(self, name: bytes, mode: int, dev: int, uid: int, gid: int) -> Inode:
        """A FIFO, socket or device node (`mode` holds the type); `dev` is the encoded device number."""
        raise Errno(E.EPERM)

    def link(self, name: bytes, inode: Inode) -> None:
        raise Errno(E.EPERM)

    def unlink(self, name: bytes, inode: Inode) -> None:
        raise Errno(E.EPERM)

    def rmdir(self, name: bytes, inode: Inode) -> None:
        raise Errno(E.EPERM)

    def rename(self, old_name: bytes, new_dir: Inode, new_name: bytes, flags: int) -> None:
        raise Errno(E.EPERM)

    def tmpfile(self, mode: int, uid: int, gid: int) -> Inode:
        raise Errno(E.EOPNOTSUPP)

    def readdir(self, path: Path, pos: int) -> list[tuple[int, bytes, int, int]]:
        """Entries other than . and .. at cursor >= pos: (cursor, name, ino, d_type), in cursor order."""
        raise Errno(E.ENOTDIR)


# -- i_writecount (Linux include/linux/fs.h get_write_access / deny_write_access) ----------------------------
def get_write_access(inode: Inode) -> None:
    """A file is opened for writing (or truncated): ETXTBSY while it is being executed."""
    wc, key = inode.sb.writecount, inode.write_key()
    n = wc.get(key, 0)
    if n < 0:
        raise Errno(E.ETXTBSY)
    wc[key] = n + 1


def put_write_access(inode: Inode) -> None:
    wc, key = inode.sb.writecount, inode.write_key()
    n = wc.get(key, 0) - 1
    if n:
        wc[key] = n
    else:
        wc.pop(key, None)


def deny_write_access(inode: Inode) -> None:
    """An execution holds the file: ETXTBSY while it is open for writing."""
    wc, key = inode.sb.writecount, inode.write_key()
    n = wc.get(key, 0)
    if n > 0:
        raise Errno(E.ETXTBSY)
    wc[key] = n - 1


def allow_write_access(inode: Inode) -> None:
    wc, key = inode.sb.writecount, inode.write_key()
    n = wc.get(key, 0) + 1
    if n:
        wc[key] = n
    else:
        wc.pop(key, None)


class Dentry:
    """A name in a directory (Linux struct dentry).  `parent` is None for the root of a filesystem.

    Children are cached weakly: a dentry stays alive while something holds it (a cwd, an open file, a mount
    point, a child), and while alive it is the one object for its name, so rename moves it (d_move) and
    unlink marks it (d_delete); getcwd and `..` follow these links and never ask the filesystem.
    """

    __slots__ = ("name", "parent", "inode", "children", "deleted", "mounted", "__weakref__")

    def __init__(self, name: bytes, parent: Dentry | None, inode: Inode) -> None:
        self.name = name
        self.parent = parent
        self.inode = inode
        self.children: weakref.WeakValueDictionary[bytes, Dentry] | None = None
        self.deleted = False
        self.mounted = 0

    def cached(self, name: bytes) -> Dentry | None:
        return self.children.get(name) if self.children is not None else None

    def add_child(self, child: Dentry) -> None:
        if self.children is None:
            self.children = weakref.WeakValueDictionary()
        self.children[child.name] = child

    def drop_child(self, name: bytes) -> Dentry | None:
        return self.children.pop(name, None) if self.children is not None else None

    def is_ancestor_of(self, other: Dentry) -> bool:
        """Whether self is `other` or one of its ancestors (Linux is_subdir)."""
        d: Dentry | None = other
        while d is not None:
            if d is self:
                return True
            d = d.parent
        return False

    def __repr__(self) -> str:
        return f"<Dentry {self.name!r} ino={self.inode.ino}{' deleted' if self.deleted else ''}>"


def d_lookup(parent: Dentry, name: bytes) -> Dentry | None:
    """Look `name` up in the directory of `parent`, reusing the cached dentry while it names the same file."""
    # Linux: fs/namei.c lookup_fast / lookup_slow (with d_revalidate for hostfs)
    inode = parent.inode.lookup(name)
    cached = parent.cached(name)
    if inode is None:
        if cached is not None:  # removed behind our back (host side)
            parent.drop_child(name)
        return None
    if cached is not None and cached.inode.same(inode):
        if cached.inode is not inode:
            inode.forget()
        return cached
    d = Dentry(name, parent, inode)
    parent.add_child(d)
    return d


def d_instantiate(parent: Dentry, name: bytes, inode: Inode) -> Dentry:
    """A new dentry for a file just created under `parent`."""
    d = Dentry(name, parent, inode)
    parent.add_child(d)
    return d


def d_delete(parent: Dentry, name: bytes, victim: Dentry | None = None) -> None:
    """Forget `name` after unlink/rmdir/being replaced by rename: a dentry still held is now unlinked."""
    d = parent.drop_child(name)
    for x in (d, victim):
        if x is not None:
            x.deleted = True


def d_move(d: Dentry, new_parent: Dentry, new_name: bytes) -> None:
    """Re-link dentry `d` as `new_name` under `new_parent` after a rename (Linux d_move)."""
    if d.parent is not None and d.parent.cached(d.name) is d:
        d.parent.drop_child(d.name)
    d.name = new_name
    d.parent = new_parent
    new_parent.add_child(d)
