"""The fused self-signal fast path: kill/tkill/tgkill of the calling thread to itself, sent and delivered in
one step (what send_signal_locked then get_signal would do, in the usual case)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..abi import signal as S
from .send import _PREPARE
from .siginfo import KILL_INFO

if TYPE_CHECKING:
    from ..kernel import Kernel
    from ..task import Task

_SA_RESTORER = S.SA_RESTORER


class SelfSigMixin:
    """Signals' send_self."""

    kernel: Kernel

    def send_self(self, task: Task, sig: int, code: int, pid: int, uid: int) -> bool:
        """kill/tkill/tgkill from the calling thread to itself, from inside the syscall hook: the usual case in
        one step, or False having done nothing (the caller then takes the general path).

        The usual case: a handler with SA_RESTORER, the signal not blocked, a standard signal or room below
        RLIMIT_SIGPENDING, nothing deliverable pending, no stop, exit, tracer, ptrace or signalfd waiter, and
        no side effect of prepare_signal.  Then send_signal_locked would queue the signal for this thread,
        and get_signal at the syscall's return would dequeue exactly it: so the frame is pushed now, holding
        the syscall's own return (rax 0, rcx and r11 as `syscall` leaves them), and the handler is entered
        with those same rax, rcx and r11, which the hook writes once the syscall returns 0."""
        bit = 1 << (sig - 1)
        act = task.sighand.actions.get(sig)
        mask = task.sigmask
        if (act is None or act[0] <= S.SIG_IGN or not act[1] & _SA_RESTORER or task.sigpending_flag
                or (mask | task.real_blocked) & bit or bit & _PREPARE or task.ptrace is not None
                or task.slow_entry or task.restart_ret or task.saved_sigmask is not None or task.jobctl_stop):
            return False
        tg = task.tg
        if ((task.pending.bits | tg.shared.bits) & ~mask or tg.group_exit or tg.stop_pending
                or self.kernel.events is not None or tg.signalfd_wait is not None):
            return False
        # __send_signal's RLIMIT_SIGPENDING accounting: past the limit the general path decides
        if (sig >= S.SIGRTMIN or code < 0) and self.queue_full(task):
            return False
        self.handle_signal(task, sig, act, KILL_INFO.pack(sig, 0, code, pid, uid), 0, 0, 0, 0, 2, True)
        return True

