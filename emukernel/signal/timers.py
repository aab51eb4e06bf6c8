"""Timers that signal: the interval timers (Linux kernel/time/itimer.c: ITIMER_REAL and alarm, SIGALRM to the
process) and the POSIX timers (kernel/time/posix-timers.c: timer_create and friends, a signal per expiry
with overruns counted while one is still queued).  The syscalls decode their arguments and call these."""

from __future__ import annotations

from ..abi import errno as E
from ..abi import signal as S
from ..abi.siginfo import SI_TIMER
from ..clock import NSEC, clock_now
from ..errors import Errno
from .siginfo import SigInfo

ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2
SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID = 0, 1, 2, 4
TIMER_ABSTIME = 1


# -- interval timers (kernel/time/itimer.c) -------------------------------------------------------------------
class ItimerReal:
    """ITIMER_REAL / alarm: one per process, SIGALRM to the group on expiry."""

    def __init__(self) -> None:
        self.deadline = 0
        self.interval = 0
        self.handle = None


def _itimer(task) -> ItimerReal:
    it = task.tg.itimer_real
    if it is None:
        it = task.tg.itimer_real = ItimerReal()
    return it


def _arm_real(task, value_ns: int, interval_ns: int) -> tuple[int, int]:
    """Set ITIMER_REAL; returns the old (remaining, interval) in ns."""
    k = task.kernel
    it = _itimer(task)
    now = k.clock.monotonic_ns()
    old = (max(0, it.deadline - now) if it.handle is not None else 0, it.interval)
    k.sched.cancel_timer(it.handle)
    it.handle = None
    it.interval = interval_ns
    if value_ns:
        tg = task.tg

        def fire():
            it.handle = None
            if not tg.live:
                return
            t = next((x for x in tg.tasks if x.alive), None)
            if t is not None:
                k.signals.send(t, S.SIGALRM, group=True, info=SigInfo(S.SIGALRM, 0x80))
            if it.interval:
                it.deadline += it.interval
                it.handle = k.sched.add_timer(it.deadline, fire)

        it.deadline = now + value_ns
        it.handle = k.sched.add_timer(it.deadline, fire)
    return old


def alarm_setitimer(task, seconds: int) -> int:
    """alarm(2): ITIMER_REAL for `seconds`; the old timer's remaining seconds, rounded."""
    # Linux: kernel/time/itimer.c alarm_setitimer
    rem, _ = _arm_real(task, seconds * NSEC, 0)
    secs, usec = rem // NSEC, (rem % NSEC) // 1000
    if (not secs and usec) or usec >= 500000:
        secs += 1
    return secs


def do_setitimer(task, which: int, value: int, interval: int) -> tuple[int, int]:
    """Set the `which` timer (a valid one) to value and interval ns; the old (remaining, interval) in ns."""
    # Linux: kernel/time/itimer.c do_setitimer
    if which == ITIMER_REAL:
        return _arm_real(task, value, interval)
    timers = task.tg.cpu_itimers
    rem, ival = timers.get(which, (0, 0))
    timers[which] = (value, interval)
    return rem, ival


def do_getitimer(task, which: int) -> tuple[int, int]:
    """The `which` timer's (remaining, interval) in ns; EINVAL for an unknown one."""
    # Linux: kernel/time/itimer.c do_getitimer
    if which == ITIMER_REAL:
        it = _itimer(task)
        rem = max(0, it.deadline - task.kernel.clock.monotonic_ns()) if it.handle is not None else 0
        ival = it.interval
    elif which in (ITIMER_VIRTUAL, ITIMER_PROF):
        rem, ival = task.tg.cpu_itimers.get(which, (0, 0))
    else:
        raise Errno(E.EINVAL)
    return rem, ival


# -- POSIX timers (kernel/time/posix-timers.c) -------------------------------------------------------------
class PosixTimer:
    __slots__ = ("id", "clockid", "signo", "notify", "value", "tid", "deadline", "interval", "handle",
                 "overrun", "pending_info")

    def __init__(self, id: int, clockid: int, signo: int, notify: int, value: int, tid: int) -> None:
        self.id = id
        self.clockid = clockid
        self.signo = signo
        self.notify = notify
        self.value = value
        self.tid = tid
        self.deadline = 0
        self.interval = 0
        self.handle = None
        self.overrun = 0
        self.pending_info = None


def _timers(task) -> dict:
    return task.tg.posix_timers


def do_timer_create(task, clockid: int, sev: tuple[int, int, int, int] | None) -> int:
    """A timer on a (valid) clock notifying as the sigevent (value, signo, notify, tid) says, or SIGALRM
    with the timer id as its value when there is none; its id."""
    # Linux: kernel/time/posix-timers.c do_timer_create, good_sigevent
    if sev is not None:
        value, signo, notify, tid = sev
    else:
        value, signo, notify, tid = 0, S.SIGALRM, SIGEV_SIGNAL, 0
    base = notify & ~SIGEV_THREAD_ID
    if notify not in (SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID) or base not in (0, 1, 2):
        raise Errno(E.EINVAL)
    if notify != SIGEV_NONE and not 1 <= signo <= S.NSIG:
        raise Errno(E.EINVAL)
    target = None
    if notify == SIGEV_THREAD_ID:
        target = task.kernel.find_task(task, tid)
        if target is None or target.tg is not task.tg:
            raise Errno(E.EINVAL)
    timers = _timers(task)
    tid_ = 0
    while tid_ in timers:
        tid_ += 1
    timer = PosixTimer(tid_, clockid, signo, notify, value if sev is not None else tid_, target)
    timers[tid_] = timer
    return tid_


def find_timer(task, timerid: int) -> PosixTimer:
    # Linux: kernel/time/posix-timers.c lock_timer
    t = _timers(task).get(timerid)
    if t is None:
        raise Errno(E.EINVAL)
    return t


def _timer_fire(task_tg, kernel, timer: PosixTimer) -> None:
    # Linux: kernel/time/posix-timers.c posix_timer_fn, posix_timer_queue_signal
    timer.handle = None
    if not task_tg.live:
        return
    if timer.notify != SIGEV_NONE:
        if timer.pending_info is not None and timer.pending_info.signo == timer.signo and \
                S.sigmask(timer.signo) & (task_tg.shared.bits | sum(t.pending.bits for t in task_tg.tasks)):
            timer.pending_info.overrun += 1  # still queued: count an overrun instead of queueing again
        else:
            info = SigInfo(timer.signo, SI_TIMER, tid=timer.id, overrun=timer.overrun, value=timer.value,
                           kind="timer")
            timer.pending_info = info
            timer.overrun = 0
            if timer.notify == SIGEV_THREAD_ID:
                target = timer.tid  # the thread SIGEV_THREAD_ID names
                if target is not None and target.alive:
                    kernel.signals.send(target, timer.signo, group=False, info=info)
            else:
                t = next((x for x in task_tg.tasks if x.alive), None)
                if t is not None:
                    kernel.signals.send(t, timer.signo, group=True, info=info)
    if timer.interval:
        timer.deadline += timer.interval
        timer.handle = kernel.sched.add_timer(timer.deadline, lambda: _timer_fire(task_tg, kernel, timer))


def timer_remaining(timer: PosixTimer, now: int) -> tuple[int, int]:
    """(interval, time left) in ns, 0 left when disarmed."""
    # Linux: kernel/time/posix-timers.c common_timer_get
    rem = max(0, timer.deadline - now) if timer.handle is not None else 0
    return timer.interval, rem


def do_timer_settime(task, timer: PosixTimer, flags: int, interval: int, value: int, now: int) -> None:
    """Arm (value ns, or an absolute time with TIMER_ABSTIME) or disarm (value 0); `now` is the monotonic
    clock read when the call began."""
    # Linux: kernel/time/posix-timers.c do_timer_settime, common_timer_set
    k = task.kernel
    k.sched.cancel_timer(timer.handle)
    timer.handle = None
    timer.interval = interval
    if value:
        if flags & TIMER_ABSTIME:
            value = max(0, value - clock_now(task, timer.clockid))
        timer.deadline = now + value
        tg = task.tg
        if value == 0:
            _timer_fire(tg, k, timer)  # an absolute time already past: pending when the call returns
        else:
            timer.handle = k.sched.add_timer(timer.deadline, lambda: _timer_fire(tg, k, timer))


def timer_getoverrun(timer: PosixTimer) -> int:
    # Linux: kernel/time/posix-timers.c timer_getoverrun
    info = timer.pending_info
    return info.overrun if info is not None else 0


def timer_delete(task, timer: PosixTimer) -> None:
    # Linux: kernel/time/posix-timers.c timer_delete
    task.kernel.sched.cancel_timer(timer.handle)
    del _timers(task)[timer.id]
