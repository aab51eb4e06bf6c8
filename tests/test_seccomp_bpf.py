"""emukernel.seccomp.bpf: Linux's checks of a classic-BPF seccomp filter, the compiler checked against the
reference interpreter, and the constant-allow action cache.  The refusals are the ones found natively
(listed in the module's docstring)."""

from __future__ import annotations

import random
import time

import pytest

from emukernel.abi import errno as E
from emukernel.abi.seccomp import (
    SECCOMP_RET_ALLOW,
    SECCOMP_RET_ERRNO,
    SECCOMP_RET_KILL_PROCESS,
    SECCOMP_RET_TRAP,
)
from emukernel.errors import Errno
from emukernel.seccomp.bpf import (
    AUDIT_ARCH_I386,
    AUDIT_ARCH_X86_64,
    BPF_A,
    BPF_ABS,
    BPF_ADD,
    BPF_ALU,
    BPF_AND,
    BPF_B,
    BPF_DIV,
    BPF_H,
    BPF_IMM,
    BPF_IND,
    BPF_JA,
    BPF_JEQ,
    BPF_JGE,
    BPF_JGT,
    BPF_JMP,
    BPF_JSET,
    BPF_K,
    BPF_LD,
    BPF_LDX,
    BPF_LEN,
    BPF_LSH,
    BPF_MAXINSNS,
    BPF_MEM,
    BPF_MISC,
    BPF_MOD,
    BPF_MSH,
    BPF_MUL,
    BPF_NEG,
    BPF_OR,
    BPF_RET,
    BPF_RSH,
    BPF_ST,
    BPF_STX,
    BPF_SUB,
    BPF_TAX,
    BPF_TXA,
    BPF_W,
    BPF_X,
    BPF_XOR,
    SECCOMP_DATA_SIZE,
    SKF_AD_OFF,
    Insn,
    allowed_numbers,
    check_filter,
    compile_filter,
    constant_allow,
    encode_filter,
    filter_source,
    jump,
    pack_seccomp_data,
    parse_filter,
    run_filter,
    stmt,
)

X86_64 = AUDIT_ARCH_X86_64
X32_BIT = 0x40000000
ZERO = (0,) * 6


def ld(off: int) -> Insn:
    return stmt(BPF_LD | BPF_W | BPF_ABS, off)


def ret(k: int) -> Insn:
    return stmt(BPF_RET | BPF_K, k)


def jeq(k: int, jt: int, jf: int) -> Insn:
    return jump(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf)


def arg_lo(i: int) -> int:
    return 16 + 8 * i


def arg_hi(i: int) -> int:
    return 20 + 8 * i


# read, write, close, fstat, mmap, brk, rt_sigreturn, exit, exit_group, getpid
PLAIN = (0, 1, 3, 5, 9, 12, 15, 60, 231, 39)
IOCTL, MPROTECT = 16, 10
TCGETS, PROT_EXEC = 0x5401, 4


def allow_list() -> list[Insn]:
    """What a program (or libseccomp without optimisation) writes: check the arch, refuse x32 numbers,
    allow ten calls outright, ioctl only for TCGETS and mprotect only without PROT_EXEC (each argument
    check looking at both halves of the 64-bit argument), EPERM for the rest."""
    prog = [
        ld(4),
        jeq(X86_64, 1, 0),
        ret(SECCOMP_RET_KILL_PROCESS),
        ld(0),
        jump(BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 0, 1),
        ret(SECCOMP_RET_ERRNO | E.ENOSYS),
    ]
    tail: list[Insn] = [
        # ioctl(fd, TCGETS, ...)
        ld(arg_hi(1)),
        jeq(0, 0, 3),
        ld(arg_lo(1)),
        jeq(TCGETS, 0, 1),
        ret(SECCOMP_RET_ALLOW),
        ret(SECCOMP_RET_ERRNO | E.EPERM),
        # mprotect(addr, len, prot) with prot & PROT_EXEC == 0
        ld(arg_lo(2)),
        jump(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
        ret(SECCOMP_RET_TRAP | 7),
        ret(SECCOMP_RET_ALLOW),
    ]
    ioctl_at, mprotect_at = 0, 6
    checks = [*((n, "allow") for n in PLAIN), (IOCTL, "ioctl"), (MPROTECT, "mprotect")]
    # after the checks: [ret EPERM][ret ALLOW][tail...]
    body = []
    for i, (n, what) in enumerate(checks):
        left = len(checks) - i - 1  # checks after this one
        if what == "allow":
            body.append(jeq(n, left + 1, 0))
        else:
            body.append(jeq(n, left + 2 + (ioctl_at if what == "ioctl" else mprotect_at), 0))
    prog += body + [ret(SECCOMP_RET_ERRNO | E.EPERM), ret(SECCOMP_RET_ALLOW)] + tail
    return prog


def expect(nr: int, args: tuple[int, ...] = ZERO, arch: int = X86_64) -> int:
    """What the allow-list means, written independently of BPF."""
    if arch != X86_64:
        return SECCOMP_RET_KILL_PROCESS
    if nr & 0xFFFFFFFF >= X32_BIT:
        return SECCOMP_RET_ERRNO | E.ENOSYS
    if nr in PLAIN:
        return SECCOMP_RET_ALLOW
    if nr == IOCTL:
        return SECCOMP_RET_ALLOW if args[1] == TCGETS else SECCOMP_RET_ERRNO | E.EPERM
    if nr == MPROTECT:
        return SECCOMP_RET_TRAP | 7 if args[2] & PROT_EXEC else SECCOMP_RET_ALLOW
    return SECCOMP_RET_ERRNO | E.EPERM


# ---------------------------------------------------------------------------------------------------------
# Real filters


def test_allow_list() -> None:
    prog = check_filter(allow_list())
    f = compile_filter(prog)
    cases = [(n, ZERO) for n in range(-2, 500)] + [
        (IOCTL, (1, TCGETS, 0, 0, 0, 0)),
        (IOCTL, (1, TCGETS | 1 << 32, 0, 0, 0, 0)),
        (IOCTL, (1, 0x5402, 0, 0, 0, 0)),
        (MPROTECT, (0, 4096, 7, 0, 0, 0)),
        (MPROTECT, (0, 4096, 3 | 1 << 40, 0, 0, 0)),
        (X32_BIT | 1, ZERO),
        (-1, ZERO),
    ]
    for nr, args in cases:
        want = expect(nr, args)
        assert f(nr, X86_64, 0x401000, args) == want, (nr, args)
        assert run_filter(prog, nr, X86_64, 0x401000, args) == want, (nr, args)
    assert f(1, AUDIT_ARCH_I386, 0, ZERO) == SECCOMP_RET_KILL_PROCESS


def test_allow_list_cache() -> None:
    """The cached numbers are exactly those allowed with no look at the arguments: not ioctl nor mprotect
    (allowed for some arguments only), and nothing for another arch."""
    raw = allow_list()
    assert allowed_numbers(raw, X86_64) == frozenset(PLAIN)
    assert allowed_numbers(check_filter(raw), X86_64) == frozenset(PLAIN)  # the rewritten program too
    assert allowed_numbers(raw, AUDIT_ARCH_I386) == frozenset()
    assert not constant_allow(raw, IOCTL, X86_64)
    assert not constant_allow(raw, X32_BIT | 1, X86_64)


def test_argument_filter() -> None:
    """write only to fd 1 or 2 (the whole 64-bit fd), with fewer than 4096 bytes (looking at the low half of
    the count only, as careless filters do: 1 << 32 bytes passes)."""
    prog = check_filter([
        ld(0),
        jeq(1, 1, 0),
        ret(SECCOMP_RET_ALLOW),
        ld(arg_hi(0)),
        jeq(0, 0, 6),
        ld(arg_lo(0)),
        jeq(1, 1, 0),
        jeq(2, 0, 3),
        ld(arg_lo(2)),
        jump(BPF_JMP | BPF_JGE | BPF_K, 4096, 1, 0),
        ret(SECCOMP_RET_ALLOW),
        ret(SECCOMP_RET_ERRNO | E.EBADF),
    ])
    f = compile_filter(prog)
    for fd in (0, 1, 2, 3, 1 | 1 << 32, 2 | 1 << 63, -1):
        for count in (0, 4095, 4096, 1 << 32):
            want = SECCOMP_RET_ALLOW if fd in (1, 2) and count & 0xFFFFFFFF < 4096 else SECCOMP_RET_ERRNO | E.EBADF
            args = (fd & (1 << 64) - 1, 0, count, 0, 0, 0)
            assert f(1, X86_64, 0, args) == want, (fd, count)
            assert run_filter(prog, 1, X86_64, 0, args) == want
    assert f(0, X86_64, 0, ZERO) == SECCOMP_RET_ALLOW
    assert allowed_numbers(prog, X86_64, 10) == frozenset(range(10)) - {1}


def test_scratch_memory_and_alu() -> None:
    """Mix the six low argument words with the instruction pointer in scratch memory and return ERRNO
    with the low 12 bits of the mix."""
    prog = [stmt(BPF_LD | BPF_IMM, 0x9E3779B9), stmt(BPF_ST, 0)]
    for i in range(6):
        prog += [
            ld(arg_lo(i)),
            stmt(BPF_MISC | BPF_TAX),
            stmt(BPF_LD | BPF_MEM, 0),
            stmt(BPF_ALU | BPF_XOR | BPF_X),
            stmt(BPF_ALU | BPF_MUL | BPF_K, 0x01000193),
            stmt(BPF_ST, 0),
            stmt(BPF_ST, 1 + i),
        ]
    prog += [
        ld(12),  # the high half of the instruction pointer
        stmt(BPF_ALU | BPF_ADD | BPF_K, 7),
        stmt(BPF_MISC | BPF_TAX),
        stmt(BPF_LD | BPF_MEM, 0),
        stmt(BPF_ALU | BPF_RSH | BPF_X),  # shift by (ip_hi + 7) & 31
        stmt(BPF_LDX | BPF_MEM, 3),
        stmt(BPF_ALU | BPF_SUB | BPF_X),
        stmt(BPF_ALU | BPF_NEG),
        stmt(BPF_LDX | BPF_W | BPF_LEN),
        stmt(BPF_ALU | BPF_DIV | BPF_X),  # / 64
        stmt(BPF_ALU | BPF_AND | BPF_K, 0xFFF),
        stmt(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
        stmt(BPF_RET | BPF_A),
    ]
    checked = check_filter(prog)
    f = compile_filter(checked)
    rng = random.Random(5)
    for _ in range(500):
        args = tuple(rng.getrandbits(64) for _ in range(6))
        ip = rng.getrandbits(64)
        m = 0x9E3779B9
        words = []
        for a in args:
            m = ((m ^ (a & 0xFFFFFFFF)) * 0x01000193) & 0xFFFFFFFF
            words.append(m)
        a_ = m >> (((ip >> 32) + 7) & 31)
        a_ = -((a_ - words[2]) & 0xFFFFFFFF) & 0xFFFFFFFF
        want = SECCOMP_RET_ERRNO | (a_ // 64) & 0xFFF
        assert f(rng.randrange(500), X86_64, ip, args) == want
        assert run_filter(checked, 0, X86_64, ip, args) == want


# ---------------------------------------------------------------------------------------------------------
# Linux's checks

ALLOW = ret(SECCOMP_RET_ALLOW)

REFUSED = {
    "empty": [],
    "4097 instructions": [ALLOW] * (BPF_MAXINSNS + 1),
    "opcode 0xff": [stmt(0xFF), ALLOW],
    "RET|X": [stmt(BPF_RET | BPF_X), ALLOW],
    "RET with high code bits": [stmt(0x106, SECCOMP_RET_ALLOW)],
    "jt past the end": [jeq(0, 1, 0), ALLOW],
    "jf past the end": [jeq(0, 0, 5), ALLOW],
    "JA past the end": [stmt(BPF_JMP | BPF_JA, 1), ALLOW],
    "JA backward (0xffffffff)": [stmt(BPF_JMP | BPF_JA, 0xFFFFFFFF), ALLOW],
    "no final RET": [ALLOW, stmt(BPF_LD | BPF_IMM, 0)],
    "load at 64": [ld(64), ALLOW],
    "load at 2": [ld(2), ALLOW],
    "LD|H|ABS": [stmt(BPF_LD | BPF_H | BPF_ABS, 0), ALLOW],
    "LD|B|ABS": [stmt(BPF_LD | BPF_B | BPF_ABS, 0), ALLOW],
    "ancillary load": [ld(SKF_AD_OFF), ALLOW],
    "LD|W|IND": [stmt(BPF_LD | BPF_W | BPF_IND), ALLOW],
    "LDX|B|MSH": [stmt(BPF_LDX | BPF_B | BPF_MSH), ALLOW],
    "ST to M[16]": [stmt(BPF_ST, 16), ALLOW],
    "STX to M[16]": [stmt(BPF_STX, 16), ALLOW],
    "LD M[3] unwritten": [stmt(BPF_LD | BPF_MEM, 3), ALLOW],
    "LDX M[0] unwritten": [stmt(BPF_LDX | BPF_MEM, 0), ALLOW],
    "DIV by constant 0": [stmt(BPF_ALU | BPF_DIV | BPF_K, 0), ALLOW],
    "MOD by constant 0": [stmt(BPF_ALU | BPF_MOD | BPF_K, 0), ALLOW],
    "MOD by constant 3": [stmt(BPF_ALU | BPF_MOD | BPF_K, 3), ALLOW],
    "MOD by X": [stmt(BPF_ALU | BPF_MOD | BPF_X), ALLOW],
    "LSH by constant 32": [stmt(BPF_ALU | BPF_LSH | BPF_K, 32), ALLOW],
    "RSH by constant 40": [stmt(BPF_ALU | BPF_RSH | BPF_K, 40), ALLOW],
    "LDX|W|ABS from the user": [stmt(BPF_LDX | BPF_W | BPF_ABS, 0), ALLOW],
    "M[0] written on one path only": [jeq(1, 0, 1), stmt(BPF_ST, 0), stmt(BPF_LD | BPF_MEM, 0), ALLOW],
    # valid, but Linux's in-order walk lets insn 3 (a RET) pass its unwritten M[0] on to insn 4, which only
    # the JA at 2 reaches, after the store at 1
    "M[0] after a RET (Linux's walk)": [
        jeq(1, 0, 2),
        stmt(BPF_ST, 0),
        stmt(BPF_JMP | BPF_JA, 1),
        ALLOW,
        stmt(BPF_LD | BPF_MEM, 0),
        ALLOW,
    ],
}

ACCEPTED = {
    "4096 instructions": [ALLOW] * BPF_MAXINSNS,
    "load at 60": [ld(60), ALLOW],
    "M[15]": [stmt(BPF_ST, 15), stmt(BPF_LD | BPF_MEM, 15), ALLOW],
    "RSH by constant 31": [stmt(BPF_ALU | BPF_RSH | BPF_K, 31), ALLOW],
    "LD|W|LEN": [stmt(BPF_LD | BPF_W | BPF_LEN), ALLOW],
    "unwritten M[0] in dead code after a JA": [stmt(BPF_JMP | BPF_JA, 1), stmt(BPF_LD | BPF_MEM, 0), ALLOW],
    "M[0] written on both paths": [
        jeq(1, 0, 2),
        stmt(BPF_ST, 0),
        stmt(BPF_JMP | BPF_JA, 1),
        stmt(BPF_STX, 0),
        stmt(BPF_LD | BPF_MEM, 0),
        stmt(BPF_RET | BPF_A),
    ],
}


@pytest.mark.parametrize("name", REFUSED)
def test_refused(name: str) -> None:
    with pytest.raises(Errno) as e:
        check_filter(REFUSED[name])
    assert e.value.errno == E.EINVAL


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted(name: str) -> None:
    prog = check_filter(ACCEPTED[name])
    f = compile_filter(prog)
    for nr in (0, 1, 2):
        assert f(nr, X86_64, 0, ZERO) == run_filter(prog, nr, X86_64, 0, ZERO)


def test_rewrites() -> None:
    prog = check_filter([ld(8), stmt(BPF_LD | BPF_W | BPF_LEN), stmt(BPF_LDX | BPF_W | BPF_LEN), ALLOW])
    assert prog == (
        Insn(BPF_LDX | BPF_W | BPF_ABS, 0, 0, 8),
        Insn(BPF_LD | BPF_IMM, 0, 0, SECCOMP_DATA_SIZE),
        Insn(BPF_LDX | BPF_IMM, 0, 0, SECCOMP_DATA_SIZE),
        ALLOW,
    )


def test_parse_and_encode() -> None:
    prog = allow_list()
    raw = encode_filter(prog)
    assert len(raw) == 8 * len(prog)
    assert parse_filter(raw) == tuple(prog)
    assert parse_filter(bytes.fromhex("060000000000ff7f")) == (ALLOW,)
    with pytest.raises(Errno):
        parse_filter(raw[:-1])
    data = pack_seccomp_data(-1, X86_64, 0x401000, (1, 2, 3, 4, 5, 1 << 63))
    assert len(data) == SECCOMP_DATA_SIZE
    assert data[:8] == bytes.fromhex("ffffffff3e0000c0")


# ---------------------------------------------------------------------------------------------------------
# Run-time semantics (the values are the native findings)


def errno_of_a(*body: Insn) -> int:
    prog = check_filter([*body, stmt(BPF_ALU | BPF_AND | BPF_K, 0xFFF),
                         stmt(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO), stmt(BPF_RET | BPF_A)])
    got = compile_filter(prog)(39, X86_64, 0, ZERO)
    assert got == run_filter(prog, 39, X86_64, 0, ZERO)
    return got & 0xFFFF


def test_semantics() -> None:
    imm = stmt(BPF_LD | BPF_IMM, 1)
    assert errno_of_a(stmt(BPF_LD | BPF_W | BPF_LEN)) == 64
    assert errno_of_a(stmt(BPF_LDX | BPF_W | BPF_LEN), stmt(BPF_MISC | BPF_TXA)) == 64
    assert errno_of_a(imm, stmt(BPF_LDX | BPF_IMM, 33), stmt(BPF_ALU | BPF_LSH | BPF_X)) == 2
    assert errno_of_a(stmt(BPF_LD | BPF_IMM, 5), stmt(BPF_LDX | BPF_IMM, 32), stmt(BPF_ALU | BPF_LSH | BPF_X)) == 5
    assert errno_of_a(stmt(BPF_LD | BPF_IMM, 0x100), stmt(BPF_LDX | BPF_IMM, 36),
                      stmt(BPF_ALU | BPF_RSH | BPF_X)) == 16
    assert errno_of_a(stmt(BPF_LD | BPF_IMM, 5), stmt(BPF_ALU | BPF_NEG), stmt(BPF_ALU | BPF_RSH | BPF_K, 20)) == 0xFFF
    assert errno_of_a(ld(0)) == 39
    # DIV by X == 0: the program returns 0 (SECCOMP_RET_KILL_THREAD)
    prog = check_filter([stmt(BPF_LD | BPF_IMM, 7), stmt(BPF_ALU | BPF_DIV | BPF_X), ALLOW])
    assert compile_filter(prog)(0, X86_64, 0, ZERO) == 0 == run_filter(prog, 0, X86_64, 0, ZERO)
    # unsigned comparisons, and nr as an int: -1 loads as 0xffffffff
    prog = check_filter([ld(0), jump(BPF_JMP | BPF_JGT | BPF_K, 0x80000000, 0, 1), ret(1), ret(2)])
    f = compile_filter(prog)
    assert f(-1, X86_64, 0, ZERO) == 1
    assert f(5, X86_64, 0, ZERO) == 2
    # the 64-bit fields: low word at the lower offset
    for off, want in ((8, 0x55667788), (12, 0x11223344), (arg_lo(5), 0xDDCCBBAA), (arg_hi(5), 0x99)):
        prog = check_filter([ld(off), stmt(BPF_RET | BPF_A)])
        args = (0, 0, 0, 0, 0, 0x99_DDCCBBAA)
        assert compile_filter(prog)(0, X86_64, 0x11223344_55667788, args) == want


def test_constant_allow_gives_up() -> None:
    assert constant_allow([ALLOW], 5, X86_64)
    assert not constant_allow([ret(SECCOMP_RET_ALLOW | 1)], 5, X86_64)  # data bits: not ALLOW exactly
    assert not constant_allow([stmt(BPF_LD | BPF_IMM, SECCOMP_RET_ALLOW), stmt(BPF_RET | BPF_A)], 5, X86_64)
    assert not constant_allow([ld(16), ALLOW], 5, X86_64)  # loads an argument, even if it does not matter
    assert not constant_allow([stmt(BPF_LD | BPF_W | BPF_LEN), ALLOW], 5, X86_64)
    assert not constant_allow([ld(0), jump(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 0), ALLOW], 5, X86_64)
    # JSET, AND and JA are followed
    prog = [ld(0), stmt(BPF_ALU | BPF_AND | BPF_K, 0xF0), jump(BPF_JMP | BPF_JSET | BPF_K, 0x10, 1, 0),
            stmt(BPF_JMP | BPF_JA, 1), ALLOW, ret(SECCOMP_RET_ERRNO)]
    assert allowed_numbers(check_filter(prog), X86_64, 64) == frozenset(
        n for n in range(64) if n & 0x10)
    assert allowed_numbers(prog, X86_64, 64) == frozenset(n for n in range(64) if n & 0x10)


# ---------------------------------------------------------------------------------------------------------
# The compiler against the interpreter

POOL = (0, 1, 2, 3, 4, 7, 31, 32, 33, 39, 60, 64, 0xFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, X86_64)


def random_program(rng: random.Random, length: int, rets: float = 0.06, prefill: bool = False) -> list[Insn]:
    """A random program in the seccomp subset, which often passes `check_filter`; `rets` is the share of
    RETs; `prefill` writes every scratch word first (a long program otherwise always reads one unwritten)."""
    def k() -> int:
        return rng.choice(POOL) if rng.random() < 0.7 else rng.getrandbits(32)

    def hop(room: int) -> int:  # mostly short, so that most of a long program is reachable
        return rng.randint(0, room if rng.random() < 0.05 else min(room, 12))

    prog: list[Insn] = []
    stored: set[int] = set()
    if prefill:
        prog = [stmt(BPF_LD | BPF_IMM, k())] + [stmt(BPF_ST, i) for i in range(16)]
        stored = set(range(16))
    for pc in range(len(prog), length - 1):
        room = length - pc - 2  # the farthest a jump from here may go
        r = rng.random()
        if r < 0.15:
            prog.append(ld(rng.randrange(16) * 4))
        elif r < 0.2:
            prog.append(stmt(rng.choice((BPF_LD, BPF_LDX)) | rng.choice((BPF_IMM, BPF_W | BPF_LEN)), k()))
        elif r < 0.45:
            op = rng.choice((BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_XOR, BPF_LSH, BPF_RSH))
            if rng.random() < 0.5:
                prog.append(stmt(BPF_ALU | op | BPF_X))
            else:
                kk = rng.randrange(32) if op in (BPF_LSH, BPF_RSH) else k() or 1 if op == BPF_DIV else k()
                prog.append(stmt(BPF_ALU | op | BPF_K, kk))
        elif r < 0.48:
            prog.append(stmt(BPF_ALU | BPF_NEG))
        elif r < 0.53:
            prog.append(stmt(BPF_MISC | rng.choice((BPF_TAX, BPF_TXA))))
        elif r < 0.6:
            slot = rng.randrange(16)
            stored.add(slot)
            prog.append(stmt(rng.choice((BPF_ST, BPF_STX)), slot))
        elif r < 0.65 and stored:
            prog.append(stmt(rng.choice((BPF_LD, BPF_LDX)) | BPF_MEM, rng.choice(sorted(stored))))
        elif r < 0.85 and room > 0:
            op = rng.choice((BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET))
            src = rng.choice((BPF_K, BPF_X))
            prog.append(jump(BPF_JMP | op | src, k(), hop(min(room, 255)), hop(min(room, 255))))
        elif r < 0.88 and room > 0:
            prog.append(stmt(BPF_JMP | BPF_JA, hop(min(room, 255))))
        elif r < 0.88 + rets:
            prog.append(stmt(BPF_RET | BPF_A) if rng.random() < 0.5 else ret(k()))
        else:
            prog.append(stmt(BPF_ALU | BPF_ADD | BPF_K, k()))
    prog.append(stmt(BPF_RET | BPF_A))
    return prog


def random_input(rng: random.Random) -> tuple[int, int, int, tuple[int, ...]]:
    def word() -> int:
        r = rng.random()
        if r < 0.4:
            return rng.choice(POOL)
        if r < 0.6:
            return rng.choice(POOL) << 32 | rng.choice(POOL)
        return rng.getrandbits(64)

    nr = rng.choice((0, 1, 2, 39, 60, 64, -1, 0x40000001, rng.randrange(500)))
    arch = rng.choice((X86_64, AUDIT_ARCH_I386, 0))
    return nr, arch, word(), tuple(word() for _ in range(6))


def test_compiled_matches_interpreter() -> None:
    rng = random.Random(11)
    programs = 0
    while programs < 400:
        try:
            prog = check_filter(random_program(rng, rng.choice((2, 5, 10, 30, 80, 300)), prefill=rng.random() < 0.3))
        except Errno:
            continue
        programs += 1
        f = compile_filter(prog)
        for _ in range(25):
            nr, arch, ip, args = random_input(rng)
            want = run_filter(prog, nr, arch, ip, args)
            assert 0 <= want <= 0xFFFFFFFF
            got = f(nr, arch, ip, args)
            assert got == want, (prog, nr, arch, ip, args, filter_source(prog))


def test_shared_blocks_and_deep_nesting() -> None:
    """A long chain of diamonds (both sides rejoin), tests nested deeper than the nesting limit and chains
    of thousands of blocks compile and agree with the interpreter."""
    diamonds: list[Insn] = [ld(16), stmt(BPF_ST, 0)]
    for i in range(300):
        diamonds += [
            jump(BPF_JMP | BPF_JSET | BPF_K, 1 << (i % 32), 0, 3),
            stmt(BPF_LD | BPF_MEM, 0), stmt(BPF_ALU | BPF_ADD | BPF_K, i), stmt(BPF_JMP | BPF_JA, 2),
            stmt(BPF_LD | BPF_MEM, 0), stmt(BPF_ALU | BPF_XOR | BPF_K, i * 7919),
            stmt(BPF_ST, 0), stmt(BPF_ALU | BPF_RSH | BPF_K, 1), stmt(BPF_ST, 0),
        ]
    diamonds.append(stmt(BPF_RET | BPF_A))
    # a comb: test i goes on to test i+1 (its only way in) or to leaf i (its only way in), and every leaf and
    # the deepest point jump to a common end too long to copy: if/else nested 80 deep
    depth = 80
    leaves_at = 1 + depth + 2
    end = leaves_at + 2 * depth
    nested: list[Insn] = [ld(0)]
    for i in range(depth):
        nested.append(jump(BPF_JMP | BPF_JGT | BPF_K, i, 0, leaves_at + 2 * i - (1 + i) - 1))
    nested += [stmt(BPF_ALU | BPF_ADD | BPF_K, 1000), stmt(BPF_JMP | BPF_JA, end - (1 + depth + 1) - 1)]
    for i in range(depth):
        pc = leaves_at + 2 * i
        nested += [stmt(BPF_ALU | BPF_ADD | BPF_K, i * 3), stmt(BPF_JMP | BPF_JA, end - (pc + 1) - 1)]
    assert len(nested) == end
    nested += [stmt(BPF_ALU | BPF_MUL | BPF_K, 3), stmt(BPF_ALU | BPF_ADD | BPF_K, 1)] * 4
    nested.append(stmt(BPF_RET | BPF_A))
    # chains of blocks with one way in each, longer than Python's recursion limit if written in place
    ja_chain = [stmt(BPF_JMP | BPF_JA, 0)] * (BPF_MAXINSNS - 1) + [ALLOW]
    add_chain = [stmt(BPF_ALU | BPF_ADD | BPF_K, 1), stmt(BPF_JMP | BPF_JA, 0)] * 2047 + [stmt(BPF_RET | BPF_A)]
    same_targets = [ld(0)] + [jeq(7, 0, 0), stmt(BPF_ALU | BPF_ADD | BPF_K, 1)] * 2047 + [stmt(BPF_RET | BPF_A)]
    rng = random.Random(3)
    for raw in (diamonds, nested, ja_chain, add_chain, same_targets):
        prog = check_filter(raw)
        f = compile_filter(prog)
        for _ in range(50):
            nr, arch, ip, args = random_input(rng)
            nr = rng.randrange(100)
            assert f(nr, arch, ip, args) == run_filter(prog, nr, arch, ip, args)


def test_compile_time_of_a_4096_instruction_program() -> None:
    prog = check_filter(random_program(random.Random(7), BPF_MAXINSNS, rets=0.002, prefill=True))
    chain = [ld(0)] + [i for n in range(2046) for i in (jeq(n, 0, 1), ALLOW)] + [ret(0)]
    for name, p in (("random", prog), ("jeq chain", check_filter(chain))):
        t0 = time.perf_counter()
        f = compile_filter(p)
        t1 = time.perf_counter()
        n = 2000
        for i in range(n):
            f(i % 500, X86_64, 0, ZERO)
        t2 = time.perf_counter()
        print(f"\n{name}: compiled {len(p)} instructions in {(t1 - t0) * 1e3:.1f} ms "
              f"({len(filter_source(p).splitlines())} lines); {(t2 - t1) / n * 1e6:.2f} us per run")
        for i in range(20):
            assert f(i, X86_64, 0, ZERO) == run_filter(p, i, X86_64, 0, ZERO)


# libseccomp 2.5.4's export (seccomp_export_bpf) of: default SCMP_ACT_ERRNO(EPERM); allow the ten PLAIN calls;
# allow ioctl with arg1 == TCGETS; allow mprotect with (arg2 & PROT_EXEC) == 0
LIBSECCOMP = bytes.fromhex(
    "20000000040000001500001b3e0000c02000000000000000350000010000004015000018ffffffff1500160000000000"
    "1500150001000000150014000300000015001300050000001500120009000000150011000c000000150010000f000000"
    "15000f002700000015000e003c00000015000d00e7000000150000060a00000020000000240000005400000000000000"
    "15000008000000002000000020000000540000000400000015000605000000001500000410000000200000001c000000"
    "1500000200000000200000001800000015000100015400000600000001000500060000000000ff7f0600000000000000"
)


def test_libseccomp_filter() -> None:
    raw = parse_filter(LIBSECCOMP)
    prog = check_filter(raw)
    f = compile_filter(prog)

    def want(nr: int, args: tuple[int, ...], arch: int = X86_64) -> int:
        if arch != X86_64 or X32_BIT <= nr & 0xFFFFFFFF != 0xFFFFFFFF:
            return 0  # libseccomp's default bad-arch action, and its x32 guard: SECCOMP_RET_KILL_THREAD
        if nr in PLAIN or nr == IOCTL and args[1] == TCGETS or nr == MPROTECT and not args[2] & PROT_EXEC:
            return SECCOMP_RET_ALLOW
        return SECCOMP_RET_ERRNO | E.EPERM

    rng = random.Random(1)
    for nr in [*range(-1, 460), X32_BIT, X32_BIT | 1]:
        for _ in range(3):
            args = tuple(rng.choice((0, TCGETS, 4, 7, 3, 1 << 32 | TCGETS, rng.getrandbits(64))) for _ in range(6))
            for arch in (X86_64, AUDIT_ARCH_I386):
                assert f(nr, arch, 0, args) == want(nr, args, arch) == run_filter(prog, nr, arch, 0, args)
    assert allowed_numbers(raw, X86_64) == frozenset(PLAIN)
    assert allowed_numbers(raw, AUDIT_ARCH_I386) == frozenset()
