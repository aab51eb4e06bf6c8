"""The memory character devices (Linux drivers/char/mem.c and random.c: null, zero, full, random, urandom) and
the opening of a character device node by its numbers (fs/char_dev.c chrdev_open), which devfs, tmpfs and
hostfs device nodes share."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..abi import errno as E
from ..errors import Errno
from .file import File

if TYPE_CHECKING:
    from .inode import Inode
    from .mount import Path

MEM_MAJOR = 1
RANDOM_BYTES_CHUNK = 1 << 20


class DeviceFile(File):
    """An open memory device: seekable, no fsync (Linux mem_fops without ->fsync)."""

    __slots__ = ("random_bytes",)

    def __init__(self, path: Path | None, inode: Inode | None, flags: int,
                 random_bytes: Callable[[int], bytes]) -> None:  # fmt: skip
        super().__init__(path, inode, flags)
        self.random_bytes = random_bytes

    def pread(self, n: int, offset: int) -> bytes:
        return self.read(n)

    def pwrite(self, data: bytes, offset: int) -> int:
        return self.write(data)

    def lseek(self, offset: int, whence: int) -> int:
        # Linux: drivers/char/mem.c null_lseek / zero_lseek / full_lseek: the position is always 0
        self.pos = 0
        return 0


class NullFile(DeviceFile):
    """/dev/null: reads end of file, writes succeed without looking at the data."""

    __slots__ = ()

    def read(self, n: int) -> bytes:
        return b""

    def write(self, data: bytes) -> int:
        return len(data)

    def write_discard(self, n: int) -> int | None:
        return n


class ZeroFile(NullFile):
    """/dev/zero: reads zeros, writes are discarded; a mapping of it is zero-filled memory."""

    __slots__ = ()

    mmappable = True

    def read(self, n: int) -> bytes:
        return bytes(n)

    def read_for_mmap(self, offset: int, length: int) -> bytes:
        return b""


class FullFile(ZeroFile):
    """/dev/full: reads zeros, every write fails with ENOSPC."""

    __slots__ = ()

    mmappable = False

    def write(self, data: bytes) -> int:
        raise Errno(E.ENOSPC)

    def write_discard(self, n: int) -> int | None:
        raise Errno(E.ENOSPC)


class RandomFile(DeviceFile):
    """/dev/random and /dev/urandom: the kernel's (seeded) random bytes; writes are accepted and ignored."""

    __slots__ = ()

    def read(self, n: int) -> bytes:
        return self.random_bytes(n) if n else b""

    def write(self, data: bytes) -> int:
        return len(data)

    def lseek(self, offset: int, whence: int) -> int:
        return self.pos  # Linux: noop_llseek


# (major, minor) -> (name, the File class)
MEM_DEVICES: dict[tuple[int, int], tuple[bytes, type[DeviceFile]]] = {
    (MEM_MAJOR, 3): (b"null", NullFile),
    (MEM_MAJOR, 5): (b"zero", ZeroFile),
    (MEM_MAJOR, 7): (b"full", FullFile),
    (MEM_MAJOR, 8): (b"random", RandomFile),
    (MEM_MAJOR, 9): (b"urandom", RandomFile),
}


def open_device(path: Path | None, inode: Inode | None, flags: int, major: int, minor: int,
                random_bytes: Callable[[int], bytes]) -> File:  # fmt: skip
    """Open character device (major, minor); ENXIO when no driver has it (Linux chrdev_open)."""
    entry = MEM_DEVICES.get((major, minor))
    if entry is None:
        # (5, 0) included: Linux drivers/tty/tty_io.c tty_open_current_tty gives ENXIO to a task without a
        # controlling terminal, and no guest here ever has one
        raise Errno(E.ENXIO)
    return entry[1](path, inode, flags, random_bytes)
