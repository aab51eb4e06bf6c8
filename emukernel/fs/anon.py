"""anon_inodefs (Linux fs/anon_inodes.c): the one shared inode behind eventfd, epoll and signalfd files."""

from __future__ import annotations

from .stat import Kstat, mkdev

ANON_INODE_DEV = mkdev(0, 16)
ANON_INODE_INO = 1038  # anon_inode_inode, created early at boot: every anonymous file shows this number


def anon_inode_stat() -> Kstat:
    """fstat of an anonymous-inode file: mode 0600 with no file type, owned by root, times of boot (0)."""
    return Kstat(dev=ANON_INODE_DEV, ino=ANON_INODE_INO, mode=0o600, nlink=1, uid=0, gid=0, blksize=4096)
