"""Task creation (Linux kernel/fork.c copy_process / kernel_clone): one path for every new task."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from .abi import errno as E
from .abi import signal as S
from .abi.capability import CAP_CHECKPOINT_RESTORE, CAP_SYS_ADMIN, CAP_SYS_RESOURCE
from .abi.clone import (
    CLONE_CHILD_CLEARTID,
    CLONE_CHILD_SETTID,
    CLONE_CLEAR_SIGHAND,
    CLONE_DETACHED,
    CLONE_FILES,
    CLONE_FS,
    CLONE_INTO_CGROUP,
    CLONE_LEGACY_FLAGS,
    CLONE_NEWCGROUP,
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWTIME,
    CLONE_NEWUSER,
    CLONE_NEWUTS,
    CLONE_PARENT,
    CLONE_PARENT_SETTID,
    CLONE_PIDFD,
    CLONE_PTRACE,
    CLONE_SETTLS,
    CLONE_SIGHAND,
    CLONE_THREAD,
    CLONE_UNTRACED,
    CLONE_VFORK,
    CLONE_VM,
    CSIGNAL,
)
from .abi.ptrace import PTRACE_EVENT_CLONE, PTRACE_EVENT_FORK, PTRACE_EVENT_VFORK, PTRACE_EVENT_VFORK_DONE
from .abi.resource import RLIMIT_NPROC
from .cgroup import cgroup_can_fork, cgroup_from_fd, cgroup_post_fork
from .cpu import FS_BASE, RAX, RSP
from .creds import capable
from .errors import Errno
from .pidns import MAX_PID_NS_LEVEL, PidNamespace
from .ptrace import Ptrace, PtraceEvent, ptrace_link
from .sched import Block, Deferred, WaitQueue
from .signal.siginfo import SigInfo
from .task import Task
from .threadgroup import ThreadGroup

if TYPE_CHECKING:
    from .kernel import Kernel

CLONE_ARGS_SIZE_VER0, CLONE_ARGS_SIZE_VER1, CLONE_ARGS_SIZE_VER2 = 64, 80, 88
CLONE_ARGS = struct.Struct("<11Q")
MAX_TASKS = 512  # the emulator's threads-max: every task is a Python object and every process a Unicorn


class CloneArgs:
    """struct kernel_clone_args."""

    __slots__ = ("flags", "pidfd", "child_tid", "parent_tid", "exit_signal", "stack", "stack_size", "tls",
                 "set_tid", "cgroup", "legacy")

    def __init__(self, flags: int = 0, exit_signal: int = S.SIGCHLD, stack: int = 0, stack_size: int = 0,
                 tls: int = 0, parent_tid: int = 0, child_tid: int = 0, pidfd: int = 0,
                 set_tid: tuple[int, ...] = (), cgroup: int = 0, legacy: bool = True) -> None:
        self.flags = flags
        self.exit_signal = exit_signal
        self.stack = stack
        self.stack_size = stack_size
        self.tls = tls
        self.parent_tid = parent_tid
        self.child_tid = child_tid
        self.pidfd = pidfd
        self.set_tid = set_tid
        self.cgroup = cgroup
        self.legacy = legacy


def copy_clone_args_from_user(task: Task, uargs: int, usize: int) -> CloneArgs:
    """clone3's struct clone_args, sized 64/80/88 or larger with a zero tail (copy_struct_from_user)."""
    if usize > 4096:
        raise Errno(E.E2BIG)
    if usize < CLONE_ARGS_SIZE_VER0:
        raise Errno(E.EINVAL)
    raw = task.mm.read(uargs, usize)
    if usize > CLONE_ARGS.size and any(raw[CLONE_ARGS.size:]):
        raise Errno(E.E2BIG)
    raw = raw[:CLONE_ARGS.size].ljust(CLONE_ARGS.size, b"\0")
    (flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
     cgroup) = CLONE_ARGS.unpack(raw)
    if set_tid_size > MAX_PID_NS_LEVEL:
        raise Errno(E.EINVAL)
    if not set_tid and set_tid_size > 0:
        raise Errno(E.EINVAL)
    if set_tid and set_tid_size == 0:
        raise Errno(E.EINVAL)
    if exit_signal & ~CSIGNAL or exit_signal > S.NSIG:
        raise Errno(E.EINVAL)
    if flags & CLONE_INTO_CGROUP and (cgroup > 0x7FFFFFFF or usize < CLONE_ARGS_SIZE_VER2):
        raise Errno(E.EINVAL)
    tids: tuple[int, ...] = ()
    if set_tid_size:
        tids = struct.unpack(f"<{set_tid_size}i", task.mm.read(set_tid, 4 * set_tid_size))
    return CloneArgs(flags, exit_signal, stack, stack_size, tls, parent_tid, child_tid, pidfd, tids, cgroup,
                     legacy=False)


def clone3_args_valid(args: CloneArgs) -> None:
    if args.flags & ~(CLONE_LEGACY_FLAGS | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP):
        raise Errno(E.EINVAL)
    # clone3 frees CLONE_DETACHED and the CSIGNAL bits for reuse (except CLONE_NEWTIME): they must be 0
    if args.flags & (CLONE_DETACHED | (CSIGNAL & ~CLONE_NEWTIME)):
        raise Errno(E.EINVAL)
    if args.flags & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND) == CLONE_SIGHAND | CLONE_CLEAR_SIGHAND:
        raise Errno(E.EINVAL)
    if args.flags & (CLONE_THREAD | CLONE_PARENT) and args.exit_signal:
        raise Errno(E.EINVAL)
    if (args.stack == 0) != (args.stack_size == 0):
        raise Errno(E.EINVAL)


def check_clone_flags(task: Task, args: CloneArgs) -> None:
    """The flag rules at the top of copy_process, in Linux's order."""
    f = args.flags
    if f & (CLONE_NEWNS | CLONE_FS) == CLONE_NEWNS | CLONE_FS:
        raise Errno(E.EINVAL)
    if f & (CLONE_NEWUSER | CLONE_FS) == CLONE_NEWUSER | CLONE_FS:
        raise Errno(E.EINVAL)
    if f & CLONE_THREAD and not f & CLONE_SIGHAND:
        raise Errno(E.EINVAL)
    if f & CLONE_SIGHAND and not f & CLONE_VM:
        raise Errno(E.EINVAL)
    if f & CLONE_PARENT and task.tg.unkillable:
        raise Errno(E.EINVAL)  # a namespace init cannot make siblings
    if f & CLONE_THREAD:
        if f & (CLONE_NEWUSER | CLONE_NEWPID) or \
                (task.pid_ns_for_children is not None and task.pid_ns_for_children is not task.pid.ns):
            raise Errno(E.EINVAL)
    if f & CLONE_PIDFD and f & CLONE_DETACHED:
        raise Errno(E.EINVAL)
    if f & (CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET
             | CLONE_NEWCGROUP) and not capable(task.creds, CAP_SYS_ADMIN):
        raise Errno(E.EPERM)
    if f & (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP):
        raise Errno(E.EINVAL)  # only pid namespaces are implemented
    ns = child_pid_ns(task)
    if f & CLONE_NEWPID and ns is not task.pid.ns:
        raise Errno(E.EINVAL)  # copy_pid_ns: after unshare/setns(CLONE_NEWPID) a new one would be ambiguous
    if f & CLONE_NEWPID and ns.level + 1 > MAX_PID_NS_LEVEL:
        raise Errno(E.ENOSPC)
    if args.set_tid and len(args.set_tid) > ns.level + 1 + (1 if f & CLONE_NEWPID else 0):
        raise Errno(E.EINVAL)  # the capability is checked per level, after each number (alloc_pid)


def kernel_clone(task: Task, args: CloneArgs):
    """fork/vfork/clone/clone3: validate, copy, set up the child's registers, and (vfork) wait."""
    kernel = task.kernel
    f = args.flags
    if f & CLONE_PIDFD and f & CLONE_PARENT_SETTID and args.legacy is False and args.pidfd == args.parent_tid:
        raise Errno(E.EINVAL)
    check_clone_flags(task, args)
    live = len(kernel.tasks) - 1
    if live >= MAX_TASKS:
        raise Errno(E.EAGAIN)
    nproc = task.tg.rlimits[RLIMIT_NPROC][0]
    if task.creds.uid != 0 and not capable(task.creds, CAP_SYS_RESOURCE) and not capable(task.creds, CAP_SYS_ADMIN):
        # RLIMIT_NPROC counts the user's tasks; root and CAP_SYS_RESOURCE/ADMIN are exempt (copy_process)
        owned = sum(1 for t in kernel.tasks.values() if not t.kthread and t.creds.uid == task.creds.uid)
        if owned >= nproc:
            raise Errno(E.EAGAIN)
    mm = task.mm
    cpu = mm.cpu
    # copy_process allocates the pid first (set_tid's errors, ENOMEM in a namespace whose init is gone), then
    # stores the pidfd and asks the cgroup; a failure after the allocation frees the pid (free_pid), which
    # leaves a namespace whose first process this was unable to take any other
    pid = alloc_child_pid(task, f, args.set_tid)
    try:
        if f & CLONE_PIDFD:
            # the pidfd is stored before the child exists: a bad pointer fails the whole clone
            mm.write_u32(args.parent_tid if args.legacy else args.pidfd, 0)
        # Linux: kernel/cgroup/cgroup.c cgroup_can_fork (CLONE_INTO_CGROUP's fd, pids.max up the hierarchy)
        target = cgroup_from_fd(task.files.get(args.cgroup)) if f & CLONE_INTO_CGROUP else None
        dst = cgroup_can_fork(kernel, task, target, thread=bool(f & CLONE_THREAD))
    except Errno:
        pid.ns.free_pid(pid)
        raise
    # the PTRACE_EVENT this clone is, if the caller's tracer asked for it (kernel_clone's `trace`)
    trace = 0
    if task.ptrace is not None and not f & CLONE_UNTRACED:
        if f & CLONE_VFORK:
            trace = PTRACE_EVENT_VFORK
        elif args.exit_signal != S.SIGCHLD:
            trace = PTRACE_EVENT_CLONE
        else:
            trace = PTRACE_EVENT_FORK
        if not task.ptrace.event_enabled(trace):
            trace = 0
    child = copy_process(kernel, task, f, args.exit_signal, args.set_tid, pid=pid)
    if trace or f & CLONE_PTRACE:
        ptrace_init_task(child, task)
    cgroup_post_fork(kernel, task, child, dst)
    ns_child = child.pid.ns
    # the child's registers: the parent's at the syscall, with rax = 0
    if f & CLONE_VM:
        child.ctx = cpu.context_alloc()
        cpu.context_save(child.ctx)
        ccpu = None
    else:
        ctx = cpu.context_alloc()
        cpu.context_save(ctx)
        ccpu = child.mm.cpu
        ccpu.context_restore(ctx)
        cpu.context_free(ctx)
        ccpu.current = child
    regs = {RAX: 0}
    if args.stack:
        regs[RSP] = args.stack + args.stack_size if not args.legacy else args.stack
    if f & CLONE_SETTLS:
        regs[FS_BASE] = args.tls
        child.fs_base = args.tls
    else:
        child.fs_base = task.fs_base
    for reg, val in regs.items():
        if ccpu is None:
            cpu.context_reg_write(child.ctx, reg, val)
        else:
            ccpu.set_reg(reg, val)
    tid = kernel.vpid(task, child)  # the caller's view of the new task
    if f & CLONE_PARENT_SETTID:
        mm.write_u32(args.parent_tid, tid)
    if f & CLONE_CHILD_SETTID:
        child.mm.write_u32(args.child_tid, child.pid.nr_in(ns_child))
    if f & CLONE_CHILD_CLEARTID:
        child.clear_child_tid = args.child_tid
    if f & CLONE_PIDFD:
        fd = kernel.make_pidfd(task, child)
        if args.legacy:
            mm.write_u32(args.parent_tid, fd)
        else:
            mm.write_u32(args.pidfd, fd)
    if f & CLONE_CLEAR_SIGHAND:
        child.sighand.actions = {s: a for s, a in child.sighand.actions.items() if a[0] == S.SIG_IGN}
    kernel.sched.enqueue(child)
    if f & CLONE_VFORK:
        done = WaitQueue("vfork child to exec or exit")
        child.vfork_done = done

        def resume():
            if child.vfork_done is None:
                # wait_for_vfork_done, then ptrace_event_pid(PTRACE_EVENT_VFORK_DONE)
                pt = task.ptrace
                if pt is not None and pt.event_enabled(PTRACE_EVENT_VFORK_DONE):
                    return PtraceEvent(PTRACE_EVENT_VFORK_DONE, kernel.vpid(task.parent, child), lambda: tid)
                return tid
            return Block(done, what=done.name, resume=resume)

        then = resume  # the child may release the mm while we are in the event stop: look then, not now
    else:
        def then():
            return tid
    if trace:
        # ptrace_event_pid: the new task's pid as the tracer's namespace numbers it
        return PtraceEvent(trace, kernel.vpid(task.parent, child), then)
    return then()


def ptrace_init_task(child: Task, parent: Task) -> None:
    """ptrace_init_task: a traced parent's new child is traced by the same tracer with the same options,
    and stops before it first runs (SIGSTOP, or PTRACE_EVENT_STOP when seized)."""
    ppt = parent.ptrace
    if ppt is None:
        return
    pt = Ptrace(ppt.tracer, seized=ppt.seized, options=ppt.options)
    ptrace_link(child, ppt.tracer, pt)
    if pt.seized:
        pt.trap_stop = True
    else:
        child.pending.add(SigInfo(S.SIGSTOP), keep_info=False)
    child.sigpending_flag = True


def child_pid_ns(task: Task):
    """The namespace new children of task are created in (task->nsproxy->pid_ns_for_children)."""
    return task.pid_ns_for_children or task.pid.ns


def clone_syscall(task: Task, args: CloneArgs):
    """Every clone runs outside emulation, where rip/rcx/r11 already hold their after-syscall values."""
    return Deferred(lambda: kernel_clone(task, args))


def alloc_child_pid(parent: Task, flags: int, set_tid: tuple[int, ...] = ()):
    """alloc_pid for a new child of parent: in a new namespace with CLONE_NEWPID (its own pid_max)."""
    ns = child_pid_ns(parent)
    if flags & CLONE_NEWPID:
        ns = PidNamespace(ns)
    may_set_tid = bool(set_tid) and (capable(parent.creds, CAP_SYS_ADMIN)
                                     or capable(parent.creds, CAP_CHECKPOINT_RESTORE))
    return ns.alloc_pid(set_tid, may_set_tid)


def copy_process(kernel: Kernel, parent: Task, flags: int, exit_signal: int = S.SIGCHLD,
                 set_tid: tuple[int, ...] = (), pid=None) -> Task:
    """Create a task from parent, sharing or copying each part by its clone flag (pid: already allocated)."""
    if pid is None:
        pid = alloc_child_pid(parent, flags, set_tid)
    t = Task(kernel, pid.numbers[0])
    t.pid = pid
    t.start_time = kernel.clock.monotonic_ns()  # /proc/PID/stat starttime (Linux start_boottime)
    pid.tasks.append(t)
    t.creds = parent.creds.copy()
    t.no_new_privs = parent.no_new_privs
    if parent.seccomp is not None:  # copy_seccomp: the same filter chain, the same mode
        t.seccomp = parent.seccomp.copy()
        t.syscall_work_changed()
    # Linux: kernel/sched/core.c sched_fork (nice, policy, RT priority; SCHED_RESET_ON_FORK drops them back to
    # SCHED_OTHER, nice >= 0), block/ioprio.c copy_io and kernel/fork.c (personality): set by syscalls/sys.py,
    # sched.py, ioprio.py and exec_domain.py (the rules: emukernel/sched_policy.py)
    t.nice, t.sched_policy, t.rt_priority = parent.nice, parent.sched_policy, parent.rt_priority
    t.ioprio, t.personality = parent.ioprio, parent.personality
    if parent.sched_reset:
        t.sched_policy, t.rt_priority = 0, 0
        t.nice = max(parent.nice, 0)
    if flags & (CLONE_VM | CLONE_VFORK) == CLONE_VM:
        t.sas_ss_sp, t.sas_ss_size, t.sas_ss_flags = 0, 0, 2  # sas_ss_reset: SS_DISABLE
    else:
        t.sas_ss_sp, t.sas_ss_size, t.sas_ss_flags = parent.sas_ss_sp, parent.sas_ss_size, parent.sas_ss_flags
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
    t.pid_ns_for_children = None
    if pid.ns.child_reaper is None:
        pid.ns.child_reaper = t  # the first task of a namespace is its init
        t.tg.unkillable = True
    kernel.tasks[t.tid] = t
    if kernel.events is not None:
        kernel.events.on_clone(parent, t)
    return t
