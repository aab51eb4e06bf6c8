"""statfs and fstatfs (Linux fs/statfs.c)."""

from __future__ import annotations

from typing import Any

from .file import _fdget_raw
from .namei import _vfs, getname
from .table import syscall


@syscall("statfs", "path", "struct_out")
def sys_statfs(task: Any, pathname: int, buf: int) -> int:
    name = getname(task, pathname)
    vfs = _vfs(task)
    p = vfs.lookup(task.fs, task.creds, None, name, follow=True)
    task.mm.write(buf, vfs.statfs(p))
    return 0


@syscall("fstatfs", "fd", "struct_out")
def sys_fstatfs(task: Any, fd: int, buf: int) -> int:
    f = _fdget_raw(task, fd)
    task.mm.write(buf, _vfs(task).fstatfs(f))
    return 0
