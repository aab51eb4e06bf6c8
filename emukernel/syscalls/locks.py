"""flock and the fcntl record locks F_GETLK/F_SETLK/F_SETLKW and their F_OFD_* forms (Linux fs/locks.c);
the lock rules live in emukernel.fs.locks.
"""

from __future__ import annotations

import struct
from typing import Any

from ..abi import errno as E
from ..abi.fcntl import (
    F_GETLK,
    F_OFD_GETLK,
    F_OFD_SETLK,
    F_OFD_SETLKW,
    F_SETLKW,
    SEEK_CUR,
    SEEK_END,
    SEEK_SET,
)
from ..errors import Errno
from ..fs.file import FMODE_READ, FMODE_WRITE, File
from ..fs.locks import (
    F_RDLCK,
    F_UNLCK,
    F_WRLCK,
    FL_OFDLCK,
    FL_POSIX,
    OFFSET_MAX,
    FileLock,
    LockConflict,
    done_waiting,
    flock_lock,
    note_waiting,
    posix_deadlock,
    posix_lock,
    posix_test_lock,
)
from . import u32
from .file import _fdget
from .read_write import _wait_or_eintr
from .table import syscall

FLOCK = struct.Struct("<hh4xqqi4x")  # struct flock: l_type, l_whence, l_start, l_len, l_pid


LOCK_SH = 1
LOCK_EX = 2
LOCK_NB = 4
LOCK_UN = 8
LOCK_MAND = 32


@syscall("flock", "fd", "x")
def sys_flock(task: Any, fd: int, cmd: int) -> Any:
    # Linux: fs/locks.c flock
    cmd = u32(cmd)
    if cmd & LOCK_MAND:
        return 0  # LOCK_MAND locks never did anything: ignored
    type = {LOCK_SH: F_RDLCK, LOCK_EX: F_WRLCK, LOCK_UN: F_UNLCK}.get(cmd & ~LOCK_NB)
    if type is None:
        raise Errno(E.EINVAL)
    f = _fdget(task, fd)
    if type != F_UNLCK and not f.f_mode & (FMODE_READ | FMODE_WRITE):
        raise Errno(E.EBADF)
    if f.inode is None:
        return 0  # an anonymous object (pipe, host stream): nothing else can hold its lock here

    def attempt() -> Any:
        try:
            flock_lock(f, type)
        except LockConflict as c:
            if cmd & LOCK_NB:
                return -E.EWOULDBLOCK
            if task.kernel not in c.ctx.kernels:
                c.ctx.kernels.append(task.kernel)
            return _wait_or_eintr(task, c.ctx.wait, "flock", attempt)
        return 0

    return attempt()


def flock_to_posix_lock(task: Any, f: File, l_type: int, whence: int, start: int, length: int,
                        owner: Any) -> FileLock:  # fmt: skip
    # Linux: fs/locks.c flock64_to_posix_lock + assign_type
    if whence == SEEK_SET:
        base = 0
    elif whence == SEEK_CUR:
        base = f.pos
    elif whence == SEEK_END:
        base = f.stat().size
    else:
        raise Errno(E.EINVAL)
    if start > OFFSET_MAX - base:
        raise Errno(E.EOVERFLOW)
    fl_start = base + start
    if fl_start < 0:
        raise Errno(E.EINVAL)
    if length > 0:
        if length - 1 > OFFSET_MAX - fl_start:
            raise Errno(E.EOVERFLOW)
        fl_end = fl_start + length - 1
    elif length < 0:
        if fl_start + length < 0:
            raise Errno(E.EINVAL)
        fl_end = fl_start - 1
        fl_start += length
    else:
        fl_end = OFFSET_MAX
    if l_type not in (F_RDLCK, F_WRLCK, F_UNLCK):
        raise Errno(E.EINVAL)
    return FileLock(owner, f, l_type, fl_start, fl_end, task.tg.pid, FL_POSIX)


def fcntl_lock(task: Any, f: File, cmd: int, arg: int) -> Any:
    """F_GETLK, F_SETLK, F_SETLKW and their F_OFD_* forms."""
    raw = task.mm.read(arg, FLOCK.size)
    l_type, whence, start, length, l_pid = FLOCK.unpack(raw)
    ofd = cmd in (F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW)
    if cmd in (F_GETLK, F_OFD_GETLK):
        # Linux: fs/locks.c fcntl_getlk
        if cmd != F_OFD_GETLK and l_type not in (F_RDLCK, F_WRLCK):
            raise Errno(E.EINVAL)
        req = flock_to_posix_lock(task, f, l_type, whence, start, length, task.files)
        if ofd:
            if l_pid:
                raise Errno(E.EINVAL)
            req.owner, req.flags, req.pid = f, FL_OFDLCK, None
        blocker = posix_test_lock(f, req) if f.inode is not None and l_type != F_UNLCK else None
        if blocker is None:
            out = FLOCK.pack(F_UNLCK, whence, start, length, l_pid)
        else:
            pid = -1 if blocker.flags & FL_OFDLCK else blocker.pid.nr_in(task.pid.ns)
            ln = 0 if blocker.end == OFFSET_MAX else blocker.end - blocker.start + 1
            out = FLOCK.pack(blocker.type, SEEK_SET, blocker.start, ln, pid)
        task.mm.write(arg, out[:4] + raw[4:8] + out[8:28] + raw[28:])
        return 0
    # Linux: fs/locks.c fcntl_setlk
    req = flock_to_posix_lock(task, f, l_type, whence, start, length, task.files)
    if (req.type == F_RDLCK and not f.f_mode & FMODE_READ) or (req.type == F_WRLCK and not f.f_mode & FMODE_WRITE):
        raise Errno(E.EBADF)
    if ofd:
        if l_pid:
            raise Errno(E.EINVAL)
        req.owner, req.flags, req.pid = f, FL_OFDLCK, None
    if f.inode is None:
        return 0
    wait = cmd in (F_SETLKW, F_OFD_SETLKW)

    def attempt() -> Any:
        try:
            posix_lock(f, req)
        except LockConflict as c:
            if not wait:
                done_waiting(req)
                return -E.EAGAIN
            if posix_deadlock(req, c.blocker):
                done_waiting(req)
                return -E.EDEADLK
            note_waiting(req, c.blocker)
            if task.kernel not in c.ctx.kernels:
                c.ctx.kernels.append(task.kernel)
            if task.signal_interrupts():
                done_waiting(req)
            return _wait_or_eintr(task, c.ctx.wait, "fcntl lock", attempt)
        done_waiting(req)
        return 0

    return attempt()
