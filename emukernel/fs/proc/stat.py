"""The system-wide counters of CPU time and tasks, from the kernel's clock and task table: /proc/stat (Linux
fs/proc/stat.c), /proc/uptime (fs/proc/uptime.c) and /proc/loadavg (fs/proc/loadavg.c).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ...task import TaskState
from .internal import EXIT_NONE, USER_HZ, task_released

if TYPE_CHECKING:
    from ...task import Task

def proc_stat(kernel: Any) -> bytes:
    # Linux: fs/proc/stat.c (CPU times in USER_HZ ticks; only what this kernel knows is non-zero)
    ncpu = os.cpu_count() or 1
    user = kernel.clock.cputime_ns() // (10**9 // USER_HZ)
    up = kernel.clock.monotonic_ns() // (10**9 // USER_HZ)
    idle = max(0, up * ncpu - user)
    lines = [f"cpu  {user} 0 0 {idle} 0 0 0 0 0 0"]
    for i in range(ncpu):
        lines.append(f"cpu{i} {user // ncpu} 0 0 {idle // ncpu} 0 0 0 0 0 0")
    boot = (kernel.clock.realtime_ns() - kernel.clock.monotonic_ns()) // 10**9
    tasks = [t for t in kernel.tasks.values() if not task_released(t)]
    running = sum(1 for t in tasks if t.state is TaskState.RUNNING and t.exit_state == EXIT_NONE and not t.kthread)
    blocked = 0
    forks = max(0, max((t.tid for t in tasks), default=0))
    lines += ["intr 0", "ctxt 0", f"btime {boot}", f"processes {forks}", f"procs_running {running}",
              f"procs_blocked {blocked}", "softirq 0 0 0 0 0 0 0 0 0 0 0"]  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


def proc_uptime(kernel: Any) -> bytes:
    # Linux: fs/proc/uptime.c: "%lu.%02lu %lu.%02lu\n", uptime and the idle time of every CPU
    up = kernel.clock.monotonic_ns()
    busy = kernel.clock.cputime_ns()
    idle = max(0, up * (os.cpu_count() or 1) - busy)
    return b"%d.%02d %d.%02d\n" % (up // 10**9, up // 10**7 % 100, idle // 10**9, idle // 10**7 % 100)


def proc_loadavg(kernel: Any, viewer: Task) -> bytes:
    # Linux: fs/proc/loadavg.c: three averages, running/total tasks, the last pid of the reader's namespace
    tasks = [t for t in kernel.tasks.values() if not t.kthread and not task_released(t)]
    running = sum(1 for t in tasks if t.state is TaskState.RUNNING and t.exit_state == EXIT_NONE)
    return b"0.00 0.00 0.00 %d/%d %d\n" % (running, len(tasks), viewer.pid.ns.last_pid)
