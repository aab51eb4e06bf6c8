"""fadvise64 (Linux mm/fadvise.c)."""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi.fcntl import S_IFIFO, S_IFMT
from ..errors import Errno
from ..fs.tmpfs import TmpFileHandle
from . import s32, s64
from .file import _fdget, _file_mode
from .table import syscall


@syscall("fadvise64", "fd", "d", "d", "d")
def sys_fadvise64(task: Any, fd: int, offset: int, length: int, advice: int) -> int:
    # Linux: mm/fadvise.c generic_fadvise (the advice is only checked); shmem_fadvise takes any length
    f = _fdget(task, fd)
    if _file_mode(f) & S_IFMT == S_IFIFO:
        raise Errno(E.ESPIPE)
    if (s64(length) < 0 and not isinstance(f, TmpFileHandle)) or not 0 <= s32(advice) <= 5:
        raise Errno(E.EINVAL)
    return 0
