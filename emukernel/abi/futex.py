"""futex(2) operations and FUTEX_WAKE_OP encoding (include/uapi/linux/futex.h)."""

# fmt: off
FUTEX_WAIT            = 0
FUTEX_WAKE            = 1
FUTEX_FD              = 2
FUTEX_REQUEUE         = 3
FUTEX_CMP_REQUEUE     = 4
FUTEX_WAKE_OP         = 5
FUTEX_LOCK_PI         = 6
FUTEX_UNLOCK_PI       = 7
FUTEX_TRYLOCK_PI      = 8
FUTEX_WAIT_BITSET     = 9
FUTEX_WAKE_BITSET     = 10
FUTEX_WAIT_REQUEUE_PI = 11
FUTEX_CMP_REQUEUE_PI  = 12
FUTEX_LOCK_PI2        = 13

FUTEX_PRIVATE_FLAG   = 128
FUTEX_CLOCK_REALTIME = 256

FUTEX_BITSET_MATCH_ANY = 0xFFFFFFFF

# FUTEX_WAKE_OP's val3: op << 28 | cmp << 24 | oparg << 12 | cmparg
FUTEX_OP_SET  = 0
FUTEX_OP_ADD  = 1
FUTEX_OP_OR   = 2
FUTEX_OP_ANDN = 3
FUTEX_OP_XOR  = 4
FUTEX_OP_OPARG_SHIFT = 8  # oparg is a shift count

FUTEX_OP_CMP_EQ = 0
FUTEX_OP_CMP_NE = 1
FUTEX_OP_CMP_LT = 2
FUTEX_OP_CMP_LE = 3
FUTEX_OP_CMP_GT = 4
FUTEX_OP_CMP_GE = 5
# fmt: on

_g = dict(globals())
CMD_NAMES: dict[int, str] = {
    v: k for k, v in _g.items()
    if k.startswith("FUTEX_") and not k.startswith(("FUTEX_OP_", "FUTEX_PRIVATE", "FUTEX_CLOCK", "FUTEX_BITSET"))
}
# whole op values as strace spells them: FUTEX_WAIT_PRIVATE, FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME...
OP_NAMES: dict[int, str] = dict(CMD_NAMES)
OP_NAMES.update({k | FUTEX_PRIVATE_FLAG: v + "_PRIVATE" for k, v in CMD_NAMES.items() if k != FUTEX_FD})
OP_NAMES[FUTEX_FD | FUTEX_PRIVATE_FLAG] = "FUTEX_FD|FUTEX_PRIVATE_FLAG"
OP_NAMES.update({k | FUTEX_CLOCK_REALTIME: v + "|FUTEX_CLOCK_REALTIME" for k, v in OP_NAMES.items()
                 if k & (FUTEX_PRIVATE_FLAG - 1) in (FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI)})
WAKE_OP_NAMES: dict[int, str] = {
    v: k for k, v in _g.items() if k.startswith("FUTEX_OP_") and not k.startswith(("FUTEX_OP_CMP_", "FUTEX_OP_OPARG"))
}
WAKE_CMP_NAMES: dict[int, str] = {v: k for k, v in _g.items() if k.startswith("FUTEX_OP_CMP_")}
del _g
