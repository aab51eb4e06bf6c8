"""System information and limits: uname, sysinfo, getrandom, sched_getaffinity, rlimits, prctl."""

from __future__ import annotations

import os
import struct

from ..abi import errno as E
from ..creds import CAP_SYS_RESOURCE, capable
from ..errors import Errno
from ..sched import Yield
from ..threadgroup import RLIM_INFINITY, RLIM_NLIMITS, RLIMIT_NOFILE
from . import s32
from .creds import prctl_creds
from .table import syscall

_UTS_LEN = 65
_HOST_UNAME = os.uname()
_RLIMIT = struct.Struct("<QQ")
_SYSINFO = struct.Struct("<q3Q6QHxxxxxxQQI4x")
GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE = 1, 2, 4
PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 2, 3, 4
PR_SET_NAME, PR_GET_NAME = 15, 16
PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37
PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 38, 39
NR_OPEN = 1024 * 1024  # /proc/sys/fs/nr_open


def _field(s: str | bytes) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return b[:_UTS_LEN - 1].ljust(_UTS_LEN, b"\0")


@syscall("uname", "struct_out")
def sys_uname(task, buf):
    # sysname, nodename, release, version, machine, domainname: the host kernel's identity, so that a
    # guest prints the same under emukernel as natively
    data = b"".join(_field(x) for x in ("Linux", task.kernel.hostname, _HOST_UNAME.release,
                                        _HOST_UNAME.version, "x86_64",
                                        getattr(task.kernel, "domainname", b"(none)")))  # setdomainname
    task.mm.write(buf, data)
    return 0


@syscall("sysinfo", "struct_out")
def sys_sysinfo(task, info):
    k = task.kernel
    uptime = k.clock.monotonic_ns() // 1_000_000_000
    total = 8 << 30
    procs = len([t for t in k.tasks.values() if not t.kthread])
    task.mm.write(info, _SYSINFO.pack(uptime, 0, 0, 0, total, total // 2, 0, 0, 0, 0, procs, 0, 0, 1))
    return 0


@syscall("getrandom", "buf_out", "u", "x")
def sys_getrandom(task, buf, count, flags):
    if flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) or \
            (flags & GRND_INSECURE and flags & GRND_RANDOM):
        raise Errno(E.EINVAL)
    count = min(count, 0x7FFFF000 if not flags & GRND_RANDOM else 512)
    count = min(count, 1 << 25)
    task.mm.write(buf, task.kernel.random_bytes(count))
    return count


@syscall("sched_getaffinity", "d", "u", "struct_out")
def sys_sched_getaffinity(task, pid, size, mask):
    ncpu = os.cpu_count() or 1
    if size * 8 < ncpu or size & 7:
        raise Errno(E.EINVAL)
    if s32(pid) and task.kernel.find_task(task, s32(pid)) is None:
        raise Errno(E.ESRCH)
    cpus = os.sched_getaffinity(0)
    bits = sum(1 << c for c in cpus)
    n = min(size, 8 * ((ncpu + 63) // 64))
    task.mm.write(mask, bits.to_bytes(n, "little"))
    return n


@syscall("sched_setaffinity", "d", "u", "p")
def sys_sched_setaffinity(task, pid, size, mask):
    data = task.mm.read(mask, min(size, 128))
    if s32(pid) and task.kernel.find_task(task, s32(pid)) is None:
        raise Errno(E.ESRCH)
    if not int.from_bytes(data, "little") & sum(1 << c for c in os.sched_getaffinity(0)):
        raise Errno(E.EINVAL)
    return 0


def _target_group(task, pid: int):
    pid = s32(pid)
    if pid == 0:
        return task.tg
    t = task.kernel.find_task(task, pid)
    if t is None or t.kthread:
        raise Errno(E.ESRCH)
    return t.tg


def do_prlimit(task, tg, resource: int, new: tuple[int, int] | None) -> tuple[int, int]:
    # Linux: kernel/sys.c do_prlimit
    if resource >= RLIM_NLIMITS:
        raise Errno(E.EINVAL)
    old = tuple(tg.rlimits[resource])
    if new is not None:
        soft, hard = new
        if soft > hard:
            raise Errno(E.EINVAL)
        if resource == RLIMIT_NOFILE and hard > NR_OPEN:
            raise Errno(E.EPERM)
        if hard > old[1] and not capable(task.creds, CAP_SYS_RESOURCE):
            raise Errno(E.EPERM)
        tg.rlimits[resource] = [soft, hard]
    return old  # type: ignore[return-value]


@syscall("prlimit64", "d", "rlimit", "p", "struct_out")
def sys_prlimit64(task, pid, resource, new_ptr, old_ptr):
    tg = _target_group(task, pid)
    new = task.mm.read_struct(_RLIMIT, new_ptr) if new_ptr else None
    old = do_prlimit(task, tg, resource, new)
    if old_ptr:
        task.mm.write_struct(_RLIMIT, old_ptr, *old)
    return 0


@syscall("getrlimit", "rlimit", "struct_out")
def sys_getrlimit(task, resource, ptr):
    old = do_prlimit(task, task.tg, resource, None)
    task.mm.write_struct(_RLIMIT, ptr, *old)
    return 0


@syscall("setrlimit", "rlimit", "p")
def sys_setrlimit(task, resource, ptr):
    new = task.mm.read_struct(_RLIMIT, ptr)
    do_prlimit(task, task.tg, resource, new)
    return 0


@syscall("prctl", "prctl", "x", "x", "x", "x")
def sys_prctl(task, option, arg2, arg3, arg4, arg5):
    # Linux: kernel/sys.c prctl; security_task_prctl (the capability options) is asked first
    r = prctl_creds(task, option, arg2, arg3, arg4, arg5)
    if r is not None:
        return r
    if option == PR_SET_NAME:
        name = task.mm.read_cstring(arg2, 4096)[:15]
        task.comm = name
        return 0
    if option == PR_GET_NAME:
        task.mm.write(arg2, task.comm[:15].ljust(16, b"\0"))
        return 0
    if option == PR_SET_PDEATHSIG:
        if arg2 > 64:
            raise Errno(E.EINVAL)
        task.pdeath_signal = arg2
        return 0
    if option == PR_GET_PDEATHSIG:
        task.mm.write_u32(arg2, task.pdeath_signal)
        return 0
    if option == PR_GET_DUMPABLE:
        return 1
    if option == PR_SET_DUMPABLE:
        if arg2 not in (0, 1):
            raise Errno(E.EINVAL)
        return 0
    if option == PR_SET_CHILD_SUBREAPER:
        task.tg.child_subreaper = bool(arg2)
        return 0
    if option == PR_GET_CHILD_SUBREAPER:
        task.mm.write_u32(arg2, int(task.tg.child_subreaper))
        return 0
    if option == PR_SET_NO_NEW_PRIVS:
        if arg2 != 1 or arg3 or arg4 or arg5:
            raise Errno(E.EINVAL)
        task.no_new_privs = True
        return 0
    if option == PR_GET_NO_NEW_PRIVS:
        if arg2 or arg3 or arg4 or arg5:
            raise Errno(E.EINVAL)
        return int(task.no_new_privs)
    raise Errno(E.EINVAL)


__all__ = ["RLIM_INFINITY"]


_YIELD = Yield(0)


@syscall("sched_yield")
def sys_sched_yield(task):
    return _YIELD if task.kernel.sched.runq else 0
