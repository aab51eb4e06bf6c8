"""Signal numbers, dispositions and sigaction flags for x86-64 (arch/x86/include/uapi/asm/signal.h)."""

# fmt: off
SIGHUP    = 1
SIGINT    = 2
SIGQUIT   = 3
SIGILL    = 4
SIGTRAP   = 5
SIGABRT   = 6
SIGBUS    = 7
SIGFPE    = 8
SIGKILL   = 9
SIGUSR1   = 10
SIGSEGV   = 11
SIGUSR2   = 12
SIGPIPE   = 13
SIGALRM   = 14
SIGTERM   = 15
SIGSTKFLT = 16
SIGCHLD   = 17
SIGCONT   = 18
SIGSTOP   = 19
SIGTSTP   = 20
SIGTTIN   = 21
SIGTTOU   = 22
SIGURG    = 23
SIGXCPU   = 24
SIGXFSZ   = 25
SIGVTALRM = 26
SIGPROF   = 27
SIGWINCH  = 28
SIGIO     = 29
SIGPWR    = 30
SIGSYS    = 31
SIGRTMIN  = 32
SIGRTMAX  = 64
NSIG      = 64

SIG_DFL = 0
SIG_IGN = 1
SIG_ERR = -1

SIG_BLOCK   = 0
SIG_UNBLOCK = 1
SIG_SETMASK = 2

SA_NOCLDSTOP = 0x00000001
SA_NOCLDWAIT = 0x00000002
SA_SIGINFO   = 0x00000004
SA_UNSUPPORTED = 0x00000400
SA_EXPOSE_TAGBITS = 0x00000800
SA_RESTORER  = 0x04000000
SA_ONSTACK   = 0x08000000
SA_RESTART   = 0x10000000
SA_INTERRUPT = 0x20000000
SA_NODEFER   = 0x40000000
SA_RESETHAND = 0x80000000
SA_IMMUTABLE = 0x00800000  # kernel-internal: a forced fatal signal (force_sig_seccomp's kill) stays so

# sigaltstack ss_flags
SS_ONSTACK    = 1
SS_DISABLE    = 2
SS_AUTODISARM = 0x80000000
# fmt: on

NAMES: dict[int, str] = {
    v: k for k, v in dict(globals()).items()
    if k.startswith("SIG") and not k.startswith(("SIG_", "SIGRT")) and isinstance(v, int) and 0 < v < 32
}

HOW_NAMES = {SIG_BLOCK: "SIG_BLOCK", SIG_UNBLOCK: "SIG_UNBLOCK", SIG_SETMASK: "SIG_SETMASK"}
# the sigaction flags strace prints, in its order
SA_FLAG_NAMES = (
    ("SA_RESTORER", SA_RESTORER), ("SA_ONSTACK", SA_ONSTACK), ("SA_RESTART", SA_RESTART),
    ("SA_INTERRUPT", SA_INTERRUPT), ("SA_NODEFER", SA_NODEFER), ("SA_RESETHAND", SA_RESETHAND),
    ("SA_SIGINFO", SA_SIGINFO), ("SA_NOCLDSTOP", SA_NOCLDSTOP), ("SA_NOCLDWAIT", SA_NOCLDWAIT),
)
# sa_handler values, as the unsigned 64-bit pointer
HANDLER_NAMES = {SIG_DFL: "SIG_DFL", SIG_IGN: "SIG_IGN", SIG_ERR & ((1 << 64) - 1): "SIG_ERR"}
SS_FLAG_NAMES = (("SS_ONSTACK", SS_ONSTACK), ("SS_DISABLE", SS_DISABLE), ("SS_AUTODISARM", SS_AUTODISARM))


def signal_name(sig: int) -> str:
    """strace's spelling: SIGTERM, SIGRTMIN, SIGRT_3, or the bare number."""
    if sig in NAMES:
        return NAMES[sig]
    if sig == SIGRTMIN:
        return "SIGRTMIN"
    if SIGRTMIN < sig <= SIGRTMAX:
        return f"SIGRT_{sig - SIGRTMIN}"
    return str(sig)


def sigmask(sig: int) -> int:
    """The bit of `sig` in a kernel sigset (bit sig-1)."""
    return 1 << (sig - 1)


# Default actions (kernel/signal.c sig_kernel_* sets)
SIG_KERNEL_STOP_MASK = sigmask(SIGSTOP) | sigmask(SIGTSTP) | sigmask(SIGTTIN) | sigmask(SIGTTOU)
SIG_KERNEL_COREDUMP_MASK = (
    sigmask(SIGQUIT) | sigmask(SIGILL) | sigmask(SIGTRAP) | sigmask(SIGABRT) | sigmask(SIGFPE)
    | sigmask(SIGSEGV) | sigmask(SIGBUS) | sigmask(SIGSYS) | sigmask(SIGXCPU) | sigmask(SIGXFSZ)
)
SIG_KERNEL_IGNORE_MASK = sigmask(SIGCONT) | sigmask(SIGCHLD) | sigmask(SIGWINCH) | sigmask(SIGURG)
SIG_KERNEL_ONLY_MASK = sigmask(SIGKILL) | sigmask(SIGSTOP)
