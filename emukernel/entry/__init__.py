"""The syscall path: the hook (the fast path, `hook`), the slow sequence in Linux's order (`common`) and the
CPU-exception hook (`traps`).  docs/architecture.md describes the whole path."""

from .common import SyscallEntry
from .restart import note_restart

__all__ = ["SyscallEntry", "note_restart"]
