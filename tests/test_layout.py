"""The layout issue 9 asked for, checked on the source: no import cycle among emukernel's modules (counting
imports made inside functions and the package modules an import loads), no import hidden in a function, no
module named after history instead of a concept."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "emukernel"


def _modules() -> dict[str, Path]:
    mods = {}
    for f in ROOT.rglob("*.py"):
        parts = f.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = f
    return mods


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test):
            skip.update(id(x) for x in ast.walk(n))
    return skip


def _imports(name: str, path: Path, mods: dict[str, Path]) -> list[tuple[ast.stmt, list[str]]]:
    """Each import statement (outside `if TYPE_CHECKING`) with the emukernel modules it loads: the target and
    every package module on the way to it."""
    tree = ast.parse(path.read_text())
    skip = _type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for n in ast.walk(tree):
        if id(n) in skip or not isinstance(n, (ast.Import, ast.ImportFrom)):
            continue
        targets: list[str] = []
        if isinstance(n, ast.ImportFrom):
            base = package.split(".")
            if n.level:
                base = base[: len(base) - n.level + 1]
                mod = ".".join(base + ([n.module] if n.module else []))
            else:
                mod = n.module or ""
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in mods else mod for a in n.names]
        else:
            targets = [a.name for a in n.names]
        loaded = []
        for t in targets:
            parts = t.split(".")
            loaded += [".".join(parts[:i]) for i in range(2, len(parts) + 1)]
        # a module's own packages are loaded before it and are not a dependency of it
        own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        out.append((n, [t for t in dict.fromkeys(loaded) if t in mods and t != name and t not in own]))
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: {t for _, ts in _imports(m, p, mods) for t in ts} for m, p in mods.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle() -> None:
    assert _cycles(_graph()) == []


def test_no_import_inside_a_function() -> None:
    found = []
    for path in _modules().values():
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found += [f"{path.relative_to(ROOT.parent)}:{n.lineno}" for n in ast.walk(fn)
                          if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert found == []


def test_modules_are_named_after_concepts() -> None:
    history = {"misc", "more", "fsmore", "info", "util", "utils", "helpers", "common_stuff"}
    assert [m for m in _modules() if m.rpartition(".")[2] in history] == []


def test_the_check_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
