"""Unit tests of the fsmore work without Unicorn: ETXTBSY (i_writecount), mknod, record locks, tmpfs storage
shared with host mappings and seals, statfs, utimes and fallocate on hostfs, openat2's checks, getdents."""

from __future__ import annotations

import ctypes
import os
import stat as pystat
import struct
from dataclasses import dataclass, field
from typing import Any

import pytest
from test_fs_syscalls import Creds, FakeKernel, FakeMM, make_task, sc

from emukernel.abi import errno as E
from emukernel.abi.fcntl import (
    AT_FDCWD,
    F_GETLK,
    F_SETLK,
    O_CREAT,
    O_RDONLY,
    O_RDWR,
    O_TRUNC,
    O_WRONLY,
    S_IFCHR,
    S_IFIFO,
    S_IFREG,
)
from emukernel.errors import Errno
from emukernel.fs.file import FMODE_WRITER
from emukernel.fs.fscontext import FsContext
from emukernel.fs.locks import (
    F_RDLCK,
    F_UNLCK,
    F_WRLCK,
    FL_POSIX,
    OFFSET_MAX,
    FileLock,
    LockConflict,
    posix_lock,
)
from emukernel.fs.stat import mkdev
from emukernel.fs.statfs import STATFS, TMPFS_MAGIC
from emukernel.fs.tmpfs import F_SEAL_GROW, F_SEAL_SHRINK, F_SEAL_WRITE, TmpFile
from emukernel.fs.vfs import KERNEL_CREDS, Vfs, release_exec_file
from emukernel.syscalls import load_all
from emukernel.syscalls.locks import FLOCK
from emukernel.syscalls.namei import new_decode_dev
from emukernel.syscalls.readdir import dirents_from64

load_all()  # registers the handlers

ROOT = KERNEL_CREDS


def errno_of(fn, *args, **kw) -> int:
    with pytest.raises(Errno) as ei:
        fn(*args, **kw)
    return ei.value.errno


def put(vfs: Vfs, fs: FsContext, name: bytes, data: bytes = b"", mode: int = 0o755) -> None:
    f = vfs.open(fs, ROOT, None, name, O_CREAT | O_WRONLY | O_TRUNC, mode)
    f.write(data)
    f.get().put()


# -- ETXTBSY --------------------------------------------------------------------------------------------------
def test_exec_denies_writers_and_writers_deny_exec() -> None:
    vfs = Vfs()
    fs = vfs.new_fs_context()
    put(vfs, fs, b"/tmp/prog", b"\x7fELF...")
    exe, data = vfs.open_exec(fs, "/tmp/prog")
    assert data == b"\x7fELF..."
    assert errno_of(vfs.open, fs, ROOT, None, b"/tmp/prog", O_WRONLY) == E.ETXTBSY
    assert errno_of(vfs.open, fs, ROOT, None, b"/tmp/prog", O_RDONLY | O_TRUNC) == E.ETXTBSY
    path = vfs.lookup(fs, ROOT, None, b"/tmp/prog")
    assert errno_of(vfs.truncate, ROOT, path, 0) == E.ETXTBSY
    reader = vfs.open(fs, ROOT, None, b"/tmp/prog", O_RDONLY)  # reading is fine
    reader.get().put()
    exe2, _ = vfs.open_exec(fs, "/tmp/prog")  # two executions of one file
    release_exec_file(exe)
    assert errno_of(vfs.open, fs, ROOT, None, b"/tmp/prog", O_RDWR) == E.ETXTBSY
    release_exec_file(exe2)
    w = vfs.open(fs, ROOT, None, b"/tmp/prog", O_RDWR)
    assert w.f_mode & FMODE_WRITER
    assert errno_of(vfs.open_exec, fs, "/tmp/prog") == E.ETXTBSY
    w.get().put()
    exe3, _ = vfs.open_exec(fs, "/tmp/prog")
    release_exec_file(exe3)
    assert not path.inode.sb.writecount  # every count went back to zero


def test_a_failed_open_gives_write_access_back() -> None:
    vfs = Vfs()
    fs = vfs.new_fs_context()
    put(vfs, fs, b"/tmp/f", b"x")
    vfs.open(fs, ROOT, None, b"/tmp/f", O_RDWR).get().put()
    assert not vfs.lookup(fs, ROOT, None, b"/tmp/f").inode.sb.writecount


def test_hostfs_write_denial_is_shared_by_two_mounts_of_one_file(tmp_path) -> None:
    host = tmp_path / "prog"
    host.write_bytes(b"#!/bin/sh\n")
    host.chmod(0o755)
    (tmp_path / "bin2").write_bytes(b"")
    vfs = Vfs(root=str(tmp_path), binds=[(str(host), "/bin2", False)])
    fs = vfs.new_fs_context()
    exe, _ = vfs.open_exec(fs, "/prog")
    assert errno_of(vfs.open, fs, ROOT, None, b"/bin2", O_WRONLY) == E.ETXTBSY
    release_exec_file(exe)
    vfs.open(fs, ROOT, None, b"/bin2", O_WRONLY).get().put()


class _FakeCpu:
    def hook_mem_invalid(self, fn: Any) -> None:
        pass

    def unmap(self, addr: int, size: int) -> None:
        pass


def test_the_address_space_holds_its_executable() -> None:
    from emukernel.mm import AddressSpace

    vfs = Vfs()
    fs = vfs.new_fs_context()
    put(vfs, fs, b"/tmp/prog", b"code")
    exe, _ = vfs.open_exec(fs, "/tmp/prog")
    mm = AddressSpace(_FakeCpu())
    mm.set_exe_file(exe)
    release_exec_file(exe)  # the exec is over: the mm's hold remains
    assert exe.refs == 1
    assert errno_of(vfs.open, fs, ROOT, None, b"/tmp/prog", O_WRONLY) == E.ETXTBSY
    mm.release()
    assert mm.exe is None and exe.refs == 0
    vfs.open(fs, ROOT, None, b"/tmp/prog", O_WRONLY).get().put()


# -- mknod ----------------------------------------------------------------------------------------------------
def test_mknod_types_and_privilege() -> None:
    t = make_task()
    assert sc(t, "mknod", t.mm.cstr("/tmp/fifo"), S_IFIFO | 0o644, 0) == 0
    st = t.kernel.vfs.lookup(t.fs, ROOT, None, b"/tmp/fifo").inode.getattr()
    assert pystat.S_ISFIFO(st.mode) and st.mode & 0o777 == 0o644 and st.rdev == 0
    assert sc(t, "mknodat", AT_FDCWD, t.mm.cstr("/tmp/null"), S_IFCHR | 0o666, (1 << 8) | 3) == 0
    node = t.kernel.vfs.lookup(t.fs, ROOT, None, b"/tmp/null").inode
    assert node.getattr().rdev == mkdev(1, 3)
    f = t.kernel.vfs.open(t.fs, ROOT, None, b"/tmp/null", O_WRONLY)
    assert f.write(b"gone") == 4
    assert sc(t, "mknod", t.mm.cstr("/tmp/odd"), S_IFCHR | 0o666, (240 << 8) | 1) == 0
    assert errno_of(t.kernel.vfs.open, t.fs, ROOT, None, b"/tmp/odd", O_RDONLY) == E.ENXIO
    t.creds = Creds(uid=1000, gid=1000, euid=1000, egid=1000, fsuid=1000, fsgid=1000)
    assert sc(t, "mknod", t.mm.cstr("/tmp/dev2"), S_IFCHR | 0o600, (1 << 8) | 3) == -E.EPERM
    assert sc(t, "mknod", t.mm.cstr("/tmp/whiteout"), S_IFCHR | 0o600, 0) == 0  # a whiteout is for anyone
    assert sc(t, "mknod", t.mm.cstr("/tmp/r"), S_IFREG | 0o600, 0) == 0
    assert sc(t, "mknod", 0, 0o040755, 0) == -E.EPERM  # type first, then the (bad) name
    assert sc(t, "mknod", 0, S_IFIFO, 0) == -E.EFAULT


def test_new_decode_dev() -> None:
    assert new_decode_dev((8 << 8) | 1) == mkdev(8, 1)
    assert new_decode_dev(0x12345678) == mkdev(0x456, 0x12378)


def test_hostfs_mknod_fifo_but_no_devices(tmp_path) -> None:
    vfs = Vfs(root=str(tmp_path))
    fs = vfs.new_fs_context()
    vfs.mknod(fs, ROOT, None, b"/f", S_IFIFO | 0o600, 0)
    assert pystat.S_ISFIFO(os.lstat(tmp_path / "f").st_mode)
    assert errno_of(vfs.mknod, fs, ROOT, None, b"/c", S_IFCHR | 0o600, mkdev(1, 3)) == E.EPERM
    assert not (tmp_path / "c").exists()


# -- record locks ---------------------------------------------------------------------------------------------
class _F:
    """Just enough of a File for the lock code: an inode and a locks_held flag."""

    def __init__(self, inode: Any) -> None:
        self.inode = inode
        self.locks_held = False


def _lock(f: _F, owner: object, type: int, start: int, end: int) -> None:
    posix_lock(f, FileLock(owner, f, type, start, end, None, FL_POSIX))


def _ranges(inode: Any) -> list[tuple[str, int, int]]:
    ctx = inode.sb.flctx.get(inode.write_key())
    return [("RWU"[fl.type], fl.start, fl.end) for fl in ctx.posix] if ctx else []


def test_posix_locks_merge_split_and_conflict() -> None:
    vfs = Vfs()
    fs = vfs.new_fs_context()
    put(vfs, fs, b"/tmp/l")
    inode = vfs.lookup(fs, ROOT, None, b"/tmp/l").inode
    f = _F(inode)
    a, b = object(), object()
    _lock(f, a, F_WRLCK, 0, 9)
    _lock(f, a, F_WRLCK, 10, 19)  # adjacent: merged
    assert _ranges(inode) == [("W", 0, 19)]
    _lock(f, a, F_RDLCK, 5, 7)  # another type inside: split in three
    assert _ranges(inode) == [("W", 0, 4), ("R", 5, 7), ("W", 8, 19)]
    _lock(f, b, F_RDLCK, 6, 6)  # shares the read lock
    with pytest.raises(LockConflict) as ci:
        _lock(f, b, F_WRLCK, 6, 6)
    assert ci.value.blocker.owner is a and ci.value.blocker.type == F_RDLCK
    with pytest.raises(LockConflict):
        _lock(f, b, F_RDLCK, 0, 0)
    _lock(f, a, F_UNLCK, 0, OFFSET_MAX)
    assert _ranges(inode) == [("R", 6, 6)]
    _lock(f, b, F_UNLCK, 0, OFFSET_MAX)
    assert not inode.sb.flctx  # an empty context is dropped


@dataclass
class _LockTask:
    kernel: FakeKernel
    mm: FakeMM = field(default_factory=FakeMM)
    creds: Creds = field(default_factory=Creds)
    files: Any = None
    fs: Any = None
    tg: Any = None
    pid: Any = None

    def signal_interrupts(self) -> bool:
        return False


def test_fcntl_locks_per_fd_table_and_close_drops_them() -> None:
    from emukernel.pidns import PidNamespace
    from emukernel.threadgroup import ThreadGroup

    vfs = Vfs(stdio=())
    ns = PidNamespace()
    tasks = []
    for _ in range(2):
        t = _LockTask(FakeKernel(vfs))
        t.files = vfs.new_fdtable()
        t.fs = vfs.new_fs_context()
        t.pid = ns.alloc_pid()
        t.tg = ThreadGroup(t.pid, t)  # a real (small) process
        tasks.append(t)
    t1, t2 = tasks
    fd1 = sc(t1, "open", t1.mm.cstr("/tmp/rl"), O_CREAT | O_RDWR, 0o644)
    fd2 = sc(t2, "open", t2.mm.cstr("/tmp/rl"), O_RDWR, 0)
    fl = t1.mm.buf(FLOCK.pack(F_WRLCK, 0, 10, 5, 0))
    assert sc(t1, "fcntl", fd1, F_SETLK, fl) == 0
    q = t2.mm.buf(FLOCK.pack(F_RDLCK, 0, 0, 0, 0))
    assert sc(t2, "fcntl", fd2, F_GETLK, q) == 0
    assert FLOCK.unpack(t2.mm.read(q, FLOCK.size)) == (F_WRLCK, 0, 10, 5, t1.pid.nr_in(ns))
    assert sc(t2, "fcntl", fd2, F_SETLK, t2.mm.buf(FLOCK.pack(F_RDLCK, 0, 12, 1, 0))) == -E.EAGAIN
    other = sc(t1, "open", t1.mm.cstr("/tmp/rl"), O_RDONLY, 0)
    assert sc(t1, "close", other) == 0  # closing any fd of the file drops t1's locks
    assert sc(t2, "fcntl", fd2, F_SETLK, t2.mm.buf(FLOCK.pack(F_RDLCK, 0, 12, 1, 0))) == 0
    assert sc(t2, "flock", fd2, 2 | 4) == 0
    assert sc(t1, "flock", fd1, 1 | 4) == -E.EWOULDBLOCK


# -- tmpfs storage: host memfd, seals -------------------------------------------------------------------------
def _tmpfile(vfs: Vfs, fs: FsContext, name: bytes) -> Any:
    f = vfs.open(fs, ROOT, None, name, O_CREAT | O_RDWR, 0o644)
    return f


def test_tmpfs_file_shares_memory_with_a_mapping() -> None:
    vfs = Vfs()
    fs = vfs.new_fs_context()
    f = _tmpfile(vfs, fs, b"/tmp/m")
    f.write(b"hello world")
    ino: TmpFile = f.inode
    block = f.map_shared(0, 8192, 3)
    try:
        assert ino.hfd >= 0 and ctypes.string_at(block.base, 11) == b"hello world"
        ino.truncate(8192)
        ctypes.memmove(block.base + 4096, b"via map", 7)
        assert ino.read_at(4096, 7) == b"via map"
        assert f.pwrite(b"HELLO", 0) == 5
        assert ctypes.string_at(block.base, 5) == b"HELLO"
        ino.truncate(3)
        assert ctypes.string_at(block.base, 8) == b"HEL\0\0\0\0\0"  # what the truncate cut reads as zeros
        ino.truncate(20)
        assert ino.read_at(0, 20) == b"HEL" + bytes(17)
        assert ino.blocks() == 8
    finally:
        ctypes.CDLL(None).munmap(ctypes.c_void_p(block.base), ctypes.c_size_t(block.size))
        f.get().put()


def test_seal_grow_writes_whole_pages_up_to_the_end() -> None:
    vfs = Vfs()
    fs = vfs.new_fs_context()
    f = _tmpfile(vfs, fs, b"/tmp/s")
    ino: TmpFile = f.inode
    ino.truncate(5000)
    ino.seals = F_SEAL_GROW
    assert ino.write_at(3000, b"x" * 4000) == 4096 - 3000  # the page that crosses the end fails
    assert errno_of(ino.write_at, 5000, b"y") == E.EPERM
    assert errno_of(ino.truncate, 6000) == E.EPERM
    ino.seals = F_SEAL_SHRINK
    assert errno_of(ino.truncate, 10) == E.EPERM
    ino.seals = F_SEAL_WRITE
    assert errno_of(ino.write_at, 0, b"z") == E.EPERM
    f.get().put()


def test_memfd_create_file() -> None:
    t = make_task()
    fd = sc(t, "memfd_create", t.mm.cstr("buf"), 0x2)
    f = t.files.get(fd)
    k = f.stat()
    assert pystat.S_ISREG(k.mode) and k.mode & 0o7777 == 0o777 and k.nlink == 0
    assert f.path.dentry.name == b"memfd:buf" and not f.f_mode & FMODE_WRITER
    assert sc(t, "fcntl", fd, 1034, 0) == 0
    assert sc(t, "fcntl", fd, 1033, F_SEAL_WRITE) == 0
    assert sc(t, "write", fd, t.mm.buf(b"x"), 1) == -E.EPERM
    assert sc(t, "memfd_create", t.mm.cstr("b" * 250), 0) == -E.EINVAL
    assert sc(t, "memfd_create", t.mm.cstr("b" * 249), 0) >= 0


# -- statfs, utimes, fallocate --------------------------------------------------------------------------------
def test_statfs_tmpfs_and_hostfs(tmp_path) -> None:
    t = make_task()
    buf = t.mm.alloc(STATFS.size)
    assert sc(t, "statfs", t.mm.cstr("/tmp"), buf) == 0
    fields = STATFS.unpack(t.mm.read(buf, STATFS.size))
    assert fields[0] == TMPFS_MAGIC and fields[1] == 4096 and fields[9] == 255 and fields[2] > 0
    (tmp_path / "ro").mkdir()
    vfs = Vfs(root=str(tmp_path), binds=[(str(tmp_path / "ro"), "/ro", True)], stdio=())
    h = make_task(vfs)
    assert sc(h, "statfs", h.mm.cstr("/"), buf) == 0
    fields = STATFS.unpack(h.mm.read(buf, STATFS.size))
    sv = os.statvfs(tmp_path)
    assert fields[1] == sv.f_bsize and fields[9] == sv.f_namemax and not fields[11] & 1
    assert sc(h, "statfs", h.mm.cstr("/ro"), buf) == 0
    assert STATFS.unpack(h.mm.read(buf, STATFS.size))[11] & 1  # ST_RDONLY of the bind


def test_utimes_and_fallocate_on_hostfs(tmp_path) -> None:
    (tmp_path / "f").write_bytes(b"abc")
    tmp_path.chmod(0o755)
    vfs = Vfs(root=str(tmp_path), stdio=())
    t = make_task(vfs)
    ts = t.mm.buf(struct.pack("<qqqq", 1000, 5, 2000, (1 << 30) - 2))
    assert sc(t, "utimensat", AT_FDCWD, t.mm.cstr("/f"), ts, 0) == 0
    st = os.stat(tmp_path / "f")
    assert st.st_atime_ns == 1000 * 10**9 + 5 and st.st_mtime_ns != 2000 * 10**9
    fd = sc(t, "open", t.mm.cstr("/f"), O_RDWR, 0)
    assert sc(t, "fallocate", fd, 0, 0, 10000) == 0
    assert os.stat(tmp_path / "f").st_size == 10000
    t.creds = Creds(uid=1000, gid=1000, euid=1000, egid=1000, fsuid=1000, fsgid=1000)
    assert sc(t, "utimensat", AT_FDCWD, t.mm.cstr("/f"), ts, 0) == -E.EPERM
    assert sc(t, "utimensat", AT_FDCWD, t.mm.cstr("/f"), 0, 0) == -E.EACCES


# -- openat2 --------------------------------------------------------------------------------------------------
def test_openat2_argument_checks() -> None:
    t = make_task()
    name = t.mm.cstr("/tmp")
    how = t.mm.buf(struct.pack("<QQQ", 0o200000, 0, 0))
    assert sc(t, "openat2", AT_FDCWD, name, how, 16) == -E.EINVAL
    assert sc(t, "openat2", AT_FDCWD, name, how, 5000) == -E.E2BIG
    fd = sc(t, "openat2", AT_FDCWD, name, how, 24)
    assert fd >= 0
    assert sc(t, "openat2", fd, t.mm.cstr("../.."), t.mm.buf(struct.pack("<QQQ", 0o200000, 0, 0x08)), 24) == -E.EXDEV
    assert sc(t, "openat2", fd, t.mm.cstr("/dev"), t.mm.buf(struct.pack("<QQQ", 0o200000, 0, 0x01)), 24) == -E.EXDEV
    assert sc(t, "openat2", AT_FDCWD, name, t.mm.buf(struct.pack("<QQQ", 0, 0o644, 0)), 24) == -E.EINVAL


def test_getdents_records_match_getdents64_sizes() -> None:
    from emukernel.fs.file import pack_dirent64

    data = pack_dirent64(7, 1, 4, b".") + pack_dirent64(9, 2, 8, b"a-longer-name")
    old = dirents_from64(data)
    assert len(old) == len(data)
    ino, off, reclen = struct.unpack_from("<QqH", old, 0)
    assert (ino, off, reclen, old[reclen - 1]) == (7, 1, 24, 4)
    assert old[18:20] == b".\0"
    second = old[reclen:]
    assert second[18:32] == b"a-longer-name\0" and second[-1] == 8
