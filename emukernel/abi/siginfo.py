"""siginfo si_code values and sigevent notify types (include/uapi/asm-generic/siginfo.h)."""

from . import signal as _signal

# fmt: off
SI_USER     = 0
SI_KERNEL   = 0x80
SI_QUEUE    = -1
SI_TIMER    = -2
SI_MESGQ    = -3
SI_ASYNCIO  = -4
SI_SIGIO    = -5
SI_TKILL    = -6
SI_DETHREAD = -7
SI_ASYNCNL  = -60

ILL_ILLOPC   = 1
ILL_ILLOPN   = 2
ILL_ILLADR   = 3
ILL_ILLTRP   = 4
ILL_PRVOPC   = 5
ILL_PRVREG   = 6
ILL_COPROC   = 7
ILL_BADSTK   = 8
ILL_BADIADDR = 9

FPE_INTDIV   = 1
FPE_INTOVF   = 2
FPE_FLTDIV   = 3
FPE_FLTOVF   = 4
FPE_FLTUND   = 5
FPE_FLTRES   = 6
FPE_FLTINV   = 7
FPE_FLTSUB   = 8
FPE_FLTUNK   = 14
FPE_CONDTRAP = 15

SEGV_MAPERR  = 1
SEGV_ACCERR  = 2
SEGV_BNDERR  = 3
SEGV_PKUERR  = 4
SEGV_ACCADI  = 5
SEGV_ADIDERR = 6
SEGV_ADIPERR = 7
SEGV_MTEAERR = 8
SEGV_MTESERR = 9
SEGV_CPERR   = 10

BUS_ADRALN    = 1
BUS_ADRERR    = 2
BUS_OBJERR    = 3
BUS_MCEERR_AR = 4
BUS_MCEERR_AO = 5

TRAP_BRKPT  = 1
TRAP_TRACE  = 2
TRAP_BRANCH = 3
TRAP_HWBKPT = 4
TRAP_UNK    = 5
TRAP_PERF   = 6

CLD_EXITED    = 1
CLD_KILLED    = 2
CLD_DUMPED    = 3
CLD_TRAPPED   = 4
CLD_STOPPED   = 5
CLD_CONTINUED = 6

POLL_IN  = 1
POLL_OUT = 2
POLL_MSG = 3
POLL_ERR = 4
POLL_PRI = 5
POLL_HUP = 6

SYS_SECCOMP       = 1
SYS_USER_DISPATCH = 2

AUDIT_ARCH_X86_64 = 0xC000003E  # si_arch of SIGSYS (include/uapi/linux/audit.h)

SIGEV_SIGNAL    = 0
SIGEV_NONE      = 1
SIGEV_THREAD    = 2
SIGEV_THREAD_ID = 4
# fmt: on


def _names(*prefixes: str) -> dict[int, str]:
    return {v: k for k, v in dict(globals()).items() if k.startswith(prefixes) and isinstance(v, int)}


# si_code values common to every signal
SI_NAMES: dict[int, str] = _names("SI_")
# si_code values by signal (where si_code > 0)
CODE_NAMES: dict[int, dict[int, str]] = {
    _signal.SIGILL: _names("ILL_"),
    _signal.SIGFPE: _names("FPE_"),
    _signal.SIGSEGV: _names("SEGV_"),
    _signal.SIGBUS: _names("BUS_"),
    _signal.SIGTRAP: _names("TRAP_"),
    _signal.SIGCHLD: _names("CLD_"),
    _signal.SIGIO: _names("POLL_"),
    _signal.SIGSYS: _names("SYS_"),
}
SIGEV_NOTIFY_NAMES: dict[int, str] = _names("SIGEV_")
