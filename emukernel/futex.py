"""Futexes (Linux kernel/futex/): wait/wake/requeue keyed by (mm, address) or, for MAP_SHARED memory, by
the host memory behind the word, so processes sharing a mapping after fork meet on the same key.

A waiter is an object that wake and requeue move around; the waiting task is parked on it and, once woken,
its syscall completes with 0 (or ETIMEDOUT when its deadline passed first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .abi import errno as E
from .abi.futex import FUTEX_BITSET_MATCH_ANY, FUTEX_CLOCK_REALTIME, FUTEX_PRIVATE_FLAG
from .errors import Errno
from .sched import Block

if TYPE_CHECKING:
    from .task import Task

FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK = 0x80000000, 0x40000000, 0x3FFFFFFF
ROBUST_LIST_LIMIT = 2048


class Waiter:
    __slots__ = ("task", "key", "bitset", "woken")

    def __init__(self, task: Task, key: tuple, bitset: int) -> None:
        self.task = task
        self.key = key
        self.bitset = bitset
        self.woken = False


class Futexes:
    """The futex hash table: key -> list of waiters in FIFO order."""

    def __init__(self, kernel) -> None:
        self.kernel = kernel
        self.queues: dict[tuple, list[Waiter]] = {}

    @staticmethod
    def key(task: Task, addr: int, private: bool = False) -> tuple:
        """get_futex_key.  A private key is (mm, address) and never touches memory; a shared key looks the
        page up (EFAULT if unmapped): MAP_SHARED memory is keyed by the host memory behind it, private
        memory by (mm, address) marked shared, which a private waiter does not match (FUT_OFF_MMSHARED)."""
        if addr & 3:
            raise Errno(E.EINVAL)
        mm = task.mm
        if addr >= 0x7FFFFFFFF000:
            raise Errno(E.EFAULT)
        if private:
            return (id(mm), addr)
        v = mm.find_vma(addr)
        if v is None or not v.prot:
            raise Errno(E.EFAULT)
        if v.block is not None:
            return ("shared", v.host + (addr - v.start))
        return (id(mm), addr, "mm-shared")

    def wait(self, task: Task, addr: int, val: int, deadline: int | None, bitset: int, private: bool = False):
        """futex_wait: EAGAIN if *addr != val, else park until woken (0) or the deadline (ETIMEDOUT)."""
        if not bitset:
            raise Errno(E.EINVAL)
        key = self.key(task, addr, private)
        if task.mm.read_u32(addr) != val & 0xFFFFFFFF:
            raise Errno(E.EAGAIN)
        w = Waiter(task, key, bitset)
        self.queues.setdefault(key, []).append(w)
        clock = self.kernel.clock

        def resume():
            if w.woken:
                return 0
            if deadline is not None and clock.monotonic_ns() >= deadline:
                self._unqueue(w)
                return -E.ETIMEDOUT
            if task.signal_interrupts():
                self._unqueue(w)
                if deadline is None:
                    return -E.ERESTARTSYS
                # a timed wait restarts through restart_syscall with the same deadline (futex_wait_restart),
                # so a handler always makes it EINTR, SA_RESTART or not
                task.restart_block = lambda: self.wait(task, addr, val, deadline, bitset, private)
                return -E.ERESTART_RESTARTBLOCK
            return Block(None, deadline, f"futex {addr:#x}", resume, hook_ok=True)

        return Block(None, deadline, f"futex {addr:#x}", resume, hook_ok=True)

    def _unqueue(self, w: Waiter) -> None:
        q = self.queues.get(w.key)
        if q is not None and w in q:
            q.remove(w)
            if not q:
                del self.queues[w.key]

    def wake_key(self, key: tuple, n: int, bitset: int = FUTEX_BITSET_MATCH_ANY) -> int:
        q = self.queues.get(key)
        if not q:
            return 0
        woken = 0
        for w in list(q):
            if woken >= n:
                break
            if w.bitset & bitset:
                q.remove(w)
                w.woken = True
                self.kernel.sched.wake(w.task)
                woken += 1
        if not q:
            del self.queues[key]
        return woken

    def wake(self, task: Task, addr: int, n: int, bitset: int = FUTEX_BITSET_MATCH_ANY,
             private: bool = False) -> int:
        if not bitset:
            raise Errno(E.EINVAL)
        return self.wake_key(self.key(task, addr, private), n, bitset)

    def requeue(self, task: Task, addr: int, addr2: int, nr_wake: int, nr_requeue: int,
                cmpval: int | None, private: bool = False) -> int:
        """futex_requeue: wake nr_wake waiters on addr, move up to nr_requeue of the rest to addr2."""
        if nr_wake > 0x7FFFFFFF or nr_requeue > 0x7FFFFFFF:
            raise Errno(E.EINVAL)
        key1 = self.key(task, addr, private)
        key2 = self.key(task, addr2, private)
        if cmpval is not None and task.mm.read_u32(addr) != cmpval & 0xFFFFFFFF:
            raise Errno(E.EAGAIN)
        woken = self.wake_key(key1, nr_wake)
        moved = 0
        q = self.queues.get(key1)
        if q and key1 != key2:
            while q and moved < nr_requeue:
                w = q.pop(0)
                w.key = key2
                self.queues.setdefault(key2, []).append(w)
                moved += 1
            if not q:
                del self.queues[key1]
        return woken + moved

    def wake_op(self, task: Task, addr: int, addr2: int, nr_wake: int, nr_wake2: int, encoded: int,
                private: bool = False) -> int:
        """futex_wake_op: *addr2 = op(*addr2, oparg) atomically; wake addr; maybe wake addr2."""
        op = (encoded >> 28) & 0xF
        cmp = (encoded >> 24) & 0xF
        oparg = (encoded >> 12) & 0xFFF
        cmparg = encoded & 0xFFF
        if oparg & 0x800:
            oparg -= 0x1000
        if cmparg & 0x800:
            cmparg -= 0x1000
        if op & 8:  # FUTEX_OP_OPARG_SHIFT
            if not 0 <= oparg <= 31:
                oparg &= 31  # Linux warns and masks
            oparg = 1 << oparg
            op &= 7
        key1 = self.key(task, addr, private)
        key2 = self.key(task, addr2, private)
        old = task.mm.read_u32(addr2)
        ops = {0: lambda o: oparg, 1: lambda o: o + oparg, 2: lambda o: o | oparg, 3: lambda o: o & ~oparg,
               4: lambda o: o ^ oparg}
        if op not in ops:
            raise Errno(E.ENOSYS)
        task.mm.write_u32(addr2, ops[op](old) & 0xFFFFFFFF)
        s_old = old - (1 << 32) if old & 0x80000000 else old
        cmps = {0: s_old == cmparg, 1: s_old != cmparg, 2: s_old < cmparg, 3: s_old <= cmparg,
                4: s_old > cmparg, 5: s_old >= cmparg}
        if cmp not in cmps:
            raise Errno(E.ENOSYS)
        n = self.wake_key(key1, nr_wake)
        if cmps[cmp]:
            n += self.wake_key(key2, nr_wake2)
        return n

    # -- exit ---------------------------------------------------------------------------------------
    def exit_robust_list(self, task: Task) -> None:
        """exit_robust_list: mark each futex the dead thread held FUTEX_OWNER_DIED and wake a waiter."""
        head = task.robust_list
        if not head or task.mm is None:
            return
        mm = task.mm
        try:
            entry = mm.read_u64(head)
            offset = mm.read_u64(head + 8)
            pending = mm.read_u64(head + 16)
        except Errno:
            return
        if offset & (1 << 63):
            offset -= 1 << 64
        limit = ROBUST_LIST_LIMIT
        while entry != head and limit:
            nxt = 0
            try:
                nxt = mm.read_u64(entry & ~1)
            except Errno:
                return
            if entry != pending:
                self._handle_died(task, (entry & ~1) + offset)
            entry = nxt
            limit -= 1
        if pending:
            self._handle_died(task, (pending & ~1) + offset)

    def _handle_died(self, task: Task, uaddr: int) -> None:
        """handle_futex_death."""
        mm = task.mm
        try:
            val = mm.read_u32(uaddr)
            if val & FUTEX_TID_MASK != task.tid:
                return
            mm.write_u32(uaddr, (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED)
            if val & FUTEX_WAITERS:
                # Linux wakes with a shared key; a process-private waiter is keyed privately: try both
                if not self.wake_key(self.key(task, uaddr), 1):
                    self.wake_key(self.key(task, uaddr, private=True), 1)
        except Errno:
            pass
