"""The seccomp check at syscall entry (Linux kernel/seccomp.c __secure_computing, __seccomp_filter,
__secure_computing_strict): run after ptrace's syscall-entry stop, before the handler.

The check decides one of three things (SYSCALL_RUN, SYSCALL_SKIP, SYSCALL_HELD): run the syscall, skip it
(its result already in rax, or the task dying), or neither yet: the task stopped for its tracer
(SECCOMP_RET_TRACE) or waits for a supervisor's answer (SECCOMP_RET_USER_NOTIF), and `done(decision)` is
called when it can go on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..abi import errno as E
from ..abi import signal as S
from ..abi.ptrace import PTRACE_EVENT_SECCOMP, PTRACE_O_SUSPEND_SECCOMP
from ..abi.seccomp import (
    SECCOMP_MODE_DEAD,
    SECCOMP_MODE_FILTER,
    SECCOMP_MODE_STRICT,
    SECCOMP_RET_ACTION_FULL,
    SECCOMP_RET_ALLOW,
    SECCOMP_RET_DATA,
    SECCOMP_RET_ERRNO,
    SECCOMP_RET_KILL_THREAD,
    SECCOMP_RET_LOG,
    SECCOMP_RET_TRACE,
    SECCOMP_RET_TRAP,
    SECCOMP_RET_USER_NOTIF,
    SYS_SECCOMP,
)
from ..abi.siginfo import AUDIT_ARCH_X86_64
from ..abi.syscall_numbers import NUMBERS
from ..cpu import ARG_REGS, RAX, RIP
from ..ptrace import fatal_signal_pending, ptrace_event
from ..signal.siginfo import SigInfo
from .filter import seccomp_run_filters
from .notify import seccomp_do_user_notification

if TYPE_CHECKING:
    from ..task import Task

SYSCALL_RUN, SYSCALL_SKIP, SYSCALL_HELD = 0, -1, 1
MAX_ERRNO = 4095
# __secure_computing_strict's mode1_syscalls
_STRICT_ALLOWED = frozenset(NUMBERS[n] for n in ("read", "write", "exit", "rt_sigreturn"))


def syscall_nr(task: Task) -> int:
    """syscall_get_nr: orig_rax as the int the entry code passes around."""
    nr = task.orig_rax & 0xFFFFFFFF
    return nr - (1 << 32) if nr & 0x80000000 else nr


def secure_computing(task: Task, done) -> int:
    """__secure_computing: strict mode's four syscalls, or the filters' verdict."""
    sc = task.seccomp
    pt = task.ptrace
    if pt is not None and pt.options & PTRACE_O_SUSPEND_SECCOMP:  # a checkpointing tracer's wish
        return SYSCALL_RUN
    mode = sc.mode
    nr = syscall_nr(task)
    if mode == SECCOMP_MODE_FILTER:
        return seccomp_filter(task, nr, done, False)
    if mode == SECCOMP_MODE_STRICT:
        if nr in _STRICT_ALLOWED:
            return SYSCALL_RUN
        sc.mode = SECCOMP_MODE_DEAD
        task.kernel.exit_task(task, S.SIGKILL)
        return SYSCALL_SKIP
    if mode == SECCOMP_MODE_DEAD:  # a KILL action was taken: nothing runs any more
        task.kernel.exit_task(task, S.SIGKILL)
        return SYSCALL_SKIP
    return SYSCALL_RUN


def seccomp_filter(task: Task, nr: int, done, recheck: bool) -> int:
    """__seccomp_filter: run the filters on the syscall as the registers say now and act on the result."""
    sc = task.seccomp
    cpu = task.mm.cpu
    ip = cpu.reg(RIP)
    args = tuple(cpu.reg(r) for r in ARG_REGS)
    ret, match = seccomp_run_filters(sc.filter, nr, AUDIT_ARCH_X86_64, ip, args)
    data = ret & SECCOMP_RET_DATA
    action = ret & SECCOMP_RET_ACTION_FULL
    if action == SECCOMP_RET_ALLOW or action == SECCOMP_RET_LOG:
        return SYSCALL_RUN
    if action == SECCOMP_RET_ERRNO:
        cpu.set_reg(RAX, -min(data, MAX_ERRNO))
        return SYSCALL_SKIP
    if action == SECCOMP_RET_TRAP:
        cpu.set_reg(RAX, task.orig_rax)  # syscall_rollback: the handler sees the original registers
        force_sig_seccomp(task, nr, data, ip, False)
        return SYSCALL_SKIP
    if action == SECCOMP_RET_TRACE:
        if recheck:  # the tracer has seen it already
            return SYSCALL_RUN
        pt = task.ptrace
        if pt is None or not pt.event_enabled(PTRACE_EVENT_SECCOMP):
            cpu.set_reg(RAX, -E.ENOSYS)
            return SYSCALL_SKIP

        def traced() -> int:
            # the tracer may have changed the syscall (or skipped it with -1): check it again
            if fatal_signal_pending(task):
                return SYSCALL_SKIP
            now = syscall_nr(task)
            if now < 0:
                return SYSCALL_SKIP
            return seccomp_filter(task, now, done, True)

        def resumed() -> None:
            decision = traced()
            if decision != SYSCALL_HELD:
                done(decision)

        if ptrace_event(task, PTRACE_EVENT_SECCOMP, data, resumed):
            return SYSCALL_HELD
        return traced()
    if action == SECCOMP_RET_USER_NOTIF:
        return seccomp_do_user_notification(task, nr, match, done)
    # SECCOMP_RET_KILL_THREAD, SECCOMP_RET_KILL_PROCESS and anything unknown
    sc.mode = SECCOMP_MODE_DEAD
    if action != SECCOMP_RET_KILL_THREAD or task.tg.live == 1:
        cpu.set_reg(RAX, task.orig_rax)  # the dump shows the original registers
        force_sig_seccomp(task, nr, data, ip, True)
    else:
        task.kernel.exit_task(task, S.SIGSYS)
    return SYSCALL_SKIP


def force_sig_seccomp(task: Task, nr: int, data: int, ip: int, coredump: bool) -> None:
    """force_sig_seccomp: SIGSYS with SYS_SECCOMP, the filter's data in si_errno; to kill (with the core
    dump SIGSYS's default action gives) when coredump, whatever handler the task has."""
    info = SigInfo(S.SIGSYS, SYS_SECCOMP, addr=ip, errno=data, kind="sys")
    info.syscall, info.arch = nr, AUDIT_ARCH_X86_64
    task.kernel.signals.force_sig_info(task, info, handler_exit=coredump)
