"""Kernel time: a virtual clock by default (deterministic), or the host's clocks with --realtime.

Virtual time advances by a fixed cost for each syscall a guest makes and jumps forward when every task
sleeps, so sleeps complete instantly and two runs of the same program read the same times.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .abi import errno as E
from .abi.clock import (
    CLOCK_BOOTTIME,
    CLOCK_BOOTTIME_ALARM,
    CLOCK_MONOTONIC,
    CLOCK_MONOTONIC_COARSE,
    CLOCK_MONOTONIC_RAW,
    CLOCK_PROCESS_CPUTIME_ID,
    CLOCK_REALTIME,
    CLOCK_REALTIME_ALARM,
    CLOCK_REALTIME_COARSE,
    CLOCK_TAI,
    CLOCK_THREAD_CPUTIME_ID,
)
from .errors import Errno

if TYPE_CHECKING:
    from .task import Task

NSEC = 1_000_000_000
SYSCALL_COST_NS = 250  # virtual time charged per syscall
VIRTUAL_EPOCH_NS = 1_750_000_000 * NSEC  # CLOCK_REALTIME at boot in virtual mode (2025-06-15)
VIRTUAL_BOOT_NS = 1 * NSEC  # CLOCK_MONOTONIC at boot in virtual mode


class Clock:
    """CLOCK_MONOTONIC / CLOCK_REALTIME / CLOCK_BOOTTIME and the syscall counter that drives them."""

    __slots__ = ("realtime", "syscalls", "slept_ns", "_epoch", "_host_mono0", "_cpu0")  # the hook counts

    def __init__(self, realtime: bool = False, epoch_ns: int = VIRTUAL_EPOCH_NS) -> None:
        self.realtime = realtime
        self.syscalls = 0  # incremented on the syscall path
        self.slept_ns = 0  # virtual time added by idle jumps
        self._epoch = epoch_ns
        self._host_mono0 = time.monotonic_ns()
        self._cpu0 = time.process_time_ns()

    def monotonic_ns(self) -> int:
        if self.realtime:
            return time.monotonic_ns()
        return VIRTUAL_BOOT_NS + self.syscalls * SYSCALL_COST_NS + self.slept_ns

    def realtime_ns(self) -> int:
        if self.realtime:
            return time.time_ns()
        return self._epoch + self.monotonic_ns() - VIRTUAL_BOOT_NS

    def cputime_ns(self) -> int:
        """Process/thread CPU time: the guest's work, i.e. the part of monotonic time not spent asleep."""
        if self.realtime:
            return time.process_time_ns() - self._cpu0
        return self.syscalls * SYSCALL_COST_NS

    def advance_to(self, mono_ns: int) -> None:
        """Idle jump: every task sleeps until mono_ns (virtual mode only)."""
        if not self.realtime:
            now = self.monotonic_ns()
            if mono_ns > now:
                self.slept_ns += mono_ns - now


def clock_now(task: Task, clockid: int) -> int:
    """The value of a clock in ns (kernel/time/posix-timers.c clockid_to_kclock); EINVAL if unknown."""
    c = task.kernel.clock
    if clockid in (CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_REALTIME_ALARM, CLOCK_TAI):
        return c.realtime_ns() + (37 * NSEC if clockid == CLOCK_TAI else 0)
    if clockid in (CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME,
                   CLOCK_BOOTTIME_ALARM):
        return c.monotonic_ns()
    if clockid in (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID):
        return c.cputime_ns()
    if clockid < 0:
        # CPU-time clocks of another process/thread: ~pid << 3 | type
        pid = ~clockid >> 3
        if (clockid & 7) >= 3 or (pid and pid not in task.kernel.tasks):
            raise Errno(E.EINVAL)
        return c.cputime_ns()
    raise Errno(E.EINVAL)
