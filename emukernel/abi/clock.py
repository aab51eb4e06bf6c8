"""POSIX clock ids, clock_nanosleep/timer_settime flags and interval timers (include/uapi/linux/time.h)."""

# fmt: off
CLOCK_REALTIME           = 0
CLOCK_MONOTONIC          = 1
CLOCK_PROCESS_CPUTIME_ID = 2
CLOCK_THREAD_CPUTIME_ID  = 3
CLOCK_MONOTONIC_RAW      = 4
CLOCK_REALTIME_COARSE    = 5
CLOCK_MONOTONIC_COARSE   = 6
CLOCK_BOOTTIME           = 7
CLOCK_REALTIME_ALARM     = 8
CLOCK_BOOTTIME_ALARM     = 9
CLOCK_SGI_CYCLE          = 10
CLOCK_TAI                = 11

TIMER_ABSTIME = 1

ITIMER_REAL    = 0
ITIMER_VIRTUAL = 1
ITIMER_PROF    = 2
# fmt: on

NAMES: dict[int, str] = {
    v: k for k, v in dict(globals()).items() if k.startswith("CLOCK_") and isinstance(v, int)
}
TIMER_FLAG_NAMES = (("TIMER_ABSTIME", TIMER_ABSTIME),)
ITIMER_NAMES: dict[int, str] = {ITIMER_REAL: "ITIMER_REAL", ITIMER_VIRTUAL: "ITIMER_VIRTUAL", ITIMER_PROF: "ITIMER_PROF"}
