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
   kernel while the document runs, so it covers whatever the document reached, wherever
   it lives (a second checkout, a helper module next to the document, another data
   folder), and it holds what was read **when it was read**:

   - every file the kernel opened for reading (Python's ``open`` audit event, which
     covers ``open``, ``io.open``, ``os.open``, pandas' and the csv module's readers),
     outside the standard library, the installed packages, ``/proc``, ``/sys``,
     ``/dev`` and the kernel's own temporary files: its path and the SHA-256 of its
     content at its first open, taken in the kernel then;
   - every module the kernel imported from outside the standard library and the
     installed packages (which the key already covers by version): its file and
     SHA-256, taken in the kernel when the document has run;
   - every folder the kernel listed (``os.listdir``, ``os.scandir``, hence ``glob``
     and ``Path.iterdir``): the sorted names in it when it was first listed (less the
     render's own ``.sbm-staging-*`` folders), so that a new file matched by a pattern
     re-runs the document. The folders on ``sys.path`` are left out (the import system and
     ``importlib.metadata`` list them on every run; modules and distributions are
     covered above): a pattern matched in the document's own folder is not watched.

   A file that changes while the render runs (after the kernel read it, before the
   store) is therefore never stored with its new digest beside the old number: the
   render sees that it changed and does not store the execution at all.

   Files read by a subprocess the document starts are not seen; render such a document
   with ``cache=False`` (``--no-cache``).

The store is one file per document, ``<cache_dir>/<stem>-<hash of its path>.ipynb``,
written atomically through a temporary file of an unpredictable name made by
:func:`tempfile.mkstemp` in the same folder (a failed write removes it). An entry is
checked before use: a file that is not JSON, not a notebook, lacks the keys or types this
module writes, or whose cells are not the document's, is a miss with a warning (and is
replaced), never an error. The default folder is outside every output folder:
``$SBM_STATS_CACHE_DIR``, else ``$XDG_CACHE_HOME/sbm-stats``, else
``~/.cache/sbm-stats``, since the stored notebook holds the code and outputs of hidden
chunks and must not ship with a report; a ``cache_dir`` equal to or inside the output
folder or the document's folder is refused (:func:`check_cache_dir`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: a render starts its kernel before it imports nbformat
    from nbformat import NotebookNode

__all__ = ["CACHE_VERSION", "Lookup", "Manifest", "cache_key", "cache_file", "default_cache_dir", "load",
           "store", "sha256_file", "data_packages", "check_cache_dir"]

#: Bumped whenever what goes into the key or the stored file changes.
CACHE_VERSION = 4


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


def check_cache_dir(cache_dir: Path, *, out_dir: Path, document: Path | None, option: str = "cache_dir") -> None:
    """Refuse a cache folder where its notebooks would be published or shipped with the source.

    A stored notebook holds the code and outputs of hidden chunks: in (or equal to) the
    output folder it would be published with the report, in the document's folder tree
    it would travel with the source (and be read back by a document that lists its own
    folder). Compared as real paths, so that a symbolic link is no way round. Without a
    ``document`` only the output folder is checked (the default folder, which may lie
    below a document kept in the home folder).

    Raises
    ------
    RenderError
        Naming ``option``, the folder and where it lies.
    """
    from ._errors import RenderError

    real = Path(os.path.realpath(cache_dir))
    places = [("the output folder", out_dir)] + ([("the document's folder", document.parent)] if document else [])
    for name, folder in places:
        if real.is_relative_to(os.path.realpath(folder)):
            raise RenderError(f"{option} ({str(cache_dir)!r}) must not be {name} or inside it ({folder}): a stored "
                              "execution holds the code and outputs of hidden chunks; choose a folder outside it, "
                              "or leave the option out for the default (~/.cache/sbm-stats)")


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
    def recorded(cls, files: Mapping[str, str | None], folders: Mapping[str, str | None]) -> Manifest:
        """The manifest of digests taken when the files were read and the folders listed (by the kernel)."""
        return cls(files=tuple(sorted(files.items())), listings=tuple(sorted(folders.items())))

    def with_created(self) -> Manifest:
        """The manifest with the entries that were absent when the kernel looked taken as they are now.

        A file the run tried to read before it existed (a library's cache that the run
        then wrote, such as matplotlib's font list on a first run) could not give the run
        any content: its state after the run is what the next render compares against.
        """
        return Manifest(
            files=tuple((p, d if d is not None else _file_digest(Path(p))) for p, d in self.files),
            listings=tuple((p, d if d is not None else _listing_digest(Path(p))) for p, d in self.listings),
        )

    @classmethod
    def of(cls, files: Iterable[str], folders: Iterable[str]) -> Manifest:
        """The manifest of ``files`` and ``folders`` as they are now."""
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


@dataclass(frozen=True)
class Lookup:
    """What the store holds for a document: an execution to reuse, or why not.

    ``invalid`` is true when the stored file is not an entry this module wrote (not
    JSON, a list, keys or types missing): a miss the render warns about.
    """

    stored: Stored | None
    why: str = ""
    invalid: bool = False


def _pairs(raw: Any, name: str) -> tuple[tuple[str, str | None], ...]:
    if not isinstance(raw, list) or not all(
            isinstance(e, list) and len(e) == 2 and isinstance(e[0], str) and isinstance(e[1], (str, type(None)))
            for e in raw):
        raise ValueError(f"its manifest's {name!r} is not a list of [path, digest] pairs")
    return tuple((p, d) for p, d in raw)


def _entry(path: Path, built: NotebookNode | None) -> tuple[NotebookNode, dict[str, Any], Manifest]:
    """The stored notebook, its ``sbm_cache`` metadata and manifest; ValueError naming what is wrong."""
    import nbformat

    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("metadata"), dict) or not isinstance(raw.get("cells"), list):
        raise ValueError("not a notebook (a JSON object with 'cells' and 'metadata')")
    meta = raw["metadata"].get("sbm_cache")
    if not isinstance(meta, dict) or not isinstance(meta.get("key"), str) or not isinstance(meta.get("manifest"), dict):
        raise ValueError("no 'sbm_cache' metadata with a key and a manifest")
    manifest = Manifest(files=_pairs(meta["manifest"].get("files"), "files"),
                        listings=_pairs(meta["manifest"].get("listings"), "listings"))
    try:
        if raw.get("nbformat") != 4:
            raise ValueError(f"nbformat {raw.get('nbformat')!r}, expected 4")
        nb = nbformat.reader.reads(text)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat's ValidationError and whatever a broken structure raises on the way
        raise ValueError(f"not a valid notebook ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})") from None
    if built is not None:
        shape = [(c.cell_type, c.source, c.metadata.get("sbm")) for c in built.cells]
        if [(c.cell_type, c.source, c.metadata.get("sbm")) for c in nb.cells] != shape:
            raise ValueError("its cells are not the cells of the document's notebook")
    return nb, meta, manifest


def load(cache_dir: Path, document: Path, key: str, built: NotebookNode | None = None) -> Lookup:
    """The stored execution if its key is ``key`` and its manifest is unchanged.

    ``built`` is the unexecuted notebook of the document: a stored one whose cells are
    not its cells (same sources and cell metadata) is not reused. A stored file that
    is not an entry of this store (see :class:`Lookup`) is a miss, never an error.
    """
    path = cache_file(cache_dir, document)
    if not path.is_file():
        return Lookup(None, "nothing stored")
    try:
        nb, meta, manifest = _entry(path, built)
    except OSError as exc:
        return Lookup(None, f"the stored execution {path} cannot be read ({exc.strerror or exc})", True)
    except ValueError as exc:
        return Lookup(None, f"the stored execution {path} is not valid: {exc}; it is ignored (and replaced)", True)
    if meta.get("version") != CACHE_VERSION or meta.get("key") != key:
        return Lookup(None, "the code, parameters, settings or installed packages changed")
    changed = manifest.changed()
    if changed:
        more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        return Lookup(None, "changed since the stored execution: " + ", ".join(changed[:3]) + more)
    return Lookup(Stored(nb, manifest))


def store(cache_dir: Path, document: Path, key: str, nb: NotebookNode, manifest: Manifest) -> Path:
    """Store the executed notebook under ``key`` with its manifest (atomically); return the file.

    The notebook is written to a new file of an unpredictable name in ``cache_dir``
    (:func:`tempfile.mkstemp`, created exclusively: a symbolic link planted there
    cannot redirect the write) and renamed over the entry.

    Raises
    ------
    OSError
        If the store cannot be written; no temporary file is left behind.
    """
    import tempfile

    import nbformat

    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_file(cache_dir, document)
    nb = nbformat.from_dict(nb)
    nb.metadata["sbm_cache"] = {"key": key, "version": CACHE_VERSION, "source": document.name,
                                "manifest": manifest.to_json()}
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=cache_dir)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            nbformat.write(nb, handle)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
