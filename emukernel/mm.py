"""AddressSpace (Linux mm_struct): VMAs tracked in Python over one Unicorn CPU, guest memory in host memory.

Every guest page is a page of a host mapping made with libc mmap and handed to Unicorn with
`uc_mem_map_ptr`, so the kernel reads and writes guest memory with memmove (no binding round trip) and fork
can copy at memcpy speed.  Each VMA knows the host address of its first byte; a VMA's host range is always
part of one host mapping, so it can be moved with the host's mremap.
"""

from __future__ import annotations

import bisect
import ctypes
import struct

from .abi import errno as E
from .abi import mman as M
from .cpu import Cpu
from .errors import Errno, Fault
from .fs.fscontext import d_path
from .fs.inode import allow_write_access, deny_write_access

PAGE = M.PAGE_SIZE
TASK_SIZE = 0x7FFFFFFFF000  # Linux: arch/x86/include/asm/page_64_types.h TASK_SIZE_MAX (4-level paging)
MMAP_MIN_ADDR = 0x10000  # /proc/sys/vm/mmap_min_addr
STACK_TOP = TASK_SIZE
STACK_RLIMIT = 8 * 1024 * 1024
STACK_GUARD_GAP = 256 * PAGE  # Linux: mm/mmap.c stack_guard_gap
MIN_MMAP_GAP = 128 * 1024 * 1024  # Linux: mm/util.c MIN_GAP
BRK_RESERVE = 1 << 32  # host address space reserved for the heap (lazily committed)

_libc = ctypes.CDLL(None, use_errno=True)
_host_mmap = _libc.mmap
_host_mmap.restype = ctypes.c_void_p
_host_mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
_host_munmap = _libc.munmap
_host_munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
_host_mremap = _libc.mremap
_host_mremap.restype = ctypes.c_void_p
_host_mremap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int)
_host_madvise = _libc.madvise
_host_madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
_memmove = ctypes.memmove
_string_at = ctypes.string_at
_HOST_FAILED = ctypes.c_void_p(-1).value

_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")

# Unicorn access types seen by the invalid-memory hook
UC_MEM_READ, UC_MEM_WRITE, UC_MEM_FETCH = 16, 17, 18
UC_MEM_READ_UNMAPPED, UC_MEM_WRITE_UNMAPPED, UC_MEM_FETCH_UNMAPPED = 19, 20, 21
UC_MEM_WRITE_PROT, UC_MEM_READ_PROT, UC_MEM_FETCH_PROT = 22, 23, 24


def page_up(n: int) -> int:
    return (n + PAGE - 1) & ~(PAGE - 1)


def page_down(n: int) -> int:
    return n & ~(PAGE - 1)


def host_alloc(size: int, shared: bool = False) -> int:
    """A fresh zero-filled host mapping of `size` bytes (lazily committed)."""
    flags = (0x01 if shared else 0x02) | 0x20 | 0x4000  # MAP_SHARED/PRIVATE | ANONYMOUS | NORESERVE
    addr = _host_mmap(None, size, 0x3, flags, -1, 0)
    if addr is None or addr == _HOST_FAILED:
        raise Errno(E.ENOMEM)
    return addr


def host_free(addr: int, size: int) -> None:
    if size:
        _host_munmap(addr, size)


def file_name(file) -> str:
    """The path /proc/PID/maps shows for a file mapping."""

    class _Top:  # a root no path reaches: the name runs up to the top of the mount tree
        mnt = dentry = None

    try:
        return d_path(file.path, _Top).decode(errors="replace")  # type: ignore[arg-type]
    except Exception:
        return ""


def uc_perms(prot: int) -> int:
    """x86 has no write-only or exec-only pages: any access right implies read."""
    p = prot & 7
    return p | 1 if p else 0


class SharedBlock:
    """A host mapping behind MAP_SHARED VMAs, possibly in several address spaces; freed with its last VMA."""

    __slots__ = ("base", "size", "refs")

    def __init__(self, base: int, size: int) -> None:
        self.base = base
        self.size = size
        self.refs = 1


class Vma:
    """One virtual memory area (vm_area_struct): [start, end) with its protection and host backing."""

    __slots__ = ("start", "end", "prot", "flags", "host", "name", "pgoff", "inode", "growsdown", "block",
                 "bus_from")

    def __init__(self, start: int, end: int, prot: int, flags: int, host: int, name: str = "",
                 pgoff: int = 0, inode: object = None, growsdown: bool = False,
                 block: SharedBlock | None = None) -> None:
        self.start = start
        self.end = end
        self.prot = prot
        self.flags = flags
        self.host = host
        self.name = name
        self.pgoff = pgoff
        self.inode = inode
        self.growsdown = growsdown
        self.block = block
        self.bus_from = 0  # file mappings: pages from here on lie past the file's end (SIGBUS)

    def split(self, at: int) -> Vma:
        """Cut this VMA at `at`; this keeps [start, at), the returned VMA holds [at, end)."""
        off = at - self.start
        tail = Vma(at, self.end, self.prot, self.flags, self.host + off, self.name,
                   self.pgoff + (off >> 12 if self.inode is not None else 0), self.inode, self.growsdown,
                   self.block)
        if self.block is not None:
            self.block.refs += 1
        tail.bus_from = self.bus_from
        self.end = at
        return tail

    @property
    def shared(self) -> bool:
        return self.flags & M.MAP_TYPE == M.MAP_SHARED

    def __repr__(self) -> str:
        return f"<Vma {self.start:#x}-{self.end:#x} prot={self.prot} {self.name}>"


SUID_DUMP_DISABLE, SUID_DUMP_USER = 0, 1  # include/linux/sched/coredump.h


class AddressSpace:
    """A process's address space on one Unicorn CPU (Linux mm_struct)."""

    def __init__(self, cpu) -> None:
        self.cpu = cpu
        self.vmas: list[Vma] = []
        self._starts: list[int] = []
        self.mmap_base = page_down(TASK_SIZE - max(STACK_RLIMIT + STACK_GUARD_GAP, MIN_MMAP_GAP))
        self.start_brk = 0
        self.brk = 0
        self._brk_host = 0  # host reservation backing the heap
        self.stack_reserve: tuple[int, int] = (0, 0)  # host (base, size) of the main stack reservation
        self.fault_addr = 0
        self.fault_access = 0
        self.users = 1  # tasks sharing this mm (CLONE_VM)
        self.exe = None  # the file this image was loaded from
        self.dumpable = SUID_DUMP_USER  # get_dumpable(mm): PR_SET_DUMPABLE, cleared by a set-id exec
        self.membarrier_registered = 0  # MEMBARRIER_CMD_REGISTER_* this mm made (mm->membarrier_state)
        self.arg_start = self.arg_end = self.env_start = self.env_end = 0
        self.start_code = self.end_code = self.start_data = self.end_data = self.start_stack = 0
        cpu.hook_mem_invalid(self._on_invalid_access)

    # -- VMA bookkeeping ---------------------------------------------------------------------------
    def find_vma(self, addr: int) -> Vma | None:
        """The VMA containing addr, or None."""
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0:
            v = self.vmas[i]
            if addr < v.end:
                return v
        return None

    def _insert(self, vma: Vma) -> None:
        i = bisect.bisect_left(self._starts, vma.start)
        self.vmas.insert(i, vma)
        self._starts.insert(i, vma.start)

    def _reindex(self) -> None:
        self.vmas.sort(key=lambda v: v.start)
        self._starts = [v.start for v in self.vmas]

    def _overlapping(self, start: int, end: int) -> list[Vma]:
        i = max(bisect.bisect_right(self._starts, start) - 1, 0)
        out = []
        for v in self.vmas[i:]:
            if v.start >= end:
                break
            if v.end > start:
                out.append(v)
        return out

    def is_free(self, start: int, end: int) -> bool:
        return not self._overlapping(start, end)

    def _split_at(self, addr: int) -> None:
        v = self.find_vma(addr)
        if v is not None and v.start < addr:
            self._insert(v.split(addr))

    # -- mapping primitives ------------------------------------------------------------------------
    def map_region(self, start: int, length: int, prot: int, flags: int, name: str = "",
                   host: int | None = None, pgoff: int = 0, inode: object = None,
                   growsdown: bool = False) -> Vma:
        """Map [start, start+length) (page-aligned, free) with fresh or given host memory."""
        block = None
        if host is None:
            host = host_alloc(length, shared=flags & M.MAP_TYPE == M.MAP_SHARED)
            if flags & M.MAP_TYPE == M.MAP_SHARED:
                block = SharedBlock(host, length)
        err = self.cpu.map_ptr(start, length, uc_perms(prot), host)
        if err:
            raise RuntimeError(f"uc_mem_map_ptr({start:#x}, {length:#x}) failed: {err}")
        vma = Vma(start, start + length, prot, flags, host, name, pgoff, inode, growsdown, block)
        self._insert(vma)
        return vma

    def unmap_range(self, start: int, end: int) -> None:
        """Remove every mapping in [start, end) (do_munmap)."""
        if not self._overlapping(start, end):
            return
        self._split_at(start)
        self._split_at(end)
        for v in self._overlapping(start, end):
            self.cpu.unmap(v.start, v.end - v.start)
            self._release_host(v)
            self.vmas.remove(v)
        self._reindex()

    def _release_host(self, v: Vma) -> None:
        size = v.end - v.start
        if v.block is not None:
            v.block.refs -= 1
            if v.block.refs == 0:
                host_free(v.block.base, v.block.size)
            return
        lo, hi = self.stack_reserve[0], self.stack_reserve[0] + self.stack_reserve[1]
        if self._brk_host <= v.host < self._brk_host + BRK_RESERVE or lo <= v.host < hi:
            _host_madvise(v.host, size, M.MADV_DONTNEED)  # keep the reservation, drop the pages
        else:
            host_free(v.host, size)

    def get_unmapped_area(self, length: int, hint: int = 0) -> int:
        """Top-down search below mmap_base, honouring a free page-aligned hint (arch_get_unmapped_area_topdown)."""
        if length > TASK_SIZE - MMAP_MIN_ADDR:
            raise Errno(E.ENOMEM)
        if hint:
            hint = page_up(hint)
            if MMAP_MIN_ADDR <= hint and hint + length <= TASK_SIZE and self.is_free(hint, hint + length):
                return hint
        top = self.mmap_base
        for v in reversed(self.vmas):
            if v.start >= top:
                continue
            if v.end <= top - length:
                if v.end + length <= top:
                    return top - length
            top = min(top, v.start)
        if top - length >= MMAP_MIN_ADDR:
            return top - length
        # bottom-up fallback above the brk area, as Linux does when top-down fails
        low = max(MMAP_MIN_ADDR, page_up(self.brk or MMAP_MIN_ADDR))
        for v in self.vmas:
            if v.end <= low:
                continue
            if v.start >= low + length:
                return low
            low = max(low, v.end)
        if low + length <= TASK_SIZE:
            return low
        raise Errno(E.ENOMEM)

    # -- the mm syscalls ----------------------------------------------------------------------------
    def mmap(self, addr: int, length: int, prot: int, flags: int, file=None, offset: int = 0) -> int:
        """do_mmap for anonymous and file-backed mappings; returns the address or raises Errno."""
        if length == 0:
            raise Errno(E.EINVAL)
        if offset & (PAGE - 1):
            raise Errno(E.EINVAL)
        length = page_up(length)
        if length == 0 or length > TASK_SIZE:
            raise Errno(E.ENOMEM)
        fixed = flags & (M.MAP_FIXED | M.MAP_FIXED_NOREPLACE)
        if fixed:
            if addr & (PAGE - 1):
                raise Errno(E.EINVAL)
            if addr + length > TASK_SIZE or addr < MMAP_MIN_ADDR:
                raise Errno(E.EPERM if addr < MMAP_MIN_ADDR else E.ENOMEM)
            if flags & M.MAP_FIXED_NOREPLACE and not flags & M.MAP_FIXED:
                if not self.is_free(addr, addr + length):
                    raise Errno(E.EEXIST)
            start = addr
        else:
            start = self.get_unmapped_area(length, addr)
        data = None
        block = None
        if file is not None:
            # a file that can share its memory (tmpfs, memfd) gives MAP_SHARED mappings that memory itself
            if flags & M.MAP_TYPE == M.MAP_SHARED:
                block = file.map_shared(offset, length, prot)
            if block is None:
                data = file.read_for_mmap(offset, length)
        if fixed:
            self.unmap_range(start, start + length)
        name = file_name(file) if file is not None else ""
        vma = self.map_region(start, length, prot, flags & ~(M.MAP_FIXED | M.MAP_FIXED_NOREPLACE), name,
                              host=block.base if block is not None else None, pgoff=offset >> 12, inode=file,
                              growsdown=bool(flags & M.MAP_GROWSDOWN))
        if block is not None:
            vma.block = block
        if data:
            _memmove(vma.host, data, len(data))
        if file is not None:
            # pages wholly past the end of the file raise SIGBUS when touched: keep them inaccessible; a
            # fault there looks at the file again (it may have grown: fault_in_file_page)
            if block is None:
                covered = len(data or b"")
            else:
                try:
                    covered = max(0, file.stat().size - offset)
                except Exception:
                    covered = length
            bus_from = start + min(length, page_up(covered))
            if bus_from < start + length:
                vma.bus_from = bus_from
                self.cpu.protect(bus_from, start + length - bus_from, 0)
        return start

    def fault_in_file_page(self, addr: int) -> bool:
        """A page past the file's end when it was mapped: if the file now covers it, make it accessible
        with the file's bytes (a private copy) and return True; else False (the access is SIGBUS)."""
        v = self.find_vma(addr)
        page = page_down(addr)
        off = (v.pgoff << 12) + (page - v.start)
        if v.block is not None:  # the file's own memory: just let the access through if the file covers it
            try:
                size = v.inode.stat().size
            except Exception:
                return False
            if size <= off:
                return False
            new_from = min(v.end, page + page_up(size - off))
            self.cpu.protect(v.bus_from, new_from - v.bus_from, uc_perms(v.prot))
            v.bus_from = new_from if new_from < v.end else 0
            return True
        try:
            data = v.inode.read_for_mmap(off, PAGE)
        except Exception:
            return False
        if not data:
            return False
        # everything before this page is mapped already; the area now starts after the file's new end
        new_from = min(v.end, page + page_up(len(data)))
        ctypes.memset(v.host + (page - v.start), 0, new_from - page)
        _memmove(v.host + (page - v.start), data, len(data))
        self.cpu.protect(v.bus_from, new_from - v.bus_from, uc_perms(v.prot))
        v.bus_from = new_from if new_from < v.end else 0
        return True

    def in_sigbus_area(self, addr: int) -> bool:
        """addr is in a file mapping beyond the end of its file (a fault there is SIGBUS, not SIGSEGV)."""
        v = self.find_vma(addr)
        return v is not None and v.bus_from != 0 and addr >= v.bus_from

    def munmap(self, addr: int, length: int) -> int:
        if addr & (PAGE - 1) or length == 0:
            raise Errno(E.EINVAL)
        length = page_up(length)
        if addr + length > TASK_SIZE or addr + length < addr:
            raise Errno(E.EINVAL)
        self.unmap_range(addr, addr + length)
        return 0

    def mprotect(self, addr: int, length: int, prot: int) -> int:
        if addr & (PAGE - 1):
            raise Errno(E.EINVAL)
        if prot & ~(M.PROT_READ | M.PROT_WRITE | M.PROT_EXEC | M.PROT_GROWSDOWN | M.PROT_GROWSUP):
            raise Errno(E.EINVAL)
        if prot & M.PROT_GROWSDOWN and prot & M.PROT_GROWSUP:
            raise Errno(E.EINVAL)
        end = addr + page_up(length)
        if end < addr:
            raise Errno(E.ENOMEM)
        if end == addr:
            return 0
        prot &= 7
        # every page must be mapped (ENOMEM on a hole), checked before anything changes
        cur = addr
        for v in self._overlapping(addr, end):
            if v.start > cur:
                raise Errno(E.ENOMEM)
            cur = v.end
        if cur < end:
            raise Errno(E.ENOMEM)
        self._split_at(addr)
        self._split_at(end)
        for v in self._overlapping(addr, end):
            v.prot = prot
        self.cpu.protect(addr, end - addr, uc_perms(prot))
        return 0

    def mremap(self, old: int, old_len: int, new_len: int, flags: int, new_addr: int = 0) -> int:
        """Linux mm/mremap.c: shrink in place, grow in place when the room is free, else move."""
        if flags & ~(M.MREMAP_MAYMOVE | M.MREMAP_FIXED | M.MREMAP_DONTUNMAP):
            raise Errno(E.EINVAL)
        if flags & M.MREMAP_FIXED and not flags & M.MREMAP_MAYMOVE:
            raise Errno(E.EINVAL)
        if flags & M.MREMAP_DONTUNMAP:
            raise Errno(E.EINVAL)  # not supported yet: needs a zero-filled replacement of the old range
        if old & (PAGE - 1):
            raise Errno(E.EINVAL)
        old_len = page_up(old_len)
        new_len = page_up(new_len)
        if new_len == 0:
            raise Errno(E.EINVAL)
        if old_len == 0:
            raise Errno(E.EINVAL)  # duplicating a shared mapping is not supported
        vma = self.find_vma(old)
        if vma is None or old + old_len > vma.end:
            raise Errno(E.EFAULT)
        if flags & M.MREMAP_FIXED:
            if new_addr & (PAGE - 1):
                raise Errno(E.EINVAL)
            if new_addr < old + max(old_len, new_len) and old < new_addr + new_len:
                raise Errno(E.EINVAL)
            self.unmap_range(new_addr, new_addr + new_len)
            return self._move(vma, old, old_len, new_len, new_addr)
        if new_len <= old_len:
            self.unmap_range(old + new_len, old + old_len)
            return old
        if old + old_len == vma.end and old + new_len <= TASK_SIZE and \
                self.is_free(old + old_len, old + new_len):
            return self._move(vma, old, old_len, new_len, old)
        if not flags & M.MREMAP_MAYMOVE:
            raise Errno(E.ENOMEM)
        return self._move(vma, old, old_len, new_len, self.get_unmapped_area(new_len))

    def _move(self, vma: Vma, old: int, old_len: int, new_len: int, dest: int) -> int:
        """Give [old, old+old_len) of `vma` a host block of new_len bytes at guest address dest."""
        self._split_at(old)
        self._split_at(old + old_len)
        piece = self.find_vma(old)
        assert piece is not None
        self.cpu.unmap(old, old_len)
        self.vmas.remove(piece)
        self._reindex()
        block = None
        if piece.block is not None:
            # shared memory may be mapped by other address spaces: never move its host pages; the moved
            # range gets a copy in a block of its own (Linux would keep sharing the shmem object)
            host = host_alloc(new_len, True)
            block = SharedBlock(host, new_len)
            _memmove(host, piece.host, old_len)
            self._release_host(piece)
        else:
            reserved = self._is_reserved(piece.host) or self._in_stack_reserve(piece.host)
            # pages of a heap or stack reservation are copied: moving them would leave a hole there
            host = None if reserved else _host_mremap(piece.host, old_len, new_len, 1)  # MREMAP_MAYMOVE
            if host is None or host == _HOST_FAILED:
                host = host_alloc(new_len)
                _memmove(host, piece.host, old_len)
                self._release_host(piece)
        err = self.cpu.map_ptr(dest, new_len, uc_perms(piece.prot), host)
        if err:
            raise RuntimeError(f"uc_mem_map_ptr in mremap failed: {err}")
        self._insert(Vma(dest, dest + new_len, piece.prot, piece.flags, host, piece.name, piece.pgoff,
                         piece.inode, piece.growsdown, block))
        return dest

    def _is_reserved(self, host: int) -> bool:
        return self._brk_host <= host < self._brk_host + BRK_RESERVE

    def madvise(self, addr: int, length: int, advice: int) -> int:
        if addr & (PAGE - 1):
            raise Errno(E.EINVAL)
        end = addr + page_up(length)
        if advice not in (M.MADV_NORMAL, M.MADV_RANDOM, M.MADV_SEQUENTIAL, M.MADV_WILLNEED, M.MADV_DONTNEED,
                          M.MADV_FREE, M.MADV_DONTFORK, M.MADV_DOFORK, M.MADV_MERGEABLE, M.MADV_UNMERGEABLE,
                          M.MADV_HUGEPAGE, M.MADV_NOHUGEPAGE, M.MADV_DONTDUMP, M.MADV_DODUMP,
                          M.MADV_WIPEONFORK, M.MADV_KEEPONFORK, M.MADV_COLD, M.MADV_PAGEOUT, M.MADV_REMOVE):
            raise Errno(E.EINVAL)
        cur = addr
        hole = False
        for v in self._overlapping(addr, end):
            if v.start > cur:
                hole = True
            lo, hi = max(v.start, addr), min(v.end, end)
            if advice in (M.MADV_DONTNEED, M.MADV_FREE) and not v.shared:
                # private anonymous pages read back as zeros; file-backed private pages would re-read
                # the file, which we model by zeroing too (only anonymous memory is promised here)
                ctypes.memset(v.host + (lo - v.start), 0, hi - lo)
            cur = v.end
        if cur < end or hole:
            raise Errno(E.ENOMEM)
        return 0

    def set_brk(self, new: int) -> int:
        """Linux mm/mmap.c brk: returns the new break, or the old one when the request cannot be met."""
        if new < self.start_brk:
            return self.brk
        old_top = page_up(self.brk)
        new_top = page_up(new)
        if new_top == old_top:
            self.brk = new
            return new
        if new_top < old_top:
            self.cpu.unmap(new_top, old_top - new_top)
            heap = self.find_vma(self.start_brk)
            _host_madvise(self._brk_host + (new_top - self.start_brk), old_top - new_top, M.MADV_DONTNEED)
            if heap is not None:
                if new_top <= heap.start:
                    self.vmas.remove(heap)
                    self._reindex()
                else:
                    heap.end = new_top
            self.brk = new
            return new
        if new_top - self.start_brk > BRK_RESERVE or not self.is_free(old_top, new_top + PAGE) \
                or new_top > self.mmap_base:
            return self.brk
        if not self._brk_host:
            self._brk_host = host_alloc(BRK_RESERVE)
        err = self.cpu.map_ptr(old_top, new_top - old_top, 3, self._brk_host + (old_top - self.start_brk))
        if err:
            return self.brk
        heap = self.find_vma(old_top - 1) if old_top > self.start_brk else None
        if heap is not None and heap.name == "[heap]":
            heap.end = new_top
        else:
            self._insert(Vma(old_top, new_top, 3, M.MAP_PRIVATE | M.MAP_ANONYMOUS,
                             self._brk_host + (old_top - self.start_brk), "[heap]"))
        self.brk = new
        return new

    # -- the main stack ------------------------------------------------------------------------------
    def setup_stack(self, initial: int = 132 * 1024) -> Vma:
        """Reserve RLIMIT_STACK of host memory and map the top `initial` bytes as a growsdown [stack]."""
        base = host_alloc(STACK_RLIMIT)
        self.stack_reserve = (base, STACK_RLIMIT)
        start = STACK_TOP - initial
        vma = self.map_region(start, initial, 3, M.MAP_PRIVATE | M.MAP_ANONYMOUS | M.MAP_GROWSDOWN,
                              "[stack]", host=base + STACK_RLIMIT - initial, growsdown=True)
        return vma

    def expand_stack(self, addr: int) -> bool:
        """Grow a growsdown VMA down to cover addr (Linux mm/mmap.c expand_downwards)."""
        addr = page_down(addr)
        i = bisect.bisect_right(self._starts, addr)
        if i >= len(self.vmas):
            return False
        v = self.vmas[i]
        if not v.growsdown or v.start <= addr:
            return False
        prev_end = self.vmas[i - 1].end if i > 0 else 0
        if addr < prev_end + (STACK_GUARD_GAP if prev_end else 0):
            return False
        if v.name == "[stack]":
            base, size = self.stack_reserve
            task = self.cpu.current
            limit = task.tg.rlimits[3][0] if task is not None and task.tg is not None else size  # RLIMIT_STACK
            if addr < STACK_TOP - min(size, limit):
                return False
            host = base + (addr - (STACK_TOP - size))
        else:
            return False  # MAP_GROWSDOWN mappings other than the main stack grow only by their own pages
        err = self.cpu.map_ptr(addr, v.start - addr, uc_perms(v.prot), host)
        if err:
            return False
        v.host = host
        self._starts[i] = addr
        v.start = addr
        return True

    def _on_invalid_access(self, access: int, addr: int, size: int) -> bool:
        if access in (UC_MEM_READ_UNMAPPED, UC_MEM_WRITE_UNMAPPED) and self.expand_stack(addr):
            return True
        self.fault_addr = addr
        self.fault_access = access
        return False

    # -- kernel access to guest memory (copy_from_user / copy_to_user) -------------------------------
    def _host_ptr(self, addr: int, size: int, write: bool) -> int:
        """Host address of [addr, addr+size) if it lies in one accessible VMA, else -1."""
        v = self.find_vma(addr)
        if v is None or addr + size > v.end:
            return -1
        if write and not v.prot & M.PROT_WRITE:
            return -1
        if not write and not v.prot:
            return -1
        return v.host + (addr - v.start)

    def read(self, addr: int, size: int) -> bytes:
        """copy_from_user: the bytes at addr, or Fault."""
        if size <= 0:
            return b""
        p = self._host_ptr(addr, size, False)
        if p >= 0:
            return _string_at(p, size)
        return b"".join(self._pieces(addr, size, False))

    def write(self, addr: int, data: bytes) -> None:
        """copy_to_user: store data at addr, or Fault (nothing is promised about a partial store)."""
        size = len(data)
        if not size:
            return
        p = self._host_ptr(addr, size, True)
        if p >= 0:
            _memmove(p, data, size)
            return
        off = 0
        for piece_addr, piece_len in self._spans(addr, size, True):
            _memmove(self._host_ptr(piece_addr, piece_len, True), data[off:off + piece_len], piece_len)
            off += piece_len

    def _spans(self, addr: int, size: int, write: bool):
        out = []
        end = addr + size
        cur = addr
        while cur < end:
            v = self.find_vma(cur)
            if v is None or (write and not v.prot & M.PROT_WRITE) or (not write and not v.prot):
                raise Fault(cur)
            n = min(end, v.end) - cur
            out.append((cur, n))
            cur += n
        return out

    def _pieces(self, addr: int, size: int, write: bool):
        for a, n in self._spans(addr, size, write):
            yield _string_at(self._host_ptr(a, n, write), n)

    def read_cstring(self, addr: int, limit: int = 4096) -> bytes:
        """strncpy_from_user: the NUL-terminated string at addr without its NUL; ENAMETOOLONG past limit."""
        out = b""
        cur = addr
        while True:
            v = self.find_vma(cur)
            if v is None or not v.prot:
                raise Fault(cur)
            n = min(v.end - cur, limit + 1 - len(out), 4096 - (cur & 0xFFF) if len(out) < limit else 1)
            chunk = _string_at(v.host + (cur - v.start), n)
            nul = chunk.find(b"\0")
            if nul >= 0:
                out += chunk[:nul]
                if len(out) >= limit:
                    raise Errno(E.ENAMETOOLONG)
                return out
            out += chunk
            if len(out) >= limit:
                raise Errno(E.ENAMETOOLONG)
            cur += n

    def read_u64(self, addr: int) -> int:
        return _U64.unpack(self.read(addr, 8))[0]

    def write_u64(self, addr: int, value: int) -> None:
        self.write(addr, _U64.pack(value & 0xFFFFFFFFFFFFFFFF))

    def read_u32(self, addr: int) -> int:
        return _U32.unpack(self.read(addr, 4))[0]

    def write_u32(self, addr: int, value: int) -> None:
        self.write(addr, _U32.pack(value & 0xFFFFFFFF))

    def read_struct(self, st: struct.Struct, addr: int) -> tuple:
        return st.unpack(self.read(addr, st.size))

    def write_struct(self, st: struct.Struct, addr: int, *values) -> None:
        self.write(addr, st.pack(*values))

    def poke(self, addr: int, data: bytes) -> None:
        """Kernel write that ignores page protections (exec image set-up, ptrace POKE)."""
        for a, n in self._spans_any(addr, len(data)):
            v = self.find_vma(a)
            _memmove(v.host + (a - v.start), data[a - addr:a - addr + n], n)

    def _spans_any(self, addr: int, size: int):
        end = addr + size
        cur = addr
        while cur < end:
            v = self.find_vma(cur)
            if v is None:
                raise Fault(cur)
            n = min(end, v.end) - cur
            yield cur, n
            cur += n

    # -- fork ----------------------------------------------------------------------------------------
    def dup(self, kernel) -> AddressSpace:
        """dup_mmap: a new address space on a new CPU; private memory copied, MAP_SHARED memory shared."""

        cpu = Cpu()
        child = AddressSpace(cpu)
        kernel.entry.install(cpu)
        child.set_exe_file(self.exe)  # Linux dup_mm_exe_file: the child's mm holds the executable too
        for attr in ("mmap_base", "dumpable", "start_brk", "brk", "arg_start", "arg_end", "env_start", "env_end",
                     "start_code", "end_code", "start_data", "end_data", "start_stack"):
            setattr(child, attr, getattr(self, attr))
        if self.stack_reserve[1]:
            child.stack_reserve = (host_alloc(self.stack_reserve[1]), self.stack_reserve[1])
        if self._brk_host:
            child._brk_host = host_alloc(BRK_RESERVE)
        for v in self.vmas:
            size = v.end - v.start
            if v.block is not None:
                host = v.host
                v.block.refs += 1
            elif self._is_reserved(v.host):
                host = child._brk_host + (v.host - self._brk_host)
                _memmove(host, v.host, size)
            elif self._in_stack_reserve(v.host):
                host = child.stack_reserve[0] + (v.host - self.stack_reserve[0])
                _memmove(host, v.host, size)
            else:
                host = host_alloc(size)
                _memmove(host, v.host, size)
            err = cpu.map_ptr(v.start, size, uc_perms(v.prot), host)
            if err:
                raise RuntimeError(f"uc_mem_map_ptr in fork failed: {err}")
            child.vmas.append(Vma(v.start, v.end, v.prot, v.flags, host, v.name, v.pgoff, v.inode,
                                  v.growsdown, v.block))
        child._starts = [v.start for v in child.vmas]
        return child

    # -- the executable ------------------------------------------------------------------------------
    def set_exe_file(self, file) -> None:
        """Linux set_mm_exe_file: hold a reference to the executable and deny writes to it (ETXTBSY);
        give back those of the previous one."""

        if file is not None:
            if file.inode is not None:
                deny_write_access(file.inode)  # cannot fail: whoever hands the file over holds a denial
            file.get()
        old, self.exe = self.exe, file
        if old is not None:
            if old.inode is not None:
                allow_write_access(old.inode)
            old.put()

    # -- teardown ----------------------------------------------------------------------------------
    def release(self) -> None:
        """Drop every mapping and the host memory behind it (exit_mmap), and the executable."""
        self.set_exe_file(None)
        for v in self.vmas:
            self.cpu.unmap(v.start, v.end - v.start)
            if v.block is not None:
                self._release_host(v)
            elif not (self._is_reserved(v.host) or self._in_stack_reserve(v.host)):
                host_free(v.host, v.end - v.start)
        self.vmas.clear()
        self._starts.clear()
        if self._brk_host:
            host_free(self._brk_host, BRK_RESERVE)
            self._brk_host = 0
        if self.stack_reserve[1]:
            host_free(*self.stack_reserve)
            self.stack_reserve = (0, 0)

    def _in_stack_reserve(self, host: int) -> bool:
        base, size = self.stack_reserve
        return base <= host < base + size
