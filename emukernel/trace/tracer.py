"""The Tracer: the object the kernel hands its events to; it writes one strace ``-f`` line per event.

Per-task state is one dict: the argument text of a call captured at entry (execve/execveat, whose
arguments vanish with the old address space), keyed by tid and consumed by that call's line or the
task's exit.  There is no ``<unfinished ...>`` / ``<... resumed>`` bookkeeping: a call that blocks gets
its line when it completes (the kernel holds the events it causes until then, see below).

The kernel's fixed call points (the interface to keep while the kernel side is narrowed):

- ``Tracer(stream)`` -- ``Kernel.__init__`` (kernel.py) when ``trace=`` is given; ``kernel.tracer`` is
  None otherwise, and ``kernel.tracer is not None`` is the kernel's "tracing is on" test everywhere
  (entry.py, signal/__init__.py, exit.py, sched.py, clone.py; signal/__init__.py also turns a fast path
  off while tracing).
- ``tracer.enter(task, sc, args)`` -- at syscall entry, before the handler runs: entry.py's traced
  in-hook path (``traced``) and slow path (``SyscallEntry.call``), each right after setting
  ``kernel.trace_held = []``.  `sc` is the ``syscalls.table.Syscall`` entry (or entry.py's
  ``_Unimplemented`` pseudo-entry: ``nr``, ``name``, ``args`` kinds, ``ret`` kind), `args` the raw
  register values.
- ``tracer.syscall(task, sc, args, ret)`` -- the call's line, only through ``Kernel.trace_syscall``,
  which then flushes ``kernel.trace_held``.  Called from entry.py when the call completes: `ret` is the
  int result (negative errno, or -ERESTART* when interrupted), RAX for REGS_SET results, 0 for a
  successful execve, or a non-int action (NORETURN of exit/exit_group) which prints as ``= ?``.  A call
  that blocks gets no line until it completes (entry.py calls ``kernel.trace_flush()`` instead).
- ``tracer.signal(task, sig, fields)`` -- through ``kernel.trace_event("signal", task, sig, fields)``
  from signal/__init__.py when a signal is delivered or kills the group; `fields` is
  ``SigInfo.fields()`` (siginfo members by name).  Held in ``kernel.trace_held`` while a syscall is
  in progress, so the line follows the syscall's.
- ``tracer.exit(task, status)`` -- through ``kernel.trace_event("exit", task, status)`` from exit.py
  when the last thread of a group exits; `status` is the raw wait status (the group exit code if any).
- ``tracer.note(task, text)`` -- directly from sched.py: ``"preempted by host timer"``.
- ``tracer.multi = True`` -- set by clone.py when a clone leaves more than two tasks in ``kernel.tasks``
  (init and one program): strace's ``[pid N]`` prefix from then on.

``Kernel.trace_event`` dispatches with ``getattr(tracer, kind)``, so the event kinds are the method names.
From the task the tracer reads ``tid``, ``mm.read(addr, n)``, ``mm.read_cstring(addr, limit)`` and
``restart_nr`` (restart_syscall's line).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from .decode_process import format_exit
from .decode_signal import format_signal
from .plan import _arg_texts, _norm_args, _norm_ret, _plan, _ret_text

if TYPE_CHECKING:
    from ..syscalls.table import Syscall


ALIGN_COLUMN = 39  # strace pads the call to 39 columns: " = " then puts "=" at offset 40


class Tracer:
    """Writes strace -f lines to `stream`.

    The kernel calls `syscall()` after each completed call (and may call `enter()` before execve so
    that its arguments are read from the old address space), `signal()` when a signal is delivered,
    `exit()` when a task ends and `note()` for events of its own.  `multi` (set by the kernel, or
    passed per call) adds strace's ``[pid N] `` prefix while more than one task is traced.
    With `align` (default) the ``=`` is padded to column 40 like strace; `flush` flushes each line.
    """

    def __init__(self, stream: TextIO, *, align: bool = True, flush: bool = True) -> None:
        self.stream = stream
        self.multi = False
        self.align = align
        self.flush = flush
        self._pending: dict[int, tuple[Any, str]] = {}

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
