"""Task stops: why a task that is not running and not waiting for an event is held (gVisor's TaskStop).

Linux has two stopped run states, TASK_STOPPED (a job-control group stop) and TASK_TRACED (a ptrace stop:
signal-delivery, group, syscall-entry/exit and PTRACE_EVENT stops).  A stopped task holds one of these
objects in `Task.stop` and its run state is the stop's `state`; `Scheduler.stop` and `Scheduler.end_stop`
are the only ways in and out.  Every stop is killable: SIGKILL ends it (prepare_signal).

What a task waits for (a futex, a pipe, a child, the end of a vfork child's use of the mm, the other threads
of an exec to die) is not a stop but a wait: a `Block` on a wait queue, as Linux sleeps in wait_event; those
waits are killable because a fatal signal wakes them and the continuation gives way to do_exit.
"""

from __future__ import annotations

from .task import TASK_STOPPED, TASK_TRACED, TaskState


class TaskStop:
    """Base of every stop: the run state it puts the task in."""

    __slots__ = ()
    state: TaskState = TASK_STOPPED
    killable = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class GroupStop(TaskStop):
    """A job-control stop of the whole thread group (do_signal_stop); SIGCONT or SIGKILL ends it."""

    __slots__ = ()


class PtraceStop(TaskStop):
    """A ptrace stop (ptrace_stop): the tracer sees it through wait and resumes it with a ptrace request.

    `why` says which of Linux's kinds of stop it is; `code` is the signal or event (the stop's wait status
    is (code << 8) | 0x7f; 0 once wait reported it); `message` is PTRACE_GETEVENTMSG's value; `cont` the rest
    of what the task was doing, run when the tracer resumes it (None: nothing, it returns to user mode)."""

    __slots__ = ("why", "code", "message", "cont")
    state = TASK_TRACED

    SIGNAL_DELIVERY = "signal-delivery-stop"
    GROUP = "group-stop"
    SYSCALL_ENTRY = "syscall-enter-stop"
    SYSCALL_EXIT = "syscall-exit-stop"
    EVENT = "event-stop"

    def __init__(self, why: str, code: int = 0, message: int = 0) -> None:
        self.why = why
        self.code = code
        self.message = message
        self.cont = None

    def __repr__(self) -> str:
        return f"<PtraceStop {self.why} {self.code:#x}>"


GROUP_STOP = GroupStop()
