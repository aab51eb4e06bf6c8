"""Decoders of time arguments: timespec/timeval structures, clock ids and TIMER_ABSTIME, nanosleep's
remaining time, gettimeofday, time(2) with its date comment, interval timers and POSIX timers (sigevent,
itimerspec).
"""

from __future__ import annotations

import time as _time
from typing import Any

from ..abi import clock as _clock
from ..abi import siginfo as _si
from ..abi import signal as _signal
from .format import (
    ArgFn,
    RetFn,
    _addr,
    _arg,
    _flags,
    _int_ptr,
    _is_err,
    _k_d,
    _out,
    _restarted,
    _s32,
    _unpack,
    _xval,
)


def _timespec(task: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    v = _unpack(task, addr, "<qq")
    if v is None:
        return _addr(addr)
    return f"{{tv_sec={v[0]}, tv_nsec={v[1]}}}"


def _timeval(sec: int, usec: int) -> str:
    return f"{{tv_sec={sec}, tv_usec={usec}}}"


def _k_clock(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _xval(_arg(a, i) & 0xFFFFFFFF, _clock.NAMES, "CLOCK_???")


def _k_timespec_in(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _timespec(t, _arg(a, i))


def _n_clock_gettime(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_clock(sc, 0), _out(1, _timespec)], None


def _n_clock_settime(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_clock(sc, 0), _k_timespec_in(sc, 1)], None


def _n_nanosleep(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [
        _k_timespec_in(sc, 0),
        lambda t, a, r: _timespec(t, _arg(a, 1)) if _restarted(r) else _addr(_arg(a, 1)),
    ], None


def _n_clock_nanosleep(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    def rem(t: Any, a: tuple[int, ...], r: Any) -> str:
        if not _arg(a, 1) and _restarted(r):
            return _timespec(t, _arg(a, 3))
        return _addr(_arg(a, 3))
    return [
        _k_clock(sc, 0),
        lambda t, a, r: _flags(_arg(a, 1) & 0xFFFFFFFF, _clock.TIMER_FLAG_NAMES, "TIMER_???"),
        _k_timespec_in(sc, 2),
        rem,
    ], None


def _timeval_at(t: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    v = _unpack(t, addr, "<qq")
    return _addr(addr) if v is None else _timeval(v[0], v[1])


def _timezone_at(t: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    v = _unpack(t, addr, "<ii")
    return _addr(addr) if v is None else f"{{tz_minuteswest={v[0]}, tz_dsttime={v[1]}}}"


def _n_gettimeofday(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_out(0, _timeval_at), _out(1, _timezone_at)], None


def _datetime(secs: int) -> str:
    try:
        return _time.strftime("%Y-%m-%dT%H:%M:%S+0000", _time.gmtime(secs))
    except (OverflowError, OSError, ValueError):
        return ""


def _n_time(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    def tloc(t: Any, a: tuple[int, ...], r: Any) -> str:
        addr = _arg(a, 0)
        if not addr or _is_err(r):
            return _addr(addr)
        v = _unpack(t, addr, "<q")
        if v is None:
            return _addr(addr)
        d = _datetime(v[0])
        return f"[{v[0]} /* {d} */]" if d else f"[{v[0]}]"

    def ret(t: Any, a: tuple[int, ...], r: int) -> str:
        d = _datetime(r)
        return f"{r} ({d})" if d else str(r)
    return [tloc], ret


def _itimerval(t: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    v = _unpack(t, addr, "<qqqq")
    if v is None:
        return _addr(addr)
    return f"{{it_interval={_timeval(v[0], v[1])}, it_value={_timeval(v[2], v[3])}}}"


def _itimerspec(t: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    v = _unpack(t, addr, "<qqqq")
    if v is None:
        return _addr(addr)
    return (f"{{it_interval={{tv_sec={v[0]}, tv_nsec={v[1]}}}, "
            f"it_value={{tv_sec={v[2]}, tv_nsec={v[3]}}}}}")


def _which(i: int) -> ArgFn:
    return lambda t, a, r: _xval(_arg(a, i) & 0xFFFFFFFF, _clock.ITIMER_NAMES, "ITIMER_???")


def _n_getitimer(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_which(0), _out(1, _itimerval)], None


def _n_setitimer(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_which(0), lambda t, a, r: _itimerval(t, _arg(a, 1)), _out(2, _itimerval)], None


def _sigevent(t: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    v = _unpack(t, addr, "<QiiQQ")
    if v is None:
        return _addr(addr)
    value, signo, notify, u1, u2 = v
    parts = []
    if value:
        parts.append(f"sigev_value={{sival_int={_s32(value)}, sival_ptr={_addr(value)}}}")
    parts.append("sigev_signo=" + (_signal.signal_name(signo) if notify in (0, 2, 4) else str(signo)))
    parts.append("sigev_notify=" + _xval(notify & 0xFFFFFFFF, _si.SIGEV_NOTIFY_NAMES, "SIGEV_???"))
    if notify == 4:
        parts.append(f"sigev_notify_thread_id={_s32(u1)}")
    elif notify == 2:
        parts.append(f"sigev_notify_function={_addr(u1)}, sigev_notify_attributes={_addr(u2)}")
    return "{" + ", ".join(parts) + "}"


def _n_timer_create(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_clock(sc, 0), lambda t, a, r: _sigevent(t, _arg(a, 1)), _out(2, _int_ptr)], None


def _n_timer_settime(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_d(sc, 0), lambda t, a, r: _flags(_arg(a, 1) & 0xFFFFFFFF, _clock.TIMER_FLAG_NAMES, "TIMER_???"),
            lambda t, a, r: _itimerspec(t, _arg(a, 2)), _out(3, _itimerspec)], None


def _n_timer_gettime(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_d(sc, 0), _out(1, _itimerspec)], None
