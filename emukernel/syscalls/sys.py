"""The syscalls of Linux kernel/sys.c: uname, sethostname, setdomainname, getpriority/setpriority, getrusage,
times, umask, prctl, getcpu, sysinfo and the rlimits (getrlimit, setrlimit, prlimit64).  The rules they
apply live in emukernel.sched_policy (nice), emukernel.rusage and emukernel.uts.
"""

from __future__ import annotations

import struct
from typing import Any

from ..abi import errno as E
from ..abi.capability import CAP_SYS_ADMIN, CAP_SYS_RESOURCE
from ..abi.prctl import PR_GET_SECCOMP, PR_SET_SECCOMP, PR_SET_SYSCALL_USER_DISPATCH
from ..abi.resource import RLIM_NLIMITS, RLIMIT_NOFILE, RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_THREAD
from ..clock import NSEC
from ..creds import capable
from ..errors import Errno
from ..rusage import getrusage
from ..sched_policy import PRIO_PGRP, PRIO_PROCESS, PRIO_USER, prio_targets, set_one_prio, task_nice
from ..syscall_user_dispatch import task_set_syscall_user_dispatch
from ..uts import NEW_UTS_LEN, set_domainname, set_hostname, utsname
from . import s32
from .creds import prctl_creds
from .seccomp import prctl_get_seccomp, prctl_set_seccomp
from .table import syscall

HZ = 250  # the kernel's tick (Debian's CONFIG_HZ); jiffies start 300 s before wrapping 32 bits
USER_HZ = 100
INITIAL_JIFFIES = (-300 * HZ) & 0xFFFFFFFF


@syscall("getpriority", "d", "d")
def sys_getpriority(task: Any, which: int, who: int) -> int:
    # Linux: kernel/sys.c getpriority: the highest priority found, as 20 - nice (1..40)
    which, who = s32(which), s32(who)
    if which not in (PRIO_PROCESS, PRIO_PGRP, PRIO_USER):
        raise Errno(E.EINVAL)
    targets = prio_targets(task, which, who)
    if not targets:
        raise Errno(E.ESRCH)
    return max(20 - task_nice(t) for t in targets)


@syscall("setpriority", "d", "d", "d")
def sys_setpriority(task: Any, which: int, who: int, niceval: int) -> int:
    # Linux: kernel/sys.c setpriority + set_one_prio
    which, who, niceval = s32(which), s32(who), s32(niceval)
    if which not in (PRIO_PROCESS, PRIO_PGRP, PRIO_USER):
        raise Errno(E.EINVAL)
    niceval = min(max(niceval, -20), 19)
    targets = prio_targets(task, which, who)
    if not targets:
        raise Errno(E.ESRCH)
    err = 0
    c = task.creds
    for t in targets:
        err = set_one_prio(t, c, niceval) or err
    if err:
        raise Errno(err)
    return 0


_RUSAGE = struct.Struct("<qqqq14q")
_TMS = struct.Struct("<qqqq")


@syscall("getrusage", "d", "struct_out")
def sys_getrusage(task: Any, who: int, ru: int) -> int:
    # Linux: kernel/sys.c getrusage; this kernel keeps no per-process CPU time: the times are 0
    who = s32(who)
    if who not in (RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD):
        raise Errno(E.EINVAL)
    task.mm.write(ru, _RUSAGE.pack(*getrusage(task, who)))
    return 0


@syscall("times", "struct_out")
def sys_times(task: Any, tbuf: int) -> int:
    # Linux: kernel/sys.c times: the tick count since boot (jiffies start near 2^32 - 300 s of ticks)
    if tbuf:
        task.mm.write(tbuf, _TMS.pack(0, 0, 0, 0))
    jiffies = INITIAL_JIFFIES + task.kernel.clock.monotonic_ns() * HZ // NSEC
    return (jiffies * USER_HZ // HZ) & 0x7FFFFFFFFFFFFFFF


@syscall("getcpu", "p", "p", "p")
def sys_getcpu(task: Any, cpup: int, nodep: int, cache: int) -> int:
    if cpup:
        task.mm.write_u32(cpup, 0)
    if nodep:
        task.mm.write_u32(nodep, 0)
    return 0


def _set_uts(task: Any, name: int, length: int, store: Any) -> int:
    # Linux: kernel/sys.c sethostname / setdomainname: CAP_SYS_ADMIN, then the length, then the copy
    if not capable(task.creds, CAP_SYS_ADMIN):
        raise Errno(E.EPERM)
    length = s32(length)
    if not 0 <= length <= NEW_UTS_LEN:
        raise Errno(E.EINVAL)
    store(task.kernel, task.mm.read(name, length) if length else b"")
    return 0


@syscall("sethostname", "p", "d")
def sys_sethostname(task: Any, name: int, length: int) -> int:
    return _set_uts(task, name, length, set_hostname)


@syscall("setdomainname", "p", "d")
def sys_setdomainname(task: Any, name: int, length: int) -> int:
    return _set_uts(task, name, length, set_domainname)


_UTS_LEN = 65
_RLIMIT = struct.Struct("<QQ")
_SYSINFO = struct.Struct("<q3Q6QHxxxxxxQQI4x")


PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 2, 3, 4
PR_SET_NAME, PR_GET_NAME = 15, 16
PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37
PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 38, 39
NR_OPEN = 1024 * 1024  # /proc/sys/fs/nr_open


def _field(s: str | bytes) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return b[:_UTS_LEN - 1].ljust(_UTS_LEN, b"\0")


@syscall("uname", "struct_out")
def sys_uname(task, buf):
    # sysname, nodename, release, version, machine, domainname: the host kernel's identity, so that a
    # guest prints the same under emukernel as natively (emukernel.uts)
    data = b"".join(_field(x) for x in utsname(task.kernel))
    task.mm.write(buf, data)
    return 0


@syscall("sysinfo", "struct_out")
def sys_sysinfo(task, info):
    k = task.kernel
    uptime = k.clock.monotonic_ns() // 1_000_000_000
    total = 8 << 30
    procs = len([t for t in k.tasks.values() if not t.kthread])
    task.mm.write(info, _SYSINFO.pack(uptime, 0, 0, 0, total, total // 2, 0, 0, 0, 0, procs, 0, 0, 1))
    return 0


def _target_group(task, pid: int):
    pid = s32(pid)
    if pid == 0:
        return task.tg
    t = task.kernel.find_task(task, pid)
    if t is None or t.kthread:
        raise Errno(E.ESRCH)
    return t.tg


def do_prlimit(task, tg, resource: int, new: tuple[int, int] | None) -> tuple[int, int]:
    # Linux: kernel/sys.c do_prlimit
    if resource >= RLIM_NLIMITS:
        raise Errno(E.EINVAL)
    old = tuple(tg.rlimits[resource])
    if new is not None:
        soft, hard = new
        if soft > hard:
            raise Errno(E.EINVAL)
        if resource == RLIMIT_NOFILE and hard > NR_OPEN:
            raise Errno(E.EPERM)
        if hard > old[1] and not capable(task.creds, CAP_SYS_RESOURCE):
            raise Errno(E.EPERM)
        tg.rlimits[resource] = [soft, hard]
    return old  # type: ignore[return-value]


@syscall("prlimit64", "d", "rlimit", "p", "struct_out")
def sys_prlimit64(task, pid, resource, new_ptr, old_ptr):
    tg = _target_group(task, pid)
    new = task.mm.read_struct(_RLIMIT, new_ptr) if new_ptr else None
    old = do_prlimit(task, tg, resource, new)
    if old_ptr:
        task.mm.write_struct(_RLIMIT, old_ptr, *old)
    return 0


@syscall("getrlimit", "rlimit", "struct_out")
def sys_getrlimit(task, resource, ptr):
    old = do_prlimit(task, task.tg, resource, None)
    task.mm.write_struct(_RLIMIT, ptr, *old)
    return 0


@syscall("setrlimit", "rlimit", "p")
def sys_setrlimit(task, resource, ptr):
    new = task.mm.read_struct(_RLIMIT, ptr)
    do_prlimit(task, task.tg, resource, new)
    return 0


@syscall("prctl", "prctl", "x", "x", "x", "x")
def sys_prctl(task, option, arg2, arg3, arg4, arg5):
    # Linux: kernel/sys.c prctl; security_task_prctl (the capability options) is asked first
    r = prctl_creds(task, option, arg2, arg3, arg4, arg5)
    if r is not None:
        return r
    if option == PR_SET_NAME:
        name = task.mm.read_cstring(arg2, 4096)[:15]
        task.comm = name
        return 0
    if option == PR_GET_NAME:
        task.mm.write(arg2, task.comm[:15].ljust(16, b"\0"))
        return 0
    if option == PR_SET_PDEATHSIG:
        if arg2 > 64:
            raise Errno(E.EINVAL)
        task.pdeath_signal = arg2
        return 0
    if option == PR_GET_PDEATHSIG:
        task.mm.write_u32(arg2, task.pdeath_signal)
        return 0
    if option == PR_GET_DUMPABLE:
        return task.mm.dumpable
    if option == PR_SET_DUMPABLE:
        if arg2 not in (0, 1):  # SUID_DUMP_DISABLE or SUID_DUMP_USER only (prctl_set_dumpable)
            raise Errno(E.EINVAL)
        task.mm.dumpable = arg2
        return 0
    if option == PR_SET_CHILD_SUBREAPER:
        task.tg.child_subreaper = bool(arg2)
        return 0
    if option == PR_GET_CHILD_SUBREAPER:
        task.mm.write_u32(arg2, int(task.tg.child_subreaper))
        return 0
    if option == PR_GET_SECCOMP:
        return prctl_get_seccomp(task)
    if option == PR_SET_SECCOMP:
        return prctl_set_seccomp(task, arg2, arg3)
    if option == PR_SET_SYSCALL_USER_DISPATCH:
        return task_set_syscall_user_dispatch(task, arg2, arg3, arg4, arg5)
    if option == PR_SET_NO_NEW_PRIVS:
        if arg2 != 1 or arg3 or arg4 or arg5:
            raise Errno(E.EINVAL)
        task.no_new_privs = True
        return 0
    if option == PR_GET_NO_NEW_PRIVS:
        if arg2 or arg3 or arg4 or arg5:
            raise Errno(E.EINVAL)
        return int(task.no_new_privs)
    raise Errno(E.EINVAL)


@syscall("umask", "mode")
def sys_umask(task: Any, mask: int) -> int:
    return task.fs.set_umask(mask & 0o777)
