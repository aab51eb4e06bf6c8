"""ioprio_get and ioprio_set (Linux block/ioprio.c)."""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi.capability import CAP_SYS_ADMIN, CAP_SYS_NICE
from ..creds import capable
from ..errors import Errno
from ..sched_policy import prio_targets
from . import s32
from .table import syscall

IOPRIO_WHO_PROCESS, IOPRIO_WHO_PGRP, IOPRIO_WHO_USER = 1, 2, 3
IOPRIO_CLASS_NONE, IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE = 0, 1, 2, 3


def _ioprio_targets(task: Any, which: int, who: int) -> list[Any]:
    if which not in (IOPRIO_WHO_PROCESS, IOPRIO_WHO_PGRP, IOPRIO_WHO_USER):
        raise Errno(E.EINVAL)
    targets = prio_targets(task, which - 1, who)
    if not targets:
        raise Errno(E.ESRCH)
    return targets


@syscall("ioprio_get", "d", "d")
def sys_ioprio_get(task: Any, which: int, who: int) -> int:
    # Linux: block/ioprio.c: a task that never set one reports IOPRIO_DEFAULT (class NONE, level 0)
    targets = _ioprio_targets(task, s32(which), s32(who))
    return max(t.ioprio for t in targets)


@syscall("ioprio_set", "d", "d", "d")
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
