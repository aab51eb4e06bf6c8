"""CPU exceptions in the guest (Linux arch/x86/kernel/traps.c): the interrupt hook records the trap for the
run loop, which turns it into the fault signal (Signals.force_fault)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..abi import signal as S
from ..abi.siginfo import FPE_INTDIV, ILL_ILLOPN, SI_KERNEL, TRAP_TRACE
from ..cpu import RIP
from ..task import EmuExit

if TYPE_CHECKING:
    from ..cpu import Cpu


def install_traps(cpu: Cpu) -> None:
    """Install the interrupt hook on cpu."""

    def on_interrupt(intno: int) -> None:
        task = cpu.current
        if intno == 1 and (cpu.skip_debug_trap or task.emu_exit is EmuExit.SYSCALL):
            # QEMU re-checks the trap flag right after a `syscall`: after an rt_sigreturn in the hook that
            # restored it, the restored ip runs first on Linux; after a syscall that leaves emulation, its
            # exit work reports the step (TRAP_BRKPT) instead
            cpu.skip_debug_trap = False
            return
        if intno == 0x80:  # entry_INT80_compat: the ia32 syscall ABI, finished by the run loop
            task.emu_exit = EmuExit.INT80
            cpu.stop()
            return
        try:
            rip = cpu.reg(RIP)
            # do_error_trap and friends: the signal, si_code, si_addr and trap number of each exception
            if intno == 0:
                trap = (S.SIGFPE, FPE_INTDIV, rip, 0)
            elif intno == 1:
                trap = (S.SIGTRAP, TRAP_TRACE, rip, 1)  # the trap flag's debug trap: si_addr is the next ip
            elif intno == 3:
                trap = (S.SIGTRAP, SI_KERNEL, 0, 3)  # int3
            elif intno == 6:
                trap = (S.SIGILL, ILL_ILLOPN, rip, 6)
            else:
                trap = (S.SIGSEGV, SI_KERNEL, 0, intno)  # #GP and the rest
            task.emu_exit = EmuExit.TRAP
            task.emu_exit_data = trap
        except BaseException as exc:  # a kernel bug must never take the host down
            task.emu_exit = EmuExit.BUG
            task.emu_exit_data = (exc, f"interrupt {intno}")
        cpu.stop()

    cpu.hook_interrupt(on_interrupt)
