"""Group stop and job control (Linux kernel/signal.c do_signal_stop, do_notify_parent_cldstop)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..abi import signal as S
from ..abi.siginfo import CLD_STOPPED
from ..ptrace import do_jobctl_trap, ptrace_reparented
from ..stops import GROUP_STOP, PtraceStop
from .send import handler_of
from .siginfo import SigInfo

if TYPE_CHECKING:
    from ..kernel import Kernel
    from ..task import Task


def in_group_stop(t: Task) -> bool:
    """The thread has taken part in its group's stop (or is gone): stopped, or in the ptrace stop that a
    traced thread's group stop is."""
    stop = t.stop
    return stop is GROUP_STOP or not t.alive or (stop.__class__ is PtraceStop and stop.why == PtraceStop.GROUP)


class StopMixin:
    """Signals' group-stop methods."""

    kernel: Kernel

    # -- group stop -----------------------------------------------------------------------------------
    def do_signal_stop(self, task: Task, restart: int, in_hook: bool) -> bool:
        """Participate in a group stop: this thread stops; the last one to stop notifies the parent."""
        tg = task.tg
        sig = tg.stop_pending or tg.stop_code
        if not sig:
            task.jobctl_stop = False
            return False
        if restart:
            # the stop happens inside get_signal, before the restart decision: keep the interrupted
            # syscall's result so that a handler queued while we were stopped still turns it into EINTR
            task.restart_ret = restart
        task.jobctl_stop = False
        traced = task.ptrace is not None
        if not traced:
            self.kernel.sched.stop(task, GROUP_STOP)
        elif not do_jobctl_trap(task, sig):  # while traced, the group stop is a ptrace stop
            return False
        if all(in_group_stop(t) for t in tg.tasks) and tg.stop_pending:
            tg.stop_code = tg.stop_pending
            tg.stop_pending = 0
            tg.stopped = True
            tg.stop_reported = False
            # the real parent hears of it unless it is the tracer, which heard of it already
            if not traced or ptrace_reparented(task):
                self.notify_parent_cldstop(tg.leader, CLD_STOPPED, tg.stop_code)
        return True

    def notify_parent_cldstop(self, leader: Task, why: int, sig: int) -> None:
        """do_notify_parent_cldstop: SIGCHLD to the parent unless it set SA_NOCLDSTOP; wake its waiters."""
        parent = leader.real_parent
        if parent is None or parent.kthread:
            return
        act = parent.sighand.actions.get(S.SIGCHLD)
        if not (act is not None and act[1] & S.SA_NOCLDSTOP) and handler_of(parent, S.SIGCHLD) != S.SIG_IGN:
            info = SigInfo(S.SIGCHLD, why, pid=self.kernel.vtgid(parent, leader), uid=leader.creds.uid,
                           status=sig, kind="chld")
            self.send(parent, S.SIGCHLD, group=True, info=info)
        self.kernel.child_exited(parent, leader)

