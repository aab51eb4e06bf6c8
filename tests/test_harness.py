"""The differential harness itself: what it does with a guest that leaves a process behind."""

from __future__ import annotations

import sys

from harness import _run_process

# the main process prints, forks a child into a process group of its own (as the kernel's test harness does
# with each test) which keeps stdout open and sleeps, and exits at once
LEAVES_A_CHILD = """
import os, sys, time
print("main", flush=True)
if os.fork() == 0:
    os.setpgid(0, 0)
    time.sleep(120)
    os._exit(0)
os._exit(3)
"""


def test_a_left_child_holding_the_output_is_ended() -> None:
    """The run ends with the main process's output and status, not when the child would (or never)."""
    r = _run_process([sys.executable, "-c", LEAVES_A_CHILD], {}, b"", timeout=60)
    assert r.stdout == b"main\n"
    assert r.exit_code == 3
