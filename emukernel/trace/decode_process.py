"""Decoders of process and thread calls: clone flags and clone3's clone_args, wait4/waitid (wait
status, options, rusage), execve's argv and environment count, resource limits, prctl options and
arch_prctl codes, futex operations, CPU affinity masks, robust lists and rseq; and the ``+++ exited with
N +++`` line of an ending task (`format_exit`).
"""

from __future__ import annotations

import struct
from typing import Any

from ..abi import capability as _capability
from ..abi import clone as _clone
from ..abi import fcntl as _fcntl
from ..abi import futex as _futex
from ..abi import prctl as _prctl
from ..abi import resource as _resource
from ..abi import signal as _signal
from ..abi import wait as _wait
from .decode_fs import _k_atfd, _k_path
from .decode_signal import _siginfo_at
from .decode_time import _timespec, _timeval
from .format import (
    MASK64,
    MAX_STRLEN,
    ArgFn,
    RetFn,
    _addr,
    _arg,
    _Extra,
    _flags,
    _hex,
    _int_ptr,
    _is_err,
    _k_d,
    _k_u,
    _k_x,
    _kptr_ptr,
    _none,
    _out,
    _read,
    _s32,
    _s64,
    _str0,
    _ulong_ptr,
    _unpack,
    _xval,
)


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


def _k_rlimit(sc: Any, i: int) -> ArgFn:
    return lambda t, a, r: _xval(_arg(a, i) & 0xFFFFFFFF, _resource.NAMES, "RLIMIT_???")


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


def _n_getrlimit(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_rlimit(sc, 0), _out(1, _rlimit)], None


def _n_setrlimit(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_rlimit(sc, 0), lambda t, a, r: _rlimit(t, _arg(a, 1))], None


def _n_prlimit64(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_d(sc, 0), _k_rlimit(sc, 1), lambda t, a, r: _rlimit(t, _arg(a, 2)), _out(3, _rlimit)], None


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


def _n_waitid(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [lambda t, a, r: _xval(_arg(a, 0) & 0xFFFFFFFF, _wait.IDTYPE_NAMES, "P_???"),
            lambda t, a, r: str(_s32(_arg(a, 1))), _out(2, _siginfo_at),
            lambda t, a, r: _flags(_arg(a, 3) & 0xFFFFFFFF, _wait.OPTION_NAMES, "W???"), _out(4, _rusage)], None


def _n_get_robust_list(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_d(sc, 0), _out(1, _kptr_ptr), _out(2, _ulong_ptr)], None


def _n_rseq(sc: Any) -> tuple[list[ArgFn], RetFn | None]:
    return [_k_x(sc, 0), _k_x(sc, 1), _k_x(sc, 2), _k_x(sc, 3)], None


def format_exit(status: int) -> str:
    """+++ exited with N +++ / +++ killed by SIG (core dumped) +++ from a raw wait status."""
    status &= 0xFFFF
    low = status & 0x7F
    if low == 0:
        return f"+++ exited with {(status >> 8) & 0xFF} +++"
    if low == 0x7F:
        return f"--- stopped by {_signal.signal_name((status >> 8) & 0xFF)} ---"
    return "+++ killed by {}{} +++".format(_signal.signal_name(low), " (core dumped)" if status & 0x80 else "")
