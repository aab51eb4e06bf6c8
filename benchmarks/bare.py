"""The bare-Unicorn ceiling: a guest ELF in a plain Unicorn instance with the cheapest possible syscall hook.

This is what emukernel's numbers are compared with.  Nothing of the kernel runs: no tasks, no scheduler,
no syscall table, no VFS.  What there is:

* Memory: `emukernel.cpu.Cpu` (the same Unicorn instance, CPU model and TCG buffer size emukernel uses, so
  translated-code speed is identical) with an `emukernel.mm.AddressSpace` over it, which maps guest memory
  from host mmap'd pages (`uc_mem_map_ptr`).  The PT_LOAD segments are mapped by `emukernel.exec.elf.load_elf`.
* The initial stack: argc, argv, envp and an auxv of AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_RANDOM,
  AT_ENTRY, AT_NULL, built by hand below.  MXCSR = 0x1f80, FPCW = 0x37f, RFLAGS = 0x202.
* The syscall hook, registered with `uc_hook_add` through ctypes (UC_HOOK_INSN + UC_X86_INS_SYSCALL; the
  CFUNCTYPE object calls the Python function directly, no binding wrapper in between).  Its fast path reads
  RAX with one raw `uc_reg_read` into a prebuilt `c_uint64` and, for getpid, answers with one raw
  `uc_reg_write` of a prebuilt `c_uint64` holding a constant pid.  It does NOT set RCX/R11 as Linux does
  (emukernel does: two more register writes, batched with RAX).
* Every other syscall goes to `_slow`, which does the least that lets the libc start, print and exit:
  arch_prctl(ARCH_SET_FS) writes FS_BASE; set_tid_address returns the pid; ioctl returns -ENOTTY;
  write/writev return the byte count (and keep the bytes, so results can be checked against native);
  brk and anonymous mmap use the AddressSpace (as emukernel does); munmap/mprotect/madvise succeed;
  exit/exit_group record the status and `uc_emu_stop`; everything else returns -ENOSYS.
  This is enough for the musl and the glibc static guests used by the benchmarks.
"""

from __future__ import annotations

import ctypes
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from unicorn import x86_const as X

from emukernel.cpu import (
    EFLAGS,
    FS_BASE,
    HOOK_SYSCALL_CB,
    RDI,
    RDX,
    RIP,
    RSI,
    RSP,
    UC_HOOK_INSN,
    Cpu,
    _hook_add,
    _reg_read,
    _reg_write,
)
from emukernel.exec.elf import load_elf, parse_elf
from emukernel.mm import STACK_TOP, AddressSpace

BARE_PID = 4242

NR_WRITE, NR_MMAP, NR_MPROTECT, NR_MUNMAP, NR_BRK, NR_IOCTL, NR_WRITEV = 1, 9, 10, 11, 12, 16, 20
NR_MADVISE, NR_GETPID, NR_EXIT, NR_ARCH_PRCTL, NR_GETTID = 28, 39, 60, 158, 186
NR_SET_TID_ADDRESS, NR_EXIT_GROUP = 218, 231
ARCH_SET_FS = 0x1002
MAP_ANONYMOUS = 0x20
ENOTTY, ENOSYS, ENOMEM = 25, 38, 12

AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_ENTRY, AT_RANDOM = 0, 3, 4, 5, 6, 9, 25

_MASK = 0xFFFFFFFFFFFFFFFF
_RAX = X.UC_X86_REG_RAX
_R10 = X.UC_X86_REG_R10


@dataclass
class BareResult:
    """What a bare run produced."""

    exit_code: int | None  # None when the guest did not reach exit/exit_group
    uc_err: int  # uc_emu_start's return value
    output: bytes  # everything written to any fd
    syscalls: int  # syscalls that took the slow path (getpid is not counted: it must stay minimal)


class BareMachine:
    """One static x86-64 ELF loaded into a plain Unicorn instance; call `run()` once."""

    def __init__(self, path: str | os.PathLike[str], argv: list[str], env: list[str] | None = None) -> None:
        data = Path(path).read_bytes()
        elf = parse_elf(data)
        self.cpu = cpu = Cpu()
        self.mm = mm = AddressSpace(cpu)
        image = load_elf(mm, elf, data, str(path))
        mm.start_brk = mm.brk = image.brk
        mm.setup_stack()
        sp = _build_stack(mm, [a.encode() for a in argv], [e.encode() for e in (env or [])], image)
        cpu.init_fpu()
        cpu.set_reg(RSP, sp)
        cpu.set_reg(RIP, image.entry)
        cpu.set_reg(EFLAGS, 0x202)
        self.entry = image.entry
        self.exit_code: int | None = None
        self.output = bytearray()
        self.slow_calls = 0
        self._install_hook()

    def _install_hook(self) -> None:
        handle = self.cpu.handle
        rax_buf = ctypes.c_uint64()
        rax_ref = ctypes.byref(rax_buf)
        pid_buf = ctypes.c_uint64(BARE_PID)
        pid_ref = ctypes.byref(pid_buf)
        reg_read, reg_write, slow = _reg_read, _reg_write, self._slow

        def on_syscall():
            reg_read(handle, _RAX, rax_ref)
            if rax_buf.value == NR_GETPID:
                reg_write(handle, _RAX, pid_ref)
                return
            slow(rax_buf.value)

        cb = HOOK_SYSCALL_CB(on_syscall)
        h = ctypes.c_size_t()
        err = _hook_add(handle, ctypes.byref(h), UC_HOOK_INSN, ctypes.cast(cb, ctypes.c_void_p), None, 1, 0,
                        X.UC_X86_INS_SYSCALL)
        if err:
            raise RuntimeError(f"uc_hook_add failed: {err}")
        self._cb = cb  # keep the callback alive as long as the machine

    def _slow(self, nr: int) -> None:
        """Everything but getpid: the minimum a static libc needs to start, print and exit."""
        cpu = self.cpu
        self.slow_calls += 1
        try:
            ret = self._dispatch(nr)
        except Exception:  # a guest fault in our copy of its buffers: be as lazy as the rest
            ret = -14  # EFAULT
        if ret is not None:
            cpu.set_reg(_RAX, ret & _MASK)

    def _dispatch(self, nr: int) -> int | None:
        cpu, mm = self.cpu, self.mm
        if nr in (NR_EXIT_GROUP, NR_EXIT):
            self.exit_code = cpu.reg(RDI) & 0xFF
            cpu.stop()
            return None
        if nr == NR_ARCH_PRCTL:
            if cpu.reg(RDI) == ARCH_SET_FS:
                cpu.set_reg(FS_BASE, cpu.reg(RSI))
                return 0
            return -ENOSYS
        if nr in (NR_SET_TID_ADDRESS, NR_GETTID):
            return BARE_PID
        if nr == NR_IOCTL:
            return -ENOTTY
        if nr == NR_WRITE:
            buf, n = cpu.reg(RSI), cpu.reg(RDX)
            self.output += mm.read(buf, n)
            return n
        if nr == NR_WRITEV:
            iov, cnt = cpu.reg(RSI), cpu.reg(RDX)
            total = 0
            for i in range(cnt):
                base, n = struct.unpack("<QQ", mm.read(iov + 16 * i, 16))
                self.output += mm.read(base, n)
                total += n
            return total
        if nr == NR_BRK:
            return mm.set_brk(cpu.reg(RDI))
        if nr == NR_MMAP:
            addr, length, prot, flags = cpu.reg(RDI), cpu.reg(RSI), cpu.reg(RDX), cpu.reg(_R10)
            if not flags & MAP_ANONYMOUS:
                return -ENOSYS
            try:
                return mm.mmap(addr, length, prot & 7, flags)
            except Exception:
                return -ENOMEM
        if nr in (NR_MUNMAP, NR_MPROTECT, NR_MADVISE):
            return 0
        return -ENOSYS

    def run(self) -> BareResult:
        """Run the guest to exit_group; returns the exit code and what it wrote."""
        err = self.cpu.start(self.entry)
        return BareResult(self.exit_code, err, bytes(self.output), self.slow_calls)

    def close(self) -> None:
        """Free the guest memory and drop the callback (the Unicorn instance goes with the object)."""
        self.mm.release()


def _build_stack(mm: AddressSpace, argv: list[bytes], envp: list[bytes], image) -> int:
    """argc, argv[], NULL, envp[], NULL, auxv pairs; strings and the AT_RANDOM bytes above them."""
    p = STACK_TOP - 8
    blobs: list[tuple[int, bytes]] = []

    def put(data: bytes) -> int:
        nonlocal p
        p -= len(data)
        blobs.append((p, data))
        return p

    envs = [put(e + b"\0") for e in reversed(envp)][::-1]
    args = [put(a + b"\0") for a in reversed(argv)][::-1]
    p &= ~0xF
    rnd = put(bytes(range(16)))
    auxv = [AT_PHDR, image.phdr, AT_PHENT, 56, AT_PHNUM, image.phnum, AT_PAGESZ, 4096,
            AT_RANDOM, rnd, AT_ENTRY, image.entry, AT_NULL, 0]
    words = [len(argv), *args, 0, *envs, 0, *auxv]
    sp = (p - 8 * len(words)) & ~0xF
    blobs.append((sp, struct.pack(f"<{len(words)}Q", *words)))
    for addr, data in blobs:
        mm.poke(addr, data)
    return sp


def run_bare(path: str | os.PathLike[str], argv: list[str], env: list[str] | None = None) -> BareResult:
    """Load and run a guest in the bare machine (argv[0] is only what the guest sees)."""
    m = BareMachine(path, argv, env)
    try:
        return m.run()
    finally:
        m.close()


# --------------------------------------------------------------------------- the thread-switch floor

SWITCH_CODE_BASE = 0x10000
# each context loops on its own `syscall; jmp back` (0f 05 eb fc), 64 bytes apart
_SWITCH_LOOP = b"\x0f\x05\xeb\xfc"
_SWITCH_OFFSETS = (0, 64)


class BareSwitch:
    """The least a thread switch can cost in one Unicorn instance: two uc_context objects and a syscall hook
    that saves the live context into the current one, restores the other and calls uc_emu_stop; an outer
    Python loop re-enters uc_emu_start at the restored RIP.  `run(n)` makes n switches.

    Everything is a raw ctypes call with prebuilt arguments (as in BareMachine): per switch one
    uc_context_save, one uc_context_restore, one uc_emu_stop in the hook, and one uc_reg_read (RIP) and one
    uc_emu_start (no timeout: no timer thread) in the loop."""

    def __init__(self) -> None:
        from emukernel.cpu import _context_restore, _emu_start

        self.cpu = cpu = Cpu()
        self.mm = mm = AddressSpace(cpu)
        mm.mmap(SWITCH_CODE_BASE, 0x1000, 7, 0x22)  # MAP_PRIVATE | MAP_ANONYMOUS, rwx
        for off in _SWITCH_OFFSETS:
            mm.poke(SWITCH_CODE_BASE + off, _SWITCH_LOOP)
        self.ctxs = []
        for off in _SWITCH_OFFSETS:
            cpu.set_reg(RIP, SWITCH_CODE_BASE + off)
            ctx = cpu.context_alloc()
            cpu.context_save(ctx)
            self.ctxs.append(ctx)
        _context_restore(cpu.handle, self.ctxs[0])
        self._emu_start = _emu_start
        self.switches = 0
        self._install_hook()

    def _install_hook(self) -> None:
        from emukernel.cpu import _context_restore, _context_save, _emu_stop

        handle = self.cpu.handle
        a, b = self.ctxs
        cur = [a, b]  # [live, other]

        def on_syscall():
            live, other = cur
            _context_save(handle, live)
            _context_restore(handle, other)
            cur[0], cur[1] = other, live
            _emu_stop(handle)

        cb = HOOK_SYSCALL_CB(on_syscall)
        h = ctypes.c_size_t()
        err = _hook_add(handle, ctypes.byref(h), UC_HOOK_INSN, ctypes.cast(cb, ctypes.c_void_p), None, 1, 0,
                        X.UC_X86_INS_SYSCALL)
        if err:
            raise RuntimeError(f"uc_hook_add failed: {err}")
        self._cb = cb

    def run(self, n: int) -> None:
        """n switches: each emu_start runs the live context to its syscall, where the hook switches."""
        handle, start = self.cpu.handle, self._emu_start
        rip = ctypes.c_uint64()
        rip_ref = ctypes.byref(rip)
        for _ in range(n):
            _reg_read(handle, RIP, rip_ref)
            err = start(handle, rip.value, 0, 0, 0)
            if err:
                raise RuntimeError(f"uc_emu_start failed: {err}")
        self.switches += n

    def close(self) -> None:
        from emukernel.cpu import _context_free

        for ctx in self.ctxs:
            _context_free(ctx)
        self.ctxs = []
        self.mm.release()
