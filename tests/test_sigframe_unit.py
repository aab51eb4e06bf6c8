"""emukernel/signal/frame.py against Linux's x86-64 signal frame layout (no Unicorn needed).

The reference is written out independently below with ctypes, field by field from Linux's headers:
arch/x86/include/asm/sigframe.h (struct rt_sigframe), include/uapi/asm-generic/ucontext.h
(struct ucontext), include/uapi/asm-generic/signal.h (stack_t), arch/x86/include/uapi/asm/sigcontext.h
(struct sigcontext, struct _fpstate_64 = the FXSAVE image) and include/uapi/asm-generic/siginfo.h.
The frame placement follows arch/x86/kernel/signal.c get_sigframe(): skip the 128-byte red zone (not
when switching to the alternate stack), put the 64-byte aligned FP state below, then the frame, with
(frame + 8) 16-byte aligned -- the alignment a function sees right after a call.
"""

from __future__ import annotations

import ctypes as C
import struct

import pytest

from emukernel.signal import frame as F
from emukernel.signal.siginfo import SIGINFO_SIZE, SigInfo

# --------------------------------------------------------------------------- the reference layout

SIGCONTEXT_REGS = (
    "r8",
    "r9",
    "r10",
    "r11",
    "r12",
    "r13",
    "r14",
    "r15",
    "rdi",
    "rsi",
    "rbp",
    "rbx",
    "rdx",
    "rax",
    "rcx",
    "rsp",
    "rip",
    "eflags",
)


class Sigcontext(C.Structure):  # struct sigcontext (64-bit)
    _fields_ = [(name, C.c_uint64) for name in SIGCONTEXT_REGS] + [
        ("cs", C.c_uint16),
        ("gs", C.c_uint16),
        ("fs", C.c_uint16),
        ("ss", C.c_uint16),
        ("err", C.c_uint64),
        ("trapno", C.c_uint64),
        ("oldmask", C.c_uint64),
        ("cr2", C.c_uint64),
        ("fpstate", C.c_uint64),
        ("reserved1", C.c_uint64 * 8),
    ]


class StackT(C.Structure):  # stack_t
    _fields_ = [("ss_sp", C.c_uint64), ("ss_flags", C.c_int32), ("ss_size", C.c_uint64)]


class Ucontext(C.Structure):  # struct ucontext
    _fields_ = [
        ("uc_flags", C.c_uint64),
        ("uc_link", C.c_uint64),
        ("uc_stack", StackT),
        ("uc_mcontext", Sigcontext),
        ("uc_sigmask", C.c_uint64),
    ]


class Siginfo(C.Structure):  # siginfo_t: the head and the padded union
    _fields_ = [
        ("si_signo", C.c_int32),
        ("si_errno", C.c_int32),
        ("si_code", C.c_int32),
        ("_pad", C.c_int32),
        ("fields", C.c_uint8 * (128 - 16)),
    ]


class RtSigframe(C.Structure):  # struct rt_sigframe
    _fields_ = [("pretcode", C.c_uint64), ("uc", Ucontext), ("info", Siginfo)]


class Fxsave(C.Structure):  # struct _fpstate_64 (the FXSAVE image)
    _fields_ = [
        ("cwd", C.c_uint16),
        ("swd", C.c_uint16),
        ("twd", C.c_uint16),
        ("fop", C.c_uint16),
        ("rip", C.c_uint64),
        ("rdp", C.c_uint64),
        ("mxcsr", C.c_uint32),
        ("mxcsr_mask", C.c_uint32),
        ("st_space", C.c_uint32 * 32),
        ("xmm_space", C.c_uint32 * 64),
        ("reserved2", C.c_uint32 * 12),
        ("sw_reserved", C.c_uint32 * 12),
    ]


def test_reference_layout_is_linuxs() -> None:
    """The ctypes reference itself has Linux's sizes and offsets (so the tests below compare with Linux)."""
    assert C.sizeof(RtSigframe) == 440
    assert (RtSigframe.pretcode.offset, RtSigframe.uc.offset, RtSigframe.info.offset) == (0, 8, 312)
    assert C.sizeof(Ucontext) == 304
    assert (
        Ucontext.uc_flags.offset,
        Ucontext.uc_link.offset,
        Ucontext.uc_stack.offset,
        Ucontext.uc_mcontext.offset,
        Ucontext.uc_sigmask.offset,
    ) == (0, 8, 16, 40, 296)
    assert C.sizeof(StackT) == 24 and StackT.ss_flags.offset == 8 and StackT.ss_size.offset == 16
    assert C.sizeof(Sigcontext) == 256
    assert Sigcontext.rip.offset == 128 and Sigcontext.eflags.offset == 136 and Sigcontext.cs.offset == 144
    assert Sigcontext.err.offset == 152 and Sigcontext.cr2.offset == 176 and Sigcontext.fpstate.offset == 184
    assert C.sizeof(Siginfo) == 128
    assert C.sizeof(Fxsave) == 512
    assert (
        Fxsave.cwd.offset,
        Fxsave.swd.offset,
        Fxsave.twd.offset,
        Fxsave.mxcsr.offset,
        Fxsave.st_space.offset,
        Fxsave.xmm_space.offset,
    ) == (0, 2, 4, 24, 32, 160)


# --------------------------------------------------------------------------- constants


def test_frame_constants() -> None:
    assert F.FRAME_SIZE == C.sizeof(RtSigframe) == 440
    assert F.UC_OFFSET == RtSigframe.uc.offset == 8
    assert F.SIGINFO_OFFSET == RtSigframe.info.offset == 312
    assert F.MCONTEXT_OFFSET == RtSigframe.uc.offset + Ucontext.uc_mcontext.offset == 48
    assert F.SIGMASK_OFFSET == RtSigframe.uc.offset + Ucontext.uc_sigmask.offset == 304
    assert F.FPSTATE_SIZE == C.sizeof(Fxsave) == 512
    assert SIGINFO_SIZE == C.sizeof(Siginfo) == 128


def test_ucontext_head_struct() -> None:
    """UCONTEXT_HEAD covers uc_flags, uc_link and uc_stack exactly: the bytes before uc_mcontext."""
    assert F.UCONTEXT_HEAD.size == Ucontext.uc_mcontext.offset == 40
    raw = F.UCONTEXT_HEAD.pack(1, 2, 0x7000, 3, 0x4000)
    uc = Ucontext.from_buffer_copy(raw.ljust(C.sizeof(Ucontext), b"\0"))
    assert (uc.uc_flags, uc.uc_link) == (1, 2)
    assert (uc.uc_stack.ss_sp, uc.uc_stack.ss_flags, uc.uc_stack.ss_size) == (0x7000, 3, 0x4000)


def test_sigcontext_struct_order_and_size() -> None:
    """SIGCONTEXT packs the registers in struct sigcontext's order, then cs gs fs ss, err, trapno, oldmask,
    cr2, fpstate and the 8 reserved words."""
    assert F.SIGCONTEXT.size == C.sizeof(Sigcontext) == 256
    regs = [0x1111_0000 + i for i in range(18)]
    raw = F.SIGCONTEXT.pack(*regs, 0x33, 0x44, 0x55, 0x2B, 7, 14, 0xABC, 0xDEAD, 0xF00)
    sc = Sigcontext.from_buffer_copy(raw)
    assert [getattr(sc, n) for n in SIGCONTEXT_REGS] == regs
    assert (sc.cs, sc.gs, sc.fs, sc.ss) == (0x33, 0x44, 0x55, 0x2B)
    assert (sc.err, sc.trapno, sc.oldmask, sc.cr2, sc.fpstate) == (7, 14, 0xABC, 0xDEAD, 0xF00)
    assert list(sc.reserved1) == [0] * 8


def test_register_index_constants() -> None:
    """The SC_* indexes name the right slots of struct sigcontext."""
    idx = {name: i for i, name in enumerate(SIGCONTEXT_REGS)}
    assert F.SC_RDI == idx["rdi"]
    assert F.SC_RSI == idx["rsi"]
    assert F.SC_RDX == idx["rdx"]
    assert F.SC_RAX == idx["rax"]
    assert F.SC_RSP == idx["rsp"]
    assert F.SC_RIP == idx["rip"]
    assert F.SC_EFLAGS == idx["eflags"]
    assert F.GPRS.size == 18 * 8


# --------------------------------------------------------------------------- build_frame


def _frame(ss_flags: int = 0, **kw) -> tuple[bytes, list[int], bytes]:
    regs = [0x1000 + 0x11 * i for i in range(18)]
    info = bytes(range(128))
    args = dict(cr2=0xC0FFEE, trapno=14, err=6)
    args.update(kw)
    data = F.build_frame(
        tuple(regs),
        0x401234,
        info,
        0x8000_0000_0000_0201,
        (0x7F00_0000, ss_flags, 0x10000),
        0x7FFF_F000,
        **args,
    )
    return data, regs, info


def test_build_frame_fields() -> None:
    data, regs, info = _frame()
    assert len(data) == F.FRAME_SIZE == 440
    fr = RtSigframe.from_buffer_copy(data)
    assert fr.pretcode == 0x401234
    uc = fr.uc
    # legacy FXSAVE state (no xsave header): UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, no UC_FP_XSTATE
    assert uc.uc_flags == F.UC_SIGCONTEXT_SS | F.UC_STRICT_RESTORE_SS == 6
    assert uc.uc_link == 0
    assert (uc.uc_stack.ss_sp, uc.uc_stack.ss_flags, uc.uc_stack.ss_size) == (0x7F00_0000, 0, 0x10000)
    sc = uc.uc_mcontext
    assert [getattr(sc, n) for n in SIGCONTEXT_REGS] == regs
    assert (sc.cs, sc.ss) == (F.USER_CS, F.USER_DS) == (0x33, 0x2B)
    assert (sc.gs, sc.fs) == (0, 0)
    assert (sc.err, sc.trapno, sc.cr2) == (6, 14, 0xC0FFEE)
    assert sc.oldmask == 0x8000_0000_0000_0201  # Linux stores the blocked mask in oldmask too
    assert sc.fpstate == 0x7FFF_F000
    assert list(sc.reserved1) == [0] * 8
    assert uc.uc_sigmask == 0x8000_0000_0000_0201
    assert data[F.SIGINFO_OFFSET :] == info
    # and the offsets the kernel uses to read the frame back at rt_sigreturn
    assert struct.unpack_from("<Q", data, F.SIGMASK_OFFSET)[0] == uc.uc_sigmask
    assert struct.unpack_from("<Q", data, F.MCONTEXT_OFFSET + 8 * F.SC_RIP)[0] == regs[F.SC_RIP]


def test_build_frame_defaults() -> None:
    regs = tuple(range(18))
    data = F.build_frame(regs, 0, bytes(128), 0, (0, F.SS_DISABLE, 0), 0)
    sc = RtSigframe.from_buffer_copy(data).uc.uc_mcontext
    assert (sc.err, sc.trapno, sc.cr2) == (0, 0, 0)
    assert RtSigframe.from_buffer_copy(data).uc.uc_stack.ss_flags == F.SS_DISABLE


@pytest.mark.parametrize("flags", [0, 1, 2, 1 << 31, (1 << 31) | 1])
def test_build_frame_ss_flags(flags: int) -> None:
    """uc_stack.ss_flags is the thread's sigaltstack flags, SS_AUTODISARM (bit 31) included: Linux writes
    current->sas_ss_flags there (a handler on a stack registered with SS_AUTODISARM sees it)."""
    data, _, _ = _frame(ss_flags=flags)
    assert struct.unpack_from("<I", data, F.UC_OFFSET + 24)[0] == flags


def test_siginfo_pack_layout() -> None:
    """SigInfo.pack lays out the union members where siginfo_t has them."""
    si = Siginfo.from_buffer_copy(SigInfo(10, 0, pid=123, uid=456).pack())
    assert (si.si_signo, si.si_errno, si.si_code) == (10, 0, 0)
    assert struct.unpack_from("<iI", bytes(si.fields), 0) == (123, 456)  # si_pid, si_uid at 16, 20
    rt = SigInfo(34, -1, pid=7, uid=8, value=0x1122334455667788, kind="rt").pack()
    assert len(rt) == 128
    assert struct.unpack_from("<iIQ", rt, 16) == (7, 8, 0x1122334455667788)  # si_value at 24
    chld = SigInfo(17, 1, pid=9, uid=0, status=3, utime=5, stime=6, kind="chld").pack()
    assert struct.unpack_from("<iIi", chld, 16) == (9, 0, 3)  # si_status at 24
    assert struct.unpack_from("<qq", chld, 32) == (5, 6)  # si_utime, si_stime at 32, 40
    fault = SigInfo(11, 1, addr=0xDEADBEEF000, kind="fault").pack()
    assert struct.unpack_from("<Q", fault, 16)[0] == 0xDEADBEEF000  # si_addr at 16
    timer = SigInfo(35, -2, tid=4, overrun=2, value=77, kind="timer").pack()
    assert struct.unpack_from("<iiQ", timer, 16) == (4, 2, 77)  # si_tid, si_overrun, si_value


# --------------------------------------------------------------------------- frame_address


SPS = [0x7FFF_FFFF_E000 - d for d in (0, 1, 7, 8, 15, 16, 63, 64, 100, 511, 512, 640, 1000, 4095, 12345)]


@pytest.mark.parametrize("sp", SPS)
def test_frame_address_normal_stack(sp: int) -> None:
    frame, fpstate = F.frame_address(sp, None)
    # Linux: sp -= 128 (red zone); fpstate = round_down(sp - 512, 64); sp = fpstate - 440;
    # frame = round_down(sp, 16) - 8
    want_fp = (sp - 128 - 512) & ~63
    assert fpstate == want_fp
    assert frame == ((want_fp - 440) & ~15) - 8
    assert (frame + 8) % 16 == 0, "the handler must start as if just called: (rsp + 8) % 16 == 0"
    assert fpstate % 64 == 0
    assert frame + F.FRAME_SIZE <= fpstate, "the frame overlaps the FP state"
    assert fpstate + F.FPSTATE_SIZE <= sp - 128, "the FP state reaches into the red zone"
    assert fpstate - (frame + F.FRAME_SIZE) < 8 + 16, "more than alignment between frame and FP state"


@pytest.mark.parametrize("top", [0x7000_0000, 0x7000_0008, 0x7000_0030, 0x7000_0FFF])
def test_frame_address_altstack(top: int) -> None:
    """Switching to the alternate stack starts at its top, with no red zone."""
    frame, fpstate = F.frame_address(0x7FFF_0000_0000, top)
    assert fpstate == (top - 512) & ~63
    assert fpstate + F.FPSTATE_SIZE <= top
    assert top - (fpstate + F.FPSTATE_SIZE) < 64, "a red zone was skipped on the alternate stack"
    assert (frame + 8) % 16 == 0
    assert frame == ((fpstate - 440) & ~15) - 8


def test_frame_address_ignores_sp_on_altstack() -> None:
    assert F.frame_address(0x1234_5678, 0x7000_0000) == F.frame_address(0x7FFF_0000, 0x7000_0000)


# --------------------------------------------------------------------------- FXSAVE


def _fp_batch(fcw: int, fsw: int, ftw: int, mxcsr: int) -> bytes:
    """The fp_regs batch: FPCW, FPSW, FPTAG, MXCSR, XMM0-15, ST0-7, each in a 16-byte slot."""
    slots = [
        struct.pack("<I", fcw).ljust(16, b"\0"),
        struct.pack("<I", fsw).ljust(16, b"\0"),
        struct.pack("<I", ftw).ljust(16, b"\0"),
        struct.pack("<I", mxcsr).ljust(16, b"\0"),
    ]
    slots += [bytes([0x40 + i]) * 16 for i in range(16)]  # XMM0-15
    slots += [bytes([0xA0 + i]) * 10 + bytes(6) for i in range(8)]  # ST0-7: 80-bit, zero-filled
    return b"".join(slots)


def test_fxsave_layout() -> None:
    img = F.fxsave_from_regs(_fp_batch(0x037F, 0x3800, 0xFFFF, 0x1F80))
    assert len(img) == 512
    fx = Fxsave.from_buffer_copy(img)
    assert fx.cwd == 0x037F
    assert fx.swd == 0x3800
    assert fx.twd & 0xFF == 0  # abridged tag: every register empty
    assert fx.mxcsr == 0x1F80
    assert fx.mxcsr_mask == 0xFFFF
    for i in range(8):
        st = img[32 + 16 * i : 48 + 16 * i]
        # the batch holds the physical registers; FXSAVE keeps stack order: ST(i) = physical (TOP + i) % 8
        assert st == bytes([0xA0 + (7 + i) % 8]) * 10 + bytes(6), f"ST{i}"
    for i in range(16):
        assert img[160 + 16 * i : 176 + 16 * i] == bytes([0x40 + i]) * 16, f"XMM{i}"
    assert img[416:] == bytes(96)


@pytest.mark.parametrize(
    ("ftw", "abridged"),
    [(0xFFFF, 0x00), (0x0000, 0xFF), (0xFFFC, 0x01), (0x3FFF, 0x80), (0xFFF0, 0x03), (0xFFFD, 0x01),
     (0x5555, 0xFF), (0xAFFF, 0xC0)],
)
def test_fxsave_abridged_tag(ftw: int, abridged: int) -> None:
    """FXSAVE keeps one bit per physical register, 1 = valid (the full tag word's 00/01/10 pairs)."""
    img = F.fxsave_from_regs(_fp_batch(0x037F, 0, ftw, 0x1F80))
    assert img[4] == abridged
    assert img[5] == 0


@pytest.mark.parametrize("top", range(8))
def test_x87_stack_order_round_trip(top: int) -> None:
    """Physical registers -> stack order (delivery) -> physical again (sigreturn)."""
    phys = b"".join(bytes([0xA0 + i]) * 16 for i in range(8))
    st = F.st_from_physical(phys, top)
    assert st[:16] == phys[16 * top:16 * top + 16]  # ST(0) is physical TOP
    assert F.physical_from_st(st, top) == phys


def test_full_tags_from_abridged() -> None:
    assert F.FULL_TAGS[0] == 0xFFFF and F.FULL_TAGS[0xFF] == 0 and F.FULL_TAGS[0xC0] == 0x0FFF
    assert all(F._abridged_tag(F.FULL_TAGS[t]) == t for t in range(256))


def test_restore_from_fxsave_round_trip() -> None:
    img = bytearray(F.fxsave_from_regs(_fp_batch(0x027F, 0, 0xFFFF, 0x1FA0)))
    back = F.restore_regs_from_fxsave(bytes(img))
    assert struct.unpack_from("<I", back, 0)[0] == 0x027F  # FPCW slot
    assert struct.unpack_from("<I", back, 16)[0] == 0x1FA0  # MXCSR slot
    assert back[32:] == bytes(img[160:416])  # XMM0-15
