"""The per-process directories (Linux fs/proc/base.c): /proc/PID (tgid_base_stuff) and /proc/PID/task/TID
(tid_base_stuff), with the files base.c itself shows (cmdline, environ, limits, comm, cgroup, and the cwd,
root and exe magic links); the other entries come from their own modules (array, fd, namespaces, task_mmu,
proc_namespace).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...abi import errno as E
from ...abi.fcntl import S_IFREG, SEEK_CUR, SEEK_SET
from ...cgroup import proc_cgroup_line
from ...errors import Errno, Fault
from ...ptrace import PTRACE_MODE_ATTACH_FSCREDS, ptrace_may_access
from ...vm_access import access_read, access_write
from ..file import File
from ..fscontext import d_path
from ..inode import Inode
from ..mount import Path
from ..pseudo import (
    LinkInode,
    PseudoDir,
    PseudoInode,
    PseudoSuperBlock,
    SeqInode,
    current_task,
    static_entries,
)
from .array import proc_pid_children, proc_pid_stat, proc_pid_statm, proc_pid_status
from .fd import FdDir, FdInfoDir
from .internal import (
    RLIM_INFINITY,
    ProcView,
    file_name,
    name_to_int,
    task_dump_owner,
    task_released,
    viewer_root,
)
from .namespaces import NsDir
from .proc_namespace import proc_pid_mounts
from .task_mmu import proc_pid_maps

if TYPE_CHECKING:
    from ...task import Task

def _read_mm(mm: Any, start: int, end: int) -> bytes:
    if mm is None or end <= start:
        return b""
    try:
        return mm.read(start, min(end - start, 1 << 20))
    except (Fault, Errno):
        return b""


def proc_pid_cmdline(task: Task) -> bytes:
    # Linux: fs/proc/base.c get_mm_cmdline (with the setproctitle special case)
    mm = task.mm
    if mm is None or not mm.arg_end:
        return b""
    arg_start, arg_end, env_start, env_end = mm.arg_start, mm.arg_end, mm.env_start, mm.env_end
    if env_start != arg_end or env_end < env_start:
        env_start = env_end = arg_end
    last = _read_mm(mm, arg_end - 1, arg_end)
    if last and last != b"\0":
        data = _read_mm(mm, arg_start, env_end)
        nul = data.find(b"\0")
        return data[: nul + 1] if nul >= 0 else data
    return _read_mm(mm, arg_start, arg_end)


def proc_pid_environ(task: Task) -> bytes:
    mm = task.mm
    return _read_mm(mm, mm.env_start, mm.env_end) if mm is not None else b""


def proc_pid_limits(task: Task) -> bytes:
    # Linux: fs/proc/base.c proc_pid_limits
    names = [("Max cpu time", "seconds"), ("Max file size", "bytes"), ("Max data size", "bytes"),
             ("Max stack size", "bytes"), ("Max core file size", "bytes"), ("Max resident set", "bytes"),
             ("Max processes", "processes"), ("Max open files", "files"), ("Max locked memory", "bytes"),
             ("Max address space", "bytes"), ("Max file locks", "locks"), ("Max pending signals", "signals"),
             ("Max msgqueue size", "bytes"), ("Max nice priority", ""), ("Max realtime priority", ""),
             ("Max realtime timeout", "us")]  # fmt: skip
    out = [f"{'Limit':<25} {'Soft Limit':<20} {'Hard Limit':<20} {'Units':<10}\n"]
    for (name, unit), (soft, hard) in zip(names, task.tg.rlimits, strict=False):
        s = "unlimited" if soft == RLIM_INFINITY else str(soft)
        h = "unlimited" if hard == RLIM_INFINITY else str(hard)
        out.append(f"{name:<25} {s:<20} {h:<20} " + (f"{unit:<10}" if unit else "") + "\n")
    return "".join(out).encode()


PAGE_SIZE = 4096
_U64_MASK = (1 << 64) - 1


class MemInode(PseudoInode):
    """/proc/PID/mem (Linux mem_open): the process's memory at file positions equal to its addresses.

    Opening takes the address space (mm_access with PTRACE_MODE_ATTACH: our own, or one we may trace,
    else EACCES); a process without one (a zombie) gives a file that reads and writes nothing."""

    __slots__ = ("task",)

    def __init__(self, sb: PseudoSuperBlock, task: Task, key: tuple, uid: int, gid: int) -> None:
        super().__init__(sb, key, S_IFREG | 0o600, uid, gid, anchor=task)
        self.task = task

    def open(self, path: Path, flags: int) -> File:
        task = self.task
        if task_released(task):
            raise Errno(E.ESRCH)
        me = current_task(self.sb.kernel)
        mm = task.mm
        if mm is not None and mm is not me.mm and not ptrace_may_access(me, task, PTRACE_MODE_ATTACH_FSCREDS):
            raise Errno(E.EACCES)
        return MemFile(path, self, flags, mm)


class MemFile(File):
    """An open /proc/PID/mem (Linux mem_rw, mem_lseek): reads and writes go page by page into the address
    space held since open, as a debugger's (FOLL_FORCE) accesses: protections are ignored, except that a
    shared mapping that is not writable stays so.  A transfer stops at the first page that cannot be
    touched: EIO when that is the first one.  Positions are addresses: any 64-bit value."""

    __slots__ = ("mm",)

    def __init__(self, path: Path | None, inode: MemInode, flags: int, mm: Any) -> None:
        super().__init__(path, inode, flags)
        self.mm = mm

    def _live_mm(self) -> Any:
        mm = self.mm
        return mm if mm is not None and mm.users > 0 else None  # mmget_not_zero

    def _read_at(self, n: int, addr: int) -> bytes:
        mm = self._live_mm()
        if mm is None or n == 0:
            return b""
        data = access_read(mm, addr, n, True)
        if not data:
            raise Errno(E.EIO)
        return data

    def _write_at(self, data: bytes, addr: int) -> int:
        mm = self._live_mm()
        if mm is None or not data:
            return 0
        done = access_write(mm, addr, data, True)
        if not done:
            raise Errno(E.EIO)
        return done

    def read(self, n: int) -> bytes:
        data = self._read_at(n, self.pos)
        self.pos = (self.pos + len(data)) & _U64_MASK
        return data

    def pread(self, n: int, offset: int) -> bytes:
        return self._read_at(n, offset)

    def write(self, data: bytes) -> int:
        done = self._write_at(data, self.pos)
        self.pos = (self.pos + done) & _U64_MASK
        return done

    def pwrite(self, data: bytes, offset: int) -> int:
        return self._write_at(data, offset)

    def lseek(self, offset: int, whence: int) -> int:
        # Linux: fs/proc/base.c mem_lseek: SEEK_SET and SEEK_CUR, any resulting value
        if whence == SEEK_SET:
            pos = offset
        elif whence == SEEK_CUR:
            pos = self.pos + offset
        else:
            raise Errno(E.EINVAL)
        self.pos = pos & _U64_MASK
        return self.pos - (1 << 64) if self.pos >> 63 else self.pos


class PidDir(PseudoDir):
    """/proc/PID (thread=False, Linux tgid_base_stuff) or /proc/PID/task/TID (thread=True, tid_base_stuff)."""

    __slots__ = ("task", "thread")

    def __init__(self, sb: PseudoSuperBlock, task: Task, thread: bool) -> None:
        uid, gid = task_dump_owner(task, dir_0555=True)
        super().__init__(sb, ("pid", task, thread), 0o555, uid, gid, anchor=task)
        self.task = task
        self.thread = thread

    def is_dead(self) -> bool:
        return task_released(self.task)

    def _items(self) -> list[tuple[bytes, Inode]]:
        sb = self.sb
        task = self.task
        view: ProcView = sb.view  # type: ignore[attr-defined]
        k = sb.kernel
        uid, gid = task_dump_owner(task)
        whole = not self.thread
        key = (task, self.thread)

        def seq(name: str, mode: int, show: Callable[[Task], bytes],
                store: Callable[[Task, bytes], None] | None = None) -> tuple[bytes, Inode]:  # fmt: skip
            def guarded(viewer: Task) -> bytes:
                if task_released(task):
                    raise Errno(E.ESRCH)
                return show(viewer)

            return name.encode(), SeqInode(sb, (name, *key), mode, guarded, store, uid, gid, anchor=task)

        def link(
            name: str, body: Callable[[Task], bytes], jump: Callable[[Task], Path | None]
        ) -> tuple[bytes, Inode]:
            return name.encode(), LinkInode(sb, (name, *key), body, jump, 0o777, uid, gid, anchor=task)

        def comm_store(viewer: Task, data: bytes) -> None:
            # Linux: fs/proc/base.c comm_write: only threads of the writer's own process
            if task_released(task) or viewer.tg is not task.tg:
                raise Errno(E.EINVAL)
            task.comm = data[:15].split(b"\0", 1)[0]

        items: list[tuple[bytes, Inode]] = []
        if whole:
            items.append((b"task", TaskDir(sb, task)))
        items += [
            (b"fd", FdDir(sb, task, self.thread)),
            (b"fdinfo", FdInfoDir(sb, task, self.thread)),
            (b"ns", NsDir(sb, task, self.thread)),
            seq("environ", 0o400, lambda v: proc_pid_environ(task)),
            seq("status", 0o444, lambda v: proc_pid_status(view, v, task)),
            seq("limits", 0o444, lambda v: proc_pid_limits(task)),
            seq("comm", 0o644, lambda v: task.comm + b"\n", comm_store),
            seq("cmdline", 0o444, lambda v: proc_pid_cmdline(task)),
            seq("stat", 0o444, lambda v: proc_pid_stat(view, v, task, whole)),
            seq("statm", 0o444, lambda v: proc_pid_statm(task)),
            seq("maps", 0o444, lambda v: proc_pid_maps(k, v, task)),
        ]
        if not whole:
            items.append(seq("children", 0o444, lambda v: proc_pid_children(view, v, task)))
        items += [
            (b"mem", MemInode(sb, task, ("mem", *key), uid, gid)),
            link("cwd", lambda v: _path_body(task, "cwd", v), lambda v: _path_of(task, "cwd")),
            link("root", lambda v: _path_body(task, "root", v), lambda v: _path_of(task, "root")),
            link("exe", lambda v: _exe_body(task, v), lambda v: _exe_path(task)),
            seq("mounts", 0o444, lambda v: proc_pid_mounts(k, task)),
            seq("cgroup", 0o444, lambda v: _cgroup_line(k, task)),
        ]
        return items

    def entries(self, viewer: Task) -> list[tuple[int, bytes, Inode]]:
        return static_entries(self._items())

    def lookup(self, name: bytes) -> Inode | None:
        if not self.is_dead():
            for n, inode in self._items():
                if n == name:
                    return inode
        return self.miss()


def _cgroup_line(kernel: Any, task: Task) -> bytes:

    return proc_cgroup_line(kernel, task).encode()


def _fs_path(task: Task, which: str) -> Path:
    fs = task.fs
    if fs is None or task_released(task):
        raise Errno(E.ENOENT)
    return fs.cwd if which == "cwd" else fs.root


def _path_of(task: Task, which: str) -> Path | None:
    return _fs_path(task, which)


def _path_body(task: Task, which: str, viewer: Task) -> bytes:
    p = _fs_path(task, which)
    name = d_path(p, viewer_root(viewer))
    if p.dentry is not p.mnt.root and (p.dentry.deleted or p.inode.is_dead()):
        name += b" (deleted)"
    return name


def _exe_file(task: Task) -> Any:
    mm = task.mm
    exe = mm.exe if mm is not None else None
    if exe is None or task_released(task):
        raise Errno(E.ENOENT)  # Linux get_task_exe_file: none for a kernel thread or a zombie
    return exe


def _exe_path(task: Task) -> Path | None:
    return getattr(_exe_file(task), "path", None)


def _exe_body(task: Task, viewer: Task) -> bytes:
    return file_name(_exe_file(task), viewer_root(viewer))


class TaskDir(PseudoDir):
    """/proc/PID/task: one directory per thread of the process that is not yet released."""

    __slots__ = ("task",)

    def __init__(self, sb: PseudoSuperBlock, task: Task) -> None:
        uid, gid = task_dump_owner(task, dir_0555=True)
        super().__init__(sb, ("task", task), 0o555, uid, gid, anchor=task)
        self.task = task

    def is_dead(self) -> bool:
        return task_released(self.task)

    def _threads(self, viewer: Task) -> list[tuple[int, Task]]:
        out = []
        for t in self.task.tg.tasks:
            nr = self.sb.view.vpid(viewer, t)  # type: ignore[attr-defined]
            if nr and not task_released(t):
                out.append((nr, t))
        return sorted(out, key=lambda x: x[0])

    def entries(self, viewer: Task) -> list[tuple[int, bytes, Inode]]:
        return [
            (2 + nr, str(nr).encode(), PidDir(self.sb, t, thread=True)) for nr, t in self._threads(viewer)
        ]

    def lookup(self, name: bytes) -> Inode | None:
        nr = name_to_int(name)
        if nr is None or self.is_dead():
            return self.miss()
        t = self.sb.view.find_task(nr)  # type: ignore[attr-defined]
        if t is None or t.tg is not self.task.tg or task_released(t):
            return self.miss()
        return PidDir(self.sb, t, thread=True)
