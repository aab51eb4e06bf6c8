"""Shared fixtures: guests built on demand, and the guest x variant parametrisation.

* ``build_guest(name, variant)`` (session fixture) builds a guest if its cache
  stamp is stale and returns the binary's path.
* A test that takes a ``variant`` argument is run once per available variant.
  Mark it ``@pytest.mark.guests("hello", ...)``: pie variants are then included
  only when every named guest is in ``PIE_GUESTS``.  A test that takes both
  ``guest`` and ``variant`` arguments is parametrised over every (guest, variant)
  pair of the marked guests, pie variants only for the PIE_GUESTS among them.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
for _p in (str(REPO_ROOT), str(Path(__file__).resolve().parent)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from toolchain import PIE_GUESTS, available_variants, build, is_pie_variant  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "guests(*names): the guest programs a test runs; selects the variants it is parametrised over",
    )


def variants_for_guests(names: list[str] | tuple[str, ...]) -> list[str]:
    """Available variants; pie ones only if every guest named is in PIE_GUESTS."""
    return [v for v in available_variants() if not is_pie_variant(v) or (names and set(names) <= PIE_GUESTS)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "variant" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("guests")
    names: tuple[str, ...] = tuple(marker.args) if marker else ()
    already = {name for m in metafunc.definition.iter_markers("parametrize") for name in _argnames(m)}
    if "variant" in already:
        return
    if "guest" in metafunc.fixturenames and "guest" not in already:
        if not names:
            raise pytest.UsageError(
                f"{metafunc.function.__name__}: takes 'guest' but has no @pytest.mark.guests(...)"
            )
        pairs = [(g, v) for g in names for v in variants_for_guests((g,))]
        metafunc.parametrize(("guest", "variant"), pairs, ids=[f"{g}-{v}" for g, v in pairs])
    else:
        metafunc.parametrize("variant", variants_for_guests(names))


def _argnames(mark: pytest.Mark) -> list[str]:
    names = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
    if isinstance(names, str):
        return [n.strip() for n in names.split(",") if n.strip()]
    return list(names)


@pytest.fixture(scope="session")
def build_guest() -> Callable[[str, str], Path]:
    """Build a guest on demand (cached on disk by the toolchain, and per session here)."""
    done: dict[tuple[str, str], Path] = {}
    lock = threading.Lock()

    def _build(name: str, variant: str = "musl") -> Path:
        with lock:
            if (name, variant) not in done:
                done[(name, variant)] = build(name, variant)
            return done[(name, variant)]

    return _build
