"""Readiness and waiting on several files (Linux fs/select.c, include/linux/poll.h, include/linux/wait.h).

A file's `poll(task, pt)` returns its EPOLL* mask and, when `pt` is given, registers the wait heads its
readiness depends on with `pt.wait(head)`.  A `WaitHead` is a scheduler `WaitQueue` (tasks blocked in read
or write park on it directly) that also carries poll callbacks; the file's code wakes it with `wake_up`,
which runs the callbacks with the event key (poll/select wake their task, an epoll item joins its ready
list) and then wakes the parked tasks.

Host descriptors (the guest's stdio) cannot call us back.  Their files register with `pt.wait_host(file,
events)`; a waiter that depends on one re-checks the host every HOST_POLL_NS of guest time, and when no
other guest task is runnable it lets the host block for up to that long in poll(2) first, so an idle
guest waiting for its terminal sleeps on the host instead of spinning.
"""

from __future__ import annotations

import select
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..sched import WaitQueue

if TYPE_CHECKING:
    from .file import File

# fmt: off
POLLIN     = 0x0001
POLLPRI    = 0x0002
POLLOUT    = 0x0004
POLLERR    = 0x0008
POLLHUP    = 0x0010
POLLNVAL   = 0x0020
POLLRDNORM = 0x0040
POLLRDBAND = 0x0080
POLLWRNORM = 0x0100
POLLWRBAND = 0x0200
POLLMSG    = 0x0400
POLLRDHUP  = 0x2000
# fmt: on

# fs/select.c: which poll bits make an fd ready for each of select's sets (an fd that poll would call
# POLLNVAL, such as an O_PATH one, is reported in every set it is in)
POLLIN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR | POLLNVAL
POLLOUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR | POLLNVAL
POLLEX_SET = POLLPRI | POLLNVAL

HOST_POLL_NS = 10_000_000  # how often a waiter re-checks host descriptors (guest time)


class PollEntry:
    """One callback on a wait head (Linux wait_queue_entry with a poll key)."""

    __slots__ = ("head", "key", "func")

    def __init__(self, head: WaitHead, key: int, func: Callable[[PollEntry, int], None]) -> None:
        self.head = head
        self.key = key
        self.func = func

    def remove(self) -> None:
        try:
            self.head.callbacks.remove(self)
        except ValueError:
            pass


class WaitHead(WaitQueue):
    """wait_queue_head: tasks parked by Block(queue=head) plus poll callbacks."""

    __slots__ = ("callbacks",)

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self.callbacks: list[PollEntry] = []

    def add(self, key: int, func: Callable[[PollEntry, int], None]) -> PollEntry:
        e = PollEntry(self, key, func)
        self.callbacks.append(e)
        return e


def wake_up(kernel: Any, head: WaitQueue, key: int = 0) -> None:
    """wake_up_poll(head, key): run the callbacks (key 0 wakes every one of them), then the parked tasks."""
    if isinstance(head, WaitHead) and head.callbacks:
        for e in list(head.callbacks):
            if e.head is head:
                e.func(e, key)
    if head.waiters:
        kernel.sched.wake_all(head)


class PollTable:
    """poll_table: given to a file's poll() so it can register the heads its readiness depends on.

    `key` is the events the caller is interested in (a callback with a disjoint key is not run).  This base
    class registers nothing; subclasses decide what a registration does."""

    __slots__ = ("key", "hosts")

    def __init__(self) -> None:
        self.key = 0
        self.hosts: list[tuple[File, int]] = []

    def wait(self, head: WaitHead) -> None:
        """poll_wait: the file will wake `head` when its readiness may have changed."""

    def wait_host(self, file: File, events: int) -> None:
        """The file's readiness lives in a host descriptor: the waiter must poll the host."""
        self.hosts.append((file, events))


class PollWait(PollTable):
    """poll_wqueues: poll/select/epoll_wait park their task until a registered head is woken."""

    __slots__ = ("task", "entries", "active")

    def __init__(self, task: Any) -> None:
        super().__init__()
        self.task = task
        self.entries: list[PollEntry] = []
        self.active = True  # cleared once an fd is ready: nothing more needs registering

    def wait(self, head: WaitHead) -> None:
        if self.active:
            self.entries.append(head.add(self.key, self._wake))

    def _wake(self, entry: PollEntry, key: int) -> None:
        # Linux: fs/select.c pollwake: a key that names none of the events asked for wakes nobody
        if key and not key & entry.key:
            return
        task = self.task
        if not task.alive:
            entry.remove()
            return
        task.kernel.sched.wake(task)

    def free(self) -> None:
        """poll_freewait: take every callback off its head."""
        for e in self.entries:
            e.remove()
        self.entries.clear()
        self.hosts.clear()


def host_poll(hfd: int, events: int) -> int:
    """The host's poll(2) revents of one descriptor, without waiting (x86 POLL* bits equal EPOLL* bits)."""
    p = select.poll()
    p.register(hfd, events & 0xFFFF)
    got = p.poll(0)
    return got[0][1] if got else 0


def block_deadline(task: Any, pt: PollTable, deadline: int | None) -> int | None:
    """When a poll-like wait should wake: its own deadline, or sooner to re-check host descriptors.

    With host descriptors and no other guest task runnable, first let the host wait on them (poll(2) with a
    timeout of at most HOST_POLL_NS), so that an idle guest waiting for its terminal does not spin."""
    if not pt.hosts:
        return deadline
    kernel = task.kernel
    now = kernel.clock.monotonic_ns()
    step = now + HOST_POLL_NS
    if deadline is not None and deadline < step:
        step = deadline
    if not kernel.sched.runq:
        p = select.poll()
        for f, events in pt.hosts:
            hfd = getattr(f, "hfd", -1)
            if hfd >= 0:
                p.register(hfd, events & 0xFFFF)
        try:
            p.poll(max(0, step - now) // 1_000_000)
        except InterruptedError:
            pass
    return step
