"""The preemption timer: one long-lived host thread that stops a CPU whose slice has run too long.

Unicorn's own emu_start(timeout=...) creates and joins a timer thread on every call, which costs tens of
microseconds each time and dominated every task switch.  This watchdog is armed and disarmed with two
attribute stores; it wakes every few milliseconds (emu_start releases the GIL while the guest runs) and
calls uc_emu_stop on a slice that has outlived its budget.  A stop that lands just after the slice ended
only costs the run loop one extra re-entry: the scheduler treats a stop with nothing to do as a
host-timer preemption and needs several in a row before it switches a task.
"""

from __future__ import annotations

import threading
import time

TICK_S = 0.005


class Watchdog:
    def __init__(self) -> None:
        self._cpu = None  # the CPU of the armed slice, or None
        self._deadline = 0.0
        self._gen = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def arm(self, cpu, slice_us: int) -> None:
        """Stop `cpu` once slice_us of host time has passed (unless disarmed first)."""
        self._deadline = time.monotonic() + slice_us / 1e6
        self._gen += 1
        self._cpu = cpu
        if self._thread is None:
            self._start()

    def disarm(self) -> None:
        self._cpu = None

    def _start(self) -> None:
        t = threading.Thread(target=self._run, name="emukernel-preempt", daemon=True)
        self._thread = t
        t.start()

    def _run(self) -> None:
        while True:
            time.sleep(TICK_S)
            cpu, gen = self._cpu, self._gen
            if cpu is not None and time.monotonic() >= self._deadline and gen == self._gen:
                cpu.stop()
