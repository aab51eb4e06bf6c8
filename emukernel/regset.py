"""A stopped task's user registers (Linux arch/x86/kernel/ptrace.c getreg/putreg, the user_regset views).

Where a task's registers are depends on whether it was the last to run on its address space's CPU: then
they are live in the CPU, otherwise in its saved context (`Task.ctx`).  A context saved inside the syscall
hook (`Task.ctx_in_hook`) holds RIP at the `syscall` instruction; the user-visible RIP is 2 bytes on.
`task_reg` and `set_task_reg` hide all of this: they give and take the values a tracer sees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cpu import RIP

if TYPE_CHECKING:
    from .task import Task


def task_reg(task: Task, regid: int) -> int:
    """One user-visible register of a task that is not running (a tracee in a stop)."""
    cpu = task.mm.cpu
    if cpu.current is task:
        return cpu.reg(regid)
    value = cpu.context_reg_read(task.ctx, regid)
    if regid == RIP and task.ctx_in_hook:
        value += 2
    return value


def set_task_reg(task: Task, regid: int, value: int) -> None:
    """Write one user-visible register of a task that is not running."""
    cpu = task.mm.cpu
    if cpu.current is task:
        cpu.set_reg(regid, value)
        return
    if regid == RIP and task.ctx_in_hook:
        value -= 2
    cpu.context_reg_write(task.ctx, regid, value)


def arch_ptrace(tracer: Task, child: Task, request: int, addr: int, data: int) -> int | None:
    """arch_ptrace: the register and memory requests; None for a request that is not one of them."""
    return None
