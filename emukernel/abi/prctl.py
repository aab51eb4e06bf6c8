"""prctl(2) options and arch_prctl(2) codes (include/uapi/linux/prctl.h, arch/x86/include/uapi/asm/prctl.h)."""

# fmt: off
PR_SET_PDEATHSIG            = 1
PR_GET_PDEATHSIG            = 2
PR_GET_DUMPABLE             = 3
PR_SET_DUMPABLE             = 4
PR_GET_UNALIGN              = 5
PR_SET_UNALIGN              = 6
PR_GET_KEEPCAPS             = 7
PR_SET_KEEPCAPS             = 8
PR_GET_FPEMU                = 9
PR_SET_FPEMU                = 10
PR_GET_FPEXC                = 11
PR_SET_FPEXC                = 12
PR_GET_TIMING               = 13
PR_SET_TIMING               = 14
PR_SET_NAME                 = 15
PR_GET_NAME                 = 16
PR_GET_ENDIAN               = 19
PR_SET_ENDIAN               = 20
PR_GET_SECCOMP              = 21
PR_SET_SECCOMP              = 22
PR_CAPBSET_READ             = 23
PR_CAPBSET_DROP             = 24
PR_GET_TSC                  = 25
PR_SET_TSC                  = 26
PR_GET_SECUREBITS           = 27
PR_SET_SECUREBITS           = 28
PR_SET_TIMERSLACK           = 29
PR_GET_TIMERSLACK           = 30
PR_TASK_PERF_EVENTS_DISABLE = 31
PR_TASK_PERF_EVENTS_ENABLE  = 32
PR_MCE_KILL                 = 33
PR_MCE_KILL_GET             = 34
PR_SET_MM                   = 35
PR_SET_CHILD_SUBREAPER      = 36
PR_GET_CHILD_SUBREAPER      = 37
PR_SET_NO_NEW_PRIVS         = 38
PR_GET_NO_NEW_PRIVS         = 39
PR_GET_TID_ADDRESS          = 40
PR_SET_THP_DISABLE          = 41
PR_GET_THP_DISABLE          = 42
PR_MPX_ENABLE_MANAGEMENT    = 43
PR_MPX_DISABLE_MANAGEMENT   = 44
PR_SET_FP_MODE              = 45
PR_GET_FP_MODE              = 46
PR_CAP_AMBIENT              = 47
PR_SVE_SET_VL               = 50
PR_SVE_GET_VL               = 51
PR_GET_SPECULATION_CTRL     = 52
PR_SET_SPECULATION_CTRL     = 53
PR_PAC_RESET_KEYS           = 54
PR_SET_TAGGED_ADDR_CTRL     = 55
PR_GET_TAGGED_ADDR_CTRL     = 56
PR_SET_IO_FLUSHER           = 57
PR_GET_IO_FLUSHER           = 58
PR_SET_SYSCALL_USER_DISPATCH = 59
PR_PAC_SET_ENABLED_KEYS     = 60
PR_PAC_GET_ENABLED_KEYS     = 61
PR_SCHED_CORE               = 62
PR_SME_SET_VL               = 63
PR_SME_GET_VL               = 64
PR_SET_MDWE                 = 65
PR_GET_MDWE                 = 66
PR_SET_MEMORY_MERGE         = 67
PR_GET_MEMORY_MERGE         = 68
PR_GET_AUXV                 = 0x41555856
PR_SET_VMA                  = 0x53564D41
PR_SET_PTRACER              = 0x59616D61

PR_SET_PTRACER_ANY   = -1
PR_SET_VMA_ANON_NAME = 0

SUID_DUMP_DISABLE = 0
SUID_DUMP_USER    = 1
SUID_DUMP_ROOT    = 2

PR_TSC_ENABLE  = 1
PR_TSC_SIGSEGV = 2

PR_UNALIGN_NOPRINT = 1
PR_UNALIGN_SIGBUS  = 2

PR_FP_MODE_FR  = 1
PR_FP_MODE_FRE = 2

PR_SET_MM_START_CODE  = 1
PR_SET_MM_END_CODE    = 2
PR_SET_MM_START_DATA  = 3
PR_SET_MM_END_DATA    = 4
PR_SET_MM_START_STACK = 5
PR_SET_MM_START_BRK   = 6
PR_SET_MM_BRK         = 7
PR_SET_MM_ARG_START   = 8
PR_SET_MM_ARG_END     = 9
PR_SET_MM_ENV_START   = 10
PR_SET_MM_ENV_END     = 11
PR_SET_MM_AUXV        = 12
PR_SET_MM_EXE_FILE    = 13
PR_SET_MM_MAP         = 14
PR_SET_MM_MAP_SIZE    = 15

SECCOMP_MODE_DISABLED = 0
SECCOMP_MODE_STRICT   = 1
SECCOMP_MODE_FILTER   = 2

# arch_prctl codes
ARCH_SET_GS               = 0x1001
ARCH_SET_FS               = 0x1002
ARCH_GET_FS               = 0x1003
ARCH_GET_GS               = 0x1004
ARCH_GET_CPUID            = 0x1011
ARCH_SET_CPUID            = 0x1012
ARCH_GET_XCOMP_SUPP       = 0x1021
ARCH_GET_XCOMP_PERM       = 0x1022
ARCH_REQ_XCOMP_PERM       = 0x1023
ARCH_GET_XCOMP_GUEST_PERM = 0x1024
ARCH_REQ_XCOMP_GUEST_PERM = 0x1025
ARCH_XCOMP_TILECFG        = 17
ARCH_XCOMP_TILEDATA       = 18
ARCH_MAP_VDSO_X32         = 0x2001
ARCH_MAP_VDSO_32          = 0x2002
ARCH_MAP_VDSO_64          = 0x2003
ARCH_GET_UNTAG_MASK       = 0x4001
ARCH_ENABLE_TAGGED_ADDR   = 0x4002
ARCH_GET_MAX_TAG_BITS     = 0x4003
ARCH_FORCE_TAGGED_SVA     = 0x4004
ARCH_SHSTK_ENABLE         = 0x5001
ARCH_SHSTK_DISABLE        = 0x5002
ARCH_SHSTK_LOCK           = 0x5003
ARCH_SHSTK_UNLOCK         = 0x5004
ARCH_SHSTK_STATUS         = 0x5005
# fmt: on

_g = dict(globals())
NAMES: dict[int, str] = {
    v: k for k, v in _g.items()
    if k.startswith(("PR_SET_", "PR_GET_", "PR_CAP", "PR_TASK_", "PR_MCE_", "PR_MPX_", "PR_SVE_", "PR_PAC_",
                     "PR_SCHED_", "PR_SME_"))
    and not k.startswith(("PR_SET_MM_", "PR_SET_VMA_", "PR_SET_PTRACER_")) and isinstance(v, int)
}
ARCH_NAMES: dict[int, str] = {
    v: k for k, v in _g.items()
    if k.startswith("ARCH_") and not k.startswith("ARCH_XCOMP_TILE") and isinstance(v, int)
}
SET_MM_NAMES: dict[int, str] = {v: k for k, v in _g.items() if k.startswith("PR_SET_MM_") and isinstance(v, int)}
DUMPABLE_NAMES: dict[int, str] = {v: k for k, v in _g.items() if k.startswith("SUID_DUMP_")}
TSC_NAMES: dict[int, str] = {PR_TSC_ENABLE: "PR_TSC_ENABLE", PR_TSC_SIGSEGV: "PR_TSC_SIGSEGV"}
SECCOMP_MODE_NAMES: dict[int, str] = {v: k for k, v in _g.items() if k.startswith("SECCOMP_MODE_")}
UNALIGN_NAMES = (("PR_UNALIGN_NOPRINT", PR_UNALIGN_NOPRINT), ("PR_UNALIGN_SIGBUS", PR_UNALIGN_SIGBUS))
FP_MODE_NAMES = (("PR_FP_MODE_FR", PR_FP_MODE_FR), ("PR_FP_MODE_FRE", PR_FP_MODE_FRE))
SET_VMA_NAMES: dict[int, str] = {PR_SET_VMA_ANON_NAME: "PR_SET_VMA_ANON_NAME"}
del _g
