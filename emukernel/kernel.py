"""Kernel: boots the root pid namespace and init, owns the task set, the clock, the VFS and the scheduler."""

from __future__ import annotations

import os
import random
import sys
from typing import TYPE_CHECKING, TextIO

from . import exit as _exit
from .abi import errno as E
from .abi import signal as S
from .clock import Clock
from .clone import copy_process
from .creds import host_creds
from .entry import SyscallEntry
from .errors import Errno
from .exec.execve import do_execve
from .fs.hostfd import HostFdFile
from .fs.pidfd import PidFd
from .fs.proc import mount_proc_and_cgroup
from .fs.vfs import Vfs
from .futex import Futexes
from .pidns import PidNamespace
from .sched import Scheduler, format_exception
from .signal.signals import Signals
from .syscalls import load_all
from .syscalls.table import syscall_name
from .task import EXIT_EXITING, EXIT_NONE, EXIT_ZOMBIE, Task
from .threadgroup import ThreadGroup
from .trace import Tracer
from .trace.events import KernelEvents

if TYPE_CHECKING:
    from collections.abc import Sequence

DEADLOCK_STATUS = S.SIGKILL  # tasks of a deadlocked guest are killed


class Kernel:
    """One emulated Linux system: `spawn` programs into it, then `run` it until every task is gone."""

    __slots__ = (
        "force_slow_entry",
        "deadlocked",
        "procfs",
        "cgroupfs",
        "cgroups",
        "pipefs",
        "pidfs",
        "hostname",
        "domainname",
        "quiet",
        "errstream",
        "clock",
        "rng",
        "events",
        "host_root",
        "vfs",
        "pidns",
        "tasks",
        "sched",
        "entry",
        "signals",
        "futexes",
        "_reported",
        "dead_mms",
        "held_pids",
        "statuses",
        "init",
        "__weakref__",
    )

    def __init__(self, *, root: str | None = None, binds: Sequence[tuple[str, str, bool]] = (),
                 stdio: tuple[int, int, int] = (0, 1, 2), seed: int = 0, realtime: bool = False,
                 quiet: bool = False, trace: TextIO | None = None, errstream: TextIO | None = None,
                 slow_entry: bool | None = None) -> None:

        load_all()
        # every syscall of every task through the slow path (a test mode: EMUKERNEL_SLOW_ENTRY=1); tracing
        # takes it too, since the tracer is fed by the slow path's exit work
        if slow_entry is None:
            slow_entry = os.environ.get("EMUKERNEL_SLOW_ENTRY", "") not in ("", "0")
        self.force_slow_entry = bool(slow_entry) or trace is not None
        self.deadlocked = False
        # filesystem instances the mounts and fds of this kernel share, made on first use
        self.procfs = None
        self.cgroupfs = None
        self.cgroups = None  # the cgroup hierarchy (emukernel.cgroup)
        self.pipefs = None
        self.pidfs = None
        self.hostname = b"emukernel"
        self.domainname = b"(none)"
        self.quiet = quiet
        self.errstream = errstream or sys.stderr
        self.clock = Clock(realtime)
        self.rng = random.Random(seed)
        self.events: KernelEvents | None = None  # who the kernel tells what happens (trace/events.py)
        if trace is not None:
            self.events = Tracer(trace)
        self.host_root = root
        self.vfs = Vfs(root=root, binds=binds, stdio=stdio, clock=self.clock, random_bytes=self.random_bytes)
        self.vfs.kernel = self  # FIFOs opened in it are pipes of this kernel
        mount_proc_and_cgroup(self)
        self.pidns = PidNamespace()
        self.tasks: dict[int, Task] = {}
        self.sched = Scheduler(self, seed)
        self.entry = SyscallEntry(self)
        self.signals = Signals(self)
        self.futexes = Futexes(self)
        self._reported: set = set()
        self.dead_mms: list = []
        self.held_pids: list = []  # pids of dead tasks still naming a process group or session
        self.statuses: dict[int, int] = {}  # tgid -> wait status, for processes reaped by init
        self.init = self._boot_init()

    # -- boot ----------------------------------------------------------------------------------------
    def _boot_init(self) -> Task:
        """The kernel's init (pid 1): a kernel task that reaps whatever is reparented to it."""
        pid = self.pidns.alloc_pid()
        init = Task(self, pid.numbers[0])
        init.pid = pid
        pid.tasks.append(init)
        init.kthread = True
        init.comm = b"init"
        init.tg = ThreadGroup(pid, init)
        init.tg.unkillable = True
        init.creds = host_creds()  # ids, groups, capability sets and securebits of the host process
        init.fs = self.vfs.new_fs_context(self._initial_cwd())
        init.files = self.vfs.new_stdio_table()
        init.files.users = 1
        self.pidns.child_reaper = init
        self.tasks[init.tid] = init
        return init

    def _initial_cwd(self) -> str:
        """Where the first programs start: with a host root, the directory emukernel was started in when the
        guest can see it (as a shell's child would start there), else /; the private root starts at /."""
        if self.host_root is None:
            return "/"
        try:
            here = os.getcwd()
        except OSError:  # the host cwd was removed
            return "/"
        return self.vfs.guest_path_of_host_dir(here) or "/"

    def spawn(self, argv: Sequence[str | bytes], env: dict[str, str] | Sequence[str] | None = None,
              path: str | bytes | None = None, *, stdin=None, stdout=None, stderr=None) -> Task:
        """fork from init and execve argv (path defaults to argv[0]); raises ExecFormatError or Errno.

        stdin/stdout/stderr: host descriptors (ints or objects with fileno()) for the new process's fds
        0-2, instead of the kernel's stdio."""

        def b(s: str | bytes) -> bytes:
            return s if isinstance(s, bytes) else os.fsencode(s)

        bargv = [b(a) for a in argv]
        if env is None:
            env = {}
        benv = [b(f"{k}={v}") for k, v in env.items()] if isinstance(env, dict) else [b(e) for e in env]
        task = copy_process(self, self.init, 0)
        for fd, host in enumerate((stdin, stdout, stderr)):
            if host is not None:

                hfd = host if isinstance(host, int) else host.fileno()
                if task.files.lookup(fd) is not None:
                    task.files.close(fd)
                task.files.install_at(fd, HostFdFile(hfd))
        try:
            do_execve(task, b(path if path is not None else argv[0]), bargv, benv)
        except BaseException:
            self._discard(task)
            raise
        self.sched.enqueue(task)
        return task

    def _discard(self, task: Task) -> None:
        """Undo a spawn whose exec failed: the child never ran."""
        task.set_exit_state(EXIT_NONE, EXIT_EXITING)  # a zombie without a parent notification
        task.set_exit_state(EXIT_EXITING, EXIT_ZOMBIE)
        task.files.users -= 1
        if task.files.users == 0:
            task.files.close_all()
        task.tg.live = 0
        _exit.release_task(self, task)

    def run(self) -> None:
        """Run until every guest task has exited."""
        self.sched.run()

    # -- task set ------------------------------------------------------------------------------------
    # -- pid namespace views (task_pid_nr_ns, find_task_by_vpid) -----------------------------------------
    @staticmethod
    def vpid(viewer: Task, task: Task) -> int:
        """task's tid as the viewer's pid namespace numbers it (0 when invisible)."""
        return task.pid.nr_in(viewer.pid.ns) if task.pid is not None else 0

    @staticmethod
    def vtgid(viewer: Task, task: Task) -> int:
        """task's tgid as seen from the viewer's pid namespace (0 when invisible)."""
        return task.tg.pid.nr_in(viewer.pid.ns)

    @staticmethod
    def find_task(viewer: Task, nr: int) -> Task | None:
        """find_task_by_vpid: the task numbered nr in the viewer's namespace."""
        if nr <= 0:
            return None
        pid = viewer.pid.ns.find(nr)
        if pid is None or not pid.tasks:
            return None
        return pid.tasks[0]

    def vpgid(self, viewer: Task, root_nr: int) -> int:
        """A process-group or session id (kept as a root-namespace number) in the viewer's namespace."""
        pid = self.pidns.find(root_nr)
        return pid.nr_in(viewer.pid.ns) if pid is not None else 0

    def live_tasks(self) -> list[Task]:
        return [t for t in self.tasks.values() if t.alive and not t.kthread]

    def forget_task(self, task: Task) -> None:
        self.tasks.pop(task.tid, None)
        if task.pid is not None:
            if task in task.pid.tasks:
                task.pid.tasks.remove(task)
            if not task.pid.tasks:
                if self._pgrp_in_use(task.pid.numbers[0]):
                    self.held_pids.append(task.pid)  # freed once no group or session uses the number
                else:
                    self.pidns.free_pid(task.pid)
            if self.held_pids:
                for pid in [p for p in self.held_pids if not p.tasks and not self._pgrp_in_use(p.numbers[0])]:
                    self.held_pids.remove(pid)
                    self.pidns.free_pid(pid)
            ns = task.pid.ns
            while ns is not None:  # an exiting namespace init may be waiting for this one to go
                if ns.zap_wait is not None:
                    ns.zap_wait()
                ns = ns.parent

    def _pgrp_in_use(self, root_nr: int) -> bool:
        """A pid stays allocated while it names a live process group or session (struct pid refcount)."""
        return any(t.tg.live and (t.tg.pgid == root_nr or t.tg.sid == root_nr) for t in self.tasks.values())

    def reaped(self, leader: Task, status: int) -> None:
        """init reaped a process: keep its status for whoever spawned it."""
        self.statuses[leader.tgid] = status

    def child_exited(self, parent: Task, child: Task) -> None:
        """A child of parent became waitable: wake the waiters (the wait issue adds wait queues)."""
        q = parent.tg.wait_chldexit
        if q is not None:
            self.sched.wake_all(q)

    def do_exit(self, task: Task, status: int) -> None:
        _exit.do_exit(self, task, status)

    def do_group_exit(self, task: Task, status: int) -> None:
        _exit.do_group_exit(self, task, status)

    def exit_task(self, task: Task, status: int) -> None:
        _exit.exit_task(self, task, status)

    def release_mm(self, mm) -> None:
        """exit_mmap, deferred until emulation has stopped: the CPU may be inside its syscall hook."""
        self.dead_mms.append(mm)

    def reap_mms(self) -> None:
        while self.dead_mms:
            self.dead_mms.pop().release()

    def futex_wake_addr(self, task: Task, addr: int) -> None:
        """Wake one waiter on the futex word at addr (CLONE_CHILD_CLEARTID at thread exit)."""
        try:
            self.futexes.wake(task, addr, 1)
        except Errno:
            pass

    def release_vfork(self, task: Task) -> None:
        """The vfork child exec'd or exited: its parent may run again (mm_release's complete_vfork_done)."""
        q = task.vfork_done
        if q is not None:
            task.vfork_done = None
            self.sched.wake_all(q)

    def make_pidfd(self, task: Task, target: Task) -> int:
        """A pidfd for target in task's fd table (CLOEXEC), as CLONE_PIDFD and pidfd_open give."""
        return task.files.install(PidFd(self, target), cloexec=True)

    # -- services ------------------------------------------------------------------------------------
    def random_bytes(self, n: int) -> bytes:
        """Deterministic randomness for AT_RANDOM, getrandom and /dev/urandom (seeded by --seed)."""
        return self.rng.randbytes(n)

    def report(self, text: str) -> None:
        print(f"emukernel: {text}", file=self.errstream, flush=True)

    def report_once(self, key: object, text: str) -> None:
        if key not in self._reported:
            self._reported.add(key)
            if not self.quiet:
                self.report(text)

    def unimplemented(self, task: Task, nr: int) -> int:
        self.report_once(("nosys", nr), f"unimplemented syscall {syscall_name(nr)} ({nr})")
        return -E.ENOSYS

    def kernel_bug(self, task: Task, where: str, exc: BaseException) -> None:
        """A bug in this kernel hit by a guest: report it with the traceback, kill the process with SIGSYS."""
        self.report(f"kernel bug in task {task.tid} ({task.comm.decode(errors='replace')}) during {where}:\n"
                    + format_exception(exc).rstrip())
        if task.alive:
            self.do_group_exit(task, S.SIGSYS)

    def report_deadlock(self) -> None:
        """Every task is blocked and no timer can wake one: say who waits on what, then kill them all."""
        lines = ["guest deadlock: every task is blocked and no timer is pending"]
        for t in sorted(self.live_tasks(), key=lambda t: t.tid):
            what = t.blocked_on.what if t.blocked_on is not None else t.state
            lines.append(f"  task {t.tid} ({t.comm.decode(errors='replace')}) waits on {what}")
        self.report("\n".join(lines))
        self.deadlocked = True
        for t in self.live_tasks():
            if t.alive:
                self.do_group_exit(t, DEADLOCK_STATUS)
