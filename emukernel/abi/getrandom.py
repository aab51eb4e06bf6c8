"""getrandom(2) flags (include/uapi/linux/random.h)."""

# fmt: off
GRND_NONBLOCK = 0x0001
GRND_RANDOM   = 0x0002
GRND_INSECURE = 0x0004
# fmt: on

FLAG_NAMES = (("GRND_NONBLOCK", GRND_NONBLOCK), ("GRND_RANDOM", GRND_RANDOM), ("GRND_INSECURE", GRND_INSECURE))
