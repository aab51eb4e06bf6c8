"""The syscall entry: the hook on `syscall` (the fast path) and the finishing of actions (the slow path).

Linux's `syscall` instruction sets rcx to the return address and r11 to rflags; Unicorn does neither, so
the hook does.  Registers are read and written in one batched ctypes call each (DESIGN §4a).  A handler
that returns an int is answered inside the hook and the guest continues without leaving emu_start; any
other result (see emukernel.sched) stops emulation and is finished by the run loop.  The tracer, when on,
uses a separate hook so that tracing costs nothing when off.
"""

from __future__ import annotations

import ctypes
import struct
from typing import TYPE_CHECKING

from .abi import errno as E
from .cpu import EFLAGS, R8, R9, R10, R11, RAX, RCX, RDI, RDX, RIP, RSI, _reg_read_batch, _reg_write_batch
from .errors import Errno
from .sched import NORETURN, REGS_SET, Block, Deferred, Yield
from .syscalls.table import NR_SYSCALLS, TABLE, syscall_name
from .task import TASK_RUNNING

if TYPE_CHECKING:
    from .cpu import Cpu
    from .kernel import Kernel
    from .task import Task

MASK64 = 0xFFFFFFFFFFFFFFFF
_READ_REGS = (RAX, RIP, EFLAGS, RDI, RSI, RDX, R10, R8, R9)
_WRITE_REGS = (RAX, RCX, R11)
_HEAD = struct.Struct("<3Q")  # rax, rip, eflags
_ARGS = tuple(struct.Struct(f"<{k}Q").unpack_from for k in range(7))  # the first k argument registers
_REGS3 = struct.Struct("<3Q")


class _Unimplemented:
    """A pseudo table entry for numbers with no handler, so the slow path and the tracer see a name."""

    def __init__(self, nr: int) -> None:
        self.nr = nr
        self.name = syscall_name(nr)
        self.args = ("x",) * 6
        self.ret = "d"
        self.nargs = 6


class SyscallEntry:
    """Installs the syscall hook on a CPU and finishes actions outside emulation."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self._unimpl: dict[int, _Unimplemented] = {}

    def entry_for(self, nr: int):
        sc = TABLE[nr] if 0 <= nr < NR_SYSCALLS else None
        if sc is None:
            sc = self._unimpl.get(nr)
            if sc is None:
                sc = self._unimpl[nr] = _Unimplemented(nr)
        return sc

    def install(self, cpu: Cpu) -> None:
        kernel = self.kernel
        handle = cpu.handle
        rids = (ctypes.c_int * 9)(*_READ_REGS)
        rvals = (ctypes.c_uint64 * 9)()
        rptrs = (ctypes.c_void_p * 9)(*[ctypes.addressof(rvals) + 8 * i for i in range(9)])
        wids = (ctypes.c_int * 3)(*_WRITE_REGS)
        wvals = (ctypes.c_uint64 * 3)()
        wptrs = (ctypes.c_void_p * 3)(*[ctypes.addressof(wvals) + 8 * i for i in range(3)])
        # one struct call each way instead of an indexing per register; only the arguments a handler takes
        # become Python ints
        unpack_head = _HEAD.unpack_from
        unpack_args = _ARGS
        rbuf = memoryview(rvals).cast("B")
        pack_regs = _REGS3.pack_into
        wbuf = memoryview(wvals).cast("B")
        table = TABLE
        clock = kernel.clock
        entry_for = self.entry_for
        tracer = kernel.tracer
        stop = cpu.stop
        sched = kernel.sched
        runq = sched.runq
        deliver = kernel.signals.deliver
        switch_in_hook = sched.switch_in_hook

        def give_way(task) -> None:
            """The task leaves the CPU at this syscall: another thread of the address space runs on inside
            this hook, or emulation stops for the run loop (Scheduler.switch_in_hook)."""
            if not switch_in_hook(task):
                cpu.current.preempted = True
                stop()

        def after(task, nr: int, ret: int) -> None:
            """The rarely needed part of the return path: signals to deliver, or a switch that is due."""
            if task.sigpending_flag:
                if -517 < ret < -511:
                    task.restart_ret = ret
                    task.restart_nr = nr
                deliver(task, True)
                if not task.alive or task.state != "R":
                    stop()
            elif runq:
                # others are runnable: switch after a PRNG-chosen number of syscalls (deterministic)
                sched.budget -= 1
                if sched.budget <= 0:
                    if task not in runq:
                        runq.append(task)
                    give_way(task)

        def slow(task, sc, nr: int, rip: int, eflags: int, ret) -> None:
            """Leave emulation: the run loop runs (ret None) or finishes (an action) the syscall."""
            sc = sc or entry_for(nr)
            args = unpack_args[sc.nargs](rbuf, 24)
            pack_regs(wbuf, 0, nr, rip + 2, eflags)
            _reg_write_batch(handle, wids, wptrs, 3)
            task.syscall_action = (sc, args, ret)
            stop()

        def traced(task, sc, nr: int, rip: int, eflags: int) -> None:
            """The same path with the tracer's enter/exit lines (installed only when tracing)."""
            args = unpack_args[sc.nargs](rbuf, 24)
            kernel.trace_held = []
            tracer.enter(task, sc, args)
            try:
                ret = sc.handler(task, *args)
            except Errno as e:
                ret = -e.errno
            if ret.__class__ is int:
                pack_regs(wbuf, 0, ret & MASK64, rip + 2, eflags)
                _reg_write_batch(handle, wids, wptrs, 3)
                kernel.trace_syscall(task, sc, args, ret)
                after(task, nr, ret)
            elif ret is REGS_SET:
                kernel.trace_syscall(task, sc, args, cpu.reg(RAX))
                after(task, nr, 0)
            else:
                slow(task, sc, nr, rip, eflags, ret)

        def on_syscall():
            # Linux: arch/x86/entry/entry_64.S entry_SYSCALL_64 + do_syscall_64.  The hot path: keep it lean.
            task = cpu.current
            try:
                _reg_read_batch(handle, rids, rptrs, 9)
                nr, rip, eflags = unpack_head(rbuf)
                clock.syscalls += 1
                sc = table[nr] if nr < NR_SYSCALLS else None
                if sc is None or task.slow_entry:
                    slow(task, sc, nr, rip, eflags, None)
                    return
                if tracer is not None:
                    traced(task, sc, nr, rip, eflags)
                    return
                n = sc.nargs
                h = sc.handler
                try:
                    if n == 0:
                        args = ()
                        ret = h(task)
                    else:
                        args = unpack_args[n](rbuf, 24)
                        if n == 1:
                            ret = h(task, args[0])
                        elif n == 2:
                            ret = h(task, args[0], args[1])
                        elif n == 3:
                            ret = h(task, args[0], args[1], args[2])
                        else:
                            ret = h(task, *args)
                except Errno as e:
                    ret = -e.errno
                if ret.__class__ is int:
                    # rax = result, rcx = return address, r11 = rflags (what Linux's syscall leaves)
                    pack_regs(wbuf, 0, ret & MASK64, rip + 2, eflags)
                    _reg_write_batch(handle, wids, wptrs, 3)
                    if task.sigpending_flag or runq:
                        after(task, nr, ret)
                elif ret is REGS_SET:  # rt_sigreturn restored every register, rcx and r11 included
                    if task.sigpending_flag:
                        after(task, nr, 0)
                elif ret.__class__ is Block:
                    # park it (what the run loop's finish does) and let the next task run, here if it can
                    pack_regs(wbuf, 0, nr, rip + 2, eflags)
                    _reg_write_batch(handle, wids, wptrs, 3)
                    task.restart = (sc, args, ret.resume)
                    task.restart_in_hook = ret.hook_ok
                    sched.block(task, ret)
                    give_way(task)
                elif ret.__class__ is Yield:
                    pack_regs(wbuf, 0, ret.ret & MASK64, rip + 2, eflags)
                    _reg_write_batch(handle, wids, wptrs, 3)
                    sched.yielder = task
                    if task.sigpending_flag:
                        deliver(task, True)
                    if task.alive and task.state == TASK_RUNNING and task not in runq:
                        runq.append(task)
                    give_way(task)
                else:
                    slow(task, sc, nr, rip, eflags, ret)
            except BaseException as exc:  # a kernel bug must never take the host down
                task.hook_error = (exc, f"syscall {syscall_name(rvals[0])} ({rvals[0]})")  # noqa: B023
                stop()

        cpu.hook_syscall(on_syscall)
        cpu.hook_interrupt(lambda intno: self._on_interrupt(cpu, intno))

    def _on_interrupt(self, cpu: Cpu, intno: int) -> None:
        """A CPU exception in the guest: record it as a trap for the current task and leave emulation."""
        from .abi import signal as S

        task = cpu.current
        try:
            rip = cpu.reg(RIP)
            # Linux: arch/x86/kernel/traps.c (do_error_trap and friends)
            if intno == 0:
                task.trap = (S.SIGFPE, 1, rip, 0)  # FPE_INTDIV
            elif intno in (1, 3):
                task.trap = (S.SIGTRAP, 0x80 if intno == 3 else 2, 0, intno)  # SI_KERNEL for int3, TRAP_TRACE
            elif intno == 6:
                task.trap = (S.SIGILL, 2, rip, 6)  # ILL_ILLOPN
            else:
                task.trap = (S.SIGSEGV, 0x80, 0, intno)  # #GP and the rest: SI_KERNEL
        except BaseException as exc:
            task.hook_error = (exc, f"interrupt {intno}")
        cpu.stop()

    # -- slow path -----------------------------------------------------------------------------------
    def call(self, task: Task, sc, args: tuple) -> object:
        """Run a handler outside emulation; returns an int or an action."""
        if self.kernel.tracer is not None:
            self.kernel.trace_held = []
            self.kernel.tracer.enter(task, sc, tuple(args))
        if isinstance(sc, _Unimplemented):
            return self.kernel.unimplemented(task, sc.nr)
        try:
            return sc.handler(task, *args)
        except Errno as e:
            return -e.errno

    def finish(self, task: Task, sc, args: tuple, result: object) -> None:
        """Act on a handler's result outside emulation."""
        kernel = self.kernel
        while True:
            if result is None:  # recorded by the hook, not yet run (slow entry)
                result = self.call(task, sc, args)
                continue
            if result.__class__ is int:
                if -E.ERESTART_RESTARTBLOCK <= result <= -E.ERESTARTSYS:
                    # interrupted: signal delivery turns this into EINTR or a restart
                    task.restart_ret = result
                    task.restart_nr = sc.nr
                    task.sigpending_flag = True
                if task.alive and task.mm is not None:
                    task.mm.cpu.set_reg(RAX, result)
                if kernel.tracer is not None:
                    kernel.trace_syscall(task, sc, args, result)
                return
            if result is REGS_SET:
                if kernel.tracer is not None:
                    kernel.trace_syscall(task, sc, args, task.mm.cpu.reg(RAX) if task.mm else 0)
                return
            if result is NORETURN:
                if kernel.tracer is not None:
                    # exit/exit_group never return (= ?); a successful execve returns 0 in the new image
                    kernel.trace_syscall(task, sc, args, 0 if sc.name.startswith("execve") else result)
                return
            if isinstance(result, Block):
                if kernel.tracer is not None:
                    kernel.trace_flush()  # the call's line comes when it completes
                task.restart = (sc, args, result.resume)
                task.restart_in_hook = result.hook_ok
                kernel.sched.block(task, result)
                return
            if isinstance(result, Yield):
                if task.alive and task.mm is not None:
                    task.mm.cpu.set_reg(RAX, result.ret)
                if kernel.tracer is not None:
                    kernel.trace_syscall(task, sc, args, result.ret)
                kernel.sched.yield_task(task)
                return
            if isinstance(result, Deferred):
                try:
                    result = result.fn()
                except Errno as e:
                    result = -e.errno
                continue
            raise TypeError(f"syscall {sc.name} returned {result!r}")


