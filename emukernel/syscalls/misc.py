"""Syscalls that were simply missing: scheduling priorities and policies (nice, sched_*, ioprio),
getrusage/times, getcpu, personality, membarrier, the mlock family, syslog, sethostname/setdomainname and
the socket family.

`load_all` calls `register_missing()` after every other module has filled the table, and each handler here
is registered only when no other module handles its syscall, so a fuller implementation elsewhere takes
over without a clash, whatever the order of the modules.

Per-task values that Linux copies at fork (nice, scheduling policy, personality) are kept as attributes of
the task and read with a default: until clone.py copies them (see the report that came with this module), a
child starts from the defaults.
"""

from __future__ import annotations

import struct
from typing import Any

from ..abi import errno as E
from ..abi.fcntl import O_NONBLOCK
from ..abi.syscall_numbers import NUMBERS
from ..creds import CAP_IPC_LOCK, CAP_SYS_ADMIN, CAP_SYS_NICE, CAP_SYSLOG, capable
from ..errors import Errno
from . import s32
from .fs import _u32
from .table import TABLE, syscall

_PENDING: list[tuple[str, tuple[str, ...], str, Any]] = []


def syscall_if_missing(name: str, *args: str, ret: str = "d"):
    """Like @syscall, but the registration waits for `register_missing()`."""
    NUMBERS[name]  # noqa: B018  (a KeyError now for a misspelt name)

    def collect(fn: Any) -> Any:
        _PENDING.append((name, args, ret, fn))
        return fn

    return collect


def register_missing() -> None:
    """Register each handler of this module whose syscall no other module handles."""
    for name, args, ret, fn in _PENDING:
        if TABLE[NUMBERS[name]] is None:
            syscall(name, *args, ret=ret)(fn)
    _PENDING.clear()


HZ = 250  # the kernel's tick (Debian's CONFIG_HZ); jiffies start 300 s before wrapping 32 bits
USER_HZ = 100
INITIAL_JIFFIES = (-300 * HZ) & 0xFFFFFFFF
NSEC = 1_000_000_000


# -- priorities and scheduling policies -------------------------------------------------------------------
PRIO_PROCESS, PRIO_PGRP, PRIO_USER = 0, 1, 2
SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE = 0, 1, 2, 3, 5, 6
SCHED_RESET_ON_FORK = 0x40000000
_SCHED_PARAM = struct.Struct("<i")


def _nice(t: Any) -> int:
    return getattr(t, "nice", 0)


def _prio_targets(task: Any, which: int, who: int) -> list[Any]:
    k = task.kernel
    if which == PRIO_PROCESS:
        t = task if who == 0 else k.find_task(task, who)
        return [t] if t is not None and not t.kthread and t.alive else []
    if which == PRIO_PGRP:
        if who == 0:
            pgid = task.tg.pgid
        else:
            leader = k.find_task(task, who)
            if leader is None:
                return []
            pgid = leader.pid.numbers[0]
        return [t for t in k.live_tasks() if t.tg.pgid == pgid]
    uid = task.creds.uid if who == 0 else who
    return [t for t in k.live_tasks() if t.creds.uid == uid]


def _can_nice(t: Any, creds: Any, niceval: int) -> bool:
    # Linux: kernel/sched/syscalls.c can_nice: the target's RLIMIT_NICE (as 20 - nice) or CAP_SYS_NICE
    return 20 - niceval <= t.tg.rlimits[13][0] or capable(creds, CAP_SYS_NICE)  # RLIMIT_NICE


@syscall_if_missing("getpriority", "d", "d")
def sys_getpriority(task: Any, which: int, who: int) -> int:
    # Linux: kernel/sys.c getpriority: the highest priority found, as 20 - nice (1..40)
    which, who = s32(which), s32(who)
    if which not in (PRIO_PROCESS, PRIO_PGRP, PRIO_USER):
        raise Errno(E.EINVAL)
    targets = _prio_targets(task, which, who)
    if not targets:
        raise Errno(E.ESRCH)
    return max(20 - _nice(t) for t in targets)


@syscall_if_missing("setpriority", "d", "d", "d")
def sys_setpriority(task: Any, which: int, who: int, niceval: int) -> int:
    # Linux: kernel/sys.c setpriority + set_one_prio
    which, who, niceval = s32(which), s32(who), s32(niceval)
    if which not in (PRIO_PROCESS, PRIO_PGRP, PRIO_USER):
        raise Errno(E.EINVAL)
    niceval = min(max(niceval, -20), 19)
    targets = _prio_targets(task, which, who)
    if not targets:
        raise Errno(E.ESRCH)
    err = 0
    c = task.creds
    for t in targets:
        if t.creds.uid != c.euid and t.creds.euid != c.euid and not capable(c, CAP_SYS_NICE):
            err = E.EPERM
            continue
        if niceval < _nice(t) and not _can_nice(t, c, niceval):
            err = E.EACCES
            continue
        t.nice = niceval
    if err:
        raise Errno(err)
    return 0


def _sched_target(task: Any, pid: int) -> Any:
    pid = s32(pid)
    if pid < 0:
        raise Errno(E.EINVAL)
    t = task if pid == 0 else task.kernel.find_task(task, pid)
    if t is None or t.kthread:
        raise Errno(E.ESRCH)
    return t


@syscall_if_missing("sched_getscheduler", "d")
def sys_sched_getscheduler(task: Any, pid: int) -> int:
    t = _sched_target(task, pid)
    return getattr(t, "sched_policy", SCHED_OTHER) | (SCHED_RESET_ON_FORK if getattr(t, "sched_reset", False)
                                                      else 0)


@syscall_if_missing("sched_getparam", "d", "struct_out")
def sys_sched_getparam(task: Any, pid: int, param: int) -> int:
    if not param or s32(pid) < 0:
        raise Errno(E.EINVAL)
    t = _sched_target(task, pid)
    task.mm.write(param, _SCHED_PARAM.pack(getattr(t, "rt_priority", 0)))
    return 0


def _setscheduler(task: Any, pid: int, policy: int | None, param: int) -> int:
    # Linux: kernel/sched/syscalls.c do_sched_setscheduler + __sched_setscheduler (checks in its order)
    if not param or s32(pid) < 0:
        raise Errno(E.EINVAL)
    (prio,) = _SCHED_PARAM.unpack(task.mm.read(param, 4))
    t = _sched_target(task, pid)
    reset = False
    if policy is None:
        policy = getattr(t, "sched_policy", SCHED_OTHER)
    else:
        reset = bool(policy & SCHED_RESET_ON_FORK)
        policy &= ~SCHED_RESET_ON_FORK
        if policy not in (SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE):
            raise Errno(E.EINVAL)
    rt = policy in (SCHED_FIFO, SCHED_RR)
    if (rt and not 1 <= prio <= 99) or (not rt and prio != 0):
        raise Errno(E.EINVAL)
    c = task.creds
    if not capable(c, CAP_SYS_NICE):
        if rt:
            rlim = t.tg.rlimits[14][0]  # RLIMIT_RTPRIO
            if policy != getattr(t, "sched_policy", SCHED_OTHER) and not rlim:
                raise Errno(E.EPERM)
            if prio > getattr(t, "rt_priority", 0) and prio > rlim:
                raise Errno(E.EPERM)
        if t.creds.uid != c.euid and t.creds.euid != c.euid:
            raise Errno(E.EPERM)
    t.sched_policy = policy
    t.rt_priority = prio
    t.sched_reset = reset
    return 0


@syscall_if_missing("sched_setscheduler", "d", "d", "p")
def sys_sched_setscheduler(task: Any, pid: int, policy: int, param: int) -> int:
    if s32(policy) < 0:
        raise Errno(E.EINVAL)
    return _setscheduler(task, pid, s32(policy), param)


@syscall_if_missing("sched_setparam", "d", "p")
def sys_sched_setparam(task: Any, pid: int, param: int) -> int:
    return _setscheduler(task, pid, None, param)


@syscall_if_missing("sched_get_priority_max", "d")
def sys_sched_get_priority_max(task: Any, policy: int) -> int:
    policy = s32(policy)
    if policy in (SCHED_FIFO, SCHED_RR):
        return 99
    if policy in (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE):
        return 0
    raise Errno(E.EINVAL)


@syscall_if_missing("sched_get_priority_min", "d")
def sys_sched_get_priority_min(task: Any, policy: int) -> int:
    policy = s32(policy)
    if policy in (SCHED_FIFO, SCHED_RR):
        return 1
    if policy in (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE):
        return 0
    raise Errno(E.EINVAL)


@syscall_if_missing("sched_rr_get_interval", "d", "struct_out")
def sys_sched_rr_get_interval(task: Any, pid: int, interval: int) -> int:
    t = _sched_target(task, pid)
    policy = getattr(t, "sched_policy", SCHED_OTHER)
    ns = 100_000_000 if policy == SCHED_RR else (0 if policy == SCHED_FIFO else 3_000_000)
    task.mm.write(interval, struct.pack("<qq", ns // NSEC, ns % NSEC))
    return 0


IOPRIO_WHO_PROCESS, IOPRIO_WHO_PGRP, IOPRIO_WHO_USER = 1, 2, 3
IOPRIO_CLASS_NONE, IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE = 0, 1, 2, 3


def _ioprio_targets(task: Any, which: int, who: int) -> list[Any]:
    if which not in (IOPRIO_WHO_PROCESS, IOPRIO_WHO_PGRP, IOPRIO_WHO_USER):
        raise Errno(E.EINVAL)
    targets = _prio_targets(task, which - 1, who)
    if not targets:
        raise Errno(E.ESRCH)
    return targets


@syscall_if_missing("ioprio_get", "d", "d")
def sys_ioprio_get(task: Any, which: int, who: int) -> int:
    # Linux: block/ioprio.c: a task that never set one reports IOPRIO_DEFAULT (class NONE, level 0)
    targets = _ioprio_targets(task, s32(which), s32(who))
    return max(getattr(t, "ioprio", 0) for t in targets)


@syscall_if_missing("ioprio_set", "d", "d", "d")
def sys_ioprio_set(task: Any, which: int, who: int, ioprio: int) -> int:
    # Linux: block/ioprio.c ioprio_check_cap then the targets
    ioprio = s32(ioprio)
    cls, level = (ioprio >> 13) & 7, ioprio & 0x1FFF
    if cls == IOPRIO_CLASS_RT:
        if not capable(task.creds, CAP_SYS_NICE) and not capable(task.creds, CAP_SYS_ADMIN):
            raise Errno(E.EPERM)
    if cls in (IOPRIO_CLASS_RT, IOPRIO_CLASS_BE):
        if level & 0xFF >= 8:
            raise Errno(E.EINVAL)
    elif cls == IOPRIO_CLASS_IDLE:
        pass
    elif cls == IOPRIO_CLASS_NONE:
        if level:
            raise Errno(E.EINVAL)
    else:
        raise Errno(E.EINVAL)
    for t in _ioprio_targets(task, s32(which), s32(who)):
        t.ioprio = ioprio
    return 0


# -- resource usage and CPU ----------------------------------------------------------------------------------
RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD = 0, -1, 1
_RUSAGE = struct.Struct("<qqqq14q")
_TMS = struct.Struct("<qqqq")


@syscall_if_missing("getrusage", "d", "struct_out")
def sys_getrusage(task: Any, who: int, ru: int) -> int:
    # Linux: kernel/sys.c getrusage; this kernel keeps no per-process CPU time: the times are 0
    who = s32(who)
    if who not in (RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD):
        raise Errno(E.EINVAL)
    maxrss = 0
    if who != RUSAGE_CHILDREN and task.mm is not None:
        from ..fs.proc import MemStats

        maxrss = MemStats(task.mm).rss
    task.mm.write(ru, _RUSAGE.pack(0, 0, 0, 0, maxrss, *([0] * 13)))
    return 0


@syscall_if_missing("times", "struct_out")
def sys_times(task: Any, tbuf: int) -> int:
    # Linux: kernel/sys.c times: the tick count since boot (jiffies start near 2^32 - 300 s of ticks)
    if tbuf:
        task.mm.write(tbuf, _TMS.pack(0, 0, 0, 0))
    jiffies = INITIAL_JIFFIES + task.kernel.clock.monotonic_ns() * HZ // NSEC
    return (jiffies * USER_HZ // HZ) & 0x7FFFFFFFFFFFFFFF


@syscall_if_missing("getcpu", "p", "p", "p")
def sys_getcpu(task: Any, cpup: int, nodep: int, cache: int) -> int:
    if cpup:
        task.mm.write_u32(cpup, 0)
    if nodep:
        task.mm.write_u32(nodep, 0)
    return 0


PER_LINUX = 0


@syscall_if_missing("personality", "x")
def sys_personality(task: Any, persona: int) -> int:
    # Linux: kernel/exec_domain.c: 0xffffffff only asks
    old = getattr(task, "personality", PER_LINUX)
    persona &= 0xFFFFFFFF
    if persona != 0xFFFFFFFF:
        task.personality = persona
    return old


MEMBARRIER_CMD_QUERY = 0
MEMBARRIER_CMD_GLOBAL = 1
MEMBARRIER_CMD_GLOBAL_EXPEDITED = 2
MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 4
MEMBARRIER_CMD_PRIVATE_EXPEDITED = 8
MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 16
MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE = 32
MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 64
MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ = 128
MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ = 256
MEMBARRIER_CMD_GET_REGISTRATIONS = 512
_MEMBARRIER_SUPPORTED = 0x1FF  # everything but GET_REGISTRATIONS in the QUERY answer (Linux 6.x)
_REGISTER_OF = {MEMBARRIER_CMD_PRIVATE_EXPEDITED: MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
                MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE: MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
                MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ: MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ}  # fmt: skip


@syscall_if_missing("membarrier", "d", "x", "d")
def sys_membarrier(task: Any, cmd: int, flags: int, cpu_id: int) -> int:
    # Linux: kernel/sched/membarrier.c (one CPU runs the guest at a time: every barrier is already there)
    cmd = s32(cmd)
    if flags & ~1 or (flags and cmd != MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ):
        raise Errno(E.EINVAL)
    mm = task.mm
    regs = getattr(mm, "membarrier_registered", 0)
    if cmd == MEMBARRIER_CMD_QUERY:
        return _MEMBARRIER_SUPPORTED
    if cmd == MEMBARRIER_CMD_GET_REGISTRATIONS:
        return regs
    if cmd in (MEMBARRIER_CMD_GLOBAL, MEMBARRIER_CMD_GLOBAL_EXPEDITED):
        return 0
    if cmd in (MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
               MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ):
        mm.membarrier_registered = regs | cmd
        return 0
    reg = _REGISTER_OF.get(cmd)
    if reg is None:
        raise Errno(E.EINVAL)
    if not regs & reg:
        raise Errno(E.EPERM)
    return 0


# -- memory locking -----------------------------------------------------------------------------------------
MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT = 1, 2, 4
MLOCK_ONFAULT = 1


def _mlock_range(task: Any, start: int, length: int) -> None:
    # Linux: mm/mlock.c do_mlock: page-align; RLIMIT_MEMLOCK 0 without CAP_IPC_LOCK is EPERM; holes ENOMEM
    end = (start + length + 4095) & ~4095
    start &= ~4095
    if end < start or end > 1 << 64:
        raise Errno(E.EINVAL)
    if end == start:
        return
    if not capable(task.creds, CAP_IPC_LOCK):
        limit = task.tg.rlimits[8][0]  # RLIMIT_MEMLOCK
        if limit == 0:
            raise Errno(E.EPERM)
        if end - start > limit:
            raise Errno(E.ENOMEM)
    addr = start
    while addr < end:
        v = task.mm.find_vma(addr)
        if v is None:
            raise Errno(E.ENOMEM)
        addr = v.end


@syscall_if_missing("mlock", "p", "u")
def sys_mlock(task: Any, start: int, length: int) -> int:
    _mlock_range(task, start, length)
    return 0


@syscall_if_missing("mlock2", "p", "u", "x")
def sys_mlock2(task: Any, start: int, length: int, flags: int) -> int:
    if flags & ~MLOCK_ONFAULT:
        raise Errno(E.EINVAL)
    _mlock_range(task, start, length)
    return 0


@syscall_if_missing("munlock", "p", "u")
def sys_munlock(task: Any, start: int, length: int) -> int:
    end = (start + length + 4095) & ~4095
    if end < (start & ~4095):
        raise Errno(E.EINVAL)
    addr = start & ~4095
    while addr < end:
        v = task.mm.find_vma(addr)
        if v is None:
            raise Errno(E.ENOMEM)
        addr = v.end
    return 0


@syscall_if_missing("mlockall", "x")
def sys_mlockall(task: Any, flags: int) -> int:
    flags = s32(flags)
    if not flags or flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) or flags == MCL_ONFAULT:
        raise Errno(E.EINVAL)
    if not capable(task.creds, CAP_IPC_LOCK) and task.tg.rlimits[8][0] == 0:
        raise Errno(E.EPERM)
    return 0


@syscall_if_missing("munlockall")
def sys_munlockall(task: Any) -> int:
    return 0


# -- syslog (klogctl) ---------------------------------------------------------------------------------------
SYSLOG_ACTION_CLOSE, SYSLOG_ACTION_OPEN, SYSLOG_ACTION_READ, SYSLOG_ACTION_READ_ALL = 0, 1, 2, 3
SYSLOG_ACTION_READ_CLEAR, SYSLOG_ACTION_CLEAR, SYSLOG_ACTION_SIZE_UNREAD, SYSLOG_ACTION_SIZE_BUFFER = 4, 5, 9, 10
LOG_BUF_LEN = 1 << 17


@syscall_if_missing("syslog", "d", "p", "d")
def sys_syslog(task: Any, type_: int, buf: int, length: int) -> int:
    # Linux: kernel/printk/printk.c do_syslog, with dmesg_restrict=1 (Debian's default): everything but
    # open/close needs CAP_SYSLOG (CAP_SYS_ADMIN is accepted too, with a warning).  The log is empty.
    type_, length = s32(type_), s32(length)
    if type_ not in (SYSLOG_ACTION_CLOSE, SYSLOG_ACTION_OPEN) and not (
            capable(task.creds, CAP_SYSLOG) or capable(task.creds, CAP_SYS_ADMIN)):
        raise Errno(E.EPERM)
    if type_ in (SYSLOG_ACTION_CLOSE, SYSLOG_ACTION_OPEN, SYSLOG_ACTION_CLEAR, 6, 7, 8):
        if type_ == 8 and not 1 <= length <= 8:
            raise Errno(E.EINVAL)
        return 0
    if type_ in (SYSLOG_ACTION_READ, SYSLOG_ACTION_READ_ALL, SYSLOG_ACTION_READ_CLEAR):
        if length < 0:
            raise Errno(E.EINVAL)
        if not buf and length:
            raise Errno(E.EINVAL if type_ == SYSLOG_ACTION_READ else E.EFAULT)
        if type_ == SYSLOG_ACTION_READ:
            return 0  # nothing will ever be logged; Linux would wait for a message
        return 0
    if type_ == SYSLOG_ACTION_SIZE_UNREAD:
        return 0
    if type_ == SYSLOG_ACTION_SIZE_BUFFER:
        return LOG_BUF_LEN
    raise Errno(E.EINVAL)


# -- host and domain names ----------------------------------------------------------------------------------
__NEW_UTS_LEN = 64


def _set_uts(task: Any, name: int, length: int, attr: str) -> int:
    # Linux: kernel/sys.c sethostname / setdomainname: CAP_SYS_ADMIN, then the length, then the copy
    if not capable(task.creds, CAP_SYS_ADMIN):
        raise Errno(E.EPERM)
    length = s32(length)
    if not 0 <= length <= __NEW_UTS_LEN:
        raise Errno(E.EINVAL)
    setattr(task.kernel, attr, task.mm.read(name, length) if length else b"")
    return 0


@syscall_if_missing("sethostname", "p", "d")
def sys_sethostname(task: Any, name: int, length: int) -> int:
    return _set_uts(task, name, length, "hostname")


@syscall_if_missing("setdomainname", "p", "d")
def sys_setdomainname(task: Any, name: int, length: int) -> int:
    return _set_uts(task, name, length, "domainname")  # uname shows it once info.py reads kernel.domainname


# -- sockets: no address family is supported ------------------------------------------------------------
SOCK_NONBLOCK, SOCK_CLOEXEC = O_NONBLOCK, 0o2000000
SOCK_TYPE_MASK = 0xF
SOCK_MAX = 11
NPROTO = 46  # AF_MAX


def _socket_checks(family: int, type_: int) -> None:
    # Linux: net/socket.c __sys_socket_create + __sock_create, for a kernel with no family registered
    if type_ & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC):
        raise Errno(E.EINVAL)
    if not 0 <= family < NPROTO:
        raise Errno(E.EAFNOSUPPORT)
    if not 0 <= type_ & SOCK_TYPE_MASK < SOCK_MAX:
        raise Errno(E.EINVAL)
    raise Errno(E.EAFNOSUPPORT)


@syscall_if_missing("socket", "d", "x", "d", ret="fd")
def sys_socket(task: Any, family: int, type_: int, protocol: int) -> int:
    _socket_checks(s32(family), s32(type_))
    return 0  # not reached


@syscall_if_missing("socketpair", "d", "x", "d", "p")
def sys_socketpair(task: Any, family: int, type_: int, protocol: int, sv: int) -> int:
    _socket_checks(s32(family), s32(type_))
    return 0  # not reached


def _not_a_socket(task: Any, fd: int, *_: int) -> int:
    """Every other socket call on a descriptor: EBADF when closed, else ENOTSOCK (sockfd_lookup)."""
    task.files.get(_u32(fd))
    raise Errno(E.ENOTSOCK)


for _name, _args in (("connect", ("fd", "p", "d")), ("accept", ("fd", "p", "p")), ("accept4", ("fd", "p", "p", "x")),
                     ("bind", ("fd", "p", "d")), ("listen", ("fd", "d")), ("getsockname", ("fd", "p", "p")),
                     ("getpeername", ("fd", "p", "p")), ("sendto", ("fd", "p", "u", "x", "p", "d")),
                     ("recvfrom", ("fd", "p", "u", "x", "p", "p")), ("sendmsg", ("fd", "p", "x")),
                     ("recvmsg", ("fd", "p", "x")), ("sendmmsg", ("fd", "p", "u", "x")),
                     ("recvmmsg", ("fd", "p", "u", "x", "p")), ("shutdown", ("fd", "d")),
                     ("setsockopt", ("fd", "d", "d", "p", "d")), ("getsockopt", ("fd", "d", "d", "p", "p"))):
    syscall_if_missing(_name, *_args)(lambda task, fd, *rest: _not_a_socket(task, fd))
