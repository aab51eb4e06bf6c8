"""What the /proc files share, as Linux's fs/proc/internal.h (and name_to_int of fs/proc/util.c) does: pid
numbers as /proc's pid namespace gives them (`ProcView`, Linux proc_pid_ns(sb)), whether a task's entries
are gone (`task_released`, pid_revalidate), who owns them (`task_dump_owner`), how a pid name is parsed
(`name_to_int`), the ptrace read check, and the name /proc shows for an open file (`file_name`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ...mm import SUID_DUMP_USER
from ...ptrace import PTRACE_MODE_READ_FSCREDS, ptrace_may_access
from ..fscontext import d_path
from ..mount import Path
from ..stat import Kstat

if TYPE_CHECKING:
    from ...pidns import PidNamespace
    from ...task import Task
    from .root import ProcSuperBlock

USER_HZ = 100  # clock ticks of /proc/PID/stat (Linux USER_HZ)
EXIT_NONE, EXIT_ZOMBIE, EXIT_DEAD = 0, 2, 3
RLIM_INFINITY = 0xFFFFFFFFFFFFFFFF


def task_released(task: Task) -> bool:
    """The task was reaped: its /proc entries are gone (Linux pid_revalidate fails)."""
    return task.exit_state == EXIT_DEAD or task.pid is None


def task_dump_owner(task: Task, dir_0555: bool = False) -> tuple[int, int]:
    """task_dump_owner: who owns a task's /proc files.  The task's effective ids; except, for any file but the
    world-readable directories (dir_0555: /proc/PID, its task/ and task/TID), root when the task is a kernel
    thread, has no mm, or its mm is not dumpable."""
    if task.kthread:
        return 0, 0
    if not dir_0555 and (task.mm is None or task.mm.dumpable != SUID_DUMP_USER):
        return 0, 0
    return task.creds.euid, task.creds.egid


def name_to_int(name: bytes) -> int | None:
    """Linux name_to_int: decimal digits without a leading zero."""
    if not name or not name.isdigit() or (len(name) > 1 and name[:1] == b"0") or len(name) > 10:
        return None
    v = int(name)
    return v if v < 1 << 31 else None


class ProcView:
    """The numbers /proc shows for one kernel: pids as its superblock's pid namespace gives them."""

    def __init__(self, kernel: Any, sb: ProcSuperBlock | None = None) -> None:
        self.kernel = kernel
        self.sb = sb

    @property
    def pid_ns(self) -> PidNamespace:
        return self.sb.pid_ns if self.sb is not None else self.kernel.pidns

    # -- numbers as /proc's pid namespace gives them (Linux proc_pid_ns(sb), whoever reads) --------------
    def vpid(self, viewer: Task, task: Task) -> int:
        return task.pid.nr_in(self.pid_ns) if task.pid is not None else 0

    def vtgid(self, viewer: Task, task: Task) -> int:
        return task.tg.pid.nr_in(self.pid_ns)

    def vroot_nr(self, viewer: Task, root_nr: int) -> int:
        """A process group or session id (a root-namespace number) in /proc's namespace."""
        pid = self.kernel.pidns.find(root_nr)
        return pid.nr_in(self.pid_ns) if pid is not None else 0

    def find_task(self, nr: int) -> Task | None:
        """find_task_by_pid_ns(nr, proc_pid_ns(sb))."""
        pid = self.pid_ns.find(nr) if nr > 0 else None
        return pid.tasks[0] if pid is not None and pid.tasks else None

    def ppid(self, viewer: Task, task: Task) -> int:
        parent = task.real_parent
        if parent is None or task_released(task):
            return 0
        return self.vtgid(viewer, parent)

    def tracer_pid(self, viewer: Task, task: Task) -> int:
        tracer = task.ptrace.tracer if task.ptrace is not None else None
        return self.vpid(viewer, tracer) if tracer is not None else 0


def ptrace_may_read(viewer: Task, task: Task) -> bool:
    """ptrace_may_access(task, PTRACE_MODE_READ_FSCREDS), as /proc's files ask it."""
    return ptrace_may_access(viewer, task, PTRACE_MODE_READ_FSCREDS)


def viewer_root(viewer: Task) -> Path:
    if viewer.fs is not None:
        return viewer.fs.root
    return viewer.kernel.vfs.root_path


def file_stat(f: Any) -> Kstat | None:
    if f is None:
        return None
    try:
        return f.stat()
    except Exception:  # a host file gone away, a file kind without attributes
        return None


def file_name(f: Any, root: Path) -> bytes:
    """The name /proc shows for an open file: its path from the reader's root, or its pseudo name."""
    # Linux: fs/d_path.c d_path (" (deleted)" for an unlinked file) and the ->d_dname of pseudo files
    path = getattr(f, "path", None)
    if path is not None:
        if getattr(path.mnt.sb, "d_dname", False) and path.dentry is not path.mnt.root:
            return path.dentry.name  # Linux d_path: a pseudo filesystem names its files itself (->d_dname)
        name = d_path(path, root)
        d = path.dentry
        if d is not path.mnt.root and (d.deleted or d.inode.is_dead()):
            name += b" (deleted)"
        return name
    fn = getattr(f, "fdinfo_name", None)
    if fn is not None:
        n = fn()
        return n.encode() if isinstance(n, str) else bytes(n)
    hfd = getattr(f, "hfd", None)
    if hfd is not None:  # a host stdio stream: the host's name for it
        try:
            return os.fsencode(os.readlink(f"/proc/self/fd/{hfd}"))
        except OSError:
            return b"pipe:[0]"
    kind = type(f).__name__
    if kind == "PidFd":
        return b"anon_inode:[pidfd]"
    return f"anon_inode:[{kind.lower()}]".encode()
