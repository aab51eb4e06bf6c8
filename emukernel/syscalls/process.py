"""Process and thread identity and lifetime: getpid, gettid, exit, exit_group, set_tid_address, arch_prctl..."""

from __future__ import annotations

from ..abi import errno as E
from ..cpu import FS_BASE, GS_BASE
from ..errors import Errno
from ..mm import TASK_SIZE
from ..sched import NORETURN
from .table import syscall

ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS = 0x1001, 0x1002, 0x1003, 0x1004
ARCH_GET_CPUID, ARCH_SET_CPUID = 0x1011, 0x1012


@syscall("getpid")
def sys_getpid(task):
    return task.tg.tgid


@syscall("gettid")
def sys_gettid(task):
    return task.tid


@syscall("getppid")
def sys_getppid(task):
    # Linux: kernel/sys.c getppid: the real parent's tgid (0 when it is outside our pid namespace)
    parent = task.tg.leader.real_parent if task.tg.leader.real_parent is not None else task.real_parent
    return parent.tg.tgid if parent is not None else 0


@syscall("getuid")
def sys_getuid(task):
    return task.creds.uid


@syscall("geteuid")
def sys_geteuid(task):
    return task.creds.euid


@syscall("getgid")
def sys_getgid(task):
    return task.creds.gid


@syscall("getegid")
def sys_getegid(task):
    return task.creds.egid


@syscall("exit", "d")
def sys_exit(task, code):
    task.kernel.do_exit(task, (code & 0xFF) << 8)
    return NORETURN


@syscall("exit_group", "d")
def sys_exit_group(task, code):
    task.kernel.do_group_exit(task, (code & 0xFF) << 8)
    return NORETURN


@syscall("set_tid_address", "p")
def sys_set_tid_address(task, tidptr):
    task.clear_child_tid = tidptr
    return task.tid


@syscall("set_robust_list", "p", "u")
def sys_set_robust_list(task, head, length):
    if length != 24:  # sizeof(struct robust_list_head)
        raise Errno(E.EINVAL)
    task.robust_list = head
    task.robust_list_len = length
    return 0


@syscall("get_robust_list", "d", "p", "p")
def sys_get_robust_list(task, pid, head_ptr, len_ptr):
    target = task if pid == 0 else task.kernel.tasks.get(pid)
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
