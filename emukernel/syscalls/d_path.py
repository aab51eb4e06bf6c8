"""getcwd (Linux fs/d_path.c)."""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..errors import Errno
from . import u64
from .table import syscall


@syscall("getcwd", "buf_out", "u")
def sys_getcwd(task: Any, buf: int, size: int) -> int:
    # Linux: fs/d_path.c getcwd: ENOENT for a removed directory, ERANGE when it does not fit
    cwd = task.fs.getcwd() + b"\0"
    if len(cwd) > u64(size):
        raise Errno(E.ERANGE)
    task.mm.write(buf, cwd)
    return len(cwd)
