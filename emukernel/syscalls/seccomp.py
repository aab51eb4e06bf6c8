"""seccomp(2) and prctl's PR_SET_SECCOMP / PR_GET_SECCOMP (Linux kernel/seccomp.c do_seccomp,
seccomp_set_mode_strict, seccomp_set_mode_filter, seccomp_get_action_avail, seccomp_get_notif_sizes)."""

from __future__ import annotations

import struct

from ..abi import errno as E
from ..abi.resource import RLIMIT_NOFILE
from ..abi.seccomp import (
    SECCOMP_ACTIONS,
    SECCOMP_DATA_SIZE,
    SECCOMP_FILTER_FLAG_MASK,
    SECCOMP_FILTER_FLAG_NEW_LISTENER,
    SECCOMP_FILTER_FLAG_TSYNC,
    SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
    SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
    SECCOMP_GET_ACTION_AVAIL,
    SECCOMP_GET_NOTIF_SIZES,
    SECCOMP_MODE_DISABLED,
    SECCOMP_MODE_FILTER,
    SECCOMP_MODE_STRICT,
    SECCOMP_NOTIF_RESP_SIZE,
    SECCOMP_NOTIF_SIZE,
    SECCOMP_SET_MODE_FILTER,
    SECCOMP_SET_MODE_STRICT,
)
from ..errors import Errno
from ..seccomp.filter import Seccomp, TsyncFailed, seccomp_attach_filter, seccomp_prepare_user_filter
from ..seccomp.notify import init_listener
from ..threadgroup import task_rlimit
from .table import syscall

NOTIF_SIZES = struct.Struct("<HHH")


def seccomp_may_assign_mode(task, mode: int) -> bool:
    """seccomp_may_assign_mode: a task may enter a mode once, and only filter mode again."""
    sc = task.seccomp
    current = sc.mode if sc is not None else SECCOMP_MODE_DISABLED
    return current == SECCOMP_MODE_DISABLED or (current == mode and mode == SECCOMP_MODE_FILTER)


def seccomp_assign_mode(task, mode: int) -> None:
    sc = task.seccomp
    if sc is None:
        sc = task.seccomp = Seccomp()
    sc.mode = mode
    task.syscall_work_changed()


def seccomp_set_mode_strict(task) -> int:
    if not seccomp_may_assign_mode(task, SECCOMP_MODE_STRICT):
        raise Errno(E.EINVAL)
    seccomp_assign_mode(task, SECCOMP_MODE_STRICT)
    return 0


def seccomp_set_mode_filter(task, flags: int, uargs: int) -> int:
    """seccomp_set_mode_filter: the flag rules, the program, the listener, then the filter attached."""
    if flags & ~SECCOMP_FILTER_FLAG_MASK:
        raise Errno(E.EINVAL)
    # NEW_LISTENER returns an fd on success and TSYNC a tid on failure: together only with TSYNC_ESRCH
    if flags & SECCOMP_FILTER_FLAG_TSYNC and flags & SECCOMP_FILTER_FLAG_NEW_LISTENER \
            and not flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH:
        raise Errno(E.EINVAL)
    if flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV and not flags & SECCOMP_FILTER_FLAG_NEW_LISTENER:
        raise Errno(E.EINVAL)
    prepared = seccomp_prepare_user_filter(task, uargs)
    listener = None
    if flags & SECCOMP_FILTER_FLAG_NEW_LISTENER:
        task.files.alloc_fd(0, task_rlimit(task, RLIMIT_NOFILE))  # get_unused_fd_flags: EMFILE first
        listener = init_listener(task.kernel, prepared)
    if not seccomp_may_assign_mode(task, SECCOMP_MODE_FILTER):
        raise Errno(E.EINVAL)
    if listener is not None and task.seccomp is not None and task.seccomp.filter is not None \
            and any(f.notif is not None for f in task.seccomp.filter.chain()):
        raise Errno(E.EBUSY)  # has_duplicate_listener
    try:
        seccomp_attach_filter(task, flags, prepared)
    except TsyncFailed as failed:
        return failed.tid
    seccomp_assign_mode(task, SECCOMP_MODE_FILTER)
    if listener is not None:
        return task.files.install(listener, cloexec=True, limit=task_rlimit(task, RLIMIT_NOFILE))
    return 0


def do_seccomp(task, op: int, flags: int, uargs: int) -> int:
    if op == SECCOMP_SET_MODE_STRICT:
        if flags != 0 or uargs != 0:
            raise Errno(E.EINVAL)
        return seccomp_set_mode_strict(task)
    if op == SECCOMP_SET_MODE_FILTER:
        return seccomp_set_mode_filter(task, flags, uargs)
    if op == SECCOMP_GET_ACTION_AVAIL:
        if flags != 0:
            raise Errno(E.EINVAL)
        action = task.mm.read_u32(uargs)
        if action not in SECCOMP_ACTIONS:
            raise Errno(E.EOPNOTSUPP)
        return 0
    if op == SECCOMP_GET_NOTIF_SIZES:
        if flags != 0:
            raise Errno(E.EINVAL)
        task.mm.write(uargs, NOTIF_SIZES.pack(SECCOMP_NOTIF_SIZE, SECCOMP_NOTIF_RESP_SIZE, SECCOMP_DATA_SIZE))
        return 0
    raise Errno(E.EINVAL)


@syscall("seccomp", "u", "x", "p")
def sys_seccomp(task, op, flags, uargs):
    return do_seccomp(task, op & 0xFFFFFFFF, flags & 0xFFFFFFFF, uargs)


def prctl_set_seccomp(task, mode: int, filt: int) -> int:
    """prctl_set_seccomp: strict mode ignores the filter argument; no flags."""
    if mode == SECCOMP_MODE_STRICT:
        return do_seccomp(task, SECCOMP_SET_MODE_STRICT, 0, 0)
    if mode == SECCOMP_MODE_FILTER:
        return do_seccomp(task, SECCOMP_SET_MODE_FILTER, 0, filt)
    raise Errno(E.EINVAL)


def prctl_get_seccomp(task) -> int:
    sc = task.seccomp
    return sc.mode if sc is not None else SECCOMP_MODE_DISABLED
