"""pidfd_open, pidfd_send_signal, pidfd_getfd (Linux kernel/pid.c, kernel/signal.c)."""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi import signal as S
from ..abi.resource import RLIMIT_NOFILE
from ..abi.siginfo import SI_TKILL, SI_USER
from ..errors import Errno
from ..fs.pidfd import PIDFD_NONBLOCK, PIDFD_THREAD, PidFd, pidfd_file
from ..ptrace import PTRACE_MODE_ATTACH_REALCREDS, ptrace_may_access
from ..signal.kill import for_target, living, may_signal
from ..signal.siginfo import SigInfo
from ..threadgroup import task_rlimit
from . import s32
from .table import syscall

PIDFD_SIGNAL_THREAD = 1 << 0
PIDFD_SIGNAL_THREAD_GROUP = 1 << 1
PIDFD_SIGNAL_PROCESS_GROUP = 1 << 2
PIDFD_SEND_SIGNAL_FLAGS = PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP
PIDFD_SELF_THREAD = -10000
PIDFD_SELF_THREAD_GROUP = -20000
PIDTYPE_PID, PIDTYPE_TGID, PIDTYPE_PGID = 0, 1, 2


@syscall("pidfd_open", "d", "x", ret="fd")
def sys_pidfd_open(task: Any, pid: int, flags: int) -> int:
    # Linux: kernel/pid.c pidfd_open -> pidfd_create -> pidfd_prepare
    flags &= 0xFFFFFFFF
    if flags & ~(PIDFD_NONBLOCK | PIDFD_THREAD):
        raise Errno(E.EINVAL)
    pid = s32(pid)
    if pid <= 0:
        raise Errno(E.EINVAL)
    p = task.pid.ns.find(pid)
    if p is None:
        raise Errno(E.ESRCH)
    # pidfd_prepare (Linux 6.15+, as on this project's hosts; older kernels said EINVAL for both)
    if not p.tasks:
        raise Errno(E.ESRCH)  # the number is still held (by a process group or session), its task reaped
    target = p.tasks[0]
    if not flags & PIDFD_THREAD and target.tg.pid is not p:
        raise Errno(E.ENOENT)  # !pid_has_task(pid, PIDTYPE_TGID): a thread's tid, no thread-group leader
    return task.files.install(PidFd(task.kernel, target, flags), cloexec=True, limit=task_rlimit(task, RLIMIT_NOFILE))


def _group_signal(task: Any, target: Any, sig: int, info: SigInfo, group: bool) -> None:
    """group_send_sig_info(sig, info, target, type): the signal check, permission, then queue it."""
    if not 0 <= sig <= S.NSIG:
        raise Errno(E.EINVAL)
    if not may_signal(task, target, sig):
        raise Errno(E.EPERM)
    if sig:
        if group:
            target = living(target.tg) or target
        info = for_target(task, target, info)
        r = task.kernel.signals.send(target, sig, group=group, info=info, from_task=task)
        if r:
            raise Errno(-r)


@syscall("pidfd_send_signal", "fd", "sig", "p", "x")
def sys_pidfd_send_signal(task: Any, pidfd: int, sig: int, info_ptr: int, flags: int) -> int:
    # Linux: kernel/signal.c pidfd_send_signal + do_pidfd_send_signal
    flags &= 0xFFFFFFFF
    if flags & ~PIDFD_SEND_SIGNAL_FLAGS:
        raise Errno(E.EINVAL)
    if bin(flags).count("1") > 1:
        raise Errno(E.EINVAL)
    pidfd = s32(pidfd)
    if pidfd == PIDFD_SELF_THREAD:
        pid, ptype = task.pid, PIDTYPE_PID
    elif pidfd == PIDFD_SELF_THREAD_GROUP:
        pid, ptype = task.tg.pid, PIDTYPE_TGID
    else:
        f = pidfd_file(task, pidfd)
        pid = f.pid
        if not task.pid.ns.is_ancestor_of(pid.ns):
            raise Errno(E.EINVAL)  # access_pidfd_pidns
        ptype = PIDTYPE_PID if f.thread else PIDTYPE_TGID
    if flags == PIDFD_SIGNAL_THREAD:
        ptype = PIDTYPE_PID
    elif flags == PIDFD_SIGNAL_THREAD_GROUP:
        ptype = PIDTYPE_TGID
    elif flags == PIDFD_SIGNAL_PROCESS_GROUP:
        ptype = PIDTYPE_PGID
    sig = s32(sig)
    if info_ptr:
        raw = task.mm.read(info_ptr, 128)
        if s32(int.from_bytes(raw[:4], "little")) != sig:
            raise Errno(E.EINVAL)
        info = SigInfo.from_user(sig, raw)
        # only signals to oneself may claim to come from the kernel or from kill()
        if (task.pid is not pid or ptype > PIDTYPE_TGID) and (info.code >= 0 or info.code == SI_TKILL):
            raise Errno(E.EPERM)
    else:
        # prepare_kill_siginfo
        code = SI_TKILL if ptype == PIDTYPE_PID else SI_USER
        info = SigInfo(sig, code, pid=task.tg.pid.nr_in(task.pid.ns), uid=task.creds.uid, kind="kill")
    if ptype == PIDTYPE_PGID:
        return _kill_pgrp(task, sig, info, pid)
    target = pid.tasks[0] if pid.tasks else None  # kill_pid_info_type: pid_task(pid, PIDTYPE_PID)
    if target is None:
        raise Errno(E.ESRCH)
    _group_signal(task, target, sig, info, ptype != PIDTYPE_PID)
    return 0


def _kill_pgrp(task: Any, sig: int, info: SigInfo, pgrp: Any) -> int:
    """__kill_pgrp_info: every process whose process group is the struct pid `pgrp`; 0 if one was signalled.

    Process groups are kept as root-namespace numbers, so a number names `pgrp`'s group only while the
    number still belongs to `pgrp`: once it has been freed and given to a new process, a pidfd of the
    old one must not reach the new process's group (Linux walks pgrp->tasks[PIDTYPE_PGID], empty then)."""
    nr = pgrp.numbers[0]
    if task.kernel.pidns.find(nr) is not pgrp:
        return -E.ESRCH
    groups = sorted({t.tg for t in task.kernel.tasks.values() if not t.kthread and t.tg.pgid == nr},
                    key=lambda g: g.tgid)  # fmt: skip
    ret = -E.ESRCH
    for tg in groups:
        try:
            _group_signal(task, living(tg) or tg.leader, sig, info, True)
            err = 0
        except Errno as e:
            err = -e.errno
        if ret:
            ret = err
    return ret


@syscall("pidfd_getfd", "fd", "d", "x", ret="fd")
def sys_pidfd_getfd(task: Any, pidfd: int, fd: int, flags: int) -> int:
    # Linux: kernel/pid.c pidfd_getfd -> __pidfd_fget -> receive_fd(file, NULL, O_CLOEXEC)
    if flags & 0xFFFFFFFF:
        raise Errno(E.EINVAL)
    f = pidfd_file(task, s32(pidfd))
    target = f.task
    if target is None:
        raise Errno(E.ESRCH)
    if not ptrace_may_access(task, target, PTRACE_MODE_ATTACH_REALCREDS):
        raise Errno(E.EPERM)
    files = target.files
    if files is None:
        raise Errno(E.ESRCH)  # the target is exiting and has dropped its files
    fd = s32(fd)
    tf = files.lookup(fd) if fd >= 0 else None
    if tf is None:
        raise Errno(E.EBADF)
    return task.files.install(tf, cloexec=True, limit=task_rlimit(task, RLIMIT_NOFILE))
