"""Unit tests of procfs, cgroupfs and the cgroup hierarchy (no Unicorn: tasks are made but never run).

The reader of a /proc file is `kernel.sched.current`, set by each helper before it goes through the VFS,
so every number can be checked from more than one pid namespace.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from emukernel.abi import errno as E
from emukernel.abi.clone import CLONE_NEWPID, CLONE_SIGHAND, CLONE_THREAD, CLONE_VM
from emukernel.abi.fcntl import O_CLOEXEC, O_CREAT, O_DIRECTORY, O_PATH, O_RDONLY, O_RDWR, O_WRONLY
from emukernel.cgroup import (
    Cgroup,
    cgroup_can_fork,
    cgroup_exit,
    cgroup_fork,
    cgroup_from_fd,
    cgroup_hierarchy,
    cgroup_post_fork,
    kstrtoint,
)
from emukernel.clone import copy_process
from emukernel.cpu import Cpu
from emukernel.errors import Errno
from emukernel.fs.cgroupfs import CgroupDirFile
from emukernel.fs.file import DIRENT64_HEADER
from emukernel.fs.nsfs import PROC_PID_INIT_INO, NsFile
from emukernel.fs.proc import fdinfo_text
from emukernel.fs.pseudo import LinkInode
from emukernel.kernel import Kernel
from emukernel.mm import AddressSpace, Vma
from emukernel.task import EXIT_DEAD, EXIT_ZOMBIE, Creds


# -- helpers ----------------------------------------------------------------------------------------------------
@pytest.fixture
def k() -> Kernel:
    return Kernel(quiet=True)


def fork(k: Kernel, parent, flags: int = 0):
    """kernel_clone's order: the cgroup checks, then the new task, then its placement."""
    dst = cgroup_can_fork(k, parent, None, thread=bool(flags & CLONE_THREAD))
    child = copy_process(k, parent, flags)
    cgroup_post_fork(k, parent, child, dst)
    return child


def as_(k: Kernel, task) -> None:
    k.sched.current = task


def read(k: Kernel, task, path: str) -> bytes:
    as_(k, task)
    f = k.vfs.open(task.fs, task.creds, None, path.encode(), O_RDONLY)
    f.get()
    try:
        out = b""
        while chunk := f.read(4096):
            out += chunk
        return out
    finally:
        f.put()


def write(k: Kernel, task, path: str, data: bytes) -> int:
    as_(k, task)
    f = k.vfs.open(task.fs, task.creds, None, path.encode(), O_WRONLY)
    f.get()
    try:
        return f.write(data)
    finally:
        f.put()


def errno_of(fn, *args) -> int:
    try:
        fn(*args)
    except Errno as e:
        return e.errno
    return 0


def ls(k: Kernel, task, path: str) -> list[str]:
    as_(k, task)
    f = k.vfs.open(task.fs, task.creds, None, path.encode(), O_RDONLY | O_DIRECTORY)
    buf = f.getdents64(1 << 16)
    names, i = [], 0
    while i < len(buf):
        _ino, _off, reclen, _t = DIRENT64_HEADER.unpack_from(buf, i)
        names.append(buf[i + 19 : i + reclen].split(b"\0")[0].decode())
        i += reclen
    return [n for n in names if n not in (".", "..")]


def readlink(k: Kernel, task, path: str) -> bytes:
    as_(k, task)
    return k.vfs.readlink(task.fs, task.creds, None, path.encode())


def field(text: bytes, name: str) -> str:
    m = re.search(rf"^{re.escape(name)}:\t(.*)$", text.decode(), re.M)
    assert m, f"no {name} in\n{text.decode()}"
    return m.group(1)


def release(k: Kernel, task) -> None:
    """What exit + wait do to a task, as far as /proc can tell."""
    task.exit_state = EXIT_DEAD
    if task in task.tg.tasks:
        task.tg.tasks.remove(task)
    k.forget_task(task)


# -- /proc ---------------------------------------------------------------------------------------------------------
def test_proc_root_lists_leaders_self_and_fixed_entries(k: Kernel) -> None:
    a = fork(k, k.init)
    t = fork(k, a, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)
    names = ls(k, a, "/proc")
    assert names[: names.index("self")] == ["sys", "stat", "mounts", "uptime", "cpuinfo", "loadavg", "meminfo",
                                           "version", "filesystems"]  # fmt: skip
    assert names[names.index("self") :] == ["self", "thread-self", "1", str(a.tid)]
    assert str(t.tid) not in names  # a thread is not listed ...
    assert field(read(k, a, f"/proc/{t.tid}/status"), "Pid") == str(t.tid)  # ... but can be looked up
    assert readlink(k, a, "/proc/self") == str(a.tid).encode()
    assert readlink(k, t, "/proc/self") == str(a.tid).encode()
    assert readlink(k, t, "/proc/thread-self") == f"{a.tid}/task/{t.tid}".encode()
    assert readlink(k, a, "/proc/mounts") == b"self/mounts"


def test_status_relations(k: Kernel) -> None:
    a = fork(k, k.init)
    b = fork(k, a)
    t = fork(k, b, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)
    s = read(k, a, f"/proc/{b.tid}/status")
    assert field(s, "Tgid") == field(s, "Pid") == str(b.tid)
    assert field(s, "PPid") == str(a.tid)
    assert field(s, "Threads") == "2"
    assert field(s, "State") == "R (running)"
    assert field(s, "Umask") == "0022"
    assert field(s, "Groups") == " "  # Linux's trailing space
    assert field(s, "Kthread") == "0"
    ts = read(k, a, f"/proc/{b.tid}/task/{t.tid}/status")
    assert field(ts, "Pid") == str(t.tid) and field(ts, "Tgid") == str(b.tid)
    assert field(ts, "PPid") == str(a.tid)  # a thread's parent is its process's parent
    assert sorted(ls(k, a, f"/proc/{b.tid}/task"), key=int) == [str(b.tid), str(t.tid)]
    keys = [line.split(":")[0] for line in s.decode().splitlines()]
    assert keys[:17] == ["Name", "Umask", "State", "Tgid", "Ngid", "Pid", "PPid", "TracerPid", "Uid", "Gid",
                         "FDSize", "Groups", "NStgid", "NSpid", "NSpgid", "NSsid", "Kthread"]  # fmt: skip
    assert keys[-11:] == ["NoNewPrivs", "Seccomp", "Seccomp_filters", "Speculation_Store_Bypass",
                          "SpeculationIndirectBranch", "Cpus_allowed", "Cpus_allowed_list", "Mems_allowed",
                          "Mems_allowed_list", "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"]  # fmt: skip
    assert "VmSize" not in keys  # no mm: a task made without exec has no memory lines


def test_status_signals_caps_and_no_new_privs(k: Kernel) -> None:
    a = fork(k, k.init)
    a.sigmask = 1 << 9  # SIGUSR1
    a.sighand.actions[12] = (0x401000, 0, 0, 0)  # SIGUSR2 caught
    a.sighand.actions[13] = (1, 0, 0, 0)  # SIGPIPE ignored
    a.no_new_privs = True
    a.creds = Creds(uid=1000, gid=1000, groups=(5, 7))
    a.creds.cap_permitted = 1 << 21
    s = read(k, a, "/proc/self/status")
    assert field(s, "SigBlk") == "0000000000000200"
    assert field(s, "SigCgt") == "0000000000000800"
    assert field(s, "SigIgn") == "0000000000001000"
    assert field(s, "CapPrm") == "0000000000200000"
    assert field(s, "CapEff") == "0000000000000000"
    assert field(s, "NoNewPrivs") == "1"
    assert field(s, "Uid") == "1000\t1000\t1000\t1000"
    assert field(s, "Groups") == "5 7 "
    assert field(s, "SigQ").endswith("/4096")


def test_status_and_stat_in_nested_pid_namespace(k: Kernel) -> None:
    a = fork(k, k.init)
    nsinit = fork(k, a, CLONE_NEWPID)
    inner = fork(k, nsinit)
    # from the root namespace: two numbers per level
    s = read(k, a, f"/proc/{inner.tid}/status")
    assert field(s, "NSpid") == f"{inner.tid}\t2"
    assert field(s, "NStgid") == f"{inner.tid}\t2"
    assert field(s, "PPid") == str(nsinit.tid)
    # from inside: /proc still numbers as the namespace it was mounted from (the root), as on Linux, where a
    # process in a nested namespace reading the host's /proc sees every level from 0 (proc_pid_ns(sb))
    s = read(k, inner, "/proc/self/status")
    assert field(s, "Pid") == str(inner.tid) and field(s, "NSpid") == f"{inner.tid}\t2"
    assert field(s, "PPid") == str(nsinit.tid)
    sid = k.init.tg.sid
    assert field(s, "NSsid") == f"{sid}\t0"  # the session is outside the namespace: 0 at its level
    assert str(inner.tid) in ls(k, inner, "/proc") and str(a.tid) in ls(k, inner, "/proc")
    assert readlink(k, inner, "/proc/self") == str(inner.tid).encode()
    assert field(read(k, inner, f"/proc/{a.tid}/status"), "Pid") == str(a.tid)
    st = read(k, inner, "/proc/self/stat").decode()
    assert st.startswith(f"{inner.tid} (") and st.split(") ")[1].split()[1] == str(nsinit.tid)


def test_stat_has_52_fields(k: Kernel) -> None:
    a = fork(k, k.init)
    t = fork(k, a, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)
    st = read(k, a, "/proc/self/stat").decode()
    head, rest = st.rsplit(") ", 1)
    assert head == f"{a.tid} (init"
    fields = rest.split()
    assert len(fields) + 2 == 52
    assert fields[0] == "R"
    assert fields[1] == "1"  # ppid
    assert fields[17] == "2"  # num_threads
    assert fields[35] == "17"  # exit_signal
    tst = read(k, a, f"/proc/self/task/{t.tid}/stat").decode().rsplit(") ", 1)[1].split()
    assert tst[35] == "-1"


def test_zombie_and_released_tasks(k: Kernel) -> None:
    a = fork(k, k.init)
    b = fork(k, a)
    b.exit_state = EXIT_ZOMBIE
    b.mm = None
    s = read(k, a, f"/proc/{b.tid}/status")
    assert field(s, "State") == "Z (zombie)"
    assert read(k, a, f"/proc/{b.tid}/stat").decode().split(") ")[1][0] == "Z"
    as_(k, a)
    f = k.vfs.open(a.fs, a.creds, None, f"/proc/{b.tid}/status".encode(), O_RDONLY)
    release(k, b)
    assert errno_of(f.read, 100) == E.ESRCH  # open before the reaping: ESRCH
    assert errno_of(read, k, a, f"/proc/{b.tid}/status") == E.ENOENT
    assert str(b.tid) not in ls(k, a, "/proc")


def test_comm_is_writable_by_the_process_only(k: Kernel) -> None:
    a = fork(k, k.init)
    b = fork(k, a)
    write(k, a, "/proc/self/comm", b"worker-with-a-long-name")
    assert a.comm == b"worker-with-a-l"
    assert read(k, a, "/proc/self/comm") == b"worker-with-a-l\n"
    assert errno_of(write, k, a, f"/proc/{b.tid}/comm", b"x") == E.EINVAL


def test_read_only_files_and_directories(k: Kernel) -> None:
    a = fork(k, k.init)
    assert errno_of(write, k, a, "/proc/self/status", b"x") == E.EINVAL  # root may open, not write
    user = fork(k, a)
    user.creds = Creds(uid=1000, gid=1000)
    assert errno_of(write, k, user, "/proc/self/status", b"x") == E.EACCES
    as_(k, a)
    assert errno_of(k.vfs.mkdir, a.fs, a.creds, None, b"/proc/x", 0o755) == E.ENOENT
    assert errno_of(k.vfs.open, a.fs, a.creds, None, b"/proc/x", O_CREAT | O_WRONLY, 0o644) == E.ENOENT
    assert errno_of(k.vfs.unlink, a.fs, a.creds, None, b"/proc/self/status") == E.EPERM
    # another user's fd directory is closed to us (dr-x------)
    assert errno_of(ls, k, user, f"/proc/{a.tid}/fd") == E.EACCES
    assert errno_of(read, k, user, f"/proc/{a.tid}/environ") == E.EACCES


def test_fd_links_and_fdinfo(k: Kernel) -> None:
    a = fork(k, k.init)
    as_(k, a)
    f = k.vfs.open(a.fs, a.creds, None, b"/tmp/data", O_CREAT | O_RDWR, 0o600)
    fd = a.files.install(f, cloexec=True)
    f.write(b"hello")
    assert readlink(k, a, f"/proc/self/fd/{fd}") == b"/tmp/data"
    info = read(k, a, f"/proc/self/fdinfo/{fd}").decode()
    lines = info.splitlines()
    assert lines[0] == "pos:\t5"
    assert lines[1] == f"flags:\t0{(O_RDWR | 0o100000 | O_CLOEXEC):o}"
    assert lines[2] == f"mnt_id:\t{f.path.mnt.mnt_id}"
    assert lines[3] == f"ino:\t{f.stat().ino}"
    a.files.set_cloexec(fd, False)
    assert read(k, a, f"/proc/self/fdinfo/{fd}").decode().splitlines()[1] == "flags:\t0100002"
    # the link is a magic link: it names the open file, even once its name is gone
    as_(k, a)
    link = k.vfs.lookup(a.fs, a.creds, None, f"/proc/self/fd/{fd}".encode(), follow=False)
    assert isinstance(link.inode, LinkInode)
    assert link.inode.mode & 0o777 == 0o700
    k.vfs.unlink(a.fs, a.creds, None, b"/tmp/data")
    assert readlink(k, a, f"/proc/self/fd/{fd}") == b"/tmp/data (deleted)"
    assert link.inode.get_link() == f.path
    a.files.close(fd)
    assert errno_of(read, k, a, f"/proc/self/fdinfo/{fd}") == E.ENOENT


def test_fdinfo_includes_the_files_own_lines() -> None:
    class Special:
        flags = 0o2
        pos = 0
        path = None

        def stat(self):
            return SimpleNamespace(ino=77)

        def fdinfo_lines(self, viewer):
            return ["Pid:\t12", "NSpid:\t12"]

    text = fdinfo_text(None, Special(), True).decode()  # type: ignore[arg-type]
    assert text == "pos:\t0\nflags:\t02000002\nmnt_id:\t0\nino:\t77\nPid:\t12\nNSpid:\t12\n"


def test_ns_pid_links_and_files(k: Kernel) -> None:
    a = fork(k, k.init)
    assert readlink(k, a, "/proc/self/ns/pid") == b"pid:[%d]" % PROC_PID_INIT_INO
    assert readlink(k, a, "/proc/self/ns/pid_for_children") == b"pid:[4026531836]"
    nsinit = fork(k, a, CLONE_NEWPID)
    inner = readlink(k, a, f"/proc/{nsinit.tid}/ns/pid")
    assert inner != b"pid:[4026531836]" and inner == readlink(k, nsinit, "/proc/self/ns/pid")
    a.pid_ns_for_children = nsinit.pid.ns  # unshare(CLONE_NEWPID)
    assert readlink(k, a, "/proc/self/ns/pid_for_children") == inner
    # what opening the link gives (the namei walk jumps to get_link()'s path)
    as_(k, a)
    link = k.vfs.lookup(a.fs, a.creds, None, f"/proc/{nsinit.tid}/ns/pid".encode(), follow=False)
    target = link.inode.get_link()
    f = target.inode.open(target, O_RDONLY)
    assert isinstance(f, NsFile) and f.pidns is nsinit.pid.ns
    st = f.stat()
    assert st.ino == int(inner[5:-1]) and st.mode == 0o100444


def test_cwd_root_exe_links(k: Kernel) -> None:
    a = fork(k, k.init)
    as_(k, a)
    k.vfs.mkdir(a.fs, a.creds, None, b"/tmp/work", 0o755)
    k.vfs.chdir(a.fs, a.creds, k.vfs.lookup(a.fs, a.creds, None, b"/tmp/work"))
    assert readlink(k, a, "/proc/self/cwd") == b"/tmp/work"
    assert readlink(k, a, "/proc/self/root") == b"/"
    assert errno_of(readlink, k, a, "/proc/self/exe") == E.ENOENT  # no image: like a kernel thread
    exe = k.vfs.open(a.fs, a.creds, None, b"/tmp/prog", O_CREAT | O_RDWR, 0o755)
    a.mm = AddressSpace(Cpu())  # a real, empty address space whose image is /tmp/prog
    a.mm.exe = exe
    assert readlink(k, a, "/proc/self/exe") == b"/tmp/prog"
    assert k.vfs.lookup(a.fs, a.creds, None, b"/proc/self/exe").inode is exe.inode


class FakeMm:
    """What procfs reads of an AddressSpace, with guest memory as a dict of strings."""

    def __init__(self, vmas, exe=None, mem: bytes = b"", base: int = 0x7FFF0000) -> None:
        self.vmas = vmas
        self.exe = exe
        self.mem = mem
        self.base = base
        self.arg_start = self.arg_end = self.env_start = self.env_end = 0
        self.start_code = self.end_code = self.start_stack = self.start_data = self.end_data = 0
        self.start_brk = 0
        self.dumpable = 1  # SUID_DUMP_USER, as AddressSpace starts

    def read(self, addr: int, size: int) -> bytes:
        off = addr - self.base
        return self.mem[off : off + size]


def test_maps_format(k: Kernel) -> None:
    a = fork(k, k.init)
    as_(k, a)
    lib = k.vfs.open(a.fs, a.creds, None, b"/tmp/lib.so", O_CREAT | O_RDWR, 0o755)
    vmas = [
        Vma(0x400000, 0x401000, 5, 0x02, 0, "/ignored/elf/name"),
        Vma(0x601000, 0x622000, 3, 0x22, 0, "[heap]"),
        Vma(0x7F0000000000, 0x7F0000002000, 1, 0x02, 0, "/tmp/lib.so", pgoff=3, inode=lib),
        Vma(0x7F0000010000, 0x7F0000011000, 3, 0x22, 0, ""),
        Vma(0x7FFFFFFDE000, 0x7FFFFFFFF000, 3, 0x22, 0, "[stack]", growsdown=True),
    ]
    exe = k.vfs.open(a.fs, a.creds, None, b"/tmp/prog", O_CREAT | O_RDWR, 0o755)
    a.mm = FakeMm(vmas, exe)
    lines = read(k, a, "/proc/self/maps").decode().splitlines()
    st = exe.stat()
    dev = f"{(st.dev >> 8) & 0xFFF:02x}:{st.dev & 0xFF:02x}"
    assert lines[0] == f"00400000-00401000 r-xp 00000000 {dev} {st.ino}".ljust(72) + " /tmp/prog"
    assert lines[1] == "00601000-00622000 rw-p 00000000 00:00 0".ljust(72) + " [heap]"
    lst = lib.stat()
    assert lines[2].startswith(f"7f0000000000-7f0000002000 r--p 00003000 {dev} {lst.ino} ")
    assert lines[2][73:] == "/tmp/lib.so"
    assert lines[3] == "7f0000010000-7f0000011000 rw-p 00000000 00:00 0 "
    assert lines[4].endswith(" [stack]") and lines[4].index("[stack]") == 73
    s = read(k, a, "/proc/self/status")
    assert field(s, "VmStk") == "     132 kB"
    assert field(s, "VmSize") == f"{(0x1000 + 0x21000 + 0x2000 + 0x1000 + 0x21000) >> 10:>8} kB"


def test_cmdline_and_environ(k: Kernel) -> None:
    a = fork(k, k.init)
    args, env = b"prog\0-x\0arg two\0", b"A=1\0B=2\0"
    mm = FakeMm([], mem=args + env)
    mm.arg_start, mm.arg_end = mm.base, mm.base + len(args)
    mm.env_start, mm.env_end = mm.arg_end, mm.arg_end + len(env)
    a.mm = mm
    assert read(k, a, "/proc/self/cmdline") == args
    assert read(k, a, "/proc/self/environ") == env
    # setproctitle: the NUL at the end of the arguments was overwritten; the title runs into the environment
    mm.mem = b"a new title, longer\0=2\0"
    assert read(k, a, "/proc/self/cmdline") == b"a new title, longer\0"
    mm.mem = b"a title longer than the arguments and the environment\0"
    assert read(k, a, "/proc/self/cmdline") == mm.mem[: len(args) + len(env)]  # never past env_end


def test_sysctl_ns_last_pid(k: Kernel) -> None:
    a = fork(k, k.init)
    assert read(k, a, "/proc/sys/kernel/ns_last_pid") == b"%d\n" % k.pidns.last_pid
    write(k, a, "/proc/sys/kernel/ns_last_pid", b"500\n")
    assert k.pidns.last_pid == 500
    assert fork(k, a).tid == 501
    assert errno_of(write, k, a, "/proc/sys/kernel/ns_last_pid", b"junk") == E.EINVAL
    assert errno_of(write, k, a, "/proc/sys/kernel/ns_last_pid", b"99999999") == E.EINVAL
    user = fork(k, a)
    user.creds = Creds(uid=1000, gid=1000)
    assert errno_of(write, k, user, "/proc/sys/kernel/ns_last_pid", b"7") == E.EPERM  # 0666, CAP_SYS_ADMIN
    # a namespace has its own
    nsinit = fork(k, a, CLONE_NEWPID)
    assert read(k, nsinit, "/proc/sys/kernel/ns_last_pid") == b"1\n"
    write(k, nsinit, "/proc/sys/kernel/ns_last_pid", b"41")
    assert fork(k, nsinit).pid.numbers[-1] == 42


def test_other_sysctls(k: Kernel) -> None:
    a = fork(k, k.init)
    assert read(k, a, "/proc/sys/kernel/ostype") == b"Linux\n"
    assert read(k, a, "/proc/sys/kernel/pid_max") == b"32768\n"
    assert read(k, a, "/proc/sys/kernel/threads-max") == b"512\n"
    assert errno_of(write, k, a, "/proc/sys/kernel/threads-max", b"100000") == E.EPERM
    write(k, a, "/proc/sys/kernel/hostname", b"box\n")
    assert k.hostname == b"box" and read(k, a, "/proc/sys/kernel/hostname") == b"box\n"
    write(k, a, "/proc/sys/fs/pipe-max-size", b"5000")
    assert read(k, a, "/proc/sys/fs/pipe-max-size") == b"8192\n"
    assert ls(k, a, "/proc/sys") == ["fs", "kernel"]


def test_system_files(k: Kernel) -> None:
    a = fork(k, k.init)
    assert re.fullmatch(rb"\d+\.\d\d \d+\.\d\d\n", read(k, a, "/proc/uptime"))
    assert re.fullmatch(rb"0\.00 0\.00 0\.00 \d+/\d+ \d+\n", read(k, a, "/proc/loadavg"))
    mi = read(k, a, "/proc/meminfo").decode().splitlines()
    assert re.fullmatch(r"MemTotal: +\d+ kB", mi[0]) and len(mi[0]) == len("MemTotal:       24683656 kB")
    mounts = read(k, a, "/proc/self/mounts").decode().splitlines()
    assert "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0" in mounts
    assert "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0" in mounts


def test_limits_format(k: Kernel) -> None:
    a = fork(k, k.init)
    lines = read(k, a, "/proc/self/limits").decode().splitlines(keepends=True)
    assert lines[0] == "Limit                     Soft Limit           Hard Limit           Units     \n"
    assert lines[4] == "Max stack size            8388608              unlimited            bytes     \n"
    soft, hard = ("unlimited" if v == 2**64 - 1 else str(v) for v in a.tg.rlimits[13])
    assert lines[14] == f"{'Max nice priority':<25} {soft:<20} {hard:<20} \n"  # no unit


# -- the cgroup hierarchy ---------------------------------------------------------------------------------------
def test_kstrtoint() -> None:
    assert kstrtoint(b"12") == 12 and kstrtoint(b"0x10") == 16 and kstrtoint(b"010") == 8
    assert kstrtoint(b"-3") == -3 and kstrtoint(b"+4") == 4 and kstrtoint(b"5\n") == 5
    for bad in (b"", b"x", b"1 2", b"0x", b"--1"):
        assert errno_of(kstrtoint, bad) == E.EINVAL
    assert errno_of(kstrtoint, b"99999999999") == E.ERANGE


def test_hierarchy_mkdir_rmdir_attach(k: Kernel) -> None:
    h = cgroup_hierarchy(k)
    a = fork(k, k.init)
    g = h.mkdir(h.root, "g", 0, 0, 0o755)
    sub = h.mkdir(g, "sub", 0, 0, 0o755)
    assert errno_of(h.mkdir, h.root, "g", 0, 0, 0o755) == E.EEXIST
    assert errno_of(h.mkdir, h.root, "a\nb", 0, 0, 0o755) == E.EINVAL
    assert sub.path() == "/g/sub" and h.root.path() == "/"
    h.attach(a, sub, b"%d\n" % a.tid, threadgroup=True)
    assert h.task_cgroup(a) is sub and h.populated(g) and not h.has_tasks(g)
    assert errno_of(h.rmdir, g) == E.EBUSY  # a child
    assert errno_of(h.rmdir, sub) == E.EBUSY  # a process
    assert errno_of(h.attach, a, g, b"abc", True) == E.EINVAL
    assert errno_of(h.attach, a, g, b"-2", True) == E.EINVAL
    assert errno_of(h.attach, a, g, b"77777", True) == E.ESRCH
    assert errno_of(h.attach, a, g, b"1", True) == E.EINVAL  # init, a kernel thread here
    assert errno_of(h.attach, a, g, b"%d" % a.tid, False) == E.EOPNOTSUPP  # a thread leaving its domain
    h.attach(a, g, b"0", threadgroup=True)  # 0: the writer
    assert h.task_cgroup(a) is g
    h.rmdir(sub)
    assert sub.dead and "sub" not in g.children


def test_subtree_control_rules(k: Kernel) -> None:
    h = cgroup_hierarchy(k)
    a = fork(k, k.init)
    g = h.mkdir(h.root, "g", 0, 0, 0o755)
    c = h.mkdir(g, "c", 0, 0, 0o755)
    assert g.controllers() == [] and h.root.controllers() == ["pids"]
    assert errno_of(h.set_subtree_control, g, b"+pids") == E.ENOENT  # the parent does not give it
    assert errno_of(h.set_subtree_control, h.root, b"+cpu") == E.EINVAL
    assert errno_of(h.set_subtree_control, h.root, b"pids") == E.EINVAL
    h.set_subtree_control(h.root, b" +pids ")
    assert g.controllers() == ["pids"] and g.has_controller("pids") and not h.root.has_controller("pids")
    h.set_subtree_control(g, b"+pids")
    assert c.has_controller("pids")
    assert errno_of(h.set_subtree_control, h.root, b"-pids") == E.EBUSY  # g still hands it down
    # the no-internal-process rule: with a populated child, g may not take processes
    h.attach(a, c, b"%d" % a.tid, True)
    assert errno_of(h.attach, a, g, b"%d" % a.tid, True) == E.EBUSY
    h.attach(a, h.root, b"%d" % a.tid, True)
    h.set_subtree_control(g, b"-pids")
    h.set_subtree_control(h.root, b"-pids")
    assert not g.has_controller("pids")


def test_pids_max_counts_tasks_up_the_hierarchy(k: Kernel) -> None:
    h = cgroup_hierarchy(k)
    a = fork(k, k.init)
    h.set_subtree_control(h.root, b"+pids")
    outer = h.mkdir(h.root, "outer", 0, 0, 0o755)
    h.set_subtree_control(outer, b"+pids")
    inner = h.mkdir(outer, "inner", 0, 0, 0o755)
    h.attach(a, inner, b"%d" % a.tid, True)
    h.set_pids_max(outer, b"3")
    assert errno_of(h.set_pids_max, inner, b"-1") == E.EINVAL
    assert errno_of(h.set_pids_max, inner, b"lots") == E.EINVAL
    b = fork(k, a)
    t = fork(k, a, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)  # threads count too
    assert h.charged_tasks(outer) == 3 and h.charged_tasks(inner) == 3
    assert errno_of(cgroup_can_fork, k, a, None) == E.EAGAIN
    assert (outer.pids_events, outer.pids_events_local, inner.pids_events) == (1, 1, 0)
    # a zombie stays charged until it is released
    b.exit_state = EXIT_ZOMBIE
    assert errno_of(cgroup_can_fork, k, a, None) == E.EAGAIN
    release(k, b)
    assert cgroup_can_fork(k, a, None) is inner
    # a thread is placed with its group; the child counted only once by cgroup_fork
    c = copy_process(k, a, 0)
    assert cgroup_fork(k, a, c) is inner and h.task_cgroup(c) is inner
    assert errno_of(cgroup_fork, k, a, copy_process(k, a, 0)) == E.EAGAIN
    h.set_pids_max(outer, b"max")
    assert outer.pids_max is None and t.tg is a.tg
    cgroup_exit(k, t)


def test_clone_into_cgroup_checks(k: Kernel) -> None:
    h = cgroup_hierarchy(k)
    a = fork(k, k.init)
    g = h.mkdir(h.root, "g", 0, 0, 0o755)
    assert cgroup_can_fork(k, a, g) is g
    assert errno_of(cgroup_can_fork, k, a, g, None, True) == E.EOPNOTSUPP  # a thread elsewhere
    user = fork(k, a)
    user.creds = Creds(uid=1000, gid=1000)
    assert errno_of(cgroup_can_fork, k, user, g) == E.EACCES
    dead = h.mkdir(h.root, "dead", 0, 0, 0o755)
    h.rmdir(dead)
    assert errno_of(cgroup_can_fork, k, a, dead) == E.ENODEV


# -- cgroupfs ------------------------------------------------------------------------------------------------
def test_cgroupfs_files(k: Kernel) -> None:
    a = fork(k, k.init)
    root_files = ls(k, a, "/sys/fs/cgroup")
    assert "cgroup.procs" in root_files and "cgroup.events" not in root_files and "pids.max" not in root_files
    as_(k, a)
    k.vfs.mkdir(a.fs, a.creds, None, b"/sys/fs/cgroup/g", 0o755)
    assert read(k, a, "/sys/fs/cgroup/g/cgroup.events") == b"populated 0\nfrozen 0\n"
    assert read(k, a, "/sys/fs/cgroup/g/cgroup.type") == b"domain\n"
    assert read(k, a, "/sys/fs/cgroup/cgroup.controllers") == b"pids\n"
    assert read(k, a, "/sys/fs/cgroup/g/cgroup.controllers") == b""
    write(k, a, "/sys/fs/cgroup/g/cgroup.procs", b"%d\n" % a.tid)
    assert read(k, a, "/proc/self/cgroup") == b"0::/g\n"
    assert read(k, a, "/sys/fs/cgroup/g/cgroup.procs") == b"%d\n" % a.tid
    assert read(k, a, "/sys/fs/cgroup/g/cgroup.events") == b"populated 1\nfrozen 0\n"
    assert str(a.tid).encode() not in read(k, a, "/sys/fs/cgroup/cgroup.procs").split()
    assert errno_of(write, k, a, "/sys/fs/cgroup/g/cgroup.procs", b"junk") == E.EINVAL
    assert errno_of(write, k, a, "/sys/fs/cgroup/g/cgroup.procs", b"x" * 5000) == E.E2BIG
    write(k, a, "/sys/fs/cgroup/cgroup.subtree_control", b"+pids")
    assert read(k, a, "/sys/fs/cgroup/cgroup.subtree_control") == b"pids\n"
    assert read(k, a, "/sys/fs/cgroup/g/pids.max") == b"max\n"
    assert read(k, a, "/sys/fs/cgroup/g/pids.current") == b"1\n"
    write(k, a, "/sys/fs/cgroup/g/pids.max", b"1")
    assert errno_of(cgroup_can_fork, k, a, None) == E.EAGAIN
    assert read(k, a, "/sys/fs/cgroup/g/pids.events") == b"max 1\n"
    assert errno_of(k.vfs.rmdir, a.fs, a.creds, None, b"/sys/fs/cgroup/g") == E.EBUSY
    write(k, a, "/sys/fs/cgroup/cgroup.procs", b"0")
    write(k, a, "/sys/fs/cgroup/cgroup.subtree_control", b"-pids")
    k.vfs.rmdir(a.fs, a.creds, None, b"/sys/fs/cgroup/g")
    assert errno_of(read, k, a, "/sys/fs/cgroup/g/cgroup.procs") == E.ENOENT


def test_cgroup_procs_in_the_readers_namespace(k: Kernel) -> None:
    a = fork(k, k.init)
    nsinit = fork(k, a, CLONE_NEWPID)
    inner = fork(k, nsinit)
    as_(k, a)
    k.vfs.mkdir(a.fs, a.creds, None, b"/sys/fs/cgroup/g", 0o755)
    write(k, a, "/sys/fs/cgroup/g/cgroup.procs", b"%d" % a.tid)
    write(k, a, "/sys/fs/cgroup/g/cgroup.procs", b"%d" % inner.tid)
    assert read(k, a, "/sys/fs/cgroup/g/cgroup.procs") == b"%d\n%d\n" % (a.tid, inner.tid)
    assert read(k, inner, "/sys/fs/cgroup/g/cgroup.procs") == b"0\n2\n"  # Linux prints 0 for the invisible
    write(k, inner, "/sys/fs/cgroup/cgroup.procs", b"1")  # its namespace's 1: nsinit
    assert cgroup_hierarchy(k).task_cgroup(nsinit) is cgroup_hierarchy(k).root


def test_cgroup_from_fd(k: Kernel) -> None:
    a = fork(k, k.init)
    as_(k, a)
    k.vfs.mkdir(a.fs, a.creds, None, b"/sys/fs/cgroup/g", 0o755)
    d = k.vfs.open(a.fs, a.creds, None, b"/sys/fs/cgroup/g", O_RDONLY | O_DIRECTORY)
    assert isinstance(d, CgroupDirFile) and d.is_cgroup
    g = cgroup_from_fd(d)
    assert isinstance(g, Cgroup) and g.path() == "/g"
    p = k.vfs.open(a.fs, a.creds, None, b"/sys/fs/cgroup/g", O_PATH)
    assert cgroup_from_fd(p) is g
    f = k.vfs.open(a.fs, a.creds, None, b"/sys/fs/cgroup/g/cgroup.procs", O_RDONLY)
    assert errno_of(cgroup_from_fd, f) == E.EBADF
    assert (
        errno_of(cgroup_from_fd, k.vfs.open(a.fs, a.creds, None, b"/tmp", O_RDONLY | O_DIRECTORY)) == E.EBADF
    )
    k.vfs.rmdir(a.fs, a.creds, None, b"/sys/fs/cgroup/g")
    assert errno_of(cgroup_from_fd, d) == E.ENODEV
    assert errno_of(d.getdents64, 4096) == E.ENOENT
