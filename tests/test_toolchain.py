"""The guest toolchain: cache behaviour, ELF kinds, errors and the CLI."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import toolchain
from toolchain.build import Builder, BuildError, elf_info

# The module toolchain/build.py; ``toolchain.build`` itself is the build() function.
tb = importlib.import_module("toolchain.build")

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_guest_names_and_variants() -> None:
    names = toolchain.guest_names()
    for expected in ("hello", "auxv", "smoke", "clock", "segv", "abort", "exitcode", "spin", "getpid_loop"):
        assert expected in names
    assert {"hello", "auxv", "smoke"} <= toolchain.PIE_GUESTS
    vs = toolchain.available_variants()
    assert vs[0] == "musl" and "musl-pie" in vs
    assert ("glibc" in vs) == (shutil.which("gcc") is not None)
    assert set(vs) <= set(toolchain.VARIANTS)


def test_second_build_is_a_cache_hit() -> None:
    first = toolchain.build_one("hello", "musl")
    second = toolchain.build_one("hello", "musl")
    assert second.cached
    assert second.path == first.path == toolchain.output_path("hello", "musl")
    assert toolchain.is_fresh("hello", "musl")
    assert toolchain.build("hello", "musl") == first.path


@pytest.mark.guests("hello")
def test_hello_runs_natively(build_guest, variant: str) -> None:
    out = subprocess.run([str(build_guest("hello", variant))], capture_output=True, env={}, timeout=30)
    assert out.returncode == 0
    assert out.stdout == b"hello, world\n"


@pytest.mark.parametrize("variant", toolchain.available_variants())
def test_outputs_are_static_elfs(variant: str) -> None:
    built = toolchain.build_all(jobs=2, variants=[variant])
    assert built, "nothing was built"
    for (name, v), b in built.items():
        assert v == variant
        info = elf_info(b.path)
        assert info.machine == 62, name
        assert not info.has_interp, f"{v}/{name} has a PT_INTERP"
        if toolchain.is_pie_variant(v):
            assert name in toolchain.PIE_GUESTS
            assert info.e_type == 3 and info.is_static_pie, f"{v}/{name} is not ET_DYN"
            assert info.has_dynamic, f"{v}/{name}: a static-pie needs PT_DYNAMIC to relocate itself"
        else:
            assert info.e_type == 2 and info.is_static_exec, f"{v}/{name} is not ET_EXEC"
    if toolchain.is_pie_variant(variant):
        assert {n for n, _ in built} == set(toolchain.PIE_GUESTS)
    else:
        assert {n for n, _ in built} == set(toolchain.guest_names())


@pytest.mark.skipif(shutil.which("readelf") is None, reason="binutils readelf not installed")
@pytest.mark.guests("hello")
def test_readelf_agrees(build_guest, variant: str) -> None:
    """Cross-check our little ELF parser against binutils."""
    text = subprocess.run(
        ["readelf", "-lhW", str(build_guest("hello", variant))], capture_output=True, text=True, check=True
    ).stdout
    assert "INTERP" not in text
    want = "DYN" if toolchain.is_pie_variant(variant) else "EXEC"
    assert any(line.split()[:2] == ["Type:", want] for line in text.splitlines())


# --------------------------------------------------------------------------- a private guest tree


@pytest.fixture
def tree(tmp_path: Path) -> Builder:
    gdir = tmp_path / "guest"
    (gdir / "include").mkdir(parents=True)
    (gdir / "include" / "mini.h").write_text('#define GREETING "hi"\n')
    (gdir / "mini.c").write_text(
        '#include <stdio.h>\n#include "mini.h"\nint main(void){puts(GREETING);return 0;}\n'
    )
    return Builder(gdir, tmp_path / "out")


def test_cache_invalidation(tree: Builder) -> None:
    a = tree.build_one("mini", "musl")
    assert not a.cached and a.path == tree.output_path("mini", "musl") and a.path.is_file()
    assert subprocess.run([str(a.path)], capture_output=True).stdout == b"hi\n"
    b = tree.build_one("mini", "musl")
    assert b.cached
    # Any file in guest/include is part of the key.
    (tree.include_dir / "mini.h").write_text('#define GREETING "hello"\n')
    assert not tree.is_fresh("mini", "musl")
    c = tree.build_one("mini", "musl")
    assert not c.cached
    assert subprocess.run([str(c.path)], capture_output=True).stdout == b"hello\n"
    (tree.include_dir / "extra.h").write_text("/* new */\n")
    assert not tree.build_one("mini", "musl").cached
    # So is the source; and force rebuilds regardless.
    assert tree.build_one("mini", "musl").cached
    assert not tree.build_one("mini", "musl", force=True).cached
    src = tree.guest_dir / "mini.c"
    src.write_text(src.read_text() + "/* touched */\n")
    assert not tree.build_one("mini", "musl").cached
    # A stale binary with a matching stamp but deleted output is rebuilt.
    tree.output_path("mini", "musl").unlink()
    assert not tree.build_one("mini", "musl").cached


def test_stamp_covers_the_command_line(tree: Builder, monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree.stamp("mini", "musl")
    assert tree.stamp("mini", "musl") == before
    monkeypatch.setattr(tb, "COMMON_FLAGS", (*tb.COMMON_FLAGS, "-DEXTRA=1"))
    assert tree.stamp("mini", "musl") != before


def test_compiler_version_computed_once(tree: Builder, monkeypatch: pytest.MonkeyPatch) -> None:
    tree.stamp("mini", "musl")  # make sure the version is known
    calls: list[list[str]] = []
    real_run = subprocess.run

    def spy(cmd: list[str], *a: Any, **kw: Any) -> subprocess.CompletedProcess[Any]:
        calls.append(list(cmd))
        return real_run(cmd, *a, **kw)

    monkeypatch.setattr(tb.subprocess, "run", spy)
    for _ in range(3):
        tree.stamp("mini", "musl")
        tree.build_one("mini", "musl")
    assert not any("version" in c or "--version" in c for c in calls), calls


def test_build_error_carries_compiler_stderr(tree: Builder) -> None:
    (tree.guest_dir / "broken.c").write_text("int main(void) { return undeclared_thing; }\n")
    with pytest.raises(BuildError) as info:
        tree.build_one("broken", "musl")
    assert "undeclared_thing" in str(info.value)
    assert "undeclared_thing" in info.value.stderr
    assert not tree.output_path("broken", "musl").exists()


def test_unknown_guest_and_variant(tree: Builder) -> None:
    with pytest.raises(BuildError, match="no such guest"):
        tree.build_one("nope", "musl")
    with pytest.raises(BuildError, match="unknown variant"):
        tree.build_one("mini", "uclibc")
    with pytest.raises(BuildError, match="PIE_GUESTS"):
        tree.build_one("mini", "musl-pie")


def test_parallel_build_all(tree: Builder) -> None:
    for i in range(4):
        (tree.guest_dir / f"p{i}.c").write_text(
            f'#include <stdio.h>\nint main(void){{printf("{i}\\n");return 0;}}\n'
        )
    res = tree.build_all(jobs=4, variants=["musl"])
    assert {n for n, _ in res} == {"mini", "p0", "p1", "p2", "p3"}
    assert all(not r.cached for r in res.values())
    again = tree.build_all(jobs=4, variants=["musl"])
    assert all(r.cached for r in again.values())
    for i in range(4):
        assert (
            subprocess.run([str(tree.output_path(f"p{i}", "musl"))], capture_output=True).stdout
            == f"{i}\n".encode()
        )


# --------------------------------------------------------------------------- CLI


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "toolchain", *args], capture_output=True, text=True, cwd=REPO_ROOT, timeout=600
    )


def test_cli_path() -> None:
    out = _cli("--path", "hello", "musl")
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()) == toolchain.output_path("hello", "musl")


def test_cli_second_run_builds_nothing() -> None:
    first = _cli("hello", "exitcode")
    assert first.returncode == 0, first.stderr
    second = _cli("hello", "exitcode")
    assert second.returncode == 0, second.stderr
    assert "nothing to build" in second.stdout
    assert "built " not in second.stdout


def test_cli_reports_errors() -> None:
    out = _cli("no_such_guest")
    assert out.returncode == 1
    assert "no such guest" in out.stderr
