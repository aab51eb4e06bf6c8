"""Scheduling parameters of a task: nice value, scheduling policy and RT priority, and who a PRIO_* `which`/`who`
pair names.  The rules of Linux kernel/sched/syscalls.c and kernel/sys.c that getpriority/setpriority,
the sched_* syscalls and ioprio need.

Per-task values that Linux copies at fork (nice, scheduling policy) are kept as attributes of the task and read
with a default (clone.py copies them).
"""

from __future__ import annotations

from typing import Any

from .creds import CAP_SYS_NICE, capable

PRIO_PROCESS, PRIO_PGRP, PRIO_USER = 0, 1, 2
SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE = 0, 1, 2, 3, 5, 6
SCHED_RESET_ON_FORK = 0x40000000


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
