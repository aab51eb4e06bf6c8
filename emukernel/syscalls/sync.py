"""sync, syncfs, fsync and fdatasync (Linux fs/sync.c)."""

from __future__ import annotations

from typing import Any

from .file import _fdget
from .table import syscall


@syscall("fsync", "fd")
def sys_fsync(task: Any, fd: int) -> int:
    _fdget(task, fd).fsync()
    return 0


@syscall("fdatasync", "fd")
def sys_fdatasync(task: Any, fd: int) -> int:
    _fdget(task, fd).fsync()
    return 0


@syscall("sync")
def sys_sync(task: Any) -> int:
    return 0


@syscall("syncfs", "fd")
def sys_syncfs(task: Any, fd: int) -> int:
    _fdget(task, fd)
    return 0
