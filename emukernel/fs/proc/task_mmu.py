"""The memory of a process as /proc shows it (Linux fs/proc/task_mmu.c): the VMA sizes that status, statm,
meminfo and getrusage read (`MemStats`, Linux task_mem) and /proc/PID/maps (show_map_vma).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..stat import dev_major, dev_minor, mkdev
from .internal import file_name, file_stat

if TYPE_CHECKING:
    from ...task import Task

PAGE_SIZE = 4096


class MemStats:
    """Sizes in kB derived from a task's VMAs (Linux task_mem); resident sizes are what is mapped."""

    __slots__ = ("total", "data", "stack", "text", "lib", "anon", "file", "shmem", "pte")

    def __init__(self, mm: Any) -> None:
        total = data = stack = exe = anon = filed = shmem = 0
        for v in getattr(mm, "vmas", ()):
            size = v.end - v.start
            total += size
            named_file = v.inode is not None or (v.name and not v.name.startswith("["))
            if v.name == "[stack]" or v.growsdown:
                stack += size
            elif v.prot & 2 and not v.shared:
                data += size
            if v.prot & 4 and named_file:
                exe += size
            if v.shared and v.inode is None:
                shmem += size
            elif named_file:
                filed += size
            else:
                anon += size
        text = ((getattr(mm, "end_code", 0) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)) - (
            getattr(mm, "start_code", 0) & ~(PAGE_SIZE - 1)
        )
        text = max(0, min(text, exe))
        self.total = total >> 10
        self.data = data >> 10
        self.stack = stack >> 10
        self.text = text >> 10
        self.lib = (exe - text) >> 10
        self.anon = anon >> 10
        self.file = filed >> 10
        self.shmem = shmem >> 10
        # a page-table page per 2 MiB mapped, and the top levels
        self.pte = 4 * (sum(((v.end - 1) >> 21) - (v.start >> 21) + 1 for v in getattr(mm, "vmas", ())) + 3)

    @property
    def rss(self) -> int:
        return self.anon + self.file + self.shmem


def proc_pid_maps(kernel: Any, viewer: Task, task: Task) -> bytes:
    # Linux: fs/proc/task_mmu.c show_map_vma
    mm = task.mm
    if mm is None:
        return b""
    root = viewer.fs.root if viewer.fs is not None else kernel.vfs.root_path
    exe = mm.exe
    exe_st = file_stat(exe)
    exe_name = file_name(exe, root) if exe is not None else b""
    lines = []
    for v in mm.vmas:
        perms = (
            ("r" if v.prot & 1 else "-")
            + ("w" if v.prot & 2 else "-")
            + ("x" if v.prot & 4 else "-")
            + ("s" if v.shared else "p")
        )
        dev = ino = off = 0
        name = v.name.encode("utf-8", "surrogateescape") if v.name else b""
        if v.inode is not None:
            st = file_stat(v.inode)
            if st is not None:
                dev, ino = st.dev, st.ino
            off = v.pgoff << 12
            if getattr(v.inode, "path", None) is not None:
                name = file_name(v.inode, root)
        elif name and not name.startswith(b"["):
            if exe_st is not None:  # a segment of the executable
                dev, ino = exe_st.dev, exe_st.ino
                name = exe_name or name
        elif v.shared and not name:
            name = b"/dev/zero (deleted)"
            dev = mkdev(0, 1)
        head = (f"{v.start:08x}-{v.end:08x} {perms} {off:08x} {dev_major(dev):02x}:{dev_minor(dev):02x} "
                f"{ino} ").encode()  # fmt: skip
        if name:
            head = head.ljust(72) + b" " + name
        lines.append(head + b"\n")
    return b"".join(lines)
