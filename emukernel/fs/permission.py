"""Discretionary access control: Linux generic_permission and the namespace-operation checks around it.

Credentials are duck-typed: `fsuid`, `fsgid`, `groups` (and `uid`, `gid` for access(2)).  Capabilities are
asked through `creds.capable(cap)` when the credentials object has it; otherwise a zero fsuid holds every
filesystem capability, as Linux's cap_emulate_setxuid arranges for root.
"""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi.capability import (
    CAP_DAC_OVERRIDE,
    CAP_DAC_READ_SEARCH,
    CAP_FOWNER,
    CAP_FSETID,
)
from ..errors import Errno
from .inode import S_ISGID, S_ISVTX, S_IXGRP, S_IXUGO, Dentry, Inode, s_isdir

# fmt: off
MAY_EXEC   = 0x01
MAY_WRITE  = 0x02
MAY_READ   = 0x04
MAY_APPEND = 0x08
MAY_ACCESS = 0x10
MAY_OPEN   = 0x20
MAY_CHDIR  = 0x40

# fmt: on


def capable(creds: Any, cap: int) -> bool:
    """Whether the credentials hold filesystem capability `cap`."""
    return creds.capable(cap)


def in_group_p(creds: Any, gid: int) -> bool:
    """fsgid or a supplementary group (kernel/groups.c in_group_p)."""
    return gid == creds.fsgid or gid in creds.groups


def generic_permission(creds: Any, inode: Inode, mask: int) -> None:
    """Raise EACCES unless `creds` may access `inode` for `mask` (MAY_READ|MAY_WRITE|MAY_EXEC)."""
    # Linux: fs/namei.c acl_permission_check
    mode = inode.mode
    want = mask & 7
    if inode.uid == creds.fsuid:
        mode >>= 6
    elif want & (mode ^ (mode >> 3)) and in_group_p(creds, inode.gid):
        mode >>= 3
    if not (want & ~mode):
        return
    # Linux: fs/namei.c generic_permission
    if s_isdir(inode.mode):
        if not (mask & MAY_WRITE) and capable(creds, CAP_DAC_READ_SEARCH):
            return
        if capable(creds, CAP_DAC_OVERRIDE):
            return
        raise Errno(E.EACCES)
    mask &= MAY_READ | MAY_WRITE | MAY_EXEC
    if mask == MAY_READ and capable(creds, CAP_DAC_READ_SEARCH):
        return
    # read/write DACs are always overridable, exec only when at least one exec bit is set
    if (not (mask & MAY_EXEC) or inode.mode & S_IXUGO) and capable(creds, CAP_DAC_OVERRIDE):
        return
    raise Errno(E.EACCES)


def inode_permission(creds: Any, inode: Inode, mask: int) -> None:
    """fs/namei.c inode_permission: the inode's own ->permission, else generic_permission (no LSMs, no ACLs)."""
    check = inode.i_permission
    if check is None:
        generic_permission(creds, inode, mask)
    else:
        check(creds, mask)


def inode_owner_or_capable(creds: Any, inode: Inode) -> bool:
    # Linux: fs/inode.c inode_owner_or_capable
    return creds.fsuid == inode.uid or capable(creds, CAP_FOWNER)


def check_sticky(creds: Any, dir: Inode, inode: Inode) -> bool:
    """True when the sticky bit of `dir` forbids removing `inode` (Linux check_sticky)."""
    if not (dir.mode & S_ISVTX):
        return False
    if creds.fsuid == inode.uid or creds.fsuid == dir.uid:
        return False
    return not capable(creds, CAP_FOWNER)


def may_delete(creds: Any, dir: Dentry, victim: Dentry | None, isdir: bool) -> None:
    """Whether `victim` may be removed from `dir` (unlink, rmdir, the target of rename)."""
    # Linux: fs/namei.c may_delete
    if victim is None:
        raise Errno(E.ENOENT)
    inode_permission(creds, dir.inode, MAY_WRITE | MAY_EXEC)
    if check_sticky(creds, dir.inode, victim.inode):
        raise Errno(E.EPERM)
    if isdir:
        if not s_isdir(victim.inode.mode):
            raise Errno(E.ENOTDIR)
        if victim.parent is None:
            raise Errno(E.EBUSY)
    elif s_isdir(victim.inode.mode):
        raise Errno(E.EISDIR)
    if dir.inode.is_dead():
        raise Errno(E.ENOENT)


def may_create(creds: Any, dir: Dentry, exists: bool) -> None:
    """Whether a new name may be created in `dir`."""
    # Linux: fs/namei.c may_create
    if exists:
        raise Errno(E.EEXIST)
    if dir.inode.is_dead():
        raise Errno(E.ENOENT)
    inode_permission(creds, dir.inode, MAY_WRITE | MAY_EXEC)


def init_owner(creds: Any, dir: Inode, mode: int) -> tuple[int, int, int]:
    """(mode, uid, gid) of a new inode in `dir`: the setgid-directory rules of inode_init_owner."""
    # Linux: fs/inode.c inode_init_owner (+ mode_strip_sgid)
    uid = creds.fsuid
    if dir.mode & S_ISGID:
        gid = dir.gid
        if s_isdir(mode):
            mode |= S_ISGID
    else:
        gid = creds.fsgid
    if (
        not s_isdir(mode)
        and (mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP)
        and not in_group_p(creds, gid)
        and not capable(creds, CAP_FSETID)
    ):
        mode &= ~S_ISGID
    return mode, uid, gid


class AccessCreds:
    """access(2)'s credentials: fsuid/fsgid replaced by the real ids (Linux access_override_creds)."""

    __slots__ = ("fsuid", "fsgid", "uid", "gid", "groups")

    def __init__(self, creds: Any) -> None:
        self.uid = self.fsuid = creds.uid
        self.gid = self.fsgid = creds.gid
        self.groups = creds.groups

    def capable(self, cap: int) -> bool:
        # a non-root real uid drops the capabilities for the check, root keeps them
        return self.uid == 0
