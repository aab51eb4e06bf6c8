"""Syscall user dispatch (Linux kernel/entry/syscall_user_dispatch.c): a task that armed it with
prctl(PR_SET_SYSCALL_USER_DISPATCH) gets SIGSYS (SYS_USER_DISPATCH) for each syscall made outside its
allowed region while the byte at its selector says BLOCK; the syscall does not run and rax holds its
number again (syscall_rollback), so a handler can emulate it.  A tracer reads and sets the configuration
with PTRACE_GET/SET_SYSCALL_USER_DISPATCH_CONFIG.  An armed task takes the slow syscall path.  The setting is the task's own: fork and clone do not pass it on, exec drops it.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from .abi import errno as E
from .abi import signal as S
from .abi.siginfo import AUDIT_ARCH_X86_64
from .cpu import RAX, RIP
from .errors import Errno
from .signal.siginfo import SigInfo

if TYPE_CHECKING:
    from .task import Task

PR_SYS_DISPATCH_OFF = 0
PR_SYS_DISPATCH_ON = 1
SYSCALL_DISPATCH_FILTER_ALLOW = 0
SYSCALL_DISPATCH_FILTER_BLOCK = 1
SYS_USER_DISPATCH = 2  # SIGSYS si_code
TASK_SIZE_MAX = (1 << 47) - 4096
SUD_CONFIG = struct.Struct("<QQQQ")  # struct ptrace_sud_config: mode, selector, offset, len


class SyscallDispatch:
    """task_struct.syscall_dispatch while armed."""

    __slots__ = ("selector", "offset", "len", "on_dispatch")

    def __init__(self, selector: int, offset: int, length: int) -> None:
        self.selector = selector
        self.offset = offset
        self.len = length
        self.on_dispatch = False  # the last syscall was dispatched: its exit work is skipped



def task_set_syscall_user_dispatch(task: Task, mode: int, offset: int, length: int, selector: int) -> int:
    """task_set_syscall_user_dispatch: arm (any region, even one that wraps around) or disarm."""
    if mode == PR_SYS_DISPATCH_OFF:
        if offset or length or selector:
            raise Errno(E.EINVAL)
        task.syscall_dispatch = None
    elif mode == PR_SYS_DISPATCH_ON:
        if selector and selector >= TASK_SIZE_MAX:  # access_ok
            raise Errno(E.EFAULT)
        task.syscall_dispatch = SyscallDispatch(selector, offset, length)
    else:
        raise Errno(E.EINVAL)
    task.syscall_work_changed()
    return 0


def syscall_user_dispatch(task: Task, nr: int) -> bool:
    """syscall_user_dispatch, at syscall entry: True when the syscall is dispatched to the task's SIGSYS
    handler instead of running (or the task is being killed for a bad selector)."""
    sd = task.syscall_dispatch
    cpu = task.mm.cpu
    rip = cpu.reg(RIP)
    if (rip - sd.offset) & 0xFFFFFFFFFFFFFFFF < sd.len:
        return False
    kernel = task.kernel
    if sd.selector:
        try:
            state = task.mm.read(sd.selector, 1)[0]
        except Errno:
            kernel.signals.force_sig_info(task, SigInfo(S.SIGSEGV), handler_exit=True)  # force_exit_sig
            return True
        if state == SYSCALL_DISPATCH_FILTER_ALLOW:
            return False
        if state != SYSCALL_DISPATCH_FILTER_BLOCK:
            kernel.signals.force_sig_info(task, SigInfo(S.SIGSYS), handler_exit=True)  # force_exit_sig
            return True
    sd.on_dispatch = True
    cpu.set_reg(RAX, task.orig_rax)  # syscall_rollback
    info = SigInfo(S.SIGSYS, SYS_USER_DISPATCH, addr=rip, kind="sys")
    info.syscall, info.arch = nr, AUDIT_ARCH_X86_64
    kernel.signals.force_sig_info(task, info)
    return True


def dispatched_exit(task: Task) -> bool:
    """syscall_exit_work's first test: the syscall was dispatched, so no exit work is reported."""
    sd = task.syscall_dispatch
    if sd is not None and sd.on_dispatch:
        sd.on_dispatch = False
        return True
    return False


def syscall_user_dispatch_get_config(tracer: Task, child: Task, size: int, data: int) -> int:
    """PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG."""
    if size != SUD_CONFIG.size:
        raise Errno(E.EINVAL)
    sd = child.syscall_dispatch
    if sd is None:
        raw = SUD_CONFIG.pack(PR_SYS_DISPATCH_OFF, 0, 0, 0)
    else:
        raw = SUD_CONFIG.pack(PR_SYS_DISPATCH_ON, sd.selector, sd.offset, sd.len)
    tracer.mm.write(data, raw)
    return 0


def syscall_user_dispatch_set_config(tracer: Task, child: Task, size: int, data: int) -> int:
    """PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG."""
    if size != SUD_CONFIG.size:
        raise Errno(E.EINVAL)
    mode, selector, offset, length = SUD_CONFIG.unpack(tracer.mm.read(data, SUD_CONFIG.size))
    return task_set_syscall_user_dispatch(child, mode, offset, length, selector)
