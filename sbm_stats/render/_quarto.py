"""Hand the render to Quarto, in a scratch copy of the document's folder.

The call is the one Quarto documents (``quarto render --help``)::

    quarto render <scratch>/<doc>.qmd --to html,typst,docx [-P name:value ...] [--no-cache] [--quiet]

run with ``QUARTO_PYTHON`` set to this interpreter, so that Quarto's Jupyter
runs with the packages installed here (and not with whatever ``python3`` comes
first on PATH). The rules, each checked against Quarto's source
(``quarto-dev/quarto-cli``) and what Quarto 1.11.0 did with our fixtures:

- **Version.** ``quarto --version`` prints the version; 1.4 is the minimum:
  it introduced the ``typst`` format (our PDF) and inline ``{python}``
  expressions in Jupyter documents.
- **Parameters.** Only the values the user overrides are passed, one
  ``-P name:value`` each; the front matter's defaults stay in the document.
  Quarto reads each value with its YAML reader (``src/command/render/flags.ts``),
  so the value is written as JSON, which that reader reads back with its type:
  ``"2014"`` stays text, ``2014`` a number, ``""`` an empty text (a bare
  ``-P name:`` would be dropped), ``null`` None. Any parameter makes Quarto's
  Jupyter import papermill (``nb_parameterize`` in
  ``src/resources/jupyter/notebook.py``); its absence is reported before
  Quarto starts.
- **Cache.** Nothing by default: the document's own ``execute: cache`` decides,
  as under Quarto. ``cache=False`` adds ``--no-cache``, which turns Jupyter
  Cache off for the run so that every cell executes. ``--cache-refresh`` is
  never passed: it switches Jupyter Cache *on* (it needs the jupyter-cache
  package and broke inline expressions).
- **Scratch copy.** Quarto writes beside the document: ``.quarto/``, entries
  appended to ``.gitignore``, ``<stem>_files/``, ``<stem>.quarto_ipynb`` and
  the outputs. So it renders a copy of the document's folder in a private
  temporary folder (outside the user's tree, so that no ``_quarto.yml`` above
  the output folder can pull the copy into a project), and the chunks run
  there, with the document's folder as they know it: ``data/`` and a local
  ``sbm_stats/`` are in the copy. See :func:`copy_folder` for what is copied.
- **Outputs.** The main file per format and, for HTML that is not
  self-contained, every file it loads (``<stem>_files/`` whole, and any other
  file of the folder it names in a ``src`` or a ``<link href>``), moved into
  the caller's staging folder; nothing is written anywhere else.
"""

from __future__ import annotations

import collections
import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit

from ._errors import RenderError
from ._progress import Progress

__all__ = [
    "QUARTO_FORMATS",
    "MIN_QUARTO_VERSION",
    "QuartoResult",
    "find_quarto",
    "check_quarto",
    "quarto_version",
    "quarto_command",
    "execute_param_args",
    "copy_folder",
    "render_with_quarto",
]

#: Our format name -> Quarto's format name and the extension of the file it writes.
QUARTO_FORMATS = {"html": ("html", ".html"), "pdf": ("typst", ".pdf"), "docx": ("docx", ".docx")}
#: The oldest Quarto that has every feature used (``typst``, inline ``{python}``).
MIN_QUARTO_VERSION = (1, 4)

_INSTALL_QUARTO = ("install Quarto 1.4 or later (https://quarto.org/docs/get-started/, or "
                   "pip install 'sbm-stats[quarto]'), or use engine 'builtin' (--engine builtin)")
_INSTALL_PAPERMILL = "pip install 'sbm-stats[quarto]' (or pip install papermill)"
#: Folders never copied into the scratch folder, by name (besides every name starting with '.').
_SKIPPED_NAMES = frozenset({"__pycache__", "node_modules"})
#: JavaScript numbers are doubles: integers beyond this lose digits on the way through Quarto.
_MAX_EXACT_INT = 2**53
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TAIL_LINES = 40


@dataclass(frozen=True)
class QuartoResult:
    """What a Quarto render staged.

    Attributes
    ----------
    source : Path
        The ``.qmd`` rendered (the original; Quarto saw a copy).
    formats : tuple of str
        The formats asked for, in order (our names: ``html``, ``pdf``, ``docx``).
    outputs : tuple of Path
        The main file of each format, inside the staging folder, in the same order.
    supporting : tuple of Path
        The top-level files and folders inside the staging folder that the
        outputs load (``<stem>_files/`` for HTML that is not self-contained);
        empty when every output is self-contained.
    overrides : Mapping
        The parameters passed with ``-P`` (the user's overrides only).
    version : str
        What ``quarto --version`` printed.
    command : tuple of str
        The ``quarto render`` call, as run in the scratch folder.
    seconds : float
        Time Quarto ran.
    """

    source: Path
    formats: tuple[str, ...]
    outputs: tuple[Path, ...]
    supporting: tuple[Path, ...]
    overrides: Mapping[str, Any]
    version: str
    command: tuple[str, ...]
    seconds: float

    @property
    def entries(self) -> tuple[Path, ...]:
        """Every top-level path to publish: the outputs, then the supporting files."""
        return self.outputs + self.supporting

    def output(self, fmt: str) -> Path:
        """The main file staged for ``fmt``."""
        if fmt not in self.formats:
            raise ValueError(f"fmt ({fmt!r}) must be one of " + ", ".join(repr(f) for f in self.formats))
        return self.outputs[self.formats.index(fmt)]


# ----------------------------------------------------------------------------- finding and checking Quarto

def find_quarto(*, required: bool = False) -> str | None:
    """The ``quarto`` executable on PATH, or ``None``.

    Raises
    ------
    RenderError
        If ``required`` and there is none, naming the fix.
    """
    quarto = shutil.which("quarto")
    if quarto is None and required:
        raise RenderError("engine ('quarto') needs a quarto executable on PATH, and none was found: "
                          + _INSTALL_QUARTO)
    return quarto


def quarto_version(quarto: str) -> tuple[str, tuple[int, ...]]:
    """Run ``quarto --version``; return what it printed and the version as numbers.

    Raises
    ------
    RenderError
        If Quarto cannot be run or prints no version.
    """
    try:
        proc = subprocess.run([quarto, "--version"], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, encoding="utf-8", errors="replace", timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise RenderError(f"Quarto ({quarto}) could not be run: {reason}; {_INSTALL_QUARTO}") from None
    printed = proc.stdout.strip()
    match = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", printed)
    if proc.returncode != 0 or match is None:
        said = (printed or proc.stderr.strip() or "nothing")[:200]
        raise RenderError(f"`{quarto} --version` exited with code {proc.returncode} and printed {said!r}, "
                          f"not a version number; {_INSTALL_QUARTO}")
    return printed, tuple(int(g) for g in match.groups() if g is not None)


def _papermill_available() -> bool:
    """True if papermill can be imported in this interpreter (the one Quarto is given)."""
    return importlib.util.find_spec("papermill") is not None


def check_quarto(quarto: str, overrides: Mapping[str, Any] = MappingProxyType({})) -> str:
    """Check that ``quarto`` can render here; return its version as printed.

    Raises
    ------
    RenderError
        If Quarto cannot be run, is older than :data:`MIN_QUARTO_VERSION`, or
        ``overrides`` are given and papermill is not importable in this
        interpreter. Each message names the cause and the fix.
    """
    printed, numbers = quarto_version(quarto)
    if numbers < MIN_QUARTO_VERSION:
        minimum = ".".join(map(str, MIN_QUARTO_VERSION))
        raise RenderError(f"Quarto {printed} ({quarto}) is too old: sbm-stats needs Quarto {minimum} or later "
                          f"(for the typst format and inline Python values); {_INSTALL_QUARTO}")
    if overrides and not _papermill_available():
        names = ", ".join(sorted(overrides))
        raise RenderError(
            f"parameters ({names}) given to a Quarto render need the papermill package, which Quarto's "
            f"Jupyter imports from this Python ({sys.executable}), and it is not installed: {_INSTALL_PAPERMILL}; "
            "or use engine 'builtin' (--engine builtin)")
    return printed


# ----------------------------------------------------------------------------- the command

def _json_value(name: str, value: Any) -> Any:
    """``value`` as the JSON-able value Quarto will hand to papermill, or an error."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if abs(value) > _MAX_EXACT_INT:
            raise RenderError(f"parameter {name} ({value!r}): Quarto reads numbers as JavaScript doubles, exact "
                              f"only up to {_MAX_EXACT_INT}; pass it as text or use engine 'builtin'")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RenderError(f"parameter {name} ({value!r}) must be a finite number to pass through Quarto")
        return value
    if isinstance(value, (list, tuple)):
        return [_json_value(name, v) for v in value]
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise RenderError(f"parameter {name} ({value!r}): Quarto passes only text keys in a dict; "
                              "use text keys or engine 'builtin'")
        return {k: _json_value(name, v) for k, v in value.items()}
    raise RenderError(f"parameter {name} ({value!r}) must be None, a bool, number or str, or a list or dict "
                      "of them, to pass through Quarto")


def execute_param_args(overrides: Mapping[str, Any]) -> list[str]:
    """``-P name:value`` for each override, the value written as one line of JSON.

    Quarto splits ``name:value`` at the first ``:`` or ``=`` and reads the value
    with its YAML reader; JSON is YAML that reader reads back with the same type.

    Raises
    ------
    RenderError
        For a name Quarto cannot take or a value that cannot keep its type.

    Examples
    --------
    >>> execute_param_args({"wave": 2014, "label": "2014", "data_dir": ""})
    ['-P', 'wave:2014', '-P', 'label:"2014"', '-P', 'data_dir:""']
    """
    args: list[str] = []
    for name, value in overrides.items():
        if not isinstance(name, str) or not name or ":" in name or "=" in name:
            raise RenderError(f"parameter name ({name!r}) cannot be passed to Quarto: it must be text "
                              "without ':' or '='")
        text = json.dumps(_json_value(name, value), ensure_ascii=False, allow_nan=False)
        args += ["-P", f"{name}:{text}"]
    return args


def quarto_command(
    quarto: str, document: Path, formats: tuple[str, ...], overrides: Mapping[str, Any],
    *, cache: bool = True, quiet: bool = False,
) -> list[str]:
    """The argument list of the ``quarto render`` call (see the module's docstring)."""
    args = [quarto, "render", str(document), "--to", ",".join(QUARTO_FORMATS[f][0] for f in formats)]
    args += execute_param_args(overrides)
    if not cache:
        args.append("--no-cache")
    if quiet:
        args.append("--quiet")
    return args


# ----------------------------------------------------------------------------- the scratch copy

def _is_environment(folder: Path) -> bool:
    # Quarto's own test for a Python environment (isEnvDir in core/jupyter/capabilities.ts)
    return (folder / "pyvenv.cfg").exists() or (folder / "conda-meta").exists()


def copy_folder(source: Path, target: Path, *, stem: str, exclude: Iterable[Path] = ()) -> tuple[int, int]:
    """Copy the document's folder ``source`` into the empty folder ``target``.

    What is left out, and why:

    - every name starting with ``.`` (``.git/``, ``.venv/``, ``.quarto/``,
      ``.gitignore``, caches, our staging folders): version control, virtual
      environments and tool state, never read by a document;
    - ``__pycache__/``, ``node_modules/`` and any folder that is a Python
      environment (it holds ``pyvenv.cfg`` or ``conda-meta/``, Quarto's own test);
    - the document's earlier Quarto output at the top of the folder
      (``<stem>_files/``, ``<stem>.html``, ``.pdf``, ``.docx``) and any
      ``*.quarto_ipynb``, so that a stale file can never pass for a new one;
    - the folders in ``exclude`` (the caller's output and staging folders).

    Files are copied (``shutil.copy2``), not linked: a chunk that writes to a
    file of the copy must not change the original. Symbolic links are copied as
    links, so a large data folder linked into the project is not duplicated.

    Returns
    -------
    (files, bytes) copied.
    """
    excluded = {p.resolve() for p in exclude}
    top_outputs = {f"{stem}_files"} | {stem + ext for _, ext in QUARTO_FORMATS.values()}
    files = size = 0

    def skipped(path: Path, top: bool) -> bool:
        name = path.name
        if name.startswith(".") or name in _SKIPPED_NAMES or name.endswith(".quarto_ipynb"):
            return True
        if top and name in top_outputs:
            return True
        if path.is_dir() and not path.is_symlink():
            return path.resolve() in excluded or _is_environment(path)
        return False

    for root, dirs, names in os.walk(source):
        here = Path(root)
        there = target / here.relative_to(source)
        top = here == source
        kept = []
        for name in sorted(dirs):
            path = here / name
            if skipped(path, top):
                continue
            if path.is_symlink():
                os.symlink(os.readlink(path), there / name)
            else:
                (there / name).mkdir()
                kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            path = here / name
            if skipped(path, top):
                continue
            if path.is_symlink():
                os.symlink(os.readlink(path), there / name)
            elif path.is_file():
                shutil.copy2(path, there / name)
                files += 1
                size += path.stat().st_size
    return files, size


# ----------------------------------------------------------------------------- running Quarto

def _error_tail(lines: list[str]) -> str:
    """The part of Quarto's output that says what went wrong: from the last failing cell
    (or the first ``ERROR`` line) on, at most the last :data:`_TAIL_LINES` lines."""
    start = max(0, len(lines) - _TAIL_LINES)
    cells = [i for i, line in enumerate(lines) if line.startswith("An error occurred while executing")]
    errors = [i for i, line in enumerate(lines) if line.startswith("ERROR")]
    marks = cells[-1:] or errors[:1]
    if marks and marks[0] > start:
        start = marks[0]
    return "\n".join(lines[start:]).strip()


def _run(args: list[str], cwd: Path, env: dict[str, str], *, timeout: float | None, quiet: bool,
         progress: Progress, show: Any) -> tuple[int, list[str], bool]:
    """Run Quarto, echo its output as it comes; return the exit code, the last lines, and
    whether it was stopped for running past ``timeout``."""
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace")
    expired = threading.Event()

    def stop() -> None:
        expired.set()
        proc.kill()

    timer = threading.Timer(timeout, stop) if timeout is not None else None
    tail: collections.deque[str] = collections.deque(maxlen=400)
    try:
        if timer is not None:
            timer.start()
        for raw in proc.stdout or ():
            line = show(_ANSI.sub("", raw.rstrip("\n")))
            tail.append(line)
            if not quiet and line.strip():
                progress.info(f"quarto: {line}")
        code = proc.wait()
    finally:
        if timer is not None:
            timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return code, list(tail), expired.is_set()


class _Loads(HTMLParser):
    """The URLs an HTML page loads: ``src`` of any element, ``href`` of ``<link>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if value and (key == "src" or (tag == "link" and key == "href")):
                self.urls.append(value)


def _local_files(html: Path, folder: Path) -> tuple[list[Path], list[str]]:
    """Files inside ``folder`` that ``html`` loads by a relative URL; and the URLs outside it."""
    parser = _Loads()
    parser.feed(html.read_text(encoding="utf-8", errors="replace"))
    found, outside = [], []
    for url in parser.urls:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
            continue
        path = (html.parent / unquote(parts.path)).resolve()
        if not path.is_relative_to(folder):
            outside.append(url)
        elif path.is_file():
            found.append(path)
    return found, outside


def render_with_quarto(  # noqa: C901 - check, copy, run and collect share one clean-up that must see every step
    quarto: str,
    document: Path,
    formats: tuple[str, ...],
    *,
    overrides: Mapping[str, Any],
    staging: Path,
    epoch: int | None,
    quiet: bool,
    progress: Progress,
    cache: bool = True,
    timeout: float | None = None,
    exclude: Iterable[Path] = (),
) -> QuartoResult:
    """Render ``document`` with Quarto in a scratch copy; stage the results in ``staging``.

    Parameters
    ----------
    quarto : str
        The Quarto executable.
    document : Path
        The ``.qmd`` file.
    formats : tuple of {'html', 'pdf', 'docx'}
        The formats; ``pdf`` is Quarto's ``typst`` format.
    overrides : mapping
        The parameters the user set (not the front matter's defaults): one
        ``-P`` each. Empty: no ``-P``, and papermill is not needed.
    staging : Path
        An existing folder the caller publishes afterwards. Only the outputs
        and their supporting files are written there, and only once Quarto
        succeeded and wrote every expected file.
    epoch : int or None
        ``SOURCE_DATE_EPOCH`` for Quarto and the kernel.
    quiet : bool
        Pass ``--quiet`` to Quarto and echo nothing.
    progress : Progress
        Where Quarto's output is echoed, line by line.
    cache : bool
        ``False`` adds ``--no-cache`` (Jupyter Cache off: every cell runs).
    timeout : float, optional
        Seconds Quarto may run before it is stopped.
    exclude : iterable of Path
        Folders inside the document's folder not to copy (the output folder).

    Returns
    -------
    QuartoResult

    Raises
    ------
    RenderError
        Quarto cannot be run or is too old; overrides without papermill; a
        parameter value that cannot keep its type through Quarto; Quarto exits
        with an error (the message holds the end of its output) or runs past
        ``timeout``; Quarto succeeds without writing an expected file. Nothing
        is written to ``staging`` then, and the source folder is never written to.
    ValueError
        If ``staging`` is not a folder or already holds an output's name.

    Notes
    -----
    Where the result can differ from ``quarto render`` in place: the chunks run
    in the copy, so a relative path that leaves the document's folder
    (``../data``) does not reach the original (pass an absolute path); files
    whose name starts with ``.`` are not in the copy; a ``_quarto.yml`` above
    the document's folder is not seen (a warning says so). A ``float`` override
    with an integral value (``2.0``) reaches the document as an ``int``: Quarto
    hands parameters to Python as JSON written by JavaScript, which drops the
    ``.0``. A tuple arrives as a list.
    """
    document = Path(document).resolve()
    staging = Path(staging)
    if not staging.is_dir():
        raise ValueError(f"staging ({str(staging)!r}) must be an existing folder")
    stem = document.stem
    names = [stem + QUARTO_FORMATS[f][1] for f in formats]
    taken = [n for n in [*names, f"{stem}_files"] if (staging / n).exists() or (staging / n).is_symlink()]
    if taken:
        raise ValueError(f"staging ({staging}) already holds {', '.join(taken)}")
    overrides = dict(overrides)
    execute_param_args(overrides)  # every value checked before anything runs
    version = check_quarto(quarto, overrides)
    progress.info(f"Quarto {version} ({quarto}), Python {sys.executable}")
    folder = document.parent
    for above in (folder, *folder.parents):
        found = [n for n in ("_quarto.yml", "_quarto.yaml") if (above / n).is_file()]
        if found:
            progress.warn(f"{above / found[0]}: {document.name} belongs to a Quarto project; it is rendered "
                          "alone, in a copy of its folder" + (", without the project's settings"
                                                               if above != folder else ""))
            break

    scratch = Path(tempfile.mkdtemp(prefix="sbm-quarto-")).resolve()
    try:
        copy = scratch / folder.name
        copy.mkdir()
        n_files, n_bytes = copy_folder(folder, copy, stem=stem, exclude=[staging, *exclude])
        progress.info(f"copied {folder} to a scratch folder ({n_files} files, {n_bytes / 1e6:.1f} MB)")
        args = quarto_command(quarto, copy / document.name, formats, overrides, cache=cache, quiet=quiet)
        env = dict(os.environ)
        env["QUARTO_PYTHON"] = sys.executable
        if epoch is not None:
            env["SOURCE_DATE_EPOCH"] = str(epoch)

        def show(text: str) -> str:
            return text.replace(str(copy), str(folder))

        progress.info("running " + " ".join(show(a) for a in args))
        t = time.perf_counter()
        code, lines, expired = _run(args, copy, env, timeout=timeout, quiet=quiet, progress=progress, show=show)
        seconds = time.perf_counter() - t
        if expired:
            raise RenderError(f"quarto render of {document.name} did not finish within {timeout:g} s and was "
                              "stopped (nothing was written)", path=str(document))
        if code != 0:
            raise RenderError(f"quarto render failed (exit code {code}) for {document.name}; the end of its "
                              f"output:\n{_error_tail(lines)}", path=str(document))
        missing = [n for n in names if not (copy / n).is_file()]
        if missing:
            raise RenderError(f"quarto render of {document.name} reported success (exit code 0) but did not "
                              f"write {', '.join(missing)}", path=str(document))

        loaded: dict[Path, None] = {}
        for fmt, name in zip(formats, names):
            if fmt != "html":
                continue
            found, outside = _local_files(copy / name, copy)
            for url in outside:
                progress.warn(f"{name} loads {url}, outside {folder}: it is not copied to the output")
            loaded.update(dict.fromkeys(found))
        files_dir = copy / f"{stem}_files"
        whole = [files_dir] if any(p.is_relative_to(files_dir) for p in loaded) else []
        single = [p for p in loaded if not p.is_relative_to(files_dir)]

        outputs = []
        for name in names:
            shutil.move(copy / name, staging / name)
            outputs.append(staging / name)
        supporting: dict[Path, None] = {}
        for path in whole:
            shutil.move(path, staging / path.name)
            supporting[staging / path.name] = None
        for path in single:
            relative = path.relative_to(copy)
            if (staging / relative).exists():
                continue
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, staging / relative)
            supporting[staging / relative.parts[0]] = None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return QuartoResult(
        source=document, formats=tuple(formats), outputs=tuple(outputs), supporting=tuple(supporting),
        overrides=MappingProxyType(overrides), version=version, command=tuple(show(a) for a in args),
        seconds=seconds)

