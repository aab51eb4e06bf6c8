"""The files that describe the system rather than its processes: /proc/version (Linux fs/proc/version.c),
/proc/cpuinfo (fs/proc/cpuinfo.c, the host's) and /proc/filesystems (fs/filesystems.c).
"""

from __future__ import annotations

import os

from ...uts import HOST_UNAME

PROC_FILESYSTEMS = (
    b"nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\tcgroup2\nnodev\tpipefs\n"
)


def proc_version() -> bytes:
    return f"Linux version {HOST_UNAME.release} (emukernel) {HOST_UNAME.version}\n".encode()


def proc_cpuinfo() -> bytes:
    """The host's processors, as many as /proc/stat, sysinfo and sched_getaffinity count."""
    try:
        with open("/proc/cpuinfo", "rb") as f:
            return f.read()
    except OSError:
        return b"".join(b"processor\t: %d\n\n" % i for i in range(os.cpu_count() or 1))
