"""ELF loader (Linux fs/binfmt_elf.c load_elf_binary) for static ET_EXEC and static-pie ET_DYN x86-64 files.

The header is validated by hand first, so that every bad file gets one clear sentence and the errno execve
returns; the program headers are then read with `struct`, as load_elf_phdrs reads them: every p_type is
accepted and only the ones the loader acts on are looked at (Linux ignores the others: PT_GNU_SFRAME, OS- or
processor-specific values, anything new).
"""

from __future__ import annotations

import struct

from ..abi import errno as E
from ..abi import mman as M
from ..errors import ExecFormatError

EM_X86_64 = 62
ET_EXEC, ET_DYN = 2, 3
PT_LOAD, PT_INTERP, PT_PHDR, PT_GNU_STACK, PT_TLS = 1, 3, 6, 0x6474E551, 7
PF_X, PF_W, PF_R = 1, 2, 4
ELF_ET_DYN_BASE = 0x555555554AAA & ~0xFFF  # Linux x86-64: (DEFAULT_MAP_WINDOW / 3 * 2), page-aligned

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")
_MACHINES = {3: "i386", 40: "arm", 183: "aarch64", 243: "riscv", 8: "mips", 20: "powerpc", 21: "ppc64",
             22: "s390", 2: "sparc", 43: "sparcv9", 62: "x86-64"}


class Segment:
    __slots__ = ("type", "flags", "offset", "vaddr", "filesz", "memsz")

    def __init__(self, type: int, flags: int, offset: int, vaddr: int, filesz: int, memsz: int) -> None:
        self.type, self.flags, self.offset = type, flags, offset
        self.vaddr, self.filesz, self.memsz = vaddr, filesz, memsz

    @property
    def prot(self) -> int:
        return ((M.PROT_READ if self.flags & PF_R else 0) | (M.PROT_WRITE if self.flags & PF_W else 0)
                | (M.PROT_EXEC if self.flags & PF_X else 0))


class ElfFile:
    """The parts of an ELF file the loader needs."""

    def __init__(self, e_type: int, entry: int, phoff: int, phnum: int, segments: list[Segment],
                 interp: str | None, exec_stack: bool) -> None:
        self.e_type = e_type
        self.entry = entry
        self.phoff = phoff
        self.phnum = phnum
        self.segments = segments
        self.interp = interp
        self.exec_stack = exec_stack

    @property
    def loads(self) -> list[Segment]:
        return [s for s in self.segments if s.type == PT_LOAD]


def _bad(msg: str) -> ExecFormatError:
    return ExecFormatError(E.ENOEXEC, msg)


def parse_elf(data: bytes) -> ElfFile:
    """Validate and parse; raises ExecFormatError(ENOEXEC, reason) for anything we cannot run."""
    if len(data) == 0:
        raise _bad("empty file")
    if data[:4] != b"\x7fELF":
        raise _bad("not an ELF executable")
    if len(data) < _EHDR.size:
        raise _bad("truncated ELF header")
    (ident, e_type, machine, _ver, entry, phoff, _shoff, _flags, _ehsize, phentsize, phnum, _, _, _) = \
        _EHDR.unpack_from(data)
    if ident[4] != 2:
        raise _bad("32-bit ELF; emukernel runs x86-64 ELF64 binaries")
    if ident[5] != 1:
        raise _bad("big-endian ELF; emukernel runs x86-64 binaries")
    if machine != EM_X86_64:
        arch = _MACHINES.get(machine, f"machine {machine}")
        raise _bad(f"ELF for {arch}; emukernel runs x86-64 binaries")
    if e_type not in (ET_EXEC, ET_DYN):
        raise _bad(f"ELF type {e_type} is not an executable")
    if phentsize != _PHDR.size or phnum == 0 or phnum > 65536 // _PHDR.size:
        raise _bad("corrupt ELF program header table")
    if phoff + phnum * phentsize > len(data):
        raise _bad("truncated ELF (program headers past the end of the file)")
    segments = []
    interp = None
    exec_stack = False
    for i in range(phnum):
        p_type, p_flags, p_offset, p_vaddr, _paddr, p_filesz, p_memsz, _align = \
            _PHDR.unpack_from(data, phoff + i * _PHDR.size)
        s = Segment(p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz)
        segments.append(s)
        if s.type == PT_INTERP:
            raw = data[s.offset:s.offset + s.filesz]
            interp = raw.split(b"\0", 1)[0].decode(errors="replace") or "?"
        elif s.type == PT_GNU_STACK:
            exec_stack = bool(s.flags & PF_X)
        elif s.type == PT_LOAD:
            if s.filesz > s.memsz:
                raise _bad("corrupt ELF (segment file size larger than memory size)")
            if s.offset + s.filesz > len(data):
                raise _bad("truncated ELF (a loadable segment extends past the end of the file)")
            if (s.offset - s.vaddr) & 0xFFF:
                raise _bad("corrupt ELF (segment offset and address are not congruent modulo the page size)")
            if s.vaddr + s.memsz > 0x7FFFFFFFF000:
                raise _bad("corrupt ELF (segment outside the user address space)")
    if interp is not None:
        raise ExecFormatError(E.ENOEXEC, f"dynamically linked (PT_INTERP {interp}); emukernel runs static "
                                         "binaries")
    if not any(s.type == PT_LOAD for s in segments):
        raise _bad("ELF has no loadable segments")
    return ElfFile(e_type, entry, phoff, phnum, segments, interp, exec_stack)


class LoadedImage:
    """Where the image landed: what create_elf_tables and start_thread need."""

    def __init__(self, entry: int, phdr: int, phnum: int, load_bias: int, brk: int,
                 start_code: int, end_code: int, start_data: int, end_data: int) -> None:
        self.entry = entry
        self.phdr = phdr
        self.phnum = phnum
        self.load_bias = load_bias
        self.brk = brk
        self.start_code, self.end_code = start_code, end_code
        self.start_data, self.end_data = start_data, end_data


def load_elf(mm, elf: ElfFile, data: bytes, name: str) -> LoadedImage:
    """Map the PT_LOAD segments into mm (load_elf_binary's elf_map loop) and set up brk."""
    loads = elf.loads
    lo = min(s.vaddr for s in loads) & ~0xFFF
    hi = max(s.vaddr + s.memsz for s in loads)
    load_bias = 0
    if elf.e_type == ET_DYN:
        # a static-pie goes in the mmap area, as Linux does for an ET_DYN without an interpreter
        load_bias = mm.get_unmapped_area((hi - lo + 0xFFF) & ~0xFFF) - lo
    mapped_end = 0
    start_code, end_code, start_data, end_data = 1 << 64, 0, 0, 0
    for s in loads:
        start = (s.vaddr + load_bias) & ~0xFFF
        end = (s.vaddr + load_bias + s.memsz + 0xFFF) & ~0xFFF
        prot = s.prot
        if start < mapped_end:
            # this segment shares its first page with the previous one: widen that page's protection
            shared_end = min(mapped_end, end)
            prev = mm.find_vma(start)
            mm.mprotect(start, shared_end - start, prev.prot | prot)
            start = shared_end
        if end > start:
            mm.map_region(start, end - start, prot, M.MAP_PRIVATE, name)
        mapped_end = max(mapped_end, end)
        if s.filesz:
            mm.poke(s.vaddr + load_bias, data[s.offset:s.offset + s.filesz])
        if prot & M.PROT_EXEC:
            start_code = min(start_code, s.vaddr + load_bias)
            end_code = max(end_code, s.vaddr + load_bias + s.filesz)
        else:
            start_data = start_data or s.vaddr + load_bias
            end_data = max(end_data, s.vaddr + load_bias + s.filesz)
    phdr = 0
    for s in elf.segments:
        if s.type == PT_PHDR:
            phdr = s.vaddr + load_bias
    if not phdr:
        for s in loads:
            if s.offset <= elf.phoff < s.offset + s.filesz:
                phdr = elf.phoff - s.offset + s.vaddr + load_bias
                break
    brk = (hi + load_bias + 0xFFF) & ~0xFFF
    if elf.e_type == ET_DYN:
        brk = ELF_ET_DYN_BASE  # Linux moves the brk of a static-pie out of the mmap area
    return LoadedImage(elf.entry + load_bias, phdr, elf.phnum, load_bias, brk,
                       start_code if end_code else 0, end_code, start_data, end_data)
