"""ptrace (Linux kernel/ptrace.c).  Today: the access check every caller shares (procfs, pidfd_getfd, setns,
and next PTRACE_ATTACH)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .abi.capability import CAP_SYS_PTRACE
from .creds import capable
from .mm import SUID_DUMP_USER

if TYPE_CHECKING:
    from .task import Task

# include/linux/ptrace.h
PTRACE_MODE_READ = 0x01
PTRACE_MODE_ATTACH = 0x02
PTRACE_MODE_NOAUDIT = 0x04
PTRACE_MODE_FSCREDS = 0x08
PTRACE_MODE_REALCREDS = 0x10
PTRACE_MODE_READ_FSCREDS = PTRACE_MODE_READ | PTRACE_MODE_FSCREDS
PTRACE_MODE_READ_REALCREDS = PTRACE_MODE_READ | PTRACE_MODE_REALCREDS
PTRACE_MODE_ATTACH_FSCREDS = PTRACE_MODE_ATTACH | PTRACE_MODE_FSCREDS
PTRACE_MODE_ATTACH_REALCREDS = PTRACE_MODE_ATTACH | PTRACE_MODE_REALCREDS


def ptrace_may_access(task: Task, target: Task, mode: int) -> bool:
    """__ptrace_may_access: may `task` inspect (READ) or trace (ATTACH) `target`?  A thread of the caller's
    own group always may; otherwise the caller's real (REALCREDS) or filesystem (FSCREDS) uid and gid must
    equal every uid and gid of the target, or it holds CAP_SYS_PTRACE; and a target whose mm is not
    dumpable needs CAP_SYS_PTRACE whatever the ids.  (No LSM: this host's Yama is not enabled.)"""
    assert mode & (PTRACE_MODE_FSCREDS | PTRACE_MODE_REALCREDS), "a mode names the credentials to use"
    if target.tg is task.tg:
        return True
    c, t = task.creds, target.creds
    if mode & PTRACE_MODE_FSCREDS:
        uid, gid = c.fsuid, c.fsgid
    else:
        uid, gid = c.uid, c.gid
    if not (uid == t.euid == t.suid == t.uid and gid == t.egid == t.sgid == t.gid) \
            and not capable(c, CAP_SYS_PTRACE):
        return False
    mm = target.mm
    return mm is None or mm.dumpable == SUID_DUMP_USER or capable(c, CAP_SYS_PTRACE)
