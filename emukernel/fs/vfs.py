"""The VFS: the guest's mount namespace and the namespace operations of Linux fs/namei.c and fs/open.c.

Every operation takes the caller's `FsContext` (root, cwd, umask) and credentials, and for *at calls the
directory the name is relative to (`dirpath`, None for the cwd).  The checks run in Linux's order so the guest
sees the errno Linux would give.  Names are bytes, as the guest passed them (without the NUL).
"""

from __future__ import annotations

import itertools
import os
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..abi import errno as E
from ..abi.capability import CAP_CHOWN, CAP_FOWNER, CAP_FSETID, CAP_MKNOD
from ..abi.fcntl import (
    AT_EACCESS,
    AT_EMPTY_PATH,
    AT_SYMLINK_FOLLOW,
    AT_SYMLINK_NOFOLLOW,
    O_ACCMODE,
    O_APPEND,
    O_ASYNC,
    O_CREAT,
    O_DIRECT,
    O_DIRECTORY,
    O_DSYNC,
    O_EXCL,
    O_LARGEFILE,
    O_NOATIME,
    O_NOCTTY,
    O_NOFOLLOW,
    O_NONBLOCK,
    O_PATH,
    O_RDONLY,
    O_RDWR,
    O_TMPFILE,
    O_TRUNC,
    RENAME_EXCHANGE,
    RENAME_NOREPLACE,
    RENAME_WHITEOUT,
    S_IFBLK,
    S_IFCHR,
    S_IFDIR,
    S_IFIFO,
    S_IFLNK,
    S_IFMT,
    S_IFREG,
    S_IFSOCK,
    W_OK,
)
from ..errors import Errno
from .anon import ObjectInode, ObjectSuperBlock
from .devfs import make_devfs
from .fdtable import FdTable
from .file import FMODE_WRITE, FMODE_WRITER, File, PathFile, open_fmode
from .fscontext import FsContext, d_path
from .hostfd import HostFdFile
from .hostfs import HostSuperBlock
from .inode import (
    NAME_MAX,
    S_IRWXUGO,
    S_ISGID,
    S_ISUID,
    S_ISVTX,
    S_IXGRP,
    Dentry,
    allow_write_access,
    d_delete,
    d_instantiate,
    d_lookup,
    d_move,
    deny_write_access,
    get_write_access,
    put_write_access,
    s_isdir,
    s_islnk,
    s_isreg,
)
from .mount import Mount, MountTable, Path, fill_mount_attrs
from .namei import LAST_DOT, LAST_DOTDOT, LAST_NORM, LAST_ROOT, Last, Nameidata
from .permission import (
    MAY_APPEND,
    MAY_CHDIR,
    MAY_EXEC,
    MAY_OPEN,
    MAY_READ,
    MAY_WRITE,
    AccessCreds,
    capable,
    in_group_p,
    init_owner,
    inode_owner_or_capable,
    inode_permission,
    may_create,
    may_delete,
)
from .pipe import fifo_open
from .stat import Kstat, mkdev
from .statfs import statfs_of, statfs_of_file
from .tmpfs import DEFAULT_SIZE_LIMIT, F_SEAL_EXEC, F_SEAL_SEAL, TmpDir, TmpFile, TmpfsSuperBlock

O_SYNC_BIT = 0o4000000  # Linux __O_SYNC
O_TMPFILE_BIT = 0o20000000  # Linux __O_TMPFILE
O_TMPFILE_MASK = O_TMPFILE_BIT | O_DIRECTORY | O_CREAT
# Linux: include/linux/fcntl.h VALID_OPEN_FLAGS (O_CLOEXEC is the fd's business, not the file's)
VALID_OPEN_FLAGS = (
    O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_SYNC_BIT | O_DSYNC | O_ASYNC
    | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_PATH | O_TMPFILE_BIT
)  # fmt: skip
_ACC_MODE = (MAY_READ, MAY_WRITE, MAY_READ | MAY_WRITE, MAY_READ | MAY_WRITE)  # Linux ACC_MODE()
EXEC_READ_MAX = 1 << 30
UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2


class KernelCreds:
    """Credentials of the kernel itself (boot-time set-up, exec of the first program)."""

    uid = gid = euid = egid = suid = sgid = fsuid = fsgid = 0
    groups: tuple[int, ...] = ()

    def capable(self, cap: int) -> bool:
        return True


KERNEL_CREDS = KernelCreds()


def _special(mode: int) -> bool:
    return mode & S_IFMT in (S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK)


def release_exec_file(file: File) -> None:
    """Give back what open_exec took: the write denial and the reference (Linux exe_file_allow_write_access
    + fput)."""
    if file.inode is not None:
        allow_write_access(file.inode)
    file.put()


def _default_random() -> Callable[[int], bytes]:
    return random.Random(0).randbytes


class Vfs:
    """The guest's filesystem namespace.

    root None: a private tmpfs is `/`, holding /tmp (1777) and /dev (our devfs).  root="/some/dir": that host
    directory is `/` (hostfs; /dev is our devfs mounted over the host's /dev when it has one).  `binds` are
    bubblewrap's --bind/--ro-bind: (host path, guest path, read_only), a directory or a single file.
    `stdio` are the host fds that become the guest's fds 0, 1, 2 (see new_fdtable).
    """

    def __init__(self, root: str | None = None, binds: Sequence[tuple[str, str, bool]] = (),
                 stdio: tuple[int, int, int] = (0, 1, 2), clock: Any = None, *,
                 random_bytes: Callable[[int], bytes] | None = None, root_read_only: bool = False,
                 tmpfs_size: int = DEFAULT_SIZE_LIMIT) -> None:  # fmt: skip
        self.now: Callable[[], int] = clock.realtime_ns if clock is not None else time.time_ns
        self._random_bytes = random_bytes or _default_random()
        self.stdio = stdio
        self.tmpfs_size = tmpfs_size
        self.mounts = MountTable()
        self._anon_minor = itertools.count(32)
        self._host_writecount: dict = {}  # i_writecount of host files, shared by every hostfs mount
        self._host_flctx: dict = {}  # and their file locks
        self.kernel: Any = None  # the kernel this namespace belongs to (FIFOs make pipes of it)
        self.fifos: dict = {}  # the pipe of each FIFO in use (Linux inode->i_pipe)
        self._shm_mnt: Mount | None = None  # the internal tmpfs of memfd files (Linux shm_mnt)
        self._object_sb: ObjectSuperBlock | None = None  # where fd links of path-less files lead
        if root is None:
            sb = TmpfsSuperBlock(self._anon_dev(), self.now, tmpfs_size, root_mode=0o755,
                                 random_bytes=self.random_bytes)
            mnt = self.mounts.mount(sb, Dentry(b"", None, sb.root), None, read_only=root_read_only)
            self.root_path = Path(mnt, mnt.root)
            sb.root.mkdir(b"tmp", 0o1777, 0, 0)
            sb.root.mkdir(b"dev", 0o755, 0, 0)
            self._mount_devfs()
        else:
            hsb = HostSuperBlock(root, self.random_bytes, self._host_writecount, self._host_flctx)
            if not s_isdir(hsb.root.mode):
                raise ValueError(f"root {root!r} is not a directory")
            mnt = self.mounts.mount(hsb, Dentry(b"", None, hsb.root), None, read_only=root_read_only)
            self.root_path = Path(mnt, mnt.root)
            try:
                dev = self._kernel_lookup("/dev")
            except Errno:
                dev = None
            if dev is not None and s_isdir(dev.inode.mode):
                self._mount_devfs()
        for host_path, guest_path, read_only in binds:
            self.bind(host_path, guest_path, read_only)

    def random_bytes(self, n: int) -> bytes:
        """The source of /dev/random and /dev/urandom (the kernel's seeded generator when given)."""
        return self._random_bytes(n)

    def set_random_source(self, fn: Callable[[int], bytes]) -> None:
        self._random_bytes = fn

    # -- set-up -----------------------------------------------------------------------------------------
    def _anon_dev(self) -> int:
        return mkdev(0, next(self._anon_minor))  # Linux: fs/super.c get_anon_bdev

    def _mount_devfs(self) -> None:
        sb = make_devfs(mkdev(0, 5), self.now, self.random_bytes)
        self.mounts.mount(sb, Dentry(b"", None, sb.root), self._kernel_lookup("/dev"))

    def _kernel_lookup(self, guest_path: str) -> Path:
        nd = Nameidata(self.mounts, self.root_path, self.root_path, KERNEL_CREDS)
        return nd.resolve_last(nd.walk(os.fsencode(guest_path)), follow=True, want_dir=False)

    def _mountpoint(self, guest_path: str, want_dir: bool) -> Path:
        """The path of mount point `guest_path`, creating what is missing when it would be in a tmpfs."""
        comps = [c for c in os.fsencode(guest_path).split(b"/") if c]
        if not guest_path.startswith("/") or any(c in (b".", b"..") for c in comps):
            raise ValueError(f"mount point {guest_path!r} must be an absolute path without . or ..")
        nd = Nameidata(self.mounts, self.root_path, self.root_path, KERNEL_CREDS)
        p = self.root_path
        for i, c in enumerate(comps):
            last = i == len(comps) - 1
            try:
                p = nd.resolve_last(Last(c, LAST_NORM, False), follow=True, want_dir=False)
            except Errno as e:
                if e.errno != E.ENOENT:
                    raise ValueError(f"mount point {guest_path!r}: {E.NAMES.get(e.errno, e.errno)}") from None
                parent = nd.path
                if not isinstance(parent.inode, TmpDir):
                    raise ValueError(
                        f"mount point {guest_path!r} does not exist in the root and cannot be created there"
                    ) from None
                uid, gid = os.geteuid(), os.getegid()
                if last and not want_dir:
                    inode = parent.inode.create(c, S_IFREG | 0o644, uid, gid)
                else:
                    inode = parent.inode.mkdir(c, S_IFDIR | 0o755, uid, gid)
                p = Path(parent.mnt, d_instantiate(parent.dentry, c, inode))
            if not last:
                if not s_isdir(p.inode.mode):
                    raise ValueError(f"mount point {guest_path!r}: a component is not a directory")
                nd.path = p
        if want_dir != s_isdir(p.inode.mode):
            kind = "a directory" if want_dir else "a file"
            raise ValueError(f"mount point {guest_path!r} must be {kind}, like what is mounted on it")
        return p

    def bind(self, host_path: str, guest_path: str, read_only: bool = False) -> Mount:
        """Mount host directory or file `host_path` at `guest_path` (bubblewrap --bind / --ro-bind)."""
        sb = HostSuperBlock(host_path, self.random_bytes, self._host_writecount, self._host_flctx)
        where = self._mountpoint(guest_path, s_isdir(sb.root.mode))
        return self.mounts.mount(sb, Dentry(b"", None, sb.root), where, read_only)

    def add_host_file(self, guest_path: str, host_path: str) -> Mount:
        """Put host file `host_path` at `guest_path`, read-only, with its host mode (parents are created)."""
        if not os.path.isfile(host_path):
            raise ValueError(f"{host_path!r} is not a regular file")
        return self.bind(host_path, guest_path, read_only=True)

    def mount_tmpfs(self, guest_path: str, mode: int = 0o1777) -> Mount:
        """A fresh tmpfs at `guest_path` (bubblewrap --tmpfs)."""
        sb = TmpfsSuperBlock(self._anon_dev(), self.now, self.tmpfs_size, root_mode=mode,
                             random_bytes=self.random_bytes)
        where = self._mountpoint(guest_path, True)
        return self.mounts.mount(sb, Dentry(b"", None, sb.root), where)

    def new_fs_context(self, cwd: str = "/", umask: int = 0o022) -> FsContext:
        """The FsContext of the first task: root is the namespace root, cwd `cwd` (a guest path)."""
        fs = FsContext(self.root_path, self.root_path, umask)
        fs.cwd = self.lookup(fs, KERNEL_CREDS, None, os.fsencode(cwd), want_dir=True)
        return fs

    def guest_path_of_host_dir(self, host_dir: str) -> str | None:
        """The guest name of host directory `host_dir` when a host mount shows it, else None.

        The mounts are tried newest first (a later mount hides an earlier one); a candidate name counts only if
        looking it up reaches that very host directory, so a place hidden under /dev or /proc never does."""
        try:
            st = os.stat(host_dir)
        except OSError:
            return None
        for m in sorted(self.mounts.all(), key=lambda m: -m.mnt_id):
            if not isinstance(m.sb, HostSuperBlock) or not s_isdir(m.root.inode.mode):
                continue
            rel = os.path.relpath(host_dir, m.sb.host_path)
            if rel == ".." or rel.startswith("../"):
                continue
            where = os.fsdecode(d_path(Path(m, m.root), self.root_path))
            name = where if rel == "." else os.path.join(where, rel)
            try:
                p = self._kernel_lookup(name)
            except Errno:
                continue
            if getattr(p.inode, "key", None) == (st.st_dev, st.st_ino):
                return name
        return None

    def new_fdtable(self) -> FdTable:
        """The fd table of the first task: fds 0, 1, 2 are dups of the host fds given as `stdio`."""
        table = FdTable()
        for fd, host_fd in enumerate(self.stdio):
            try:
                f = HostFdFile(host_fd)
            except OSError:
                continue  # the host has no such fd: the guest's is closed too
            table.install_at(fd, f)
        return table

    new_stdio_table = new_fdtable

    def object_path(self, file: File, name: bytes) -> Path:
        """Where the /proc/PID/fd link of `file`, a file with no path (a pipe, a pidfd...), leads."""
        # Linux: fs/proc/fd.c proc_fd_link: the file's f_path, on the internal mount of its filesystem
        if self._object_sb is None:
            self._object_sb = ObjectSuperBlock(next(self.mounts._ids))
        return self._object_sb.path_of(file, name)

    # -- lookup -----------------------------------------------------------------------------------------
    def _nd(self, fs: FsContext, creds: Any, dirpath: Path | None, resolve: int = 0) -> Nameidata:
        return Nameidata(self.mounts, fs.root, dirpath if dirpath is not None else fs.cwd, creds, resolve)

    def lookup(self, fs: FsContext, creds: Any, dirpath: Path | None, name: bytes, *, follow: bool = True,
               want_dir: bool = False, empty_ok: bool = False) -> Path:  # fmt: skip
        """Resolve `name` (Linux filename_lookup / path_lookupat); an empty name is ENOENT unless empty_ok."""
        # Linux: fs/namei.c path_lookupat
        if not name:
            if not empty_ok:
                raise Errno(E.ENOENT)
            return dirpath if dirpath is not None else fs.cwd
        nd = self._nd(fs, creds, dirpath)
        return nd.resolve_last(nd.walk(name), follow, want_dir)

    def _parentat(self, fs: FsContext, creds: Any, dirpath: Path | None, name: bytes) -> tuple[Path, Last]:
        # Linux: fs/namei.c filename_parentat
        if not name:
            raise Errno(E.ENOENT)
        nd = self._nd(fs, creds, dirpath)
        last = nd.walk(name)
        return nd.path, last

    @staticmethod
    def _lookup_excl(parent: Path, name: bytes) -> Dentry | None:
        """The final name in `parent` without following anything (Linux lookup_one_qstr_excl)."""
        if len(name) > NAME_MAX:
            raise Errno(E.ENAMETOOLONG)
        return d_lookup(parent.dentry, name)

    def _filename_create(self, fs: FsContext, creds: Any, dirpath: Path | None, name: bytes,
                         want_dir: bool) -> tuple[Path, bytes]:  # fmt: skip
        """The parent and the new name for mkdir/symlink/link/mknod: EEXIST, ENOENT, EROFS in Linux's order."""
        # Linux: fs/namei.c filename_create
        parent, last = self._parentat(fs, creds, dirpath, name)
        if last.type != LAST_NORM:
            raise Errno(E.EEXIST)
        if self._lookup_excl(parent, last.name) is not None:
            raise Errno(E.EEXIST)
        if last.trailing and not want_dir:
            raise Errno(E.ENOENT)
        parent.mnt.want_write()
        return parent, last.name

    def getattr(self, path: Path) -> Kstat:
        """stat of a resolved path (Linux vfs_getattr + what vfs_statx adds)."""
        return fill_mount_attrs(path.inode.getattr(), path)

    # -- open -------------------------------------------------------------------------------------------
    @staticmethod
    def build_open_flags(flags: int, mode: int) -> tuple[int, int, int]:
        """Validate open flags: (file flags, create mode, access mask for may_open); EINVAL if invalid."""
        # Linux: fs/open.c build_open_flags
        flags = (flags | O_LARGEFILE) & VALID_OPEN_FLAGS
        if flags & (O_DIRECTORY | O_CREAT) == O_DIRECTORY | O_CREAT:
            raise Errno(E.EINVAL)
        mode = (mode & 0o7777) | S_IFREG if flags & (O_CREAT | O_TMPFILE_BIT) else 0
        if flags & O_SYNC_BIT:
            flags |= O_DSYNC
        acc = _ACC_MODE[flags & O_ACCMODE]
        if flags & O_TMPFILE_BIT:
            if flags & O_TMPFILE_MASK != O_TMPFILE:
                raise Errno(E.EINVAL)
            if not acc & MAY_WRITE:
                raise Errno(E.EINVAL)
        elif flags & O_PATH:
            flags &= O_DIRECTORY | O_NOFOLLOW | O_PATH
            acc = 0
        if flags & O_TRUNC:
            acc |= MAY_WRITE
        if flags & O_APPEND:
            acc |= MAY_APPEND
        return flags, mode, acc

    def open(self, fs: FsContext, creds: Any, dirpath: Path | None, name: bytes, flags: int,
             mode: int = 0) -> File:  # fmt: skip
        """open/openat/creat: the open file description (O_CLOEXEC is for the caller to apply)."""
        flags, mode, acc = self.build_open_flags(flags, mode)
        return self.do_filp_open(fs, creds, dirpath, name, flags, mode, acc)

    def do_filp_open(self, fs: FsContext, creds: Any, dirpath: Path | None, name: bytes, flags: int, mode: int,
                     acc: int, resolve: int = 0) -> File:  # fmt: skip
        """The open of path_openat; `resolve` holds openat2's RESOLVE_* flags."""
        # Linux: fs/namei.c path_openat
        if not name:
            raise Errno(E.ENOENT)
        nd = self._nd(fs, creds, dirpath, resolve)
        if flags & O_TMPFILE_BIT:
            return self._do_tmpfile(nd, fs, name, flags, mode)
        if flags & O_PATH:
            # Linux: fs/namei.c do_o_path: a plain lookup, no permission on the file itself
            p = nd.resolve_last(nd.walk(name), not flags & O_NOFOLLOW, bool(flags & O_DIRECTORY))
            return PathFile(p, p.inode, flags)
        follow = not flags & O_NOFOLLOW
        want_dir = bool(flags & O_DIRECTORY)
        created = False
        last = nd.walk(name)
        while True:
            # Linux: fs/namei.c open_last_lookups
            if last.type != LAST_NORM:
                if last.type == LAST_DOTDOT:
                    nd.follow_dotdot()
                path = nd.path
                break
            if not flags & O_CREAT:
                if last.trailing:
                    follow = want_dir = True
                path = nd.follow_mounts(Path(nd.path.mnt, nd.lookup_child(last.name)))
            else:
                if last.trailing:
                    raise Errno(E.EISDIR)
                if flags & O_EXCL:
                    follow = False
                path, created = self._lookup_open(nd, fs, creds, last.name, flags, mode)
            if follow and not created and s_islnk(path.inode.mode):
                last = nd.follow_link(path)
                continue
            break
        return self._do_open(creds, path, flags, acc, created, want_dir)

    def _lookup_open(self, nd: Nameidata, fs: FsContext, creds: Any, name: bytes, flags: int,
                     mode: int) -> tuple[Path, bool]:  # fmt: skip
        # Linux: fs/namei.c lookup_open (O_CREAT)
        dir = nd.path
        if dir.inode.is_dead():
            raise Errno(E.ENOENT)
        create_error = 0
        if dir.mnt.read_only:
            create_error = E.EROFS
        else:
            try:
                inode_permission(creds, dir.inode, MAY_WRITE | MAY_EXEC)  # may_o_create
            except Errno as e:
                create_error = e.errno
        if len(name) > NAME_MAX:
            raise Errno(E.ENAMETOOLONG)
        d = d_lookup(dir.dentry, name)
        if d is not None:
            return nd.follow_mounts(Path(dir.mnt, d)), False
        if create_error:
            raise Errno(create_error)
        m, uid, gid = init_owner(creds, dir.inode, mode & ~fs.umask)
        inode = dir.inode.create(name, m, uid, gid)
        return Path(dir.mnt, d_instantiate(dir.dentry, name, inode)), True

    def _do_open(self, creds: Any, path: Path, flags: int, acc: int, created: bool, want_dir: bool) -> File:
        # Linux: fs/namei.c do_open
        inode = path.inode
        if flags & O_CREAT:
            if flags & O_EXCL and not created:
                raise Errno(E.EEXIST)
            if s_isdir(inode.mode):
                raise Errno(E.EISDIR)
        if want_dir and not s_isdir(inode.mode):
            raise Errno(E.ENOTDIR)
        do_truncate = False
        if created:
            acc = 0
            flags &= ~O_TRUNC
        elif s_isreg(inode.mode) and flags & O_TRUNC:
            path.mnt.want_write()
            do_truncate = True
        flags = self._may_open(creds, path, acc, flags)
        file = self._dentry_open(path, flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC), creds)
        if do_truncate:
            # Linux: fs/namei.c handle_truncate: ETXTBSY while the file is being executed
            try:
                get_write_access(inode)
                try:
                    inode.truncate(0)
                finally:
                    put_write_access(inode)
            except Errno:
                file.get().put()
                raise
        return file

    def _dentry_open(self, path: Path, flags: int, creds: Any) -> File:
        """The filesystem's open, with the write access a writable regular file takes (ETXTBSY)."""
        # Linux: fs/open.c do_dentry_open (file_get_write_access)
        inode = path.inode
        if isinstance(inode, ObjectInode):
            return inode.open_as(flags, creds)  # the object keeps its own write count (a host stream, a pidfd)
        if inode.mode & S_IFMT == S_IFIFO:
            return fifo_open(self.kernel, self.fifos, path, inode, flags, creds)
        writer = bool(open_fmode(flags) & FMODE_WRITE) and not _special(inode.mode)
        if writer:
            path.mnt.want_write()
            get_write_access(inode)
        try:
            file = inode.open(path, flags)
        except BaseException:
            if writer:
                put_write_access(inode)
            raise
        if writer:
            file.f_mode |= FMODE_WRITER
        return file

    @staticmethod
    def _may_open(creds: Any, path: Path, acc: int, flags: int) -> int:
        # Linux: fs/namei.c may_open
        inode = path.inode
        fmt = inode.mode & S_IFMT
        if fmt == S_IFLNK:
            raise Errno(E.ELOOP)
        if fmt == S_IFDIR:
            if acc & MAY_WRITE:
                raise Errno(E.EISDIR)
            if acc & MAY_EXEC:
                raise Errno(E.EACCES)
        elif fmt != S_IFREG:
            if acc & MAY_EXEC:
                raise Errno(E.EACCES)
            flags &= ~O_TRUNC
        inode_permission(creds, inode, MAY_OPEN | acc)
        if flags & O_NOATIME and not inode_owner_or_capable(creds, inode):
            raise Errno(E.EPERM)
        return flags

    def _do_tmpfile(self, nd: Nameidata, fs: FsContext, name: bytes, flags: int, mode: int) -> File:
        # Linux: fs/namei.c do_tmpfile + vfs_tmpfile
        dir = nd.resolve_last(nd.walk(name), True, True)
        dir.mnt.want_write()
        inode_permission(nd.creds, dir.inode, MAY_WRITE | MAY_EXEC)
        m, uid, gid = init_owner(nd.creds, dir.inode, mode & ~fs.umask)
        inode = dir.inode.tmpfile(m, uid, gid)
        if isinstance(inode, TmpFile) and not flags & O_EXCL:
            inode.linkable = True
        d = Dentry(b"#%d" % inode.ino, dir.dentry, inode)
        d.deleted = True
        path = Path(dir.mnt, d)
        flags = self._may_open(nd.creds, path, 0, flags)
        return self._dentry_open(path, flags, nd.creds)

    def open_exec(self, fs: FsContext, path: bytes | str, creds: Any = None, *, dirfd_file: File | None = None,
                  nofollow: bool = False) -> tuple[File, bytes]:  # fmt: skip
        """The file execve runs and its whole content (Linux do_open_execat's lookup and checks).

        `path` is relative to `dirfd_file` (execveat) or the cwd; `nofollow` is AT_SYMLINK_NOFOLLOW (ELOOP on
        a final symlink).  ENOENT/ENOTDIR/ELOOP/ENAMETOOLONG come from the walk; EACCES for a directory, a
        non-regular file or no execute permission (root needs one x bit); read permission is not needed.
        The file is denied to writers (ETXTBSY) while the caller holds it; the caller owns one reference to
        the returned File and that denial: `release_exec_file(file)` when done with it.
        """
        # Linux: fs/exec.c do_open_execat
        creds = creds if creds is not None else KERNEL_CREDS
        name = os.fsencode(path)
        dirpath = None
        if dirfd_file is not None and name[:1] != b"/":
            if dirfd_file.path is None or not s_isdir(dirfd_file.path.inode.mode):
                raise Errno(E.ENOTDIR)
            dirpath = dirfd_file.path
        flags = O_RDONLY | O_LARGEFILE | (O_NOFOLLOW if nofollow else 0)
        return self._exec_content(self.do_filp_open(fs, creds, dirpath, name, flags, 0, MAY_EXEC))

    def open_exec_file(self, file: File, creds: Any = None) -> tuple[File, bytes]:
        """fexecve / execveat(fd, "", AT_EMPTY_PATH): the file of `file` opened again with exec's checks."""
        # Linux: fs/exec.c do_open_execat with an empty name: the fd's own path
        creds = creds if creds is not None else KERNEL_CREDS
        if file.path is None:
            raise Errno(E.EACCES)  # not a file of this filesystem (a host stdio stream)
        path = file.path
        flags = self._may_open(creds, path, MAY_EXEC, O_RDONLY | O_LARGEFILE)
        return self._exec_content(path.inode.open(path, flags))

    @staticmethod
    def _exec_content(file: File) -> tuple[File, bytes]:
        file.get()
        try:
            if file.inode is None or not s_isreg(file.inode.mode):
                raise Errno(E.EACCES)
            deny_write_access(file.inode)  # Linux do_open_execat: ETXTBSY while open for writing
        except BaseException:
            file.put()
            raise
        try:
            size = file.stat().size
            if size > EXEC_READ_MAX:
                raise Errno(E.EFBIG)
            chunks = []
            offset = 0
            while offset < size:
                chunk = file.pread(size - offset, offset)
                if not chunk:
                    break
                chunks.append(chunk)
                offset += len(chunk)
        except BaseException:
            release_exec_file(file)
            raise
        return file, b"".join(chunks)

    # -- namespace operations ---------------------------------------------------------------------------
    def mkdir(self, fs: FsContext, creds: Any, dirpath: Path | None, name: bytes, mode: int) -> None:
        # Linux: fs/namei.c do_mkdirat + vfs_mkdir
        parent, last = self._filename_create(fs, creds, dirpath, name, want_dir=True)
        may_create(creds, parent.dentry, False)
        m, uid, gid = init_owner(creds, parent.inode, S_IFDIR | (mode & (S_IRWXUGO | S_ISVTX) & ~fs.umask))
        d_instantiate(parent.dentry, last, parent.inode.mkdir(last, m, uid, gid))

    @staticmethod
    def may_mknod(mode: int) -> None:
        """mknod's check of the file type, made before the name is looked at."""
        # Linux: fs/namei.c may_mknod
        fmt = mode & S_IFMT
        if fmt == S_IFDIR:
            raise Errno(E.EPERM)
        if fmt not in (0, S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK):
            raise Errno(E.EINVAL)

    def mknod(self, fs: FsContext, creds: Any, dirpath: Path | None, name: bytes, mode: int, dev: int) -> None:
        """mknod/mknodat: a regular file, FIFO, socket or device node; `dev` is the encoded dev_t."""
        # Linux: fs/namei.c do_mknodat + vfs_create / vfs_mknod
        self.may_mknod(mode)
        parent, last = self._filename_create(fs, creds, dirpath, name, want_dir=False)
        fmt = mode & S_IFMT
        may_create(creds, parent.dentry, False)
        perm = mode & 0o7777 & ~fs.umask
        if fmt in (0, S_IFREG):
            m, uid, gid = init_owner(creds, parent.inode, S_IFREG | perm)
            inode = parent.inode.create(last, m, uid, gid)
        else:
            whiteout = fmt == S_IFCHR and dev == 0  # Linux lets anyone make a whiteout (0:0)
            if fmt in (S_IFCHR, S_IFBLK) and not whiteout and not capable(creds, CAP_MKNOD):
                raise Errno(E.EPERM)
            m, uid, gid = init_owner(creds, parent.inode, fmt | perm)
            inode = parent.inode.mknod(last, m, dev, uid, gid)
        d_instantiate(parent.dentry, last, inode)

    def symlink(self, fs: FsContext, creds: Any, target: bytes, dirpath: Path | None, name: bytes) -> None:
        # Linux: fs/namei.c do_symlinkat + vfs_symlink
        if not target:
            raise Errno(E.ENOENT)
        parent, last = self._filename_create(fs, creds, dirpath, name, want_dir=False)
        may_create(creds, parent.dentry, False)
        _m, uid, gid = init_owner(creds, parent.inode, S_IFLNK | 0o777)
        d_instantiate(parent.dentry, last, parent.inode.symlink(last, target, uid, gid))

    def link(self, fs: FsContext, creds: Any, olddir: Path | None, oldname: bytes, newdir: Path | None,
             newname: bytes, flags: int = 0) -> None:  # fmt: skip
        """linkat: AT_SYMLINK_FOLLOW follows a final symlink of the old name, AT_EMPTY_PATH links olddir itself."""
        # Linux: fs/namei.c do_linkat
        if flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH):
            raise Errno(E.EINVAL)
        # an empty old name (AT_EMPTY_PATH) links the file of olddir itself: Linux allows it to the opener of
        # that file or to CAP_DAC_READ_SEARCH; we do not track who opened a file, so it is allowed
        old = self.lookup(fs, creds, olddir, oldname, follow=bool(flags & AT_SYMLINK_FOLLOW),
                          empty_ok=bool(flags & AT_EMPTY_PATH))  # fmt: skip
        parent, last = self._filename_create(fs, creds, newdir, newname, want_dir=False)
        if old.mnt is not parent.mnt:
            raise Errno(E.EXDEV)
        inode = old.inode
        # Linux: fs/namei.c may_linkat (fs.protected_hardlinks = 1)
        if creds.fsuid != inode.uid and not capable(creds, CAP_FOWNER):
            safe = s_isreg(inode.mode) and not inode.mode & S_ISUID
            safe = safe and (inode.mode & (S_ISGID | S_IXGRP)) != (S_ISGID | S_IXGRP)
            if safe:
                try:
                    inode_permission(creds, inode, MAY_READ | MAY_WRITE)
                except Errno:
                    safe = False
            if not safe:
                raise Errno(E.EPERM)
        # Linux: fs/namei.c vfs_link
        may_create(creds, parent.dentry, False)
        if parent.inode.sb is not inode.sb:
            raise Errno(E.EXDEV)
        if s_isdir(inode.mode):
            raise Errno(E.EPERM)
        if isinstance(inode, TmpFile) and inode.nlink == 0 and not inode.linkable:
            raise Errno(E.ENOENT)
        parent.inode.link(last, inode)
        if isinstance(inode, TmpFile):
            inode.linkable = False
        d_instantiate(parent.dentry, last, inode)

    def unlink(self, fs: FsContext, creds: Any, dirpath: Path | None, name: bytes) -> None:
        # Linux: fs/namei.c do_unlinkat + vfs_unlink
        parent, last = self._parentat(fs, creds, dirpath, name)
        if last.type != LAST_NORM:
            raise Errno(E.EISDIR)
        parent.mnt.want_write()
        d = self._lookup_excl(parent, last.name)
        if last.trailing:
            if d is None:
                raise Errno(E.ENOENT)
            raise Errno(E.EISDIR if s_isdir(d.inode.mode) else E.ENOTDIR)
        may_delete(creds, parent.dentry, d, isdir=False)
        assert d is not None
        if self.mounts.is_mountpoint(d):
            raise Errno(E.EBUSY)
        parent.inode.unlink(last.name, d.inode)
        d_delete(parent.dentry, last.name, d)

    def rmdir(self, fs: FsContext, creds: Any, dirpath: Path | None, name: bytes) -> None:
        # Linux: fs/namei.c do_rmdir + vfs_rmdir
        parent, last = self._parentat(fs, creds, dirpath, name)
        if last.type == LAST_DOTDOT:
            raise Errno(E.ENOTEMPTY)
        if last.type == LAST_DOT:
            raise Errno(E.EINVAL)
        if last.type == LAST_ROOT:
            raise Errno(E.EBUSY)
        parent.mnt.want_write()
        d = self._lookup_excl(parent, last.name)
        if d is None:
            raise Errno(E.ENOENT)
        may_delete(creds, parent.dentry, d, isdir=True)
        if self.mounts.is_mountpoint(d):
            raise Errno(E.EBUSY)
        parent.inode.rmdir(last.name, d.inode)
        d_delete(parent.dentry, last.name, d)

    def rename(self, fs: FsContext, creds: Any, olddir: Path | None, oldname: bytes, newdir: Path | None,
               newname: bytes, flags: int = 0) -> None:  # fmt: skip
        """rename/renameat/renameat2 (RENAME_NOREPLACE, RENAME_EXCHANGE)."""
        # Linux: fs/namei.c do_renameat2
        self.check_rename_flags(creds, flags)
        old_parent, old_last = self._parentat(fs, creds, olddir, oldname)
        new_parent, new_last = self._parentat(fs, creds, newdir, newname)
        if old_parent.mnt is not new_parent.mnt:
            raise Errno(E.EXDEV)
        if old_last.type != LAST_NORM:
            raise Errno(E.EBUSY)
        if new_last.type != LAST_NORM:
            raise Errno(E.EEXIST if flags & RENAME_NOREPLACE else E.EBUSY)
        old_parent.mnt.want_write()
        old = self._lookup_excl(old_parent, old_last.name)
        if old is None:
            raise Errno(E.ENOENT)
        new = self._lookup_excl(new_parent, new_last.name)
        if flags & RENAME_NOREPLACE and new is not None:
            raise Errno(E.EEXIST)
        if flags & RENAME_EXCHANGE:
            if new is None:
                raise Errno(E.ENOENT)
            if not s_isdir(new.inode.mode) and new_last.trailing:
                raise Errno(E.ENOTDIR)
        if not s_isdir(old.inode.mode):
            if old_last.trailing or (not flags & RENAME_EXCHANGE and new_last.trailing):
                raise Errno(E.ENOTDIR)
        # Linux: fs/namei.c lock_rename traps: the source may not be an ancestor of the target...
        op, np = old_parent.dentry, new_parent.dentry
        if op is not np:
            if old.is_ancestor_of(np):
                raise Errno(E.EINVAL)
            # ...and the target may not be an ancestor of the source
            if new is not None and new.is_ancestor_of(op):
                raise Errno(E.EINVAL if flags & RENAME_EXCHANGE else E.ENOTEMPTY)
        self._vfs_rename(creds, old_parent, old, new_parent, new, new_last.name, flags)

    @staticmethod
    def check_rename_flags(creds: Any, flags: int) -> None:
        """renameat2's flag checks, which come before anything about the names."""
        if flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT):
            raise Errno(E.EINVAL)
        if flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) and flags & RENAME_EXCHANGE:
            raise Errno(E.EINVAL)
        if flags & RENAME_WHITEOUT:  # whiteouts are overlayfs' business: not supported here
            raise Errno(E.EINVAL if capable(creds, CAP_MKNOD) else E.EPERM)

    def _vfs_rename(self, creds: Any, old_parent: Path, old: Dentry, new_parent: Path, new: Dentry | None,
                    new_name: bytes, flags: int) -> None:  # fmt: skip
        # Linux: fs/namei.c vfs_rename
        source, target = old.inode, new.inode if new is not None else None
        if target is not None and source.same(target):
            return
        is_dir = s_isdir(source.mode)
        may_delete(creds, old_parent.dentry, old, is_dir)
        new_is_dir = target is not None and s_isdir(target.mode)
        if target is None:
            may_create(creds, new_parent.dentry, False)
        else:
            may_delete(creds, new_parent.dentry, new, new_is_dir if flags & RENAME_EXCHANGE else is_dir)
        if old_parent.dentry is not new_parent.dentry:
            if is_dir:
                inode_permission(creds, source, MAY_WRITE)
            if flags & RENAME_EXCHANGE and new_is_dir and target is not None:
                inode_permission(creds, target, MAY_WRITE)
        if self.mounts.is_mountpoint(old) or (new is not None and self.mounts.is_mountpoint(new)):
            raise Errno(E.EBUSY)
        old_parent.inode.rename(old.name, new_parent.inode, new_name, flags & (RENAME_EXCHANGE | RENAME_NOREPLACE))
        old_name = old.name
        if flags & RENAME_EXCHANGE:
            assert new is not None
            d_move(old, new_parent.dentry, new_name)
            d_move(new, old_parent.dentry, old_name)
        else:
            if new is not None:
                d_delete(new_parent.dentry, new_name, new)
            d_move(old, new_parent.dentry, new_name)

    def readlink(self, fs: FsContext, creds: Any, dirpath: Path | None, name: bytes) -> bytes:
        """readlinkat: EINVAL for a non-symlink, ENOENT for an empty name that is not one (the O_PATH case)."""
        # Linux: fs/stat.c do_readlinkat
        p = self.lookup(fs, creds, dirpath, name, follow=False, empty_ok=True)
        if not s_islnk(p.inode.mode):
            raise Errno(E.EINVAL if name else E.ENOENT)
        return p.inode.readlink()

    def access(self, fs: FsContext, creds: Any, dirpath: Path | None, name: bytes, mode: int,
               flags: int = 0) -> None:  # fmt: skip
        """faccessat2: with the real uid/gid unless AT_EACCESS; EROFS for W_OK on a read-only mount."""
        # Linux: fs/open.c do_faccessat
        self.check_access_args(mode, flags)
        c = creds if flags & AT_EACCESS else AccessCreds(creds)
        p = self.lookup(fs, c, dirpath, name, follow=not flags & AT_SYMLINK_NOFOLLOW,
                        empty_ok=bool(flags & AT_EMPTY_PATH))  # fmt: skip
        inode = p.inode
        inode_permission(c, inode, mode & (MAY_READ | MAY_WRITE | MAY_EXEC))
        if mode & W_OK and not _special(inode.mode) and p.mnt.read_only:
            raise Errno(E.EROFS)

    @staticmethod
    def check_access_args(mode: int, flags: int) -> None:
        """faccessat2's argument checks, which come before the name is read."""
        if mode & ~0o7:
            raise Errno(E.EINVAL)
        if flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
            raise Errno(E.EINVAL)

    # -- attributes -------------------------------------------------------------------------------------
    def chmod(self, creds: Any, path: Path, mode: int) -> None:
        # Linux: fs/open.c chmod_common + fs/attr.c notify_change / setattr_prepare
        path.mnt.want_write()
        inode = path.inode
        if s_islnk(inode.mode):
            raise Errno(E.EOPNOTSUPP)
        if not inode_owner_or_capable(creds, inode):
            raise Errno(E.EPERM)
        mode &= 0o7777
        if not in_group_p(creds, inode.gid) and not capable(creds, CAP_FSETID):
            mode &= ~S_ISGID
        inode.setattr(mode=mode)

    def chown(self, creds: Any, path: Path, uid: int | None, gid: int | None) -> None:
        """chown/fchown/lchown/fchownat: None leaves an id unchanged (the guest's -1)."""
        # Linux: fs/open.c chown_common + fs/attr.c setattr_prepare (chown_ok, chgrp_ok)
        path.mnt.want_write()
        inode = path.inode
        cur_uid, cur_gid, mode = inode.uid, inode.gid, inode.mode
        owner = creds.fsuid == cur_uid
        if uid is not None and not (owner and uid == cur_uid) and not capable(creds, CAP_CHOWN):
            raise Errno(E.EPERM)
        if (
            gid is not None
            and not (owner and (gid == cur_gid or in_group_p(creds, gid)))
            and not capable(creds, CAP_CHOWN)
        ):
            raise Errno(E.EPERM)
        new_mode = None
        if not s_isdir(mode):
            # Linux: ATTR_KILL_SUID / ATTR_KILL_SGID (setattr_should_drop_sgid)
            kill = mode & S_ISUID
            if mode & S_ISGID and (
                mode & S_IXGRP or not (in_group_p(creds, cur_gid) or capable(creds, CAP_FSETID))
            ):
                kill |= S_ISGID
            if kill and not s_islnk(mode):
                new_mode = mode & 0o7777 & ~kill
        inode.setattr(uid=uid, gid=gid)
        if new_mode is not None:
            inode.setattr(mode=new_mode)

    def truncate(self, creds: Any, path: Path, length: int) -> None:
        """truncate(2) of a resolved path (length already checked >= 0)."""
        # Linux: fs/open.c vfs_truncate
        inode = path.inode
        if s_isdir(inode.mode):
            raise Errno(E.EISDIR)
        if not s_isreg(inode.mode):
            raise Errno(E.EINVAL)
        path.mnt.want_write()
        inode_permission(creds, inode, MAY_WRITE)
        get_write_access(inode)  # ETXTBSY while it is being executed
        try:
            inode.truncate(length)
        finally:
            put_write_access(inode)

    def utimes(self, creds: Any, path: Path, times: list[tuple[int, int]] | None) -> None:
        """utimensat on a resolved path: `times` is [(sec, nsec)] * 2 for atime and mtime, where nsec may be
        UTIME_NOW or UTIME_OMIT; None means both now."""
        # Linux: fs/utimes.c vfs_utimes + fs/attr.c notify_change / setattr_prepare
        if times is not None:
            for _sec, nsec in times:
                if nsec not in (UTIME_NOW, UTIME_OMIT) and not 0 <= nsec <= 999_999_999:
                    raise Errno(E.EINVAL)
            if times[0][1] == UTIME_NOW and times[1][1] == UTIME_NOW:
                times = None
        path.mnt.want_write()
        inode = path.inode
        if times is None:  # ATTR_TOUCH: the owner, or anyone who may write the file
            if not inode_owner_or_capable(creds, inode):
                inode_permission(creds, inode, MAY_WRITE)
        elif not inode_owner_or_capable(creds, inode):  # ATTR_TIMES_SET
            raise Errno(E.EPERM)
        now = self.now()

        def pick(t: tuple[int, int] | None) -> int | None:
            if t is None or t[1] == UTIME_NOW:
                return now
            if t[1] == UTIME_OMIT:
                return None
            return t[0] * 1_000_000_000 + t[1]

        inode.set_times(pick(times[0] if times else None), pick(times[1] if times else None), now)

    def statfs(self, path: Path) -> bytes:
        """struct statfs of the filesystem holding `path` (Linux vfs_statfs), with the mount's flags."""
        if isinstance(path.inode, ObjectInode):
            return statfs_of_file(path.inode.file)
        return statfs_of(path.mnt.sb, path.inode, path.mnt.read_only)

    def fstatfs(self, file: File) -> bytes:
        if file.path is not None:
            return self.statfs(file.path)
        return statfs_of_file(file)

    def memfd_create(self, creds: Any, name: bytes, allow_sealing: bool, noexec_seal: bool) -> File:
        """An anonymous tmpfs file named memfd:NAME (Linux shmem_file_setup on the internal shm mount)."""
        # Linux: mm/memfd.c alloc_file
        if self._shm_mnt is None:
            sb = TmpfsSuperBlock(self._anon_dev(), self.now, self.tmpfs_size, root_mode=0o1777,
                                 random_bytes=self.random_bytes)  # fmt: skip
            self._shm_mnt = Mount(sb, Dentry(b"", None, sb.root), None, None, False, next(self.mounts._ids))
        mnt = self._shm_mnt
        inode = TmpFile(mnt.sb, S_IFREG | 0o777, creds.fsuid, creds.fsgid)
        inode.nlink = 0
        if noexec_seal:
            inode.mode &= ~0o111
            inode.seals = (inode.seals & ~F_SEAL_SEAL) | F_SEAL_EXEC
        elif allow_sealing:
            inode.seals &= ~F_SEAL_SEAL
        d = Dentry(b"memfd:" + name, mnt.root, inode)
        d.deleted = True
        # alloc_file_pseudo takes no write access: a memfd open for writing can still be executed
        return inode.open(Path(mnt, d), O_RDWR | O_LARGEFILE)

    def chdir(self, fs: FsContext, creds: Any, path: Path) -> None:
        """chdir/fchdir to a resolved path: ENOTDIR, then EACCES without search permission."""
        # Linux: fs/open.c chdir / fchdir
        if not s_isdir(path.inode.mode):
            raise Errno(E.ENOTDIR)
        inode_permission(creds, path.inode, MAY_EXEC | MAY_CHDIR)
        fs.set_cwd(path)

