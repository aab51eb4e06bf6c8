"""devfs: a tmpfs holding the memory character devices (fs/mem.py), /dev/tty and the symlinks udev adds to
every /dev (fd, stdin, stdout, stderr)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..abi.fcntl import S_IFCHR, S_IFDIR
from .file import File
from .mem import MEM_DEVICES, open_device
from .stat import mkdev
from .tmpfs import TmpDir, TmpfsSuperBlock, TmpInode

if TYPE_CHECKING:
    from .mount import Path

TTYAUX_MAJOR = 5  # /dev/tty is (5, 0)


class DeviceNode(TmpInode):
    """A character device inode on a tmpfs."""

    __slots__ = ("major", "minor", "random_bytes")

    def __init__(self, sb: TmpfsSuperBlock, major: int, minor: int, mode: int,
                 random_bytes: Callable[[int], bytes]) -> None:  # fmt: skip
        super().__init__(sb, S_IFCHR | mode, 0, 0)
        self.major = major
        self.minor = minor
        self.random_bytes = random_bytes

    def rdev(self) -> int:
        return mkdev(self.major, self.minor)

    def open(self, path: Path, flags: int) -> File:
        return open_device(path, self, flags, self.major, self.minor, self.random_bytes)


# what udev (or a container runtime) links in /dev: the fds of whoever looks, through /proc/self
DEV_SYMLINKS = ((b"fd", b"/proc/self/fd"), (b"stdin", b"/proc/self/fd/0"), (b"stdout", b"/proc/self/fd/1"),
                (b"stderr", b"/proc/self/fd/2"))  # fmt: skip


def make_devfs(dev: int, now: Callable[[], int], random_bytes: Callable[[int], bytes]) -> TmpfsSuperBlock:
    """A devtmpfs-like filesystem: null, zero, full, random, urandom (mode 0666), shm/ (1777), tty (0666) and
    the fd, stdin, stdout, stderr symlinks."""
    sb = TmpfsSuperBlock(dev, now, fs_type="devtmpfs", root_mode=0o755, random_bytes=random_bytes)
    root: TmpDir = sb.root
    for (major, minor), (name, _cls) in sorted(MEM_DEVICES.items(), key=lambda kv: kv[1][0]):
        root.add_node(name, DeviceNode(sb, major, minor, 0o666, random_bytes))
    root.mkdir(b"shm", 0o1777, 0, 0)
    root.add_node(b"tty", DeviceNode(sb, TTYAUX_MAJOR, 0, 0o666, random_bytes))
    for name, target in DEV_SYMLINKS:
        root.symlink(name, target, 0, 0)
    assert root.mode & S_IFDIR
    return sb
