"""Instructions per getpid round trip, under emukernel and in the bare-Unicorn ceiling, counted by callgrind.

Wall-clock cells on a shared VM move by tens of percent between runs; instruction counts do not (the same
binary, input, environment and hash seed give the same count: the children run with PYTHONHASHSEED=0).
Each side runs the raw-syscall getpid guest (`bench_syscall`) at two loop counts under
`valgrind --tool=callgrind`; the difference of the totals over the difference of the counts is the cost of
one round trip, start-up cancelled.

    python -m benchmarks.instructions [--n1 20000] [--n2 60000] [--bench thread-switch ...]

Needs valgrind.  Takes a minute or two (Python under valgrind is ~50x slower).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# what one side runs: the guest at N under emukernel (as the runner times it) or in the bare machine
_CHILD = """
import sys
sys.path.insert(0, {repo!r})
from pathlib import Path
from benchmarks.runner import run_bare, run_emukernel
(run_bare if sys.argv[1] == "bare" else run_emukernel)(Path(sys.argv[2]), sys.argv[3:])
"""


def _interpreter() -> str:
    """The interpreter binary itself, not a wrapper script (pyenv shims are shell scripts valgrind would
    count); in a virtual environment its own `python` link, which is the interpreter and finds the
    environment's packages (the link's target, the base interpreter, would not)."""
    if sys.prefix != sys.base_prefix:
        return sys.executable
    return os.path.realpath(sys.executable)


def collected(side: str, guest: Path, args: list[str]) -> int:
    """Instructions callgrind counts for one whole run of `side` with the guest's arguments."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", _interpreter(),
               "-c", _CHILD.format(repo=str(REPO)), side, str(guest), *args]
        # a fixed hash seed: string hashing decides dict layouts, which moved the count by up to ±20% between
        # runs of the same code
        env = dict(os.environ, PYTHONHASHSEED="0")
        p = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
        m = re.search(r"Collected : (\d+)", p.stderr)
        if p.returncode != 0 or m is None:
            raise RuntimeError(f"callgrind run failed ({side}, {' '.join(args)}): {p.stderr[-500:]}")
        return int(m.group(1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.instructions", description=__doc__.splitlines()[0])
    ap.add_argument("--n1", type=int, default=20_000)
    ap.add_argument("--n2", type=int, default=60_000)
    ap.add_argument("--variant", default="musl")
    ap.add_argument("--bench", action="append", default=[],
                    help="also count this benchmark of `python -m benchmarks` (emukernel only, at its own two "
                         "loop counts), per operation and in getpid round trips (repeatable)")
    args = ap.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO))
    from toolchain import build

    from .runner import BY_NAME

    unknown = [b for b in args.bench if b not in BY_NAME]
    if unknown:
        ap.error(f"unknown benchmark {', '.join(unknown)} (choose from {', '.join(BY_NAME)})")
    guest = build("bench_syscall", args.variant)
    per = {}
    for side in ("bare", "emukernel"):
        a, b = collected(side, guest, [str(args.n1)]), collected(side, guest, [str(args.n2)])
        per[side] = (b - a) / (args.n2 - args.n1)
        print(f"{side:10} {per[side]:9,.0f} instructions per getpid round trip")
    print(f"emukernel/bare {per['emukernel'] / per['bare']:.2f}x (target for the getpid round trip: <= 2.00x)")
    for name in args.bench:
        bench = BY_NAME[name]
        path = build(bench.guest, args.variant)
        n1, n2 = bench.n
        a, b = collected("emukernel", path, bench.args(n1)), collected("emukernel", path, bench.args(n2))
        op = (b - a) / (n2 - n1)
        print(f"{name:16} {op:11,.0f} instructions per operation = {op / per['emukernel']:.2f} getpid round trips")
    return 0


if __name__ == "__main__":
    sys.exit(main())
