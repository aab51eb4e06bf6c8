"""The `emukernel` command."""

from __future__ import annotations

import argparse
import os
import sys

from .abi import errno as E
from .api import exit_code_of, spawn
from .errors import Errno, ExecFormatError
from .kernel import Kernel


def _bind(spec: str) -> tuple[str, str, bool]:
    parts = spec.split(":")
    if len(parts) == 2:
        return parts[0], parts[1], False
    if len(parts) == 3 and parts[2] in ("ro", "rw"):
        return parts[0], parts[1], parts[2] == "ro"
    raise argparse.ArgumentTypeError(f"--bind wants HOST:GUEST[:ro], not {spec!r}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="emukernel", description="Run static x86-64 Linux programs on a Linux "
                                "kernel written in Python, under the Unicorn CPU emulator.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a static x86-64 ELF program")
    r.add_argument("--root", metavar="DIR", help="use a host directory as the guest's / (default: a private "
                   "in-memory root holding /tmp, /dev and the program); the program starts in the current "
                   "directory when the guest can see it, else in /")
    r.add_argument("--bind", metavar="HOST:GUEST[:ro]", action="append", type=_bind, default=[],
                   help="bind a host directory into the guest (repeatable)")
    r.add_argument("--env", metavar="K=V", action="append", default=[],
                   help="set an environment variable for the guest (repeatable)")
    r.add_argument("--clearenv", action="store_true", help="start from an empty environment")
    r.add_argument("--trace", action="store_true", help="print one strace-style line per syscall on stderr")
    r.add_argument("--quiet", action="store_true", help="do not report unimplemented syscalls")
    r.add_argument("--seed", type=int, default=0, help="seed for scheduling choices and randomness")
    r.add_argument("--realtime", action="store_true", help="use the host clocks instead of virtual time")
    r.add_argument("program")
    r.add_argument("args", nargs=argparse.REMAINDER)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    env = {} if args.clearenv else dict(os.environ)
    for kv in args.env:
        k, _, v = kv.partition("=")
        env[k] = v
    try:
        kernel = Kernel(root=args.root, binds=args.bind, seed=args.seed, quiet=args.quiet,
                        trace=sys.stderr if args.trace else None, realtime=args.realtime)
    except ValueError as e:
        print(f"emukernel: {e}", file=sys.stderr)
        return 125
    program = args.program
    if args.root is None and os.path.isdir(program):
        print(f"emukernel: cannot execute {program}: Is a directory", file=sys.stderr)
        return 126
    try:
        proc = spawn(kernel, [program, *args.args], env=env, root=args.root)
    except ExecFormatError as e:
        print(f"emukernel: cannot execute {program}: {e}", file=sys.stderr)
        return 127 if e.errno == E.ENOENT else 126
    except Errno as e:
        print(f"emukernel: cannot execute {program}: {E.MESSAGES.get(e.errno, e)}", file=sys.stderr)
        return 127 if e.errno == E.ENOENT else 126
    kernel.run()
    status = proc.status
    if status is None:
        return 125
    return exit_code_of(status)


if __name__ == "__main__":
    sys.exit(main())
