"""getrandom (Linux drivers/char/random.c)."""

from __future__ import annotations

from ..abi import errno as E
from ..errors import Errno
from .table import syscall

GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE = 1, 2, 4


@syscall("getrandom", "buf_out", "u", "x")
def sys_getrandom(task, buf, count, flags):
    if flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) or \
            (flags & GRND_INSECURE and flags & GRND_RANDOM):
        raise Errno(E.EINVAL)
    count = min(count, 0x7FFFF000 if not flags & GRND_RANDOM else 512)
    count = min(count, 1 << 25)
    task.mm.write(buf, task.kernel.random_bytes(count))
    return count
