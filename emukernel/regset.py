"""A stopped task's user registers (Linux arch/x86/kernel/ptrace.c getreg/putreg, the user_regset views).

Where a task's registers are depends on whether it was the last to run on its address space's CPU: then
they are live in the CPU, otherwise in its saved context (`Task.ctx`).  A context saved inside the syscall
hook (`Task.ctx_in_hook`) holds RIP at the `syscall` instruction; the user-visible RIP is 2 bytes on.
`task_reg` and `set_task_reg` hide all of this: they give and take the values a tracer sees.

On top of them, ptrace's arch requests (`arch_ptrace`) and the views they share with core dumps:

* the general registers as struct user_regs_struct (`get_user_regs`/`set_user_regs`, with putreg's rules:
  only the user-changeable eflags bits move, selectors must have RPL 3 (cs and ss non-null), bases below
  TASK_SIZE_MAX), inside struct user for PEEKUSER/POKEUSER with the debug registers after it;
* the FPU as an FXSAVE image (`get_fp_image`/`set_fp_image`, built and taken apart by the signal frame's
  helpers) and as the standard-format XSAVE image of NT_X86_XSTATE: the emulated CPU reports XSAVE with x87
  and SSE only (no AVX in CPUID.1:ECX), so Linux would show 576 bytes, XCR0 = 3;
* the regsets of GETREGSET/SETREGSET (NT_PRSTATUS, NT_PRFPREG, NT_X86_XSTATE, NT_386_IOPERM) with the
  iovec's length clamped to the regset and written back;
* PTRACE_ARCH_PRCTL, and PTRACE_GET/SET_THREAD_AREA (the GDT's TLS slots, kept for the tracer to read back);
* PEEK/POKE of memory (`ptrace_peek`/`ptrace_poke`): a debugger's access, ignoring page protections.

What Linux keeps in the thread struct and emukernel's Task has no field for (the data segment selectors a
tracer wrote, the debug registers) lives in `ArchThread`, one per task and image.  Selectors are shown as
written but change nothing about how the task runs; a debug register write that would arm a hardware
breakpoint fails with ENOSPC (no breakpoint slot), as Linux says when none is free.
"""

from __future__ import annotations

import ctypes
import struct
import weakref
from typing import TYPE_CHECKING

from .abi import errno as E
from .abi import ptrace as P
from .abi.capability import CAP_SYS_PTRACE
from .abi.prctl import ARCH_GET_FS, ARCH_GET_GS, ARCH_SET_FS, ARCH_SET_GS
from .cpu import (
    EFLAGS,
    FPCW,
    FPSW,
    FPTAG,
    FS_BASE,
    GS_BASE,
    MXCSR,
    R8,
    R9,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
    RAX,
    RBP,
    RBX,
    RCX,
    RDI,
    RDX,
    RIP,
    RSI,
    RSP,
    ST_REGS,
    XMM_REGS,
    _context_reg_read,
    _context_reg_write,
    _reg_read,
    _reg_write,
)
from .creds import capable
from .errors import Errno
from .mm import SUID_DUMP_USER, TASK_SIZE
from .signal import frame as F
from .vm_access import access_read, access_write

if TYPE_CHECKING:
    from .task import Task

_MASK64 = (1 << 64) - 1


def task_reg(task: Task, regid: int) -> int:
    """One user-visible register of a task that is not running (a tracee in a stop)."""
    cpu = task.mm.cpu
    if cpu.current is task:
        return cpu.reg(regid)
    value = cpu.context_reg_read(task.ctx, regid)
    if regid == RIP and task.ctx_in_hook:
        value += 2
    return value


def set_task_reg(task: Task, regid: int, value: int) -> None:
    """Write one user-visible register of a task that is not running."""
    cpu = task.mm.cpu
    if cpu.current is task:
        cpu.set_reg(regid, value)
        return
    if regid == RIP and task.ctx_in_hook:
        value -= 2
    cpu.context_reg_write(task.ctx, regid, value)


# -- registers wider than 64 bits, through a buffer ------------------------------------------------------------
def _read_raw(task: Task, regid: int, addr: int) -> None:
    """Store one register (any width) at host address addr."""
    cpu = task.mm.cpu
    if cpu.current is task:
        _reg_read(cpu.handle, regid, ctypes.c_void_p(addr))
    else:
        _context_reg_read(task.ctx, regid, ctypes.c_void_p(addr))


def _write_raw(task: Task, regid: int, addr: int) -> None:
    """Load one register (any width) from host address addr."""
    cpu = task.mm.cpu
    if cpu.current is task:
        _reg_write(cpu.handle, regid, ctypes.c_void_p(addr))
    else:
        _context_reg_write(task.ctx, regid, ctypes.c_void_p(addr))


# -- what Linux keeps in thread_struct -----------------------------------------------------------------------------
# struct user (arch/x86/include/asm/user_64.h): user_regs_struct at 0, u_debugreg at 848, 928 bytes in all
USER_REGS_SIZE = 216
USER_SIZE = 928
U_DEBUGREG = 848
USER_REGS = struct.Struct("<27Q")
OFF_ORIG_RAX, OFF_RIP, OFF_CS, OFF_EFLAGS, OFF_RSP, OFF_SS = 120, 128, 136, 144, 152, 160
OFF_FS_BASE, OFF_GS_BASE, OFF_DS, OFF_ES, OFF_FS, OFF_GS = 168, 176, 184, 192, 200, 208
_SELECTORS = (OFF_CS, OFF_SS, OFF_DS, OFF_ES, OFF_FS, OFF_GS)
# user_regs_struct slots held by a CPU register, by offset
_GPR_AT = {0: R15, 8: R14, 16: R13, 24: R12, 32: RBP, 40: RBX, 48: R11, 56: R10, 64: R9, 72: R8, 80: RAX,
           88: RCX, 96: RDX, 104: RSI, 112: RDI, OFF_RIP: RIP, OFF_RSP: RSP}
USER_CS, USER_DS = F.USER_CS, F.USER_DS
# the eflags bits a tracer may change (FLAG_MASK): CF PF AF ZF SF TF DF OF NT RF AC
FLAG_MASK = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x4000 | 0x10000 | 0x40000
EFLAGS_FIXED = 0x202  # IF and the reserved bit 1: always set in user mode
X86_EFLAGS_TF = 0x100
DR6_RESERVED = 0xFFFF0FF0  # what DR6 reads before anything was written to it
BP_LENS = {0: 1, 1: 2, 3: 4, 2: 8}  # DR7's LEN field -> bytes


class ArchThread:
    """The per-thread state Linux keeps for ptrace in thread_struct: selectors and debug registers."""

    __slots__ = ("mm", "selectors", "bp_addr", "bp_len", "bp_type", "dr6", "dr7", "tls")

    def __init__(self, mm: object) -> None:
        self.mm = mm  # the image this belongs to: exec starts afresh (flush_thread)
        self.selectors = {OFF_CS: USER_CS, OFF_SS: USER_DS, OFF_DS: 0, OFF_ES: 0, OFF_FS: 0, OFF_GS: 0}
        self.bp_addr: list[int | None] = [None] * 4  # None: no breakpoint registered in that slot
        self.bp_len = [1] * 4
        self.bp_type = [1] * 4  # DR7's R/W field: 0 execute, 1 write, 3 read/write
        self.dr6 = DR6_RESERVED
        self.dr7 = 0
        self.tls: list[tuple[int, int, int] | None] = [None] * 3  # the GDT's TLS slots: (base, limit, flags)


_arch: weakref.WeakKeyDictionary[Task, ArchThread] = weakref.WeakKeyDictionary()


def arch_thread(task: Task) -> ArchThread:
    """The task's ArchThread for its current image."""
    a = _arch.get(task)
    if a is None or a.mm is not task.mm:
        a = _arch[task] = ArchThread(task.mm)
    return a


# -- getreg / putreg ------------------------------------------------------------------------------------------
def getreg(task: Task, off: int) -> int:
    """One word of user_regs_struct (Linux getreg)."""
    if off in _SELECTORS:
        return arch_thread(task).selectors[off]
    if off == OFF_EFLAGS:
        value = task_reg(task, EFLAGS) | EFLAGS_FIXED
        pt = task.ptrace
        if pt is not None and pt.forced_tf:  # get_flags: the trap flag PTRACE_SINGLESTEP set is hidden
            value &= ~X86_EFLAGS_TF
        return value
    if off == OFF_ORIG_RAX:
        return task.orig_rax & _MASK64
    if off == OFF_FS_BASE:
        return task_reg(task, FS_BASE)
    if off == OFF_GS_BASE:
        return task_reg(task, GS_BASE)
    return task_reg(task, _GPR_AT[off])


def _set_fs_base(task: Task, value: int) -> None:
    set_task_reg(task, FS_BASE, value)
    task.fs_base = value  # what clone copies: kept in step with the register


def putreg(task: Task, off: int, value: int) -> None:
    """Write one word of user_regs_struct (Linux putreg): EIO for a value Linux refuses."""
    value &= _MASK64
    if off in _SELECTORS:
        sel = value & 0xFFFF
        if sel and sel & 3 != 3:  # invalid_selector: not null and not RPL 3
            raise Errno(E.EIO)
        if off in (OFF_CS, OFF_SS) and not sel:
            raise Errno(E.EIO)
        arch_thread(task).selectors[off] = sel
        return
    if off == OFF_EFLAGS:
        # set_flags: a tracer that sets TF makes it the task's own; one that clears it while stepping
        # does not stop the stepping
        pt = task.ptrace
        if pt is not None and pt.forced_tf:
            if value & X86_EFLAGS_TF:
                pt.forced_tf = False
            else:
                value |= X86_EFLAGS_TF
        old = task_reg(task, EFLAGS)
        set_task_reg(task, EFLAGS, (old & ~FLAG_MASK) | (value & FLAG_MASK))
        return
    if off == OFF_ORIG_RAX:
        task.orig_rax = value - (1 << 64) if value >> 63 else value
        return
    if off in (OFF_FS_BASE, OFF_GS_BASE):
        if value >= TASK_SIZE:
            raise Errno(E.EIO)
        if off == OFF_FS_BASE:
            _set_fs_base(task, value)
        else:
            set_task_reg(task, GS_BASE, value)
        return
    set_task_reg(task, _GPR_AT[off], value)


def get_user_regs(task: Task) -> bytes:
    """The 216-byte user_regs_struct of a stopped task (NT_PRSTATUS, PTRACE_GETREGS)."""
    return USER_REGS.pack(*(getreg(task, off) for off in range(0, USER_REGS_SIZE, 8)))


def set_user_regs(task: Task, data: bytes) -> None:
    """genregs_set: write user_regs_struct words from the start of `data` (whole words only), in order, as
    putreg does; the first refused value stops it with EIO, the words before it stay written."""
    for i in range(min(len(data), USER_REGS_SIZE) // 8):
        putreg(task, 8 * i, int.from_bytes(data[8 * i:8 * i + 8], "little"))


# -- the FPU -------------------------------------------------------------------------------------------------
# the fp_regs layout fxsave_from_regs takes: FPCW, FPSW, FPTAG, MXCSR, XMM0-15, ST0-7, 16-byte slots
_FP_LAYOUT = ((FPCW, 0), (FPSW, 16), (FPTAG, 32), (MXCSR, 48)) \
    + tuple((r, 64 + 16 * i) for i, r in enumerate(XMM_REGS)) + tuple((r, 320 + 16 * i) for i, r in enumerate(ST_REGS))
FP_IMAGE_SIZE = F.FPSTATE_SIZE  # struct user_i387_struct: 512
MXCSR_FEATURE_MASK = 0xFFFF  # the mxcsr_mask the FXSAVE image reports
XSTATE_SIZE = 576  # FXSAVE area + xsave header: x87 and SSE only
XFEATURE_FP, XFEATURE_SSE = 1, 2
XCR0 = XFEATURE_FP | XFEATURE_SSE
_XSAVE_HDR = struct.Struct("<QQ48s")  # xfeatures, xcomp_bv, reserved
_INIT_X87 = struct.pack("<HHB", 0x37F, 0, 0)


def get_fp_image(task: Task) -> bytes:
    """The 512-byte FXSAVE image of a stopped task (user_i387_struct: PTRACE_GETFPREGS, NT_PRFPREG).  As
    Linux's XSAVE-based copy: the instruction and data pointers are not kept, bytes 416-511 are zero."""
    buf = (ctypes.c_ubyte * 448)()
    base = ctypes.addressof(buf)
    for regid, off in _FP_LAYOUT:
        _read_raw(task, regid, base + off)
    return F.fxsave_from_regs(bytes(buf))


def _load_fp(task: Task, img: bytes) -> None:
    """Load an FXSAVE image into the task's FPU: control, status (TOP), tags, the x87 registers (stack order
    in the image, physical in the CPU), MXCSR and XMM0-15."""
    buf = (ctypes.c_ubyte * 448)()
    base = ctypes.addressof(buf)
    regs = F.restore_regs_from_fxsave(img)  # FPCW at 0, MXCSR at 16, XMM0-15 from 32
    fsw = int.from_bytes(img[2:4], "little")
    struct.pack_into("<I12xI12xI12x", buf, 0, int.from_bytes(regs[0:2], "little"), fsw, F.FULL_TAGS[img[4]])
    buf[48:52] = regs[16:20]
    buf[64:320] = regs[32:288]
    buf[320:448] = F.physical_from_st(img[32:160], (fsw >> 11) & 7)
    for regid, off in _FP_LAYOUT:
        _write_raw(task, regid, base + off)


def set_fp_image(task: Task, img: bytes) -> None:
    """xfpregs_set: the whole 512-byte image only (EINVAL otherwise), MXCSR's reserved bits clear (EINVAL)."""
    if len(img) != FP_IMAGE_SIZE:
        raise Errno(E.EINVAL)
    if int.from_bytes(img[24:28], "little") & ~MXCSR_FEATURE_MASK:
        raise Errno(E.EINVAL)
    _load_fp(task, img)


def _xfeatures_in_use(img: bytes) -> int:
    """XINUSE as XSAVEOPT tracks it: x87 (bit 0) unless in its init state, SSE (bit 1) unless the XMM
    registers are zero and MXCSR is its default."""
    used = 0
    if img[0:5] != _INIT_X87 or any(img[6:24]):
        used |= XFEATURE_FP
    if int.from_bytes(img[24:28], "little") != 0x1F80 or any(img[160:416]):
        used |= XFEATURE_SSE
    return used


def get_xstate(task: Task) -> bytes:
    """NT_X86_XSTATE: the FXSAVE area with XCR0 in its first software-reserved word (where gdb looks), then
    the xsave header (the components in use, standard format)."""
    img = bytearray(get_fp_image(task))
    img[464:472] = XCR0.to_bytes(8, "little")
    return bytes(img) + _XSAVE_HDR.pack(_xfeatures_in_use(img), 0, bytes(48))


def set_xstate(task: Task, img: bytes) -> None:
    """xstateregs_set: a whole standard-format buffer (EFAULT otherwise), a header naming only components
    the CPU has, no compaction, reserved bytes zero (EINVAL); components not named go to their init state
    (MXCSR with SSE, as the hardware's XRSTOR does)."""
    if len(img) != XSTATE_SIZE:
        raise Errno(E.EFAULT)
    xfeatures, xcomp_bv, reserved = _XSAVE_HDR.unpack_from(img, 512)
    if xfeatures & ~XCR0 or xcomp_bv or any(reserved):
        raise Errno(E.EINVAL)
    if xfeatures and int.from_bytes(img[24:28], "little") & ~MXCSR_FEATURE_MASK:
        raise Errno(E.EINVAL)
    src = bytearray(img[:FP_IMAGE_SIZE])
    if not xfeatures & XFEATURE_FP:
        src[0:24] = _INIT_X87.ljust(24, b"\0")
        src[32:160] = bytes(128)
    if not xfeatures & XFEATURE_SSE:  # MXCSR goes with SSE
        src[24:28] = (0x1F80).to_bytes(4, "little")
        src[160:416] = bytes(256)
    _load_fp(task, bytes(src))


# -- the debug registers ---------------------------------------------------------------------------------------
def _bp_check(addr: int, length: int, rwtype: int) -> None:
    """The checks of registering a breakpoint: a user address (EINVAL), aligned to a data breakpoint's size."""
    if addr >= TASK_SIZE or addr + length - 1 >= TASK_SIZE:
        raise Errno(E.EINVAL)
    if rwtype != 0 and addr & (length - 1):
        raise Errno(E.EINVAL)


def get_debugreg(task: Task, n: int) -> int:
    """ptrace_get_debugreg: DR0-3 the breakpoint addresses, DR6 the virtual status, DR7 as written."""
    a = arch_thread(task)
    if n < 4:
        return a.bp_addr[n] or 0
    if n == 6:
        return a.dr6
    if n == 7:
        return a.dr7
    return 0


def set_debugreg(task: Task, n: int, value: int) -> None:
    """ptrace_set_debugreg.  No DR4 and DR5 (EIO).  DR0-3 register a (disabled) breakpoint address; DR7
    validates each slot's type and length (EINVAL) and refuses to enable one: no hardware breakpoints
    here (ENOSPC, all slots taken)."""
    a = arch_thread(task)
    if n < 4:
        _bp_check(value, a.bp_len[n], a.bp_type[n])
        a.bp_addr[n] = value
    elif n == 6:
        a.dr6 = value
    elif n == 7:
        new = []
        for i in range(4):
            enabled = (value >> (2 * i)) & 3
            rwtype = (value >> (16 + 4 * i)) & 3
            lenbits = (value >> (18 + 4 * i)) & 3
            if a.bp_addr[i] is None and not enabled:
                new.append(None)
                continue
            # arch_bp_generic_fields: no I/O breakpoints, an execute breakpoint has length bits 0
            if rwtype == 2 or (rwtype == 0 and lenbits):
                raise Errno(E.EINVAL)
            length = 1 if rwtype == 0 else BP_LENS[lenbits]
            if a.bp_addr[i] is not None:
                _bp_check(a.bp_addr[i], length, rwtype)
            if enabled:
                raise Errno(E.ENOSPC)
            new.append((length, rwtype))
        for i, slot in enumerate(new):
            if slot is not None:
                a.bp_len[i], a.bp_type[i] = slot
        a.dr7 = value
    else:
        raise Errno(E.EIO)


# -- struct user (PEEKUSR / POKEUSR) ---------------------------------------------------------------------------
def peek_user(task: Task, off: int) -> int:
    """PTRACE_PEEKUSR's word: registers, debug registers, 0 elsewhere; EIO when unaligned or past the end."""
    if off & 7 or off >= USER_SIZE:
        raise Errno(E.EIO)
    if off < USER_REGS_SIZE:
        return getreg(task, off)
    if U_DEBUGREG <= off < U_DEBUGREG + 64:
        return get_debugreg(task, (off - U_DEBUGREG) // 8)
    return 0


def poke_user(task: Task, off: int, value: int) -> None:
    """PTRACE_POKEUSR: only registers and debug registers can be written (EIO elsewhere)."""
    if off & 7 or off >= USER_SIZE:
        raise Errno(E.EIO)
    if off < USER_REGS_SIZE:
        putreg(task, off, value)
    elif U_DEBUGREG <= off < U_DEBUGREG + 64:
        set_debugreg(task, (off - U_DEBUGREG) // 8, value & _MASK64)
    else:
        raise Errno(E.EIO)


# -- memory ------------------------------------------------------------------------------------------------
def _vm_for(child: Task, tracer: Task | None) -> object:
    """ptrace_access_vm's mm: none for a process without one, or whose mm is not dumpable unless the tracer
    holds CAP_SYS_PTRACE (the access then copies nothing: EIO)."""
    mm = child.mm
    if mm is None:
        return None
    if tracer is not None and mm.dumpable != SUID_DUMP_USER and not capable(tracer.creds, CAP_SYS_PTRACE):
        return None
    return mm


def ptrace_peek(child: Task, addr: int, tracer: Task | None = None) -> int:
    """PTRACE_PEEKTEXT/PEEKDATA's word (generic_ptrace_peekdata): read as a debugger reads (FOLL_FORCE); EIO
    unless all 8 bytes could be read."""
    mm = _vm_for(child, tracer)
    data = access_read(mm, addr & _MASK64, 8, True) if mm is not None else b""
    if len(data) != 8:
        raise Errno(E.EIO)
    return int.from_bytes(data, "little")


def ptrace_poke(child: Task, addr: int, word: int, tracer: Task | None = None) -> None:
    """PTRACE_POKETEXT/POKEDATA (generic_ptrace_pokedata): write as a debugger writes, into read-only
    private pages too; EIO unless all 8 bytes were written (the bytes before an unmapped page are)."""
    mm = _vm_for(child, tracer)
    done = access_write(mm, addr & _MASK64, (word & _MASK64).to_bytes(8, "little"), True) if mm is not None else 0
    if done != 8:
        raise Errno(E.EIO)


# -- regsets -----------------------------------------------------------------------------------------------------
IO_BITMAP_LONGS = 65536 // 64
_IOVEC = struct.Struct("<QQ")


def _get_ioperm(task: Task) -> bytes:
    raise Errno(E.ENXIO)  # ioperm_get: no I/O permission bitmap (ioperm is not available)


# note type -> (word count, get, set, what a set must be given whole: (size, errno) or None), as
# x86_64_regsets has them (word size 8)
REGSETS = {
    P.NT_PRSTATUS: (USER_REGS_SIZE // 8, get_user_regs, set_user_regs, None),
    P.NT_PRFPREG: (FP_IMAGE_SIZE // 8, get_fp_image, set_fp_image, (FP_IMAGE_SIZE, E.EINVAL)),
    P.NT_X86_XSTATE: (XSTATE_SIZE // 8, get_xstate, set_xstate, (XSTATE_SIZE, E.EFAULT)),
    P.NT_386_IOPERM: (IO_BITMAP_LONGS, _get_ioperm, None, None),
}


def ptrace_regset(tracer: Task, child: Task, request: int, note: int, uiov: int) -> int:
    """PTRACE_GETREGSET/SETREGSET (ptrace_request + ptrace_regset): the iovec's length is clamped to the
    regset's size and written back; it must be whole words (EINVAL), an unknown type is EINVAL."""
    mm = tracer.mm
    base, length = _IOVEC.unpack(mm.read(uiov, _IOVEC.size))
    entry = REGSETS.get(note)
    if entry is None or length % 8:
        raise Errno(E.EINVAL)
    n, get, put, whole = entry
    length = min(length, n * 8)
    if request == P.PTRACE_GETREGSET:
        data = get(child)[:length]
        mm.write(base, data)
    else:
        if put is None:
            raise Errno(E.EOPNOTSUPP)
        if whole is not None and length != whole[0]:
            raise Errno(whole[1])  # no partial writes of the FPU state
        put(child, mm.read(base, length))
    mm.write_u64(uiov + 8, length)
    return 0


# -- arch_ptrace ------------------------------------------------------------------------------------------
USER_DESC = struct.Struct("<IIII")  # struct user_desc: entry_number, base_addr, limit, flag bits
GDT_ENTRY_TLS_MIN, GDT_ENTRY_TLS_MAX = 12, 14
# user_desc's flag bits
UD_SEG_32BIT, UD_CONTENTS, UD_READ_EXEC_ONLY, UD_LIMIT_IN_PAGES = 0x1, 0x6, 0x8, 0x10
UD_SEG_NOT_PRESENT, UD_USEABLE, UD_LM = 0x20, 0x40, 0x80
_EMPTY_DESC_FLAGS = UD_READ_EXEC_ONLY | UD_SEG_NOT_PRESENT  # LDT_empty: what an all-zero descriptor reads as
_KEPT_FLAGS = UD_SEG_32BIT | UD_CONTENTS | UD_READ_EXEC_ONLY | UD_LIMIT_IN_PAGES | UD_USEABLE


def _desc_clears(base: int, limit: int, flags: int) -> bool:
    """LDT_empty or LDT_zero: the descriptor means "no segment"."""
    return not base and not limit and (flags & 0xFF == _EMPTY_DESC_FLAGS or not flags & 0x7F)


def get_thread_area(tracer: Task, child: Task, idx: int, uaddr: int) -> int:
    """PTRACE_GET_THREAD_AREA (do_get_thread_area): one of the three TLS slots as a user_desc."""
    if idx >> 31:
        raise Errno(E.EIO)
    if not GDT_ENTRY_TLS_MIN <= idx <= GDT_ENTRY_TLS_MAX:
        raise Errno(E.EINVAL)
    slot = arch_thread(child).tls[idx - GDT_ENTRY_TLS_MIN]
    base, limit, flags = slot if slot is not None else (0, 0, _EMPTY_DESC_FLAGS)
    tracer.mm.write(uaddr, USER_DESC.pack(idx, base, limit, flags))
    return 0


def set_thread_area(tracer: Task, child: Task, idx: int, uaddr: int) -> int:
    """PTRACE_SET_THREAD_AREA (do_set_thread_area): fill a TLS slot (tls_desc_okay: 32-bit data segments that
    are present, or "no segment").  Kept and shown back; a selector naming it takes its base, as Linux
    refreshes fs and gs, but the emulated CPU runs without a GDT: loading it changes nothing else."""
    if idx >> 31:
        raise Errno(E.EIO)
    _, base, limit, flags = USER_DESC.unpack(tracer.mm.read(uaddr, USER_DESC.size))
    empty = _desc_clears(base, limit, flags)
    if not empty and (not flags & UD_SEG_32BIT or (flags & UD_CONTENTS) >> 1 > 1 or flags & UD_SEG_NOT_PRESENT):
        raise Errno(E.EINVAL)
    if not GDT_ENTRY_TLS_MIN <= idx <= GDT_ENTRY_TLS_MAX:
        raise Errno(E.EINVAL)
    a = arch_thread(child)
    a.tls[idx - GDT_ENTRY_TLS_MIN] = None if empty else (base, limit & 0xFFFFF, flags & _KEPT_FLAGS)
    sel = (idx << 3) | 3
    if a.selectors[OFF_FS] == sel:
        _set_fs_base(child, base)
    if a.selectors[OFF_GS] == sel:
        set_task_reg(child, GS_BASE, base)
    return 0


def arch_prctl_child(tracer: Task, child: Task, option: int, arg: int) -> int:
    """do_arch_prctl_64 on a stopped tracee: the fs and gs bases; a GET stores into the tracer's memory."""
    if option == ARCH_SET_FS or option == ARCH_SET_GS:
        if arg >= TASK_SIZE:
            raise Errno(E.EPERM)
        a = arch_thread(child)
        if option == ARCH_SET_FS:
            a.selectors[OFF_FS] = 0
            _set_fs_base(child, arg)
        else:
            a.selectors[OFF_GS] = 0
            set_task_reg(child, GS_BASE, arg)
        return 0
    if option == ARCH_GET_FS or option == ARCH_GET_GS:
        tracer.mm.write_u64(arg, task_reg(child, FS_BASE if option == ARCH_GET_FS else GS_BASE))
        return 0
    raise Errno(E.EINVAL)


def arch_ptrace(tracer: Task, child: Task, request: int, addr: int, data: int) -> int | None:
    """Linux arch_ptrace for x86-64, plus the requests of ptrace_request that need registers or memory
    (PEEK/POKE of text and data, GETREGSET/SETREGSET): the result, or None when the request is not one of
    these.  `child` is traced by `tracer` and stopped.  Errors raise Errno."""
    addr &= _MASK64
    data &= _MASK64
    mm = tracer.mm
    if request in (P.PTRACE_PEEKTEXT, P.PTRACE_PEEKDATA):
        mm.write_u64(data, ptrace_peek(child, addr, tracer))
        return 0
    if request in (P.PTRACE_POKETEXT, P.PTRACE_POKEDATA):
        ptrace_poke(child, addr, data, tracer)
        return 0
    if request == P.PTRACE_PEEKUSR:
        mm.write_u64(data, peek_user(child, addr))
        return 0
    if request == P.PTRACE_POKEUSR:
        poke_user(child, addr, data)
        return 0
    if request == P.PTRACE_GETREGS:
        mm.write(data, get_user_regs(child))
        return 0
    if request == P.PTRACE_SETREGS:
        set_user_regs(child, mm.read(data, USER_REGS_SIZE))
        return 0
    if request == P.PTRACE_GETFPREGS:
        mm.write(data, get_fp_image(child))
        return 0
    if request == P.PTRACE_SETFPREGS:
        set_fp_image(child, mm.read(data, FP_IMAGE_SIZE))
        return 0
    if request in (P.PTRACE_GETREGSET, P.PTRACE_SETREGSET):
        return ptrace_regset(tracer, child, request, addr, data)
    if request == P.PTRACE_ARCH_PRCTL:
        return arch_prctl_child(tracer, child, data, addr)  # the arguments in the other order
    if request == P.PTRACE_GET_THREAD_AREA:
        return get_thread_area(tracer, child, addr & 0xFFFFFFFF, data)
    if request == P.PTRACE_SET_THREAD_AREA:
        return set_thread_area(tracer, child, addr & 0xFFFFFFFF, data)
    return None


assert len(_FP_LAYOUT) == 28 and _FP_LAYOUT[20][0] == ST_REGS[0]
