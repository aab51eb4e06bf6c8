"""Resource limits and getrusage selectors (include/uapi/asm-generic/resource.h, linux/resource.h)."""

# fmt: off
RLIMIT_CPU        = 0
RLIMIT_FSIZE      = 1
RLIMIT_DATA       = 2
RLIMIT_STACK      = 3
RLIMIT_CORE       = 4
RLIMIT_RSS        = 5
RLIMIT_NPROC      = 6
RLIMIT_NOFILE     = 7
RLIMIT_MEMLOCK    = 8
RLIMIT_AS         = 9
RLIMIT_LOCKS      = 10
RLIMIT_SIGPENDING = 11
RLIMIT_MSGQUEUE   = 12
RLIMIT_NICE       = 13
RLIMIT_RTPRIO     = 14
RLIMIT_RTTIME     = 15
RLIM_NLIMITS      = 16

RLIM_INFINITY = (1 << 64) - 1   # RLIM64_INFINITY; the x86-64 rlimit fields are 64-bit

RUSAGE_SELF     = 0
RUSAGE_CHILDREN = -1
RUSAGE_THREAD   = 1
# fmt: on

NAMES: dict[int, str] = {
    v: k for k, v in dict(globals()).items() if k.startswith("RLIMIT_") and isinstance(v, int)
}
