"""The --trace output, compared line by line with what strace 6.x prints for the same calls.

The expected strings come from running `strace -f` on small C programs doing the same calls on Linux
x86-64 (addresses adjusted to the fake address space used here).
"""

from __future__ import annotations

import io
import struct

import pytest

from emukernel.abi import errno as E
from emukernel.errors import Fault
from emukernel.syscalls.table import Syscall
from emukernel.trace import Tracer, format_call, format_exit, format_signal, quote_string

# --------------------------------------------------------------------------------------------------
# a fake task with a small sparse address space


class FakeMM:
    """Byte-addressed regions; any access outside them raises Fault like the real mm."""

    def __init__(self) -> None:
        self.regions: list[tuple[int, bytearray]] = []

    def map(self, base: int, size: int) -> None:
        self.regions.append((base, bytearray(size)))

    def _region(self, addr: int, n: int) -> tuple[int, bytearray]:
        for base, data in self.regions:
            if base <= addr and addr + n <= base + len(data):
                return base, data
        raise Fault(addr)

    def write(self, addr: int, data: bytes) -> None:
        base, mem = self._region(addr, len(data))
        mem[addr - base:addr - base + len(data)] = data

    def read(self, addr: int, n: int) -> bytes:
        base, mem = self._region(addr, n)
        return bytes(mem[addr - base:addr - base + n])

    def read_cstring(self, addr: int, limit: int) -> bytes:
        out = bytearray()
        while len(out) < limit:
            c = self.read(addr + len(out), 1)[0]
            if c == 0:
                break
            out.append(c)
        return bytes(out)


class FakeTask:
    def __init__(self, tid: int = 100) -> None:
        self.tid = tid
        self.mm = FakeMM()
        self.mm.map(0x10000, 0x10000)
        self._next = 0x10000

    def put(self, data: bytes, align: int = 8) -> int:
        """Copy data into guest memory and return its address."""
        addr = self._next
        self.mm.write(addr, data)
        self._next = (addr + len(data) + align - 1) // align * align
        return addr

    def alloc(self, n: int) -> int:
        return self.put(bytes(n))

    def cstr(self, s: str | bytes) -> int:
        return self.put((s.encode() if isinstance(s, str) else s) + b"\0")

    def iov(self, *bufs: tuple[int, int]) -> int:
        return self.put(b"".join(struct.pack("<QQ", b, n) for b, n in bufs))


BAD = 0x10  # never mapped


def sc(name: str, *kinds: str, ret: str = "d", nr: int = 500) -> Syscall:
    return Syscall(nr, name, lambda *a: 0, tuple(kinds), ret)


def call(task: FakeTask, s: Syscall, args: tuple[int, ...], ret: int) -> str:
    return format_call(task, s, args, ret)


def neg(e: int) -> int:
    return -e


@pytest.fixture
def t() -> FakeTask:
    return FakeTask()


# --------------------------------------------------------------------------------------------------
# strings


def test_quote_escapes_and_octal() -> None:
    assert quote_string(b"hello, world\n") == '"hello, world\\n"'
    assert quote_string(b'\t"\\\f\r\v') == '"\\t\\"\\\\\\f\\r\\v"'
    # shortest octal unless an octal digit follows (strace: "\18\0017\0x\377\177")
    assert quote_string(b"\x018\x017\x00x\xff\x7f") == '"\\18\\0017\\0x\\377\\177"'


def test_buf_in_truncates_at_32(t: FakeTask) -> None:
    write = sc("write", "fd", "buf_in", "u")
    long = t.put(b"123456789012345678901234567890123")
    assert call(t, write, (1, long, 33), 33) == 'write(1, "12345678901234567890123456789012"..., 33) = 33'
    assert call(t, write, (1, long, 32), 32) == 'write(1, "12345678901234567890123456789012", 32) = 32'
    assert call(t, write, (1, long, 0), 0) == 'write(1, "", 0) = 0'
    assert call(t, write, (1, 0, 5), neg(E.EFAULT)) == "write(1, NULL, 5) = -1 EFAULT (Bad address)"
    assert call(t, write, (1, BAD, 5), neg(E.EFAULT)) == "write(1, 0x10, 5) = -1 EFAULT (Bad address)"
    hello = t.put(b"hello, world\n")
    assert call(t, write, (1, hello, 13), 13) == 'write(1, "hello, world\\n", 13) = 13'
    # written data is shown even when the call fails
    assert call(t, write, (99, hello, 13), neg(E.EBADF)) == \
        'write(99, "hello, world\\n", 13) = -1 EBADF (Bad file descriptor)'


def test_buf_in_needs_the_33rd_byte(t: FakeTask) -> None:
    # strace fetches 33 bytes of a longer buffer; if they are not all readable it prints the address
    addr = 0x20000 - 32
    t.mm.write(addr, b"x" * 32)
    assert call(t, sc("write", "fd", "buf_in", "u"), (1, addr, 100), 100) == "write(1, 0x1ffe0, 100) = 100"


def test_buf_out_uses_the_return_value(t: FakeTask) -> None:
    read = sc("read", "fd", "buf_out", "u")
    buf = t.put(b"abc" + bytes(100))
    assert call(t, read, (3, buf, 4096), 3) == 'read(3, "abc", 4096) = 3'
    assert call(t, read, (3, buf, 10), 0) == 'read(3, "", 10) = 0'
    assert call(t, read, (99, buf, 10), neg(E.EBADF)) == \
        f"read(99, {buf:#x}, 10) = -1 EBADF (Bad file descriptor)"
    assert call(t, read, (99, 0, 2**64 - 1), neg(E.EBADF)) == \
        "read(99, NULL, 18446744073709551615) = -1 EBADF (Bad file descriptor)"
    assert call(t, read, (3, BAD, 10), 5) == "read(3, 0x10, 10) = 5"


def test_path(t: FakeTask) -> None:
    openat = sc("openat", "atfd", "path", "oflags", "mode", ret="fd")
    long = "/tmp/tr/a_very_long_path_name_that_exceeds_thirty_two_bytes_for_sure"
    assert call(t, openat, (2**64 - 100, t.cstr(long), 0, 0), neg(E.ENOENT)) == \
        f'openat(AT_FDCWD, "{long}", O_RDONLY) = -1 ENOENT (No such file or directory)'
    assert call(t, openat, (5, 0, 0, 0), neg(E.EFAULT)) == "openat(5, NULL, O_RDONLY) = -1 EFAULT (Bad address)"
    assert call(t, openat, (5, BAD, 0, 0), neg(E.EFAULT)) == "openat(5, 0x10, O_RDONLY) = -1 EFAULT (Bad address)"
    # dirfd is an int: the upper half of the register is ignored
    assert call(t, openat, (0xFFFFFF9C, t.cstr("/"), 0x100000000, 0), 5) == 'openat(AT_FDCWD, "/", O_RDONLY) = 5'
    huge = t.cstr("a" * 5000)
    assert call(t, sc("chdir", "path"), (huge,), 0) == 'chdir("' + "a" * 4095 + '"...) = 0'
    assert call(t, sc("chdir", "path"), (t.cstr("a" * 4095),), 0) == 'chdir("' + "a" * 4095 + '") = 0'


def test_path_running_into_unmapped_memory(t: FakeTask) -> None:
    addr = 0x20000 - 4
    t.mm.write(addr, b"/abc")  # no NUL before the end of the mapping
    assert call(t, sc("chdir", "path"), (addr,), 0) == "chdir(0x1fffc) = 0"


def test_open_flags_and_mode(t: FakeTask) -> None:
    openat = sc("openat", "atfd", "path", "oflags", "mode", ret="fd")
    x = t.cstr("/tmp/x")
    cwd = 2**64 - 100
    assert call(t, openat, (cwd, x, 0o1101, 0o644), 3) == \
        'openat(AT_FDCWD, "/tmp/x", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3'
    assert call(t, openat, (cwd, x, 0x40000000, 0o644), 3) == 'openat(AT_FDCWD, "/tmp/x", O_RDONLY|0x40000000) = 3'
    assert call(t, openat, (cwd, x, 0o2 | 0o200 | 0o400 | 0o2000 | 0o4000 | 0o4010000 | 0o400000 | 0o2000000 | 0o200000,
                            0), neg(E.ENOTDIR)) == \
        ('openat(AT_FDCWD, "/tmp/x", O_RDWR|O_EXCL|O_NOCTTY|O_APPEND|O_NONBLOCK|O_SYNC|O_NOFOLLOW|O_CLOEXEC|'
         'O_DIRECTORY) = -1 ENOTDIR (Not a directory)')
    assert call(t, openat, (cwd, x, 3 | 0o10000 | 0o20000 | 0o40000 | 0o1000000 | 0o10000000, 0), 3) == \
        'openat(AT_FDCWD, "/tmp/x", O_ACCMODE|O_DSYNC|O_DIRECT|O_NOATIME|O_PATH|FASYNC) = 3'
    assert call(t, openat, (cwd, x, 0o2 | 0o20200000, 0o600), 4) == 'openat(AT_FDCWD, "/tmp/x", O_RDWR|O_TMPFILE, 0600) = 4'
    assert call(t, openat, (cwd, x, 0o101, 0), 6) == 'openat(AT_FDCWD, "/tmp/x", O_WRONLY|O_CREAT, 000) = 6'
    assert call(t, openat, (cwd, x, 0o101, 0o4755 | 0xF0000), 7) == \
        'openat(AT_FDCWD, "/tmp/x", O_WRONLY|O_CREAT, 04755) = 7'
    assert call(t, sc("open", "path", "oflags", "mode"), (x, 0o101, 0x10000 | 0o644), 8) == \
        'open("/tmp/x", O_WRONLY|O_CREAT, 0644) = 8'
    assert call(t, sc("mkdir", "path", "mode"), (x, 0o755), 0) == 'mkdir("/tmp/x", 0755) = 0'
    assert call(t, sc("umask", "mode"), (0o22,), 0o22) == "umask(022) = 022"
    assert call(t, sc("umask", "mode"), (0,), 0o22) == "umask(000) = 022"


def test_scalars(t: FakeTask) -> None:
    s = sc("foo", "d", "u", "x", "p", "fd", "p")
    assert call(t, s, (2**64 - 5, 2**64 - 1, 0, 0, 0x1FFFFFFFF, 0x1234), 0) == \
        "foo(-5, 18446744073709551615, 0, NULL, -1, 0x1234) = 0"
    assert call(t, s, (5, 5, 0x20, 0x7F0000000000, 3, 1), 0) == "foo(5, 5, 0x20, 0x7f0000000000, 3, 0x1) = 0"
    assert call(t, sc("close", "fd"), (99,), neg(E.EBADF)) == "close(99) = -1 EBADF (Bad file descriptor)"
    assert call(t, sc("close", "fd"), (0xFFFFFFFF,), neg(E.EBADF)) == "close(-1) = -1 EBADF (Bad file descriptor)"
    lseek = sc("lseek", "fd", "d", "whence")
    assert call(t, lseek, (0xFFFFFFFF, 0xFFFFFFFF, 0), neg(E.EBADF)) == \
        "lseek(-1, 4294967295, SEEK_SET) = -1 EBADF (Bad file descriptor)"
    assert call(t, lseek, (14, 2**64 - 5, 2), 45) == "lseek(14, -5, SEEK_END) = 45"
    assert call(t, lseek, (14, 0, 3), 0) == "lseek(14, 0, SEEK_DATA) = 0"
    assert call(t, lseek, (3, 5, 7), neg(E.EINVAL)) == \
        "lseek(3, 5, 0x7 /* SEEK_??? */) = -1 EINVAL (Invalid argument)"
    assert call(t, sc("getpid"), (), 4204) == "getpid() = 4204"
    assert call(t, sc("mystery", "nosuchkind"), (255,), 0) == "mystery(0xff) = 0"


def test_return_forms(t: FakeTask) -> None:
    brk = sc("brk", "p", ret="x")
    assert call(t, brk, (0,), 0x4C8000) == "brk(NULL) = 0x4c8000"
    assert call(t, brk, (0x4C9000,), 0x4C9000) == "brk(0x4c9000) = 0x4c9000"
    assert call(t, sc("exit_group", "d"), (0,), 0) == "exit_group(0) = ?"
    assert call(t, sc("exit", "d"), (3,), 0) == "exit(3) = ?"
    assert call(t, sc("exit_group", "d"), (300,), None) == "exit_group(300) = ?"
    read = sc("read", "fd", "buf_out", "u")
    buf = t.alloc(16)
    assert call(t, read, (9, buf, 10), neg(E.ERESTARTSYS)) == \
        f"read(9, {buf:#x}, 10) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)"
    pause = sc("pause")
    assert call(t, pause, (), neg(E.ERESTARTNOHAND)) == "pause() = ? ERESTARTNOHAND (To be restarted if no handler)"
    assert call(t, pause, (), neg(E.ERESTARTNOINTR)) == "pause() = ? ERESTARTNOINTR (To be restarted)"
    assert call(t, pause, (), neg(E.ERESTART_RESTARTBLOCK)) == \
        "pause() = ? ERESTART_RESTARTBLOCK (Interrupted by signal)"
    assert call(t, pause, (), neg(E.EINTR)) == "pause() = -1 EINTR (Interrupted system call)"
    assert call(t, pause, (), -600) == "pause() = -1 600 (Unknown error 600)"
    assert call(t, pause, (), neg(E.ENOIOCTLCMD)) == "pause() = -1 ENOIOCTLCMD (Unknown error 515)"
    # a value below -4095 is not an error
    assert call(t, sc("lseek", "fd", "d", "whence"), (3, 0, 0), -5000) == "lseek(3, 0, SEEK_SET) = -5000"
    # registers as unsigned 64-bit values work too
    assert call(t, pause, (), 2**64 - E.EINTR) == "pause() = -1 EINTR (Interrupted system call)"
    assert call(t, read, (3, buf, 10), 2**64 - E.EFAULT) == f"read(3, {buf:#x}, 10) = -1 EFAULT (Bad address)"
    # an action object instead of a number (the call has not returned to the guest)
    assert call(t, read, (3, buf, 10), object()) == f"read(3, {buf:#x}, 10) = ?"
    mmap = sc("mmap", "p", "u", "prot", "mapflags", "fd", "x", ret="x")
    assert call(t, mmap, (0, 8192, 3, 0x22, 2**64 - 1, 0), neg(E.ENOMEM)) == \
        "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory)"


def test_mmap(t: FakeTask) -> None:
    mmap = sc("mmap", "p", "u", "prot", "mapflags", "fd", "x", ret="x")
    assert call(t, mmap, (0, 8192, 3, 0x22, 2**64 - 1, 0), 0x7F0000000000) == \
        "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000"
    every = 0x2 | 0x20 | 0x40 | 0x100 | 0x800 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | \
        0x40000 | 0x80000 | 0x100000 | 0x4000000
    assert call(t, mmap, (0, 4096, 1 | 2 | 4 | 8 | 0x01000000, every, 2**64 - 1, 0), neg(E.EINVAL)) == (
        "mmap(NULL, 4096, PROT_READ|PROT_WRITE|PROT_EXEC|PROT_SEM|PROT_GROWSDOWN, MAP_PRIVATE|MAP_ANONYMOUS|"
        "MAP_32BIT|MAP_NORESERVE|MAP_POPULATE|MAP_NONBLOCK|MAP_GROWSDOWN|MAP_DENYWRITE|MAP_EXECUTABLE|"
        "MAP_LOCKED|MAP_STACK|MAP_HUGETLB|MAP_SYNC|MAP_FIXED_NOREPLACE|1<<MAP_HUGE_SHIFT, -1, 0)"
        " = -1 EINVAL (Invalid argument)")
    assert call(t, mmap, (0, 4096, 1, 0, 2**64 - 1, 0), neg(E.EBADF)) == \
        "mmap(NULL, 4096, PROT_READ, MAP_FILE, -1, 0) = -1 EBADF (Bad file descriptor)"
    assert call(t, mmap, (0, 4096, 1, 0x603, 2**64 - 1, 0), neg(E.EBADF)) == \
        "mmap(NULL, 4096, PROT_READ, MAP_SHARED_VALIDATE|0x600, -1, 0) = -1 EBADF (Bad file descriptor)"
    assert call(t, mmap, (0, 4096, 1, 0x25, 2**64 - 1, 0), neg(E.EINVAL)) == \
        "mmap(NULL, 4096, PROT_READ, 0x5 /* MAP_??? */|MAP_ANONYMOUS, -1, 0) = -1 EINVAL (Invalid argument)"
    assert call(t, mmap, (0x10000, 4096, 1, 0x32, 0xFFFFFFFF, 0x1000), 0x10000) == \
        "mmap(0x10000, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x1000) = 0x10000"
    assert call(t, mmap, (0, 8192, 0, 0x80000011, 3, 4096), 0) == \
        "mmap(NULL, 8192, PROT_NONE, MAP_SHARED|MAP_FIXED|32<<MAP_HUGE_SHIFT, 3, 0x1000) = 0"
    mprotect = sc("mprotect", "p", "u", "prot")
    assert call(t, mprotect, (0x1000, 4096, 0x101), neg(E.EINVAL)) == \
        "mprotect(0x1000, 4096, PROT_READ|0x100) = -1 EINVAL (Invalid argument)"
    assert call(t, mprotect, (0x1000, 4096, 0x100), neg(E.EINVAL)) == \
        "mprotect(0x1000, 4096, 0x100 /* PROT_??? */) = -1 EINVAL (Invalid argument)"
    mremap = sc("mremap", "p", "u", "u", "x", "p", ret="x")
    assert call(t, mremap, (0x7FE53A9C5000, 8192, 16384, 1, 0), 0x7FE53A9C1000) == \
        "mremap(0x7fe53a9c5000, 8192, 16384, MREMAP_MAYMOVE) = 0x7fe53a9c1000"
    madvise = sc("madvise", "p", "u", "d")
    assert call(t, madvise, (0x7FE53A9C5000, 4096, 4), 0) == "madvise(0x7fe53a9c5000, 4096, MADV_DONTNEED) = 0"
    assert call(t, madvise, (0x7FE53A9C5000, 4096, 99), neg(E.EINVAL)) == \
        "madvise(0x7fe53a9c5000, 4096, 0x63 /* MADV_??? */) = -1 EINVAL (Invalid argument)"


def test_iovecs(t: FakeTask) -> None:
    writev = sc("writev", "fd", "iov_in", "u")
    readv = sc("readv", "fd", "iov_out", "u")
    iov = t.iov((t.put(b"ab"), 2), (t.put(b"cd\n"), 3))
    assert call(t, writev, (1, iov, 2), 5) == 'writev(1, [{iov_base="ab", iov_len=2}, {iov_base="cd\\n", iov_len=3}], 2) = 5'
    assert call(t, writev, (1, iov, 0), 0) == "writev(1, [], 0) = 0"
    assert call(t, writev, (1, 0, 0), 0) == "writev(1, NULL, 0) = 0"
    assert call(t, writev, (1, BAD, 2), neg(E.EFAULT)) == "writev(1, 0x10, 2) = -1 EFAULT (Bad address)"
    z = t.put(b"z")
    many = t.iov(*[(z, 1)] * 40)
    assert call(t, writev, (1, many, 40), 40) == \
        "writev(1, [" + '{iov_base="z", iov_len=1}, ' * 32 + "...], 40) = 40"
    big = t.iov((t.put(b"0123456789" * 4), 40))
    assert call(t, writev, (1, big, 1), 40) == 'writev(1, [{iov_base="01234567890123456789012345678901"..., iov_len=40}], 1) = 40'
    # the array runs into unmapped memory after its first element
    edge = 0x20000 - 16
    t.mm.write(edge, struct.pack("<QQ", z, 1))
    assert call(t, writev, (1, edge, 2), 1) == 'writev(1, [{iov_base="z", iov_len=1}, ... /* 0x20000 */], 2) = 1'

    b1, b2, b3 = t.put(b"abcdefgh"), t.put(b"cdefgh\0\0\0\0"), t.alloc(5)
    riov = t.iov((b1, 2), (b2, 10), (b3, 5))
    assert call(t, readv, (9, riov, 3), 8) == \
        'readv(9, [{iov_base="ab", iov_len=2}, {iov_base="cdefgh", iov_len=10}, {iov_base="", iov_len=5}], 3) = 8'
    assert call(t, readv, (99, riov, 3), neg(E.EBADF)) == (
        f"readv(99, [{{iov_base={b1:#x}, iov_len=2}}, {{iov_base={b2:#x}, iov_len=10}}, "
        f"{{iov_base={b3:#x}, iov_len=5}}], 3) = -1 EBADF (Bad file descriptor)")


def test_at_flags(t: FakeTask) -> None:
    p = t.cstr("/tmp/tr/nonexist")
    assert call(t, sc("unlinkat", "atfd", "path", "atflags"), (2**64 - 100, p, 0x200), neg(E.ENOENT)) == \
        'unlinkat(AT_FDCWD, "/tmp/tr/nonexist", AT_REMOVEDIR) = -1 ENOENT (No such file or directory)'
    assert call(t, sc("unlinkat", "atfd", "path", "atflags"), (2**64 - 100, p, 0), neg(E.EISDIR)) == \
        'unlinkat(AT_FDCWD, "/tmp/tr/nonexist", 0) = -1 EISDIR (Is a directory)'
    fstatat = sc("newfstatat", "atfd", "path", "struct_out", "atflags")
    assert call(t, fstatat, (5, t.cstr(""), BAD, 0x1100 | 0x80000), neg(E.EBADF)) == \
        'newfstatat(5, "", 0x10, AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH|0x80000) = -1 EBADF (Bad file descriptor)'
    assert call(t, sc("faccessat2", "atfd", "path", "d", "atflags"), (2**64 - 100, t.cstr("/tmp"), 1, 0x200), 0) == \
        'faccessat2(AT_FDCWD, "/tmp", X_OK, AT_EACCESS) = 0'
    assert call(t, sc("linkat", "atfd", "path", "atfd", "path", "atflags"), (1, p, 2, p, 0x10000), 0) == \
        'linkat(1, "/tmp/tr/nonexist", 2, "/tmp/tr/nonexist", 0x10000 /* AT_??? */) = 0'


def test_statx_flags(t: FakeTask) -> None:
    statx = sc("statx", "atfd", "path", "atflags", "x", "struct_out")
    buf = t.alloc(256)
    p = t.cstr("/")
    assert call(t, statx, (2**64 - 100, p, 0, 0x7FF, buf), 0) == \
        f'statx(AT_FDCWD, "/", AT_STATX_SYNC_AS_STAT, 0x7ff, {buf:#x}) = 0'
    assert call(t, statx, (3, p, 0x1000 | 0x4000, 0x7FF, buf), 0) == \
        f'statx(3, "/", AT_STATX_DONT_SYNC|AT_EMPTY_PATH, 0x7ff, {buf:#x}) = 0'


def test_access(t: FakeTask) -> None:
    access = sc("access", "path", "d")
    tmp = t.cstr("/tmp")
    assert call(t, access, (tmp, 6), 0) == 'access("/tmp", R_OK|W_OK) = 0'
    assert call(t, access, (tmp, 0), 0) == 'access("/tmp", F_OK) = 0'
    assert call(t, access, (tmp, 0x10), neg(E.EINVAL)) == 'access("/tmp", 0x10 /* ?_OK */) = -1 EINVAL (Invalid argument)'


def test_fcntl(t: FakeTask) -> None:
    fcntl = sc("fcntl", "fd", "fcntl", "x")
    assert call(t, fcntl, (9, 1, 0), 0) == "fcntl(9, F_GETFD) = 0"
    assert call(t, fcntl, (9, 1, 0), 1) == "fcntl(9, F_GETFD) = 0x1 (flags FD_CLOEXEC)"
    assert call(t, fcntl, (9, 2, 1), 0) == "fcntl(9, F_SETFD, FD_CLOEXEC) = 0"
    assert call(t, fcntl, (9, 2, 3), 0) == "fcntl(9, F_SETFD, FD_CLOEXEC|0x2) = 0"
    assert call(t, fcntl, (9, 3, 0), 0) == "fcntl(9, F_GETFL) = 0 (flags O_RDONLY)"
    assert call(t, fcntl, (3, 3, 0), 0x8000) == "fcntl(3, F_GETFL) = 0x8000 (flags O_RDONLY|O_LARGEFILE)"
    assert call(t, fcntl, (9, 4, 0o4000), 0) == "fcntl(9, F_SETFL, O_RDONLY|O_NONBLOCK) = 0"
    assert call(t, fcntl, (9, 0, 10), 12) == "fcntl(9, F_DUPFD, 10) = 12"
    assert call(t, fcntl, (9, 1030, 0), 13) == "fcntl(9, F_DUPFD_CLOEXEC, 0) = 13"
    assert call(t, fcntl, (9, 1032, 0), 65536) == "fcntl(9, F_GETPIPE_SZ) = 65536"
    assert call(t, fcntl, (9, 1031, 8192), 8192) == "fcntl(9, F_SETPIPE_SZ, 8192) = 8192"
    assert call(t, fcntl, (9, 8, 0), 0) == "fcntl(9, F_SETOWN, 0) = 0"
    assert call(t, fcntl, (9, 10, 10), 0) == "fcntl(9, F_SETSIG, SIGUSR1) = 0"
    assert call(t, fcntl, (9, 11, 0), 10) == "fcntl(9, F_GETSIG) = 10 (SIGUSR1)"
    assert call(t, fcntl, (0, 1024, 5), neg(E.EINVAL)) == \
        "fcntl(0, F_SETLEASE, 0x5 /* F_??? */) = -1 EINVAL (Invalid argument)"
    assert call(t, fcntl, (0, 1025, 0), 2) == "fcntl(0, F_GETLEASE) = 0x2 (F_UNLCK)"
    assert call(t, fcntl, (3, 999, 0), neg(E.EINVAL)) == \
        "fcntl(3, 0x3e7 /* F_??? */, 0) = -1 EINVAL (Invalid argument)"
    fl = t.put(struct.pack("<hh4xqqi4x", 1, 0, 0, 10, 0))
    assert call(t, fcntl, (14, 6, fl), 0) == \
        "fcntl(14, F_SETLK, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=0, l_len=10}) = 0"
    t.mm.write(fl, struct.pack("<hh4xqqi4x", 2, 0, 0, 10, 0))
    assert call(t, fcntl, (14, 5, fl), 0) == \
        "fcntl(14, F_GETLK, {l_type=F_UNLCK, l_whence=SEEK_SET, l_start=0, l_len=10, l_pid=0}) = 0"
    assert call(t, fcntl, (14, 7, BAD), neg(E.EFAULT)) == "fcntl(14, F_SETLKW, 0x10) = -1 EFAULT (Bad address)"
    owner = t.put(struct.pack("<ii", 0, 0))
    assert call(t, fcntl, (9, 16, owner), 0) == "fcntl(9, F_GETOWN_EX, {type=F_OWNER_TID, pid=0}) = 0"


def test_fcntl_with_two_declared_args(t: FakeTask) -> None:
    # the command decides about the third argument even if the table declares only two
    assert call(t, sc("fcntl", "fd", "fcntl"), (9, 2, 1), 0) == "fcntl(9, F_SETFD, FD_CLOEXEC) = 0"


def test_ioctl(t: FakeTask) -> None:
    ioctl = sc("ioctl", "fd", "ioctl", "x")
    buf = t.alloc(64)
    assert call(t, ioctl, (1, 0x5401, buf), neg(E.ENOTTY)) == \
        f"ioctl(1, TCGETS, {buf:#x}) = -1 ENOTTY (Inappropriate ioctl for device)"
    assert call(t, ioctl, (1, 0x12345678, 0), neg(E.ENOTTY)) == \
        "ioctl(1, _IOC(_IOC_NONE, 0x56, 0x78, 0x1234), 0) = -1 ENOTTY (Inappropriate ioctl for device)"
    assert call(t, ioctl, (7, 0x5499, 5), neg(E.ENOTTY)) == \
        "ioctl(7, _IOC(_IOC_NONE, 0x54, 0x99, 0), 0x5) = -1 ENOTTY (Inappropriate ioctl for device)"
    assert call(t, ioctl, (7, 0x80047801, 0), neg(E.ENOTTY)) == \
        "ioctl(7, _IOC(_IOC_READ, 0x78, 0x1, 0x4), 0) = -1 ENOTTY (Inappropriate ioctl for device)"
    assert call(t, ioctl, (7, 0x40087801, 0), neg(E.ENOTTY)) == \
        "ioctl(7, _IOC(_IOC_WRITE, 0x78, 0x1, 0x8), 0) = -1 ENOTTY (Inappropriate ioctl for device)"
    assert call(t, ioctl, (7, 0xC0087801, 0), neg(E.ENOTTY)) == \
        "ioctl(7, _IOC(_IOC_READ|_IOC_WRITE, 0x78, 0x1, 0x8), 0) = -1 ENOTTY (Inappropriate ioctl for device)"
    ws = t.put(struct.pack("<HHHH", 24, 80, 0, 0))
    assert call(t, ioctl, (7, 0x5414, ws), 0) == "ioctl(7, TIOCSWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}) = 0"
    assert call(t, ioctl, (7, 0x5413, ws), 0) == "ioctl(7, TIOCGWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}) = 0"
    n = t.put(struct.pack("<i", 0))
    assert call(t, ioctl, (7, 0x541B, n), 0) == "ioctl(7, FIONREAD, [0]) = 0"
    assert call(t, ioctl, (7, 0x540F, n), neg(E.ENOTTY)) == \
        f"ioctl(7, TIOCGPGRP, {n:#x}) = -1 ENOTTY (Inappropriate ioctl for device)"
    t.mm.write(n, struct.pack("<i", 1))
    assert call(t, ioctl, (7, 0x5421, n), 0) == "ioctl(7, FIONBIO, [1]) = 0"
    assert call(t, ioctl, (7, 0x5451, 0), 0) == "ioctl(7, FIOCLEX) = 0"
    assert call(t, ioctl, (6, 0x80045430, n), 0) == "ioctl(6, TIOCGPTN, [1]) = 0"
    assert call(t, ioctl, (6, 0x5441, 0x102), 7) == "ioctl(6, TIOCGPTPEER, 0x102) = 7"
    cooked = struct.pack("<IIII", 0o400 | 0o2000, 0o1 | 0o4, 0o17 | 0o60 | 0o200,
                         0o1 | 0o2 | 0o10 | 0o20 | 0o40 | 0o100000 | 0o1000 | 0o4000) + bytes(20)
    tio = t.put(cooked)
    flags = ("{c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, c_cflag=B38400|CS8|CREAD, "
             "c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, ...}")
    assert call(t, ioctl, (7, 0x5401, tio), 0) == f"ioctl(7, TCGETS, {flags}) = 0"
    assert call(t, ioctl, (7, 0x5402, tio), 0) == f"ioctl(7, SNDCTL_TMR_START or TCSETS, {flags}) = 0"
    assert call(t, ioctl, (7, 0x5401, BAD), neg(E.EFAULT)) == "ioctl(7, TCGETS, 0x10) = -1 EFAULT (Bad address)"
    raw = t.put(bytes(36))
    assert call(t, ioctl, (4, 0x5402, raw), 0) == \
        "ioctl(4, SNDCTL_TMR_START or TCSETS, {c_iflag=, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|, c_cflag=B0|CS5|, c_lflag=, ...}) = 0"
    odd = t.put(struct.pack("<IIII", 0x80000000, 0x80000000 | 0o400 | 0o3000 | 0o14000,
                            0o10002 | (0o15 << 16) | 0x40000000 | 0o60, 0x80000000) + bytes(20))
    assert call(t, ioctl, (4, 0x5403, odd), 0) == (
        "ioctl(4, SNDCTL_TMR_STOP or TCSETSW, {c_iflag=0x80000000, c_oflag=NL1|CR3|XTABS|BS0|VT0|FF0|0x80000000, "
        "c_cflag=B115200|B9600<<IBSHIFT|CS8|CMSPAR, c_lflag=0x80000000, ...}) = 0")


def test_clock_and_timespec(t: FakeTask) -> None:
    ts = t.put(struct.pack("<qq", 0, 1000))
    cns = sc("clock_nanosleep", "clock", "d", "timespec_in", "struct_out")
    assert call(t, cns, (1, 1, ts, 0), 0) == \
        "clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, {tv_sec=0, tv_nsec=1000}, NULL) = 0"
    assert call(t, cns, (1, 3, ts, 0), 0) == \
        "clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME|0x2, {tv_sec=0, tv_nsec=1000}, NULL) = 0"
    assert call(t, cns, (17, 0, BAD, 0), neg(E.EINVAL)) == \
        "clock_nanosleep(0x11 /* CLOCK_??? */, 0, 0x10, NULL) = -1 EINVAL (Invalid argument)"
    rem = t.put(struct.pack("<qq", 3, 999957318))
    req = t.put(struct.pack("<qq", 5, 0))
    assert call(t, cns, (1, 0, req, rem), neg(E.ERESTART_RESTARTBLOCK)) == (
        "clock_nanosleep(CLOCK_MONOTONIC, 0, {tv_sec=5, tv_nsec=0}, {tv_sec=3, tv_nsec=999957318})"
        " = ? ERESTART_RESTARTBLOCK (Interrupted by signal)")
    assert call(t, cns, (0, 0, req, rem), 0) == f"clock_nanosleep(CLOCK_REALTIME, 0, {{tv_sec=5, tv_nsec=0}}, {rem:#x}) = 0"
    ns = sc("nanosleep", "timespec_in", "struct_out")
    assert call(t, ns, (req, rem), neg(E.ERESTART_RESTARTBLOCK)) == \
        "nanosleep({tv_sec=5, tv_nsec=0}, {tv_sec=3, tv_nsec=999957318}) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)"
    gettime = sc("clock_gettime", "clock", "struct_out")
    out = t.put(struct.pack("<qq", 723, 530126136))
    assert call(t, gettime, (7, out), 0) == "clock_gettime(CLOCK_BOOTTIME, {tv_sec=723, tv_nsec=530126136}) = 0"
    assert call(t, gettime, (1, BAD), neg(E.EFAULT)) == "clock_gettime(CLOCK_MONOTONIC, 0x10) = -1 EFAULT (Bad address)"
    assert call(t, gettime, (2**64 - 6, out), 0) == \
        "clock_gettime(0xfffffffa /* CLOCK_??? */, {tv_sec=723, tv_nsec=530126136}) = 0"
    # a generic struct_out stays an address
    assert call(t, sc("times", "struct_out"), (out,), 5) == f"times({out:#x}) = 5"


def test_signals_in_args(t: FakeTask) -> None:
    kill = sc("kill", "d", "sig")
    assert call(t, kill, (4204, 10), 0) == "kill(4204, SIGUSR1) = 0"
    assert call(t, kill, (4204, 0), 0) == "kill(4204, 0) = 0"
    assert call(t, kill, (0, 99), neg(E.EINVAL)) == "kill(0, 99) = -1 EINVAL (Invalid argument)"
    assert call(t, kill, (0, 40), 0) == "kill(0, SIGRT_8) = 0"
    assert call(t, kill, (0, 32), 0) == "kill(0, SIGRTMIN) = 0"
    assert call(t, kill, (0, 0x100000000), 0) == "kill(0, 0) = 0"


def test_rt_sigprocmask(t: FakeTask) -> None:
    mask = sc("rt_sigprocmask", "how", "p", "struct_out", "u")

    def sigs(*nums: int) -> int:
        return t.put(struct.pack("<Q", sum(1 << (n - 1) for n in nums)))

    old = t.put(bytes(8))
    assert call(t, mask, (0, sigs(2), 0, 8), 0) == "rt_sigprocmask(SIG_BLOCK, [INT], NULL, 8) = 0"
    assert call(t, mask, (2, sigs(2, 12, 34, 40), old, 8), 0) == \
        "rt_sigprocmask(SIG_SETMASK, [INT USR2 RT_2 RT_8], [], 8) = 0"
    everything = [n for n in range(1, 65) if n not in (9, 32, 33)]
    assert call(t, mask, (0, sigs(*everything), 0, 8), 0) == "rt_sigprocmask(SIG_BLOCK, ~[KILL RTMIN RT_1], NULL, 8) = 0"
    # 41 signals: just below the 2/3 threshold; 42: inverted
    below = [n for n in range(1, 44) if n not in (9, 19)]
    assert call(t, mask, (0, sigs(*below), 0, 8), 0) == (
        "rt_sigprocmask(SIG_BLOCK, [HUP INT QUIT ILL TRAP ABRT BUS FPE USR1 SEGV USR2 PIPE ALRM TERM STKFLT "
        "CHLD CONT TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS RTMIN RT_1 RT_2 RT_3 RT_4 RT_5 "
        "RT_6 RT_7 RT_8 RT_9 RT_10 RT_11], NULL, 8) = 0")
    at = [n for n in range(1, 43)]
    assert call(t, mask, (0, sigs(*at), 0, 8), 0) == (
        "rt_sigprocmask(SIG_BLOCK, ~[RT_11 RT_12 RT_13 RT_14 RT_15 RT_16 RT_17 RT_18 RT_19 RT_20 RT_21 RT_22 "
        "RT_23 RT_24 RT_25 RT_26 RT_27 RT_28 RT_29 RT_30 RT_31 RT_32], NULL, 8) = 0")
    # what glibc's sigaddset(1..42 except KILL and STOP) produces (it refuses 32 and 33)
    forty = [n for n in range(1, 43) if n not in (9, 19, 32, 33)]
    assert call(t, mask, (0, sigs(*forty), 0, 8), 0) == (
        "rt_sigprocmask(SIG_BLOCK, [HUP INT QUIT ILL TRAP ABRT BUS FPE USR1 SEGV USR2 PIPE ALRM TERM STKFLT "
        "CHLD CONT TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS RT_2 RT_3 RT_4 RT_5 RT_6 RT_7 "
        "RT_8 RT_9 RT_10], NULL, 8) = 0")
    assert call(t, mask, (0, BAD, 0, 8), neg(E.EFAULT)) == "rt_sigprocmask(SIG_BLOCK, 0x10, NULL, 8) = -1 EFAULT (Bad address)"
    s = sigs(1)
    assert call(t, mask, (0, s, 0, 4), neg(E.EINVAL)) == \
        f"rt_sigprocmask(SIG_BLOCK, {s:#x}, NULL, 4) = -1 EINVAL (Invalid argument)"
    assert call(t, mask, (7, 0, 0, 8), 0) == "rt_sigprocmask(0x7 /* SIG_??? */, NULL, NULL, 8) = 0"
    assert call(t, mask, (2, 0, old, 8), neg(E.EINVAL)) == \
        f"rt_sigprocmask(SIG_SETMASK, NULL, {old:#x}, 8) = -1 EINVAL (Invalid argument)"
    pending = sc("rt_sigpending", "struct_out", "u")
    assert call(t, pending, (old, 8), 0) == "rt_sigpending([], 8) = 0"


def test_rt_sigaction(t: FakeTask) -> None:
    sa = sc("rt_sigaction", "sig", "p", "struct_out", "u")
    act = t.put(struct.pack("<QQQQ", 0x401615, 0x14000000, 0x4092D0, 0))
    assert call(t, sa, (10, act, 0, 8), 0) == \
        "rt_sigaction(SIGUSR1, {sa_handler=0x401615, sa_mask=[], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x4092d0}, NULL, 8) = 0"
    every = 0x04000000 | 0x10000000 | 4 | 0x80000000 | 0x40000000 | 0x08000000 | 1 | 2 | 0x100
    act2 = t.put(struct.pack("<QQQQ", 1, every, 0x401000, (1 << 8) | (1 << 34)))
    assert call(t, sa, (12, act2, 0, 8), 0) == (
        "rt_sigaction(SIGUSR2, {sa_handler=SIG_IGN, sa_mask=[KILL RT_3], sa_flags=SA_RESTORER|SA_ONSTACK|"
        "SA_RESTART|SA_NODEFER|SA_RESETHAND|SA_SIGINFO|SA_NOCLDSTOP|SA_NOCLDWAIT|0x100, sa_restorer=0x401000}, NULL, 8) = 0")
    act3 = t.put(struct.pack("<QQQQ", 1, 0x100, 0, 0))
    dfl = t.put(struct.pack("<QQQQ", 0, 0, 0, 0))
    assert call(t, sa, (12, act3, 0, 8), 0) == \
        "rt_sigaction(SIGUSR2, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=0x100 /* SA_??? */}, NULL, 8) = 0"
    assert call(t, sa, (12, dfl, act3, 8), 0) == (
        "rt_sigaction(SIGUSR2, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, "
        "{sa_handler=SIG_IGN, sa_mask=[], sa_flags=0x100 /* SA_??? */}, 8) = 0")
    assert call(t, sa, (40, 0, 0, 8), 0) == "rt_sigaction(SIGRT_8, NULL, NULL, 8) = 0"
    assert call(t, sa, (99, BAD, 0, 8), neg(E.EFAULT)) == "rt_sigaction(99, 0x10, NULL, 8) = -1 EFAULT (Bad address)"


def test_rlimits(t: FakeTask) -> None:
    getrlimit = sc("getrlimit", "rlimit", "struct_out")
    rl = t.put(struct.pack("<QQ", 8192 * 1024, 2**64 - 1))
    assert call(t, getrlimit, (3, rl), 0) == "getrlimit(RLIMIT_STACK, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0"
    assert call(t, getrlimit, (99, rl), neg(E.EINVAL)) == \
        f"getrlimit(0x63 /* RLIMIT_??? */, {rl:#x}) = -1 EINVAL (Invalid argument)"
    prlimit = sc("prlimit64", "d", "rlimit", "p", "struct_out")
    new = t.put(struct.pack("<QQ", 1024, 4096))
    assert call(t, prlimit, (0, 7, new, 0), 0) == "prlimit64(0, RLIMIT_NOFILE, {rlim_cur=1024, rlim_max=4*1024}, NULL) = 0"
    assert call(t, prlimit, (0, 7, 0, new), 0) == "prlimit64(0, RLIMIT_NOFILE, NULL, {rlim_cur=1024, rlim_max=4*1024}) = 0"


def test_prctl(t: FakeTask) -> None:
    prctl = sc("prctl", "prctl", "x", "x", "x", "x")
    name = t.cstr("foo")
    assert call(t, prctl, (15, name, 0, 0, 0), 0) == 'prctl(PR_SET_NAME, "foo") = 0'
    assert call(t, prctl, (15, t.cstr("exactly15chars_"), 0, 0, 0), 0) == 'prctl(PR_SET_NAME, "exactly15chars_"...) = 0'
    assert call(t, prctl, (15, t.cstr("ab\n"), 0, 0, 0), 0) == 'prctl(PR_SET_NAME, "ab\\n") = 0'
    assert call(t, prctl, (16, t.cstr("b"), 0, 0, 0), 0) == 'prctl(PR_GET_NAME, "b") = 0'
    assert call(t, prctl, (16, BAD, 0, 0, 0), neg(E.EFAULT)) == "prctl(PR_GET_NAME, 0x10) = -1 EFAULT (Bad address)"
    assert call(t, prctl, (0x3039, 1, 0, 0x432F5D, 0x4A67C0), neg(E.EINVAL)) == \
        "prctl(0x3039 /* PR_??? */, 0x1, 0, 0x432f5d, 0x4a67c0) = -1 EINVAL (Invalid argument)"
    assert call(t, prctl, (1, 15, 0, 0, 0), 0) == "prctl(PR_SET_PDEATHSIG, SIGTERM) = 0"
    assert call(t, prctl, (1, 200, 0, 0, 0), neg(E.EINVAL)) == "prctl(PR_SET_PDEATHSIG, 200) = -1 EINVAL (Invalid argument)"
    assert call(t, prctl, (3, 0, 0, 0, 0), 1) == "prctl(PR_GET_DUMPABLE) = 1 (SUID_DUMP_USER)"
    assert call(t, prctl, (4, 1, 0, 0, 0), 0) == "prctl(PR_SET_DUMPABLE, SUID_DUMP_USER) = 0"
    assert call(t, prctl, (4, 7, 0, 0, 0), neg(E.EINVAL)) == \
        "prctl(PR_SET_DUMPABLE, 0x7 /* SUID_DUMP_??? */) = -1 EINVAL (Invalid argument)"
    sig = t.put(struct.pack("<i", 15))
    assert call(t, prctl, (2, sig, 0, 0, 0), 0) == "prctl(PR_GET_PDEATHSIG, [SIGTERM]) = 0"
    assert call(t, prctl, (38, 1, 0, 0, 0), 0) == "prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) = 0"
    assert call(t, prctl, (21, 0, 0, 0, 0), 0) == "prctl(PR_GET_SECCOMP) = 0"
    assert call(t, prctl, (40, BAD, 0, 0, 0), neg(E.EFAULT)) == "prctl(PR_GET_TID_ADDRESS, 0x10) = -1 EFAULT (Bad address)"
    assert call(t, prctl, (35, 1, 2, 3, 4), neg(E.EINVAL)) == \
        "prctl(PR_SET_MM, PR_SET_MM_START_CODE, 0x2, 0x3, 0x4) = -1 EINVAL (Invalid argument)"
    assert call(t, prctl, (0x53564D41, 0, 0x1000, 4096, t.cstr("name")), neg(E.EINVAL)) == \
        'prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, 0x1000, 4096, "name") = -1 EINVAL (Invalid argument)'


def test_arch_prctl(t: FakeTask) -> None:
    ap = sc("arch_prctl", "arch_prctl", "x")
    assert call(t, ap, (0x1002, 0x31BB9380), 0) == "arch_prctl(ARCH_SET_FS, 0x31bb9380) = 0"
    assert call(t, ap, (0x1001, 0), 0) == "arch_prctl(ARCH_SET_GS, 0) = 0"
    fs = t.put(struct.pack("<Q", 0x31BB9380))
    assert call(t, ap, (0x1003, fs), 0) == "arch_prctl(ARCH_GET_FS, [0x31bb9380]) = 0"
    assert call(t, ap, (0x1004, t.put(bytes(8))), 0) == "arch_prctl(ARCH_GET_GS, [NULL]) = 0"
    assert call(t, ap, (0x1003, BAD), neg(E.EFAULT)) == "arch_prctl(ARCH_GET_FS, 0x10) = -1 EFAULT (Bad address)"
    assert call(t, ap, (0x1011, 5), 1) == "arch_prctl(ARCH_GET_CPUID) = 1"
    assert call(t, ap, (0x9999, 0), neg(E.EINVAL)) == "arch_prctl(0x9999 /* ARCH_??? */, 0) = -1 EINVAL (Invalid argument)"


def test_structures_by_name(t: FakeTask) -> None:
    fds = t.put(struct.pack("<ii", 4, 5))
    assert call(t, sc("pipe2", "struct_out", "oflags"), (fds, 0o4000 | 0o2000000), 0) == \
        "pipe2([4, 5], O_NONBLOCK|O_CLOEXEC) = 0"
    assert call(t, sc("pipe2", "struct_out", "oflags"), (fds, 0), 0) == "pipe2([4, 5], 0) = 0"
    assert call(t, sc("dup3", "fd", "fd", "oflags"), (1, 20, 0o2000000), 20) == "dup3(1, 20, O_CLOEXEC) = 20"
    st = bytearray(144)
    struct.pack_into("<I", st, 24, 0o100644)
    struct.pack_into("<Qq", st, 40, 0, 4099)
    sbuf = t.put(bytes(st))
    fstatat = sc("newfstatat", "atfd", "path", "struct_out", "atflags")
    assert call(t, fstatat, (2**64 - 100, t.cstr("/tmp/tr/c.c"), sbuf, 0), 0) == \
        'newfstatat(AT_FDCWD, "/tmp/tr/c.c", {st_mode=S_IFREG|0644, st_size=4099, ...}, 0) = 0'
    struct.pack_into("<I", st, 24, 0o20666)
    struct.pack_into("<Qq", st, 40, 0x103, 0)
    dev = t.put(bytes(st))
    assert call(t, fstatat, (2**64 - 100, t.cstr("/dev/null"), dev, 0), 0) == \
        'newfstatat(AT_FDCWD, "/dev/null", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, 0) = 0'
    assert call(t, fstatat, (2**64 - 100, t.cstr("/nonexist"), dev, 0), neg(E.ENOENT)) == \
        f'newfstatat(AT_FDCWD, "/nonexist", {dev:#x}, 0) = -1 ENOENT (No such file or directory)'
    uts = bytearray(390)
    uts[0:5] = b"Linux"
    uts[65:67] = b"vm"
    assert call(t, sc("uname", "struct_out"), (t.put(bytes(uts)),), 0) == 'uname({sysname="Linux", nodename="vm", ...}) = 0'
    cwd = t.cstr("/tmp/tr")
    assert call(t, sc("getcwd", "buf_out", "u"), (cwd, 256), 8) == 'getcwd("/tmp/tr", 256) = 8'
    rnd = t.put(bytes.fromhex("9999e1b23c923289"))
    assert call(t, sc("getrandom", "buf_out", "u", "x"), (rnd, 8, 1), 8) == \
        'getrandom("\\x99\\x99\\xe1\\xb2\\x3c\\x92\\x32\\x89", 8, GRND_NONBLOCK) = 8'
    assert call(t, sc("getrandom", "buf_out", "u", "x"), (rnd, 8, 0x10), neg(E.EINVAL)) == \
        f"getrandom({rnd:#x}, 8, 0x10 /* GRND_??? */) = -1 EINVAL (Invalid argument)"


def test_fstat(t: FakeTask) -> None:
    st = bytearray(144)
    struct.pack_into("<I", st, 24, 0o40755)
    struct.pack_into("<Qq", st, 40, 0, 4096)
    assert call(t, sc("fstat", "fd", "struct_out"), (3, t.put(bytes(st))), 0) == \
        "fstat(3, {st_mode=S_IFDIR|0755, st_size=4096, ...}) = 0"


def test_getdents64(t: FakeTask) -> None:
    gd = sc("getdents64", "fd", "struct_out", "u")
    ents = b""
    for name in (b".", b"..", b"abc"):
        reclen = (19 + len(name) + 1 + 7) // 8 * 8
        ents += struct.pack("<QqHB", 1, 0, reclen, 4) + name + bytes(reclen - 19 - len(name))
    buf = t.put(ents)
    assert call(t, gd, (3, buf, 4096), len(ents)) == f"getdents64(3, {buf:#x} /* 3 entries */, 4096) = {len(ents)}"
    assert call(t, gd, (3, buf, 4096), 0) == f"getdents64(3, {buf:#x} /* 0 entries */, 4096) = 0"
    assert call(t, gd, (99, buf, 4096), neg(E.EBADF)) == f"getdents64(99, {buf:#x}, 4096) = -1 EBADF (Bad file descriptor)"


def test_wait4(t: FakeTask) -> None:
    wait4 = sc("wait4", "d", "struct_out", "d", "struct_out")
    st = t.put(struct.pack("<i", 3 << 8))
    ru = t.put(struct.pack("<qqqq", 0, 861, 0, 0) + bytes(112))
    assert call(t, wait4, (2**64 - 1, st, 0, 0), 9339) == "wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 9339"
    assert call(t, wait4, (12161, st, 0, ru), 12161) == (
        "wait4(12161, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, "
        "{ru_utime={tv_sec=0, tv_usec=861}, ru_stime={tv_sec=0, tv_usec=0}, ...}) = 12161")
    assert call(t, wait4, (12161, st, 1, ru), 0) == f"wait4(12161, {st:#x}, WNOHANG, {ru:#x}) = 0"
    assert call(t, wait4, (2**64 - 1, st, 1 | 0x40000000, 0), neg(E.ECHILD)) == \
        f"wait4(-1, {st:#x}, WNOHANG|__WALL, NULL) = -1 ECHILD (No child processes)"
    t.mm.write(st, struct.pack("<i", 11))
    assert call(t, wait4, (2**64 - 1, st, 0, 0), 5) == "wait4(-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV}], 0, NULL) = 5"
    t.mm.write(st, struct.pack("<i", 0x80 | 11))
    assert call(t, wait4, (2**64 - 1, st, 0, 0), 5) == \
        "wait4(-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}], 0, NULL) = 5"
    t.mm.write(st, struct.pack("<i", (19 << 8) | 0x7F))
    assert call(t, wait4, (2**64 - 1, st, 2, 0), 5) == "wait4(-1, [{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}], WSTOPPED, NULL) = 5"


def test_clone(t: FakeTask) -> None:
    clone = sc("clone", "x", "p", "p", "p", "x")
    assert call(t, clone, (0x1200000 | 17, 0, 0, 0x27A57650, 0), 9339) == \
        "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x27a57650) = 9339"
    ptid = t.put(struct.pack("<i", 1235))
    flags = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x80000 | 0x100000 | 0x200000 | 0x400000
    assert call(t, clone, (flags, 0x7F0000001000, ptid, 0x7F0000002000, 0x7F0000003000), 1235) == (
        "clone(child_stack=0x7f0000001000, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|"
        "CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID|0x400000, parent_tid=[1235], "
        "tls=0x7f0000003000, child_tidptr=0x7f0000002000) = 1235")
    assert call(t, clone, (17, 0, 0, 0, 0), 7) == "clone(child_stack=NULL, flags=SIGCHLD) = 7"
    assert call(t, clone, (0, 0, 0, 0, 0), 7) == "clone(child_stack=NULL, flags=0) = 7"


def test_clone3(t: FakeTask) -> None:
    ptid = t.put(struct.pack("<i", 0))
    args = struct.pack("<11Q", 0x100 | 0x80000 | 0x100000 | 0x200000, 0, 0x7000, ptid, 0, 0x7F0000000000,
                       0x10000, 0x7F0000020000, 0, 0, 0)
    a = t.put(args)
    t.mm.write(ptid, struct.pack("<i", 1235))
    assert call(t, sc("clone3", "p", "u"), (a, 88), 1235) == (
        f"clone3({{flags=CLONE_VM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7000, "
        f"parent_tid={ptid:#x}, exit_signal=0, stack=0x7f0000000000, stack_size=0x10000, tls=0x7f0000020000}}"
        f" => {{parent_tid=[1235]}}, 88) = 1235")


def test_futex(t: FakeTask) -> None:
    futex = sc("futex", "p", "d", "d", "p", "p", "d")
    f = t.put(bytes(8))
    ts = t.put(struct.pack("<qq", 0, 1000))
    assert call(t, futex, (f, 129, 1, 0, 0, 0), 0) == f"futex({f:#x}, FUTEX_WAKE_PRIVATE, 1) = 0"
    assert call(t, futex, (f, 128, 0, ts, 0, 0), neg(E.ETIMEDOUT)) == \
        f"futex({f:#x}, FUTEX_WAIT_PRIVATE, 0, {{tv_sec=0, tv_nsec=1000}}) = -1 ETIMEDOUT (Connection timed out)"
    assert call(t, futex, (f, 9 | 128 | 256, 1, 0, 0, 0xFFFFFFFF), neg(E.EAGAIN)) == (
        f"futex({f:#x}, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 1, NULL, FUTEX_BITSET_MATCH_ANY)"
        " = -1 EAGAIN (Resource temporarily unavailable)")
    assert call(t, futex, (f, 77, 1, 0, 0, 0), neg(E.ENOSYS)) == \
        f"futex({f:#x}, 0x4d /* FUTEX_??? */, 1, NULL, NULL, 0) = -1 ENOSYS (Function not implemented)"
    assert call(t, futex, (f, 5 | 128, 1, 1, f + 4, (4 << 24) | 1), 0) == \
        f"futex({f:#x}, FUTEX_WAKE_OP_PRIVATE, 1, 1, {f + 4:#x}, FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1) = 0"


def test_execve(t: FakeTask) -> None:
    execve = sc("execve", "path", "p", "p")
    path = t.cstr("/tmp/tr/c")
    strs = [t.cstr(s) for s in ("/tmp/tr/c", "arg1", "a longer argument string that is longer than 32")]
    argv = t.put(struct.pack("<4Q", *strs, 0))
    envp = t.put(struct.pack("<3Q", t.cstr("A=1"), t.cstr("B=2"), 0))
    assert call(t, execve, (path, argv, envp), 0) == (
        'execve("/tmp/tr/c", ["/tmp/tr/c", "arg1", "a longer argument string that is"...], '
        f"{envp:#x} /* 2 vars */) = 0")
    empty = t.put(bytes(8))
    one = t.put(struct.pack("<2Q", t.cstr("X=1"), 0))
    nx = t.cstr("/nonexist")
    assert call(t, execve, (nx, empty, 0), neg(E.ENOENT)) == \
        'execve("/nonexist", [], NULL) = -1 ENOENT (No such file or directory)'
    assert call(t, execve, (nx, 0, one), neg(E.ENOENT)) == \
        f'execve("/nonexist", NULL, {one:#x} /* 1 var */) = -1 ENOENT (No such file or directory)'


def test_execve_arguments_captured_at_entry() -> None:
    t = FakeTask(7)
    execve = sc("execve", "path", "p", "p", nr=59)
    path = t.cstr("/bin/true")
    argv = t.put(struct.pack("<2Q", path, 0))
    out = io.StringIO()
    tr = Tracer(out, align=False)
    tr.enter(t, execve, (path, argv, 0))
    t.mm = FakeMM()  # the new image: the old strings are gone
    t.mm.map(0x10000, 0x1000)
    tr.syscall(t, execve, (path, argv, 0), 0)
    assert out.getvalue() == 'execve("/bin/true", ["/bin/true"], NULL) = 0\n'


def test_decoder_errors_never_escape(t: FakeTask) -> None:
    class Broken:
        def read(self, addr: int, n: int) -> bytes:
            raise RuntimeError("boom")

        def read_cstring(self, addr: int, limit: int) -> bytes:
            raise RuntimeError("boom")

    t.mm = Broken()  # type: ignore[assignment]
    assert call(t, sc("openat", "atfd", "path", "oflags", "mode"), (3, 0x1000, 0, 0), 3) == \
        "openat(3, 0x1000, O_RDONLY) = 3"
    assert call(t, sc("write", "fd", "buf_in", "u"), (1, 0x1000, 3), 3) == "write(1, 0x1000, 3) = 3"


# --------------------------------------------------------------------------------------------------
# signals, exits, notes, the Tracer object


def test_format_signal() -> None:
    assert format_signal(11, {"si_code": 1, "si_addr": 0x10}) == \
        "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---"
    assert format_signal(11, {"si_code": 0x80}) == "--- SIGSEGV {si_signo=SIGSEGV, si_code=SI_KERNEL, si_addr=NULL} ---"
    assert format_signal(11, {}) == "--- SIGSEGV {si_signo=SIGSEGV, si_code=SI_KERNEL, si_addr=NULL} ---"
    assert format_signal(4, {"code": 2, "addr": 0x4021A2}) == \
        "--- SIGILL {si_signo=SIGILL, si_code=ILL_ILLOPN, si_addr=0x4021a2} ---"
    assert format_signal(8, {"si_code": 1, "si_addr": 0x401136}) == \
        "--- SIGFPE {si_signo=SIGFPE, si_code=FPE_INTDIV, si_addr=0x401136} ---"
    assert format_signal(7, {"si_code": 2, "si_addr": 0x7F0000000000}) == \
        "--- SIGBUS {si_signo=SIGBUS, si_code=BUS_ADRERR, si_addr=0x7f0000000000} ---"
    assert format_signal(5, {"si_code": 0x80}) == "--- SIGTRAP {si_signo=SIGTRAP, si_code=SI_KERNEL, si_addr=NULL} ---"
    assert format_signal(5, {"si_code": 1, "si_addr": 0x401000}) == \
        "--- SIGTRAP {si_signo=SIGTRAP, si_code=TRAP_BRKPT, si_addr=0x401000} ---"
    assert format_signal(10, {"si_code": 0, "si_pid": 9338, "si_uid": 0}) == \
        "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=9338, si_uid=0} ---"
    assert format_signal(19, {"si_code": -6, "si_pid": 9346, "si_uid": 0}) == \
        "--- SIGSTOP {si_signo=SIGSTOP, si_code=SI_TKILL, si_pid=9346, si_uid=0} ---"
    assert format_signal(10, {"si_code": -1, "si_pid": 9338, "si_uid": 0, "si_int": 42, "si_ptr": 42}) == \
        "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_QUEUE, si_pid=9338, si_uid=0, si_int=42, si_ptr=0x2a} ---"
    assert format_signal(14, {"si_code": 0x80}) == "--- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---"
    assert format_signal(17, {"si_code": 1, "si_pid": 9339, "si_uid": 0, "si_status": 3}) == (
        "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=9339, si_uid=0, si_status=3, "
        "si_utime=0, si_stime=0} ---")
    assert format_signal(17, {"si_code": 2, "si_pid": 9340, "si_uid": 0, "si_status": 11}) == (
        "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=9340, si_uid=0, si_status=SIGSEGV, "
        "si_utime=0, si_stime=0} ---")
    assert format_signal(11, {"si_code": "SEGV_ACCERR", "si_addr": 0x401000}) == \
        "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=0x401000} ---"


def test_format_exit() -> None:
    assert format_exit(0) == "+++ exited with 0 +++"
    assert format_exit(7 << 8) == "+++ exited with 7 +++"
    assert format_exit(11) == "+++ killed by SIGSEGV +++"
    assert format_exit(11 | 0x80) == "+++ killed by SIGSEGV (core dumped) +++"
    assert format_exit(9) == "+++ killed by SIGKILL +++"
    assert format_exit((19 << 8) | 0x7F) == "--- stopped by SIGSTOP ---"


def test_tracer_lines_and_alignment() -> None:
    t = FakeTask(9339)
    out = io.StringIO()
    tr = Tracer(out)
    brk = sc("brk", "p", ret="x", nr=12)
    write = sc("write", "fd", "buf_in", "u", nr=1)
    child = t.put(b"child\n")
    tr.syscall(t, brk, (0,), 0x27A57000)
    tr.syscall(t, write, (1, t.put(b"1234567890" * 4), 33), 33)
    tr.multi = True
    tr.syscall(t, write, (1, child, 6), 6)
    tr.syscall(t, sc("exit_group", "d", nr=231), (3,), 0)
    tr.exit(t, 3 << 8)
    tr.signal(t, 11, {"si_code": 1, "si_addr": 0x10}, multi=False)
    tr.note(t, "preempted by host timer", multi=False)
    tr.note(t, "--- already framed ---")
    assert out.getvalue().splitlines() == [
        "brk(NULL)                               = 0x27a57000",
        'write(1, "12345678901234567890123456789012"..., 33) = 33',
        '[pid  9339] write(1, "child\\n", 6)      = 6',
        "[pid  9339] exit_group(3)               = ?",
        "[pid  9339] +++ exited with 3 +++",
        "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---",
        "--- preempted by host timer ---",
        "[pid  9339] --- already framed ---",
    ]


def test_tracer_unaligned_matches_format_call() -> None:
    t = FakeTask(1)
    out = io.StringIO()
    tr = Tracer(out, align=False)
    close = sc("close", "fd", nr=3)
    tr.syscall(t, close, (99,), -E.EBADF, multi=True)
    assert out.getvalue() == "[pid     1] " + format_call(t, close, (99,), -E.EBADF) + "\n"
    assert out.getvalue() == "[pid     1] close(99) = -1 EBADF (Bad file descriptor)\n"


def test_plans_are_cached_per_entry(t: FakeTask) -> None:
    a = sc("foo", "d", nr=400)
    b = sc("foo", "x", nr=400)  # same number, different entry: not confused with the cached one
    assert call(t, a, (16,), 0) == "foo(16) = 0"
    assert call(t, b, (16,), 0) == "foo(0x10) = 0"
    assert call(t, a, (16,), 0) == "foo(16) = 0"


def test_arrays_running_into_unmapped_memory(t: FakeTask) -> None:
    # strace: execve("/nonexist", ["x", "y", ... /* 0x7fed8364b000 */], 0x7fed8364aff0 /* 2 vars, unterminated */)
    edge = 0x20000 - 16
    t.mm.write(edge, struct.pack("<QQ", t.cstr("x"), t.cstr("y")))
    nx = t.cstr("/nonexist")
    assert call(t, sc("execve", "path", "p", "p"), (nx, edge, edge), neg(E.ENOENT)) == (
        'execve("/nonexist", ["x", "y", ... /* 0x20000 */], 0x1fff0 /* 2 vars, unterminated */)'
        " = -1 ENOENT (No such file or directory)")
    many = t.put(struct.pack("<40Q", *([t.cstr("a")] * 39), 0))
    assert call(t, sc("execve", "path", "p", "p"), (nx, many, many), neg(E.ENOENT)) == (
        'execve("/nonexist", [' + '"a", ' * 32 + f"...], {many:#x} /* 39 vars */)"
        " = -1 ENOENT (No such file or directory)")
    s31 = t.cstr("0123456789abcdef0123456789abcde")
    s32 = t.cstr("0123456789abcdef0123456789abcdef")
    for s, text in ((s31, "0123456789abcdef0123456789abcde"), (s32, "0123456789abcdef0123456789abcdef")):
        argv = t.put(struct.pack("<2Q", s, 0))
        assert call(t, sc("execve", "path", "p", "p"), (nx, argv, 0), neg(E.ENOENT)) == \
            f'execve("/nonexist", ["{text}"], NULL) = -1 ENOENT (No such file or directory)'


def test_full_sigset_and_short_name(t: FakeTask) -> None:
    full = t.put(struct.pack("<Q", 2**64 - 1))
    old = t.put(bytes(8))
    assert call(t, sc("rt_sigprocmask", "how", "p", "struct_out", "u"), (0, full, old, 8), 0) == \
        "rt_sigprocmask(SIG_BLOCK, ~[], [], 8) = 0"
    assert call(t, sc("prctl", "prctl", "x", "x", "x", "x"), (15, t.cstr("fourteen_chars"), 0, 0, 0), 0) == \
        'prctl(PR_SET_NAME, "fourteen_chars") = 0'


def test_every_documented_kind_has_a_decoder(t: FakeTask) -> None:
    from emukernel import trace

    kinds = ("d u x p fd atfd path buf_in buf_out iov_in iov_out oflags mode prot mapflags atflags whence "
             "fcntl ioctl clock sig how prctl arch_prctl rlimit timespec_in struct_out").split()
    for kind in kinds:
        assert kind in trace._KINDS or kind in trace._GROUPS, kind
        # and none of them raises on garbage
        s = sc("k_" + kind, kind, "u", "u", "u", "u", "u", nr=450)
        assert call(t, s, (BAD, 3, 0, 0, 0, 0), 0).startswith("k_" + kind + "(")
        assert call(t, s, (BAD, 3, 0, 0, 0, 0), neg(E.EFAULT)).endswith("= -1 EFAULT (Bad address)")


def test_more_structures_by_name(t: FakeTask) -> None:
    cpus = t.put(struct.pack("<Q", 0b101) + bytes(120))
    assert call(t, sc("sched_getaffinity", "d", "u", "struct_out"), (0, 128, cpus), 8) == \
        "sched_getaffinity(0, 128, [0 2]) = 8"
    assert call(t, sc("sched_getaffinity", "d", "u", "struct_out"), (0, 3, cpus), neg(E.EINVAL)) == \
        f"sched_getaffinity(0, 3, {cpus:#x}) = -1 EINVAL (Invalid argument)"
    assert call(t, sc("sched_setaffinity", "d", "u", "p"), (0, 8, cpus), 0) == "sched_setaffinity(0, 8, [0 2]) = 0"

    ss = t.put(struct.pack("<Qi4xQ", 0x1000, 0, 8192))
    old = t.put(struct.pack("<Qi4xQ", 0, 2, 0))
    assert call(t, sc("sigaltstack", "p", "struct_out"), (ss, old), 0) == \
        "sigaltstack({ss_sp=0x1000, ss_flags=0, ss_size=8192}, {ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}) = 0"

    tv = t.put(struct.pack("<qq", 1795596431, 331388))
    tz = t.put(struct.pack("<ii", 0, 0))
    assert call(t, sc("gettimeofday", "struct_out", "struct_out"), (tv, tz), 0) == \
        "gettimeofday({tv_sec=1795596431, tv_usec=331388}, {tz_minuteswest=0, tz_dsttime=0}) = 0"
    tt = t.put(struct.pack("<q", 1795596431))
    assert call(t, sc("time", "p"), (tt,), 1795596431) == \
        "time([1795596431 /* 2026-11-25T08:47:11+0000 */]) = 1795596431 (2026-11-25T08:47:11+0000)"
    assert call(t, sc("time", "p"), (0,), 1795596431) == "time(NULL) = 1795596431 (2026-11-25T08:47:11+0000)"

    itv = t.put(struct.pack("<qqqq", 0, 0, 5, 0))
    oitv = t.put(bytes(32))
    assert call(t, sc("setitimer", "d", "p", "struct_out"), (0, itv, oitv), 0) == (
        "setitimer(ITIMER_REAL, {it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=5, tv_usec=0}}, "
        "{it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=0, tv_usec=0}}) = 0")
    assert call(t, sc("setitimer", "d", "p", "struct_out"), (7, oitv, 0), neg(E.EINVAL)) == (
        "setitimer(0x7 /* ITIMER_??? */, {it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=0, tv_usec=0}}, "
        "NULL) = -1 EINVAL (Invalid argument)")
    assert call(t, sc("getitimer", "d", "struct_out"), (0, itv), 0) == \
        "getitimer(ITIMER_REAL, {it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=5, tv_usec=0}}) = 0"

    create = sc("timer_create", "clock", "p", "struct_out")
    tid = t.put(struct.pack("<i", 0))
    sev = t.put(struct.pack("<QiiQQ", 42, 14, 0, 0, 0) + bytes(32))
    assert call(t, create, (1, sev, tid), 0) == (
        "timer_create(CLOCK_MONOTONIC, {sigev_value={sival_int=42, sival_ptr=0x2a}, sigev_signo=SIGALRM, "
        "sigev_notify=SIGEV_SIGNAL}, [0]) = 0")
    t.mm.write(sev, struct.pack("<QiiQQ", 0, 14, 4, 589, 0))
    assert call(t, create, (1, sev, tid), 0) == \
        "timer_create(CLOCK_MONOTONIC, {sigev_signo=SIGALRM, sigev_notify=SIGEV_THREAD_ID, sigev_notify_thread_id=589}, [0]) = 0"
    t.mm.write(sev, struct.pack("<QiiQQ", 0, 5, 2, 0x1234, 0))
    assert call(t, create, (1, sev, tid), 0) == (
        "timer_create(CLOCK_MONOTONIC, {sigev_signo=SIGTRAP, sigev_notify=SIGEV_THREAD, "
        "sigev_notify_function=0x1234, sigev_notify_attributes=NULL}, [0]) = 0")
    t.mm.write(sev, struct.pack("<QiiQQ", 0, 5, 77, 0, 0))
    assert call(t, create, (1, sev, BAD), neg(E.EINVAL)) == \
        "timer_create(CLOCK_MONOTONIC, {sigev_signo=5, sigev_notify=0x4d /* SIGEV_??? */}, 0x10) = -1 EINVAL (Invalid argument)"
    assert call(t, create, (1, 0, tid), 0) == "timer_create(CLOCK_MONOTONIC, NULL, [0]) = 0"
    its = t.put(struct.pack("<qqqq", 0, 0, 5, 0))
    oits = t.put(bytes(32))
    assert call(t, sc("timer_settime", "d", "x", "p", "struct_out"), (0, 0, its, oits), 0) == (
        "timer_settime(0, 0, {it_interval={tv_sec=0, tv_nsec=0}, it_value={tv_sec=5, tv_nsec=0}}, "
        "{it_interval={tv_sec=0, tv_nsec=0}, it_value={tv_sec=0, tv_nsec=0}}) = 0")
    assert call(t, sc("timer_settime", "d", "x", "p", "struct_out"), (0, 2, oits, 0), 0) == (
        "timer_settime(0, 0x2 /* TIMER_??? */, {it_interval={tv_sec=0, tv_nsec=0}, "
        "it_value={tv_sec=0, tv_nsec=0}}, NULL) = 0")


def test_siginfo_in_memory(t: FakeTask) -> None:
    usr1 = 1 << 9
    s = t.put(struct.pack("<Q", usr1))
    info = t.put(struct.pack("<iii4xiI", 10, 0, 0, 31707, 0) + bytes(104))
    z = t.put(bytes(16))
    tw = sc("rt_sigtimedwait", "p", "struct_out", "timespec_in", "u")
    assert call(t, tw, (s, info, z, 8), 10) == (
        "rt_sigtimedwait([USR1], {si_signo=SIGUSR1, si_code=SI_USER, si_pid=31707, si_uid=0}, "
        "{tv_sec=0, tv_nsec=0}, 8) = 10 (SIGUSR1)")
    assert call(t, tw, (s, info, z, 8), neg(E.EAGAIN)) == \
        f"rt_sigtimedwait([USR1], {info:#x}, {{tv_sec=0, tv_nsec=0}}, 8) = -1 EAGAIN (Resource temporarily unavailable)"
    q = t.put(struct.pack("<iii4xiIQ", 10, 0, -1, 9338, 0, 42) + bytes(96))
    assert call(t, sc("rt_sigqueueinfo", "d", "sig", "p"), (9338, 10, q), 0) == (
        "rt_sigqueueinfo(9338, SIGUSR1, {si_signo=SIGUSR1, si_code=SI_QUEUE, si_pid=9338, si_uid=0, si_int=42, "
        "si_ptr=0x2a}) = 0")
    chld = t.put(struct.pack("<iii4xiIi4xqq", 17, 0, 1, 384, 0, 2, 0, 0) + bytes(80))
    waitid = sc("waitid", "d", "d", "p", "x", "p")
    assert call(t, waitid, (0, 0, chld, 4, 0), 0) == (
        "waitid(P_ALL, 0, {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=384, si_uid=0, si_status=2, si_utime=0, "
        "si_stime=0}, WEXITED, NULL) = 0")
    assert call(t, waitid, (1, 12345, chld, 5, 0), neg(E.ECHILD)) == \
        f"waitid(P_PID, 12345, {chld:#x}, WNOHANG|WEXITED, NULL) = -1 ECHILD (No child processes)"
    empty = t.put(bytes(128))
    assert call(t, waitid, (0, 0, empty, 5, 0), 0) == "waitid(P_ALL, 0, {}, WNOHANG|WEXITED, NULL) = 0"


def test_ids_flags_and_odd_ones(t: FakeTask) -> None:
    x = t.cstr("/tmp/tr/x")
    assert call(t, sc("chown", "path", "d", "d"), (x, 0xFFFFFFFF, 2**64 - 1), 0) == 'chown("/tmp/tr/x", -1, -1) = 0'
    assert call(t, sc("chown", "path", "d", "d"), (x, 0xFFFFFFFF, 5), 0) == 'chown("/tmp/tr/x", -1, 5) = 0'
    cwd = 2**64 - 100
    assert call(t, sc("renameat2", "atfd", "path", "atfd", "path", "x"), (cwd, x, cwd, x, 1 | 4 | 8), neg(E.EINVAL)) == \
        'renameat2(AT_FDCWD, "/tmp/tr/x", AT_FDCWD, "/tmp/tr/x", RENAME_NOREPLACE|RENAME_WHITEOUT|0x8) = -1 EINVAL (Invalid argument)'
    iov = t.iov((t.put(b", wo"), 4))
    assert call(t, sc("preadv", "fd", "iov_out", "d", "d", "d"), (3, iov, 1, 5, 0), 4) == \
        'preadv(3, [{iov_base=", wo", iov_len=4}], 1, 5) = 4'
    assert call(t, sc("pwritev", "fd", "iov_in", "d", "d", "d"), (3, iov, 1, 2**32, 0), neg(E.EBADF)) == \
        'pwritev(3, [{iov_base=", wo", iov_len=4}], 1, 4294967296) = -1 EBADF (Bad file descriptor)'
    assert call(t, sc("rseq", "p", "u", "x", "x"), (0, 32, 1, 0x53053053), neg(E.EINVAL)) == \
        "rseq(0, 0x20, 0x1, 0x53053053) = -1 EINVAL (Invalid argument)"
    head = t.put(struct.pack("<Q", 0x23A90660))
    ln = t.put(struct.pack("<Q", 24))
    assert call(t, sc("get_robust_list", "d", "p", "p"), (0, head, ln), 0) == "get_robust_list(0, [0x23a90660], [24]) = 0"
    assert call(t, sc("pread64", "fd", "buf_out", "u", "d"), (3, t.put(b"worl"), 4, 7), 4) == 'pread64(3, "worl", 4, 7) = 4'
    assert call(t, sc("mkdirat", "atfd", "path", "mode"), (cwd, x, 0o700), neg(E.EEXIST)) == \
        'mkdirat(AT_FDCWD, "/tmp/tr/x", 0700) = -1 EEXIST (File exists)'
    assert call(t, sc("fchmodat", "atfd", "path", "mode"), (cwd, x, 0o4700), 0) == 'fchmodat(AT_FDCWD, "/tmp/tr/x", 04700) = 0'
    assert call(t, sc("symlinkat", "path", "atfd", "path"), (t.cstr("/a"), cwd, x), neg(E.EEXIST)) == \
        'symlinkat("/a", AT_FDCWD, "/tmp/tr/x") = -1 EEXIST (File exists)'
    t.restart_nr = 76  # type: ignore[attr-defined]
    assert call(t, sc("restart_syscall"), (), neg(E.EINTR)) == \
        "restart_syscall(<... resuming interrupted truncate ...>) = -1 EINTR (Interrupted system call)"
