"""ThreadGroup (Linux signal_struct): the tgid is first-class, the leader may be dead.

Holds what the threads of one process share: the thread list, group exit state, the shared pending
signals, resource limits, process group and session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .abi.resource import (
    RLIM_INFINITY,
    RLIM_NLIMITS,
    RLIMIT_CORE,
    RLIMIT_MEMLOCK,
    RLIMIT_MSGQUEUE,
    RLIMIT_NICE,
    RLIMIT_NOFILE,
    RLIMIT_NPROC,
    RLIMIT_RTPRIO,
    RLIMIT_SIGPENDING,
    RLIMIT_STACK,
)
from .signal.pending import SigPending

if TYPE_CHECKING:
    from .pidns import Pid
    from .task import Task

# Linux's defaults for init's children (include/asm-generic/resource.h INIT_RLIMITS)


def default_rlimits() -> list[list[int]]:
    """Soft/hard pairs as a login shell typically sees them (include/asm-generic/resource.h INIT_RLIMITS)."""
    inf = RLIM_INFINITY
    r = [[inf, inf] for _ in range(RLIM_NLIMITS)]
    r[RLIMIT_STACK] = [8 * 1024 * 1024, inf]
    r[RLIMIT_CORE] = [0, inf]
    r[RLIMIT_NPROC] = [4096, 4096]
    r[RLIMIT_NOFILE] = [1024, 1024 * 1024]
    r[RLIMIT_MEMLOCK] = [8 * 1024 * 1024, 8 * 1024 * 1024]
    r[RLIMIT_SIGPENDING] = [4096, 4096]
    r[RLIMIT_MSGQUEUE] = [819200, 819200]
    r[RLIMIT_NICE] = [0, 0]  # INIT_RLIMITS: no nice below 0 (and no RT priority) without CAP_SYS_NICE
    r[RLIMIT_RTPRIO] = [0, 0]
    return r


class ThreadGroup:
    """signal_struct."""

    __slots__ = ("pid", "tgid", "leader", "tasks", "live", "group_exit", "group_exit_code", "execing", "shared", "unkillable", "stop_pending", "stop_signal", "stopped", "stop_code", "stop_reported", "continued", "rlimits", "pgid", "sid", "child_subreaper", "has_child_subreaper", "exit_status_for_wait", "cgroup", "did_exec", "cred_guard_wait", "wait_chldexit", "signalfd_wait", "itimer_real", "cpu_itimers", "posix_timers", "__weakref__")

    def __init__(self, pid: Pid, leader: Task) -> None:
        self.pid = pid  # the tgid's Pid
        self.tgid = pid.numbers[0]
        self.leader = leader
        self.tasks: list[Task] = [leader]
        self.live = 1  # threads not yet zombie (signal_struct.live)
        self.group_exit = False  # SIGNAL_GROUP_EXIT
        self.group_exit_code = 0
        self.execing: Task | None = None  # group_exit_task during de_thread (which holds cred_guard_mutex)
        self.cred_guard_wait = None  # WaitQueue of tracers whose PTRACE_ATTACH waits for that exec
        self.shared = SigPending()  # shared_pending
        self.unkillable = False  # SIGNAL_UNKILLABLE: a pid namespace's init
        self.stop_pending = 0  # a group stop in progress (its signal)
        self.stop_signal = 0  # the signal of the last group stop (each thread's JOBCTL_STOP_SIGMASK)
        self.stopped = False  # SIGNAL_STOP_STOPPED
        self.stop_code = 0  # the stop signal, reportable by WUNTRACED until consumed
        self.stop_reported = False
        self.continued = False  # SIGNAL_STOP_CONTINUED, reportable by WCONTINUED
        self.rlimits = default_rlimits()
        self.pgid = self.tgid
        self.sid = self.tgid
        self.child_subreaper = False
        self.has_child_subreaper = False
        self.exit_status_for_wait = None
        self.cgroup = None  # the process's cgroup (emukernel.cgroup.Cgroup); None: the root cgroup
        self.did_exec = False  # the leader exec'd since fork (setpgid's EACCES, /proc's start data)
        self.wait_chldexit = None  # WaitQueue of this group's threads blocked in wait (made on first use)
        self.signalfd_wait = None  # wait head of signalfd readers (emukernel.fs.signalfd), made on first use
        self.itimer_real = None  # ITIMER_REAL / alarm (made on first use)
        self.cpu_itimers: dict = {}  # ITIMER_VIRTUAL / ITIMER_PROF: which -> (remaining, interval)
        self.posix_timers: dict = {}  # timer_create's timers by id

    def orphaned_pgrp(self) -> bool:
        """is_current_pgrp_orphaned: no member has a parent in another group of the same session."""
        return False

    def end_exec(self, kernel) -> None:
        """The exec that de_thread was waiting in is over (done, or its task died): cred_guard_mutex is
        free again for the tracers waiting to attach."""
        self.execing = None
        q = self.cred_guard_wait
        if q is not None:
            self.cred_guard_wait = None
            kernel.sched.wake_all(q)

    def living_threads(self) -> list[Task]:
        return [t for t in self.tasks if t.alive]


def task_rlimit(task: Task, resource: int) -> int:
    """task_rlimit: the soft limit of resource for task's process."""
    return task.tg.rlimits[resource][0]
