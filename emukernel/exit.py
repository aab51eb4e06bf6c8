"""Task exit (Linux kernel/exit.c): do_exit, do_group_exit, exit_notify, release_task, reparenting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .abi import signal as S
from .abi.ptrace import PTRACE_EVENT_EXIT
from .abi.siginfo import CLD_DUMPED, CLD_EXITED, CLD_KILLED
from .fs.pidfd import notify_exit
from .ptrace import exit_ptrace, ptrace_event, ptrace_reparented, ptrace_unlink
from .seccomp.notify import seccomp_filter_release
from .signal.siginfo import SigInfo
from .task import EXIT_DEAD, EXIT_EXITING, EXIT_NONE, EXIT_ZOMBIE

if TYPE_CHECKING:
    from .kernel import Kernel
    from .task import Task


def do_group_exit(kernel: Kernel, task: Task, status: int) -> None:
    """exit_group / a fatal signal: every thread of the group exits with status (do_group_exit).  In Linux
    every thread runs do_exit itself, killed or not, so each may stop at PTRACE_EVENT_EXIT first
    (exit_task)."""
    tg = task.tg
    if not tg.group_exit:
        tg.group_exit = True
        tg.group_exit_code = status
        for t in list(tg.tasks):  # zap_other_threads
            if t is not task and t.alive:
                exit_task(kernel, t, status)
    if task.alive:
        exit_task(kernel, task, tg.group_exit_code)


def exit_task(kernel: Kernel, task: Task, status: int) -> None:
    """A thread's way out: ptrace_event(PTRACE_EVENT_EXIT) first when its tracer asked for it (Linux takes
    that stop even in a thread SIGKILL or a sibling's exit_group killed: the signal is dequeued before
    do_exit), then do_exit when the tracer resumes it; do_exit at once otherwise."""
    pt = task.ptrace
    if pt is not None and pt.event_enabled(PTRACE_EVENT_EXIT) and not pt.exit_stopped and task.alive:
        pt.exit_stopped = True
        task.restart = None  # a syscall it was parked in (or a stop's continuation) is abandoned
        if task.stop is not None:
            kernel.sched.end_stop(task)
        if ptrace_event(task, PTRACE_EVENT_EXIT, status, lambda: do_exit(kernel, task, status)):
            return
    do_exit(kernel, task, status)


def do_exit(kernel: Kernel, task: Task, status: int) -> None:
    """One thread ends: drop its mm/files/fs, then tell whoever must know (do_exit)."""
    task.set_exit_state(EXIT_NONE, EXIT_EXITING)
    task.exit_code = status
    tg = task.tg
    if tg.execing is task:
        tg.end_exec(kernel)
    tg.live -= 1
    if tg.live == 0:
        tg.exit_status_for_wait = status  # the last thread's code is the process's
    kernel.sched.set_dead(task)
    task.sigpending_flag = True  # a syscall that killed its own caller leaves emulation at once
    if task.seccomp is not None:
        seccomp_filter_release(task)
    mm = task.mm
    if mm is not None:
        # Linux: kernel/fork.c exit_mm_release -> futex_exit_release + mm_release
        kernel.futexes.exit_robust_list(task)
        if task.clear_child_tid and mm.users > 1:
            try:
                mm.write_u32(task.clear_child_tid, 0)
            except Exception:
                pass
            kernel.futex_wake_addr(task, task.clear_child_tid)
        kernel.release_vfork(task)
        if mm.cpu.current is task:
            mm.cpu.current = None
        if task.ctx is not None:
            mm.cpu.context_free(task.ctx)
            task.ctx = None
        mm.users -= 1
        if mm.users == 0:
            kernel.release_mm(mm)
        task.mm = None
    files = task.files
    if files is not None:
        files.users -= 1
        if files.users == 0:
            files.close_all()
        task.files = None
    task.fs = None
    if kernel.events is not None and tg.live == 0:
        kernel.events.on_exit(task, tg.group_exit_code if tg.group_exit else status)
    exit_notify(kernel, task)
    notify_pidfds(kernel, task)


def find_new_reaper(kernel: Kernel, task: Task) -> Task:
    """A living thread of the same group, else the nearest child subreaper, else init."""
    for t in task.tg.tasks:
        if t.alive and t is not task:
            return t
    # the nearest subreaper among the ancestors inside our pid namespace, else the namespace's init
    ns = task.pid.ns if task.pid is not None else kernel.pidns
    reaper = ns.child_reaper
    if reaper is not None and not reaper.alive and reaper.tg.live:
        # the init's leader has exited but the group lives: its living thread is the reaper now
        reaper = next(t for t in reaper.tg.tasks if t.alive)
    p = task.real_parent
    # subreapers are looked for only at our own pid level: a setns()+fork parent may be outside
    while p is not None and not p.kthread and p is not reaper and p.pid is not None and \
            p.pid.ns.level == ns.level:
        if p.tg.child_subreaper and p.tg.live:
            return next(t for t in p.tg.tasks if t.alive)
        p = p.real_parent
    if reaper is None or reaper is task or not reaper.alive:
        return kernel.init
    return reaper


def zap_pid_ns_processes(kernel: Kernel, init: Task) -> bool:
    """A namespace's init is exiting: no new tasks may enter; every other task in it is killed and
    reaped (Linux kernel/pid_namespace.c).

    Members whose parents are outside the namespace (setns()+fork) stay zombies until those parents reap
    them, and until then the init does not finish exiting either: returns True when it must wait (the rest
    of exit_notify then runs from `forget_task`, when the namespace's last other pid goes)."""
    ns = init.pid.ns
    ns.alive = False
    for t in list(kernel.tasks.values()):
        if t.tg is not init.tg and t.alive and not t.kthread and t.pid is not None and \
                ns.is_ancestor_of(t.pid.ns):
            do_group_exit(kernel, t, S.SIGKILL)
    # the dying init reaps them (zap_pid_ns_processes waits for its children)
    for child in list(init.children):
        if child.exit_state == EXIT_ZOMBIE and child.tg.live == 0 and thread_group_empty(child.tg):
            release_task(kernel, child)
    if not _pids_left(ns, init):
        return False

    def finish() -> None:
        if not _pids_left(ns, init):
            ns.zap_wait = None
            _exit_notify(kernel, init)

    ns.zap_wait = finish
    return True


def _pids_left(ns, init: Task) -> bool:
    """Another task (a zombie waiting for a parent outside) still holds a pid in the namespace."""
    return any(p is not None and any(t.tg is not init.tg for t in p.tasks) for p in ns.pids.values())


def exit_notify(kernel: Kernel, task: Task) -> None:
    """Reparent the children, then become a zombie and notify the parent, or be reaped at once."""
    ns = task.pid.ns if task.pid is not None else None
    # the last thread of a namespace's init (child_reaper may be a leader that exited before it)
    if ns is not None and ns is not kernel.pidns and ns.alive and task.tg.live == 0 and \
            ns.child_reaper is not None and ns.child_reaper.tg is task.tg:
        if zap_pid_ns_processes(kernel, task):
            return
    _exit_notify(kernel, task)


def _exit_notify(kernel: Kernel, task: Task) -> None:
    """exit_notify: detach our tracees and reparent our children, become a zombie and tell the parent (the
    tracer, while traced), or be reaped at once."""
    dead = forget_original_parent(kernel, task)
    task.set_exit_state(EXIT_EXITING, EXIT_ZOMBIE)
    tg = task.tg
    if task.ptrace is not None:
        # a traced thread, leader or not, waits for its tracer to reap it
        sig = task.exit_signal if tg.leader is task and thread_group_empty(tg) and not ptrace_reparented(task) \
            else S.SIGCHLD
        autoreap = do_notify_parent(kernel, task, sig)
    elif tg.leader is task:
        # a zombie leader is not reported until the whole group is gone (release_task does it then)
        autoreap = thread_group_empty(tg) and do_notify_parent(kernel, task, task.exit_signal)
    else:
        autoreap = True
    if autoreap:
        release_task(kernel, task)
    for t in dead:
        release_task(kernel, t)


def forget_original_parent(kernel: Kernel, task: Task) -> list[Task]:
    """forget_original_parent: untrace our tracees (exit_ptrace), give our children to the reaper, and
    tell it of those that are zombies already.  Returns the tasks to release (reaped on the way)."""
    dead = []
    if task.ptraced:
        for child in exit_ptrace(task):
            # __ptrace_detach: a zombie leader goes to its real parent (or is reaped); a zombie thread is
            # released
            if child.tg.leader is child and thread_group_empty(child.tg):
                parent = child.real_parent
                if parent is not None and parent.tg is not task.tg:
                    if do_notify_parent(kernel, child, child.exit_signal):
                        dead.append(child)
            elif child.tg.leader is not child:
                dead.append(child)
    if task.children:
        reaper = find_new_reaper(kernel, task)
        for child in task.children:
            for t in child.tg.tasks:
                t.real_parent = reaper
                if t.ptrace is None:
                    t.parent = reaper
            reaper.children.append(child)
            if child.pdeath_signal and child.tg.live:
                # PR_SET_PDEATHSIG: the thread that created us is gone (forget_original_parent)
                kernel.signals.send(child, child.pdeath_signal, group=True)
            # reparent_leader: a zombie the old parent never reaped is announced to the new one
            if child.ptrace is None and child.exit_state == EXIT_ZOMBIE and thread_group_empty(child.tg):
                if do_notify_parent(kernel, child, child.exit_signal):
                    dead.append(child)
        task.children = []
    return dead


def thread_group_empty(tg) -> bool:
    """thread_group_empty: no thread but the leader is left in the group (a zombie one still counts)."""
    return len(tg.tasks) <= 1


def group_status(task: Task) -> int:
    """The wait status of a process: its group exit's, or else the code its last thread exited with
    (Linux 6.18 reports a zombie leader's process with the last thread's code, not the leader's)."""
    tg = task.tg
    if tg.group_exit:
        return tg.group_exit_code
    if tg.exit_status_for_wait is not None and task is tg.leader:
        return tg.exit_status_for_wait
    return task.exit_code


def do_notify_parent(kernel: Kernel, task: Task, sig: int) -> bool:
    """do_notify_parent: the task is a zombie its parent (its tracer, while traced) may reap: send `sig`
    with CLD_EXITED/KILLED/DUMPED and wake the parent's waiters.  Returns True when nobody will wait for it
    (the parent ignores SIGCHLD or set SA_NOCLDWAIT): the caller releases it."""
    parent = task.parent
    status = group_status(task)
    if parent is None or parent.kthread:
        kernel.reaped(task, status)
        return True
    autoreap = False
    if task.ptrace is None and sig == S.SIGCHLD:
        act = parent.sighand.actions.get(S.SIGCHLD)
        if act is not None and (act[0] == S.SIG_IGN or act[1] & S.SA_NOCLDWAIT):
            autoreap = True
    if sig > 0:
        code = (CLD_DUMPED if status & 0x80 else CLD_KILLED) if status & 0x7F else CLD_EXITED
        info = SigInfo(sig, code, pid=kernel.vpid(parent, task), uid=task.creds.uid,
                       status=status & 0x7F if status & 0x7F else (status >> 8) & 0xFF, kind="chld")
        kernel.signals.send(parent, sig, group=True, info=info)
    kernel.child_exited(parent, task)
    return autoreap


def release_task(kernel: Kernel, task: Task) -> None:
    """release_task: forget a dead task (its tracer's link, its pid, its place in the group and in its
    parent's children); the last thread of a group whose leader is a zombie announces the leader."""
    task.set_exit_state(EXIT_ZOMBIE, EXIT_DEAD)
    ptrace_unlink(task)
    tg = task.tg
    parent = task.real_parent
    if parent is not None and task in parent.children and tg.leader is task:
        parent.children.remove(task)
    if task is not tg.leader:
        tg.tasks.remove(task)
    elif tg.live == 0 and len(tg.tasks) <= 1:
        tg.tasks.remove(task)
    kernel.forget_task(task)
    notify_pidfds(kernel, task)
    if tg.execing is not None:
        kernel.sched.wake(tg.execing)  # de_thread waits for the threads a tracer held
    leader = tg.leader
    if leader is not task and leader.exit_state == EXIT_ZOMBIE and thread_group_empty(tg):
        if do_notify_parent(kernel, leader, leader.exit_signal):
            release_task(kernel, leader)


def notify_pidfds(kernel: Kernel, task: Task) -> None:
    """Wake pidfd pollers: the process exited, or was reaped."""

    notify_exit(kernel, task)
