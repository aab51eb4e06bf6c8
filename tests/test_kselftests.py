"""The Linux kernel's own ptrace selftests, natively and under emukernel.

The programs of tools/testing/selftests/ptrace and x86's ptrace_syscall_64 and single_step_syscall_64 come
from Debian's linux-source-6.12, built static by ``python -m toolchain.kselftests`` (which downloads the
package with apt-get; without it these tests skip).  Each program runs natively and under emukernel, with
a timeout each, and every test case it reports must end the same way in both: pass, fail or skip.

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
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from harness import Result, run_emu_cli, run_native

from toolchain.kselftests import DEFAULT_CACHE, TESTS, KselftestsUnavailable, Outcome, build_all

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.machine() != "x86_64", reason="needs an x86-64 Linux host"
)

#: Per binary.  vmaccess's attach case blocks natively until the harness's own 30 s alarm ends it.
NATIVE_TIMEOUT = 120.0
EMU_TIMEOUT = 60.0

NAMES = [t.name for t in TESTS]


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
def kselftests() -> Outcome:
    """The built selftests (downloading and compiling only what the cache lacks)."""
    try:
        return build_all(DEFAULT_CACHE, "musl")
    except KselftestsUnavailable as exc:
        pytest.skip(f"the kernel selftests cannot be built: {exc}")


def _binary(outcome: Outcome, name: str) -> Path:
    if name not in outcome.binaries:
        pytest.skip(f"{name} was not built: {outcome.failed.get(name, '?').splitlines()[0]}")
    return outcome.binaries[name]


def _env(outcome: Outcome) -> dict[str, str]:
    # vmaccess execs "true" and "sleep" through PATH: our static ones, first, in both runs
    return {"PATH": f"{outcome.helpers['true'].parent}:/bin:/usr/bin", "LANG": "C"}


@pytest.fixture(scope="module")
def native(kselftests: Outcome) -> Callable[[str], Run]:
    """Run a selftest natively, once per module (test_native and test_emu share the run)."""
    done: dict[str, Run] = {}

    def _native(name: str) -> Run:
        if name not in done:
            path = _binary(kselftests, name)
            try:
                r: Result | None = run_native(path, env=_env(kselftests), timeout=NATIVE_TIMEOUT)
                out = r.stdout if r else b""
            except subprocess.TimeoutExpired as exc:
                r, out = None, exc.output or b""
            done[name] = parse(out, r, NATIVE_TIMEOUT)
        return done[name]

    return _native


def _emu(outcome: Outcome, name: str) -> Run:
    path = _binary(outcome, name)
    env = _env(outcome)
    helpers = str(outcome.helpers["true"].parent)
    cli = ["--clearenv", *(f"--env={k}={v}" for k, v in env.items()), f"--bind={helpers}:{helpers}:ro"]
    # The guest's environment is the --env above; emukernel's own process keeps its EMUKERNEL_* settings
    # (CI's second pass sets EMUKERNEL_SLOW_ENTRY=1).
    penv = {**env, **{k: v for k, v in os.environ.items() if k.startswith("EMUKERNEL_")}}
    try:
        r: Result | None = run_emu_cli(path, env=penv, timeout=EMU_TIMEOUT, cli_args=cli)
        out = r.stdout if r else b""
    except subprocess.TimeoutExpired as exc:
        r, out = None, exc.output or b""
    return parse(out, r, EMU_TIMEOUT)


@pytest.mark.parametrize("name", NAMES)
def test_native(native: Callable[[str], Run], name: str) -> None:
    """The native run finished and reported consistently (plan, results and totals agree)."""
    run = native(name)
    assert run.result is not None, f"{name} timed out natively after {NATIVE_TIMEOUT:g}s\n{run.transcript()}"
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
def test_emu(kselftests: Outcome, native: Callable[[str], Run], name: str) -> None:
    """Every case ends under emukernel as it does natively."""
    want = native(name)
    got = _emu(kselftests, name)
    diffs = [
        f"  {case}: native {want.cases.get(case, 'missing')}, emukernel {got.cases.get(case, 'missing')}"
        for case in dict.fromkeys([*want.cases, *got.cases])
        if want.cases.get(case) != got.cases.get(case)
    ]
    assert not diffs, (
        f"{name}: {len(diffs)} of {len(want.cases)} cases differ under emukernel:\n" + "\n".join(diffs)
        + f"\nemukernel run:\n{got.transcript()}"
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
