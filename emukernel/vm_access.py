"""Access to another address space's memory, page protections checked as get_user_pages checks them (Linux
mm/gup.c check_vma_flags, mm/memory.c access_remote_vm): what ptrace's PEEK/POKE, process_vm_readv/writev and
/proc/PID/mem share.

`force` is FOLL_FORCE: a debugger's access, which reads any mapped page (PROT_NONE included) and writes a
private page that is not writable (the copy-on-write a breakpoint needs); a shared mapping that is not
writable stays refused.  Without it the VMA's own protection decides.  A transfer stops at the first page it
may not touch and says how far it got; writes to executable memory drop the CPU's translations of it.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING

from .abi.mman import PROT_EXEC, PROT_READ, PROT_WRITE

if TYPE_CHECKING:
    from .mm import AddressSpace, Vma

_memmove = ctypes.memmove
_string_at = ctypes.string_at


def vma_allows(v: Vma, write: bool, force: bool) -> bool:
    """check_vma_flags: may an access of this kind reach the VMA's pages?"""
    if write:
        if v.prot & PROT_WRITE:
            return True
        return force and not v.shared  # FOLL_FORCE writes only where copy-on-write can happen
    return bool(v.prot & PROT_READ) or force


def _accessible(mm: AddressSpace, addr: int, write: bool, force: bool) -> tuple[Vma, int] | None:
    """The VMA at addr and how far from addr its pages may be touched, or None."""
    v = mm.find_vma(addr)
    if v is None or not vma_allows(v, write, force):
        return None
    end = v.end
    if v.bus_from and addr >= v.bus_from:  # past the end of the mapped file: a fault there is SIGBUS
        if not mm.fault_in_file_page(addr):
            return None
        if v.bus_from and addr >= v.bus_from:
            return None
    if v.bus_from:
        end = v.bus_from
    return v, end


def access_read(mm: AddressSpace, addr: int, size: int, force: bool) -> bytes:
    """access_remote_vm for reading: the bytes from addr up to the first page that cannot be read."""
    out = []
    cur, end = addr, addr + size
    while cur < end:
        hit = _accessible(mm, cur, False, force)
        if hit is None:
            break
        v, vend = hit
        n = min(end, vend) - cur
        out.append(_string_at(v.host + (cur - v.start), n))
        cur += n
    return b"".join(out)


def access_write(mm: AddressSpace, addr: int, data: bytes, force: bool) -> int:
    """access_remote_vm for writing: store data from addr up to the first page that cannot be written;
    returns how many bytes were stored.  Translated code of the pages written is dropped."""
    cur, end = addr, addr + len(data)
    while cur < end:
        hit = _accessible(mm, cur, True, force)
        if hit is None:
            break
        v, vend = hit
        n = min(end, vend) - cur
        _memmove(v.host + (cur - v.start), data[cur - addr:cur - addr + n], n)
        if v.prot & PROT_EXEC:
            mm.cpu.flush_code(cur, cur + n)
        cur += n
    return cur - addr
