"""The syscall path outside the hook (Linux kernel/entry/common.c), one function per phase, in Linux's order.

A syscall of a task with entry work, or one whose handler gave an action the hook cannot finish, leaves
emulation and the run loop calls into here:

  syscall_slow              do_syscall_64 for a task with work: the whole sequence below
    syscall_trace_enter     syscall user dispatch, ptrace's syscall-entry stop, then seccomp; it decides
                            run, skip (rax holds the result) or held (stopped for a tracer, waiting for
                            a seccomp supervisor: enter_done is called later); the number and the
                            arguments are read from the registers only after it, so a tracer's change
                            of orig_rax or an argument register takes effect
    invoke                  the handler (or ENOSYS for a number with none)
    complete                acts on the handler's result: an int or REGS_SET goes on to the exit work,
                            a Block parks the task (Scheduler.resume runs its continuation when it is
                            woken and comes back to complete), a Yield
                            requeues it, a Deferred runs outside emulation, NORETURN ends here
    syscall_exit_work       the tracer's line, then ptrace's syscall-exit stop
  exit_to_user_mode         signal delivery and stops, the interrupted syscall's restart decided there
                            (note_restart records it, Signals.deliver applies it): the one return-to-user
                            step, which the hook, the run loop and the scheduler's resume all call

The hook (emukernel.entry.hook) is the same sequence with every empty phase skipped; a filtered task's
syscall that its filters' action cache allows (Task.seccomp_allow) stays on it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..abi import signal as S
from ..abi.siginfo import TRAP_BRKPT
from ..cpu import R8, R9, R10, RAX, RDI, RDX, RIP, RSI
from ..errors import Errno
from ..ptrace import (
    PTRACE_EVENTMSG_SYSCALL_ENTRY,
    PTRACE_EVENTMSG_SYSCALL_EXIT,
    SYSCALL_EMU,
    SYSCALL_TRACE,
    PtraceEvent,
    after_syscall_stop,
    fatal_signal_pending,
    ptrace_event,
    ptrace_report_syscall,
)
from ..regset import task_reg
from ..sched import NORETURN, REGS_SET, Block, Deferred, Yield
from ..seccomp.secure_computing import (
    SYSCALL_HELD,
    SYSCALL_RUN,
    SYSCALL_SKIP,
    secure_computing,
    syscall_nr,
)
from ..signal.siginfo import SigInfo
from ..syscall_user_dispatch import dispatched_exit, syscall_user_dispatch
from ..syscalls.table import NR_SYSCALLS, TABLE, syscall_name
from ..task import TASK_RUNNING
from .compat import int80_syscall
from .hook import install
from .restart import ERESTART_HI, ERESTART_LO, note_restart
from .traps import install_traps

if TYPE_CHECKING:
    from ..cpu import Cpu
    from ..kernel import Kernel
    from ..task import Task

_ARG_REGS = (RDI, RSI, RDX, R10, R8, R9)
MASK64 = (1 << 64) - 1


class _Unimplemented:
    """A pseudo table entry for numbers with no handler, so the slow path and the tracer see a name."""

    __slots__ = ("nr", "name", "args", "ret", "nargs", "handler")

    def __init__(self, nr: int) -> None:
        self.nr = nr
        self.name = syscall_name(nr)
        self.args = ("x",) * 6
        self.ret = "d"
        self.nargs = 6
        self.handler = None


class SyscallEntry:
    """The syscall path of one kernel: installs the hook on each CPU, runs the slow sequence."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self._unimpl: dict[int, _Unimplemented] = {}

    def install(self, cpu: Cpu) -> None:
        """The syscall hook (the fast path) and the trap hook on a new CPU."""
        install(self, cpu)
        install_traps(cpu)

    def entry_for(self, nr: int):
        """The table entry of syscall nr, or a pseudo entry naming it when it has no handler."""
        sc = TABLE[nr] if 0 <= nr < NR_SYSCALLS else None
        if sc is None:
            sc = self._unimpl.get(nr)
            if sc is None:
                sc = self._unimpl[nr] = _Unimplemented(nr)
        return sc

    # -- do_syscall_64 for a task with entry work -----------------------------------------------------
    def syscall_slow(self, task: Task) -> None:
        """Run the syscall the hook recorded (orig_rax set, rax = -ENOSYS), every phase in order."""
        self.enter_done(task, self.syscall_trace_enter(task))

    def syscall_trace_enter(self, task: Task) -> int:
        """syscall_trace_enter: syscall user dispatch, the ptrace entry stop, then seccomp.  Returns
        SYSCALL_RUN, SYSCALL_SKIP (not run: dispatched, SYSEMU, a filter's verdict, a fatal signal; rax holds
        the result) or SYSCALL_HELD: the task stopped for its tracer or waits for a seccomp supervisor, and
        `enter_done` is called with the decision when it goes on."""
        if task.syscall_dispatch is not None and syscall_user_dispatch(task, task.orig_rax):
            return SYSCALL_SKIP
        pt = task.ptrace
        if pt is not None and pt.syscall:
            emu = pt.syscall == SYSCALL_EMU  # the work flags as they were at entry

            def resumed() -> None:
                after_syscall_stop(task, pt)
                if not task.alive:
                    return
                if emu or fatal_signal_pending(task):
                    self.enter_done(task, SYSCALL_SKIP)
                else:
                    self.enter_done(task, self.seccomp_enter(task))

            if ptrace_report_syscall(task, PTRACE_EVENTMSG_SYSCALL_ENTRY, resumed):
                return SYSCALL_HELD
            if emu or fatal_signal_pending(task):
                return SYSCALL_SKIP
        return self.seccomp_enter(task)

    def seccomp_enter(self, task: Task) -> int:
        """The seccomp part of the entry work (seccomp/secure_computing.py)."""
        if task.seccomp is None or not task.alive:
            return SYSCALL_RUN if task.alive else SYSCALL_SKIP
        return secure_computing(task, lambda decision: self.enter_done(task, decision))

    def enter_done(self, task: Task, decision: int) -> None:
        """After the entry work: run the syscall, or skip it (its exit work still runs, for a tracer's
        exit stop: SYSEMU resumed with PTRACE_SYSCALL, a filter's errno, a skipped number)."""
        if not task.alive or decision == SYSCALL_HELD:
            return
        if decision == SYSCALL_RUN:
            self.do_syscall(task)
            return
        ret = task.mm.cpu.reg(RAX)
        sret = ret - (1 << 64) if ret >> 63 else ret
        if ERESTART_LO <= sret <= ERESTART_HI:  # a seccomp supervisor's wait was interrupted
            note_restart(task, syscall_nr(task), sret)
        if task.slow_entry:
            self.syscall_exit_work(task, self.entry_for(syscall_nr(task)), (), ret)

    def do_syscall(self, task: Task) -> None:
        """do_syscall_64 after the entry work: the number is orig_rax as the entry work left it (a tracer
        may have changed it; -1 skips the call, rax keeping what the tracer set), the arguments are read
        from the registers now."""
        nr = syscall_nr(task)
        if nr == -1:
            if task.slow_entry:
                self.syscall_exit_work(task, self.entry_for(-1), (), task.mm.cpu.reg(RAX))
            return
        sc = self.entry_for(nr)
        cpu = task.mm.cpu
        args = tuple(cpu.reg(r) for r in _ARG_REGS[:sc.nargs])
        self.complete(task, sc, args, self.invoke(task, sc, args))

    def invoke(self, task: Task, sc, args: tuple) -> object:
        """The handler, outside emulation; returns an int or an action."""
        kernel = self.kernel
        if kernel.events is not None:
            kernel.events.on_syscall_enter(task, sc, args)
        if sc.handler is None:
            return kernel.unimplemented(task, sc.nr)
        try:
            return sc.handler(task, *args)
        except Errno as e:
            return -e.errno

    def complete(self, task: Task, sc, args: tuple, result: object) -> None:
        """Act on a handler's result outside emulation (the one dispatch of every action)."""
        kernel = self.kernel
        while True:
            # the exit work runs only for a task with syscall work (Linux's SYSCALL_WORK_EXIT flags): the
            # tracer and, next, ptrace set slow_entry
            if result.__class__ is int:
                if task.alive and task.mm is not None:
                    task.mm.cpu.set_reg(RAX, result)
                if ERESTART_LO <= result <= ERESTART_HI:
                    note_restart(task, sc.nr, result)
                if task.slow_entry:
                    self.syscall_exit_work(task, sc, args, result)
                return
            if result is REGS_SET:
                if task.slow_entry:
                    self.syscall_exit_work(task, sc, args, task.mm.cpu.reg(RAX) if task.mm else 0)
                return
            if result is NORETURN:
                # exit/exit_group never return (= ?); a successful execve returns 0 in the new image
                if task.slow_entry:
                    self.syscall_exit_work(task, sc, args, 0 if sc.name.startswith("execve") else result)
                return
            if result.__class__ is Block:
                if kernel.events is not None:
                    kernel.events.on_syscall_blocked(task, sc, args)
                task.restart = (sc, args, result.resume)
                task.restart_in_hook = result.hook_ok
                kernel.sched.block(task, result)
                return
            if result.__class__ is Yield:
                if task.alive and task.mm is not None:
                    task.mm.cpu.set_reg(RAX, result.ret)
                if task.slow_entry:
                    self.syscall_exit_work(task, sc, args, result.ret)
                kernel.sched.yield_task(task)
                return
            if result.__class__ is PtraceEvent:
                # fork/vfork/clone/exec under a tracer that asked for the event: the event stop first, the
                # syscall's own result (and its exit work) when the tracer resumes the task
                event = result

                def resumed(event: PtraceEvent = event) -> None:
                    self.complete(task, sc, args, event.then())

                if ptrace_event(task, event.event, event.message, resumed):
                    return
                result = event.then()
                continue
            if result.__class__ is Deferred:
                try:
                    result = result.fn()
                except Errno as e:
                    result = -e.errno
                continue
            raise TypeError(f"syscall {sc.name} returned {result!r}")

    def syscall_exit_work(self, task: Task, sc, args: tuple, ret) -> None:
        """syscall_exit_work: the tracer's line for the call (and what it caused), then the ptrace
        syscall-exit stop (not after PTRACE_SYSEMU's entry stop, not for a task that is gone or stopped)."""
        kernel = self.kernel
        if task.syscall_dispatch is not None and dispatched_exit(task):
            return  # a dispatched syscall was never run: nothing to report
        if kernel.events is not None:
            kernel.events.on_syscall_exit(task, sc, args, ret)
        pt = task.ptrace
        if pt is None or not task.alive or task.state is not TASK_RUNNING:
            return
        if pt.step and pt.syscall != SYSCALL_EMU:
            # a single-stepped syscall: x86's user_single_step_report, SIGTRAP with TRAP_BRKPT
            rip = task.mm.cpu.reg(RIP)
            kernel.signals.force_sig_info(task, SigInfo(S.SIGTRAP, TRAP_BRKPT, addr=rip, kind="fault"))
        elif pt.syscall == SYSCALL_TRACE:
            restart = task.restart_ret

            def resumed() -> None:
                after_syscall_stop(task, pt)
                # the restart decision reads rax after the stop: a tracer that changed it changed that too
                if restart and task.alive and task.mm is not None and task_reg(task, RAX) != restart & MASK64:
                    task.restart_ret = 0

            ptrace_report_syscall(task, PTRACE_EVENTMSG_SYSCALL_EXIT, resumed)

    def int80_syscall(self, task: Task) -> None:
        """`int $0x80` (entry/compat.py)."""
        int80_syscall(self, task)

    # -- the return to user mode ------------------------------------------------------------------------
    def exit_to_user_mode(self, task: Task, in_hook: bool = False) -> None:
        """exit_to_user_mode_loop: deliver pending signals and take stops (group stop, and next the ptrace
        signal-delivery stop); an interrupted syscall is restarted or fails with EINTR there.  in_hook:
        called inside the syscall hook, RIP still at the `syscall` instruction."""
        if task.sigpending_flag:
            self.kernel.signals.deliver(task, in_hook)

