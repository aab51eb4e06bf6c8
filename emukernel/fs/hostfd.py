"""The guest's standard streams: files that pass reads, writes and terminal ioctls to a host descriptor.

Each `HostFdFile` owns a dup of the host descriptor, so a guest close never closes the host's stdout.  The
guest's O_NONBLOCK is kept here (it is not pushed to the host, whose terminal is shared with the shell): a
non-blocking read polls first and gives EAGAIN.  Blocking reads block the whole emulator (single host thread).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import stat
from typing import Any

from ..abi import errno as E
from ..abi.fcntl import O_ACCMODE, O_APPEND, O_DSYNC, O_LARGEFILE, O_NONBLOCK, O_SYNC
from ..errors import Errno
from .file import FMODE_LSEEK, FMODE_PREAD, FMODE_PWRITE, File
from .hostfs import host_errors
from .poll import POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDHUP, POLLRDNORM, POLLWRNORM, host_poll
from .stat import Kstat

# fmt: off
TCGETS     = 0x5401
TCSETS     = 0x5402
TCSETSW    = 0x5403
TCSETSF    = 0x5404
TCFLSH     = 0x540B
TIOCGPGRP  = 0x540F
TIOCGWINSZ = 0x5413
TIOCSWINSZ = 0x5414
FIONREAD   = 0x541B
TIOCGSID   = 0x5429
# fmt: on

TERMIOS_SIZE = 36  # kernel struct termios: 4 tcflag_t, c_line, c_cc[19]
WINSIZE_SIZE = 8

# request -> (direction, size): "out" the host fills `size` bytes for the guest, "in" the guest supplies them,
# "val" the argument is a plain integer
TTY_IOCTLS: dict[int, tuple[str, int]] = {
    TCGETS: ("out", TERMIOS_SIZE),
    TCSETS: ("in", TERMIOS_SIZE),
    TCSETSW: ("in", TERMIOS_SIZE),
    TCSETSF: ("in", TERMIOS_SIZE),
    TIOCGWINSZ: ("out", WINSIZE_SIZE),
    TIOCSWINSZ: ("in", WINSIZE_SIZE),
    TIOCGPGRP: ("out", 4),
    TIOCGSID: ("out", 4),
    FIONREAD: ("out", 4),
    TCFLSH: ("val", 0),
}

CHUNK = 1 << 20


class HostFdFile(File):
    """A guest file that is a host descriptor (a terminal, a pipe or a file the shell redirected)."""

    __slots__ = ("hfd", "tty", "mmappable", "can_poll")

    stream = True

    def __init__(self, host_fd: int) -> None:
        hfd = os.dup(host_fd)
        with host_errors():
            flags = fcntl.fcntl(hfd, fcntl.F_GETFL)
        super().__init__(None, None, (flags & ~O_NONBLOCK) | O_LARGEFILE)
        self.hfd = hfd
        self.tty = os.isatty(hfd)
        try:
            os.lseek(hfd, 0, os.SEEK_CUR)
        except OSError:  # a terminal, pipe or socket: no lseek, pread, pwrite (Linux nonseekable_open)
            self.f_mode &= ~(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE)
        self.mmappable = stat.S_ISREG(os.fstat(hfd).st_mode)
        self.can_poll = not self.mmappable  # terminals, pipes and sockets have ->poll, regular files not

    mmappable: bool  # type: ignore[misc]  # per object: a redirected regular file can be mapped
    can_poll: bool  # type: ignore[misc]

    def poll(self, task: Any, pt: Any) -> int:
        """Ask the host (poll(2) without waiting); a waiter re-checks it periodically (see fs/poll.py)."""
        events = POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLWRNORM | POLLRDHUP
        if self.hfd < 0:
            return POLLNVAL
        if pt is not None:
            pt.wait_host(self, events)
        return host_poll(self.hfd, events)

    def release(self) -> None:
        fd, self.hfd = self.hfd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)

    def reopen(self, flags: int, creds: Any) -> HostFdFile:
        """/dev/stdout and friends: the host opens its own descriptor's object again with the guest's access mode
        (Linux proc_fd_link + do_dentry_open on the same inode).  Only /proc/self/fd/<our dup> is opened on the
        host, a link the guest cannot redirect; O_NONBLOCK keeps a host FIFO or terminal from stopping the whole
        emulator, and the guest's own O_NONBLOCK is kept here, as for the inherited streams."""
        if self.hfd < 0:
            raise Errno(E.EBADF)
        host_flags = (flags & (O_ACCMODE | O_APPEND | O_DSYNC | O_SYNC)) | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
        with host_errors():
            fd = os.open(f"/proc/self/fd/{self.hfd}", host_flags)
        try:
            with host_errors():
                fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
                f = HostFdFile(fd)
        finally:
            os.close(fd)
        f.flags |= flags & O_NONBLOCK
        return f

    def truncate_object(self, size: int) -> None:
        with host_errors():
            os.truncate(f"/proc/self/fd/{self.hfd}", size)

    def _wait(self, write: bool) -> None:
        """Wait until the host descriptor is ready; EAGAIN instead if the guest asked for O_NONBLOCK."""
        r, w, _ = select.select([] if write else [self.hfd], [self.hfd] if write else [], [], 0)
        if r or w:
            return
        if self.flags & O_NONBLOCK:
            raise Errno(E.EAGAIN)
        select.select([] if write else [self.hfd], [self.hfd] if write else [], [])

    def read(self, n: int) -> bytes:
        if n == 0:
            return b""
        if self.flags & O_NONBLOCK:
            self._wait(write=False)
        while True:
            try:
                return os.read(self.hfd, min(n, CHUNK))
            except BlockingIOError:  # the host descriptor itself is non-blocking
                self._wait(write=False)
            except OSError as e:
                raise Errno(e.errno or E.EIO) from None

    def write(self, data: bytes) -> int:
        done = 0
        view = memoryview(data)
        while done < len(data):
            try:
                done += os.write(self.hfd, view[done:])
            except BlockingIOError:
                if done and self.flags & O_NONBLOCK:
                    break
                self._wait(write=True)
            except OSError as e:
                if done:
                    break
                raise Errno(e.errno or E.EIO) from None
        return done

    def pread(self, n: int, offset: int) -> bytes:
        with host_errors():
            return os.pread(self.hfd, min(n, CHUNK), offset)

    def pwrite(self, data: bytes, offset: int) -> int:
        with host_errors():
            return os.pwrite(self.hfd, data, offset)

    def lseek(self, offset: int, whence: int) -> int:
        with host_errors():
            self.pos = os.lseek(self.hfd, offset, whence)
        return self.pos

    def stat(self) -> Kstat:
        with host_errors():
            return Kstat.from_host(os.fstat(self.hfd))

    def truncate(self, length: int) -> None:
        with host_errors():
            os.ftruncate(self.hfd, length)

    def fsync(self) -> None:
        with host_errors():
            os.fsync(self.hfd)

    def ioctl(self, task: Any, request: int, arg: int) -> int:
        """Terminal ioctls go to the host terminal; on anything but a terminal they are ENOTTY."""
        spec = TTY_IOCTLS.get(request)
        if spec is None or not (self.tty or request == FIONREAD):
            raise Errno(E.ENOTTY)
        kind, size = spec
        with host_errors():
            if kind == "val":
                return fcntl.ioctl(self.hfd, request, arg)
            if kind == "in":
                fcntl.ioctl(self.hfd, request, task.mm.read(arg, size))
                return 0
            out = fcntl.ioctl(self.hfd, request, bytes(size))
        task.mm.write(arg, out)
        return 0
