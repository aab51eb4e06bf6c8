"""The alternate signal stack (Linux kernel/signal.c do_sigaltstack, include/linux/sched/signal.h
on_sig_stack and sas_ss_flags): the one rule that sigaltstack(2) and rt_sigreturn's restore_altstack share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..abi import errno as E
from ..errors import Errno
from .frame import MINSIGSTKSZ, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK

if TYPE_CHECKING:
    from ..task import Task


def on_sig_stack(task: Task, sp: int) -> bool:
    """on_sig_stack: sp is on the task's alternate stack; never for an SS_AUTODISARM stack (it is disarmed
    while a handler runs on it, so only a stack re-armed from there could be)."""
    if task.sas_ss_flags & SS_AUTODISARM:
        return False
    return bool(task.sas_ss_size) and task.sas_ss_sp < sp <= task.sas_ss_sp + task.sas_ss_size


def sas_ss_flags(task: Task, sp: int) -> int:
    """The flags sigaltstack reports: SS_DISABLE without a stack, SS_ONSTACK on it, and the flag bits."""
    if not task.sas_ss_size:
        mode = SS_DISABLE
    else:
        mode = SS_ONSTACK if on_sig_stack(task, sp) else 0
    return mode | task.sas_ss_flags & SS_AUTODISARM


def do_sigaltstack(task: Task, ss_sp: int, ss_flags: int, ss_size: int, sp: int) -> None:
    """do_sigaltstack's change: EPERM while on the stack, EINVAL for a bad mode, ENOMEM below MINSIGSTKSZ;
    nothing changes unless it succeeds.  ss_flags is the 32-bit word as given (mode and flag bits)."""
    if on_sig_stack(task, sp):
        raise Errno(E.EPERM)
    mode = ss_flags & ~SS_AUTODISARM
    if mode not in (SS_DISABLE, SS_ONSTACK, 0):
        raise Errno(E.EINVAL)
    if task.sas_ss_sp == ss_sp and task.sas_ss_size == ss_size and task.sas_ss_flags == ss_flags:
        return
    if mode == SS_DISABLE:
        ss_sp = ss_size = 0
    elif ss_size < MINSIGSTKSZ:
        raise Errno(E.ENOMEM)
    task.sas_ss_sp, task.sas_ss_size, task.sas_ss_flags = ss_sp, ss_size, ss_flags
