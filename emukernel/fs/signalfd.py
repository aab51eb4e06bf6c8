"""signalfd (Linux fs/signalfd.c): read the caller's pending signals of a mask as signalfd_siginfo records.

What a read or poll sees depends on the *reading* task (Linux uses `current`): its own pending signals and
its thread group's shared ones.  Readers and pollers wait on a head per thread group, which the signal
sending code wakes through `signalfd_notify` whenever it queues a signal (Linux wakes
sighand->signalfd_wqh from __send_signal_locked, blocked signals included: that is the point of signalfd).
"""

from __future__ import annotations

import struct
from typing import Any

from ..abi import errno as E
from ..abi import signal as S
from ..abi.fcntl import O_NONBLOCK, O_RDWR
from ..errors import Errno
from .anon import anon_inode_stat
from .file import File, WouldBlock
from .poll import POLLIN, WaitHead, wake_up
from .stat import Kstat

SFD_CLOEXEC = 0o2000000
SFD_NONBLOCK = O_NONBLOCK
SIGNALFD_SIGINFO_SIZE = 128
_UNBLOCKABLE = S.sigmask(S.SIGKILL) | S.sigmask(S.SIGSTOP)
_ALL = (1 << 64) - 1

# struct signalfd_siginfo: signo, errno, code, pid, uid, fd, tid, band, overrun, trapno, status, int, ptr,
# utime, stime, addr, addr_lsb, pad, syscall, call_addr, arch, 28 bytes of padding
_SSI = struct.Struct("<IiiIIiIIIIiiQQQQHHiQI28x")
assert _SSI.size == SIGNALFD_SIGINFO_SIZE

SI_USER, SI_KERNEL, SI_TIMER, SI_SIGIO = 0, 0x80, -2, -5
# kernel/signal.c sig_specific_sicodes: signal -> (highest si_code with a signal-specific layout, layout)
_SPECIFIC = {
    S.SIGILL: (11, "fault"), S.SIGFPE: (15, "fault"), S.SIGSEGV: (10, "fault"), S.SIGBUS: (5, "fault"),
    S.SIGTRAP: (6, "fault"), S.SIGCHLD: (6, "chld"), S.SIGIO: (6, "poll"), S.SIGSYS: (2, "sys"),
}
NSIGPOLL = 6


def siginfo_layout(sig: int, code: int) -> str:
    """kernel/signal.c siginfo_layout: which union member of siginfo a (signal, si_code) pair uses."""
    if SI_USER < code < SI_KERNEL:
        spec = _SPECIFIC.get(sig)
        if spec is not None and code <= spec[0]:
            return spec[1]
        if code <= NSIGPOLL:
            return "poll"
        return "kill"
    if code == SI_TIMER:
        return "timer"
    if code == SI_SIGIO:
        return "poll"
    if code < 0:
        return "rt"
    return "kill"


def pack_signalfd_siginfo(info: Any) -> bytes:
    """signalfd_copyinfo: the fields of the layout, every other member zero."""
    layout = siginfo_layout(info.signo, info.code)
    pid = uid = fd = tid = band = overrun = status = sint = ptr = utime = stime = addr = 0
    syscall_nr = call_addr = arch = 0
    value = info.value & _ALL
    if layout == "kill":
        pid, uid = info.pid, info.uid
    elif layout == "timer":
        tid, overrun, ptr = info.tid, info.overrun, value
        sint = value & 0xFFFFFFFF
    elif layout == "poll":
        band, fd = getattr(info, "band", 0), getattr(info, "fd", 0)
    elif layout == "fault":
        addr = info.addr
    elif layout == "chld":
        pid, uid, status, utime, stime = info.pid, info.uid, info.status, info.utime, info.stime
    elif layout == "rt":
        pid, uid, ptr = info.pid, info.uid, value
        sint = value & 0xFFFFFFFF
    elif layout == "sys":
        call_addr = info.addr
    if sint & 0x80000000:
        sint -= 1 << 32
    return _SSI.pack(info.signo & 0xFFFFFFFF, info.errno, info.code, pid & 0xFFFFFFFF, uid & 0xFFFFFFFF, fd, tid,
                     band & 0xFFFFFFFF, overrun & 0xFFFFFFFF, 0, status, sint, ptr, utime & _ALL, stime & _ALL,
                     addr & _ALL, 0, 0, syscall_nr, call_addr, arch)  # fmt: skip


def signalfd_wait_head(tg: Any) -> WaitHead:
    """The head signalfd readers and pollers of a thread group wait on (created on first use)."""
    head = tg.signalfd_wait
    if head is None:
        head = WaitHead("signalfd")
        tg.signalfd_wait = head
    return head


def signalfd_notify(kernel: Any, task: Any) -> None:
    """Hook for the signal code: a signal was just queued for `task` (or its group); wake signalfd waiters.

    Call it from Signals.send after the signal was added to a pending set (Linux signalfd_notify)."""
    head = task.tg.signalfd_wait
    if head is not None and (head.waiters or head.callbacks):
        wake_up(kernel, head, POLLIN)


class SignalFd(File):
    """A signalfd: `sigmask` holds the signals it reads (never SIGKILL or SIGSTOP)."""

    __slots__ = ("kernel", "sigmask")

    stream = True
    can_poll = True

    def __init__(self, kernel: Any, mask: int, flags: int) -> None:
        super().__init__(None, None, O_RDWR | (flags & O_NONBLOCK))
        self.kernel = kernel
        self.sigmask = mask & ~_UNBLOCKABLE

    def fdinfo_name(self) -> str:
        return "anon_inode:[signalfd]"

    def stat(self) -> Kstat:
        return anon_inode_stat()

    def set_mask(self, task: Any, mask: int) -> None:
        """signalfd(fd, mask): a new mask for an existing signalfd; waiters re-check."""
        self.sigmask = mask & ~_UNBLOCKABLE
        wake_up(self.kernel, signalfd_wait_head(task.tg))

    def _pending(self, task: Any) -> bool:
        return bool((task.pending.bits | task.tg.shared.bits) & self.sigmask)

    def read_task(self, task: Any, n: int) -> bytes:
        """signalfd_read_iter: as many records as fit and are pending (at least one, else EAGAIN/wait)."""
        count = n // SIGNALFD_SIGINFO_SIZE
        if not count:
            raise Errno(E.EINVAL)
        signals = task.kernel.signals
        out = bytearray()
        while count:
            info = signals.dequeue(task, ~self.sigmask & _ALL)
            if info is None:
                break
            signals.recalc(task)
            out += pack_signalfd_siginfo(info)
            count -= 1
        if out:
            return bytes(out)
        if self.flags & O_NONBLOCK:
            raise Errno(E.EAGAIN)
        raise WouldBlock(signalfd_wait_head(task.tg), "signalfd read")

    def read(self, n: int) -> bytes:
        raise Errno(E.EINVAL)  # reads go through read_task: they depend on the reader

    def poll(self, task: Any, pt: Any) -> int:
        if pt is not None:
            pt.wait(signalfd_wait_head(task.tg))
        return POLLIN if self._pending(task) else 0

    def fdinfo_lines(self, viewer: Any = None) -> list[str]:
        """signalfd_show_fdinfo: the mask as a 16-digit hex sigset."""
        return [f"sigmask:\t{self.sigmask:016x}"]
