"""/proc/PID/ns (Linux fs/proc/namespaces.c): magic links to the task's namespaces, leading to their nsfs
inodes (emukernel.fs.nsfs); only pid and pid_for_children exist here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...abi import errno as E
from ...errors import Errno
from ..inode import Inode
from ..mount import Path
from ..pseudo import LinkInode, PseudoDir, PseudoSuperBlock, static_entries
from .internal import task_dump_owner, task_released

if TYPE_CHECKING:
    from ...pidns import PidNamespace
    from ...task import Task
    from .root import ProcSuperBlock

class NsDir(PseudoDir):
    """/proc/PID/ns: pid and pid_for_children (dr-x--x--x)."""

    __slots__ = ("task",)

    def __init__(self, sb: PseudoSuperBlock, task: Task, thread: bool) -> None:
        uid, gid = task_dump_owner(task)
        super().__init__(sb, ("ns", task, thread), 0o511, uid, gid, anchor=task)
        self.task = task

    def is_dead(self) -> bool:
        return task_released(self.task)

    def _ns(self, which: str) -> PidNamespace:
        task = self.task
        if task_released(task) or task.pid is None:
            raise Errno(E.ENOENT)
        if which == "pid":
            return task.pid.ns
        ns = task.pid_ns_for_children
        return ns if ns is not None else task.pid.ns

    def entries(self, viewer: Task) -> list[tuple[int, bytes, Inode]]:
        sb: ProcSuperBlock = self.sb  # type: ignore[assignment]
        uid, gid = task_dump_owner(self.task)
        items = []
        for which in ("pid", "pid_for_children"):

            def body(v: Task, which: str = which) -> bytes:
                return f"pid:[{sb.nsfs.inum(self._ns(which))}]".encode()

            def jump(v: Task, which: str = which) -> Path | None:
                return sb.nsfs.path_of(self._ns(which))

            items.append((which.encode(), LinkInode(sb, ("nslink", self.task, which), body, jump, 0o777, uid,
                                                    gid, anchor=self.task)))  # fmt: skip
        return static_entries(items)
