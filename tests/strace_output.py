"""Reading strace's output so that two runs of the same program can be compared.

``normalise_trace`` turns the text `strace -f -o FILE` wrote into a canonical form:

* A syscall that strace had to split because another task printed in between (``read(3 <unfinished ...>``
  ... ``<... read resumed>, "x", 1) = 1``) is joined back into one line, as strace prints it when nothing
  interrupts it.  Where the split falls depends on how the tasks were scheduled.
* The lines are grouped by task.  With several tasks running at once, strace -f prints their calls
  interleaved in whatever order they happened; only each task's own sequence can be the same on every run.
* Pids and tids become P1, P2, ... in a fixed order: P1 is the first task in the file, then each task's
  lines are read in turn (P1's, then those of the next task numbered, ...) and a pid gets the next number
  where it first appears.  Pids are only recognised where strace prints one (the line prefix, si_pid=,
  parent_tid=[...], the result of the calls that return one, the arguments of kill, wait4, ...): a bare
  number elsewhere is left alone, so the small pids of an emulated run never clash with fds or lengths.
* What must differ between two faithful runs: addresses (every hex number of 0x10000 and up: stack, brk
  and mmap addresses are randomised natively and laid out differently under emulation; a few flags and
  sizes printed in hex, such as musl's CLONE_DETACHED 0x400000, are masked with them, the same on both
  sides; smaller hex numbers are kept), the bytes getrandom returned, si_utime/si_stime (CPU time in clock
  ticks), and the spaces strace pads a line with before " = " (they depend on the line's length, which
  changes when a split call is joined).

``summary_counts`` reads the table of `strace -c`: calls and errors per syscall, without the times.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_LINE = re.compile(r"^(\d+) +(.*)$")
_UNFINISHED = " <unfinished ...>"
_RESUMED = re.compile(r"^<\.\.\. [\w$]+ resumed>(.*)$")

# Syscalls whose positive result is a pid or tid.
_PID_RESULT = re.compile(
    r"^(?:clone|clone3|fork|vfork|getpid|gettid|getppid|set_tid_address|wait4|waitpid|getpgid|getpgrp|getsid"
    r"|setsid)\(.*\) += (\d+)$"  # not "= 42 (INJECTED)": strace -e inject made that number up
)
# Syscalls whose first (or, for the second group, second) argument is a pid.
_PID_ARG1 = re.compile(r"^(?:kill|tkill|tgkill|wait4|pidfd_open|getpgid|getsid|setpgid|prlimit64|sched_\w+"
                       r"|process_vm_readv|process_vm_writev|rt_sigqueueinfo|rt_tgsigqueueinfo|kcmp)\((\d+)")
_PID_ARG2 = re.compile(r"^(?:tgkill|rt_tgsigqueueinfo|ptrace|waitid|kcmp)\([^,]*, (\d+)")
_PID_FIELDS = re.compile(r"\b(?:si_pid|pid)=(\d+)|parent_tid=\[(\d+)\]")
_ADDR = re.compile(r"\b0x[0-9a-f]+\b")
_GETRANDOM = re.compile(r'^getrandom\("(?:[^"\\]|\\.)*"')
_TICKS = re.compile(r"\b(si_utime|si_stime)=\d+")
_PAD = re.compile(r"\) +(= )")


def _split(text: str) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    for raw in text.splitlines():
        m = _LINE.match(raw)
        out.append((m.group(1), m.group(2)) if m else (None, raw))
    return out


def join_split_calls(text: str) -> list[tuple[str | None, str]]:
    """The lines of a trace as (pid or None, text), each split call joined where it started."""
    lines: list[tuple[str | None, str]] = []
    pending: dict[str | None, int] = {}  # pid -> index in lines of its unfinished call
    for pid, body in _split(text):
        m = _RESUMED.match(body)
        if m and pid in pending:
            i = pending.pop(pid)
            body = lines[i][1] + m.group(1)
            if body.endswith(_UNFINISHED):
                pending[pid] = i
                body = body[: -len(_UNFINISHED)]
            lines[i] = (pid, body)
            continue
        if body.endswith(_UNFINISHED):
            pending[pid] = len(lines)
            body = body[: -len(_UNFINISHED)]
        lines.append((pid, body))
    for i in pending.values():  # never resumed: say so
        lines[i] = (lines[i][0], lines[i][1] + _UNFINISHED)
    return lines


def _pids_in(body: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each pid strace printed in one line's text."""
    spans = []
    for rx in (_PID_RESULT, _PID_ARG1, _PID_ARG2):
        m = rx.match(body)
        if m:
            spans.append(m.span(1))
    for m in _PID_FIELDS.finditer(body):
        g = 1 if m.group(1) is not None else 2
        spans.append(m.span(g))
    for start, end in sorted(set(spans)):
        if int(body[start:end]) > 0:
            yield start, end


def _mask(body: str) -> str:
    body = _ADDR.sub(lambda m: "0xADDR" if int(m.group(0), 16) >= 0x10000 else m.group(0), body)
    body = _GETRANDOM.sub('getrandom("RANDOM"', body)
    body = _TICKS.sub(r"\1=T", body)
    return _PAD.sub(r") \1", body)


def normalise_trace(text: str) -> str:
    """The canonical form of a strace -f (or single-task) trace: per task, pids as P1..., see the module doc."""
    lines = join_split_calls(text)
    by_task: dict[str | None, list[str]] = {}
    for pid, body in lines:
        by_task.setdefault(pid, []).append(body)
    # Without a pid column (one task traced without -f) the task is P1 and any pid in its lines gets a later
    # number, its own included: nothing in such a trace says which pid is its own.
    names: dict[str, str] = {"": "P1"} if None in by_task else {}

    def name(pid: str) -> str:
        if pid not in names:
            names[pid] = f"P{len(names) + 1}"
        return names[pid]

    order: list[str | None] = []
    queue: list[str | None] = list(by_task)[:1]
    while queue or len(order) < len(by_task):
        if not queue:  # a task no other task's lines name: take the next in file order
            queue.append(next(p for p in by_task if p not in order))
        pid = queue.pop(0)
        if pid in order:
            continue
        order.append(pid)
        if pid is not None:
            name(pid)
        for body in by_task[pid]:
            for start, end in _pids_in(body):
                other = str(int(body[start:end]))
                name(other)
                if other in by_task and other not in order and other not in queue:
                    queue.append(other)
    out = []
    for pid in order:
        label = names[pid if pid is not None else ""]
        for body in by_task[pid]:
            pieces, last = [], 0
            for start, end in _pids_in(body):
                pieces += [body[last:start], names[str(int(body[start:end]))]]
                last = end
            pieces.append(body[last:])
            out.append(f"{label} {_mask(''.join(pieces))}")
    return "\n".join(out) + ("\n" if out else "")


_SUMMARY_ROW = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(\d*)\s*(\S+)\s*$")


def summary_counts(text: str) -> dict[str, tuple[int, int]]:
    """`strace -c`'s table as {syscall: (calls, errors)}, the total row included as "total"."""
    out: dict[str, tuple[int, int]] = {}
    for line in text.splitlines():
        m = _SUMMARY_ROW.match(line)
        if m:
            out[m.group(3)] = (int(m.group(1)), int(m.group(2) or 0))
    return out


def normalise_stderr(text: str) -> str:
    """strace's own messages with their pids masked ("Process 1234 attached")."""
    return re.sub(r"\bProcess \d+\b", "Process N", text)
