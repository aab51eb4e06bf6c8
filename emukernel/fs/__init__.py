"""Filesystems: the VFS (mounts, path walk inside the guest root), tmpfs, hostfs, devfs, files and fd tables."""

from .fdtable import FdTable
from .file import File
from .fscontext import FsContext
from .mount import Path
from .stat import Kstat
from .vfs import KERNEL_CREDS, Vfs

__all__ = ["KERNEL_CREDS", "FdTable", "File", "FsContext", "Kstat", "Path", "Vfs"]
