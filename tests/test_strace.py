"""The real strace (7.2, static, unmodified; glibc and musl builds) tracing a guest, natively and under
emukernel: the proof that emukernel's ptrace is the one strace expects.

Each case runs the same static strace binary twice: on the host, and as ``python -m emukernel run STRACE
...``.  strace writes its trace with ``-o FILE`` into a host directory bound at the same path inside the
guest (as is the guests' build directory, so the traced program and everything it execs have the same
paths on both sides).  The traces are compared after ``strace_output.normalise_trace`` (one sequence of
calls per task, pids as P1, P2, ..., addresses masked; see that module for what it hides and why), and so
are the traced program's stdout, strace's exit code and strace's stderr (pids masked).

The traced program is guest/strace_target (its comment says how it keeps each task's calls the same on
every run).  The cases:

* ``strace -f``: fork + exec, a thread, a child outliving the thread that made it, a signal handler.
* ``strace -f -c``: the summary table: calls and errors per syscall (not the times).
* ``strace -f -e trace=process``: only the process-management calls (and the signals).
* ``strace -e inject=getpid:retval=42``: the program prints what getpid() returned.
* ``strace -p PID``: attaching to a running process; strace_target's driver mode starts the target and
  strace itself, so under emukernel both run in one kernel.

The strace binaries live outside the repository, in ``shared/bin`` beside the clone (``../shared/bin``
from the repository root; from a git worktree, beside the main checkout: ``toolchain.shared``); the tests
skip when it is absent.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest
from harness import DEFAULT_ENV, REPO_ROOT, Result, run_emu_cli, run_native
from strace_output import normalise_stderr, normalise_trace, summary_counts

from toolchain.shared import STRACE_BUILDS, find_shared_bin

SHARED_BIN = find_shared_bin()

#: The environment of strace and so of the traced program.  glibc registers an rseq area at start-up and in
#: every new thread; emukernel has no rseq (ENOSYS, which glibc tolerates), so every glibc trace would
#: differ in those lines.  The tunable makes glibc skip the call on both sides: these tests are about ptrace.
ENV = {**DEFAULT_ENV, "GLIBC_TUNABLES": "glibc.pthread.rseq=0"}
pytestmark = pytest.mark.guests("strace_target")


@pytest.fixture(params=sorted(STRACE_BUILDS))
def strace(request: pytest.FixtureRequest) -> Path:
    """One of the two strace builds (the glibc one is `strace`, the musl one `strace-musl`)."""
    if SHARED_BIN is None:
        pytest.skip(f"no strace: {REPO_ROOT.parent / 'shared' / 'bin' / 'strace'} is absent (the static strace "
                    "builds live in shared/bin beside the clone)")
    path = SHARED_BIN / STRACE_BUILDS[request.param]
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


def _emu_cli_args(*dirs: tuple[Path, bool]) -> list[str]:
    """`emukernel run` options: ENV only, and each directory bound at its own path (ro or rw)."""
    args = ["--quiet", "--clearenv"]
    for k, v in ENV.items():
        args += ["--env", f"{k}={v}"]
    for d, ro in dirs:
        args += ["--bind", f"{d}:{d}" + (":ro" if ro else "")]
    return args


def _both(program: Path, native_args: list[str], emu_args: list[str], guest: Path, tmp: Path,
          *extra_ro: Path) -> tuple[Result, Result]:
    native = run_native(program, native_args, env=ENV, timeout=120)
    emu = run_emu_cli(program, emu_args, timeout=300,
                      cli_args=_emu_cli_args((guest.parent, True), *((d, True) for d in extra_ro), (tmp, False)))
    return native, emu


def _read(path: Path) -> str:
    return path.read_text(errors="backslashreplace") if path.exists() else f"<{path.name} was not written>\n"


def _context(native: Result, emu: Result) -> str:
    def one(name: str, r: Result, tail: int) -> str:
        return (f"\n{name}: exit {r.exit_code}\n--- {name} stdout:\n{r.stdout.decode(errors='replace')[-tail:]}"
                f"--- {name} stderr:\n{r.stderr.decode(errors='replace')[-tail:]}")

    return one("native", native, 1500) + one("emu", emu, 3000)


def _one_n(text: str) -> str:
    return re.sub(r"N+", "N", text)


def _assert_runs_match(native: Result, emu: Result) -> None:
    """Same stdout (the traced program's), same exit code, same stderr (strace's, pids masked)."""
    assert native.exit_code == 0, "native run failed:" + _context(native, emu)
    # the attach driver masks each digit of strace's messages with N; a pid's width is not the kernel's
    # to match, so a run of them is one
    assert _one_n(emu.stdout.decode(errors="replace")) == _one_n(native.stdout.decode(errors="replace")), \
        _context(native, emu)
    assert emu.exit_code == native.exit_code, _context(native, emu)
    assert normalise_stderr(emu.stderr.decode(errors="replace")) == \
        normalise_stderr(native.stderr.decode(errors="replace")), _context(native, emu)


def _assert_traces_match(native_file: Path, emu_file: Path, native: Result, emu: Result) -> None:
    want, got = normalise_trace(_read(native_file)), normalise_trace(_read(emu_file))
    if got != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "native", "emu"))
        pytest.fail("normalised traces differ:\n" + diff[:20000] + _context(native, emu), pytrace=False)


def _trace_case(strace: Path, guest: Path, tmp: Path, options: list[str], guest_args: list[str]) -> None:
    nfile, efile = tmp / "native.trace", tmp / "emu.trace"
    native, emu = _both(strace, [*options, "-o", str(nfile), str(guest), *guest_args],
                        [*options, "-o", str(efile), str(guest), *guest_args], guest, tmp)
    _assert_traces_match(nfile, efile, native, emu)
    _assert_runs_match(native, emu)


def test_strace_f(strace: Path, variant: str, build_guest, tmp_path: Path) -> None:
    """strace -f of fork + exec, a thread, a signal handler: the same calls task by task."""
    _trace_case(strace, build_guest("strace_target", variant), tmp_path, ["-f"], [])


def test_strace_trace_process(strace: Path, variant: str, build_guest, tmp_path: Path) -> None:
    """strace -f -e trace=process: the filter sees the same process-management calls."""
    _trace_case(strace, build_guest("strace_target", variant), tmp_path, ["-f", "-e", "trace=process"], [])


def test_strace_seccomp_bpf(strace: Path, variant: str, build_guest, tmp_path: Path) -> None:
    """strace -f --seccomp-bpf: strace's seccomp-assisted tracing (a filter returning SECCOMP_RET_TRACE for
    the traced calls, PTRACE_O_TRACESECCOMP, the tracee stopping only at those) traces the same calls."""
    _trace_case(strace, build_guest("strace_target", variant), tmp_path,
                ["-f", "--seccomp-bpf", "-e", "trace=process"], [])


def test_strace_inject_getpid(strace: Path, variant: str, build_guest, tmp_path: Path) -> None:
    """strace -e inject=getpid:retval=42: the tracee sees 42 and strace marks the call (INJECTED)."""
    guest = build_guest("strace_target", variant)
    _trace_case(strace, guest, tmp_path, ["-f", "-e", "inject=getpid:retval=42"], ["getpid"])
    assert "getpid() = 42 (INJECTED)" in normalise_trace(_read(tmp_path / "native.trace"))


def test_strace_summary(strace: Path, variant: str, build_guest, tmp_path: Path) -> None:
    """strace -f -c: the same syscalls, each called as often and failing as often (times not compared)."""
    guest = build_guest("strace_target", variant)
    nfile, efile = tmp_path / "native.summary", tmp_path / "emu.summary"
    native, emu = _both(strace, ["-f", "-c", "-o", str(nfile), str(guest)],
                        ["-f", "-c", "-o", str(efile), str(guest)], guest, tmp_path)
    want, got = summary_counts(_read(nfile)), summary_counts(_read(efile))
    assert "total" in want, _read(nfile)
    assert got == want, f"(calls, errors) per syscall differ:\nemu    {got}\nnative {want}\n{_read(efile)}" + \
        _context(native, emu)
    _assert_runs_match(native, emu)


def test_strace_attach(strace: Path, variant: str, build_guest, tmp_path: Path) -> None:
    """strace -p: attach to a process blocked in read, follow it until it exits."""
    guest = build_guest("strace_target", variant)
    nfile, efile = tmp_path / "native.trace", tmp_path / "emu.trace"
    native, emu = _both(guest, ["driver", str(strace), str(nfile)], ["driver", str(strace), str(efile)],
                        guest, tmp_path, strace.parent)
    assert b"attached" in native.stdout, native.stdout
    _assert_traces_match(nfile, efile, native, emu)
    _assert_runs_match(native, emu)


def test_find_shared_bin(tmp_path: Path) -> None:
    """shared/bin is found beside a clone, and beside the main checkout from a worktree."""
    (tmp_path / "shared" / "bin").mkdir(parents=True)
    (tmp_path / "shared" / "bin" / "strace").write_bytes(b"")
    clone = tmp_path / "clone"
    (clone / ".git").mkdir(parents=True)
    assert find_shared_bin(clone) == (tmp_path / "shared" / "bin").resolve()
    wt = tmp_path / "elsewhere" / "wt"
    wt.mkdir(parents=True)
    (clone / ".git" / "worktrees" / "wt").mkdir(parents=True)
    (clone / ".git" / "worktrees" / "wt" / "commondir").write_text("../..\n")
    (wt / ".git").write_text(f"gitdir: {clone / '.git' / 'worktrees' / 'wt'}\n")
    assert find_shared_bin(wt) == (tmp_path / "shared" / "bin").resolve()
    assert find_shared_bin(tmp_path / "elsewhere" / "none") is None
    os.remove(tmp_path / "shared" / "bin" / "strace")
    assert find_shared_bin(clone) is None
