"""The x86-64 rt_sigframe, byte for byte (arch/x86/kernel/signal_64.c, asm/sigframe.h, uapi sigcontext.h).

    rt_sigframe:  +0 pretcode (sa_restorer)   +8 struct ucontext (304 bytes)   +312 siginfo (128 bytes)
    ucontext:     +0 uc_flags  +8 uc_link  +16 uc_stack {ss_sp, ss_flags, ss_size}  +40 uc_mcontext
                  (struct sigcontext, 256 bytes)  +296 uc_sigmask (8 bytes)
    sigcontext:   r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags, cs/gs/fs/ss (u16 each),
                  err, trapno, oldmask, cr2, fpstate pointer, 8 reserved words
The FP state is a 512-byte FXSAVE image placed above the frame, 64-byte aligned (legacy format:
uc_flags has no UC_FP_XSTATE, so no xsave header follows it).
"""

from __future__ import annotations

import struct

FRAME_SIZE = 440
UC_OFFSET = 8
SIGINFO_OFFSET = 312
MCONTEXT_OFFSET = UC_OFFSET + 40
SIGMASK_OFFSET = UC_OFFSET + 296
FPSTATE_SIZE = 512
UC_FP_XSTATE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS = 1, 2, 4
USER_CS, USER_DS = 0x33, 0x2B
FIX_EFLAGS = 0x40DD5 | 0x10000  # AC OF DF TF SF ZF AF PF CF RF: what sigreturn may change
MINSIGSTKSZ, SIGSTKSZ = 2048, 8192
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31

UCONTEXT_HEAD = struct.Struct("<QQQI4xQ")  # uc_flags, uc_link, ss_sp, ss_flags, ss_size
SIGCONTEXT = struct.Struct("<18QHHHHQQQQQ64x")  # 18 regs, cs gs fs ss, err trapno oldmask cr2 fpstate
GPRS = struct.Struct("<18Q")
# offsets inside a sigcontext of the fields signal code touches
SC_RDI, SC_RSI, SC_RDX, SC_RAX, SC_RSP, SC_RIP, SC_EFLAGS = 8, 9, 12, 13, 15, 16, 17
SC_R11, SC_RCX = 3, 14
assert UCONTEXT_HEAD.size == 40 and SIGCONTEXT.size == 256


_FX_HEAD = struct.Struct("<HHBxHQQII")
_FP_HEAD = struct.Struct("<I12xI12xI12xI12x")  # FPCW, FPSW, FPTAG, MXCSR slots of the fp_regs batch
_FX_PAD = bytes(96)


def _abridged_tag(ftw: int) -> int:
    """FXSAVE keeps one bit per x87 register (1 = valid); the full tag word has two, 11 for empty (00 valid,
    01 zero, 10 special).  (Exec leaves every register empty, as fninit does: a fresh Unicorn CPU would
    have them all valid.)"""
    return sum(1 << i for i in range(8) if (ftw >> (2 * i)) & 3 != 3)


# the full tag word sigreturn writes for an abridged one: 11 for each empty register, 00 for a valid one
FULL_TAGS = tuple(sum(3 << (2 * i) for i in range(8) if not t >> i & 1) for t in range(256))


def st_from_physical(regs: bytes, top: int) -> bytes:
    """Eight 16-byte x87 slots in physical order (Unicorn's FP0-7) -> stack order (ST(0) = physical TOP)."""
    return regs[16 * top:] + regs[:16 * top]


def physical_from_st(st: bytes, top: int) -> bytes:
    """The inverse of st_from_physical."""
    k = (8 - top) & 7
    return st[16 * k:] + st[:16 * k]


def fxsave_from_regs(fp: bytes) -> bytes:
    """Build an FXSAVE image from the fp_regs batch (FPCW, FPSW, FPTAG, MXCSR, XMM0-15, ST0-7 in 16-byte
    slots, zero-filled past each register): the ST and XMM slots already have FXSAVE's layout."""
    fcw, fsw, ftw, mxcsr = _FP_HEAD.unpack_from(fp)
    head = _FX_HEAD.pack(fcw & 0xFFFF, fsw & 0xFFFF, _abridged_tag(ftw), 0, 0, 0, mxcsr, 0xFFFF)
    return head + st_from_physical(bytes(fp[320:448]), (fsw >> 11) & 7) + fp[64:320] + _FX_PAD


_FP_RESTORE_HEAD = struct.Struct("<I12xI12x")  # FPCW, MXCSR slots of the fp_restore batch


def restore_regs_from_fxsave(img: bytes) -> bytes:
    """An fp_restore batch image (FPCW, MXCSR, XMM0-15) from an FXSAVE image (a reference for the tests;
    sigreturn's batch also restores FPSW, the tag word and the x87 registers)."""
    fcw = struct.unpack_from("<H", img, 0)[0]
    mxcsr = struct.unpack_from("<I", img, 24)[0]
    return _FP_RESTORE_HEAD.pack(fcw, mxcsr) + img[160:416]


ABRIDGED_TAGS: dict[int, int] = {}


def abridged_tag(ftw: int) -> int:
    """_abridged_tag, memoised (a handful of tag words occur)."""
    t = ABRIDGED_TAGS.get(ftw)
    if t is None:
        t = ABRIDGED_TAGS[ftw] = _abridged_tag(ftw)
    return t


# The frame and its FP state as one block: get_sigframe puts the FXSAVE image FP_OFFSET bytes above the frame
# (the 64-byte aligned fpstate minus the 16-byte aligned frame minus 8 is always 456).  Delivery and sigreturn
# work on block-shaped buffers (cpu.SignalBatches) with the structs below.
FP_OFFSET = 456
BLOCK_SIZE = FP_OFFSET + FPSTATE_SIZE
SC_RSP_OFFSET = MCONTEXT_OFFSET + 8 * SC_RSP
SC_RAX_OFFSET = MCONTEXT_OFFSET + 8 * SC_RAX  # rcx follows
SC_R11_OFFSET = MCONTEXT_OFFSET + 8 * SC_R11
SC_RIP_OFFSET = MCONTEXT_OFFSET + 8 * SC_RIP
BLOCK_HEAD = struct.Struct("<QQQQI4xQ")  # at 0: pretcode, uc_flags, uc_link, ss_sp, ss_flags, ss_size
# at SC_RIP_OFFSET: rip, eflags, cs gs fs ss, err, trapno, oldmask, cr2, fpstate, reserved, uc_sigmask, siginfo
BLOCK_TAIL = struct.Struct("<QQHHHHQQQQQ64xQ128s")
SP_IP_FLAGS_TAG = struct.Struct("<3QH")  # at SC_RSP_OFFSET: rsp, rip, eflags, and the x87 tag word that
# the delivery read puts in the cs slot
IP_FLAGS = struct.Struct("<2Q")  # at SC_RIP_OFFSET
# what rt_sigreturn needs of a frame, from 0: uc_flags, uc_link, ss_sp, ss_flags, ss_size, rsp, rip, eflags,
# fpstate, uc_sigmask
RETURN_FIELDS = struct.Struct("<8xQQQI4xQ120xQQQ40xQ64xQ")
UC_FLAGS = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS
FX_TAG = FP_OFFSET + 4  # the abridged tag byte of the FXSAVE image
FX_TOP = FP_OFFSET + 3  # the FXSAVE status word's high byte: TOP in bits 3-5
FX_ST = FP_OFFSET + 32  # ST(0)-ST(7), 16 bytes each
assert SC_RCX == SC_RAX + 1
assert BLOCK_HEAD.size == MCONTEXT_OFFSET and SC_RIP_OFFSET + BLOCK_TAIL.size == FRAME_SIZE
assert RETURN_FIELDS.size == SIGINFO_OFFSET


def frame_address(sp: int, onstack_top: int | None) -> tuple[int, int]:
    """get_sigframe: (frame, fpstate) below sp (past the red zone) or at the top of the altstack."""
    sp = onstack_top if onstack_top is not None else sp - 128
    fpstate = (sp - FPSTATE_SIZE) & ~63
    frame = ((fpstate - FRAME_SIZE) & ~15) - 8
    return frame, fpstate


def build_frame(gprs: tuple, restorer: int, info: bytes, oldmask: int, stack: tuple[int, int, int],
                fpstate_addr: int, cr2: int = 0, trapno: int = 0, err: int = 0) -> bytes:
    """The rt_sigframe bytes: pretcode, ucontext (with the interrupted registers) and siginfo."""
    head = UCONTEXT_HEAD.pack(UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, 0, stack[0], stack[1], stack[2])
    sc = SIGCONTEXT.pack(*gprs, USER_CS, 0, 0, USER_DS, err, trapno, oldmask, cr2, fpstate_addr)
    return struct.pack("<Q", restorer) + head + sc + struct.pack("<Q", oldmask) + info
