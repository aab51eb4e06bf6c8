"""Process groups and sessions (Linux kernel/sys.c setpgid, getpgid, getsid, setsid).

A thread group's `pgid` and `sid` are the numbers of the group and session leaders in the initial pid
namespace; the syscalls number them in the caller's namespace (kernel.vpgid).
"""

from __future__ import annotations

from .abi import errno as E
from .errors import Errno


def find_group(task, pid: int):
    """The process pid names (0: the caller's own); ESRCH for none, or for a thread that is not a leader."""
    # Linux: kernel/sys.c getpgid/getsid's find_task_by_vpid
    if pid == 0:
        return task.tg
    t = task.kernel.find_task(task, pid)
    if t is None or t.tg.pid is not t.pid:
        raise Errno(E.ESRCH)
    return t.tg


def getpgid(task, pid: int) -> int:
    # Linux: kernel/sys.c getpgid
    return task.kernel.vpgid(task, find_group(task, pid).pgid)


def getpgrp(task) -> int:
    # Linux: kernel/sys.c getpgrp
    return task.kernel.vpgid(task, task.tg.pgid)


def getsid(task, pid: int) -> int:
    # Linux: kernel/sys.c getsid
    return task.kernel.vpgid(task, find_group(task, pid).sid)


def setpgid(task, pid: int, pgid: int) -> None:
    """Move process pid (0: the caller) into the process group pgid (0: its own) of the caller's session."""
    # Linux: kernel/sys.c setpgid
    if not pid:
        pid = task.tg.pid.numbers[-1]
    if not pgid:
        pgid = pid
    if pgid < 0:
        raise Errno(E.EINVAL)
    k = task.kernel
    t = k.find_task(task, pid)
    if t is None or t.kthread or t.tg.pid is not t.pid:
        raise Errno(E.ESRCH)
    target_tg = t.tg
    p = task.pid.ns.find(pgid)
    pgid = p.numbers[0] if p is not None else -1  # a number nobody has: EPERM below
    if target_tg is not task.tg:
        leader = target_tg.leader
        if leader.real_parent is None or leader.real_parent.tg is not task.tg:
            raise Errno(E.ESRCH)
        if target_tg.sid != task.tg.sid:
            raise Errno(E.EPERM)
        if target_tg.did_exec:
            raise Errno(E.EACCES)
    if target_tg.sid == target_tg.tgid:
        raise Errno(E.EPERM)  # a session leader cannot move
    if pgid != target_tg.tgid:
        if not any(t.tg.pgid == pgid and t.tg.sid == task.tg.sid for t in k.tasks.values()
                   if not t.kthread and t.tg.live):
            raise Errno(E.EPERM)
    target_tg.pgid = pgid


def setsid(task) -> int:
    """A new session and process group led by the caller; the session's id in the caller's namespace."""
    # Linux: kernel/sys.c ksys_setsid
    tg = task.tg
    k = task.kernel
    if any(t.tg.pgid == tg.tgid for t in k.tasks.values() if not t.kthread and t.tg.live):
        raise Errno(E.EPERM)  # already a group leader, or the pid is some group's pgid
    tg.sid = tg.pgid = tg.tgid
    return tg.pid.numbers[-1]  # pid_vnr: the new session's id in our own namespace
