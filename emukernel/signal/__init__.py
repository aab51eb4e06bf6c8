"""Signals: pending sets, sending (complete_signal) and delivery on return to user mode.

This first cut implements the state (per-thread and shared pending sets, masks, the handler table) and the
default actions (terminate, core, ignore); running guest handlers (rt_sigframe), stop/continue and the
ERESTART rules arrive with the signals issue and plug into `deliver`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..abi import signal as S
from ..threadgroup import RLIMIT_CORE

if TYPE_CHECKING:
    from ..kernel import Kernel
    from ..task import Task

_ALL = (1 << 64) - 1
_UNBLOCKABLE = S.SIG_KERNEL_ONLY_MASK
_SYNCHRONOUS = (S.sigmask(S.SIGSEGV) | S.sigmask(S.SIGBUS) | S.sigmask(S.SIGILL) | S.sigmask(S.SIGTRAP)
                | S.sigmask(S.SIGFPE) | S.sigmask(S.SIGSYS))


def handler_of(task: Task, sig: int) -> int:
    act = task.sighand.actions.get(sig)
    return act[0] if act else S.SIG_DFL


class Signals:
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    # -- sending -------------------------------------------------------------------------------------
    def sig_ignored(self, task: Task, sig: int) -> bool:
        """kernel/signal.c sig_ignored: an unblocked signal whose action is to ignore is dropped at send."""
        if task.sigmask & S.sigmask(sig):
            return False
        h = handler_of(task, sig)
        return h == S.SIG_IGN or (h == S.SIG_DFL and bool(S.sigmask(sig) & S.SIG_KERNEL_IGNORE_MASK))

    def sig_ignored_by_handler(self, task: Task, sig: int) -> bool:
        """The disposition alone says ignore (SIG_IGN, or SIG_DFL of an ignore-by-default signal)."""
        h = handler_of(task, sig)
        return h == S.SIG_IGN or (h == S.SIG_DFL and bool(S.sigmask(sig) & S.SIG_KERNEL_IGNORE_MASK))

    def send(self, task: Task, sig: int, group: bool = True) -> None:
        """send_signal_locked: queue sig for the thread (or its group) and pick a thread to wake."""
        if sig == 0 or not task.alive:
            return
        tg = task.tg
        if sig == S.SIGKILL:
            self.kill_group(tg.leader if tg.leader.alive else task, sig)
            return
        if self.sig_ignored(task, sig):
            return
        bit = S.sigmask(sig)
        if group:
            tg.shared_pending |= bit
        else:
            task.sigpending |= bit
        self.complete_signal(task, sig, group)

    def complete_signal(self, task: Task, sig: int, group: bool) -> None:
        """Choose a living thread that does not block sig, preferring `task` (never a zombie leader)."""
        bit = S.sigmask(sig)
        target = None
        if task.alive and not task.sigmask & bit:
            target = task
        elif group:
            for t in task.tg.tasks:
                if t.alive and not t.sigmask & bit:
                    target = t
                    break
        if target is None:
            return
        target.sigpending_flag = True
        self.kernel.sched.wake(target)

    def recalc(self, task: Task) -> None:
        """recalc_sigpending: is anything deliverable to task?"""
        task.sigpending_flag = bool((task.sigpending | task.tg.shared_pending) & ~task.sigmask)

    # -- delivery ------------------------------------------------------------------------------------
    def deliver(self, task: Task) -> None:
        """get_signal: dequeue deliverable signals (synchronous first, then lowest) and act on them."""
        while task.alive:
            ready = (task.sigpending | task.tg.shared_pending) & ~task.sigmask
            if not ready:
                task.sigpending_flag = False
                return
            sync = ready & _SYNCHRONOUS
            pick = sync or ready
            sig = (pick & -pick).bit_length()
            bit = S.sigmask(sig)
            if task.sigpending & bit:
                task.sigpending &= ~bit
            else:
                task.tg.shared_pending &= ~bit
            h = handler_of(task, sig)
            if h == S.SIG_IGN:
                continue
            if h == S.SIG_DFL:
                if bit & (S.SIG_KERNEL_IGNORE_MASK | S.SIG_KERNEL_STOP_MASK):
                    continue  # stop/continue semantics come with the signals issue
                self.kill_group(task, sig)
                return
            # guest handlers are not delivered yet (signals issue): report once, then treat as default
            self.kernel.report_once(f"handler-{sig}", f"signal handlers are not delivered yet "
                                                      f"({S.signal_name(sig)} taken with its default action)")
            if bit & (S.SIG_KERNEL_IGNORE_MASK | S.SIG_KERNEL_STOP_MASK):
                continue
            self.kill_group(task, sig)
            return

    def kill_group(self, task: Task, sig: int) -> None:
        """Terminate the whole thread group by sig; the core bit follows RLIMIT_CORE (do_coredump)."""
        status = sig
        if S.sigmask(sig) & S.SIG_KERNEL_COREDUMP_MASK and task.tg.rlimits[RLIMIT_CORE][0] > 0:
            status |= 0x80
        if self.kernel.tracer is not None:
            self.kernel.tracer.signal(task, sig, {"si_signo": sig})
        self.kernel.do_group_exit(task, status)

    def force_fault(self, task: Task, sig: int, code: int, addr: int) -> None:
        """force_sig_fault: a synchronous signal from the CPU; blocked or ignored ones kill anyway."""
        if self.kernel.tracer is not None:
            self.kernel.tracer.signal(task, sig, {"si_signo": sig, "si_code": code, "si_addr": addr})
        status = sig
        if S.sigmask(sig) & S.SIG_KERNEL_COREDUMP_MASK and task.tg.rlimits[RLIMIT_CORE][0] > 0:
            status |= 0x80
        self.kernel.do_group_exit(task, status)
