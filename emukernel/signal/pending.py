"""Pending signals (Linux kernel/signal.c): the per-thread and per-group queues, their RLIMIT_SIGPENDING
accounting, the blocked mask and recalc_sigpending, and dequeue_signal.

State: each task has a pending bitmask plus a queue of SigInfo per signal (real-time signals queue in order,
standard ones coalesce); the thread group has the shared equivalents.  `task.sigpending_flag` is the one
attribute the syscall return path tests: it is set whenever something may be deliverable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..abi import signal as S
from ..abi.resource import RLIMIT_SIGPENDING
from ..abi.siginfo import SI_USER
from .siginfo import SigInfo

if TYPE_CHECKING:
    from ..kernel import Kernel
    from ..task import Task

_UNBLOCKABLE = S.SIG_KERNEL_ONLY_MASK
_SYNCHRONOUS = (S.sigmask(S.SIGSEGV) | S.sigmask(S.SIGBUS) | S.sigmask(S.SIGILL) | S.sigmask(S.SIGTRAP)
                | S.sigmask(S.SIGFPE) | S.sigmask(S.SIGSYS))


class SigPending:
    """struct sigpending: a bitmask and the queued siginfo of each pending signal.

    `SigPending.entries` counts the queue entries of every SigPending object in the process (an object
    gives its entries back when it is freed): a bound on any RLIMIT_SIGPENDING count that spares the
    count itself while the bound is below the limit."""

    __slots__ = ("bits", "queue")
    entries = 0

    def __init__(self) -> None:
        self.bits = 0
        self.queue: dict[int, list[SigInfo]] = {}

    def __del__(self) -> None:
        if self.queue:
            type(self).entries -= self.count()

    def add(self, info: SigInfo, keep_info: bool = True) -> bool:
        """Queue info; a standard signal already pending is coalesced (returns False).  Without
        keep_info (no queue entry could be had) only the bit is set: it is delivered as SI_USER, pid 0."""
        sig = info.signo
        bit = 1 << (sig - 1)
        if self.bits & bit and sig < S.SIGRTMIN:
            return False
        self.bits |= bit
        if keep_info:
            q = self.queue.get(sig)
            if q is None:
                self.queue[sig] = [info]
            else:
                q.append(info)
            SigPending.entries += 1
        return True

    def take(self, sig: int) -> SigInfo:
        q = self.queue.get(sig)
        if q:
            SigPending.entries -= 1
            info = q.pop(0)
            if q:
                return info
            del self.queue[sig]
        else:
            info = SigInfo(sig, SI_USER)
            self.queue.pop(sig, None)
        self.bits &= ~(1 << (sig - 1))
        return info

    def discard(self, mask: int) -> None:
        for sig in [s for s in self.queue if (1 << (s - 1)) & mask]:
            SigPending.entries -= len(self.queue.pop(sig))
        self.bits &= ~mask

    def count(self) -> int:
        return sum(map(len, self.queue.values()))


class PendingMixin:
    """Signals' queue and mask methods: RLIMIT_SIGPENDING accounting, recalc_sigpending, set_current_blocked,
    dequeue_signal."""

    kernel: Kernel

    def queue_full(self, task: Task) -> bool:
        """The RLIMIT_SIGPENDING check of __sigqueue_alloc: task's user has as many entries queued as its
        limit allows (counted only when the bound of SigPending.entries does not settle it)."""
        limit = task.tg.rlimits[RLIMIT_SIGPENDING][0]
        return SigPending.entries >= limit and self.queued_count(task) >= limit

    def queued_count(self, task: Task) -> int:
        n = 0
        for tg in {t.tg for t in self.kernel.tasks.values() if t.creds.uid == task.creds.uid}:
            n += tg.shared.count() + sum(t.pending.count() for t in tg.tasks)
        return n

    def recalc(self, task: Task) -> None:
        """recalc_sigpending: is anything deliverable to task?  Also retarget group signals the caller
        just blocked to a thread that can take them."""
        blocked = task.sigmask
        task.sigpending_flag = bool((task.pending.bits | task.tg.shared.bits) & ~blocked) or task.jobctl_stop
        shared = task.tg.shared.bits & blocked
        if shared:
            for t in task.tg.tasks:
                if t is not task and t.alive and shared & ~t.sigmask:
                    self.signal_wake_up(t)

    def set_blocked(self, task: Task, mask: int) -> None:
        task.sigmask = blocked = mask & ~_UNBLOCKABLE
        # recalc, inline
        tg = task.tg
        task.sigpending_flag = bool((task.pending.bits | tg.shared.bits) & ~blocked) or task.jobctl_stop
        if tg.shared.bits & blocked:
            self.recalc(task)

    def dequeue(self, task: Task, mask: int) -> SigInfo | None:
        """dequeue_signal: from the thread's queue first, then the group's; synchronous signals first."""
        pending = task.pending
        ready = pending.bits & ~mask
        if not ready:
            pending = task.tg.shared
            ready = pending.bits & ~mask
        if ready:
            pick = ready & _SYNCHRONOUS or ready
            return pending.take((pick & -pick).bit_length())
        return None
