"""epoll (Linux fs/eventpoll.c).

An `EpollFile` (struct eventpoll) holds one `EpItem` per watched (file, fd) pair.  Adding an item registers
a callback on every wait head the file's poll() names (ep_ptable_queue_proc); when the file wakes a head
with a matching event key the callback puts the item on the ready list and wakes the epoll's waiters.
epoll_wait re-polls the ready items: level-triggered items go back on the list after being reported,
edge-triggered ones wait for the next callback, one-shot ones are disabled until EPOLL_CTL_MOD.

Items follow open file descriptions: closing the last reference to a file removes its items from every
epoll (eventpoll_release, in File.put); closing an fd whose file stays open elsewhere leaves the
item in place, as in Linux.  Files backed by host descriptors cannot call back: their items are re-polled
on every scan (so EPOLLET acts like level-triggered for them) and waiters re-check the host periodically.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..abi import errno as E
from ..abi.capability import CAP_BLOCK_SUSPEND
from ..abi.fcntl import O_CLOEXEC, O_RDWR
from ..errors import Errno, Fault
from .anon import anon_inode_stat
from .file import File
from .permission import capable
from .poll import POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, PollEntry, PollTable, WaitHead, wake_up
from .stat import Kstat, dev_major, dev_minor

EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD = 1, 2, 3
EPOLL_CLOEXEC = O_CLOEXEC
EPOLLEXCLUSIVE = 1 << 28
EPOLLWAKEUP = 1 << 29
EPOLLONESHOT = 1 << 30
EPOLLET = 1 << 31
EP_PRIVATE_BITS = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE
EPOLLEXCLUSIVE_OK_BITS = POLLIN | POLLOUT | POLLERR | POLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE
EP_MAX_NESTS = 4
EP_MAX_EVENTS = 0x7FFFFFFF // 12  # INT_MAX / sizeof(struct epoll_event)


class EpItem:
    """struct epitem: one watched (file, fd) with its event mask and user data."""

    __slots__ = ("ep", "file", "fd", "events", "data", "entries", "ready", "host")

    def __init__(self, ep: EpollFile, file: File, fd: int, events: int, data: int) -> None:
        self.ep = ep
        self.file = file
        self.fd = fd
        self.events = events
        self.data = data
        self.entries: list[PollEntry] = []
        self.ready = False  # linked on ep.rdllist
        self.host = False  # the file is a host descriptor: re-polled on every scan


class _QueueProc(PollTable):
    """ep_ptable_queue_proc: hang the item's callback on each head the file's poll names."""

    __slots__ = ("epi",)

    def __init__(self, epi: EpItem) -> None:
        super().__init__()
        self.epi = epi

    def wait(self, head: WaitHead) -> None:
        self.epi.entries.append(head.add(0, self.epi.ep.callback_for(self.epi)))

    def wait_host(self, file: File, events: int) -> None:
        self.epi.host = True


def item_poll(epi: EpItem, task: Any, pt: PollTable | None, depth: int) -> int:
    """ep_item_poll: the file's mask, restricted to the events the item asks for."""
    if pt is not None:
        pt.key = epi.events
    f = epi.file
    res = f.ep_poll(task, pt, depth) if isinstance(f, EpollFile) else f.poll(task, pt)
    return res & epi.events


class EpollFile(File):
    """struct eventpoll behind an epoll fd (F_GETFL shows O_RDWR)."""

    __slots__ = ("kernel", "items", "rdllist", "wq", "poll_wait", "freed")

    can_poll = True

    def __init__(self, kernel: Any, flags: int = 0) -> None:
        super().__init__(None, None, O_RDWR | flags)
        self.kernel = kernel
        self.items: dict[tuple[File, int], EpItem] = {}
        self.rdllist: list[EpItem] = []
        self.wq = WaitHead("epoll_wait")  # tasks in epoll_wait
        self.poll_wait = WaitHead("epoll poll")  # poll/select/another epoll watching this one
        self.freed = False

    def stat(self) -> Kstat:
        return anon_inode_stat()

    def fdinfo_name(self) -> str:
        return "anon_inode:[eventpoll]"

    def fdinfo_lines(self, viewer: Any = None) -> list[str]:
        """ep_show_fdinfo: one line per watched fd (sdev in the kernel's dev_t encoding)."""
        out = []
        for epi in self.items.values():
            st = epi.file.stat()
            sdev = dev_major(st.dev) << 20 | dev_minor(st.dev)
            out.append(f"tfd: {epi.fd:8d} events: {epi.events:8x} data: {epi.data:16x}  pos:{epi.file.pos} "
                       f"ino:{st.ino:x} sdev:{sdev:x}")
        return out

    # -- callbacks ---------------------------------------------------------------------------------------
    def callback_for(self, epi: EpItem) -> Callable[[PollEntry, int], None]:
        def ep_poll_callback(entry: PollEntry, key: int) -> None:
            if not epi.events & ~EP_PRIVATE_BITS:
                return  # disabled (EPOLLONESHOT fired)
            if key and not key & epi.events:
                return
            self._link(epi)
            wake_up(self.kernel, self.wq)
            wake_up(self.kernel, self.poll_wait, POLLIN)

        return ep_poll_callback

    def _link(self, epi: EpItem) -> None:
        if not epi.ready:
            epi.ready = True
            self.rdllist.append(epi)

    def _unlink(self, epi: EpItem) -> None:
        if epi.ready:
            epi.ready = False
            self.rdllist.remove(epi)

    # -- items -------------------------------------------------------------------------------------------
    def insert(self, task: Any, file: File, fd: int, events: int, data: int) -> None:
        """ep_insert: register the callbacks, then queue the item at once if the file is already ready."""
        epi = EpItem(self, file, fd, events, data)
        self.items[(file, fd)] = epi
        if file.f_ep is None:
            file.f_ep = []
        file.f_ep.append(epi)
        if item_poll(epi, task, _QueueProc(epi), 1) and not epi.ready:
            self._link(epi)
            wake_up(self.kernel, self.wq)
            wake_up(self.kernel, self.poll_wait, POLLIN)

    def modify(self, task: Any, epi: EpItem, events: int, data: int) -> None:
        """ep_modify."""
        epi.events = events
        epi.data = data
        if item_poll(epi, task, None, 1) and not epi.ready:
            self._link(epi)
            wake_up(self.kernel, self.wq)
            wake_up(self.kernel, self.poll_wait, POLLIN)

    def remove(self, epi: EpItem) -> None:
        """ep_remove: unhook the callbacks and forget the item."""
        for e in epi.entries:
            e.remove()
        epi.entries.clear()
        self._unlink(epi)
        self.items.pop((epi.file, epi.fd), None)
        f_ep = epi.file.f_ep
        if f_ep is not None and epi in f_ep:
            f_ep.remove(epi)
            if not f_ep:
                epi.file.f_ep = None

    def release(self) -> None:
        """ep_free: the epoll fd's last reference is gone."""
        if not self.freed:
            self.freed = True
            for epi in list(self.items.values()):
                self.remove(epi)

    # -- poll of the epoll fd itself -----------------------------------------------------------------------
    def _host_items(self) -> list[EpItem]:
        return [epi for epi in self.items.values() if epi.host and epi.events & ~EP_PRIVATE_BITS]

    def ep_poll(self, task: Any, pt: PollTable | None, depth: int) -> int:
        """__ep_eventpoll_poll: readable when an item on the ready list really has an event."""
        if pt is not None:
            pt.wait(self.poll_wait)
            for epi in self._host_items():
                pt.wait_host(epi.file, epi.events)
        candidates = list(self.rdllist) + [epi for epi in self._host_items() if not epi.ready]
        for epi in candidates:
            if item_poll(epi, task, None, depth + 1):
                return POLLIN | POLLRDNORM
            self._unlink(epi)  # queued by a callback but not ready for what the item asks
        return 0

    def poll(self, task: Any, pt: Any) -> int:
        return self.ep_poll(task, pt, 0)


def ep_send_events(ep: EpollFile, task: Any, pt: PollTable | None, maxevents: int,
                   put: Callable[[int, int, int], None]) -> int:  # fmt: skip
    """ep_send_events: report up to maxevents ready items through put(i, revents, data).

    Registers the caller on the epoll's wait queue through `pt` (and on host descriptors of host items)."""
    if pt is not None:
        pt.wait(ep.wq)
    host = ep._host_items()
    if pt is not None:
        for epi in host:
            pt.wait_host(epi.file, epi.events)
    txlist = ep.rdllist
    ep.rdllist = []
    for epi in host:
        if not epi.ready:
            txlist.append(epi)
    for epi in txlist:
        epi.ready = False
    res = 0
    left: list[EpItem] = []
    for i, epi in enumerate(txlist):
        if res >= maxevents:
            left = txlist[i:]
            break
        revents = item_poll(epi, task, None, 1)
        if not revents:
            continue
        try:
            put(res, revents, epi.data)
        except Fault:
            left = txlist[i:]
            if not res:
                res = -E.EFAULT
            break
        res += 1
        if epi.events & EPOLLONESHOT:
            epi.events &= EP_PRIVATE_BITS
        elif not epi.events & EPOLLET and not epi.ready:
            epi.ready = True
            ep.rdllist.append(epi)  # level-triggered: checked again by the next epoll_wait
    # ep_done_scan: what was not looked at goes back to the head of the ready list
    left = [epi for epi in left if not epi.ready]
    for epi in left:
        epi.ready = True
    ep.rdllist[:0] = left
    if ep.rdllist and ep.wq.waiters:
        wake_up(ep.kernel, ep.wq)
    return res


# -- epoll_ctl -----------------------------------------------------------------------------------------------
def _loop_check(ep: EpollFile, to: EpollFile) -> bool:
    """ep_loop_check: adding `to` to `ep` would close a loop or nest deeper than EP_MAX_NESTS."""
    memo: dict[EpollFile, int] = {}

    def down(e: EpollFile, depth: int) -> int:
        if e in memo:
            return memo[e]
        result = 0
        for epi in e.items.values():
            t = epi.file
            if isinstance(t, EpollFile):
                if t is ep or depth > EP_MAX_NESTS:
                    result = EP_MAX_NESTS + 1
                else:
                    result = max(result, down(t, depth + 1) + 1)
                if result > EP_MAX_NESTS:
                    break
        memo[e] = result
        return result

    def up(e: EpollFile) -> int:
        if e in memo:
            return memo[e]
        result = 0
        for epi in e.f_ep or ():
            result = max(up(epi.ep) + 1, result)
        memo[e] = result
        return result

    depth = down(to, 0)
    if depth > EP_MAX_NESTS:
        return True
    return depth + 1 + up(ep) > EP_MAX_NESTS


def ep_ctl(task: Any, epfd: int, op: int, fd: int, events: int, data: int) -> int:
    """do_epoll_ctl, with Linux's order of checks."""
    files = task.files
    f = files.lookup(epfd) if epfd >= 0 else None
    if f is None or f.is_path:
        raise Errno(E.EBADF)
    tf = files.lookup(fd) if fd >= 0 else None
    if tf is None or tf.is_path:
        raise Errno(E.EBADF)
    if not tf.can_poll:
        raise Errno(E.EPERM)
    if op != EPOLL_CTL_DEL and events & EPOLLWAKEUP and not capable(task.creds, CAP_BLOCK_SUSPEND):
        events &= ~EPOLLWAKEUP
    if f is tf or not isinstance(f, EpollFile):
        raise Errno(E.EINVAL)
    if op != EPOLL_CTL_DEL and events & EPOLLEXCLUSIVE:
        if op == EPOLL_CTL_MOD:
            raise Errno(E.EINVAL)
        if op == EPOLL_CTL_ADD and (isinstance(tf, EpollFile) or events & ~EPOLLEXCLUSIVE_OK_BITS):
            raise Errno(E.EINVAL)
    ep = f
    if op == EPOLL_CTL_ADD and isinstance(tf, EpollFile) and _loop_check(ep, tf):
        raise Errno(E.ELOOP)
    epi = ep.items.get((tf, fd))
    if op == EPOLL_CTL_ADD:
        if epi is not None:
            raise Errno(E.EEXIST)
        ep.insert(task, tf, fd, events | POLLERR | POLLHUP, data)
        return 0
    if op == EPOLL_CTL_DEL:
        if epi is None:
            raise Errno(E.ENOENT)
        ep.remove(epi)
        return 0
    if op == EPOLL_CTL_MOD:
        if epi is None:
            raise Errno(E.ENOENT)
        if epi.events & EPOLLEXCLUSIVE:
            raise Errno(E.EINVAL)
        ep.modify(task, epi, events | POLLERR | POLLHUP, data)
        return 0
    raise Errno(E.EINVAL)
