"""/proc/PID/fd and /proc/PID/fdinfo (Linux fs/proc/fd.c): a magic link per open fd, leading to the open file
itself, and the fdinfo text (pos, flags, mnt_id, ino and the file's own ->show_fdinfo lines).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...abi import errno as E
from ...abi.fcntl import O_CLOEXEC
from ...errors import Errno
from ..file import FMODE_READ, FMODE_WRITE, File
from ..inode import Inode
from ..mount import Path
from ..permission import generic_permission
from ..pseudo import LinkInode, PseudoDir, PseudoSuperBlock, SeqInode, current_task
from .internal import (
    file_name,
    file_stat,
    name_to_int,
    ptrace_may_read,
    task_dump_owner,
    task_released,
    viewer_root,
)

if TYPE_CHECKING:
    from ...task import Task

class FdLinkInode(LinkInode):
    """/proc/PID/fd/N: lstat shows a size of 64 (Linux proc_fd_instantiate sets i_size = 64)."""

    __slots__ = ()

    def size(self) -> int:
        return 64


class FdDir(PseudoDir):
    """/proc/PID/fd: a symlink per open fd, named after the file (dr-x------, the task's owner only)."""

    __slots__ = ("task",)

    def __init__(
        self, sb: PseudoSuperBlock, task: Task, thread: bool, kind: str = "fd", mode: int = 0o500
    ) -> None:
        uid, gid = task_dump_owner(task)
        super().__init__(sb, (kind, task, thread), mode, uid, gid, anchor=task)
        self.task = task

    def is_dead(self) -> bool:
        return task_released(self.task)

    def i_permission(self, creds: Any, mask: int) -> None:
        """proc_fd_permission: the mode's answer, or yes for a thread of the task's own process."""
        try:
            generic_permission(creds, self, mask)
        except Errno:
            if current_task(self.sb.kernel).tg is not self.task.tg:
                raise

    def size(self) -> int:
        files = self.task.files
        return len(files) if files is not None else 0

    def _fd_inode(self, fd: int, f: File) -> Inode:
        task = self.task
        uid, gid = task_dump_owner(task)
        mode = 0
        if f.f_mode & FMODE_READ:
            mode |= 0o500
        if f.f_mode & FMODE_WRITE:
            mode |= 0o300
        files = task.files

        def current_file() -> File:
            cur = files.lookup(fd) if files is not None and task.files is files else None
            if cur is None or task_released(task):
                raise Errno(E.ENOENT)
            return cur

        def body(viewer: Task) -> bytes:
            return file_name(current_file(), viewer_root(viewer))

        def jump(viewer: Task) -> Path | None:
            # Linux: fs/proc/fd.c proc_fd_link: the file's own path, or where a file opened without a name is
            cur = current_file()
            if cur.path is not None:
                return cur.path
            return viewer.kernel.vfs.object_path(cur, file_name(cur, viewer_root(viewer)))

        return FdLinkInode(self.sb, ("fdlink", task, fd, id(f)), body, jump, mode, uid, gid, anchor=task)

    def entries(self, viewer: Task) -> list[tuple[int, bytes, Inode]]:
        files = self.task.files
        if files is None:
            return []
        return [(2 + fd, str(fd).encode(), self._fd_inode(fd, f)) for fd, f in files.items()]

    def lookup(self, name: bytes) -> Inode | None:
        fd = name_to_int(name)
        files = self.task.files
        if fd is None or files is None or self.is_dead():
            return self.miss()
        f = files.lookup(fd)
        return self._fd_inode(fd, f) if f is not None else self.miss()


class FdInfoDir(FdDir):
    """/proc/PID/fdinfo: pos, flags, mnt_id, ino (and the file's own lines) of each open fd."""

    __slots__ = ()

    def __init__(self, sb: PseudoSuperBlock, task: Task, thread: bool) -> None:
        super().__init__(sb, task, thread, "fdinfo", 0o555)

    def i_permission(self, creds: Any, mask: int) -> None:
        """proc_fdinfo_permission: only who may ptrace-read the task, then the mode."""
        if not ptrace_may_read(current_task(self.sb.kernel), self.task):
            raise Errno(E.EACCES)
        generic_permission(creds, self, mask)

    def size(self) -> int:
        return 0

    def _fd_inode(self, fd: int, f: File) -> Inode:
        task = self.task
        files = task.files
        uid, gid = task_dump_owner(task)

        def show(viewer: Task) -> bytes:
            cur = files.lookup(fd) if files is not None and task.files is files else None
            if cur is None or task_released(task):
                raise Errno(E.ENOENT)
            return fdinfo_text(viewer, cur, files.get_cloexec(fd))

        return SeqInode(self.sb, ("fdinfo", task, fd, id(f)), 0o444, show, None, uid, gid, anchor=task)


def fdinfo_text(viewer: Task, f: File, cloexec: bool) -> bytes:
    """/proc/PID/fdinfo/N (Linux fs/proc/fd.c seq_show) plus the file's own lines (->show_fdinfo)."""
    flags = f.flags | (O_CLOEXEC if cloexec else 0)
    mnt_id = f.path.mnt.mnt_id if f.path is not None else 0
    st = file_stat(f)
    text = f"pos:\t{f.pos}\nflags:\t0{flags:o}\nmnt_id:\t{mnt_id}\nino:\t{st.ino if st is not None else 0}\n"
    lines_fn = getattr(f, "fdinfo_lines", None)
    if lines_fn is not None:
        extra = lines_fn(viewer)
        if isinstance(extra, bytes):
            extra = extra.decode("latin-1")
        if isinstance(extra, str):
            text += extra if not extra or extra.endswith("\n") else extra + "\n"
        else:
            text += "".join(line if line.endswith("\n") else line + "\n" for line in extra)
    return text.encode("latin-1")
