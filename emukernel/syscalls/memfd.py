"""memfd_create and the F_ADD_SEALS/F_GET_SEALS fcntl commands (Linux mm/memfd.c)."""

from __future__ import annotations

from typing import Any

from ..abi import errno as E
from ..abi.fcntl import F_GET_SEALS
from ..abi.resource import RLIMIT_NOFILE
from ..errors import Errno
from ..fs.file import File
from ..fs.tmpfs import (
    F_ALL_SEALS,
    F_SEAL_EXEC,
    F_SEAL_FUTURE_WRITE,
    F_SEAL_GROW,
    F_SEAL_SEAL,
    F_SEAL_SHRINK,
    F_SEAL_WRITE,
    TmpFileHandle,
)
from ..threadgroup import task_rlimit
from . import u32
from .namei import _vfs
from .table import syscall


def memfd_fcntl(task: Any, f: File, cmd: int, arg: int) -> int:
    """F_ADD_SEALS / F_GET_SEALS (Linux mm/memfd.c): tmpfs files have seals; others EINVAL."""
    ino = f.inode if isinstance(f, TmpFileHandle) else None
    if cmd == F_GET_SEALS:
        if ino is None:
            raise Errno(E.EINVAL)
        return ino.seals
    # Linux: mm/memfd.c memfd_add_seals
    seals = u32(arg)
    if not f.writable:
        raise Errno(E.EPERM)
    if seals & ~F_ALL_SEALS:
        raise Errno(E.EINVAL)
    if ino is None:
        raise Errno(E.EINVAL)
    if ino.seals & F_SEAL_SEAL:
        raise Errno(E.EPERM)
    if seals & F_SEAL_WRITE and not ino.seals & F_SEAL_WRITE and not ino.write_sealable():
        raise Errno(E.EBUSY)
    if seals & F_SEAL_EXEC and ino.mode & 0o111:
        seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE
    ino.seals |= seals
    return 0


MFD_CLOEXEC = 0x1
MFD_ALLOW_SEALING = 0x2
MFD_HUGETLB = 0x4
MFD_NOEXEC_SEAL = 0x8
MFD_EXEC = 0x10
MFD_ALL_FLAGS = 0x1F
MFD_HUGE_MASK = 0x3F << 26
MFD_NAME_MAX_LEN = 255 - len("memfd:")


@syscall("memfd_create", "path", "x", ret="fd")
def sys_memfd_create(task: Any, uname: int, flags: int) -> int:
    # Linux: mm/memfd.c memfd_create (sanitize_flags, alloc_name, alloc_file)
    flags = u32(flags)
    if flags & ~(MFD_ALL_FLAGS | (MFD_HUGE_MASK if flags & MFD_HUGETLB else 0)):
        raise Errno(E.EINVAL)
    if flags & MFD_EXEC and flags & MFD_NOEXEC_SEAL:
        raise Errno(E.EINVAL)
    if not flags & (MFD_EXEC | MFD_NOEXEC_SEAL):
        flags |= MFD_EXEC  # vm.memfd_noexec = 0
    try:
        name = task.mm.read_cstring(uname, MFD_NAME_MAX_LEN + 1)
    except Errno as e:
        raise Errno(E.EINVAL if e.errno == E.ENAMETOOLONG else e.errno) from None
    if flags & MFD_HUGETLB:
        raise Errno(E.EINVAL)  # no hugetlbfs
    fd = task.files.alloc_fd(0, task_rlimit(task, RLIMIT_NOFILE))
    f = _vfs(task).memfd_create(task.creds, name, bool(flags & MFD_ALLOW_SEALING), bool(flags & MFD_NOEXEC_SEAL))
    task.files.install_at(fd, f, bool(flags & MFD_CLOEXEC))
    return fd
