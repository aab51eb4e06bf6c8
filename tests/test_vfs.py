"""Unit tests of the VFS (no Unicorn): path walk, confinement, tmpfs, hostfs, devfs, permissions, fd table."""

from __future__ import annotations

import os
import stat as pystat

import pytest
from objects import make_creds

from emukernel.abi import errno as E
from emukernel.abi.fcntl import (
    AT_EACCESS,
    AT_EMPTY_PATH,
    AT_SYMLINK_FOLLOW,
    O_APPEND,
    O_CREAT,
    O_DIRECTORY,
    O_EXCL,
    O_NOFOLLOW,
    O_PATH,
    O_RDONLY,
    O_RDWR,
    O_TMPFILE,
    O_TRUNC,
    O_WRONLY,
    R_OK,
    RENAME_EXCHANGE,
    RENAME_NOREPLACE,
    SEEK_CUR,
    SEEK_DATA,
    SEEK_END,
    SEEK_HOLE,
    SEEK_SET,
    W_OK,
    X_OK,
)
from emukernel.creds import Creds as RealCreds
from emukernel.errors import Errno
from emukernel.fs.fdtable import FdTable
from emukernel.fs.file import File
from emukernel.fs.fscontext import FsContext
from emukernel.fs.stat import dev_major, dev_minor
from emukernel.fs.vfs import KERNEL_CREDS, Vfs

ROOT = KERNEL_CREDS


def Creds(**ids) -> RealCreds:
    """Real credentials of an ordinary user (uid and gid 1000) unless the ids say otherwise."""
    return make_creds(**{"uid": 1000, "gid": 1000, **ids})


class Clock:
    def __init__(self) -> None:
        self.t = 1_700_000_000_000_000_000

    def realtime_ns(self) -> int:
        self.t += 1000
        return self.t


def errno_of(fn, *args, **kw) -> int:
    with pytest.raises(Errno) as ei:
        fn(*args, **kw)
    return ei.value.errno


@pytest.fixture
def vfs() -> Vfs:
    return Vfs(clock=Clock())


@pytest.fixture
def fs(vfs: Vfs) -> FsContext:
    return vfs.new_fs_context()


def lk(vfs: Vfs, fs: FsContext, name: bytes, creds=ROOT, **kw):
    return vfs.lookup(fs, creds, None, name, **kw)


def put(vfs: Vfs, fs: FsContext, name: bytes, data: bytes = b"", mode: int = 0o644, creds=ROOT) -> None:
    f = vfs.open(fs, creds, None, name, O_CREAT | O_WRONLY | O_TRUNC, mode)
    f.write(data)
    f.get().put()


def cat(vfs: Vfs, fs: FsContext, name: bytes, creds=ROOT) -> bytes:
    f = vfs.open(fs, creds, None, name, O_RDONLY)
    data = f.read(1 << 20)
    f.get().put()
    return data


# -- default layout --------------------------------------------------------------------------------------
def test_default_root_has_tmp_and_dev(vfs: Vfs, fs: FsContext) -> None:
    tmp = vfs.getattr(lk(vfs, fs, b"/tmp"))
    assert pystat.S_ISDIR(tmp.mode) and tmp.mode & 0o7777 == 0o1777
    expected = {b"null": (1, 3), b"zero": (1, 5), b"full": (1, 7), b"random": (1, 8), b"urandom": (1, 9)}
    for name, (major, minor) in expected.items():
        k = vfs.getattr(lk(vfs, fs, b"/dev/" + name))
        assert pystat.S_ISCHR(k.mode) and k.mode & 0o777 == 0o666
        assert (dev_major(k.rdev), dev_minor(k.rdev)) == (major, minor)
    assert vfs.getattr(lk(vfs, fs, b"/dev")).dev != vfs.getattr(lk(vfs, fs, b"/")).dev


def test_dev_devices(vfs: Vfs, fs: FsContext) -> None:
    null = vfs.open(fs, ROOT, None, b"/dev/null", O_RDWR)
    assert null.read(100) == b"" and null.write(b"abc") == 3
    assert null.lseek(10, SEEK_SET) == 0
    zero = vfs.open(fs, ROOT, None, b"/dev/zero", O_RDWR)
    assert zero.read(5) == b"\0" * 5 and zero.write(b"x") == 1
    full = vfs.open(fs, ROOT, None, b"/dev/full", O_RDWR)
    assert full.read(3) == b"\0\0\0"
    assert errno_of(full.write, b"x") == E.ENOSPC
    v2 = Vfs(random_bytes=lambda n: bytes(range(n)))
    u = v2.open(v2.new_fs_context(), ROOT, None, b"/dev/urandom", O_RDONLY)
    assert u.read(4) == b"\0\1\2\3"


def test_random_is_deterministic_by_default() -> None:
    a, b = Vfs(), Vfs()
    ra = a.open(a.new_fs_context(), ROOT, None, b"/dev/random", O_RDONLY).read(16)
    rb = b.open(b.new_fs_context(), ROOT, None, b"/dev/random", O_RDONLY).read(16)
    assert ra == rb and len(ra) == 16


# -- path walk -------------------------------------------------------------------------------------------
def test_dotdot_at_root_stays(vfs: Vfs, fs: FsContext) -> None:
    root = lk(vfs, fs, b"/")
    assert lk(vfs, fs, b"/../../..") == root
    assert lk(vfs, fs, b"../../tmp/../..") == root
    assert lk(vfs, fs, b"/tmp/../../../tmp") == lk(vfs, fs, b"/tmp")


def test_dotdot_crosses_mount_upwards(vfs: Vfs, fs: FsContext) -> None:
    assert lk(vfs, fs, b"/dev/..") == lk(vfs, fs, b"/")
    assert lk(vfs, fs, b"/dev/shm/../../tmp") == lk(vfs, fs, b"/tmp")


def test_symlinks_relative_absolute_and_loop(vfs: Vfs, fs: FsContext) -> None:
    vfs.mkdir(fs, ROOT, None, b"/tmp/d", 0o755)
    put(vfs, fs, b"/tmp/d/f", b"data")
    vfs.symlink(fs, ROOT, b"d/f", None, b"/tmp/rel")
    vfs.symlink(fs, ROOT, b"/tmp/d", None, b"/tmp/abs")
    vfs.symlink(fs, ROOT, b"loop", None, b"/tmp/loop")
    assert cat(vfs, fs, b"/tmp/rel") == b"data"
    assert cat(vfs, fs, b"/tmp/abs/f") == b"data"
    assert errno_of(lk, vfs, fs, b"/tmp/loop") == E.ELOOP
    # lstat semantics: the link itself unless a slash follows
    assert pystat.S_ISLNK(vfs.getattr(lk(vfs, fs, b"/tmp/abs", follow=False)).mode)
    assert pystat.S_ISDIR(vfs.getattr(lk(vfs, fs, b"/tmp/abs/", follow=False)).mode)


def test_maxsymlinks_is_40(vfs: Vfs, fs: FsContext) -> None:
    put(vfs, fs, b"/tmp/l0", b"end")
    for i in range(1, 42):
        vfs.symlink(fs, ROOT, b"l%d" % (i - 1), None, b"/tmp/l%d" % i)
    assert cat(vfs, fs, b"/tmp/l40") == b"end"  # 40 links followed
    assert errno_of(cat, vfs, fs, b"/tmp/l41") == E.ELOOP


def test_walk_errnos(vfs: Vfs, fs: FsContext) -> None:
    put(vfs, fs, b"/tmp/file")
    assert errno_of(lk, vfs, fs, b"/tmp/file/x") == E.ENOTDIR
    assert errno_of(lk, vfs, fs, b"/tmp/file/") == E.ENOTDIR
    assert errno_of(lk, vfs, fs, b"/tmp/nope/x") == E.ENOENT
    assert errno_of(lk, vfs, fs, b"") == E.ENOENT
    assert errno_of(lk, vfs, fs, b"/tmp/" + b"a" * 256) == E.ENAMETOOLONG
    assert errno_of(lk, vfs, fs, b"/tmp/" + b"a" * 255) == E.ENOENT
    assert errno_of(lk, vfs, fs, b"/tmp/file", want_dir=True) == E.ENOTDIR


def test_search_permission(vfs: Vfs, fs: FsContext) -> None:
    user = Creds()
    vfs.mkdir(fs, ROOT, None, b"/tmp/closed", 0o700)
    put(vfs, fs, b"/tmp/closed/f")
    assert errno_of(lk, vfs, fs, b"/tmp/closed/f", user) == E.EACCES
    assert errno_of(lk, vfs, fs, b"/tmp/closed/nonexistent", user) == E.EACCES
    assert lk(vfs, fs, b"/tmp/closed", user)  # the directory itself is visible


# -- confinement on a host root --------------------------------------------------------------------------
@pytest.fixture
def hostile(tmp_path):
    """base/secret.txt beside base/root; inside root, links that try to climb out."""
    base = tmp_path / "base"
    root = base / "root"
    (root / "etc").mkdir(parents=True)
    (root / "sub" / "deep").mkdir(parents=True)
    (root / "dev").mkdir()
    (root / "etc" / "passwd").write_text("guest passwd\n")
    (base / "secret.txt").write_text("SECRET\n")
    (base / "other").mkdir()
    (base / "other" / "inside").write_text("bound\n")
    os.symlink("../../..", root / "esc")
    os.symlink("/etc", root / "abs")
    os.symlink("../../../../etc/passwd", root / "dd")
    os.symlink("../secret.txt", root / "up")
    os.symlink("sub/deep/c2", root / "c1")
    os.symlink("../../c3", root / "sub" / "deep" / "c2")
    os.symlink("../../../secret.txt", root / "c3")
    os.symlink(str(base / "secret.txt"), root / "hostabs")
    return base, root


def test_hostile_links_stay_inside_root(hostile) -> None:
    base, root = hostile
    vfs = Vfs(root=str(root))
    fs = vfs.new_fs_context()
    secret_ino = os.stat(base / "secret.txt").st_ino
    root_ino = os.stat(root).st_ino
    # `esc` -> ../../.. is the guest root
    assert vfs.getattr(lk(vfs, fs, b"/esc")).ino == root_ino
    assert vfs.getattr(lk(vfs, fs, b"/esc/esc/..")).ino == root_ino
    assert cat(vfs, fs, b"/esc/etc/passwd") == b"guest passwd\n"
    for name in (b"/esc/secret.txt", b"/../secret.txt", b"/up", b"/c1", b"/hostabs", b"/sub/../../secret.txt",
                 b"/sub/deep/../../../../../secret.txt", b"/esc/../secret.txt"):  # fmt: skip
        assert errno_of(cat, vfs, fs, name) == E.ENOENT, name
    # absolute targets restart at the guest root
    assert cat(vfs, fs, b"/abs/passwd") == b"guest passwd\n"
    assert cat(vfs, fs, b"/dd") == b"guest passwd\n"
    # nothing anywhere resolves to the secret's inode
    for name in (b"/esc", b"/up", b"/c1", b"/hostabs", b"/dd"):
        try:
            assert vfs.getattr(lk(vfs, fs, name)).ino != secret_ino
        except Errno:
            pass
    # O_NOFOLLOW on a host symlink: ELOOP, never the target
    assert errno_of(vfs.open, fs, ROOT, None, b"/hostabs", O_RDONLY | O_NOFOLLOW) == E.ELOOP


def test_cwd_dotdot_and_relative_links_in_host_root(hostile) -> None:
    base, root = hostile
    vfs = Vfs(root=str(root))
    fs = vfs.new_fs_context(cwd="/sub/deep")
    assert fs.getcwd() == b"/sub/deep"
    assert errno_of(cat, vfs, fs, b"../../../secret.txt") == E.ENOENT
    assert cat(vfs, fs, b"../../../../etc/passwd") == b"guest passwd\n"
    assert vfs.getattr(lk(vfs, fs, b"c2", follow=False)).mode & 0o170000 == 0o120000


def test_bind_mount_dotdot_goes_to_guest_parent(hostile) -> None:
    base, root = hostile
    vfs = Vfs(binds=[(str(base / "other"), "/mnt/b", False)])
    fs = vfs.new_fs_context()
    assert cat(vfs, fs, b"/mnt/b/inside") == b"bound\n"
    assert lk(vfs, fs, b"/mnt/b/..") == lk(vfs, fs, b"/mnt")
    assert errno_of(cat, vfs, fs, b"/mnt/b/../secret.txt") == E.ENOENT
    assert errno_of(cat, vfs, fs, b"/mnt/b/../../secret.txt") == E.ENOENT


def test_host_symlink_swapped_in_after_lookup_cannot_escape(hostile) -> None:
    base, root = hostile
    vfs = Vfs(root=str(root))
    fs = vfs.new_fs_context(cwd="/sub")
    # the guest's cwd is pinned; a host process swaps a directory on the way for a link to the outside
    os.rename(root / "sub" / "deep", root / "sub" / "deep.old")
    os.symlink(str(base), root / "sub" / "deep")
    assert errno_of(cat, vfs, fs, b"deep/secret.txt") == E.ENOENT  # the link is walked in the guest root
    os.symlink(str(base / "secret.txt"), root / "sub" / "leaf")
    assert errno_of(vfs.open, fs, ROOT, None, b"leaf", O_RDONLY | O_NOFOLLOW) == E.ELOOP


def test_bind_requires_existing_mountpoint_on_host_root(hostile) -> None:
    base, root = hostile
    with pytest.raises(ValueError, match="does not exist"):
        Vfs(root=str(root), binds=[(str(base / "other"), "/nope/here", True)])
    vfs = Vfs(root=str(root), binds=[(str(base / "other"), "/sub", True)])
    fs = vfs.new_fs_context()
    assert cat(vfs, fs, b"/sub/inside") == b"bound\n"
    # /dev is our devfs over the host's /dev
    assert pystat.S_ISCHR(vfs.getattr(lk(vfs, fs, b"/dev/null")).mode)


def test_read_only_bind_gives_erofs(hostile) -> None:
    base, root = hostile
    vfs = Vfs(binds=[(str(base / "other"), "/ro", True)])
    fs = vfs.new_fs_context()
    assert cat(vfs, fs, b"/ro/inside") == b"bound\n"
    assert errno_of(vfs.open, fs, ROOT, None, b"/ro/inside", O_WRONLY) == E.EROFS
    assert errno_of(vfs.open, fs, ROOT, None, b"/ro/new", O_CREAT | O_WRONLY, 0o644) == E.EROFS
    assert errno_of(vfs.mkdir, fs, ROOT, None, b"/ro/d", 0o755) == E.EROFS
    assert errno_of(vfs.mkdir, fs, ROOT, None, b"/ro/inside", 0o755) == E.EEXIST  # EEXIST first
    assert errno_of(vfs.unlink, fs, ROOT, None, b"/ro/inside") == E.EROFS
    assert errno_of(vfs.symlink, fs, ROOT, b"x", None, b"/ro/l") == E.EROFS
    assert errno_of(vfs.rename, fs, ROOT, None, b"/ro/inside", None, b"/ro/x") == E.EROFS
    assert errno_of(vfs.chmod, ROOT, lk(vfs, fs, b"/ro/inside"), 0o600) == E.EROFS
    assert errno_of(vfs.truncate, ROOT, lk(vfs, fs, b"/ro/inside"), 0) == E.EROFS
    assert errno_of(vfs.access, fs, ROOT, None, b"/ro/inside", W_OK) == E.EROFS
    assert errno_of(vfs.open, fs, ROOT, None, b"/ro/inside", O_RDONLY | O_TRUNC) == E.EROFS
    assert (base / "other" / "inside").read_text() == "bound\n"


def test_writable_bind_writes_host(hostile) -> None:
    base, _root = hostile
    vfs = Vfs(binds=[(str(base / "other"), "/rw", False)])
    fs = vfs.new_fs_context()
    fs.umask = 0o077
    put(vfs, fs, b"/rw/new", b"hello", mode=0o666)
    assert (base / "other" / "new").read_bytes() == b"hello"
    assert os.stat(base / "other" / "new").st_mode & 0o777 == 0o600
    vfs.mkdir(fs, ROOT, None, b"/rw/d", 0o777)
    vfs.rename(fs, ROOT, None, b"/rw/new", None, b"/rw/d/moved")
    assert (base / "other" / "d" / "moved").read_bytes() == b"hello"
    vfs.symlink(fs, ROOT, b"d/moved", None, b"/rw/link")
    assert os.readlink(base / "other" / "link") == "d/moved"
    assert cat(vfs, fs, b"/rw/link") == b"hello"
    vfs.link(fs, ROOT, None, b"/rw/d/moved", None, b"/rw/hard")
    assert os.stat(base / "other" / "hard").st_nlink == 2
    vfs.unlink(fs, ROOT, None, b"/rw/hard")
    assert errno_of(vfs.rmdir, fs, ROOT, None, b"/rw/d") == E.ENOTEMPTY
    vfs.unlink(fs, ROOT, None, b"/rw/d/moved")
    vfs.rmdir(fs, ROOT, None, b"/rw/d")
    assert not (base / "other" / "d").exists()
    assert errno_of(vfs.rename, fs, ROOT, None, b"/rw/link", None, b"/tmp/link") == E.EXDEV


def test_hostfs_stat_matches_host(hostile) -> None:
    _base, root = hostile
    vfs = Vfs(root=str(root))
    fs = vfs.new_fs_context()
    k = vfs.getattr(lk(vfs, fs, b"/etc/passwd"))
    st = os.stat(root / "etc" / "passwd")
    assert (k.ino, k.dev, k.mode, k.size, k.nlink, k.uid, k.gid) == (
        st.st_ino, st.st_dev, st.st_mode, st.st_size, st.st_nlink, st.st_uid, st.st_gid)  # fmt: skip
    assert k.mtime_ns == st.st_mtime_ns


def test_hostfs_getdents_and_cwd_removed(hostile) -> None:
    _base, root = hostile
    vfs = Vfs(root=str(root))
    fs = vfs.new_fs_context()
    d = vfs.open(fs, ROOT, None, b"/sub", O_RDONLY | O_DIRECTORY)
    names = set()
    raw = d.getdents64(4096)
    off = 0
    while off < len(raw):
        reclen = int.from_bytes(raw[off + 16 : off + 18], "little")
        names.add(raw[off + 19 : off + reclen].rstrip(b"\0"))
        off += reclen
    assert names == {b".", b"..", b"deep"}
    os.mkdir(root / "gone")
    fs2 = vfs.new_fs_context(cwd="/gone")
    os.rmdir(root / "gone")
    assert errno_of(fs2.getcwd) == E.ENOENT


# -- add_host_file and exec ------------------------------------------------------------------------------
def test_add_host_file_and_open_exec(tmp_path) -> None:
    prog = tmp_path / "prog"
    prog.write_bytes(b"\x7fELF-not-really")
    prog.chmod(0o755)
    vfs = Vfs()
    vfs.add_host_file("/build/x", str(prog))
    fs = vfs.new_fs_context()
    k = vfs.getattr(lk(vfs, fs, b"/build/x"))
    assert k.mode & 0o777 == 0o755 and k.size == len(b"\x7fELF-not-really")
    f, data = vfs.open_exec(fs, "/build/x")
    assert data == b"\x7fELF-not-really"
    f.put()
    f, data = vfs.open_exec(fs, "/build/x", Creds())
    f.put()
    assert errno_of(vfs.open, fs, ROOT, None, b"/build/x", O_WRONLY) == E.EROFS
    assert errno_of(vfs.unlink, fs, ROOT, None, b"/build/x") == E.EBUSY


def test_open_exec_errnos(vfs: Vfs, fs: FsContext) -> None:
    put(vfs, fs, b"/tmp/noexec", b"x", mode=0o644)
    put(vfs, fs, b"/tmp/userexec", b"x", mode=0o744)
    assert errno_of(vfs.open_exec, fs, "/tmp/missing") == E.ENOENT
    assert errno_of(vfs.open_exec, fs, "/tmp/noexec/x") == E.ENOTDIR
    assert errno_of(vfs.open_exec, fs, "/tmp") == E.EACCES
    assert errno_of(vfs.open_exec, fs, "/dev/null") == E.EACCES
    assert errno_of(vfs.open_exec, fs, "/tmp/noexec") == E.EACCES  # root needs one x bit
    assert errno_of(vfs.open_exec, fs, "/tmp/userexec", Creds()) == E.EACCES
    f, data = vfs.open_exec(fs, "/tmp/userexec")
    f.put()
    assert data == b"x"
    vfs.chmod(ROOT, lk(vfs, fs, b"/tmp/noexec"), 0o111)  # execute-only: no read needed
    f, data = vfs.open_exec(fs, "/tmp/noexec", Creds())
    f.put()
    assert data == b"x"


# -- tmpfs files -----------------------------------------------------------------------------------------
def test_tmpfs_sparse_truncate_seek(vfs: Vfs, fs: FsContext) -> None:
    f = vfs.open(fs, ROOT, None, b"/tmp/s", O_CREAT | O_RDWR, 0o600)
    assert f.pwrite(b"abc", 10) == 3
    assert f.pread(100, 0) == b"\0" * 10 + b"abc"
    k = f.stat()
    assert k.size == 13 and k.blocks == 8 and k.blksize == 4096
    f.truncate(1 << 20)
    assert f.stat().size == 1 << 20 and f.stat().blocks == 8  # the extension is a hole
    assert f.lseek(0, SEEK_DATA) == 0
    assert f.lseek(0, SEEK_HOLE) == 4096
    assert f.lseek(5000, SEEK_HOLE) == 5000
    assert errno_of(f.lseek, 5000, SEEK_DATA) == E.ENXIO
    assert errno_of(f.lseek, 1 << 20, SEEK_HOLE) == E.ENXIO
    assert f.lseek(-4, SEEK_END) == (1 << 20) - 4
    assert f.lseek(2, SEEK_CUR) == (1 << 20) - 2
    assert errno_of(f.lseek, -1, SEEK_SET) == E.EINVAL
    f.truncate(2)
    assert f.pread(10, 0) == b"\0\0"
    g = vfs.open(fs, ROOT, None, b"/tmp/s", O_WRONLY | O_APPEND)
    g.lseek(0, SEEK_SET)
    g.write(b"Z")
    assert f.pread(10, 0) == b"\0\0Z"


def test_tmpfs_attributes(vfs: Vfs, fs: FsContext) -> None:
    user = Creds(fsuid=1234, fsgid=99)
    vfs.mkdir(fs, ROOT, None, b"/tmp/d", 0o777)
    dstat = vfs.getattr(lk(vfs, fs, b"/tmp/d"))
    assert dstat.nlink == 2 and dstat.mode & 0o777 == 0o755  # umask 022
    vfs.chmod(ROOT, lk(vfs, fs, b"/tmp/d"), 0o777)
    vfs.mkdir(fs, user, None, b"/tmp/d/sub", 0o777)
    assert vfs.getattr(lk(vfs, fs, b"/tmp/d")).nlink == 3
    sub = vfs.getattr(lk(vfs, fs, b"/tmp/d/sub"))
    assert (sub.uid, sub.gid) == (1234, 99)
    before = vfs.getattr(lk(vfs, fs, b"/tmp/d")).mtime_ns
    put(vfs, fs, b"/tmp/d/f", b"12345")
    k = vfs.getattr(lk(vfs, fs, b"/tmp/d/f"))
    assert k.size == 5 and k.nlink == 1 and k.atime_ns and k.btime_ns
    assert vfs.getattr(lk(vfs, fs, b"/tmp/d")).mtime_ns > before
    vfs.link(fs, ROOT, None, b"/tmp/d/f", None, b"/tmp/d/g")
    assert vfs.getattr(lk(vfs, fs, b"/tmp/d/f")).nlink == 2
    # setgid directories pass their group on
    vfs.mkdir(fs, ROOT, None, b"/tmp/sg", 0o777)
    vfs.chown(ROOT, lk(vfs, fs, b"/tmp/sg"), None, 4242)
    vfs.chmod(ROOT, lk(vfs, fs, b"/tmp/sg"), 0o2777)
    vfs.mkdir(fs, user, None, b"/tmp/sg/x", 0o755)
    x = vfs.getattr(lk(vfs, fs, b"/tmp/sg/x"))
    assert x.gid == 4242 and x.mode & 0o2000


def test_tmpfs_size_limit() -> None:
    vfs = Vfs(tmpfs_size=8192)
    fs = vfs.new_fs_context()
    f = vfs.open(fs, ROOT, None, b"/tmp/big", O_CREAT | O_RDWR, 0o600)
    f.write(b"x" * 8000)
    assert errno_of(f.pwrite, b"y", 1 << 40) == E.ENOSPC
    f.truncate(0)  # gives the space back
    assert f.pwrite(b"x" * 8000, 0) == 8000


def test_open_errnos(vfs: Vfs, fs: FsContext) -> None:
    put(vfs, fs, b"/tmp/f")
    o = vfs.open
    assert errno_of(o, fs, ROOT, None, b"/tmp/f", O_CREAT | O_EXCL | O_WRONLY, 0o644) == E.EEXIST
    assert errno_of(o, fs, ROOT, None, b"/tmp", O_WRONLY) == E.EISDIR
    assert errno_of(o, fs, ROOT, None, b"/tmp", O_RDONLY | O_TRUNC) == E.EISDIR
    assert errno_of(o, fs, ROOT, None, b"/tmp", O_CREAT | O_RDONLY, 0) == E.EISDIR
    assert errno_of(o, fs, ROOT, None, b"/tmp/new/", O_CREAT | O_RDWR, 0) == E.EISDIR
    assert errno_of(o, fs, ROOT, None, b"/tmp/f", O_RDONLY | O_DIRECTORY) == E.ENOTDIR
    assert errno_of(o, fs, ROOT, None, b"/tmp/f/", O_RDONLY) == E.ENOTDIR
    assert errno_of(o, fs, ROOT, None, b"/tmp/x", O_CREAT | O_DIRECTORY | O_RDWR, 0) == E.EINVAL
    assert errno_of(o, fs, ROOT, None, b"/tmp/missing", O_RDONLY) == E.ENOENT
    vfs.symlink(fs, ROOT, b"f", None, b"/tmp/l")
    assert errno_of(o, fs, ROOT, None, b"/tmp/l", O_RDONLY | O_NOFOLLOW) == E.ELOOP
    assert o(fs, ROOT, None, b"/tmp/l", O_PATH | O_NOFOLLOW).is_path
    # O_CREAT through a dangling symlink creates the target; with O_EXCL it is EEXIST
    vfs.symlink(fs, ROOT, b"target", None, b"/tmp/dangling")
    assert errno_of(o, fs, ROOT, None, b"/tmp/dangling", O_CREAT | O_EXCL | O_WRONLY, 0o600) == E.EEXIST
    o(fs, ROOT, None, b"/tmp/dangling", O_CREAT | O_WRONLY, 0o600)
    assert pystat.S_ISREG(vfs.getattr(lk(vfs, fs, b"/tmp/target")).mode)


def test_o_tmpfile_and_linkat(vfs: Vfs, fs: FsContext) -> None:
    f = vfs.open(fs, ROOT, None, b"/tmp", O_TMPFILE | O_RDWR, 0o600)
    f.write(b"anon")
    assert f.stat().nlink == 0
    assert errno_of(vfs.open, fs, ROOT, None, b"/tmp", O_TMPFILE | O_RDONLY, 0o600) == E.EINVAL
    vfs.link(fs, ROOT, f.path, b"", None, b"/tmp/named", AT_EMPTY_PATH)
    assert cat(vfs, fs, b"/tmp/named") == b"anon"


def test_permissions(vfs: Vfs, fs: FsContext) -> None:
    user = Creds()
    other = Creds(uid=2000, fsuid=2000, euid=2000, gid=2000, fsgid=2000)
    put(vfs, fs, b"/tmp/secret", b"s", mode=0o600)
    assert errno_of(vfs.open, fs, user, None, b"/tmp/secret", O_RDONLY) == E.EACCES
    assert cat(vfs, fs, b"/tmp/secret") == b"s"  # root bypasses read
    put(vfs, fs, b"/tmp/mine", b"m", mode=0o644, creds=user)
    assert errno_of(vfs.open, fs, other, None, b"/tmp/mine", O_WRONLY) == E.EACCES
    # the sticky /tmp: only the owner (or the dir owner, or root) removes
    assert errno_of(vfs.unlink, fs, other, None, b"/tmp/mine") == E.EPERM
    assert errno_of(vfs.rename, fs, other, None, b"/tmp/mine", None, b"/tmp/x") == E.EPERM
    vfs.unlink(fs, user, None, b"/tmp/mine")
    # group permissions by supplementary group
    put(vfs, fs, b"/tmp/grp", b"g", mode=0o640)
    vfs.chown(ROOT, lk(vfs, fs, b"/tmp/grp"), None, 777)
    assert errno_of(cat, vfs, fs, b"/tmp/grp", user) == E.EACCES
    assert cat(vfs, fs, b"/tmp/grp", Creds(groups=(777,))) == b"g"
    # chmod: owner or root only; chown: root only
    assert errno_of(vfs.chmod, user, lk(vfs, fs, b"/tmp/grp"), 0o777) == E.EPERM
    assert errno_of(vfs.chown, user, lk(vfs, fs, b"/tmp/grp"), 1000, None) == E.EPERM


def test_access_uses_real_ids_unless_eaccess(vfs: Vfs, fs: FsContext) -> None:
    put(vfs, fs, b"/tmp/r", b"", mode=0o600)  # root's
    setuid_root = Creds(uid=1000, euid=0, fsuid=0)
    assert errno_of(vfs.access, fs, setuid_root, None, b"/tmp/r", R_OK) == E.EACCES
    vfs.access(fs, setuid_root, None, b"/tmp/r", R_OK, AT_EACCESS)
    vfs.access(fs, ROOT, None, b"/tmp/r", R_OK | W_OK)
    assert errno_of(vfs.access, fs, ROOT, None, b"/tmp/r", X_OK) == E.EACCES
    assert errno_of(vfs.access, fs, ROOT, None, b"/tmp/r", 8) == E.EINVAL


def test_chown_clears_setuid(vfs: Vfs, fs: FsContext) -> None:
    put(vfs, fs, b"/tmp/su", mode=0o755)
    p = lk(vfs, fs, b"/tmp/su")
    vfs.chmod(ROOT, p, 0o6755)
    vfs.chown(ROOT, p, 5, 5)
    k = vfs.getattr(p)
    assert (k.uid, k.gid, k.mode & 0o7777) == (5, 5, 0o755)
    vfs.symlink(fs, ROOT, b"su", None, b"/tmp/sl")
    assert errno_of(vfs.chmod, ROOT, lk(vfs, fs, b"/tmp/sl", follow=False), 0o700) == E.EOPNOTSUPP


# -- rename, unlink, rmdir ---------------------------------------------------------------------------------
def test_rename_semantics(vfs: Vfs, fs: FsContext) -> None:
    r = vfs.rename
    vfs.mkdir(fs, ROOT, None, b"/tmp/a", 0o755)
    vfs.mkdir(fs, ROOT, None, b"/tmp/a/b", 0o755)
    vfs.mkdir(fs, ROOT, None, b"/tmp/full", 0o755)
    put(vfs, fs, b"/tmp/full/x")
    put(vfs, fs, b"/tmp/f1", b"one")
    put(vfs, fs, b"/tmp/f2", b"two")
    assert errno_of(r, fs, ROOT, None, b"/tmp/a", None, b"/tmp/a/b/c") == E.EINVAL
    assert errno_of(r, fs, ROOT, None, b"/tmp/a/b", None, b"/tmp/a") == E.ENOTEMPTY
    assert errno_of(r, fs, ROOT, None, b"/tmp/a", None, b"/tmp/full") == E.ENOTEMPTY
    assert errno_of(r, fs, ROOT, None, b"/tmp/f1", None, b"/tmp/a") == E.EISDIR
    assert errno_of(r, fs, ROOT, None, b"/tmp/a", None, b"/tmp/f1") == E.ENOTDIR
    assert errno_of(r, fs, ROOT, None, b"/tmp/f1", None, b"/tmp/f2", RENAME_NOREPLACE) == E.EEXIST
    assert errno_of(r, fs, ROOT, None, b"/tmp/f1/", None, b"/tmp/f9") == E.ENOTDIR
    assert errno_of(r, fs, ROOT, None, b"/tmp/.", None, b"/tmp/z") == E.EBUSY
    assert errno_of(r, fs, ROOT, None, b"/tmp/nope", None, b"/tmp/z") == E.ENOENT
    assert errno_of(r, fs, ROOT, None, b"/tmp/f1", None, b"/dev/f1") == E.EXDEV
    assert errno_of(r, fs, ROOT, None, b"/tmp/f1", None, b"/tmp/f2", RENAME_EXCHANGE | RENAME_NOREPLACE) == E.EINVAL
    assert errno_of(r, fs, ROOT, None, b"/tmp/f1", None, b"/tmp/none", RENAME_EXCHANGE) == E.ENOENT
    r(fs, ROOT, None, b"/tmp/f1", None, b"/tmp/f2", RENAME_EXCHANGE)
    assert cat(vfs, fs, b"/tmp/f1") == b"two" and cat(vfs, fs, b"/tmp/f2") == b"one"
    r(fs, ROOT, None, b"/tmp/f1", None, b"/tmp/f2")
    assert cat(vfs, fs, b"/tmp/f2") == b"two"
    assert errno_of(lk, vfs, fs, b"/tmp/f1") == E.ENOENT
    vfs.link(fs, ROOT, None, b"/tmp/f2", None, b"/tmp/h")
    r(fs, ROOT, None, b"/tmp/f2", None, b"/tmp/h")  # same inode: nothing happens
    assert cat(vfs, fs, b"/tmp/f2") == b"two"
    assert errno_of(r, fs, ROOT, None, b"/dev", None, b"/devx") == E.EBUSY  # a mount point


def test_rename_moves_cwd_and_rmdir_makes_it_unreachable(vfs: Vfs, fs: FsContext) -> None:
    vfs.mkdir(fs, ROOT, None, b"/tmp/a", 0o755)
    vfs.mkdir(fs, ROOT, None, b"/tmp/a/b", 0o755)
    vfs.chdir(fs, ROOT, lk(vfs, fs, b"/tmp/a/b"))
    vfs.rename(fs, ROOT, None, b"/tmp/a", None, b"/moved")
    assert fs.getcwd() == b"/moved/b"
    child = fs.copy()
    vfs.rmdir(fs, ROOT, None, b"/moved/b")
    assert errno_of(fs.getcwd) == E.ENOENT and errno_of(child.getcwd) == E.ENOENT
    assert errno_of(vfs.open, fs, ROOT, None, b"new", O_CREAT | O_WRONLY, 0o644) == E.ENOENT
    assert errno_of(vfs.mkdir, fs, ROOT, None, b"new", 0o755) == E.ENOENT
    assert lk(vfs, fs, b"..") == lk(vfs, fs, b"/moved")


def test_unlink_rmdir_mkdir_errnos(vfs: Vfs, fs: FsContext) -> None:
    put(vfs, fs, b"/tmp/f")
    vfs.mkdir(fs, ROOT, None, b"/tmp/d", 0o755)
    assert errno_of(vfs.unlink, fs, ROOT, None, b"/tmp/d") == E.EISDIR
    assert errno_of(vfs.unlink, fs, ROOT, None, b"/tmp/f/") == E.ENOTDIR
    assert errno_of(vfs.unlink, fs, ROOT, None, b"/tmp/.") == E.EISDIR
    assert errno_of(vfs.unlink, fs, ROOT, None, b"/tmp/none") == E.ENOENT
    assert errno_of(vfs.rmdir, fs, ROOT, None, b"/tmp/f") == E.ENOTDIR
    assert errno_of(vfs.rmdir, fs, ROOT, None, b"/tmp/d/.") == E.EINVAL
    assert errno_of(vfs.rmdir, fs, ROOT, None, b"/tmp/d/..") == E.ENOTEMPTY
    assert errno_of(vfs.rmdir, fs, ROOT, None, b"/") == E.EBUSY
    assert errno_of(vfs.rmdir, fs, ROOT, None, b"/dev") == E.EBUSY
    assert errno_of(vfs.mkdir, fs, ROOT, None, b"/", 0o755) == E.EEXIST
    assert errno_of(vfs.mkdir, fs, ROOT, None, b"/tmp/f", 0o755) == E.EEXIST
    assert errno_of(vfs.symlink, fs, ROOT, b"x", None, b"/tmp/new/") == E.ENOENT
    assert errno_of(vfs.symlink, fs, ROOT, b"", None, b"/tmp/new") == E.ENOENT
    assert errno_of(vfs.link, fs, ROOT, None, b"/tmp/d", None, b"/tmp/dl") == E.EPERM
    assert errno_of(vfs.link, fs, ROOT, None, b"/tmp/f", None, b"/tmp/x", 0x1) == E.EINVAL
    vfs.symlink(fs, ROOT, b"f", None, b"/tmp/sl")
    vfs.link(fs, ROOT, None, b"/tmp/sl", None, b"/tmp/sl2")  # the link itself
    assert pystat.S_ISLNK(vfs.getattr(lk(vfs, fs, b"/tmp/sl2", follow=False)).mode)
    vfs.link(fs, ROOT, None, b"/tmp/sl", None, b"/tmp/f2", AT_SYMLINK_FOLLOW)
    assert pystat.S_ISREG(vfs.getattr(lk(vfs, fs, b"/tmp/f2", follow=False)).mode)
    vfs.rmdir(fs, ROOT, None, b"/tmp/d/")
    assert vfs.readlink(fs, ROOT, None, b"/tmp/sl") == b"f"
    assert errno_of(vfs.readlink, fs, ROOT, None, b"/tmp/f") == E.EINVAL


def test_unlinked_open_file_keeps_data(vfs: Vfs, fs: FsContext) -> None:
    f = vfs.open(fs, ROOT, None, b"/tmp/u", O_CREAT | O_RDWR, 0o600).get()
    f.write(b"still here")
    vfs.unlink(fs, ROOT, None, b"/tmp/u")
    assert f.pread(100, 0) == b"still here" and f.stat().nlink == 0
    sb = f.inode.sb
    used = sb.used
    f.put()
    assert sb.used == used - len(b"still here")


# -- fd table --------------------------------------------------------------------------------------------
class Counted(File):
    released = 0

    def release(self) -> None:
        Counted.released += 1


def test_fdtable_lowest_free_emfile_and_dups() -> None:
    t = FdTable()
    f = Counted(None, None, O_RDONLY)
    assert [t.install(f) for _ in range(3)] == [0, 1, 2]
    t.close(1)
    assert t.install(f) == 1
    assert t.install(f, min_fd=10) == 10
    assert errno_of(t.get, 5) == E.EBADF
    assert errno_of(t.close, 5) == E.EBADF
    assert t.dup2(0, 0) == 0
    assert errno_of(t.dup2, 7, 7) == E.EBADF
    assert t.dup3(0, 20, cloexec=True) == 20 and t.get_cloexec(20)
    assert t.dup2(0, 20) == 20 and not t.get_cloexec(20)
    assert errno_of(t.dup3, 0, 1024) == E.EBADF
    for _ in range(1024 - len(t)):
        t.install(f)
    assert errno_of(t.install, f) == E.EMFILE
    assert errno_of(t.dup, 0) == E.EMFILE


def test_fdtable_fork_exec_exit_refcounts() -> None:
    Counted.released = 0
    t = FdTable()
    a, b = Counted(None, None, O_RDONLY), Counted(None, None, O_RDONLY)
    t.install(a)
    t.install(b, cloexec=True)
    child = t.copy()
    assert child.get_cloexec(1)
    t.close_on_exec()
    assert 1 not in t and Counted.released == 0  # the child still holds b
    child.close_all()
    assert Counted.released == 1 and len(child) == 0
    t.close_all()
    assert Counted.released == 2


def test_fs_context_copy_is_independent(vfs: Vfs, fs: FsContext) -> None:
    child = fs.copy()
    vfs.chdir(child, ROOT, lk(vfs, fs, b"/tmp"))
    child.set_umask(0o077)
    assert fs.getcwd() == b"/" and child.getcwd() == b"/tmp" and fs.umask == 0o022
    assert errno_of(vfs.chdir, fs, ROOT, lk(vfs, fs, b"/dev/null")) == E.ENOTDIR
    vfs.mkdir(fs, ROOT, None, b"/tmp/nox", 0o600)
    assert errno_of(vfs.chdir, fs, Creds(), lk(vfs, fs, b"/tmp/nox")) == E.EACCES
