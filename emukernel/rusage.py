"""Resource usage of a task as getrusage reports it (struct rusage).  This kernel keeps no per-process CPU
time, so the times are 0; the maximum resident set size is the address space's RSS (MemStats, as /proc shows).
"""

from __future__ import annotations

from typing import Any

from .abi.resource import (
    RUSAGE_CHILDREN,
)
from .fs.proc import MemStats


def getrusage(task: Any, who: int) -> tuple[int, ...]:
    """The 18 fields of struct rusage (ru_utime, ru_stime as seconds and microseconds, then ru_maxrss...)."""
    # Linux: kernel/sys.c getrusage (the accounting; its copy-out is the syscall's)
    maxrss = 0
    if who != RUSAGE_CHILDREN and task.mm is not None:
        maxrss = MemStats(task.mm).rss
    return (0, 0, 0, 0, maxrss, *([0] * 13))
