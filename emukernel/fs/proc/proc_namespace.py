"""/proc/PID/mounts (Linux fs/proc_namespace.c): the mounts of the namespace seen from the task's root, in the
fstab format of show_vfsmnt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..fscontext import d_path
from ..mount import Mount, Path

if TYPE_CHECKING:
    from ...task import Task

def _escape_mount(s: bytes) -> bytes:
    """Linux mangle(): space, tab, newline and backslash as octal escapes."""
    out = bytearray()
    for b in s:
        if b in (0x20, 0x09, 0x0A, 0x5C):
            out += b"\\%03o" % b
        else:
            out.append(b)
    return bytes(out)


def proc_pid_mounts(kernel: Any, task: Task) -> bytes:
    # Linux: fs/proc_namespace.c show_vfsmnt
    vfs = kernel.vfs
    root = task.fs.root if task.fs is not None else vfs.root_path
    out = []
    for m in all_mounts(vfs.mounts):
        where = Path(m, m.root) if m.parent is None else Path(m.parent, m.mountpoint)
        point = d_path(where, root) if m.parent is not None else b"/"
        fstype = m.sb.fs_type
        out.append(b"%s %s %s %s 0 0\n" % (_escape_mount(_DEVNAMES.get(fstype, fstype).encode()),
                                           _escape_mount(point), fstype.encode(),
                                           _mount_opts(m).encode()))  # fmt: skip
    return b"".join(out)


_DEVNAMES = {
    "hostfs": "hostfs",
    "cgroup2": "cgroup2",
    "proc": "proc",
    "devtmpfs": "devtmpfs",
    "tmpfs": "tmpfs",
}


def _mount_opts(m: Mount) -> str:
    base = "ro" if m.read_only else "rw"
    extra = {"proc": ",nosuid,nodev,noexec,relatime", "cgroup2": ",nosuid,nodev,noexec,relatime",
             "devtmpfs": ",nosuid,relatime,mode=755"}.get(m.sb.fs_type, ",relatime")  # fmt: skip
    return base + extra


def all_mounts(mounts: Any) -> list[Mount]:
    """Every mount of the namespace, in the order they were made."""
    found = [mounts.root] if mounts.root is not None else []
    found += list(getattr(mounts, "_children", {}).values())
    return sorted(found, key=lambda m: m.mnt_id)
