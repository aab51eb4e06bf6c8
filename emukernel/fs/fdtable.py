"""The file descriptor table (Linux struct files_struct, fs/file.c)."""

from __future__ import annotations

from ..abi import errno as E
from ..errors import Errno
from .file import File
from .locks import has_posix_locks, locks_remove_posix

RLIMIT_NOFILE_DEFAULT = 1024
NR_OPEN = 1 << 20  # Linux sysctl fs.nr_open: no table grows past this
NR_OPEN_DEFAULT = 64  # BITS_PER_LONG: the slots of a new table (files_struct's embedded fdtable)


def fdtable_size(slots_wanted: int) -> int:
    """How many slots Linux's alloc_fdtable gives a table that must hold `slots_wanted` fds."""
    nr = 1 << (slots_wanted // 128).bit_length()  # roundup_pow_of_two(slots_wanted / 128 + 1)
    return min(nr * 128, NR_OPEN)


class FdTable:
    """fd -> open file description, plus each fd's close-on-exec flag.

    `rlimit_nofile` is the RLIMIT_NOFILE soft limit that applies when a caller does not pass its own limit
    (the owner of rlimits may keep it up to date, or pass `limit=`).  `users` counts the tasks sharing the
    table (Linux files_struct.count); the task code maintains it.
    """

    __slots__ = ("_files", "_cloexec", "rlimit_nofile", "users", "max_fds")

    def __init__(self, rlimit_nofile: int = RLIMIT_NOFILE_DEFAULT) -> None:
        self._files: dict[int, File] = {}
        self._cloexec: set[int] = set()
        self.rlimit_nofile = rlimit_nofile
        self.users = 1  # tasks sharing this table (CLONE_FILES); kept by the task code
        self.max_fds = NR_OPEN_DEFAULT  # fdt->max_fds: grows (never shrinks) as higher fds are used

    def _limit(self, limit: int | None) -> int:
        return min(self.rlimit_nofile if limit is None else limit, NR_OPEN)

    # -- allocation -------------------------------------------------------------------------------------
    def alloc_fd(self, min_fd: int = 0, limit: int | None = None) -> int:
        """The lowest free fd >= min_fd; EMFILE when it would reach the limit (Linux alloc_fd)."""
        fd = min_fd
        files = self._files
        while fd in files:
            fd += 1
        if fd >= self._limit(limit):
            raise Errno(E.EMFILE)
        return fd

    def install(self, file: File, cloexec: bool = False, min_fd: int = 0, limit: int | None = None) -> int:
        """Give `file` the lowest free fd >= min_fd and take a reference to it."""
        fd = self.alloc_fd(min_fd, limit)
        self._set(fd, file.get(), cloexec)
        return fd

    def install_at(self, fd: int, file: File, cloexec: bool = False) -> None:
        """Make `fd` (known to be free, e.g. from alloc_fd) refer to `file`, taking a reference."""
        assert fd not in self._files
        self._set(fd, file.get(), cloexec)

    def _set(self, fd: int, file: File, cloexec: bool) -> None:
        if fd >= self.max_fds:
            self.max_fds = fdtable_size(fd + 1)  # expand_fdtable(files, fd) -> alloc_fdtable(fd + 1)
        self._files[fd] = file
        if cloexec:
            self._cloexec.add(fd)
        else:
            self._cloexec.discard(fd)

    # -- access -----------------------------------------------------------------------------------------
    def get(self, fd: int) -> File:
        """The file of `fd`; EBADF if it is not open."""
        f = self._files.get(fd)
        if f is None:
            raise Errno(E.EBADF)
        return f

    def lookup(self, fd: int) -> File | None:
        return self._files.get(fd)

    def __contains__(self, fd: int) -> bool:
        return fd in self._files

    def __len__(self) -> int:
        return len(self._files)

    def fds(self) -> list[int]:
        return sorted(self._files)

    def items(self) -> list[tuple[int, File]]:
        return sorted(self._files.items())

    def get_cloexec(self, fd: int) -> bool:
        self.get(fd)
        return fd in self._cloexec

    def set_cloexec(self, fd: int, on: bool) -> None:
        self.get(fd)
        if on:
            self._cloexec.add(fd)
        else:
            self._cloexec.discard(fd)

    # -- close and dup ----------------------------------------------------------------------------------
    def filp_close(self, f: File) -> None:
        """This table lets go of `f`: its POSIX locks on the file go (whatever fd took them), then the
        reference (Linux filp_close)."""
        if f.inode is not None and has_posix_locks(f.inode):
            locks_remove_posix(f, self)
        f.put()

    def close(self, fd: int) -> None:
        """Close `fd`; EBADF if it is not open (Linux close_fd)."""
        f = self._files.pop(fd, None)
        if f is None:
            raise Errno(E.EBADF)
        self._cloexec.discard(fd)
        self.filp_close(f)

    def dup(self, oldfd: int, min_fd: int = 0, cloexec: bool = False, limit: int | None = None) -> int:
        """dup / F_DUPFD / F_DUPFD_CLOEXEC: the lowest free fd >= min_fd for the file of `oldfd`."""
        return self.install(self.get(oldfd), cloexec, min_fd, limit)

    def dup3(self, oldfd: int, newfd: int, cloexec: bool = False, limit: int | None = None) -> int:
        """Make `newfd` refer to the file of `oldfd`, closing what `newfd` had (Linux do_dup2)."""
        # Linux: fs/file.c ksys_dup3
        if newfd >= self._limit(limit):
            raise Errno(E.EBADF)
        f = self.get(oldfd)
        old = self._files.get(newfd)
        self._set(newfd, f.get(), cloexec)
        if old is not None:
            self.filp_close(old)
        return newfd

    def dup2(self, oldfd: int, newfd: int, limit: int | None = None) -> int:
        """dup2: like dup3 without flags, and oldfd == newfd just checks oldfd (Linux ksys_dup2)."""
        if oldfd == newfd:
            self.get(oldfd)
            return newfd
        return self.dup3(oldfd, newfd, False, limit)

    def close_range(self, first: int, last: int, cloexec: bool = False) -> None:
        """close_range: close (or mark close-on-exec) every open fd in [first, last]."""
        for fd in [fd for fd in self._files if first <= fd <= last]:
            if cloexec:
                self._cloexec.add(fd)
            else:
                self.close(fd)

    # -- fork, exec, exit -------------------------------------------------------------------------------
    def copy(self) -> FdTable:
        """The table of a child forked without CLONE_FILES: same files, same close-on-exec flags."""
        t = FdTable(self.rlimit_nofile)
        for fd, f in self._files.items():
            t._files[fd] = f.get()
        t._cloexec = set(self._cloexec)
        # Linux: fs/file.c dup_fd: the new table is just big enough for the highest open fd (in longs)
        open_files = (max(self._files) // 64 + 1) * 64 if self._files else 0
        if open_files > t.max_fds:
            t.max_fds = fdtable_size(open_files)
        return t

    def close_on_exec(self) -> None:
        """execve: close every fd marked close-on-exec (Linux do_close_on_exec)."""
        for fd in sorted(self._cloexec):
            f = self._files.pop(fd, None)
            if f is not None:
                self.filp_close(f)
        self._cloexec.clear()

    def close_all(self) -> None:
        """exit: close everything (Linux close_files)."""
        files, self._files = self._files, {}
        self._cloexec.clear()
        for _fd, f in sorted(files.items()):
            self.filp_close(f)
