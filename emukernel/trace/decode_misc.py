"""Decoders of the calls that belong to no subsystem above: uname's struct utsname and getrandom's
buffer and flags.
"""

from __future__ import annotations

from typing import Any

from ..abi import getrandom as _getrandom
from .format import ArgFn, RetFn, _addr, _arg, _flags, _k_u, _out, _read, _strn, quote_string


def _uname(t: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    data = _read(t, addr, 65 * 6)
    if data is None:
        return _addr(addr)
    fields = [data[k * 65:(k + 1) * 65] for k in range(2)]
    vals = [quote_string(f.split(b"\0", 1)[0][:64]) for f in fields]
    return "{{sysname={}, nodename={}, ...}}".format(*tuple(vals))


def _n_uname(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_out(0, _uname)], None


def _n_getrandom(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    def buf(t: Any, a: tuple[int, ...], r: Any) -> str:
        if not isinstance(r, int) or r < 0:
            return _addr(_arg(a, 0))
        return _strn(t, _arg(a, 0), r, hexmode=True)
    return [buf, _k_u(sc, 1), lambda t, a, r: _flags(_arg(a, 2) & 0xFFFFFFFF, _getrandom.FLAG_NAMES, "GRND_???")], None
