"""syslog, the klogctl interface (Linux kernel/printk/printk.c)."""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi.capability import CAP_SYS_ADMIN, CAP_SYSLOG
from ..creds import capable
from ..errors import Errno
from . import s32
from .table import syscall

SYSLOG_ACTION_CLOSE, SYSLOG_ACTION_OPEN, SYSLOG_ACTION_READ, SYSLOG_ACTION_READ_ALL = 0, 1, 2, 3
SYSLOG_ACTION_READ_CLEAR, SYSLOG_ACTION_CLEAR, SYSLOG_ACTION_SIZE_UNREAD, SYSLOG_ACTION_SIZE_BUFFER = 4, 5, 9, 10
LOG_BUF_LEN = 1 << 17


@syscall("syslog", "d", "p", "d")
def sys_syslog(task: Any, type_: int, buf: int, length: int) -> int:
    # Linux: kernel/printk/printk.c do_syslog, with dmesg_restrict=1 (Debian's default): everything but
    # open/close needs CAP_SYSLOG (CAP_SYS_ADMIN is accepted too, with a warning).  The log is empty.
    type_, length = s32(type_), s32(length)
    if type_ not in (SYSLOG_ACTION_CLOSE, SYSLOG_ACTION_OPEN) and not (
            capable(task.creds, CAP_SYSLOG) or capable(task.creds, CAP_SYS_ADMIN)):
        raise Errno(E.EPERM)
    if type_ in (SYSLOG_ACTION_CLOSE, SYSLOG_ACTION_OPEN, SYSLOG_ACTION_CLEAR, 6, 7, 8):
        if type_ == 8 and not 1 <= length <= 8:
            raise Errno(E.EINVAL)
        return 0
    if type_ in (SYSLOG_ACTION_READ, SYSLOG_ACTION_READ_ALL, SYSLOG_ACTION_READ_CLEAR):
        if length < 0:
            raise Errno(E.EINVAL)
        if not buf and length:
            raise Errno(E.EINVAL if type_ == SYSLOG_ACTION_READ else E.EFAULT)
        if type_ == SYSLOG_ACTION_READ:
            return 0  # nothing will ever be logged; Linux would wait for a message
        return 0
    if type_ == SYSLOG_ACTION_SIZE_UNREAD:
        return 0
    if type_ == SYSLOG_ACTION_SIZE_BUFFER:
        return LOG_BUF_LEN
    raise Errno(E.EINVAL)
