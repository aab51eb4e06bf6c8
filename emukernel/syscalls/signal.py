"""Signal syscalls: dispositions, masks, sending, waiting for signals, sigreturn, altstacks and timers."""

from __future__ import annotations

import copy
import struct

from ..abi import errno as E
from ..abi import signal as S
from ..cpu import RSP
from ..creds import CAP_KILL, capable
from ..errors import Errno
from ..sched import REGS_SET, Block
from ..signal import frame as F
from ..signal.siginfo import SI_QUEUE, SI_TIMER, SI_TKILL, SI_USER, SigInfo, kill_info
from . import s32
from .table import syscall
from .time import NSEC, read_timespec, write_timespec

_SIGACTION = struct.Struct("<QQQQ")  # handler, flags, restorer, mask (struct kernel_sigaction, x86-64)
_STACK_T = struct.Struct("<Qi4xQ")  # ss_sp, ss_flags, ss_size
_ITIMERVAL = struct.Struct("<qqqq")  # it_interval {sec, usec}, it_value {sec, usec}
_ITIMERSPEC = struct.Struct("<qqqq")  # it_interval {sec, nsec}, it_value {sec, nsec}
_SIGEVENT = struct.Struct("<Qiii")  # sigev_value, sigev_signo, sigev_notify, sigev_notify_thread_id
_UNBLOCKABLE = S.sigmask(S.SIGKILL) | S.sigmask(S.SIGSTOP)
ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2
SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID = 0, 1, 2, 4
TIMER_ABSTIME = 1


def _valid(sig: int) -> bool:
    return 1 <= sig <= S.NSIG


def _sender_info(task, sig: int, code: int) -> SigInfo:
    return SigInfo(sig, code, pid=task.tg.tgid, uid=task.creds.uid, kind="kill")


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


# -- sending ---------------------------------------------------------------------------------------------
def may_signal(task, target, sig: int) -> bool:
    """check_kill_permission for a signal from user space: the same thread group, kill_ok_by_cred (the
    sender's uid or euid equals the target's uid or suid, or CAP_KILL in the sender's effective set), or
    SIGCONT within the session.

    The target's credentials are a living thread's: a zombie leader keeps the credentials it died with,
    while the group's living threads may have changed theirs since (both libcs broadcast set*id only to
    living threads).
    """
    # Linux: kernel/signal.c check_kill_permission, kill_ok_by_cred
    if target.tg is task.tg:
        return True
    if not target.alive:
        target = living(target.tg) or target
    c, t = task.creds, target.creds
    if c.euid in (t.uid, t.suid) or c.uid in (t.uid, t.suid) or capable(c, CAP_KILL):
        return True
    return sig == S.SIGCONT and task.tg.sid == target.tg.sid


def living(tg):
    for t in tg.tasks:
        if t.alive:
            return t
    return None


def for_target(task, target, info: SigInfo) -> SigInfo:
    """si_pid as the receiver's namespace numbers the sender (0 when the sender is invisible there); a copy
    when it differs, since kill(-1) and kill(-pgrp) queue one siginfo on many receivers."""
    if info.raw is None and info.kind in ("kill", "rt"):
        nr = task.tg.pid.nr_in(target.pid.ns)
        if nr != info.pid:
            info = copy.copy(info)
            info.pid = nr
    return info


def group_send(task, target, sig: int, info: SigInfo) -> None:
    """group_send_sig_info: check_kill_permission (a valid signal, then permission), then queue."""
    if not 0 <= sig <= S.NSIG:
        raise Errno(E.EINVAL)
    if not may_signal(task, target, sig):
        raise Errno(E.EPERM)
    if sig:
        info = for_target(task, target, info)
        r = task.kernel.signals.send(target, sig, group=True, info=info, from_task=task)
        if r:
            raise Errno(-r)


def kill_pid_info(task, pid: int, sig: int, info: SigInfo) -> int:
    p = task.pid.ns.pids.get(pid) if pid > 0 else None  # find_task_by_vpid, inline
    t = p.tasks[0] if p is not None and p.tasks else None
    if t is None or t.tg.pid is not t.pid and t.tg.leader is not t:
        raise Errno(E.ESRCH)
    # a zombie is found until it is reaped: the signal is accepted and never delivered
    group_send(task, living(t.tg) or t, sig, info)
    return 0


def _group_errors(task, groups, sig: int, info: SigInfo) -> list[int]:
    """Send to each group in tgid order; the errno of each attempt (0 for success)."""
    out = []
    for tg in sorted(groups, key=lambda g: g.tgid):
        try:
            group_send(task, living(tg), sig, info)
            out.append(0)
        except Errno as e:
            out.append(e.errno)
    return out


def kill_something_info(task, pid: int, sig: int, info: SigInfo) -> int:
    """kill(2)'s four cases: a process, my process group, every process I may signal, a process group."""
    k = task.kernel
    if pid > 0:
        return kill_pid_info(task, pid, sig, info)
    if pid == -1:
        # every process visible in our namespace except its init and ourselves; EPERM from some of them is
        # not an error (kernel/signal.c kill_something_info)
        ns = task.pid.ns
        errs = _group_errors(task, {t.tg for t in k.tasks.values() if not t.kthread and t.tg.live
                                    and t.tg is not task.tg and t.tg.pid.nr_in(ns) > 1}, sig, info)
        if not errs:
            raise Errno(E.ESRCH)
        others = [e for e in errs if e != E.EPERM]
        if others and others[-1]:
            raise Errno(others[-1])
        return 0
    if pid == 0:
        pgid = task.tg.pgid
    else:
        p = task.pid.ns.find(-pid)
        pgid = p.numbers[0] if p is not None else -1
    # __kill_pgrp_info: success if any member got it, else the last error
    errs = _group_errors(task, {t.tg for t in k.tasks.values() if not t.kthread and t.tg.live
                                and t.tg.pgid == pgid}, sig, info)
    if not errs:
        raise Errno(E.ESRCH)
    if 0 in errs:
        return 0
    raise Errno(errs[-1])


@syscall("kill", "d", "sig")
def sys_kill(task, pid, sig):
    pid = ((pid & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000  # s32, inline
    sig = ((sig & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000
    # the signal number is checked per target (check_kill_permission): a missing target is ESRCH first
    if pid == -(1 << 31):
        raise Errno(E.ESRCH)
    if pid > 0:
        # kill_pid_info to a process of my own thread group, inline (no permission check applies)
        p = task.pid.ns.pids.get(pid)  # find_task_by_vpid
        if p is not None and p.tasks:
            t = p.tasks[0]
            tg = task.tg
            if t.tg is tg and (tg.pid is t.pid or tg.leader is t):
                if not 0 <= sig <= S.NSIG:
                    raise Errno(E.EINVAL)
                if not sig:
                    return 0
                # the signal goes to the group through its first living thread, which numbers the sender
                # as it is found here when that thread is the caller
                tasks = tg.tasks
                target = task if tasks and tasks[0] is task else living(tg) or t
                uid = task.creds.uid
                if target is task:
                    nr = pid if p is tg.pid else tg.pid.nr_in(task.pid.ns)
                    if task.kernel.signals.send_self(task, sig, SI_USER, nr, uid):
                        return 0
                else:
                    nr = tg.pid.nr_in(target.pid.ns)
                info = kill_info(sig, SI_USER, nr, uid)
                r = task.kernel.signals.send(target, sig, True, info, task)
                if r:
                    raise Errno(-r)
                return 0
    return kill_something_info(task, pid, sig, _sender_info(task, sig, SI_USER))


def do_tkill(task, tgid: int, tid: int, sig: int, info: SigInfo | None) -> int:
    """do_send_specific; info None: the SI_TKILL siginfo of tkill/tgkill, made once the target is known."""
    # Linux: kernel/signal.c do_send_specific (the target first, then check_kill_permission)
    if tid <= 0:
        raise Errno(E.EINVAL)
    k = task.kernel
    target = k.find_task(task, tid)
    # a zombie thread is still found (until it is released); a signal to it is simply never delivered
    if target is None or target.kthread or (tgid > 0 and k.vtgid(task, target) != tgid):
        raise Errno(E.ESRCH)
    if not 0 <= sig <= S.NSIG:
        raise Errno(E.EINVAL)
    if info is None:
        if target is task:  # the sender as its own namespace numbers it (for_target)
            if not sig:
                return 0
            nr = task.tg.pid.nr_in(task.pid.ns) if tgid <= 0 else tgid
            if k.signals.send_self(task, sig, SI_TKILL, nr, task.creds.uid):
                return 0
            info = kill_info(sig, SI_TKILL, nr, task.creds.uid)
        else:
            info = _sender_info(task, sig, SI_TKILL)
    if not may_signal(task, target, sig):
        raise Errno(E.EPERM)
    if sig:
        info = for_target(task, target, info)
        r = task.kernel.signals.send(target, sig, group=False, info=info, from_task=task)
        if r:
            raise Errno(-r)
    return 0


@syscall("tkill", "d", "sig")
def sys_tkill(task, tid, sig):
    return do_tkill(task, -1, s32(tid), s32(sig), None)


@syscall("tgkill", "d", "d", "sig")
def sys_tgkill(task, tgid, tid, sig):
    tgid = s32(tgid)
    if tgid <= 0:
        raise Errno(E.EINVAL)
    return do_tkill(task, tgid, s32(tid), s32(sig), None)


def _user_info(task, sig: int, uinfo: int | bytes, target_nr: int) -> SigInfo:
    """copy_siginfo_from_user (unless given the bytes), then do_rt_(tg)sigqueueinfo's si_code check against
    the pid argument."""
    info = SigInfo.from_user(sig, uinfo if isinstance(uinfo, bytes) else task.mm.read(uinfo, 128))
    # Linux: kernel/signal.c do_rt_sigqueueinfo: nobody impersonates the kernel or kill()/tgkill() except
    # towards the number task_pid_vnr(current), the caller's own thread id
    if (info.code >= 0 or info.code == SI_TKILL) and target_nr != task.pid.numbers[-1]:
        raise Errno(E.EPERM)
    return info


@syscall("rt_sigqueueinfo", "d", "sig", "p")
def sys_rt_sigqueueinfo(task, pid, sig, uinfo):
    # Linux: the siginfo is copied in first, then do_rt_sigqueueinfo (the signal is checked at the target)
    pid, sig = s32(pid), s32(sig)
    info = _user_info(task, sig, uinfo, pid)
    return kill_pid_info(task, pid, sig, info)


@syscall("rt_tgsigqueueinfo", "d", "d", "sig", "p")
def sys_rt_tgsigqueueinfo(task, tgid, tid, sig, uinfo):
    tgid, tid, sig = s32(tgid), s32(tid), s32(sig)
    raw = task.mm.read(uinfo, 128)  # copy_siginfo_from_user comes before do_rt_tgsigqueueinfo's checks
    if tgid <= 0 or tid <= 0:
        raise Errno(E.EINVAL)
    info = _user_info(task, sig, raw, tid)
    return do_tkill(task, tgid, tid, sig, info)


# -- sigreturn and altstack ------------------------------------------------------------------------------------
@syscall("rt_sigreturn", ret="d")
def sys_rt_sigreturn(task):
    # inside the syscall hook RIP is the syscall instruction's address, outside (the slow path) past it
    signals = task.kernel.signals
    if not signals.sigreturn(task, task.mm.cpu.in_emu):
        signals.force_sigsegv(task)
    return REGS_SET


def on_sig_stack(task, sp: int) -> bool:
    # Linux: include/linux/sched/signal.h on_sig_stack: never "on" an SS_AUTODISARM stack (it is disarmed
    # while a handler runs on it, so only a stack re-armed from there could be)
    if task.sas_ss_flags & F.SS_AUTODISARM:
        return False
    return bool(task.sas_ss_size) and task.sas_ss_sp < sp <= task.sas_ss_sp + task.sas_ss_size


@syscall("sigaltstack", "p", "struct_out")
def sys_sigaltstack(task, uss, uoss):
    # Linux: kernel/signal.c do_sigaltstack
    sp = task.mm.cpu.reg(RSP)
    onstack = on_sig_stack(task, sp)
    new = task.mm.read_struct(_STACK_T, uss) if uss else None
    if uoss:
        flags = F.SS_DISABLE if not task.sas_ss_size else (F.SS_ONSTACK if onstack else 0)
        flags |= task.sas_ss_flags & F.SS_AUTODISARM
        task.mm.write_struct(_STACK_T, uoss, task.sas_ss_sp, flags if flags < 2**31 else flags - 2**32,
                             task.sas_ss_size)
    if new is not None:
        ss_sp, ss_flags, ss_size = new
        ss_flags &= 0xFFFFFFFF
        if onstack:
            raise Errno(E.EPERM)
        mode = ss_flags & ~F.SS_AUTODISARM
        if mode not in (F.SS_DISABLE, F.SS_ONSTACK, 0):
            raise Errno(E.EINVAL)
        if mode == F.SS_DISABLE:
            task.sas_ss_sp = task.sas_ss_size = 0
        else:
            if ss_size < F.MINSIGSTKSZ:
                raise Errno(E.ENOMEM)
            task.sas_ss_sp, task.sas_ss_size = ss_sp, ss_size
        task.sas_ss_flags = ss_flags  # the word as given, mode and flag bits (do_sigaltstack)
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


# -- timers that signal -------------------------------------------------------------------------------------
class ItimerReal:
    """ITIMER_REAL / alarm: one per process, SIGALRM to the group on expiry."""

    def __init__(self) -> None:
        self.deadline = 0
        self.interval = 0
        self.handle = None


def _itimer(task) -> ItimerReal:
    it = getattr(task.tg, "itimer_real", None)
    if it is None:
        it = task.tg.itimer_real = ItimerReal()
    return it


def _arm_real(task, value_ns: int, interval_ns: int) -> tuple[int, int]:
    """Set ITIMER_REAL; returns the old (remaining, interval) in ns."""
    k = task.kernel
    it = _itimer(task)
    now = k.clock.monotonic_ns()
    old = (max(0, it.deadline - now) if it.handle is not None else 0, it.interval)
    k.sched.cancel_timer(it.handle)
    it.handle = None
    it.interval = interval_ns
    if value_ns:
        tg = task.tg

        def fire():
            it.handle = None
            if not tg.live:
                return
            t = next((x for x in tg.tasks if x.alive), None)
            if t is not None:
                k.signals.send(t, S.SIGALRM, group=True, info=SigInfo(S.SIGALRM, 0x80))
            if it.interval:
                it.deadline += it.interval
                it.handle = k.sched.add_timer(it.deadline, fire)

        it.deadline = now + value_ns
        it.handle = k.sched.add_timer(it.deadline, fire)
    return old


@syscall("alarm", "u")
def sys_alarm(task, seconds):
    rem, _ = _arm_real(task, (seconds & 0xFFFFFFFF) * NSEC, 0)
    secs, usec = rem // NSEC, (rem % NSEC) // 1000
    if (not secs and usec) or usec >= 500000:
        secs += 1
    return secs


def _tv_ns(sec: int, usec: int) -> int:
    if sec < 0 or not 0 <= usec < 1000000:
        raise Errno(E.EINVAL)
    return sec * NSEC + usec * 1000


@syscall("setitimer", "d", "p", "struct_out")
def sys_setitimer(task, which, new_ptr, old_ptr):
    which = s32(which)
    if which not in (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF):
        raise Errno(E.EINVAL)
    isec, iusec, vsec, vusec = task.mm.read_struct(_ITIMERVAL, new_ptr) if new_ptr else (0, 0, 0, 0)
    value, interval = _tv_ns(vsec, vusec), _tv_ns(isec, iusec)
    if which == ITIMER_REAL:
        rem, ival = _arm_real(task, value, interval)
    else:
        timers = task.tg.__dict__.setdefault("cpu_itimers", {})
        rem, ival = timers.get(which, (0, 0))
        timers[which] = (value, interval)
    if old_ptr:
        task.mm.write_struct(_ITIMERVAL, old_ptr, ival // NSEC, ival % NSEC // 1000, rem // NSEC,
                             rem % NSEC // 1000)
    return 0


@syscall("getitimer", "d", "struct_out")
def sys_getitimer(task, which, ptr):
    which = s32(which)
    if which == ITIMER_REAL:
        it = _itimer(task)
        rem = max(0, it.deadline - task.kernel.clock.monotonic_ns()) if it.handle is not None else 0
        ival = it.interval
    elif which in (ITIMER_VIRTUAL, ITIMER_PROF):
        rem, ival = task.tg.__dict__.get("cpu_itimers", {}).get(which, (0, 0))
    else:
        raise Errno(E.EINVAL)
    task.mm.write_struct(_ITIMERVAL, ptr, ival // NSEC, ival % NSEC // 1000, rem // NSEC, rem % NSEC // 1000)
    return 0


class PosixTimer:
    __slots__ = ("id", "clockid", "signo", "notify", "value", "tid", "deadline", "interval", "handle",
                 "overrun", "pending_info")

    def __init__(self, id: int, clockid: int, signo: int, notify: int, value: int, tid: int) -> None:
        self.id = id
        self.clockid = clockid
        self.signo = signo
        self.notify = notify
        self.value = value
        self.tid = tid
        self.deadline = 0
        self.interval = 0
        self.handle = None
        self.overrun = 0
        self.pending_info = None


def _timers(task) -> dict:
    return task.tg.__dict__.setdefault("posix_timers", {})


@syscall("timer_create", "clock", "p", "struct_out")
def sys_timer_create(task, clockid, sevp, timerid_ptr):
    from .time import clock_now

    clockid = s32(clockid)
    clock_now(task, clockid)  # EINVAL for an unknown clock
    if sevp:
        value, signo, notify, tid = task.mm.read_struct(_SIGEVENT, sevp)
    else:
        value, signo, notify, tid = 0, S.SIGALRM, SIGEV_SIGNAL, 0
    base = notify & ~SIGEV_THREAD_ID
    if notify not in (SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID) or base not in (0, 1, 2):
        raise Errno(E.EINVAL)
    if notify != SIGEV_NONE and not _valid(signo):
        raise Errno(E.EINVAL)
    target = None
    if notify == SIGEV_THREAD_ID:
        target = task.kernel.find_task(task, tid)
        if target is None or target.tg is not task.tg:
            raise Errno(E.EINVAL)
    timers = _timers(task)
    tid_ = 0
    while tid_ in timers:
        tid_ += 1
    timer = PosixTimer(tid_, clockid, signo, notify, value if sevp else tid_, target)
    timers[tid_] = timer
    task.mm.write_u32(timerid_ptr, tid_)
    return 0


def _get_timer(task, timerid: int) -> PosixTimer:
    t = _timers(task).get(s32(timerid))
    if t is None:
        raise Errno(E.EINVAL)
    return t


def _timer_fire(task_tg, kernel, timer: PosixTimer) -> None:
    timer.handle = None
    if not task_tg.live:
        return
    if timer.notify != SIGEV_NONE:
        if timer.pending_info is not None and timer.pending_info.signo == timer.signo and \
                S.sigmask(timer.signo) & (task_tg.shared.bits | sum(t.pending.bits for t in task_tg.tasks)):
            timer.pending_info.overrun += 1  # still queued: count an overrun instead of queueing again
        else:
            info = SigInfo(timer.signo, SI_TIMER, tid=timer.id, overrun=timer.overrun, value=timer.value,
                           kind="timer")
            timer.pending_info = info
            timer.overrun = 0
            if timer.notify == SIGEV_THREAD_ID:
                target = timer.tid  # the thread SIGEV_THREAD_ID names
                if target is not None and target.alive:
                    kernel.signals.send(target, timer.signo, group=False, info=info)
            else:
                t = next((x for x in task_tg.tasks if x.alive), None)
                if t is not None:
                    kernel.signals.send(t, timer.signo, group=True, info=info)
    if timer.interval:
        timer.deadline += timer.interval
        timer.handle = kernel.sched.add_timer(timer.deadline, lambda: _timer_fire(task_tg, kernel, timer))


@syscall("timer_settime", "d", "x", "p", "struct_out")
def sys_timer_settime(task, timerid, flags, new_ptr, old_ptr):
    from .time import clock_now

    timer = _get_timer(task, timerid)
    isec, insec, vsec, vnsec = task.mm.read_struct(_ITIMERSPEC, new_ptr)
    if isec < 0 or vsec < 0 or not 0 <= insec < NSEC or not 0 <= vnsec < NSEC:
        raise Errno(E.EINVAL)
    k = task.kernel
    now = k.clock.monotonic_ns()
    if old_ptr:
        rem = max(0, timer.deadline - now) if timer.handle is not None else 0
        task.mm.write_struct(_ITIMERSPEC, old_ptr, timer.interval // NSEC, timer.interval % NSEC, rem // NSEC,
                             rem % NSEC)
    k.sched.cancel_timer(timer.handle)
    timer.handle = None
    timer.interval = isec * NSEC + insec
    value = vsec * NSEC + vnsec
    if value:
        if flags & TIMER_ABSTIME:
            value = max(0, value - clock_now(task, timer.clockid))
        timer.deadline = now + value
        tg = task.tg
        if value == 0:
            _timer_fire(tg, k, timer)  # an absolute time already past: pending when the call returns
        else:
            timer.handle = k.sched.add_timer(timer.deadline, lambda: _timer_fire(tg, k, timer))
    return 0


@syscall("timer_gettime", "d", "struct_out")
def sys_timer_gettime(task, timerid, ptr):
    timer = _get_timer(task, timerid)
    now = task.kernel.clock.monotonic_ns()
    rem = max(0, timer.deadline - now) if timer.handle is not None else 0
    task.mm.write_struct(_ITIMERSPEC, ptr, timer.interval // NSEC, timer.interval % NSEC, rem // NSEC,
                         rem % NSEC)
    return 0


@syscall("timer_getoverrun", "d")
def sys_timer_getoverrun(task, timerid):
    timer = _get_timer(task, timerid)
    info = timer.pending_info
    return info.overrun if info is not None else 0


@syscall("timer_delete", "d")
def sys_timer_delete(task, timerid):
    timer = _get_timer(task, timerid)
    task.kernel.sched.cancel_timer(timer.handle)
    del _timers(task)[timer.id]
    return 0


__all__ = ["SI_QUEUE", "write_timespec"]
