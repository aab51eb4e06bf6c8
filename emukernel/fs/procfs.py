"""procfs (Linux fs/proc/): process information as files, mounted at /proc.

Every file is generated when it is read, from the kernel's objects, and every number is the one seen from the
*reader's* pid namespace (the task making the syscall: `kernel.sched.current`).  The text formats are Linux's
(fs/proc/array.c, fs/proc/base.c, fs/proc/fd.c, fs/proc/task_mmu.c, kernel/sysctl.c); where a value does
not exist in this kernel (page faults, CPU times, NUMA) a plausible constant stands in for it.

The files are made of the pseudo filesystem kit (emukernel.fs.pseudo).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..abi import errno as E
from ..abi.fcntl import O_CLOEXEC
from ..errors import Errno, Fault
from .file import FMODE_READ, FMODE_WRITE, File
from .fscontext import d_path
from .inode import Dentry, Inode
from .mount import Mount, Path
from .nsfs import NsfsSuperBlock
from .pseudo import (
    LinkInode,
    PseudoDir,
    PseudoSuperBlock,
    SeqInode,
    static_entries,
)
from .stat import Kstat, dev_major, dev_minor, mkdev

if TYPE_CHECKING:
    from ..pidns import PidNamespace
    from ..task import Task

PAGE_SIZE = 4096
USER_HZ = 100  # clock ticks of /proc/PID/stat (Linux USER_HZ)
PROC_ROOT_INO = 1
PROC_SELF_INO = 0xF0000000  # Linux: fs/proc/self.c self_inum, the first dynamic proc inode
PROC_THREAD_SELF_INO = 0xF0000001
FIRST_PROCESS_ENTRY = 256  # Linux: fs/proc/base.c, readdir cursors of pids start here
EXIT_NONE, EXIT_ZOMBIE, EXIT_DEAD = 0, 2, 3
PF_EXITING = 0x00000004
PF_FORKNOEXEC = 0x00000040
PF_KTHREAD = 0x00200000
RLIM_INFINITY = 0xFFFFFFFFFFFFFFFF


def task_released(task: Task) -> bool:
    """The task was reaped: its /proc entries are gone (Linux pid_revalidate fails)."""
    return task.exit_state == EXIT_DEAD or task.pid is None


# -- text helpers -------------------------------------------------------------------------------------------
def _sigset(bits: int) -> str:
    return f"{bits & 0xFFFFFFFFFFFFFFFF:016x}"


def _octal_umask(mask: int) -> str:
    """C's "%#04o"."""
    return ("0" + format(mask, "o") if mask else "0").rjust(4, "0")


def _kb(label: str, value: int) -> str:
    """A "Label:\\t    1234 kB" line of /proc/PID/status (seq_put_decimal_ull_width, width 8)."""
    return f"{label}:\t{value:>8} kB\n"


def _escape_mount(s: bytes) -> bytes:
    """Linux mangle(): space, tab, newline and backslash as octal escapes."""
    out = bytearray()
    for b in s:
        if b in (0x20, 0x09, 0x0A, 0x5C):
            out += b"\\%03o" % b
        else:
            out.append(b)
    return bytes(out)


def _host_status_lines() -> dict[str, str]:
    """The lines of the host's /proc/self/status that describe the machine rather than the process."""
    wanted = ("Speculation_Store_Bypass", "SpeculationIndirectBranch", "Cpus_allowed", "Cpus_allowed_list",
              "Mems_allowed", "Mems_allowed_list")  # fmt: skip
    out = {
        "Speculation_Store_Bypass": "thread vulnerable",
        "SpeculationIndirectBranch": "conditional enabled",
        "Cpus_allowed": "1",
        "Cpus_allowed_list": "0",
        "Mems_allowed": "00000000,00000001",
        "Mems_allowed_list": "0",
    }
    try:
        with open("/proc/self/status") as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition(":\t")
                if k in wanted:
                    out[k] = v
    except OSError:
        pass
    return out


HOST_STATUS = _host_status_lines()
_HOST_UNAME = os.uname()


# -- what the process files show ----------------------------------------------------------------------------
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


class ProcView:
    """The numbers /proc shows for one kernel: pids as its superblock's pid namespace gives them."""

    def __init__(self, kernel: Any, sb: ProcSuperBlock | None = None) -> None:
        self.kernel = kernel
        self.sb = sb

    @property
    def pid_ns(self) -> PidNamespace:
        return self.sb.pid_ns if self.sb is not None else self.kernel.pidns

    # -- numbers as /proc's pid namespace gives them (Linux proc_pid_ns(sb), whoever reads) --------------
    def vpid(self, viewer: Task, task: Task) -> int:
        return task.pid.nr_in(self.pid_ns) if task.pid is not None else 0

    def vtgid(self, viewer: Task, task: Task) -> int:
        return task.tg.pid.nr_in(self.pid_ns)

    def vroot_nr(self, viewer: Task, root_nr: int) -> int:
        """A process group or session id (a root-namespace number) in /proc's namespace."""
        pid = self.kernel.pidns.find(root_nr)
        return pid.nr_in(self.pid_ns) if pid is not None else 0

    def find_task(self, nr: int) -> Task | None:
        """find_task_by_pid_ns(nr, proc_pid_ns(sb))."""
        pid = self.pid_ns.find(nr) if nr > 0 else None
        return pid.tasks[0] if pid is not None and pid.tasks else None

    def ppid(self, viewer: Task, task: Task) -> int:
        parent = task.real_parent
        if parent is None or task_released(task):
            return 0
        return self.vtgid(viewer, parent)

    def tracer_pid(self, viewer: Task, task: Task) -> int:
        tracer = getattr(task.ptrace, "tracer", None) if task.ptrace is not None else None
        return self.vpid(viewer, tracer) if tracer is not None else 0


def task_state(task: Task) -> str:
    # Linux: fs/proc/array.c task_state_array
    if task.exit_state == EXIT_DEAD:
        return "X (dead)"
    if task.exit_state == EXIT_ZOMBIE:
        return "Z (zombie)"
    st = task.state
    if st == "T":
        return "t (tracing stop)" if getattr(task, "ptrace_stopped", False) else "T (stopped)"
    if st == "S":
        return "S (sleeping)"
    if st == "X":
        return "X (dead)"
    return "R (running)"


def nr_threads(task: Task) -> int:
    """signal->nr_threads: the group's threads not yet released."""
    return len(task.tg.tasks)


def task_flags(task: Task) -> int:
    flags = 0
    if task.kthread:
        flags |= PF_KTHREAD
    if task.exit_state != EXIT_NONE or task.tg.group_exit:
        flags |= PF_EXITING
    if not task.kthread and not getattr(task.tg, "did_exec", False):
        flags |= PF_FORKNOEXEC
    return flags


def sig_ign_cgt(task: Task) -> tuple[int, int]:
    # Linux: fs/proc/array.c collect_sigign_sigcatch
    ign = cgt = 0
    for sig, act in task.sighand.actions.items():
        if not 1 <= sig <= 64:
            continue
        if act[0] == 1:  # SIG_IGN
            ign |= 1 << (sig - 1)
        elif act[0] != 0:  # a handler
            cgt |= 1 << (sig - 1)
    return ign, cgt


def sigq(kernel: Any, task: Task) -> tuple[int, int]:
    """SigQ: signals queued for the task's real uid across the system / RLIMIT_SIGPENDING."""
    uid = task.creds.uid
    queued = 0
    groups: set[int] = set()
    for t in kernel.tasks.values():
        if t.creds.uid != uid or task_released(t):
            continue
        queued += sum(len(q) for q in t.pending.queue.values())
        if id(t.tg) not in groups:
            groups.add(id(t.tg))
            queued += sum(len(q) for q in t.tg.shared.queue.values())
    return queued, task.tg.rlimits[11][0]  # RLIMIT_SIGPENDING


def ptrace_may_read(viewer: Task, task: Task) -> bool:
    """ptrace_may_access(task, PTRACE_MODE_READ_FSCREDS), without LSMs."""
    if viewer.tg is task.tg:
        return True
    vc, tc = viewer.creds, task.creds
    if vc.capable(19):  # CAP_SYS_PTRACE
        return True
    return (vc.fsuid == tc.uid == tc.euid == tc.suid) and (vc.fsgid == tc.gid == tc.egid == tc.sgid)


def start_ticks(task: Task) -> int:
    return getattr(task, "start_time", 0) // (1_000_000_000 // USER_HZ)


# -- status ---------------------------------------------------------------------------------------------
def proc_pid_status(view: ProcView, viewer: Task, task: Task) -> bytes:
    # Linux: fs/proc/array.c proc_pid_status
    out: list[str] = []
    comm = task.comm.replace(b"\\", b"\\\\").replace(b"\n", b"\\n")
    out.append("Name:\t" + comm.decode("latin-1") + "\n")
    if task.fs is not None:
        out.append(f"Umask:\t{_octal_umask(task.fs.umask)}\n")
    c = task.creds
    out.append(f"State:\t{task_state(task)}\n"
               f"Tgid:\t{view.vtgid(viewer, task)}\n"
               "Ngid:\t0\n"
               f"Pid:\t{view.vpid(viewer, task)}\n"
               f"PPid:\t{view.ppid(viewer, task)}\n"
               f"TracerPid:\t{view.tracer_pid(viewer, task)}\n"
               f"Uid:\t{c.uid}\t{c.euid}\t{c.suid}\t{c.fsuid}\n"
               f"Gid:\t{c.gid}\t{c.egid}\t{c.sgid}\t{c.fsgid}\n"
               f"FDSize:\t{fdsize(task)}\n"
               "Groups:\t" + " ".join(str(g) for g in c.groups) + " \n")  # fmt: skip
    out.append(ns_lines(view, viewer, task))
    out.append(f"Kthread:\t{1 if task.kthread else 0}\n")
    mm = task.mm
    if mm is not None:
        m = MemStats(mm)
        out += [_kb("VmPeak", m.total), _kb("VmSize", m.total), _kb("VmLck", 0), _kb("VmPin", 0),
                _kb("VmHWM", m.rss), _kb("VmRSS", m.rss), _kb("RssAnon", m.anon), _kb("RssFile", m.file),
                _kb("RssShmem", m.shmem), _kb("VmData", m.data), _kb("VmStk", m.stack), _kb("VmExe", m.text),
                _kb("VmLib", m.lib), _kb("VmPTE", m.pte), _kb("VmSwap", 0), _kb("HugetlbPages", 0),
                "CoreDumping:\t0\n", "THP_enabled:\t1\n", "untag_mask:\t0xffffffffffffffff\n"]  # fmt: skip
    queued, limit = sigq(view.kernel, task)
    ign, cgt = sig_ign_cgt(task)
    limit_s = str(limit) if limit != RLIM_INFINITY else str(RLIM_INFINITY)
    out.append(f"Threads:\t{nr_threads(task)}\n"
               f"SigQ:\t{queued}/{limit_s}\n"
               f"SigPnd:\t{_sigset(task.pending.bits)}\n"
               f"ShdPnd:\t{_sigset(task.tg.shared.bits)}\n"
               f"SigBlk:\t{_sigset(task.sigmask)}\n"
               f"SigIgn:\t{_sigset(ign)}\n"
               f"SigCgt:\t{_sigset(cgt)}\n")  # fmt: skip
    inh, prm, eff, bnd, amb = caps(c)
    out.append(f"CapInh:\t{inh:016x}\n"
               f"CapPrm:\t{prm:016x}\n"
               f"CapEff:\t{eff:016x}\n"
               f"CapBnd:\t{bnd:016x}\n"
               f"CapAmb:\t{amb:016x}\n")  # fmt: skip
    mode, nfilters = seccomp(task)
    out.append(f"NoNewPrivs:\t{1 if task.no_new_privs else 0}\n"
               f"Seccomp:\t{mode}\n"
               f"Seccomp_filters:\t{nfilters}\n"
               f"Speculation_Store_Bypass:\t{HOST_STATUS['Speculation_Store_Bypass']}\n"
               f"SpeculationIndirectBranch:\t{HOST_STATUS['SpeculationIndirectBranch']}\n"
               f"Cpus_allowed:\t{HOST_STATUS['Cpus_allowed']}\n"
               f"Cpus_allowed_list:\t{HOST_STATUS['Cpus_allowed_list']}\n"
               f"Mems_allowed:\t{HOST_STATUS['Mems_allowed']}\n"
               f"Mems_allowed_list:\t{HOST_STATUS['Mems_allowed_list']}\n"
               "voluntary_ctxt_switches:\t0\n"
               "nonvoluntary_ctxt_switches:\t0\n")  # fmt: skip
    return "".join(out).encode("latin-1")


def caps(c: Any) -> tuple[int, int, int, int, int]:
    """The capability sets of credentials; without sets, everything for euid 0 and nothing otherwise."""
    from ..creds import CAP_VALID_MASK

    if not hasattr(c, "cap_effective"):
        full = CAP_VALID_MASK if c.euid == 0 else 0
        return 0, full, full, CAP_VALID_MASK, 0
    return c.cap_inheritable, c.cap_permitted, c.cap_effective, c.cap_bset, c.cap_ambient


def seccomp(task: Task) -> tuple[int, int]:
    """(mode, number of filters): a filter chain is `task.seccomp`, each node linked by `prev`."""
    node = getattr(task, "seccomp", None)
    mode = getattr(task, "seccomp_mode", None)
    n = 0
    f = node
    while f is not None and n < 1 << 16:
        n += 1
        f = getattr(f, "prev", None)
    if mode is None:
        mode = 2 if n else 0
    return int(mode), n


def fdsize(task: Task) -> int:
    """fdtable max_fds: 64, grown to a power-of-two multiple of 128 past the highest fd (expand_fdtable)."""
    if task.files is None:
        return 0
    fds = task.files.fds()
    top = fds[-1] if fds else 0
    if top < 64:
        return 64
    return 128 * (1 << (top // 128).bit_length())  # roundup_pow_of_two(top / 128 + 1) * 128


def ns_lines(view: ProcView, viewer: Task, task: Task) -> str:
    # Linux: fs/proc/array.c task_state, CONFIG_PID_NS part: one number per level from /proc's down
    vlevel = view.pid_ns.level
    pid = task.pid
    tpid = task.tg.pid
    levels = range(vlevel, len(pid.numbers)) if pid is not None else range(0)
    pgrp = view.kernel.pidns.find(task.tg.pgid)
    sess = view.kernel.pidns.find(task.tg.sid)

    def nums(p: Any) -> str:
        if p is None:
            return "".join("\t0" for _ in levels)
        return "".join(f"\t{p.nr_in(pid.ns.ancestor(g))}" for g in levels)

    return f"NStgid:{nums(tpid)}\nNSpid:{nums(pid)}\nNSpgid:{nums(pgrp)}\nNSsid:{nums(sess)}\n"


# -- stat, statm -------------------------------------------------------------------------------------------
def proc_pid_stat(view: ProcView, viewer: Task, task: Task, whole: bool) -> bytes:
    # Linux: fs/proc/array.c do_task_stat
    mm = task.mm
    permitted = ptrace_may_read(viewer, task)
    m = MemStats(mm) if mm is not None else None
    ign, cgt = sig_ign_cgt(task)
    nthreads = nr_threads(task)
    state = task_state(task)[0]
    wchan = 1 if permitted and (not whole or nthreads < 2) and state != "R" else 0
    rsslim = task.tg.rlimits[5][0]  # RLIMIT_RSS
    nice = getattr(task, "nice", 0)  # setpriority (syscalls/misc.py)
    if mm is not None:
        code = (mm.start_code, mm.end_code, mm.start_stack) if permitted else (1, 1, 0)
    else:
        code = (0, 0, 0)
    tail = ((mm.start_data, mm.end_data, mm.start_brk, mm.arg_start, mm.arg_end, mm.env_start, mm.env_end)
            if mm is not None and permitted else (0,) * 7)  # fmt: skip
    fields = [
        view.ppid(viewer, task), view.vroot_nr(viewer, task.tg.pgid), view.vroot_nr(viewer, task.tg.sid),
        0, -1, task_flags(task), 0, 0, 0, 0,  # tty_nr, tpgid, flags, min/cmin/maj/cmaj faults
        0, 0, 0, 0, 20 + nice, nice, nthreads, 0, start_ticks(task),  # times, prio, nice, threads, start
        (m.total << 10) if m else 0, (m.rss >> 2) if m else 0, rsslim, *code,
        0, 0,  # kstkesp, kstkeip (only for a task dumping core)
        task.pending.bits & 0x7FFFFFFF, task.sigmask & 0x7FFFFFFF, ign & 0x7FFFFFFF, cgt & 0x7FFFFFFF,
        wchan, 0, 0, task.exit_signal, 0, 0, 0, 0, 0, 0, *tail,
        task.exit_code if permitted else 0,
    ]  # fmt: skip
    comm = task.comm.decode("latin-1")
    line = f"{view.vpid(viewer, task)} ({comm}) {state} " + " ".join(str(x) for x in fields) + "\n"
    return line.encode("latin-1")


def proc_pid_statm(task: Task) -> bytes:
    # Linux: fs/proc/array.c proc_pid_statm (pages)
    if task.mm is None:
        return b"0 0 0 0 0 0 0\n"
    m = MemStats(task.mm)
    p = 2  # kB -> pages
    return (f"{m.total >> p} {m.rss >> p} {(m.file + m.shmem) >> p} {m.text >> p} 0 "
            f"{(m.data + m.stack) >> p} 0\n").encode()  # fmt: skip


# -- memory of the process --------------------------------------------------------------------------------
def _read_mm(mm: Any, start: int, end: int) -> bytes:
    if mm is None or end <= start:
        return b""
    try:
        return mm.read(start, min(end - start, 1 << 20))
    except (Fault, Errno):
        return b""


def proc_pid_cmdline(task: Task) -> bytes:
    # Linux: fs/proc/base.c get_mm_cmdline (with the setproctitle special case)
    mm = task.mm
    if mm is None or not mm.arg_end:
        return b""
    arg_start, arg_end, env_start, env_end = mm.arg_start, mm.arg_end, mm.env_start, mm.env_end
    if env_start != arg_end or env_end < env_start:
        env_start = env_end = arg_end
    last = _read_mm(mm, arg_end - 1, arg_end)
    if last and last != b"\0":
        data = _read_mm(mm, arg_start, env_end)
        nul = data.find(b"\0")
        return data[: nul + 1] if nul >= 0 else data
    return _read_mm(mm, arg_start, arg_end)


def proc_pid_environ(task: Task) -> bytes:
    mm = task.mm
    return _read_mm(mm, mm.env_start, mm.env_end) if mm is not None else b""


def proc_pid_maps(kernel: Any, viewer: Task, task: Task) -> bytes:
    # Linux: fs/proc/task_mmu.c show_map_vma
    mm = task.mm
    if mm is None:
        return b""
    root = viewer.fs.root if viewer.fs is not None else kernel.vfs.root_path
    exe = mm.exe
    exe_st = _file_stat(exe)
    exe_name = _file_name(exe, root) if exe is not None else b""
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
            st = _file_stat(v.inode)
            if st is not None:
                dev, ino = st.dev, st.ino
            off = v.pgoff << 12
            if getattr(v.inode, "path", None) is not None:
                name = _file_name(v.inode, root)
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


# -- others -------------------------------------------------------------------------------------------------
def proc_pid_limits(task: Task) -> bytes:
    # Linux: fs/proc/base.c proc_pid_limits
    names = [("Max cpu time", "seconds"), ("Max file size", "bytes"), ("Max data size", "bytes"),
             ("Max stack size", "bytes"), ("Max core file size", "bytes"), ("Max resident set", "bytes"),
             ("Max processes", "processes"), ("Max open files", "files"), ("Max locked memory", "bytes"),
             ("Max address space", "bytes"), ("Max file locks", "locks"), ("Max pending signals", "signals"),
             ("Max msgqueue size", "bytes"), ("Max nice priority", ""), ("Max realtime priority", ""),
             ("Max realtime timeout", "us")]  # fmt: skip
    out = [f"{'Limit':<25} {'Soft Limit':<20} {'Hard Limit':<20} {'Units':<10}\n"]
    for (name, unit), (soft, hard) in zip(names, task.tg.rlimits, strict=False):
        s = "unlimited" if soft == RLIM_INFINITY else str(soft)
        h = "unlimited" if hard == RLIM_INFINITY else str(hard)
        out.append(f"{name:<25} {s:<20} {h:<20} " + (f"{unit:<10}" if unit else "") + "\n")
    return "".join(out).encode()


def proc_pid_children(view: ProcView, viewer: Task, task: Task) -> bytes:
    # Linux: fs/proc/array.c children_seq_show: "%d " per child of this thread
    kids = [c for c in task.children if not task_released(c)]
    return "".join(f"{view.vpid(viewer, c)} " for c in kids).encode()


def proc_pid_mounts(kernel: Any, task: Task) -> bytes:
    # Linux: fs/proc_namespace.c show_vfsmnt
    vfs = kernel.vfs
    root = task.fs.root if task.fs is not None else vfs.root_path
    out = []
    for m in all_mounts(vfs.mounts):
        where = Path(m, m.root) if m.parent is None else Path(m.parent, m.mountpoint)
        point = d_path(where, root) if m.parent is not None else b"/"
        fstype = m.sb.fs_type
        out.append(b"%s %s %s %s 0 0\n" % (_escape_mount(_DEVNAMES.get(fstype, fstype).encode()),
                                           _escape_mount(point), fstype.encode(),
                                           _mount_opts(m).encode()))  # fmt: skip
    return b"".join(out)


_DEVNAMES = {
    "hostfs": "hostfs",
    "cgroup2": "cgroup2",
    "proc": "proc",
    "devtmpfs": "devtmpfs",
    "tmpfs": "tmpfs",
}


def _mount_opts(m: Mount) -> str:
    base = "ro" if m.read_only else "rw"
    extra = {"proc": ",nosuid,nodev,noexec,relatime", "cgroup2": ",nosuid,nodev,noexec,relatime",
             "devtmpfs": ",nosuid,relatime,mode=755"}.get(m.sb.fs_type, ",relatime")  # fmt: skip
    return base + extra


def all_mounts(mounts: Any) -> list[Mount]:
    """Every mount of the namespace, in the order they were made."""
    found = [mounts.root] if mounts.root is not None else []
    found += list(getattr(mounts, "_children", {}).values())
    return sorted(found, key=lambda m: m.mnt_id)


def _file_stat(f: Any) -> Kstat | None:
    if f is None:
        return None
    try:
        return f.stat()
    except Exception:  # a host file gone away, a file kind without attributes
        return None


def _file_name(f: Any, root: Path) -> bytes:
    """The name /proc shows for an open file: its path from the reader's root, or its pseudo name."""
    # Linux: fs/d_path.c d_path (" (deleted)" for an unlinked file) and the ->d_dname of pseudo files
    path = getattr(f, "path", None)
    if path is not None:
        if getattr(path.mnt.sb, "d_dname", False) and path.dentry is not path.mnt.root:
            return path.dentry.name  # Linux d_path: a pseudo filesystem names its files itself (->d_dname)
        name = d_path(path, root)
        d = path.dentry
        if d is not path.mnt.root and (d.deleted or d.inode.is_dead()):
            name += b" (deleted)"
        return name
    fn = getattr(f, "fdinfo_name", None)
    if fn is not None:
        n = fn()
        return n.encode() if isinstance(n, str) else bytes(n)
    hfd = getattr(f, "hfd", None)
    if hfd is not None:  # a host stdio stream: the host's name for it
        try:
            return os.fsencode(os.readlink(f"/proc/self/fd/{hfd}"))
        except OSError:
            return b"pipe:[0]"
    kind = type(f).__name__
    if kind == "PidFd":
        return b"anon_inode:[pidfd]"
    return f"anon_inode:[{kind.lower()}]".encode()


def fdinfo_text(viewer: Task, f: File, cloexec: bool) -> bytes:
    """/proc/PID/fdinfo/N (Linux fs/proc/fd.c seq_show) plus the file's own lines (->show_fdinfo)."""
    flags = f.flags | (O_CLOEXEC if cloexec else 0)
    mnt_id = f.path.mnt.mnt_id if f.path is not None else 0
    st = _file_stat(f)
    text = f"pos:\t{f.pos}\nflags:\t0{flags:o}\nmnt_id:\t{mnt_id}\nino:\t{st.ino if st is not None else 0}\n"
    lines_fn = getattr(f, "fdinfo_lines", None)
    if lines_fn is not None:
        extra = lines_fn(viewer)
        if isinstance(extra, bytes):
            extra = extra.decode("latin-1")
        if isinstance(extra, str):
            text += extra if not extra or extra.endswith("\n") else extra + "\n"
        else:
            text += "".join(line if line.endswith("\n") else line + "\n" for line in extra)
    return text.encode("latin-1")


# -- /proc itself ----------------------------------------------------------------------------------------------
class ProcSuperBlock(PseudoSuperBlock):
    """The proc filesystem of one kernel."""

    __slots__ = ("view", "nsfs", "root", "_pid_ns")

    def __init__(self, kernel: Any, dev: int, now: Callable[[], int],
                 pid_ns: PidNamespace | None = None) -> None:
        super().__init__("proc", dev, kernel, now)
        self._pid_ns = pid_ns
        self.view = ProcView(kernel, self)
        self.nsfs = NsfsSuperBlock(kernel, now)
        self.root = ProcRoot(self)

    @property
    def pid_ns(self) -> PidNamespace:
        """proc_fill_super: the mounter's active pid namespace; the kernel mounts /proc at boot, from the root."""
        return self._pid_ns if self._pid_ns is not None else self.kernel.pidns


def _owner(task: Task) -> tuple[int, int]:
    """task_dump_owner: the task's effective ids (every task is dumpable here)."""
    return task.creds.euid, task.creds.egid


class ProcRoot(PseudoDir):
    """/proc: the fixed entries (Linux's order: by length, then name), self, thread-self, then the pids."""

    __slots__ = ()

    def __init__(self, sb: ProcSuperBlock) -> None:
        super().__init__(sb, ("root",), 0o555, ino=PROC_ROOT_INO)

    def _fixed(self) -> list[tuple[bytes, Inode]]:
        sb: ProcSuperBlock = self.sb  # type: ignore[assignment]
        k = sb.kernel
        return [
            (b"sys", SysDir(sb, ("sys",), SYSCTL_TREE)),
            (b"stat", SeqInode(sb, ("stat",), 0o444, lambda v: proc_stat(k))),
            (b"mounts", LinkInode(sb, ("mounts",), lambda v: b"self/mounts")),
            (b"uptime", SeqInode(sb, ("uptime",), 0o444, lambda v: proc_uptime(k))),
            (b"cpuinfo", SeqInode(sb, ("cpuinfo",), 0o444, lambda v: proc_cpuinfo())),
            (b"loadavg", SeqInode(sb, ("loadavg",), 0o444, lambda v: proc_loadavg(k, v))),
            (b"meminfo", SeqInode(sb, ("meminfo",), 0o444, lambda v: proc_meminfo(k))),
            (b"version", SeqInode(sb, ("version",), 0o444, lambda v: proc_version())),
            (b"filesystems", SeqInode(sb, ("filesystems",), 0o444, lambda v: PROC_FILESYSTEMS)),
        ]

    def _self_links(self) -> list[tuple[bytes, Inode]]:
        sb: ProcSuperBlock = self.sb  # type: ignore[assignment]
        view = sb.view

        def self_body(v: Task) -> bytes:
            nr = view.vtgid(v, v)
            if not nr:
                raise Errno(E.ENOENT)
            return str(nr).encode()

        def thread_self_body(v: Task) -> bytes:
            tgid, tid = view.vtgid(v, v), view.vpid(v, v)
            if not tid:
                raise Errno(E.ENOENT)
            return f"{tgid}/task/{tid}".encode()

        return [
            (b"self", LinkInode(sb, ("self",), self_body, ino=PROC_SELF_INO)),
            (b"thread-self", LinkInode(sb, ("thread-self",), thread_self_body, ino=PROC_THREAD_SELF_INO)),
        ]

    def entries(self, viewer: Task) -> list[tuple[int, bytes, Inode]]:
        fixed = self._fixed() + self._self_links()
        out = static_entries(fixed)
        ns = self.sb.pid_ns  # type: ignore[attr-defined]
        leaders = []
        for nr, pid in ns.pids.items():
            if pid is None or not pid.tasks:
                continue
            t = pid.tasks[0]
            if t.tg.pid is pid and not task_released(t):  # thread-group leaders only (next_tgid)
                leaders.append((nr, t))
        for nr, t in sorted(leaders, key=lambda x: x[0]):
            out.append((FIRST_PROCESS_ENTRY + nr, str(nr).encode(), PidDir(self.sb, t, thread=False)))
        return out

    def lookup(self, name: bytes) -> Inode | None:
        for n, inode in self._fixed() + self._self_links():
            if n == name:
                return inode
        nr = _parse_pid(name)
        if nr is None:
            return self.miss()
        task = self.sb.view.find_task(nr)  # type: ignore[attr-defined]
        if task is None or task_released(task):
            return self.miss()
        return PidDir(self.sb, task, thread=False)


def _parse_pid(name: bytes) -> int | None:
    """Linux name_to_int: decimal digits without a leading zero."""
    if not name or not name.isdigit() or (len(name) > 1 and name[:1] == b"0") or len(name) > 10:
        return None
    v = int(name)
    return v if v < 1 << 31 else None


class PidDir(PseudoDir):
    """/proc/PID (thread=False, Linux tgid_base_stuff) or /proc/PID/task/TID (thread=True, tid_base_stuff)."""

    __slots__ = ("task", "thread")

    def __init__(self, sb: PseudoSuperBlock, task: Task, thread: bool) -> None:
        uid, gid = _owner(task)
        super().__init__(sb, ("pid", task, thread), 0o555, uid, gid, anchor=task)
        self.task = task
        self.thread = thread

    def is_dead(self) -> bool:
        return task_released(self.task)

    def _items(self) -> list[tuple[bytes, Inode]]:
        sb = self.sb
        task = self.task
        view: ProcView = sb.view  # type: ignore[attr-defined]
        k = sb.kernel
        uid, gid = _owner(task)
        whole = not self.thread
        key = (task, self.thread)

        def seq(name: str, mode: int, show: Callable[[Task], bytes],
                store: Callable[[Task, bytes], None] | None = None) -> tuple[bytes, Inode]:  # fmt: skip
            def guarded(viewer: Task) -> bytes:
                if task_released(task):
                    raise Errno(E.ESRCH)
                return show(viewer)

            return name.encode(), SeqInode(sb, (name, *key), mode, guarded, store, uid, gid, anchor=task)

        def link(
            name: str, body: Callable[[Task], bytes], jump: Callable[[Task], Path | None]
        ) -> tuple[bytes, Inode]:
            return name.encode(), LinkInode(sb, (name, *key), body, jump, 0o777, uid, gid, anchor=task)

        def comm_store(viewer: Task, data: bytes) -> None:
            # Linux: fs/proc/base.c comm_write: only threads of the writer's own process
            if task_released(task) or viewer.tg is not task.tg:
                raise Errno(E.EINVAL)
            task.comm = data[:15].split(b"\0", 1)[0]

        items: list[tuple[bytes, Inode]] = []
        if whole:
            items.append((b"task", TaskDir(sb, task)))
        items += [
            (b"fd", FdDir(sb, task, self.thread)),
            (b"fdinfo", FdInfoDir(sb, task, self.thread)),
            (b"ns", NsDir(sb, task, self.thread)),
            seq("environ", 0o400, lambda v: proc_pid_environ(task)),
            seq("status", 0o444, lambda v: proc_pid_status(view, v, task)),
            seq("limits", 0o444, lambda v: proc_pid_limits(task)),
            seq("comm", 0o644, lambda v: task.comm + b"\n", comm_store),
            seq("cmdline", 0o444, lambda v: proc_pid_cmdline(task)),
            seq("stat", 0o444, lambda v: proc_pid_stat(view, v, task, whole)),
            seq("statm", 0o444, lambda v: proc_pid_statm(task)),
            seq("maps", 0o444, lambda v: proc_pid_maps(k, v, task)),
        ]
        if not whole:
            items.append(seq("children", 0o444, lambda v: proc_pid_children(view, v, task)))
        items += [
            link("cwd", lambda v: _path_body(task, "cwd", v), lambda v: _path_of(task, "cwd")),
            link("root", lambda v: _path_body(task, "root", v), lambda v: _path_of(task, "root")),
            link("exe", lambda v: _exe_body(task, v), lambda v: _exe_path(task)),
            seq("mounts", 0o444, lambda v: proc_pid_mounts(k, task)),
            seq("cgroup", 0o444, lambda v: _cgroup_line(k, task)),
        ]
        return items

    def entries(self, viewer: Task) -> list[tuple[int, bytes, Inode]]:
        return static_entries(self._items())

    def lookup(self, name: bytes) -> Inode | None:
        if not self.is_dead():
            for n, inode in self._items():
                if n == name:
                    return inode
        return self.miss()


def _cgroup_line(kernel: Any, task: Task) -> bytes:
    from ..cgroup import proc_cgroup_line

    return proc_cgroup_line(kernel, task).encode()


def _fs_path(task: Task, which: str) -> Path:
    fs = task.fs
    if fs is None or task_released(task):
        raise Errno(E.ENOENT)
    return fs.cwd if which == "cwd" else fs.root


def _path_of(task: Task, which: str) -> Path | None:
    return _fs_path(task, which)


def _viewer_root(viewer: Task) -> Path:
    if viewer.fs is not None:
        return viewer.fs.root
    return viewer.kernel.vfs.root_path


def _path_body(task: Task, which: str, viewer: Task) -> bytes:
    p = _fs_path(task, which)
    name = d_path(p, _viewer_root(viewer))
    if p.dentry is not p.mnt.root and (p.dentry.deleted or p.inode.is_dead()):
        name += b" (deleted)"
    return name


def _exe_file(task: Task) -> Any:
    mm = task.mm
    exe = mm.exe if mm is not None else None
    if exe is None or task_released(task):
        raise Errno(E.ENOENT)  # Linux get_task_exe_file: none for a kernel thread or a zombie
    return exe


def _exe_path(task: Task) -> Path | None:
    return getattr(_exe_file(task), "path", None)


def _exe_body(task: Task, viewer: Task) -> bytes:
    return _file_name(_exe_file(task), _viewer_root(viewer))


class TaskDir(PseudoDir):
    """/proc/PID/task: one directory per thread of the process that is not yet released."""

    __slots__ = ("task",)

    def __init__(self, sb: PseudoSuperBlock, task: Task) -> None:
        uid, gid = _owner(task)
        super().__init__(sb, ("task", task), 0o555, uid, gid, anchor=task)
        self.task = task

    def is_dead(self) -> bool:
        return task_released(self.task)

    def _threads(self, viewer: Task) -> list[tuple[int, Task]]:
        out = []
        for t in self.task.tg.tasks:
            nr = self.sb.view.vpid(viewer, t)  # type: ignore[attr-defined]
            if nr and not task_released(t):
                out.append((nr, t))
        return sorted(out, key=lambda x: x[0])

    def entries(self, viewer: Task) -> list[tuple[int, bytes, Inode]]:
        return [
            (2 + nr, str(nr).encode(), PidDir(self.sb, t, thread=True)) for nr, t in self._threads(viewer)
        ]

    def lookup(self, name: bytes) -> Inode | None:
        nr = _parse_pid(name)
        if nr is None or self.is_dead():
            return self.miss()
        t = self.sb.view.find_task(nr)  # type: ignore[attr-defined]
        if t is None or t.tg is not self.task.tg or task_released(t):
            return self.miss()
        return PidDir(self.sb, t, thread=True)


class FdLinkInode(LinkInode):
    """/proc/PID/fd/N: lstat shows a size of 64 (Linux proc_fd_instantiate sets i_size = 64)."""

    __slots__ = ()

    def size(self) -> int:
        return 64


class FdDir(PseudoDir):
    """/proc/PID/fd: a symlink per open fd, named after the file (dr-x------, the task's owner only)."""

    __slots__ = ("task",)

    def __init__(
        self, sb: PseudoSuperBlock, task: Task, thread: bool, kind: str = "fd", mode: int = 0o500
    ) -> None:
        uid, gid = _owner(task)
        super().__init__(sb, (kind, task, thread), mode, uid, gid, anchor=task)
        self.task = task

    def is_dead(self) -> bool:
        return task_released(self.task)

    def size(self) -> int:
        files = self.task.files
        return len(files) if files is not None else 0

    def _fd_inode(self, fd: int, f: File) -> Inode:
        task = self.task
        uid, gid = _owner(task)
        mode = 0
        if f.f_mode & FMODE_READ:
            mode |= 0o500
        if f.f_mode & FMODE_WRITE:
            mode |= 0o300
        files = task.files

        def current_file() -> File:
            cur = files.lookup(fd) if files is not None and task.files is files else None
            if cur is None or task_released(task):
                raise Errno(E.ENOENT)
            return cur

        def body(viewer: Task) -> bytes:
            return _file_name(current_file(), _viewer_root(viewer))

        def jump(viewer: Task) -> Path | None:
            # Linux: fs/proc/fd.c proc_fd_link: the file's own path, or where a file opened without a name is
            cur = current_file()
            if cur.path is not None:
                return cur.path
            return viewer.kernel.vfs.object_path(cur, _file_name(cur, _viewer_root(viewer)))

        return FdLinkInode(self.sb, ("fdlink", task, fd, id(f)), body, jump, mode, uid, gid, anchor=task)

    def entries(self, viewer: Task) -> list[tuple[int, bytes, Inode]]:
        files = self.task.files
        if files is None:
            return []
        return [(2 + fd, str(fd).encode(), self._fd_inode(fd, f)) for fd, f in files.items()]

    def lookup(self, name: bytes) -> Inode | None:
        fd = _parse_pid(name)
        files = self.task.files
        if fd is None or files is None or self.is_dead():
            return self.miss()
        f = files.lookup(fd)
        return self._fd_inode(fd, f) if f is not None else self.miss()


class FdInfoDir(FdDir):
    """/proc/PID/fdinfo: pos, flags, mnt_id, ino (and the file's own lines) of each open fd."""

    __slots__ = ()

    def __init__(self, sb: PseudoSuperBlock, task: Task, thread: bool) -> None:
        super().__init__(sb, task, thread, "fdinfo", 0o555)

    def size(self) -> int:
        return 0

    def _fd_inode(self, fd: int, f: File) -> Inode:
        task = self.task
        files = task.files
        uid, gid = _owner(task)

        def show(viewer: Task) -> bytes:
            cur = files.lookup(fd) if files is not None and task.files is files else None
            if cur is None or task_released(task):
                raise Errno(E.ENOENT)
            return fdinfo_text(viewer, cur, files.get_cloexec(fd))

        return SeqInode(self.sb, ("fdinfo", task, fd, id(f)), 0o444, show, None, uid, gid, anchor=task)


class NsDir(PseudoDir):
    """/proc/PID/ns: pid and pid_for_children (dr-x--x--x)."""

    __slots__ = ("task",)

    def __init__(self, sb: PseudoSuperBlock, task: Task, thread: bool) -> None:
        uid, gid = _owner(task)
        super().__init__(sb, ("ns", task, thread), 0o511, uid, gid, anchor=task)
        self.task = task

    def is_dead(self) -> bool:
        return task_released(self.task)

    def _ns(self, which: str) -> PidNamespace:
        task = self.task
        if task_released(task) or task.pid is None:
            raise Errno(E.ENOENT)
        if which == "pid":
            return task.pid.ns
        ns = task.pid_ns_for_children
        return ns if ns is not None else task.pid.ns

    def entries(self, viewer: Task) -> list[tuple[int, bytes, Inode]]:
        sb: ProcSuperBlock = self.sb  # type: ignore[assignment]
        uid, gid = _owner(self.task)
        items = []
        for which in ("pid", "pid_for_children"):

            def body(v: Task, which: str = which) -> bytes:
                return f"pid:[{sb.nsfs.inum(self._ns(which))}]".encode()

            def jump(v: Task, which: str = which) -> Path | None:
                return sb.nsfs.path_of(self._ns(which))

            items.append((which.encode(), LinkInode(sb, ("nslink", self.task, which), body, jump, 0o777, uid,
                                                    gid, anchor=self.task)))  # fmt: skip
        return static_entries(items)


# -- /proc/sys --------------------------------------------------------------------------------------------------
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
    from ..cgroup import _kstrtoll

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
    if not (viewer.creds.capable(21) or viewer.creds.capable(40)):
        raise Errno(E.EPERM)
    ns = viewer.pid.ns
    ns.last_pid = _proc_dointvec(data, 0, ns.pid_max)


def _uts_store(kernel: Any, viewer: Task, data: bytes, attr: str) -> None:
    # Linux: kernel/utsname_sysctl.c proc_do_uts_string: up to the first newline, at most 64 bytes
    if not viewer.creds.capable(21):
        raise Errno(E.EPERM)
    setattr(kernel, attr, data.split(b"\n", 1)[0][:64])


def _pipe_max_store(kernel: Any, viewer: Task, data: bytes) -> None:
    # Linux: fs/pipe.c proc_dopipe_max_size: rounded to a power-of-two number of pages
    from .pipe import pipefs, round_pipe_size

    v = _proc_dointvec(data, 0, (1 << 31) - 1)
    size = round_pipe_size(v)
    if size == 0:
        raise Errno(E.EINVAL)
    pipefs(kernel).pipe_max_size = size


def _pipe_max_show(kernel: Any, viewer: Task) -> bytes:
    from .pipe import pipefs

    return b"%d\n" % pipefs(kernel).pipe_max_size


def _threads_max(kernel: Any, viewer: Task) -> bytes:
    from ..clone import MAX_TASKS

    return b"%d\n" % MAX_TASKS


def _cap_last_cap(kernel: Any, viewer: Task) -> bytes:
    from ..creds import CAP_LAST_CAP

    return b"%d\n" % CAP_LAST_CAP


def _read_only(kernel: Any, viewer: Task, data: bytes) -> None:
    """The emulator's own bounds hold even for root (DESIGN 6): these sysctls cannot be raised."""
    raise Errno(E.EPERM)


SYSCTL_TREE: dict[str, Any] = {
    "kernel": {
        "cap_last_cap": Sysctl(0o444, _cap_last_cap),
        "domainname": Sysctl(0o644, lambda k, v: getattr(k, "domainname", b"(none)") + b"\n",
                             lambda k, v, d: _uts_store(k, v, d, "domainname")),
        "hostname": Sysctl(0o644, lambda k, v: k.hostname + b"\n", lambda k, v, d: _uts_store(k, v, d, "hostname")),
        "ns_last_pid": Sysctl(0o666, lambda k, v: b"%d\n" % v.pid.ns.last_pid, _ns_last_pid_store),
        "osrelease": Sysctl(0o444, lambda k, v: _HOST_UNAME.release.encode() + b"\n"),
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


# -- system-wide files ------------------------------------------------------------------------------------------
PROC_FILESYSTEMS = (
    b"nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\tcgroup2\nnodev\tpipefs\n"
)
MEM_TOTAL_KB = 4 * 1024 * 1024


def proc_uptime(kernel: Any) -> bytes:
    # Linux: fs/proc/uptime.c: "%lu.%02lu %lu.%02lu\n", uptime and the idle time of every CPU
    up = kernel.clock.monotonic_ns()
    busy = kernel.clock.cputime_ns()
    idle = max(0, up * (os.cpu_count() or 1) - busy)
    return b"%d.%02d %d.%02d\n" % (up // 10**9, up // 10**7 % 100, idle // 10**9, idle // 10**7 % 100)


def proc_loadavg(kernel: Any, viewer: Task) -> bytes:
    # Linux: fs/proc/loadavg.c: three averages, running/total tasks, the last pid of the reader's namespace
    tasks = [t for t in kernel.tasks.values() if not t.kthread and not task_released(t)]
    running = sum(1 for t in tasks if t.state == "R" and t.exit_state == EXIT_NONE)
    return b"0.00 0.00 0.00 %d/%d %d\n" % (running, len(tasks), viewer.pid.ns.last_pid)


def proc_meminfo(kernel: Any) -> bytes:
    # Linux: fs/proc/meminfo.c (a plausible machine: MEM_TOTAL_KB, used = what the guests have mapped)
    used = anon = filed = shmem = 0
    seen: set[int] = set()
    for t in kernel.tasks.values():
        mm = t.mm
        if mm is None or id(mm) in seen:
            continue
        seen.add(id(mm))
        m = MemStats(mm)
        used += m.rss
        anon += m.anon
        filed += m.file
        shmem += m.shmem
    total = MEM_TOTAL_KB
    free = max(0, total - used)
    rows = [("MemTotal", total), ("MemFree", free), ("MemAvailable", free), ("Buffers", 0), ("Cached", filed),
            ("SwapCached", 0), ("Active", anon), ("Inactive", filed), ("Active(anon)", anon),
            ("Inactive(anon)", 0), ("Active(file)", 0), ("Inactive(file)", filed), ("Unevictable", 0),
            ("Mlocked", 0), ("SwapTotal", 0), ("SwapFree", 0), ("Dirty", 0), ("Writeback", 0),
            ("AnonPages", anon), ("Mapped", filed), ("Shmem", shmem), ("KReclaimable", 0), ("Slab", 0),
            ("SReclaimable", 0), ("SUnreclaim", 0), ("KernelStack", 16 * len(kernel.tasks)), ("PageTables", 0),
            ("CommitLimit", total // 2), ("Committed_AS", used), ("VmallocTotal", 34359738367),
            ("VmallocUsed", 0), ("VmallocChunk", 0)]  # fmt: skip
    text = "".join(f"{label + ':':<16}{v:>8} kB\n" for label, v in rows)
    text += ("HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\n"
             "HugePages_Surp:        0\nHugepagesize:       2048 kB\nHugetlb:               0 kB\n")  # fmt: skip
    return text.encode()


def proc_cpuinfo() -> bytes:
    """The host's processors, as many as /proc/stat, sysinfo and sched_getaffinity count."""
    try:
        with open("/proc/cpuinfo", "rb") as f:
            return f.read()
    except OSError:
        return b"".join(b"processor\t: %d\n\n" % i for i in range(os.cpu_count() or 1))


def proc_version() -> bytes:
    return f"Linux version {_HOST_UNAME.release} (emukernel) {_HOST_UNAME.version}\n".encode()


def proc_stat(kernel: Any) -> bytes:
    # Linux: fs/proc/stat.c (CPU times in USER_HZ ticks; only what this kernel knows is non-zero)
    ncpu = os.cpu_count() or 1
    user = kernel.clock.cputime_ns() // (10**9 // USER_HZ)
    up = kernel.clock.monotonic_ns() // (10**9 // USER_HZ)
    idle = max(0, up * ncpu - user)
    lines = [f"cpu  {user} 0 0 {idle} 0 0 0 0 0 0"]
    for i in range(ncpu):
        lines.append(f"cpu{i} {user // ncpu} 0 0 {idle // ncpu} 0 0 0 0 0 0")
    boot = (kernel.clock.realtime_ns() - kernel.clock.monotonic_ns()) // 10**9
    tasks = [t for t in kernel.tasks.values() if not task_released(t)]
    running = sum(1 for t in tasks if t.state == "R" and t.exit_state == EXIT_NONE and not t.kthread)
    blocked = 0
    forks = max(0, max((t.tid for t in tasks), default=0))
    lines += ["intr 0", "ctxt 0", f"btime {boot}", f"processes {forks}", f"procs_running {running}",
              f"procs_blocked {blocked}", "softirq 0 0 0 0 0 0 0 0 0 0 0"]  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


# -- mounting ----------------------------------------------------------------------------------------------------
def make_procfs(kernel: Any, dev: int, now: Callable[[], int]) -> ProcSuperBlock:
    return ProcSuperBlock(kernel, dev, now)


def mount_procfs(kernel: Any, where: str = "/proc") -> Mount | None:
    """Mount a procfs at `where` in the kernel's VFS; None when the root has no such directory to mount on."""
    vfs = kernel.vfs
    sb = make_procfs(kernel, vfs._anon_dev(), vfs.now)
    try:
        point = vfs._mountpoint(where, True)
    except ValueError:
        return None
    mnt = vfs.mounts.mount(sb, Dentry(b"", None, sb.root), point)
    kernel.procfs = sb
    return mnt


def mount_proc_and_cgroup(kernel: Any) -> None:
    """Boot: /proc and the cgroup2 hierarchy at /sys/fs/cgroup, in every guest root (a host root too)."""
    from .cgroupfs import mount_cgroupfs

    mount_procfs(kernel)
    mount_cgroupfs(kernel)


__all__ = ["fdinfo_text", "mount_proc_and_cgroup", "mount_procfs"]
