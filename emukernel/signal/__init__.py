"""Signals (Linux kernel/signal.c, arch/x86/kernel/signal.c): queues, sending, delivery, group stop.

State: each task has a pending bitmask plus a queue of SigInfo per signal (real-time signals queue in order,
standard ones coalesce); the thread group has the shared equivalents.  `task.sigpending_flag` is the one
attribute the syscall return path tests: it is set whenever something may be deliverable.

Delivery happens on return to user mode (after a syscall, and when the scheduler resumes a task): the
lowest synchronous signal first, then the lowest number; default actions terminate (with the core bit when
RLIMIT_CORE allows a dump), stop the group, continue, or ignore; a handler gets an rt_sigframe.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from ..abi import errno as E
from ..abi import signal as S
from ..abi.mman import PROT_WRITE as _PROT_WRITE
from ..cpu import (
    RAX,
    RESTORE_ST,
    RESTORE_TAG,
    RIP,
    RSP,
    SIG_ENTRY_REGS,
    _reg_read,
    _reg_read_batch,
    _reg_write_batch,
)
from ..fs.signalfd import signalfd_notify
from ..threadgroup import RLIMIT_CORE, RLIMIT_SIGPENDING
from . import frame as F
from .siginfo import (
    CLD_CONTINUED,
    CLD_STOPPED,
    KILL_INFO,
    SI_KERNEL,
    SI_TIMER,
    SI_USER,
    SigInfo,
)

if TYPE_CHECKING:
    from ..kernel import Kernel
    from ..task import Task

_UNBLOCKABLE = S.SIG_KERNEL_ONLY_MASK
_SYNCHRONOUS = (S.sigmask(S.SIGSEGV) | S.sigmask(S.SIGBUS) | S.sigmask(S.SIGILL) | S.sigmask(S.SIGTRAP)
                | S.sigmask(S.SIGFPE) | S.sigmask(S.SIGSYS))
_STOP = S.SIG_KERNEL_STOP_MASK
_CONT = S.sigmask(S.SIGCONT)
_NR_RESTART_SYSCALL = 219
_ENTRY_STRUCT = struct.Struct("<7Q")  # SIG_ENTRY_REGS: rsp, rip, rdi, rsi, rdx, rax, eflags
_MASK64 = 0xFFFFFFFFFFFFFFFF
_PREPARE = _STOP | _CONT | S.sigmask(S.SIGKILL)  # the signals prepare_signal acts on
_NOT_FATAL = S.SIG_KERNEL_IGNORE_MASK | _STOP | _CONT  # not _is_fatal_default
# the hot paths' constants and bound struct methods, as plain globals
_ENTRY = _ENTRY_STRUCT.pack_into
_U64 = struct.Struct("<Q").pack_into
_RAX_RCX = struct.Struct("<2Q").pack_into  # adjacent in a sigcontext
_SP_IP_FLAGS_TAG = F.SP_IP_FLAGS_TAG.unpack_from
_BLOCK_HEAD = F.BLOCK_HEAD.pack_into
_BLOCK_TAIL = F.BLOCK_TAIL.pack_into
_RETURN_FIELDS = F.RETURN_FIELDS.unpack_from
_IP_FLAGS = F.IP_FLAGS.pack_into
_SC_RSP, _SC_RAX, _SC_R11, _SC_RIP = F.SC_RSP_OFFSET, F.SC_RAX_OFFSET, F.SC_R11_OFFSET, F.SC_RIP_OFFSET
_FP_OFFSET, _BLOCK_SIZE, _SIGINFO_OFFSET, _UC_OFFSET = F.FP_OFFSET, F.BLOCK_SIZE, F.SIGINFO_OFFSET, F.UC_OFFSET
_FX_TAG = F.FP_OFFSET + 4  # the abridged tag byte of the FXSAVE image
_UC_FLAGS, _USER_CS, _USER_DS = F.UC_FLAGS, F.USER_CS, F.USER_DS
_SS_AUTODISARM, _FIX_EFLAGS = F.SS_AUTODISARM, F.FIX_EFLAGS
_SA_RESTART, _SA_ONSTACK, _SA_RESTORER = S.SA_RESTART, S.SA_ONSTACK, S.SA_RESTORER
_SA_NODEFER, _SA_RESETHAND = S.SA_NODEFER, S.SA_RESETHAND
_ENTRY_FLAGS = ~(0x400 | 0x100 | 0x10000) & _MASK64  # DF TF RF cleared on handler entry
_RESTART_EINTR = (-E.ERESTART_RESTARTBLOCK, -E.ERESTARTNOHAND)
_EINTR = (-E.EINTR) & _MASK64
_TAGS = F.ABRIDGED_TAGS
_FULL_TAGS = F.FULL_TAGS
_FX_TOP = F.FP_OFFSET + 3  # the FXSAVE status word's high byte: TOP in bits 3-5
_FX_ST = F.FP_OFFSET + 32  # ST(0)-ST(7), 16 bytes each
_U16 = struct.Struct("<H").pack_into
# the FXSAVE image of the FPU's init state (fpstate_init: FCW 0x37f, MXCSR 0x1f80, every register empty)
_INIT_FXSAVE = struct.pack("<HHBxHQQII", 0x37F, 0, 0, 0, 0, 0, 0x1F80, 0xFFFF).ljust(512, b"\0")
_RESTORE_TAG, _RESTORE_ST = F.BLOCK_SIZE + RESTORE_TAG, F.BLOCK_SIZE + RESTORE_ST  # sigreturn's scratch slots
for _ftw in (0x5555, 0xFFFF, 0):
    F.abridged_tag(_ftw)
assert len(SIG_ENTRY_REGS) == _ENTRY_STRUCT.size // 8 and F.FPSTATE_SIZE == 512


def handler_of(task: Task, sig: int) -> int:
    act = task.sighand.actions.get(sig)
    return act[0] if act else S.SIG_DFL


def is_rt(sig: int) -> bool:
    return sig >= S.SIGRTMIN


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


class Signals:
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    # -- dispositions ---------------------------------------------------------------------------------
    def sig_ignored_by_handler(self, task: Task, sig: int) -> bool:
        """The disposition alone says ignore (SIG_IGN, or SIG_DFL of an ignore-by-default signal)."""
        h = handler_of(task, sig)
        return h == S.SIG_IGN or (h == S.SIG_DFL and bool(S.sigmask(sig) & S.SIG_KERNEL_IGNORE_MASK))

    def sig_ignored(self, task: Task, sig: int) -> bool:
        """kernel/signal.c sig_ignored: an unblocked signal whose action is to ignore is dropped at send."""
        if (task.sigmask | task.real_blocked) & S.sigmask(sig):
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
        # sig_ignored, inline: an unblocked, untraced signal whose disposition is to ignore
        blocked = (task.sigmask | task.real_blocked) & bit
        if not blocked and (task.ptrace is None or sig == S.SIGKILL):
            if handler == S.SIG_IGN or (handler == S.SIG_DFL and bit & S.SIG_KERNEL_IGNORE_MASK):
                return 0
        # like any ignored signal, a blocked one is queued all the same: the handler may change before it
        # is unblocked (sig_ignored); delivery drops it if the init still has no handler
        if init_ignores and not blocked and task.ptrace is None:
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
        if getattr(tg, "signalfd_wait", None) is not None:
            signalfd_notify(self.kernel, task)
        # complete_signal's usual case, inline: the task itself takes a non-fatal signal
        if (not task.sigmask & bit and sig != S.SIGKILL and task.alive
                and (not group or tg.group_exit or bit & _NOT_FATAL or task.ptrace is not None
                     or handler != S.SIG_DFL)):
            task.sigpending_flag = True  # signal_wake_up
            if task.state == "S":
                self.kernel.sched.wake(task)
            return 0
        self.complete_signal(task, sig, group)
        return 0

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
                    if t.alive and t.state == "T":
                        t.sigpending_flag = True  # resume inside get_signal: finish a pending restart
                        self.kernel.sched.enqueue(t)
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
                    if t.state == "T":
                        self.kernel.sched.enqueue(t)

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
                if self.kernel.tracer is not None:
                    info = (tg.shared.queue.get(sig) or task.pending.queue.get(sig) or [SigInfo(sig, SI_USER)])[0]
                    self.kernel.trace_event("signal", target, sig, info.fields())
                tg.shared.discard(bit)
                self.kill_group(target, sig)
                return
        self.signal_wake_up(target)

    @staticmethod
    def _is_fatal_default(sig: int) -> bool:
        bit = S.sigmask(sig)
        return not bit & (S.SIG_KERNEL_IGNORE_MASK | _STOP | _CONT)

    def signal_wake_up(self, t: Task) -> None:
        t.sigpending_flag = True
        if t.state == "S":
            self.kernel.sched.wake(t)

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

    # -- dequeue / delivery ---------------------------------------------------------------------------
    def dequeue(self, task: Task, mask: int) -> SigInfo | None:
        """dequeue_signal: from the thread's queue first, then the group's; synchronous signals first."""
        for pending in (task.pending, task.tg.shared):
            ready = pending.bits & ~mask
            if ready:
                sync = ready & _SYNCHRONOUS
                pick = sync or ready
                sig = (pick & -pick).bit_length()
                return pending.take(sig)
        return None

    def deliver(self, task: Task, in_hook: bool = False) -> None:
        """get_signal + handle_signal on return to user mode; handles syscall restarts too."""
        kernel = self.kernel
        restart = task.restart_ret
        task.restart_ret = 0
        while task.alive:
            tg = task.tg
            if tg.group_exit:
                kernel.do_exit(task, tg.group_exit_code)
                return
            if task.jobctl_stop or tg.stop_pending:
                if self.do_signal_stop(task, restart, in_hook):
                    return
            # dequeue, inline: the thread's queue first, then the group's; synchronous signals first
            mask = task.sigmask
            pending = task.pending
            ready = pending.bits & ~mask
            if not ready:
                pending = tg.shared
                ready = pending.bits & ~mask
            if ready:
                pick = ready & _SYNCHRONOUS or ready
                info = pending.take((pick & -pick).bit_length())
            else:
                info = None
            if info is None:
                task.sigpending_flag = bool(task.jobctl_stop)
                if task.saved_sigmask is not None:  # sigsuspend woken by a signal that ran no handler
                    mask, task.saved_sigmask = task.saved_sigmask, None
                    self.set_blocked(task, mask)
                if restart:
                    self._restart_no_handler(task, restart, in_hook)
                return
            sig = info.signo
            act = task.sighand.actions.get(sig)
            handler = act[0] if act else S.SIG_DFL
            if handler == S.SIG_IGN:
                continue
            if handler == S.SIG_DFL:
                bit = S.sigmask(sig)
                if bit & S.SIG_KERNEL_IGNORE_MASK:
                    continue
                if tg.unkillable and not bit & S.SIG_KERNEL_ONLY_MASK:
                    continue  # a namespace init: SIG_DFL signals never reach it
                if bit & _STOP:
                    if sig != S.SIGSTOP and tg.orphaned_pgrp():
                        continue  # is_current_pgrp_orphaned: terminal stops are discarded
                    tg.stop_pending = sig
                    for t in tg.tasks:
                        if t.alive:
                            t.jobctl_stop = True
                            self.signal_wake_up(t)
                    if self.do_signal_stop(task, restart, in_hook):
                        return
                    continue
                if kernel.tracer is not None:
                    kernel.trace_event("signal", task, sig, info.fields())
                self.kill_group(task, sig)
                return
            if kernel.tracer is not None:
                kernel.trace_event("signal", task, sig, info.fields())
            self.handle_signal(task, sig, act, info.pack(), info.addr if info.kind == "fault" else 0,
                               info.trapno, info.err, restart, 2 if in_hook else 0, False)
            # every deliverable signal gets its frame now, stacked: the last one's handler runs first
            restart = 0

    def _restart_no_handler(self, task: Task, ret: int, in_hook: bool) -> None:
        """No handler ran: restart the interrupted syscall (arch_do_signal_or_restart)."""
        cpu = task.mm.cpu
        bias = 2 if in_hook else 0
        rip = cpu.reg(RIP) + bias
        if ret == -E.ERESTART_RESTARTBLOCK:
            cpu.set_reg(RAX, _NR_RESTART_SYSCALL)
        else:
            cpu.set_reg(RAX, task.restart_nr)
        cpu.set_reg(RIP, rip - 2 - bias)

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
                or self.kernel.tracer is not None or getattr(tg, "signalfd_wait", None) is not None):
            return False
        # __send_signal's RLIMIT_SIGPENDING accounting: past the limit the general path decides
        if (sig >= S.SIGRTMIN or code < 0) and self.queue_full(task):
            return False
        self.handle_signal(task, sig, act, KILL_INFO.pack(sig, 0, code, pid, uid), 0, 0, 0, 0, 2, True)
        return True

    def handle_signal(self, task: Task, sig: int, act: tuple, info: bytes, cr2: int, trapno: int, err: int,
                      restart: int, bias: int, sysret: bool) -> None:
        """handle_signal + setup_rt_frame: push an rt_sigframe and enter the handler.

        info: the packed siginfo; bias: 2 inside the syscall hook (RIP is the `syscall` instruction's);
        sysret: called from the syscall itself (send_self), before its return value is written: the frame
        gets rax 0 and the rcx and r11 that `syscall` sets."""
        handler, flags, restorer, sa_mask = act
        mm = task.mm
        cpu = mm.cpu
        try:
            batches = cpu._sig_batches
        except AttributeError:
            batches = cpu.signal_batches()
        # one read puts the registers and the FP state where the frame block keeps them
        rb = batches.deliver
        _reg_read_batch(*rb.args)
        view = rb.view
        sp, rip, eflags, ftw = _SP_IP_FLAGS_TAG(view, _SC_RSP)
        rip += bias
        if sysret:
            _RAX_RCX(view, _SC_RAX, 0, rip)
            _U64(view, _SC_R11, eflags)
        elif restart:
            # Linux: arch/x86/kernel/signal.c handle_signal, "are we from a system call?"
            if restart in _RESTART_EINTR or (restart == -E.ERESTARTSYS and not flags & _SA_RESTART):
                _U64(view, _SC_RAX, _EINTR)
            else:
                _U64(view, _SC_RAX, task.restart_nr)
                rip -= 2
        # get_sigframe (F.frame_address, inline): below the red zone, or at the top of the altstack
        ss_sp, ss_size, ss_flags = task.sas_ss_sp, task.sas_ss_size, task.sas_ss_flags
        if flags & _SA_ONSTACK and ss_size and (ss_flags & _SS_AUTODISARM or not ss_sp < sp <= ss_sp + ss_size):
            fpaddr = (ss_sp + ss_size - 512) & ~63
        else:
            fpaddr = (sp - 640) & ~63  # the 128-byte red zone, then the 512-byte FXSAVE image
        frame = fpaddr - _FP_OFFSET
        oldmask = task.sigmask
        if task.saved_sigmask is not None:  # sigsuspend/ppoll: the frame restores the mask from before
            oldmask = task.saved_sigmask
            task.saved_sigmask = None
        if not flags & _SA_RESTORER:
            self.force_sigsegv(task)
            return
        # __save_altstack stores the task's own flags word; the FXSAVE image wants the abridged tag word
        _BLOCK_HEAD(view, 0, restorer, _UC_FLAGS, 0, ss_sp, ss_flags, ss_size)
        _BLOCK_TAIL(view, _SC_RIP, rip, eflags, _USER_CS, 0, 0, _USER_DS, err, trapno, oldmask, cr2, fpaddr,
                    oldmask, info)
        try:
            view[_FX_TAG] = _TAGS[ftw]
        except KeyError:
            view[_FX_TAG] = F.abridged_tag(ftw)
        top = view[_FX_TOP] >> 3 & 7
        if top:  # the batch read the physical registers: FXSAVE keeps them in stack order
            view[_FX_ST:_FX_ST + 128] = F.st_from_physical(bytes(view[_FX_ST:_FX_ST + 128]), top)
        v = mm.find_vma(frame)
        if v is not None and frame + _BLOCK_SIZE <= v.end and v.prot & _PROT_WRITE:  # mm._host_ptr, inline
            off = frame - v.start
            gv = batches.views.get(v.host)
            if gv is None or len(gv) < off + _BLOCK_SIZE:
                gv = batches.guest_view(v.host, v.end - v.start)
            gv[off:off + _BLOCK_SIZE] = view
        else:
            try:
                mm.write(frame, bytes(view))
            except Exception:
                self.force_sigsegv(task)
                return
        if ss_flags & _SS_AUTODISARM:  # sas_ss_reset once the old settings are in the frame
            task.sas_ss_sp = task.sas_ss_size = 0
            task.sas_ss_flags = F.SS_DISABLE
        # enter the handler: one batched write of the registers that change (the rest keep their values)
        eb = batches.entry
        _ENTRY(eb.view, 0, frame, (handler - bias) & _MASK64, sig, frame + _SIGINFO_OFFSET, frame + _UC_OFFSET, 0,
               eflags & _ENTRY_FLAGS)
        _reg_write_batch(*eb.args)
        # signal_delivered: block sa_mask (and the signal unless SA_NODEFER); SA_RESETHAND
        old = task.sigmask
        mask = old | sa_mask
        if not flags & _SA_NODEFER:
            mask |= 1 << (sig - 1)
        if flags & _SA_RESETHAND:  # SA_ONESHOT: the handler goes back to SIG_DFL, the flags stay
            task.sighand.actions[sig] = (S.SIG_DFL, flags, restorer, sa_mask)
        if mask != old:  # __set_current_blocked: nothing to do for the same mask
            # set_blocked, inline
            task.sigmask = blocked = mask & ~_UNBLOCKABLE
            shared = task.tg.shared.bits
            task.sigpending_flag = bool((task.pending.bits | shared) & ~blocked) or task.jobctl_stop
            if shared & blocked:
                self.recalc(task)

    def sigreturn(self, task: Task, in_hook: bool) -> bool:
        """rt_sigreturn: restore registers, mask, FP state and altstack from the frame; False if bad."""
        mm = task.mm
        cpu = mm.cpu
        try:
            batches = cpu._sig_batches
        except AttributeError:
            batches = cpu.signal_batches()
        _reg_read(cpu.handle, RSP, batches.ref)
        frame = batches.val.value - 8
        # the usual case: the frame and its FP state (where get_sigframe put it) readable in one VMA, copied
        # as one block into the buffer the restoring write batch takes its values from
        wb = batches.restore
        view = wb.view
        v = mm.find_vma(frame)
        whole = v is not None and frame + _BLOCK_SIZE <= v.end and v.prot  # mm._host_ptr, inline
        if whole:
            off = frame - v.start
            gv = batches.views.get(v.host)
            if gv is None or len(gv) < off + _BLOCK_SIZE:
                gv = batches.guest_view(v.host, v.end - v.start)
            view[:_BLOCK_SIZE] = gv[off:off + _BLOCK_SIZE]
        else:
            try:
                view[:F.FRAME_SIZE] = mm.read(frame, F.FRAME_SIZE)
            except Exception:
                return False
        _, _, ss_sp, ss_flags, ss_size, sp, rip, eflags, fpaddr, mask = _RETURN_FIELDS(view)
        if not fpaddr:
            view[_FP_OFFSET:_BLOCK_SIZE] = _INIT_FXSAVE  # Linux fpu__restore_sig(NULL): the FPU's init state
        elif not whole or fpaddr != frame + _FP_OFFSET:
            try:
                view[_FP_OFFSET:_BLOCK_SIZE] = mm.read(fpaddr, 512)
            except Exception:
                return False
        # only the user-changeable flags come from the frame; IF and bit 1 are always set in user mode
        _IP_FLAGS(view, _SC_RIP, (rip - 2 if in_hook else rip) & _MASK64, 0x202 | (eflags & _FIX_EFLAGS))
        # Linux fpu__restore_sig (fxrstor): the x87 state too; the full tag word goes to a scratch slot
        tag = view[_FX_TAG]
        _U16(view, _RESTORE_TAG, _FULL_TAGS[tag])
        if tag:  # valid x87 registers: their values, in physical order
            top = view[_FX_TOP] >> 3 & 7
            view[_RESTORE_ST:_RESTORE_ST + 128] = F.physical_from_st(bytes(view[_FX_ST:_FX_ST + 128]), top)
            _reg_write_batch(*batches.restore_st.args)
        # GPRs, then FPCW, FPSW, MXCSR, the tag word and XMM0-15, in one batched write
        _reg_write_batch(*wb.args)
        # set_current_blocked (set_blocked, inline)
        task.sigmask = blocked = mask & ~_UNBLOCKABLE
        shared = task.tg.shared.bits
        task.sigpending_flag = bool((task.pending.bits | shared) & ~blocked) or task.jobctl_stop
        if shared & blocked:
            self.recalc(task)
        # restore_altstack: do_sigaltstack with the frame's stack_t; its errors are ignored
        ss_cur = task.sas_ss_size
        if task.sas_ss_flags & _SS_AUTODISARM or not (ss_cur and task.sas_ss_sp < sp <= task.sas_ss_sp + ss_cur):
            mode = ss_flags & ~_SS_AUTODISARM
            if mode == F.SS_DISABLE:
                task.sas_ss_sp, task.sas_ss_size, task.sas_ss_flags = 0, 0, ss_flags
            elif mode in (0, F.SS_ONSTACK) and ss_size >= F.MINSIGSTKSZ:
                task.sas_ss_sp, task.sas_ss_size, task.sas_ss_flags = ss_sp, ss_size, ss_flags
        return True

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
        task.state = "T"
        if task in self.kernel.sched.runq:
            self.kernel.sched.runq.remove(task)
        if all(t.state == "T" or not t.alive for t in tg.tasks) and tg.stop_pending:
            tg.stop_code = tg.stop_pending
            tg.stop_pending = 0
            tg.stopped = True
            tg.stop_reported = False
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

    # -- fatal ----------------------------------------------------------------------------------------
    def kill_group(self, task: Task, sig: int) -> None:
        """Terminate the whole thread group by sig; the core bit follows RLIMIT_CORE (do_coredump)."""
        status = sig
        if S.sigmask(sig) & S.SIG_KERNEL_COREDUMP_MASK and task.tg.rlimits[RLIMIT_CORE][0] > 0:
            status |= 0x80
        self.kernel.do_group_exit(task, status)

    def force_sig_info(self, task: Task, info: SigInfo) -> None:
        """force_sig_info: a synchronous signal; if blocked or ignored it is unblocked and made SIG_DFL."""
        sig = info.signo
        bit = S.sigmask(sig)
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
