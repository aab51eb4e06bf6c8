"""The kernel's event interface: the one object (`kernel.events`, None when nothing listens) the kernel tells
what happens, at fixed points, each behind a `kernel.events is not None` test so that it costs nothing when
off.  The strace-format `Tracer` is one listener; a JSON event log or a hook API is another.

Fixed points (where the kernel calls each method):

- `on_syscall_enter(task, sc, args)`: `entry.common.SyscallEntry.invoke`, before the handler runs (after
  the entry phase, with the arguments the handler gets).  `sc` is the table entry (`syscalls.table.Syscall`
  or the entry's pseudo-entry for an unknown number: `nr`, `name`, `args` kinds, `ret` kind).
- `on_syscall_exit(task, sc, args, ret)`: `SyscallEntry.syscall_exit_work`, once the call completed: `ret`
  is the int result (-errno, or -ERESTART* when interrupted), rax for a call that set every register
  (rt_sigreturn), 0 for a successful execve, or NORETURN for exit/exit_group.
- `on_syscall_blocked(task, sc, args)`: `SyscallEntry.complete`, when the call parks the task; its exit
  event comes when it completes.
- `on_signal(task, sig, fields)`: `signal.deliver` (a handler is entered or the default action kills) and
  `signal.send` (a fatal signal takes the group down at send time); `fields` is `SigInfo.fields()`.
- `on_exit(task, status)`: `exit.do_exit`, when the last thread of a process exits; the raw wait status.
- `on_exec(task, filename)`: `exec.execve.exec_binprm`, past the point of no return.
- `on_clone(parent, child)`: `clone.copy_process`, once the child is in the task set.
- `on_schedule(task, why)`: `sched.Scheduler.run_task`, when the host timer preempted a spinning task (the
  one nondeterministic scheduling event).

Every task the listener sees offers `tid`, `kernel`, `mm.read(addr, n)` and `mm.read_cstring(addr, limit)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..syscalls.table import Syscall
    from ..task import Task


class KernelEvents:
    """A listener: every method is a no-op here; a subclass overrides what it wants."""

    def on_syscall_enter(self, task: Task, sc: Syscall, args: Sequence[int]) -> None:
        pass

    def on_syscall_exit(self, task: Task, sc: Syscall, args: Sequence[int], ret: Any) -> None:
        pass

    def on_syscall_blocked(self, task: Task, sc: Syscall, args: Sequence[int]) -> None:
        pass

    def on_signal(self, task: Task, sig: int, fields: Mapping[str, Any]) -> None:
        pass

    def on_exit(self, task: Task, status: int) -> None:
        pass

    def on_exec(self, task: Task, filename: bytes) -> None:
        pass

    def on_clone(self, parent: Task, child: Task) -> None:
        pass

    def on_schedule(self, task: Task, why: str) -> None:
        pass
