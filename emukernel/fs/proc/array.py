"""/proc/PID/status, stat, statm and children (Linux fs/proc/array.c), in Linux's text formats, every pid the
one /proc's pid namespace gives (`ProcView`); where a value does not exist in this kernel (page faults, CPU
times, NUMA) a plausible constant stands in for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...task import TaskState
from .internal import (
    EXIT_DEAD,
    EXIT_NONE,
    EXIT_ZOMBIE,
    RLIM_INFINITY,
    USER_HZ,
    ProcView,
    ptrace_may_read,
    task_released,
)
from .task_mmu import MemStats

if TYPE_CHECKING:
    from ...task import Task

PF_EXITING = 0x00000004
PF_FORKNOEXEC = 0x00000040
PF_KTHREAD = 0x00200000


def _sigset(bits: int) -> str:
    return f"{bits & 0xFFFFFFFFFFFFFFFF:016x}"


def _octal_umask(mask: int) -> str:
    """C's "%#04o"."""
    return ("0" + format(mask, "o") if mask else "0").rjust(4, "0")


def _kb(label: str, value: int) -> str:
    """A "Label:\\t    1234 kB" line of /proc/PID/status (seq_put_decimal_ull_width, width 8)."""
    return f"{label}:\t{value:>8} kB\n"


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


_STATE_NAMES = {TaskState.RUNNING: "R (running)", TaskState.INTERRUPTIBLE: "S (sleeping)",
                TaskState.STOPPED: "T (stopped)", TaskState.TRACED: "t (tracing stop)", TaskState.DEAD: "X (dead)"}


def task_state(task: Task) -> str:
    # Linux: fs/proc/array.c task_state_array
    if task.exit_state == EXIT_DEAD:
        return "X (dead)"
    if task.exit_state == EXIT_ZOMBIE:
        return "Z (zombie)"
    return _STATE_NAMES[task.state]


def nr_threads(task: Task) -> int:
    """signal->nr_threads: the group's threads not yet released."""
    return len(task.tg.tasks)


def task_flags(task: Task) -> int:
    flags = 0
    if task.kthread:
        flags |= PF_KTHREAD
    if task.exit_state != EXIT_NONE or task.tg.group_exit:
        flags |= PF_EXITING
    if not task.kthread and not task.tg.did_exec:
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


def start_ticks(task: Task) -> int:
    return task.start_time // (1_000_000_000 // USER_HZ)


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
    """The capability sets of credentials."""

    return c.cap_inheritable, c.cap_permitted, c.cap_effective, c.cap_bset, c.cap_ambient


def seccomp(task: Task) -> tuple[int, int]:
    """(mode, number of filters) for Seccomp: and Seccomp_filters:."""
    sc = task.seccomp
    return (sc.mode, sc.count) if sc is not None else (0, 0)


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
    nice = task.nice  # setpriority
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


def proc_pid_children(view: ProcView, viewer: Task, task: Task) -> bytes:
    # Linux: fs/proc/array.c children_seq_show: "%d " per child of this thread
    kids = [c for c in task.children if not task_released(c)]
    return "".join(f"{view.vpid(viewer, c)} " for c in kids).encode()
