"""membarrier (Linux kernel/sched/membarrier.c)."""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..errors import Errno
from . import s32
from .table import syscall

MEMBARRIER_CMD_QUERY = 0
MEMBARRIER_CMD_GLOBAL = 1
MEMBARRIER_CMD_GLOBAL_EXPEDITED = 2
MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 4
MEMBARRIER_CMD_PRIVATE_EXPEDITED = 8
MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 16
MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE = 32
MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 64
MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ = 128
MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ = 256
MEMBARRIER_CMD_GET_REGISTRATIONS = 512
_MEMBARRIER_SUPPORTED = 0x1FF  # everything but GET_REGISTRATIONS in the QUERY answer (Linux 6.x)
_REGISTER_OF = {MEMBARRIER_CMD_PRIVATE_EXPEDITED: MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
                MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE: MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
                MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ: MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ}  # fmt: skip


@syscall("membarrier", "d", "x", "d")
def sys_membarrier(task: Any, cmd: int, flags: int, cpu_id: int) -> int:
    # Linux: kernel/sched/membarrier.c (one CPU runs the guest at a time: every barrier is already there)
    cmd = s32(cmd)
    if flags & ~1 or (flags and cmd != MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ):
        raise Errno(E.EINVAL)
    mm = task.mm
    regs = mm.membarrier_registered
    if cmd == MEMBARRIER_CMD_QUERY:
        return _MEMBARRIER_SUPPORTED
    if cmd == MEMBARRIER_CMD_GET_REGISTRATIONS:
        return regs
    if cmd in (MEMBARRIER_CMD_GLOBAL, MEMBARRIER_CMD_GLOBAL_EXPEDITED):
        return 0
    if cmd in (MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
               MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ):
        mm.membarrier_registered = regs | cmd
        return 0
    reg = _REGISTER_OF.get(cmd)
    if reg is None:
        raise Errno(E.EINVAL)
    if not regs & reg:
        raise Errno(E.EPERM)
    return 0
