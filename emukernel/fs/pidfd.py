"""pidfd files (Linux kernel/pid.c, fs/pidfs.c): an fd that names a process.

Only the file side lives here (what the fd table, fcntl and fstat see); sending signals, waitid(P_PIDFD) and
poll readiness belong to the process code, which finds the target through `tgid` / `task`.
"""

from __future__ import annotations

from typing import Any

from ..abi.fcntl import O_RDWR
from .file import File
from .stat import Kstat, mkdev

PIDFS_DEV = mkdev(0, 16)


class PidFd(File):
    """A pidfd for the thread group of `target` (F_GETFL shows O_RDWR, as pidfd_open makes it)."""

    __slots__ = ("kernel", "task", "tgid")

    def __init__(self, kernel: Any, target: Any, flags: int = 0) -> None:
        super().__init__(None, None, O_RDWR | flags)
        self.kernel = kernel
        self.task = target
        self.tgid = target.tgid

    def stat(self) -> Kstat:
        # Linux: fs/pidfs.c: a pidfs inode per pid, a regular file readable by its owner
        creds = getattr(self.task, "creds", None)
        uid, gid = (creds.euid, creds.egid) if creds is not None else (0, 0)
        return Kstat(dev=PIDFS_DEV, ino=self.tgid, mode=0o100400, nlink=1, uid=uid, gid=gid, blksize=4096)
