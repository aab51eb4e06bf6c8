"""Process and thread identity and lifetime: getpid, gettid, exit, exit_group, set_tid_address, arch_prctl..."""

from __future__ import annotations

from .. import pgrp
from ..abi import errno as E
from ..abi import signal as S
from ..abi.clone import CLONE_VFORK, CLONE_VM, CSIGNAL
from ..clone import CloneArgs, clone3_args_valid, clone_syscall, copy_clone_args_from_user
from ..cpu import FS_BASE, GS_BASE
from ..errors import Errno
from ..mm import TASK_SIZE
from ..sched import NORETURN
from ..wait import sys_wait4_impl, sys_waitid_impl
from . import s32
from .table import syscall

ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS = 0x1001, 0x1002, 0x1003, 0x1004
ARCH_GET_CPUID, ARCH_SET_CPUID = 0x1011, 0x1012


@syscall("getpid")
def sys_getpid(task):
    # the group's number in our own (innermost) namespace: threads share the leader's namespace
    return task.tg.pid.numbers[-1]


@syscall("gettid")
def sys_gettid(task):
    return task.pid.numbers[-1]


@syscall("getppid")
def sys_getppid(task):
    # Linux: kernel/sys.c getppid: the real parent's tgid, 0 when it is outside our pid namespace
    parent = task.real_parent
    return task.kernel.vtgid(task, parent) if parent is not None else 0


@syscall("exit", "d")
def sys_exit(task, code):
    task.kernel.exit_task(task, (code & 0xFF) << 8)
    return NORETURN


@syscall("exit_group", "d")
def sys_exit_group(task, code):
    task.kernel.do_group_exit(task, (code & 0xFF) << 8)
    return NORETURN


@syscall("set_tid_address", "p")
def sys_set_tid_address(task, tidptr):
    task.clear_child_tid = tidptr
    return task.pid.numbers[-1]


@syscall("set_robust_list", "p", "u")
def sys_set_robust_list(task, head, length):
    if length != 24:  # sizeof(struct robust_list_head)
        raise Errno(E.EINVAL)
    task.robust_list = head
    task.robust_list_len = length
    return 0


@syscall("get_robust_list", "d", "p", "p")
def sys_get_robust_list(task, pid, head_ptr, len_ptr):
    target = task if pid == 0 else task.kernel.find_task(task, s32(pid))
    if target is None or target.kthread:
        raise Errno(E.ESRCH)
    task.mm.write_u64(head_ptr, target.robust_list)
    task.mm.write_u64(len_ptr, 24)
    return 0


@syscall("rseq", "p", "u", "x", "x")
def sys_rseq(task, rseq, length, flags, sig):
    # as a kernel built without CONFIG_RSEQ: both libcs fall back silently
    return -E.ENOSYS


@syscall("arch_prctl", "arch_prctl", "p")
def sys_arch_prctl(task, code, addr):
    # Linux: arch/x86/kernel/process_64.c do_arch_prctl_64
    cpu = task.mm.cpu
    if code == ARCH_SET_FS:
        if addr >= TASK_SIZE:
            raise Errno(E.EPERM)
        cpu.set_reg(FS_BASE, addr)
        task.fs_base = addr
        return 0
    if code == ARCH_SET_GS:
        if addr >= TASK_SIZE:
            raise Errno(E.EPERM)
        cpu.set_reg(GS_BASE, addr)
        return 0
    if code == ARCH_GET_FS:
        task.mm.write_u64(addr, cpu.reg(FS_BASE))
        return 0
    if code == ARCH_GET_GS:
        task.mm.write_u64(addr, cpu.reg(GS_BASE))
        return 0
    if code == ARCH_GET_CPUID:
        return 1
    if code == ARCH_SET_CPUID:
        raise Errno(E.ENODEV)  # no CPUID faulting on this CPU
    raise Errno(E.EINVAL)


# -- creation -------------------------------------------------------------------------------------------
@syscall("fork")
def sys_fork(task):
    return clone_syscall(task, CloneArgs(exit_signal=S.SIGCHLD))


@syscall("vfork")
def sys_vfork(task):
    return clone_syscall(task, CloneArgs(CLONE_VM | CLONE_VFORK, S.SIGCHLD))


@syscall("clone", "x", "p", "p", "p", "p")
def sys_clone(task, flags, newsp, parent_tid, child_tid, tls):
    # x86-64 argument order: flags, stack, parent_tid, child_tid, tls (CLONE_BACKWARDS is not set here)
    flags &= 0xFFFFFFFF
    return clone_syscall(task, CloneArgs(flags & ~CSIGNAL, flags & CSIGNAL, newsp, 0, tls, parent_tid,
                                         child_tid))


@syscall("clone3", "struct_in", "u")
def sys_clone3(task, uargs, size):
    args = copy_clone_args_from_user(task, uargs, size)
    clone3_args_valid(args)
    return clone_syscall(task, args)


# -- waiting ---------------------------------------------------------------------------------------------
@syscall("wait4", "d", "p", "x", "p")
def sys_wait4(task, pid, wstatus, options, rusage):
    return sys_wait4_impl(task, s32(pid), wstatus, options & 0xFFFFFFFF, rusage)


@syscall("waitid", "d", "d", "p", "x", "p")
def sys_waitid(task, idtype, id, infop, options, rusage):
    return sys_waitid_impl(task, s32(idtype), s32(id), infop, options & 0xFFFFFFFF, rusage)


# -- process groups and sessions (the rules: emukernel/pgrp.py) -------------------------------------------
@syscall("getpgid", "d")
def sys_getpgid(task, pid):
    return pgrp.getpgid(task, s32(pid))


@syscall("getpgrp")
def sys_getpgrp(task):
    return pgrp.getpgrp(task)


@syscall("getsid", "d")
def sys_getsid(task, pid):
    return pgrp.getsid(task, s32(pid))


@syscall("setpgid", "d", "d")
def sys_setpgid(task, pid, pgid):
    pgrp.setpgid(task, s32(pid), s32(pgid))
    return 0


@syscall("setsid")
def sys_setsid(task):
    return pgrp.setsid(task)
