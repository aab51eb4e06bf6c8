"""Classic BPF for seccomp filters: decoding, Linux's checks, a compiler to Python, and the action cache.

A seccomp filter is an array of `struct sock_filter` {u16 code; u8 jt; u8 jf; u32 k} run against a
`struct seccomp_data` {int nr; u32 arch; u64 instruction_pointer; u64 args[6]} (64 bytes, little-endian
on x86-64).  Linux accepts a filter in this order (kernel/seccomp.c seccomp_prepare_filter, then
net/core/filter.c bpf_prog_create_from_user and bpf_prepare_filter):

1. the length is 1..BPF_MAXINSNS (4096), else EINVAL; this comes before the no_new_privs/CAP_SYS_ADMIN
   test (EACCES) and before the program is copied in (EFAULT), so a task without no_new_privs nor the
   capability gets EINVAL for an empty or 4097-long filter, and EACCES for a bad opcode, a valid filter or
   a bad filter pointer (checked natively, as uid 65534);
2. bpf_check_classic: every opcode one classic BPF knows (the exact u16 code), no DIV/MOD by a constant 0,
   no shift by a constant >= 32, scratch index < BPF_MEMWORDS (16), jumps (forward by construction: the
   offsets are unsigned) landing inside the program, the last instruction a RET, and then
   check_load_and_stores: no load of a scratch word that some path reaches unwritten;
3. seccomp_check_filter: a narrower opcode list (no packet loads, no BPF_MOD, no LDX|MSH), and each
   LD|W|ABS must read an aligned word inside seccomp_data (k < 64, k % 4 == 0).  It rewrites the program:
   LD|W|ABS becomes LDX|W|ABS (which Linux's converter turns into a load *into A* from the context) and
   LD|W|LEN / LDX|W|LEN become loads of the constant 64.

Every refusal is EINVAL.  The classic-to-eBPF conversion that follows cannot fail for a program that got
this far (no ancillary loads, jumps within s16 after expansion), so it refuses nothing more.

Found natively (Linux 6.18, x86-64, a forked child doing prctl(PR_SET_NO_NEW_PRIVS) then
seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog)): EINVAL for an empty program, 4097 instructions, opcode 0xff,
BPF_RET|BPF_X, code 0x106 (a RET with high bits set), a JEQ whose jt or jf lands past the end, a JA past
the end or by 0xffffffff, a missing final RET, LD|W|ABS at 64 or at 2 (60 is accepted), LD|H|ABS,
LD|B|ABS, LD|W|ABS at SKF_AD_OFF (an ancillary load), LD|W|IND, LDX|B|MSH, BPF_ST to M[16], LD M[3] and
LDX M[0] never written, DIV and MOD by constant 0, MOD by a constant 3 or by X (seccomp refuses BPF_MOD
altogether), LSH by constant 32.  4096 instructions, ST then LD of M[15], RSH by 31 and LD|W|LEN are
accepted; a load of M[0] in dead code right after a JA is accepted.  Run-time semantics, read back
through SECCOMP_RET_ERRNO: LD|W|LEN and LDX|W|LEN give 64; shifts by X use X & 31 (1 << 33 == 2,
5 << 32 == 5, 0x100 >> 36 == 16); NEG of 5 is 0xfffffffb; JGT compares unsigned; DIV by X == 0 makes the
program return 0 (SECCOMP_RET_KILL_THREAD: the child dies of SIGSYS); ERRNO data above 4095 is capped at
4095 (MAX_ERRNO); an unknown action kills (SIGSYS).  And 3900 random programs of up to 200 instructions
(the test file's generator, each RET turned into a jump to an epilogue returning 12 bits of A as an
errno, run natively on getppid with random arguments): acceptance and result matched `check_filter` and
`run_filter` in every case (about 14% refused, 5% killed by DIV by X == 0).

A surprise in check_load_and_stores: it walks the program in order and the instruction after a RET
inherits the scratch words known before that RET, as if the RET could fall through.  So a valid program
whose only way to an instruction is a jump that comes after a store, placed right after a RET reached on a
path without the store, is refused (native: EINVAL); `check_filter` refuses it too.

`compile_filter` turns a checked program into a Python function with no per-instruction dispatch;
`run_filter` is the straightforward interpreter the tests check it against.  `constant_allow` and
`allowed_numbers` mirror seccomp_is_const_allow / seccomp_cache_prepare_bitmap.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import NamedTuple

from ..abi import errno as E
from ..abi.seccomp import SECCOMP_DATA_SIZE, SECCOMP_RET_ALLOW
from ..errors import Errno

# fmt: off
# instruction classes
BPF_LD   = 0x00
BPF_LDX  = 0x01
BPF_ST   = 0x02
BPF_STX  = 0x03
BPF_ALU  = 0x04
BPF_JMP  = 0x05
BPF_RET  = 0x06
BPF_MISC = 0x07
# load sizes
BPF_W = 0x00
BPF_H = 0x08
BPF_B = 0x10
# load modes
BPF_IMM = 0x00
BPF_ABS = 0x20
BPF_IND = 0x40
BPF_MEM = 0x60
BPF_LEN = 0x80
BPF_MSH = 0xa0
# ALU operations
BPF_ADD = 0x00
BPF_SUB = 0x10
BPF_MUL = 0x20
BPF_DIV = 0x30
BPF_OR  = 0x40
BPF_AND = 0x50
BPF_LSH = 0x60
BPF_RSH = 0x70
BPF_NEG = 0x80
BPF_MOD = 0x90
BPF_XOR = 0xa0
# jumps
BPF_JA   = 0x00
BPF_JEQ  = 0x10
BPF_JGT  = 0x20
BPF_JGE  = 0x30
BPF_JSET = 0x40
# operand source (ALU, JMP) and return value (RET)
BPF_K = 0x00
BPF_X = 0x08
BPF_A = 0x10
# BPF_MISC operations
BPF_TAX = 0x00
BPF_TXA = 0x80

BPF_MAXINSNS = 4096
BPF_MEMWORDS = 16
SKF_AD_OFF = -0x1000 & 0xFFFFFFFF

# struct seccomp_data
SECCOMP_DATA_NR_OFF   = 0
SECCOMP_DATA_ARCH_OFF = 4
SECCOMP_DATA_IP_OFF   = 8
SECCOMP_DATA_ARGS_OFF = 16
SECCOMP_DATA = struct.Struct("<iIQ6Q")

AUDIT_ARCH_X86_64 = 0xC000003E
AUDIT_ARCH_I386   = 0x40000003
# fmt: on

SOCK_FILTER = struct.Struct("<HBBI")
_U32 = 0xFFFFFFFF


class Insn(NamedTuple):
    """One `struct sock_filter`."""

    code: int
    jt: int
    jf: int
    k: int


def stmt(code: int, k: int = 0) -> Insn:
    """BPF_STMT: an instruction that does not jump."""
    return Insn(code, 0, 0, k & _U32)


def jump(code: int, k: int, jt: int, jf: int) -> Insn:
    """BPF_JUMP: a conditional jump, `jt`/`jf` instructions forward."""
    return Insn(code, jt, jf, k & _U32)


def parse_filter(raw: bytes) -> tuple[Insn, ...]:
    """Decode an array of `struct sock_filter` (8 bytes each); no checks beyond the size."""
    if len(raw) % SOCK_FILTER.size:
        raise Errno(E.EINVAL)
    return tuple(Insn(*t) for t in SOCK_FILTER.iter_unpack(raw))


def encode_filter(insns: Sequence[Insn]) -> bytes:
    """The inverse of `parse_filter` (what SECCOMP_GET_FILTER hands back, for the original program)."""
    return b"".join(SOCK_FILTER.pack(*i) for i in insns)


def pack_seccomp_data(nr: int, arch: int, ip: int, args: Sequence[int]) -> bytes:
    """`struct seccomp_data` as the filter (and a user-notification listener) sees it."""
    return SECCOMP_DATA.pack(nr, arch & _U32, ip & 0xFFFFFFFFFFFFFFFF, *(a & 0xFFFFFFFFFFFFFFFF for a in args))


# ---------------------------------------------------------------------------------------------------------
# Checks

_COND_JUMPS = frozenset(BPF_JMP | op | src for op in (BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET) for src in (BPF_K, BPF_X))
_ALU_OPS = (BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH)
_MEM_CODES = frozenset((BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX))

# what bpf_check_classic's chk_code_allowed accepts: exact 16-bit codes
_CLASSIC_CODES = frozenset(
    {BPF_ALU | op | src for op in _ALU_OPS for src in (BPF_K, BPF_X)}
    | {BPF_ALU | BPF_NEG}
    | {BPF_LD | size | mode for size in (BPF_W, BPF_H, BPF_B) for mode in (BPF_ABS, BPF_IND)}
    | {BPF_LD | BPF_W | BPF_LEN, BPF_LD | BPF_IMM, BPF_LD | BPF_MEM}
    | {BPF_LDX | BPF_W | BPF_LEN, BPF_LDX | BPF_B | BPF_MSH, BPF_LDX | BPF_IMM, BPF_LDX | BPF_MEM}
    | {BPF_ST, BPF_STX, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA, BPF_RET | BPF_K, BPF_RET | BPF_A}
    | {BPF_JMP | BPF_JA}
    | _COND_JUMPS
)

# what seccomp_check_filter lets through unchanged (LD|W|ABS and the two LENs it rewrites)
_SECCOMP_CODES = frozenset(
    {BPF_ALU | op | src for op in _ALU_OPS if op != BPF_MOD for src in (BPF_K, BPF_X)}
    | {BPF_ALU | BPF_NEG, BPF_RET | BPF_K, BPF_RET | BPF_A, BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM}
    | {BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA}
    | _MEM_CODES
    | {BPF_JMP | BPF_JA}
    | _COND_JUMPS
)

_LD_ABS = BPF_LD | BPF_W | BPF_ABS
_LDX_ABS = BPF_LDX | BPF_W | BPF_ABS  # the rewritten seccomp_data load: into A, despite the class


def _check_classic(insns: Sequence[Insn]) -> None:
    n = len(insns)
    for pc, (code, jt, jf, k) in enumerate(insns):
        if code not in _CLASSIC_CODES:
            raise Errno(E.EINVAL)
        if code in (BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_MOD | BPF_K):
            if k == 0:
                raise Errno(E.EINVAL)
        elif code in (BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_RSH | BPF_K):
            if k >= 32:
                raise Errno(E.EINVAL)
        elif code in _MEM_CODES:
            if k >= BPF_MEMWORDS:
                raise Errno(E.EINVAL)
        elif code == BPF_JMP | BPF_JA:
            if k >= n - pc - 1:
                raise Errno(E.EINVAL)
        elif code in _COND_JUMPS:
            if pc + jt + 1 >= n or pc + jf + 1 >= n:
                raise Errno(E.EINVAL)
        # Loads at k >= SKF_AD_OFF are Linux's socket ancillary data: refused here when unknown, and
        # refused by the seccomp pass whatever they are, so the outcome is EINVAL either way.
    if insns[-1].code not in (BPF_RET | BPF_K, BPF_RET | BPF_A):
        raise Errno(E.EINVAL)


def _check_load_and_stores(insns: Sequence[Insn]) -> None:
    """Refuse a read of a scratch word some path reaches unwritten.  Linux's walk, in program order: the
    words known written on entry to an instruction are those known after its predecessor in the array
    (even a RET) and on every jump to it; after a jump the next instruction depends only on jumps to it."""
    masks = [0xFFFF] * len(insns)
    valid = 0
    for pc, (code, jt, jf, k) in enumerate(insns):
        valid &= masks[pc]
        if code == BPF_ST or code == BPF_STX:
            valid |= 1 << k
        elif code == BPF_LD | BPF_MEM or code == BPF_LDX | BPF_MEM:
            if not valid & (1 << k):
                raise Errno(E.EINVAL)
        elif code == BPF_JMP | BPF_JA:
            masks[pc + 1 + k] &= valid
            valid = 0xFFFF
        elif code in _COND_JUMPS:
            masks[pc + 1 + jt] &= valid
            masks[pc + 1 + jf] &= valid
            valid = 0xFFFF


def _check_seccomp(insns: Sequence[Insn]) -> tuple[Insn, ...]:
    out = []
    for ins in insns:
        code, k = ins.code, ins.k
        if code == _LD_ABS:
            if k >= SECCOMP_DATA_SIZE or k & 3:
                raise Errno(E.EINVAL)
            ins = ins._replace(code=_LDX_ABS)
        elif code == BPF_LD | BPF_W | BPF_LEN:
            ins = ins._replace(code=BPF_LD | BPF_IMM, k=SECCOMP_DATA_SIZE)
        elif code == BPF_LDX | BPF_W | BPF_LEN:
            ins = ins._replace(code=BPF_LDX | BPF_IMM, k=SECCOMP_DATA_SIZE)
        elif code not in _SECCOMP_CODES:
            raise Errno(E.EINVAL)
        out.append(ins)
    return tuple(out)


def check_filter(insns: Sequence[Insn]) -> tuple[Insn, ...]:
    """Linux's checks of a seccomp filter, in Linux's order; returns the program as Linux rewrites it
    (seccomp_data loads as LDX|W|ABS, the LENs as constants).  Raises Errno(EINVAL) on any refusal.
    Keep the caller's original too: that is what SECCOMP_GET_FILTER returns and what the cache reads."""
    if not 0 < len(insns) <= BPF_MAXINSNS:
        raise Errno(E.EINVAL)
    _check_classic(insns)
    _check_load_and_stores(insns)
    return _check_seccomp(insns)


# ---------------------------------------------------------------------------------------------------------
# Running

def _data_word(k: int, nr: int, arch: int, ip: int, args: Sequence[int]) -> int:
    if k == SECCOMP_DATA_NR_OFF:
        return nr & _U32
    if k == SECCOMP_DATA_ARCH_OFF:
        return arch & _U32
    word = ip if k < SECCOMP_DATA_ARGS_OFF else args[(k - SECCOMP_DATA_ARGS_OFF) >> 3]
    return (word >> 32) & _U32 if k & 4 else word & _U32


def run_filter(insns: Sequence[Insn], nr: int, arch: int, ip: int, args: Sequence[int]) -> int:
    """Interpret a checked program instruction by instruction (the reference for `compile_filter`)."""
    a = x = 0
    mem = [0] * BPF_MEMWORDS
    pc = 0
    while True:
        code, jt, jf, k = insns[pc]
        pc += 1
        cls = code & 7
        if cls == BPF_RET:
            return a if code & BPF_A else k
        if cls == BPF_LD or cls == BPF_LDX:
            mode = code & 0xE0
            if mode == BPF_ABS:  # LD|W|ABS unchecked, LDX|W|ABS checked: both load A
                a = _data_word(k, nr, arch, ip, args)
                continue
            v = mem[k] if mode == BPF_MEM else SECCOMP_DATA_SIZE if mode == BPF_LEN else k
            if cls == BPF_LD:
                a = v
            else:
                x = v
        elif cls == BPF_ST:
            mem[k] = a
        elif cls == BPF_STX:
            mem[k] = x
        elif cls == BPF_MISC:
            if code & 0xF8 == BPF_TXA:
                a = x
            else:
                x = a
        elif cls == BPF_ALU:
            op = code & 0xF0
            v = x if code & BPF_X else k
            if op == BPF_ADD:
                a = (a + v) & _U32
            elif op == BPF_SUB:
                a = (a - v) & _U32
            elif op == BPF_MUL:
                a = (a * v) & _U32
            elif op == BPF_DIV or op == BPF_MOD:
                if v == 0:
                    return 0
                a = a // v if op == BPF_DIV else a % v
            elif op == BPF_AND:
                a &= v
            elif op == BPF_OR:
                a |= v
            elif op == BPF_XOR:
                a ^= v
            elif op == BPF_LSH:
                a = (a << (v & 31)) & _U32
            elif op == BPF_RSH:
                a >>= v & 31
            elif op == BPF_NEG:
                a = -a & _U32
        else:  # BPF_JMP
            op = code & 0xF0
            if op == BPF_JA:
                pc += k
                continue
            v = x if code & BPF_X else k
            if op == BPF_JEQ:
                taken = a == v
            elif op == BPF_JGT:
                taken = a > v
            elif op == BPF_JGE:
                taken = a >= v
            else:
                taken = bool(a & v)
            pc += jt if taken else jf


# ---------------------------------------------------------------------------------------------------------
# Compiling
#
# The program is cut into basic blocks (a block starts at 0, at every jump target and after every jump or
# RET).  Jumps only go forward, so the blocks form a DAG in program order.  The generated function runs
# block 0's code; a jump to a block that is small, or that nothing else jumps to, is written in place
# (nested `if`s); a jump to any other block sets `pc` and leaves the code it is in, and those shared blocks
# follow in program order, each under `if pc == start:`.  Every jump goes forward, so one pass over the
# shared blocks in order runs each one reached exactly when it is reached.

_SMALL = 6          # a block whose whole inlined code has at most this many lines is copied at each jump to it
_MAX_NESTING = 40   # deeper than this, even a block with a single way in becomes shared (Python's limit is 100)
_MAX_CHAIN = 150    # so does one this many blocks into a chain written in place (the generator recurses)


def _load_expr(k: int) -> str:
    if k == SECCOMP_DATA_NR_OFF:
        return "nr & 0xFFFFFFFF"
    if k == SECCOMP_DATA_ARCH_OFF:
        return "arch & 0xFFFFFFFF"
    word = "ip" if k < SECCOMP_DATA_ARGS_OFF else f"args[{(k - SECCOMP_DATA_ARGS_OFF) >> 3}]"
    return f"({word} >> 32) & 0xFFFFFFFF" if k & 4 else f"{word} & 0xFFFFFFFF"


def _straight(ins: Insn) -> list[str]:
    """Python statements for one instruction that neither jumps nor returns."""
    code, _, _, k = ins
    cls = code & 7
    if cls == BPF_LD or cls == BPF_LDX:
        reg = "A" if cls == BPF_LD else "X"
        mode = code & 0xE0
        if mode == BPF_ABS:
            return [f"A = {_load_expr(k)}"]
        if mode == BPF_MEM:
            return [f"{reg} = m{k}"]
        return [f"{reg} = {SECCOMP_DATA_SIZE if mode == BPF_LEN else k:#x}"]
    if cls == BPF_ST:
        return [f"m{k} = A"]
    if cls == BPF_STX:
        return [f"m{k} = X"]
    if cls == BPF_MISC:
        return ["A = X"] if code & 0xF8 == BPF_TXA else ["X = A"]
    op = code & 0xF0
    v = "X" if code & BPF_X else f"{k:#x}"
    if op == BPF_ADD:
        return [f"A = (A + {v}) & 0xFFFFFFFF"]
    if op == BPF_SUB:
        return [f"A = (A - {v}) & 0xFFFFFFFF"]
    if op == BPF_MUL:
        return [f"A = (A * {v}) & 0xFFFFFFFF"]
    if op == BPF_DIV or op == BPF_MOD:
        sign = "//" if op == BPF_DIV else "%"
        if code & BPF_X:
            return ["if X == 0:", "    return 0", f"A = A {sign} X"]
        return [f"A = A {sign} {v}"]
    if op == BPF_AND:
        return [f"A &= {v}"]
    if op == BPF_OR:
        return [f"A |= {v}"]
    if op == BPF_XOR:
        return [f"A ^= {v}"]
    if op == BPF_LSH:
        return ["A = (A << (X & 31)) & 0xFFFFFFFF" if code & BPF_X else f"A = (A << {k & 31}) & 0xFFFFFFFF"]
    if op == BPF_RSH:
        return ["A >>= X & 31" if code & BPF_X else f"A >>= {k & 31}"]
    return ["A = -A & 0xFFFFFFFF"]  # BPF_NEG


def _condition(ins: Insn, negate: bool) -> str:
    code, _, _, k = ins
    v = "X" if code & BPF_X else f"{k:#x}"
    op = code & 0xF0
    if op == BPF_JSET:
        return f"not A & {v}" if negate else f"A & {v}"
    sym = {BPF_JEQ: ("==", "!="), BPF_JGT: (">", "<="), BPF_JGE: (">=", "<")}[op]
    return f"A {sym[negate]} {v}"


class _Block(NamedTuple):
    body: tuple[Insn, ...]   # the instructions that neither jump nor return
    last: Insn | None        # the jump or RET that ends the block, None if it runs into the next block
    succ: tuple[int, ...]    # start of the block(s) it goes to: (), (target,) or (jt target, jf target)


def _blocks(insns: Sequence[Insn]) -> dict[int, _Block]:
    n = len(insns)
    starts = {0}
    for pc, (code, jt, jf, k) in enumerate(insns):
        cls = code & 7
        if cls == BPF_JMP:
            starts.update((pc + 1 + k,) if code == BPF_JMP | BPF_JA else (pc + 1 + jt, pc + 1 + jf))
        if (cls == BPF_JMP or cls == BPF_RET) and pc + 1 < n:
            starts.add(pc + 1)
    order = sorted(starts)
    blocks = {}
    for i, start in enumerate(order):
        end = order[i + 1] if i + 1 < len(order) else n
        last = insns[end - 1]
        cls = last.code & 7
        if cls == BPF_RET:
            blocks[start] = _Block(tuple(insns[start:end - 1]), last, ())
        elif cls == BPF_JMP:
            pc = end - 1
            if last.code == BPF_JMP | BPF_JA:
                succ: tuple[int, ...] = (pc + 1 + last.k,)
            elif last.jt == last.jf:
                succ = (pc + 1 + last.jt,)
            else:
                succ = (pc + 1 + last.jt, pc + 1 + last.jf)
            blocks[start] = _Block(tuple(insns[start:end - 1]), last, succ)
        else:
            blocks[start] = _Block(tuple(insns[start:end]), None, (end,))
    return blocks


class _Generator:
    def __init__(self, insns: Sequence[Insn]) -> None:
        blocks = _blocks(insns)
        reached = {0}
        refs: dict[int, int] = {}
        for start in sorted(blocks):  # in program order, so every way in is counted before its block
            if start in reached:
                for s in blocks[start].succ:
                    reached.add(s)
                    refs[s] = refs.get(s, 0) + 1
        self.blocks = {s: b for s, b in blocks.items() if s in reached}
        self.refs = refs
        self.size: dict[int, int] = {}
        for start in sorted(self.blocks, reverse=True):
            b = self.blocks[start]
            lines = sum(len(_straight(i)) for i in b.body) + 1
            lines += sum(self._inline_size(s) for s in b.succ) + (len(b.succ) == 2)
            self.size[start] = lines
        self.shared: set[int] = set()

    def _inline_size(self, start: int) -> int:
        return self.size[start] if self.size[start] <= _SMALL or self.refs[start] == 1 else 1

    def goto(self, start: int, depth: int, chain: int) -> tuple[list[tuple[int, str]], bool]:
        if self.size[start] <= _SMALL or (self.refs[start] == 1 and depth < _MAX_NESTING and chain < _MAX_CHAIN):
            return self.block(start, depth, chain + 1)
        self.shared.add(start)
        return [(0, f"pc = {start}")], False

    def block(self, start: int, depth: int, chain: int) -> tuple[list[tuple[int, str]], bool]:
        """The block's code as (relative indent, line) and whether every path through it returns; `depth`
        is the indentation it will have, `chain` how many blocks in place lead to it."""
        b = self.blocks[start]
        out = [(0, line) for ins in b.body for line in _straight(ins)]
        last = b.last
        if last is not None and last.code & 7 == BPF_RET:
            out.append((0, "return A" if last.code & BPF_A else f"return {last.k:#x}"))
            return out, True
        if len(b.succ) == 1:
            code, returns = self.goto(b.succ[0], depth, chain)
            return out + code, returns
        assert last is not None
        t_code, t_ret = self.goto(b.succ[0], depth + 1, chain)
        f_code, f_ret = self.goto(b.succ[1], depth + 1, chain)
        if t_ret:
            out.append((0, f"if {_condition(last, False)}:"))
            out += [(i + 1, s) for i, s in t_code] + f_code
            return out, f_ret
        if f_ret:
            out.append((0, f"if {_condition(last, True)}:"))
            out += [(i + 1, s) for i, s in f_code] + t_code
            return out, False
        out.append((0, f"if {_condition(last, False)}:"))
        out += [(i + 1, s) for i, s in t_code] + [(0, "else:")] + [(i + 1, s) for i, s in f_code]
        return out, False

    def source(self) -> str:
        lines = ["def seccomp_filter(nr, arch, ip, args):", "    A = X = 0"]
        code, returns = self.block(0, 1, 0)
        lines += ["    " * (1 + i) + s for i, s in code]
        if returns:
            return "\n".join(lines) + "\n"
        for start in sorted(self.blocks):
            if start in self.shared:
                lines.append(f"    if pc == {start}:")
                code, _ = self.block(start, 2, 0)
                lines += ["    " * (2 + i) + s for i, s in code]
        lines.append("    raise AssertionError('seccomp filter ran off its end')")
        return "\n".join(lines) + "\n"


def filter_source(insns: Sequence[Insn]) -> str:
    """The Python source `compile_filter` compiles (for reading and debugging)."""
    return _Generator(insns).source()


def compile_filter(insns: Sequence[Insn]) -> Callable[[int, int, int, Sequence[int]], int]:
    """Compile a program that passed `check_filter` into f(nr, arch, instruction_pointer, args) -> the
    filter's u32 result.  nr may be negative (it is an int in seccomp_data); ip and args are u64."""
    namespace: dict[str, object] = {}
    exec(compile(filter_source(insns), "<seccomp filter>", "exec"), namespace)
    return namespace["seccomp_filter"]  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------------------
# The action cache

def constant_allow(insns: Sequence[Insn], nr: int, arch: int) -> bool:
    """seccomp_is_const_allow: does the program return SECCOMP_RET_ALLOW for this nr and arch whatever the
    instruction pointer and arguments?  Like Linux, follow the one path nr and arch decide through loads
    of nr or arch, AND with a constant and jumps comparing A with a constant, and give up (False) on
    anything else.  Takes the original or the checked program (a seccomp_data load is LD|W|ABS in one,
    LDX|W|ABS in the other; the LENs Linux gives up on, and so on their rewritten LD|IMM)."""
    a = 0
    pc = 0
    n = len(insns)
    nr &= _U32
    arch &= _U32
    while pc < n:
        code, jt, jf, k = insns[pc]
        if code == _LD_ABS or code == _LDX_ABS:
            if k == SECCOMP_DATA_NR_OFF:
                a = nr
            elif k == SECCOMP_DATA_ARCH_OFF:
                a = arch
            else:
                return False
        elif code == BPF_RET | BPF_K:
            return k == SECCOMP_RET_ALLOW
        elif code == BPF_JMP | BPF_JA:
            pc += k
        elif code == BPF_JMP | BPF_JEQ | BPF_K:
            pc += jt if a == k else jf
        elif code == BPF_JMP | BPF_JGE | BPF_K:
            pc += jt if a >= k else jf
        elif code == BPF_JMP | BPF_JGT | BPF_K:
            pc += jt if a > k else jf
        elif code == BPF_JMP | BPF_JSET | BPF_K:
            pc += jt if a & k else jf
        elif code == BPF_ALU | BPF_AND | BPF_K:
            a &= k
        else:
            return False
        pc += 1
    return False


def allowed_numbers(insns: Sequence[Insn], arch: int, max_nr: int = 450) -> frozenset[int]:
    """The syscall numbers 0..max_nr-1 this program alone always allows on `arch` (Linux's per-filter
    bitmap before it is ANDed with the previous filter's: seccomp_cache_prepare_bitmap)."""
    return frozenset(nr for nr in range(max_nr) if constant_allow(insns, nr, arch))
