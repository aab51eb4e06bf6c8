"""pidfd files (Linux kernel/pid.c, fs/pidfs.c): an fd that names a process, or a thread with PIDFD_THREAD.

A pidfd holds the `Pid` object (struct pid), never a number: once the process is reaped its Pid has no
task left, so the pidfd names nothing (ESRCH, POLLHUP) even when the number is given to a new process.

Exit notification: the exit code calls `notify_exit(kernel, task)` once a task has exited (and may call it
again once a process is reaped); pollers of a process pidfd wake when the whole thread group is gone
(tg.live == 0), pollers of a thread pidfd when that thread is.  waitid(P_PIDFD) asks `pidfd_wait_target` for the process and the PIDFD_NONBLOCK flag.
"""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi.fcntl import O_EXCL, O_NONBLOCK, O_RDWR
from ..errors import Errno
from .file import File
from .poll import POLLHUP, POLLIN, POLLRDNORM, WaitHead, wake_up
from .stat import Kstat, mkdev

PIDFS_DEV = mkdev(0, 17)
PIDFD_NONBLOCK = O_NONBLOCK
PIDFD_THREAD = O_EXCL


class Pidfs:
    """Per-kernel pidfs state: inode numbers and wait heads of the pids that have pidfds."""

    def __init__(self) -> None:
        self.next_ino = 1  # pidfs inode numbers start at 2 (1 is the root of a pseudo filesystem)
        self.inos: dict[Any, int] = {}
        self.heads: dict[Any, WaitHead] = {}
        self.states: dict[Any, tuple[bool, bool, bool]] = {}  # what notify_exit last saw per pid

    def ino(self, pid: Any) -> int:
        n = self.inos.get(pid)
        if n is None:
            self.next_ino += 1
            n = self.inos[pid] = self.next_ino
        return n

    def head(self, pid: Any) -> WaitHead:
        """pid->wait_pidfd."""
        h = self.heads.get(pid)
        if h is None:
            h = self.heads[pid] = WaitHead("pidfd")
        return h


def pidfs(kernel: Any) -> Pidfs:
    fs = kernel.pidfs
    if fs is None:
        fs = Pidfs()
        kernel.pidfs = fs
    return fs


def notify_exit(kernel: Any, who: Any = None) -> None:
    """Hook for the exit code (do_notify_pidfd): call it after a task exits and after a process is reaped.

    `who` (the task or thread group concerned) is informational: every pid with a pidfd whose state moved
    on (thread exited, group exited, reaped) since the last call has its pollers woken, once per change."""
    fs = kernel.pidfs
    if fs is None:
        return
    for pid, head in list(fs.heads.items()):
        state = _pid_state(pid)
        if fs.states.get(pid, (True, True, True)) != state:
            fs.states[pid] = state
            wake_up(kernel, head, POLLIN | POLLRDNORM)


def _pid_state(pid: Any) -> tuple[bool, bool, bool]:
    """What pidfd readiness depends on: the pid still has a task, that task lives, its group lives."""
    if not pid.tasks:
        return (False, False, False)
    t = pid.tasks[0]
    return (True, t.alive, bool(t.tg.live))


class PidFd(File):
    """A pidfd (F_GETFL shows O_RDWR, plus O_NONBLOCK / O_EXCL for PIDFD_NONBLOCK / PIDFD_THREAD)."""

    __slots__ = ("kernel", "pid")

    can_poll = True

    def __init__(self, kernel: Any, target: Any, flags: int = 0) -> None:
        super().__init__(None, None, O_RDWR | (flags & (PIDFD_NONBLOCK | PIDFD_THREAD)))
        self.kernel = kernel
        self.pid = target.pid if flags & PIDFD_THREAD else target.tg.pid

    # -- what it names -------------------------------------------------------------------------------------
    @property
    def thread(self) -> bool:
        return bool(self.flags & PIDFD_THREAD)

    @property
    def nonblock(self) -> bool:
        """PIDFD_NONBLOCK: waitid(P_PIDFD) without WNOHANG fails with EAGAIN instead of waiting."""
        return bool(self.flags & O_NONBLOCK)

    @property
    def task(self) -> Any:
        """pid_task(pid, PIDTYPE_PID): the task the pid is attached to, None once reaped."""
        tasks = self.pid.tasks
        return tasks[0] if tasks else None

    @property
    def tgid(self) -> int:
        """The root-namespace number of the named process while it exists, else -1 (matches no child)."""
        return self.pid.numbers[0] if self.pid.tasks else -1

    def exited(self) -> bool:
        """What POLLIN reports: the thread (PIDFD_THREAD) or the whole thread group has exited."""
        t = self.task
        if t is None:
            return True
        if self.thread:
            return not t.alive
        return not t.alive and not t.tg.live

    # -- file operations ---------------------------------------------------------------------------------
    def poll(self, task: Any, pt: Any) -> int:
        # Linux: fs/pidfs.c pidfd_poll
        if pt is not None:
            pt.wait(pidfs(self.kernel).head(self.pid))
        t = self.task
        if t is None:
            return POLLIN | POLLRDNORM | POLLHUP
        if self.exited():
            return POLLIN | POLLRDNORM
        return 0

    def fdinfo_name(self) -> str:
        return "anon_inode:[pidfd]"

    def reopen(self, flags: int, creds: Any) -> PidFd:
        # Linux: fs/pidfs.c: the pidfs inode's i_fop is pidfs_file_operations and has no ->open, so dentry_open
        # makes a pidfd of the same pid with the opener's flags (a process pidfd: O_EXCL never reaches f_flags)
        f = PidFd.__new__(PidFd)
        File.__init__(f, None, None, flags)
        f.kernel = self.kernel
        f.pid = self.pid
        return f

    def stat(self) -> Kstat:
        # Linux: fs/pidfs.c pidfs_getattr masks the file type off; mode 0700, one inode per struct pid
        return Kstat(dev=PIDFS_DEV, ino=pidfs(self.kernel).ino(self.pid), mode=0o700, nlink=1, uid=0, gid=0,
                     blksize=4096)

    def fdinfo_lines(self, viewer: Any) -> list[str]:
        """pidfd_show_fdinfo: Pid and NSpid as /proc's pid namespace numbers them (-1 once reaped).

        Linux numbers them in proc_pid_ns(the fdinfo file's superblock), the namespace /proc was mounted
        from, not the reader's: a reader in a nested namespace sees the numbers of every level from that
        of /proc down (0 where the process is invisible from /proc's namespace)."""
        pid = self.pid
        nr = -1
        ns = proc_pid_ns(self.kernel)
        if pid.tasks:
            nr = pid.nr_in(ns)
        nspid = [str(nr)]
        if nr > 0:
            nspid += [str(n) for n in pid.numbers[ns.level + 1 :]]
        return [f"Pid:\t{nr}", "NSpid:\t" + "\t".join(nspid)]


def proc_pid_ns(kernel: Any) -> Any:
    """The pid namespace of the kernel's /proc (proc_pid_ns): the one it was mounted from, at boot the root."""
    return kernel.procfs.pid_ns


def pidfd_file(task: Any, fd: int) -> PidFd:
    """pidfd_pid: the pidfd at fd; EBADF when fd is closed or not a pidfd."""
    f = task.files.lookup(fd & 0xFFFFFFFF) if fd >= 0 else None
    if f is None or f.is_path or not isinstance(f, PidFd):
        raise Errno(E.EBADF)
    return f


def pidfd_wait_target(task: Any, fd: int) -> tuple[int, bool]:
    """For waitid(P_PIDFD): (root-namespace tgid or -1 once reaped, PIDFD_NONBLOCK); EBADF as Linux.

    Linux (kernel/exit.c kernel_waitid): with PIDFD_NONBLOCK the wait gets WNOHANG, and when nothing was
    reaped and the caller did not pass WNOHANG itself, waitid fails with EAGAIN."""
    f = pidfd_file(task, fd)
    return f.tgid, f.nonblock
