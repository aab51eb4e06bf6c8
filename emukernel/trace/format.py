"""strace's output primitives, shared by every decoder.

Numbers (%#lx, signed views, octal modes), pointers (NULL or hex), flag sets joined by ``|`` with the
leftover bits in hex (printflags) and single values with a ``/* X_??? */`` comment (printxval), C-quoted
strings cut at ``-s 32`` (printstr/printpath), guest-memory reads that turn any fault into "unreadable",
``[value]`` pointers to one integer, errno names and the restart texts of return values, and the scalar
argument kinds (d, u, x, p, fd, struct_out) with the return-value kinds.  Names keep their leading
underscore: they are private to the trace package.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..abi import errno as _errno

MASK64 = (1 << 64) - 1
MAX_STRLEN = 32  # strace -s default: bytes of a string, elements of an array
PATH_MAX = 4096
MAX_ERRNO = 4095

ArgFn = Callable[[Any, tuple[int, ...], Any], "str | None"]
RetFn = Callable[[Any, tuple[int, ...], int], str]


def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _s64(v: int) -> int:
    v &= MASK64
    return v - (1 << 64) if v >> 63 else v


def _hex(v: int) -> str:
    """C's %#lx: 0 stays 0."""
    return f"0x{v:x}" if v else "0"


def _addr(v: int) -> str:
    """strace's printaddr: NULL or hex."""
    return f"0x{v:x}" if v else "NULL"


def _is_err(ret: Any) -> bool:
    return isinstance(ret, int) and -MAX_ERRNO <= ret < 0


def _flags(value: int, table: Sequence[tuple[str, int]], dflt: str | None) -> str:
    """strace's printflags: known names joined by |, leftover bits in hex."""
    if value == 0:
        if table and table[0][1] == 0:
            return table[0][0]
        return "0" if dflt else ""
    names = []
    for name, bit in table:
        if bit and value & bit == bit:
            names.append(name)
            value &= ~bit
            if not value:
                break
    if names:
        if value:
            names.append(f"0x{value:x}")
        return "|".join(names)
    return f"0x{value:x} /* {dflt} */" if dflt else f"0x{value:x}"


def _xval(value: int, table: Mapping[int, str], dflt: str | None) -> str:
    """strace's printxval: the name, or hex with a ``/* X_??? */`` comment."""
    name = table.get(value)
    if name is not None:
        return name
    return f"{_hex(value)} /* {dflt} */" if dflt else _hex(value)


def _umode(v: int) -> str:
    """C's %#03o of a umode_t."""
    v &= 0xFFFF
    return (f"0{v:o}" if v else "0").rjust(3, "0")


def _build_char_table() -> list[str | None]:
    table: list[str | None] = []
    for c in range(256):
        if c == 0x22:
            table.append('\\"')
        elif c == 0x5C:
            table.append("\\\\")
        elif 0x20 <= c < 0x7F:
            table.append(chr(c))
        else:
            table.append({0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x0B: "\\v"}.get(c))
    return table


_CHARS = _build_char_table()


def quote_string(data: bytes) -> str:
    """Quote bytes as strace does: C escapes, shortest octal unless an octal digit follows."""
    out = ['"']
    n = len(data)
    for i, c in enumerate(data):
        s = _CHARS[c]
        if s is None:
            if i + 1 < n and 0x30 <= data[i + 1] <= 0x37:
                s = f"\\{c:03o}"
            else:
                s = f"\\{c:o}"
        out.append(s)
    out.append('"')
    return "".join(out)


def _quote_hex(data: bytes) -> str:
    return '"' + "".join(f"\\x{c:02x}" for c in data) + '"'


def _read(task: Any, addr: int, n: int) -> bytes | None:
    """n bytes of guest memory, or None when unreadable."""
    if n <= 0:
        return b""
    try:
        return bytes(task.mm.read(addr, n))
    except Exception:
        return None


def _cstr(task: Any, addr: int, limit: int) -> bytes | None:
    """Up to `limit` bytes of the NUL-terminated string at addr (without the NUL), None if unreadable."""
    try:
        s = task.mm.read_cstring(addr, limit)
    except Exception:
        # maybe no NUL within `limit`: then the bytes themselves are still readable
        s = _read(task, addr, limit)
        if s is None:
            return None
    if isinstance(s, str):
        s = s.encode("latin-1")
    else:
        s = bytes(s)
    nul = s.find(b"\0")
    if nul >= 0:
        s = s[:nul]
    return s[:limit]


def _strn(task: Any, addr: int, length: int, hexmode: bool = False) -> str:
    """strace's printstrn: a buffer of `length` bytes, at most 32 shown, NULL / address if unreadable."""
    if not addr:
        return "NULL"
    length &= MASK64
    data = _read(task, addr, min(length, MAX_STRLEN + 1))
    if data is None:
        return _addr(addr)
    data = data[:MAX_STRLEN]
    s = _quote_hex(data) if hexmode else quote_string(data)
    return s + "..." if length > MAX_STRLEN else s


def _str0(task: Any, addr: int, length: int = MASK64) -> str:
    """strace's printstr_ex(addr, length, QUOTE_0_TERMINATED): a C string of at most `length` bytes
    (and at most 32 shown); '...' when it is cut."""
    if not addr:
        return "NULL"
    if length > MAX_STRLEN:
        s = _cstr(task, addr, MAX_STRLEN + 1)
        if s is None:
            return _addr(addr)
        return quote_string(s[:MAX_STRLEN]) + ("..." if len(s) > MAX_STRLEN else "")
    s = _cstr(task, addr, length)
    if s is None:
        return _addr(addr)
    return quote_string(s) + ("..." if len(s) >= length else "")


def _path(task: Any, addr: int) -> str:
    """strace's printpath: the whole path (up to PATH_MAX - 1 bytes)."""
    if not addr:
        return "NULL"
    s = _cstr(task, addr, PATH_MAX)
    if s is None:
        return _addr(addr)
    if len(s) > PATH_MAX - 1:
        return quote_string(s[: PATH_MAX - 1]) + "..."
    return quote_string(s)


def _unpack(task: Any, addr: int, fmt: str) -> tuple[Any, ...] | None:
    data = _read(task, addr, struct.calcsize(fmt))
    if data is None:
        return None
    return struct.unpack(fmt, data)


# errno names beyond abi.errno.NAMES: the kernel-internal codes are shown by name (glibc has no text)
_ERRNO_NAMES: dict[int, str] = dict(_errno.NAMES)
_ERRNO_NAMES.update(_errno.KERNEL_NAMES)
_RESTART_TEXT = {
    _errno.ERESTARTSYS: "ERESTARTSYS (To be restarted if SA_RESTART is set)",
    _errno.ERESTARTNOINTR: "ERESTARTNOINTR (To be restarted)",
    _errno.ERESTARTNOHAND: "ERESTARTNOHAND (To be restarted if no handler)",
    _errno.ERESTART_RESTARTBLOCK: "ERESTART_RESTARTBLOCK (Interrupted by signal)",
}


def _int_ptr(task: Any, addr: int, fmt: Callable[[int], str] = str) -> str:
    """strace's printnum_int: [value]."""
    if not addr:
        return "NULL"
    v = _unpack(task, addr, "<i")
    return _addr(addr) if v is None else f"[{fmt(v[0])}]"


def _kptr_ptr(task: Any, addr: int) -> str:
    """strace's printnum_kptr: [0x...] / [NULL]."""
    if not addr:
        return "NULL"
    v = _unpack(task, addr, "<Q")
    return _addr(addr) if v is None else f"[{_addr(v[0])}]"


def _errno_text(e: int) -> str:
    name = _ERRNO_NAMES.get(e)
    msg = _errno.MESSAGES.get(e) or f"Unknown error {e}"
    return f"{name or str(e)} ({msg})"


# --------------------------------------------------------------------------------------------------
# per-kind argument decoders.  A factory receives (sc, i) and returns fn(task, args, ret) -> str | None;
# None leaves the argument out (open's mode without O_CREAT, fcntl's unused third argument...).


def _arg(a: tuple[int, ...], i: int) -> int:
    return a[i] if i < len(a) else 0


def _k_d(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: str(_s64(_arg(a, i)))


def _k_u(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: str(_arg(a, i))


def _k_x(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _hex(_arg(a, i))


def _k_p(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _addr(_arg(a, i))


def _k_fd(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: str(_s32(_arg(a, i)))


def _k_struct_out(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _addr(_arg(a, i))


# --- kinds that also decide how the following argument(s) and the return value print

class _Extra:
    """What a multi-argument kind contributes: decoders for args i.. and maybe a return decorator."""

    __slots__ = ("fns", "ret")

    def __init__(self, fns: list[ArgFn], ret: RetFn | None = None) -> None:
        self.fns = fns
        self.ret = ret


def _none(t: Any, a: tuple[int, ...], r: Any) -> None:
    return None


def _ret_octal(t: Any, a: tuple[int, ...], r: int) -> str:
    return _umode(r)


def _out(i: int, dec: Callable[[Any, int], str]) -> ArgFn:
    """An output pointer decoded by `dec` when the call succeeded, else its address."""
    return lambda t, a, r: _addr(_arg(a, i)) if _is_err(r) else dec(t, _arg(a, i))


def _restarted(r: Any) -> bool:
    return isinstance(r, int) and -r in _RESTART_TEXT


def _ulong_ptr(t: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    v = _unpack(t, addr, "<Q")
    return _addr(addr) if v is None else f"[{v[0]}]"


def _ret_d(t: Any, a: tuple[int, ...], r: int) -> str:
    return str(r)


def _ret_u(t: Any, a: tuple[int, ...], r: int) -> str:
    return str(r & MASK64)


def _ret_x(t: Any, a: tuple[int, ...], r: int) -> str:
    return _hex(r & MASK64)
