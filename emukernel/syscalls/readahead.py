"""readahead (Linux mm/readahead.c)."""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi.fcntl import S_IFBLK, S_IFMT, S_IFREG
from ..errors import Errno
from ..fs.file import FMODE_READ
from . import u32
from .file import _file_mode
from .table import syscall


@syscall("readahead", "fd", "d", "u")
def sys_readahead(task: Any, fd: int, offset: int, count: int) -> int:
    # Linux: mm/readahead.c ksys_readahead
    f = task.files.lookup(u32(fd))
    if f is None or f.is_path or not f.f_mode & FMODE_READ:
        raise Errno(E.EBADF)
    if _file_mode(f) & S_IFMT not in (S_IFREG, S_IFBLK):
        raise Errno(E.EINVAL)
    return 0
