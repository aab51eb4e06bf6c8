"""Kernel time: a virtual clock by default (deterministic), or the host's clocks with --realtime.

Virtual time advances by a fixed cost for each syscall a guest makes and jumps forward when every task
sleeps, so sleeps complete instantly and two runs of the same program read the same times.
"""

from __future__ import annotations

import time

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
