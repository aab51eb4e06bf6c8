"""The preemption timer: one long-lived host thread that stops a CPU whose task spins without syscalls.

Unicorn's own emu_start(timeout=...) creates and joins a timer thread on every call, which costs tens of
microseconds each time and dominated every task switch.  This watchdog is armed and disarmed with two
attribute stores; it wakes every few milliseconds (emu_start releases the GIL while the guest runs).

An asynchronous uc_emu_stop is not safe: Unicorn (2.1.4; unicorn-engine/unicorn#1355) may stop just after
a read-modify-write of guest memory and resume at that same instruction, so it runs twice (an `inc [mem]`
counts twice; a `lock cmpxchg` that took a lock runs again and fails).  A task that makes syscalls is
switched at syscall boundaries by the scheduler, so the watchdog stops a CPU only when its task made no
syscall for SPIN_SLICES whole slices: a spinner, which nothing else can preempt, and only while something
else waits for the CPU (another runnable task or a timer; `others()`): a lone computation is never stopped.
The watchdog is armed for every emu_start, since threads woken inside the syscall hook run in the same one.
"""

from __future__ import annotations

import threading
import time

TICK_S = 0.005
SPIN_SLICES = 5  # slices without a syscall before a task counts as spinning


class Watchdog:
    def __init__(self) -> None:
        self._cpu = None  # the CPU of the armed slice, or None
        self._deadline = 0.0
        self._slice = 0.0
        self._gen = 0
        self._clock = None  # what counts syscalls (Clock.syscalls)
        self._others = None  # () -> bool: something else waits for the CPU
        self._calls = 0
        self._quiet = 0
        self._thread: threading.Thread | None = None
        self._done: threading.Event | None = None  # set by close(): the thread ends
        self._lock = threading.Lock()

    def arm(self, cpu, slice_us: int, clock=None, others=None) -> None:
        """Stop `cpu` once its task made no syscall (clock.syscalls did not move) for SPIN_SLICES slices of
        slice_us while others() is true, unless disarmed first; without a clock, once one slice has passed."""
        self._others = others
        self._slice = slice_us / 1e6
        self._deadline = time.monotonic() + self._slice
        self._clock = clock
        self._calls = clock.syscalls if clock is not None else 0
        self._quiet = 0
        self._gen += 1
        self._cpu = cpu
        if self._thread is None:
            self._start()

    def disarm(self) -> None:
        # under the lock: once this returns, the thread will not stop this CPU (which may then be freed)
        with self._lock:
            self._cpu = None

    def close(self) -> None:
        """End the thread (the kernel's run is over); a later arm() starts a new one."""
        self.disarm()
        if self._done is not None:
            self._done.set()
        self._thread = self._done = None

    def _start(self) -> None:
        done = self._done = threading.Event()
        t = threading.Thread(target=self._run, args=(done,), name="emukernel-preempt", daemon=True)
        self._thread = t
        t.start()

    def _run(self, done: threading.Event) -> None:
        while not done.wait(TICK_S):
            cpu, gen = self._cpu, self._gen
            now = time.monotonic()
            if cpu is None or now < self._deadline or gen != self._gen:
                continue
            clock = self._clock
            if clock is not None:
                calls = clock.syscalls
                if calls != self._calls:  # making syscalls: the scheduler switches it at one of them
                    self._calls, self._quiet = calls, 0
                else:
                    self._quiet += 1
                others = self._others
                if self._quiet < SPIN_SLICES or (others is not None and not others()):
                    self._deadline = now + self._slice
                    continue
            with self._lock:
                if gen == self._gen and self._cpu is cpu:
                    cpu.stop()
