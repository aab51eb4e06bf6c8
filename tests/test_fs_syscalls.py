"""The file syscalls, called as the dispatcher calls them (no Unicorn): a fake task with bytearray memory."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import Any

import pytest
from objects import make_creds

from emukernel.abi import errno as E
from emukernel.abi.fcntl import (
    AT_EACCESS,
    AT_EMPTY_PATH,
    AT_FDCWD,
    AT_REMOVEDIR,
    AT_SYMLINK_NOFOLLOW,
    F_DUPFD,
    F_DUPFD_CLOEXEC,
    F_GETFD,
    F_GETFL,
    F_GETLK,
    F_SETFD,
    F_SETFL,
    FD_CLOEXEC,
    O_APPEND,
    O_CLOEXEC,
    O_CREAT,
    O_DIRECTORY,
    O_EXCL,
    O_LARGEFILE,
    O_NOFOLLOW,
    O_NONBLOCK,
    O_PATH,
    O_RDONLY,
    O_RDWR,
    O_TRUNC,
    O_WRONLY,
    R_OK,
    RENAME_EXCHANGE,
    SEEK_CUR,
    SEEK_END,
    SEEK_SET,
    W_OK,
)
from emukernel.abi.resource import RLIMIT_NOFILE
from emukernel.abi.syscall_numbers import NUMBERS
from emukernel.creds import Creds as RealCreds
from emukernel.errors import Errno, Fault
from emukernel.fs.stat import STAT, STATX, STATX_BASIC_STATS, STATX_MNT_ID
from emukernel.fs.vfs import Vfs
from emukernel.pidns import PidNamespace
from emukernel.syscalls import load_all
from emukernel.syscalls.table import TABLE
from emukernel.threadgroup import ThreadGroup

load_all()  # registers the handlers

BASE = 0x10000
SIZE = 1 << 20


class FakeMM:
    """Guest memory: one mapped range [BASE, BASE + SIZE); anything else faults."""

    def __init__(self) -> None:
        self.mem = bytearray(SIZE)
        self.brk = BASE

    def _off(self, addr: int, n: int) -> int:
        if addr < BASE or addr + n > BASE + SIZE or n < 0:
            raise Fault(addr)
        return addr - BASE

    def read(self, addr: int, n: int) -> bytes:
        o = self._off(addr, n)
        return bytes(self.mem[o : o + n])

    def write(self, addr: int, data: bytes) -> None:
        o = self._off(addr, len(data))
        self.mem[o : o + len(data)] = data

    def read_cstring(self, addr: int, limit: int = 4096) -> bytes:
        out = bytearray()
        for i in range(limit):
            b = self.read(addr + i, 1)
            if b == b"\0":
                return bytes(out)
            out += b
        raise Errno(E.ENAMETOOLONG)

    def read_u32(self, addr: int) -> int:
        return struct.unpack("<I", self.read(addr, 4))[0]

    def write_u32(self, addr: int, v: int) -> None:
        self.write(addr, struct.pack("<I", v))

    def read_u64(self, addr: int) -> int:
        return struct.unpack("<Q", self.read(addr, 8))[0]

    def write_u64(self, addr: int, v: int) -> None:
        self.write(addr, struct.pack("<Q", v))

    # test helpers
    def alloc(self, n: int) -> int:
        addr = self.brk
        self.brk += (n + 15) & ~15
        return addr

    def cstr(self, s: bytes | str) -> int:
        data = os.fsencode(s) + b"\0"
        addr = self.alloc(len(data))
        self.write(addr, data)
        return addr

    def buf(self, data: bytes) -> int:
        addr = self.alloc(len(data))
        self.write(addr, data)
        return addr


def Creds(**ids) -> RealCreds:
    """Real credentials, root unless the ids say otherwise (tests/objects.py)."""
    return make_creds(**ids)


@dataclass
class FakeKernel:
    vfs: Vfs


def _thread_group() -> ThreadGroup:
    """A real (small) process: its own pid in a fresh namespace, default rlimits."""
    return ThreadGroup(PidNamespace().alloc_pid(), None)


@dataclass
class FakeTask:
    kernel: FakeKernel
    mm: FakeMM = field(default_factory=FakeMM)
    creds: Creds = field(default_factory=Creds)
    files: Any = None
    fs: Any = None
    tg: ThreadGroup = field(default_factory=_thread_group)


def make_task(vfs: Vfs | None = None, cwd: str = "/") -> FakeTask:
    vfs = vfs or Vfs(stdio=())
    t = FakeTask(FakeKernel(vfs))
    t.files = vfs.new_fdtable()
    t.fs = vfs.new_fs_context(cwd)
    return t


def sc(task: FakeTask, name: str, *args: int) -> int:
    """Call a handler as the dispatcher does: an Errno becomes -errno."""
    entry = TABLE[NUMBERS[name]]
    assert entry is not None, name
    assert entry.nargs == len(args), (name, entry.args)
    try:
        return entry.handler(task, *args)
    except Errno as e:
        return -e.errno


NEG = (1 << 64) - 1  # -1 as a register value


def u(x: int) -> int:
    return x & ((1 << 64) - 1)


@pytest.fixture
def t() -> FakeTask:
    return make_task()


def open_(t: FakeTask, path: str, flags: int, mode: int = 0o644) -> int:
    return sc(t, "openat", u(AT_FDCWD), t.mm.cstr(path), flags, mode)


def write_file(t: FakeTask, path: str, data: bytes, mode: int = 0o644) -> None:
    fd = open_(t, path, O_CREAT | O_WRONLY | O_TRUNC, mode)
    assert fd >= 0
    assert sc(t, "write", fd, t.mm.buf(data), len(data)) == len(data)
    assert sc(t, "close", fd) == 0


def read_fd(t: FakeTask, fd: int, n: int = 4096) -> bytes:
    buf = t.mm.alloc(n)
    got = sc(t, "read", fd, buf, n)
    assert got >= 0, got
    return t.mm.read(buf, got)


# -- struct layouts ----------------------------------------------------------------------------------------
def test_struct_stat_layout_matches_host_stat(tmp_path) -> None:
    (tmp_path / "f").write_bytes(b"x" * 5000)
    t = make_task(Vfs(root=str(tmp_path), stdio=()))
    buf = t.mm.alloc(STAT.size)
    assert sc(t, "stat", t.mm.cstr("/f"), buf) == 0
    f = STAT.unpack(t.mm.read(buf, STAT.size))
    st = os.stat(tmp_path / "f")
    (dev, ino, nlink, mode, uid, gid, pad, rdev, size, blksize, blocks, at, atn, mt, mtn, ct, ctn) = f
    assert (dev, ino, nlink, mode, uid, gid, pad, rdev) == (
        st.st_dev, st.st_ino, st.st_nlink, st.st_mode, st.st_uid, st.st_gid, 0, st.st_rdev)  # fmt: skip
    assert (size, blksize, blocks) == (st.st_size, st.st_blksize, st.st_blocks)
    assert at * 10**9 + atn == st.st_atime_ns and mt * 10**9 + mtn == st.st_mtime_ns
    assert ct * 10**9 + ctn == st.st_ctime_ns
    # byte offsets of x86-64 struct stat
    raw = t.mm.read(buf, STAT.size)
    assert struct.unpack_from("<Q", raw, 8)[0] == st.st_ino
    assert struct.unpack_from("<I", raw, 24)[0] == st.st_mode
    assert struct.unpack_from("<q", raw, 48)[0] == st.st_size
    assert struct.unpack_from("<q", raw, 88)[0] == int(st.st_mtime)


def test_struct_statx_layout(tmp_path) -> None:
    (tmp_path / "f").write_bytes(b"abc")
    t = make_task(Vfs(root=str(tmp_path), stdio=()))
    buf = t.mm.alloc(256)
    assert sc(t, "statx", u(AT_FDCWD), t.mm.cstr("/f"), 0, STATX_BASIC_STATS, buf) == 0
    raw = t.mm.read(buf, 256)
    st = os.stat(tmp_path / "f")
    mask, blksize, _attrs, nlink, uid, gid, mode = struct.unpack_from("<IIQIIIH", raw, 0)
    assert mask & STATX_BASIC_STATS == STATX_BASIC_STATS and mask & STATX_MNT_ID
    assert (blksize, nlink, uid, gid, mode) == (st.st_blksize, st.st_nlink, st.st_uid, st.st_gid, st.st_mode)
    assert struct.unpack_from("<QQQ", raw, 32) == (st.st_ino, st.st_size, st.st_blocks)
    assert struct.unpack_from("<qI", raw, 112) == (int(st.st_mtime_ns // 10**9), st.st_mtime_ns % 10**9)
    assert struct.unpack_from("<II", raw, 136) == (os.major(st.st_dev), os.minor(st.st_dev))
    assert struct.unpack_from("<Q", raw, 144)[0] > 0  # stx_mnt_id
    assert STATX.size == 256
    # mount root attribute, reserved mask bit, bad sync type
    assert sc(t, "statx", u(AT_FDCWD), t.mm.cstr("/"), 0, 0, buf) == 0
    attrs, amask = struct.unpack_from("<Q", t.mm.read(buf + 8, 8))[0], struct.unpack_from("<Q", t.mm.read(buf + 56, 8))[0]
    assert attrs & 0x2000 and amask & 0x2000
    assert sc(t, "statx", u(AT_FDCWD), t.mm.cstr("/f"), 0, 0x80000000, buf) == -E.EINVAL
    assert sc(t, "statx", u(AT_FDCWD), t.mm.cstr("/f"), 0x6000, 0, buf) == -E.EINVAL


def parse_dirents(raw: bytes) -> list[tuple[int, int, int, bytes]]:
    out = []
    off = 0
    while off < len(raw):
        ino, doff, reclen, dtype = struct.unpack_from("<QqHB", raw, off)
        assert reclen % 8 == 0
        name = raw[off + 19 : off + reclen]
        out.append((ino, doff, dtype, name[: name.index(b"\0")]))
        off += reclen
    return out


def test_getdents64(t: FakeTask) -> None:
    assert sc(t, "mkdir", t.mm.cstr("/tmp/d"), 0o755) == 0
    for i in range(20):
        write_file(t, f"/tmp/d/file{i:02d}", b"")
    assert sc(t, "symlink", t.mm.cstr("file00"), t.mm.cstr("/tmp/d/link")) == 0
    fd = open_(t, "/tmp/d", O_RDONLY | O_DIRECTORY)
    buf = t.mm.alloc(4096)
    assert sc(t, "getdents64", fd, buf, 10) == -E.EINVAL  # not even one entry fits
    seen = []
    while True:
        n = sc(t, "getdents64", fd, buf, 128)  # a few entries per call
        assert n >= 0
        if n == 0:
            break
        seen += parse_dirents(t.mm.read(buf, n))
    names = [s[3] for s in seen]
    assert names[:2] == [b".", b".."] and len(names) == 23 and len(set(names)) == 23
    types = {s[3]: s[2] for s in seen}
    assert types[b"."] == 4 and types[b"file03"] == 8 and types[b"link"] == 10
    # rewinding with lseek(d_off) resumes after that entry
    assert sc(t, "lseek", fd, seen[4][1], SEEK_SET) == seen[4][1]
    n = sc(t, "getdents64", fd, buf, 4096)
    assert [e[3] for e in parse_dirents(t.mm.read(buf, n))] == names[5:]
    # a file is not a directory; a bad fd is EBADF; a bad buffer EFAULT
    ffd = open_(t, "/tmp/d/file01", O_RDONLY)
    assert sc(t, "getdents64", ffd, buf, 4096) == -E.ENOTDIR
    assert sc(t, "getdents64", 99, buf, 4096) == -E.EBADF
    assert sc(t, "lseek", fd, 0, SEEK_SET) == 0
    assert sc(t, "getdents64", fd, 8, 4096) == -E.EFAULT
    assert sc(t, "read", fd, buf, 10) == -E.EISDIR
    # reading a removed directory
    assert sc(t, "mkdir", t.mm.cstr("/tmp/e"), 0o755) == 0
    efd = open_(t, "/tmp/e", O_RDONLY | O_DIRECTORY)
    assert sc(t, "rmdir", t.mm.cstr("/tmp/e")) == 0
    assert sc(t, "getdents64", efd, buf, 4096) == -E.ENOENT


# -- read/write family -------------------------------------------------------------------------------------
def test_read_write_lseek_pread_pwrite(t: FakeTask) -> None:
    fd = open_(t, "/tmp/f", O_CREAT | O_RDWR, 0o600)
    assert sc(t, "write", fd, t.mm.buf(b"hello world"), 11) == 11
    assert sc(t, "lseek", fd, 0, SEEK_CUR) == 11
    assert sc(t, "lseek", fd, u(-5), SEEK_END) == 6
    assert read_fd(t, fd) == b"world"
    assert read_fd(t, fd) == b""
    buf = t.mm.alloc(16)
    assert sc(t, "pread64", fd, buf, 5, 0) == 5 and t.mm.read(buf, 5) == b"hello"
    assert sc(t, "pwrite64", fd, t.mm.buf(b"J"), 1, 0) == 1
    assert sc(t, "lseek", fd, 0, SEEK_CUR) == 11  # positional I/O leaves the offset alone
    assert sc(t, "pread64", fd, buf, 5, u(-1)) == -E.EINVAL
    assert sc(t, "pread64", 77, buf, 5, u(-1)) == -E.EINVAL  # EINVAL comes before EBADF
    assert sc(t, "lseek", fd, 0, 5) == -E.EINVAL
    assert sc(t, "lseek", fd, u(-1), SEEK_SET) == -E.EINVAL
    assert sc(t, "lseek", 77, 0, 9) == -E.EBADF
    # EFAULT: nothing is consumed
    assert sc(t, "lseek", fd, 0, SEEK_SET) == 0
    assert sc(t, "read", fd, 8, 5) == -E.EFAULT
    assert sc(t, "lseek", fd, 0, SEEK_CUR) == 0
    assert sc(t, "write", fd, 8, 5) == -E.EFAULT
    assert sc(t, "read", fd, buf, NEG) == -E.EFAULT
    # access mode
    ro = open_(t, "/tmp/f", O_RDONLY)
    assert sc(t, "write", ro, buf, 1) == -E.EBADF
    wo = open_(t, "/tmp/f", O_WRONLY)
    assert sc(t, "read", wo, buf, 1) == -E.EBADF
    assert sc(t, "read", 55, buf, 1) == -E.EBADF
    assert read_fd(t, ro) == b"Jello world"


def test_append_and_partial_read_at_end_of_mapping(t: FakeTask) -> None:
    write_file(t, "/tmp/a", b"0123456789")
    fd = open_(t, "/tmp/a", O_WRONLY | O_APPEND)
    assert sc(t, "write", fd, t.mm.buf(b"AB"), 2) == 2
    rfd = open_(t, "/tmp/a", O_RDONLY)
    assert read_fd(t, rfd) == b"0123456789AB"
    assert sc(t, "fcntl", fd, F_GETFL, 0) == O_WRONLY | O_APPEND | O_LARGEFILE


def test_readv_writev(t: FakeTask) -> None:
    fd = open_(t, "/tmp/v", O_CREAT | O_RDWR, 0o600)
    a, b = t.mm.buf(b"abc"), t.mm.buf(b"defgh")
    iov = t.mm.buf(struct.pack("<QQQQ", a, 3, b, 5))
    assert sc(t, "writev", fd, iov, 2) == 8
    assert sc(t, "lseek", fd, 0, SEEK_SET) == 0
    x, y = t.mm.alloc(2), t.mm.alloc(100)
    iov2 = t.mm.buf(struct.pack("<QQQQ", x, 2, y, 100))
    assert sc(t, "readv", fd, iov2, 2) == 8
    assert t.mm.read(x, 2) == b"ab" and t.mm.read(y, 6) == b"cdefgh"
    assert sc(t, "readv", fd, iov2, 0) == 0
    assert sc(t, "readv", fd, iov2, 1025) == -E.EINVAL
    assert sc(t, "readv", fd, iov2, NEG) == -E.EINVAL
    assert sc(t, "readv", fd, 8, 1) == -E.EFAULT
    assert sc(t, "readv", fd, t.mm.buf(struct.pack("<QQ", x, NEG)), 1) == -E.EINVAL
    # a bad second buffer: the first part is read, the count says how much
    bad = t.mm.buf(struct.pack("<QQQQ", x, 2, 8, 4))
    assert sc(t, "preadv", fd, bad, 2, 0, 0) == 2
    assert sc(t, "pwritev", fd, bad, 2, 0, 0) == 2
    assert sc(t, "preadv", fd, iov2, 2, 2, 0) == 6 and t.mm.read(x, 2) == b"cd"
    assert sc(t, "preadv", fd, iov2, 2, u(-1), 0) == -E.EINVAL


def test_dev_files_through_syscalls(t: FakeTask) -> None:
    null = open_(t, "/dev/null", O_RDWR)
    assert sc(t, "write", null, 0, 100) == 100  # the data is never looked at
    assert sc(t, "read", null, t.mm.alloc(8), 8) == 0
    full = open_(t, "/dev/full", O_WRONLY)
    assert sc(t, "write", full, t.mm.buf(b"x"), 1) == -E.ENOSPC
    zero = open_(t, "/dev/zero", O_RDONLY)
    buf = t.mm.buf(b"\xff" * 64)
    assert sc(t, "read", zero, buf, 64) == 64 and t.mm.read(buf, 64) == bytes(64)
    assert sc(t, "read", zero, buf, 3 << 20) == -E.EFAULT  # the fake memory is 1 MiB
    ur = open_(t, "/dev/urandom", O_RDONLY)
    assert sc(t, "read", ur, buf, 32) == 32
    assert sc(t, "ioctl", null, 0x5401, buf) == -E.ENOTTY  # TCGETS: not a terminal


def test_ioctl_generic_requests(t: FakeTask) -> None:
    write_file(t, "/tmp/i", b"12345")
    fd = open_(t, "/tmp/i", O_RDONLY)
    buf = t.mm.alloc(8)
    assert sc(t, "ioctl", fd, 0x541B, buf) == 0 and t.mm.read_u32(buf) == 5  # FIONREAD
    assert sc(t, "ioctl", fd, 0x5451, 0) == 0 and sc(t, "fcntl", fd, F_GETFD, 0) == FD_CLOEXEC
    assert sc(t, "ioctl", fd, 0x5450, 0) == 0 and sc(t, "fcntl", fd, F_GETFD, 0) == 0
    t.mm.write_u32(buf, 1)
    assert sc(t, "ioctl", fd, 0x5421, buf) == 0  # FIONBIO
    assert sc(t, "fcntl", fd, F_GETFL, 0) & O_NONBLOCK
    assert sc(t, "ioctl", 99, 0x5401, buf) == -E.EBADF


# -- open and the fd table ---------------------------------------------------------------------------------
def test_open_errno_order(t: FakeTask) -> None:
    m = t.mm
    assert sc(t, "openat", 99, 0, O_RDONLY, 0) == -E.EFAULT  # the name before the fd
    assert sc(t, "openat", 99, m.cstr(""), O_RDONLY, 0) == -E.ENOENT
    assert sc(t, "openat", 99, m.cstr("rel"), O_RDONLY, 0) == -E.EBADF
    assert sc(t, "openat", 99, m.cstr("/tmp"), O_RDONLY, 0) >= 0  # absolute: the dirfd is unused
    ffd = open_(t, "/dev/null", O_RDONLY)
    assert sc(t, "openat", ffd, m.cstr("x"), O_RDONLY, 0) == -E.ENOTDIR
    assert sc(t, "open", m.cstr("/tmp/" + "n" * 256), O_RDONLY, 0) == -E.ENAMETOOLONG
    assert sc(t, "open", m.cstr("/" + "a/" * 2047 + "b"), O_RDONLY, 0) == -E.ENAMETOOLONG  # 4096 bytes
    assert sc(t, "open", m.cstr("/" + "./" * 2045 + "/tmp"), O_RDONLY, 0) >= 0  # 4095 bytes
    assert sc(t, "open", m.cstr("/tmp"), O_RDONLY | O_CREAT | O_DIRECTORY, 0) == -E.EINVAL
    assert sc(t, "open", 0, O_RDONLY | O_CREAT | O_DIRECTORY, 0) == -E.EINVAL  # flags before the name
    assert sc(t, "creat", m.cstr("/tmp/c"), 0o666) >= 0
    assert sc(t, "open", m.cstr("/tmp/c"), O_CREAT | O_EXCL | O_WRONLY, 0o600) == -E.EEXIST
    assert sc(t, "open", m.cstr("/tmp"), O_RDWR, 0) == -E.EISDIR


def test_creat_applies_umask_and_cloexec(t: FakeTask) -> None:
    assert sc(t, "umask", 0o027) == 0o022
    fd = sc(t, "open", t.mm.cstr("/tmp/m"), O_CREAT | O_WRONLY | O_CLOEXEC, 0o777)
    assert sc(t, "fcntl", fd, F_GETFD, 0) == FD_CLOEXEC
    buf = t.mm.alloc(144)
    assert sc(t, "fstat", fd, buf) == 0
    assert STAT.unpack(t.mm.read(buf, 144))[3] & 0o777 == 0o750


def test_emfile_before_lookup(t: FakeTask) -> None:
    t.tg.rlimits[RLIMIT_NOFILE][0] = 8
    while sc(t, "open", t.mm.cstr("/dev/null"), O_RDONLY, 0) >= 0:
        pass
    assert len(t.files) == 8
    assert sc(t, "open", t.mm.cstr("/nonexistent"), O_RDONLY, 0) == -E.EMFILE
    assert sc(t, "dup", 0) == -E.EMFILE


def test_dup_family_and_fcntl(t: FakeTask) -> None:
    fd = open_(t, "/tmp/d", O_CREAT | O_RDWR, 0o600)
    assert sc(t, "dup", fd) == fd + 1
    assert sc(t, "dup2", fd, 10) == 10
    assert sc(t, "dup2", fd, fd) == fd
    assert sc(t, "dup2", 50, 50) == -E.EBADF
    assert sc(t, "dup3", fd, fd, 0) == -E.EINVAL
    assert sc(t, "dup3", fd, 11, O_RDONLY | 1) == -E.EINVAL
    assert sc(t, "dup3", fd, 11, O_CLOEXEC) == 11 and sc(t, "fcntl", 11, F_GETFD, 0) == FD_CLOEXEC
    assert sc(t, "dup2", fd, 1 << 20) == -E.EBADF
    assert sc(t, "fcntl", fd, F_DUPFD, 20) == 20
    assert sc(t, "fcntl", fd, F_DUPFD_CLOEXEC, 20) == 21 and sc(t, "fcntl", 21, F_GETFD, 0) == FD_CLOEXEC
    assert sc(t, "fcntl", fd, F_DUPFD, 1024) == -E.EINVAL
    assert sc(t, "fcntl", fd, F_SETFD, FD_CLOEXEC) == 0 and sc(t, "fcntl", fd, F_GETFD, 0) == 1
    # shared file description: offset moves for both
    write_fd = sc(t, "dup", fd)
    assert sc(t, "write", write_fd, t.mm.buf(b"xyz"), 3) == 3
    assert sc(t, "lseek", fd, 0, SEEK_CUR) == 3
    # F_SETFL changes only the settable status flags
    assert sc(t, "fcntl", fd, F_SETFL, O_APPEND | O_NONBLOCK | O_RDONLY | O_TRUNC) == 0
    assert sc(t, "fcntl", fd, F_GETFL, 0) == O_RDWR | O_APPEND | O_NONBLOCK | O_LARGEFILE
    assert sc(t, "fcntl", fd, F_GETLK, 0) == -E.EFAULT  # the struct flock is read first
    assert sc(t, "fcntl", fd, 999, 0) == -E.EINVAL  # an unknown command
    assert sc(t, "fcntl", 99, F_GETFD, 0) == -E.EBADF
    assert sc(t, "close", fd) == 0 and sc(t, "close", fd) == -E.EBADF


def test_o_path_descriptors(t: FakeTask) -> None:
    assert sc(t, "symlink", t.mm.cstr("/tmp"), t.mm.cstr("/tmp/l")) == 0
    p = open_(t, "/tmp/l", O_PATH | O_NOFOLLOW)
    assert sc(t, "fcntl", p, F_GETFL, 0) == O_PATH | O_NOFOLLOW
    assert sc(t, "fcntl", p, F_SETFL, 0) == -E.EBADF
    assert sc(t, "read", p, t.mm.alloc(1), 1) == -E.EBADF
    buf = t.mm.alloc(144)
    assert sc(t, "fstat", p, buf) == 0 and STAT.unpack(t.mm.read(buf, 144))[3] & 0o170000 == 0o120000
    out = t.mm.alloc(64)
    assert sc(t, "readlinkat", p, t.mm.cstr(""), out, 64) == 4 and t.mm.read(out, 4) == b"/tmp"
    d = open_(t, "/tmp", O_PATH)
    assert sc(t, "readlinkat", d, t.mm.cstr(""), out, 64) == -E.ENOENT
    assert sc(t, "fchdir", d) == 0
    assert t.fs.getcwd() == b"/tmp"


# -- stat family -------------------------------------------------------------------------------------------
def test_stat_family(t: FakeTask) -> None:
    write_file(t, "/tmp/s", b"abc")
    assert sc(t, "symlink", t.mm.cstr("s"), t.mm.cstr("/tmp/sl")) == 0
    buf = t.mm.alloc(144)
    assert sc(t, "lstat", t.mm.cstr("/tmp/sl"), buf) == 0
    lst = STAT.unpack(t.mm.read(buf, 144))
    assert lst[3] & 0o170000 == 0o120000 and lst[8] == 1
    assert sc(t, "stat", t.mm.cstr("/tmp/sl"), buf) == 0 and STAT.unpack(t.mm.read(buf, 144))[8] == 3
    dfd = open_(t, "/tmp", O_RDONLY | O_DIRECTORY)
    assert sc(t, "newfstatat", dfd, t.mm.cstr("sl"), buf, AT_SYMLINK_NOFOLLOW) == 0
    assert STAT.unpack(t.mm.read(buf, 144))[1] == lst[1]
    fd = open_(t, "/tmp/s", O_RDONLY)
    assert sc(t, "newfstatat", fd, t.mm.cstr(""), buf, AT_EMPTY_PATH) == 0
    assert STAT.unpack(t.mm.read(buf, 144))[8] == 3
    assert sc(t, "newfstatat", fd, 0, buf, AT_EMPTY_PATH) == 0  # NULL path with AT_EMPTY_PATH (6.11+)
    assert sc(t, "newfstatat", fd, t.mm.cstr(""), buf, 0) == -E.ENOENT
    assert sc(t, "newfstatat", u(AT_FDCWD), t.mm.cstr(""), buf, AT_EMPTY_PATH) == 0  # the cwd
    assert sc(t, "newfstatat", u(AT_FDCWD), t.mm.cstr("/tmp"), buf, 0x4) == -E.EINVAL
    assert sc(t, "newfstatat", u(AT_FDCWD), 0, buf, 0x4) == -E.EFAULT  # the name first
    assert sc(t, "fstat", 99, 0) == -E.EBADF  # EBADF before EFAULT
    assert sc(t, "fstat", fd, 0) == -E.EFAULT
    assert sc(t, "stat", t.mm.cstr("/tmp/nope"), 0) == -E.ENOENT


def test_access_family(t: FakeTask) -> None:
    write_file(t, "/tmp/a", b"", mode=0o600)
    t.creds = Creds(uid=1000, gid=1000, fsuid=0, euid=0)
    assert sc(t, "access", t.mm.cstr("/tmp/a"), R_OK) == -E.EACCES  # the real uid
    assert sc(t, "faccessat2", u(AT_FDCWD), t.mm.cstr("/tmp/a"), R_OK, AT_EACCESS) == 0
    assert sc(t, "faccessat", u(AT_FDCWD), t.mm.cstr("/tmp/a"), 0) == 0  # F_OK
    assert sc(t, "faccessat2", u(AT_FDCWD), 0, 8, 0) == -E.EINVAL  # mode checked before the name
    assert sc(t, "faccessat2", u(AT_FDCWD), t.mm.cstr("/tmp/a"), W_OK, 0x1) == -E.EINVAL


# -- cwd -------------------------------------------------------------------------------------------------
def test_getcwd_chdir(t: FakeTask) -> None:
    buf = t.mm.alloc(64)
    assert sc(t, "getcwd", buf, 64) == 2 and t.mm.read(buf, 2) == b"/\0"
    assert sc(t, "mkdir", t.mm.cstr("/tmp/work"), 0o755) == 0
    assert sc(t, "chdir", t.mm.cstr("/tmp/work")) == 0
    assert sc(t, "getcwd", buf, 64) == 10 and t.mm.read(buf, 10) == b"/tmp/work\0"
    assert sc(t, "getcwd", buf, 9) == -E.ERANGE
    assert sc(t, "getcwd", buf, 0) == -E.ERANGE
    assert sc(t, "chdir", t.mm.cstr("/dev/null")) == -E.ENOTDIR
    assert sc(t, "chdir", t.mm.cstr("")) == -E.ENOENT
    nfd = open_(t, "/dev/null", O_RDONLY)
    assert sc(t, "fchdir", nfd) == -E.ENOTDIR
    assert sc(t, "fchdir", 99) == -E.EBADF
    assert sc(t, "rmdir", t.mm.cstr("/tmp/work")) == 0
    assert sc(t, "getcwd", buf, 64) == -E.ENOENT


# -- namespace syscalls ----------------------------------------------------------------------------------
def test_unlinkat_rmdir_rename(t: FakeTask) -> None:
    m = t.mm
    assert sc(t, "mkdirat", u(AT_FDCWD), m.cstr("/tmp/d"), 0o755) == 0
    assert sc(t, "mkdir", m.cstr("/tmp/d"), 0o755) == -E.EEXIST
    write_file(t, "/tmp/d/f", b"x")
    assert sc(t, "unlinkat", u(AT_FDCWD), m.cstr("/tmp/d"), 0) == -E.EISDIR
    assert sc(t, "unlinkat", u(AT_FDCWD), m.cstr("/tmp/d"), AT_REMOVEDIR) == -E.ENOTEMPTY
    assert sc(t, "unlinkat", u(AT_FDCWD), m.cstr("/tmp/d"), 0x1) == -E.EINVAL
    assert sc(t, "rename", m.cstr("/tmp/d/f"), m.cstr("/tmp/g")) == 0
    assert sc(t, "renameat2", u(AT_FDCWD), 0, u(AT_FDCWD), 0, 0x10) == -E.EINVAL  # flags before names
    assert sc(t, "renameat2", u(AT_FDCWD), 0, u(AT_FDCWD), m.cstr("/x"), 0) == -E.EFAULT
    write_file(t, "/tmp/h", b"h")
    assert sc(t, "renameat2", u(AT_FDCWD), m.cstr("/tmp/g"), u(AT_FDCWD), m.cstr("/tmp/h"), RENAME_EXCHANGE) == 0
    fd = open_(t, "/tmp/g", O_RDONLY)
    assert read_fd(t, fd) == b"h"
    dfd = open_(t, "/tmp/d", O_RDONLY | O_DIRECTORY)
    assert sc(t, "renameat", u(AT_FDCWD), m.cstr("/tmp/h"), dfd, m.cstr("moved")) == 0
    assert sc(t, "unlinkat", dfd, m.cstr("moved"), 0) == 0
    assert sc(t, "unlinkat", u(AT_FDCWD), m.cstr("/tmp/d"), AT_REMOVEDIR) == 0
    assert sc(t, "unlink", m.cstr("/tmp/none")) == -E.ENOENT


def test_links(t: FakeTask) -> None:
    m = t.mm
    write_file(t, "/tmp/f", b"data")
    assert sc(t, "link", m.cstr("/tmp/f"), m.cstr("/tmp/f2")) == 0
    assert sc(t, "link", m.cstr("/tmp/f"), m.cstr("/tmp/f2")) == -E.EEXIST
    assert sc(t, "linkat", u(AT_FDCWD), m.cstr("/tmp/f"), u(AT_FDCWD), m.cstr("/tmp/f3"), 0x2) == -E.EINVAL
    assert sc(t, "symlinkat", m.cstr("f"), u(AT_FDCWD), m.cstr("/tmp/s")) == 0
    assert sc(t, "symlink", m.cstr(""), m.cstr("/tmp/s2")) == -E.ENOENT
    out = m.alloc(16)
    assert sc(t, "readlink", m.cstr("/tmp/s"), out, 16) == 1 and m.read(out, 1) == b"f"
    assert sc(t, "readlink", m.cstr("/tmp/s"), out, 0) == -E.EINVAL
    assert sc(t, "readlink", 0, out, 0) == -E.EINVAL  # bufsiz before the name
    assert sc(t, "readlink", m.cstr("/tmp/f"), out, 16) == -E.EINVAL
    assert sc(t, "symlink", m.cstr("a-long-target"), m.cstr("/tmp/s3")) == 0
    assert sc(t, "readlink", m.cstr("/tmp/s3"), out, 4) == 4 and m.read(out, 4) == b"a-lo"


def test_truncate_family(t: FakeTask) -> None:
    write_file(t, "/tmp/t", b"0123456789")
    assert sc(t, "truncate", m := t.mm.cstr("/tmp/t"), 4) == 0
    assert sc(t, "truncate", m, u(-1)) == -E.EINVAL
    assert sc(t, "truncate", t.mm.cstr("/tmp"), 0) == -E.EISDIR
    assert sc(t, "truncate", t.mm.cstr("/dev/null"), 0) == -E.EINVAL
    assert sc(t, "ftruncate", 99, u(-1)) == -E.EINVAL  # the length before the fd
    assert sc(t, "ftruncate", 99, 0) == -E.EBADF
    ro = open_(t, "/tmp/t", O_RDONLY)
    assert sc(t, "ftruncate", ro, 0) == -E.EINVAL
    rw = open_(t, "/tmp/t", O_RDWR)
    assert sc(t, "ftruncate", rw, 8) == 0
    assert read_fd(t, ro) == b"0123\0\0\0\0"
    assert sc(t, "fsync", rw) == 0 and sc(t, "fdatasync", rw) == 0
    null = open_(t, "/dev/null", O_WRONLY)
    assert sc(t, "fsync", null) == -E.EINVAL


def test_chmod_chown_family(t: FakeTask) -> None:
    m = t.mm
    write_file(t, "/tmp/c", b"")
    assert sc(t, "chmod", m.cstr("/tmp/c"), 0o4711) == 0
    buf = m.alloc(144)
    assert sc(t, "stat", m.cstr("/tmp/c"), buf) == 0 and STAT.unpack(m.read(buf, 144))[3] & 0o7777 == 0o4711
    assert sc(t, "chown", m.cstr("/tmp/c"), 7, NEG) == 0
    st = STAT.unpack(m.read(buf, 144)) if sc(t, "stat", m.cstr("/tmp/c"), buf) == 0 else None
    assert st is not None and st[4] == 7 and st[5] == 0 and st[3] & 0o7777 == 0o711  # setuid cleared
    assert sc(t, "symlink", m.cstr("c"), m.cstr("/tmp/cl")) == 0
    assert sc(t, "fchmodat2", u(AT_FDCWD), m.cstr("/tmp/cl"), 0o700, AT_SYMLINK_NOFOLLOW) == -E.EOPNOTSUPP
    assert sc(t, "fchmodat2", u(AT_FDCWD), m.cstr("/tmp/cl"), 0o700, 0x2) == -E.EINVAL
    assert sc(t, "lchown", m.cstr("/tmp/cl"), 9, 9) == 0
    assert sc(t, "lstat", m.cstr("/tmp/cl"), buf) == 0 and STAT.unpack(m.read(buf, 144))[4] == 9
    fd = open_(t, "/tmp/c", O_RDONLY)
    assert sc(t, "fchmod", fd, 0o600) == 0
    assert sc(t, "fchown", fd, 1, 1) == 0
    t.creds = Creds(uid=5, euid=5, fsuid=5, gid=5, egid=5, fsgid=5)
    assert sc(t, "fchmod", fd, 0o644) == -E.EPERM
    assert sc(t, "fchownat", u(AT_FDCWD), m.cstr("/tmp/c"), 5, NEG, 0) == -E.EPERM
    pfd = open_(t, "/tmp/c", O_PATH)
    assert sc(t, "fchmod", pfd, 0o600) == -E.EBADF


# -- host stdio ------------------------------------------------------------------------------------------
def test_host_stdio_pipe() -> None:
    r, w = os.pipe()
    r2, w2 = os.pipe()
    try:
        t = make_task(Vfs(stdio=(r2, w, w)))
        os.close(r2)  # the guest has its own dup
        assert sc(t, "write", 1, t.mm.buf(b"out\n"), 4) == 4
        assert os.read(r, 100) == b"out\n"
        iov = t.mm.buf(struct.pack("<QQQQ", t.mm.buf(b"a"), 1, t.mm.buf(b"bc"), 2))
        assert sc(t, "writev", 2, iov, 2) == 3
        assert os.read(r, 100) == b"abc"
        buf = t.mm.alloc(144)
        assert sc(t, "fstat", 1, buf) == 0 and STAT.unpack(t.mm.read(buf, 144))[3] & 0o170000 == 0o010000
        assert sc(t, "lseek", 1, 0, SEEK_SET) == -E.ESPIPE
        assert sc(t, "pwrite64", 1, buf, 1, 0) == -E.ESPIPE
        assert sc(t, "ioctl", 1, 0x5401, buf) == -E.ENOTTY
        # stdin: a non-blocking read of an empty pipe says EAGAIN
        assert sc(t, "fcntl", 0, F_SETFL, O_NONBLOCK) == 0
        assert sc(t, "read", 0, buf, 10) == -E.EAGAIN
        os.write(w2, b"in")
        assert sc(t, "read", 0, buf, 10) == 2 and t.mm.read(buf, 2) == b"in"
        assert sc(t, "close", 1) == 0
        os.write(w, b"host still writes")  # the guest closed its dup, not ours
        assert os.read(r, 100) == b"host still writes"
        t.files.close_all()
    finally:
        for fd in (r, w, w2):
            os.close(fd)


def test_host_stdio_tty_ioctls() -> None:
    master, slave = os.openpty()
    try:
        t = make_task(Vfs(stdio=(slave, slave, slave)))
        buf = t.mm.alloc(64)
        assert sc(t, "ioctl", 0, 0x5401, buf) == 0  # TCGETS
        termios = t.mm.read(buf, 36)
        assert sc(t, "ioctl", 1, 0x5402, buf) == 0  # TCSETS with what we read
        assert sc(t, "ioctl", 1, 0x5401, buf + 36) == 0 and t.mm.read(buf + 36, 12) == termios[:12]
        t.mm.write(buf, struct.pack("<HHHH", 24, 80, 0, 0))
        assert sc(t, "ioctl", 1, 0x5414, buf) == 0  # TIOCSWINSZ
        assert sc(t, "ioctl", 2, 0x5413, buf + 8) == 0 and t.mm.read(buf + 8, 4) == struct.pack("<HH", 24, 80)
        assert sc(t, "ioctl", 0, 0x5401, 8) == -E.EFAULT
        assert sc(t, "ioctl", 0, 0x1234, buf) == -E.ENOTTY
        t.files.close_all()
    finally:
        os.close(master)
        os.close(slave)


def test_handlers_registered_with_arg_kinds() -> None:
    for name, kinds in {
        "read": ("fd", "buf_out", "u"), "openat": ("atfd", "path", "oflags", "mode"),
        "newfstatat": ("atfd", "path", "struct_out", "atflags"), "writev": ("fd", "iov_in", "d"),
    }.items():  # fmt: skip
        entry = TABLE[NUMBERS[name]]
        assert entry is not None and entry.args == kinds
    assert TABLE[NUMBERS["openat"]].ret == "fd"


def test_nonexistent_dirfd_with_empty_path(t: FakeTask) -> None:
    assert sc(t, "newfstatat", 99, t.mm.cstr(""), t.mm.alloc(144), AT_EMPTY_PATH) == -E.EBADF
    assert sc(t, "open", t.mm.cstr("/tmp/x"), O_RDONLY | O_CREAT | O_EXCL, 0o600) >= 0
    assert sc(t, "openat", u(AT_FDCWD), t.mm.cstr("/tmp/x"), O_RDONLY | O_NOFOLLOW, 0) >= 0
    assert sc(t, "lseek", sc(t, "open", t.mm.cstr("/tmp/x"), O_RDONLY, 0), 0, SEEK_END) == 0


def test_close_range(t: FakeTask) -> None:
    fds = [open_(t, "/dev/null", O_RDONLY) for _ in range(6)]
    assert sc(t, "close_range", fds[1], fds[2], 0) == 0
    assert sc(t, "fcntl", fds[1], F_GETFD, 0) == -E.EBADF and sc(t, "fcntl", fds[3], F_GETFD, 0) == 0
    assert sc(t, "close_range", fds[3], 0xFFFFFFFF, 1 << 2) == 0  # CLOSE_RANGE_CLOEXEC
    assert sc(t, "fcntl", fds[5], F_GETFD, 0) == FD_CLOEXEC and sc(t, "fcntl", fds[0], F_GETFD, 0) == 0
    assert sc(t, "close_range", 5, 4, 0) == -E.EINVAL
    assert sc(t, "close_range", 0, 4, 1) == -E.EINVAL
    shared = t.files
    shared.users = 2
    assert sc(t, "close_range", 0, 0xFFFFFFFF, 1 << 1) == 0  # CLOSE_RANGE_UNSHARE
    assert t.files is not shared and len(t.files) == 0 and len(shared) == 4 and shared.users == 1


def test_o_tmpfile_through_syscalls(t: FakeTask) -> None:
    fd = sc(t, "open", t.mm.cstr("/tmp"), 0o20200000 | O_RDWR, 0o600)  # O_TMPFILE
    assert fd >= 0
    assert sc(t, "write", fd, t.mm.buf(b"tmp"), 3) == 3
    assert sc(t, "linkat", fd, t.mm.cstr(""), u(AT_FDCWD), t.mm.cstr("/tmp/named"), AT_EMPTY_PATH) == 0
    nfd = open_(t, "/tmp/named", O_RDONLY)
    assert read_fd(t, nfd) == b"tmp"
    assert sc(t, "open", t.mm.cstr("/tmp"), 0o20200000 | O_RDONLY, 0o600) == -E.EINVAL


def test_copy_out_faults(t: FakeTask) -> None:
    assert sc(t, "getcwd", 8, 64) == -E.EFAULT
    assert sc(t, "stat", t.mm.cstr("/tmp"), 8) == -E.EFAULT
    assert sc(t, "statx", u(AT_FDCWD), t.mm.cstr("/tmp"), 0, 0, 8) == -E.EFAULT
    assert sc(t, "symlink", t.mm.cstr("x"), t.mm.cstr("/tmp/l")) == 0
    assert sc(t, "readlink", t.mm.cstr("/tmp/l"), 8, 10) == -E.EFAULT
    assert sc(t, "chdir", 8) == -E.EFAULT
    assert sc(t, "mkdir", 8, 0o755) == -E.EFAULT
    assert sc(t, "unlink", 8) == -E.EFAULT


def test_mount_tmpfs_and_exec_through_dirfd(t: FakeTask, tmp_path) -> None:
    vfs = t.kernel.vfs
    vfs.mount_tmpfs("/scratch", 0o755)
    write_file(t, "/scratch/tool", b"#!/bin/sh\n", mode=0o755)
    dfd = open_(t, "/scratch", O_RDONLY | O_DIRECTORY)
    f, data = vfs.open_exec(t.fs, b"tool", t.creds, dirfd_file=t.files.get(dfd))
    assert data == b"#!/bin/sh\n"
    f.put()
    assert sc(t, "symlink", t.mm.cstr("tool"), t.mm.cstr("/scratch/ln")) == 0
    with pytest.raises(Errno) as ei:
        vfs.open_exec(t.fs, b"/scratch/ln", t.creds, nofollow=True)
    assert ei.value.errno == E.ELOOP
    fd = open_(t, "/scratch/tool", O_RDONLY)
    f, data = vfs.open_exec_file(t.files.get(fd), t.creds)
    assert data == b"#!/bin/sh\n"
    f.put()
    assert sc(t, "rename", t.mm.cstr("/scratch/tool"), t.mm.cstr("/tmp/tool")) == -E.EXDEV


def test_mmap_checks(t: FakeTask) -> None:
    write_file(t, "/tmp/m", b"mapped bytes")
    ro = t.files.get(open_(t, "/tmp/m", O_RDONLY))
    ro.check_mmap(1, 2)  # PROT_READ, MAP_PRIVATE
    ro.check_mmap(3, 2)  # a private writable mapping of a read-only file is fine
    with pytest.raises(Errno) as ei:
        ro.check_mmap(3, 1)  # MAP_SHARED + PROT_WRITE needs a writable file
    assert ei.value.errno == E.EACCES
    assert ro.read_for_mmap(7, 4096) == b"bytes"
    wo = t.files.get(open_(t, "/tmp/m", O_WRONLY))
    with pytest.raises(Errno) as ei:
        wo.check_mmap(1, 2)
    assert ei.value.errno == E.EACCES
    with pytest.raises(Errno) as ei:
        t.files.get(open_(t, "/dev/null", O_RDWR)).check_mmap(1, 2)
    assert ei.value.errno == E.ENODEV
    t.files.get(open_(t, "/dev/zero", O_RDWR)).check_mmap(3, 1)
    with pytest.raises(Errno) as ei:
        t.files.get(open_(t, "/tmp", O_PATH)).check_mmap(1, 2)
    assert ei.value.errno == E.EBADF
