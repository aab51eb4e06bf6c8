"""The differential harness: run a guest natively and under emukernel, compare.

``run_native`` runs a static ELF directly on the host, ``run_emu`` through the
in-process API ``emukernel.api.run``, and ``run_emu_cli`` through
``python -m emukernel run``.  All three return a :class:`Result` with the raw
wait status, so ``assert_same`` can compare how the process ended as well as
what it printed.
"""

from __future__ import annotations

import difflib
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parent.parent

#: The environment a guest gets when none is given: small, fixed, identical for every runner.
DEFAULT_ENV: dict[str, str] = {"PATH": "/bin:/usr/bin", "LANG": "C"}


@dataclass(frozen=True)
class Result:
    """How a guest run ended."""

    status: int  #: raw wait status, as waitpid() reports it
    exit_code: int  #: shell-style: the exit code, or 128 + signal number when killed
    stdout: bytes
    stderr: bytes

    @property
    def exited(self) -> bool:
        return os.WIFEXITED(self.status)

    @property
    def signaled(self) -> bool:
        return os.WIFSIGNALED(self.status)

    @property
    def termsig(self) -> int | None:
        return os.WTERMSIG(self.status) if self.signaled else None

    def describe(self) -> str:
        """'exit 3' or 'killed by SIGSEGV' (with ', core dumped' when the core flag is set)."""
        if self.signaled:
            sig = os.WTERMSIG(self.status)
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = f"signal {sig}"
            return f"killed by {name}" + (", core dumped" if os.WCOREDUMP(self.status) else "")
        if self.exited:
            return f"exit {os.WEXITSTATUS(self.status)}"
        return f"status {self.status:#x}"


def status_from_returncode(returncode: int, core: bool = False) -> int:
    """Raw wait status from a subprocess returncode (>= 0: exit code, < 0: -signal)."""
    if returncode < 0:
        return (-returncode & 0x7F) | (0x80 if core else 0)
    return (returncode & 0xFF) << 8


def exit_code_from_status(status: int) -> int:
    """The shell's $? for a wait status: the exit code, or 128 + signal."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    raise ValueError(f"not a termination status: {status:#x}")


def _child_setup() -> None:
    # No core files from the segv/abort guests (in the cwd, or slow handlers).  With a
    # piped core_pattern the kernel may still dump; assert_same ignores the core flag.
    # The hard limit stays as it was, so a guest may raise its soft limit itself (as under
    # emukernel, whose RLIMIT_CORE starts at 0 with an unlimited hard limit): sig_info does,
    # in a scratch directory, to see CLD_DUMPED.
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))


def _session_members(sid: int) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp session ...: comm may hold spaces and parentheses, so split after it
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 3 and int(fields[3]) == sid:
            pids.append(int(entry.name))
    return pids


def kill_session(sid: int) -> None:
    """SIGKILL every process of the session ``sid`` (one we created): its id is not reused while it has any."""
    for _ in range(20):
        members = _session_members(sid)
        if not members:
            return
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)


def _run_process(
    argv: Sequence[str],
    env: Mapping[str, str],
    stdin: bytes,
    timeout: float,
    cwd: str | os.PathLike[str] | None = None,
) -> Result:
    """Run argv with pipes and return the raw wait status (with the core flag) via wait4.

    subprocess only keeps the signal number, so this reaps the child itself.  The
    child gets its own process group, which is killed on timeout.
    """
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env),
        cwd=cwd,
        preexec_fn=_child_setup,
        start_new_session=True,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    chunks: dict[str, bytes] = {}

    def reader(name: str, f: IO[bytes]) -> None:
        chunks[name] = f.read()

    def writer() -> None:
        try:
            if stdin:
                proc.stdin.write(stdin)
        except BrokenPipeError:
            pass
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass

    threads = [
        threading.Thread(target=reader, args=("out", proc.stdout), daemon=True),
        threading.Thread(target=reader, args=("err", proc.stderr), daemon=True),
        threading.Thread(target=writer, daemon=True),
    ]
    for t in threads:
        t.start()
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        _, status, _ = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: keep Popen from waiting again
    for t in threads:
        t.join(timeout=10)
    if any(t.is_alive() for t in threads[:2]):
        # something the guest left behind still holds its output (a native child it never reaped, in its
        # own process group): end the whole session, or closing the pipes would block for good
        kill_session(proc.pid)
        for t in threads[:2]:
            t.join()
    proc.stdout.close()
    proc.stderr.close()
    if timed_out.is_set():
        raise subprocess.TimeoutExpired(list(argv), timeout, chunks.get("out", b""), chunks.get("err", b""))
    return Result(status, exit_code_from_status(status), chunks.get("out", b""), chunks.get("err", b""))


def run_native(
    path: str | os.PathLike[str],
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    stdin: bytes = b"",
    timeout: float = 60,
) -> Result:
    """Run a guest binary on the host with exactly ``env`` (default DEFAULT_ENV); argv[0] is the path."""
    path = str(path)
    return _run_process([path, *args], DEFAULT_ENV if env is None else env, stdin, timeout)


def run_emu(
    path: str | os.PathLike[str],
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    stdin: bytes = b"",
    **kw: object,
) -> Result:
    """Run a guest under emukernel in this process (``emukernel.api.run``); argv[0] is the host path.

    Extra keywords (root, binds, seed, quiet, trace) are passed to ``run`` unchanged.
    """
    from emukernel.api import run  # imported here: the harness must load without it

    done = run([str(path), *args], env=dict(DEFAULT_ENV if env is None else env), stdin=stdin, **kw)
    return Result(int(done.status), int(done.exit_code), bytes(done.stdout), bytes(done.stderr))


def run_emu_cli(
    path: str | os.PathLike[str],
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    stdin: bytes = b"",
    timeout: float = 300,
    cli_args: Sequence[str] = (),
) -> Result:
    """Run ``python -m emukernel run [cli_args] PATH ARGS...`` in a subprocess.

    The subprocess environment is ``env`` (default DEFAULT_ENV) plus PYTHONPATH
    pointing at the repository, so ``emukernel`` imports without being installed.
    ``status``/``exit_code`` are those of the Python process itself.
    """
    penv = dict(DEFAULT_ENV if env is None else env)
    penv["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    argv = [sys.executable, "-m", "emukernel", "run", *cli_args, str(path), *args]
    return _run_process(argv, penv, stdin, timeout, cwd=REPO_ROOT)


# --------------------------------------------------------------------------- comparison

# Rules applied to both transcripts before comparing.  Keep this list minimal:
# every rule hides a difference that a faithful emulator may legitimately have.
# (Currently none: guests print relations, never pids, addresses or times, and
# argv[0]/AT_EXECFN are the same host path in both runs.)
NORMALISE_RULES: list[tuple[re.Pattern[str], str, str]] = []


def normalise(text: str | bytes) -> str:
    """Apply NORMALISE_RULES (see the comments there) to a transcript; bytes are decoded as UTF-8."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="backslashreplace")
    for pattern, replacement, _why in NORMALISE_RULES:
        text = pattern.sub(replacement, text)
    return text


def comparable_status(status: int) -> int:
    """The wait status without the core-dump flag (0x80).

    Whether a core is dumped depends on the host's core_pattern and RLIMIT_CORE,
    not on the guest, so it is not compared.
    """
    if os.WIFSIGNALED(status):
        return status & ~0x80
    return status


def _diff(a: str, b: str, name_a: str, name_b: str) -> str:
    lines = difflib.unified_diff(a.splitlines(keepends=True), b.splitlines(keepends=True), name_a, name_b)
    text = "".join(lines)
    return text if len(text) < 20000 else text[:20000] + "\n... (diff truncated)\n"


def assert_same(native: Result, emu: Result, *, compare_stderr: bool = False) -> None:
    """Assert the two runs printed the same stdout (after normalise) and ended the same way."""
    problems: list[str] = []
    if comparable_status(native.status) != comparable_status(emu.status):
        problems.append(
            f"wait status differs: native {native.status:#06x} ({native.describe()}), "
            f"emu {emu.status:#06x} ({emu.describe()})"
        )
    n_out, e_out = normalise(native.stdout), normalise(emu.stdout)
    if n_out != e_out:
        problems.append("stdout differs:\n" + _diff(n_out, e_out, "native", "emu"))
    if compare_stderr:
        n_err, e_err = normalise(native.stderr), normalise(emu.stderr)
        if n_err != e_err:
            problems.append("stderr differs:\n" + _diff(n_err, e_err, "native", "emu"))
    if problems:
        tail = emu.stderr.decode("utf-8", "backslashreplace")[-3000:]
        if tail and not compare_stderr:
            problems.append("emu stderr (tail):\n" + tail)
        raise AssertionError("\n".join(problems))


def in_initial_pid_ns() -> bool:
    """The host runs us in its initial pid namespace: /proc/self/status lists one NSpid number only there."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return len(line.split()) == 2
    except OSError:
        pass
    return False


def assert_guest_ok(r: Result, what: str = "guest") -> None:
    """A guest that prints "ok"/"FAIL" lines passed: it exited 0 and printed no FAIL line."""
    out = r.stdout.decode("utf-8", "backslashreplace")
    fails = [line for line in out.splitlines() if line.startswith("FAIL")]
    if not (r.exited and r.exit_code == 0) or fails:
        tail = r.stderr.decode("utf-8", "backslashreplace")[-3000:]
        raise AssertionError(
            f"{what}: {r.describe()}\n" + "\n".join(fails[:20]) + f"\n--- stdout tail:\n{out[-3000:]}"
            + (f"\n--- stderr tail:\n{tail}" if tail else "")
        )
