"""The built-in strace-compatible tracer behind ``--trace``.

Every completed system call becomes one line in the format ``strace -f`` prints (default options:
``-s 32``, abbreviated structures, ``=`` aligned on column 40), e.g.::

    openat(AT_FDCWD, "/tmp/x", O_WRONLY|_fcntl.O_CREAT|O_TRUNC, 0644) = 3
    read(3, "abc", 4096)                    = 3
    close(99)                               = -1 EBADF (Bad file descriptor)
    --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---
    +++ killed by SIGSEGV (core dumped) +++

Arguments are decoded from the argument *kinds* declared in the syscall table (see
``emukernel.syscalls.table``); a few syscalls whose arguments are structures strace always decodes
(sigsets, sigaction, rlimit, stat, wait status, clone, futex, execve...) get a dedicated decoder chosen
by name.  Decoders are chosen once per table entry and cached, so tracing a call costs one tuple walk;
the kernel never calls the tracer when tracing is off.

Guest memory is read through ``task.mm.read(addr, n)`` / ``task.mm.read_cstring(addr, limit)``; any
exception there (``Fault``, ``Errno``...) makes the value print as its address, like strace does for
unreadable memory.
"""

from __future__ import annotations

import struct
import time as _time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from .abi import capability as _capability
from .abi import clock as _clock
from .abi import clone as _clone
from .abi import errno as _errno
from .abi import fcntl as _fcntl
from .abi import futex as _futex
from .abi import getrandom as _getrandom
from .abi import ioctl as _ioctl
from .abi import mman as _mman
from .abi import prctl as _prctl
from .abi import resource as _resource
from .abi import siginfo as _si
from .abi import signal as _signal
from .abi import termios as _termbits
from .abi import wait as _wait
from .abi.syscall_numbers import NAMES as _SYSCALL_NAMES

if TYPE_CHECKING:
    from .syscalls.table import Syscall

__all__ = ["Tracer", "format_call", "format_signal", "format_exit", "quote_string"]

MASK64 = (1 << 64) - 1
MAX_STRLEN = 32  # strace -s default: bytes of a string, elements of an array
PATH_MAX = 4096
ALIGN_COLUMN = 39  # strace pads the call to 39 columns: " = " then puts "=" at offset 40
MAX_ERRNO = 4095

ArgFn = Callable[[Any, tuple[int, ...], Any], "str | None"]
RetFn = Callable[[Any, tuple[int, ...], int], str]


# --------------------------------------------------------------------------------------------------
# value helpers


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


# --------------------------------------------------------------------------------------------------
# strings


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


# --------------------------------------------------------------------------------------------------
# tables of strace's own (the ABI's name tables are in emukernel.abi)

# errno names beyond abi.errno.NAMES: the kernel-internal codes are shown by name (glibc has no text)
_ERRNO_NAMES: dict[int, str] = dict(_errno.NAMES)
_ERRNO_NAMES.update(_errno.KERNEL_NAMES)
_RESTART_TEXT = {
    _errno.ERESTARTSYS: "ERESTARTSYS (To be restarted if SA_RESTART is set)",
    _errno.ERESTARTNOINTR: "ERESTARTNOINTR (To be restarted)",
    _errno.ERESTARTNOHAND: "ERESTARTNOHAND (To be restarted if no handler)",
    _errno.ERESTART_RESTARTBLOCK: "ERESTART_RESTARTBLOCK (Interrupted by signal)",
}

# strace prints both names where its ioctl table has two entries for one number
_IOCTL_NAMES: dict[int, str] = dict(_ioctl.NAMES)
_IOCTL_NAMES.update({
    _ioctl.TCSETS: "SNDCTL_TMR_START or TCSETS",
    _ioctl.TCSETSW: "SNDCTL_TMR_STOP or TCSETSW",
    _ioctl.TCSETSF: "SNDCTL_TMR_CONTINUE or TCSETSF",
})


# --------------------------------------------------------------------------------------------------
# composite values


def _open_modes(v: int) -> str:
    v &= 0xFFFFFFFF
    s = _fcntl.ACCMODE_NAMES[v & 3]
    rest = v & ~3
    return s + "|" + _flags(rest, _fcntl.OPEN_FLAG_NAMES, None) if rest else s


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


def _timespec(task: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    v = _unpack(task, addr, "<qq")
    if v is None:
        return _addr(addr)
    return f"{{tv_sec={v[0]}, tv_nsec={v[1]}}}"


def _timeval(sec: int, usec: int) -> str:
    return f"{{tv_sec={sec}, tv_usec={usec}}}"


def _rlim(v: int) -> str:
    if v == _resource.RLIM_INFINITY:
        return "RLIM64_INFINITY"
    if v > 1024 and v % 1024 == 0:
        return f"{v // 1024}*1024"
    return str(v)


def _rlimit(task: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    v = _unpack(task, addr, "<QQ")
    if v is None:
        return _addr(addr)
    return f"{{rlim_cur={_rlim(v[0])}, rlim_max={_rlim(v[1])}}}"


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


def _symbolic_mode(mode: int) -> str:
    ifmt = _fcntl.FILE_TYPE_NAMES.get(mode & _fcntl.S_IFMT)
    if ifmt is None:
        return _umode(mode)
    s = ifmt + "|"
    if mode & _fcntl.S_ISUID:
        s += "S_ISUID|"
    if mode & _fcntl.S_ISGID:
        s += "S_ISGID|"
    if mode & _fcntl.S_ISVTX:
        s += "S_ISVTX|"
    return s + _umode(mode & 0o777)


def _stat(task: Any, addr: int) -> str:
    """Abbreviated struct stat (x86-64 layout): {st_mode=S_IFREG|0644, st_size=N, ...}."""
    if not addr:
        return "NULL"
    data = _read(task, addr, 144)
    if data is None:
        return _addr(addr)
    (mode,) = struct.unpack_from("<I", data, 24)
    (rdev, size) = struct.unpack_from("<Qq", data, 40)
    s = "{st_mode=" + _symbolic_mode(mode) + ", "
    if mode & _fcntl.S_IFMT in (_fcntl.S_IFCHR, _fcntl.S_IFBLK):
        major = ((rdev >> 8) & 0xFFF) | ((rdev >> 32) & ~0xFFF)
        minor = (rdev & 0xFF) | ((rdev >> 12) & ~0xFF)
        s += f"st_rdev=makedev({_hex(major)}, {_hex(minor)})"
    else:
        s += f"st_size={size}"
    return s + ", ...}"


def _rusage(task: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    v = _unpack(task, addr, "<qqqq")
    if v is None:
        return _addr(addr)
    return f"{{ru_utime={_timeval(v[0], v[1])}, ru_stime={_timeval(v[2], v[3])}, ...}}"


def _wait_status(status: int) -> str:
    status &= 0xFFFFFFFF
    low = status & 0x7F
    if status & 0xFF == 0x7F:
        sig = (status >> 8) & 0xFF
        s = "{{WIFSTOPPED(s) && WSTOPSIG(s) == {}{}}}".format(
            _signal.signal_name(sig & 0x7F), " | 0x80" if sig & 0x80 else "")
        status &= ~((sig << 8) | 0x7F)
    elif low:
        s = "{{WIFSIGNALED(s) && WTERMSIG(s) == {}{}}}".format(
            _signal.signal_name(low), " && WCOREDUMP(s)" if status & 0x80 else "")
        status &= ~(low | 0x80)
    elif status & 0xFFFF == 0xFFFF:
        s = "{WIFCONTINUED(s)}"
        status &= ~0xFFFF
    else:
        s = f"{{WIFEXITED(s) && WEXITSTATUS(s) == {(status >> 8) & 0xFF}}}"
        status &= ~0xFF00
    if status:
        event = status >> 16
        if event:
            s += f" | {_hex(event)} << 16"
            status &= 0xFFFF
        if status:
            s += " | " + _hex(status)
    return "[" + s + "]"


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


def _flock(task: Any, addr: int, getlk: bool) -> str:
    if not addr:
        return "NULL"
    v = _unpack(task, addr, "<hh4xqqi")
    if v is None:
        return _addr(addr)
    l_type, whence, start, length, pid = v
    s = (f"{{l_type={_xval(l_type & 0xFFFF, _fcntl.LOCK_TYPE_NAMES, 'F_???')}, "
         f"l_whence={_xval(whence & 0xFFFF, _fcntl.WHENCE_NAMES, 'SEEK_???')}, l_start={start}, l_len={length}")
    return s + (f", l_pid={pid}}}" if getlk else "}")


def _owner_ex(task: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    v = _unpack(task, addr, "<ii")
    if v is None:
        return _addr(addr)
    return f"{{type={_xval(v[0] & 0xFFFFFFFF, _fcntl.OWNER_TYPE_NAMES, 'F_OWNER_???')}, pid={v[1]}}}"


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


def _errno_text(e: int) -> str:
    name = _ERRNO_NAMES.get(e)
    msg = _errno.MESSAGES.get(e) or f"Unknown error {e}"
    return f"{name or str(e)} ({msg})"


# --------------------------------------------------------------------------------------------------
# per-kind argument decoders.  A factory receives (sc, i) and returns fn(task, args, ret) -> str | None;
# None leaves the argument out (open's mode without _fcntl.O_CREAT, fcntl's unused third argument...).


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


def _atfd(v: int) -> str:
    v = _s32(v)
    return "AT_FDCWD" if v == _fcntl.AT_FDCWD else str(v)


def _k_atfd(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _atfd(_arg(a, i))


def _k_path(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _path(t, _arg(a, i))


def _k_buf_in(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _strn(t, _arg(a, i), _arg(a, i + 1))


def _k_buf_out(sc: Any, i: int) -> ArgFn:
    def fn(t: Any, a: tuple[int, ...], r: Any) -> str:
        if not isinstance(r, int) or r < 0:
            return _addr(_arg(a, i))
        return _strn(t, _arg(a, i), r)
    return fn


def _iov(task: Any, addr: int, count: int, data_size: int | None, addr_only: bool) -> str:
    """strace's tprint_iov_upto: [{iov_base="...", iov_len=N}, ...]."""
    if not addr:
        return "NULL"
    if not count:
        return "[]"
    if count > MASK64 // 16 or addr + count * 16 > MASK64:
        return _addr(addr)
    out = []
    for k in range(count):
        cur = addr + 16 * k
        v = _unpack(task, cur, "<QQ")
        if v is None:
            if k == 0:
                return _addr(addr)
            out.append(f"... /* {_hex(cur)} */")
            break
        if k >= MAX_STRLEN:
            out.append("...")
            break
        base, length = v
        if addr_only:
            b = _addr(base)
        else:
            n = length if data_size is None else min(length, data_size)
            if data_size is not None:
                data_size -= n
            b = _strn(task, base, n)
        out.append(f"{{iov_base={b}, iov_len={length}}}")
    return "[" + ", ".join(out) + "]"


def _k_iov_in(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _iov(t, _arg(a, i), _arg(a, i + 1), None, False)


def _k_iov_out(sc: Any, i: int) -> ArgFn:
    def fn(t: Any, a: tuple[int, ...], r: Any) -> str:
        if not isinstance(r, int) or r < 0:
            return _iov(t, _arg(a, i), _arg(a, i + 1), None, True)
        return _iov(t, _arg(a, i), _arg(a, i + 1), r, False)
    return fn


def _k_oflags(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _open_modes(_arg(a, i))


def _k_mode(sc: Any, i: int) -> ArgFn:
    kinds = sc.args
    if i > 0 and kinds[i - 1] == "oflags":
        j = i - 1

        def fn(t: Any, a: tuple[int, ...], r: Any) -> str | None:
            if not _arg(a, j) & (_fcntl.O_CREAT | _fcntl.O_TMPFILE_BIT):
                return None
            return _umode(_arg(a, i))
        return fn
    return lambda t, a, r: _umode(_arg(a, i))


def _k_prot(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _flags(_arg(a, i), _mman.PROT_NAMES, "PROT_???")


def _k_mapflags(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _mmap_flags(_arg(a, i))


def _k_atflags(sc: Any, i: int) -> ArgFn:
    name = getattr(sc, "name", "")
    if name in ("faccessat", "faccessat2"):
        return lambda t, a, r: _flags(_arg(a, i) & 0xFFFFFFFF, _fcntl.FACCESSAT_FLAG_NAMES, "AT_???")
    if name == "statx":
        def statx(t: Any, a: tuple[int, ...], r: Any) -> str:
            v = _arg(a, i) & 0xFFFFFFFF
            s = _flags(v & _fcntl.AT_STATX_SYNC_TYPE, _fcntl.STATX_SYNC_NAMES, None)
            rest = v & ~_fcntl.AT_STATX_SYNC_TYPE
            return s + "|" + _flags(rest, _fcntl.AT_FLAG_NAMES, None) if rest else s
        return statx
    return lambda t, a, r: _flags(_arg(a, i) & 0xFFFFFFFF, _fcntl.AT_FLAG_NAMES, "AT_???")


def _k_whence(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _xval(_arg(a, i) & 0xFFFFFFFF, _fcntl.WHENCE_NAMES, "SEEK_???")


def _k_clock(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _xval(_arg(a, i) & 0xFFFFFFFF, _clock.NAMES, "CLOCK_???")


def _k_sig(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _signal.signal_name(_s32(_arg(a, i)))


def _k_how(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _xval(_arg(a, i) & 0xFFFFFFFF, _signal.HOW_NAMES, "SIG_???")


def _k_rlimit(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _xval(_arg(a, i) & 0xFFFFFFFF, _resource.NAMES, "RLIMIT_???")


def _k_timespec_in(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _timespec(t, _arg(a, i))


def _k_struct_out(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _addr(_arg(a, i))


_KINDS: dict[str, Callable[[Any, int], ArgFn]] = {
    "d": _k_d, "u": _k_u, "x": _k_x, "p": _k_p, "fd": _k_fd, "atfd": _k_atfd, "path": _k_path,
    "buf_in": _k_buf_in, "buf_out": _k_buf_out, "iov_in": _k_iov_in, "iov_out": _k_iov_out,
    "oflags": _k_oflags, "mode": _k_mode, "prot": _k_prot, "mapflags": _k_mapflags,
    "atflags": _k_atflags, "whence": _k_whence, "clock": _k_clock, "sig": _k_sig, "how": _k_how,
    "rlimit": _k_rlimit, "timespec_in": _k_timespec_in, "struct_out": _k_struct_out, "struct_in": _k_p,
}


# --- kinds that also decide how the following argument(s) and the return value print

class _Extra:
    """What a multi-argument kind contributes: decoders for args i.. and maybe a return decorator."""

    __slots__ = ("fns", "ret")

    def __init__(self, fns: list[ArgFn], ret: RetFn | None = None) -> None:
        self.fns = fns
        self.ret = ret


def _g_fcntl(sc: Any, i: int) -> _Extra:
    j = i + 1

    def cmd_fn(t: Any, a: tuple[int, ...], r: Any) -> str:
        return _xval(_arg(a, i) & 0xFFFFFFFF, _fcntl.FCNTL_CMD_NAMES, "F_???")

    def arg_fn(t: Any, a: tuple[int, ...], r: Any) -> str | None:
        cmd = _arg(a, i) & 0xFFFFFFFF
        v = _arg(a, j)
        if cmd in (1, 3, 9, 11, 1025, 1032, 1034):  # F_GETFD F_GETFL F_GETOWN F_GETSIG F_GETLEASE ...
            return None
        if cmd == 2:
            return _flags(v, _fcntl.FD_FLAG_NAMES, "FD_???")
        if cmd in (0, 1030, 1031):
            return str(_s64(v))
        if cmd == 8:
            return str(_s32(v))
        if cmd == 4:
            return _open_modes(v)
        if cmd in (6, 7, 37, 38):
            return _flock(t, v, False)
        if cmd in (5, 36):
            return _addr(v) if _is_err(r) else _flock(t, v, True)
        if cmd in (15, 16):
            return _addr(v) if cmd == 16 and _is_err(r) else _owner_ex(t, v)
        if cmd == 1026:
            return _flags(v, _fcntl.NOTIFY_FLAG_NAMES, "DN_???")
        if cmd == 1027:
            return str(_s32(v))
        if cmd == 1024:
            return _xval(v, _fcntl.LOCK_TYPE_NAMES, "F_???")
        if cmd == 1033:
            return _flags(v, _fcntl.SEAL_NAMES, "F_SEAL_???")
        if cmd == 10:
            return _signal.signal_name(_s32(v))
        return _hex(v)

    def ret_fn(t: Any, a: tuple[int, ...], r: int) -> str:
        cmd = _arg(a, i) & 0xFFFFFFFF
        if cmd == 1 and r:
            return f"{_hex(r)} (flags {_flags(r, _fcntl.FD_FLAG_NAMES, None)})"
        if cmd == 3:
            return f"{_hex(r)} (flags {_open_modes(r)})"
        if cmd == 1025:
            name = _fcntl.LOCK_TYPE_NAMES.get(r)
            return f"{_hex(r)} ({name})" if name else _hex(r)
        if cmd == 1034 and r:
            return f"{_hex(r)} (seals {_flags(r, _fcntl.SEAL_NAMES, None)})"
        if cmd == 11 and r:
            return f"{r} ({_signal.signal_name(r)})"
        return str(r)

    return _Extra([cmd_fn, arg_fn], ret_fn)


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


def _g_prctl(sc: Any, i: int) -> _Extra:
    P = _prctl
    no_args = frozenset((P.PR_GET_KEEPCAPS, P.PR_GET_SECCOMP, P.PR_GET_TIMERSLACK, P.PR_GET_TIMING,
                         P.PR_TASK_PERF_EVENTS_DISABLE, P.PR_TASK_PERF_EVENTS_ENABLE,
                         P.PR_GET_DUMPABLE, P.PR_GET_SECUREBITS, P.PR_GET_FP_MODE))
    uint_out = frozenset((P.PR_GET_CHILD_SUBREAPER, P.PR_GET_ENDIAN, P.PR_GET_FPEMU, P.PR_GET_FPEXC))
    u_only = frozenset((P.PR_SET_CHILD_SUBREAPER, P.PR_SET_ENDIAN, P.PR_SET_FPEMU, P.PR_SET_FPEXC,
                        P.PR_SET_KEEPCAPS, P.PR_SET_TIMING))
    u_then_hex = frozenset((P.PR_SET_NO_NEW_PRIVS, P.PR_SET_THP_DISABLE, P.PR_SET_IO_FLUSHER))

    def rest(a: tuple[int, ...], first: int) -> list[str]:
        return [_hex(a[k]) for k in range(i + first, i + 5) if k < len(a)]

    def fn(t: Any, a: tuple[int, ...], r: Any) -> str:
        opt = _arg(a, i) & 0xFFFFFFFF
        out = [_xval(opt, P.NAMES, "PR_???")]
        a2 = _arg(a, i + 1)
        err = _is_err(r)
        if opt in no_args:
            pass
        elif opt in uint_out:
            out.append(_addr(a2) if err else _int_ptr(t, a2, lambda v: str(v & 0xFFFFFFFF)))
        elif opt == P.PR_GET_NAME:
            out.append(_addr(a2) if err else _str0(t, a2, 16))
        elif opt == P.PR_GET_PDEATHSIG:
            out.append(_addr(a2) if err else _int_ptr(t, a2, _signal.signal_name))
        elif opt == P.PR_GET_TID_ADDRESS:
            out.append(_addr(a2) if err else _kptr_ptr(t, a2))
        elif opt == P.PR_GET_TSC:
            out.append(_addr(a2) if err else _int_ptr(
                t, a2, lambda v: _xval(v & 0xFFFFFFFF, P.TSC_NAMES, "PR_TSC_???")))
        elif opt == P.PR_GET_UNALIGN:
            out.append(_addr(a2) if err else _int_ptr(t, a2, lambda v: _flags(
                v & 0xFFFFFFFF, P.UNALIGN_NAMES, "PR_UNALIGN_???")))
        elif opt in u_only:
            out.append(str(a2))
        elif opt == P.PR_SET_DUMPABLE:
            out.append(_xval(a2, P.DUMPABLE_NAMES, "SUID_DUMP_???"))
        elif opt in (P.PR_CAPBSET_DROP, P.PR_CAPBSET_READ):
            out.append(_xval(a2, _capability.NAMES, "CAP_???"))
        elif opt == P.PR_SET_NAME:
            out.append(_str0(t, a2, 15))
        elif opt == P.PR_SET_VMA:
            out.append(_xval(a2, P.SET_VMA_NAMES, "PR_SET_VMA_???"))
            if a2 == P.PR_SET_VMA_ANON_NAME:
                out += [_addr(_arg(a, i + 2)), str(_arg(a, i + 3)), _str0(t, _arg(a, i + 4))]
            else:
                out += rest(a, 2)
        elif opt == P.PR_SET_MM:
            out.append(_xval(a2 & 0xFFFFFFFF, P.SET_MM_NAMES, "PR_SET_MM_???"))
            out += rest(a, 2)
        elif opt == P.PR_SET_PDEATHSIG:
            out.append(str(a2) if a2 > 128 else _signal.signal_name(a2))
        elif opt == P.PR_SET_PTRACER:
            out.append("PR_SET_PTRACER_ANY" if _s32(a2) == -1 else str(_s32(a2)))
        elif opt == P.PR_SET_SECCOMP:
            out.append(_xval(a2, P.SECCOMP_MODE_NAMES, "SECCOMP_MODE_???"))
            if a2 == P.SECCOMP_MODE_FILTER:
                out.append(_addr(_arg(a, i + 2)))
            elif a2 != P.SECCOMP_MODE_STRICT:
                out += rest(a, 2)
        elif opt == P.PR_SET_TIMERSLACK:
            out.append(str(_s64(a2)))
        elif opt == P.PR_SET_TSC:
            out.append(_xval(a2 & 0xFFFFFFFF, P.TSC_NAMES, "PR_TSC_???"))
        elif opt == P.PR_SET_UNALIGN:
            out.append(_flags(a2 & 0xFFFFFFFF, P.UNALIGN_NAMES, "PR_UNALIGN_???"))
        elif opt == P.PR_SET_FP_MODE:
            out.append(_flags(a2 & 0xFFFFFFFF, P.FP_MODE_NAMES, "PR_FP_MODE_???"))
        elif opt in u_then_hex:
            out.append(str(a2))
            out += rest(a, 2)
        else:
            out += rest(a, 1)
        return ", ".join(out)

    def ret_fn(t: Any, a: tuple[int, ...], r: int) -> str:
        if _arg(a, i) & 0xFFFFFFFF == P.PR_GET_DUMPABLE and r in P.DUMPABLE_NAMES:
            return f"{r} ({P.DUMPABLE_NAMES[r]})"
        return str(r)

    # the option decoder prints all the arguments it wants; the other slots print nothing
    return _Extra([fn] + [_none] * 4, ret_fn)


def _none(t: Any, a: tuple[int, ...], r: Any) -> None:
    return None


def _g_arch_prctl(sc: Any, i: int) -> _Extra:
    P = _prctl

    def code_fn(t: Any, a: tuple[int, ...], r: Any) -> str:
        return _xval(_arg(a, i) & 0xFFFFFFFF, P.ARCH_NAMES, "ARCH_???")

    def arg_fn(t: Any, a: tuple[int, ...], r: Any) -> str | None:
        code = _arg(a, i) & 0xFFFFFFFF
        v = _arg(a, i + 1)
        if code in (P.ARCH_GET_FS, P.ARCH_GET_GS):
            return _addr(v) if _is_err(r) else _kptr_ptr(t, v)
        if code == P.ARCH_GET_CPUID:
            return None
        if code in (P.ARCH_GET_XCOMP_SUPP, P.ARCH_GET_XCOMP_PERM, P.ARCH_GET_XCOMP_GUEST_PERM):
            if _is_err(r) or not v:
                return _addr(v)
            m = _unpack(t, v, "<Q")
            return _addr(v) if m is None else f"[{_hex(m[0])}]"
        return _hex(v)

    return _Extra([code_fn, arg_fn])


_GROUPS: dict[str, Callable[[Any, int], _Extra]] = {
    "fcntl": _g_fcntl, "ioctl": _g_ioctl, "prctl": _g_prctl, "arch_prctl": _g_arch_prctl,
}


# --------------------------------------------------------------------------------------------------
# syscalls decoded by name (arguments that are structures strace always shows)


def _ret_octal(t: Any, a: tuple[int, ...], r: int) -> str:
    return _umode(r)


def _by_kinds(sc: Any, kinds: Sequence[str]) -> list[ArgFn]:
    return [_KINDS.get(k, _k_x)(sc, i) for i, k in enumerate(kinds)]


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


def _out(i: int, dec: Callable[[Any, int], str]) -> ArgFn:
    """An output pointer decoded by `dec` when the call succeeded, else its address."""
    return lambda t, a, r: _addr(_arg(a, i)) if _is_err(r) else dec(t, _arg(a, i))


def _n_getrlimit(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_rlimit(sc, 0), _out(1, _rlimit)], None


def _n_setrlimit(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_rlimit(sc, 0), lambda t, a, r: _rlimit(t, _arg(a, 1))], None


def _n_prlimit64(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_d(sc, 0), _k_rlimit(sc, 1), lambda t, a, r: _rlimit(t, _arg(a, 2)), _out(3, _rlimit)], None


def _n_clock_gettime(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_clock(sc, 0), _out(1, _timespec)], None


def _n_clock_settime(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_clock(sc, 0), _k_timespec_in(sc, 1)], None


def _restarted(r: Any) -> bool:
    return isinstance(r, int) and -r in _RESTART_TEXT


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


def _pipe_fds(t: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    v = _unpack(t, addr, "<ii")
    return _addr(addr) if v is None else f"[{v[0]}, {v[1]}]"


def _n_pipe(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_out(0, _pipe_fds)], None


def _n_pipe2(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_out(0, _pipe_fds), lambda t, a, r: _flags(_arg(a, 1) & 0xFFFFFFFF, _fcntl.OPEN_FLAG_NAMES, "O_???")], None


def _n_dup3(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_fd(sc, 0), _k_fd(sc, 1),
            lambda t, a, r: _flags(_arg(a, 2) & 0xFFFFFFFF, _fcntl.OPEN_FLAG_NAMES, "O_???")], None


def _n_wait4(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    def status(t: Any, a: tuple[int, ...], r: Any) -> str:
        addr = _arg(a, 1)
        if r == 0 or _is_err(r) or not addr:
            return _addr(addr)
        v = _unpack(t, addr, "<i")
        return _addr(addr) if v is None else _wait_status(v[0])

    def usage(t: Any, a: tuple[int, ...], r: Any) -> str:
        addr = _arg(a, 3)
        if isinstance(r, int) and r > 0:
            return _rusage(t, addr)
        return _addr(addr)

    return [
        lambda t, a, r: str(_s32(_arg(a, 0))),
        status,
        lambda t, a, r: _flags(_arg(a, 2) & 0xFFFFFFFF, _wait.OPTION_NAMES, "W???"),
        usage,
    ], None


def _n_clone(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    # x86-64: clone(flags, stack, parent_tid, child_tid, tls)
    def fn(t: Any, a: tuple[int, ...], r: Any) -> str:
        raw = _arg(a, 0)
        flags = raw & ~0xFF
        sig = raw & 0xFF
        if flags:
            fs = _flags(flags, _clone.FLAG_NAMES, "CLONE_???")
            if sig:
                fs += "|" + _signal.signal_name(sig)
        else:
            fs = _signal.signal_name(sig)
        out = ["child_stack=" + _addr(_arg(a, 1)), "flags=" + fs]
        err = _is_err(r)
        if flags & (_clone.CLONE_PARENT_SETTID | _clone.CLONE_PIDFD):
            ptid = _arg(a, 2)
            out.append("parent_tid=" + (_addr(ptid) if err else _int_ptr(t, ptid)))
        if flags & _clone.CLONE_SETTLS:
            out.append("tls=" + _addr(_arg(a, 4)))
        if flags & (_clone.CLONE_CHILD_SETTID | _clone.CLONE_CHILD_CLEARTID):
            out.append("child_tidptr=" + _addr(_arg(a, 3)))
        return ", ".join(out)
    return [fn] + [_none] * 4, None


def _n_clone3(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    def fn(t: Any, a: tuple[int, ...], r: Any) -> str:
        addr, size = _arg(a, 0), _arg(a, 1)
        fetch = min(size, 88)
        v = None if fetch < 64 else _read(t, addr, fetch)
        if v is None:
            return f"{_addr(addr)}, {size}"
        v = v.ljust(88, b"\0")
        (flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
         set_tid_size, cgroup) = struct.unpack("<11Q", v)
        out = ["flags=" + _flags(flags, _clone.CLONE3_FLAG_NAMES, "CLONE_???")]
        if flags & _clone.CLONE_PIDFD:
            out.append("pidfd=" + _addr(pidfd))
        if flags & (_clone.CLONE_CHILD_SETTID | _clone.CLONE_CHILD_CLEARTID):
            out.append("child_tid=" + _addr(child_tid))
        if flags & _clone.CLONE_PARENT_SETTID:
            out.append("parent_tid=" + _addr(parent_tid))
        out.append("exit_signal=" + (_signal.signal_name(exit_signal) if exit_signal < 0x7FFFFFFF
                                     else str(exit_signal)))
        out.append("stack=" + _addr(stack))
        out.append("stack_size=" + _hex(stack_size))
        if flags & _clone.CLONE_SETTLS:
            out.append("tls=" + _addr(tls))
        if set_tid or set_tid_size:
            out.append("set_tid=" + _addr(set_tid))
            out.append(f"set_tid_size={set_tid_size}")
        if fetch > 80 and (cgroup or flags & _clone.CLONE_INTO_CGROUP):
            out.append(f"cgroup={cgroup}")
        s = "{" + ", ".join(out) + "}"
        if not _is_err(r) and flags & (_clone.CLONE_PIDFD | _clone.CLONE_PARENT_SETTID):
            changed = []
            if flags & _clone.CLONE_PIDFD:
                changed.append("pidfd=" + _int_ptr(t, pidfd))
            if flags & _clone.CLONE_PARENT_SETTID:
                changed.append("parent_tid=" + _int_ptr(t, parent_tid))
            s += " => {" + ", ".join(changed) + "}"
        return f"{s}, {size}"
    return [fn, _none], None


def _n_futex(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    def fn(t: Any, a: tuple[int, ...], r: Any) -> str:
        op = _s32(_arg(a, 1))
        cmd = op & 127
        val = _arg(a, 2) & 0xFFFFFFFF
        timeout = _arg(a, 3)
        val2 = timeout & 0xFFFFFFFF
        uaddr2 = _arg(a, 4)
        val3 = _arg(a, 5) & 0xFFFFFFFF
        out = [_addr(_arg(a, 0)), _xval(op & 0xFFFFFFFF, _futex.OP_NAMES, "FUTEX_???")]
        bitset = _xval(val3, {_futex.FUTEX_BITSET_MATCH_ANY: "FUTEX_BITSET_MATCH_ANY"}, None)
        if cmd == 0:
            out += [str(val), _timespec(t, timeout)]
        elif cmd in (6, 13):
            out += [_timespec(t, timeout)]
        elif cmd == 9:
            out += [str(val), _timespec(t, timeout), bitset]
        elif cmd == 10:
            out += [str(val), bitset]
        elif cmd == 3:
            out += [str(val), str(val2), _addr(uaddr2)]
        elif cmd in (4, 12):
            out += [str(val), str(val2), _addr(uaddr2), str(val3)]
        elif cmd == 5:
            s = "FUTEX_OP_OPARG_SHIFT<<28|" if (val3 >> 28) & 8 else ""
            wop = (val3 >> 28) & 7
            s += (_futex.WAKE_OP_NAMES[wop] + "<<28") if wop in _futex.WAKE_OP_NAMES else \
                f"{_hex(wop)}<<28 /* FUTEX_OP_??? */"
            s += f"|{_hex((val3 >> 12) & 0xFFF)}<<12|"
            cmp_ = (val3 >> 24) & 0xF
            s += (_futex.WAKE_CMP_NAMES[cmp_] + "<<24") if cmp_ in _futex.WAKE_CMP_NAMES else \
                f"{_hex(cmp_)}<<24 /* FUTEX_OP_CMP_??? */"
            s += "|" + _hex(val3 & 0xFFF)
            out += [str(val), str(val2), _addr(uaddr2), s]
        elif cmd == 11:
            out += [str(val), _timespec(t, timeout), _addr(uaddr2)]
        elif cmd in (1, 2):
            out += [str(val)]
        elif cmd in (7, 8):
            pass
        else:
            out += [str(val), _addr(timeout), _addr(uaddr2), _hex(val3)]
        return ", ".join(out)
    return [fn] + [_none] * 5, None


def _argv(task: Any, addr: int) -> str:
    """strace's printargv: ["a", "b"] with at most 32 strings."""
    if not addr:
        return "NULL"
    out = []
    n = 0
    while True:
        v = _unpack(task, addr, "<Q")
        if v is None:
            if not out and n == 0:
                return _addr(addr)
            out.append(f"... /* {_hex(addr)} */")
            break
        if not v[0]:
            break
        if n >= MAX_STRLEN:
            out.append("...")
            break
        out.append(_str0(task, v[0]))
        addr += 8
        n += 1
    return "[" + ", ".join(out) + "]"


def _envc(task: Any, addr: int) -> str:
    """strace's printargc: 0x7ffe... /* 35 vars */."""
    if not addr:
        return "NULL"
    count = 0
    cur = addr
    terminated = False
    while count < 1 << 20:
        v = _unpack(task, cur, "<Q")
        if v is None:
            break
        if not v[0]:
            terminated = True
            break
        count += 1
        cur += 8
    plural = "" if count == 1 else "s"
    unterminated = "" if terminated else ", unterminated"
    return f"{_addr(addr)} /* {count} var{plural}{unterminated} */"


def _n_execve(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_path(sc, 0), lambda t, a, r: _argv(t, _arg(a, 1)), lambda t, a, r: _envc(t, _arg(a, 2))], None


def _n_execveat(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_atfd(sc, 0), _k_path(sc, 1), lambda t, a, r: _argv(t, _arg(a, 2)),
            lambda t, a, r: _envc(t, _arg(a, 3)),
            lambda t, a, r: _flags(_arg(a, 4) & 0xFFFFFFFF, _fcntl.AT_FLAG_NAMES, "AT_???")], None


def _n_fstat(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_fd(sc, 0), _out(1, _stat)], None


def _n_stat(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_path(sc, 0), _out(1, _stat)], None


def _n_newfstatat(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_atfd(sc, 0), _k_path(sc, 1), _out(2, _stat), _k_atflags(sc, 3)], None


def _dents(reclen_off: int, name_off: int) -> Callable[[Any], tuple[list[ArgFn], RetFn | None]]:
    def make(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
        def fn(t: Any, a: tuple[int, ...], r: Any) -> str:
            addr = _arg(a, 1)
            if not isinstance(r, int) or _is_err(r):
                return _addr(addr)
            length = min(r, 1 << 20)
            if length < name_off:
                length = 0
            data = _read(t, addr, length)
            if data is None:
                return _addr(addr)
            count = i = 0
            while length and i <= length - name_off:
                (reclen,) = struct.unpack_from("<H", data, i + reclen_off)
                count += 1
                if reclen < name_off:
                    break
                i += reclen
            return f"{_addr(addr)} /* {count} entries */"
        return [_k_fd(sc, 0), fn, lambda t, a, r: str(_arg(a, 2) & 0xFFFFFFFF)], None
    return make


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


def _n_getcwd(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    def fn(t: Any, a: tuple[int, ...], r: Any) -> str:
        addr = _arg(a, 0)
        if not isinstance(r, int) or _is_err(r) or not addr:
            return _addr(addr)
        s = _cstr(t, addr, max(r, 0))
        return _addr(addr) if s is None else quote_string(s)
    return [fn, _k_u(sc, 1)], None


def _n_getrandom(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    def buf(t: Any, a: tuple[int, ...], r: Any) -> str:
        if not isinstance(r, int) or r < 0:
            return _addr(_arg(a, 0))
        return _strn(t, _arg(a, 0), r, hexmode=True)
    return [buf, _k_u(sc, 1), lambda t, a, r: _flags(_arg(a, 2) & 0xFFFFFFFF, _getrandom.FLAG_NAMES, "GRND_???")], None


def _access_mode(i: int) -> ArgFn:
    return lambda t, a, r: _flags(_arg(a, i) & 0xFFFFFFFF, _fcntl.ACCESS_MODE_NAMES, "?_OK")


def _n_access(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_path(sc, 0), _access_mode(1)], None


def _n_faccessat(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    fns = [_k_atfd(sc, 0), _k_path(sc, 1), _access_mode(2)]
    if sc.name == "faccessat2":
        fns.append(_k_atflags(sc, 3))
    return fns, None


def _n_madvise(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_p(sc, 0), _k_u(sc, 1),
            lambda t, a, r: _xval(_arg(a, 2) & 0xFFFFFFFF, _mman.MADV_NAMES, "MADV_???")], None


def _n_mremap(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    def new_addr(t: Any, a: tuple[int, ...], r: Any) -> str | None:
        return _addr(_arg(a, 4)) if _arg(a, 3) & 3 == 3 else None
    return [_k_p(sc, 0), _k_u(sc, 1), _k_u(sc, 2),
            lambda t, a, r: _flags(_arg(a, 3), _mman.MREMAP_FLAG_NAMES, "MREMAP_???"), new_addr], \
        lambda t, a, r: _hex(r & MASK64)


def _n_umask(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [lambda t, a, r: _umode(_arg(a, 0))], _ret_octal


def _cpus(task: Any, addr: int, size: int) -> str:
    """strace's print_affinitylist: [0 2 5]."""
    if not addr:
        return "NULL"
    data = _read(task, addr, min(size & MASK64, 1 << 16))
    if data is None:
        return _addr(addr)
    mask = int.from_bytes(data, "little")
    return "[" + " ".join(str(i) for i in range(mask.bit_length()) if mask >> i & 1) + "]"


def _n_sched_getaffinity(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    def mask(t: Any, a: tuple[int, ...], r: Any) -> str:
        if not isinstance(r, int) or r < 0:
            return _addr(_arg(a, 2))
        return _cpus(t, _arg(a, 2), r)
    return [_k_d(sc, 0), _k_u(sc, 1), mask], None


def _n_sched_setaffinity(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_d(sc, 0), _k_u(sc, 1), lambda t, a, r: _cpus(t, _arg(a, 2), _arg(a, 1))], None


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


def _ret_signal(t: Any, a: tuple[int, ...], r: int) -> str:
    return f"{r} ({_signal.signal_name(r)})" if r else "0"


def _n_rt_sigtimedwait(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [lambda t, a, r: _sigset(t, _arg(a, 0), _arg(a, 3)), _out(1, _siginfo_at),
            _k_timespec_in(sc, 2), _k_u(sc, 3)], _ret_signal


def _n_rt_sigqueueinfo(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_d(sc, 0), _k_sig(sc, 1), lambda t, a, r: _siginfo_at(t, _arg(a, 2))], None


def _n_rt_tgsigqueueinfo(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_d(sc, 0), _k_d(sc, 1), _k_sig(sc, 2), lambda t, a, r: _siginfo_at(t, _arg(a, 3))], None


def _n_waitid(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [lambda t, a, r: _xval(_arg(a, 0) & 0xFFFFFFFF, _wait.IDTYPE_NAMES, "P_???"),
            lambda t, a, r: str(_s32(_arg(a, 1))), _out(2, _siginfo_at),
            lambda t, a, r: _flags(_arg(a, 3) & 0xFFFFFFFF, _wait.OPTION_NAMES, "W???"), _out(4, _rusage)], None


def _ulong_ptr(t: Any, addr: int) -> str:
    if not addr:
        return "NULL"
    v = _unpack(t, addr, "<Q")
    return _addr(addr) if v is None else f"[{v[0]}]"


def _n_get_robust_list(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_d(sc, 0), _out(1, _kptr_ptr), _out(2, _ulong_ptr)], None


def _id(i: int) -> ArgFn:
    """A uid/gid: (uid_t) -1 prints as -1."""
    def fn(t: Any, a: tuple[int, ...], r: Any) -> str:
        v = _arg(a, i) & 0xFFFFFFFF
        return "-1" if v == 0xFFFFFFFF else str(v)
    return fn


def _n_chown(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    first = _k_fd(sc, 0) if sc.name == "fchown" else _k_path(sc, 0)
    return [first, _id(1), _id(2)], None


def _n_fchownat(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_atfd(sc, 0), _k_path(sc, 1), _id(2), _id(3), _k_atflags(sc, 4)], None


def _n_renameat2(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_atfd(sc, 0), _k_path(sc, 1), _k_atfd(sc, 2), _k_path(sc, 3),
            lambda t, a, r: _flags(_arg(a, 4) & 0xFFFFFFFF, _fcntl.RENAME_FLAG_NAMES, "RENAME_???")], None


def _n_preadv(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    # x86-64 passes the offset whole in the 4th register; strace shows 4 arguments
    iov = _k_iov_out(sc, 1) if sc.name == "preadv" else _k_iov_in(sc, 1)
    return [_k_fd(sc, 0), iov, _k_u(sc, 2), _k_d(sc, 3)], None


def _n_rseq(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_x(sc, 0), _k_x(sc, 1), _k_x(sc, 2), _k_x(sc, 3)], None


def _n_restart_syscall(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    def fn(t: Any, a: tuple[int, ...], r: Any) -> str:
        nr = getattr(t, "restart_nr", None)
        name = _SYSCALL_NAMES.get(nr, "call") if isinstance(nr, int) else "call"
        return f"<... resuming interrupted {name} ...>"
    return [fn], None


_BY_NAME: dict[str, Callable[[Any], tuple[list[ArgFn], RetFn | None]]] = {
    "rt_sigprocmask": _n_rt_sigprocmask, "rt_sigaction": _n_rt_sigaction,
    "rt_sigpending": _n_rt_sigpending, "rt_sigsuspend": _n_rt_sigsuspend,
    "getrlimit": _n_getrlimit, "setrlimit": _n_setrlimit, "prlimit64": _n_prlimit64,
    "clock_gettime": _n_clock_gettime, "clock_getres": _n_clock_gettime, "clock_settime": _n_clock_settime,
    "nanosleep": _n_nanosleep, "clock_nanosleep": _n_clock_nanosleep,
    "pipe": _n_pipe, "pipe2": _n_pipe2, "dup3": _n_dup3, "wait4": _n_wait4,
    "clone": _n_clone, "clone3": _n_clone3, "futex": _n_futex,
    "execve": _n_execve, "execveat": _n_execveat,
    "fstat": _n_fstat, "stat": _n_stat, "lstat": _n_stat, "newfstatat": _n_newfstatat,
    "getdents64": _dents(16, 19), "getdents": _dents(16, 18), "uname": _n_uname,
    "getcwd": _n_getcwd, "getrandom": _n_getrandom,
    "access": _n_access, "faccessat": _n_faccessat, "faccessat2": _n_faccessat,
    "madvise": _n_madvise, "mremap": _n_mremap, "umask": _n_umask,
    "sched_getaffinity": _n_sched_getaffinity, "sched_setaffinity": _n_sched_setaffinity,
    "sigaltstack": _n_sigaltstack, "gettimeofday": _n_gettimeofday, "time": _n_time,
    "getitimer": _n_getitimer, "setitimer": _n_setitimer, "timer_create": _n_timer_create,
    "timer_settime": _n_timer_settime, "timer_gettime": _n_timer_gettime,
    "rt_sigtimedwait": _n_rt_sigtimedwait, "rt_sigqueueinfo": _n_rt_sigqueueinfo,
    "rt_tgsigqueueinfo": _n_rt_tgsigqueueinfo, "waitid": _n_waitid, "get_robust_list": _n_get_robust_list,
    "chown": _n_chown, "lchown": _n_chown, "fchown": _n_chown, "fchownat": _n_fchownat,
    "renameat2": _n_renameat2, "preadv": _n_preadv, "pwritev": _n_preadv, "rseq": _n_rseq,
    "restart_syscall": _n_restart_syscall,
}
_NORETURN = frozenset(("exit", "exit_group"))
_AT_ENTRY = frozenset(("execve", "execveat"))  # arguments vanish with the old address space


# --------------------------------------------------------------------------------------------------
# plans: the decoders of one table entry, built once


def _ret_d(t: Any, a: tuple[int, ...], r: int) -> str:
    return str(r)


def _ret_u(t: Any, a: tuple[int, ...], r: int) -> str:
    return str(r & MASK64)


def _ret_x(t: Any, a: tuple[int, ...], r: int) -> str:
    return _hex(r & MASK64)


_RETS: dict[str, RetFn] = {"d": _ret_d, "fd": _ret_d, "u": _ret_u, "x": _ret_x, "p": _ret_x, "o": _ret_octal}


class _Plan:
    __slots__ = ("sc", "name", "args", "ret", "noreturn", "at_entry")

    def __init__(self, sc: Any) -> None:
        self.sc = sc
        self.name: str = sc.name
        self.ret: RetFn = _RETS.get(sc.ret, _ret_d)
        self.noreturn = sc.name in _NORETURN
        self.at_entry = sc.name in _AT_ENTRY
        by_name = _BY_NAME.get(sc.name)
        fns: list[ArgFn]
        if by_name is not None:
            fns, ret = by_name(sc)
            if ret is not None:
                self.ret = ret
        else:
            fns = []
            kinds = tuple(sc.args)
            i = 0
            while i < len(kinds):
                kind = kinds[i]
                group = _GROUPS.get(kind)
                if group is not None:
                    extra = group(sc, i)
                    fns.extend(extra.fns)
                    if extra.ret is not None:
                        self.ret = extra.ret
                    i += len(extra.fns)
                    continue
                fns.append(_KINDS.get(kind, _k_x)(sc, i))
                i += 1
        self.args: tuple[ArgFn, ...] = tuple(fns)


_PLANS: dict[int, _Plan] = {}


def _plan(sc: Any) -> _Plan:
    p = _PLANS.get(sc.nr)
    if p is None or p.sc is not sc:
        p = _PLANS[sc.nr] = _Plan(sc)
    return p


def _norm_args(args: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(v) & MASK64 for v in args)


def _norm_ret(ret: Any) -> Any:
    """Signed 64-bit results; None (not returned yet) and action objects pass through."""
    if isinstance(ret, int) and not isinstance(ret, bool):
        return _s64(ret)
    return None


def _arg_texts(plan: _Plan, task: Any, args: tuple[int, ...], ret: Any) -> str:
    parts = []
    for i, fn in enumerate(plan.args):
        try:
            s = fn(task, args, ret)
        except Exception:  # a decoder must never take the kernel down: fall back to hex
            s = _hex(args[i]) if i < len(args) else None
        if s is not None:
            parts.append(s)
    return ", ".join(parts)


def _ret_text(plan: _Plan, task: Any, args: tuple[int, ...], ret: Any) -> str:
    if plan.noreturn or not isinstance(ret, int) or isinstance(ret, bool):
        return "?"
    r = _s64(ret)
    if -MAX_ERRNO <= r < 0:
        restart = _RESTART_TEXT.get(-r)
        if restart is not None:
            return "? " + restart
        return "-1 " + _errno_text(-r)
    try:
        return plan.ret(task, args, r)
    except Exception:
        return str(r)


def format_call(task: Any, sc: Syscall, args: Sequence[int], ret: Any) -> str:
    """The strace line of a completed call, without the [pid N] prefix and column alignment."""
    plan = _plan(sc)
    a = _norm_args(args)
    r = _norm_ret(ret)
    return f"{plan.name}({_arg_texts(plan, task, a, r)}) = {_ret_text(plan, task, a, r)}"


# --------------------------------------------------------------------------------------------------
# signals and exits


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


def format_exit(status: int) -> str:
    """+++ exited with N +++ / +++ killed by SIG (core dumped) +++ from a raw wait status."""
    status &= 0xFFFF
    low = status & 0x7F
    if low == 0:
        return f"+++ exited with {(status >> 8) & 0xFF} +++"
    if low == 0x7F:
        return f"--- stopped by {_signal.signal_name((status >> 8) & 0xFF)} ---"
    return "+++ killed by {}{} +++".format(_signal.signal_name(low), " (core dumped)" if status & 0x80 else "")


# --------------------------------------------------------------------------------------------------
# the tracer


class Tracer:
    """Writes strace -f lines to `stream`.

    The kernel calls `syscall()` after each completed call (and may call `enter()` before execve so
    that its arguments are read from the old address space), `signal()` when a signal is delivered,
    `exit()` when a task ends and `note()` for events of its own.  `multi` (set by the kernel, or
    passed per call) adds strace's ``[pid N] `` prefix while more than one task is traced.
    With `align` (default) the ``=`` is padded to column 40 like strace; `flush` flushes each line.
    """

    def __init__(self, stream: TextIO, *, align: bool = True, flush: bool = True) -> None:
        self.stream = stream
        self.multi = False
        self.align = align
        self.flush = flush
        self._pending: dict[int, tuple[Any, str]] = {}

    def _prefix(self, task: Any, multi: bool | None) -> str:
        if self.multi if multi is None else multi:
            return f"[pid {task.tid:5d}] "
        return ""

    def _emit(self, line: str) -> None:
        self.stream.write(line + "\n")
        if self.flush:
            self.stream.flush()

    def enter(self, task: Any, sc: Syscall, args: Sequence[int]) -> None:
        """Optional hook at syscall entry: captures the arguments of calls that destroy them (execve)."""
        plan = _plan(sc)
        if plan.at_entry:
            self._pending[task.tid] = (sc, _arg_texts(plan, task, _norm_args(args), None))

    def syscall(self, task: Any, sc: Syscall, args: Sequence[int], ret: Any, multi: bool | None = None) -> None:
        """One completed call: ``name(args) = ret``."""
        plan = _plan(sc)
        a = _norm_args(args)
        r = _norm_ret(ret)
        pending = self._pending.pop(task.tid, None) if self._pending else None
        if pending is not None and pending[0] is sc:
            text = pending[1]
        else:
            text = _arg_texts(plan, task, a, r)
        line = f"{self._prefix(task, multi)}{plan.name}({text})"
        if self.align and len(line) < ALIGN_COLUMN:
            line = line.ljust(ALIGN_COLUMN)
        self._emit(f"{line} = {_ret_text(plan, task, a, r)}")

    def signal(self, task: Any, sig: int, fields: Mapping[str, Any] | None = None,
               multi: bool | None = None) -> None:
        """A delivered signal: ``--- SIGSEGV {si_signo=SIGSEGV, ...} ---``."""
        self._emit(self._prefix(task, multi) + format_signal(sig, fields))

    def exit(self, task: Any, status: int, multi: bool | None = None) -> None:
        """The end of a task, from its raw wait status: ``+++ exited with 0 +++``."""
        self._pending.pop(task.tid, None)
        self._emit(self._prefix(task, multi) + format_exit(status))

    def note(self, task: Any, text: str, multi: bool | None = None) -> None:
        """A kernel event of our own, e.g. ``--- preempted by host timer ---``."""
        if not text.startswith(("---", "+++")):
            text = f"--- {text} ---"
        self._emit(self._prefix(task, multi) + text)
