"""Task creation (Linux kernel/fork.c copy_process / kernel_clone): one path for every new task."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .abi import signal as S
from .task import Task
from .threadgroup import ThreadGroup

if TYPE_CHECKING:
    from .kernel import Kernel

CLONE_VM = 0x00000100
CLONE_FS = 0x00000200
CLONE_FILES = 0x00000400
CLONE_SIGHAND = 0x00000800
CLONE_PIDFD = 0x00001000
CLONE_PTRACE = 0x00002000
CLONE_VFORK = 0x00004000
CLONE_PARENT = 0x00008000
CLONE_THREAD = 0x00010000
CLONE_NEWNS = 0x00020000
CLONE_SYSVSEM = 0x00040000
CLONE_SETTLS = 0x00080000
CLONE_PARENT_SETTID = 0x00100000
CLONE_CHILD_CLEARTID = 0x00200000
CLONE_DETACHED = 0x00400000
CLONE_UNTRACED = 0x00800000
CLONE_CHILD_SETTID = 0x01000000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_IO = 0x80000000
CLONE_CLEAR_SIGHAND = 0x100000000
CLONE_INTO_CGROUP = 0x200000000
CSIGNAL = 0xFF


def copy_process(kernel: Kernel, parent: Task, flags: int, exit_signal: int = S.SIGCHLD) -> Task:
    """Create a task from parent, sharing or copying each part by its clone flag."""
    ns = kernel.pidns
    pid = ns.alloc_pid()
    t = Task(kernel, pid.numbers[0])
    t.pid = pid
    pid.tasks.append(t)
    t.creds = parent.creds.copy()
    t.comm = parent.comm
    t.sigmask = parent.sigmask
    # CLONE_VM: share the address space, else copy it (a kernel task has none)
    if parent.mm is not None:
        if flags & CLONE_VM:
            t.mm = parent.mm
            parent.mm.users += 1
        else:
            t.mm = parent.mm.dup(kernel)
    # CLONE_FILES / CLONE_FS / CLONE_SIGHAND
    if flags & CLONE_FILES:
        t.files = parent.files
        t.files.users += 1
    else:
        t.files = parent.files.copy()
        t.files.users = 1
    t.fs = parent.fs if flags & CLONE_FS else parent.fs.copy()
    t.sighand = parent.sighand if flags & CLONE_SIGHAND else parent.sighand.copy()
    # CLONE_THREAD: join the parent's group, else lead a new one
    if flags & CLONE_THREAD:
        t.tg = parent.tg
        parent.tg.tasks.append(t)
        parent.tg.live += 1
        t.exit_signal = -1
    else:
        t.tg = ThreadGroup(pid, t)
        t.tg.rlimits = [list(r) for r in parent.tg.rlimits]
        t.tg.pgid, t.tg.sid = parent.tg.pgid, parent.tg.sid
        t.exit_signal = exit_signal
    # CLONE_PARENT / CLONE_THREAD: the new task is a sibling of the caller
    if flags & (CLONE_PARENT | CLONE_THREAD):
        t.real_parent = parent.real_parent
    else:
        t.real_parent = parent
    t.parent = t.real_parent
    if t.real_parent is not None and not flags & CLONE_THREAD:
        t.real_parent.children.append(t)
    kernel.tasks[t.tid] = t
    return t
