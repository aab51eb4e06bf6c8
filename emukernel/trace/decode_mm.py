"""Decoders of memory-mapping arguments: mmap/mprotect protections, mmap flags (type, flags, huge page
size), madvise advice and mremap flags.
"""

from __future__ import annotations

from typing import Any

from ..abi import mman as _mman
from .format import MASK64, ArgFn, RetFn, _addr, _arg, _flags, _hex, _k_p, _k_u, _xval


def _mmap_flags(v: int) -> str:
    s = _xval(v & _mman.MAP_TYPE, _mman.MAP_TYPE_NAMES, "MAP_???")
    v &= ~_mman.MAP_TYPE
    huge_mask = _mman.MAP_HUGE_MASK << _mman.MAP_HUGE_SHIFT
    huge = v & huge_mask
    v &= ~huge_mask
    if v:
        s += "|" + _flags(v, _mman.MAP_FLAG_NAMES, None)
    if huge:
        s += f"|{huge >> _mman.MAP_HUGE_SHIFT}<<MAP_HUGE_SHIFT"
    return s


def _k_prot(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _flags(_arg(a, i), _mman.PROT_NAMES, "PROT_???")


def _k_mapflags(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _mmap_flags(_arg(a, i))


def _n_madvise(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_p(sc, 0), _k_u(sc, 1),
            lambda t, a, r: _xval(_arg(a, 2) & 0xFFFFFFFF, _mman.MADV_NAMES, "MADV_???")], None


def _n_mremap(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    def new_addr(t: Any, a: tuple[int, ...], r: Any) -> str | None:
        return _addr(_arg(a, 4)) if _arg(a, 3) & 3 == 3 else None
    return [_k_p(sc, 0), _k_u(sc, 1), _k_u(sc, 2),
            lambda t, a, r: _flags(_arg(a, 3), _mman.MREMAP_FLAG_NAMES, "MREMAP_???"), new_addr], \
        lambda t, a, r: _hex(r & MASK64)
