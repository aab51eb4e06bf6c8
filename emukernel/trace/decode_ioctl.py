"""Decoders of ioctl requests and the tty structures they carry.

The request by name (or as ``_IOC(dir, type, nr, size)``) and its argument: termios/termio, winsize,
modem lines, tcflow/tcflush arguments and the requests taking or returning one int.
"""

from __future__ import annotations

from typing import Any

from ..abi import ioctl as _ioctl
from ..abi import termios as _termbits
from .format import _addr, _arg, _Extra, _flags, _hex, _int_ptr, _is_err, _s32, _strn, _unpack, _xval

# strace prints both names where its ioctl table has two entries for one number
_IOCTL_NAMES: dict[int, str] = dict(_ioctl.NAMES)
_IOCTL_NAMES.update({
    _ioctl.TCSETS: "SNDCTL_TMR_START or TCSETS",
    _ioctl.TCSETSW: "SNDCTL_TMR_STOP or TCSETSW",
    _ioctl.TCSETSF: "SNDCTL_TMR_CONTINUE or TCSETSF",
})


def _termios(task: Any, addr: int, fmt: str) -> str:
    """Abbreviated termios/termio: {c_iflag=..., c_oflag=..., c_cflag=..., c_lflag=..., ...}."""
    if not addr:
        return "NULL"
    v = _unpack(task, addr, fmt)
    if v is None:
        return _addr(addr)
    iflag, oflag, cflag, lflag = v
    oparts = []
    for mask, names, dflt in _termbits.ODELAY_NAMES:
        oparts.append(_xval(oflag & mask, names, dflt))
        oflag &= ~mask
    ostr = "|".join(oparts) + "|" + _flags(oflag, _termbits.OFLAG_NAMES, None)
    cstr = _xval(cflag & _termbits.CBAUD, _termbits.BAUD_NAMES, "B???") + "|"
    if cflag & _termbits.CIBAUD:
        cstr += _xval((cflag & _termbits.CIBAUD) >> _termbits.IBSHIFT, _termbits.BAUD_NAMES, "B???") + "<<IBSHIFT|"
    cstr += _xval(cflag & _termbits.CSIZE, _termbits.CSIZE_NAMES, "CS?") + "|"
    cstr += _flags(cflag & ~(_termbits.CBAUD | _termbits.CIBAUD | _termbits.CSIZE), _termbits.CFLAG_NAMES, None)
    return f"{{c_iflag={_flags(iflag, _termbits.IFLAG_NAMES, None)}, c_oflag={ostr}, c_cflag={cstr}, c_lflag={_flags(lflag, _termbits.LFLAG_NAMES, None)}, ...}}"


def _winsize(task: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    v = _unpack(task, addr, "<HHHH")
    if v is None:
        return _addr(addr)
    return f"{{ws_row={v[0]}, ws_col={v[1]}, ws_xpixel={v[2]}, ws_ypixel={v[3]}}}"


def _ioctl_request(req: int) -> str:
    name = _IOCTL_NAMES.get(req)
    if name is not None:
        return name
    return f"_IOC({_ioctl.IOC_DIR_NAMES[_ioctl.ioc_dir(req)]}, {_hex(_ioctl.ioc_type(req))}, {_hex(_ioctl.ioc_nr(req))}, {_hex(_ioctl.ioc_size(req))})"


# ioctl requests whose argument is decoded; "exit" ones only when the call succeeded
_IOCTL_NOARG = frozenset((
    _ioctl.TIOCSBRK, _ioctl.TIOCCBRK, _ioctl.TIOCCONS, _ioctl.TIOCNOTTY, _ioctl.TIOCEXCL,
    _ioctl.TIOCNXCL, _ioctl.FIOCLEX, _ioctl.FIONCLEX, _ioctl.TIOCVHANGUP, _ioctl.TIOCSSERIAL,
))
_IOCTL_INT_OUT = frozenset((
    _ioctl.TIOCGPGRP, _ioctl.TIOCGSID, _ioctl.TIOCGETD, _ioctl.TIOCGSOFTCAR, _ioctl.TIOCGPTN,
    _ioctl.FIONREAD, _ioctl.TIOCOUTQ, _ioctl.TIOCGEXCL, _ioctl.TIOCGDEV,
))
_IOCTL_INT_IN = frozenset((
    _ioctl.TIOCSPGRP, _ioctl.TIOCSETD, _ioctl.FIONBIO, _ioctl.FIOASYNC, _ioctl.TIOCPKT,
    _ioctl.TIOCSSOFTCAR, _ioctl.TIOCSPTLCK,
))
_TERMIOS = "<IIII"
_TERMIO = "<HHHH"


def _g_ioctl(sc: Any, i: int) -> _Extra:
    j = i + 1

    def req_fn(t: Any, a: tuple[int, ...], r: Any) -> str:
        return _ioctl_request(_arg(a, i) & 0xFFFFFFFF)

    def arg_fn(t: Any, a: tuple[int, ...], r: Any) -> str | None:
        req = _arg(a, i) & 0xFFFFFFFF
        v = _arg(a, j)
        err = _is_err(r)
        if req in _IOCTL_NOARG:
            return None
        if req in (_ioctl.TCGETS, _ioctl.TIOCGLCKTRMIOS, _ioctl.TCGETS2):
            return _addr(v) if err else _termios(t, v, _TERMIOS)
        if req in (_ioctl.TCSETS, _ioctl.TCSETSW, _ioctl.TCSETSF, _ioctl.TIOCSLCKTRMIOS,
                   _ioctl.TCSETS2, _ioctl.TCSETSW2, _ioctl.TCSETSF2):
            return _termios(t, v, _TERMIOS)
        if req == _ioctl.TCGETA:
            return _addr(v) if err else _termios(t, v, _TERMIO)
        if req in (_ioctl.TCSETA, _ioctl.TCSETAW, _ioctl.TCSETAF):
            return _termios(t, v, _TERMIO)
        if req == _ioctl.TIOCGWINSZ:
            return _addr(v) if err else _winsize(t, v)
        if req == _ioctl.TIOCSWINSZ:
            return _winsize(t, v)
        if req == _ioctl.TCXONC:
            return _xval(v, _ioctl.TCFLOW_NAMES, "TC???")
        if req == _ioctl.TCFLSH:
            return _xval(v, _ioctl.TCFLUSH_NAMES, "TC???")
        if req in (_ioctl.TCSBRK, _ioctl.TCSBRKP, _ioctl.TIOCSCTTY):
            return str(_s32(v))
        if req in (_ioctl.TIOCMGET, _ioctl.TIOCMBIS, _ioctl.TIOCMBIC, _ioctl.TIOCMSET):
            if not v or (err and req == _ioctl.TIOCMGET):
                return _addr(v)
            m = _unpack(t, v, "<I")
            return _addr(v) if m is None else "[{}]".format(_flags(m[0], _termbits.MODEM_NAMES, "TIOCM_???"))
        if req in _IOCTL_INT_OUT:
            return _addr(v) if err else _int_ptr(t, v)
        if req in _IOCTL_INT_IN:
            return _int_ptr(t, v)
        if req == _ioctl.TIOCSTI:
            return _strn(t, v, 1)
        return _hex(v)

    return _Extra([req_fn, arg_fn])
