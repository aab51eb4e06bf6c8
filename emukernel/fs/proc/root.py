"""The /proc directory and the proc superblock (Linux fs/proc/root.c, with fs/proc/self.c and
fs/proc/thread_self.c): `ProcSuperBlock` is one mounted procfs bound to a pid namespace (proc_fill_super),
`ProcRoot` lists the system-wide files, the `self` and `thread-self` links and a directory per thread-group
leader, and mounting /proc (with the cgroup2 hierarchy next to it at boot: `mount_proc_and_cgroup`) is here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...abi import errno as E
from ...errors import Errno
from ..cgroupfs import mount_cgroupfs
from ..inode import Dentry, Inode
from ..mount import Mount
from ..nsfs import NsfsSuperBlock
from ..pseudo import LinkInode, PseudoDir, PseudoSuperBlock, SeqInode, static_entries
from .base import PidDir
from .internal import ProcView, name_to_int, task_released
from .meminfo import proc_meminfo
from .proc_sysctl import SYSCTL_TREE, SysDir
from .stat import proc_loadavg, proc_stat, proc_uptime
from .version import PROC_FILESYSTEMS, proc_cpuinfo, proc_version

if TYPE_CHECKING:
    from ...pidns import PidNamespace
    from ...task import Task

PROC_ROOT_INO = 1
PROC_SELF_INO = 0xF0000000  # Linux: fs/proc/self.c self_inum, the first dynamic proc inode
PROC_THREAD_SELF_INO = 0xF0000001
FIRST_PROCESS_ENTRY = 256  # Linux: fs/proc/base.c, readdir cursors of pids start here


class ProcSuperBlock(PseudoSuperBlock):
    """The proc filesystem of one kernel."""

    __slots__ = ("view", "nsfs", "root", "_pid_ns")

    def __init__(self, kernel: Any, dev: int, now: Callable[[], int],
                 pid_ns: PidNamespace | None = None) -> None:
        super().__init__("proc", dev, kernel, now)
        self._pid_ns = pid_ns
        self.view = ProcView(kernel, self)
        self.nsfs = NsfsSuperBlock(kernel, now)
        self.root = ProcRoot(self)

    @property
    def pid_ns(self) -> PidNamespace:
        """proc_fill_super: the mounter's active pid namespace; the kernel mounts /proc at boot, from the root."""
        return self._pid_ns if self._pid_ns is not None else self.kernel.pidns


class ProcRoot(PseudoDir):
    """/proc: the fixed entries (Linux's order: by length, then name), self, thread-self, then the pids."""

    __slots__ = ()

    def __init__(self, sb: ProcSuperBlock) -> None:
        super().__init__(sb, ("root",), 0o555, ino=PROC_ROOT_INO)

    def _fixed(self) -> list[tuple[bytes, Inode]]:
        sb: ProcSuperBlock = self.sb  # type: ignore[assignment]
        k = sb.kernel
        return [
            (b"sys", SysDir(sb, ("sys",), SYSCTL_TREE)),
            (b"stat", SeqInode(sb, ("stat",), 0o444, lambda v: proc_stat(k))),
            (b"mounts", LinkInode(sb, ("mounts",), lambda v: b"self/mounts")),
            (b"uptime", SeqInode(sb, ("uptime",), 0o444, lambda v: proc_uptime(k))),
            (b"cpuinfo", SeqInode(sb, ("cpuinfo",), 0o444, lambda v: proc_cpuinfo())),
            (b"loadavg", SeqInode(sb, ("loadavg",), 0o444, lambda v: proc_loadavg(k, v))),
            (b"meminfo", SeqInode(sb, ("meminfo",), 0o444, lambda v: proc_meminfo(k))),
            (b"version", SeqInode(sb, ("version",), 0o444, lambda v: proc_version())),
            (b"filesystems", SeqInode(sb, ("filesystems",), 0o444, lambda v: PROC_FILESYSTEMS)),
        ]

    def _self_links(self) -> list[tuple[bytes, Inode]]:
        sb: ProcSuperBlock = self.sb  # type: ignore[assignment]
        view = sb.view

        def self_body(v: Task) -> bytes:
            nr = view.vtgid(v, v)
            if not nr:
                raise Errno(E.ENOENT)
            return str(nr).encode()

        def thread_self_body(v: Task) -> bytes:
            tgid, tid = view.vtgid(v, v), view.vpid(v, v)
            if not tid:
                raise Errno(E.ENOENT)
            return f"{tgid}/task/{tid}".encode()

        return [
            (b"self", LinkInode(sb, ("self",), self_body, ino=PROC_SELF_INO)),
            (b"thread-self", LinkInode(sb, ("thread-self",), thread_self_body, ino=PROC_THREAD_SELF_INO)),
        ]

    def entries(self, viewer: Task) -> list[tuple[int, bytes, Inode]]:
        fixed = self._fixed() + self._self_links()
        out = static_entries(fixed)
        ns = self.sb.pid_ns  # type: ignore[attr-defined]
        leaders = []
        for nr, pid in ns.pids.items():
            if pid is None or not pid.tasks:
                continue
            t = pid.tasks[0]
            if t.tg.pid is pid and not task_released(t):  # thread-group leaders only (next_tgid)
                leaders.append((nr, t))
        for nr, t in sorted(leaders, key=lambda x: x[0]):
            out.append((FIRST_PROCESS_ENTRY + nr, str(nr).encode(), PidDir(self.sb, t, thread=False)))
        return out

    def lookup(self, name: bytes) -> Inode | None:
        for n, inode in self._fixed() + self._self_links():
            if n == name:
                return inode
        nr = name_to_int(name)
        if nr is None:
            return self.miss()
        task = self.sb.view.find_task(nr)  # type: ignore[attr-defined]
        if task is None or task_released(task):
            return self.miss()
        return PidDir(self.sb, task, thread=False)


# -- mounting ----------------------------------------------------------------------------------------------------
def make_procfs(kernel: Any, dev: int, now: Callable[[], int]) -> ProcSuperBlock:
    return ProcSuperBlock(kernel, dev, now)


def mount_procfs(kernel: Any, where: str = "/proc") -> Mount | None:
    """Mount a procfs at `where` in the kernel's VFS; None when the root has no such directory to mount on."""
    vfs = kernel.vfs
    sb = make_procfs(kernel, vfs._anon_dev(), vfs.now)
    try:
        point = vfs._mountpoint(where, True)
    except ValueError:
        return None
    mnt = vfs.mounts.mount(sb, Dentry(b"", None, sb.root), point)
    kernel.procfs = sb
    return mnt


def mount_proc_and_cgroup(kernel: Any) -> None:
    """Boot: /proc and the cgroup2 hierarchy at /sys/fs/cgroup, in every guest root (a host root too)."""
    mount_procfs(kernel)
    mount_cgroupfs(kernel)
