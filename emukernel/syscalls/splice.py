"""splice and tee (Linux fs/splice.c)."""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi.fcntl import O_APPEND, O_NONBLOCK
from ..abi.mman import PAGE_SIZE
from ..errors import Errno
from ..fs.file import FMODE_PREAD, FMODE_PWRITE, FMODE_READ, FMODE_WRITE, BrokenPipe, File, WouldBlock
from ..fs.pipe import PipeFile
from . import u32, u64
from .file import _fdget
from .read_write import (
    MAX_RW_COUNT,
    _can_splice_read,
    _get_pos,
    _loff_in,
    _loff_out,
    _set_pos,
    _wait_or_eintr,
    _write_out,
    send_sigpipe,
)
from .table import syscall

SPLICE_F_MOVE = 1
SPLICE_F_NONBLOCK = 2
SPLICE_F_MORE = 4
SPLICE_F_GIFT = 8
SPLICE_F_ALL = 0xF


def _pipe_space(pipe: Any) -> int:
    return max(0, pipe.max_usage - len(pipe.bufs)) * PAGE_SIZE


def _pipe_peek(pipe: Any, n: int) -> bytes:
    out = bytearray()
    for b in pipe.bufs:
        if len(out) >= n:
            break
        out += b.data[: n - len(out)]
    return bytes(out)


@syscall("splice", "fd", "p", "fd", "p", "u", "x")
def sys_splice(task: Any, fd_in: int, off_in: int, fd_out: int, off_out: int, length: int, flags: int) -> Any:
    # Linux: fs/splice.c splice + __do_splice + do_splice
    length, flags = u64(length), u32(flags)
    if not length:
        return 0
    if flags & ~SPLICE_F_ALL:
        raise Errno(E.EINVAL)
    fin = _fdget(task, fd_in)
    fout = _fdget(task, fd_out)
    ipipe = fin.pipe if isinstance(fin, PipeFile) else None
    opipe = fout.pipe if isinstance(fout, PipeFile) else None
    if ipipe is not None and off_in:
        raise Errno(E.ESPIPE)
    if opipe is not None and off_out:
        raise Errno(E.ESPIPE)
    oin = _loff_in(task, off_in) if off_in else None
    oout = _loff_in(task, off_out) if off_out else None
    if not fin.f_mode & FMODE_READ or not fout.f_mode & FMODE_WRITE:
        raise Errno(E.EBADF)
    length = min(length, MAX_RW_COUNT)
    if ipipe is not None and opipe is not None:
        if ipipe is opipe:
            raise Errno(E.EINVAL)
        nonblock = bool(flags & SPLICE_F_NONBLOCK or (fin.flags | fout.flags) & O_NONBLOCK)
        return _splice_pipe_to_pipe(task, ipipe, opipe, length, nonblock, consume=True)
    if ipipe is not None:
        if oout is not None and not fout.f_mode & FMODE_PWRITE:
            raise Errno(E.EINVAL)
        if fout.flags & O_APPEND:
            raise Errno(E.EINVAL)
        nonblock = bool(flags & SPLICE_F_NONBLOCK or fin.flags & O_NONBLOCK)
        return _splice_from_pipe(task, ipipe, fout, oout, off_out, length, nonblock)
    if opipe is not None:
        if oin is not None and not fin.f_mode & FMODE_PREAD:
            raise Errno(E.EINVAL)
        if not _can_splice_read(fin):
            raise Errno(E.EINVAL)
        nonblock = bool(flags & SPLICE_F_NONBLOCK or fout.flags & O_NONBLOCK)
        return _splice_to_pipe(task, fin, oin, off_in, opipe, length, nonblock)
    raise Errno(E.EINVAL)


def _splice_from_pipe(task: Any, pipe: Any, out: File, opos: int | None, off_out: int, length: int,
                      nonblock: bool) -> Any:  # fmt: skip
    def attempt() -> Any:
        if pipe.waiting:
            pipe.prune_waiting()
        if not pipe.bufs:
            if not pipe.writers:
                return 0
            if nonblock:
                return -E.EAGAIN
            return _wait_or_eintr(task, pipe.rd_wait, "splice", attempt)
        data = _pipe_peek(pipe, length)
        pos = out.pos if opos is None else opos
        try:
            n = _write_out(task, out, data, pos if opos is not None or not out.stream else None, nonblock)
        except BrokenPipe:
            send_sigpipe(task)
            raise
        except WouldBlock:
            if nonblock:
                return -E.EAGAIN
            assert isinstance(out, PipeFile)
            return _wait_or_eintr(task, out.pipe.wr_wait, "splice", attempt)
        pipe.read(n, True)  # consume what was written
        if opos is None:
            if not out.stream:
                out.pos = pos + n
        else:
            _loff_out(task, off_out, opos + n)
        return n

    return attempt()


def _splice_to_pipe(task: Any, fin: File, ipos: int | None, off_in: int, pipe: Any, length: int,
                    nonblock: bool) -> Any:  # fmt: skip
    def attempt() -> Any:
        if pipe.waiting:
            pipe.prune_waiting()
        if not pipe.readers:
            send_sigpipe(task)
            return -E.EPIPE
        space = _pipe_space(pipe)
        if not space:
            if nonblock:
                return -E.EAGAIN
            return _wait_or_eintr(task, pipe.wr_wait, "splice", attempt)
        pos = _get_pos(fin) if ipos is None else ipos
        data = fin.pread(min(length, space), pos)
        if not data:
            return 0
        n = pipe.write(data, True, False)
        if ipos is None:
            _set_pos(fin, pos + n)
        else:
            _loff_out(task, off_in, ipos + n)
        return n

    return attempt()


def _splice_pipe_to_pipe(task: Any, ipipe: Any, opipe: Any, length: int, nonblock: bool, consume: bool) -> Any:
    def attempt() -> Any:
        for p in (ipipe, opipe):
            if p.waiting:
                p.prune_waiting()
        if not ipipe.bufs:
            if not ipipe.writers:
                return 0
            if nonblock:
                return -E.EAGAIN
            return _wait_or_eintr(task, ipipe.rd_wait, "splice" if consume else "tee", attempt)
        if not opipe.readers:
            send_sigpipe(task)
            return -E.EPIPE
        space = _pipe_space(opipe)
        if not space:
            if nonblock:
                return -E.EAGAIN
            return _wait_or_eintr(task, opipe.wr_wait, "splice" if consume else "tee", attempt)
        data = _pipe_peek(ipipe, min(length, space))
        n = opipe.write(data, True, False)
        if consume:
            ipipe.read(n, True)
        return n

    return attempt()


@syscall("tee", "fd", "fd", "u", "x")
def sys_tee(task: Any, fdin: int, fdout: int, length: int, flags: int) -> Any:
    # Linux: fs/splice.c tee + do_tee
    length, flags = u64(length), u32(flags)
    if flags & ~SPLICE_F_ALL:
        raise Errno(E.EINVAL)
    if not length:
        return 0
    fin = _fdget(task, fdin)
    fout = _fdget(task, fdout)
    if not fin.f_mode & FMODE_READ or not fout.f_mode & FMODE_WRITE:
        raise Errno(E.EBADF)
    if not isinstance(fin, PipeFile) or not isinstance(fout, PipeFile) or fin.pipe is fout.pipe:
        raise Errno(E.EINVAL)
    nonblock = bool(flags & SPLICE_F_NONBLOCK or (fin.flags | fout.flags) & O_NONBLOCK)
    return _splice_pipe_to_pipe(task, fin.pipe, fout.pipe, min(length, MAX_RW_COUNT), nonblock, consume=False)
