"""The import graph of ``src/binnr``: no cycles between files, and no import from a lower layer
to a higher one. Every import counts, also those inside function bodies."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

#: Lowest first. A module may import its own layer and the layers before it, never after.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("binnr", "binnr.errors", "binnr.settings", "binnr.progress", "binnr.children"),
    ("binnr.warehouse", "binnr.prep"),
    ("binnr.models",),
    ("binnr.backends",),
    ("binnr.params",),
    ("binnr.jobs",),
    ("binnr.services",),
    ("binnr.api",),
    ("binnr.client",),
    ("binnr.cli",),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((SRC / "binnr").rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """binnr modules that ``name`` imports (``from x import y`` counts ``x.y`` if a module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m in known and m != name}


def layer_of(name: str) -> int:
    """The layer of the longest prefix naming ``name`` (``binnr`` alone is the package root)."""
    best, depth = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            covers = name == prefix or (prefix != "binnr" and name.startswith(prefix + "."))
            if covers and len(prefix) > depth:
                best, depth = index, len(prefix)
    return best


GRAPH = {name: imports_of(name, path, set(modules())) for name, path in modules().items()}


def test_every_module_has_a_layer() -> None:
    assert [m for m in GRAPH if layer_of(m) < 0] == []


def test_no_import_goes_up_a_layer() -> None:
    upward = [
        f"{src} (layer {layer_of(src)}) imports {dst} (layer {layer_of(dst)})"
        for src, targets in GRAPH.items()
        for dst in sorted(targets)
        if layer_of(dst) > layer_of(src)
    ]
    assert upward == []


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as a path that starts and ends at the same module, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def without_packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Edges into a package's ``__init__`` from its own submodules are Python's import
    machinery (a submodule's import runs its package first), not a dependency; drop them."""
    return {
        src: {dst for dst in targets if not src.startswith(dst + ".")}
        for src, targets in graph.items()
    }


def test_no_import_cycles_between_files() -> None:
    assert find_cycle(without_packages(GRAPH)) is None


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": set(), "c": {"a"}}, None),
    ],
)
def test_the_cycle_finder_finds_cycles(graph: dict[str, set[str]], cycle: list[str] | None) -> None:
    assert find_cycle(graph) == cycle


def test_the_layer_check_sees_function_body_imports(tmp_path: Path) -> None:
    code = "def f():\n    from binnr.api.app import create_app\n"
    (tmp_path / "m.py").write_text(code)
    assert imports_of("binnr.models.m", tmp_path / "m.py", {"binnr.api.app"}) == {"binnr.api.app"}
