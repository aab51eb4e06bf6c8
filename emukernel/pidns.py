"""Pid and PidNamespace (Linux kernel/pid.c, kernel/pid_namespace.c).

A Pid holds one number per namespace level, from the root (level 0) down to the namespace the task was
created in.  Only the root namespace is populated until the pid-namespace work lands, but every lookup
already goes through a namespace so that nesting adds numbers without changing callers.
"""

from __future__ import annotations

from .abi import errno as E
from .errors import Errno

PID_MAX_DEFAULT = 32768  # Linux: include/linux/threads.h PID_MAX_DEFAULT
PID_MAX_LIMIT = 4 * 1024 * 1024  # Linux: include/linux/threads.h PID_MAX_LIMIT (64-bit)
RESERVED_PIDS = 300  # Linux: kernel/pid.c, the cyclic allocator wraps to here


class Pid:
    """struct pid: the numbers of one task (or thread group, session, process group) at each level."""

    __slots__ = ("numbers", "ns", "tasks")

    def __init__(self, ns: PidNamespace, numbers: list[int]) -> None:
        self.ns = ns  # the innermost namespace
        self.numbers = numbers  # numbers[level]
        self.tasks: list = []  # tasks attached to this pid (PIDTYPE_PID)

    def nr_in(self, ns: PidNamespace) -> int:
        """pid_nr_ns: the number of this pid as seen from ns, 0 when invisible there."""
        if ns.level < len(self.numbers) and self.ns.ancestor(ns.level) is ns:
            return self.numbers[ns.level]
        return 0


class PidNamespace:
    """A pid namespace: its level, parent, number -> Pid map, cyclic cursor and child reaper."""

    def __init__(self, parent: PidNamespace | None = None, pid_max: int | None = None) -> None:
        self.parent = parent
        self.level = 0 if parent is None else parent.level + 1
        self.pids: dict[int, Pid] = {}
        self.last_pid = 0
        if pid_max is None:
            # Linux 6.14+ (create_pid_namespace): pid_max is per namespace and a new one starts at
            # PID_MAX_LIMIT; its numbers are still bounded by every ancestor's pid_max at the ancestor's level
            pid_max = PID_MAX_DEFAULT if parent is None else PID_MAX_LIMIT
        self.pid_max = pid_max
        self.child_reaper = None  # the namespace's init task
        self.alive = True  # false once init has exited (zap_pid_ns_processes)
        self.zap_wait = None  # the exiting init's continuation while pids remain (zap_pid_ns_processes)

    def ancestor(self, level: int) -> PidNamespace:
        ns = self
        while ns.level > level:
            ns = ns.parent  # type: ignore[assignment]
        return ns

    def _alloc_nr(self) -> int:
        """Cyclic allocation from last_pid, wrapping to RESERVED_PIDS (kernel/pid.c alloc_pid)."""
        lo = RESERVED_PIDS if self.last_pid >= RESERVED_PIDS else 1
        candidates = (range(self.last_pid + 1, self.pid_max), range(lo, self.last_pid + 1))
        for rng in candidates:
            for nr in rng:
                if nr not in self.pids:
                    self.last_pid = nr
                    return nr
        raise Errno(E.EAGAIN)

    def alloc_pid(self, set_tid: tuple[int, ...] = (), may_set_tid: bool = True) -> Pid:
        """A new Pid with a number in this namespace and in every ancestor (alloc_pid).

        set_tid (clone3) asks for specific numbers, innermost level first; each is checked (EINVAL) before
        the caller's right to choose it (may_set_tid: CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE, else EPERM)."""
        if len(set_tid) > self.level + 1:
            raise Errno(E.EINVAL)
        chain = []
        ns: PidNamespace | None = self
        while ns is not None:
            chain.append(ns)
            ns = ns.parent
        numbers = [0] * (self.level + 1)
        taken = []
        try:
            for i, ns in enumerate(chain):
                if i < len(set_tid):  # a number was asked for here: 0 is invalid, not "any"
                    want = set_tid[i]
                    if not 0 < want < ns.pid_max:
                        raise Errno(E.EINVAL)
                    if want != 1 and ns.child_reaper is None:
                        raise Errno(E.EINVAL)
                    if not may_set_tid:
                        raise Errno(E.EPERM)
                    if want in ns.pids:
                        raise Errno(E.EEXIST)
                    nr = want
                else:
                    nr = ns._alloc_nr()
                numbers[ns.level] = nr
                taken.append((ns, nr))
                ns.pids[nr] = None  # type: ignore[assignment]  # reserve while the chain completes
            if not self.alive:
                raise Errno(E.ENOMEM)  # init has exited: no new tasks (checked last, as Linux does)
        except Errno:
            for ns, nr in taken:
                del ns.pids[nr]
            if self.child_reaper is None and not self.pids:
                self.last_pid = 0  # alloc_pid: "on failure to allocate the first pid, reset the state"
            raise
        pid = Pid(self, numbers)
        for ns, nr in taken:
            ns.pids[nr] = pid
        return pid

    def free_pid(self, pid: Pid) -> None:
        """free_pid: drop the numbers at every level.

        A pid freed before any task of its namespace became the init is a fork of the first process that
        failed after its pid was allocated (the pidfd store, cgroup_can_fork): Linux clears PIDNS_ADDING
        then, so the namespace takes no new process (fork fails with ENOMEM) exactly as once its init died."""
        ns: PidNamespace | None = pid.ns
        if pid.ns.child_reaper is None:
            pid.ns.alive = False
        while ns is not None:
            if ns.pids.get(pid.numbers[ns.level]) is pid:
                del ns.pids[pid.numbers[ns.level]]
            ns = ns.parent

    def find(self, nr: int) -> Pid | None:
        return self.pids.get(nr)

    def is_ancestor_of(self, other: PidNamespace) -> bool:
        """self is other or one of its ancestors (a task in self can see every task in other)."""
        return other.level >= self.level and other.ancestor(self.level) is self


MAX_PID_NS_LEVEL = 32
