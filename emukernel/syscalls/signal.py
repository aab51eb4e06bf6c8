"""Signal syscalls: dispositions, masks, sending, waiting for signals, sigreturn, altstacks and timers."""

from __future__ import annotations

import struct

from ..abi import errno as E
from ..abi import signal as S
from ..abi.siginfo import SI_QUEUE
from ..clock import NSEC, clock_now
from ..cpu import RSP
from ..errors import Errno
from ..sched import REGS_SET, Block
from ..signal import timers
from ..signal.altstack import do_sigaltstack, sas_ss_flags
from ..signal.kill import do_kill, do_tkill, kill_pid_info, user_info
from . import s32
from .table import syscall
from .time import read_timespec, write_timespec

_SIGACTION = struct.Struct("<QQQQ")  # handler, flags, restorer, mask (struct kernel_sigaction, x86-64)
_STACK_T = struct.Struct("<Qi4xQ")  # ss_sp, ss_flags, ss_size
_ITIMERVAL = struct.Struct("<qqqq")  # it_interval {sec, usec}, it_value {sec, usec}
_ITIMERSPEC = struct.Struct("<qqqq")  # it_interval {sec, nsec}, it_value {sec, nsec}
_SIGEVENT = struct.Struct("<Qiii")  # sigev_value, sigev_signo, sigev_notify, sigev_notify_thread_id
_UNBLOCKABLE = S.sigmask(S.SIGKILL) | S.sigmask(S.SIGSTOP)


def _valid(sig: int) -> bool:
    return 1 <= sig <= S.NSIG


# -- dispositions and masks ---------------------------------------------------------------------------------
@syscall("rt_sigaction", "sig", "p", "struct_out", "u")
def sys_rt_sigaction(task, sig, act, oact, sigsetsize):
    # Linux: kernel/signal.c do_sigaction
    if sigsetsize != 8:
        raise Errno(E.EINVAL)
    sig = s32(sig)
    if not _valid(sig) or (act and sig in (S.SIGKILL, S.SIGSTOP)):
        raise Errno(E.EINVAL)
    new = task.mm.read_struct(_SIGACTION, act) if act else None
    old = task.sighand.actions.get(sig, (S.SIG_DFL, 0, 0, 0))
    if old[1] & S.SA_IMMUTABLE:  # a forced fatal signal is on its way: not even readable
        raise Errno(E.EINVAL)
    if oact:
        task.mm.write_struct(_SIGACTION, oact, *old)
    if new is not None:
        handler, flags, restorer, mask = new
        mask &= ~_UNBLOCKABLE
        if handler == S.SIG_DFL and not flags and not mask:
            task.sighand.actions.pop(sig, None)
        else:
            task.sighand.actions[sig] = (handler, flags & 0xFFFFFFFF, restorer, mask)
        # POSIX: setting an ignoring disposition discards the pending instances, in every thread
        if task.kernel.signals.sig_ignored_by_handler(task, sig):
            bit = S.sigmask(sig)
            task.tg.shared.discard(bit)
            for t in task.tg.tasks:
                t.pending.discard(bit)
    return 0


@syscall("rt_sigprocmask", "how", "p", "struct_out", "u")
def sys_rt_sigprocmask(task, how, set_ptr, oset_ptr, sigsetsize):
    if sigsetsize != 8:
        raise Errno(E.EINVAL)
    old = task.sigmask
    if set_ptr:
        new = task.mm.read_u64(set_ptr)
        if how == S.SIG_BLOCK:
            mask = old | new
        elif how == S.SIG_UNBLOCK:
            mask = old & ~new
        elif how == S.SIG_SETMASK:
            mask = new
        else:
            raise Errno(E.EINVAL)
        task.kernel.signals.set_blocked(task, mask)
    if oset_ptr:
        task.mm.write_u64(oset_ptr, old)
    return 0


@syscall("rt_sigpending", "struct_out", "u")
def sys_rt_sigpending(task, set_ptr, sigsetsize):
    if sigsetsize > 8:
        raise Errno(E.EINVAL)
    pending = (task.pending.bits | task.tg.shared.bits) & task.sigmask
    task.mm.write(set_ptr, pending.to_bytes(8, "little")[:sigsetsize])
    return 0


# -- sending (the rules: emukernel/signal/kill.py) --------------------------------------------------------------
@syscall("kill", "d", "sig")
def sys_kill(task, pid, sig):
    pid = ((pid & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000  # s32, inline
    sig = ((sig & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000
    return do_kill(task, pid, sig)


@syscall("tkill", "d", "sig")
def sys_tkill(task, tid, sig):
    return do_tkill(task, -1, s32(tid), s32(sig), None)


@syscall("tgkill", "d", "d", "sig")
def sys_tgkill(task, tgid, tid, sig):
    tgid = s32(tgid)
    if tgid <= 0:
        raise Errno(E.EINVAL)
    return do_tkill(task, tgid, s32(tid), s32(sig), None)


@syscall("rt_sigqueueinfo", "d", "sig", "p")
def sys_rt_sigqueueinfo(task, pid, sig, uinfo):
    # Linux: the siginfo is copied in first, then do_rt_sigqueueinfo (the signal is checked at the target)
    pid, sig = s32(pid), s32(sig)
    info = user_info(task, sig, task.mm.read(uinfo, 128), pid)
    return kill_pid_info(task, pid, sig, info)


@syscall("rt_tgsigqueueinfo", "d", "d", "sig", "p")
def sys_rt_tgsigqueueinfo(task, tgid, tid, sig, uinfo):
    tgid, tid, sig = s32(tgid), s32(tid), s32(sig)
    raw = task.mm.read(uinfo, 128)  # copy_siginfo_from_user comes before do_rt_tgsigqueueinfo's checks
    if tgid <= 0 or tid <= 0:
        raise Errno(E.EINVAL)
    info = user_info(task, sig, raw, tid)
    return do_tkill(task, tgid, tid, sig, info)


# -- sigreturn and altstack ------------------------------------------------------------------------------------
@syscall("rt_sigreturn", ret="d")
def sys_rt_sigreturn(task):
    # inside the syscall hook RIP is the syscall instruction's address, outside (the slow path) past it
    signals = task.kernel.signals
    if not signals.sigreturn(task, task.mm.cpu.in_emu):
        signals.force_sigsegv(task)
    task.orig_rax = -1  # restore_sigcontext: no syscall is in progress any more (no restart check)
    return REGS_SET


@syscall("sigaltstack", "p", "struct_out")
def sys_sigaltstack(task, uss, uoss):
    # Linux: kernel/signal.c sys_sigaltstack: the new stack read first, the old one written only on success
    sp = task.mm.cpu.reg(RSP)
    old = (task.sas_ss_sp, sas_ss_flags(task, sp), task.sas_ss_size)
    if uss:
        ss_sp, ss_flags, ss_size = task.mm.read_struct(_STACK_T, uss)
        do_sigaltstack(task, ss_sp, ss_flags & 0xFFFFFFFF, ss_size, sp)
    if uoss:
        ss_sp, flags, ss_size = old
        task.mm.write_struct(_STACK_T, uoss, ss_sp, flags if flags < 2**31 else flags - 2**32, ss_size)
    return 0


# -- waiting for signals ------------------------------------------------------------------------------------
def _wait_for_signal(task, what: str):
    def resume():
        if task.sigpending_flag:
            return -E.ERESTARTNOHAND
        return Block(None, None, what, resume)

    return resume()


@syscall("pause")
def sys_pause(task):
    return _wait_for_signal(task, "pause")


@syscall("rt_sigsuspend", "p", "u")
def sys_rt_sigsuspend(task, mask_ptr, sigsetsize):
    if sigsetsize != 8:
        raise Errno(E.EINVAL)
    mask = task.mm.read_u64(mask_ptr)
    task.saved_sigmask = task.sigmask
    task.kernel.signals.set_blocked(task, mask)
    return _wait_for_signal(task, "sigsuspend")


@syscall("rt_sigtimedwait", "p", "struct_out", "timespec_in", "u")
def sys_rt_sigtimedwait(task, set_ptr, uinfo, uts, sigsetsize):
    # Linux: kernel/signal.c do_sigtimedwait
    if sigsetsize != 8:
        raise Errno(E.EINVAL)
    want = task.mm.read_u64(set_ptr) & ~_UNBLOCKABLE
    deadline = None
    if uts:
        deadline = task.kernel.clock.monotonic_ns() + read_timespec(task, uts)
    sigs = task.kernel.signals

    def take():
        info = sigs.dequeue(task, ~want & 0xFFFFFFFFFFFFFFFF)
        if info is None:
            return None
        if uinfo:
            task.mm.write(uinfo, info.pack())
        sigs.recalc(task)
        return info.signo

    got = take()
    if got is not None:
        return got
    if deadline is not None and deadline <= task.kernel.clock.monotonic_ns():
        return -E.EAGAIN
    task.real_blocked = task.sigmask
    task.sigmask &= ~want
    sigs.recalc(task)

    def resume():
        got = take()
        if got is not None or task.sigpending_flag or \
                (deadline is not None and task.kernel.clock.monotonic_ns() >= deadline):
            task.sigmask = task.real_blocked
            task.real_blocked = 0
            sigs.recalc(task)
            if got is not None:
                return got
            return -E.EAGAIN if not task.sigpending_flag else -E.EINTR
        return Block(None, deadline, "sigtimedwait", resume)

    return Block(None, deadline, "sigtimedwait", resume)


@syscall("restart_syscall")
def sys_restart_syscall(task):
    fn = task.restart_block
    task.restart_block = None
    if fn is None:
        return -E.EINTR
    return fn()


# -- timers that signal (the rules: emukernel/signal/timers.py) -----------------------------------------------
@syscall("alarm", "u")
def sys_alarm(task, seconds):
    return timers.alarm_setitimer(task, seconds & 0xFFFFFFFF)


def _tv_ns(sec: int, usec: int) -> int:
    if sec < 0 or not 0 <= usec < 1000000:
        raise Errno(E.EINVAL)
    return sec * NSEC + usec * 1000


@syscall("setitimer", "d", "p", "struct_out")
def sys_setitimer(task, which, new_ptr, old_ptr):
    which = s32(which)
    if which not in (timers.ITIMER_REAL, timers.ITIMER_VIRTUAL, timers.ITIMER_PROF):
        raise Errno(E.EINVAL)
    isec, iusec, vsec, vusec = task.mm.read_struct(_ITIMERVAL, new_ptr) if new_ptr else (0, 0, 0, 0)
    value, interval = _tv_ns(vsec, vusec), _tv_ns(isec, iusec)
    rem, ival = timers.do_setitimer(task, which, value, interval)
    if old_ptr:
        task.mm.write_struct(_ITIMERVAL, old_ptr, ival // NSEC, ival % NSEC // 1000, rem // NSEC,
                             rem % NSEC // 1000)
    return 0


@syscall("getitimer", "d", "struct_out")
def sys_getitimer(task, which, ptr):
    rem, ival = timers.do_getitimer(task, s32(which))
    task.mm.write_struct(_ITIMERVAL, ptr, ival // NSEC, ival % NSEC // 1000, rem // NSEC, rem % NSEC // 1000)
    return 0


@syscall("timer_create", "clock", "p", "struct_out")
def sys_timer_create(task, clockid, sevp, timerid_ptr):
    clockid = s32(clockid)
    clock_now(task, clockid)  # EINVAL for an unknown clock
    sev = task.mm.read_struct(_SIGEVENT, sevp) if sevp else None
    task.mm.write_u32(timerid_ptr, timers.do_timer_create(task, clockid, sev))
    return 0


@syscall("timer_settime", "d", "x", "p", "struct_out")
def sys_timer_settime(task, timerid, flags, new_ptr, old_ptr):
    timer = timers.find_timer(task, s32(timerid))
    isec, insec, vsec, vnsec = task.mm.read_struct(_ITIMERSPEC, new_ptr)
    if isec < 0 or vsec < 0 or not 0 <= insec < NSEC or not 0 <= vnsec < NSEC:
        raise Errno(E.EINVAL)
    now = task.kernel.clock.monotonic_ns()
    if old_ptr:
        interval, rem = timers.timer_remaining(timer, now)
        task.mm.write_struct(_ITIMERSPEC, old_ptr, interval // NSEC, interval % NSEC, rem // NSEC, rem % NSEC)
    timers.do_timer_settime(task, timer, flags, isec * NSEC + insec, vsec * NSEC + vnsec, now)
    return 0


@syscall("timer_gettime", "d", "struct_out")
def sys_timer_gettime(task, timerid, ptr):
    timer = timers.find_timer(task, s32(timerid))
    interval, rem = timers.timer_remaining(timer, task.kernel.clock.monotonic_ns())
    task.mm.write_struct(_ITIMERSPEC, ptr, interval // NSEC, interval % NSEC, rem // NSEC, rem % NSEC)
    return 0


@syscall("timer_getoverrun", "d")
def sys_timer_getoverrun(task, timerid):
    return timers.timer_getoverrun(timers.find_timer(task, s32(timerid)))


@syscall("timer_delete", "d")
def sys_timer_delete(task, timerid):
    timers.timer_delete(task, timers.find_timer(task, s32(timerid)))
    return 0


__all__ = ["SI_QUEUE", "write_timespec"]
