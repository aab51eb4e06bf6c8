"""Delivery (Linux kernel/signal.c get_signal, arch/x86/kernel/signal.c handle_signal and setup_rt_frame).

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
from ..cpu import RAX, RIP, SIG_ENTRY_REGS, _reg_read_batch, _reg_write_batch
from ..ptrace import disable_single_step, do_jobctl_trap, ptrace_notify, ptrace_signal, ptrace_trap_notify
from ..stops import PtraceStop
from . import frame as F
from .send import _STOP

if TYPE_CHECKING:
    from ..kernel import Kernel
    from ..task import Task

_NR_RESTART_SYSCALL = 219
_ENTRY_STRUCT = struct.Struct("<7Q")  # SIG_ENTRY_REGS: rsp, rip, rdi, rsi, rdx, rax, eflags
_MASK64 = 0xFFFFFFFFFFFFFFFF
# the hot paths' constants and bound struct methods, as plain globals
_ENTRY = _ENTRY_STRUCT.pack_into
_U64 = struct.Struct("<Q").pack_into
_RAX_RCX = struct.Struct("<2Q").pack_into  # adjacent in a sigcontext
_SP_IP_FLAGS_TAG = F.SP_IP_FLAGS_TAG.unpack_from
_BLOCK_HEAD = F.BLOCK_HEAD.pack_into
_BLOCK_TAIL = F.BLOCK_TAIL.pack_into
_SC_RSP, _SC_RAX, _SC_R11, _SC_RIP = F.SC_RSP_OFFSET, F.SC_RAX_OFFSET, F.SC_R11_OFFSET, F.SC_RIP_OFFSET
_FP_OFFSET, _BLOCK_SIZE, _SIGINFO_OFFSET, _UC_OFFSET = F.FP_OFFSET, F.BLOCK_SIZE, F.SIGINFO_OFFSET, F.UC_OFFSET
_FX_TAG, _FX_TOP, _FX_ST = F.FX_TAG, F.FX_TOP, F.FX_ST
_UC_FLAGS, _USER_CS, _USER_DS = F.UC_FLAGS, F.USER_CS, F.USER_DS
_SS_AUTODISARM = F.SS_AUTODISARM
_SA_RESTART, _SA_ONSTACK, _SA_RESTORER = S.SA_RESTART, S.SA_ONSTACK, S.SA_RESTORER
_SA_NODEFER, _SA_RESETHAND = S.SA_NODEFER, S.SA_RESETHAND
_ENTRY_FLAGS = ~(0x400 | 0x100 | 0x10000) & _MASK64  # DF TF RF cleared on handler entry
_RESTART_EINTR = (-E.ERESTART_RESTARTBLOCK, -E.ERESTARTNOHAND)
_EINTR = (-E.EINTR) & _MASK64
_TAGS = F.ABRIDGED_TAGS
for _ftw in (0x5555, 0xFFFF, 0):
    F.abridged_tag(_ftw)
assert len(SIG_ENTRY_REGS) == _ENTRY_STRUCT.size // 8 and F.FPSTATE_SIZE == 512


def immutable(task: Task, sig: int) -> bool:
    """SA_IMMUTABLE: a forced fatal signal no tracer gets to stop (get_signal skips ptrace_signal)."""
    act = task.sighand.actions.get(sig)
    return act is not None and bool(act[1] & S.SA_IMMUTABLE)


class DeliverMixin:
    """Signals' delivery methods: get_signal (deliver) and handle_signal."""

    kernel: Kernel

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
            pt = task.ptrace
            if pt is not None and (pt.trap_stop or pt.trap_notify):  # JOBCTL_TRAP_MASK: INTERRUPT, notify
                if restart:
                    task.restart_ret = restart
                if do_jobctl_trap(task, tg.stop_signal):
                    return
                task.restart_ret = 0
            info = task.injected_signal
            if info is not None:  # the signal a tracer let through a signal-delivery-stop (or changed)
                task.injected_signal = None
            else:
                info = self.dequeue(task, task.sigmask)
                if info is not None and pt is not None and info.signo != S.SIGKILL and not immutable(task, info.signo):
                    # ptrace_signal: the tracer decides first (a signal-delivery-stop)
                    if restart:
                        task.restart_ret = restart
                    if ptrace_signal(task, info):
                        return
                    task.restart_ret = 0
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
                    tg.stop_pending = tg.stop_signal = sig
                    for t in tg.tasks:
                        if t.alive:
                            t.jobctl_stop = True
                            if t.ptrace is not None and t.ptrace.seized:
                                ptrace_trap_notify(t)  # a seized tracee re-traps into the new stop
                            self.signal_wake_up(t)
                    if self.do_signal_stop(task, restart, in_hook):
                        return
                    continue
                if kernel.events is not None:
                    kernel.events.on_signal(task, sig, info.fields())
                self.kill_group(task, sig)
                return
            if kernel.events is not None:
                kernel.events.on_signal(task, sig, info.fields())
            stepping = pt is not None and pt.step
            if stepping:
                disable_single_step(task, pt)  # the handler's frame keeps the task's own flags
            self.handle_signal(task, sig, act, info.pack(), info.addr if info.kind == "fault" else 0,
                               info.trapno, info.err, restart, 2 if in_hook else 0, False)
            if stepping:
                # signal_delivered: a stepping tracee stops as it enters the handler (ptrace_notify)
                task.sigpending_flag = True
                if ptrace_notify(task, S.SIGTRAP, 0, PtraceStop.EVENT, None):
                    return
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
            self.set_blocked(task, mask)

