"""poll/select, epoll, eventfd, signalfd and pidfds: the fdio guest must print the same transcript natively
and under emukernel (it prints what each call returned, so the native run is the reference)."""

from __future__ import annotations

import pytest
from harness import assert_guest_ok, assert_same, run_emu, run_native


@pytest.mark.guests("fdio")
def test_fdio_native(build_guest, variant: str) -> None:
    assert_guest_ok(run_native(build_guest("fdio", variant)), f"fdio ({variant}, native)")


@pytest.mark.guests("fdio")
def test_fdio_emu_matches_native(build_guest, variant: str) -> None:
    path = build_guest("fdio", variant)
    native = run_native(path)
    assert_guest_ok(native, f"fdio ({variant}, native)")
    assert_same(native, run_emu(path))
