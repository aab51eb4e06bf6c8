"""process_vm_readv and process_vm_writev (Linux mm/process_vm_access.c): copy between our iovecs and
another process's, without ptrace but with its access check (PTRACE_MODE_ATTACH_REALCREDS).

The order of Linux's checks: flags, the local iovecs (EINVAL, EFAULT; nothing to move gives 0), the remote
iovecs (EINVAL, EFAULT; no remote byte gives 0), then the process (ESRCH, EPERM).  Remote ranges are used in
order; the copy stops at the first remote page that cannot be touched or the first local byte that cannot,
and returns what was copied, or EFAULT when nothing was.  No FOLL_FORCE: the remote pages' protections hold.
"""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..errors import Errno
from ..ptrace import PTRACE_MODE_ATTACH_REALCREDS, ptrace_may_access
from ..vm_access import access_read, access_write
from . import s32, u64
from .read_write import IOVEC, UIO_MAXIOV, import_iovec
from .table import syscall


def _remote_iovecs(task: Any, iov: int, iovcnt: int) -> list[tuple[int, int]]:
    """iovec_from_user: the remote ranges, only checked for their count and for negative lengths."""
    if iovcnt == 0:
        return []
    if iovcnt > UIO_MAXIOV:
        raise Errno(E.EINVAL)
    vecs = list(IOVEC.iter_unpack(task.mm.read(iov, IOVEC.size * iovcnt)))
    if any(length >> 63 for _, length in vecs):
        raise Errno(E.EINVAL)
    return vecs


def _local_prefix_read(task: Any, addr: int, size: int) -> bytes:
    """The bytes of our own memory at addr up to the first one that cannot be read (copy_from_user)."""
    return access_read(task.mm, addr, size, False)


def process_vm_rw(task: Any, pid: int, lvec: int, liovcnt: int, rvec: int, riovcnt: int, flags: int,
                  write: bool) -> int:
    """process_vm_rw + process_vm_rw_core."""
    if flags != 0:
        raise Errno(E.EINVAL)
    local = import_iovec(task, lvec, liovcnt)
    if not sum(n for _, n in local):
        return 0
    remote = _remote_iovecs(task, rvec, u64(riovcnt))
    if not any(n for _, n in remote):
        return 0
    target = task.kernel.find_task(task, s32(pid))
    if target is None:
        raise Errno(E.ESRCH)
    mm = target.mm
    if mm is None:
        raise Errno(E.ESRCH)
    if mm is not task.mm and not ptrace_may_access(task, target, PTRACE_MODE_ATTACH_REALCREDS):
        raise Errno(E.EPERM)  # mm_access says EACCES; these calls say EPERM
    copied = 0
    li, loff = 0, 0  # the local iovec being filled (or drained) and how far into it
    failed = False
    for rbase, rlen in remote:
        if li >= len(local) or failed:
            break
        pos, rend = rbase, rbase + rlen
        while pos < rend and li < len(local):
            lbase, llen = local[li]
            n = min(rend - pos, llen - loff)
            if n == 0:
                li, loff = li + 1, 0
                continue
            if write:
                data = _local_prefix_read(task, lbase + loff, n)
                done = access_write(mm, pos, data, False)
            else:
                data = access_read(mm, pos, n, False)
                done = access_write(task.mm, lbase + loff, data, False)
            copied += done
            pos += done
            loff += done
            if loff == llen:
                li, loff = li + 1, 0
            if done < n:
                failed = True
                break
    if not copied and failed:
        raise Errno(E.EFAULT)
    return copied


@syscall("process_vm_readv", "d", "p", "u", "p", "u", "x")
def sys_process_vm_readv(task: Any, pid: int, lvec: int, liovcnt: int, rvec: int, riovcnt: int,
                         flags: int) -> int:
    return process_vm_rw(task, pid, lvec, liovcnt, rvec, riovcnt, u64(flags), False)


@syscall("process_vm_writev", "d", "p", "u", "p", "u", "x")
def sys_process_vm_writev(task: Any, pid: int, lvec: int, liovcnt: int, rvec: int, riovcnt: int,
                          flags: int) -> int:
    return process_vm_rw(task, pid, lvec, liovcnt, rvec, riovcnt, u64(flags), True)
