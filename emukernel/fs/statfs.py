"""statfs(2) and fstatfs(2): struct statfs of a filesystem (Linux fs/statfs.c and each ->statfs).

tmpfs reports its size limit and what it holds (shmem_statfs); hostfs asks the host (fstatfs of the pinned
descriptor) and adds ST_RDONLY for a read-only bind; pseudo filesystems answer like simple_statfs (the magic
number, PAGE_SIZE blocks, NAME_MAX, zeros).  Files that are not in the namespace (pipes, anonymous-inode
files, pidfds) report their internal filesystem; a host stdio stream reports the host's.
"""

from __future__ import annotations

import ctypes
import struct
from typing import Any

from ..abi import errno as E
from ..errors import Errno
from .hostfd import HostFdFile
from .pidfd import PidFd
from .pipe import PipeFile

# x86-64 struct statfs: f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid[2], f_namelen,
# f_frsize, f_flags, f_spare[4]
STATFS = struct.Struct("<qqQQQQQiiqqq32x")
assert STATFS.size == 120

# fmt: off
TMPFS_MAGIC         = 0x01021994
PROC_SUPER_MAGIC    = 0x9FA0
CGROUP2_SUPER_MAGIC = 0x63677270
NSFS_MAGIC          = 0x6E736673
PIPEFS_MAGIC        = 0x50495045
ANON_INODE_FS_MAGIC = 0x09041934
PID_FS_MAGIC        = 0x50494446
SYSFS_MAGIC         = 0x62656572

ST_RDONLY   = 0x0001
ST_NOSUID   = 0x0002
ST_NODEV    = 0x0004
ST_NOEXEC   = 0x0008
ST_RELATIME = 0x1000
ST_VALID    = 0x0020
# fmt: on

PAGE_SIZE = 4096
NAME_MAX = 255

_MAGIC = {
    "tmpfs": TMPFS_MAGIC, "devtmpfs": TMPFS_MAGIC, "proc": PROC_SUPER_MAGIC, "cgroup2": CGROUP2_SUPER_MAGIC,
    "nsfs": NSFS_MAGIC, "sysfs": SYSFS_MAGIC, "pipefs": PIPEFS_MAGIC,
}  # fmt: skip

_libc = ctypes.CDLL(None, use_errno=True)


def host_fstatfs(fd: int) -> bytes:
    """The host's struct statfs of descriptor `fd` (an O_PATH descriptor will do)."""
    buf = ctypes.create_string_buffer(STATFS.size)
    if _libc.fstatfs(fd, buf) != 0:
        raise Errno(ctypes.get_errno() or E.EIO)
    return buf.raw


def simple_statfs(magic: int, flags: int = ST_VALID) -> bytes:
    return STATFS.pack(magic, PAGE_SIZE, 0, 0, 0, 0, 0, 0, 0, NAME_MAX, PAGE_SIZE, flags)


def statfs_of(sb: Any, inode: Any, read_only: bool) -> bytes:
    """struct statfs of superblock `sb` (seen through a mount that is `read_only` or not)."""
    mnt_flags = ST_VALID | ST_RELATIME | (ST_RDONLY if read_only else 0)
    if sb.fs_type == "hostfs":
        fields = list(STATFS.unpack(host_fstatfs(inode.fd)))
        if read_only:
            fields[11] |= ST_RDONLY
        return STATFS.pack(*fields)
    counts = getattr(sb, "statfs_counts", None)
    if counts is not None:  # tmpfs: shmem_statfs
        blocks, bfree, files, ffree = counts()
        fsid = sb.dev & 0xFFFFFFFF
        return STATFS.pack(TMPFS_MAGIC, PAGE_SIZE, blocks, bfree, bfree, files, ffree, fsid, fsid >> 16 ^ 0x5A5A,
                           NAME_MAX, PAGE_SIZE, mnt_flags)  # fmt: skip
    return simple_statfs(_MAGIC.get(sb.fs_type, TMPFS_MAGIC), mnt_flags)


def statfs_of_file(file: Any) -> bytes:
    """fstatfs of a file that has no path in the namespace."""

    if isinstance(file, HostFdFile):
        return host_fstatfs(file.hfd)
    if isinstance(file, PipeFile):
        return simple_statfs(PIPEFS_MAGIC)
    if isinstance(file, PidFd):
        return simple_statfs(PID_FS_MAGIC)
    return simple_statfs(ANON_INODE_FS_MAGIC)


__all__ = ["STATFS", "TMPFS_MAGIC", "host_fstatfs", "statfs_of", "statfs_of_file"]
