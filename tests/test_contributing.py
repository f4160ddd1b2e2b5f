"""CONTRIBUTING.md's recipes name real places: every `path::name` is defined in that file,
and every path it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")


def _defined(path: Path) -> set[str]:
    """Top-level functions, classes and assigned names of a Python file."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_every_named_function_exists():
    refs = re.findall(r"`([\w/.]+\.py)::(\w+)`", TEXT)
    assert len(refs) >= 15
    missing = [f"{p}::{n}" for p, n in refs if not (ROOT / p).is_file() or n not in _defined(ROOT / p)]
    assert missing == []


def test_every_named_file_exists():
    paths = set(re.findall(r"`((?:sbm_stats|tests|data)/[\w/.]+?)(?:::\w+)?`", TEXT))
    assert len(paths) >= 10
    assert sorted(p for p in paths if not (ROOT / p).exists()) == []


def test_a_renamed_function_is_caught(tmp_path):
    """The check bites: a reference to a name the file does not define is reported."""
    module = tmp_path / "m.py"
    module.write_text("def kept():\n    pass\n\nVALUE = 1\n", encoding="utf-8")
    assert _defined(module) == {"kept", "VALUE"}
    assert "renamed" not in _defined(module)
