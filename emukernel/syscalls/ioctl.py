"""ioctl: the commands every file answers, then the file's own (Linux fs/ioctl.c)."""

from __future__ import annotations

import struct
from typing import Any

from ..abi.fcntl import O_ASYNC, O_NONBLOCK
from ..fs.inode import s_isreg
from . import u32
from .file import _fdget
from .table import syscall

FIONCLEX = 0x5450
FIOCLEX = 0x5451
FIONBIO = 0x5421
FIOASYNC = 0x5452
FIONREAD = 0x541B


@syscall("ioctl", "fd", "ioctl", "x")
def sys_ioctl(task: Any, fd: int, cmd: int, arg: int) -> int:
    # Linux: fs/ioctl.c do_vfs_ioctl handles these for every file, file_ioctl FIONREAD for regular ones
    f = _fdget(task, fd)
    fd, cmd = u32(fd), u32(cmd)
    if cmd == FIOCLEX or cmd == FIONCLEX:
        task.files.set_cloexec(fd, cmd == FIOCLEX)
        return 0
    if cmd == FIONBIO or cmd == FIOASYNC:
        on = task.mm.read_u32(arg)
        bit = O_NONBLOCK if cmd == FIONBIO else O_ASYNC
        f.set_status_flags((f.flags | bit) if on else (f.flags & ~bit))
        return 0
    if cmd == FIONREAD and f.inode is not None and s_isreg(f.inode.mode):
        task.mm.write(arg, struct.pack("<i", max(-(1 << 31), min(f.readable_bytes(), (1 << 31) - 1))))
        return 0
    return f.ioctl(task, cmd, arg)
