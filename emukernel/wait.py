"""wait4 / waitid (Linux kernel/exit.c do_wait, wait_consider_task, wait_task_zombie).

A waiter scans the children of every thread of its group (only its own with __WNOTHREAD), picks the first
eligible one with a reportable event, and blocks on its group's child-exit queue otherwise.  Blocking is
level-triggered: every wake-up re-runs the scan.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from .abi import errno as E
from .abi import signal as S
from .abi.wait import (
    __WALL,
    __WCLONE,
    __WNOTHREAD,
    P_ALL,
    P_PGID,
    P_PID,
    P_PIDFD,
    WCONTINUED,
    WEXITED,
    WNOHANG,
    WNOWAIT,
    WSTOPPED,
    WUNTRACED,
)
from .errors import Errno
from .exit import do_notify_parent, group_status, release_task, thread_group_empty
from .fs.pidfd import pidfd_wait_target
from .ptrace import ptrace_reparented, ptrace_unlink
from .sched import Block, WaitQueue
from .stops import PtraceStop
from .task import EXIT_DEAD, EXIT_ZOMBIE

if TYPE_CHECKING:
    from .task import Task

CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_TRAPPED, CLD_STOPPED, CLD_CONTINUED = 1, 2, 3, 4, 5, 6

SIGINFO_CHLD = struct.Struct("<iii4xiii4xqq")  # signo, errno, code, pid, uid, status, utime, stime
SIGINFO_SIZE = 128
RUSAGE_SIZE = 144


class WaitOpts:
    __slots__ = ("kind", "id", "flags", "pgid")

    def __init__(self, kind: int, id: int, flags: int) -> None:
        self.kind = kind  # P_ALL / P_PID / P_PGID
        self.id = id
        self.flags = flags


def wait_queue(task: Task) -> WaitQueue:
    tg = task.tg
    q = tg.wait_chldexit
    if q is None:
        q = tg.wait_chldexit = WaitQueue("wait for a child")
    return q


def eligible_child(opts: WaitOpts, waiter: Task, child: Task, ptrace: bool) -> bool:
    """eligible_pid + eligible_child: the pid selector, then the __WCLONE/__WALL rule, which a tracer's
    wait for its tracees does not apply (Linux assumes __WALL for them).
    opts.id is a root-namespace number (the caller's number translated when the options were built)."""
    if opts.kind == P_PID and (child.tid if ptrace else child.tg.tgid) != opts.id:
        return False
    if opts.kind == P_PGID and child.tg.pgid != opts.id:
        return False
    if opts.flags & __WNOTHREAD and (child.parent if ptrace else child.real_parent) is not waiter:
        return False
    if ptrace or opts.flags & __WALL:
        return True
    # a "clone child" reports to its parent with a signal other than SIGCHLD (or none at all)
    return (child.exit_signal != S.SIGCHLD) == bool(opts.flags & __WCLONE)


def decode_status(status: int) -> tuple[int, int]:
    """(si_code, si_status) for a wait status."""
    sig = status & 0x7F
    if sig:
        return (CLD_DUMPED if status & 0x80 else CLD_KILLED), sig
    return CLD_EXITED, (status >> 8) & 0xFF


class Reaped:
    __slots__ = ("pid", "status", "uid", "code", "si_status", "utime", "stime")

    def __init__(self, pid: int, status: int, uid: int, utime: int, stime: int) -> None:
        self.pid = pid
        self.status = status
        self.uid = uid
        self.code, self.si_status = decode_status(status)
        self.utime = utime
        self.stime = stime


def do_wait(task: Task, opts: WaitOpts):
    """One scan (do_wait_thread and ptrace_do_wait over every thread of the group, or only the caller's
    with __WNOTHREAD): a Reaped record, 0 for WNOHANG with nothing ready, Block to wait, or Errno(ECHILD)."""
    threads = [task] if opts.flags & __WNOTHREAD else [t for t in task.tg.tasks if t.alive]
    if task not in threads:
        threads.append(task)
    scan = WaitScan()
    for parent in threads:
        for child in list(parent.children):
            rec = wait_consider_task(task, opts, child, False, scan)
            if rec is not None:
                return rec
        for child in list(parent.ptraced):
            rec = wait_consider_task(task, opts, child, True, scan)
            if rec is not None:
                return rec
    if not scan.found:
        raise Errno(E.ECHILD)
    if opts.flags & WNOHANG:
        return 0
    return Block(wait_queue(task), what="wait for a child")


class WaitScan:
    """What one scan learnt besides a report: whether any child could still report (notask_error)."""

    __slots__ = ("found",)

    def __init__(self) -> None:
        self.found = False


def wait_consider_task(task: Task, opts: WaitOpts, child: Task, ptrace: bool, scan: WaitScan) -> Reaped | None:
    """wait_consider_task: a report from this child (as its parent, or as its tracer with ptrace), if it
    has one the options ask for."""
    if child.exit_state == EXIT_DEAD or not eligible_child(opts, task, child, ptrace):
        return None
    if not ptrace and child.ptrace is not None:
        if not ptrace_reparented(child):
            ptrace = True  # traced by its real parent's group: one report, as the tracer's
    tg = child.tg
    if child.exit_state == EXIT_ZOMBIE:
        # a zombie leader waits for its other threads (delay_group_leader); a zombie tracee is visible
        # only to its tracer
        if not (tg.leader is child and not thread_group_empty(tg)):
            if ptrace or child.ptrace is None:
                return wait_task_zombie(task, opts, child, ptrace)
        if not ptrace or opts.flags & (WCONTINUED | WEXITED):
            scan.found = True
    else:
        scan.found = True
    rec = wait_task_stopped(task, opts, child, ptrace)
    if rec is not None:
        return rec
    return wait_task_continued(task, opts, child)


def wait_task_zombie(task: Task, opts: WaitOpts, child: Task, ptrace: bool) -> Reaped | None:
    """wait_task_zombie: report the exit; reap unless WNOWAIT.  A tracer reaping a tracee whose real parent
    is elsewhere hands the zombie leader on to that parent instead (EXIT_TRACE)."""
    if not opts.flags & WEXITED:
        return None
    kernel = task.kernel
    status = group_status(child)
    rec = Reaped(kernel.vpid(task, child), status, child.creds.uid, 0, 0)
    if opts.flags & WNOWAIT:
        return rec
    if ptrace and ptrace_reparented(child) and child.tg.leader is child:
        ptrace_unlink(child)
        if do_notify_parent(kernel, child, child.exit_signal):
            release_task(kernel, child)
        return rec
    release_task(kernel, child)
    return rec


def wait_task_stopped(task: Task, opts: WaitOpts, child: Task, ptrace: bool) -> Reaped | None:
    """wait_task_stopped: a tracee's ptrace stop (reported whatever the options, CLD_TRAPPED) or, to the
    parent, a group stop not yet reported (WUNTRACED / WSTOPPED, CLD_STOPPED)."""
    if not ptrace and not opts.flags & WSTOPPED:
        return None
    kernel = task.kernel
    if ptrace:
        stop = child.stop
        pt = child.ptrace
        if stop.__class__ is not PtraceStop or not stop.code or pt is None or pt.listening:
            return None
        code = stop.code
        if not opts.flags & WNOWAIT:
            stop.code = 0
        rec = Reaped(kernel.vpid(task, child), (code << 8) | 0x7F, child.creds.uid, 0, 0)
        rec.code, rec.si_status = CLD_TRAPPED, code
        return rec
    tg = child.tg
    if not (tg.stopped and tg.stop_code):
        return None
    rec = Reaped(kernel.vtgid(task, child), (tg.stop_code << 8) | 0x7F, child.creds.uid, 0, 0)
    rec.code, rec.si_status = CLD_STOPPED, tg.stop_code
    if not opts.flags & WNOWAIT:
        tg.stop_code = 0
    return rec


def wait_task_continued(task: Task, opts: WaitOpts, child: Task) -> Reaped | None:
    """wait_task_continued: WCONTINUED's report of a group resumed by SIGCONT."""
    tg = child.tg
    if not (opts.flags & WCONTINUED and tg.continued):
        return None
    rec = Reaped(task.kernel.vtgid(task, child), 0xFFFF, child.creds.uid, 0, 0)
    rec.code, rec.si_status = CLD_CONTINUED, S.SIGCONT
    if not opts.flags & WNOWAIT:
        tg.continued = False
    return rec


def root_nr(task: Task, nr: int) -> int:
    """A pid number in the caller's namespace as its root-namespace number (-1: names nothing)."""
    pid = task.pid.ns.find(nr)
    return pid.numbers[0] if pid is not None else -1


def write_rusage(task: Task, addr: int, rec: Reaped | None) -> None:
    if addr:
        task.mm.write(addr, b"\0" * RUSAGE_SIZE)


def sys_wait4_impl(task: Task, pid: int, wstatus: int, options: int, rusage: int):
    if options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL):
        raise Errno(E.EINVAL)
    if pid == -(1 << 31):
        raise Errno(E.ESRCH)  # -INT_MIN cannot be negated into a pgid
    if pid > 0:
        opts = WaitOpts(P_PID, root_nr(task, pid), options | WEXITED)
    elif pid == 0:
        opts = WaitOpts(P_PGID, task.tg.pgid, options | WEXITED)
    elif pid < -1:
        opts = WaitOpts(P_PGID, root_nr(task, -pid), options | WEXITED)
    else:
        opts = WaitOpts(P_ALL, 0, options | WEXITED)

    def attempt():
        r = do_wait(task, opts)
        if isinstance(r, Block):
            if task.signal_interrupts():
                return -E.ERESTARTSYS
            return Block(r.queue, what=r.what, resume=attempt)
        if r == 0:
            return 0
        if wstatus:
            task.mm.write_u32(wstatus, r.status)
        write_rusage(task, rusage, r)
        return r.pid

    return attempt()


def sys_waitid_impl(task: Task, idtype: int, id: int, infop: int, options: int, rusage: int):
    if options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL):
        raise Errno(E.EINVAL)
    if not options & (WEXITED | WSTOPPED | WCONTINUED):
        raise Errno(E.EINVAL)
    pidfd_nonblock = False
    if idtype == P_ALL:
        opts = WaitOpts(P_ALL, 0, options)
    elif idtype == P_PID:
        if id <= 0:
            raise Errno(E.EINVAL)
        opts = WaitOpts(P_PID, root_nr(task, id), options)
    elif idtype == P_PGID:
        if id < 0:
            raise Errno(E.EINVAL)
        opts = WaitOpts(P_PGID, root_nr(task, id) if id else task.tg.pgid, options)
    elif idtype == P_PIDFD:

        if id < 0:
            raise Errno(E.EINVAL)
        target, nonblock = pidfd_wait_target(task, id)
        opts = WaitOpts(P_PID, target, options | (WNOHANG if nonblock else 0))
        if nonblock and not options & WNOHANG:
            pidfd_nonblock = True
    else:
        raise Errno(E.EINVAL)

    def attempt():
        r = do_wait(task, opts)
        if isinstance(r, Block):
            if task.signal_interrupts():
                return -E.ERESTARTSYS
            return Block(r.queue, what=r.what, resume=attempt)
        if r == 0:
            if pidfd_nonblock:
                return -E.EAGAIN  # a PIDFD_NONBLOCK pidfd: a wait that would block fails instead
            if infop:
                task.mm.write(infop, b"\0" * 32)  # si_signo..si_status cleared, as Linux does
            return 0
        if infop:
            task.mm.write(infop, SIGINFO_CHLD.pack(S.SIGCHLD, 0, r.code, r.pid, r.uid, r.si_status,
                                                   r.utime, r.stime))
        write_rusage(task, rusage, r)
        return 0

    return attempt()
