"""Signal syscalls: rt_sigaction, rt_sigprocmask, rt_sigpending, kill, tkill, tgkill."""

from __future__ import annotations

import struct

from ..abi import errno as E
from ..abi import signal as S
from ..errors import Errno
from . import s32
from .table import syscall

_SIGACTION = struct.Struct("<QQQQ")  # handler, flags, restorer, mask (struct kernel_sigaction, x86-64)
_UNBLOCKABLE = S.sigmask(S.SIGKILL) | S.sigmask(S.SIGSTOP)


def _valid(sig: int) -> bool:
    return 1 <= sig <= S.NSIG


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
        # POSIX: setting SIG_IGN (or SIG_DFL for an ignore-by-default signal) discards pending instances
        if task.kernel.signals.sig_ignored_by_handler(task, sig):
            bit = S.sigmask(sig)
            for t in task.tg.tasks:
                t.sigpending &= ~bit
            task.tg.shared_pending &= ~bit
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
        task.sigmask = mask & ~_UNBLOCKABLE
        task.kernel.signals.recalc(task)
    if oset_ptr:
        task.mm.write_u64(oset_ptr, old)
    return 0


@syscall("rt_sigpending", "struct_out", "u")
def sys_rt_sigpending(task, set_ptr, sigsetsize):
    if sigsetsize > 8:
        raise Errno(E.EINVAL)
    pending = (task.sigpending | task.tg.shared_pending) & task.sigmask
    task.mm.write(set_ptr, pending.to_bytes(8, "little")[:sigsetsize])
    return 0


def _may_signal(task, target) -> bool:
    """kernel/signal.c kill_ok_by_cred: same uid/euid pairs, or CAP_KILL (euid 0 here)."""
    c, t = task.creds, target.creds
    return c.euid == 0 or c.euid in (t.uid, t.suid) or c.uid in (t.uid, t.suid)


def _send_to_group(task, target, sig: int) -> None:
    if not _may_signal(task, target):
        raise Errno(E.EPERM)
    if sig:
        task.kernel.signals.send(target, sig, group=True)


@syscall("kill", "d", "sig")
def sys_kill(task, pid, sig):
    # Linux: kernel/signal.c kill_something_info
    pid, sig = s32(pid), s32(sig)
    if not 0 <= sig <= S.NSIG:
        raise Errno(E.EINVAL)
    k = task.kernel
    if pid > 0:
        target = k.tasks.get(pid)
        if target is None or target.kthread or target.tg.tgid != pid or not target.tg.live:
            raise Errno(E.ESRCH)
        _send_to_group(task, next(t for t in target.tg.tasks if t.alive) if not target.alive else target, sig)
        return 0
    if pid == -1:
        groups = {t.tg for t in k.tasks.values() if not t.kthread and t.tg.live and t.tg is not task.tg}
        sent, err = 0, E.ESRCH
        for tg in sorted(groups, key=lambda g: g.tgid):
            t = next(x for x in tg.tasks if x.alive)
            try:
                _send_to_group(task, t, sig)
                sent += 1
            except Errno as e:
                err = e.errno
        if not sent:
            raise Errno(err)
        return 0
    pgid = task.tg.pgid if pid == 0 else -pid
    groups = {t.tg for t in k.tasks.values() if not t.kthread and t.tg.live and t.tg.pgid == pgid}
    if not groups:
        raise Errno(E.ESRCH)
    sent, err = 0, E.EPERM
    for tg in sorted(groups, key=lambda g: g.tgid):
        try:
            _send_to_group(task, next(x for x in tg.tasks if x.alive), sig)
            sent += 1
        except Errno as e:
            err = e.errno
    if not sent:
        raise Errno(err)
    return 0


def _tkill(task, tgid: int, tid: int, sig: int) -> int:
    # Linux: kernel/signal.c do_tkill
    if tid <= 0 or not 0 <= sig <= S.NSIG:
        raise Errno(E.EINVAL)
    target = task.kernel.tasks.get(tid)
    if target is None or target.kthread or not target.alive or (tgid > 0 and target.tg.tgid != tgid):
        raise Errno(E.ESRCH)
    if not _may_signal(task, target):
        raise Errno(E.EPERM)
    if sig:
        task.kernel.signals.send(target, sig, group=False)
    return 0


@syscall("tkill", "d", "sig")
def sys_tkill(task, tid, sig):
    return _tkill(task, -1, s32(tid), s32(sig))


@syscall("tgkill", "d", "d", "sig")
def sys_tgkill(task, tgid, tid, sig):
    tgid = s32(tgid)
    if tgid <= 0:
        raise Errno(E.EINVAL)
    return _tkill(task, tgid, s32(tid), s32(sig))
