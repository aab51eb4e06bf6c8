"""Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise (the rules live in emukernel.mm)."""

from __future__ import annotations

from ..abi import errno as E
from ..abi import mman as M
from ..errors import Errno
from . import s32
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
