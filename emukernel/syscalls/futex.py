"""futex(2): decode op and timeout, call emukernel.futex."""

from __future__ import annotations

from ..abi import errno as E
from ..abi.futex import (
    FUTEX_BITSET_MATCH_ANY,
    FUTEX_CLOCK_REALTIME,
    FUTEX_CMP_REQUEUE,
    FUTEX_REQUEUE,
    FUTEX_WAIT,
    FUTEX_WAIT_BITSET,
    FUTEX_WAKE,
    FUTEX_WAKE_BITSET,
    FUTEX_WAKE_OP,
)
from ..errors import Errno
from .table import syscall
from .time import read_timespec

_FUTEX_PRIVATE_FLAG = 128


@syscall("futex", "p", "x", "u", "p", "p", "u")
def sys_futex(task, uaddr, op, val, utime, uaddr2, val3):
    # Linux: kernel/futex/syscalls.c do_futex
    cmd = op & ~(_FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME) & 0xFFFFFFFF
    private = bool(op & _FUTEX_PRIVATE_FLAG)
    if op & FUTEX_CLOCK_REALTIME and cmd not in (FUTEX_WAIT_BITSET, 11, 13):  # WAIT_REQUEUE_PI, LOCK_PI2
        raise Errno(E.ENOSYS)
    fx = task.kernel.futexes
    val &= 0xFFFFFFFF
    val3 &= 0xFFFFFFFF
    if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        deadline = None
        if utime:
            ns = read_timespec(task, utime)
            clock = task.kernel.clock
            if cmd == FUTEX_WAIT:
                deadline = clock.monotonic_ns() + ns  # relative
            elif op & FUTEX_CLOCK_REALTIME:
                deadline = clock.monotonic_ns() + max(0, ns - clock.realtime_ns())
            else:
                deadline = ns
        bitset = FUTEX_BITSET_MATCH_ANY if cmd == FUTEX_WAIT else val3
        return fx.wait(task, uaddr, val, deadline, bitset, private)
    if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
        bitset = FUTEX_BITSET_MATCH_ANY if cmd == FUTEX_WAKE else val3
        return fx.wake(task, uaddr, val, bitset, private)
    if cmd == FUTEX_REQUEUE:
        return fx.requeue(task, uaddr, uaddr2, val, utime & 0xFFFFFFFF, None, private)
    if cmd == FUTEX_CMP_REQUEUE:
        return fx.requeue(task, uaddr, uaddr2, val, utime & 0xFFFFFFFF, val3, private)
    if cmd == FUTEX_WAKE_OP:
        return fx.wake_op(task, uaddr, uaddr2, val, utime & 0xFFFFFFFF, val3, private)
    raise Errno(E.ENOSYS)  # PI futexes are not implemented
