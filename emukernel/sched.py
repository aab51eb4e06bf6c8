"""The scheduler: run queue, wait queues, timers and the one run loop (DESIGN §3).

One host thread runs everything.  The loop picks a runnable task, makes its context live on its address
space's CPU and calls emu_start; cheap syscalls are answered inside the syscall hook without leaving
emulation (emukernel.entry), everything else comes back here as an *action*:

  Block(queue, deadline)  park the task; when woken the same handler runs again (level-triggered)
  Deferred(fn)            run fn() outside emulation; its result is the syscall's result
  NORETURN                the kernel ended the task or replaced its image (exit, exec): leave emulation
  REGS_SET                the handler set every register itself (rt_sigreturn): keep running
"""

from __future__ import annotations

import heapq
import random
import time
import traceback
from collections import deque
from typing import TYPE_CHECKING

from .abi import signal as S
from .abi.siginfo import SEGV_ACCERR, SEGV_MAPERR
from .cpu import RIP
from .errors import Errno
from .task import TASK_DEAD, TASK_INTERRUPTIBLE, TASK_RUNNING, EmuExit
from .watchdog import Watchdog

if TYPE_CHECKING:
    from .kernel import Kernel
    from .stops import TaskStop
    from .task import Task

TIMESLICE_US = 20_000  # host-timer slice while another task is runnable (a spinner is stopped after 5)
PREEMPT_SYSCALLS = 16  # mean number of syscalls between deterministic switches when others are runnable

# uc_err codes from emu_start
UC_ERR_OK = 0
UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_ERR_FETCH_UNMAPPED = 6, 7, 8
UC_ERR_INSN_INVALID = 10
UC_ERR_WRITE_PROT, UC_ERR_READ_PROT, UC_ERR_FETCH_PROT = 12, 13, 14
UC_ERR_READ_UNALIGNED, UC_ERR_WRITE_UNALIGNED, UC_ERR_FETCH_UNALIGNED = 15, 16, 17
UC_ERR_EXCEPTION = 21

# Unicorn's access type of a failed access -> the x86 page-fault error code
_PF_ERROR = {19: 0x4, 20: 0x6, 21: 0x14, 22: 0x7, 23: 0x5, 24: 0x15}
_FAULTS = {
    UC_ERR_READ_UNMAPPED: SEGV_MAPERR, UC_ERR_WRITE_UNMAPPED: SEGV_MAPERR, UC_ERR_FETCH_UNMAPPED: SEGV_MAPERR,
    UC_ERR_WRITE_PROT: SEGV_ACCERR, UC_ERR_READ_PROT: SEGV_ACCERR, UC_ERR_FETCH_PROT: SEGV_ACCERR,
}


class WaitQueue:
    """A list of parked tasks (wait_queue_head); wake_all makes them runnable to re-check."""

    __slots__ = ("name", "waiters")

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.waiters: list[Task] = []


class Block:
    """Handler result: park the task on `queue` and/or until `deadline` (monotonic ns).

    On wake-up the run loop calls `resume()` if given (a continuation: futex waits, vfork, exec's wait
    for its siblings), else runs the same handler again to re-check its condition (level-triggered)."""

    __slots__ = ("queue", "deadline", "what", "resume", "hook_ok")

    def __init__(self, queue: WaitQueue | None = None, deadline: int | None = None, what: str = "",
                 resume=None, hook_ok: bool = False) -> None:
        self.queue = queue
        self.deadline = deadline
        self.what = what or (queue.name if queue else "sleep")
        self.resume = resume
        # resume() only ever gives an int or another Block, so the task may be resumed inside the syscall
        # hook of another thread of its address space (Scheduler.switch_in_hook)
        self.hook_ok = hook_ok


class Yield:
    """Handler result: the task stays runnable but lets the others go first (sched_yield)."""

    __slots__ = ("ret",)

    def __init__(self, ret: int = 0) -> None:
        self.ret = ret


class Deferred:
    """Handler result: finish the syscall outside emulation by calling fn()."""

    __slots__ = ("fn",)

    def __init__(self, fn) -> None:
        self.fn = fn


class _NoReturn:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NORETURN"


NORETURN = _NoReturn()


class _RegsSet:
    __slots__ = ()

    def __repr__(self) -> str:
        return "REGS_SET"


REGS_SET = _RegsSet()


class Scheduler:
    def __init__(self, kernel: Kernel, seed: int = 0) -> None:

        self.kernel = kernel
        self.runq: deque[Task] = deque()
        self.timers: list[list] = []  # heap of [deadline_ns, seq, callback or None when cancelled]
        self._timer_seq = 0
        self.rng = random.Random(seed)
        self.rand = self.rng.random  # uniform [0, 1): cheaper than randrange on the switch path
        self.current: Task | None = None
        self.yielder: Task | None = None
        self.next_task: Task | None = None  # picked inside a syscall hook, for the run loop to run next

        self.watchdog = Watchdog()
        self.budget = PREEMPT_SYSCALLS  # syscalls left before a switch while others are runnable

    # -- run states: the only writers of Task.state --------------------------------------------------
    def enqueue(self, task: Task) -> None:
        task.state = TASK_RUNNING
        self.runq.append(task)

    def stop(self, task: Task, stop: TaskStop) -> None:
        """The task stops (set_special_state(TASK_STOPPED/TASK_TRACED)): off the run queue until end_stop."""
        if task.state is TASK_INTERRUPTIBLE:
            self._unblock(task)  # a task killed in a wait stops at PTRACE_EVENT_EXIT
        task.state = stop.state
        task.stop = stop
        if task in self.runq:
            self.runq.remove(task)

    def end_stop(self, task: Task) -> None:
        """A stopped task runs again (SIGCONT, SIGKILL, or a tracer's resume: wake_up_state)."""
        if task.stop is not None:
            task.stop = None
            self.enqueue(task)

    def set_dead(self, task: Task) -> None:
        """do_exit's last state (TASK_DEAD): off every queue for good."""
        if task.state is TASK_INTERRUPTIBLE:
            self._unblock(task)
        if task in self.runq:
            self.runq.remove(task)
        task.stop = None
        task.state = TASK_DEAD

    def block(self, task: Task, blk: Block) -> None:
        task.state = TASK_INTERRUPTIBLE
        task.blocked_on = blk
        if blk.queue is not None:
            blk.queue.waiters.append(task)
        if blk.deadline is not None:
            task.wake_deadline = self.add_timer(blk.deadline, lambda: self.wake(task))

    def wake(self, task: Task) -> None:
        """try_to_wake_up: make a blocked task runnable; its handler re-checks its condition."""
        if task.state is TASK_INTERRUPTIBLE:
            self._unblock(task)
            self.enqueue(task)

    def _unblock(self, task: Task) -> None:
        """Off the wait queue the task blocked on, its timeout cancelled."""
        blk = task.blocked_on
        if blk is not None and blk.queue is not None and task in blk.queue.waiters:
            blk.queue.waiters.remove(task)
        task.blocked_on = None
        if task.wake_deadline is not None:
            task.wake_deadline[2] = None  # cancel the timeout
            task.wake_deadline = None

    def wake_all(self, queue: WaitQueue) -> None:
        for t in list(queue.waiters):
            self.wake(t)

    def add_timer(self, deadline: int, fn) -> list:
        """Call fn() once monotonic time reaches deadline; returns a handle for cancel_timer."""
        self._timer_seq += 1
        entry = [deadline, self._timer_seq, fn]
        heapq.heappush(self.timers, entry)
        return entry

    @staticmethod
    def cancel_timer(entry: list | None) -> None:
        if entry is not None:
            entry[2] = None

    def _fire_timers(self) -> None:
        now = self.kernel.clock.monotonic_ns()
        timers = self.timers
        while timers and (timers[0][0] <= now or timers[0][2] is None):
            _, _, fn = heapq.heappop(timers)
            if fn is not None:
                fn()

    def next_deadline(self) -> int | None:
        timers = self.timers
        while timers and timers[0][2] is None:
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    # -- the run loop --------------------------------------------------------------------------------
    def others_waiting(self) -> bool:
        """Another task is runnable or a timer is pending (read by the watchdog thread)."""
        return bool(self.runq) or bool(self.timers)

    def yield_task(self, task: Task) -> None:
        """sched_yield: the caller goes behind every other runnable task."""
        self.yielder = task

    def pick_next(self) -> Task | None:
        """Choose the next task from the run queue with the seeded PRNG (deterministic for a seed)."""
        runq = self.runq
        while runq:
            n = len(runq)
            if n == 1:
                task = runq.popleft()
            else:
                rand = self.rand
                i = int(rand() * n)
                if runq[i] is self.yielder:
                    i = (i + 1 + int(rand() * (n - 1))) % n
                task = runq[i]
                del runq[i]
            if task.state is TASK_RUNNING and task.alive:
                self.yielder = None
                self.budget = 1 + int(self.rand() * (2 * PREEMPT_SYSCALLS))
                return task
        return None

    def run(self) -> None:
        """Run until no task is left (or every task is blocked forever: a guest deadlock)."""
        try:
            self._run()
        finally:
            self.watchdog.close()  # one host thread per running kernel, none left behind

    def _run(self) -> None:
        kernel = self.kernel
        while True:
            if self.timers:
                self._fire_timers()
            task = self.next_task
            if task is not None:
                self.next_task = None
                if not task.alive or task.state is not TASK_RUNNING:
                    task = self.pick_next()
            else:
                task = self.pick_next()
            if task is None:
                deadline = self.next_deadline()
                if deadline is not None:
                    kernel.clock.advance_to(deadline)
                    if kernel.clock.realtime:
                        delay = deadline - kernel.clock.monotonic_ns()
                        if delay > 0:
                            time.sleep(delay / 1e9)
                    continue
                if kernel.live_tasks():
                    kernel.report_deadlock()
                    continue
                return
            try:
                self.run_task(task)
            except Exception as exc:  # a kernel bug outside the hook: that process gets SIGSYS, the run goes on
                bad = self.current or task
                if bad.alive:
                    kernel.kernel_bug(bad, "a syscall finished outside emulation", exc)
                else:
                    raise
            if kernel.dead_mms:
                kernel.reap_mms()

    def switch_to(self, task: Task) -> None:
        """Make task's registers live on its CPU (context switch between threads of one mm)."""
        cpu = task.mm.cpu
        prev = cpu.current
        if prev is task:
            return
        if prev is not None and prev.alive and prev.mm is task.mm:
            if prev.ctx is None:
                prev.ctx = cpu.context_alloc()
            cpu.context_save(prev.ctx)
        if task.ctx is not None:
            cpu.context_restore(task.ctx)
            if task.ctx_in_hook:  # saved inside the syscall hook: RIP is still at its `syscall`
                task.ctx_in_hook = False
                cpu.set_reg(RIP, cpu.reg(RIP) + 2)
        cpu.current = task

    def switch_in_hook(self, prev: Task) -> bool:
        """prev (the task live on its CPU) gave up the CPU inside its syscall hook: blocked, yielded or
        preempted, its own return path already done.  Do what the run loop would do next (timers, then
        pick_next); when the task picked runs on the same CPU and can be resumed here, switch to it without
        leaving emu_start, a uc_context save and restore and no re-entry (the cheapest switch Unicorn has),
        and return True.  Otherwise return False, the pick kept in next_task, and the caller stops the CPU.

        Inside the hook RIP is the address of the `syscall` instruction and Unicorn adds 2 when the hook
        returns, so a context saved here is marked ctx_in_hook, and a context saved outside (RIP already
        past its instruction, or a new thread's entry point) gets RIP - 2 when restored here."""
        kernel = self.kernel
        mm = prev.mm
        cpu = mm.cpu
        while True:
            if self.timers:
                self._fire_timers()
            nxt = self.pick_next()
            if nxt is None:
                return False
            restart = nxt.restart
            if nxt.mm is not mm or (restart is not None and not nxt.restart_in_hook) or kernel.dead_mms \
                    or (nxt.ctx is None and nxt is not cpu.current):
                self.next_task = nxt
                return False
            cur = cpu.current
            if nxt is not cur:
                if cur is not None and cur.alive and cur.mm is mm:
                    if cur.ctx is None:
                        cur.ctx = cpu.context_alloc()
                    cpu.context_save(cur.ctx)
                    cur.ctx_in_hook = True
                cpu.context_restore(nxt.ctx)
                if nxt.ctx_in_hook:
                    nxt.ctx_in_hook = False
                else:
                    cpu.set_reg(RIP, cpu.reg(RIP) - 2)
                cpu.current = nxt
            self.current = nxt
            if self.resume(nxt, True):
                return True
            # blocked again or gone: pick once more (its context is saved, or no longer needed, above)

    def resume(self, task: Task, in_hook: bool) -> bool:
        """What a task does before it runs on: finish the syscall it was parked in, then return to user mode
        (in_hook: RIP is still at the `syscall` instruction).  False when it blocked again or is gone."""
        restart = task.restart
        if restart is not None:
            # woken in a syscall: its continuation (or the handler again, level-triggered), then complete it
            task.restart = None
            sc, args, resume = restart
            entry = self.kernel.entry
            if sc is None:
                # a tracer ended a ptrace stop: the rest of what the stop interrupted (emukernel.ptrace)
                resume()
            else:
                if resume is not None:
                    try:
                        result = resume()
                    except Errno as e:
                        result = -e.errno
                else:
                    result = entry.invoke(task, sc, args)
                entry.complete(task, sc, args, result)
            if task.state is not TASK_RUNNING or not task.alive:
                return False
        if task.sigpending_flag:
            self.kernel.entry.exit_to_user_mode(task, in_hook)
        return task.alive and task.state is TASK_RUNNING

    def run_task(self, task: Task) -> None:
        kernel = self.kernel
        self.current = task
        self.switch_to(task)
        cpu = task.mm.cpu
        if not self.resume(task, False):
            return
        t0 = time.monotonic_ns()
        # A task that makes syscalls is switched at syscall boundaries (deterministically); the watchdog
        # stops the CPU only once the task spun without a syscall for SPIN_SLICES slices while another task
        # or a timer waits (watchdog.py: an asynchronous stop may run an instruction twice, so it is kept
        # for spinners).  Armed every time: a thread woken inside the hook runs in this same emu_start.
        self.watchdog.arm(cpu, TIMESLICE_US, kernel.clock, self.others_waiting)
        err = cpu.start(cpu.reg(RIP))
        self.watchdog.disarm()
        task = self.current  # the hook may have switched to another thread of this address space
        why, data = task.emu_exit, task.emu_exit_data
        task.emu_exit, task.emu_exit_data = EmuExit.NONE, None
        if err != UC_ERR_OK:
            if why is EmuExit.BUG:
                kernel.kernel_bug(task, data[1], data[0])
            else:
                self.cpu_exception(task, err)
            return
        entered = why is EmuExit.SYSCALL  # left emulation to finish a syscall: not by itself a switch
        if entered:
            if data is None:
                kernel.entry.syscall_slow(task)
            else:
                kernel.entry.complete(task, *data)
        elif why is EmuExit.INT80:
            entered = True
            kernel.entry.int80_syscall(task)
        elif why is EmuExit.TRAP:
            sig, code, addr, trapno = data
            cpu.clear_exception_state()
            kernel.signals.force_fault(task, sig, code, addr, trapno)
        elif why is EmuExit.BUG:
            kernel.kernel_bug(task, data[1], data[0])
        elif why is EmuExit.NONE and task.alive and task.state is TASK_RUNNING and not task.sigpending_flag:
            # a spinning task preempted by the host timer (the one nondeterministic event): virtual time
            # moves on by the time it computed, so timers fire for programs that spin waiting for them
            kernel.clock.advance_to(kernel.clock.monotonic_ns() + time.monotonic_ns() - t0)
            if kernel.events is not None:
                kernel.events.on_schedule(task, "preempted by host timer")
        # (EmuExit.PREEMPT: a deterministic switch at a syscall boundary, nothing to do)
        if task.alive and task.state is TASK_RUNNING:
            kernel.entry.exit_to_user_mode(task)
            if task.alive and task.state is TASK_RUNNING and task not in self.runq:
                self.budget -= 1
                if entered and self.budget > 0 and self.yielder is not task and self.next_task is None:
                    # as on Linux, returning from a syscall is no reason to give up the CPU: a fork's
                    # parent goes on (towards its wait) while the child waits its turn
                    self.next_task = task
                else:
                    self.runq.append(task)

    def cpu_exception(self, task: Task, err: int) -> None:
        """emu_start failed: a guest fault becomes a signal; anything else is reported as a kernel bug."""
        kernel = self.kernel
        mm = task.mm
        mm.cpu.clear_exception_state()  # a page fault leaves QEMU's old_exception set too
        fa = mm.fault_addr
        if err in _FAULTS and fa >= 1 << 47:
            # Unicorn reports addresses cut to 52 bits.  Bits 47-51 all set: a canonical kernel address
            # (restore its sign extension; a user access there is a page fault); otherwise the address was
            # non-canonical, which the CPU reports as a general protection fault: SI_KERNEL, no address
            if (fa >> 47) & 0x1F == 0x1F:
                kernel.signals.force_fault(task, S.SIGSEGV, SEGV_MAPERR, fa | 0xFFF0000000000000, 14,
                                           _PF_ERROR.get(mm.fault_access, 4))
            else:
                kernel.signals.force_fault(task, S.SIGSEGV, 0x80, 0, 13)
        elif err in _FAULTS and mm.in_sigbus_area(fa) and mm.fault_in_file_page(fa):
            pass  # the file has grown over the page since it was mapped: run the access again
        elif err in _FAULTS and mm.in_sigbus_area(mm.fault_addr):
            kernel.signals.force_fault(task, S.SIGBUS, 2, mm.fault_addr)  # BUS_ADRERR: past a file's end
        elif err in _FAULTS:
            # a page fault: trap 14 with the x86 error code (protection, write, user, instruction fetch)
            code = _PF_ERROR.get(mm.fault_access, 4)
            kernel.signals.force_fault(task, S.SIGSEGV, _FAULTS[err], mm.fault_addr, 14, code)
        elif err == UC_ERR_INSN_INVALID:
            kernel.signals.force_fault(task, S.SIGILL, 2, mm.cpu.reg(RIP))  # ILL_ILLOPN (do_error_trap #UD)
        elif err in (UC_ERR_READ_UNALIGNED, UC_ERR_WRITE_UNALIGNED, UC_ERR_FETCH_UNALIGNED):
            kernel.signals.force_fault(task, S.SIGBUS, 1, mm.fault_addr)  # BUS_ADRALN
        elif err == UC_ERR_EXCEPTION:
            kernel.signals.force_fault(task, S.SIGSEGV, 0x80, 0)  # SI_KERNEL (general protection)
        else:
            kernel.kernel_bug(task, f"emu_start error {err}", RuntimeError(f"uc_err {err}"))
        if task.alive and task.state is TASK_RUNNING and task not in self.runq:
            self.runq.append(task)


def format_exception(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
