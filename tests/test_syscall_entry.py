"""Ways into the kernel besides a plain `syscall`, natively and under emukernel.

guest/int80.c: `int $0x80` from 64-bit code, the ia32 ABI (emukernel/entry/compat.py).
guest/sud.c: syscall user dispatch (prctl PR_SET_SYSCALL_USER_DISPATCH).  The guest checks prctl's argument rules, the SIGSYS a blocked syscall becomes (si_code, si_syscall,
si_call_addr, the frame's rax), the allowed region, and that neither fork nor exec passes the setting on.
PTRACE_GET/SET_SYSCALL_USER_DISPATCH_CONFIG is the kernel's own get_set_sud selftest
(tests/test_kselftests.py).
"""

from __future__ import annotations

import pytest
from harness import assert_guest_ok, assert_same, run_emu, run_native

ENTRY_GUESTS = (
    "sud",  # syscall user dispatch
    "int80",  # the ia32 syscall ABI from 64-bit code
)


@pytest.mark.guests(*ENTRY_GUESTS)
def test_native(build_guest, guest: str, variant: str) -> None:
    assert_guest_ok(run_native(build_guest(guest, variant)), f"{guest} ({variant}, native)")


@pytest.mark.guests(*ENTRY_GUESTS)
def test_emu_matches_native(build_guest, guest: str, variant: str) -> None:
    path = build_guest(guest, variant)
    native = run_native(path)
    assert_guest_ok(native, f"{guest} ({variant}, native)")
    assert_same(native, run_emu(path))
