"""Namespace syscalls: unshare(2) and setns(2) (Linux kernel/fork.c ksys_unshare, kernel/nsproxy.c setns).

Only pid namespaces exist in emukernel.  unshare(CLONE_NEWPID) and setns(..., CLONE_NEWPID) change where the
caller's future children are created (task->nsproxy->pid_ns_for_children); the caller itself never moves.
The other namespace types (mount, UTS, IPC, network, user, cgroup, time) are not implemented: asking for
one fails with EINVAL rather than pretending to isolate anything.
"""

from __future__ import annotations

from ..abi import errno as E
from ..abi.capability import CAP_SYS_ADMIN
from ..abi.clone import (
    CLONE_FILES,
    CLONE_FS,
    CLONE_NEWCGROUP,
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWTIME,
    CLONE_NEWUSER,
    CLONE_NEWUTS,
    CLONE_SIGHAND,
    CLONE_SYSVSEM,
    CLONE_THREAD,
    CLONE_VM,
)
from ..clone import child_pid_ns
from ..creds import capable
from ..errors import Errno
from ..fs.pidfd import PidFd
from ..pidns import MAX_PID_NS_LEVEL, PidNamespace
from ..ptrace import PTRACE_MODE_READ_REALCREDS, ptrace_may_access
from . import s32
from .table import syscall

_NS_FLAGS = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP | CLONE_NEWTIME
_UNSHARE_FLAGS = (CLONE_THREAD | CLONE_FS | CLONE_NEWNS | CLONE_SIGHAND | CLONE_VM | CLONE_FILES | CLONE_SYSVSEM
                  | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWCGROUP
                  | CLONE_NEWTIME)
_SETNS_FLAGS = _NS_FLAGS | CLONE_NEWUSER
_NOT_IMPLEMENTED = _SETNS_FLAGS & ~CLONE_NEWPID


def _sighand_shared(task) -> bool:
    """sighand->count > 1: another process (alive or a zombie not yet reaped) shares our handler table."""
    return any(t is not task and t.sighand is task.sighand for t in task.kernel.tasks.values())


def _check_unshare_flags(task, flags: int) -> None:
    """check_unshare_flags: unknown bits, and the sharing that unshare cannot undo."""
    if flags & ~_UNSHARE_FLAGS:
        raise Errno(E.EINVAL)
    # not implemented, but "works" when there is nothing to unshare (Linux's own comment)
    if flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM) and len(task.tg.tasks) > 1:
        raise Errno(E.EINVAL)  # !thread_group_empty: a zombie leader still counts
    if flags & (CLONE_SIGHAND | CLONE_VM) and _sighand_shared(task):
        raise Errno(E.EINVAL)
    if flags & CLONE_VM and task.mm is not None and task.mm.users > 1:
        raise Errno(E.EINVAL)  # !current_is_single_threaded: a CLONE_VM sibling (or vfork child) shares it


def new_pid_ns_for_children(task) -> PidNamespace:
    """copy_pid_ns(CLONE_NEWPID) for unshare: a child of the caller's namespace, for its future children."""
    old = child_pid_ns(task)
    if old is not task.pid.ns:
        raise Errno(E.EINVAL)  # already unshared (or setns'd) and not yet back: children would be ambiguous
    if old.level + 1 > MAX_PID_NS_LEVEL:
        raise Errno(E.ENOSPC)
    return PidNamespace(old)  # its own pid_max, PID_MAX_LIMIT (Linux 6.14+)


@syscall("unshare", "x")
def sys_unshare(task, flags):
    # Linux: kernel/fork.c ksys_unshare (flags is an unsigned long)
    if flags & CLONE_NEWUSER:
        flags |= CLONE_THREAD | CLONE_FS
    if flags & CLONE_VM:
        flags |= CLONE_SIGHAND
    if flags & CLONE_SIGHAND:
        flags |= CLONE_THREAD
    if flags & CLONE_NEWNS:
        flags |= CLONE_FS
    _check_unshare_flags(task, flags)
    if flags & CLONE_NEWUSER:
        raise Errno(E.EINVAL)  # user namespaces are not implemented
    new_ns = None
    if flags & _NS_FLAGS:
        if not capable(task.creds, CAP_SYS_ADMIN):
            raise Errno(E.EPERM)
        if flags & _NOT_IMPLEMENTED:
            raise Errno(E.EINVAL)  # mount/UTS/IPC/net/cgroup/time namespaces are not implemented
        new_ns = new_pid_ns_for_children(task)
    # nothing can fail from here on: commit
    if flags & CLONE_FS:
        task.fs = task.fs.copy()  # unshare_fs (a private copy is harmless when nobody shared it)
    if flags & CLONE_FILES and task.files.users > 1:
        old = task.files
        task.files = old.copy()  # unshare_fd: dup_fd, the close-on-exec bits included
        task.files.users = 1
        old.users -= 1
    if new_ns is not None:
        task.pid_ns_for_children = new_ns
    # CLONE_SYSVSEM: there are no System V semaphores, so no undo list to detach
    return 0


@syscall("setns", "fd", "x")
def sys_setns(task, fd, nstype):
    # Linux: kernel/nsproxy.c setns, validate_nsset, pidns_install

    nstype = s32(nstype)  # an int: a negative one is no namespace type
    f = task.files.get(s32(fd))  # EBADF
    target_ns = getattr(f, "pidns", None)  # an nsfs file: /proc/PID/ns/pid (and pid_for_children)
    if target_ns is not None:
        if nstype and nstype != CLONE_NEWPID:
            raise Errno(E.EINVAL)
    elif isinstance(f, PidFd):
        if not nstype or nstype & ~_SETNS_FLAGS:
            raise Errno(E.EINVAL)
        target = f.task
        if target is None or not target.alive:
            raise Errno(E.ESRCH)  # exited: no namespaces left to join (exit_task_namespaces)
        if not ptrace_may_access(task, target, PTRACE_MODE_READ_REALCREDS):
            raise Errno(E.EPERM)
        if nstype & _NOT_IMPLEMENTED:
            raise Errno(E.EINVAL)  # only pid namespaces are implemented
        target_ns = target.pid.ns
    else:
        raise Errno(E.EINVAL)
    if not capable(task.creds, CAP_SYS_ADMIN):
        raise Errno(E.EPERM)
    # only our own namespace or one below it: fork must return a pid the caller can use
    if not task.pid.ns.is_ancestor_of(target_ns):
        raise Errno(E.EINVAL)
    task.pid_ns_for_children = target_ns
    return 0
