"""The path walk (Linux fs/namei.c): components are resolved one by one inside the caller's root.

Confinement is structural: `..` moves to the parent dentry we came down through (never asks a filesystem),
stops at the caller's root, and crosses from a mount's root to its mount point; an absolute symlink restarts
at the caller's root; symlink bodies are walked in the guest namespace by this same code.  A filesystem is
only ever asked to look a single name up in one of its directories.
"""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..errors import Errno
from .inode import NAME_MAX, Dentry, d_lookup, s_isdir, s_islnk
from .mount import MountTable, Path
from .permission import MAY_EXEC, inode_permission

MAXSYMLINKS = 40

# openat2 RESOLVE_* flags (include/uapi/linux/openat2.h), kept in Nameidata.resolve
RESOLVE_NO_XDEV = 0x01
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08
RESOLVE_IN_ROOT = 0x10
RESOLVE_CACHED = 0x20
RESOLVE_SCOPED = RESOLVE_BENEATH | RESOLVE_IN_ROOT

LAST_NORM = 0
LAST_ROOT = 1
LAST_DOT = 2
LAST_DOTDOT = 3


class Last:
    """The final component of a walked name (Linux nd->last, nd->last_type) and whether a slash followed it."""

    __slots__ = ("name", "type", "trailing")

    def __init__(self, name: bytes, type: int, trailing: bool) -> None:
        self.name = name
        self.type = type
        self.trailing = trailing


def _last_type(name: bytes) -> int:
    if name == b".":
        return LAST_DOT
    if name == b"..":
        return LAST_DOTDOT
    return LAST_NORM


class Nameidata:
    """State of one lookup (Linux struct nameidata): current path, the caller's root, links followed."""

    __slots__ = ("mounts", "root", "path", "creds", "total_link_count", "resolve")

    def __init__(self, mounts: MountTable, root: Path, start: Path, creds: Any, resolve: int = 0) -> None:
        self.mounts = mounts
        # Linux: fs/namei.c path_init: a scoped lookup (RESOLVE_BENEATH / RESOLVE_IN_ROOT) has its start as root
        self.root = start if resolve & RESOLVE_SCOPED else root
        self.path = start
        self.creds = creds
        self.total_link_count = 0
        self.resolve = resolve

    def follow_mounts(self, path: Path) -> Path:
        """Step down through the mounts on `path`; EXDEV for RESOLVE_NO_XDEV when one is crossed."""
        p = self.mounts.follow_mounts(path)
        if p is not path and self.resolve & RESOLVE_NO_XDEV and p.mnt is not path.mnt:
            raise Errno(E.EXDEV)
        return p

    def jump_root(self, from_link: bool) -> None:
        """An absolute name or symlink body starts at the root (Linux nd_jump_root)."""
        if self.resolve & RESOLVE_BENEATH:
            raise Errno(E.EXDEV)
        if self.resolve & RESOLVE_NO_XDEV and from_link and self.path.mnt is not self.root.mnt:
            raise Errno(E.EXDEV)
        self.path = self.root

    # -- the walk ---------------------------------------------------------------------------------------
    def walk(self, name: bytes, from_link: bool = False) -> Last:
        """Walk every component but the last; self.path is left at the parent directory."""
        # Linux: fs/namei.c link_path_walk
        if name[:1] == b"/" and (from_link or not self.resolve & RESOLVE_IN_ROOT):
            self.jump_root(from_link)
        comps = [c for c in name.split(b"/") if c]
        if not comps:
            return Last(b"/", LAST_ROOT, False)
        for comp in comps[:-1]:
            self.may_lookup()
            self.walk_component(comp)
        self.may_lookup()
        last = comps[-1]
        return Last(last, _last_type(last), name.endswith(b"/"))

    def may_lookup(self) -> None:
        inode_permission(self.creds, self.path.inode, MAY_EXEC)

    def walk_component(self, comp: bytes) -> None:
        """Step into an intermediate component, following a symlink; it must end at a directory."""
        # Linux: fs/namei.c walk_component (WALK_MORE)
        if comp == b".":
            return
        if comp == b"..":
            self.follow_dotdot()
            return
        p = self.follow_mounts(Path(self.path.mnt, self.lookup_child(comp)))
        if s_islnk(p.inode.mode):
            p = self.resolve_last(self.follow_link(p), follow=True, want_dir=True)
        elif not s_isdir(p.inode.mode):
            raise Errno(E.ENOTDIR)
        self.path = p

    def lookup_child(self, name: bytes) -> Dentry:
        """The dentry of `name` in the current directory; ENOENT if there is none."""
        if len(name) > NAME_MAX:
            raise Errno(E.ENAMETOOLONG)  # the filesystem's ->lookup says so (simple_lookup)
        d = d_lookup(self.path.dentry, name)
        if d is None:
            raise Errno(E.ENOENT)
        return d

    def follow_link(self, link: Path) -> Last:
        """Start walking the body of symlink `link` (self.path is its directory); returns the body's last."""
        # Linux: fs/namei.c pick_link
        if self.total_link_count >= MAXSYMLINKS:
            raise Errno(E.ELOOP)
        self.total_link_count += 1
        if self.resolve & RESOLVE_NO_SYMLINKS:
            raise Errno(E.ELOOP)
        get_link = getattr(link.inode, "get_link", None)
        if get_link is not None:
            # Linux: fs/namei.c nd_jump_link: a procfs magic link names an object, not a path to walk.  A
            # link made with a jump is magic even when this object has no path to give (procfs `jump`)
            target = get_link()
            if target is not None or getattr(link.inode, "jump", None) is not None:
                if self.resolve & RESOLVE_NO_MAGICLINKS:
                    raise Errno(E.ELOOP)
                if self.resolve & RESOLVE_NO_XDEV and target is not None and target.mnt is not self.path.mnt:
                    raise Errno(E.EXDEV)
                if self.resolve & RESOLVE_SCOPED:
                    raise Errno(E.EXDEV)
            if target is not None:
                self.path = target
                return Last(b".", LAST_DOT, False)
        body = link.inode.readlink()
        if not body:
            raise Errno(E.ENOENT)
        return self.walk(body, from_link=True)

    def follow_dotdot(self) -> None:
        """`..`: stay at the caller's root, cross mount roots upwards, else go to the parent dentry."""
        # Linux: fs/namei.c follow_dotdot
        if self.path == self.root:
            if self.resolve & RESOLVE_BENEATH:
                raise Errno(E.EXDEV)
            return
        mnt, d = self.path.mnt, self.path.dentry
        while d is mnt.root:
            if mnt.parent is None or mnt.mountpoint is None:
                if self.resolve & RESOLVE_BENEATH:
                    raise Errno(E.EXDEV)  # the namespace root, and the scope is not above it
                return  # the namespace root
            d, mnt = mnt.mountpoint, mnt.parent
            if mnt is self.root.mnt and d is self.root.dentry:
                if self.resolve & RESOLVE_BENEATH:
                    raise Errno(E.EXDEV)
                self.path = self.root
                return
            if self.resolve & RESOLVE_NO_XDEV:
                raise Errno(E.EXDEV)
        parent = d.parent if d.parent is not None else d
        self.path = self.follow_mounts(Path(mnt, parent))

    def resolve_last(self, last: Last, follow: bool, want_dir: bool) -> Path:
        """Resolve the last component: follow a trailing symlink when asked (or a slash follows it)."""
        # Linux: fs/namei.c lookup_last / step_into (WALK_TRAILING)
        while True:
            if last.trailing:
                follow = want_dir = True
            if last.type == LAST_NORM:
                p = self.follow_mounts(Path(self.path.mnt, self.lookup_child(last.name)))
                if follow and s_islnk(p.inode.mode):
                    last = self.follow_link(p)
                    continue
            else:
                if last.type == LAST_DOTDOT:
                    self.follow_dotdot()
                p = self.path
            if want_dir and not s_isdir(p.inode.mode):
                raise Errno(E.ENOTDIR)
            return p
