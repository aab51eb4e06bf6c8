"""`int $0x80` from 64-bit code (Linux arch/x86/entry/syscall_32.c do_int80_syscall_32): the ia32 syscall
ABI, number in eax and arguments in ebx, ecx, edx, esi, edi, ebp, result in eax.

emukernel has no 32-bit processes, so the ia32 table here holds the calls whose 32-bit ABI is the same as
the 64-bit one (integer arguments, no structure layouts): they run the x86-64 handler.  Every other ia32
number returns -ENOSYS, as an unimplemented syscall does.  A traced task's int $0x80 calls get no ptrace
syscall-entry stop yet, and their exit stop reads as x86-64's (Linux reports them with AUDIT_ARCH_I386).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..abi import errno as E
from ..cpu import RAX, RBP, RBX, RCX, RDI, RDX, RSI
from ..syscalls.table import TABLE

if TYPE_CHECKING:
    from ..task import Task
    from .common import SyscallEntry

# ia32 number -> x86-64 number (arch/x86/entry/syscalls/syscall_32.tbl vs syscall_64.tbl)
IA32_SAME_ABI = {
    1: 60,  # exit
    6: 3,  # close
    20: 39,  # getpid
    29: 34,  # pause
    37: 62,  # kill
    41: 32,  # dup
    63: 33,  # dup2
    64: 110,  # getppid
    158: 24,  # sched_yield
    199: 102,  # getuid32
    200: 104,  # getgid32
    201: 107,  # geteuid32
    202: 108,  # getegid32
    224: 186,  # gettid
    238: 200,  # tkill
    252: 231,  # exit_group
    270: 234,  # tgkill
}
_ARGS = (RBX, RCX, RDX, RSI, RDI, RBP)  # their low 32 bits


def int80_syscall(entry: SyscallEntry, task: Task) -> None:
    """One ia32 syscall: its number and 32-bit arguments from the registers, the x86-64 handler of the same
    call, the result in rax (sign-extended, as the 64-bit pt_regs keep it)."""
    cpu = task.mm.cpu
    nr = cpu.reg(RAX) & 0xFFFFFFFF
    task.orig_rax = nr
    native = IA32_SAME_ABI.get(nr)
    if native is None:
        cpu.set_reg(RAX, -E.ENOSYS)
        return
    sc = TABLE[native]
    args = tuple(cpu.reg(r) & 0xFFFFFFFF for r in _ARGS[:sc.nargs])
    # the handler runs as on the slow path: the hook's shortcuts (a signal to oneself pushed from kill
    # itself, with the rcx and r11 `syscall` leaves) are for the `syscall` instruction only
    fast = not task.slow_entry
    task.slow_entry = True
    try:
        result = entry.invoke(task, sc, args)
    finally:
        if fast:
            task.syscall_work_changed()
    entry.complete(task, sc, args, result)
