"""The Tracer: the object the kernel hands its events to; it writes one strace ``-f`` line per event.

Per-task state is one dict: the argument text of a call captured at entry (execve/execveat, whose
arguments vanish with the old address space), keyed by tid and consumed by that call's line or the
task's exit.  There is no ``<unfinished ...>`` / ``<... resumed>`` bookkeeping: a call that blocks gets
its line when it completes (the kernel holds the events it causes until then, see below).

It listens to the kernel through the event interface (`trace/events.py`).  Events that a syscall causes
(a signal it sends, the exit it makes) are held until the syscall's own line is written, as strace prints
them; a call that blocks releases what it held so far, and gets its line when it completes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from .decode_process import format_exit
from .decode_signal import format_signal
from .events import KernelEvents
from .plan import _arg_texts, _norm_args, _norm_ret, _plan, _ret_text

if TYPE_CHECKING:
    from ..syscalls.table import Syscall


ALIGN_COLUMN = 39  # strace pads the call to 39 columns: " = " then puts "=" at offset 40


class Tracer(KernelEvents):
    """Writes strace -f lines to `stream`.

    `syscall()`, `signal()`, `exit()` and `note()` write one line each; the `on_*` methods are the kernel's
    events, which call them.  `multi` (set once the kernel has more than one task, or passed per call) adds
    strace's ``[pid N] `` prefix.
    With `align` (default) the ``=`` is padded to column 40 like strace; `flush` flushes each line.
    """

    def __init__(self, stream: TextIO, *, align: bool = True, flush: bool = True) -> None:
        self.stream = stream
        self.multi = False
        self.align = align
        self.flush = flush
        self._pending: dict[int, tuple[Any, str]] = {}
        self._held: list | None = None  # lines a syscall in progress caused, written after its own

    def _prefix(self, task: Any, multi: bool | None) -> str:
        if self.multi if multi is None else multi:
            return f"[pid {task.tid:5d}] "
        return ""

    def _emit(self, line: str) -> None:
        self.stream.write(line + "\n")
        if self.flush:
            self.stream.flush()

    def enter(self, task: Any, sc: Syscall, args: Sequence[int]) -> None:
        """Optional hook at syscall entry: captures the arguments of calls that destroy them (execve)."""
        plan = _plan(sc)
        if plan.at_entry:
            self._pending[task.tid] = (sc, _arg_texts(plan, task, _norm_args(args), None))

    def syscall(self, task: Any, sc: Syscall, args: Sequence[int], ret: Any, multi: bool | None = None) -> None:
        """One completed call: ``name(args) = ret``."""
        plan = _plan(sc)
        a = _norm_args(args)
        r = _norm_ret(ret)
        pending = self._pending.pop(task.tid, None) if self._pending else None
        if pending is not None and pending[0] is sc:
            text = pending[1]
        else:
            text = _arg_texts(plan, task, a, r)
        line = f"{self._prefix(task, multi)}{plan.name}({text})"
        if self.align and len(line) < ALIGN_COLUMN:
            line = line.ljust(ALIGN_COLUMN)
        self._emit(f"{line} = {_ret_text(plan, task, a, r)}")

    def signal(self, task: Any, sig: int, fields: Mapping[str, Any] | None = None,
               multi: bool | None = None) -> None:
        """A delivered signal: ``--- SIGSEGV {si_signo=SIGSEGV, ...} ---``."""
        self._emit(self._prefix(task, multi) + format_signal(sig, fields))

    def exit(self, task: Any, status: int, multi: bool | None = None) -> None:
        """The end of a task, from its raw wait status: ``+++ exited with 0 +++``."""
        self._pending.pop(task.tid, None)
        self._emit(self._prefix(task, multi) + format_exit(status))

    def note(self, task: Any, text: str, multi: bool | None = None) -> None:
        """A kernel event of our own, e.g. ``--- preempted by host timer ---``."""
        if not text.startswith(("---", "+++")):
            text = f"--- {text} ---"
        self._emit(self._prefix(task, multi) + text)

    # -- the kernel's events ----------------------------------------------------------------------------
    def _write_or_hold(self, write, *args) -> None:
        if self._held is not None:
            self._held.append((write, args))
        else:
            write(*args)

    def _release(self) -> None:
        held, self._held = self._held, None
        if held:
            for write, args in held:
                write(*args)

    def on_syscall_enter(self, task: Any, sc: Syscall, args: Sequence[int]) -> None:
        self._held = []
        self.enter(task, sc, args)

    def on_syscall_exit(self, task: Any, sc: Syscall, args: Sequence[int], ret: Any) -> None:
        self.syscall(task, sc, tuple(args), ret)
        self._release()

    def on_syscall_blocked(self, task: Any, sc: Syscall, args: Sequence[int]) -> None:
        self._release()  # the call's line comes when it completes

    def on_signal(self, task: Any, sig: int, fields: Mapping[str, Any]) -> None:
        self._write_or_hold(self.signal, task, sig, fields)

    def on_exit(self, task: Any, status: int) -> None:
        self._write_or_hold(self.exit, task, status)

    def on_clone(self, parent: Any, child: Any) -> None:
        if len(child.kernel.tasks) > 2:
            self.multi = True  # strace -f prefixes [pid N] once there is more than one task besides init

    def on_schedule(self, task: Any, why: str) -> None:
        self.note(task, why)
