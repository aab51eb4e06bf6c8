"""/proc/meminfo (Linux fs/proc/meminfo.c): a plausible machine of MEM_TOTAL_KB whose used memory is what the
guests have mapped.
"""

from __future__ import annotations

from typing import Any

from .task_mmu import MemStats

MEM_TOTAL_KB = 4 * 1024 * 1024


def proc_meminfo(kernel: Any) -> bytes:
    # Linux: fs/proc/meminfo.c (a plausible machine: MEM_TOTAL_KB, used = what the guests have mapped)
    used = anon = filed = shmem = 0
    seen: set[int] = set()
    for t in kernel.tasks.values():
        mm = t.mm
        if mm is None or id(mm) in seen:
            continue
        seen.add(id(mm))
        m = MemStats(mm)
        used += m.rss
        anon += m.anon
        filed += m.file
        shmem += m.shmem
    total = MEM_TOTAL_KB
    free = max(0, total - used)
    rows = [("MemTotal", total), ("MemFree", free), ("MemAvailable", free), ("Buffers", 0), ("Cached", filed),
            ("SwapCached", 0), ("Active", anon), ("Inactive", filed), ("Active(anon)", anon),
            ("Inactive(anon)", 0), ("Active(file)", 0), ("Inactive(file)", filed), ("Unevictable", 0),
            ("Mlocked", 0), ("SwapTotal", 0), ("SwapFree", 0), ("Dirty", 0), ("Writeback", 0),
            ("AnonPages", anon), ("Mapped", filed), ("Shmem", shmem), ("KReclaimable", 0), ("Slab", 0),
            ("SReclaimable", 0), ("SUnreclaim", 0), ("KernelStack", 16 * len(kernel.tasks)), ("PageTables", 0),
            ("CommitLimit", total // 2), ("Committed_AS", used), ("VmallocTotal", 34359738367),
            ("VmallocUsed", 0), ("VmallocChunk", 0)]  # fmt: skip
    text = "".join(f"{label + ':':<16}{v:>8} kB\n" for label, v in rows)
    text += ("HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\n"
             "HugePages_Surp:        0\nHugepagesize:       2048 kB\nHugetlb:               0 kB\n")  # fmt: skip
    return text.encode()
