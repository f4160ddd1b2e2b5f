"""Keep executed notebooks, so that a render whose inputs did not change skips the kernel.

In the spirit of Quarto's ``freeze``, but decided by content, not by a flag: the
executed notebook is stored under a key, and reused only when a new render
computes the same key. The key is the SHA-256 of:

- the code the kernel would run: every code cell of the built notebook in
  order (chunk sources with their ``#|`` lines, the inline expressions, the
  hidden setup cell and the injected parameters cell, which holds the
  parameter values), with the tags that change execution (``raises-exception``);
- the kernel's environment as the renderer sets it (``SOURCE_DATE_EPOCH``, the
  matplotlibrc text);
- **the data read**: the name, size and SHA-256 of every file under the
  document's data folder, recursively (hidden files and ``__pycache__`` left
  out). The data folder is the ``data_dir`` parameter (from ``--param``, the
  front matter's ``params``, or the literal default in the ``parameters``
  chunk, in that order; a relative path is taken from the document's folder,
  where the kernel runs); without one, :func:`sbm_stats.default_data_dir`.
  Files a document reads from anywhere else are not tracked: render such a
  document with ``cache=False`` (``--no-cache``);
- the code of the ``sbm_stats`` package (every ``.py`` file) and the name and
  version of every distribution installed in the environment, with the Python
  version: a fix to an estimator or an upgrade of pandas re-runs the document.

The store is one file per document, ``<cache_dir>/<stem>-<hash of its path>.ipynb``,
written atomically; a corrupt or foreign file is ignored (and replaced).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

__all__ = ["CACHE_VERSION", "cache_key", "cache_file", "load", "store", "data_fingerprint"]

#: Bumped whenever what goes into the key or the stored file changes.
CACHE_VERSION = 1


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def data_fingerprint(folder: Path | None) -> list[tuple[str, int, str]]:
    """``(relative path, size, sha256)`` of every file under ``folder``, sorted."""
    if folder is None or not folder.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if path.is_file():
                rel = path.relative_to(folder).as_posix()
                found.append((rel, path.stat().st_size, _sha256_file(path)))
    return found


def _package_fingerprint() -> str:
    root = Path(__file__).resolve().parents[1]  # the sbm_stats package
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _distributions() -> list[str]:
    from importlib import metadata

    seen = set()
    for dist in metadata.distributions():
        name = dist.metadata.get("Name")
        if name:
            seen.add(f"{name.lower()}=={dist.version}")
    return sorted(seen)


def cache_key(nb: NotebookNode, kernel_env: Mapping[str, str], rc_text: str, data_dir: Path | None) -> str:
    """The key of an unexecuted notebook (see the module docstring)."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = sorted(t for t in cell.metadata.get("tags", []) if t == "raises-exception")
        cells.append([cell.source, tags])
    payload: dict[str, Any] = {
        "cache_version": CACHE_VERSION,
        "python": sys.version,
        "cells": cells,
        "kernel_env": {k: kernel_env[k] for k in sorted(kernel_env) if k in ("SOURCE_DATE_EPOCH", "PYTHONHASHSEED")},
        "matplotlibrc": rc_text,
        "data": data_fingerprint(data_dir),
        "sbm_stats": _package_fingerprint(),
        "distributions": _distributions(),
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=True).encode()
    return hashlib.sha256(blob).hexdigest()


def cache_file(cache_dir: Path, document: Path) -> Path:
    """Where the executed notebook of ``document`` is kept."""
    tag = hashlib.sha256(str(document.resolve()).encode()).hexdigest()[:10]
    return cache_dir / f"{document.stem}-{tag}.ipynb"


def load(cache_dir: Path, document: Path, key: str) -> NotebookNode | None:
    """The stored executed notebook if its key is ``key``, else ``None``."""
    path = cache_file(cache_dir, document)
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    meta = nb.metadata.get("sbm_cache", {})
    if meta.get("key") != key or meta.get("version") != CACHE_VERSION:
        return None
    return nb


def store(cache_dir: Path, document: Path, key: str, nb: NotebookNode) -> Path:
    """Store the executed notebook under ``key`` (atomically); return the file."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_file(cache_dir, document)
    nb = nbformat.from_dict(nb)
    nb.metadata["sbm_cache"] = {"key": key, "version": CACHE_VERSION, "source": document.name}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, path)
    return path
