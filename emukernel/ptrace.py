"""ptrace (Linux kernel/ptrace.c, with the stops of kernel/signal.c): the access check, the tracee's link to
its tracer, the four kinds of stop, and the requests every architecture shares.

A traced task stops in TASK_TRACED (`Scheduler.stop` with a `PtraceStop`) at one of Linux's points: a
signal about to be delivered (signal-delivery-stop, from get_signal), a group stop (do_jobctl_trap), a
syscall's entry or exit (the syscall path's trace work) and the PTRACE_EVENT points of fork, exec and exit.
Linux sleeps inside ptrace_stop and goes on where it was when the tracer resumes it; emukernel has no
kernel stacks, so each stop carries the rest of what the task was doing as a continuation (`cont`), which
the scheduler runs before the task returns to user mode (as `Task.restart`, Scheduler.resume).  The
tracer sees the stop through wait (emukernel.wait's ptrace branch) and resumes it with a request here; the
register and memory requests are arch_ptrace's (emukernel.regset).
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from .abi import errno as E
from .abi import signal as S
from .abi.capability import CAP_SYS_ADMIN, CAP_SYS_PTRACE
from .abi.ptrace import (
    AUDIT_ARCH_X86_64,
    PTRACE_CONT,
    PTRACE_DETACH,
    PTRACE_EVENT_EXEC,
    PTRACE_EVENT_SECCOMP,
    PTRACE_EVENT_STOP,
    PTRACE_GET_SYSCALL_INFO,
    PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG,
    PTRACE_GETEVENTMSG,
    PTRACE_GETSIGINFO,
    PTRACE_GETSIGMASK,
    PTRACE_INTERRUPT,
    PTRACE_KILL,
    PTRACE_LISTEN,
    PTRACE_O_EXITKILL,
    PTRACE_O_MASK,
    PTRACE_O_SUSPEND_SECCOMP,
    PTRACE_O_TRACESYSGOOD,
    PTRACE_PEEKSIGINFO,
    PTRACE_PEEKSIGINFO_SHARED,
    PTRACE_SECCOMP_GET_FILTER,
    PTRACE_SECCOMP_GET_METADATA,
    PTRACE_SEIZE,
    PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG,
    PTRACE_SETOPTIONS,
    PTRACE_SETSIGINFO,
    PTRACE_SETSIGMASK,
    PTRACE_SINGLESTEP,
    PTRACE_SYSCALL,
    PTRACE_SYSCALL_INFO_ENTRY,
    PTRACE_SYSCALL_INFO_EXIT,
    PTRACE_SYSCALL_INFO_NONE,
    PTRACE_SYSCALL_INFO_SECCOMP,
    PTRACE_SYSEMU,
    PTRACE_SYSEMU_SINGLESTEP,
)
from .abi.siginfo import CLD_STOPPED, CLD_TRAPPED, SI_KERNEL, SI_USER
from .cpu import ARG_REGS, EFLAGS, RAX, RIP, RSP
from .creds import capable
from .errors import Errno
from .mm import SUID_DUMP_USER
from .regset import X86_EFLAGS_TF, set_task_reg, task_reg
from .sched import Block, WaitQueue
from .seccomp.filter import seccomp_get_filter, seccomp_get_metadata
from .signal.siginfo import SIGINFO_SIZE, SigInfo
from .stops import GROUP_STOP, PtraceStop
from .syscall_user_dispatch import syscall_user_dispatch_get_config, syscall_user_dispatch_set_config
from .task import EXIT_ZOMBIE

if TYPE_CHECKING:
    from .task import Task

MASK64 = (1 << 64) - 1
U64 = struct.Struct("<Q")
_SIGKILL_BIT = 1 << (S.SIGKILL - 1)

# include/linux/ptrace.h
PTRACE_MODE_READ = 0x01
PTRACE_MODE_ATTACH = 0x02
PTRACE_MODE_NOAUDIT = 0x04
PTRACE_MODE_FSCREDS = 0x08
PTRACE_MODE_REALCREDS = 0x10
PTRACE_MODE_READ_FSCREDS = PTRACE_MODE_READ | PTRACE_MODE_FSCREDS
PTRACE_MODE_READ_REALCREDS = PTRACE_MODE_READ | PTRACE_MODE_REALCREDS
PTRACE_MODE_ATTACH_FSCREDS = PTRACE_MODE_ATTACH | PTRACE_MODE_FSCREDS
PTRACE_MODE_ATTACH_REALCREDS = PTRACE_MODE_ATTACH | PTRACE_MODE_REALCREDS


def ptrace_may_access(task: Task, target: Task, mode: int) -> bool:
    """__ptrace_may_access: may `task` inspect (READ) or trace (ATTACH) `target`?  A thread of the caller's
    own group always may; otherwise the caller's real (REALCREDS) or filesystem (FSCREDS) uid and gid must
    equal every uid and gid of the target, or it holds CAP_SYS_PTRACE; and a target whose mm is not
    dumpable needs CAP_SYS_PTRACE whatever the ids.  (No LSM: this host's Yama is not enabled.)"""
    assert mode & (PTRACE_MODE_FSCREDS | PTRACE_MODE_REALCREDS), "a mode names the credentials to use"
    if target.tg is task.tg:
        return True
    c, t = task.creds, target.creds
    if mode & PTRACE_MODE_FSCREDS:
        uid, gid = c.fsuid, c.fsgid
    else:
        uid, gid = c.uid, c.gid
    if not (uid == t.euid == t.suid == t.uid and gid == t.egid == t.sgid == t.gid) \
            and not capable(c, CAP_SYS_PTRACE):
        return False
    mm = target.mm
    return mm is None or mm.dumpable == SUID_DUMP_USER or capable(c, CAP_SYS_PTRACE)


# -- the tracee's link to its tracer -----------------------------------------------------------------------
class Ptrace:
    """What Linux keeps in a tracee's task_struct while it is traced: the tracer (->parent), the flags
    (PT_SEIZED and the PTRACE_O_* options), ptrace_message, last_siginfo, the jobctl trap bits, and how the
    last resume asked it to run (the syscall-trace and single-step work flags, and the signal it carries)."""

    __slots__ = ("tracer", "seized", "options", "message", "last_siginfo", "syscall", "step", "resume_sig",
                 "trap_stop", "listening", "trap_notify", "exit_stopped", "forced_tf")

    def __init__(self, tracer: Task, seized: bool, options: int = 0) -> None:
        self.tracer = tracer
        self.seized = seized
        self.options = options
        self.message = 0  # PTRACE_GETEVENTMSG
        self.last_siginfo: SigInfo | None = None  # the stop's siginfo (PTRACE_GETSIGINFO), None: EINVAL
        self.syscall = NO_SYSCALL_TRACE  # SYSCALL_TRACE after PTRACE_SYSCALL, SYSCALL_EMU after PTRACE_SYSEMU
        self.step = False  # PTRACE_SINGLESTEP / SYSEMU_SINGLESTEP
        self.resume_sig = 0  # what the last stop ended with: the resume's data, or its unreported code
        self.trap_stop = False  # JOBCTL_TRAP_STOP: PTRACE_INTERRUPT or a seized group stop is due
        self.listening = False  # JOBCTL_LISTENING: PTRACE_LISTEN
        self.trap_notify = False  # JOBCTL_TRAP_NOTIFY: a listening tracee must re-trap (SIGCONT, a new stop)
        self.exit_stopped = False  # PTRACE_EVENT_EXIT was taken: the task is in do_exit (PF_EXITING)
        self.forced_tf = False  # TIF_FORCED_TF: the trap flag is set for PTRACE_SINGLESTEP, not by the task

    def event_enabled(self, event: int) -> bool:
        """ptrace_event_enabled."""
        return bool(self.options & (1 << event))


NO_SYSCALL_TRACE, SYSCALL_TRACE, SYSCALL_EMU = 0, 1, 2
PTRACE_EVENTMSG_SYSCALL_ENTRY, PTRACE_EVENTMSG_SYSCALL_EXIT = 1, 2


class PtraceEvent:
    """A syscall's result that is a PTRACE_EVENT stop first (fork, vfork, clone, exec, vfork-done): the
    stop's event and message, then `then()`, the syscall's real result (ptrace_event_pid, then return)."""

    __slots__ = ("event", "message", "then")

    def __init__(self, event: int, message: int, then) -> None:
        self.event = event
        self.message = message
        self.then = then


def ptrace_reparented(task: Task) -> bool:
    """ptrace_reparented: traced by a process other than its real parent's."""
    return task.parent is not None and task.real_parent is not None and task.parent.tg is not task.real_parent.tg


def fatal_signal_pending(task: Task) -> bool:
    """__fatal_signal_pending: SIGKILL is queued for the task (or it is gone already).  A thread that
    calls exit_group itself is not killed by it: it may still stop at PTRACE_EVENT_EXIT."""
    return not task.alive or bool((task.pending.bits | task.tg.shared.bits) & _SIGKILL_BIT)


def ptrace_link(task: Task, tracer: Task, pt: Ptrace) -> None:
    """__ptrace_link: tracer becomes the task's parent for wait and SIGCHLD; every syscall takes the slow
    path while it is traced."""
    task.ptrace = pt
    task.parent = tracer
    tracer.ptraced.append(task)
    task.syscall_work_changed()


def ptrace_unlink(task: Task) -> None:
    """__ptrace_unlink: back to the real parent; a tracee in a ptrace stop is woken (or, if its group is
    stopped, goes back to the group stop)."""
    pt = task.ptrace
    if pt is None:
        return
    tracer = pt.tracer
    if task in tracer.ptraced:
        tracer.ptraced.remove(task)
    task.ptrace = None
    task.parent = task.real_parent
    task.syscall_work_changed()
    if not task.alive:
        return
    tg = task.tg
    if tg.stopped or tg.stop_pending:
        task.jobctl_stop = True
        task.sigpending_flag = True
    if isinstance(task.stop, PtraceStop):
        wake_traced(task, pt)


def wake_traced(task: Task, pt: Ptrace) -> None:
    """End a ptrace stop: the task runs the rest of what it stopped in (the stop's continuation) before it
    returns to user mode (wake_up_state(child, __TASK_TRACED)).  What ptrace_stop returns in Linux, the
    task's exit_code, is the stop's code as it is now: the resume's data, or, for a tracee let go without
    one (its tracer died), the stop's own signal unless a wait consumed it."""
    stop = task.stop
    if stop is None:
        return
    if isinstance(stop, PtraceStop):
        pt.resume_sig = stop.code
        if stop.cont is not None:
            # Scheduler.resume runs it first; never inside another thread's syscall hook
            task.restart = (None, None, stop.cont)
            task.restart_in_hook = False
    task.kernel.sched.end_stop(task)


def notify_tracer(task: Task, why: int, status: int) -> None:
    """do_notify_parent_cldstop(for_ptracer): SIGCHLD to the tracer (unless it ignores it or set
    SA_NOCLDSTOP), and its waiters woken."""
    tracer = task.parent
    kernel = task.kernel
    act = tracer.sighand.actions.get(S.SIGCHLD)
    if not (act is not None and (act[0] == S.SIG_IGN or act[1] & S.SA_NOCLDSTOP)):
        info = SigInfo(S.SIGCHLD, why, pid=kernel.vpid(tracer, task), uid=task.creds.uid, status=status & 0x7F,
                       kind="chld")
        kernel.signals.send(tracer, S.SIGCHLD, group=True, info=info)
    kernel.child_exited(tracer, task)


# -- stops ------------------------------------------------------------------------------------------------
def ptrace_stop(task: Task, exit_code: int, why: int, message: int, info: SigInfo | None, kind: str,
                cont) -> bool:
    """ptrace_stop: stop in TASK_TRACED until the tracer resumes the task; cont() then runs the rest of
    what the task was doing.  Returns False (and does not stop) when the task is untraced or dying."""
    pt = task.ptrace
    if pt is None or fatal_signal_pending(task):
        return False
    pt.message = message
    pt.last_siginfo = info
    pt.resume_sig = 0
    # any trap ends a pending STOP trap; a STOP trap ends a pending notification too
    pt.trap_stop = False
    if info is not None and info.code >> 8 == PTRACE_EVENT_STOP:
        pt.trap_notify = False
    stop = PtraceStop(kind, exit_code, message)
    stop.cont = cont
    task.kernel.sched.stop(task, stop)
    notify_tracer(task, why, exit_code)
    return True


def ptrace_notify(task: Task, exit_code: int, message: int, kind: str, cont) -> bool:
    """ptrace_notify / ptrace_do_notify: a SIGTRAP stop with si_code = exit_code (syscall and event stops)."""
    info = SigInfo(S.SIGTRAP, exit_code, pid=task.pid.nr_in(task.pid.ns), uid=task.creds.uid)
    return ptrace_stop(task, exit_code, CLD_TRAPPED, message, info, kind, cont)


def ptrace_event(task: Task, event: int, message: int, cont) -> bool:
    """ptrace_event: an event stop if the tracer asked for it; exec without the option and without SEIZE
    gets the traditional SIGTRAP instead."""
    pt = task.ptrace
    if pt is None:
        return False
    if pt.event_enabled(event):
        return ptrace_notify(task, (event << 8) | S.SIGTRAP, message, PtraceStop.EVENT, cont)
    if event == PTRACE_EVENT_EXEC and not pt.seized:
        send_sig(task, S.SIGTRAP, priv=False)
    return False


def ptrace_report_syscall(task: Task, message: int, cont) -> bool:
    """ptrace_report_syscall: a syscall-entry or -exit stop (SIGTRAP, | 0x80 with TRACESYSGOOD)."""
    pt = task.ptrace
    code = S.SIGTRAP | (0x80 if pt.options & PTRACE_O_TRACESYSGOOD else 0)
    kind = PtraceStop.SYSCALL_ENTRY if message == PTRACE_EVENTMSG_SYSCALL_ENTRY else PtraceStop.SYSCALL_EXIT
    return ptrace_notify(task, code, message, kind, cont)


def after_syscall_stop(task: Task, pt: Ptrace) -> None:
    """The end of ptrace_report_syscall: a signal given with the resume (or the detach) is sent to the
    tracee.  pt: the link the stop was taken under (the tracer may have detached since)."""
    if pt.resume_sig:
        sig, pt.resume_sig = pt.resume_sig, 0
        send_sig(task, sig, priv=True)


def ptrace_signal(task: Task, info: SigInfo) -> bool:
    """ptrace_signal, the stop half: a signal about to be delivered stops the tracee first
    (signal-delivery-stop); the tracer then suppresses, changes or passes it (signal_delivery_resumed)."""
    pt = task.ptrace

    def cont() -> None:
        signal_delivery_resumed(task, pt, info)

    return ptrace_stop(task, info.signo, CLD_TRAPPED, 0, info, PtraceStop.SIGNAL_DELIVERY, cont)


def signal_delivery_resumed(task: Task, pt: Ptrace, info: SigInfo) -> None:
    """ptrace_signal, the rest: the tracer's choice (its resume's or detach's data) is the signal to deliver
    now; another number than the stopped one gets a new SI_USER siginfo naming the tracer (unless it set one
    with SETSIGINFO), a blocked one is queued again, 0 drops it."""
    kernel = task.kernel
    sig = pt.resume_sig
    pt.resume_sig = 0
    info = pt.last_siginfo or info
    pt.last_siginfo = None
    task.sigpending_flag = True  # back into get_signal: the rest of the pending signals, and a restart
    if task.mm is not None:
        # arch_do_signal_or_restart decides from the registers as the tracer left them: a tracer that
        # changed rax (and orig_rax) asked for a restart, or cancelled one
        rax = task_reg(task, RAX)
        rax = rax - (1 << 64) if rax >> 63 else rax
        if rax != task.restart_ret:
            nr = task.orig_rax & MASK64
            if nr >> 63 == 0 and -E.ERESTART_RESTARTBLOCK <= rax <= -E.ERESTARTSYS:
                task.restart_ret, task.restart_nr = rax, nr
            else:
                task.restart_ret = 0
    if not sig:
        return
    if sig != info.signo:
        tracer = task.parent
        info = SigInfo(sig, SI_USER, pid=kernel.vpid(task, tracer) if tracer is not None else 0,
                       uid=tracer.creds.uid if tracer is not None else 0)
    if task.sigmask & (1 << (sig - 1)) or fatal_signal_pending(task):
        kernel.signals.send(task, sig, group=False, info=info)
        return
    task.injected_signal = info


def send_sig(task: Task, sig: int, priv: bool) -> None:
    """send_sig: a thread-directed signal from the kernel (priv: SI_KERNEL) or as if from the task itself."""
    kernel = task.kernel
    if priv:
        info = SigInfo(sig, SI_KERNEL)
    else:
        info = SigInfo(sig, SI_USER, pid=kernel.vtgid(task, task), uid=task.creds.uid)
    kernel.signals.send(task, sig, group=False, info=info)
# -- attaching and detaching ------------------------------------------------------------------------------
def ptrace_traceme(task: Task) -> int:
    """PTRACE_TRACEME: the real parent becomes the tracer (EPERM when already traced)."""
    if task.ptrace is not None:
        raise Errno(E.EPERM)
    parent = task.real_parent
    if parent is None or parent.kthread or not parent.alive:
        return 0  # the parent passed exit_ptrace: as if it untraced us right away
    ptrace_link(task, parent, Ptrace(parent, seized=False))
    return 0


def ptrace_attach(tracer: Task, child: Task, request: int, addr: int, flags: int):
    """ptrace_attach: PTRACE_ATTACH (the tracee gets SIGSTOP) or PTRACE_SEIZE (options in data, no stop)."""
    seize = request == PTRACE_SEIZE
    if seize:
        if addr != 0 or flags & ~PTRACE_O_MASK:
            raise Errno(E.EIO)
    if child.kthread or child.tg is tracer.tg:
        raise Errno(E.EPERM)
    tg = child.tg
    if tg.execing is not None:
        # an exec holds the target's cred_guard_mutex until de_thread is done: wait for it (interruptibly;
        # an exec that waits for this very tracer to reap a thread never finishes, as on Linux)
        if tracer.signal_interrupts():
            return -E.ERESTARTNOINTR
        if tg.cred_guard_wait is None:
            tg.cred_guard_wait = WaitQueue("the exec holding cred_guard_mutex")
        q = tg.cred_guard_wait
        return Block(q, what=q.name, resume=lambda: ptrace_attach(tracer, child, request, addr, flags))
    if not ptrace_may_access(tracer, child, PTRACE_MODE_ATTACH_REALCREDS):
        raise Errno(E.EPERM)
    if child.exit_state or child.ptrace is not None:
        raise Errno(E.EPERM)
    if seize:
        check_suspend_seccomp(tracer, flags)
    pt = Ptrace(tracer, seized=seize, options=flags if seize else 0)
    ptrace_link(child, tracer, pt)
    if not seize:
        child.kernel.signals.send(child, S.SIGSTOP, group=False, info=SigInfo(S.SIGSTOP, SI_KERNEL))
    if child.stop is GROUP_STOP:
        # already stopped: it moves into a ptrace stop at once (JOBCTL_TRAP_STOP, and the attach waits
        # for the transition), reporting the group stop's signal to its new tracer
        child.kernel.sched.end_stop(child)
        child.jobctl_stop = True
        pt.trap_stop = True
        tg = child.tg
        do_jobctl_trap(child, tg.stop_code or tg.stop_pending or S.SIGSTOP)
    return 0


def check_suspend_seccomp(tracer: Task, options: int) -> None:
    """ptrace_setoptions: PTRACE_O_SUSPEND_SECCOMP (checkpoint/restore) needs CAP_SYS_ADMIN and a tracer
    with no seccomp of its own."""
    if options & PTRACE_O_SUSPEND_SECCOMP:
        sc = tracer.seccomp
        if not capable(tracer.creds, CAP_SYS_ADMIN) or (sc is not None and sc.mode != 0):
            raise Errno(E.EPERM)


def do_jobctl_trap(task: Task, signr: int) -> bool:
    """do_jobctl_trap: the stop of a traced task in a group stop, or of a seized one told to
    (PTRACE_INTERRUPT): PTRACE_EVENT_STOP for a seized tracee, a plain group-stop otherwise."""
    pt = task.ptrace
    tg = task.tg
    if pt.seized:
        if not tg.stop_pending and not tg.stopped:
            signr = S.SIGTRAP
        code = signr | (PTRACE_EVENT_STOP << 8)
        info = SigInfo(signr, code, pid=task.pid.nr_in(task.pid.ns), uid=task.creds.uid)
        return ptrace_stop(task, code, CLD_STOPPED, 0, info, PtraceStop.GROUP, None)
    return ptrace_stop(task, signr, CLD_STOPPED, 0, None, PtraceStop.GROUP, None)


def ptrace_check_attach(tracer: Task, child: Task, ignore_state: bool) -> None:
    """ptrace_check_attach: the child must be traced by the caller and (for most requests) in a ptrace
    stop that is not PTRACE_LISTEN's; ESRCH otherwise."""
    pt = child.ptrace
    if pt is None or pt.tracer is not tracer:
        raise Errno(E.ESRCH)
    if ignore_state:
        return
    if not isinstance(child.stop, PtraceStop) or pt.listening or fatal_signal_pending(child):
        raise Errno(E.ESRCH)


def ptrace_resume(child: Task, request: int, data: int) -> int:
    """ptrace_resume: CONT, SYSCALL, SINGLESTEP, SYSEMU(_SINGLESTEP): set how the tracee runs and the
    signal it carries, then wake it."""
    if data >= 1 << 32 or not valid_signal(data):
        raise Errno(E.EIO)
    pt = child.ptrace
    if request == PTRACE_SYSCALL:
        pt.syscall = SYSCALL_TRACE
    elif request in (PTRACE_SYSEMU, PTRACE_SYSEMU_SINGLESTEP):
        pt.syscall = SYSCALL_EMU
    else:
        pt.syscall = NO_SYSCALL_TRACE
    if request in (PTRACE_SINGLESTEP, PTRACE_SYSEMU_SINGLESTEP):
        enable_single_step(child, pt)
    else:
        disable_single_step(child, pt)
    child.stop.code = data
    wake_traced(child, pt)
    return 0


def enable_single_step(child: Task, pt: Ptrace) -> None:
    """enable_single_step (x86): stepping is the CPU's trap flag, as on Linux: set in the tracee's flags
    (hidden from the tracer, TIF_FORCED_TF) unless the task set it itself or the instruction to run is a
    popf or iret, which makes the flag it loads the task's own."""
    pt.step = True
    flags = task_reg(child, EFLAGS)
    if flags & X86_EFLAGS_TF and not pt.forced_tf:
        return
    set_task_reg(child, EFLAGS, flags | X86_EFLAGS_TF)
    pt.forced_tf = not is_setting_trap_flag(child)


def disable_single_step(child: Task, pt: Ptrace) -> None:
    """user_disable_single_step: the trap flag goes, if it was ours."""
    pt.step = False
    if pt.forced_tf:
        pt.forced_tf = False
        if child.mm is not None:
            set_task_reg(child, EFLAGS, task_reg(child, EFLAGS) & ~X86_EFLAGS_TF)


_PREFIXES = frozenset((0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3))


def is_setting_trap_flag(child: Task) -> bool:
    """is_setting_trap_flag: the next instruction (past its prefixes) is popf or iret."""
    try:
        code = child.mm.read(task_reg(child, RIP), 15)
    except Errno:
        return False
    for byte in code:
        if byte in _PREFIXES or 0x40 <= byte <= 0x4F:
            continue
        return byte in (0x9D, 0xCF)
    return False


def ptrace_detach(child: Task, data: int) -> int:
    """ptrace_detach: untrace a stopped tracee, which goes on with signal `data` (a signal-delivery-stop
    delivers it; other stops send it)."""
    if not valid_signal(data):
        raise Errno(E.EIO)
    pt = child.ptrace
    pt.syscall = NO_SYSCALL_TRACE
    disable_single_step(child, pt)
    child.stop.code = data
    ptrace_unlink(child)
    return 0


def exit_ptrace(tracer: Task) -> list[Task]:
    """exit_ptrace: a dying tracer detaches every tracee (PTRACE_O_EXITKILL ones are killed first).  Returns
    the tracees that were zombies: the caller (exit_notify) hands them to their real parents or reaps them
    (__ptrace_detach's second half)."""
    kernel = tracer.kernel
    zombies = []
    for child in list(tracer.ptraced):
        if child.ptrace.options & PTRACE_O_EXITKILL and child.alive:
            kernel.signals.send(child, S.SIGKILL, group=False, info=SigInfo(S.SIGKILL, SI_KERNEL))
        ptrace_unlink(child)
        if child.exit_state == EXIT_ZOMBIE:
            zombies.append(child)
    return zombies


def valid_signal(sig: int) -> bool:
    return 0 <= sig <= S.NSIG


# -- requests ---------------------------------------------------------------------------------------------
def ptrace_request(tracer: Task, child: Task, request: int, addr: int, data: int) -> int:
    """ptrace_request: the requests every architecture shares (arch_ptrace's fallback in Linux)."""
    kernel = tracer.kernel
    pt = child.ptrace
    mm = tracer.mm
    if request == PTRACE_SETOPTIONS:
        if data & ~PTRACE_O_MASK:
            raise Errno(E.EINVAL)
        check_suspend_seccomp(tracer, data)
        pt.options = data
        return 0
    if request == PTRACE_GETEVENTMSG:
        mm.write(data, U64.pack(pt.message & MASK64))
        return 0
    if request == PTRACE_GETSIGINFO:
        if pt.last_siginfo is None:
            raise Errno(E.EINVAL)
        mm.write(data, pt.last_siginfo.pack())
        return 0
    if request == PTRACE_SETSIGINFO:
        raw = mm.read(data, SIGINFO_SIZE)
        if pt.last_siginfo is None:
            raise Errno(E.EINVAL)
        signo = struct.unpack_from("<i", raw)[0]
        pt.last_siginfo = SigInfo.from_user(signo, raw)
        return 0
    if request == PTRACE_PEEKSIGINFO:
        return ptrace_peek_siginfo(tracer, child, addr, data)
    if request == PTRACE_GETSIGMASK:
        if addr != 8:
            raise Errno(E.EINVAL)
        mm.write(data, U64.pack(child.sigmask))
        return 0
    if request == PTRACE_SETSIGMASK:
        if addr != 8:
            raise Errno(E.EINVAL)
        mask = U64.unpack(mm.read(data, 8))[0] & ~(S.sigmask(S.SIGKILL) | S.sigmask(S.SIGSTOP))
        child.sigmask = mask
        child.sigpending_flag = True
        return 0
    if request == PTRACE_INTERRUPT:
        if not pt.seized:
            raise Errno(E.EIO)
        # JOBCTL_TRAP_STOP: a trap at the tracee's next chance (after the current one, if it is in one);
        # a listening tracee re-traps at once
        pt.trap_stop = True
        if isinstance(child.stop, PtraceStop):
            if pt.listening:
                ptrace_signal_wake_up(child)
        else:
            kernel.signals.signal_wake_up(child)
        return 0
    if request == PTRACE_LISTEN:
        if not pt.seized:
            raise Errno(E.EIO)
        info = pt.last_siginfo
        # only a PTRACE_EVENT_STOP trap may listen
        if info is None or info.code >> 8 != PTRACE_EVENT_STOP:
            raise Errno(E.EIO)
        pt.listening = True
        # a notification that came since the trap began ends the listening at once
        if pt.trap_notify:
            ptrace_signal_wake_up(child)
        return 0
    if request == PTRACE_DETACH:
        return ptrace_detach(child, data)
    if request in (PTRACE_CONT, PTRACE_SYSCALL, PTRACE_SYSEMU, PTRACE_SINGLESTEP, PTRACE_SYSEMU_SINGLESTEP):
        return ptrace_resume(child, request, data)
    if request == PTRACE_KILL:
        kernel.signals.send(child, S.SIGKILL, group=False, info=SigInfo(S.SIGKILL, SI_KERNEL))
        return 0
    if request == PTRACE_GET_SYSCALL_INFO:
        return ptrace_get_syscall_info(tracer, child, addr, data)
    if request == PTRACE_SECCOMP_GET_FILTER:
        return seccomp_get_filter(tracer, child, addr, data)
    if request == PTRACE_SECCOMP_GET_METADATA:
        return seccomp_get_metadata(tracer, child, addr, data)
    if request == PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG:
        return syscall_user_dispatch_get_config(tracer, child, addr, data)
    if request == PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG:
        return syscall_user_dispatch_set_config(tracer, child, addr, data)
    raise Errno(E.EIO)


PEEKSIGINFO_ARGS = struct.Struct("<QIi")  # struct ptrace_peeksiginfo_args: off, flags, nr


def ptrace_peek_siginfo(tracer: Task, child: Task, addr: int, data: int) -> int:
    """PTRACE_PEEKSIGINFO: copy up to nr queued siginfos of the child (its own queue, or its process's with
    PTRACE_PEEKSIGINFO_SHARED) from position off; returns how many, a fault after the first ends early."""
    mm = tracer.mm
    off, flags, nr = PEEKSIGINFO_ARGS.unpack(mm.read(addr, PEEKSIGINFO_ARGS.size))
    if flags & ~PTRACE_PEEKSIGINFO_SHARED or nr < 0:
        raise Errno(E.EINVAL)
    pending = child.tg.shared if flags & PTRACE_PEEKSIGINFO_SHARED else child.pending
    queued = [info for infos in pending.queue.values() for info in infos]
    copied = 0
    for info in queued[off:off + nr]:
        try:
            mm.write(data + copied * SIGINFO_SIZE, info.pack())
        except Errno:
            if copied:
                break
            raise Errno(E.EFAULT) from None
        copied += 1
    return copied


def ptrace_signal_wake_up(task: Task) -> None:
    """ptrace_signal_wake_up(resume): end a trap (a listening one, for LISTEN's and INTERRUPT's re-trap):
    the task goes back into get_signal, where its pending trap bits trap it again."""
    task.ptrace.listening = False
    task.sigpending_flag = True
    wake_traced(task, task.ptrace)


def ptrace_trap_notify(task: Task) -> None:
    """ptrace_trap_notify: a job-control change a seized tracee must report (JOBCTL_TRAP_NOTIFY); a
    listening one is woken to do it now."""
    pt = task.ptrace
    pt.trap_notify = True
    task.sigpending_flag = True
    if pt.listening:
        ptrace_signal_wake_up(task)


SYSCALL_INFO_HEAD = struct.Struct("<BxxxIQQ")  # op, arch, instruction_pointer, stack_pointer
_INFO_ENTRY = struct.Struct("<Q6Q")  # nr, args
_INFO_EXIT = struct.Struct("<qB")  # rval, is_error
_INFO_SECCOMP = struct.Struct("<Q6QI")  # nr, args, ret_data


def ptrace_get_syscall_info(tracer: Task, child: Task, size: int, addr: int) -> int:
    """PTRACE_GET_SYSCALL_INFO: which syscall stop this is (told by the stop's si_code and message, as
    Linux does: without TRACESYSGOOD a syscall stop reads as op NONE), its number and arguments or its
    result; copies at most `size` bytes and returns the full size."""
    pt = child.ptrace
    info = pt.last_siginfo
    code = info.code if info is not None else 0
    op = PTRACE_SYSCALL_INFO_NONE
    if code == S.SIGTRAP | 0x80:
        if pt.message == PTRACE_EVENTMSG_SYSCALL_ENTRY:
            op = PTRACE_SYSCALL_INFO_ENTRY
        elif pt.message == PTRACE_EVENTMSG_SYSCALL_EXIT:
            op = PTRACE_SYSCALL_INFO_EXIT
    elif code == S.SIGTRAP | (PTRACE_EVENT_SECCOMP << 8):
        op = PTRACE_SYSCALL_INFO_SECCOMP
    out = SYSCALL_INFO_HEAD.pack(op, AUDIT_ARCH_X86_64, task_reg(child, RIP), task_reg(child, RSP))
    if op in (PTRACE_SYSCALL_INFO_ENTRY, PTRACE_SYSCALL_INFO_SECCOMP):
        args = [task_reg(child, r) for r in ARG_REGS]
        nr = child.orig_rax & MASK64
        if op == PTRACE_SYSCALL_INFO_ENTRY:
            out += _INFO_ENTRY.pack(nr, *args)
        else:
            out += _INFO_SECCOMP.pack(nr, *args, pt.message & 0xFFFFFFFF)
    elif op == PTRACE_SYSCALL_INFO_EXIT:
        rval = task_reg(child, RAX)
        if rval >= 1 << 63:
            rval -= 1 << 64
        out += _INFO_EXIT.pack(rval, 1 if -4095 <= rval < 0 else 0)
    n = min(size, len(out))
    if n:
        tracer.mm.write(addr, out[:n])
    return len(out)
