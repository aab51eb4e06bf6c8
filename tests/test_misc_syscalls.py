"""Unit tests of the scheduling, priority, rusage, membarrier, mlock, syslog, hostname and socket syscalls
(emukernel/syscalls/sys.py, sched.py, ioprio.py, exec_domain.py, membarrier.py, memory.py, printk.py and
socket.py).  No Unicorn: tasks are made but never run; a fake address space.

Each expectation is what Linux returns for the same call (kernel/sys.c, kernel/sched/syscalls.c,
block/ioprio.c, mm/mlock.c, kernel/sched/membarrier.c, kernel/printk/printk.c, net/socket.c)."""

from __future__ import annotations

import struct

import pytest

from emukernel import sched_policy as SP
from emukernel.abi import errno as E
from emukernel.abi import resource as RES
from emukernel.clone import copy_process
from emukernel.creds import Creds
from emukernel.errors import Errno, Fault
from emukernel.kernel import Kernel
from emukernel.mm import Vma
from emukernel.syscalls import _MODULES, load_all
from emukernel.syscalls import ioprio as IO
from emukernel.syscalls import membarrier as MB
from emukernel.syscalls import memory as MEM
from emukernel.syscalls import printk as PK
from emukernel.syscalls.table import TABLE
from emukernel.syscalls.table import syscall_name as _name

BASE = 0x10000


class FakeMM:
    """Just what the handlers touch: read/write at BASE.. and the VMAs of find_vma."""

    def __init__(self) -> None:
        self.mem = bytearray(4096)
        self.vmas = [Vma(BASE, BASE + 4096, 3, 0x22, 0)]
        self.membarrier_registered = 0  # as AddressSpace starts
        self.dumpable = 1

    def _off(self, addr: int, n: int) -> int:
        if not BASE <= addr <= BASE + len(self.mem) - n:
            raise Fault(addr)
        return addr - BASE

    def read(self, addr: int, n: int) -> bytes:
        o = self._off(addr, n)
        return bytes(self.mem[o:o + n])

    def write(self, addr: int, data: bytes) -> None:
        o = self._off(addr, len(data))
        self.mem[o:o + len(data)] = data

    def write_u32(self, addr: int, v: int) -> None:
        self.write(addr, struct.pack("<I", v))

    def find_vma(self, addr: int):
        return next((v for v in self.vmas if v.start <= addr < v.end), None)


@pytest.fixture
def k() -> Kernel:
    return Kernel(quiet=True)


def proc(k: Kernel, parent=None, creds: Creds | None = None):
    t = copy_process(k, parent or k.init, 0)
    t.mm = FakeMM()
    if creds is not None:
        t.creds = creds
    return t


def call(name: str, task, *args: int) -> int:
    """The registered handler of `name`."""
    sc = next(s for s in TABLE if s is not None and s.name == name)
    try:
        return sc.handler(task, *args)
    except Errno as e:
        return -e.errno


def test_every_handler_is_registered_once() -> None:
    load_all()
    names = [s.name for s in TABLE if s is not None]
    assert len(names) == len(set(names))
    for n in ("getpriority", "setpriority", "sched_getscheduler", "getrusage", "times", "socket", "sethostname"):
        assert n in names, n
    assert _name(TABLE.index(next(s for s in TABLE if s and s.name == "socket"))) == "socket"


def test_every_handler_module_is_loaded_by_load_all() -> None:
    load_all()
    modules = {f"emukernel.syscalls.{m}" for m in _MODULES}
    for s in TABLE:
        if s is not None:
            assert s.handler.__module__ in modules, (s.name, s.handler.__module__)


def test_priorities(k: Kernel) -> None:
    a = proc(k)
    assert call("getpriority", a, SP.PRIO_PROCESS, 0) == 20  # 20 - nice
    assert call("setpriority", a, SP.PRIO_PROCESS, 0, 5) == 0
    assert call("getpriority", a, SP.PRIO_PROCESS, a.tid) == 15
    assert call("setpriority", a, SP.PRIO_PROCESS, 0, 100) == 0  # clamped to 19
    assert call("getpriority", a, SP.PRIO_PROCESS, 0) == 1
    assert call("getpriority", a, 7, 0) == -E.EINVAL
    assert call("getpriority", a, SP.PRIO_PROCESS, 99999) == -E.ESRCH
    u = proc(k, creds=Creds(1000, 1000))
    u.tg.rlimits[13] = [0, 0]  # RLIMIT_NICE as Linux starts it (INIT_RLIMITS)
    assert call("setpriority", u, SP.PRIO_PROCESS, 0, 3) == 0
    assert call("setpriority", u, SP.PRIO_PROCESS, 0, 1) == -E.EACCES  # lowering nice needs CAP_SYS_NICE
    u.tg.rlimits[13] = [19, 19]  # ... or RLIMIT_NICE down to nice 1
    assert call("setpriority", u, SP.PRIO_PROCESS, 0, 1) == 0 and call("setpriority", u, SP.PRIO_PROCESS, 0, 0) == -E.EACCES
    assert call("setpriority", u, SP.PRIO_PROCESS, a.tid, 10) == -E.EPERM  # another user's process
    assert call("getpriority", a, SP.PRIO_USER, 1000) == 20 - 1


def test_scheduling_policies(k: Kernel) -> None:
    a = proc(k)
    assert call("sched_getscheduler", a, 0) == SP.SCHED_OTHER
    assert call("sched_get_priority_max", a, SP.SCHED_FIFO) == 99
    assert call("sched_get_priority_min", a, SP.SCHED_RR) == 1
    assert call("sched_get_priority_max", a, SP.SCHED_OTHER) == 0
    assert call("sched_get_priority_min", a, 4) == -E.EINVAL
    a.mm.write(BASE, struct.pack("<i", 10))
    assert call("sched_setscheduler", a, 0, SP.SCHED_OTHER, BASE) == -E.EINVAL  # priority must be 0
    assert call("sched_setscheduler", a, 0, SP.SCHED_FIFO, BASE) == 0  # root: CAP_SYS_NICE
    assert call("sched_getscheduler", a, 0) == SP.SCHED_FIFO
    assert call("sched_getparam", a, 0, BASE + 8) == 0 and a.mm.read(BASE + 8, 4) == struct.pack("<i", 10)
    assert call("sched_getparam", a, -1, BASE) == -E.EINVAL
    assert call("sched_getscheduler", a, 99999) == -E.ESRCH
    u = proc(k, creds=Creds(1000, 1000))
    u.mm.write(BASE, struct.pack("<i", 10))
    u.tg.rlimits[14] = [0, 0]  # RLIMIT_RTPRIO as Linux starts it
    assert call("sched_setscheduler", u, 0, SP.SCHED_RR, BASE) == -E.EPERM  # RLIMIT_RTPRIO is 0
    assert call("sched_rr_get_interval", u, 0, BASE + 16) == 0


def test_ioprio(k: Kernel) -> None:
    a = proc(k)
    assert call("ioprio_get", a, IO.IOPRIO_WHO_PROCESS, 0) == 0  # IOPRIO_DEFAULT: class none, level 0
    assert call("ioprio_set", a, IO.IOPRIO_WHO_PROCESS, 0, (IO.IOPRIO_CLASS_IDLE << 13)) == 0
    assert call("ioprio_get", a, IO.IOPRIO_WHO_PROCESS, 0) == IO.IOPRIO_CLASS_IDLE << 13
    assert call("ioprio_set", a, IO.IOPRIO_WHO_PROCESS, 0, (IO.IOPRIO_CLASS_BE << 13) | 8) == -E.EINVAL
    assert call("ioprio_get", a, 0, 0) == -E.EINVAL
    u = proc(k, creds=Creds(1000, 1000))
    assert call("ioprio_set", u, IO.IOPRIO_WHO_PROCESS, 0, IO.IOPRIO_CLASS_RT << 13) == -E.EPERM


def test_rusage_times_getcpu_personality(k: Kernel) -> None:
    a = proc(k)
    assert call("getrusage", a, 5, BASE) == -E.EINVAL
    assert call("getrusage", a, RES.RUSAGE_CHILDREN, BASE) == 0
    assert call("getrusage", a, RES.RUSAGE_SELF, BASE + 4096 - 8) == -E.EFAULT
    t1 = call("times", a, BASE)
    assert t1 > 0 and call("times", a, 0) >= t1  # clock ticks since boot, from near 2^32 - 300 s
    assert call("getcpu", a, BASE, BASE + 4, 0) == 0 and a.mm.read(BASE, 8) == bytes(8)
    assert call("personality", a, 0xFFFFFFFF) == 0
    assert call("personality", a, 0x0040000) == 0  # ADDR_NO_RANDOMIZE; returns the old persona
    assert call("personality", a, 0xFFFFFFFF) == 0x0040000


def test_membarrier_and_mlock(k: Kernel) -> None:
    a = proc(k)
    assert call("membarrier", a, MB.MEMBARRIER_CMD_QUERY, 0, 0) & MB.MEMBARRIER_CMD_PRIVATE_EXPEDITED
    assert call("membarrier", a, MB.MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == -E.EPERM  # not registered
    assert call("membarrier", a, MB.MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0
    assert call("membarrier", a, MB.MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0
    assert call("membarrier", a, 1 << 20, 0, 0) == -E.EINVAL
    assert call("mlock", a, BASE, 100) == 0
    assert call("mlock", a, BASE + 8192, 100) == -E.ENOMEM  # not mapped
    assert call("munlock", a, BASE, 4096) == 0
    assert call("mlockall", a, MEM.MCL_ONFAULT) == -E.EINVAL
    assert call("mlockall", a, MEM.MCL_CURRENT | MEM.MCL_FUTURE) == 0
    assert call("mlock2", a, BASE, 100, 2) == -E.EINVAL


def test_syslog_and_hostname(k: Kernel) -> None:
    a = proc(k)
    u = proc(k, creds=Creds(1000, 1000))
    assert call("syslog", a, PK.SYSLOG_ACTION_SIZE_BUFFER, 0, 0) == PK.LOG_BUF_LEN
    assert call("syslog", a, PK.SYSLOG_ACTION_READ_ALL, BASE, 100) == 0  # an empty log
    assert call("syslog", u, PK.SYSLOG_ACTION_READ_ALL, BASE, 100) == -E.EPERM  # dmesg_restrict
    assert call("syslog", a, 99, 0, 0) == -E.EINVAL
    a.mm.write(BASE, b"box")
    assert call("sethostname", a, BASE, 3) == 0 and k.hostname == b"box"
    assert call("sethostname", a, BASE, 65) == -E.EINVAL
    assert call("sethostname", u, BASE, 3) == -E.EPERM
    assert call("setdomainname", a, BASE, 3) == 0 and k.domainname == b"box"


def test_sockets_no_family(k: Kernel) -> None:
    a = proc(k)
    AF_UNIX, AF_INET, SOCK_STREAM = 1, 2, 1
    assert call("socket", a, AF_INET, SOCK_STREAM, 0) == -E.EAFNOSUPPORT
    assert call("socket", a, AF_UNIX, SOCK_STREAM | 0o2000000, 0) == -E.EAFNOSUPPORT
    assert call("socket", a, AF_INET, SOCK_STREAM | 0x100, 0) == -E.EINVAL  # unknown type flags
    assert call("socket", a, 1000, SOCK_STREAM, 0) == -E.EAFNOSUPPORT
    assert call("socket", a, AF_INET, 15, 0) == -E.EINVAL  # type >= SOCK_MAX
    assert call("socketpair", a, AF_UNIX, SOCK_STREAM, 0, BASE) == -E.EAFNOSUPPORT
    assert call("connect", a, 0, BASE, 16) == -E.ENOTSOCK  # fd 0 is open, not a socket
    assert call("sendto", a, 999, BASE, 1, 0, 0, 0) == -E.EBADF
