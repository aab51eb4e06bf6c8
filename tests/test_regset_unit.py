"""emukernel.regset on a bare CPU: the same views whether a task's registers are live in the CPU or in its
saved context (a thread of a process whose sibling ran last), and putreg's, xfpregs_set's and
xstateregs_set's refusals."""

from __future__ import annotations

import struct

import pytest
from unicorn import UC_PROT_ALL

from emukernel import regset as R
from emukernel.abi import errno as E
from emukernel.cpu import RAX, RIP, Cpu
from emukernel.errors import Errno
from emukernel.kernel import Kernel
from emukernel.mm import AddressSpace
from emukernel.task import Task

# fninit; fld1; fldpi; movdqu xmm0/xmm1 from 0x2000; ldmxcsr 0x2020; mov rax, 0x1234; hlt-free end
CODE = bytes.fromhex(
    "dbe3"  # fninit
    "d9e8"  # fld1
    "d9eb"  # fldpi
    "f30f6f042500200000"  # movdqu xmm0, [0x2000]
    "f30f6f0c2510200000"  # movdqu xmm1, [0x2010]
    "0fae142520200000"  # ldmxcsr [0x2020]
    "48c7c034120000"  # mov rax, 0x1234
)


def make_task(cpu: Cpu) -> Task:
    """A real task on a real address space around the CPU, with a context to save into."""
    task = Task(Kernel(), 99)
    task.mm = AddressSpace(cpu)
    task.ctx = cpu.context_alloc()
    return task


@pytest.fixture()
def live() -> Task:
    cpu = Cpu()
    cpu.init_fpu()
    cpu.uc.mem_map(0x1000, 0x2000, UC_PROT_ALL)
    cpu.uc.mem_write(0x1000, CODE)
    cpu.uc.mem_write(0x2000, bytes(range(1, 33)) + struct.pack("<I", 0x3F80))
    cpu.uc.emu_start(0x1000, 0x1000 + len(CODE))
    task = make_task(cpu)
    cpu.current = task
    return task


def saved(task: Task) -> None:
    """Move the task's registers into its context, as a switch to a sibling thread does."""
    cpu = task.mm.cpu
    cpu.context_save(task.ctx)
    cpu.init_fpu()
    cpu.set_reg(RAX, 0)
    cpu.current = None


def test_fp_image(live: Task) -> None:
    img = R.get_fp_image(live)
    assert len(img) == 512
    fcw, fsw, ftw, mxcsr = struct.unpack_from("<HHB", img, 0) + struct.unpack_from("<I", img, 24)
    assert (fcw, (fsw >> 11) & 7, ftw, mxcsr) == (0x37F, 6, 0xC0, 0x3F80)
    assert img[32:42] == bytes.fromhex("35c26821a2da0fc90040")  # ST0 = pi
    assert img[48:58] == bytes.fromhex("0000000000000080ff3f")  # ST1 = 1.0
    assert img[160:192] == bytes(range(1, 33))
    saved(live)
    assert R.get_fp_image(live) == img, "the saved context gives the same image"


def test_fp_image_round_trip_through_context(live: Task) -> None:
    img = bytearray(R.get_fp_image(live))
    saved(live)
    img[24:28] = struct.pack("<I", 0x1F80)
    img[176:192] = b"\xee" * 16  # xmm1
    img[32:42] = img[48:58]  # ST0 = 1.0
    R.set_fp_image(live, bytes(img))
    assert R.get_fp_image(live) == bytes(img)
    cpu = live.mm.cpu
    cpu.context_restore(live.ctx)
    cpu.current = live
    assert R.get_fp_image(live) == bytes(img), "the write reached the context"


def test_fp_image_refusals(live: Task) -> None:
    img = bytearray(R.get_fp_image(live))
    with pytest.raises(Errno) as e:
        R.set_fp_image(live, bytes(img[:256]))
    assert e.value.errno == E.EINVAL
    img[24:28] = struct.pack("<I", 0x11F80)
    with pytest.raises(Errno) as e:
        R.set_fp_image(live, bytes(img))
    assert e.value.errno == E.EINVAL


def test_xstate(live: Task) -> None:
    xs = R.get_xstate(live)
    assert len(xs) == 576
    assert xs[:464] == R.get_fp_image(live)[:464]
    assert struct.unpack_from("<Q", xs, 464)[0] == 3  # XCR0: x87 and SSE
    assert struct.unpack_from("<QQ", xs, 512) == (3, 0)  # both in use, standard format
    with pytest.raises(Errno) as e:
        R.set_xstate(live, xs[:512])
    assert e.value.errno == E.EFAULT
    bad = bytearray(xs)
    bad[512] = 4  # AVX: not on this CPU
    with pytest.raises(Errno) as e:
        R.set_xstate(live, bytes(bad))
    assert e.value.errno == E.EINVAL
    only_x87 = bytearray(xs)
    only_x87[512] = 1
    R.set_xstate(live, bytes(only_x87))
    img = R.get_fp_image(live)
    assert img[160:416] == bytes(256) and struct.unpack_from("<I", img, 24)[0] == 0x1F80
    assert img[32:160] == xs[32:160]
    R.set_xstate(live, xs)
    assert R.get_xstate(live) == xs


def test_user_regs(live: Task) -> None:
    regs = R.get_user_regs(live)
    words = list(R.USER_REGS.unpack(regs))
    assert words[10] == 0x1234  # rax
    assert words[15] == (1 << 64) - 1  # orig_rax -1
    assert words[17] == 0x33 and words[20] == 0x2B  # cs, ss
    assert words[18] & 0x202 == 0x202
    saved(live)
    assert R.get_user_regs(live) == regs, "the saved context gives the same registers"
    words[10] = 7
    words[15] = 39
    words[16] = 0x1100  # rip
    R.set_user_regs(live, R.USER_REGS.pack(*words))
    assert live.orig_rax == 39
    cpu = live.mm.cpu
    assert cpu.context_reg_read(live.ctx, RAX) == 7 and cpu.context_reg_read(live.ctx, RIP) == 0x1100


def test_rip_of_a_context_saved_in_the_hook(live: Task) -> None:
    saved(live)
    live.ctx_in_hook = True
    live.mm.cpu.context_reg_write(live.ctx, RIP, 0x1000)
    assert R.getreg(live, R.OFF_RIP) == 0x1002
    R.putreg(live, R.OFF_RIP, 0x1100)
    assert live.mm.cpu.context_reg_read(live.ctx, RIP) == 0x10FE


@pytest.mark.parametrize(("off", "value", "errno"), [
    (R.OFF_CS, 0, E.EIO),
    (R.OFF_SS, 0, E.EIO),
    (R.OFF_DS, 0x2A, E.EIO),
    (R.OFF_FS_BASE, 1 << 47, E.EIO),
    (R.OFF_GS_BASE, (1 << 64) - 1, E.EIO),
])
def test_putreg_refusals(live: Task, off: int, value: int, errno: int) -> None:
    with pytest.raises(Errno) as e:
        R.putreg(live, off, value)
    assert e.value.errno == errno


def test_set_user_regs_stops_at_the_first_refusal(live: Task) -> None:
    words = list(R.USER_REGS.unpack(R.get_user_regs(live)))
    words[0] = 0x1515  # r15
    words[20] = 0  # ss
    words[21] = 0x5000  # fs_base, after ss: never reached
    with pytest.raises(Errno):
        R.set_user_regs(live, R.USER_REGS.pack(*words))
    assert R.getreg(live, 0) == 0x1515 and R.getreg(live, R.OFF_FS_BASE) == 0


def test_eflags_only_user_bits(live: Task) -> None:
    before = R.getreg(live, R.OFF_EFLAGS)
    R.putreg(live, R.OFF_EFLAGS, (1 << 64) - 1)
    after = R.getreg(live, R.OFF_EFLAGS)
    assert after & ~R.FLAG_MASK == before & ~R.FLAG_MASK
    assert after & R.FLAG_MASK == R.FLAG_MASK


def test_debug_registers(live: Task) -> None:
    assert [R.peek_user(live, R.U_DEBUGREG + 8 * n) for n in range(8)] == [0] * 6 + [R.DR6_RESERVED, 0]
    R.poke_user(live, R.U_DEBUGREG, 0x1000)
    assert R.peek_user(live, R.U_DEBUGREG) == 0x1000
    with pytest.raises(Errno) as e:
        R.poke_user(live, R.U_DEBUGREG + 7 * 8, 1)  # enable DR0: no hardware breakpoint here
    assert e.value.errno == E.ENOSPC
    with pytest.raises(Errno) as e:
        R.poke_user(live, R.U_DEBUGREG + 7 * 8, 0xD0000)  # DR0 as a 4-byte write watchpoint: 0x1000 is fine,
        R.poke_user(live, R.U_DEBUGREG, 0x1001)  # ... an odd address is not
    assert e.value.errno == E.EINVAL
    with pytest.raises(Errno) as e:
        R.poke_user(live, R.U_DEBUGREG + 4 * 8, 0)
    assert e.value.errno == E.EIO
