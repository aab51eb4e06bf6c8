"""struct kstat and its two user-space layouts: x86-64 `struct stat` (144 bytes) and `struct statx` (256 bytes)."""

from __future__ import annotations

import os
import struct

# fmt: off
STATX_TYPE        = 0x0001
STATX_MODE        = 0x0002
STATX_NLINK       = 0x0004
STATX_UID         = 0x0008
STATX_GID         = 0x0010
STATX_ATIME       = 0x0020
STATX_MTIME       = 0x0040
STATX_CTIME       = 0x0080
STATX_INO         = 0x0100
STATX_SIZE        = 0x0200
STATX_BLOCKS      = 0x0400
STATX_BASIC_STATS = 0x07ff
STATX_BTIME       = 0x0800
STATX_MNT_ID      = 0x1000
STATX__RESERVED   = 0x80000000

STATX_ATTR_IMMUTABLE  = 0x00000010
STATX_ATTR_APPEND     = 0x00000020
STATX_ATTR_NODUMP     = 0x00000040
STATX_ATTR_MOUNT_ROOT = 0x00002000
# fmt: on

# x86-64 struct stat (arch/x86/include/uapi/asm/stat.h): dev, ino, nlink, mode, uid, gid, pad, rdev, size,
# blksize, blocks, atime/nsec, mtime/nsec, ctime/nsec, 3 unused longs.
STAT = struct.Struct("<QQQIIIIQqqqqQqQqQ24x")
assert STAT.size == 144

# struct statx (include/uapi/linux/stat.h) up to stx_dio_offset_align; the rest (subvol, atomic writes...) is 0.
STATX = struct.Struct("<IIQIIIHxxQQQQ" + "qIi" * 4 + "IIIIQII96x")
assert STATX.size == 256


def dev_major(dev: int) -> int:
    """MAJOR() of a glibc/Linux 64-bit dev_t (the encoding os.stat uses)."""
    return ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~0xFFF)


def dev_minor(dev: int) -> int:
    return (dev & 0xFF) | ((dev >> 12) & ~0xFF)


def mkdev(major: int, minor: int) -> int:
    """The dev_t value user space sees for (major, minor) (Linux new_encode_dev, glibc makedev)."""
    return (minor & 0xFF) | ((major & 0xFFF) << 8) | ((minor & ~0xFF) << 12) | ((major & ~0xFFF) << 32)


class Kstat:
    """Linux struct kstat: what getattr returns, before it is copied out as stat or statx."""

    __slots__ = (
        "dev", "ino", "mode", "nlink", "uid", "gid", "rdev", "size", "blksize", "blocks",
        "atime_ns", "mtime_ns", "ctime_ns", "btime_ns", "result_mask", "attributes", "attributes_mask",
        "mnt_id",
    )  # fmt: skip

    def __init__(self, *, dev: int, ino: int, mode: int, nlink: int, uid: int, gid: int, rdev: int = 0,
                 size: int = 0, blksize: int = 4096, blocks: int = 0, atime_ns: int = 0, mtime_ns: int = 0,
                 ctime_ns: int = 0, btime_ns: int | None = None, attributes_mask: int = 0) -> None:  # fmt: skip
        self.dev = dev
        self.ino = ino
        self.mode = mode
        self.nlink = nlink
        self.uid = uid
        self.gid = gid
        self.rdev = rdev
        self.size = size
        self.blksize = blksize
        self.blocks = blocks
        self.atime_ns = atime_ns
        self.mtime_ns = mtime_ns
        self.ctime_ns = ctime_ns
        self.btime_ns = btime_ns
        self.result_mask = STATX_BASIC_STATS | (STATX_BTIME if btime_ns is not None else 0)
        self.attributes = 0
        self.attributes_mask = attributes_mask
        self.mnt_id = 0

    @classmethod
    def from_host(cls, st: os.stat_result) -> Kstat:
        """The kstat of a host file, field for field."""
        return cls(
            dev=st.st_dev, ino=st.st_ino, mode=st.st_mode, nlink=st.st_nlink, uid=st.st_uid, gid=st.st_gid,
            rdev=st.st_rdev, size=st.st_size, blksize=st.st_blksize, blocks=st.st_blocks,
            atime_ns=st.st_atime_ns, mtime_ns=st.st_mtime_ns, ctime_ns=st.st_ctime_ns,
        )  # fmt: skip

    def __repr__(self) -> str:
        return f"<Kstat dev={self.dev:#x} ino={self.ino} mode={self.mode:o} nlink={self.nlink} size={self.size}>"


def _ts(ns: int) -> tuple[int, int]:
    sec, nsec = divmod(ns, 1_000_000_000)
    return sec, nsec


def pack_stat(k: Kstat) -> bytes:
    """x86-64 struct stat (fs/stat.c cp_new_stat)."""
    # Linux: fs/stat.c cp_new_stat
    a, an = _ts(k.atime_ns)
    m, mn = _ts(k.mtime_ns)
    c, cn = _ts(k.ctime_ns)
    return STAT.pack(
        k.dev, k.ino, k.nlink, k.mode, k.uid, k.gid, 0, k.rdev, k.size, k.blksize, k.blocks, a, an, m, mn, c, cn
    )


def pack_statx(k: Kstat) -> bytes:
    """struct statx (fs/stat.c cp_statx); every field is copied, stx_mask says which ones are valid."""
    # Linux: fs/stat.c cp_statx
    bt = k.btime_ns if k.btime_ns is not None else 0
    a, an = _ts(k.atime_ns)
    b, bn = _ts(bt)
    c, cn = _ts(k.ctime_ns)
    m, mn = _ts(k.mtime_ns)
    return STATX.pack(
        k.result_mask, k.blksize, k.attributes, k.nlink, k.uid, k.gid, k.mode & 0xFFFF, k.ino, k.size, k.blocks,
        k.attributes_mask, a, an, 0, b, bn, 0, c, cn, 0, m, mn, 0,
        dev_major(k.rdev), dev_minor(k.rdev), dev_major(k.dev), dev_minor(k.dev), k.mnt_id, 0, 0,
    )  # fmt: skip
