"""The initial process stack, laid out as Linux's exec does (fs/exec.c copy_strings, binfmt_elf.c
create_elf_tables): strings at the top (execfn highest, then envp, then argv), the platform string and
AT_RANDOM bytes below them, then a 16-byte aligned block of argc, argv[], NULL, envp[], NULL, auxv.
"""

from __future__ import annotations

import struct

from ..mm import STACK_TOP

AT_NULL, AT_IGNORE, AT_EXECFD, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE = 0, 1, 2, 3, 4, 5, 6, 7
AT_FLAGS, AT_ENTRY, AT_NOTELF, AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM = 8, 9, 10, 11, 12, 13, 14, 15
AT_HWCAP, AT_CLKTCK, AT_SECURE, AT_BASE_PLATFORM, AT_RANDOM, AT_HWCAP2 = 16, 17, 23, 24, 25, 26
AT_EXECFN, AT_SYSINFO_EHDR, AT_MINSIGSTKSZ = 31, 33, 51

# CPUID.1:EDX of the emulated CPU model (what Linux puts in AT_HWCAP on x86) and HWCAP2_FSGSBASE
HWCAP_X86 = 0x178BFBFF
HWCAP2_X86 = 0x2
PLATFORM = b"x86_64"
CLK_TCK = 100
MAX_ARG_STRLEN = 32 * 4096  # Linux: include/uapi/linux/binfmts.h


def build_stack(mm, argv: list[bytes], envp: list[bytes], execfn: bytes, image, creds,
                random16: bytes, secure: bool = False) -> int:
    """Write the initial stack into mm's [stack] VMA; returns the initial rsp (pointing at argc)."""
    p = STACK_TOP - 8  # Linux leaves one NULL word at the very top
    strings = []  # (address, bytes) to write

    def push_string(s: bytes) -> int:
        nonlocal p
        p -= len(s) + 1
        strings.append((p, s + b"\0"))
        return p

    execfn_addr = push_string(execfn)
    env_addrs = [push_string(s) for s in reversed(envp)][::-1]
    arg_addrs = [push_string(s) for s in reversed(argv)][::-1]
    mm.arg_start = arg_addrs[0] if arg_addrs else p
    mm.arg_end = (env_addrs[0] if env_addrs else execfn_addr)
    mm.env_start = env_addrs[0] if env_addrs else execfn_addr
    mm.env_end = execfn_addr
    p &= ~0xF  # arch_align_stack without randomisation
    platform_addr = push_string(PLATFORM)
    p -= 16
    random_addr = p
    strings.append((random_addr, random16))
    auxv = [
        (AT_HWCAP, HWCAP_X86), (AT_PAGESZ, 4096), (AT_CLKTCK, CLK_TCK), (AT_PHDR, image.phdr),
        (AT_PHENT, 56), (AT_PHNUM, image.phnum), (AT_BASE, 0), (AT_FLAGS, 0), (AT_ENTRY, image.entry),
        (AT_UID, creds.uid), (AT_EUID, creds.euid), (AT_GID, creds.gid), (AT_EGID, creds.egid),
        (AT_SECURE, int(secure)), (AT_RANDOM, random_addr), (AT_HWCAP2, HWCAP2_X86), (AT_EXECFN, execfn_addr),
        (AT_PLATFORM, platform_addr), (AT_NULL, 0),
    ]
    words = [len(argv), *arg_addrs, 0, *env_addrs, 0]
    for k, v in auxv:
        words += [k, v]
    sp = (p - len(words) * 8) & ~0xF
    mm.start_stack = sp
    table = struct.pack(f"<{len(words)}Q", *words)
    # the stack VMA must cover everything from sp up; grow it if the arguments are large
    if mm.find_vma(sp) is None:
        mm.expand_stack(sp)
    mm.poke(sp, table)
    for addr, data in strings:
        mm.poke(addr, data)
    return sp
