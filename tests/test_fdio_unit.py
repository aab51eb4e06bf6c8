"""Pipes, poll/select, epoll, eventfd, signalfd and pidfds without Unicorn.

Tasks are real (forked from the kernel's init with copy_process) but their memory is the bytearray of
test_fs_syscalls.FakeMM; handlers are called as the dispatcher calls them.  A handler that would block
returns a Block, which the tests hand to the scheduler to see who gets woken.
"""

from __future__ import annotations

import struct

import pytest
from test_fs_syscalls import FakeMM

from emukernel.abi import errno as E
from emukernel.abi import signal as S
from emukernel.abi.fcntl import (
    F_GETFL,
    F_GETPIPE_SZ,
    F_SETPIPE_SZ,
    O_CLOEXEC,
    O_DIRECT,
    O_NONBLOCK,
    O_RDWR,
    S_IFIFO,
    SEEK_CUR,
)
from emukernel.abi.syscall_numbers import NUMBERS
from emukernel.clone import copy_process
from emukernel.errors import Errno
from emukernel.fs.eventpoll import EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLET, EPOLLONESHOT
from emukernel.fs.pidfd import PIDFD_NONBLOCK, PIDFD_THREAD, PidFd, notify_exit, pidfd_wait_target
from emukernel.fs.poll import POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLRDNORM
from emukernel.fs.signalfd import SIGNALFD_SIGINFO_SIZE, signalfd_notify
from emukernel.fs.stat import STAT
from emukernel.kernel import Kernel
from emukernel.sched import Block
from emukernel.syscalls.table import TABLE
from emukernel.task import TASK_INTERRUPTIBLE, TASK_RUNNING, Creds

FIONREAD = 0x541B
EV = struct.Struct("<IQ")
POLLFD = struct.Struct("<ihh")
U64 = (1 << 64) - 1


def u(x: int) -> int:
    return x & U64


@pytest.fixture
def k() -> Kernel:
    return Kernel(stdio=(), quiet=True)


class MM(FakeMM):
    """FakeMM that fork can copy."""

    def __init__(self) -> None:
        super().__init__()
        self.users = 1
        self.dumpable = 1  # SUID_DUMP_USER, as AddressSpace starts (ptrace_may_access reads it)

    def read_struct(self, st: struct.Struct, addr: int) -> tuple:
        return st.unpack(self.read(addr, st.size))

    def write_struct(self, st: struct.Struct, addr: int, *values: int) -> None:
        self.write(addr, st.pack(*values))

    def dup(self, kernel: Kernel) -> MM:
        m = MM()
        m.mem[:] = self.mem
        m.brk = self.brk
        return m


def new_task(k: Kernel, parent=None, flags: int = 0):
    t = copy_process(k, parent or k.init, flags)
    if parent is None:
        t.creds = Creds(0, 0)  # root with every capability, whatever the host process holds
        t.mm = MM()
    return t


def sc(task, name: str, *args: int):
    entry = TABLE[NUMBERS[name]]
    assert entry is not None, name
    try:
        return entry.handler(task, *args)
    except Errno as e:
        return -e.errno


_parked: dict = {}  # task -> the Block it parked on (the run loop keeps it in task.restart)


def blocks(task, result) -> Block:
    """The handler parked: hand its Block to the scheduler as the run loop would."""
    assert isinstance(result, Block), result
    task.kernel.sched.block(task, result)
    _parked[task] = result
    return result


def resume(task):
    """Run the continuation of a woken task (or the same handler again)."""
    blk = _parked[task]
    assert task.state == TASK_RUNNING, "not woken"
    assert blk.resume is not None
    return blk.resume()


def make_pipe(t, flags: int = 0) -> tuple[int, int]:
    p = t.mm.alloc(8)
    assert sc(t, "pipe2", p, flags) == 0
    return struct.unpack("<ii", t.mm.read(p, 8))


def write(t, fd: int, data: bytes):
    return sc(t, "write", fd, t.mm.buf(data), len(data))


def read(t, fd: int, n: int):
    buf = t.mm.alloc(max(n, 1))
    r = sc(t, "read", fd, buf, n)
    return t.mm.read(buf, r) if isinstance(r, int) and r >= 0 else r


# -- pipes ----------------------------------------------------------------------------------------------
def test_pipe_basics(k) -> None:
    t = new_task(k)
    r, w = make_pipe(t)
    assert (r, w) == (0, 1)  # the table starts empty (stdio=())
    assert write(t, w, b"hello") == 5
    assert read(t, r, 100) == b"hello"
    assert sc(t, "fcntl", r, F_GETFL, 0) == 0 and sc(t, "fcntl", w, F_GETFL, 0) == 1
    assert sc(t, "lseek", r, 0, SEEK_CUR) == -E.ESPIPE
    assert sc(t, "pread64", r, t.mm.alloc(4), 4, 0) == -E.ESPIPE
    st = t.mm.alloc(STAT.size)
    assert sc(t, "fstat", r, st) == 0
    f = STAT.unpack(t.mm.read(st, STAT.size))
    assert f[3] == S_IFIFO | 0o600 and f[9] == 4096 and f[2] == 1
    st2 = t.mm.alloc(STAT.size)
    sc(t, "fstat", w, st2)
    assert STAT.unpack(t.mm.read(st2, STAT.size))[1] == f[1]  # one inode for both ends
    r2, w2 = make_pipe(t)
    sc(t, "fstat", r2, st2)
    assert STAT.unpack(t.mm.read(st2, STAT.size))[1] != f[1]


def test_pipe2_flags(k) -> None:
    t = new_task(k)
    assert sc(t, "pipe2", t.mm.alloc(8), 0o2000) == -E.EINVAL  # O_APPEND
    assert sc(t, "pipe2", 8, 0) == -E.EFAULT
    assert len(t.files) == 0  # nothing leaked by the failed calls
    r, w = make_pipe(t, O_CLOEXEC | O_NONBLOCK)
    assert t.files.get_cloexec(r) and t.files.get_cloexec(w)
    assert sc(t, "fcntl", r, F_GETFL, 0) == O_NONBLOCK
    assert read(t, r, 4) == -E.EAGAIN
    r, w = make_pipe(t, O_DIRECT)
    assert sc(t, "fcntl", w, F_GETFL, 0) == 1 | O_DIRECT and sc(t, "fcntl", r, F_GETFL, 0) == 0


def test_pipe_capacity_and_page_accounting(k) -> None:
    t = new_task(k)
    r, w = make_pipe(t, O_NONBLOCK)
    total = 0
    while True:
        n = write(t, w, b"x" * 4096)
        if n < 0:
            assert n == -E.EAGAIN
            break
        total += n
    assert total == 65536
    assert read(t, r, 1) == b"x"
    assert write(t, w, b"ab") == -E.EAGAIN  # the first page is not free until it is drained
    assert len(read(t, r, 4095)) == 4095
    assert write(t, w, b"ab") == 2
    fion = t.mm.alloc(4)
    assert sc(t, "ioctl", r, FIONREAD, fion) == 0
    assert struct.unpack("<i", t.mm.read(fion, 4))[0] == 65536 - 4096 + 2


def test_pipe_partial_nonblocking_write_and_atomicity(k) -> None:
    t = new_task(k)
    r, w = make_pipe(t, O_NONBLOCK)
    for _ in range(15):
        assert write(t, w, b"y" * 4096) == 4096
    assert write(t, w, b"z" * 10000) == 4096  # more than PIPE_BUF: what fits
    read(t, r, 4096)
    assert write(t, w, b"q" * 100) == 100  # small writes take a new page
    assert write(t, w, b"q" * 4096) == -E.EAGAIN  # exactly PIPE_BUF: all or nothing


def test_pipe_merge_small_writes(k) -> None:
    t = new_task(k)
    r, w = make_pipe(t, O_NONBLOCK)
    for _ in range(100):
        assert write(t, w, b"0123456789") == 10  # merged into one page
    fion = t.mm.alloc(4)
    sc(t, "ioctl", r, FIONREAD, fion)
    assert struct.unpack("<i", t.mm.read(fion, 4))[0] == 1000
    assert read(t, r, 5000) == b"0123456789" * 100


def test_pipe_packet_mode(k) -> None:
    t = new_task(k)
    r, w = make_pipe(t, O_DIRECT | O_NONBLOCK)
    assert write(t, w, b"abc") == 3
    assert write(t, w, b"defgh") == 5
    assert read(t, r, 100) == b"abc"  # one packet per read
    assert read(t, r, 2) == b"de"  # the rest of a packet that does not fit is dropped
    assert read(t, r, 100) == -E.EAGAIN


def test_pipe_set_size(k) -> None:
    t = new_task(k)
    r, w = make_pipe(t, O_NONBLOCK)
    assert sc(t, "fcntl", r, F_GETPIPE_SZ, 0) == 65536
    assert sc(t, "fcntl", w, F_SETPIPE_SZ, 5000) == 8192
    assert sc(t, "fcntl", w, F_SETPIPE_SZ, 0) == 4096
    assert sc(t, "fcntl", w, F_SETPIPE_SZ, u(-1)) == -E.EINVAL
    assert sc(t, "fcntl", w, F_SETPIPE_SZ, 100000) == 131072
    for _ in range(32):
        assert write(t, w, b"x" * 4096) == 4096
    assert sc(t, "fcntl", w, F_SETPIPE_SZ, 65536) == -E.EBUSY
    assert sc(t, "fcntl", w, F_SETPIPE_SZ, 2 << 20) == 2 << 20  # root (CAP_SYS_RESOURCE) may exceed 1 MiB
    t.creds = Creds(1000, 1000)
    r2, w2 = make_pipe(t)
    assert sc(t, "fcntl", w2, F_SETPIPE_SZ, 2 << 20) == -E.EPERM
    assert sc(t, "fcntl", w2, F_SETPIPE_SZ, 1 << 20) == 1 << 20
    fd = t.files.install(PidFd(k, t))
    assert sc(t, "fcntl", fd, F_GETPIPE_SZ, 0) == -E.EBADF


def test_pipe_eof_follows_open_file_descriptions(k) -> None:
    parent = new_task(k)
    r, w = make_pipe(parent)
    child = new_task(k, parent)  # fork: the table copy shares the ends
    assert sc(parent, "close", w) == 0
    blk = read(child, r, 10)
    assert isinstance(blk, Block)  # the child's copy of the write end keeps the pipe open
    assert sc(child, "close", w) == 0
    assert read(child, r, 10) == b""
    assert read(parent, r, 10) == b""


def test_pipe_blocking_read_is_woken_by_a_write(k) -> None:
    a = new_task(k)
    r, w = make_pipe(a)
    b = new_task(k, a)
    buf = b.mm.alloc(16)
    blocks(b, sc(b, "read", r, buf, 16))
    assert b.state == TASK_INTERRUPTIBLE
    assert write(a, w, b"wake") == 4
    assert b.state == TASK_RUNNING
    assert resume(b) == 4 and b.mm.read(buf, 4) == b"wake"


def test_pipe_blocking_write_continues_after_reads(k) -> None:
    a = new_task(k)
    r, w = make_pipe(a)
    b = new_task(k, a)
    data = bytes(range(256)) * 300  # 76800 bytes: more than the pipe holds
    blocks(b, write(b, w, data))
    assert read(a, r, 65536) == data[:65536]
    assert b.state == TASK_RUNNING
    assert resume(b) == len(data)
    assert read(a, r, 65536) == data[65536:]


def test_pipe_epipe_sends_sigpipe_to_the_writer(k) -> None:
    t = new_task(k)
    r, w = make_pipe(t)
    assert write(t, w, b"") == 0
    sc(t, "close", r)
    assert write(t, w, b"x") == -E.EPIPE
    assert t.pending.bits & S.sigmask(S.SIGPIPE)
    info = t.pending.queue[S.SIGPIPE][0]
    assert info.code == 0 and info.pid == t.tgid
    assert write(t, w, b"") == 0  # a zero-length write never looks for readers


def test_pipe_blocked_reader_gets_restart_on_signal(k) -> None:
    t = new_task(k)
    r, w = make_pipe(t)
    blocks(t, read(t, r, 4))
    k.signals.send(t, S.SIGUSR1, group=False)
    assert t.state == TASK_RUNNING
    assert resume(t) == -E.ERESTARTSYS


# -- poll / select ------------------------------------------------------------------------------------------
def poll(t, fds: list[tuple[int, int]], timeout: int = 0):
    arr = t.mm.buf(b"".join(POLLFD.pack(fd, ev, 0) for fd, ev in fds))
    n = sc(t, "poll", arr, len(fds), u(timeout))
    if isinstance(n, Block):
        return n, arr
    return n, [POLLFD.unpack(t.mm.read(arr + 8 * i, 8))[2] & 0xFFFF for i in range(len(fds))]


def test_poll_pipe_states(k) -> None:
    t = new_task(k)
    r, w = make_pipe(t)
    assert poll(t, [(r, POLLIN), (w, POLLOUT), (w, POLLIN)]) == (1, [0, POLLOUT, 0])
    write(t, w, b"hi")
    assert poll(t, [(r, POLLIN | POLLOUT)]) == (1, [POLLIN])
    sc(t, "close", w)
    assert poll(t, [(r, POLLIN)]) == (1, [POLLIN | POLLHUP])
    read(t, r, 10)
    assert poll(t, [(r, 0)]) == (1, [POLLHUP])
    r2, w2 = make_pipe(t)
    sc(t, "close", r2)
    assert poll(t, [(w2, POLLOUT)]) == (1, [POLLOUT | POLLERR])
    assert poll(t, [(99, POLLIN), (-1, POLLIN)]) == (1, [POLLNVAL, 0])


def test_poll_blocks_and_wakes_on_write(k) -> None:
    a = new_task(k)
    r, w = make_pipe(a)
    b = new_task(k, a)
    blk, arr = poll(b, [(r, POLLIN)], -1)
    blocks(b, blk)
    write(a, w, b"!")
    assert b.state == TASK_RUNNING
    assert resume(b) == 1
    assert POLLFD.unpack(b.mm.read(arr, 8))[2] == POLLIN


def test_poll_timeout_and_signal(k) -> None:
    t = new_task(k)
    r, w = make_pipe(t)
    blk, _ = poll(t, [(r, POLLIN)], 5)
    assert blk.deadline == k.clock.monotonic_ns() + 5_000_000
    blocks(t, blk)
    k.clock.advance_to(blk.deadline)
    k.sched.wake(t)
    assert resume(t) == 0
    blocks(t, poll(t, [(r, POLLIN)], -1)[0])
    k.signals.send(t, S.SIGUSR1, group=False)
    assert resume(t) == -E.ERESTART_RESTARTBLOCK and t.restart_block is not None
    t.creds = Creds(1000, 1000)
    t.tg.rlimits[7] = [4, 4]
    assert poll(t, [(r, POLLIN)] * 5)[0] == -E.EINVAL


def test_ppoll_writes_back_time_left_and_masks_signals(k) -> None:
    t = new_task(k)
    r, w = make_pipe(t)
    arr = t.mm.buf(POLLFD.pack(r, POLLIN, 0))
    ts = t.mm.buf(struct.pack("<qq", 2, 0))
    mask = t.mm.buf(struct.pack("<Q", S.sigmask(S.SIGUSR1)))
    blocks(t, sc(t, "ppoll", arr, 1, ts, mask, 8))
    assert t.sigmask == S.sigmask(S.SIGUSR1) and t.saved_sigmask == 0
    k.clock.advance_to(k.clock.monotonic_ns() + 500_000_000)
    write(t, w, b"x")
    assert resume(t) == 1
    assert struct.unpack("<qq", t.mm.read(ts, 16)) == (1, 500_000_000)
    assert t.sigmask == 0 and t.saved_sigmask is None
    assert sc(t, "ppoll", arr, 1, 0, mask, 4) == -E.EINVAL
    bad = t.mm.buf(struct.pack("<qq", 0, 2_000_000_000))
    assert sc(t, "ppoll", arr, 1, bad, 0, 8) == -E.EINVAL


def fdset(*fds: int) -> bytes:
    v = 0
    for fd in fds:
        v |= 1 << fd
    return v.to_bytes(128, "little")


def test_select(k) -> None:
    t = new_task(k)
    r, w = make_pipe(t)
    rd = t.mm.buf(fdset(r))
    wr = t.mm.buf(fdset(r, w))
    tv = t.mm.buf(struct.pack("<qq", 0, 0))
    assert sc(t, "select", w + 1, rd, wr, 0, tv) == 1
    assert int.from_bytes(t.mm.read(rd, 8), "little") == 0
    assert int.from_bytes(t.mm.read(wr, 8), "little") == 1 << w
    bad = t.mm.buf(fdset(r, 50))
    assert sc(t, "select", 51, bad, 0, 0, tv) == -E.EBADF
    high = t.mm.buf(fdset(r, 500))  # beyond the table's 64 slots: ignored, as in Linux
    assert sc(t, "select", 501, high, 0, 0, tv) == 0
    assert int.from_bytes(t.mm.read(high, 64), "little") == 1 << 500  # bits past max_fds untouched
    assert sc(t, "select", u(-1), 0, 0, 0, tv) == -E.EINVAL
    neg = t.mm.buf(struct.pack("<qq", 0, -1))
    assert sc(t, "select", 1, 0, 0, 0, neg) == -E.EINVAL


def test_fdtable_max_fds_grows_like_linux(k) -> None:
    t = new_task(k)
    r, w = make_pipe(t)
    assert t.files.max_fds == 64
    sc(t, "dup2", r, 64)
    assert t.files.max_fds == 128
    sc(t, "dup2", r, 127)
    assert t.files.max_fds == 128
    child = new_task(k, t)
    assert child.files.max_fds == 256  # dup_fd: alloc_fdtable(128 open slots) gives 256
    sc(t, "dup2", r, 128)
    assert t.files.max_fds == 256


# -- epoll --------------------------------------------------------------------------------------------------
def epoll_wait(t, ep: int, maxevents: int = 8, timeout: int = 0):
    evs = t.mm.alloc(12 * maxevents)
    n = sc(t, "epoll_wait", ep, evs, maxevents, u(timeout))
    if not isinstance(n, int) or n < 0:
        return n
    return [EV.unpack(t.mm.read(evs + 12 * i, 12)) for i in range(n)]


def ctl(t, ep: int, op: int, fd: int, events: int = 0, data: int = 0) -> int:
    return sc(t, "epoll_ctl", ep, op, u(fd), t.mm.buf(EV.pack(events, data)))


def test_epoll_ctl_errors(k) -> None:
    t = new_task(k)
    assert sc(t, "epoll_create", 0) == -E.EINVAL
    assert sc(t, "epoll_create1", 1) == -E.EINVAL
    ep = sc(t, "epoll_create1", O_CLOEXEC)
    assert t.files.get_cloexec(ep) and sc(t, "fcntl", ep, F_GETFL, 0) == O_RDWR
    r, w = make_pipe(t)
    assert ctl(t, ep, EPOLL_CTL_ADD, r, POLLIN) == 0
    assert ctl(t, ep, EPOLL_CTL_ADD, r, POLLIN) == -E.EEXIST
    assert ctl(t, ep, EPOLL_CTL_MOD, w, POLLOUT) == -E.ENOENT
    assert ctl(t, ep, EPOLL_CTL_DEL, w) == -E.ENOENT
    assert ctl(t, ep, 9, r) == -E.EINVAL
    assert ctl(t, ep, EPOLL_CTL_ADD, ep, POLLIN) == -E.EINVAL
    assert ctl(t, r, EPOLL_CTL_ADD, w, POLLOUT) == -E.EINVAL
    assert ctl(t, ep, EPOLL_CTL_ADD, 77, POLLIN) == -E.EBADF
    fd = sc(t, "openat", u(-100), t.mm.cstr("/tmp/f"), 0o100 | 2, 0o644)
    assert ctl(t, ep, EPOLL_CTL_ADD, fd, POLLIN) == -E.EPERM
    assert ctl(t, ep, EPOLL_CTL_MOD, r, POLLIN | (1 << 28)) == -E.EINVAL  # EPOLLEXCLUSIVE with MOD
    # nesting: a loop is refused
    ep2 = sc(t, "epoll_create1", 0)
    assert ctl(t, ep2, EPOLL_CTL_ADD, ep, POLLIN) == 0
    assert ctl(t, ep, EPOLL_CTL_ADD, ep2, POLLIN) == -E.ELOOP
    assert epoll_wait(t, ep, 0) == -E.EINVAL
    assert epoll_wait(t, r, 1) == -E.EINVAL


def test_epoll_level_edge_oneshot(k) -> None:
    t = new_task(k)
    ep = sc(t, "epoll_create1", 0)
    r1, w1 = make_pipe(t)
    r2, w2 = make_pipe(t)
    r3, w3 = make_pipe(t)
    assert ctl(t, ep, EPOLL_CTL_ADD, r1, POLLIN, 1) == 0
    assert ctl(t, ep, EPOLL_CTL_ADD, r2, POLLIN | EPOLLET, 2) == 0
    assert ctl(t, ep, EPOLL_CTL_ADD, r3, POLLIN | EPOLLONESHOT, 3) == 0
    assert epoll_wait(t, ep) == []
    for w in (w1, w2, w3):
        write(t, w, b"ab")
    assert sorted(epoll_wait(t, ep)) == [(POLLIN, 1), (POLLIN, 2), (POLLIN, 3)]
    assert epoll_wait(t, ep) == [(POLLIN, 1)]  # only the level-triggered one again
    write(t, w2, b"c")  # a new event re-arms the edge-triggered item
    assert sorted(epoll_wait(t, ep)) == [(POLLIN, 1), (POLLIN, 2)]
    assert ctl(t, ep, EPOLL_CTL_MOD, r3, POLLIN | EPOLLONESHOT, 33) == 0  # re-arm the one-shot item
    assert sorted(epoll_wait(t, ep)) == [(POLLIN, 1), (POLLIN, 33)]
    assert ctl(t, ep, EPOLL_CTL_DEL, r1) == 0
    sc(t, "close", w3)
    assert epoll_wait(t, ep) == []  # r3 is disabled again; r2 had no new event
    assert epoll_wait(t, ep, 1) == []


def test_epoll_maxevents_order_and_close(k) -> None:
    t = new_task(k)
    ep = sc(t, "epoll_create1", 0)
    pipes = [make_pipe(t) for _ in range(3)]
    for i, (r, w) in enumerate(pipes):
        ctl(t, ep, EPOLL_CTL_ADD, r, POLLIN, i)
        write(t, w, b"x")
    assert epoll_wait(t, ep, 2) == [(POLLIN, 0), (POLLIN, 1)]
    assert epoll_wait(t, ep, 2) == [(POLLIN, 2), (POLLIN, 0)]  # the unreported item comes first
    r0, w0 = pipes[0]
    dup = sc(t, "dup", r0)
    sc(t, "close", r0)
    assert (POLLIN, 0) in epoll_wait(t, ep, 8)  # the file is still open through the dup
    sc(t, "close", dup)
    assert sorted(epoll_wait(t, ep, 8)) == [(POLLIN, 1), (POLLIN, 2)]  # its last close removed the item


def test_epoll_wait_blocks_and_nested_epoll(k) -> None:
    a = new_task(k)
    ep = sc(a, "epoll_create1", 0)
    outer = sc(a, "epoll_create1", 0)
    r, w = make_pipe(a)
    ctl(a, ep, EPOLL_CTL_ADD, r, POLLIN, 7)
    ctl(a, outer, EPOLL_CTL_ADD, ep, POLLIN, 8)
    b = new_task(k, a)
    evs = b.mm.alloc(12)
    blocks(b, sc(b, "epoll_wait", outer, evs, 1, u(-1)))
    write(a, w, b"x")
    assert b.state == TASK_RUNNING
    assert resume(b) == 1 and EV.unpack(b.mm.read(evs, 12)) == (POLLIN, 8)
    assert poll(a, [(ep, POLLIN)]) == (1, [POLLIN])
    read(a, r, 10)
    blocks(b, sc(b, "epoll_wait", outer, evs, 1, u(-1)))
    k.signals.send(b, S.SIGUSR1, group=False)
    assert resume(b) == -E.EINTR


# -- eventfd ------------------------------------------------------------------------------------------------
def test_eventfd(k) -> None:
    t = new_task(k)
    assert sc(t, "eventfd2", 0, 0o7) == -E.EINVAL
    fd = sc(t, "eventfd2", 3, O_NONBLOCK | 1)  # EFD_SEMAPHORE
    assert sc(t, "fcntl", fd, F_GETFL, 0) == O_RDWR | O_NONBLOCK
    assert read(t, fd, 4) == -E.EINVAL
    for _ in range(3):
        assert read(t, fd, 8) == struct.pack("<Q", 1)
    assert read(t, fd, 8) == -E.EAGAIN
    assert poll(t, [(fd, POLLIN | POLLOUT)]) == (1, [POLLOUT])
    assert write(t, fd, struct.pack("<Q", 5)) == 8
    assert write(t, fd, struct.pack("<Q", U64)) == -E.EINVAL
    assert write(t, fd, struct.pack("<Q", U64 - 5)) == -E.EAGAIN
    assert write(t, fd, b"abc") == -E.EINVAL
    fd2 = sc(t, "eventfd", 10)
    assert read(t, fd2, 16) == struct.pack("<Q", 10)
    b = new_task(k, t)
    buf = b.mm.alloc(8)
    blocks(b, sc(b, "read", fd2, buf, 8))
    assert write(t, fd2, struct.pack("<Q", 2)) == 8
    assert resume(b) == 8 and b.mm.read(buf, 8) == struct.pack("<Q", 2)


# -- signalfd -----------------------------------------------------------------------------------------------
def test_signalfd(k) -> None:
    t = new_task(k)
    mask = t.mm.buf(struct.pack("<Q", S.sigmask(S.SIGUSR1) | S.sigmask(S.SIGKILL)))
    assert sc(t, "signalfd4", u(-1), mask, 4, 0) == -E.EINVAL
    assert sc(t, "signalfd4", u(-1), mask, 8, 1) == -E.EINVAL
    fd = sc(t, "signalfd4", u(-1), mask, 8, O_NONBLOCK)
    assert read(t, fd, 128) == -E.EAGAIN
    assert read(t, fd, 100) == -E.EINVAL
    k.signals.set_blocked(t, S.sigmask(S.SIGUSR1))
    assert poll(t, [(fd, POLLIN)]) == (0, [0])
    k.signals.send(t, S.SIGUSR1, group=True, info=None)
    assert poll(t, [(fd, POLLIN)]) == (1, [POLLIN])
    data = read(t, fd, 256)
    assert len(data) == SIGNALFD_SIGINFO_SIZE
    signo, errno, code = struct.unpack_from("<Iii", data)
    assert signo == S.SIGUSR1 and code == 0x80
    assert not (t.tg.shared.bits & S.sigmask(S.SIGUSR1))
    other = sc(t, "eventfd", 0)
    assert sc(t, "signalfd", other, mask, 8) == -E.EINVAL
    assert sc(t, "signalfd", 99, mask, 8) == -E.EBADF
    # a blocking read is woken through the notification hook
    fd2 = sc(t, "signalfd", u(-1), mask, 8)
    assert fd2 > fd
    buf = t.mm.alloc(128)
    blocks(t, sc(t, "read", fd2, buf, 128))
    k.signals.send(t, S.SIGUSR1, group=False)  # blocked: no signal_wake_up
    signalfd_notify(k, t)
    assert t.state == TASK_RUNNING
    assert resume(t) == 128


# -- pidfd --------------------------------------------------------------------------------------------------
def test_pidfd_open_and_poll(k) -> None:
    parent = new_task(k)
    child = new_task(k, parent)
    assert sc(parent, "pidfd_open", child.tid, 0o7) == -E.EINVAL
    assert sc(parent, "pidfd_open", 0, 0) == -E.EINVAL
    assert sc(parent, "pidfd_open", 30000, 0) == -E.ESRCH
    fd = sc(parent, "pidfd_open", child.tid, PIDFD_NONBLOCK)
    assert parent.files.get_cloexec(fd)
    assert sc(parent, "fcntl", fd, F_GETFL, 0) == O_RDWR | O_NONBLOCK
    thread = new_task(k, child, 0x100 | 0x800 | 0x10000)  # CLONE_VM | CLONE_SIGHAND | CLONE_THREAD
    # a thread's tid without PIDFD_THREAD: ENOENT since Linux 6.15 (pidfd_prepare; EINVAL before), as the
    # host says (guest/pidfd_race)
    assert sc(parent, "pidfd_open", thread.tid, 0) == -E.ENOENT
    tfd = sc(parent, "pidfd_open", thread.tid, PIDFD_THREAD)
    assert tfd >= 0
    assert poll(parent, [(fd, POLLIN), (tfd, POLLIN)]) == (0, [0, 0])
    assert pidfd_wait_target(parent, fd) == (child.tgid, True)
    with pytest.raises(Errno):
        pidfd_wait_target(parent, sc(parent, "eventfd", 0))
    f = parent.files.get(fd)
    assert f.fdinfo_lines(parent) == [f"Pid:\t{child.tid}", f"NSpid:\t{child.tid}"]
    # the thread exits: its thread pidfd is readable, the process pidfd not yet
    blocks(parent, poll(parent, [(fd, POLLIN)], -1)[0])
    thread.mm = child.mm = None  # no CPU behind the fake memory: exit without an address space
    k.do_exit(thread, 0)
    notify_exit(k, thread)
    assert poll(parent, [(tfd, POLLIN | POLLRDNORM)]) == (1, [POLLIN | POLLRDNORM | POLLHUP])
    assert parent.state == TASK_INTERRUPTIBLE
    k.do_exit(child, 0)
    notify_exit(k, child)
    assert parent.state == TASK_RUNNING
    assert resume(parent) == 1
    assert poll(parent, [(fd, POLLIN)]) == (1, [POLLIN])  # POLLRDNORM was not asked for
    from emukernel.exit import release_task

    release_task(k, child)  # reaped: the pidfd names nothing, even if the number comes back
    assert poll(parent, [(fd, POLLIN)]) == (1, [POLLIN | POLLHUP])
    assert f.tgid == -1
    assert f.fdinfo_lines(parent) == ["Pid:\t-1", "NSpid:\t-1"]
    assert sc(parent, "pidfd_send_signal", fd, S.SIGTERM, 0, 0) == -E.ESRCH


def test_pidfd_send_signal_and_getfd(k) -> None:
    parent = new_task(k)
    child = new_task(k, parent)
    fd = sc(parent, "pidfd_open", child.tid, 0)
    assert sc(parent, "pidfd_send_signal", fd, S.SIGUSR1, 0, 8) == -E.EINVAL
    assert sc(parent, "pidfd_send_signal", fd, S.SIGUSR1, 0, 3) == -E.EINVAL
    assert sc(parent, "pidfd_send_signal", 77, S.SIGUSR1, 0, 0) == -E.EBADF
    assert sc(parent, "pidfd_send_signal", sc(parent, "eventfd", 0), S.SIGUSR1, 0, 0) == -E.EBADF
    assert sc(parent, "pidfd_send_signal", fd, 99, 0, 0) == -E.EINVAL
    k.signals.set_blocked(child, S.sigmask(S.SIGUSR1))
    assert sc(parent, "pidfd_send_signal", fd, S.SIGUSR1, 0, 0) == 0
    info = child.tg.shared.queue[S.SIGUSR1][0]
    assert info.code == 0 and info.pid == parent.tgid
    assert sc(parent, "pidfd_send_signal", fd, S.SIGUSR1, 0, 1) == 0  # PIDFD_SIGNAL_THREAD
    assert child.pending.queue[S.SIGUSR1][0].code == -6  # SI_TKILL
    uinfo = parent.mm.buf(struct.pack("<iii", S.SIGUSR2, 0, 0).ljust(128, b"\0"))
    assert sc(parent, "pidfd_send_signal", fd, S.SIGUSR1, uinfo, 0) == -E.EINVAL
    assert sc(parent, "pidfd_send_signal", fd, S.SIGUSR2, uinfo, 0) == -E.EPERM  # si_code SI_USER
    child.creds = Creds(1000, 1000)
    parent.creds = Creds(2000, 2000)
    assert sc(parent, "pidfd_send_signal", fd, S.SIGUSR1, 0, 0) == -E.EPERM
    # pidfd_getfd: EPERM without matching ids, then the file comes back CLOEXEC in the caller
    r, w = make_pipe(child)
    assert sc(parent, "pidfd_getfd", fd, r, 0) == -E.EPERM
    parent.creds = Creds(1000, 1000)
    assert sc(parent, "pidfd_getfd", fd, r, 1) == -E.EINVAL
    assert sc(parent, "pidfd_getfd", fd, 55, 0) == -E.EBADF
    got = sc(parent, "pidfd_getfd", fd, w, 0)
    assert parent.files.get_cloexec(got) and parent.files.get(got) is child.files.get(w)
    assert write(parent, got, b"via getfd") == 9
    assert read(child, r, 20) == b"via getfd"
