"""python -m toolchain [--variant V]... [-j N] [--force] [names...]
python -m toolchain --path NAME [VARIANT]

Builds guests (all of them, in every available variant, by default) and prints
which were built and which were cache hits.  ``--path`` builds one guest if
needed and prints only the path of its binary.
"""

from __future__ import annotations

import argparse
import sys
import time

from .build import (
    VARIANTS,
    BuildError,
    available_variants,
    build_all,
    build_one,
    guest_names,
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m toolchain", description="Build the guest programs.")
    p.add_argument("names", nargs="*", help="guests to build (default: all)")
    p.add_argument(
        "--variant",
        "-V",
        action="append",
        choices=VARIANTS,
        help="variant to build (repeatable; default: every available one)",
    )
    p.add_argument("-j", "--jobs", type=int, default=2, help="parallel builds (default 2)")
    p.add_argument("--force", action="store_true", help="rebuild even when the cache stamp matches")
    p.add_argument(
        "--path", action="store_true", help="print the binary path of NAME [VARIANT], building it if needed"
    )
    p.add_argument("--list", action="store_true", help="list guests and available variants")
    args = p.parse_args(argv)

    try:
        if args.list:
            print("guests:", " ".join(guest_names()))
            print("variants:", " ".join(available_variants()))
            return 0
        if args.path:
            if not 1 <= len(args.names) <= 2:
                p.error("--path takes NAME [VARIANT]")
            name = args.names[0]
            variant = args.names[1] if len(args.names) == 2 else (args.variant or ["musl"])[0]
            built = build_one(name, variant, force=args.force)
            if not built.cached:
                print(f"built {variant}/{name}", file=sys.stderr)
            print(built.path)
            return 0

        t0 = time.monotonic()
        results = build_all(args.jobs, names=args.names or None, variants=args.variant, force=args.force)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    built = [r for r in results.values() if not r.cached]
    cached = [r for r in results.values() if r.cached]
    for r in sorted(built, key=lambda r: (r.variant, r.name)):
        print(f"built  {r.variant}/{r.name} ({r.seconds:.1f}s) -> {r.path}")
        if r.warnings:
            print("  " + r.warnings.replace("\n", "\n  "))
    if built:
        print(f"{len(built)} built, {len(cached)} cached in {time.monotonic() - t0:.1f}s")
    else:
        print(f"nothing to build: all {len(cached)} up to date (cached)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
