"""poll, ppoll, select, pselect6 (Linux fs/select.c) and the epoll syscalls (fs/eventpoll.c).

Each waits the same way: scan the files (registering the task on their wait heads), and when nothing is
ready park until a head is woken, the deadline passes or a signal arrives, then scan again.  Timeouts are
absolute monotonic deadlines taken at entry; ppoll/pselect6/select write the time left back as Linux does.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from ..abi import errno as E
from ..abi.resource import RLIMIT_NOFILE
from ..errors import Errno, Fault
from ..fs.eventpoll import (
    EP_MAX_EVENTS,
    EPOLL_CLOEXEC,
    EPOLL_CTL_DEL,
    EpollFile,
    ep_ctl,
    ep_send_events,
)
from ..fs.file import File
from ..fs.poll import (
    POLLERR,
    POLLEX_SET,
    POLLHUP,
    POLLIN_SET,
    POLLNVAL,
    POLLOUT_SET,
    PollWait,
    block_deadline,
)
from ..sched import Block
from ..threadgroup import task_rlimit
from . import s32, s64
from .table import syscall

NSEC = 1_000_000_000
ZERO = 0  # an end time of zero: poll once, never wait (Linux's {0, 0} end_time)
_POLLFD = struct.Struct("<ihh")
_TIMESPEC = struct.Struct("<qq")
_SIGSET_ARGPACK = struct.Struct("<QQ")
_EPOLL_EVENT = struct.Struct("<IQ")  # struct epoll_event is packed on x86-64: 12 bytes
SIGSET_SIZE = 8


# -- timeouts and signal masks -------------------------------------------------------------------------------
def set_timeout(task: Any, sec: int, nsec: int) -> int:
    """poll_select_set_timeout: the absolute end time (ZERO for a zero timeout); EINVAL if invalid."""
    if sec < 0 or not 0 <= nsec < NSEC:
        raise Errno(E.EINVAL)
    if not sec and not nsec:
        return ZERO
    return task.kernel.clock.monotonic_ns() + sec * NSEC + nsec


def read_timeout(task: Any, tsp: int) -> int | None:
    """A struct __kernel_timespec timeout argument (NULL: wait forever)."""
    if not tsp:
        return None
    sec, nsec = task.mm.read_struct(_TIMESPEC, tsp)
    return set_timeout(task, sec, nsec)


def set_user_sigmask(task: Any, sigmask: int, sigsetsize: int) -> None:
    """set_user_sigmask: apply a temporary mask for the wait; saved_sigmask is restored afterwards."""
    if not sigmask:
        return
    if sigsetsize != SIGSET_SIZE:
        raise Errno(E.EINVAL)
    mask = task.mm.read_u64(sigmask)
    task.saved_sigmask = task.sigmask
    task.kernel.signals.set_blocked(task, mask)


def restore_saved_sigmask_unless(task: Any, interrupted: bool) -> None:
    """Keep the temporary mask when a signal interrupted the wait (delivery restores it after the handler)."""
    if interrupted or task.saved_sigmask is None:
        return
    mask, task.saved_sigmask = task.saved_sigmask, None
    task.kernel.signals.set_blocked(task, mask)


def poll_select_finish(task: Any, end_time: int | None, p: int, timeval: bool, ret: int) -> int:
    """Restore the signal mask and write the remaining time back to the caller's timeout."""
    restore_saved_sigmask_unless(task, ret == -E.ERESTARTNOHAND)
    if not p or end_time is None or end_time == ZERO:
        return ret
    left = max(0, end_time - task.kernel.clock.monotonic_ns())
    try:
        if timeval:
            task.mm.write_struct(_TIMESPEC, p, left // NSEC, left % NSEC // 1000)
        else:
            task.mm.write_struct(_TIMESPEC, p, left // NSEC, left % NSEC)
    except Fault:
        # the timeout cannot be updated, so the call cannot be restarted (the "sticky" case)
        if ret == -E.ERESTARTNOHAND:
            ret = -E.EINTR
    return ret


# -- the wait loop -------------------------------------------------------------------------------------------
def wait_loop(task: Any, scan: Callable[[PollWait | None], int], end_time: int | None,
              finish: Callable[[int], Any], what: str, *, signal_ret: int = -E.ERESTARTNOHAND,
              timeout_first: bool = False) -> Any:  # fmt: skip
    """Scan until something is ready (scan returns non-zero), the end time passes or a signal is pending.

    scan(pt) returns the ready count (or -errno) and registers the task through pt when pt is given;
    finish(count) turns the final count into the syscall's result.  A pending signal makes the count
    `signal_ret` when nothing is ready; with `timeout_first` (epoll) a zero timeout returns 0 first."""
    state = {"timed_out": end_time == ZERO}

    def attempt() -> Any:
        timed_out = state["timed_out"]
        pw = None if timed_out else PollWait(task)
        count = scan(pw)
        if not count and not (timeout_first and timed_out) and task.signal_interrupts():
            count = signal_ret
            timed_out = True  # stop either way, even when the signal's result is 0 (select)
        if count or timed_out:
            if pw is not None:
                pw.free()
            return finish(count)
        assert pw is not None
        deadline = block_deadline(task, pw, end_time)
        return Block(None, deadline, what, resume=lambda: resume(pw))

    def resume(pw: PollWait) -> Any:
        pw.free()
        if end_time is not None and task.kernel.clock.monotonic_ns() >= end_time:
            state["timed_out"] = True
        try:
            return attempt()
        except Errno as e:
            return -e.errno

    return attempt()


def _fget_poll(task: Any, fd: int) -> File | None:
    """fdget for poll/select: an O_PATH descriptor counts as closed."""
    f = task.files.lookup(fd)
    if f is None or f.is_path:
        return None
    return f


# -- poll / ppoll ----------------------------------------------------------------------------------------------
def do_sys_poll(task: Any, ufds: int, nfds: int, end_time: int | None, finish: Callable[[int], Any]) -> Any:
    # Linux: fs/select.c do_sys_poll + do_poll + do_pollfd
    nfds &= 0xFFFFFFFF
    if nfds > task_rlimit(task, RLIMIT_NOFILE):
        raise Errno(E.EINVAL)
    raw = task.mm.read(ufds, nfds * _POLLFD.size) if nfds else b""
    entries = [list(e) for e in _POLLFD.iter_unpack(raw)]

    def scan(pt: PollWait | None) -> int:
        count = 0
        for e in entries:
            fd, events = e[0], e[1] & 0xFFFF
            mask = 0
            if fd >= 0:
                f = _fget_poll(task, fd)
                if f is None:
                    mask = POLLNVAL
                else:
                    filt = events | POLLERR | POLLHUP
                    if pt is not None:
                        pt.key = filt
                    mask = f.poll(task, pt) & filt
            e[2] = mask
            if mask:
                count += 1
                if pt is not None:
                    pt.active = False
        return count

    def done(count: int) -> Any:
        if entries:
            out = b"".join(_POLLFD.pack(fd, ev, rev - 0x10000 if rev & 0x8000 else rev) for fd, ev, rev in entries)
            try:
                task.mm.write(ufds, out)
            except Fault:
                count = -E.EFAULT
        return finish(count)

    return wait_loop(task, scan, end_time, done, "poll")


def _restart_poll(task: Any, ufds: int, nfds: int, end_time: int | None) -> Any:
    """do_restart_poll: the same poll with the same end time, after a signal that ran no handler."""

    def finish(count: int) -> int:
        if count == -E.ERESTARTNOHAND:
            task.restart_block = lambda: _restart_poll(task, ufds, nfds, end_time)
            return -E.ERESTART_RESTARTBLOCK
        return count

    try:
        return do_sys_poll(task, ufds, nfds, end_time, finish)
    except Errno as e:
        return -e.errno


@syscall("poll", "p", "u", "d")
def sys_poll(task: Any, ufds: int, nfds: int, timeout_msecs: int) -> Any:
    ms = s32(timeout_msecs)
    end_time = set_timeout(task, ms // 1000, ms % 1000 * 1_000_000) if ms >= 0 else None

    def finish(count: int) -> int:
        if count == -E.ERESTARTNOHAND:
            task.restart_block = lambda: _restart_poll(task, ufds, nfds, end_time)
            return -E.ERESTART_RESTARTBLOCK
        return count

    return do_sys_poll(task, ufds, nfds, end_time, finish)


@syscall("ppoll", "p", "u", "timespec_in", "p", "u")
def sys_ppoll(task: Any, ufds: int, nfds: int, tsp: int, sigmask: int, sigsetsize: int) -> Any:
    end_time = read_timeout(task, tsp)
    set_user_sigmask(task, sigmask, sigsetsize)

    def finish(count: int) -> int:
        return poll_select_finish(task, end_time, tsp, False, count)

    try:
        return do_sys_poll(task, ufds, nfds, end_time, finish)
    except Errno as e:
        return finish(-e.errno)


# -- select / pselect6 -------------------------------------------------------------------------------------
def _get_fd_set(task: Any, n: int, ufdset: int) -> int:
    nbytes = (n + 63) // 64 * 8
    if not ufdset or not nbytes:
        return 0
    return int.from_bytes(task.mm.read(ufdset, nbytes), "little") & ((1 << n) - 1)


def _set_fd_set(task: Any, n: int, ufdset: int, bits: int) -> None:
    nbytes = (n + 63) // 64 * 8
    if ufdset and nbytes:
        task.mm.write(ufdset, bits.to_bytes(nbytes, "little"))


def core_sys_select(task: Any, n: int, inp: int, outp: int, exp: int, end_time: int | None,
                    finish: Callable[[int], Any]) -> Any:  # fmt: skip
    # Linux: fs/select.c core_sys_select + do_select
    n = s32(n)
    if n < 0:
        raise Errno(E.EINVAL)
    n = min(n, task.files.max_fds)
    fin = _get_fd_set(task, n, inp)
    fout = _get_fd_set(task, n, outp)
    fex = _get_fd_set(task, n, exp)
    # max_select_fd: every fd named in a set must be open (an O_PATH fd counts as open here)
    all_bits = fin | fout | fex
    fd = 0
    bits = all_bits
    while bits:
        if bits & 1 and fd not in task.files:
            raise Errno(E.EBADF)
        bits >>= 1
        fd += 1
    res = [0, 0, 0]

    def scan(pt: PollWait | None) -> int:
        retval = 0
        rin = rout = rex = 0
        bits = all_bits
        fd = 0
        while bits:
            if bits & 1:
                bit = 1 << fd
                f = _fget_poll(task, fd)  # select_poll_one
                if f is None:
                    mask = POLLNVAL
                else:
                    if pt is not None:
                        pt.key = POLLEX_SET | (POLLIN_SET if fin & bit else 0) | (POLLOUT_SET if fout & bit else 0)
                    mask = f.poll(task, pt)
                if mask & POLLIN_SET and fin & bit:
                    rin |= bit
                    retval += 1
                if mask & POLLOUT_SET and fout & bit:
                    rout |= bit
                    retval += 1
                if mask & POLLEX_SET and fex & bit:
                    rex |= bit
                    retval += 1
                if retval and pt is not None:
                    pt.active = False
            bits >>= 1
            fd += 1
        res[:] = [rin, rout, rex]
        return retval

    def done(count: int) -> Any:
        if count == 0 and task.signal_interrupts():
            return finish(-E.ERESTARTNOHAND)
        if count >= 0:
            try:
                _set_fd_set(task, n, inp, res[0])
                _set_fd_set(task, n, outp, res[1])
                _set_fd_set(task, n, exp, res[2])
            except Fault:
                count = -E.EFAULT
        return finish(count)

    return wait_loop(task, scan, end_time, done, "select")


@syscall("select", "d", "p", "p", "p", "p")
def sys_select(task: Any, n: int, inp: int, outp: int, exp: int, tvp: int) -> Any:
    end_time = None
    if tvp:
        sec, usec = task.mm.read_struct(_TIMESPEC, tvp)
        # tv_sec + tv_usec / USEC_PER_SEC, (tv_usec % USEC_PER_SEC) * NSEC_PER_USEC with C's division
        q = abs(usec) // 1_000_000 * (1 if usec >= 0 else -1)
        end_time = set_timeout(task, sec + q, (usec - q * 1_000_000) * 1000)

    def finish(count: int) -> int:
        return poll_select_finish(task, end_time, tvp, True, count)

    return core_sys_select(task, n, inp, outp, exp, end_time, finish)


@syscall("pselect6", "d", "p", "p", "p", "timespec_in", "p")
def sys_pselect6(task: Any, n: int, inp: int, outp: int, exp: int, tsp: int, sig: int) -> Any:
    # Linux: fs/select.c pselect6 -> get_sigset_argpack, do_pselect
    sigmask, sigsetsize = task.mm.read_struct(_SIGSET_ARGPACK, sig) if sig else (0, 0)
    end_time = read_timeout(task, tsp)
    set_user_sigmask(task, sigmask, sigsetsize)

    def finish(count: int) -> int:
        return poll_select_finish(task, end_time, tsp, False, count)

    try:
        return core_sys_select(task, n, inp, outp, exp, end_time, finish)
    except Errno as e:
        return finish(-e.errno)


# -- epoll ---------------------------------------------------------------------------------------------------
def _install(task: Any, f: File, cloexec: bool) -> int:
    return task.files.install(f, cloexec, limit=task_rlimit(task, RLIMIT_NOFILE))


@syscall("epoll_create", "d", ret="fd")
def sys_epoll_create(task: Any, size: int) -> int:
    if s32(size) <= 0:
        raise Errno(E.EINVAL)
    return _install(task, EpollFile(task.kernel, 0), False)


@syscall("epoll_create1", "x", ret="fd")
def sys_epoll_create1(task: Any, flags: int) -> int:
    flags = s32(flags)
    if flags & ~EPOLL_CLOEXEC:
        raise Errno(E.EINVAL)
    return _install(task, EpollFile(task.kernel, 0), bool(flags & EPOLL_CLOEXEC))


@syscall("epoll_ctl", "fd", "d", "fd", "p")
def sys_epoll_ctl(task: Any, epfd: int, op: int, fd: int, event: int) -> int:
    op = s32(op)
    events = data = 0
    if op != EPOLL_CTL_DEL:
        events, data = task.mm.read_struct(_EPOLL_EVENT, event)
    return ep_ctl(task, s32(epfd), op, s32(fd), events, data)


def _epoll_get(task: Any, epfd: int, events: int, maxevents: int) -> EpollFile:
    # Linux: fs/eventpoll.c do_epoll_wait: EINVAL for maxevents, EFAULT, EBADF, EINVAL for a non-epoll fd
    if maxevents <= 0 or maxevents > EP_MAX_EVENTS:
        raise Errno(E.EINVAL)
    if events + maxevents * _EPOLL_EVENT.size > (1 << 47) - 4096:
        raise Errno(E.EFAULT)
    f = _fget_poll(task, epfd & 0xFFFFFFFF)
    if f is None:
        raise Errno(E.EBADF)
    if not isinstance(f, EpollFile):
        raise Errno(E.EINVAL)
    return f


def do_epoll_wait(task: Any, epfd: int, events: int, maxevents: int, end_time: int | None,
                  finish: Callable[[int], Any]) -> Any:  # fmt: skip
    ep = _epoll_get(task, epfd, events, s32(maxevents))
    maxevents = s32(maxevents)

    def put(i: int, revents: int, data: int) -> None:
        task.mm.write(events + i * _EPOLL_EVENT.size, _EPOLL_EVENT.pack(revents & 0xFFFFFFFF, data))

    def scan(pt: PollWait | None) -> int:
        return ep_send_events(ep, task, pt, maxevents, put)

    return wait_loop(task, scan, end_time, finish, "epoll_wait", signal_ret=-E.EINTR, timeout_first=True)


def _ms_timeout(task: Any, ms: int) -> int | None:
    """ep_timeout_to_timespec: negative waits forever."""
    ms = s32(ms)
    if ms < 0:
        return None
    return set_timeout(task, ms // 1000, ms % 1000 * 1_000_000)


@syscall("epoll_wait", "fd", "struct_out", "d", "d")
def sys_epoll_wait(task: Any, epfd: int, events: int, maxevents: int, timeout: int) -> Any:
    return do_epoll_wait(task, epfd, events, maxevents, _ms_timeout(task, timeout), lambda r: r)


def _epoll_pwait(task: Any, epfd: int, events: int, maxevents: int, end_time: int | None, sigmask: int,
                 sigsetsize: int) -> Any:  # fmt: skip
    set_user_sigmask(task, sigmask, sigsetsize)

    def finish(r: int) -> int:
        restore_saved_sigmask_unless(task, r == -E.EINTR)
        return r

    try:
        return do_epoll_wait(task, epfd, events, maxevents, end_time, finish)
    except Errno as e:
        return finish(-e.errno)


@syscall("epoll_pwait", "fd", "struct_out", "d", "d", "p", "u")
def sys_epoll_pwait(task: Any, epfd: int, events: int, maxevents: int, timeout: int, sigmask: int,
                    sigsetsize: int) -> Any:  # fmt: skip
    return _epoll_pwait(task, epfd, events, maxevents, _ms_timeout(task, timeout), sigmask, sigsetsize)


@syscall("epoll_pwait2", "fd", "struct_out", "d", "timespec_in", "p", "u")
def sys_epoll_pwait2(task: Any, epfd: int, events: int, maxevents: int, timeout: int, sigmask: int,
                     sigsetsize: int) -> Any:  # fmt: skip
    return _epoll_pwait(task, epfd, events, maxevents, read_timeout(task, timeout), sigmask, sigsetsize)


__all__ = ["s64", "wait_loop", "set_timeout", "read_timeout"]
