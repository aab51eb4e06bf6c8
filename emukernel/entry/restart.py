"""The first half of the syscall restart rule (the second is signal delivery's, Signals.deliver)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..abi import errno as E

if TYPE_CHECKING:
    from ..task import Task

ERESTART_LO, ERESTART_HI = -E.ERESTART_RESTARTBLOCK, -E.ERESTARTSYS  # the -ERESTART* range


def note_restart(task: Task, nr: int, ret: int) -> None:
    """An interrupted syscall (-ERESTART*): remember it for signal delivery, which restarts it or turns it
    into EINTR (arch_do_signal_or_restart's input, regs->ax and orig_ax).  Only signal delivery reads it.
    Callers test the range first (ERESTART_LO <= ret <= ERESTART_HI): most results are not interrupted ones."""
    task.restart_ret = ret
    task.restart_nr = nr
