"""eventfd (Linux fs/eventfd.c): a 64-bit counter that read drains and write adds to."""

from __future__ import annotations

import itertools
import struct
from typing import Any

from ..abi import errno as E
from ..abi.fcntl import O_CLOEXEC, O_NONBLOCK, O_RDWR
from ..errors import Errno
from .anon import anon_inode_stat
from .file import File, WouldBlock
from .poll import POLLERR, POLLIN, POLLOUT, WaitHead, wake_up
from .stat import Kstat

EFD_SEMAPHORE = 1
EFD_CLOEXEC = O_CLOEXEC
EFD_NONBLOCK = O_NONBLOCK
EFD_SHARED_FCNTL_FLAGS = O_CLOEXEC | O_NONBLOCK
EFD_FLAGS_SET = EFD_SHARED_FCNTL_FLAGS | EFD_SEMAPHORE
ULLONG_MAX = (1 << 64) - 1
_U64 = struct.Struct("<Q")
_ids = itertools.count()  # eventfd_ida


class EventFd(File):
    """An eventfd (F_GETFL shows O_RDWR, plus O_NONBLOCK for EFD_NONBLOCK)."""

    __slots__ = ("kernel", "count", "semaphore", "wqh", "id")

    stream = True
    can_poll = True

    def __init__(self, kernel: Any, count: int, flags: int) -> None:
        super().__init__(None, None, O_RDWR | (flags & O_NONBLOCK))
        self.kernel = kernel
        self.count = count
        self.semaphore = bool(flags & EFD_SEMAPHORE)
        self.wqh = WaitHead("eventfd")
        self.id = next(_ids)

    def fdinfo_name(self) -> str:
        return "anon_inode:[eventfd]"

    def stat(self) -> Kstat:
        return anon_inode_stat()

    def read(self, n: int) -> bytes:
        # Linux: fs/eventfd.c eventfd_read (the counter is taken before the copy-out)
        if n < 8:
            raise Errno(E.EINVAL)
        if not self.count:
            if self.flags & O_NONBLOCK:
                raise Errno(E.EAGAIN)
            raise WouldBlock(self.wqh, "eventfd read")
        ucnt = 1 if self.semaphore else self.count
        self.count -= ucnt
        wake_up(self.kernel, self.wqh, POLLOUT)
        return _U64.pack(ucnt)

    def write(self, data: bytes) -> int:
        # Linux: fs/eventfd.c eventfd_write
        if len(data) < 8:
            raise Errno(E.EINVAL)
        (ucnt,) = _U64.unpack_from(data)
        if ucnt == ULLONG_MAX:
            raise Errno(E.EINVAL)
        if not ULLONG_MAX - self.count > ucnt:
            if self.flags & O_NONBLOCK:
                raise Errno(E.EAGAIN)
            raise WouldBlock(self.wqh, "eventfd write")
        self.count += ucnt
        wake_up(self.kernel, self.wqh, POLLIN)
        return 8

    def poll(self, task: Any, pt: Any) -> int:
        if pt is not None:
            pt.wait(self.wqh)
        count = self.count
        events = 0
        if count > 0:
            events |= POLLIN
        if count == ULLONG_MAX:
            events |= POLLERR
        if ULLONG_MAX - 1 > count:
            events |= POLLOUT
        return events

    def fdinfo_lines(self, viewer: Any = None) -> list[str]:
        """eventfd_show_fdinfo."""
        return [f"eventfd-count: {self.count:16x}", f"eventfd-id: {self.id}",
                f"eventfd-semaphore: {int(self.semaphore)}"]  # fmt: skip
