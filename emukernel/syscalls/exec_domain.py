"""personality (Linux kernel/exec_domain.c)."""

from __future__ import annotations

from typing import Any

from .table import syscall

PER_LINUX = 0


@syscall("personality", "x")
def sys_personality(task: Any, persona: int) -> int:
    # Linux: kernel/exec_domain.c: 0xffffffff only asks
    old = task.personality
    persona &= 0xFFFFFFFF
    if persona != 0xFFFFFFFF:
        task.personality = persona
    return old
