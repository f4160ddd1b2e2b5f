"""How the packages of sbm_stats depend on each other, and how large a class may grow.

CONTRIBUTING.md ("How the packages depend on each other") states the rule: data <-
sampling, estimation, audit <- report; render knows only provenance; no circle between
packages. The imports are read from the source with ``ast`` (every ``import`` and
``from ... import`` anywhere in a module: at the top, inside functions, under
``TYPE_CHECKING``), so an import hidden in a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sbm_stats"
#: The most lines a class may span (its decorators included).
MAX_CLASS_LINES = 300


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path = PACKAGE) -> set[str]:
    """The absolute names of the ``sbm_stats`` modules ``path`` imports, wherever in the file."""
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                if node.module:
                    out.add(".".join(base + [node.module]))
                else:  # from . import x: x may be a module
                    out.update(".".join(base + [alias.name]) for alias in node.names)
            elif node.module:
                out.add(node.module)
    return {m for m in out if m == root.name or m.startswith(root.name + ".")}


def unit_of(module: str) -> str:
    """The part of the package a module belongs to: its subpackage ('sampling'), or a module at the
    top ('errors', '_numbers'); the package's own ``__init__`` is 'sbm_stats'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def package_graph(root: Path = PACKAGE) -> dict[str, dict[str, list[str]]]:
    """unit -> {unit it imports: [the files that import it]}, between different units."""
    graph: dict[str, dict[str, list[str]]] = {}
    for path in sorted(root.rglob("*.py")):
        source = unit_of(_module_name(path, root))
        for target in imports_of(path, root):
            unit = unit_of(target)
            if unit != source:
                graph.setdefault(source, {}).setdefault(unit, []).append(str(path.relative_to(root.parent)))
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Every circle of units (each once, starting at its smallest name)."""
    found = set()

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in graph.get(node, {}):
            if nxt == start:
                found.add(tuple(path))
            elif nxt not in path and nxt > start:
                walk(start, nxt, path + [nxt])

    for start in graph:
        walk(start, start, [start])
    return [list(c) for c in sorted(found)]


def violations(graph: dict[str, dict[str, list[str]]]) -> list[str]:
    """Each import against CONTRIBUTING.md's rule, with the files that make it."""
    forbidden = {
        "render": {"report", "sampling", "estimation", "audit", "data", "cli"},
        "provenance": {"report", "render", "sampling", "estimation", "audit", "data", "cli"},
        "data": {"sampling", "audit", "estimation", "report", "render", "cli"},
        "sampling": {"report", "render", "cli", "audit"},
        "estimation": {"report", "render", "cli", "sampling", "audit"},
        "audit": {"report", "render", "cli", "sampling"},
        "report": {"cli"},
    }
    out = [f"{a} imports {b} ({', '.join(files)})" for a, targets in sorted(graph.items())
           for b, files in sorted(targets.items()) if b in forbidden.get(a, ())]
    return out + [" -> ".join(c + c[:1]) + " is a circle" for c in cycles(graph)]


def test_the_packages_depend_one_way():
    graph = package_graph()
    # the scan sees the package: render reaches the traced values through provenance, as report does
    assert "provenance" in graph["render"] and "provenance" in graph["report"] and "data" in graph["sampling"]
    assert violations(graph) == []


def test_the_import_scan_sees_every_kind_of_import(tmp_path):
    """The check bites: imports at the top, in a function, under TYPE_CHECKING and relative ones count,
    and a circle or a render -> report import is reported."""
    root = tmp_path / "sbm_stats"
    for sub in ("data", "sampling", "render", "report"):
        (root / sub).mkdir(parents=True)
        (root / sub / "__init__.py").write_text("", encoding="utf-8")
    (root / "__init__.py").write_text("", encoding="utf-8")
    (root / "data" / "_package.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..sampling import Design\n", encoding="utf-8")
    (root / "sampling" / "_x.py").write_text("def f():\n    from sbm_stats.data import _package\n",
                                             encoding="utf-8")
    (root / "render" / "_y.py").write_text("def g():\n    from ..report import values\n", encoding="utf-8")
    graph = package_graph(root)
    assert graph == {"data": {"sampling": ["sbm_stats/data/_package.py"]},
                     "sampling": {"data": ["sbm_stats/sampling/_x.py"]},
                     "render": {"report": ["sbm_stats/render/_y.py"]}}
    problems = violations(graph)
    assert "data imports sampling (sbm_stats/data/_package.py)" in problems
    assert "render imports report (sbm_stats/render/_y.py)" in problems
    assert "data -> sampling -> data is a circle" in problems


def class_spans(root: Path = PACKAGE) -> list[tuple[int, str]]:
    """(lines, 'file::Class') of every class in the package, decorators included."""
    out = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                out.append((node.end_lineno - start + 1, f"{path.relative_to(root.parent)}::{node.name}"))
    return out


def test_no_class_is_over_300_lines():
    spans = class_spans()
    assert len(spans) > 50  # the scan sees the package's classes
    assert [f"{name}: {n} lines" for n, name in spans if n > MAX_CLASS_LINES] == []


@pytest.mark.parametrize("body, lines", [("class A:\n    x = 1\n", 2),
                                         ("@dataclass\nclass A:\n" + "    x: int = 1\n" * 301, 303)])
def test_a_class_span_counts_its_decorators_and_body(tmp_path, body, lines):
    (tmp_path / "sbm_stats").mkdir()
    (tmp_path / "sbm_stats" / "m.py").write_text(body, encoding="utf-8")
    assert class_spans(tmp_path / "sbm_stats") == [(lines, "sbm_stats/m.py::A")]
