"""Clocks and sleeping: clock_gettime, clock_getres, gettimeofday, time, nanosleep, clock_nanosleep."""

from __future__ import annotations

import struct
import time as _time

from ..abi import errno as E
from ..abi.clock import (
    CLOCK_BOOTTIME,
    CLOCK_BOOTTIME_ALARM,
    CLOCK_MONOTONIC,
    CLOCK_MONOTONIC_COARSE,
    CLOCK_PROCESS_CPUTIME_ID,
    CLOCK_REALTIME,
    CLOCK_REALTIME_ALARM,
    CLOCK_REALTIME_COARSE,
    CLOCK_TAI,
    CLOCK_THREAD_CPUTIME_ID,
    TIMER_ABSTIME,
)
from ..clock import NSEC, clock_now
from ..errors import Errno
from ..sched import Block
from . import s32
from .table import syscall

_TS = struct.Struct("<qq")
_COARSE_RES = _time.clock_getres(CLOCK_REALTIME_COARSE) if hasattr(_time, "clock_getres") else 0.004


def read_timespec(task, addr: int) -> int:
    sec, nsec = task.mm.read_struct(_TS, addr)
    if sec < 0 or not 0 <= nsec < NSEC:
        raise Errno(E.EINVAL)
    return sec * NSEC + nsec


def write_timespec(task, addr: int, ns: int) -> None:
    task.mm.write_struct(_TS, addr, ns // NSEC, ns % NSEC)


@syscall("clock_gettime", "clock", "struct_out")
def sys_clock_gettime(task, clockid, tp):
    write_timespec(task, tp, clock_now(task, s32(clockid)))
    return 0


@syscall("clock_getres", "clock", "struct_out")
def sys_clock_getres(task, clockid, tp):
    clockid = s32(clockid)
    clock_now(task, clockid)  # validates
    if tp:
        coarse = clockid in (CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE)
        write_timespec(task, tp, int(_COARSE_RES * NSEC) if coarse else 1)
    return 0


@syscall("gettimeofday", "struct_out", "struct_out")
def sys_gettimeofday(task, tv, tz):
    now = task.kernel.clock.realtime_ns()
    if tv:
        task.mm.write_struct(_TS, tv, now // NSEC, (now % NSEC) // 1000)
    if tz:
        task.mm.write(tz, b"\0" * 8)
    return 0


@syscall("time", "p")
def sys_time(task, tloc):
    now = task.kernel.clock.realtime_ns() // NSEC
    if tloc:
        task.mm.write_u64(tloc, now)
    return now


def _sleep_until(task, deadline: int, rem: int):
    """Block until the monotonic deadline.  A signal ends the sleep with ERESTART_RESTARTBLOCK: EINTR with
    the remaining time in rem when a handler runs, else restart_syscall sleeps on to the same deadline."""
    clock = task.kernel.clock

    def resume():
        now = clock.monotonic_ns()
        if now >= deadline:
            return 0
        if task.signal_interrupts():
            if rem:
                write_timespec(task, rem, deadline - now)
            task.restart_block = lambda: _sleep_until(task, deadline, 0)
            return -E.ERESTART_RESTARTBLOCK
        return Block(deadline=deadline, what="nanosleep", resume=resume, hook_ok=True)

    return resume()


@syscall("nanosleep", "timespec_in", "struct_out")
def sys_nanosleep(task, req, rem):
    return _sleep_until(task, task.kernel.clock.monotonic_ns() + read_timespec(task, req), rem)


@syscall("clock_nanosleep", "clock", "x", "timespec_in", "struct_out")
def sys_clock_nanosleep(task, clockid, flags, req, rem):
    clockid = s32(clockid)
    if clockid in (CLOCK_THREAD_CPUTIME_ID,):
        raise Errno(E.EINVAL)
    if clockid not in (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI, CLOCK_PROCESS_CPUTIME_ID,
                       CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM):
        raise Errno(E.EINVAL)
    ns = read_timespec(task, req)
    if flags & TIMER_ABSTIME:
        now = clock_now(task, clockid)
        return _sleep_until(task, task.kernel.clock.monotonic_ns() + max(0, ns - now), 0)
    return _sleep_until(task, task.kernel.clock.monotonic_ns() + ns, rem)
