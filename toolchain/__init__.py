"""toolchain: builds the guest programs (guest/*.c) into static x86-64 Linux ELFs.

    from toolchain import build
    path = build("hello", "musl")        # build/guests/musl/hello

See :mod:`toolchain.build` for the variants, flags and cache.
"""

from .build import (
    OUT_ROOT,
    PIE_GUESTS,
    VARIANTS,
    Builder,
    BuildError,
    Built,
    ElfInfo,
    available_variants,
    build,
    build_all,
    build_one,
    elf_info,
    guest_names,
    is_fresh,
    is_pie_variant,
    output_path,
    variants_for,
)

__all__ = [
    "OUT_ROOT",
    "PIE_GUESTS",
    "VARIANTS",
    "BuildError",
    "Builder",
    "Built",
    "ElfInfo",
    "available_variants",
    "build",
    "build_all",
    "build_one",
    "elf_info",
    "guest_names",
    "is_fresh",
    "is_pie_variant",
    "output_path",
    "variants_for",
]
