"""Thin syscall entry points: decode the arguments, call the kernel, return the result or -errno.

The modules are named after the Linux source file that holds each syscall (read_write.py for fs/read_write.c,
sys.py for kernel/sys.c, ...), apart from a few concept modules (memory, time, futex, exec, creds, ns, pipe,
poll, anonfd, pidfd, signal, process).  Every handler is registered once, with @syscall (table.py).

The order of the checks is Linux's, so that a guest probing several errors at once sees the one Linux
reports: flag validation, then the name (EFAULT, ENAMETOOLONG, ENOENT for ""), then the fd (EBADF), then the
walk, then the copy-out (EFAULT).  Argument types follow the C prototypes: fds are unsigned int, dirfds and
flags int, lengths size_t, offsets loff_t.
"""

from __future__ import annotations

import importlib

_MODULES = (
    # fs/
    "read_write", "open", "namei", "stat", "fcntl", "ioctl", "readdir", "file", "d_path", "sync", "utimes",
    "statfs", "locks", "splice",
    # mm/, kernel/, block/, net/, drivers/
    "readahead", "fadvise", "memfd", "process_vm", "sys", "sched", "ioprio", "exec_domain", "membarrier", "printk", "socket",
    "random",
    # concept modules
    "process", "memory", "time", "signal", "futex", "exec", "creds", "ns", "pipe", "poll", "anonfd", "pidfd",
    "ptrace", "seccomp", "kcmp",
)  # the order does not matter: each syscall has one handler
_loaded = False


def load_all() -> None:
    """Import every handler module once so that their @syscall decorators fill the table."""
    global _loaded
    if _loaded:
        return
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")
    _loaded = True


def s32(x: int) -> int:
    """The low 32 bits of a register as a C int."""
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x & 0x80000000 else x


def s64(x: int) -> int:
    """A register as a signed 64-bit value."""
    return x - (1 << 64) if x & (1 << 63) else x


def u32(x: int) -> int:
    """The low 32 bits of a register as an unsigned int."""
    return x & 0xFFFFFFFF


def u64(x: int) -> int:
    """A register as an unsigned 64-bit value."""
    return x & 0xFFFFFFFFFFFFFFFF


TASK_SIZE_MAX = (1 << 47) - 4096


def access_ok(addr: int, size: int) -> bool:
    """Only that the range lies in user space, as Linux access_ok (whether it is mapped is found later)."""
    return addr + size <= TASK_SIZE_MAX
