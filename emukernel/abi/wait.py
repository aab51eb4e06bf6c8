"""wait4/waitid options and waitid id types (include/uapi/linux/wait.h)."""

# fmt: off
WNOHANG     = 0x00000001
WUNTRACED   = 0x00000002
WSTOPPED    = WUNTRACED
WEXITED     = 0x00000004
WCONTINUED  = 0x00000008
WNOWAIT     = 0x01000000
__WNOTHREAD = 0x20000000
__WALL      = 0x40000000
__WCLONE    = 0x80000000

P_ALL   = 0
P_PID   = 1
P_PGID  = 2
P_PIDFD = 3

# the wait options strace prints, in its order
OPTION_NAMES = (
    ("WNOHANG", WNOHANG), ("WEXITED", WEXITED), ("WSTOPPED", WSTOPPED), ("WCONTINUED", WCONTINUED),
    ("WNOWAIT", WNOWAIT), ("__WCLONE", __WCLONE), ("__WALL", __WALL), ("__WNOTHREAD", __WNOTHREAD),
)
IDTYPE_NAMES = {P_ALL: "P_ALL", P_PID: "P_PID", P_PGID: "P_PGID", P_PIDFD: "P_PIDFD"}
# fmt: on
