"""Signals from user space (Linux kernel/signal.c): kill(2)'s targets, check_kill_permission, do_send_specific
(tkill, tgkill) and rt_sigqueueinfo's impersonation check.  The syscalls decode their arguments and call
these."""

from __future__ import annotations

import copy

from ..abi import errno as E
from ..abi import signal as S
from ..abi.capability import CAP_KILL
from ..abi.siginfo import SI_TKILL, SI_USER
from ..creds import capable
from ..errors import Errno
from .siginfo import SigInfo, kill_info


def sender_info(task, sig: int, code: int) -> SigInfo:
    # Linux: kernel/signal.c prepare_kill_siginfo
    return SigInfo(sig, code, pid=task.tg.tgid, uid=task.creds.uid, kind="kill")


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
    # Linux: the thread a group signal is queued through (pid_task of the tgid, or a living thread)
    for t in tg.tasks:
        if t.alive:
            return t
    return None


def for_target(task, target, info: SigInfo) -> SigInfo:
    """si_pid as the receiver's namespace numbers the sender (0 when the sender is invisible there); a copy
    when it differs, since kill(-1) and kill(-pgrp) queue one siginfo on many receivers."""
    # Linux: kernel/signal.c __send_signal_locked's si_pid translation (task_tgid_nr_ns)
    if info.raw is None and info.kind in ("kill", "rt"):
        nr = task.tg.pid.nr_in(target.pid.ns)
        if nr != info.pid:
            info = copy.copy(info)
            info.pid = nr
    return info


def send_checked(task, target, sig: int, info: SigInfo, group: bool = True) -> None:
    """group_send_sig_info (group) or the tail of do_send_specific (one thread): check_kill_permission (a valid
    signal, then permission), then do_send_sig_info unless sig is 0."""
    if not 0 <= sig <= S.NSIG:
        raise Errno(E.EINVAL)
    if not may_signal(task, target, sig):
        raise Errno(E.EPERM)
    if sig:
        info = for_target(task, target, info)
        r = task.kernel.signals.send(target, sig, group=group, info=info, from_task=task)
        if r:
            raise Errno(-r)


def kill_pid_info(task, pid: int, sig: int, info: SigInfo) -> int:
    # Linux: kernel/signal.c kill_pid_info
    p = task.pid.ns.pids.get(pid) if pid > 0 else None  # find_task_by_vpid, inline
    t = p.tasks[0] if p is not None and p.tasks else None
    if t is None or t.tg.pid is not t.pid and t.tg.leader is not t:
        raise Errno(E.ESRCH)
    # a zombie is found until it is reaped: the signal is accepted and never delivered
    send_checked(task, living(t.tg) or t, sig, info)
    return 0


def _group_errors(task, groups, sig: int, info: SigInfo) -> list[int]:
    """Send to each group in tgid order; the errno of each attempt (0 for success)."""
    out = []
    for tg in sorted(groups, key=lambda g: g.tgid):
        try:
            send_checked(task, living(tg), sig, info)
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


def do_kill(task, pid: int, sig: int) -> int:
    """kill(2) with its (sign-extended) arguments."""
    # Linux: kernel/signal.c SYSCALL_DEFINE2(kill): prepare_kill_siginfo, then kill_something_info
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
    return kill_something_info(task, pid, sig, sender_info(task, sig, SI_USER))


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
            info = sender_info(task, sig, SI_TKILL)
    send_checked(task, target, sig, info, group=False)
    return 0


def user_info(task, sig: int, raw: bytes, target_nr: int) -> SigInfo:
    """The siginfo rt_(tg)sigqueueinfo copied in (copy_siginfo_from_user), checked against the pid argument."""
    info = SigInfo.from_user(sig, raw)
    # Linux: kernel/signal.c do_rt_sigqueueinfo: nobody impersonates the kernel or kill()/tgkill() except
    # towards the number task_pid_vnr(current), the caller's own thread id
    if (info.code >= 0 or info.code == SI_TKILL) and target_nr != task.pid.numbers[-1]:
        raise Errno(E.EPERM)
    return info
