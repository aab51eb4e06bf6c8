"""Task (Linux task_struct): one thread of execution and its references to shared state.

Run states (`TaskState`) follow Linux's names and /proc letters: RUNNING (runnable or on the CPU),
INTERRUPTIBLE (blocked on a wait queue, a signal wakes it), STOPPED (group stop), TRACED (a ptrace stop),
DEAD.  The scheduler's helpers (emukernel.sched: enqueue, block, wake, stop, end_stop) are the only writers of
`Task.state`; a stopped task also holds its stop object (emukernel.stops), as gVisor's Task.stop does.
Exit states advance only through `set_exit_state`, which asserts the transition (NONE -> EXITING ->
ZOMBIE -> DEAD), as gVisor's advanceExitStateLocked does.
Why emulation last stopped for a task is one value, `emu_exit` (EmuExit), set by the hooks.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from .creds import Creds
from .signal.pending import SigPending

if TYPE_CHECKING:
    from .kernel import Kernel
    from .mm import AddressSpace
    from .threadgroup import ThreadGroup



class TaskState(str, Enum):
    """A task's run state; the value is the letter /proc shows (fs/proc/array.c task_state_array)."""

    RUNNING = "R"
    INTERRUPTIBLE = "S"
    STOPPED = "T"
    TRACED = "t"
    DEAD = "X"


TASK_RUNNING = TaskState.RUNNING
TASK_INTERRUPTIBLE = TaskState.INTERRUPTIBLE
TASK_STOPPED = TaskState.STOPPED
TASK_TRACED = TaskState.TRACED
TASK_DEAD = TaskState.DEAD


class EmuExit(Enum):
    """Why emu_start returned for the task that was running (set by the hooks, read by the run loop)."""

    NONE = 0  # nothing recorded: the host timer stopped a spinning task, or it ran to its end
    SYSCALL = 1  # a syscall to finish outside emulation: emu_exit_data is (entry, args, action)
    TRAP = 2  # a CPU exception: emu_exit_data is (signal, si_code, address, trapno)
    PREEMPT = 3  # a deterministic switch at a syscall boundary
    BUG = 4  # a hook caught a kernel bug: emu_exit_data is (exception, where)
    INT80 = 5  # `int $0x80`: a syscall of the ia32 ABI, run outside emulation (entry/compat.py)

# exit states
EXIT_NONE = 0
EXIT_EXITING = 1
EXIT_ZOMBIE = 2
EXIT_DEAD = 3

# the transitions set_exit_state allows: do_exit starts, exit_notify makes a zombie, release_task (or
# de_thread, for a leader replaced by exec) ends it
_EXIT_TRANSITIONS = frozenset({(EXIT_NONE, EXIT_EXITING), (EXIT_EXITING, EXIT_ZOMBIE), (EXIT_ZOMBIE, EXIT_DEAD)})


class SigHand:
    """The signal handler table (sighand_struct), shared by CLONE_SIGHAND: sig -> (handler, flags, restorer, mask)."""

    __slots__ = ("actions",)

    def __init__(self) -> None:
        self.actions: dict[int, tuple[int, int, int, int]] = {}

    def copy(self) -> SigHand:
        s = SigHand()
        s.actions = dict(self.actions)
        return s


class Task:
    """One thread (task_struct)."""

    __slots__ = (
        "kernel", "tid", "tg", "mm", "files", "fs", "sighand", "creds", "no_new_privs", "state", "stop",
        "exit_state", "exit_code", "comm", "ctx", "ctx_in_hook", "fs_base",
        "sigmask", "real_blocked", "saved_sigmask", "pending", "sigpending_flag", "jobctl_stop", "restart_ret",
        "restart_nr", "restart_block", "sas_ss_sp", "sas_ss_size", "sas_ss_flags", "ptrace",
        "set_child_tid", "clear_child_tid", "robust_list", "robust_list_len",
        "parent", "real_parent", "children", "exit_signal", "pdeath_signal",
        "nice", "sched_policy", "rt_priority", "sched_reset", "ioprio", "personality",
        "blocked_on", "restart", "restart_in_hook", "wake_deadline", "kthread", "start_time",
        "emu_exit", "emu_exit_data", "orig_rax", "slow_entry", "ptraced", "injected_signal", "syscall_dispatch", "seccomp", "seccomp_allow", "pid", "pid_ns_for_children", "vfork_done",
        "__weakref__",
    )

    def __init__(self, kernel: Kernel, tid: int) -> None:
        self.kernel = kernel
        self.tid = tid
        self.tg: ThreadGroup = None  # type: ignore[assignment]
        self.mm: AddressSpace | None = None
        self.files = None  # FdTable
        self.fs = None  # FsContext
        self.sighand = SigHand()
        self.creds = Creds()
        self.no_new_privs = False  # PR_SET_NO_NEW_PRIVS: per task; Linux keeps it across clone and execve
        self.state = TASK_RUNNING  # written only by the scheduler's helpers (emukernel.sched)
        self.stop = None  # the TaskStop (emukernel.stops) while STOPPED or TRACED
        self.exit_state = EXIT_NONE  # written only by set_exit_state
        self.exit_code = 0  # wait status this task dies with
        self.comm = b""
        self.ctx = None  # saved CPU context while another task of the same mm runs
        self.ctx_in_hook = False  # ctx was saved inside the syscall hook: its RIP is at the `syscall`
        self.fs_base = 0
        # signals
        self.sigmask = 0  # blocked
        self.real_blocked = 0  # the mask before rt_sigtimedwait unblocked its set
        self.saved_sigmask = None  # sigsuspend/ppoll: restored after the handler runs
        self.pending = SigPending()
        self.sigpending_flag = False  # something may need delivering on return to user mode
        self.jobctl_stop = False  # this thread must join a group stop
        self.restart_ret = 0  # an ERESTART* code the last syscall returned
        self.restart_nr = 0  # ... and the syscall number to restart
        self.restart_block = None  # restart_syscall's continuation (ERESTART_RESTARTBLOCK)
        self.sas_ss_sp = 0
        self.sas_ss_size = 0
        self.sas_ss_flags = 0  # as given to sigaltstack; no stack while sas_ss_size is 0
        self.ptrace = None  # the link to our tracer while traced (emukernel.ptrace.Ptrace)
        self.ptraced: list[Task] = []  # the tasks this one traces (Linux task_struct.ptraced)
        self.injected_signal = None  # the SigInfo a signal-delivery-stop resumed with: delivered next
        self.syscall_dispatch = None  # armed syscall user dispatch (emukernel.syscall_user_dispatch)
        self.seccomp = None  # the seccomp mode and filters (emukernel.seccomp.filter.Seccomp); None: disabled
        self.seccomp_allow = None  # when seccomp is the only syscall work: the numbers its cache allows,
        # which the hook runs on the fast path (the action cache: no filter runs for them)
        # threads
        self.set_child_tid = 0
        self.clear_child_tid = 0
        self.robust_list = 0
        self.robust_list_len = 0
        # process tree
        self.parent: Task | None = None
        self.real_parent: Task | None = None
        self.children: list[Task] = []
        self.exit_signal = 17  # SIGCHLD
        self.pdeath_signal = 0
        # scheduling attributes (Linux task_struct static_prio/policy/rt_priority/sched_reset_on_fork,
        # io_context's ioprio, personality): set by the sched_*, setpriority, ioprio_set, personality calls
        self.nice = 0
        self.sched_policy = 0  # SCHED_OTHER
        self.rt_priority = 0
        self.sched_reset = False  # SCHED_RESET_ON_FORK
        self.ioprio = 0  # IOPRIO_DEFAULT until ioprio_set
        self.personality = 0
        # scheduler
        self.blocked_on = None  # what the task waits for (shown by the deadlock report)
        self.restart = None  # (syscall entry, args, resume) to finish after a wake-up; (None, None, cont)
        # after a ptrace stop: the rest of what the stop interrupted
        self.restart_in_hook = False  # ... and resume() may run inside another thread's syscall hook
        self.wake_deadline = None
        self.kthread = False
        self.start_time = 0  # monotonic ns at creation (/proc/PID/stat starttime)
        # the syscall path (emukernel.entry)
        self.emu_exit = EmuExit.NONE  # why emulation last stopped for this task (set by the hooks)
        self.emu_exit_data = None  # ... and what the run loop needs to act on it
        self.orig_rax = -1  # the number of the syscall in progress on the slow path (pt_regs orig_ax)
        self.slow_entry = kernel.force_slow_entry  # every syscall takes the slow path (tracing, ptrace, seccomp)
        self.pid = None  # the Pid (numbers per namespace level)
        self.pid_ns_for_children = None  # unshare(CLONE_NEWPID): where our children are created
        self.vfork_done = None  # WaitQueue the vfork parent sleeps on until we exec or exit

    # -- exit state machine --------------------------------------------------------------------------
    def set_exit_state(self, old: int, new: int) -> None:
        """Advance the exit state; any unexpected transition is a kernel bug."""
        assert self.exit_state == old and (old, new) in _EXIT_TRANSITIONS, \
            f"task {self.tid}: exit state {self.exit_state} -> {new}, expected {old}"
        self.exit_state = new

    def syscall_work_changed(self) -> None:
        """Recompute whether every syscall takes the slow path (Linux's SYSCALL_WORK flags): the forced
        mode, a tracer listening to the kernel, ptrace, syscall user dispatch."""
        k = self.kernel
        other = k.force_slow_entry or k.events is not None or self.ptrace is not None \
            or self.syscall_dispatch is not None
        sc = self.seccomp
        self.slow_entry = other or sc is not None
        self.seccomp_allow = None
        if not other and sc is not None and sc.mode == 2 and sc.filter is not None:  # SECCOMP_MODE_FILTER
            self.seccomp_allow = sc.filter.allow

    def signal_interrupts(self) -> bool:
        """A deliverable signal is pending: an interruptible wait must give way (signal_pending)."""
        return self.sigpending_flag

    @property
    def alive(self) -> bool:
        return self.exit_state == EXIT_NONE

    @property
    def tgid(self) -> int:
        return self.tg.tgid

    def __repr__(self) -> str:
        return f"<Task {self.tid} {self.comm.decode(errors='replace')} {self.state}>"
