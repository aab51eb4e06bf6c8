"""Seccomp user notification (Linux kernel/seccomp.c: seccomp_do_user_notification, the listener's
ioctls, poll and release).

A filter installed with SECCOMP_FILTER_FLAG_NEW_LISTENER has a listener fd.  A syscall it answers with
SECCOMP_RET_USER_NOTIF becomes a notification on it and the task waits (interruptibly; killably once the
supervisor has received it, with SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV).  The supervisor receives it
(NOTIF_RECV: id, pid, seccomp_data), may put fds into the task (NOTIF_ADDFD), and answers (NOTIF_SEND: a
result, or SECCOMP_USER_NOTIF_FLAG_CONTINUE to run the syscall after all).  Closing the listener answers
every waiting notification with ENOSYS.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from ..abi import errno as E
from ..abi.fcntl import O_CLOEXEC, O_RDWR
from ..abi.resource import RLIMIT_NOFILE
from ..abi.seccomp import (
    SECCOMP_ADDFD_FLAG_SEND,
    SECCOMP_ADDFD_FLAG_SETFD,
    SECCOMP_IOCTL_NOTIF_ADDFD,
    SECCOMP_IOCTL_NOTIF_ID_VALID,
    SECCOMP_IOCTL_NOTIF_RECV,
    SECCOMP_IOCTL_NOTIF_SEND,
    SECCOMP_IOCTL_NOTIF_SET_FLAGS,
    SECCOMP_NOTIF_SIZE,
    SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP,
    SECCOMP_USER_NOTIF_FLAG_CONTINUE,
)
from ..abi.siginfo import AUDIT_ARCH_X86_64
from ..cpu import ARG_REGS, RAX, RIP
from ..errors import Errno
from ..fs.anon import anon_inode_stat
from ..fs.file import File
from ..fs.poll import POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, WaitHead, wake_up
from ..sched import Block, WaitQueue
from ..threadgroup import task_rlimit

if TYPE_CHECKING:
    from ..fs.stat import Kstat
    from ..task import Task
    from .filter import SeccompFilter

SECCOMP_DATA = struct.Struct("<iIQ6Q")
NOTIF_HEAD = struct.Struct("<QII")  # struct seccomp_notif: id, pid, flags (then seccomp_data)
NOTIF_RESP = struct.Struct("<QqiI")  # struct seccomp_notif_resp: id, val, error, flags
NOTIF_ADDFD = struct.Struct("<QIIII")  # struct seccomp_notif_addfd: id, flags, srcfd, newfd, newfd_flags
U64 = struct.Struct("<Q")
_IOC_SIZE_MASK = 0x3FFF << 16
_EA_MASK = 0xC0000000 | _IOC_SIZE_MASK  # IOC_INOUT | IOCSIZE_MASK
INIT, SENT, REPLIED = 0, 1, 2  # SECCOMP_NOTIFY_*
SYSCALL_RUN, SYSCALL_SKIP, SYSCALL_HELD = 0, -1, 1


class Notification:
    """struct seccomp_knotif: one task's syscall waiting for the supervisor."""

    __slots__ = ("id", "task", "data", "state", "val", "error", "flags", "ready")

    def __init__(self, nid: int, task: Task, data: bytes) -> None:
        self.id = nid
        self.task = task
        self.data = data
        self.state = INIT
        self.val = 0
        self.error = 0
        self.flags = 0
        self.ready = WaitQueue("seccomp user notification reply")


class Notif:
    """struct notification: a filter's listener state."""

    __slots__ = ("next_id", "notifications", "requests", "wqh", "flags")

    def __init__(self, first_id: int) -> None:
        self.next_id = first_id
        self.notifications: list[Notification] = []
        self.requests = WaitQueue("seccomp NOTIF_RECV")  # supervisors waiting for a notification
        self.wqh = WaitHead("seccomp listener")
        self.flags = 0

    def live(self) -> list[Notification]:
        """The notifications whose task has not died meanwhile (a killed task's wait just ends)."""
        self.notifications = [n for n in self.notifications if n.task.alive]
        return self.notifications

    def find(self, nid: int) -> Notification | None:
        for n in self.live():
            if n.id == nid:
                return n
        return None


def seccomp_data(task: Task, nr: int) -> bytes:
    cpu = task.mm.cpu
    return SECCOMP_DATA.pack(nr, AUDIT_ARCH_X86_64, cpu.reg(RIP), *(cpu.reg(r) for r in ARG_REGS))


def seccomp_do_user_notification(task: Task, nr: int, match: SeccompFilter, done) -> int:
    """seccomp_do_user_notification: queue the notification, wake the supervisor, and wait for its answer
    (the scheduler runs `check` each time the task is woken)."""
    notif = match.notif
    kernel = task.kernel
    if notif is None:  # the listener is gone
        task.mm.cpu.set_reg(RAX, -E.ENOSYS)
        return SYSCALL_SKIP
    n = Notification(notif.next_id, task, seccomp_data(task, nr))
    notif.next_id = (notif.next_id + 1) & 0xFFFFFFFFFFFFFFFF
    notif.notifications.append(n)
    kernel.sched.wake_all(notif.requests)
    wake_up(kernel, notif.wqh, POLLIN | POLLRDNORM)

    def check() -> None:
        if n.state == REPLIED:
            if n in notif.notifications:
                notif.notifications.remove(n)
            if n.flags & SECCOMP_USER_NOTIF_FLAG_CONTINUE:
                done(SYSCALL_RUN)
                return
            task.mm.cpu.set_reg(RAX, n.error if n.error else n.val)
            done(SYSCALL_SKIP)
            return
        killable = match.wait_killable_recv and n.state == SENT
        if task.signal_interrupts() and not killable:
            # interrupted: the notification goes, the syscall restarts or fails with EINTR after the handler
            if n in notif.notifications:
                notif.notifications.remove(n)
            task.mm.cpu.set_reg(RAX, -E.ERESTARTSYS)
            done(SYSCALL_SKIP)
            return
        wait()

    def wait() -> None:
        task.restart = (None, None, check)
        task.restart_in_hook = False
        kernel.sched.block(task, Block(n.ready, what="seccomp user notification"))

    if match.wait_killable_recv or not task.signal_interrupts():
        wait()
        return SYSCALL_HELD
    notif.notifications.remove(n)
    task.mm.cpu.set_reg(RAX, -E.ERESTARTSYS)
    return SYSCALL_SKIP


def reply(notif: Notif, n: Notification, val: int, error: int, flags: int) -> None:
    """The answer: the notification leaves the listener's list at once (in Linux the woken task removes
    it before the supervisor can look again)."""
    n.state = REPLIED
    n.val, n.error, n.flags = val, error, flags
    if n in notif.notifications:
        notif.notifications.remove(n)


def seccomp_filter_release(task: Task) -> None:
    """A dying task no longer uses its filters: a listener whose filter it was the last user of is woken
    (NOTIF_RECV gives ENOENT, poll POLLHUP), as __seccomp_filter_orphan does."""
    sc = task.seccomp
    if sc is None or sc.filter is None:
        return
    kernel = task.kernel
    for filt in sc.filter.chain():
        notif = filt.notif
        if notif is not None:
            kernel.sched.wake_all(notif.requests)
            wake_up(kernel, notif.wqh, POLLHUP)


def init_listener(kernel, filt: SeccompFilter) -> SeccompListener:
    """init_listener: the filter's notification state and its anonymous-inode file."""
    first = int.from_bytes(kernel.random_bytes(8), "little")
    filt.notif = Notif(first)
    return SeccompListener(kernel, filt)


class SeccompListener(File):
    """The listener fd (anon_inode:seccomp notify)."""

    __slots__ = ("kernel", "filter")

    can_poll = True

    def __init__(self, kernel, filt: SeccompFilter) -> None:
        super().__init__(None, None, O_RDWR)
        self.kernel = kernel
        self.filter = filt

    def fdinfo_name(self) -> str:
        return "anon_inode:seccomp notify"

    def stat(self) -> Kstat:
        return anon_inode_stat()

    def release(self) -> None:
        """seccomp_notify_detach: every notification not answered yet is answered with ENOSYS."""
        notif = self.filter.notif
        if notif is None:
            return
        self.filter.notif = None
        for n in notif.live():
            if n.state != REPLIED:
                n.state = REPLIED
                n.error = -E.ENOSYS
                n.val = 0
                self.kernel.sched.wake_all(n.ready)

    def poll(self, task, pt) -> int:
        """seccomp_notify_poll: readable while a notification waits to be received, writable while one
        waits for its answer, hung up once no task uses the filter."""
        notif = self.filter.notif
        if notif is None:
            return POLLHUP
        if pt is not None:
            pt.wait(notif.wqh)
        mask = 0
        for n in notif.live():
            if n.state == INIT:
                mask |= POLLIN | POLLRDNORM
            elif n.state == SENT:
                mask |= POLLOUT | POLLWRNORM
        if not self._in_use():
            mask |= POLLHUP
        return mask

    def _in_use(self) -> bool:
        filt = self.filter
        for t in self.kernel.tasks.values():
            sc = t.seccomp
            if t.alive and sc is not None and sc.filter is not None and filt in sc.filter.chain():
                return True
        return False

    def ioctl(self, task: Task, request: int, arg: int):
        notif = self.filter.notif
        if request == SECCOMP_IOCTL_NOTIF_RECV:
            return self.recv(task, arg)
        if request == SECCOMP_IOCTL_NOTIF_SEND:
            return self.send(task, arg)
        if request == SECCOMP_IOCTL_NOTIF_ID_VALID:
            nid = U64.unpack(task.mm.read(arg, 8))[0]
            n = notif.find(nid) if notif is not None else None
            if n is None or n.state != SENT:
                raise Errno(E.ENOENT)
            return 0
        if request & ~_EA_MASK == SECCOMP_IOCTL_NOTIF_ADDFD & ~_EA_MASK:
            # EA_IOCTL: neither direction nor size tells the command; the size is the caller's struct
            # version (copy_struct_from_user)
            return self.addfd(task, arg, (request & _IOC_SIZE_MASK) >> 16)
        if request == SECCOMP_IOCTL_NOTIF_SET_FLAGS:
            if arg & ~SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP:
                raise Errno(E.EINVAL)
            if notif is not None:
                notif.flags = arg
            return 0
        raise Errno(E.EINVAL)

    def recv(self, task: Task, arg: int):
        """seccomp_notify_recv: the buffer must be zeroed (EINVAL); wait for a notification, mark it sent."""
        if any(task.mm.read(arg, SECCOMP_NOTIF_SIZE)):
            raise Errno(E.EINVAL)

        def attempt():
            notif = self.filter.notif
            if notif is None:
                return -E.ENOENT
            for n in notif.live():
                if n.state == INIT:
                    break
            else:
                if not self._in_use():
                    return -E.ENOENT  # no task uses the filter any more: nothing will come
                if task.signal_interrupts():
                    return -E.EINTR
                return Block(notif.requests, what="seccomp NOTIF_RECV", resume=attempt)
            out = NOTIF_HEAD.pack(n.id, self.kernel.vpid(task, n.task), 0) + n.data
            task.mm.write(arg, out)
            n.state = SENT
            wake_up(self.kernel, notif.wqh, POLLOUT | POLLWRNORM)
            return 0

        return attempt()

    def received(self, nid: int) -> tuple[Notif, Notification]:
        """The notification nid, received and not answered yet: ENOENT if there is none, EINPROGRESS if
        it is still waiting to be received."""
        notif = self.filter.notif
        n = notif.find(nid) if notif is not None else None
        if n is None:
            raise Errno(E.ENOENT)
        if n.state != SENT:
            raise Errno(E.EINPROGRESS)
        return notif, n

    def send(self, task: Task, arg: int) -> int:
        """seccomp_notify_send: the answer to a received notification."""
        nid, val, error, flags = NOTIF_RESP.unpack(task.mm.read(arg, NOTIF_RESP.size))
        if flags & ~SECCOMP_USER_NOTIF_FLAG_CONTINUE:
            raise Errno(E.EINVAL)
        if flags & SECCOMP_USER_NOTIF_FLAG_CONTINUE and (error or val):
            raise Errno(E.EINVAL)
        notif, n = self.received(nid)
        reply(notif, n, val, error, flags)
        self.kernel.sched.wake_all(n.ready)
        return 0

    def addfd(self, task: Task, arg: int, size: int) -> int:
        """seccomp_notify_addfd: put a copy of one of our fds into the notifying task (at newfd with SETFD),
        and with SEND answer the notification with that fd at once.  A struct smaller than the first
        version is EINVAL, a larger one must be zero past it (E2BIG)."""
        if size < NOTIF_ADDFD.size or size >= 4096:
            raise Errno(E.EINVAL)
        raw = task.mm.read(arg, size)
        if any(raw[NOTIF_ADDFD.size:]):
            raise Errno(E.E2BIG)
        nid, flags, srcfd, newfd, newfd_flags = NOTIF_ADDFD.unpack_from(raw)
        if newfd_flags & ~O_CLOEXEC:
            raise Errno(E.EINVAL)
        if flags & ~(SECCOMP_ADDFD_FLAG_SETFD | SECCOMP_ADDFD_FLAG_SEND):
            raise Errno(E.EINVAL)
        if newfd and not flags & SECCOMP_ADDFD_FLAG_SETFD:
            raise Errno(E.EINVAL)
        src = task.files.lookup(srcfd)
        if src is None:
            raise Errno(E.EBADF)
        notif, n = self.received(nid)
        target = n.task
        files = target.files
        cloexec = bool(newfd_flags & O_CLOEXEC)
        limit = task_rlimit(target, RLIMIT_NOFILE)
        if flags & SECCOMP_ADDFD_FLAG_SETFD:
            if newfd >= limit:
                raise Errno(E.EBADF)
            if newfd in files:
                files.close(newfd)
            files.install_at(newfd, src, cloexec)
            fd = newfd
        else:
            fd = files.install(src, cloexec=cloexec, limit=limit)
        if flags & SECCOMP_ADDFD_FLAG_SEND:
            reply(notif, n, fd, 0, 0)
            self.kernel.sched.wake_all(n.ready)
        return fd
