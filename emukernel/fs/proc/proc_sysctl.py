"""/proc/sys (Linux fs/proc/proc_sysctl.c, its tables from kernel/sysctl.c and the subsystems'): a directory
per table and a file per sysctl, each with its own show and store; the tables hold only what this kernel has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...abi import errno as E
from ...abi.capability import CAP_CHECKPOINT_RESTORE, CAP_SYS_ADMIN
from ...cgroup import _kstrtoll
from ...clone import MAX_TASKS
from ...creds import CAP_LAST_CAP
from ...errors import Errno
from ...uts import HOST_UNAME, NEW_UTS_LEN, set_domainname, set_hostname
from ..inode import Inode
from ..pipe import pipefs, round_pipe_size
from ..pseudo import PseudoDir, PseudoSuperBlock, SeqInode, static_entries

if TYPE_CHECKING:
    from ...task import Task

class Sysctl:
    """One /proc/sys file: show(kernel, viewer) -> text, store(kernel, viewer, data) or None."""

    __slots__ = ("mode", "show", "store")

    def __init__(self, mode: int, show: Callable[[Any, Task], bytes],
                 store: Callable[[Any, Task, bytes], None] | None = None) -> None:  # fmt: skip
        self.mode = mode
        self.show = show
        self.store = store


def _proc_dointvec(data: bytes, lo: int, hi: int) -> int:
    """Linux proc_dointvec_minmax for one value: whitespace, a number, EINVAL for garbage or out of range."""

    tok = data.split()
    if not tok:
        raise Errno(E.EINVAL)
    try:
        v = _kstrtoll(tok[0])
    except Errno:
        raise Errno(E.EINVAL) from None
    if not lo <= v <= hi:
        raise Errno(E.EINVAL)
    return v


def _ns_last_pid_store(kernel: Any, viewer: Task, data: bytes) -> None:
    # Linux: kernel/pid_namespace.c pid_ns_ctl_handler: CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE, 0..pid_max
    if not (viewer.creds.capable(CAP_SYS_ADMIN) or viewer.creds.capable(CAP_CHECKPOINT_RESTORE)):
        raise Errno(E.EPERM)
    ns = viewer.pid.ns
    ns.last_pid = _proc_dointvec(data, 0, ns.pid_max)


def _uts_store(kernel: Any, viewer: Task, data: bytes, store) -> None:
    # Linux: kernel/utsname_sysctl.c proc_do_uts_string: up to the first newline, at most NEW_UTS_LEN bytes
    if not viewer.creds.capable(CAP_SYS_ADMIN):
        raise Errno(E.EPERM)
    store(kernel, data.split(b"\n", 1)[0][:NEW_UTS_LEN])


def _pipe_max_store(kernel: Any, viewer: Task, data: bytes) -> None:
    # Linux: fs/pipe.c proc_dopipe_max_size: rounded to a power-of-two number of pages

    v = _proc_dointvec(data, 0, (1 << 31) - 1)
    size = round_pipe_size(v)
    if size == 0:
        raise Errno(E.EINVAL)
    pipefs(kernel).pipe_max_size = size


def _pipe_max_show(kernel: Any, viewer: Task) -> bytes:

    return b"%d\n" % pipefs(kernel).pipe_max_size


def _threads_max(kernel: Any, viewer: Task) -> bytes:

    return b"%d\n" % MAX_TASKS


def _cap_last_cap(kernel: Any, viewer: Task) -> bytes:

    return b"%d\n" % CAP_LAST_CAP


def _read_only(kernel: Any, viewer: Task, data: bytes) -> None:
    """The emulator's own bounds hold even for root (DESIGN 6): these sysctls cannot be raised."""
    raise Errno(E.EPERM)


SYSCTL_TREE: dict[str, Any] = {
    "kernel": {
        "cap_last_cap": Sysctl(0o444, _cap_last_cap),
        "domainname": Sysctl(0o644, lambda k, v: k.domainname + b"\n",
                             lambda k, v, d: _uts_store(k, v, d, set_domainname)),
        "hostname": Sysctl(0o644, lambda k, v: k.hostname + b"\n", lambda k, v, d: _uts_store(k, v, d, set_hostname)),
        "ns_last_pid": Sysctl(0o666, lambda k, v: b"%d\n" % v.pid.ns.last_pid, _ns_last_pid_store),
        "osrelease": Sysctl(0o444, lambda k, v: HOST_UNAME.release.encode() + b"\n"),
        "ostype": Sysctl(0o444, lambda k, v: b"Linux\n"),
        "pid_max": Sysctl(0o644, lambda k, v: b"%d\n" % v.pid.ns.pid_max, _read_only),
        "threads-max": Sysctl(0o644, _threads_max, _read_only),
    },
    "fs": {
        "pipe-max-size": Sysctl(0o644, _pipe_max_show, _pipe_max_store),
    },
}


class SysDir(PseudoDir):
    """A directory of /proc/sys: its entries in name order, as Linux's sysctl tables list them."""

    __slots__ = ("table",)

    def __init__(self, sb: PseudoSuperBlock, key: tuple, table: dict[str, Any]) -> None:
        super().__init__(sb, key, 0o555)
        self.table = table

    def _items(self) -> list[tuple[bytes, Inode]]:
        sb = self.sb
        k = sb.kernel
        items: list[tuple[bytes, Inode]] = []
        for name in sorted(self.table):
            node = self.table[name]
            key = (*self.key, name)
            if isinstance(node, dict):
                items.append((name.encode(), SysDir(sb, key, node)))
            else:
                store = node.store

                def show(viewer: Task, node: Sysctl = node) -> bytes:
                    return node.show(k, viewer)

                def write(viewer: Task, data: bytes, store: Any = store) -> None:
                    store(k, viewer, data)

                items.append((name.encode(), SeqInode(sb, key, node.mode, show, write if store else None)))
        return items

    def entries(self, viewer: Task) -> list[tuple[int, bytes, Inode]]:
        return static_entries(self._items())
