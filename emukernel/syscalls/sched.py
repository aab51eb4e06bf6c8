"""The scheduler syscalls of Linux kernel/sched/syscalls.c: sched_getscheduler, sched_setscheduler,
sched_getparam, sched_setparam, sched_get_priority_max/min, sched_rr_get_interval, sched_getaffinity,
sched_setaffinity and sched_yield.  The policy rules live in emukernel.sched_policy.
"""

from __future__ import annotations

import os
import struct
from typing import Any

from ..abi import errno as E
from ..clock import NSEC
from ..errors import Errno
from ..sched import Yield
from ..sched_policy import (
    SCHED_BATCH,
    SCHED_DEADLINE,
    SCHED_FIFO,
    SCHED_IDLE,
    SCHED_OTHER,
    SCHED_RESET_ON_FORK,
    SCHED_RR,
    rr_interval_ns,
    sched_setscheduler,
    task_policy,
    task_rt_priority,
    task_sched_reset,
)
from . import s32
from .table import syscall

_SCHED_PARAM = struct.Struct("<i")


def _sched_target(task: Any, pid: int) -> Any:
    pid = s32(pid)
    if pid < 0:
        raise Errno(E.EINVAL)
    t = task if pid == 0 else task.kernel.find_task(task, pid)
    if t is None or t.kthread:
        raise Errno(E.ESRCH)
    return t


@syscall("sched_getscheduler", "d")
def sys_sched_getscheduler(task: Any, pid: int) -> int:
    t = _sched_target(task, pid)
    return task_policy(t) | (SCHED_RESET_ON_FORK if task_sched_reset(t) else 0)


@syscall("sched_getparam", "d", "struct_out")
def sys_sched_getparam(task: Any, pid: int, param: int) -> int:
    if not param or s32(pid) < 0:
        raise Errno(E.EINVAL)
    t = _sched_target(task, pid)
    task.mm.write(param, _SCHED_PARAM.pack(task_rt_priority(t)))
    return 0


def _setscheduler(task: Any, pid: int, policy: int | None, param: int) -> int:
    # Linux: kernel/sched/syscalls.c do_sched_setscheduler (then __sched_setscheduler: emukernel.sched_policy)
    if not param or s32(pid) < 0:
        raise Errno(E.EINVAL)
    (prio,) = _SCHED_PARAM.unpack(task.mm.read(param, 4))
    t = _sched_target(task, pid)
    sched_setscheduler(task.creds, t, policy, prio)
    return 0


@syscall("sched_setscheduler", "d", "d", "p")
def sys_sched_setscheduler(task: Any, pid: int, policy: int, param: int) -> int:
    if s32(policy) < 0:
        raise Errno(E.EINVAL)
    return _setscheduler(task, pid, s32(policy), param)


@syscall("sched_setparam", "d", "p")
def sys_sched_setparam(task: Any, pid: int, param: int) -> int:
    return _setscheduler(task, pid, None, param)


@syscall("sched_get_priority_max", "d")
def sys_sched_get_priority_max(task: Any, policy: int) -> int:
    policy = s32(policy)
    if policy in (SCHED_FIFO, SCHED_RR):
        return 99
    if policy in (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE):
        return 0
    raise Errno(E.EINVAL)


@syscall("sched_get_priority_min", "d")
def sys_sched_get_priority_min(task: Any, policy: int) -> int:
    policy = s32(policy)
    if policy in (SCHED_FIFO, SCHED_RR):
        return 1
    if policy in (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE):
        return 0
    raise Errno(E.EINVAL)


@syscall("sched_rr_get_interval", "d", "struct_out")
def sys_sched_rr_get_interval(task: Any, pid: int, interval: int) -> int:
    t = _sched_target(task, pid)
    ns = rr_interval_ns(t)
    task.mm.write(interval, struct.pack("<qq", ns // NSEC, ns % NSEC))
    return 0


@syscall("sched_getaffinity", "d", "u", "struct_out")
def sys_sched_getaffinity(task, pid, size, mask):
    ncpu = os.cpu_count() or 1
    if size * 8 < ncpu or size & 7:
        raise Errno(E.EINVAL)
    if s32(pid) and task.kernel.find_task(task, s32(pid)) is None:
        raise Errno(E.ESRCH)
    cpus = os.sched_getaffinity(0)
    bits = sum(1 << c for c in cpus)
    n = min(size, 8 * ((ncpu + 63) // 64))
    task.mm.write(mask, bits.to_bytes(n, "little"))
    return n


@syscall("sched_setaffinity", "d", "u", "p")
def sys_sched_setaffinity(task, pid, size, mask):
    data = task.mm.read(mask, min(size, 128))
    if s32(pid) and task.kernel.find_task(task, s32(pid)) is None:
        raise Errno(E.ESRCH)
    if not int.from_bytes(data, "little") & sum(1 << c for c in os.sched_getaffinity(0)):
        raise Errno(E.EINVAL)
    return 0


_YIELD = Yield(0)


@syscall("sched_yield")
def sys_sched_yield(task):
    return _YIELD if task.kernel.sched.runq else 0
