"""The Linux kernel's own ptrace and seccomp selftests, natively and under emukernel.

The programs of tools/testing/selftests/ptrace, x86's ptrace_syscall_64 and single_step_syscall_64, and
seccomp's seccomp_bpf and seccomp_benchmark come from Debian's linux-source-6.12, built static by
``python -m toolchain.kselftests`` (which downloads the package with apt-get; without it these tests skip).
Each program (see :data:`PROGRAMS`) runs natively and under emukernel, with a timeout each, and every test
case it reports must end the same way in both: pass, fail or skip, apart from the cases listed in
:data:`KNOWN_DIFFERENCES` with their reasons.  All runs of the module share a time budget
(:data:`MODULE_BUDGET`), so that hangs cannot stall CI whatever the per-program timeouts add up to.

What a case is depends on how the program reports:

* kselftest_harness programs print TAP: ``ok N name``, ``not ok N name``, ``ok N name # SKIP why``;
  the case is ``name``.
* the x86 programs print ``[RUN]\\theading`` and then ``[OK]``/``[FAIL]``/``[SKIP]`` verdicts; the case is
  the heading (addresses masked, numbered when it repeats) and the verdict's position under it.
* every program also has the case ``(exit)``: its exit code (128 + N when killed by signal N, as the
  emukernel CLI reports it).  peeksiginfo prints only ``PASS`` or errors, so this is its only case.

A case missing from one run (the program crashed, hung or stopped early) counts as a difference.
``test_native`` checks the native runs alone and passes on its own; ``test_emu`` is the comparison.

Native results (6.12.118 sources, musl and glibc builds alike, host Linux 6.18, root and non-root alike):
get_syscall_info 1 ok; get_set_sud 1 ok; peeksiginfo prints PASS, exit 0; vmaccess 1 ok, 1 not ok (its
attach case expects PTRACE_ATTACH to fail with EAGAIN while the tracee's exec waits for a traced thread;
Linux still blocks there, so the harness ends the case after 30 s: "Test terminated by timeout"), exit 1;
ptrace_syscall_64 9 [OK], 0 [FAIL], exit 0; single_step_syscall_64 5 [OK], exit 0.  set_syscall_info is
not in 6.12 and skips.

seccomp_bpf runs twice.  ``seccomp_bpf-glibc`` (gcc and glibc, as the kernel's own CI builds it; skipped
without gcc) runs all 99 cases: natively as root, 98 pass and 1 fails, in about 3 s.  The failure is
global.user_notification_addfd_send_interrupted, a case 6.12.118 got with a fix to seccomp's ADDFD: when
the supervisor's SECCOMP_IOCTL_NOTIF_ADDFD (with SECCOMP_ADDFD_FLAG_SEND) is interrupted by a signal, the
notification must go back to waiting for a reply, so that a retried ADDFD installs the fd and answers
with it; on the host's 6.18.44 the retried ADDFD fails (-1) and the tracee's getppid() does not return 42
(its exit status is 1), the behaviour before that fix.  ``seccomp_bpf`` (musl, zig cc) leaves
out the five cases of :data:`MUSL_EXCLUDED` (four hang in musl's pthread_join, one cannot get past musl's
sched_setscheduler and leaves a process behind) and runs 94: all pass, in about 3 s.  Nothing skips as
root.  Under emukernel today (no seccomp) 10 pass, 3 skip (kcmp and two user-namespace cases: emukernel
has neither) and the rest fail, in about a second.

Natively a program's run ends when its main process does: any process it leaves behind (in its session)
is killed then, so that one stuck child cannot hold the output pipes open (see :func:`run_native_group`).

seccomp_benchmark's seven cases compare timings (getpid with 0 to 4 filters, within 10%), so natively they
pass or fail by the noise of the moment; only whether each is reported and whether the program exits (not
killed, not hung) are compared (see ``Program.timing``).  It runs with a fixed sample count
(:data:`BENCHMARK_SAMPLES`, 0.2 s natively), not its own 15-second calibration (a native run of 71 million
getpids per measurement, about 100 s).  It also runs ``uname -a`` and two greps with system(), which print
natively only (emukernel runs no dynamic /bin/sh).
"""

from __future__ import annotations

import os
import platform
import re
import resource
import subprocess
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from harness import Result, exit_code_from_status, kill_session, run_emu_cli

from toolchain.build import gcc_path
from toolchain.kselftests import DEFAULT_CACHE, TESTS, KselftestsUnavailable, Outcome, build_all

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.machine() != "x86_64", reason="needs an x86-64 Linux host"
)

#: Per binary, unless its Program says otherwise.  vmaccess's attach case blocks natively until the
#: harness's own 30 s alarm ends it.
NATIVE_TIMEOUT = 120.0
EMU_TIMEOUT = 60.0
#: Seconds for all the runs of this module together (native and emukernel, after the build): a run gets
#: what is left of it when that is less than its own timeout, and none at all (failing) once it is spent.
MODULE_BUDGET = 270.0

_MUSL_JOIN = ("a thread that seccomp kills is then joined, and musl's pthread_join() waits for the thread "
              "itself to mark its exit (glibc's waits for the kernel to clear the tid, which it does for a "
              "killed thread too): it hangs until the harness's 30 s alarm")
#: Cases of seccomp_bpf the musl build cannot run, with the reason.  The musl run leaves them out with the
#: harness's own -T option; the glibc run has them all.
MUSL_EXCLUDED: dict[str, str] = {
    "KILL_thread": _MUSL_JOIN,
    "two_siblings_with_ancestor": _MUSL_JOIN,
    "two_siblings_with_no_filter": _MUSL_JOIN,
    "two_siblings_not_under_filter": _MUSL_JOIN,
    "user_notification_addfd_send_interrupted": (
        "musl's sched_setscheduler() always fails (ENOSYS, without a syscall), so the case stops at its "
        "first ASSERT and leaves its forked tracee blocked for good in a user notification whose listener "
        "the tracee itself holds open"),
}

#: Samples per measurement for seccomp_benchmark (its argv[1]); without it, it calibrates for 15 s worth
#: of getpid calls and measures five times that.
BENCHMARK_SAMPLES = 100_000


@dataclass(frozen=True)
class Program:
    """How this module runs one selftest binary; ``id`` names its tests (``test_emu[id]``)."""

    id: str
    binary: str  #: the name in toolchain.kselftests.TESTS
    variant: str = "musl"
    args: tuple[str, ...] = ()
    native_timeout: float = NATIVE_TIMEOUT
    emu_timeout: float = EMU_TIMEOUT
    #: the verdicts measure speed: compare only that each case is reported, and whether the program exited
    #: (with any code) or was killed or timed out
    timing: bool = False


_PTRACE = [Program(t.name, t.name) for t in TESTS if t.source.startswith(("ptrace/", "x86/"))]
PROGRAMS: tuple[Program, ...] = (
    *_PTRACE,
    Program("seccomp_bpf", "seccomp_bpf", args=tuple(a for c in MUSL_EXCLUDED for a in ("-T", c)),
            emu_timeout=150.0),
    Program("seccomp_bpf-glibc", "seccomp_bpf", "glibc", emu_timeout=150.0),
    Program("seccomp_benchmark", "seccomp_benchmark", args=(str(BENCHMARK_SAMPLES),), timing=True),
)
BY_ID = {p.id: p for p in PROGRAMS}
NAMES = [p.id for p in PROGRAMS]

#: Cases that may end differently under emukernel than natively, by program id and then case name, each
#: with its reason (the README lists the same cases with the same reasons).  For example:
#:
#:     "seccomp_bpf-glibc": {"global.some_case": "why emukernel cannot or should not match Linux here"},
#:
#: A listed case's difference is not a failure; a listed case that ends as natively is reported with a
#: warning, so that the list can shrink (not a failure: some cases differ on some hosts only).
_NO_SOCKETS = "needs socketpair(AF_UNIX, SOCK_SEQPACKET): emukernel has no sockets yet (issue 16)"
_NO_USERNS = "needs unshare(CLONE_NEWUSER): emukernel has no user namespaces yet (issue 14), the test skips"
_SECCOMP_KNOWN = {
    "global.user_notification_signal": _NO_SOCKETS,
    "global.user_notification_wait_killable_pre_notification": _NO_SOCKETS,
    "global.user_notification_wait_killable": _NO_SOCKETS,
    "global.user_notification_child_pid_ns": _NO_USERNS,
    "global.user_notification_fault_recv": _NO_USERNS,
}
KNOWN_DIFFERENCES: dict[str, dict[str, str]] = {
    # musl's run passes every case natively, so the failures above also change its exit status
    "seccomp_bpf": {**_SECCOMP_KNOWN, "(exit)": "the program exits 1 when a case above fails"},
    "seccomp_bpf-glibc": _SECCOMP_KNOWN,
}


@dataclass(frozen=True)
class Run:
    """One run of one selftest program: its cases (name -> status) and what it printed."""

    cases: dict[str, str]
    plan: int | None  #: the TAP plan ("1..N"), if the program printed one
    totals: dict[str, int] | None  #: the harness's "# Totals:" line, if any
    result: Result | None  #: None when it timed out
    stdout: bytes
    stderr: bytes

    def transcript(self, limit: int = 3000) -> str:
        out = self.stdout.decode("utf-8", "backslashreplace")[-limit:]
        err = self.stderr.decode("utf-8", "backslashreplace")[-limit:]
        return f"--- stdout (tail):\n{out}\n--- stderr (tail):\n{err}"


_TAP = re.compile(r"^(not )?ok (\d+)(?: (.*))?$")
_PLAN = re.compile(r"^1\.\.(\d+)\b")
_TOTALS = re.compile(r"^# Totals: (.*)$")
_VERDICT = re.compile(r"^\[(RUN|OK|FAIL|SKIP)\]\s*(.*)$")
#: TAP directives (the word after "#" on a result line) that change what "ok" means
_DIRECTIVES = {"SKIP": "skip", "XFAIL": "xfail", "XPASS": "xpass", "TODO": "todo"}
_VERDICTS = {"OK": "pass", "FAIL": "fail", "SKIP": "skip"}


def _numbered(seen: dict[str, int], key: str) -> str:
    """``key`` the first time, then ``key (2)``, ``key (3)``...: cases that repeat keep apart."""
    seen[key] = seen.get(key, 0) + 1
    return key if seen[key] == 1 else f"{key} ({seen[key]})"


def parse(stdout: bytes, result: Result | None, timeout: float) -> Run:
    """The cases of one run, from its TAP or [RUN]/[OK] lines and how it ended."""
    cases: dict[str, str] = {}
    seen: dict[str, int] = {}
    plan: int | None = None
    totals: dict[str, int] | None = None
    heading = "(before any [RUN])"
    under = 0  # verdicts seen under the current heading
    for line in stdout.decode("utf-8", "backslashreplace").splitlines():
        if m := _TAP.match(line):
            failed, num, rest = m.groups()
            name, _, comment = (rest or "").partition("#")
            words = comment.split()
            directive = _DIRECTIVES.get(words[0].upper()) if words else None
            status = directive or ("fail" if failed else "pass")
            cases[_numbered(seen, name.strip() or f"test {num}")] = status
        elif m := _PLAN.match(line):
            plan = int(m.group(1))
        elif m := _TOTALS.match(line):
            totals = {k: int(v) for k, v in re.findall(r"(\w+):(\d+)", m.group(1))}
        elif m := _VERDICT.match(line):
            tag, text = m.groups()
            if tag == "RUN":
                heading = _numbered(seen, re.sub(r"0x[0-9a-fA-F]+", "0x...", text.strip()))
                under = 0
            else:
                under += 1
                cases[f"{heading} [check {under}]"] = _VERDICTS[tag]
    cases["(exit)"] = f"timed out after {timeout:g}s" if result is None else f"exit code {result.exit_code}"
    return Run(cases, plan, totals, result, stdout, result.stderr if result else b"")


@pytest.fixture(scope="module")
def kselftests() -> Callable[[str], Outcome]:
    """The built selftests of a variant (downloading and compiling only what the cache lacks)."""
    done: dict[str, Outcome] = {}

    def _built(variant: str) -> Outcome:
        if variant not in done:
            if variant == "glibc" and gcc_path() is None:
                pytest.skip("the glibc build needs gcc, which is not installed")
            try:
                done[variant] = build_all(DEFAULT_CACHE, variant)
            except KselftestsUnavailable as exc:
                pytest.skip(f"the kernel selftests cannot be built: {exc}")
        return done[variant]

    return _built


class Budget:
    """What is left of MODULE_BUDGET, counted from the first run."""

    def __init__(self, total: float) -> None:
        self.total = total
        self.start: float | None = None

    def timeout(self, wanted: float, what: str) -> float:
        """``wanted``, or less when the budget has less left; fails the test when nothing is left."""
        now = time.monotonic()
        if self.start is None:
            self.start = now
        left = self.total - (now - self.start)
        if left < 1:
            pytest.fail(f"{what}: not run, the module's budget of {self.total:g}s for all its runs is spent")
        return min(wanted, left)


@pytest.fixture(scope="module")
def budget() -> Budget:
    return Budget(MODULE_BUDGET)


def _binary(outcome: Outcome, name: str) -> Path:
    if name not in outcome.binaries:
        pytest.skip(f"{name} was not built: {outcome.failed.get(name, '?').splitlines()[0]}")
    return outcome.binaries[name]


def _env(outcome: Outcome) -> dict[str, str]:
    # vmaccess execs "true" and "sleep" through PATH: our static ones, first, in both runs
    return {"PATH": f"{outcome.helpers['true'].parent}:/bin:/usr/bin", "LANG": "C"}


def _no_core() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))


def run_native_group(path: Path, args: tuple[str, ...], env: dict[str, str], timeout: float) -> Result:
    """Run a program natively in a new session; when its main process ends, kill what is left of it.

    Like harness.run_native, but a child the program leaves behind (a test that failed before reaping
    it) cannot keep its stdout open, which would block the read of the output for good.  The kernel's
    test harness puts each test in a process group of its own, so what is killed is the whole session.
    Raises TimeoutExpired (with the output so far) when the main process outlives ``timeout``, after the
    same killing.
    """
    proc = subprocess.Popen([str(path), *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, preexec_fn=_no_core, start_new_session=True)
    assert proc.stdout and proc.stderr
    chunks: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda k=k, f=f: chunks.__setitem__(k, f.read()), daemon=True)
               for k, f in (("out", proc.stdout), ("err", proc.stderr))]
    for t in readers:
        t.start()

    def kill_group() -> None:
        kill_session(proc.pid)

    fired = threading.Event()

    def on_timeout() -> None:
        fired.set()
        kill_group()

    timer = threading.Timer(timeout, on_timeout)
    timer.start()
    try:
        _, status, _ = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    timed_out = fired.is_set()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: keep Popen from waiting again
    kill_group()
    for t in readers:
        t.join()
    proc.stdout.close()
    proc.stderr.close()
    if timed_out:
        raise subprocess.TimeoutExpired([str(path), *args], timeout, chunks.get("out", b""), chunks.get("err", b""))
    return Result(status, exit_code_from_status(status), chunks.get("out", b""), chunks.get("err", b""))


@pytest.fixture(scope="module")
def native(kselftests: Callable[[str], Outcome], budget: Budget) -> Callable[[str], Run]:
    """Run a program natively, once per module (test_native and test_emu share the run)."""
    done: dict[str, Run] = {}

    def _native(pid: str) -> Run:
        if pid not in done:
            prog = BY_ID[pid]
            outcome = kselftests(prog.variant)
            path = _binary(outcome, prog.binary)
            timeout = budget.timeout(prog.native_timeout, f"{pid} natively")
            try:
                r: Result | None = run_native_group(path, prog.args, _env(outcome), timeout)
                out = r.stdout if r else b""
            except subprocess.TimeoutExpired as exc:
                r, out = None, exc.output or b""
            done[pid] = parse(out, r, timeout)
        return done[pid]

    return _native


def _emu(outcome: Outcome, prog: Program, timeout: float) -> Run:
    path = _binary(outcome, prog.binary)
    env = _env(outcome)
    helpers = str(outcome.helpers["true"].parent)
    cli = ["--clearenv", *(f"--env={k}={v}" for k, v in env.items()), f"--bind={helpers}:{helpers}:ro"]
    # The guest's environment is the --env above; emukernel's own process keeps its EMUKERNEL_* settings
    # (CI's second pass sets EMUKERNEL_SLOW_ENTRY=1).
    penv = {**env, **{k: v for k, v in os.environ.items() if k.startswith("EMUKERNEL_")}}
    try:
        r: Result | None = run_emu_cli(path, prog.args, env=penv, timeout=timeout, cli_args=cli)
        out = r.stdout if r else b""
    except subprocess.TimeoutExpired as exc:
        r, out = None, exc.output or b""
    return parse(out, r, timeout)


def comparable(prog: Program, cases: dict[str, str]) -> dict[str, str]:
    """The cases as compared: as reported, or for a timing program only reported/not, exited/not."""
    if not prog.timing:
        return cases
    # a timing program's case names depend on its measurements too (a skipped comparison is reported
    # as "test N" without its formula): compare how many it reported, not which
    out = {"(cases reported)": str(sum(1 for k in cases if k != "(exit)"))}
    m = re.fullmatch(r"exit code (\d+)", cases.get("(exit)", ""))
    # 128 + N: killed by signal N (the emukernel CLI reports a killed guest so; run_native does the same)
    out["(exit)"] = "exited" if m and int(m.group(1)) < 128 else cases.get("(exit)", "missing")
    return out


@pytest.mark.parametrize("name", NAMES)
def test_native(native: Callable[[str], Run], name: str) -> None:
    """The native run finished and reported consistently (plan, results and totals agree)."""
    run = native(name)
    assert run.result is not None, f"{name} {run.cases['(exit)']} natively\n{run.transcript()}"
    tap = {k: v for k, v in run.cases.items() if k != "(exit)"}
    if run.plan is not None:
        assert len(tap) == run.plan, f"{name}: plan 1..{run.plan} but {len(tap)} results\n{run.transcript()}"
    if run.totals is not None:
        counted = {s: sum(1 for v in tap.values() if v == s) for s in ("pass", "fail", "skip")}
        assert counted == {s: run.totals.get(s, 0) for s in counted}, (
            f"{name}: the # Totals line {run.totals} disagrees with the results {counted}\n{run.transcript()}"
        )
    if name != "peeksiginfo":
        assert tap, f"{name} reported no test case natively\n{run.transcript()}"


@pytest.mark.parametrize("name", NAMES)
def test_emu(kselftests: Callable[[str], Outcome], native: Callable[[str], Run], budget: Budget,
             name: str) -> None:
    """Every case ends under emukernel as it does natively, but for KNOWN_DIFFERENCES."""
    prog = BY_ID[name]
    want = native(name)
    got = _emu(kselftests(prog.variant), prog, budget.timeout(prog.emu_timeout, f"{name} under emukernel"))
    w, g = comparable(prog, want.cases), comparable(prog, got.cases)
    known = KNOWN_DIFFERENCES.get(name, {})
    diffs, excused = [], []
    for case in dict.fromkeys([*w, *g]):
        if w.get(case) == g.get(case):
            continue
        line = f"  {case}: native {w.get(case, 'missing')}, emukernel {g.get(case, 'missing')}"
        (excused if case in known else diffs).append(line)
    if stale := [c for c in known if c in w and w.get(c) == g.get(c)]:
        warnings.warn(f"{name}: listed in KNOWN_DIFFERENCES but ending as natively: {', '.join(stale)}",
                      stacklevel=1)
    assert not diffs, (
        f"{name}: {len(diffs)} of {len(w)} cases differ under emukernel"
        + (f" (and {len(excused)} known ones)" if excused else "") + ":\n" + "\n".join(diffs)
        + f"\nemukernel run:\n{got.transcript()}"
    )


def test_known_differences() -> None:
    """Each known difference names a program of this module and says why."""
    for pid, cases in KNOWN_DIFFERENCES.items():
        assert pid in BY_ID, f"KNOWN_DIFFERENCES names {pid!r}, which is none of {NAMES}"
        for case, why in cases.items():
            assert isinstance(why, str) and len(why.split()) >= 3, (
                f"KNOWN_DIFFERENCES[{pid!r}][{case!r}] needs its reason, in words: {why!r}"
            )


def test_parse() -> None:
    """The parser on both report formats, without building anything."""
    tap = (b"TAP version 13\n1..3\n# Starting 3 tests\nok 1 global.a\nnot ok 2 global.b\n"
           b"ok 3 global.c # SKIP no luck\n# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0\n")
    done = Result(status=1 << 8, exit_code=1, stdout=tap, stderr=b"")
    run = parse(tap, done, 1)
    assert run.cases == {"global.a": "pass", "global.b": "fail", "global.c": "skip", "(exit)": "exit code 1"}
    assert run.plan == 3 and run.totals == {"pass": 1, "fail": 1, "xfail": 0, "xpass": 0, "skip": 1, "error": 0}
    x86 = (b"[RUN]\tSYSCALL (ip = 0x401000)\n[OK]\tone\n[FAIL]\ttwo\n\tdetail\n[RUN]\tSYSCALL (ip = 0x402000)\n"
           b"[SKIP]\tthree\n")
    run = parse(x86, None, 5)
    assert run.cases == {
        "SYSCALL (ip = 0x...) [check 1]": "pass",
        "SYSCALL (ip = 0x...) [check 2]": "fail",
        "SYSCALL (ip = 0x...) (2) [check 1]": "skip",
        "(exit)": "timed out after 5s",
    }


def test_comparable() -> None:
    """A timing program's cases compare as how many were reported, its exit as exited, killed or timed
    out."""
    bench = Program("b", "b", timing=True)
    assert comparable(bench, {"a": "pass", "b": "fail", "(exit)": "exit code 1"}) == {
        "(cases reported)": "2", "(exit)": "exited"}
    assert comparable(bench, {"(exit)": "exit code 134"}) == {"(cases reported)": "0", "(exit)": "exit code 134"}
    assert comparable(bench, {"(exit)": "timed out after 5s"}) == {
        "(cases reported)": "0", "(exit)": "timed out after 5s"}
    plain = Program("p", "p")
    assert comparable(plain, {"a": "fail", "(exit)": "exit code 1"}) == {"a": "fail", "(exit)": "exit code 1"}
