"""The cgroup v2 hierarchy (Linux kernel/cgroup/cgroup.c) with the pids controller (kernel/cgroup/pids.c).

A process belongs to one cgroup: `ThreadGroup.cgroup` (None means the root; a domain cgroup holds whole
thread groups, which is all the unified hierarchy allows without threaded mode).  Membership and charges are
not counted by hand: what Linux's css_set counters and pids charges record is derived from the task set,
so a count can never drift from the truth:

* a cgroup is *populated* while a live task (exit state NONE) is in it or below it: Linux drops a task from
  its css_set in cgroup_exit, early in do_exit;
* `pids.current` counts every task not yet released (zombies included) in the cgroup and below it, as the
  pids controller charges at fork and uncharges only in release_task (pids_release).

The filesystem view (cgroupfs) and the fork/exit hooks call into this module; it never touches the VFS.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from .abi import errno as E
from .errors import Errno

if TYPE_CHECKING:
    from .task import Task
    from .threadgroup import ThreadGroup

#: The controllers this kernel implements, in Linux's cgroup_subsys order.
CONTROLLERS: tuple[str, ...] = ("pids",)
#: Controllers that work in threaded subtrees (Linux cgrp_dfl_threaded_ss_mask: cpuset, perf_event, pids).
THREADED_CONTROLLERS = frozenset({"pids"})
PID_MAX_LIMIT = 4 * 1024 * 1024  # Linux: include/linux/threads.h (64-bit)
PIDS_MAX = PID_MAX_LIMIT + 1  # Linux: kernel/cgroup/pids.c, "max"
CGROUP_FILE_MAX = 4096  # kernfs atomic_write_len of every cgroup file: a longer write is E2BIG
EXIT_NONE, EXIT_DEAD = 0, 3  # task.exit_state values (emukernel.task)


class Cgroup:
    """One cgroup: a node of the hierarchy with its controller state."""

    __slots__ = (
        "name",
        "parent",
        "children",
        "subtree_control",
        "pids_max",
        "pids_peak",
        "pids_events",
        "pids_events_local",
        "dead",
        "uid",
        "gid",
        "mode",
        "id",
        "created_ns",
        "nr_dying",
        "__weakref__",
    )

    def __init__(self, name: str, parent: Cgroup | None, cid: int, uid: int = 0, gid: int = 0,
                 mode: int = 0o755, now_ns: int = 0) -> None:  # fmt: skip
        self.name = name
        self.parent = parent
        self.children: dict[str, Cgroup] = {}
        self.subtree_control: set[str] = set()
        self.pids_max: int | None = None  # None: "max"
        self.pids_peak = 0
        self.pids_events = 0  # fork failures at this cgroup's limit or below it (pids.events "max")
        self.pids_events_local = 0  # fork failures at this cgroup's own limit (pids.events.local)
        self.dead = False
        self.uid = uid
        self.gid = gid
        self.mode = mode
        self.id = cid  # kernfs node id: the directory's inode number
        self.created_ns = now_ns
        self.nr_dying = 0

    # -- the tree -------------------------------------------------------------------------------------
    @property
    def is_root(self) -> bool:
        return self.parent is None

    @property
    def level(self) -> int:
        n, c = 0, self.parent
        while c is not None:
            n, c = n + 1, c.parent
        return n

    def ancestors(self) -> list[Cgroup]:
        """self, its parent, ... up to the root."""
        out: list[Cgroup] = []
        c: Cgroup | None = self
        while c is not None:
            out.append(c)
            c = c.parent
        return out

    def is_descendant_of(self, other: Cgroup) -> bool:
        """self is other or below it (Linux cgroup_is_descendant)."""
        c: Cgroup | None = self
        while c is not None:
            if c is other:
                return True
            c = c.parent
        return False

    def path(self) -> str:
        """The path from the hierarchy's root, as /proc/PID/cgroup shows it (Linux cgroup_path_ns)."""
        if self.parent is None:
            return "/"
        parts = []
        c: Cgroup | None = self
        while c is not None and c.parent is not None:
            parts.append(c.name)
            c = c.parent
        return "/" + "/".join(reversed(parts))

    def descendants(self) -> list[Cgroup]:
        """Every live cgroup below this one (not itself), parents before children."""
        out: list[Cgroup] = []
        stack = list(reversed(self.children.values()))
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(reversed(c.children.values()))
        return out

    # -- controllers ----------------------------------------------------------------------------------
    def controllers(self) -> list[str]:
        """cgroup.controllers: what the parent enabled for its children (the root: everything)."""
        # Linux: cgroup_control()
        if self.parent is None:
            return list(CONTROLLERS)
        return [c for c in CONTROLLERS if c in self.parent.subtree_control]

    def has_controller(self, name: str) -> bool:
        """The controller's interface files exist here (its css is online): never on the root for pids."""
        return self.parent is not None and name in self.parent.subtree_control

    def __repr__(self) -> str:
        return f"<Cgroup {self.path()}{' dead' if self.dead else ''}>"


_DIGITS = {8: b"01234567", 10: b"0123456789", 16: b"0123456789abcdefABCDEF"}


def _kstrtoull(s: bytes) -> int:
    """Linux _kstrtoull(s, 0): decimal, 0x hex or 0 octal, one trailing newline allowed; EINVAL/ERANGE."""
    if s[:1] == b"0" and s[1:2] in (b"x", b"X") and s[2:3] and s[2:3] in _DIGITS[16]:
        base, s = 16, s[2:]
    elif s[:1] == b"0":
        base = 8
    else:
        base = 10
    n = 0
    while n < len(s) and s[n : n + 1] in _DIGITS[base]:
        n += 1
    if n == 0:
        raise Errno(E.EINVAL)
    rest = s[n:]
    if rest[:1] == b"\n":
        rest = rest[1:]
    if rest:
        raise Errno(E.EINVAL)
    value = int(s[:n], base)
    if value >= 1 << 64:
        raise Errno(E.ERANGE)
    return value


def _kstrtoll(s: bytes) -> int:
    """Linux kstrtoll(s, 0): an optional sign (+ only through kstrtoull) and a 64-bit signed value."""
    if s[:1] == b"-":
        v = -_kstrtoull(s[1:])
        if v < -(1 << 63):
            raise Errno(E.ERANGE)
        return v
    if s[:1] == b"+":
        s = s[1:]
    v = _kstrtoull(s)
    if v >= 1 << 63:
        raise Errno(E.ERANGE)
    return v


def kstrtoint(text: bytes) -> int:
    """Linux kstrtoint(s, 0, &v): kstrtoll limited to an int."""
    v = _kstrtoll(text)
    if not -(1 << 31) <= v < (1 << 31):
        raise Errno(E.ERANGE)
    return v


def strstrip(data: bytes) -> bytes:
    """Linux strstrip: leading and trailing whitespace removed."""
    return data.strip(b" \t\n\v\f\r")


class CgroupHierarchy:
    """The default (unified) hierarchy of one kernel: the root cgroup and the operations on the tree."""

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel
        self._ids = itertools.count(1)
        self.root = Cgroup("", None, next(self._ids))

    # -- who is where ---------------------------------------------------------------------------------
    def task_cgroup(self, task: Task) -> Cgroup:
        """The cgroup of task's process (Linux task_dfl_cgroup)."""
        return self.tg_cgroup(task.tg)

    def tg_cgroup(self, tg: ThreadGroup) -> Cgroup:
        cg = tg.cgroup
        return cg if cg is not None else self.root

    def _tasks(self) -> list[Task]:
        return list(self.kernel.tasks.values())

    def charged_tasks(self, cg: Cgroup, exclude: Task | None = None) -> int:
        """pids.current: tasks not yet released in cg's subtree (Linux pids_cgroup.counter)."""
        n = 0
        for t in self._tasks():
            if t is exclude or t.exit_state == EXIT_DEAD or t.tg is None:
                continue
            if self.tg_cgroup(t.tg).is_descendant_of(cg):
                n += 1
        return n

    def live_tasks(self, cg: Cgroup, recursive: bool) -> list[Task]:
        """Tasks that have not begun to exit, in cg (and below it when recursive)."""
        out = []
        for t in self._tasks():
            if t.exit_state != EXIT_NONE or t.tg is None:
                continue
            c = self.tg_cgroup(t.tg)
            if c is cg or (recursive and c.is_descendant_of(cg)):
                out.append(t)
        return out

    def populated(self, cg: Cgroup) -> bool:
        """cgroup.events "populated": a live task in cg or below it (Linux cgroup_is_populated)."""
        return bool(self.live_tasks(cg, recursive=True))

    def has_tasks(self, cg: Cgroup) -> bool:
        """Linux cgroup_has_tasks: live tasks in cg itself."""
        return bool(self.live_tasks(cg, recursive=False))

    def procs(self, cg: Cgroup) -> list[ThreadGroup]:
        """The processes in cg itself that still have a live thread (cgroup.procs), by root tgid."""
        seen: dict[int, ThreadGroup] = {}
        for t in self.live_tasks(cg, recursive=False):
            seen.setdefault(t.tg.tgid, t.tg)
        return [seen[k] for k in sorted(seen)]

    def threads(self, cg: Cgroup) -> list[Task]:
        """The live threads in cg itself (cgroup.threads), by root tid."""
        return sorted(self.live_tasks(cg, recursive=False), key=lambda t: t.tid)

    # -- thread-root rules (Linux cgroup_can_be_thread_root and the no-internal-process constraint) -----
    def _nr_populated_domain_children(self, cg: Cgroup) -> int:
        return sum(1 for c in cg.children.values() if self.populated(c))

    def can_be_thread_root(self, cg: Cgroup) -> bool:
        # Linux: kernel/cgroup/cgroup.c cgroup_can_be_thread_root (the root is "mixable": never)
        if cg.is_root:
            return False
        if self._nr_populated_domain_children(cg):
            return False
        return not (cg.subtree_control - THREADED_CONTROLLERS)

    def migrate_vet_dst(self, dst: Cgroup) -> None:
        """May processes be put into dst?  EBUSY by the no-internal-process constraint."""
        # Linux: kernel/cgroup/cgroup.c cgroup_migrate_vet_dst
        if dst.is_root or self.can_be_thread_root(dst):
            return
        if dst.subtree_control:
            raise Errno(E.EBUSY)

    # -- tree operations --------------------------------------------------------------------------------
    def mkdir(self, parent: Cgroup, name: str, uid: int, gid: int, mode: int) -> Cgroup:
        # Linux: kernel/cgroup/cgroup.c cgroup_mkdir
        if "\n" in name:
            raise Errno(E.EINVAL)
        if parent.dead:
            raise Errno(E.ENODEV)
        if name in parent.children:
            raise Errno(E.EEXIST)
        now = self.kernel.clock.realtime_ns()
        cg = Cgroup(name, parent, next(self._ids), uid, gid, mode, now)
        parent.children[name] = cg
        return cg

    def rmdir(self, cg: Cgroup) -> None:
        """EBUSY while a live task is in it or below it, or while it has children."""
        # Linux: kernel/cgroup/cgroup.c cgroup_destroy_locked
        if cg.is_root:
            raise Errno(E.EBUSY)
        if self.populated(cg) or cg.children:
            raise Errno(E.EBUSY)
        cg.dead = True
        assert cg.parent is not None
        cg.parent.children.pop(cg.name, None)

    def set_subtree_control(self, cg: Cgroup, data: bytes) -> None:
        """A write to cgroup.subtree_control: "+name" enables, "-name" disables, space separated."""
        # Linux: kernel/cgroup/cgroup.c cgroup_subtree_control_write
        enable: set[str] = set()
        disable: set[str] = set()
        for tok in strstrip(data).split(b" "):
            if not tok:
                continue
            name = tok[1:].decode("latin-1")
            if name not in CONTROLLERS:
                raise Errno(E.EINVAL)
            if tok[:1] == b"+":
                enable.add(name)
                disable.discard(name)
            elif tok[:1] == b"-":
                disable.add(name)
                enable.discard(name)
            else:
                raise Errno(E.EINVAL)
        if cg.dead:
            raise Errno(E.ENODEV)
        enable -= cg.subtree_control
        for name in list(disable):
            if name not in cg.subtree_control:
                disable.discard(name)
                continue
            if any(name in child.subtree_control for child in cg.children.values()):
                raise Errno(E.EBUSY)  # a child still has it enabled
        if enable - set(cg.controllers()):
            raise Errno(E.ENOENT)  # the parent does not give it to us
        # Linux: cgroup_vet_subtree_control_enable
        if enable and not cg.is_root:
            domain_enable = enable - THREADED_CONTROLLERS
            if not domain_enable and self.can_be_thread_root(cg):
                pass
            elif self.has_tasks(cg):
                raise Errno(E.EBUSY)
        cg.subtree_control |= enable
        cg.subtree_control -= disable
        if "pids" in disable:  # the children's pids css goes away, with its limit
            for child in cg.children.values():
                child.pids_max = None
                child.pids_peak = child.pids_events = child.pids_events_local = 0

    # -- migration (cgroup.procs / cgroup.threads) ----------------------------------------------------------
    def attach(self, viewer: Task, dst: Cgroup, data: bytes, threadgroup: bool) -> None:
        """A write of a pid (or tid) to dst's cgroup.procs (cgroup.threads): move that process (thread)."""
        # Linux: kernel/cgroup/cgroup.c __cgroup_procs_write, cgroup_procs_write_start
        if dst.dead:
            raise Errno(E.ENODEV)
        try:
            nr = kstrtoint(strstrip(data))
        except Errno:
            raise Errno(E.EINVAL) from None
        if nr < 0:
            raise Errno(E.EINVAL)
        if nr == 0:
            task = viewer
        else:
            task = self.kernel.find_task(viewer, nr)
            if task is None:
                raise Errno(E.ESRCH)
        if threadgroup:
            task = task.tg.leader
        if task.kthread:
            raise Errno(E.EINVAL)  # PF_NO_SETAFFINITY: kernel threads stay where they are
        src = self.task_cgroup(task)
        # Linux: cgroup_attach_permissions
        self.migrate_vet_dst(dst)
        if not threadgroup and src is not dst:
            raise Errno(E.EOPNOTSUPP)  # a thread may only move inside its resource domain
        if not threadgroup or not any(t.alive for t in task.tg.tasks):
            return  # nothing to move (an exiting process is skipped, as cgroup_migrate_add_task does)
        # Linux: pids_can_attach charges the new cgroup without looking at its limit
        task.tg.cgroup = dst
        self._update_peaks(dst)

    def _update_peaks(self, cg: Cgroup) -> None:
        for c in cg.ancestors():
            if c.has_controller("pids"):
                c.pids_peak = max(c.pids_peak, self.charged_tasks(c))

    # -- pids.max ---------------------------------------------------------------------------------------
    def set_pids_max(self, cg: Cgroup, data: bytes) -> None:
        # Linux: kernel/cgroup/pids.c pids_max_write
        buf = strstrip(data)
        if buf == b"max":
            cg.pids_max = None
            return
        limit = _kstrtoll(buf)
        if limit < 0 or limit >= PIDS_MAX:
            raise Errno(E.EINVAL)
        cg.pids_max = limit

    # -- fork and exit ------------------------------------------------------------------------------------
    def can_fork(self, parent: Task, target: Cgroup | None, child: Task | None = None,
                 thread: bool = False) -> Cgroup:  # fmt: skip
        """The cgroup a new task of parent goes into, after the checks of Linux cgroup_can_fork.

        target is CLONE_INTO_CGROUP's cgroup (None: the parent's), thread is CLONE_THREAD.  Raises ENODEV for
        a removed target, EACCES when the caller may not write its cgroup.procs, EOPNOTSUPP for a thread
        into another cgroup, EBUSY by the no-internal-process constraint, EAGAIN when a pids.max up the
        hierarchy would be exceeded."""
        if target is not None:
            # Linux: kernel/cgroup/cgroup.c cgroup_css_set_fork
            if target.dead:
                raise Errno(E.ENODEV)
            creds = parent.creds
            if creds.fsuid != 0 and creds.fsuid != target.uid:  # cgroup_may_write: cgroup.procs is 0644
                raise Errno(E.EACCES)
            if thread and target is not self.task_cgroup(parent):
                raise Errno(E.EOPNOTSUPP)  # cgroup_attach_permissions for a thread
            self.migrate_vet_dst(target)
            dst = target
        else:
            dst = self.task_cgroup(parent)
        # Linux: kernel/cgroup/pids.c pids_can_fork -> pids_try_charge: every level must stay within its limit
        over: Cgroup | None = None
        for c in dst.ancestors():
            if c.pids_max is None or not c.has_controller("pids"):
                continue
            if self.charged_tasks(c, exclude=child) + 1 > c.pids_max:
                over = c
                break
        if over is not None:
            # Linux: pids_event: the cgroup whose limit was hit and its ancestors count the failure
            over.pids_events_local += 1
            for c in over.ancestors():
                if c.has_controller("pids"):
                    c.pids_events += 1
            raise Errno(E.EAGAIN)
        return dst

    def post_fork(self, parent: Task, child: Task, dst: Cgroup) -> None:
        """Place the new process in dst (a new thread is already where its group is)."""
        if child.tg is not parent.tg:
            child.tg.cgroup = None if dst is self.root else dst
        self._update_peaks(dst)


# -- the kernel's hierarchy and the hooks the process code calls ------------------------------------------
def cgroup_hierarchy(kernel: Any) -> CgroupHierarchy:
    """The kernel's unified hierarchy, made on first use."""
    h = kernel.cgroups
    if h is None:
        h = CgroupHierarchy(kernel)
        kernel.cgroups = h
    return h


def cgroup_can_fork(kernel: Any, parent: Task, target: Cgroup | None = None, child: Task | None = None,
                    thread: bool = False) -> Cgroup:  # fmt: skip
    """Before a task is created: its cgroup, or Errno (EAGAIN over pids.max, ENODEV, EBUSY, EACCES)."""
    return cgroup_hierarchy(kernel).can_fork(parent, target, child, thread)


def cgroup_post_fork(kernel: Any, parent: Task, child: Task, dst: Cgroup) -> None:
    """After the task exists: put it where cgroup_can_fork said."""
    cgroup_hierarchy(kernel).post_fork(parent, child, dst)


def cgroup_fork(kernel: Any, parent_task: Task, child_task: Task, target: Cgroup | None = None) -> Cgroup:
    """Both steps for a caller that already has the child: Errno(EAGAIN) when pids.max would be exceeded
    anywhere up the hierarchy (the child itself is not counted twice); the child's process joins the cgroup."""
    h = cgroup_hierarchy(kernel)
    dst = h.can_fork(parent_task, target, child_task, thread=child_task.tg is parent_task.tg)
    h.post_fork(parent_task, child_task, dst)
    return dst


def cgroup_exit(kernel: Any, task: Task) -> None:
    """do_exit: the task leaves its css_set.  Populated state is derived from exit states, so there is
    nothing to count here; pids stay charged until release_task (pids_release), also derived."""
    # Linux: kernel/cgroup/cgroup.c cgroup_exit: cgroup.events watchers would be notified here
    return None


def cgroup_from_fd(file: Any) -> Cgroup:
    """The cgroup a directory fd of cgroupfs names (CLONE_INTO_CGROUP).

    EBADF when the file is not a cgroup2 directory (Linux css_tryget_online_from_dir), ENODEV when that
    cgroup was removed."""
    # Linux: kernel/cgroup/cgroup.c cgroup_get_from_file
    path = getattr(file, "path", None)
    inode = getattr(path, "inode", None) if path is not None else None
    cg = getattr(inode, "cgroup", None)
    if not isinstance(cg, Cgroup) or not getattr(inode, "is_cgroup_dir", False):
        raise Errno(E.EBADF)
    if cg.dead:
        raise Errno(E.ENODEV)
    return cg


def proc_cgroup_line(kernel: Any, task: Task) -> str:
    """/proc/PID/cgroup: "0::/path" (the unified hierarchy only; no cgroup namespaces here)."""
    # Linux: kernel/cgroup/cgroup.c proc_cgroup_show
    cg = cgroup_hierarchy(kernel).task_cgroup(task)
    return f"0::{cg.path()}{' (deleted)' if cg.dead else ''}\n"
