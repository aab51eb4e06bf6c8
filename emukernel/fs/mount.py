"""Mounts and paths: a `Path` is (mount, dentry), as Linux struct path; `MountTable` is the mount namespace."""

from __future__ import annotations

import itertools

from ..abi import errno as E
from ..errors import Errno
from .inode import Dentry, Inode, SuperBlock
from .stat import STATX_ATTR_MOUNT_ROOT, STATX_MNT_ID, Kstat


class Mount:
    """One mount (Linux struct mount): a filesystem's root dentry placed on a dentry of a parent mount."""

    __slots__ = ("sb", "root", "parent", "mountpoint", "read_only", "mnt_id")

    def __init__(self, sb: SuperBlock, root: Dentry, parent: Mount | None, mountpoint: Dentry | None,
                 read_only: bool, mnt_id: int) -> None:  # fmt: skip
        self.sb = sb
        self.root = root
        self.parent = parent
        self.mountpoint = mountpoint
        self.read_only = read_only
        self.mnt_id = mnt_id

    def want_write(self) -> None:
        """EROFS on a read-only mount (Linux mnt_want_write)."""
        if self.read_only:
            raise Errno(E.EROFS)

    def __repr__(self) -> str:
        return f"<Mount {self.mnt_id} {self.sb.fs_type}{' ro' if self.read_only else ''}>"


class Path:
    """(mount, dentry): where a name resolved to.  Two paths are equal when both parts are the same objects."""

    __slots__ = ("mnt", "dentry")

    def __init__(self, mnt: Mount, dentry: Dentry) -> None:
        self.mnt = mnt
        self.dentry = dentry

    @property
    def inode(self) -> Inode:
        return self.dentry.inode

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Path) and self.mnt is other.mnt and self.dentry is other.dentry

    def __hash__(self) -> int:
        return hash((id(self.mnt), id(self.dentry)))

    def __repr__(self) -> str:
        return f"<Path {self.mnt!r} {self.dentry!r}>"


class MountTable:
    """The mount namespace: which mount sits on which (parent mount, dentry)."""

    def __init__(self) -> None:
        self._children: dict[tuple[int, int], Mount] = {}
        self._ids = itertools.count(1)
        self.root: Mount | None = None

    def mount(self, sb: SuperBlock, root: Dentry, where: Path | None, read_only: bool = False) -> Mount:
        """Mount `root` of `sb` on `where` (None: the namespace root).  A later mount hides an earlier one."""
        if where is None:
            m = Mount(sb, root, None, None, read_only, next(self._ids))
            self.root = m
            return m
        # stack on top of whatever is already mounted there
        top = self.follow_mounts(where)
        m = Mount(sb, root, top.mnt, top.dentry, read_only, next(self._ids))
        top.dentry.mounted += 1
        self._children[(id(top.mnt), id(top.dentry))] = m
        return m

    def follow_mounts(self, path: Path) -> Path:
        """Step down through every mount stacked on `path` (Linux traverse_mounts)."""
        # Linux: fs/namei.c traverse_mounts
        while path.dentry.mounted:
            m = self._children.get((id(path.mnt), id(path.dentry)))
            if m is None:
                break
            path = Path(m, m.root)
        return path

    def all(self) -> list[Mount]:
        """Every mount of the namespace, the root first."""
        return ([self.root] if self.root is not None else []) + list(self._children.values())

    def is_mountpoint(self, dentry: Dentry) -> bool:
        """Linux is_local_mountpoint: something is mounted on this dentry."""
        return dentry.mounted > 0


def fill_mount_attrs(k: Kstat, path: Path) -> Kstat:
    """What vfs_statx adds from the mount: the mount id and STATX_ATTR_MOUNT_ROOT."""
    # Linux: fs/stat.c vfs_getattr_nosec / vfs_statx
    k.mnt_id = path.mnt.mnt_id
    k.result_mask |= STATX_MNT_ID
    k.attributes_mask |= STATX_ATTR_MOUNT_ROOT
    if path.dentry is path.mnt.root:
        k.attributes |= STATX_ATTR_MOUNT_ROOT
    return k
