"""Credential syscalls: the get/set*id family, supplementary groups, capget/capset and the capability prctls.

Each one acts on the calling thread's credentials only (Linux keeps struct cred per task); the libcs make
setuid() and friends process-wide by running the syscall in every thread (glibc SIGSETXID, musl __synccall).
The rules live in emukernel.creds; here the arguments are decoded and the new credentials committed.
"""

from __future__ import annotations

import struct

from .. import creds as C
from ..abi import errno as E
from ..abi import prctl as P
from ..errors import Errno
from . import s32
from .table import syscall

_CAP_HEADER = struct.Struct("<Ii")  # struct __user_cap_header_struct: u32 version, int pid
_CAP_DATA = struct.Struct("<III")  # struct __user_cap_data_struct: effective, permitted, inheritable


# -- reading ids ----------------------------------------------------------------------------------------------
@syscall("getuid", ret="u")
def sys_getuid(task):
    return task.creds.uid


@syscall("geteuid", ret="u")
def sys_geteuid(task):
    return task.creds.euid


@syscall("getgid", ret="u")
def sys_getgid(task):
    return task.creds.gid


@syscall("getegid", ret="u")
def sys_getegid(task):
    return task.creds.egid


@syscall("getresuid", "p", "p", "p")
def sys_getresuid(task, ruid, euid, suid):
    # Linux: kernel/sys.c getresuid: put_user one after the other
    c = task.creds
    mm = task.mm
    mm.write_u32(ruid, c.uid)
    mm.write_u32(euid, c.euid)
    mm.write_u32(suid, c.suid)
    return 0


@syscall("getresgid", "p", "p", "p")
def sys_getresgid(task, rgid, egid, sgid):
    c = task.creds
    mm = task.mm
    mm.write_u32(rgid, c.gid)
    mm.write_u32(egid, c.egid)
    mm.write_u32(sgid, c.sgid)
    return 0


# -- changing ids ---------------------------------------------------------------------------------------------
@syscall("setuid", "u")
def sys_setuid(task, uid):
    C.commit_creds(task, C.setuid(task.creds, uid))
    return 0


@syscall("setgid", "u")
def sys_setgid(task, gid):
    C.commit_creds(task, C.setgid(task.creds, gid))
    return 0


@syscall("setreuid", "u", "u")
def sys_setreuid(task, ruid, euid):
    C.commit_creds(task, C.setreuid(task.creds, ruid, euid))
    return 0


@syscall("setregid", "u", "u")
def sys_setregid(task, rgid, egid):
    C.commit_creds(task, C.setregid(task.creds, rgid, egid))
    return 0


@syscall("setresuid", "u", "u", "u")
def sys_setresuid(task, ruid, euid, suid):
    C.commit_creds(task, C.setresuid(task.creds, ruid, euid, suid))
    return 0


@syscall("setresgid", "u", "u", "u")
def sys_setresgid(task, rgid, egid, sgid):
    C.commit_creds(task, C.setresgid(task.creds, rgid, egid, sgid))
    return 0


@syscall("setfsuid", "u", ret="u")
def sys_setfsuid(task, uid):
    new, old = C.setfsuid(task.creds, uid)
    C.commit_creds(task, new)
    return old


@syscall("setfsgid", "u", ret="u")
def sys_setfsgid(task, gid):
    new, old = C.setfsgid(task.creds, gid)
    C.commit_creds(task, new)
    return old


# -- supplementary groups (kernel/groups.c) -------------------------------------------------------------------
@syscall("getgroups", "d", "p")
def sys_getgroups(task, size, grouplist):
    size = s32(size)
    if size < 0:
        raise Errno(E.EINVAL)
    groups = task.creds.groups
    n = len(groups)
    if size:
        if n > size:
            raise Errno(E.EINVAL)
        if n:
            task.mm.write(grouplist, struct.pack(f"<{n}I", *groups))
    return n


@syscall("setgroups", "d", "p")
def sys_setgroups(task, size, grouplist):
    if not C.capable(task.creds, C.CAP_SETGID):  # may_setgroups
        raise Errno(E.EPERM)
    size &= 0xFFFFFFFF  # (unsigned)gidsetsize: a negative size is too large
    if size > C.NGROUPS_MAX:
        raise Errno(E.EINVAL)
    groups = list(struct.unpack(f"<{size}I", task.mm.read(grouplist, 4 * size))) if size else []
    C.commit_creds(task, C.setgroups(task.creds, groups))
    return 0


# -- capabilities (kernel/capability.c) -----------------------------------------------------------------------
def _cap_validate_magic(task, header: int) -> int:
    """cap_validate_magic: the number of data structs for the header's version; an unknown version is
    EINVAL, with the kernel's preferred version written back into the header."""
    version = task.mm.read_u32(header)
    count = C.CAP_DATA_COUNT.get(version)
    if count is None:
        task.mm.write_u32(header, C._KERNEL_CAPABILITY_VERSION)
        raise Errno(E.EINVAL)
    return count


@syscall("capget", "p", "p")
def sys_capget(task, header, dataptr):
    try:
        count = _cap_validate_magic(task, header)
    except Errno as e:
        # probing with a NULL data pointer for the preferred version is not an error
        if dataptr == 0 and e.errno == E.EINVAL:
            return 0
        raise
    if dataptr == 0:
        return 0
    pid = s32(task.mm.read_u32(header + 4))
    if pid < 0:
        raise Errno(E.EINVAL)
    target = task
    if pid and pid != task.kernel.vpid(task, task):
        target = task.kernel.find_task(task, pid)
        if target is None:
            raise Errno(E.ESRCH)
    c = target.creds
    eff, prm, inh = c.cap_effective, c.cap_permitted, c.cap_inheritable
    data = b"".join(_CAP_DATA.pack((eff >> s) & 0xFFFFFFFF, (prm >> s) & 0xFFFFFFFF, (inh >> s) & 0xFFFFFFFF)
                    for s in (0, 32)[:count])
    task.mm.write(dataptr, data)
    return 0


@syscall("capset", "p", "p")
def sys_capset(task, header, dataptr):
    count = _cap_validate_magic(task, header)
    pid = s32(task.mm.read_u32(header + 4))
    # may only affect the calling thread
    if pid != 0 and pid != task.kernel.vpid(task, task):
        raise Errno(E.EPERM)
    raw = task.mm.read(dataptr, _CAP_DATA.size * count)
    words = [_CAP_DATA.unpack_from(raw, i * _CAP_DATA.size) for i in range(count)] + [(0, 0, 0)]
    lo, hi = words[0], words[1]

    def mk(i: int) -> int:
        return (lo[i] | hi[i] << 32) & C.CAP_VALID_MASK

    C.commit_creds(task, C.capset(task.creds, mk(0), mk(1), mk(2)))
    return 0


# -- prctl options owned by the capability code (security/commoncap.c cap_task_prctl) ------------------------
def prctl_creds(task, option: int, a2: int, a3: int, a4: int, a5: int) -> int | None:
    """The capability and securebits prctls; None for any other option (sys_prctl goes on)."""
    option &= 0xFFFFFFFF
    c = task.creds
    if option == P.PR_CAPBSET_READ:
        if not C.cap_valid(a2):
            raise Errno(E.EINVAL)
        return c.cap_bset >> a2 & 1
    if option == P.PR_CAPBSET_DROP:
        C.commit_creds(task, C.capbset_drop(c, a2))
        return 0
    if option == P.PR_SET_SECUREBITS:
        C.commit_creds(task, C.set_securebits(c, a2))
        return 0
    if option == P.PR_GET_SECUREBITS:
        return c.securebits
    if option == P.PR_GET_KEEPCAPS:
        return c.securebits >> C.SECURE_KEEP_CAPS & 1
    if option == P.PR_SET_KEEPCAPS:
        C.commit_creds(task, C.set_keepcaps(c, a2))
        return 0
    if option == P.PR_CAP_AMBIENT:
        new, ret = C.cap_ambient(c, a2, a3, a4, a5)
        C.commit_creds(task, new)
        return ret
    return None
