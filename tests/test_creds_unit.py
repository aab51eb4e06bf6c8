"""Credentials without Unicorn: the setuid family's state machine, the capability effects of id changes
(security/commoncap.c), capset, the capability prctls, exec's capability transform, kill permission, and the
syscall entry points over a fake address space."""

from __future__ import annotations

import os
import struct
from types import SimpleNamespace

import pytest

from emukernel import creds as C
from emukernel.abi import capability as CAP
from emukernel.abi import errno as E
from emukernel.abi import prctl as P
from emukernel.abi import signal as S
from emukernel.creds import Creds
from emukernel.errors import Errno
from emukernel.signal.kill import may_signal
from emukernel.syscalls import creds as SC

FULL = C.CAP_FULL_SET
M1 = 0xFFFFFFFF  # (uid_t)-1 as a register holds it
BIT = [1 << n for n in range(64)]


def root() -> Creds:
    return Creds(0, 0)


def user(uid: int = 1000, gid: int = 1000) -> Creds:
    return Creds(uid, gid)


def ids(c: Creds) -> tuple[int, int, int, int]:
    return c.uid, c.euid, c.suid, c.fsuid


def gids(c: Creds) -> tuple[int, int, int, int]:
    return c.gid, c.egid, c.sgid, c.fsgid


def errno_of(fn, *args) -> int:
    with pytest.raises(Errno) as ei:
        fn(*args)
    return ei.value.errno


# -- the data -------------------------------------------------------------------------------------------------
def test_defaults_root_holds_everything_a_user_nothing() -> None:
    r, u = root(), user()
    assert r.cap_effective == r.cap_permitted == r.cap_bset == FULL and r.cap_inheritable == r.cap_ambient == 0
    assert u.cap_effective == u.cap_permitted == 0 and u.cap_bset == FULL
    assert r.capable(CAP.CAP_SETUID) and not u.capable(CAP.CAP_SETUID)
    assert r.securebits == 0


def test_copy_is_independent() -> None:
    a = root()
    b = a.copy()
    b.uid = 5
    b.cap_effective = 0
    assert a.uid == 0 and a.cap_effective == FULL
    assert all(getattr(a, k) == getattr(a.copy(), k) for k in Creds.__slots__)


def test_cap_last_cap_is_the_hosts() -> None:
    with open("/proc/sys/kernel/cap_last_cap") as f:
        assert int(f.read()) == C.CAP_LAST_CAP
    assert C.CAP_VALID_MASK == (1 << (C.CAP_LAST_CAP + 1)) - 1


def test_host_creds_match_the_host_process() -> None:
    c = C.host_creds()
    assert (c.uid, c.euid, c.suid) == os.getresuid()
    assert (c.gid, c.egid, c.sgid) == os.getresgid()
    assert c.fsuid == c.euid and c.fsgid == c.egid
    assert set(c.groups) == set(os.getgroups())
    status = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            status[k] = v.strip()
    assert c.cap_effective == int(status["CapEff"], 16)
    assert c.cap_permitted == int(status["CapPrm"], 16)
    assert c.cap_inheritable == int(status["CapInh"], 16)
    assert c.cap_bset == int(status["CapBnd"], 16)
    assert c.cap_ambient == int(status["CapAmb"], 16)


# -- setuid ---------------------------------------------------------------------------------------------------
def test_setuid_root_sets_all_four_and_drops_capabilities() -> None:
    old = root()
    old.cap_ambient = BIT[CAP.CAP_KILL]
    old.cap_inheritable = BIT[CAP.CAP_KILL]
    new = C.setuid(old, 1000)
    assert ids(new) == (1000, 1000, 1000, 1000)
    assert new.cap_permitted == new.cap_effective == new.cap_ambient == 0
    assert new.cap_inheritable == BIT[CAP.CAP_KILL] and new.cap_bset == FULL
    assert ids(old) == (0, 0, 0, 0) and old.cap_effective == FULL  # the old creds are untouched


def test_setuid_minus_one_is_einval() -> None:
    assert errno_of(C.setuid, root(), M1) == E.EINVAL
    assert errno_of(C.setuid, root(), (1 << 64) - 1) == E.EINVAL  # sign-extended -1 too
    assert errno_of(C.setgid, root(), M1) == E.EINVAL


def test_setuid_unprivileged_only_to_real_or_saved() -> None:
    c = user(1000)
    c.suid = 3000
    assert errno_of(C.setuid, c, 2000) == E.EPERM
    new = C.setuid(c, 3000)
    assert ids(new) == (1000, 3000, 3000, 3000)  # only euid and fsuid change
    new = C.setuid(new, 1000)
    assert ids(new) == (1000, 1000, 3000, 1000)


def test_setuid_with_euid_nonzero_but_cap_setuid_sets_all() -> None:
    c = user(1000)
    c.cap_effective = c.cap_permitted = BIT[CAP.CAP_SETUID]
    new = C.setuid(c, 2000)
    assert ids(new) == (2000, 2000, 2000, 2000)
    assert new.cap_effective == BIT[CAP.CAP_SETUID]  # no root id before: no fixup


def test_euid_zero_to_nonzero_clears_effective_keeps_permitted_while_a_root_id_remains() -> None:
    new = C.setresuid(root(), 1000, 1000, 0)
    assert ids(new) == (1000, 1000, 0, 1000)
    assert new.cap_effective == 0 and new.cap_permitted == FULL
    back = C.setresuid(new, M1, 0, M1)  # seteuid(0): 0 is the saved uid
    assert ids(back) == (1000, 0, 0, 0)
    assert back.cap_effective == FULL  # restored from permitted


def test_regaining_euid_zero_restores_only_permitted() -> None:
    c = C.setresuid(root(), 1000, 1000, 0)
    c = C.capset(c, 0, BIT[CAP.CAP_KILL] | BIT[CAP.CAP_SETUID], 0)
    c = C.setresuid(c, M1, 0, M1)
    assert c.cap_effective == BIT[CAP.CAP_KILL] | BIT[CAP.CAP_SETUID]


def test_keepcaps_keeps_permitted_but_not_effective_nor_ambient() -> None:
    c = root()
    c.cap_inheritable = c.cap_ambient = BIT[CAP.CAP_KILL]
    c = C.set_keepcaps(c, 1)
    new = C.setresuid(c, 1000, 1000, 1000)
    assert new.cap_permitted == FULL
    assert new.cap_effective == 0
    assert new.cap_ambient == 0


def test_no_setuid_fixup_leaves_capabilities_alone() -> None:
    c = C.set_securebits(root(), 1 << C.SECURE_NO_SETUID_FIXUP)
    new = C.setresuid(c, 1000, 1000, 1000)
    assert new.cap_effective == new.cap_permitted == FULL
    new = C.setfsuid(c, 1000)[0]
    assert new.cap_effective == FULL


def test_setresuid_rules() -> None:
    c = C.setresuid(root(), 1000, 2000, 3000)
    assert ids(c) == (1000, 2000, 3000, 2000)
    assert c.cap_effective == c.cap_permitted == 0
    assert C.setresuid(c, M1, M1, M1) is c  # a no-op commits nothing
    # unprivileged: any of the current three ids, in any slot
    n = C.setresuid(c, 3000, 1000, 2000)
    assert ids(n) == (3000, 1000, 2000, 1000)
    assert errno_of(C.setresuid, c, 4000, M1, M1) == E.EPERM
    assert errno_of(C.setresuid, c, M1, M1, 0) == E.EPERM


def test_setresuid_noop_needs_fsuid_to_match() -> None:
    c = root()
    c, _ = C.setfsuid(c, 5)
    new = C.setresuid(c, M1, 0, M1)  # euid unchanged but fsuid differs: not a no-op, fsuid follows euid
    assert new is not c and new.fsuid == 0


@pytest.mark.parametrize(
    ("start", "args", "want"),
    [
        # (uid, euid, suid) -> setreuid(ruid, euid) -> (uid, euid, suid); Linux kernel/sys.c __sys_setreuid
        ((1000, 1000, 0), (M1, 0), (1000, 0, 0)),  # euid != ruid: suid = euid
        ((1000, 0, 0), (M1, 1000), (1000, 1000, 0)),  # euid == old ruid: suid kept
        ((1000, 0, 0), (2000, M1), (2000, 0, 0)),  # ruid set: suid = euid
        ((1000, 0, 0), (M1, M1), (1000, 0, 0)),
        ((0, 0, 0), (1000, 2000), (1000, 2000, 2000)),
    ],
)
def test_setreuid_saved_uid(start, args, want) -> None:
    c = root()
    c.uid, c.euid, c.suid = start
    c.fsuid = c.euid
    if c.euid != 0:
        c.cap_effective = 0
    c.cap_effective |= BIT[CAP.CAP_SETUID]
    new = C.setreuid(c, *args)
    assert (new.uid, new.euid, new.suid) == want
    assert new.fsuid == new.euid


def test_setreuid_unprivileged() -> None:
    c = user(1000)
    c.euid, c.suid = 2000, 3000
    assert errno_of(C.setreuid, c, 3000, M1) == E.EPERM  # ruid only from ruid or euid
    assert C.setreuid(c, 2000, M1).uid == 2000
    assert C.setreuid(c, M1, 3000).euid == 3000
    assert errno_of(C.setreuid, c, M1, 4000) == E.EPERM


# -- fsuid ----------------------------------------------------------------------------------------------------
def test_setfsuid_returns_old_and_adjusts_the_fs_set() -> None:
    c = root()
    new, old = C.setfsuid(c, 1000)
    assert old == 0 and new.fsuid == 1000 and ids(new)[:3] == (0, 0, 0)
    assert new.cap_effective == FULL & ~C.CAP_FS_SET and new.cap_permitted == FULL
    assert not new.capable(CAP.CAP_DAC_OVERRIDE) and new.capable(CAP.CAP_SETUID)
    back, old = C.setfsuid(new, 0)
    assert old == 1000 and back.cap_effective == FULL


def test_setfsuid_query_and_refusal() -> None:
    c = user(1000)
    assert C.setfsuid(c, M1) == (c, 1000)
    assert C.setfsuid(c, 0) == (c, 1000)  # refused silently
    c.suid = 7
    new, old = C.setfsuid(c, 7)
    assert old == 1000 and new.fsuid == 7


def test_fs_set_contents() -> None:
    want = {CAP.CAP_CHOWN, CAP.CAP_DAC_OVERRIDE, CAP.CAP_DAC_READ_SEARCH, CAP.CAP_FOWNER, CAP.CAP_FSETID, CAP.CAP_MKNOD,
            CAP.CAP_LINUX_IMMUTABLE, CAP.CAP_MAC_OVERRIDE}
    assert C.CAP_FS_SET == sum(1 << c for c in want)


# -- gids and groups ------------------------------------------------------------------------------------------
def test_setgid_rules() -> None:
    assert gids(C.setgid(root(), 50)) == (50, 50, 50, 50)
    c = user(1000, 10)
    c.sgid = 30
    assert errno_of(C.setgid, c, 20) == E.EPERM
    assert gids(C.setgid(c, 30)) == (10, 30, 30, 30)


def test_setregid_and_setresgid_rules() -> None:
    c = C.setresgid(root(), 10, 20, 30)
    assert gids(c) == (10, 20, 30, 20)
    c = C.setregid(c, M1, 30)
    assert gids(c) == (10, 30, 30, 30)
    c = C.setregid(c, 40, M1)
    assert gids(c) == (40, 30, 30, 30)
    u = C.setresuid(c, 1000, 1000, 1000)
    assert errno_of(C.setresgid, u, M1, 70, M1) == E.EPERM
    assert errno_of(C.setregid, u, 70, M1) == E.EPERM
    assert gids(C.setresgid(u, 30, 40, 40)) == (30, 40, 40, 40)
    assert C.setresgid(u, M1, M1, M1) is u


def test_setfsgid() -> None:
    c, old = C.setfsgid(root(), 60)
    assert old == 0 and c.fsgid == 60
    u = C.setresuid(c, 1000, 1000, 1000)
    assert C.setfsgid(u, 70) == (u, 60)
    n, old = C.setfsgid(u, 0)
    assert old == 60 and n.fsgid == 0


def test_setgroups() -> None:
    c = C.setgroups(root(), [5, 3, 5, 0xFFFFFFFE])
    assert c.groups == (3, 5, 5, 0xFFFFFFFE)
    assert errno_of(C.setgroups, root(), [1, M1]) == E.EINVAL
    assert errno_of(C.setgroups, user(), [1]) == E.EPERM
    assert errno_of(C.setgroups, root(), [0] * (C.NGROUPS_MAX + 1)) == E.EINVAL
    assert C.setgroups(root(), []).groups == ()


# -- capset ---------------------------------------------------------------------------------------------------
def test_capset_rules() -> None:
    r = root()
    prm = FULL & ~BIT[CAP.CAP_SYS_ADMIN]
    assert errno_of(C.capset, r, FULL, prm, 0) == E.EPERM  # effective outside the new permitted
    c = C.capset(r, prm, prm, 0)
    assert errno_of(C.capset, c, prm, FULL, 0) == E.EPERM  # permitted may not grow
    c = C.capset(c, 0, prm & ~BIT[CAP.CAP_NET_RAW], 0)
    # without CAP_SETPCAP effective, inheritable stays within inheritable | permitted
    assert errno_of(C.capset, c, 0, c.cap_permitted, BIT[CAP.CAP_NET_RAW]) == E.EPERM
    assert C.capset(c, 0, c.cap_permitted, BIT[CAP.CAP_CHOWN]).cap_inheritable == BIT[CAP.CAP_CHOWN]
    # with CAP_SETPCAP anything within inheritable | bounding
    r2 = C.capbset_drop(root(), CAP.CAP_NET_RAW)
    assert C.capset(r2, FULL, FULL, BIT[CAP.CAP_SYS_ADMIN]).cap_inheritable == BIT[CAP.CAP_SYS_ADMIN]
    assert errno_of(C.capset, r2, FULL, FULL, BIT[CAP.CAP_NET_RAW]) == E.EPERM


def test_capset_masks_ambient() -> None:
    c = C.capset(root(), FULL, FULL, BIT[1] | BIT[5])
    c, _ = C.cap_ambient(c, C.PR_CAP_AMBIENT_RAISE, 1, 0, 0)
    c, _ = C.cap_ambient(c, C.PR_CAP_AMBIENT_RAISE, 5, 0, 0)
    assert c.cap_ambient == BIT[1] | BIT[5]
    c = C.capset(c, FULL, FULL, BIT[5])
    assert c.cap_ambient == BIT[5]
    c = C.capset(c, 0, FULL & ~BIT[5], BIT[5])
    assert c.cap_ambient == 0


# -- prctl ----------------------------------------------------------------------------------------------------
def test_capbset_drop_checks_privilege_before_the_number() -> None:
    assert errno_of(C.capbset_drop, user(), 999) == E.EPERM
    assert errno_of(C.capbset_drop, root(), C.CAP_LAST_CAP + 1) == E.EINVAL
    assert C.capbset_drop(root(), 3).cap_bset == FULL & ~BIT[3]


def test_securebits_locks() -> None:
    kc, kcl, nsf = C.SECBIT_KEEP_CAPS, C.SECBIT_KEEP_CAPS_LOCKED, C.SECBIT_NO_SETUID_FIXUP
    assert errno_of(C.set_securebits, root(), 1 << 20) == E.EPERM  # unknown bit
    assert errno_of(C.set_securebits, user(), kc) == E.EPERM  # needs CAP_SETPCAP
    c = C.set_securebits(root(), kc | kcl)
    assert errno_of(C.set_keepcaps, c, 0) == E.EPERM
    assert errno_of(C.set_securebits, c, kcl) == E.EPERM  # changing a locked bit
    assert errno_of(C.set_securebits, c, kc) == E.EPERM  # unlocking
    c = C.set_securebits(c, kc | kcl | nsf)
    assert C.set_securebits(c, kc | kcl).securebits == kc | kcl  # an unlocked bit clears
    assert errno_of(C.set_keepcaps, root(), 2) == E.EINVAL
    assert C.set_keepcaps(root(), 1).securebits == kc


def test_cap_ambient_rules() -> None:
    c = C.capset(root(), FULL, FULL, BIT[CAP.CAP_KILL])
    assert errno_of(C.cap_ambient, c, C.PR_CAP_AMBIENT_RAISE, CAP.CAP_CHOWN, 0, 0) == E.EPERM
    assert errno_of(C.cap_ambient, c, C.PR_CAP_AMBIENT_RAISE, 63, 0, 0) == E.EINVAL
    assert errno_of(C.cap_ambient, c, C.PR_CAP_AMBIENT_IS_SET, 1, 1, 0) == E.EINVAL
    assert errno_of(C.cap_ambient, c, 9, 1, 0, 0) == E.EINVAL
    assert errno_of(C.cap_ambient, c, C.PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0) == E.EINVAL
    c, r = C.cap_ambient(c, C.PR_CAP_AMBIENT_RAISE, CAP.CAP_KILL, 0, 0)
    assert r == 0 and C.cap_ambient(c, C.PR_CAP_AMBIENT_IS_SET, CAP.CAP_KILL, 0, 0)[1] == 1
    nr = C.set_securebits(c, C.SECBIT_NO_CAP_AMBIENT_RAISE)
    assert errno_of(C.cap_ambient, nr, C.PR_CAP_AMBIENT_RAISE, CAP.CAP_KILL, 0, 0) == E.EPERM
    c, _ = C.cap_ambient(c, C.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    assert c.cap_ambient == 0


# -- exec -----------------------------------------------------------------------------------------------------
def test_exec_as_root_gets_bounding_and_inheritable() -> None:
    c = C.capbset_drop(root(), CAP.CAP_SYS_RESOURCE)
    c = C.capset(c, 0, 0, 0)  # empty sets before exec
    new = C.exec_creds(c)
    assert new.cap_permitted == new.cap_effective == FULL & ~BIT[CAP.CAP_SYS_RESOURCE]


def test_exec_drops_kept_capabilities_of_a_user_and_clears_keepcaps() -> None:
    c = C.setresuid(C.set_keepcaps(root(), 1), 1000, 1000, 1000)
    assert c.cap_permitted == FULL
    new = C.exec_creds(c)
    assert new.cap_permitted == new.cap_effective == 0 and not new.securebits & C.SECBIT_KEEP_CAPS


def test_exec_keeps_ambient() -> None:
    c = C.capset(C.set_keepcaps(root(), 1), FULL, FULL, BIT[CAP.CAP_KILL])
    c = C.setresuid(c, 1000, 1000, 1000)
    c = C.capset(c, 0, c.cap_permitted, BIT[CAP.CAP_KILL])
    c, _ = C.cap_ambient(c, C.PR_CAP_AMBIENT_RAISE, CAP.CAP_KILL, 0, 0)
    new = C.exec_creds(c)
    assert new.cap_permitted == new.cap_effective == new.cap_ambient == BIT[CAP.CAP_KILL]


def test_exec_only_real_uid_root_no_effective() -> None:
    c = C.setresuid(root(), 0, 1000, 1000)
    new = C.exec_creds(c)
    assert new.cap_permitted == FULL and new.cap_effective == 0
    assert (new.uid, new.euid, new.suid, new.fsuid) == (0, 1000, 1000, 1000)


def test_exec_setuid_root_file_and_no_new_privs() -> None:
    u = user(1000)
    new = C.exec_creds(u, file_uid=0)
    assert ids(new) == (1000, 0, 0, 0) and new.cap_effective == FULL
    nnp = C.exec_creds(u, file_uid=0, no_new_privs=True)
    assert ids(nnp) == (1000, 1000, 1000, 1000) and nnp.cap_effective == nnp.cap_permitted == 0


# -- kill permission ------------------------------------------------------------------------------------------
def _proc(creds: Creds, sid: int = 1, nthreads: int = 1):
    tg = SimpleNamespace(sid=sid, tasks=[])
    for _ in range(nthreads):
        tg.tasks.append(SimpleNamespace(tg=tg, creds=creds.copy(), alive=True))
    return tg


def test_may_signal_uid_rules() -> None:
    a = _proc(user(2000)).tasks[0]
    b = _proc(user(1000)).tasks[0]
    assert not may_signal(a, b, S.SIGTERM)
    assert not may_signal(a, b, 0)
    b.creds.suid = 2000  # the sender's uid matches the target's saved uid
    assert may_signal(a, b, S.SIGTERM)
    b.creds.suid = 1000
    a.creds.euid = 1000  # the sender's euid matches the target's uid
    assert may_signal(a, b, S.SIGTERM)


def test_may_signal_needs_cap_kill_not_euid_zero() -> None:
    a = _proc(root()).tasks[0]
    b = _proc(user(1000)).tasks[0]
    assert may_signal(a, b, S.SIGKILL)
    a.creds.cap_effective &= ~BIT[CAP.CAP_KILL]
    assert not may_signal(a, b, S.SIGKILL)  # euid 0 without CAP_KILL is nothing special
    c = _proc(user(3000)).tasks[0]
    c.creds.cap_effective = BIT[CAP.CAP_KILL]
    assert may_signal(c, b, S.SIGKILL)


def test_may_signal_sigcont_within_the_session() -> None:
    a = _proc(user(2000), sid=7).tasks[0]
    b = _proc(user(1000), sid=7).tasks[0]
    other = _proc(user(1000), sid=8).tasks[0]
    assert may_signal(a, b, S.SIGCONT) and not may_signal(a, b, S.SIGTERM)
    assert not may_signal(a, other, S.SIGCONT)


def test_may_signal_within_the_thread_group_always() -> None:
    tg = _proc(root(), nthreads=2)
    t0, t1 = tg.tasks
    t0.creds = C.setresuid(t0.creds, 1000, 1000, 1000)  # a raw setresuid in one thread only
    assert may_signal(t0, t1, 33)  # glibc SIGSETXID after this thread already dropped


def test_may_signal_zombie_leader_uses_a_living_threads_creds() -> None:
    # the leader exited as root; the living threads dropped to uid 1000 afterwards
    tg = _proc(root(), nthreads=3)
    leader = tg.tasks[0]
    leader.alive = False
    for t in tg.tasks[1:]:
        t.creds = C.setuid(t.creds, 1000)
    same = _proc(user(1000)).tasks[0]
    other = _proc(user(2000)).tasks[0]
    assert may_signal(same, leader, S.SIGTERM)
    assert not may_signal(other, leader, S.SIGTERM)


# -- the syscall layer over a fake address space --------------------------------------------------------------
class FakeMM:
    def __init__(self, size: int = 4096) -> None:
        self.mem = bytearray(size)

    def read(self, addr: int, n: int) -> bytes:
        if addr < 16 or addr + n > len(self.mem):
            raise Errno(E.EFAULT)
        return bytes(self.mem[addr:addr + n])

    def write(self, addr: int, data: bytes) -> None:
        if addr < 16 or addr + len(data) > len(self.mem):
            raise Errno(E.EFAULT)
        self.mem[addr:addr + len(data)] = data

    def read_u32(self, addr: int) -> int:
        return struct.unpack("<I", self.read(addr, 4))[0]

    def write_u32(self, addr: int, v: int) -> None:
        self.write(addr, struct.pack("<I", v & 0xFFFFFFFF))


class FakeKernel:
    def __init__(self) -> None:
        self.tasks: dict[int, object] = {}

    @staticmethod
    def vpid(viewer, task) -> int:
        return task.tid

    def find_task(self, viewer, nr: int):
        return self.tasks.get(nr)


def fake_task(creds: Creds | None = None, tid: int = 10):
    k = FakeKernel()
    t = SimpleNamespace(tid=tid, creds=creds or root(), mm=FakeMM(), kernel=k)
    k.tasks[tid] = t
    return t


def call(fn, task, *args) -> int:
    try:
        return fn(task, *args)
    except Errno as e:
        return -e.errno


def test_sys_getresuid_and_getgroups() -> None:
    t = fake_task(C.setresuid(root(), 1, 2, 3))
    assert call(SC.sys_getresuid, t, 100, 104, 108) == 0
    assert struct.unpack("<3I", t.mm.read(100, 12)) == (1, 2, 3)
    assert call(SC.sys_getresuid, t, 100, 0, 108) == -E.EFAULT
    t.creds = C.setgroups(root(), [9, 4])
    assert call(SC.sys_getgroups, t, 0, 0) == 2
    assert call(SC.sys_getgroups, t, 1, 200) == -E.EINVAL
    assert call(SC.sys_getgroups, t, M1, 200) == -E.EINVAL
    assert call(SC.sys_getgroups, t, 5, 200) == 2
    assert struct.unpack("<2I", t.mm.read(200, 8)) == (4, 9)


def test_sys_setgroups_order_of_checks() -> None:
    t = fake_task(user())
    assert call(SC.sys_setgroups, t, 70000, 0) == -E.EPERM  # privilege first
    t.creds = root()
    assert call(SC.sys_setgroups, t, 70000, 0) == -E.EINVAL
    assert call(SC.sys_setgroups, t, M1, 0) == -E.EINVAL  # a negative int is a huge unsigned
    assert call(SC.sys_setgroups, t, 1, 0) == -E.EFAULT
    t.mm.write(100, struct.pack("<2I", 8, 2))
    assert call(SC.sys_setgroups, t, 2, 100) == 0 and t.creds.groups == (2, 8)
    assert call(SC.sys_setgroups, t, 0, 0) == 0 and t.creds.groups == ()


def test_sys_setfsuid_returns_old() -> None:
    t = fake_task()
    assert call(SC.sys_setfsuid, t, 1000) == 0
    assert call(SC.sys_setfsuid, t, M1) == 1000
    assert call(SC.sys_setuid, t, M1) == -E.EINVAL


def test_sys_capget_versions() -> None:
    t = fake_task()
    hdr, data = 100, 200
    t.mm.write(hdr, struct.pack("<Ii", 0x1234, 0))
    assert call(SC.sys_capget, t, hdr, data) == -E.EINVAL
    assert t.mm.read_u32(hdr) == C._LINUX_CAPABILITY_VERSION_3
    t.mm.write(hdr, struct.pack("<Ii", 0x1234, 0))
    assert call(SC.sys_capget, t, hdr, 0) == 0  # the probe
    assert t.mm.read_u32(hdr) == C._LINUX_CAPABILITY_VERSION_3
    t.mm.write(data, b"\xaa" * 24)
    t.mm.write(hdr, struct.pack("<Ii", C._LINUX_CAPABILITY_VERSION_1, 0))
    assert call(SC.sys_capget, t, hdr, data) == 0
    assert struct.unpack("<3I", t.mm.read(data, 12)) == (FULL & M1,) * 2 + (0,)
    assert t.mm.read(data + 12, 12) == b"\xaa" * 12
    t.mm.write(hdr, struct.pack("<Ii", C._LINUX_CAPABILITY_VERSION_3, 0))
    assert call(SC.sys_capget, t, hdr, data) == 0
    eff_lo, _, _, eff_hi, _, _ = struct.unpack("<6I", t.mm.read(data, 24))
    assert eff_lo | eff_hi << 32 == FULL
    t.mm.write(hdr, struct.pack("<Ii", C._LINUX_CAPABILITY_VERSION_3, -1))
    assert call(SC.sys_capget, t, hdr, data) == -E.EINVAL
    t.mm.write(hdr, struct.pack("<Ii", C._LINUX_CAPABILITY_VERSION_3, 4242))
    assert call(SC.sys_capget, t, hdr, data) == -E.ESRCH


def test_sys_capset_only_the_calling_thread_and_v1_drops_high_bits() -> None:
    t = fake_task(tid=10)
    other = SimpleNamespace(tid=11, creds=root())
    t.kernel.tasks[11] = other
    hdr, data = 100, 200
    t.mm.write(hdr, struct.pack("<Ii", C._LINUX_CAPABILITY_VERSION_3, 11))
    assert call(SC.sys_capset, t, hdr, data) == -E.EPERM
    t.mm.write(hdr, struct.pack("<Ii", C._LINUX_CAPABILITY_VERSION_1, 10))
    t.mm.write(data, struct.pack("<3I", M1, M1, 0))
    assert call(SC.sys_capset, t, hdr, data) == 0
    assert t.creds.cap_permitted == t.creds.cap_effective == FULL & M1
    assert other.creds.cap_effective == FULL


def test_prctl_creds() -> None:
    t = fake_task()
    assert SC.prctl_creds(t, P.PR_SET_NAME, 0, 0, 0, 0) is None
    assert SC.prctl_creds(t, P.PR_CAPBSET_READ, CAP.CAP_SETUID, 0, 0, 0) == 1
    assert call(SC.prctl_creds, t, P.PR_CAPBSET_READ, 1 << 63, 0, 0, 0) == -E.EINVAL
    assert SC.prctl_creds(t, P.PR_CAPBSET_DROP, CAP.CAP_SETUID, 0, 0, 0) == 0
    assert SC.prctl_creds(t, P.PR_CAPBSET_READ, CAP.CAP_SETUID, 0, 0, 0) == 0
    assert SC.prctl_creds(t, P.PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0
    assert SC.prctl_creds(t, P.PR_GET_KEEPCAPS, 0, 0, 0, 0) == 1
    assert SC.prctl_creds(t, P.PR_GET_SECUREBITS, 0, 0, 0, 0) == C.SECBIT_KEEP_CAPS
    assert call(SC.prctl_creds, t, P.PR_SET_KEEPCAPS, 2, 0, 0, 0) == -E.EINVAL
    assert SC.prctl_creds(t, P.PR_CAP_AMBIENT, C.PR_CAP_AMBIENT_IS_SET, 0, 0, 0) == 0


def test_exec_is_secure() -> None:
    u = user(1000)
    assert not C.exec_is_secure(u, C.exec_creds(u))
    assert C.exec_is_secure(u, C.exec_creds(u, file_uid=0))
    assert not C.exec_is_secure(root(), C.exec_creds(root()))
    r = C.setresuid(root(), 1000, 2000, 0)  # euid differs from the real uid: set-id
    assert C.exec_is_secure(r, C.exec_creds(r))
    r = C.setresuid(root(), 1000, 1000, 0)  # only the saved uid is root: nothing gained
    assert not C.exec_is_secure(r, C.exec_creds(r))
