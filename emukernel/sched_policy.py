"""Scheduling parameters of a task: its nice value, scheduling policy and RT priority, and the tasks a PRIO_*
`which`/`who` pair names.  These are the rules of Linux kernel/sched/syscalls.c and kernel/sys.c that
getpriority/setpriority, the sched_* syscalls and ioprio apply (and that ptrace or seccomp would ask too).

The values are attributes of the task, read here with their default until Task declares them (clone.py copies
them at fork, as Linux sched_fork does).
"""

from __future__ import annotations

from typing import Any

from .abi import errno as E
from .abi.capability import CAP_SYS_NICE
from .creds import capable
from .errors import Errno

PRIO_PROCESS, PRIO_PGRP, PRIO_USER = 0, 1, 2
SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE = 0, 1, 2, 3, 5, 6
SCHED_RESET_ON_FORK = 0x40000000


def task_nice(t: Any) -> int:
    # Linux: include/linux/sched.h task_nice
    return t.nice


def task_policy(t: Any) -> int:
    """The task's scheduling policy, without SCHED_RESET_ON_FORK (Linux p->policy)."""
    return t.sched_policy


def task_rt_priority(t: Any) -> int:
    """The task's RT priority, 0 unless SCHED_FIFO/SCHED_RR (Linux p->rt_priority)."""
    return t.rt_priority


def task_sched_reset(t: Any) -> bool:
    """Whether SCHED_RESET_ON_FORK is set (Linux p->sched_reset_on_fork)."""
    return t.sched_reset


def prio_targets(task: Any, which: int, who: int) -> list[Any]:
    """The live tasks a PRIO_PROCESS/PRIO_PGRP/PRIO_USER `who` names, seen from `task` (0: the caller's own)."""
    # Linux: kernel/sys.c getpriority/setpriority's walk over `which` (block/ioprio.c walks the same way)
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


def can_nice(t: Any, creds: Any, niceval: int) -> bool:
    # Linux: kernel/sched/syscalls.c can_nice: the target's RLIMIT_NICE (as 20 - nice) or CAP_SYS_NICE
    return 20 - niceval <= t.tg.rlimits[13][0] or capable(creds, CAP_SYS_NICE)  # RLIMIT_NICE


def set_one_prio(t: Any, creds: Any, niceval: int) -> int:
    """Set the nice value of `t` for `creds`: 0, or the errno that refused it (EPERM, EACCES)."""
    # Linux: kernel/sys.c set_one_prio
    if t.creds.uid != creds.euid and t.creds.euid != creds.euid and not capable(creds, CAP_SYS_NICE):
        return E.EPERM
    if niceval < task_nice(t) and not can_nice(t, creds, niceval):
        return E.EACCES
    t.nice = niceval
    return 0


def sched_setscheduler(creds: Any, t: Any, policy: int | None, prio: int) -> None:
    """Set the policy (None: keep it; SCHED_RESET_ON_FORK may be or'ed in) and RT priority of `t`."""
    # Linux: kernel/sched/syscalls.c __sched_setscheduler (checks in its order)
    reset = False
    if policy is None:
        policy = task_policy(t)
    else:
        reset = bool(policy & SCHED_RESET_ON_FORK)
        policy &= ~SCHED_RESET_ON_FORK
        if policy not in (SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE):
            raise Errno(E.EINVAL)
    rt = policy in (SCHED_FIFO, SCHED_RR)
    if (rt and not 1 <= prio <= 99) or (not rt and prio != 0):
        raise Errno(E.EINVAL)
    if not capable(creds, CAP_SYS_NICE):
        if rt:
            rlim = t.tg.rlimits[14][0]  # RLIMIT_RTPRIO
            if policy != task_policy(t) and not rlim:
                raise Errno(E.EPERM)
            if prio > task_rt_priority(t) and prio > rlim:
                raise Errno(E.EPERM)
        if t.creds.uid != creds.euid and t.creds.euid != creds.euid:
            raise Errno(E.EPERM)
    t.sched_policy = policy
    t.rt_priority = prio
    t.sched_reset = reset


def rr_interval_ns(t: Any) -> int:
    """The time slice sched_rr_get_interval reports for `t`, in nanoseconds."""
    # Linux: kernel/sched/syscalls.c sched_rr_get_interval (the class's get_rr_interval: RR 100 ms, FIFO 0)
    policy = task_policy(t)
    return 100_000_000 if policy == SCHED_RR else (0 if policy == SCHED_FIFO else 3_000_000)
