"""The Unicorn wrapper: one x86-64 CPU per address space, with a register layer that bypasses the binding.

The Python binding's reg_read/reg_write cost about 1.4 us each; calling the C library through ctypes with
prebuilt argument objects costs a fraction of that (DESIGN §4a).  Everything the syscall and switch paths
touch goes through the raw functions here.
"""

from __future__ import annotations

import ctypes

from unicorn import UC_ARCH_X86, UC_MODE_64, UC_PROT_ALL, Uc
from unicorn import x86_const as X
from unicorn.unicorn_py3.unicorn import uclib

from .signal import frame as F

# A private handle on the same shared library with no argtypes: ints and byref() pass straight through,
# which is cheaper than the binding's prototype conversions.
_lib = ctypes.CDLL(uclib._name)
# The same library again for the calls of the hot paths, which return at once and never call back: a
# PyDLL function keeps the GIL, where a CDLL one drops and retakes it around every call.  emu_start must
# stay on _lib: it releases the GIL for the watchdog thread while the guest runs.
_plib = ctypes.PyDLL(uclib._name)
_reg_read = _plib.uc_reg_read
_reg_write = _plib.uc_reg_write
_reg_read_batch = _plib.uc_reg_read_batch
_reg_write_batch = _plib.uc_reg_write_batch
for _f in (_reg_read, _reg_write, _reg_read_batch, _reg_write_batch, _plib.uc_context_save,
           _plib.uc_context_restore):
    _f.restype = None  # their uc_err is never looked at: no result conversion per call
_emu_start = _lib.uc_emu_start
_emu_start.argtypes = (ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_size_t)
_emu_stop = _lib.uc_emu_stop
_context_alloc = _lib.uc_context_alloc
_context_save = _plib.uc_context_save
_context_restore = _plib.uc_context_restore
_context_free = _lib.uc_context_free
_context_reg_write = _lib.uc_context_reg_write
_context_reg_read = _lib.uc_context_reg_read
_hook_add = _lib.uc_hook_add
_hook_add.argtypes = (ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_int, ctypes.c_void_p,
                      ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_int)
_mem_map_ptr = _lib.uc_mem_map_ptr
_mem_map_ptr.argtypes = (ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_void_p)
_mem_unmap = _lib.uc_mem_unmap
_mem_unmap.argtypes = (ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64)
_mem_protect = _lib.uc_mem_protect
_mem_protect.argtypes = (ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint32)

# Registers, by the names the rest of the kernel uses.
RAX, RBX, RCX, RDX = X.UC_X86_REG_RAX, X.UC_X86_REG_RBX, X.UC_X86_REG_RCX, X.UC_X86_REG_RDX
RSI, RDI, RBP, RSP = X.UC_X86_REG_RSI, X.UC_X86_REG_RDI, X.UC_X86_REG_RBP, X.UC_X86_REG_RSP
R8, R9, R10, R11 = X.UC_X86_REG_R8, X.UC_X86_REG_R9, X.UC_X86_REG_R10, X.UC_X86_REG_R11
R12, R13, R14, R15 = X.UC_X86_REG_R12, X.UC_X86_REG_R13, X.UC_X86_REG_R14, X.UC_X86_REG_R15
RIP, EFLAGS = X.UC_X86_REG_RIP, X.UC_X86_REG_EFLAGS
FS_BASE, GS_BASE = X.UC_X86_REG_FS_BASE, X.UC_X86_REG_GS_BASE
MXCSR, FPCW = X.UC_X86_REG_MXCSR, X.UC_X86_REG_FPCW
FPSW, FPTAG = X.UC_X86_REG_FPSW, X.UC_X86_REG_FPTAG

# Syscall argument registers in ABI order.
ARG_REGS = (RDI, RSI, RDX, R10, R8, R9)

UC_HOOK_INTR = 1 << 0
UC_HOOK_INSN = 1 << 1
UC_HOOK_MEM_INVALID = (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9)

# The syscall hook's C arguments (uc, user_data) are not declared: ctypes then converts nothing on each
# call (the x86-64 calling convention lets a callee ignore its arguments).
HOOK_SYSCALL_CB = ctypes.CFUNCTYPE(None)
HOOK_INTR_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p)
HOOK_MEM_INVALID_CB = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64,
                                       ctypes.c_int, ctypes.c_int64, ctypes.c_void_p)

# Linux's initial FPU state (fpu__init_cpu / fpstate_init): musl prints wrong digits without it.
LINUX_MXCSR = 0x1F80
LINUX_FPCW = 0x37F

# A CPU model without ERMS so glibc picks the quadword string ops Unicorn runs fast (reference/pitfalls).
try:
    from unicorn.x86_const import UC_CPU_X86_EPYC as _CPU_MODEL
except ImportError:  # pragma: no cover - pinned unicorn has it
    _CPU_MODEL = None

TCG_BUFFER_SIZE = 64 * 1024 * 1024


class Cpu:
    """A Unicorn x86-64 instance plus prebuilt ctypes objects for fast register access."""

    def __init__(self) -> None:
        uc = Uc(UC_ARCH_X86, UC_MODE_64)
        if _CPU_MODEL is not None:
            uc.ctl_set_cpu_model(_CPU_MODEL)
        uc.ctl_set_tcg_buffer_size(TCG_BUFFER_SIZE)
        self.uc = uc
        self.handle = ctypes.c_void_p(uc._uch.value)  # an object: without argtypes an int would be truncated
        self._hooks: list = []  # keep ctypes callbacks alive
        self._val = ctypes.c_uint64()
        self._ref = ctypes.byref(self._val)
        self.current = None  # the task whose registers are live in this CPU
        # inside emu_start (so inside a hook): RIP is then the address of the `syscall` being handled, which
        # Unicorn steps over when the hook returns; outside, RIP is already past it
        self.in_emu = False
        # rt_sigreturn in the hook restored the trap flag: the debug trap QEMU raises at once is not Linux's
        self.skip_debug_trap = False

    # -- registers ---------------------------------------------------------------------------------
    def reg(self, regid: int) -> int:
        """Read one register (unsigned 64-bit)."""
        _reg_read(self.handle, regid, self._ref)
        return self._val.value

    def set_reg(self, regid: int, value: int) -> None:
        """Write one register; negative values are written as two's complement."""
        self._val.value = value & 0xFFFFFFFFFFFFFFFF
        _reg_write(self.handle, regid, self._ref)

    # -- whole-context save/restore (thread switch on a shared address space) ------------------------
    def context_alloc(self) -> ctypes.c_void_p:
        ctx = ctypes.c_void_p()
        err = _context_alloc(self.handle, ctypes.byref(ctx))
        if err:
            raise RuntimeError(f"uc_context_alloc failed: {err}")
        return ctx

    def context_save(self, ctx: ctypes.c_void_p) -> None:
        _context_save(self.handle, ctx)

    def context_restore(self, ctx: ctypes.c_void_p) -> None:
        _context_restore(self.handle, ctx)

    def context_reg_write(self, ctx: ctypes.c_void_p, regid: int, value: int) -> None:
        """Write one register of a saved context (a new thread's registers before it first runs)."""
        self._val.value = value & 0xFFFFFFFFFFFFFFFF
        _context_reg_write(ctx, regid, self._ref)

    def context_reg_read(self, ctx: ctypes.c_void_p, regid: int) -> int:
        _context_reg_read(ctx, regid, self._ref)
        return self._val.value

    @staticmethod
    def context_free(ctx: ctypes.c_void_p) -> None:
        _context_free(ctx)

    # -- execution ---------------------------------------------------------------------------------
    def start(self, begin: int, timeout_us: int = 0) -> int:
        """Run from `begin` until emu_stop, an error or the timeout; returns the uc_err code."""
        self.in_emu = True
        try:
            return _emu_start(self.handle, begin, 0, timeout_us, 0)
        finally:
            self.in_emu = False

    def stop(self) -> None:
        _emu_stop(self.handle)

    # -- memory ------------------------------------------------------------------------------------
    def map_ptr(self, addr: int, size: int, perms: int, host_ptr: int) -> int:
        return _mem_map_ptr(self.handle, addr, size, perms, host_ptr)

    def unmap(self, addr: int, size: int) -> int:
        return _mem_unmap(self.handle, addr, size)

    def protect(self, addr: int, size: int, perms: int) -> int:
        return _mem_protect(self.handle, addr, size, perms)

    def flush_code(self, begin: int, end: int) -> None:
        """Drop translated blocks after the kernel wrote guest code."""
        self.uc.ctl_remove_cache(begin, end)

    # -- hooks -------------------------------------------------------------------------------------
    def _add_hook(self, htype: int, cb, begin: int = 1, end: int = 0, aux: int = 0) -> None:
        h = ctypes.c_size_t()
        err = _hook_add(self.handle, ctypes.byref(h), htype, ctypes.cast(cb, ctypes.c_void_p), None,
                        begin, end, aux)
        if err:
            raise RuntimeError(f"uc_hook_add({htype}) failed: {err}")
        self._hooks.append(cb)

    def hook_syscall(self, fn) -> None:
        """fn() is called on every `syscall` (RIP = the instruction's address).

        The function is wrapped by ctypes alone (no extra Python frame): it is the hot path."""
        self._add_hook(UC_HOOK_INSN, HOOK_SYSCALL_CB(fn), aux=X.UC_X86_INS_SYSCALL)

    def hook_interrupt(self, fn) -> None:
        """fn(intno) is called on a CPU exception or `int N` (divide error, int3, ud2...)."""
        self._add_hook(UC_HOOK_INTR, HOOK_INTR_CB(lambda _h, intno, _u: fn(intno)))

    def hook_mem_invalid(self, fn) -> None:
        """fn(access, address, size) -> bool on an unmapped or protection fault; True retries."""
        self._add_hook(UC_HOOK_MEM_INVALID,
                       HOOK_MEM_INVALID_CB(lambda _h, access, addr, size, _v, _u: fn(access, addr, size)))

    def signal_batches(self) -> SignalBatches:
        """The prebuilt register batches of signal delivery and sigreturn (cached per CPU)."""
        b = self.__dict__.get("_sig_batches")
        if b is None:
            b = self._sig_batches = SignalBatches(self)
        return b

    def clear_exception_state(self) -> None:
        """Forget the exception the interrupt hook just reported (see old_exception_offset)."""
        off = old_exception_offset()
        if off < 0:
            return
        ctx = self.__dict__.get("_scratch_ctx")
        if ctx is None:
            ctx = self._scratch_ctx = self.context_alloc()
        _context_save(self.handle, ctx)
        ctypes.memmove(ctx.value + off, b"\xff\xff\xff\xff", 4)
        _context_restore(self.handle, ctx)

    def init_fpu(self) -> None:
        self.set_reg(MXCSR, LINUX_MXCSR)
        self.set_reg(FPCW, LINUX_FPCW)
        # every x87 register empty (fninit): a fresh Unicorn CPU has them all tagged valid, holding 0.0
        self.set_reg(FPTAG, 0xFFFF)


# sigcontext order (arch/x86/include/uapi/asm/sigcontext.h struct sigcontext_64)
SIGCONTEXT_GPRS = (R8, R9, R10, R11, R12, R13, R14, R15, RDI, RSI, RBP, RBX, RDX, RAX, RCX, RSP, RIP, EFLAGS)


class RawBatch:
    """A batched read or write of registers at fixed byte offsets of one zero-initialised buffer.

    `view` is a writable byte view of the buffer: callers pack values into it (or unpack them from it) in
    place.  A read batch is never cleared: its buffer is written only by the register reads, each of which
    always fills the same bytes, so bytes past a narrow register stay zero.  Several batches may share one
    buffer (`buf`)."""

    def __init__(self, cpu: Cpu, regs: tuple[int, ...], offsets: tuple[int, ...], size: int,
                 buf: ctypes.Array | None = None) -> None:
        n = len(regs)
        self.n = n
        self.handle = cpu.handle
        self.ids = (ctypes.c_int * n)(*regs)
        self.buf = buf if buf is not None else (ctypes.c_ubyte * size)()
        base = ctypes.addressof(self.buf)
        self.ptrs = (ctypes.c_void_p * n)(*[base + o for o in offsets])
        self.view = memoryview(self.buf).cast("B")
        self.args = (self.handle, self.ids, self.ptrs, n)  # for _reg_read_batch(*args) without a method call

    def read(self) -> None:
        _reg_read_batch(self.handle, self.ids, self.ptrs, self.n)

    def write(self) -> None:
        _reg_write_batch(self.handle, self.ids, self.ptrs, self.n)


ST_REGS = tuple(getattr(X, f"UC_X86_REG_FP{i}") for i in range(8))
XMM_REGS = tuple(getattr(X, f"UC_X86_REG_XMM{i}") for i in range(16))
# the registers a handler is entered with, in this order (8 bytes each)
SIG_ENTRY_REGS = (RSP, RIP, RDI, RSI, RDX, RAX, EFLAGS)


# scratch space after the block in sigreturn's buffer: the full tag word, then the x87 registers
RESTORE_TAG, RESTORE_ST, RESTORE_SCRATCH = 0, 16, 16 + 128


class SignalBatches:
    """The batches of the signal paths, over buffers laid out like the frame block of signal/frame.py
    (rt_sigframe, padding, FXSAVE image):

    * deliver: one read that puts every register where the frame keeps it (the sigcontext GPRs; FPCW,
      FPSW, MXCSR, ST0-7 and XMM0-15 in their FXSAVE slots; the full x87 tag word in the cs/gs slot after
      eflags, for the caller to abridge and overwrite), so the filled-in buffer is the block written out;
    * entry: the registers a handler is entered with (SIG_ENTRY_REGS, packed at `entry.view`);
    * restore: sigreturn's writes from a second block-shaped buffer into which the guest's
      frame is copied (the GPRs, then FPCW, FPSW, MXCSR and XMM0-15 from the FXSAVE image and the full x87
      tag word from the scratch slot at RESTORE_TAG);
    * restore_st: the x87 registers, physical order, from the scratch slots at RESTORE_ST (Unicorn's FP0-7
      are the physical registers; an FXSAVE image keeps them in stack order, ST(0) first)."""

    def __init__(self, cpu: Cpu) -> None:

        mc, fx, size = F.MCONTEXT_OFFSET, F.FP_OFFSET, F.BLOCK_SIZE
        gprs = tuple(mc + 8 * i for i in range(len(SIGCONTEXT_GPRS)))
        st = tuple(fx + 32 + 16 * i for i in range(8))
        xmm = tuple(fx + 160 + 16 * i for i in range(16))
        self.block = (ctypes.c_ubyte * size)()
        # the full tag word goes to the sigcontext's cs slot right after eflags, which the caller overwrites
        self.deliver = RawBatch(cpu, SIGCONTEXT_GPRS + (FPCW, FPSW, MXCSR, FPTAG) + ST_REGS + XMM_REGS,
                                gprs + (fx, fx + 2, fx + 24, gprs[-1] + 8) + st + xmm, 0, self.block)
        self.deliver.view[fx + 28:fx + 30] = b"\xff\xff"  # mxcsr_mask: constant
        self.entry = RawBatch(cpu, SIG_ENTRY_REGS, tuple(8 * i for i in range(len(SIG_ENTRY_REGS))),
                              8 * len(SIG_ENTRY_REGS))
        self.rblock = (ctypes.c_ubyte * (size + RESTORE_SCRATCH))()
        self.restore = RawBatch(cpu, SIGCONTEXT_GPRS + (FPCW, FPSW, MXCSR, FPTAG) + XMM_REGS,
                                gprs + (fx, fx + 2, fx + 24, size + RESTORE_TAG) + xmm, 0, self.rblock)
        self.restore_st = RawBatch(cpu, ST_REGS, tuple(size + RESTORE_ST + 16 * i for i in range(8)), 0,
                                   self.rblock)
        self.block_view = self.deliver.view
        self.rblock_view = self.restore.view
        self.val = ctypes.c_uint64()
        self.ref = ctypes.byref(self.val)
        # writable views of guest memory by host address: a slice copy costs a fraction of ctypes.memmove
        self.views: dict[int, memoryview] = {}

    def guest_view(self, host: int, size: int) -> memoryview:
        """A byte view of the `size` bytes of host memory at `host`, cached by address (a longer cached view
        serves as well: callers only touch bytes a current VMA vouches for)."""
        views = self.views
        if len(views) >= 64:
            views.clear()
        mv = views[host] = memoryview((ctypes.c_ubyte * size).from_address(host)).cast("B")
        return mv


_old_exception_offset: int | None = None


def old_exception_offset() -> int:
    """Where QEMU's env->old_exception sits in a saved uc_context (-1 if it cannot be found).

    Unicorn's interrupt hook replaces QEMU's exception delivery, which is what resets old_exception; left
    set, the next divide error or general protection fault turns into a double fault (and the one after
    that shuts the CPU down).  The field is found once by a probe: a context saved before and after a
    divide error differs there from -1 to 0."""
    global _old_exception_offset
    if _old_exception_offset is None:
        _old_exception_offset = -1
        try:

            cpu = Cpu()
            cpu.uc.mem_map(0x1000, 0x1000, UC_PROT_ALL)
            cpu.uc.mem_write(0x1000, bytes.fromhex("31c0f7f0"))  # xor eax, eax; div eax
            cpu.hook_interrupt(lambda intno: cpu.stop())
            total = _lib.uc_context_size(cpu.handle) + 64
            before = cpu.context_alloc()
            cpu.set_reg(RIP, 0x1000)
            cpu.context_save(before)
            cpu.start(0x1000)
            after = cpu.context_alloc()
            cpu.context_save(after)
            b0 = ctypes.string_at(before.value, total)
            b1 = ctypes.string_at(after.value, total)
            hits = [i for i in range(0, total - 4, 4)
                    if b0[i:i + 4] == b"\xff\xff\xff\xff" and b1[i:i + 4] == b"\0\0\0\0"]
            # keep the candidate that really works: with it reset, a second divide error is #DE again
            seen: list[int] = []
            cpu.hook_interrupt(lambda intno: seen.append(intno))
            for off in hits:
                probe = cpu.context_alloc()
                _context_restore(cpu.handle, after)
                _context_save(cpu.handle, probe)
                ctypes.memmove(probe.value + off, b"\xff\xff\xff\xff", 4)
                _context_restore(cpu.handle, probe)
                Cpu.context_free(probe)
                seen.clear()
                cpu.start(0x1000)
                if seen and seen[-1] == 0:
                    _old_exception_offset = off
                    break
            Cpu.context_free(before)
            Cpu.context_free(after)
        except Exception:
            pass
    return _old_exception_offset
