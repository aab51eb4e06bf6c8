"""cgroup2 filesystem (Linux kernel/cgroup/cgroup.c on kernfs): the unified hierarchy at /sys/fs/cgroup.

A directory per cgroup (mkdir makes one, rmdir removes an empty one), and in each the interface files of
the core and of the enabled controllers.  The hierarchy itself is emukernel.cgroup; this module only turns
reads and writes of the files into calls on it.  Pids in cgroup.procs and cgroup.threads are the reader's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..abi import errno as E
from ..abi.fcntl import S_IFDIR
from ..cgroup import CGROUP_FILE_MAX, Cgroup, CgroupHierarchy, cgroup_hierarchy, kstrtoint, strstrip
from ..errors import Errno
from .file import DirFile, File
from .inode import Dentry, Inode
from .mount import Mount, Path
from .pseudo import PseudoDir, PseudoSuperBlock, SeqFile, SeqInode, current_task, static_entries

if TYPE_CHECKING:
    from ..task import Task

CGROUP2_SUPER_MAGIC = 0x63677270


class CgroupSuperBlock(PseudoSuperBlock):
    __slots__ = ("hierarchy", "root")

    def __init__(self, kernel: Any, dev: int, now: Callable[[], int]) -> None:
        super().__init__("cgroup2", dev, kernel, now)
        self.hierarchy: CgroupHierarchy = cgroup_hierarchy(kernel)
        self.root = CgroupDir(self, self.hierarchy.root)


class CgroupFileInode(SeqInode):
    """An interface file: kernfs hands every write to the handler whole (E2BIG past a page)."""

    __slots__ = ()

    def open(self, path: Path, flags: int) -> File:
        return CgroupFile(path, self, flags)


class CgroupFile(SeqFile):
    __slots__ = ()

    def write(self, data: bytes) -> int:
        if len(data) > CGROUP_FILE_MAX:
            raise Errno(E.E2BIG)
        return super().write(data)


class CgroupDir(PseudoDir):
    """A cgroup's directory: its interface files, then its child cgroups."""

    __slots__ = ("cgroup",)

    is_cgroup_dir = True
    lookup_enoent = False  # kernfs: a missing name is a negative dentry (mkdir makes it)

    def __init__(self, sb: CgroupSuperBlock, cg: Cgroup) -> None:
        super().__init__(sb, ("cgroup", cg), cg.mode & 0o7777, cg.uid, cg.gid, anchor=cg)
        self.cgroup = cg
        if cg.created_ns:
            self.time_ns = cg.created_ns

    @property
    def hierarchy(self) -> CgroupHierarchy:
        return self.sb.hierarchy  # type: ignore[attr-defined,no-any-return]

    def is_dead(self) -> bool:
        return self.cgroup.dead

    def setattr(self, *, mode: int | None = None, uid: int | None = None, gid: int | None = None) -> None:
        """chmod/chown of a cgroup directory (delegation): kernfs keeps the new attributes."""
        cg = self.cgroup
        if mode is not None:
            cg.mode = self.mode = mode & 0o7777
            self.mode |= S_IFDIR
        if uid is not None:
            cg.uid = self.uid = uid
        if gid is not None:
            cg.gid = self.gid = gid

    # -- the interface files ------------------------------------------------------------------------------
    def _files(self) -> list[tuple[bytes, Inode]]:
        cg = self.cgroup
        h = self.hierarchy
        sb = self.sb
        files: list[tuple[str, int, Callable[[Task], bytes], Callable[[Task, bytes], None] | None]] = []

        def add(name: str, mode: int, show: Callable[[Task], bytes],
                store: Callable[[Task, bytes], None] | None = None) -> None:  # fmt: skip
            files.append((name, mode, show, store))

        # Linux: kernel/cgroup/cgroup.c cgroup_base_files (CFTYPE_NOT_ON_ROOT ones only below the root)
        if not cg.is_root:
            add("cgroup.type", 0o644, lambda v: b"domain\n")
        add("cgroup.procs", 0o644, lambda v: self._pids(v, threads=False),
            lambda v, d: h.attach(v, cg, d, threadgroup=True))  # fmt: skip
        add("cgroup.threads", 0o644, lambda v: self._pids(v, threads=True),
            lambda v, d: h.attach(v, cg, d, threadgroup=False))  # fmt: skip
        add("cgroup.controllers", 0o444, lambda v: _mask(cg.controllers()))
        add("cgroup.subtree_control", 0o644, lambda v: _mask([c for c in cg.controllers()
                                                                if c in cg.subtree_control]),
            lambda v, d: h.set_subtree_control(cg, d))  # fmt: skip
        if not cg.is_root:
            add("cgroup.events", 0o444, lambda v: b"populated %d\nfrozen 0\n" % h.populated(cg))
        add("cgroup.max.descendants", 0o644, lambda v: b"max\n", _max_only)
        add("cgroup.max.depth", 0o644, lambda v: b"max\n", _max_only)
        add("cgroup.stat", 0o444, lambda v: b"nr_descendants %d\nnr_dying_descendants 0\n"
            % len(cg.descendants()))  # fmt: skip
        if not cg.is_root:
            add("cgroup.freeze", 0o644, lambda v: b"0\n", _freeze)
            add("cgroup.kill", 0o200, lambda v: b"", lambda v, d: self._kill(d))
        # Linux: kernel/cgroup/pids.c pids_files (not on the root)
        if cg.has_controller("pids"):
            add("pids.current", 0o444, lambda v: b"%d\n" % h.charged_tasks(cg))
            add("pids.events", 0o444, lambda v: b"max %d\n" % cg.pids_events)
            add("pids.events.local", 0o444, lambda v: b"max %d\n" % cg.pids_events_local)
            add("pids.max", 0o644, lambda v: b"max\n" if cg.pids_max is None else b"%d\n" % cg.pids_max,
                lambda v, d: h.set_pids_max(cg, d))  # fmt: skip
            add("pids.peak", 0o444, lambda v: b"%d\n" % max(cg.pids_peak, h.charged_tasks(cg)))
        out: list[tuple[bytes, Inode]] = []
        for name, mode, show, store in sorted(files, key=lambda f: f[0]):
            out.append((name.encode(), CgroupFileInode(sb, ("cgfile", cg, name), mode, self._live(show),
                                                       self._live_store(store), cg.uid, cg.gid,
                                                       anchor=cg)))  # fmt: skip
        return out

    def _live(self, show: Callable[[Task], bytes]) -> Callable[[Task], bytes]:
        def guarded(viewer: Task) -> bytes:
            if self.cgroup.dead:
                raise Errno(E.ENODEV)
            return show(viewer)

        return guarded

    def _live_store(
        self, store: Callable[[Task, bytes], None] | None
    ) -> Callable[[Task, bytes], None] | None:
        if store is None:
            return None

        def guarded(viewer: Task, data: bytes) -> None:
            if self.cgroup.dead:
                raise Errno(E.ENODEV)
            store(viewer, data)

        return guarded

    def _pids(self, viewer: Task, threads: bool) -> bytes:
        """One number per line as the reader's namespace sees it (0 for a process it cannot see)."""
        # Linux: kernel/cgroup/cgroup.c cgroup_procs_show: task_pid_vnr
        k = self.sb.kernel
        h = self.hierarchy
        if threads:
            nrs = [k.vpid(viewer, t) for t in h.threads(self.cgroup)]
        else:
            nrs = [tg.pid.nr_in(viewer.pid.ns) for tg in h.procs(self.cgroup)]
        return b"".join(b"%d\n" % n for n in nrs)

    def _kill(self, data: bytes) -> None:
        # Linux: kernel/cgroup/cgroup.c cgroup_kill_write: "1" sends SIGKILL to every process in the subtree

        try:
            v = kstrtoint(strstrip(data))
        except Errno:
            raise Errno(E.EINVAL) from None
        if v != 1:
            raise Errno(E.ERANGE if v > 1 else E.EINVAL)
        k = self.sb.kernel
        groups: dict[int, Task] = {}
        for t in self.hierarchy.live_tasks(self.cgroup, recursive=True):
            groups.setdefault(id(t.tg), t)
        for t in groups.values():
            k.signals.send(t, 9, group=True)  # SIGKILL

    # -- directory operations --------------------------------------------------------------------------
    def _children(self) -> list[tuple[bytes, Inode]]:
        return [(name.encode(), CgroupDir(self.sb, c))  # type: ignore[arg-type]
                for name, c in sorted(self.cgroup.children.items())]  # fmt: skip

    def entries(self, viewer: Task) -> list[tuple[int, bytes, Inode]]:
        return static_entries(self._files() + self._children())

    def lookup(self, name: bytes) -> Inode | None:
        if self.cgroup.dead:
            return None
        child = self.cgroup.children.get(name.decode("utf-8", "surrogateescape"))
        if child is not None:
            return CgroupDir(self.sb, child)  # type: ignore[arg-type]
        for n, inode in self._files():
            if n == name:
                return inode
        return None

    def mkdir(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        viewer = current_task(self.sb.kernel)
        fsuid, fsgid = viewer.creds.fsuid, viewer.creds.fsgid
        cg = self.hierarchy.mkdir(self.cgroup, name.decode("utf-8", "surrogateescape"), fsuid, fsgid,
                                  mode & 0o7777)  # fmt: skip
        return CgroupDir(self.sb, cg)  # type: ignore[arg-type]

    def rmdir(self, name: bytes, inode: Inode) -> None:
        child = self.cgroup.children.get(name.decode("utf-8", "surrogateescape"))
        if child is None:
            raise Errno(E.ENOENT)
        self.hierarchy.rmdir(child)

    def open(self, path: Path, flags: int) -> File:
        return CgroupDirFile(path, self, flags)


class CgroupDirFile(DirFile):
    """An open cgroup directory: what clone3's CLONE_INTO_CGROUP takes."""

    __slots__ = ()

    is_cgroup = True

    @property
    def cgroup(self) -> Cgroup:
        assert isinstance(self.inode, CgroupDir)
        return self.inode.cgroup


def _mask(names: list[str]) -> bytes:
    """Linux cgroup_print_ss_mask: names separated by spaces, then a newline; nothing at all when empty."""
    return (" ".join(names) + "\n").encode() if names else b""


def _max_only(viewer: Task, data: bytes) -> None:
    """cgroup.max.descendants / cgroup.max.depth: only "max" is kept here (no limits on the tree)."""

    buf = strstrip(data)
    if buf == b"max":
        return
    try:
        v = kstrtoint(buf)
    except Errno:
        raise Errno(E.EINVAL) from None
    if v < 0:
        raise Errno(E.ERANGE)
    raise Errno(E.EINVAL)  # a finite limit is not supported by this kernel


def _freeze(viewer: Task, data: bytes) -> None:
    """cgroup.freeze: 0 is accepted; freezing is not implemented (EINVAL rather than a silent no-op)."""

    try:
        v = kstrtoint(strstrip(data))
    except Errno:
        raise Errno(E.EINVAL) from None
    if v < 0 or v > 1:
        raise Errno(E.ERANGE)
    if v == 1:
        raise Errno(E.EINVAL)


def make_cgroupfs(kernel: Any, dev: int, now: Callable[[], int]) -> CgroupSuperBlock:
    return CgroupSuperBlock(kernel, dev, now)


def mount_cgroupfs(kernel: Any, where: str = "/sys/fs/cgroup") -> Mount | None:
    """Mount the cgroup2 hierarchy at `where`; None when the root has no such directory to mount on."""
    vfs = kernel.vfs
    sb = make_cgroupfs(kernel, vfs._anon_dev(), vfs.now)
    try:
        point = vfs._mountpoint(where, True)
    except ValueError:
        return None
    mnt = vfs.mounts.mount(sb, Dentry(b"", None, sb.root), point)
    kernel.cgroupfs = sb
    return mnt


__all__ = ["CGROUP2_SUPER_MAGIC", "CgroupDir", "CgroupDirFile", "CgroupSuperBlock", "mount_cgroupfs"]
