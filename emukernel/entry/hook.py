"""The syscall hook: Linux's entry_SYSCALL_64 + do_syscall_64 for a task with no entry work (the fast path).

Linux's `syscall` instruction sets rcx to the return address and r11 to rflags; Unicorn does neither, so the
hook does.  Registers are read and written in one batched ctypes call each.  A task with entry work
(`Task.slow_entry`: tracing, the forced-slow test mode, and next ptrace and seccomp) or a number with no
handler leaves emulation at once and runs the whole sequence in emukernel.entry.common.  Every other
syscall runs its handler here; a result the hook can finish (an int, REGS_SET, a Block, a Yield) is
finished here, with the return-to-user work of common.py (`exit_to_user_mode`) when a signal is pending or
a switch is due; any other action leaves emulation and is completed by the run loop (`SyscallEntry.complete`).
"""

from __future__ import annotations

import ctypes
import struct
from typing import TYPE_CHECKING

from ..cpu import EFLAGS, R8, R9, R10, R11, RAX, RCX, RDI, RDX, RIP, RSI, _reg_read_batch, _reg_write_batch
from ..errors import Errno
from ..sched import REGS_SET, Block, Yield
from ..seccomp.filter import seccomp_allows
from ..syscalls.table import NR_SYSCALLS, TABLE, syscall_name
from ..task import TASK_RUNNING, EmuExit
from .restart import ERESTART_HI, ERESTART_LO, note_restart

if TYPE_CHECKING:
    from ..cpu import Cpu
    from .common import SyscallEntry

MASK64 = 0xFFFFFFFFFFFFFFFF
_ENOSYS = -38 & MASK64  # what rax holds from the entry until a result (pt_regs ax = -ENOSYS)
_READ_REGS = (RAX, RIP, EFLAGS, RDI, RSI, RDX, R10, R8, R9)
_WRITE_REGS = (RAX, RCX, R11)
_HEAD = struct.Struct("<3Q")  # rax, rip, eflags
_ARGS = tuple(struct.Struct(f"<{k}Q").unpack_from for k in range(7))  # the first k argument registers
_REGS3 = struct.Struct("<3Q")
_SYSCALL = EmuExit.SYSCALL
_PREEMPT = EmuExit.PREEMPT
_BUG = EmuExit.BUG


def install(entry: SyscallEntry, cpu: Cpu) -> None:
    """Install the syscall hook on cpu."""
    kernel = entry.kernel
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
    stop = cpu.stop
    sched = kernel.sched
    runq = sched.runq
    exit_to_user_mode = entry.exit_to_user_mode
    switch_in_hook = sched.switch_in_hook

    def give_way(task) -> None:
        """The task leaves the CPU at this syscall: another thread of the address space runs on inside
        this hook, or emulation stops for the run loop (Scheduler.switch_in_hook)."""
        if not switch_in_hook(task):
            cur = cpu.current  # the task live on the CPU now (the hook may have switched)
            if cur is not None:
                cur.emu_exit = _PREEMPT
            stop()

    def after(task, nr: int, ret: int) -> None:
        """The rarely needed part of the return path: signals to deliver, or a switch that is due."""
        if task.sigpending_flag:
            if ERESTART_LO <= ret <= ERESTART_HI:
                note_restart(task, nr, ret)
            exit_to_user_mode(task, True)
            if not task.alive or task.state is not TASK_RUNNING:
                stop()
        elif runq:
            # others are runnable: switch after a PRNG-chosen number of syscalls (deterministic)
            sched.budget -= 1
            if sched.budget <= 0:
                if task not in runq:
                    runq.append(task)
                give_way(task)

    def leave(task, sc, nr: int, rip: int, eflags: int, ret) -> None:
        """Leave emulation with the syscall for the run loop: to run from the start on the slow path (ret
        None: only the entry is recorded, rax = -ENOSYS and orig_rax = nr as Linux's entry leaves them),
        or to complete a handler's action."""
        if ret is None:
            task.orig_rax = nr
            pack_regs(wbuf, 0, _ENOSYS, rip + 2, eflags)
            task.emu_exit_data = None
        else:
            pack_regs(wbuf, 0, nr, rip + 2, eflags)
            task.emu_exit_data = (sc, unpack_args[sc.nargs](rbuf, 24), ret)
        _reg_write_batch(handle, wids, wptrs, 3)
        task.emu_exit = _SYSCALL
        stop()

    def on_syscall():
        # Linux: arch/x86/entry/entry_64.S entry_SYSCALL_64 + do_syscall_64.  The hot path: keep it lean.
        task = cpu.current
        try:
            _reg_read_batch(handle, rids, rptrs, 9)
            nr, rip, eflags = unpack_head(rbuf)
            clock.syscalls += 1
            sc = table[nr] if nr < NR_SYSCALLS else None
            if sc is None or task.slow_entry:
                # a task whose only syscall work is seccomp: a syscall its filters allow (the action cache,
                # or the filters run here) needs no other entry work
                allow = task.seccomp_allow
                if sc is None or allow is None or (
                        nr not in allow and not seccomp_allows(task, nr, rip + 2, unpack_args[6](rbuf, 24))):
                    leave(task, sc, nr, rip, eflags, None)
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
                # park it (what SyscallEntry.complete does) and let the next task run, here if it can
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
                    exit_to_user_mode(task, True)
                if task.alive and task.state is TASK_RUNNING and task not in runq:
                    runq.append(task)
                give_way(task)
            else:
                leave(task, sc, nr, rip, eflags, ret)
        except BaseException as exc:  # a kernel bug must never take the host down
            task.emu_exit = _BUG
            task.emu_exit_data = (exc, f"syscall {syscall_name(rvals[0])} ({rvals[0]})")  # noqa: B023
            stop()

    cpu.hook_syscall(on_syscall)

