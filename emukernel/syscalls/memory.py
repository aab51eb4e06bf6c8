"""Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, msync and the mlock family (the rules live in
emukernel.mm)."""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi import mman as M
from ..abi.capability import CAP_IPC_LOCK
from ..abi.mman import PAGE_SIZE
from ..creds import capable
from ..errors import Errno
from . import s32, u64
from .table import syscall

_MAP_KNOWN = (M.MAP_TYPE | M.MAP_FIXED | M.MAP_ANONYMOUS | M.MAP_32BIT | M.MAP_GROWSDOWN | M.MAP_DENYWRITE
              | M.MAP_EXECUTABLE | M.MAP_LOCKED | M.MAP_NORESERVE | M.MAP_POPULATE | M.MAP_NONBLOCK
              | M.MAP_STACK | M.MAP_HUGETLB | M.MAP_SYNC | M.MAP_FIXED_NOREPLACE | M.MAP_UNINITIALIZED
              | (0x3F << 26))


@syscall("brk", "p", ret="x")
def sys_brk(task, addr):
    return task.mm.set_brk(addr)


@syscall("mmap", "p", "u", "prot", "mapflags", "fd", "x", ret="x")
def sys_mmap(task, addr, length, prot, flags, fd, offset):
    # Linux: mm/mmap.c ksys_mmap_pgoff + do_mmap
    mtype = flags & M.MAP_TYPE
    if mtype not in (M.MAP_SHARED, M.MAP_PRIVATE, M.MAP_SHARED_VALIDATE):
        raise Errno(E.EINVAL)
    if mtype == M.MAP_SHARED_VALIDATE and flags & ~_MAP_KNOWN:
        raise Errno(E.EOPNOTSUPP)
    if prot & ~(M.PROT_READ | M.PROT_WRITE | M.PROT_EXEC | M.PROT_GROWSDOWN | M.PROT_GROWSUP):
        raise Errno(E.EINVAL)
    if mtype == M.MAP_SHARED_VALIDATE:
        flags = (flags & ~M.MAP_TYPE) | M.MAP_SHARED
    if flags & M.MAP_HUGETLB:
        raise Errno(E.EINVAL)  # no hugetlbfs pages are reserved, as on a default Linux install
    file = None
    if not flags & M.MAP_ANONYMOUS:
        file = task.files.get(s32(fd))
        file.check_mmap(prot, flags)
    return task.mm.mmap(addr, length, prot & 7, flags, file, offset)


@syscall("munmap", "p", "u")
def sys_munmap(task, addr, length):
    return task.mm.munmap(addr, length)


@syscall("mprotect", "p", "u", "prot")
def sys_mprotect(task, addr, length, prot):
    return task.mm.mprotect(addr, length, prot)


@syscall("mremap", "p", "u", "u", "x", "p", ret="x")
def sys_mremap(task, old, old_len, new_len, flags, new_addr):
    return task.mm.mremap(old, old_len, new_len, flags, new_addr)


@syscall("madvise", "p", "u", "d")
def sys_madvise(task, addr, length, advice):
    return task.mm.madvise(addr, length, s32(advice))


MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT = 1, 2, 4
MLOCK_ONFAULT = 1



def _mlock_range(task: Any, start: int, length: int) -> None:
    # Linux: mm/mlock.c do_mlock: page-align; RLIMIT_MEMLOCK 0 without CAP_IPC_LOCK is EPERM; holes ENOMEM
    end = (start + length + 4095) & ~4095
    start &= ~4095
    if end < start or end > 1 << 64:
        raise Errno(E.EINVAL)
    if end == start:
        return
    if not capable(task.creds, CAP_IPC_LOCK):
        limit = task.tg.rlimits[8][0]  # RLIMIT_MEMLOCK
        if limit == 0:
            raise Errno(E.EPERM)
        if end - start > limit:
            raise Errno(E.ENOMEM)
    addr = start
    while addr < end:
        v = task.mm.find_vma(addr)
        if v is None:
            raise Errno(E.ENOMEM)
        addr = v.end


@syscall("mlock", "p", "u")
def sys_mlock(task: Any, start: int, length: int) -> int:
    _mlock_range(task, start, length)
    return 0


@syscall("mlock2", "p", "u", "x")
def sys_mlock2(task: Any, start: int, length: int, flags: int) -> int:
    if flags & ~MLOCK_ONFAULT:
        raise Errno(E.EINVAL)
    _mlock_range(task, start, length)
    return 0


@syscall("munlock", "p", "u")
def sys_munlock(task: Any, start: int, length: int) -> int:
    end = (start + length + 4095) & ~4095
    if end < (start & ~4095):
        raise Errno(E.EINVAL)
    addr = start & ~4095
    while addr < end:
        v = task.mm.find_vma(addr)
        if v is None:
            raise Errno(E.ENOMEM)
        addr = v.end
    return 0


@syscall("mlockall", "x")
def sys_mlockall(task: Any, flags: int) -> int:
    flags = s32(flags)
    if not flags or flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) or flags == MCL_ONFAULT:
        raise Errno(E.EINVAL)
    if not capable(task.creds, CAP_IPC_LOCK) and task.tg.rlimits[8][0] == 0:
        raise Errno(E.EPERM)
    return 0


@syscall("munlockall")
def sys_munlockall(task: Any) -> int:
    return 0


MS_ASYNC = 1
MS_INVALIDATE = 2
MS_SYNC = 4


@syscall("msync", "p", "u", "x")
def sys_msync(task: Any, start: int, length: int, flags: int) -> int:
    # Linux: mm/msync.c: tmpfs and memfd shared mappings are the file's memory, so there is nothing to
    # write back; only the range is checked (ENOMEM for unmapped parts)
    flags = s32(flags)
    if flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC):
        raise Errno(E.EINVAL)
    if start & (PAGE_SIZE - 1):
        raise Errno(E.EINVAL)
    if flags & MS_ASYNC and flags & MS_SYNC:
        raise Errno(E.EINVAL)
    end = start + ((u64(length) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
    if end >= 1 << 64 or end < start:
        raise Errno(E.ENOMEM)
    cur = start
    mm = task.mm
    for v in mm._overlapping(start, end):
        if v.start > cur:
            raise Errno(E.ENOMEM)
        cur = v.end
    if cur < end:
        raise Errno(E.ENOMEM)
    return 0
