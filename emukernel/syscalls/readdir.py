"""getdents and getdents64 (Linux fs/readdir.c)."""

from __future__ import annotations

import struct
from typing import Any

from ..abi import errno as E
from ..abi.fcntl import SEEK_SET
from ..errors import Errno, Fault
from . import access_ok, u32
from .file import _fdget
from .table import syscall


def _getdents(task: Any, fd: int, dirent: int, count: int, convert) -> int:
    """iterate_dir into the guest's buffer; a fault while copying puts the position back, so that no entry
    is lost."""
    f = _fdget(task, fd)
    count = u32(count)
    if not access_ok(dirent, count):
        raise Errno(E.EFAULT)
    before = f.pos
    data = convert(f.getdents64(count))
    try:
        task.mm.write(dirent, data)
    except Fault:
        f.lseek(before, SEEK_SET)
        raise
    return len(data)


@syscall("getdents64", "fd", "struct_out", "u")
def sys_getdents64(task: Any, fd: int, dirent: int, count: int) -> int:
    return _getdents(task, fd, dirent, count, bytes)


_DIRENT64 = struct.Struct("<QqHB")
_DIRENT = struct.Struct("<QqH")


def dirents_from64(data: bytes) -> bytes:
    """linux_dirent64 records as struct linux_dirent (same record sizes; d_type in the last byte).

    On x86-64 d_ino is an unsigned long, so the EOVERFLOW of a 32-bit d_ino never happens."""
    out = bytearray()
    off = 0
    while off < len(data):
        ino, doff, reclen, dtype = _DIRENT64.unpack_from(data, off)
        name = data[off + _DIRENT64.size : off + reclen].split(b"\0", 1)[0]
        rec = bytearray(_DIRENT.pack(ino, doff, reclen) + name + b"\0")
        rec += bytes(reclen - len(rec))
        rec[reclen - 1] = dtype
        out += rec
        off += reclen
    return bytes(out)


@syscall("getdents", "fd", "struct_out", "u")
def sys_getdents(task: Any, fd: int, dirent: int, count: int) -> int:
    return _getdents(task, fd, dirent, count, dirents_from64)
