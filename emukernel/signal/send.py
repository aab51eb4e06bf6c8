"""Sending signals (Linux kernel/signal.c): dispositions at send time (sig_ignored), send_signal_locked with
prepare_signal and complete_signal, signal_wake_up, and the forced and fatal signals (force_sig_info, the
group kill)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..abi import errno as E
from ..abi import signal as S
from ..abi.resource import RLIMIT_CORE
from ..abi.siginfo import CLD_CONTINUED, SI_KERNEL, SI_TIMER, SI_USER
from ..fs.signalfd import signalfd_notify
from ..ptrace import ptrace_trap_notify
from ..stops import GROUP_STOP
from ..task import TASK_INTERRUPTIBLE
from .siginfo import SigInfo

if TYPE_CHECKING:
    from ..kernel import Kernel
    from ..task import Task

_STOP = S.SIG_KERNEL_STOP_MASK
_CONT = S.sigmask(S.SIGCONT)
_PREPARE = _STOP | _CONT | S.sigmask(S.SIGKILL)  # the signals prepare_signal acts on
_NOT_FATAL = S.SIG_KERNEL_IGNORE_MASK | _STOP | _CONT  # not _is_fatal_default


def handler_of(task: Task, sig: int) -> int:
    act = task.sighand.actions.get(sig)
    return act[0] if act else S.SIG_DFL


def is_rt(sig: int) -> bool:
    return sig >= S.SIGRTMIN


class SendMixin:
    """Signals' sending methods."""

    kernel: Kernel

    # -- dispositions ---------------------------------------------------------------------------------
    def sig_ignored_by_handler(self, task: Task, sig: int) -> bool:
        """The disposition alone says ignore (SIG_IGN, or SIG_DFL of an ignore-by-default signal)."""
        # Linux: kernel/signal.c sig_handler_ignored (handler_of, inline: send takes this on every signal)
        act = task.sighand.actions.get(sig)
        h = act[0] if act else S.SIG_DFL
        return h == S.SIG_IGN or (h == S.SIG_DFL and bool((1 << (sig - 1)) & S.SIG_KERNEL_IGNORE_MASK))

    def sig_ignored(self, task: Task, sig: int) -> bool:
        """kernel/signal.c sig_ignored: an unblocked signal whose action is to ignore is dropped at send."""
        if (task.sigmask | task.real_blocked) & (1 << (sig - 1)):
            return False
        if task.ptrace is not None and sig != S.SIGKILL:
            return False
        return self.sig_ignored_by_handler(task, sig)

    # -- sending -------------------------------------------------------------------------------------
    def send(self, task: Task, sig: int, group: bool = True, info: SigInfo | None = None,
             from_task: Task | None = None) -> int:
        """send_signal_locked: side effects, then queue for the thread (or its group) and wake a thread.

        Returns 0, or -EAGAIN when a real-time signal cannot be queued (RLIMIT_SIGPENDING)."""
        tg = task.tg
        if sig == 0 or not tg.live:
            return 0
        if info is None:
            info = SigInfo(sig, SI_KERNEL)
        act = task.sighand.actions.get(sig)
        handler = act[0] if act else S.SIG_DFL
        bit = 1 << (sig - 1)
        # a namespace's init ignores signals it has no handler for (SIGNAL_UNKILLABLE); from an ancestor
        # namespace SIGKILL and SIGSTOP still get through ("force" in kernel/signal.c sig_task_ignored)
        init_ignores = False
        if tg.unkillable and handler == S.SIG_DFL:
            force = from_task is None or not from_task.tg.pid.nr_in(task.pid.ns)
            init_ignores = not (force and bit & S.SIG_KERNEL_ONLY_MASK)
            if init_ignores and sig == S.SIGKILL:
                return 0  # before prepare_signal, whose SIGKILL side effects are complete_signal's in Linux
        if bit & _PREPARE:
            self.prepare_signal(task, sig)
        # an unblocked, untraced signal whose disposition is to ignore
        if self.sig_ignored(task, sig):
            return 0
        # like any ignored signal, a blocked one is queued all the same: the handler may change before it
        # is unblocked (sig_ignored); delivery drops it if the init still has no handler
        if init_ignores and not (task.sigmask | task.real_blocked) & bit and task.ptrace is None:
            return 0
        pending = tg.shared if group else task.pending
        # __send_signal: a queue entry counts against the sender-side RLIMIT_SIGPENDING unless it is a
        # standard signal from the kernel or kill(); past the limit a real-time signal queued with its own
        # siginfo fails, anything else is still sent with its information lost
        code = info.code
        keep = True
        if (sig >= S.SIGRTMIN or code < 0) and code != SI_TIMER and self.queue_full(task):
            if sig >= S.SIGRTMIN and code != SI_USER:
                return -E.EAGAIN
            keep = False
        if not pending.add(info, keep):
            return 0
        if tg.signalfd_wait is not None:
            signalfd_notify(self.kernel, task)
        # complete_signal's usual case, inline: the task itself takes a non-fatal signal
        if (not task.sigmask & bit and sig != S.SIGKILL and task.alive
                and (not group or tg.group_exit or bit & _NOT_FATAL or task.ptrace is not None
                     or handler != S.SIG_DFL)):
            task.sigpending_flag = True  # signal_wake_up
            if task.state is TASK_INTERRUPTIBLE:
                self.kernel.sched.wake(task)
            return 0
        self.complete_signal(task, sig, group)
        return 0

    def prepare_signal(self, task: Task, sig: int) -> None:
        """Side effects at send time, even if the signal is then ignored: SIGKILL kills, stop signals
        drop pending SIGCONT, SIGCONT drops pending stops and resumes a stopped group."""
        tg = task.tg
        bit = S.sigmask(sig)
        if bit & _STOP:
            tg.shared.discard(_CONT)
            for t in tg.tasks:
                t.pending.discard(_CONT)
        elif sig == S.SIGCONT:
            tg.shared.discard(_STOP)
            for t in tg.tasks:
                t.pending.discard(_STOP)
            tg.stop_pending = 0
            if tg.stopped:
                tg.stopped = False
                tg.stop_code = 0
                tg.continued = True  # reportable through WCONTINUED
                for t in tg.tasks:
                    t.jobctl_stop = False
                    if t.alive and t.ptrace is not None and t.ptrace.seized:
                        ptrace_trap_notify(t)  # a seized tracee stays in its trap; a listening one re-traps
                    elif t.alive and t.stop is GROUP_STOP:
                        t.sigpending_flag = True  # resume inside get_signal: finish a pending restart
                        self.kernel.sched.end_stop(t)
                self.notify_parent_cldstop(tg.leader, CLD_CONTINUED, S.SIGCONT)
            else:
                for t in tg.tasks:
                    t.jobctl_stop = False
        elif sig == S.SIGKILL:
            # every thread dies; a stopped group is woken so it can
            for t in tg.tasks:
                t.jobctl_stop = False
                if t.alive:
                    t.sigpending_flag = True
                    if t.stop is not None:  # every stop is killable
                        self.kernel.sched.end_stop(t)

    def complete_signal(self, task: Task, sig: int, group: bool) -> None:
        """Choose a living thread that does not block sig, preferring `task` (never a zombie leader);
        a fatal signal takes the whole group down at once (the SIGKILL fast path)."""
        tg = task.tg
        bit = S.sigmask(sig)
        target = None
        if task.alive and not task.sigmask & bit:
            target = task
        elif group:
            for t in tg.tasks:
                if t.alive and not t.sigmask & bit:
                    target = t
                    break
        if target is None:
            return
        if sig == S.SIGKILL or (group and not tg.group_exit and handler_of(target, sig) == S.SIG_DFL
                                and self._is_fatal_default(sig) and target.ptrace is None):
            if sig == S.SIGKILL or not (target.sigmask | target.real_blocked) & bit:
                if self.kernel.events is not None:
                    info = (tg.shared.queue.get(sig) or task.pending.queue.get(sig) or [SigInfo(sig, SI_USER)])[0]
                    self.kernel.events.on_signal(target, sig, info.fields())
                tg.shared.discard(bit)  # dequeued by the dying threads (get_signal's group exit)
                target.pending.discard(bit)
                task.pending.discard(bit)
                self.kill_group(target, sig)
                return
        self.signal_wake_up(target)

    @staticmethod
    def _is_fatal_default(sig: int) -> bool:
        bit = S.sigmask(sig)
        return not bit & (S.SIG_KERNEL_IGNORE_MASK | _STOP | _CONT)

    def signal_wake_up(self, t: Task) -> None:
        t.sigpending_flag = True
        if t.state is TASK_INTERRUPTIBLE:
            self.kernel.sched.wake(t)

    # -- fatal ----------------------------------------------------------------------------------------
    def kill_group(self, task: Task, sig: int) -> None:
        """Terminate the whole thread group by sig; the core bit follows RLIMIT_CORE (do_coredump)."""
        status = sig
        if S.sigmask(sig) & S.SIG_KERNEL_COREDUMP_MASK and task.tg.rlimits[RLIMIT_CORE][0] > 0:
            status |= 0x80
        self.kernel.do_group_exit(task, status)

    def force_sig_info(self, task: Task, info: SigInfo, handler_exit: bool = False) -> None:
        """force_sig_info_to_task: a synchronous signal; if blocked or ignored it is unblocked and made
        SIG_DFL.  handler_exit (HANDLER_EXIT: force_exit_sig, a seccomp kill): whatever the handler, the
        default action, marked SA_IMMUTABLE so that no tracer stops it and no sigaction changes it."""
        sig = info.signo
        bit = S.sigmask(sig)
        if handler_exit:
            task.sighand.actions[sig] = (S.SIG_DFL, S.SA_IMMUTABLE, 0, 0)
            task.sigmask &= ~bit
        act = task.sighand.actions.get(sig)
        blocked = bool(task.sigmask & bit)
        if blocked or (act is not None and act[0] == S.SIG_IGN):
            if act is not None and act[0] == S.SIG_IGN:
                task.sighand.actions.pop(sig, None)
            if blocked:
                task.sigmask &= ~bit
                task.sighand.actions.pop(sig, None)
        if handler_of(task, sig) == S.SIG_DFL:
            task.tg.unkillable = False  # a fatal fault kills even init
        task.pending.add(info)
        task.sigpending_flag = True

    def force_fault(self, task: Task, sig: int, code: int, addr: int, trapno: int = 0, err: int = 0) -> None:
        """A CPU exception: queue the fault signal with its si_code and si_addr, and deliver it now."""
        info = SigInfo(sig, code, addr=addr, kind="fault")
        info.trapno, info.err = trapno, err
        if sig == S.SIGTRAP and code == SI_KERNEL:
            info = SigInfo(sig, SI_KERNEL, kind="kill")
        self.force_sig_info(task, info)
        self.deliver(task)

    def force_sigsegv(self, task: Task) -> None:
        """A frame could not be built or restored: SIGSEGV with the default action."""
        task.sighand.actions.pop(S.SIGSEGV, None)
        self.force_sig_info(task, SigInfo(S.SIGSEGV, SI_KERNEL))

