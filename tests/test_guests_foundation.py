"""Foundation guests: native and emukernel runs must print the same bytes and end the same way.

The ``*_native_*`` tests check the guests themselves on the host (they need no
emulator).  The ``*_emu*`` tests need ``emukernel.api`` and fail, deliberately,
while it does not exist.
"""

from __future__ import annotations

import os
import signal

import pytest
from harness import Result, assert_same, run_emu, run_emu_cli, run_native

import toolchain

FOUNDATION = ("hello", "auxv", "smoke", "clock", "segv", "abort", "exitcode", "spin", "getpid_loop")

#: An environment with a few extra variables, in a fixed order, for the auxv guest.
AUXV_ENV = {
    "PATH": "/bin:/usr/bin",
    "LANG": "C",
    "HOME": "/nonexistent",
    "EMPTY": "",
    "SPACED": "a b  c",
    "Z": "1",
}


def cases(guest: str, variant: str) -> list[tuple[tuple[str, ...], dict[str, str] | None]]:
    """(args, env) pairs to run a guest with; env None means the harness default."""
    if guest == "auxv":
        return [((), None), (("a1", "two words", "", "--flag=x"), AUXV_ENV), ((), {})]
    if guest == "smoke":
        return [((variant,), None)]  # the tag keeps /tmp paths apart between variants
    if guest == "exitcode":
        return [(("0",), None), (("1",), None), (("42",), None), (("255",), None), (("256",), None)]
    if guest == "spin":
        return [(("20000",), None)]
    if guest == "getpid_loop":
        return [(("2000",), None)]
    return [((), None)]


def expect_outcome(guest: str, args: tuple[str, ...], r: Result) -> None:
    """What each guest must do (checked on the native run, so a broken guest is caught)."""
    if guest == "segv":
        assert r.signaled and r.termsig == signal.SIGSEGV, r.describe()
        assert r.stdout == b"about to fault\n"
    elif guest == "abort":
        assert r.signaled and r.termsig == signal.SIGABRT, r.describe()
        assert r.stdout == b"about to abort\n"
    elif guest == "exitcode":
        assert r.exited and os.WEXITSTATUS(r.status) == int(args[0]) & 0xFF, r.describe()
        assert r.exit_code == int(args[0]) & 0xFF
    else:
        assert r.exited and r.exit_code == 0, f"{r.describe()}\n{r.stdout.decode(errors='replace')}"
        assert b"FAIL" not in r.stdout
    if guest == "hello":
        assert r.stdout == b"hello, world\n"
    if guest == "getpid_loop":
        assert r.stdout == b"done\n"
    if guest == "spin":
        assert r.stdout.startswith(b"spin 20000 -> ")


@pytest.mark.guests(*FOUNDATION)
def test_native(build_guest, guest: str, variant: str) -> None:
    path = build_guest(guest, variant)
    for args, env in cases(guest, variant):
        expect_outcome(guest, args, run_native(path, args, env))


@pytest.mark.parametrize("guest", FOUNDATION)
def test_native_transcripts_agree_across_variants(build_guest, guest: str) -> None:
    """musl, glibc and their pie builds print the same bytes (argv[0] and the ELF type aside)."""
    ref_path = build_guest(guest, "musl")
    for variant in toolchain.variants_for(guest):
        if variant == "musl":
            continue
        path = build_guest(guest, variant)
        for args, env in cases(guest, "musl"):
            ref, got = run_native(ref_path, args, env), run_native(path, args, env)
            ref_out = ref.stdout.replace(str(ref_path).encode(), b"GUEST")
            got_out = got.stdout.replace(str(path).encode(), b"GUEST")
            if guest == "auxv" and toolchain.is_pie_variant(variant):
                ref_out = ref_out.replace(b"ELF type ET_EXEC, bias zero", b"ELF type ET_DYN, bias nonzero")
            assert ref_out == got_out, f"{variant} differs from musl for {guest} {args}"
            assert ref.exit_code == got.exit_code


@pytest.mark.guests(*FOUNDATION)
def test_emu_matches_native(build_guest, guest: str, variant: str) -> None:
    path = build_guest(guest, variant)
    for args, env in cases(guest, variant):
        native = run_native(path, args, env)
        expect_outcome(guest, args, native)
        emu = run_emu(path, args, env)
        assert_same(native, emu)


@pytest.mark.guests("hello", "segv", "abort", "exitcode")
def test_emu_cli_exit_codes(build_guest, guest: str, variant: str) -> None:
    """``python -m emukernel run`` exits like a shell reports the guest: 139 for SIGSEGV, 134 for SIGABRT."""
    path = build_guest(guest, variant)
    want = {"hello": 0, "segv": 128 + 11, "abort": 128 + 6, "exitcode": 42}[guest]
    args = ("42",) if guest == "exitcode" else ()
    native = run_native(path, args)
    assert native.exit_code == want
    cli = run_emu_cli(path, args)
    assert cli.exit_code == want, f"{cli.describe()}\nstderr: {cli.stderr.decode(errors='replace')[-2000:]}"
    assert cli.stdout == native.stdout
