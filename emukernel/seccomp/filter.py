"""Seccomp filters and the filter tree (Linux kernel/seccomp.c: seccomp_prepare_filter,
seccomp_attach_filter, seccomp_can_sync_threads, seccomp_sync_threads, seccomp_run_filters, the action
cache).

A task's filters are a chain, newest first, each node pointing at the one installed before it (`prev`).
Nodes are never changed once attached and are shared: fork gives the child the same chain, exec keeps
it, and a thread that adds a filter only grows its own branch, so the filters of a process's threads form
a tree.  TSYNC may replace every other thread's chain by the caller's only where that thread's chain is an
ancestor of the caller's (is_ancestor): otherwise a thread would lose a filter it had.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from ..abi import errno as E
from ..abi.capability import CAP_SYS_ADMIN
from ..abi.seccomp import (
    MAX_INSNS_PER_PATH,
    SECCOMP_FILTER_FLAG_LOG,
    SECCOMP_FILTER_FLAG_TSYNC,
    SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
    SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
    SECCOMP_MODE_DISABLED,
    SECCOMP_MODE_FILTER,
    SECCOMP_RET_ACTION_FULL,
    SECCOMP_RET_ALLOW,
    SECCOMP_RET_LOG,
)
from ..abi.siginfo import AUDIT_ARCH_X86_64
from ..creds import capable
from ..errors import Errno
from .bpf import (
    BPF_ALU,
    BPF_DIV,
    BPF_JA,
    BPF_JMP,
    BPF_JSET,
    BPF_MAXINSNS,
    BPF_MOD,
    BPF_RET,
    BPF_X,
    allowed_numbers,
    check_filter,
    compile_filter,
    parse_filter,
)

if TYPE_CHECKING:
    from ..task import Task

SOCK_FPROG = struct.Struct("<H6xQ")  # struct sock_fprog: len, filter pointer
SOCK_FILTER_SIZE = 8


class SeccompFilter:
    """struct seccomp_filter: one checked, compiled program and the filter installed before it."""

    __slots__ = ("insns", "orig", "run", "prev", "log", "wait_killable_recv", "notif", "allow", "length")

    def __init__(self, insns: tuple, orig: bytes, prev: SeccompFilter | None = None) -> None:
        self.insns = insns
        self.orig = orig  # the program as the task gave it (PTRACE_SECCOMP_GET_FILTER)
        self.length = converted_length(insns)
        self.run = compile_filter(insns)  # (nr, arch, ip, args) -> the 32-bit result
        self.prev = prev
        self.log = False
        self.wait_killable_recv = False
        self.notif = None  # the user-notification listener's state (seccomp/notify.py), if it has one
        self.allow: frozenset[int] = frozenset()  # the action cache: numbers always ALLOWed, whole chain

    def chain(self):
        f = self
        while f is not None:
            yield f
            f = f.prev


class Seccomp:
    """task_struct.seccomp: the mode and the newest filter (shared with whoever shares the chain)."""

    __slots__ = ("mode", "filter", "count")

    def __init__(self, mode: int = SECCOMP_MODE_DISABLED, filt: SeccompFilter | None = None, count: int = 0):
        self.mode = mode
        self.filter = filt
        self.count = count  # seccomp.filter_count (Seccomp_filters: in /proc/PID/status)

    def copy(self) -> Seccomp:
        return Seccomp(self.mode, self.filter, self.count)


def converted_length(insns: tuple) -> int:
    """The program's length once Linux converts it to eBPF (bpf_convert_filter), which is what the chain's
    32768-instruction budget counts: 3 instructions of prologue; a RET becomes a move and an exit; a
    conditional jump with neither target the next instruction becomes a jump and a JA (JEQ, JGT and JGE
    whose true target is next are inverted instead), and one with a constant that is negative as an int
    needs it loaded into a register first; a division or modulo by X gets its divide-by-zero check."""
    n = 3
    for ins in insns:
        code = ins.code
        cls = code & 0x07
        if cls == BPF_RET:
            n += 2
        elif cls == BPF_JMP and code & 0xF0 != BPF_JA:
            n += 1
            if ins.jf and (ins.jt or code & 0xF0 == BPF_JSET):
                n += 1
            if code & BPF_X == 0 and ins.k & 0x80000000:
                n += 1
        elif cls == BPF_ALU and code & BPF_X and code & 0xF0 in (BPF_DIV, BPF_MOD):
            n += 5
        else:
            n += 1
    return n


def seccomp_prepare_user_filter(task: Task, uaddr: int) -> SeccompFilter:
    """seccomp_prepare_user_filter + seccomp_prepare_filter: copy struct sock_fprog and its program, in
    Linux's order of errors (EFAULT for the header, EINVAL for its length, EACCES without no_new_privs or
    CAP_SYS_ADMIN, EFAULT for the program, EINVAL from the checker)."""
    mm = task.mm
    length, ptr = SOCK_FPROG.unpack(mm.read(uaddr, SOCK_FPROG.size))
    if length == 0 or length > BPF_MAXINSNS:
        raise Errno(E.EINVAL)
    if not task.no_new_privs and not capable(task.creds, CAP_SYS_ADMIN):
        raise Errno(E.EACCES)
    if not ptr:  # bpf_check_basics_ok: a NULL array is a bad program, not a bad address
        raise Errno(E.EINVAL)
    raw = mm.read(ptr, length * SOCK_FILTER_SIZE)
    return SeccompFilter(check_filter(parse_filter(raw)), raw)


def is_ancestor(parent: SeccompFilter | None, child: SeccompFilter | None) -> bool:
    """is_ancestor: parent is on child's chain (no filter is everyone's ancestor)."""
    if parent is None:
        return True
    while child is not None:
        if child is parent:
            return True
        child = child.prev
    return False


def seccomp_can_sync_threads(task: Task) -> int:
    """seccomp_can_sync_threads: 0, or the tid (in the caller's namespace) of the first other thread whose
    filters are not an ancestor of the caller's."""
    mine = task.seccomp.filter if task.seccomp is not None else None
    for t in task.tg.tasks:
        if t is task or not t.alive:
            continue
        sc = t.seccomp
        if sc is None or sc.mode == SECCOMP_MODE_DISABLED or (
                sc.mode == SECCOMP_MODE_FILTER and is_ancestor(sc.filter, mine)):
            continue
        return task.kernel.vpid(task, t) or -E.ESRCH
    return 0


def seccomp_sync_threads(task: Task) -> None:
    """seccomp_sync_threads: every other thread takes the caller's chain, its no_new_privs and filter mode."""
    mine = task.seccomp
    for t in task.tg.tasks:
        if t is task or not t.alive:
            continue
        sc = t.seccomp
        if sc is None:
            sc = t.seccomp = Seccomp()
        sc.filter = mine.filter
        sc.count = mine.count
        if task.no_new_privs:
            t.no_new_privs = True
        if sc.mode == SECCOMP_MODE_DISABLED:
            sc.mode = SECCOMP_MODE_FILTER
        t.syscall_work_changed()


def seccomp_attach_filter(task: Task, flags: int, filt: SeccompFilter) -> None:
    """seccomp_attach_filter: the chain's length limit (ENOMEM), TSYNC's check (a thread's tid, or ESRCH),
    then the new node on top of the caller's chain and, with TSYNC, on every thread's."""
    sc = task.seccomp
    total = filt.length
    if sc is not None and sc.filter is not None:
        for f in sc.filter.chain():
            total += f.length + 4  # Linux's penalty per filter
    if total > MAX_INSNS_PER_PATH:
        raise Errno(E.ENOMEM)
    if flags & SECCOMP_FILTER_FLAG_TSYNC:
        failed = seccomp_can_sync_threads(task)
        if failed:
            if flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH:
                raise Errno(E.ESRCH)
            raise TsyncFailed(failed)
    if flags & SECCOMP_FILTER_FLAG_LOG:
        filt.log = True
    if flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV:
        filt.wait_killable_recv = True
    if sc is None:
        sc = task.seccomp = Seccomp()
    filt.prev = sc.filter
    seccomp_cache_prepare(filt)
    sc.filter = filt
    sc.count += 1
    if flags & SECCOMP_FILTER_FLAG_TSYNC:
        seccomp_sync_threads(task)


class TsyncFailed(Exception):
    """TSYNC found a thread it cannot synchronise: seccomp(2) returns that thread's tid (not an error)."""

    def __init__(self, tid: int) -> None:
        super().__init__(tid)
        self.tid = tid


def seccomp_cache_prepare(filt: SeccompFilter) -> None:
    """seccomp_cache_prepare: the syscall numbers this filter always allows for x86-64, whatever the
    arguments, and that every older filter always allows too."""
    allow = allowed_numbers(filt.insns, AUDIT_ARCH_X86_64)
    if filt.prev is not None:
        allow = allow & filt.prev.allow
    filt.allow = frozenset(allow)


SECCOMP_METADATA = struct.Struct("<QQ")  # struct seccomp_metadata: filter_off, flags


def get_nth_filter(child: Task, filter_off: int) -> SeccompFilter:
    """get_nth_filter: the filter_off-th filter of the child's chain, the oldest first."""
    sc = child.seccomp
    if sc is None or sc.mode != SECCOMP_MODE_FILTER or sc.filter is None:
        raise Errno(E.EINVAL)
    chain = list(sc.filter.chain())
    if filter_off >= len(chain):
        raise Errno(E.ENOENT)
    return chain[len(chain) - 1 - filter_off]


def seccomp_get_metadata(tracer: Task, child: Task, size: int, data: int) -> int:
    """PTRACE_SECCOMP_GET_METADATA: a filter's flags (FLAG_LOG); reads filter_off from the tracer's struct,
    writes back at most size bytes and returns that size."""
    if not capable(tracer.creds, CAP_SYS_ADMIN) or (tracer.seccomp is not None
                                                     and tracer.seccomp.mode != SECCOMP_MODE_DISABLED):
        raise Errno(E.EACCES)
    size = min(size, SECCOMP_METADATA.size)
    if size < 8:
        raise Errno(E.EINVAL)
    filter_off = struct.unpack("<Q", tracer.mm.read(data, 8))[0]
    filt = get_nth_filter(child, filter_off)
    tracer.mm.write(data, SECCOMP_METADATA.pack(filter_off, SECCOMP_FILTER_FLAG_LOG if filt.log else 0)[:size])
    return size


def seccomp_get_filter(tracer: Task, child: Task, filter_off: int, data: int) -> int:
    """PTRACE_SECCOMP_GET_FILTER: the filter_off-th filter of the child's chain, the oldest first, as it
    was given; returns its length in instructions (copies it when data is not NULL).  Only a tracer with
    CAP_SYS_ADMIN and no filters of its own may."""
    if not capable(tracer.creds, CAP_SYS_ADMIN) or (tracer.seccomp is not None
                                                     and tracer.seccomp.mode != SECCOMP_MODE_DISABLED):
        raise Errno(E.EACCES)
    filt = get_nth_filter(child, filter_off)
    if data:
        tracer.mm.write(data, filt.orig)
    return filt.length


def seccomp_allows(task: Task, nr: int, ip: int, args: tuple) -> bool:
    """The filters' verdict on a syscall is ALLOW or LOG (nothing else to do at entry): the syscall hook
    asks this for a filtered task, to keep such syscalls in emulation."""
    ret, _ = seccomp_run_filters(task.seccomp.filter, nr, AUDIT_ARCH_X86_64, ip, args)
    action = ret & SECCOMP_RET_ACTION_FULL
    return action == SECCOMP_RET_ALLOW or action == SECCOMP_RET_LOG


def _action(ret: int) -> int:
    """ACTION_ONLY: the action bits as a signed 32-bit number (KILL_PROCESS, 0x80000000, is the least)."""
    a = ret & SECCOMP_RET_ACTION_FULL
    return a - (1 << 32) if a & 0x80000000 else a


def seccomp_run_filters(filt: SeccompFilter, nr: int, arch: int, ip: int, args: tuple) -> tuple[int, SeccompFilter | None]:
    """seccomp_run_filters: every filter of the chain, newest first; the least permissive result wins (the
    first of equals).  Returns (result, the filter that gave it; None for ALLOW)."""
    if arch == AUDIT_ARCH_X86_64 and nr in filt.allow:
        return SECCOMP_RET_ALLOW, None
    ret = SECCOMP_RET_ALLOW
    best = _action(ret)
    match = None
    f = filt
    while f is not None:
        cur = f.run(nr, arch, ip, args)
        a = _action(cur)
        if a < best:
            ret, best, match = cur, a, f
        f = f.prev
    return ret, match
