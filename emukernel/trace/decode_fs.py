"""Decoders of file and file-descriptor arguments.

Paths and at-fds, open flags and modes, at-flags (statx's and faccessat2's variants), lseek whence,
read/write buffers and iovecs, fcntl commands with their argument and result (flock, f_owner_ex,
F_NOTIFY, seals), struct stat, getdents entry counts, pipe fds, access modes, uid/gid arguments, umask,
renameat2 flags and preadv/pwritev.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from ..abi import fcntl as _fcntl
from ..abi import signal as _signal
from .format import (
    MASK64,
    MAX_STRLEN,
    ArgFn,
    RetFn,
    _addr,
    _arg,
    _cstr,
    _Extra,
    _flags,
    _hex,
    _is_err,
    _k_d,
    _k_fd,
    _k_u,
    _out,
    _path,
    _read,
    _ret_octal,
    _s32,
    _s64,
    _strn,
    _umode,
    _unpack,
    _xval,
    quote_string,
)


def _open_modes(v: int) -> str:
    v &= 0xFFFFFFFF
    s = _fcntl.ACCMODE_NAMES[v & 3]
    rest = v & ~3
    return s + "|" + _flags(rest, _fcntl.OPEN_FLAG_NAMES, None) if rest else s


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


def _n_getcwd(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    def fn(t: Any, a: tuple[int, ...], r: Any) -> str:
        addr = _arg(a, 0)
        if not isinstance(r, int) or _is_err(r) or not addr:
            return _addr(addr)
        s = _cstr(t, addr, max(r, 0))
        return _addr(addr) if s is None else quote_string(s)
    return [fn, _k_u(sc, 1)], None


def _access_mode(i: int) -> ArgFn:
    return lambda t, a, r: _flags(_arg(a, i) & 0xFFFFFFFF, _fcntl.ACCESS_MODE_NAMES, "?_OK")


def _n_access(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_path(sc, 0), _access_mode(1)], None


def _n_faccessat(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    fns = [_k_atfd(sc, 0), _k_path(sc, 1), _access_mode(2)]
    if sc.name == "faccessat2":
        fns.append(_k_atflags(sc, 3))
    return fns, None


def _n_umask(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [lambda t, a, r: _umode(_arg(a, 0))], _ret_octal


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
