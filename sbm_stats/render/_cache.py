"""Keep executed notebooks, so that a render whose inputs did not change skips the kernel.

In the spirit of Quarto's ``freeze``, but decided by content, not by a flag. An
execution is reused only when **both** of these still hold:

1. **The key** is the same. It is the SHA-256 of what is known before running:

   - the code the kernel would run: every code cell of the built notebook in order
     (chunk sources with their ``#|`` lines, the inline expressions, the hidden setup
     cell and the injected parameters cell, which holds the parameter values), with the
     tags that change execution (``raises-exception``);
   - the kernel's environment as the renderer sets it (``SOURCE_DATE_EPOCH``,
     ``PYTHONHASHSEED``, the text of the matplotlibrc it writes);
   - the ``matplotlibrc`` in the document's folder, or its absence (matplotlib reads
     it before the renderer's own, so adding or removing one changes every figure);
   - the environment variables the document declares (front matter
     ``sbm-stats: cache-env: [NAME, ...]``), each with its value or its absence;
   - the interpreter (version and path) and the name and version of every
     distribution installed in the environment: an upgrade of pandas re-runs.

2. **The manifest** of what the run actually used is unchanged. It is recorded in the
   kernel after execution, so it covers whatever the document reached, wherever it
   lives (a second checkout, a helper module next to the document, another data
   folder):

   - every module the kernel imported from outside the standard library and the
     installed packages (which the key already covers by version): its file and
     SHA-256;
   - every file the kernel opened for reading (Python's ``open`` audit event, which
     covers ``open``, ``io.open``, ``os.open``, pandas' and the csv module's readers),
     outside the standard library, the installed packages, ``/proc``, ``/sys``,
     ``/dev`` and the kernel's own temporary files: its path and SHA-256;
   - every folder the kernel listed (``os.listdir``, ``os.scandir``, hence ``glob``
     and ``Path.iterdir``): the sorted names in it (less the render's own
     ``.sbm-staging-*`` folders), so that a new file matched by a pattern re-runs the
     document. The folders on ``sys.path`` are left out (the import system and
     ``importlib.metadata`` list them on every run; modules and distributions are
     covered above): a pattern matched in the document's own folder is not watched.

   Files read by a subprocess the document starts are not seen; render such a document
   with ``cache=False`` (``--no-cache``).

The store is one file per document, ``<cache_dir>/<stem>-<hash of its path>.ipynb``,
written atomically (a failed write removes its temporary file); a corrupt or foreign
file is ignored (and replaced). The default folder is outside every output folder:
``$SBM_STATS_CACHE_DIR``, else ``$XDG_CACHE_HOME/sbm-stats``, else
``~/.cache/sbm-stats``, since the stored notebook holds the code and outputs of hidden
chunks and must not ship with a report.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

__all__ = ["CACHE_VERSION", "Manifest", "cache_key", "cache_file", "default_cache_dir", "load", "store",
           "sha256_file", "data_packages"]

#: Bumped whenever what goes into the key or the stored file changes.
CACHE_VERSION = 3


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def default_cache_dir() -> Path:
    """Where executions are kept when no ``cache_dir`` is given (see the module docstring)."""
    env = os.environ.get("SBM_STATS_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "sbm-stats"


def _listing_digest(folder: Path) -> str | None:
    try:
        names = sorted(n for n in os.listdir(folder) if not n.startswith(".sbm-staging-"))
    except OSError:
        return None
    return hashlib.sha256("\0".join(names).encode("utf-8", "surrogateescape")).hexdigest()


def _file_digest(path: Path) -> str | None:
    try:
        return sha256_file(path) if path.is_file() else None
    except OSError:
        return None


@dataclass(frozen=True)
class Manifest:
    """What an execution used: files (modules and data) and folder listings, with digests.

    ``None`` as a digest means the file or folder was gone when the manifest was made.
    """

    files: tuple[tuple[str, str | None], ...] = ()
    listings: tuple[tuple[str, str | None], ...] = ()

    @classmethod
    def of(cls, files: Iterable[str], folders: Iterable[str]) -> Manifest:
        return cls(
            files=tuple((p, _file_digest(Path(p))) for p in sorted(set(files))),
            listings=tuple((p, _listing_digest(Path(p))) for p in sorted(set(folders))),
        )

    def changed(self) -> list[str]:
        """The entries whose content is no longer what it was (empty: all unchanged)."""
        out = [p for p, digest in self.files if _file_digest(Path(p)) != digest]
        out += [f"{p}/ (listing)" for p, digest in self.listings if _listing_digest(Path(p)) != digest]
        return out

    def to_json(self) -> dict[str, Any]:
        return {"files": [list(f) for f in self.files], "listings": [list(f) for f in self.listings]}

    @classmethod
    def from_json(cls, raw: Any) -> Manifest:
        return cls(files=tuple((str(p), d) for p, d in raw["files"]),
                   listings=tuple((str(p), d) for p, d in raw["listings"]))


def data_packages(paths: Iterable[str]) -> list[Path]:
    """The data packages (folders holding a ``datapackage.json``) that ``paths`` lie in, sorted."""
    found: set[Path] = set()
    known: dict[Path, Path | None] = {}
    for raw in paths:
        path = Path(raw)
        chain = []
        package = None
        for folder in path.parents:
            if folder in known:
                package = known[folder]
                break
            chain.append(folder)
            if (folder / "datapackage.json").is_file():
                package = folder
                break
        for folder in chain:
            known[folder] = package
        if package is not None:
            found.add(package)
    return sorted(found)


def _distributions() -> list[str]:
    """``name==version`` of every installed distribution, lower-case names, sorted.

    Read from the header of each distribution's ``METADATA`` (or ``PKG-INFO``),
    which ends at the first empty line: the header alone gives the same name and
    version as ``importlib.metadata``'s full e-mail parse, about ten times faster
    (some 200 distributions are read on every render).
    """
    from importlib import metadata

    seen = set()
    for dist in metadata.distributions():
        text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
        fields: dict[str, str] = {}
        for line in text.splitlines():
            if not line.strip():
                break
            key, sep, value = line.partition(":")
            if sep and key in ("Name", "Version") and key not in fields:
                fields[key] = value.strip()
        if fields.get("Name"):
            seen.add(f"{fields['Name'].lower()}=={fields.get('Version')}")
    return sorted(seen)


def cache_key(
    nb: NotebookNode,
    *,
    kernel_env: Mapping[str, str],
    rc_text: str,
    local_rc: Path,
    declared_env: Iterable[str] = (),
) -> str:
    """The key of an unexecuted notebook (see the module docstring)."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = sorted(t for t in cell.metadata.get("tags", []) if t == "raises-exception")
        cells.append([cell.source, tags])
    payload: dict[str, Any] = {
        "cache_version": CACHE_VERSION,
        "python": [sys.version, sys.executable],
        "cells": cells,
        "kernel_env": {k: kernel_env[k] for k in sorted(kernel_env) if k in ("SOURCE_DATE_EPOCH", "PYTHONHASHSEED")},
        "matplotlibrc": rc_text,
        "local_matplotlibrc": _file_digest(local_rc),
        "env": {name: os.environ.get(name) for name in sorted(set(declared_env))},
        "distributions": _distributions(),
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=True).encode()
    return hashlib.sha256(blob).hexdigest()


def cache_file(cache_dir: Path, document: Path) -> Path:
    """Where the executed notebook of ``document`` is kept."""
    tag = hashlib.sha256(str(document.resolve()).encode()).hexdigest()[:10]
    return cache_dir / f"{document.stem}-{tag}.ipynb"


@dataclass(frozen=True)
class Stored:
    """An execution found in the store."""

    nb: NotebookNode
    manifest: Manifest


def load(cache_dir: Path, document: Path, key: str) -> tuple[Stored | None, str]:
    """The stored execution if its key is ``key`` and its manifest is unchanged.

    Returns the execution (or ``None``) and, for a miss, the reason in words.
    """
    path = cache_file(cache_dir, document)
    if not path.is_file():
        return None, "nothing stored"
    try:
        nb = nbformat.read(path, as_version=4)
        meta = nb.metadata.get("sbm_cache", {})
        manifest = Manifest.from_json(meta["manifest"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, "the stored execution is unreadable"
    if meta.get("version") != CACHE_VERSION or meta.get("key") != key:
        return None, "the code, parameters, settings or installed packages changed"
    changed = manifest.changed()
    if changed:
        more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        return None, "changed since the stored execution: " + ", ".join(changed[:3]) + more
    return Stored(nb, manifest), ""


def store(cache_dir: Path, document: Path, key: str, nb: NotebookNode, manifest: Manifest) -> Path:
    """Store the executed notebook under ``key`` with its manifest (atomically); return the file.

    Raises
    ------
    OSError
        If the store cannot be written; no temporary file is left behind.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_file(cache_dir, document)
    nb = nbformat.from_dict(nb)
    nb.metadata["sbm_cache"] = {"key": key, "version": CACHE_VERSION, "source": document.name,
                                "manifest": manifest.to_json()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        nbformat.write(nb, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
