"""Decoders of signals: signal names and sigsets, sigaction, sigprocmask/sigpending/sigsuspend,
sigaltstack's stack_t, rt_sigtimedwait and rt_sigqueueinfo, restart_syscall, and siginfo, both in guest
memory and as the fields of a delivered signal (the ``--- SIGxxx {...} ---`` line, `format_signal`).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

from ..abi import siginfo as _si
from ..abi import signal as _signal
from ..abi.syscall_numbers import NAMES as _SYSCALL_NAMES
from .decode_time import _k_timespec_in
from .format import (
    _ERRNO_NAMES,
    MASK64,
    ArgFn,
    RetFn,
    _addr,
    _arg,
    _flags,
    _hex,
    _is_err,
    _k_d,
    _k_u,
    _out,
    _read,
    _s32,
    _unpack,
    _xval,
)


def _sig_abbrev(sig: int) -> str:
    """Signal name inside a sigset: INT, RTMIN, RT_3."""
    if sig in _signal.NAMES:
        return _signal.NAMES[sig][3:]
    if sig == _signal.SIGRTMIN:
        return "RTMIN"
    if _signal.SIGRTMIN < sig <= _signal.SIGRTMAX:
        return f"RT_{sig - _signal.SIGRTMIN}"
    return str(sig)


def _sigmask(mask: int, nbytes: int = 8) -> str:
    """strace's sprintsigmask_n: [INT TERM], or ~[...] when at least 2/3 of the bits are set."""
    nbits = (min(nbytes, 8) + 3) // 4 * 32
    mask &= (1 << nbits) - 1
    prefix = ""
    if bin(mask).count("1") >= nbits * 2 // 3:
        mask = ~mask & ((1 << nbits) - 1)
        prefix = "~"
    names = []
    i = 0
    while mask:
        if mask & 1:
            names.append(_sig_abbrev(i + 1))
        mask >>= 1
        i += 1
    return prefix + "[" + " ".join(names) + "]"


def _sigset(task: Any, addr: int, length: int, min_len: int = 8) -> str:
    length &= MASK64
    if length < min_len or length > 8 or not addr:
        return _addr(addr)
    data = _read(task, addr, length)
    if data is None:
        return _addr(addr)
    return _sigmask(int.from_bytes(data, "little"), length)


def _sa_handler(h: int) -> str:
    return _signal.HANDLER_NAMES.get(h) or _addr(h)


def _sigaction(task: Any, addr: int) -> str:
    """struct kernel_sigaction (x86-64): handler, flags, restorer, mask."""
    if not addr:
        return "NULL"
    v = _unpack(task, addr, "<QQQQ")
    if v is None:
        return _addr(addr)
    handler, flags, restorer, mask = v
    s = "{{sa_handler={}, sa_mask={}, sa_flags={}".format(
        _sa_handler(handler), _sigmask(mask), _flags(flags, _signal.SA_FLAG_NAMES, "SA_???"))
    if flags & _signal.SA_RESTORER:
        s += ", sa_restorer=" + _addr(restorer)
    return s + "}"


def _k_sig(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _signal.signal_name(_s32(_arg(a, i)))


def _k_how(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _xval(_arg(a, i) & 0xFFFFFFFF, _signal.HOW_NAMES, "SIG_???")


def _n_rt_sigprocmask(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [
        _k_how(sc, 0),
        lambda t, a, r: _sigset(t, _arg(a, 1), _arg(a, 3)),
        lambda t, a, r: _addr(_arg(a, 2)) if _is_err(r) else _sigset(t, _arg(a, 2), _arg(a, 3)),
        _k_u(sc, 3),
    ], None


def _n_rt_sigaction(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [
        _k_sig(sc, 0),
        lambda t, a, r: _sigaction(t, _arg(a, 1)),
        lambda t, a, r: _addr(_arg(a, 2)) if _is_err(r) else _sigaction(t, _arg(a, 2)),
        _k_u(sc, 3),
    ], None


def _n_rt_sigpending(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [
        lambda t, a, r: _addr(_arg(a, 0)) if _is_err(r) else _sigset(t, _arg(a, 0), _arg(a, 1), 1),
        _k_u(sc, 1),
    ], None


def _n_rt_sigsuspend(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [lambda t, a, r: _sigset(t, _arg(a, 0), _arg(a, 1)), _k_u(sc, 1)], None


def _stack_t(t: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    v = _unpack(t, addr, "<Qi4xQ")
    if v is None:
        return _addr(addr)
    return (f"{{ss_sp={_addr(v[0])}, ss_flags={_flags(v[1] & 0xFFFFFFFF, _signal.SS_FLAG_NAMES, 'SS_???')}, "
            f"ss_size={v[2]}}}")


def _n_sigaltstack(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [lambda t, a, r: _stack_t(t, _arg(a, 0)), _out(1, _stack_t)], None


def _ret_signal(t: Any, a: tuple[int, ...], r: int) -> str:
    return f"{r} ({_signal.signal_name(r)})" if r else "0"


def _n_rt_sigtimedwait(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [lambda t, a, r: _sigset(t, _arg(a, 0), _arg(a, 3)), _out(1, _siginfo_at),
            _k_timespec_in(sc, 2), _k_u(sc, 3)], _ret_signal


def _n_rt_sigqueueinfo(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_d(sc, 0), _k_sig(sc, 1), lambda t, a, r: _siginfo_at(t, _arg(a, 2))], None


def _n_rt_tgsigqueueinfo(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_d(sc, 0), _k_d(sc, 1), _k_sig(sc, 2), lambda t, a, r: _siginfo_at(t, _arg(a, 3))], None


def _n_restart_syscall(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    def fn(t: Any, a: tuple[int, ...], r: Any) -> str:
        name = _SYSCALL_NAMES.get(t.restart_nr, "call")
        return f"<... resuming interrupted {name} ...>"
    return [fn], None


def _field(fields: Mapping[str, Any], name: str, default: Any = 0) -> Any:
    if name in fields:
        return fields[name]
    short = name[3:]
    return fields.get(short, default)


def format_signal(sig: int, fields: Mapping[str, Any] | None = None) -> str:
    """--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---

    `fields` holds siginfo members by name (with or without the ``si_`` prefix): si_code (int or an
    already formatted name; default _si.SI_KERNEL), si_addr, si_pid, si_uid, si_status, si_utime,
    si_stime, si_errno, si_value (or si_int / si_ptr), si_band, si_fd, si_timerid, si_overrun,
    si_call_addr, si_syscall, si_arch.
    """
    return f"--- {_signal.signal_name(sig)} {_siginfo(sig, fields or {})} ---"


def _siginfo(sig: int, f: Mapping[str, Any]) -> str:
    """strace's printsiginfo: {si_signo=..., si_code=..., ...}."""
    if not sig:
        return "{}"
    code = _field(f, "si_code", _si.SI_KERNEL)
    parts = ["si_signo=" + _signal.signal_name(sig)]
    errno_ = _field(f, "si_errno", 0)
    if isinstance(code, str):
        parts.append("si_code=" + code)
        code_num = {v: k for k, v in _si.SI_NAMES.items()}.get(code)
        if code_num is None:
            code_num = {v: k for k, v in _si.CODE_NAMES.get(sig, {}).items()}.get(code, _si.SI_KERNEL)
        code = code_num
    else:
        code = _s32(code)
        name = _si.SI_NAMES.get(code) or _si.CODE_NAMES.get(sig, {}).get(code)
        parts.append("si_code=" + (name or _hex(code & 0xFFFFFFFF)))
    if errno_:
        parts.append("si_errno=" + _ERRNO_NAMES.get(errno_, str(errno_)))

    def source() -> None:
        parts.append(f"si_pid={_field(f, 'si_pid')}")
        parts.append(f"si_uid={_field(f, 'si_uid')}")

    def sigval() -> None:
        parts.append(f"si_int={_s32(_field(f, 'si_int', _field(f, 'si_value', 0)))}")
        parts.append("si_ptr=" + _addr(_field(f, "si_ptr", _field(f, "si_value", 0)) & MASK64))

    if code <= 0:
        if code in (_si.SI_USER, _si.SI_TKILL):
            source()
        elif code == _si.SI_TIMER:
            parts.append("si_timerid=" + _hex(_field(f, "si_timerid")))
            parts.append(f"si_overrun={_field(f, 'si_overrun')}")
            sigval()
        elif code == _si.SI_SIGIO:
            parts.append(f"si_band={_field(f, 'si_band')}")
            parts.append(f"si_fd={_field(f, 'si_fd')}")
        else:
            source()
            if _field(f, "si_ptr", _field(f, "si_value", 0)):
                sigval()
    elif sig == _signal.SIGCHLD:
        source()
        status = _field(f, "si_status")
        parts.append("si_status=" + (str(status) if code == _si.CLD_EXITED else _signal.signal_name(status)))
        parts.append(f"si_utime={_field(f, 'si_utime')}")
        parts.append(f"si_stime={_field(f, 'si_stime')}")
    elif sig in (_signal.SIGILL, _signal.SIGFPE, _signal.SIGBUS, _signal.SIGSEGV, _signal.SIGTRAP):
        parts.append("si_addr=" + _addr(_field(f, "si_addr") & MASK64))
    elif sig == _signal.SIGIO:
        if code in (1, 2, 3):
            parts.append(f"si_band={_field(f, 'si_band')}")
            parts.append(f"si_fd={_field(f, 'si_fd')}")
    elif sig == _signal.SIGSYS:
        parts.append("si_call_addr=" + _addr(_field(f, "si_call_addr") & MASK64))
        nr = _field(f, "si_syscall")
        parts.append("si_syscall=" + ("__NR_" + _SYSCALL_NAMES[nr] if nr in _SYSCALL_NAMES else str(nr)))
        arch = _field(f, "si_arch", _si.AUDIT_ARCH_X86_64)
        parts.append("si_arch=" + ("AUDIT_ARCH_X86_64" if arch == _si.AUDIT_ARCH_X86_64
                                   else f"{_hex(arch)} /* AUDIT_ARCH_??? */"))
    else:
        if _field(f, "si_pid") or _field(f, "si_uid"):
            source()
        if _field(f, "si_ptr", _field(f, "si_value", 0)):
            sigval()
    return "{" + ", ".join(parts) + "}"


def _siginfo_at(task: Any, addr: int) -> str:
    """A siginfo_t in guest memory (x86-64 layout)."""
    if not addr:
        return "NULL"
    data = _read(task, addr, 128)
    if data is None:
        return _addr(addr)
    signo, errno_, code = struct.unpack_from("<iii", data, 0)
    f: dict[str, Any] = {"si_code": code, "si_errno": errno_}
    i32 = struct.unpack_from("<iiiiqqq", data, 16)  # 16: i, 20: i, 24: i, 28: i, 32: q, 40: q, 48: q
    (u64_16, u64_24) = struct.unpack_from("<QQ", data, 16)
    f.update(si_pid=i32[0], si_uid=i32[1] & 0xFFFFFFFF, si_value=u64_24, si_timerid=i32[0],
             si_overrun=i32[1], si_band=struct.unpack_from("<q", data, 16)[0], si_fd=i32[2],
             si_status=i32[2], si_utime=i32[4], si_stime=i32[5], si_addr=u64_16, si_call_addr=u64_16,
             si_syscall=i32[2], si_arch=i32[3] & 0xFFFFFFFF)
    return _siginfo(signo, f)
