"""Which decoder prints which argument: the per-kind decoders (`_KINDS`), the kinds that also decide
the following arguments and the return value (`_GROUPS`), and the syscalls decoded by name
(`_BY_NAME`).  A plan is built once per syscall table entry and cached; `format_call` gives the line of a
completed call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .decode_fs import (
    _dents,
    _g_fcntl,
    _k_atfd,
    _k_atflags,
    _k_buf_in,
    _k_buf_out,
    _k_iov_in,
    _k_iov_out,
    _k_mode,
    _k_oflags,
    _k_path,
    _k_whence,
    _n_access,
    _n_chown,
    _n_dup3,
    _n_faccessat,
    _n_fchownat,
    _n_fstat,
    _n_getcwd,
    _n_newfstatat,
    _n_pipe,
    _n_pipe2,
    _n_preadv,
    _n_renameat2,
    _n_stat,
    _n_umask,
)
from .decode_ioctl import _g_ioctl
from .decode_misc import _n_getrandom, _n_uname
from .decode_mm import _k_mapflags, _k_prot, _n_madvise, _n_mremap
from .decode_process import (
    _g_arch_prctl,
    _g_prctl,
    _k_rlimit,
    _n_clone,
    _n_clone3,
    _n_execve,
    _n_execveat,
    _n_futex,
    _n_get_robust_list,
    _n_getrlimit,
    _n_prlimit64,
    _n_rseq,
    _n_sched_getaffinity,
    _n_sched_setaffinity,
    _n_setrlimit,
    _n_wait4,
    _n_waitid,
)
from .decode_signal import (
    _k_how,
    _k_sig,
    _n_restart_syscall,
    _n_rt_sigaction,
    _n_rt_sigpending,
    _n_rt_sigprocmask,
    _n_rt_sigqueueinfo,
    _n_rt_sigsuspend,
    _n_rt_sigtimedwait,
    _n_rt_tgsigqueueinfo,
    _n_sigaltstack,
)
from .decode_time import (
    _k_clock,
    _k_timespec_in,
    _n_clock_gettime,
    _n_clock_nanosleep,
    _n_clock_settime,
    _n_getitimer,
    _n_gettimeofday,
    _n_nanosleep,
    _n_setitimer,
    _n_time,
    _n_timer_create,
    _n_timer_gettime,
    _n_timer_settime,
)
from .format import (
    _RESTART_TEXT,
    MASK64,
    MAX_ERRNO,
    ArgFn,
    RetFn,
    _errno_text,
    _Extra,
    _hex,
    _k_d,
    _k_fd,
    _k_p,
    _k_struct_out,
    _k_u,
    _k_x,
    _ret_d,
    _ret_octal,
    _ret_u,
    _ret_x,
    _s64,
)

if TYPE_CHECKING:
    from ..syscalls.table import Syscall


_KINDS: dict[str, Callable[[Any, int], ArgFn]] = {
    "d": _k_d, "u": _k_u, "x": _k_x, "p": _k_p, "fd": _k_fd, "atfd": _k_atfd, "path": _k_path,
    "buf_in": _k_buf_in, "buf_out": _k_buf_out, "iov_in": _k_iov_in, "iov_out": _k_iov_out,
    "oflags": _k_oflags, "mode": _k_mode, "prot": _k_prot, "mapflags": _k_mapflags,
    "atflags": _k_atflags, "whence": _k_whence, "clock": _k_clock, "sig": _k_sig, "how": _k_how,
    "rlimit": _k_rlimit, "timespec_in": _k_timespec_in, "struct_out": _k_struct_out, "struct_in": _k_p,
}


_GROUPS: dict[str, Callable[[Any, int], _Extra]] = {
    "fcntl": _g_fcntl, "ioctl": _g_ioctl, "prctl": _g_prctl, "arch_prctl": _g_arch_prctl,
}


def _by_kinds(sc: Any, kinds: Sequence[str]) -> list[ArgFn]:
    return [_KINDS.get(k, _k_x)(sc, i) for i, k in enumerate(kinds)]


# syscalls decoded by name (arguments that are structures strace always shows)
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
