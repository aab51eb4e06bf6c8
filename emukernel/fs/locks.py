"""Advisory file locks (Linux fs/locks.c): flock(2) locks, POSIX record locks and OFD locks.

Each file with locks has a `LockContext` (Linux file_lock_context), kept in its superblock's `flctx` by the
inode's write_key (so every hostfs object standing for one host file shares it).  A lock's owner is
  - a flock lock: the open file description (File), released at its last close;
  - a POSIX lock: the fd table (Linux current->files), released when the owner closes *any* fd of the
    file (filp_close -> locks_remove_posix);
  - an OFD lock: the open file description, with POSIX semantics otherwise.
Ranges are inclusive [start, end], end OFFSET_MAX meaning "to the end of file whatever it becomes".

A request that conflicts raises `LockConflict`; the syscall layer turns that into EAGAIN (non-blocking) or
parks the task on the context's wait queue and retries when any lock of the file goes away.  Locks of host
processes on host files are not seen (the host's own locks are never taken).
"""

from __future__ import annotations

from typing import Any

from ..sched import WaitQueue

F_RDLCK = 0
F_WRLCK = 1
F_UNLCK = 2
OFFSET_MAX = 0x7FFFFFFFFFFFFFFF

FL_POSIX = 1
FL_FLOCK = 2
FL_OFDLCK = 0x400


class FileLock:
    """struct file_lock."""

    __slots__ = ("owner", "file", "type", "start", "end", "pid", "flags")

    def __init__(self, owner: Any, file: Any, type: int, start: int, end: int, pid: Any, flags: int) -> None:
        self.owner = owner
        self.file = file
        self.type = type
        self.start = start
        self.end = end
        self.pid = pid  # the locker's struct pid (None for OFD and flock locks)
        self.flags = flags

    def copy(self, start: int, end: int) -> FileLock:
        return FileLock(self.owner, self.file, self.type, start, end, self.pid, self.flags)

    def overlaps(self, other: FileLock) -> bool:
        return self.start <= other.end and other.start <= self.end

    def __repr__(self) -> str:
        return f"<FileLock {'RWU'[self.type]} {self.start}-{self.end} flags={self.flags:#x}>"


class LockConflict(Exception):  # noqa: N818  (control flow: the syscall layer decides EAGAIN or wait)
    def __init__(self, ctx: LockContext, blocker: FileLock) -> None:
        super().__init__("lock conflict")
        self.ctx = ctx
        self.blocker = blocker


class LockContext:
    """file_lock_context: the flock and POSIX/OFD locks of one file, and who waits for them."""

    __slots__ = ("flock", "posix", "wait", "kernels", "__weakref__")

    def __init__(self) -> None:
        self.flock: list[FileLock] = []
        self.posix: list[FileLock] = []
        self.wait = WaitQueue("file lock")
        self.kernels: list[Any] = []  # the kernel of each task that waited here (to wake them)

    def wake(self) -> None:
        if self.wait.waiters:
            for k in self.kernels:
                k.sched.wake_all(self.wait)
        elif self.kernels:
            self.kernels.clear()

    def empty(self) -> bool:
        return not self.flock and not self.posix and not self.wait.waiters


def lock_context(inode: Any, create: bool) -> LockContext | None:
    sb = inode.sb
    key = inode.write_key()
    ctx = sb.flctx.get(key)
    if ctx is None and create:
        ctx = sb.flctx[key] = LockContext()
    return ctx


def _drop_if_empty(inode: Any, ctx: LockContext) -> None:
    if ctx.empty() and inode.sb.flctx.get(inode.write_key()) is ctx:
        del inode.sb.flctx[inode.write_key()]


# -- flock(2) --------------------------------------------------------------------------------------------------
def flock_lock(file: Any, type: int) -> None:
    """flock_lock_inode: take, convert or drop the lock of open file description `file`.

    A conversion gives the old lock up first (and wakes its waiters), as Linux does."""
    inode = file.inode
    ctx = lock_context(inode, type != F_UNLCK)
    if ctx is None:
        return
    mine = [fl for fl in ctx.flock if fl.file is file]
    if mine and mine[0].type == type:
        return
    if mine:
        ctx.flock.remove(mine[0])
        ctx.wake()
    if type == F_UNLCK:
        _drop_if_empty(inode, ctx)
        return
    for fl in ctx.flock:
        if fl.file is not file and (type == F_WRLCK or fl.type == F_WRLCK):
            raise LockConflict(ctx, fl)
    ctx.flock.append(FileLock(file, file, type, 0, OFFSET_MAX, None, FL_FLOCK))
    file.locks_held = True


# -- POSIX and OFD locks ---------------------------------------------------------------------------------------
def posix_conflict(ctx: LockContext, req: FileLock) -> FileLock | None:
    """The first lock of another owner that overlaps `req` where either one is a write lock."""
    for fl in ctx.posix:
        if fl.owner is not req.owner and fl.overlaps(req) and (req.type == F_WRLCK or fl.type == F_WRLCK):
            return fl
    return None


def posix_test_lock(file: Any, req: FileLock) -> FileLock | None:
    """F_GETLK: the lock that would block `req`, or None."""
    ctx = lock_context(file.inode, False)
    return posix_conflict(ctx, req) if ctx is not None else None


def posix_lock(file: Any, req: FileLock) -> None:
    """posix_lock_inode: set (or, for F_UNLCK, clear) the range of `req` for its owner.

    Locks of the owner with the same type that overlap or touch the range merge with it; locks of the
    owner with another type give up the overlapping part (split in two when the range is inside them)."""
    inode = file.inode
    ctx = lock_context(inode, req.type != F_UNLCK)
    if ctx is None:
        return
    if req.type != F_UNLCK:
        blocker = posix_conflict(ctx, req)
        if blocker is not None:
            raise LockConflict(ctx, blocker)
    start, end = req.start, req.end
    kept: list[FileLock] = []
    changed = False
    for fl in ctx.posix:
        if fl.owner is not req.owner:
            kept.append(fl)
            continue
        if fl.type == req.type:
            # adjacent or overlapping locks of the same type coalesce
            if fl.end < start - 1 or (end != OFFSET_MAX and fl.start > end + 1):
                kept.append(fl)
                continue
            start, end = min(start, fl.start), max(end, fl.end)
            changed = True
            continue
        if not (fl.start <= end and start <= fl.end):
            kept.append(fl)
            continue
        changed = True
        if fl.start < start:
            kept.append(fl.copy(fl.start, start - 1))
        if end != OFFSET_MAX and fl.end > end:
            kept.append(fl.copy(end + 1, fl.end))
    if req.type != F_UNLCK:
        kept.append(req.copy(start, end))
    kept.sort(key=lambda fl: fl.start)
    ctx.posix = kept
    if changed:
        ctx.wake()
    if req.type != F_UNLCK:
        if req.flags & FL_OFDLCK:
            file.locks_held = True
    else:
        _drop_if_empty(inode, ctx)


def posix_deadlock(ctx_req: FileLock, blocker: FileLock) -> bool:
    """posix_locks_deadlock: waiting for `blocker` would close a cycle of POSIX lock owners waiting on
    each other (OFD locks are never checked)."""
    if ctx_req.flags & FL_OFDLCK:
        return False
    owner = blocker.owner
    seen = 0
    while owner is not None and seen < 10:  # Linux MAX_DEADLK_ITERATIONS
        if owner is ctx_req.owner:
            return True
        nxt = _waiting_for.get(id(owner))
        if nxt is None or nxt[0] is not owner:
            return False
        owner = nxt[1]
        seen += 1
    return False


# owner id -> (owner, the owner of the POSIX lock it waits for); kept while a F_SETLKW sleeps
_waiting_for: dict[int, tuple[Any, Any]] = {}


def note_waiting(req: FileLock, blocker: FileLock) -> None:
    if not req.flags & FL_OFDLCK and not blocker.flags & FL_OFDLCK:
        _waiting_for[id(req.owner)] = (req.owner, blocker.owner)


def done_waiting(req: FileLock) -> None:
    cur = _waiting_for.get(id(req.owner))
    if cur is not None and cur[0] is req.owner:
        del _waiting_for[id(req.owner)]


def locks_remove_posix(file: Any, owner: Any) -> None:
    """filp_close: the owner closed an fd of the file; its POSIX locks on the file are gone."""
    inode = file.inode
    if inode is None:
        return
    ctx = lock_context(inode, False)
    if ctx is None or not ctx.posix:
        return
    before = len(ctx.posix)
    ctx.posix = [fl for fl in ctx.posix if fl.owner is not owner or fl.flags & FL_OFDLCK]
    if len(ctx.posix) != before:
        ctx.wake()
        _drop_if_empty(inode, ctx)


def locks_remove_file(file: Any) -> None:
    """__fput: the last reference to an open file description; its flock and OFD locks go."""
    file.locks_held = False
    inode = file.inode
    if inode is None:
        return
    ctx = lock_context(inode, False)
    if ctx is None:
        return
    nf, np = len(ctx.flock), len(ctx.posix)
    ctx.flock = [fl for fl in ctx.flock if fl.file is not file]
    ctx.posix = [fl for fl in ctx.posix if fl.owner is not file]
    if len(ctx.flock) != nf or len(ctx.posix) != np:
        ctx.wake()
    _drop_if_empty(inode, ctx)


def has_posix_locks(inode: Any) -> bool:
    ctx = inode.sb.flctx.get(inode.write_key()) if inode is not None else None
    return ctx is not None and bool(ctx.posix)


__all__ = [
    "F_RDLCK", "F_UNLCK", "F_WRLCK", "FL_FLOCK", "FL_OFDLCK", "FL_POSIX", "OFFSET_MAX", "FileLock",
    "LockConflict", "LockContext", "flock_lock", "locks_remove_file", "locks_remove_posix", "posix_lock",
    "posix_test_lock",
]  # fmt: skip
