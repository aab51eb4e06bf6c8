"""A task's filesystem context (Linux struct fs_struct): root, current directory and umask."""

from __future__ import annotations

from ..abi import errno as E
from ..errors import Errno
from .mount import Path


class FsContext:
    """Shared by CLONE_FS threads; fork gives the child a `copy()`."""

    __slots__ = ("root", "cwd", "umask")

    def __init__(self, root: Path, cwd: Path, umask: int = 0o022) -> None:
        self.root = root
        self.cwd = cwd
        self.umask = umask

    def copy(self) -> FsContext:
        return FsContext(self.root, self.cwd, self.umask)

    def set_cwd(self, path: Path) -> None:
        """Make `path` the current directory (the checks of chdir/fchdir are the VFS's)."""
        self.cwd = path

    def set_umask(self, mask: int) -> int:
        """umask(2): set the new mask, return the old one."""
        old, self.umask = self.umask, mask & 0o777
        return old

    def getcwd(self) -> bytes:
        """The current directory as the guest names it from its root (Linux getcwd: ENOENT once removed;
        "(unreachable)" before the name when the directory is outside the root, after a chroot)."""
        name = d_path(self.cwd, self.root, unlinked_error=True)
        return name if reachable(self.cwd, self.root) else b"(unreachable)" + name


def d_path(path: Path, root: Path, unlinked_error: bool = False) -> bytes:
    """The name of `path` seen from `root` (Linux fs/d_path.c prepend_path)."""
    d = path.dentry
    if unlinked_error and _d_unlinked(path):
        raise Errno(E.ENOENT)
    mnt = path.mnt
    parts: list[bytes] = []
    while not (mnt is root.mnt and d is root.dentry):
        if d is mnt.root:
            if mnt.parent is None or mnt.mountpoint is None:
                break  # not below root (Linux would say "(unreachable)"; our roots never allow it)
            d, mnt = mnt.mountpoint, mnt.parent
            continue
        if d.parent is None:
            break
        parts.append(d.name)
        d = d.parent
    return b"/" + b"/".join(reversed(parts))


def _d_unlinked(path: Path) -> bool:
    """Linux d_unlinked: the dentry was removed (not a root), or its file is gone on the host."""
    d = path.dentry
    if d is path.mnt.root:
        return False
    return d.deleted or d.inode.is_dead()


def reachable(path: Path, root: Path) -> bool:
    """Whether `path` is `root` or below it (Linux prepend_path meets the root on its way up)."""
    d, mnt = path.dentry, path.mnt
    while True:
        if mnt is root.mnt and d is root.dentry:
            return True
        if d is mnt.root:
            if mnt.parent is None or mnt.mountpoint is None:
                return False
            d, mnt = mnt.mountpoint, mnt.parent
            continue
        if d.parent is None:
            return False
        d = d.parent
