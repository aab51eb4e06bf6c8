"""Thin syscall entry points: decode the arguments, call the kernel, return the result or -errno."""

from __future__ import annotations

import importlib

_MODULES = ("process", "memory", "time", "signal", "info", "futex", "exec", "fs", "creds", "ns",
            "pipe", "poll", "anonfd", "pidfd", "fsmore",
            "misc")  # misc last: it only fills what no other module handles
_loaded = False


def load_all() -> None:
    """Import every handler module once so that their @syscall decorators fill the table."""
    global _loaded
    if _loaded:
        return
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")
    from .misc import register_missing  # last: fills only what no module above handles

    register_missing()
    _loaded = True


def s32(x: int) -> int:
    """The low 32 bits of a register as a C int."""
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x & 0x80000000 else x


def s64(x: int) -> int:
    """A register as a signed 64-bit value."""
    return x - (1 << 64) if x & (1 << 63) else x
