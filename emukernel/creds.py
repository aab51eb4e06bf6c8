"""Credentials: the setuid family's state machine, capability sets, securebits (kernel/sys.c, kernel/cred.c,
kernel/capability.c, security/commoncap.c).

`Creds` (struct cred) and the rules that change it.  Every rule works like Linux's
prepare_creds/commit_creds: it takes the old credentials, returns new ones (a copy) or raises Errno, and the
caller commits by assigning `task.creds`.  Credentials are per thread: a syscall changes only the calling
thread's, as in Linux; both libcs broadcast set*id to the other threads with a signal.

Capability sets are 64-bit ints (bit n = capability n).  Only ids that map in the initial user namespace are
valid: (uid_t)-1 never maps.
"""

from __future__ import annotations

import ctypes
import os
from typing import TYPE_CHECKING

from .abi import errno as E
from .abi.capability import (
    CAP_CHECKPOINT_RESTORE,
    CAP_CHOWN,
    CAP_DAC_OVERRIDE,
    CAP_DAC_READ_SEARCH,
    CAP_FOWNER,
    CAP_FSETID,
    CAP_LINUX_IMMUTABLE,
    CAP_MAC_OVERRIDE,
    CAP_MKNOD,
    CAP_SETGID,
    CAP_SETPCAP,
    CAP_SETUID,
)
from .errors import Errno

if TYPE_CHECKING:
    from .task import Task


def _host_cap_last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except (OSError, ValueError):
        return CAP_CHECKPOINT_RESTORE


#: The highest capability number this kernel knows: the host's, so that a guest sees the same as natively.
CAP_LAST_CAP = _host_cap_last_cap()
CAP_VALID_MASK = (1 << (CAP_LAST_CAP + 1)) - 1
CAP_FULL_SET = CAP_VALID_MASK


class Creds:
    """Credentials (struct cred): real/effective/saved/fs ids, supplementary groups, capability sets and
    securebits.  One object per task; the rules that change it are in emukernel.creds."""

    __slots__ = ("uid", "euid", "suid", "fsuid", "gid", "egid", "sgid", "fsgid", "groups",
                 "cap_effective", "cap_permitted", "cap_inheritable", "cap_bset", "cap_ambient", "securebits")

    def __init__(self, uid: int = 0, gid: int = 0, groups: tuple[int, ...] = ()) -> None:
        self.uid = self.euid = self.suid = self.fsuid = uid
        self.gid = self.egid = self.sgid = self.fsgid = gid
        self.groups = groups
        # as Linux's init_cred for root; an ordinary user holds nothing
        self.cap_permitted = self.cap_effective = CAP_FULL_SET if uid == 0 else 0
        self.cap_inheritable = 0
        self.cap_bset = CAP_FULL_SET
        self.cap_ambient = 0
        self.securebits = 0

    def copy(self) -> Creds:
        c = Creds.__new__(Creds)
        for k in Creds.__slots__:
            setattr(c, k, getattr(self, k))
        return c

    def capable(self, cap: int) -> bool:
        """cap_capable: `cap` is in the effective set (the filesystem code asks through this)."""
        return bool(self.cap_effective >> cap & 1)

    def __repr__(self) -> str:
        return (f"<Creds uid={self.uid}/{self.euid}/{self.suid}/{self.fsuid} gid={self.gid}/{self.egid}/"
                f"{self.sgid}/{self.fsgid} groups={self.groups} eff={self.cap_effective:#x} "
                f"prm={self.cap_permitted:#x}>")


# Linux: include/linux/capability.h CAP_FS_MASK | CAP_LINUX_IMMUTABLE (what fsuid 0 <-> nonzero raises/drops)
CAP_FS_SET = sum(1 << c for c in (CAP_CHOWN, CAP_MKNOD, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
                                  CAP_FSETID, CAP_MAC_OVERRIDE, CAP_LINUX_IMMUTABLE))

_LINUX_CAPABILITY_VERSION_1 = 0x19980330
_LINUX_CAPABILITY_VERSION_2 = 0x20071026
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
_KERNEL_CAPABILITY_VERSION = _LINUX_CAPABILITY_VERSION_3
#: header version -> how many __user_cap_data_struct (u32 effective, permitted, inheritable) it carries
CAP_DATA_COUNT = {_LINUX_CAPABILITY_VERSION_1: 1, _LINUX_CAPABILITY_VERSION_2: 2, _LINUX_CAPABILITY_VERSION_3: 2}

# -- securebits (include/uapi/linux/securebits.h, 6.14+) ----------------------------------------------------
# fmt: off
SECURE_NOROOT                = 0
SECURE_NOROOT_LOCKED         = 1
SECURE_NO_SETUID_FIXUP       = 2
SECURE_NO_SETUID_FIXUP_LOCKED = 3
SECURE_KEEP_CAPS             = 4
SECURE_KEEP_CAPS_LOCKED      = 5
SECURE_NO_CAP_AMBIENT_RAISE  = 6
SECURE_NO_CAP_AMBIENT_RAISE_LOCKED = 7
SECURE_EXEC_RESTRICT_FILE    = 8
SECURE_EXEC_DENY_INTERACTIVE = 10
# fmt: on
SECBIT_NOROOT = 1 << SECURE_NOROOT
SECBIT_NO_SETUID_FIXUP = 1 << SECURE_NO_SETUID_FIXUP
SECBIT_KEEP_CAPS = 1 << SECURE_KEEP_CAPS
SECBIT_KEEP_CAPS_LOCKED = 1 << SECURE_KEEP_CAPS_LOCKED
SECBIT_NO_CAP_AMBIENT_RAISE = 1 << SECURE_NO_CAP_AMBIENT_RAISE
SECURE_ALL_BITS = sum(1 << b for b in (SECURE_NOROOT, SECURE_NO_SETUID_FIXUP, SECURE_KEEP_CAPS,
                                       SECURE_NO_CAP_AMBIENT_RAISE, SECURE_EXEC_RESTRICT_FILE,
                                       SECURE_EXEC_DENY_INTERACTIVE))
SECURE_ALL_LOCKS = SECURE_ALL_BITS << 1

PR_CAP_AMBIENT_IS_SET, PR_CAP_AMBIENT_RAISE, PR_CAP_AMBIENT_LOWER, PR_CAP_AMBIENT_CLEAR_ALL = 1, 2, 3, 4

NGROUPS_MAX = 65536
INVALID_ID = 0xFFFFFFFF  # (uid_t)-1 / (gid_t)-1: "leave unchanged" where allowed, never a valid id
ROOT = 0


def cap_valid(cap: int) -> bool:
    return 0 <= cap <= CAP_LAST_CAP


def capable(c: Creds, cap: int) -> bool:
    """cap_capable in the initial user namespace: the capability is in the effective set."""
    return bool(c.cap_effective >> cap & 1)


def _id(x: int) -> int:
    """An id argument: a uid_t/gid_t (the low 32 bits of the register)."""
    return x & 0xFFFFFFFF


def _check_valid(*ids: int) -> None:
    # Linux: make_kuid in init_user_ns maps 0..2^32-2; (uid_t)-1 is INVALID_UID -> EINVAL
    for i in ids:
        if i == INVALID_ID:
            raise Errno(E.EINVAL)


# -- the first task's credentials ----------------------------------------------------------------------------
def _host_status_caps() -> dict[str, int]:
    caps: dict[str, int] = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs"):
                    caps[key] = int(value.strip(), 16 if key.startswith("Cap") else 10)
    except (OSError, ValueError):
        pass
    return caps


def _host_securebits() -> int:
    try:

        libc = ctypes.CDLL(None, use_errno=True)
        r = libc.prctl(27, 0, 0, 0, 0)  # PR_GET_SECUREBITS
        return int(r) if r >= 0 else 0
    except (OSError, AttributeError):
        return 0


def host_creds() -> Creds:
    """The host process's credentials: ids, supplementary groups, capability sets and securebits.

    The first task runs with these, so that a differential test sees the same under emukernel as natively.
    """
    ruid, euid, suid = os.getresuid()
    rgid, egid, sgid = os.getresgid()
    c = Creds(ruid, rgid, tuple(sorted(set(os.getgroups()))))
    c.euid, c.suid, c.fsuid = euid, suid, euid
    c.egid, c.sgid, c.fsgid = egid, sgid, egid
    caps = _host_status_caps()
    if "CapEff" in caps:
        c.cap_effective = caps["CapEff"] & CAP_VALID_MASK
        c.cap_permitted = caps.get("CapPrm", 0) & CAP_VALID_MASK
        c.cap_inheritable = caps.get("CapInh", 0) & CAP_VALID_MASK
        c.cap_bset = caps.get("CapBnd", CAP_FULL_SET) & CAP_VALID_MASK
        c.cap_ambient = caps.get("CapAmb", 0) & CAP_VALID_MASK
    c.securebits = _host_securebits()
    return c


def host_no_new_privs() -> bool:
    return bool(_host_status_caps().get("NoNewPrivs", 0))


# -- capability effects of id changes (security/commoncap.c) ------------------------------------------------
def _issecure(c: Creds, bit: int) -> bool:
    return bool(c.securebits >> bit & 1)


def cap_emulate_setxuid(new: Creds, old: Creds) -> None:
    """Linux: security/commoncap.c cap_emulate_setxuid, for setuid/setreuid/setresuid."""
    if ROOT in (old.uid, old.euid, old.suid) and ROOT not in (new.uid, new.euid, new.suid):
        # all of ruid, euid and suid left 0: permitted and effective go, unless SECURE_KEEP_CAPS
        if not _issecure(old, SECURE_KEEP_CAPS):
            new.cap_permitted = 0
            new.cap_effective = 0
        # pre-ambient programs expect setresuid to nonroot followed by exec to drop capabilities
        new.cap_ambient = 0
    if old.euid == ROOT and new.euid != ROOT:
        new.cap_effective = 0
    if old.euid != ROOT and new.euid == ROOT:
        new.cap_effective = new.cap_permitted


def cap_task_fix_setuid(new: Creds, old: Creds, fs_only: bool = False) -> None:
    """Linux: security/commoncap.c cap_task_fix_setuid (LSM_SETID_ID/RE/RES, or LSM_SETID_FS)."""
    if _issecure(old, SECURE_NO_SETUID_FIXUP):
        return
    if not fs_only:
        cap_emulate_setxuid(new, old)
        return
    if old.fsuid == ROOT and new.fsuid != ROOT:
        new.cap_effective &= ~CAP_FS_SET
    if old.fsuid != ROOT and new.fsuid == ROOT:
        new.cap_effective |= new.cap_permitted & CAP_FS_SET


# -- the setuid family (kernel/sys.c) -------------------------------------------------------------------------
def setuid(old: Creds, uid: int) -> Creds:
    """Linux: kernel/sys.c __sys_setuid."""
    uid = _id(uid)
    _check_valid(uid)
    new = old.copy()
    if capable(old, CAP_SETUID):
        new.uid = new.suid = uid
    elif uid not in (old.uid, old.suid):
        raise Errno(E.EPERM)
    new.fsuid = new.euid = uid
    cap_task_fix_setuid(new, old)
    return new


def setreuid(old: Creds, ruid: int, euid: int) -> Creds:
    """Linux: kernel/sys.c __sys_setreuid."""
    ruid, euid = _id(ruid), _id(euid)
    new = old.copy()
    if ruid != INVALID_ID:
        new.uid = ruid
        if ruid not in (old.uid, old.euid) and not capable(old, CAP_SETUID):
            raise Errno(E.EPERM)
    if euid != INVALID_ID:
        new.euid = euid
        if euid not in (old.uid, old.euid, old.suid) and not capable(old, CAP_SETUID):
            raise Errno(E.EPERM)
    if ruid != INVALID_ID or (euid != INVALID_ID and euid != old.uid):
        new.suid = new.euid
    new.fsuid = new.euid
    cap_task_fix_setuid(new, old)
    return new


def setresuid(old: Creds, ruid: int, euid: int, suid: int) -> Creds:
    """Linux: kernel/sys.c __sys_setresuid (each -1 leaves that id alone)."""
    ruid, euid, suid = _id(ruid), _id(euid), _id(suid)
    if (ruid == INVALID_ID or ruid == old.uid) and \
            (euid == INVALID_ID or (euid == old.euid and euid == old.fsuid)) and \
            (suid == INVALID_ID or suid == old.suid):
        return old  # no-op
    mine = (old.uid, old.euid, old.suid)
    if any(i != INVALID_ID and i not in mine for i in (ruid, euid, suid)) and not capable(old, CAP_SETUID):
        raise Errno(E.EPERM)
    new = old.copy()
    if ruid != INVALID_ID:
        new.uid = ruid
    if euid != INVALID_ID:
        new.euid = euid
    if suid != INVALID_ID:
        new.suid = suid
    new.fsuid = new.euid
    cap_task_fix_setuid(new, old)
    return new


def setfsuid(old: Creds, uid: int) -> tuple[Creds, int]:
    """Linux: kernel/sys.c __sys_setfsuid: never fails; returns (new creds, the old fsuid)."""
    uid = _id(uid)
    old_fsuid = old.fsuid
    if uid == INVALID_ID or uid == old.fsuid:
        return old, old_fsuid
    if uid in (old.uid, old.euid, old.suid) or capable(old, CAP_SETUID):
        new = old.copy()
        new.fsuid = uid
        cap_task_fix_setuid(new, old, fs_only=True)
        return new, old_fsuid
    return old, old_fsuid


def setgid(old: Creds, gid: int) -> Creds:
    """Linux: kernel/sys.c __sys_setgid."""
    gid = _id(gid)
    _check_valid(gid)
    new = old.copy()
    if capable(old, CAP_SETGID):
        new.gid = new.egid = new.sgid = new.fsgid = gid
    elif gid in (old.gid, old.sgid):
        new.egid = new.fsgid = gid
    else:
        raise Errno(E.EPERM)
    return new


def setregid(old: Creds, rgid: int, egid: int) -> Creds:
    """Linux: kernel/sys.c __sys_setregid."""
    rgid, egid = _id(rgid), _id(egid)
    new = old.copy()
    if rgid != INVALID_ID:
        if rgid in (old.gid, old.egid) or capable(old, CAP_SETGID):
            new.gid = rgid
        else:
            raise Errno(E.EPERM)
    if egid != INVALID_ID:
        if egid in (old.gid, old.egid, old.sgid) or capable(old, CAP_SETGID):
            new.egid = egid
        else:
            raise Errno(E.EPERM)
    if rgid != INVALID_ID or (egid != INVALID_ID and egid != old.gid):
        new.sgid = new.egid
    new.fsgid = new.egid
    return new


def setresgid(old: Creds, rgid: int, egid: int, sgid: int) -> Creds:
    """Linux: kernel/sys.c __sys_setresgid."""
    rgid, egid, sgid = _id(rgid), _id(egid), _id(sgid)
    if (rgid == INVALID_ID or rgid == old.gid) and \
            (egid == INVALID_ID or (egid == old.egid and egid == old.fsgid)) and \
            (sgid == INVALID_ID or sgid == old.sgid):
        return old  # no-op
    mine = (old.gid, old.egid, old.sgid)
    if any(i != INVALID_ID and i not in mine for i in (rgid, egid, sgid)) and not capable(old, CAP_SETGID):
        raise Errno(E.EPERM)
    new = old.copy()
    if rgid != INVALID_ID:
        new.gid = rgid
    if egid != INVALID_ID:
        new.egid = egid
    if sgid != INVALID_ID:
        new.sgid = sgid
    new.fsgid = new.egid
    return new


def setfsgid(old: Creds, gid: int) -> tuple[Creds, int]:
    """Linux: kernel/sys.c __sys_setfsgid: never fails; returns (new creds, the old fsgid)."""
    gid = _id(gid)
    old_fsgid = old.fsgid
    if gid == INVALID_ID or gid == old.fsgid:
        return old, old_fsgid
    if gid in (old.gid, old.egid, old.sgid) or capable(old, CAP_SETGID):
        new = old.copy()
        new.fsgid = gid
        return new, old_fsgid
    return old, old_fsgid


def setgroups(old: Creds, groups: list[int]) -> Creds:
    """Linux: kernel/groups.c setgroups (the size was checked by the caller): sorted, duplicates kept."""
    if not capable(old, CAP_SETGID):
        raise Errno(E.EPERM)
    if len(groups) > NGROUPS_MAX:
        raise Errno(E.EINVAL)
    groups = [_id(g) for g in groups]
    _check_valid(*groups)  # groups_from_user: an unmappable gid is EINVAL
    new = old.copy()
    new.groups = tuple(sorted(groups))
    return new


# -- capget/capset (kernel/capability.c, security/commoncap.c) ----------------------------------------------
def capset(old: Creds, effective: int, permitted: int, inheritable: int) -> Creds:
    """Linux: security/commoncap.c cap_capset (the sets are already masked to CAP_VALID_MASK)."""
    if not capable(old, CAP_SETPCAP) and inheritable & ~(old.cap_inheritable | old.cap_permitted):
        raise Errno(E.EPERM)  # incapable of using this inheritable set
    if inheritable & ~(old.cap_inheritable | old.cap_bset):
        raise Errno(E.EPERM)  # no new pI capabilities outside the bounding set
    if permitted & ~old.cap_permitted:
        raise Errno(E.EPERM)  # the permitted set may only shrink
    if effective & ~permitted:
        raise Errno(E.EPERM)  # the new effective set must lie within the new permitted set
    new = old.copy()
    new.cap_effective = effective
    new.cap_inheritable = inheritable
    new.cap_permitted = permitted
    # ambient bits that are no longer both permitted and inheritable go
    new.cap_ambient &= permitted & inheritable
    return new


# -- prctl (security/commoncap.c cap_task_prctl) ---------------------------------------------------------------
def capbset_drop(old: Creds, cap: int) -> Creds:
    """Linux: cap_prctl_drop: CAP_SETPCAP first (EPERM), then the number (EINVAL)."""
    if not capable(old, CAP_SETPCAP):
        raise Errno(E.EPERM)
    if not cap_valid(cap):
        raise Errno(E.EINVAL)
    new = old.copy()
    new.cap_bset &= ~(1 << cap)
    return new


def set_securebits(old: Creds, bits: int) -> Creds:
    """PR_SET_SECUREBITS: no changing locked bits, no unlocking, no unknown bits, CAP_SETPCAP required."""
    sb = old.securebits
    if ((sb & SECURE_ALL_LOCKS) >> 1) & (sb ^ bits) or sb & SECURE_ALL_LOCKS & ~bits \
            or bits & ~(SECURE_ALL_LOCKS | SECURE_ALL_BITS) or not capable(old, CAP_SETPCAP):
        raise Errno(E.EPERM)
    new = old.copy()
    new.securebits = bits
    return new


def set_keepcaps(old: Creds, value: int) -> Creds:
    """PR_SET_KEEPCAPS."""
    if value > 1:
        raise Errno(E.EINVAL)
    if _issecure(old, SECURE_KEEP_CAPS_LOCKED):
        raise Errno(E.EPERM)
    new = old.copy()
    if value:
        new.securebits |= SECBIT_KEEP_CAPS
    else:
        new.securebits &= ~SECBIT_KEEP_CAPS
    return new


def cap_ambient(old: Creds, op: int, cap: int, a4: int, a5: int) -> tuple[Creds, int]:
    """PR_CAP_AMBIENT: returns (new creds, result)."""
    if op == PR_CAP_AMBIENT_CLEAR_ALL:
        if cap | a4 | a5:
            raise Errno(E.EINVAL)
        new = old.copy()
        new.cap_ambient = 0
        return new, 0
    if not cap_valid(cap) or a4 or a5:
        raise Errno(E.EINVAL)
    if op == PR_CAP_AMBIENT_IS_SET:
        return old, old.cap_ambient >> cap & 1
    if op not in (PR_CAP_AMBIENT_RAISE, PR_CAP_AMBIENT_LOWER):
        raise Errno(E.EINVAL)
    bit = 1 << cap
    new = old.copy()
    if op == PR_CAP_AMBIENT_RAISE:
        if not old.cap_permitted & bit or not old.cap_inheritable & bit \
                or _issecure(old, SECURE_NO_CAP_AMBIENT_RAISE):
            raise Errno(E.EPERM)
        new.cap_ambient |= bit
    else:
        new.cap_ambient &= ~bit
    return new, 0


# -- execve (security/commoncap.c cap_bprm_creds_from_file) ---------------------------------------------------
def exec_creds(old: Creds, file_uid: int | None = None, file_gid: int | None = None,
               no_new_privs: bool = False) -> Creds:
    """The credentials after execve of a file without file capabilities.

    file_uid/file_gid are the owner of a set-user-ID/set-group-ID file (None when the bit is clear or the
    mount is nosuid).  Linux: fs/exec.c bprm_fill_uid + security/commoncap.c cap_bprm_creds_from_file.
    """
    new = old.copy()
    if not no_new_privs:  # bprm_fill_uid: no_new_privs ignores the set-id bits
        if file_uid is not None:
            new.euid = file_uid
        if file_gid is not None:
            new.egid = file_gid
    new.cap_permitted = 0  # get_file_caps: no file capabilities
    effective = False
    if not _issecure(old, SECURE_NOROOT):
        # handle_privileged_root: uid 0 inherits the bounding and inheritable sets
        if new.euid == ROOT or new.uid == ROOT:
            new.cap_permitted = old.cap_bset | old.cap_inheritable
        if new.euid == ROOT:
            effective = True
    is_setid = new.euid != old.uid or new.egid != old.gid
    if (is_setid or new.cap_permitted & ~old.cap_permitted) and no_new_privs:
        # LSM_UNSAFE_NO_NEW_PRIVS: no more than it had, and keep the real ids
        new.euid, new.egid = new.uid, new.gid
        new.cap_permitted &= old.cap_permitted
    new.suid = new.fsuid = new.euid
    new.sgid = new.fsgid = new.egid
    if is_setid:
        new.cap_ambient = 0
    new.cap_permitted |= new.cap_ambient
    new.cap_effective = new.cap_permitted if effective else new.cap_ambient
    new.securebits &= ~SECBIT_KEEP_CAPS
    return new


def exec_is_secure(old: Creds, new: Creds) -> bool:
    """AT_SECURE for an exec that turned `old` into `new` (exec_creds): a set-id exec, or a non-root real uid
    that gained capabilities beyond its ambient set.  Linux: cap_bprm_creds_from_file, bprm->secureexec."""
    is_setid = new.euid != old.uid or new.egid != old.gid
    effective = new.cap_effective != new.cap_ambient
    return is_setid or (new.uid != ROOT and (effective or bool(new.cap_permitted & ~new.cap_ambient)))


SUID_DUMPABLE = 0  # /proc/sys/fs/suid_dumpable: Linux's default SUID_DUMP_DISABLE


def commit_creds(task: Task, new: Creds) -> None:
    """commit_creds: install new credentials on the task.  A change of the effective or filesystem ids, or
    permitted capabilities the old set did not hold, makes the mm non-dumpable (fs.suid_dumpable) and clears
    the parent-death signal."""
    if changes_dumpability(task.creds, new):
        if task.mm is not None:
            task.mm.dumpable = SUID_DUMPABLE
        task.pdeath_signal = 0
    task.creds = new


def changes_dumpability(old: Creds, new: Creds) -> bool:
    """commit_creds's test: the effective or filesystem ids change, or new holds a permitted capability old
    did not (!cred_cap_issubset)."""
    return (old.euid != new.euid or old.egid != new.egid or old.fsuid != new.fsuid or old.fsgid != new.fsgid
            or bool(new.cap_permitted & ~old.cap_permitted))
