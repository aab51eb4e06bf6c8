"""The signal hot paths against the general ones: the frame-shaped register batches, the siginfo shortcuts,
the queue-entry bound, and kill-to-oneself (Signals.send_self) against send + deliver.

The register-level tests use a real Unicorn CPU: a guest is spawned (ELF loaded, stack built) but never run,
and the syscall hook's side of each syscall is played by hand: registers as the hook sees them (RIP at the
`syscall` instruction), then rax, rcx and r11 written as on_syscall writes them.
"""

from __future__ import annotations

import gc
import os
import struct

import pytest
from unicorn import x86_const as X

from emukernel.abi import signal as S
from emukernel.abi.siginfo import SI_QUEUE, SI_TKILL, SI_USER
from emukernel.cpu import EFLAGS, FPCW, MXCSR, R11, RAX, RBX, RCX, RDI, RDX, RIP, RSI, RSP, SIGCONTEXT_GPRS
from emukernel.sched import REGS_SET
from emukernel.signal import frame as F
from emukernel.signal.pending import SigPending
from emukernel.signal.siginfo import SigInfo, kill_info
from emukernel.syscalls.table import TABLE
from emukernel.trace.events import KernelEvents

HANDLER, RESTORER = 0x401000, 0x401100
SYSCALL_AT = 0x402000  # where the pretend `syscall` instruction is
ACT = (HANDLER, S.SA_RESTORER, RESTORER, 0)
XMM = [getattr(X, f"UC_X86_REG_XMM{i}") for i in range(16)]


# --------------------------------------------------------------------------- siginfo and queues


def test_kill_info_is_the_keyword_siginfo() -> None:
    for code in (SI_USER, SI_TKILL):
        fast = kill_info(S.SIGUSR1, code, 1234, 1000)
        slow = SigInfo(S.SIGUSR1, code, pid=1234, uid=1000, kind="kill")
        assert fast.pack() == slow.pack()
        assert fast.fields() == slow.fields()
        assert (fast.value, fast.addr, fast.raw, fast.trapno, fast.err, fast.overrun) == (0, 0, None, 0, 0, 0)


def test_siginfo_rare_fields_are_per_instance() -> None:
    a = SigInfo(S.SIGALRM, -2, tid=3, overrun=1, value=7, kind="timer")
    b = SigInfo(S.SIGALRM, -2, kind="timer")
    a.overrun += 1
    assert (a.tid, a.overrun, a.value) == (3, 2, 7)
    assert (b.tid, b.overrun, b.value) == (0, 0, 0)
    assert struct.unpack_from("<iiQ", a.pack(), 16) == (3, 2, 7)


def test_sigpending_entries_bound() -> None:
    gc.collect()
    base = SigPending.entries
    p = SigPending()
    rt = S.SIGRTMIN + 1
    for i in range(3):
        assert p.add(SigInfo(rt, SI_QUEUE, value=i))
    assert p.add(SigInfo(S.SIGUSR1, SI_USER))
    assert not p.add(SigInfo(S.SIGUSR1, SI_USER))  # coalesced: no entry
    assert p.add(SigInfo(S.SIGUSR2, SI_USER), keep_info=False)  # the bit only
    assert SigPending.entries - base == p.count() == 4
    assert p.take(rt).value == 0
    assert p.take(S.SIGUSR2).code == SI_USER  # no entry: made up, nothing to give back
    assert SigPending.entries - base == p.count() == 3
    p.discard(S.sigmask(rt))
    assert SigPending.entries - base == p.count() == 1
    del p
    gc.collect()
    assert SigPending.entries == base


# --------------------------------------------------------------------------- a spawned, never-run guest


@pytest.fixture
def guest(build_guest):
    from emukernel.api import spawn
    from emukernel.kernel import Kernel

    path = build_guest("bench_signal", "musl")
    devnull = os.open(os.devnull, os.O_RDWR)
    kernel = Kernel(stdio=(devnull, devnull, devnull), quiet=True, slow_entry=False)  # the fast path
    proc = spawn(kernel, [str(path), "self", "1"])
    task = proc.task if hasattr(proc, "task") else next(t for t in kernel.tasks.values() if not t.kthread)
    task.mm.cpu.current = task
    yield kernel, task
    os.close(devnull)


def regs(cpu, ids) -> list[int]:
    return [cpu.uc.reg_read(r) for r in ids]


SEEN = (*SIGCONTEXT_GPRS, MXCSR, FPCW, *XMM)


def syscall_entry(task, nr: int, *args: int) -> None:
    """The registers as the hook sees a `syscall` at SYSCALL_AT (fresh values in the others)."""
    uc = task.mm.cpu.uc
    for i, r in enumerate((RBX, RCX, R11, X.UC_X86_REG_R12, X.UC_X86_REG_R15, X.UC_X86_REG_RBP)):
        uc.reg_write(r, 0x1111 * (i + 1))
    for i, r in enumerate(XMM):
        uc.reg_write(r, int.from_bytes(bytes([i + 1]) * 16, "little"))
    uc.reg_write(MXCSR, 0x1FA0)
    uc.reg_write(FPCW, 0x027F)
    uc.reg_write(EFLAGS, 0x246)
    uc.reg_write(RIP, SYSCALL_AT)
    uc.reg_write(RAX, nr)
    for r, v in zip((RDI, RSI, RDX), (*args, 0, 0, 0)[:3], strict=True):
        uc.reg_write(r, v)


def syscall_return(task, ret: int) -> None:
    """on_syscall's write for an int result: rax, rcx = the return address, r11 = rflags at entry."""
    uc = task.mm.cpu.uc
    uc.reg_write(RAX, ret & (2**64 - 1))
    uc.reg_write(RCX, SYSCALL_AT + 2)
    uc.reg_write(R11, 0x246)


def handler_state(task) -> tuple:
    """What the handler sees: its registers, the frame block, the mask."""
    cpu = task.mm.cpu
    sp = cpu.uc.reg_read(RSP)
    return regs(cpu, SEEN), task.mm.read(sp, F.BLOCK_SIZE), task.sigmask, task.sigpending_flag


def call(task, name: str, *args: int):
    """Run a handler as the syscall hook would: inside emulation, RIP at the `syscall` instruction."""
    from emukernel.abi.syscall_numbers import NUMBERS

    cpu = task.mm.cpu
    cpu.in_emu = True
    try:
        return TABLE[NUMBERS[name]].handler(task, *args)
    finally:
        cpu.in_emu = False


@pytest.mark.parametrize("how", ["kill", "tkill", "tgkill"])
def test_send_self_equals_send_then_deliver(guest, how: str) -> None:
    kernel, task = guest
    cpu = task.mm.cpu
    task.sighand.actions[S.SIGUSR1] = (HANDLER, S.SA_RESTORER, RESTORER, S.sigmask(S.SIGUSR2))
    sp0 = cpu.uc.reg_read(RSP)
    pid = task.tg.tgid
    args = {"kill": (pid, S.SIGUSR1), "tkill": (task.tid, S.SIGUSR1), "tgkill": (pid, task.tid, S.SIGUSR1)}[how]
    code = SI_USER if how == "kill" else SI_TKILL

    # the fused path
    syscall_entry(task, 62, *args)
    assert call(task, how, *args) == 0
    assert not task.pending.bits and not task.tg.shared.bits  # nothing was left queued
    syscall_return(task, 0)
    fused = handler_state(task)

    # the general path: queue, then get_signal at the syscall's return
    task.sigmask = 0
    cpu.uc.reg_write(RSP, sp0)
    syscall_entry(task, 62, *args)
    info = SigInfo(S.SIGUSR1, code, pid=pid, uid=task.creds.uid, kind="kill")
    assert kernel.signals.send(task, S.SIGUSR1, how == "kill", info, task) == 0
    assert task.sigpending_flag
    syscall_return(task, 0)
    kernel.signals.deliver(task, True)
    general = handler_state(task)

    assert fused == general
    sc = F.SIGCONTEXT.unpack_from(fused[1], F.MCONTEXT_OFFSET)
    assert (sc[F.SC_RAX], sc[14], sc[3], sc[F.SC_RIP]) == (0, SYSCALL_AT + 2, 0x246, SYSCALL_AT + 2)
    assert cpu.uc.reg_read(RIP) == HANDLER - 2  # the hook adds 2 once it returns
    assert fused[2] == S.sigmask(S.SIGUSR1) | S.sigmask(S.SIGUSR2)


def test_sigreturn_restores_what_delivery_saved(guest) -> None:
    kernel, task = guest
    cpu = task.mm.cpu
    task.sighand.actions[S.SIGUSR1] = ACT
    syscall_entry(task, 62, task.tg.tgid, S.SIGUSR1)
    before = regs(cpu, SEEN)
    assert call(task, "kill", task.tg.tgid, S.SIGUSR1) == 0
    syscall_return(task, 0)
    expect = regs(cpu, SEEN)  # the syscall's return state, which the frame holds
    expect[SIGCONTEXT_GPRS.index(RIP)] = SYSCALL_AT + 2
    expect[SIGCONTEXT_GPRS.index(RSP)] = before[SIGCONTEXT_GPRS.index(RSP)]
    expect[SIGCONTEXT_GPRS.index(RDI)] = before[SIGCONTEXT_GPRS.index(RDI)]
    expect[SIGCONTEXT_GPRS.index(RSI)] = before[SIGCONTEXT_GPRS.index(RSI)]
    expect[SIGCONTEXT_GPRS.index(RDX)] = before[SIGCONTEXT_GPRS.index(RDX)]
    expect[SIGCONTEXT_GPRS.index(EFLAGS)] = before[SIGCONTEXT_GPRS.index(EFLAGS)]
    # the handler runs, clobbers, returns into the restorer (ret pops pretcode), which calls rt_sigreturn
    uc = cpu.uc
    uc.reg_write(RSP, uc.reg_read(RSP) + 8)
    for r in (RBX, RCX, R11, *XMM[:4]):
        uc.reg_write(r, 0xDEAD)
    uc.reg_write(MXCSR, 0x1F80)
    uc.reg_write(FPCW, 0x037F)
    uc.reg_write(RIP, RESTORER + 7)
    uc.reg_write(RAX, 15)
    assert call(task, "rt_sigreturn") is REGS_SET
    got = regs(cpu, SEEN)
    expect[SIGCONTEXT_GPRS.index(RIP)] = SYSCALL_AT  # +2 once the hook returns
    expect[SIGCONTEXT_GPRS.index(EFLAGS)] = 0x202 | (0x246 & F.FIX_EFLAGS)
    assert got == expect
    assert task.sigmask == 0 and not task.sigpending_flag


def test_delivery_block_layout(guest) -> None:
    """The frame-shaped read puts each register where build_frame and fxsave_from_regs would."""
    kernel, task = guest
    cpu = task.mm.cpu
    task.sighand.actions[S.SIGUSR1] = ACT
    syscall_entry(task, 62, task.tg.tgid, S.SIGUSR1)
    uc = cpu.uc
    gprs = regs(cpu, SIGCONTEXT_GPRS)
    fp = b"".join(uc.reg_read(r).to_bytes(16, "little") for r in (FPCW, X.UC_X86_REG_FPSW, X.UC_X86_REG_FPTAG, MXCSR))
    fp += b"".join(uc.reg_read(r).to_bytes(16, "little") for r in XMM)
    fp += b"".join(bytes(16) for _ in range(8))  # ST0-7: zero in a fresh CPU
    assert call(task, "kill", task.tg.tgid, S.SIGUSR1) == 0
    block = task.mm.read(uc.reg_read(RSP), F.BLOCK_SIZE)
    gprs[F.SC_RAX], gprs[14], gprs[3] = 0, SYSCALL_AT + 2, gprs[F.SC_EFLAGS]
    gprs[F.SC_RIP] = SYSCALL_AT + 2
    frame = uc.reg_read(RSP)
    info = kill_info(S.SIGUSR1, SI_USER, task.tg.tgid, task.creds.uid).pack()
    stack = (task.sas_ss_sp, task.sas_ss_flags, task.sas_ss_size)
    want = F.build_frame(tuple(gprs), RESTORER, info, 0, stack, frame + F.FP_OFFSET)
    assert block[:F.FRAME_SIZE] == want
    assert block[F.FRAME_SIZE:F.FP_OFFSET] == bytes(F.FP_OFFSET - F.FRAME_SIZE)
    assert block[F.FP_OFFSET:] == F.fxsave_from_regs(fp)


def test_send_self_declines_outside_the_usual_case(guest) -> None:
    kernel, task = guest
    sigs = kernel.signals
    me = (task, S.SIGUSR1, SI_USER, task.tg.tgid, 0)
    syscall_entry(task, 62, task.tg.tgid, S.SIGUSR1)
    assert not sigs.send_self(*me)  # SIG_DFL
    task.sighand.actions[S.SIGUSR1] = (HANDLER, 0, 0, 0)
    assert not sigs.send_self(*me)  # no SA_RESTORER: the general path raises SIGSEGV
    task.sighand.actions[S.SIGUSR1] = ACT
    task.sigmask = S.sigmask(S.SIGUSR1)
    assert not sigs.send_self(*me)  # blocked
    task.sigmask = 0
    task.tg.shared.add(SigInfo(S.SIGUSR2, SI_USER))
    task.sigpending_flag = True
    assert not sigs.send_self(*me)  # another signal to deliver first
    task.tg.shared.take(S.SIGUSR2)
    task.sigpending_flag = False
    task.sighand.actions[S.SIGCONT] = ACT
    assert not sigs.send_self(task, S.SIGCONT, SI_USER, task.tg.tgid, 0)  # prepare_signal's side effects
    kernel.events = KernelEvents()
    assert not sigs.send_self(*me)  # the tracer prints the signal after the syscall's line
    kernel.events = None
    limit = task.tg.rlimits[11]
    old = list(limit)
    limit[0] = 0
    assert not sigs.send_self(task, S.SIGUSR1, SI_TKILL, task.tg.tgid, 0)  # counted and over the limit
    assert sigs.send_self(*me)  # SI_USER of a standard signal is never counted
    limit[:] = old


def test_kill_argument_checks_before_the_shortcut(guest) -> None:
    from emukernel.abi import errno as E
    from emukernel.errors import Errno

    kernel, task = guest
    task.sighand.actions[S.SIGUSR1] = ACT
    # kill(-1) with nobody else to signal is ESRCH whatever the signal: it is checked per target
    for pid, sig, err in ((0x80000000, S.SIGUSR1, E.ESRCH), (task.tg.tgid, 65, E.EINVAL),
                          (-1 & 0xFFFFFFFF, -1, E.ESRCH)):
        with pytest.raises(Errno) as exc:
            call(task, "kill", pid, sig & 0xFFFFFFFF)
        assert exc.value.errno == err
    assert call(task, "kill", task.tg.tgid, 0) == 0  # the existence check alone
    assert not task.sigpending_flag and task.sigmask == 0
