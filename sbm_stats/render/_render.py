"""The render pipeline: validate, parse, execute (or reuse), assemble, write, move into place."""

from __future__ import annotations

import ast
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from ._errors import RenderError
from ._progress import Progress

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["ENGINES", "FORMATS", "RenderResult", "render"]

#: The output formats, and the extension of the file each writes.
FORMATS = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}
#: The values file written beside the outputs when the document shows traced values.
VALUES_SUFFIX = ".values.csv"
#: The engines ``render`` can use.
ENGINES = ("auto", "builtin", "quarto")

Format = Literal["html", "pdf", "docx"]
Engine = Literal["auto", "builtin", "quarto"]


@dataclass(frozen=True)
class RenderResult:
    """What a render did.

    Attributes
    ----------
    source : Path
        The ``.qmd`` rendered.
    formats : tuple of str
        The formats asked for, in order.
    outputs : tuple of Path
        The file written for each format, in the same order.
    engine : {'builtin', 'quarto'}
        The engine that rendered (``'auto'`` resolved).
    cache_hit : bool
        True if the executed notebook came from the cache and no kernel ran.
    params : Mapping
        The parameters injected into the document.
    timings : Mapping of str to float
        Seconds spent per stage (``parse``, ``execute``, ``markdown``, ``read``:
        pandoc reading the markdown once for all formats, one entry per format,
        ``total``).
    cache_key : str or None
        The key of the execution (builtin engine only).
    values_file : Path or None
        The values file ``<stem>.values.csv`` written beside the outputs, when the
        document shows traced values (builtin engine; see
        :mod:`sbm_stats.report.values`).
    companions : tuple of Path
        The values appendix as a document of its own, ``<stem>.values.html`` (and
        ``.pdf``, ``.docx`` when the front matter's ``values-appendix-formats`` lists
        them), when the document shows traced values and its ``values-appendix`` is
        ``separate`` (the default; builtin engine).
        When it shows none, a values file (and companion) an earlier render wrote there is
        removed in the same step as the outputs are published, so that it does not pass for
        this render's.
    """

    source: Path
    formats: tuple[str, ...]
    outputs: tuple[Path, ...]
    engine: Literal["builtin", "quarto"]
    cache_hit: bool
    params: Mapping[str, Any]
    timings: Mapping[str, float]
    cache_key: str | None = None
    values_file: Path | None = None
    companions: tuple[Path, ...] = ()

    def output(self, fmt: str) -> Path:
        """The file written for ``fmt``."""
        if fmt not in self.formats:
            raise ValueError(f"fmt ({fmt!r}) must be one of " + ", ".join(repr(f) for f in self.formats))
        return self.outputs[self.formats.index(fmt)]

    def to_frame(self) -> pd.DataFrame:
        """One row per output: ``format``, ``path``, ``bytes``, ``seconds``."""
        import pandas as pd

        return pd.DataFrame({
            "format": list(self.formats),
            "path": [str(p) for p in self.outputs],
            "bytes": [p.stat().st_size if p.exists() else None for p in self.outputs],
            "seconds": [self.timings.get(f) for f in self.formats],
        })

    def __str__(self) -> str:
        files = ", ".join(str(p) for p in self.outputs)
        cache = " (cached execution)" if self.cache_hit else ""
        return f"{self.source.name} -> {files} [{self.engine}{cache}, {self.timings.get('total', 0):.1f} s]"


def _one_of(name: str, value: Any, allowed: Iterable[str]) -> str:
    allowed = list(allowed)
    if value not in allowed:
        listed = ", ".join(repr(a) for a in allowed[:-1]) + f" or {allowed[-1]!r}"
        raise RenderError(f"{name} ({value!r}) must be one of {listed}")
    return value


def _validate_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise TypeError(f"params ({params!r}) must be a mapping of parameter name to value")
    clean: dict[str, Any] = {}
    for name, value in params.items():
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("__"):
            raise RenderError(f"parameter name ({name!r}) must be a Python identifier not starting with '__'")
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        try:
            ok = ast.literal_eval(repr(value)) == value
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            ok = False
        if not ok:
            raise RenderError(
                f"parameter {name} ({value!r}) must be a Python literal (str, int, float, bool, None, "
                "or a list, tuple or dict of them)"
            )
        clean[name] = value
    return clean


def _validate(path: Any, to: Any, engine: Any) -> tuple[Path, tuple[str, ...], str]:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path ({path!r}) must be a str or a path")
    doc = Path(path)
    if doc.suffix.lower() != ".qmd":
        raise RenderError(f"path ({str(doc)!r}) must be a Quarto document ending in .qmd")
    if not doc.is_file():
        raise RenderError(f"path ({str(doc)!r}) does not exist or is not a file")
    if isinstance(to, str):
        to = [t.strip() for t in to.split(",") if t.strip()]
    try:
        formats = list(to)
    except TypeError:
        raise TypeError(f"to ({to!r}) must be a format name or a sequence of them") from None
    if not formats:
        raise RenderError("to (empty) must name at least one of 'html', 'pdf' or 'docx'")
    for fmt in formats:
        _one_of("to", fmt, FORMATS)
    formats = list(dict.fromkeys(formats))
    _one_of("engine", engine, ENGINES)
    return doc.resolve(), tuple(formats), engine


def _data_dir(doc_dir: Path, values: Mapping[str, Any]) -> Path | None:
    """The data folder the document is given (its ``data_dir`` parameter), if any."""
    raw = values.get("data_dir")
    if raw and isinstance(raw, (str, os.PathLike)):
        return (doc_dir / str(raw)).resolve()
    return None


def _resource_roots(doc: Path, extra: Iterable[str | os.PathLike[str]]) -> tuple[Path, ...]:
    """The document's folder and the folders the author allows images from, each checked."""
    if isinstance(extra, (str, os.PathLike)):
        extra = [extra]
    roots = [doc.parent]
    for raw in extra:
        if not isinstance(raw, (str, os.PathLike)):
            raise TypeError(f"resource_path ({raw!r}) must hold paths")
        folder = (doc.parent / raw).resolve()
        if not folder.is_dir():
            raise RenderError(f"resource_path ({str(raw)!r}) must be an existing folder")
        roots.append(folder)
    return tuple(dict.fromkeys(roots))


def _timeout(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 10**7:
        raise RenderError(f"timeout ({value!r}) must be a number of seconds above 0")
    return float(value)


def render(
    path: str | os.PathLike[str],
    *,
    to: Iterable[Format] | str = ("html",),
    out_dir: str | os.PathLike[str] = "_output",
    params: Mapping[str, Any] | None = None,
    engine: Engine = "auto",
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    quiet: bool = False,
    timeout: float | None = None,
    wait: bool = True,
    resource_path: Iterable[str | os.PathLike[str]] = (),
) -> RenderResult:
    r"""Render a Quarto document to HTML, PDF and/or Word.

    Parameters
    ----------
    path : str or path
        The ``.qmd`` file. Its chunks run with the document's folder as the
        working directory, as in Quarto.
    to : sequence of {'html', 'pdf', 'docx'} or str
        The formats to write; a string may list several, comma-separated.
    out_dir : str or path
        The folder for the outputs (created if missing), named
        ``<stem>.html``, ``<stem>.pdf``, ``<stem>.docx``.
    params : mapping, optional
        Values for the document's parameters: assigned in a cell injected after
        the chunk tagged ``parameters`` (papermill's and Quarto's convention),
        over the front matter's ``params``. Each value must be a Python literal.
    engine : {'auto', 'builtin', 'quarto'}
        ``'quarto'`` runs ``quarto render``; ``'builtin'`` runs the document with
        nbclient and writes with pandoc and Typst; ``'auto'`` uses Quarto when a
        ``quarto`` executable is on PATH and the builtin engine otherwise.
    cache : bool
        Reuse the stored execution when the code, parameters and data are
        unchanged (builtin engine; see Notes). ``False`` always executes (and
        refreshes the store).
    cache_dir : str or path, optional
        Where executions are stored; default outside every output folder (see
        ``sbm_stats/render/_cache.py``): ``$SBM_STATS_CACHE_DIR``, else
        ``$XDG_CACHE_HOME/sbm-stats``, else ``~/.cache/sbm-stats``. A folder equal to
        or inside ``out_dir`` or the document's folder is refused (the stored notebook
        holds the code and outputs of hidden chunks).
    quiet : bool
        No progress messages on standard error.
    timeout : float, optional
        Seconds each chunk may run (builtin engine); default the front matter's
        ``execute: timeout``, else 600.
    wait : bool
        When another render is writing into ``out_dir``, wait for it (default)
        or fail at once.
    resource_path : iterable of paths
        Folders, besides the document's own folder tree, that the document may
        take images from (builtin engine). Anything else a document names as an
        image, or as the source of raw HTML it embeds, is an error, as is a file
        that is not an image (PNG, JPEG, GIF, WebP, SVG or PDF).

    Returns
    -------
    RenderResult

    Raises
    ------
    RenderError
        For an invalid argument; a malformed document; a chunk that fails (the
        error names the chunk's label, its line in the ``.qmd``, its source and
        the traceback); a cross-reference to a missing label; or a failure of
        pandoc, Typst or Quarto; a chunk that runs past its timeout; a kernel
        that dies. No output file is written or replaced then: the render
        works in a staging folder beside ``out_dir`` and moves the finished
        files into it in one step at the end, under a lock on ``out_dir``
        (see :mod:`sbm_stats._publish`). A failure to store the execution in
        the cache is a warning, not an error.
    TypeError
        If ``params`` is not a mapping or ``path`` not a path.

    Notes
    -----
    The builtin engine reads the Quarto syntax that Quarto documents for Jupyter
    documents: front matter, ``{python}`` chunks with ``#|`` options, inline
    `` `{python} expr` `` values (evaluated in reading order, between the chunks
    around them), cross-references, figures and tables written as divs
    (``::: {#fig-x}`` holding the content, its last paragraph the caption),
    callouts. It does not run other engines,
    Quarto filters, extensions or shortcodes other than ``pagebreak``, nor
    Quarto's layout options (they are ignored, with a note). An inline value is
    the value's ``text/markdown`` representation (its ``_repr_markdown_()``),
    else its ``text/plain`` one escaped as Quarto escapes it (so a ``str``
    holding a no-break space shows as ``\\xa0``, as under Quarto). Where
    it departs from Quarto on purpose: a DataFrame is shown in full (pandas'
    ``display.max_rows``, ``max_columns`` and ``max_colwidth`` do not cut it),
    and a matplotlib ``Figure`` returned by a chunk is drawn even when the code
    chose the Agg backend (pyplot figures left open under Agg are not shown,
    as under Quarto).

    The cache reuses an execution only when the code run, the parameters, the
    installed package versions, a ``matplotlibrc`` beside the document and the
    environment variables the document declares are unchanged, and so is
    every file the kernel read or imported from outside the installed packages
    (recorded during the run); see ``sbm_stats/render/_cache.py`` for the
    exact rule.

    Traced values (:mod:`sbm_stats.report.values`): the builtin engine writes
    ``<stem>.values.csv`` beside the outputs, and the front matter's
    ``values-appendix`` says where the values appendix (Sifferförteckning: each
    value's source, data row and computation) goes: ``separate`` (default) writes
    it as a companion document, ``<stem>.values.html`` (self-contained, no script),
    plus ``<stem>.values.pdf`` and ``.docx`` when ``values-appendix-formats`` lists
    them (``[html, pdf, docx]``; not from ``to``, since the appendix of a long report
    is longer than the report and a PDF of it costs more than the report's own);
    ``inline`` puts it at the document's end, in a div ``#sifferforteckning`` if
    there is one; ``none`` writes none. In the HTML each number opens a note that
    links to its entry; in PDF and Word a number links to its entry under
    ``inline`` and is plain text otherwise. Everything is published with the
    outputs, in the same step. Any other value is a :class:`RenderError` before
    anything runs.

    One data package per render: when the kernel read files from more than one
    data package (a folder with a ``datapackage.json``), or from another one than
    its ``data_dir`` parameter names, the render fails and says which files came
    from where. The progress messages name the package that was read.

    Output is byte-for-byte reproducible: timestamps come from
    ``SOURCE_DATE_EPOCH`` or else the document's ``date``, figures are written
    without dates and with fixed ids, and the PDF uses only Typst's embedded
    fonts.

    Examples
    --------
    A document without code needs no kernel:

    >>> import pathlib, shutil, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "note.qmd").write_text(
    ...     "---\ntitle: Anteckning\nlang: sv\n---\n\n# Syfte {#sec-syfte}\n\nSe @sec-syfte.\n",
    ...     encoding="utf-8")
    >>> result = render(folder / "note.qmd", to="html", out_dir=folder / "out",
    ...                 engine="builtin", quiet=True)
    >>> result.outputs[0].name, result.engine, result.cache_hit
    ('note.html', 'builtin', False)
    >>> 'Se <a href="#sec-syfte">Avsnitt\xa01</a>.' in result.outputs[0].read_text(encoding="utf-8")
    True
    >>> shutil.rmtree(folder)
    """
    start = time.perf_counter()
    doc_path, formats, engine = _validate(path, to, engine)
    params = _validate_params(params)
    timeout = _timeout(timeout)
    roots = _resource_roots(doc_path, resource_path)
    if cache_dir is not None:
        from ._cache import check_cache_dir

        check_cache_dir(Path(cache_dir), out_dir=Path(out_dir), document=doc_path, option="cache_dir (--cache-dir)")
    progress = Progress(quiet)

    from .._publish import OutputError, Publication
    from ._quarto import check_quarto, find_quarto

    quarto = find_quarto(required=engine == "quarto") if engine in ("auto", "quarto") else None
    if engine == "auto" and quarto is not None:
        try:  # too old, or parameters without papermill: the builtin engine renders instead
            check_quarto(quarto, params)
        except RenderError as exc:
            progress.warn(f"{exc}; rendering with the builtin engine")
            quarto = None
    used: Literal["builtin", "quarto"] = "quarto" if quarto else "builtin"
    if used == "builtin" and cache and cache_dir is None:
        from ._cache import check_cache_dir, default_cache_dir

        check_cache_dir(default_cache_dir(), out_dir=Path(out_dir), document=None,
                        option="the cache folder ($SBM_STATS_CACHE_DIR, else $XDG_CACHE_HOME/sbm-stats or ~/.cache)")
    progress.head(f"render {doc_path.name} -> {', '.join(formats)} (engine: {used})")

    names = [f"{doc_path.stem}{FORMATS[f]}" for f in formats]
    try:
        with Publication(out_dir, option="out_dir", names=names, wait=wait, on_wait=progress.info) as pub:
            supporting: list[str] = []
            if used == "quarto":
                result, supporting = _render_quarto(quarto, doc_path, formats, params, pub.staging,
                                                    Path(out_dir), cache, quiet, progress)
            else:
                store = Path(cache_dir) if cache_dir is not None else None
                result = _render_builtin(doc_path, formats, params, pub.staging, cache, store, timeout, roots,
                                         progress)
                supporting += [name for name in _supporting_names(doc_path.stem)
                               if (pub.staging / name).is_file()]
            stale = [name for name in _supporting_names(doc_path.stem)
                     if name not in supporting and _ours(pub.folder / name)]
            published = pub.publish(names + supporting, withdraw=stale)
            outputs = published[:len(names)]
    except OutputError as exc:
        raise RenderError(str(exc)) from None
    for dst in published:
        progress.wrote(dst)
    timings = dict(result.timings)
    timings["total"] = time.perf_counter() - start
    progress.info(f"done in {timings['total']:.1f} s")
    return RenderResult(
        source=result.source, formats=result.formats, outputs=tuple(outputs), engine=result.engine,
        cache_hit=result.cache_hit, params=result.params, timings=MappingProxyType(timings),
        cache_key=result.cache_key,
        values_file=next((p for p in published if p.name.endswith(VALUES_SUFFIX)), None),
        companions=tuple(p for p in published[len(names):] if p.name in _supporting_names(doc_path.stem)[1:]),
    )


def _supporting_names(stem: str) -> list[str]:
    """What the builtin engine may write beside the outputs: the values file, then the companion's formats."""
    return [f"{stem}{VALUES_SUFFIX}", *(f"{stem}.values{ext}" for ext in FORMATS.values())]


#: The first bytes of each format the builtin engine writes, for a file it may withdraw as its own.
_MAGIC = {".pdf": b"%PDF-", ".docx": b"PK\x03\x04", ".html": b"<!DOCTYPE html>"}


def _ours(path: Path) -> bool:
    """Whether ``path`` is a values file or companion an earlier render wrote: a regular file
    (not a link) with the values file's header, or with its format's first bytes.

    A render that writes no such file removes the one an earlier render left, so that no
    values file or companion of an earlier version of the document stays beside the new outputs.
    """
    from ..provenance import VALUES_COLUMNS

    try:
        if path.is_symlink() or not path.is_file():
            return False
        with path.open("rb") as handle:
            first = handle.read(4096)
    except OSError:
        return False
    if path.suffix == ".csv":
        line = first.decode("utf-8-sig", errors="replace").splitlines()[:1]
        return line == [",".join(VALUES_COLUMNS)]
    return first.startswith(_MAGIC.get(path.suffix, b"\0\0never"))


def _render_quarto(
    quarto: str, doc_path: Path, formats: tuple[str, ...], params: dict[str, Any],
    staging: Path, out: Path, cache: bool, quiet: bool, progress: Progress,
) -> tuple[RenderResult, list[str]]:
    """Render with Quarto into ``staging``; also return the names of the supporting files staged."""
    from ._qmd import check_inline_expressions, read_front_matter
    from ._quarto import render_with_quarto
    from ._settings import read_settings, values_appendix_options

    doc = read_front_matter(doc_path)
    values_appendix_options(doc_path, doc.meta)  # checked under Quarto too, though Quarto writes no appendix
    check_inline_expressions(doc_path)
    yaml_params = doc.meta.get("params") or {}
    injected = {**(yaml_params if isinstance(yaml_params, dict) else {}), **params}
    try:
        epoch: int | None = read_settings(doc).epoch
    except RenderError:
        epoch = None
    # Quarto runs the chunks in a copy of the document's folder: a data folder outside it
    # is passed as an absolute path, so that it is still found from the copy.
    given = _data_dir(doc_path.parent, params)
    if given is not None and not given.is_relative_to(doc_path.parent):
        params = {**params, "data_dir": str(given)}
    staged = render_with_quarto(quarto, doc_path, formats, overrides=params, staging=staging, epoch=epoch,
                                quiet=quiet, progress=progress, cache=cache, exclude=(out,))
    result = RenderResult(doc_path, formats, (), "quarto", False, MappingProxyType(injected),
                          {"quarto": staged.seconds})
    return result, [p.name for p in staged.supporting]


def _check_data_packages(doc: Path, files: tuple[str, ...], given: Path | None, progress: Progress) -> None:
    """One data package per render: the one ``data_dir`` names, if it names one."""
    from ._cache import data_packages

    packages = data_packages(files)
    if given is not None and (given / "datapackage.json").is_file():
        foreign = [p for p in packages if p != given]
        if foreign:
            sample = [f for f in files if Path(f).is_relative_to(foreign[0])][:3]
            raise RenderError(
                f"{doc.name}: the document was given data_dir {str(given)!r}, but its code also read the data "
                f"package {str(foreign[0])!r} ({', '.join(sample)}): one render must take all its numbers from "
                "one data package; pass the data folder on to every loader", path=str(doc))
    elif len(packages) > 1:
        listed = "; ".join(
            f"{p} ({', '.join(f for f in files if Path(f).is_relative_to(p))[:200]})" for p in packages)
        raise RenderError(f"{doc.name}: the document read {len(packages)} data packages: {listed}; one render "
                          "must take all its numbers from one data package", path=str(doc))
    if packages:
        progress.info(f"data package: {packages[0]}")
    else:
        progress.info("data package: none read")


def _render_builtin(
    doc_path: Path, formats: tuple[str, ...], params: dict[str, Any], staging: Path,
    cache: bool, cache_dir: Path | None, timeout: float | None, roots: tuple[Path, ...], progress: Progress,
) -> RenderResult:
    from . import _cache
    from ._execute import (
        DEFAULT_TIMEOUT,
        Execution,
        KernelSession,
        execute_notebook,
        kernel_environment,
        matplotlibrc_text,
        needs_kernel,
    )
    from ._qmd import parse_qmd
    from ._settings import read_settings

    timings: dict[str, float] = {}
    t = time.perf_counter()
    doc = parse_qmd(doc_path)
    settings = read_settings(doc)
    cache_dir = cache_dir if cache_dir is not None else _cache.default_cache_dir()
    workdir = staging / ".work"
    workdir.mkdir()
    store = _cache.cache_file(cache_dir, doc.path)
    kernel: KernelSession | None = None
    execution: Execution | None = None
    try:
        # When execution is certain (code to run, and nothing stored or no cache), start the
        # kernel first: it starts up (half a second) while the render imports what it needs
        # next (nbformat, pandoc's side), builds the notebook and works out the cache key.
        if _runs_code(doc) and not (cache and store.exists()):
            kernel = KernelSession(settings, workdir, doc.path.parent)
        from ._markdown import NotebookFacts, build_markdown
        from ._notebook import build_notebook, parameter_defaults
        from ._pandoc import Companion, Job, primary_job, tree_key, write_outputs, write_values_file

        injected = _injected(doc, settings, params, progress)
        nb = build_notebook(doc, settings, injected)
        limit = timeout if timeout is not None else (settings.timeout or DEFAULT_TIMEOUT)
        given = _data_dir(doc.path.parent, {**parameter_defaults(doc), **injected})
        if kernel is None and needs_kernel(nb) and not (cache and store.exists()):
            kernel = KernelSession(settings, workdir, doc.path.parent)  # parameters only
        rc_text = matplotlibrc_text(settings)
        key = _cache.cache_key(nb, kernel_env=kernel_environment(settings, workdir / "matplotlibrc"),
                               rc_text=rc_text, local_rc=doc.path.parent / "matplotlibrc",
                               declared_env=settings.cache_env)
        timings["parse"] = time.perf_counter() - t

        lookup = _cache.load(cache_dir, doc.path, key, nb) if cache else _cache.Lookup(None, "cache off")
        stored, why = lookup.stored, lookup.why
        if lookup.invalid:
            progress.warn(why)
        hit = stored is not None
        if stored is not None:
            progress.info(f"cache hit ({store}): not executing")
            nb = stored.nb
            files = tuple(p for p, _ in stored.manifest.files)
            timings["execute"] = 0.0
        elif not needs_kernel(nb):
            progress.info("no code to run")
            files = ()
            timings["execute"] = 0.0
        else:
            if cache and not lookup.invalid:
                progress.info(f"cache miss: {why}")
            if kernel is None:
                kernel = KernelSession(settings, workdir, doc.path.parent)
            execution = execute_notebook(nb, doc, kernel=kernel, progress=progress, timeout=limit,
                                         exclude=(staging, cache_dir))
            files = execution.files
            timings["execute"] = execution.seconds
            # the traced values the document showed: stored (and cached) with the outputs
            nb.metadata["sbm_values"] = execution.values
    finally:
        if kernel is not None:
            kernel.shutdown()
    _check_data_packages(doc.path, files, given, progress)

    t = time.perf_counter()
    fig_dir = workdir / f"{doc.path.stem}_files"
    fig_dir.mkdir()
    written = workdir / "out"
    written.mkdir()
    jobs = []
    facts = NotebookFacts.of(doc, nb)
    for fmt in formats:
        md = build_markdown(doc, settings, nb, fmt, fig_dir=fig_dir, progress=progress, facts=facts,
                            allowed_roots=roots)
        jobs.append(Job(fmt, md, written / f"{doc.path.stem}{FORMATS[fmt]}"))
    timings["markdown"] = time.perf_counter() - t
    values: dict[str, list[dict[str, str]]] = {}
    companions = [Companion(f, written / f"{doc.path.stem}.values{FORMATS[f]}")
                  for f in settings.values_appendix_formats] if settings.values_appendix == "separate" else []
    # pandoc's reading of the markdown, kept with the stored execution: a re-render of the
    # document unchanged (a cache hit whose markdown is the same) does not read it again
    readings = _readings(nb) if hit else {}
    timings.update(write_outputs(jobs, settings, workdir=workdir, progress=progress, allowed_roots=roots,
                                 values=values, registry=nb.metadata.get("sbm_values"), companions=companions,
                                 readings=readings))
    for target in [job.target for job in jobs] + [c.target for c in companions if c.target.is_file()]:
        os.replace(target, staging / target.name)
    records = values.get(primary_job(jobs).fmt, [])
    if records:  # the values file, beside the outputs
        write_values_file(records, staging / f"{doc.path.stem}{VALUES_SUFFIX}")
    if execution is not None and cache:
        # with this render's readings only (the store does not grow with each edit)
        nb.metadata["sbm_readings"] = {k: readings[k] for k in dict.fromkeys(tree_key(j.markdown.markdown)
                                                                             for j in jobs)}
        _store_quietly(cache_dir, doc.path, key, nb, execution, progress)
    return RenderResult(doc.path, formats, (), "builtin", hit, MappingProxyType(injected), timings, key)


def _injected(doc: Any, settings: Any, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """The parameters injected (the front matter's, then ``params``), after the notes on chunk
    options the builtin engine ignores and on parameters the parameters chunk does not assign."""
    from ._notebook import parameter_defaults

    for chunk in doc.chunks:
        if chunk.options.ignored:
            progress.info(f"note: {chunk.name} (line {chunk.line}): option"
                          f"{'s' if len(chunk.options.ignored) > 1 else ''} "
                          f"{', '.join(chunk.options.ignored)} ignored by the builtin engine")
    unknown = sorted(set(params) - set(parameter_defaults(doc)) - set(settings.params))
    if unknown and any("parameters" in c.options.tags for c in doc.chunks):
        progress.warn(f"parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} not assigned "
                      "in the parameters chunk (injected anyway)")
    return {**dict(settings.params), **params}


def _runs_code(doc: Any) -> bool:
    """Whether ``doc`` has code the kernel runs: a chunk that is evaluated, or an inline expression.

    (Parameters given to a document with neither also make code: that notebook is known
    once it is built, see ``needs_kernel``.)"""
    return bool(doc.inlines) or any(chunk.options.eval for chunk in doc.chunks)


def _readings(nb: Any) -> dict[str, str]:
    """pandoc's readings of the markdown stored with an execution (see ``write_outputs``)."""
    stored = nb.metadata.get("sbm_readings")
    return {k: v for k, v in stored.items() if isinstance(v, str)} if isinstance(stored, dict) else {}


def _store_quietly(cache_dir: Path, document: Path, key: str, nb: Any, execution: Any, progress: Progress) -> None:
    """Store the execution; a failure is a warning (the render itself succeeded)."""
    from .._publish import os_error_message
    from . import _cache

    try:
        # the digests the kernel took when it read each file: a file changed since then
        # (during the render) would be stored with content the outputs do not show
        manifest = _cache.Manifest.recorded(execution.file_digests, execution.folder_digests).with_created()
        changed = manifest.changed()
        if changed:
            progress.warn(f"the execution was not cached: {', '.join(changed[:3])} changed during the render; "
                          "the next render runs the code again")
            return
        _cache.store(cache_dir, document, key, nb, manifest)
    except OSError as exc:
        progress.warn(f"the execution was not cached ({os_error_message(exc)}); the next render runs the code again")
