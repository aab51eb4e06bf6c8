"""CPU exceptions in the guest (Linux arch/x86/kernel/traps.c): the interrupt hook records the trap for the
run loop, which turns it into the fault signal (Signals.force_fault)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..abi import signal as S
from ..cpu import RIP
from ..task import EmuExit

if TYPE_CHECKING:
    from ..cpu import Cpu

_FPE_INTDIV, _ILL_ILLOPN, _SI_KERNEL, _TRAP_TRACE = 1, 2, 0x80, 2


def install_traps(cpu: Cpu) -> None:
    """Install the interrupt hook on cpu."""

    def on_interrupt(intno: int) -> None:
        task = cpu.current
        try:
            rip = cpu.reg(RIP)
            # do_error_trap and friends: the signal, si_code, si_addr and trap number of each exception
            if intno == 0:
                trap = (S.SIGFPE, _FPE_INTDIV, rip, 0)
            elif intno in (1, 3):
                trap = (S.SIGTRAP, _SI_KERNEL if intno == 3 else _TRAP_TRACE, 0, intno)  # int3, debug trap
            elif intno == 6:
                trap = (S.SIGILL, _ILL_ILLOPN, rip, 6)
            else:
                trap = (S.SIGSEGV, _SI_KERNEL, 0, intno)  # #GP and the rest
            task.emu_exit = EmuExit.TRAP
            task.emu_exit_data = trap
        except BaseException as exc:  # a kernel bug must never take the host down
            task.emu_exit = EmuExit.BUG
            task.emu_exit_data = (exc, f"interrupt {intno}")
        cpu.stop()

    cpu.hook_interrupt(on_interrupt)
