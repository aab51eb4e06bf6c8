"""The ptrace syscall (Linux kernel/ptrace.c SYSCALL_DEFINE4(ptrace)): find the child, attach, or check that
it is ours and stopped, then the request."""

from __future__ import annotations

from ..abi import errno as E
from ..abi.ptrace import (
    PTRACE_ATTACH,
    PTRACE_INTERRUPT,
    PTRACE_KILL,
    PTRACE_PEEKDATA,
    PTRACE_PEEKTEXT,
    PTRACE_PEEKUSR,
    PTRACE_SEIZE,
    PTRACE_TRACEME,
)
from ..errors import Errno
from ..ptrace import ptrace_attach, ptrace_check_attach, ptrace_request, ptrace_traceme
from ..regset import arch_ptrace
from . import s32
from .table import syscall

_PEEKS = (PTRACE_PEEKTEXT, PTRACE_PEEKDATA, PTRACE_PEEKUSR)


@syscall("ptrace", "d", "d", "x", "x")
def sys_ptrace(task, request, pid, addr, data):
    request = request & 0xFFFFFFFFFFFFFFFF
    if request == PTRACE_TRACEME:
        return ptrace_traceme(task)
    child = task.kernel.find_task(task, s32(pid))
    if child is None or child.kthread:
        raise Errno(E.ESRCH)
    if request in (PTRACE_ATTACH, PTRACE_SEIZE):
        return ptrace_attach(task, child, request, addr, data)
    ptrace_check_attach(task, child, request in (PTRACE_KILL, PTRACE_INTERRUPT))
    ret = arch_ptrace(task, child, request, addr, data)
    if ret is None:
        ret = ptrace_request(task, child, request, addr, data)
    return ret
