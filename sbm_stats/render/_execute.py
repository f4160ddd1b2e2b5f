"""Run a built notebook with nbclient, in a kernel of this very environment.

The kernel is started as ``sys.executable -m ipykernel_launcher``: not the
``python3`` kernel spec found on the Jupyter path (whose ``python`` could be any
interpreter on PATH), but the interpreter running the render, so that the
document sees exactly the packages of the environment that renders it.

The kernel's environment is pinned for reproducible output:

- ``SOURCE_DATE_EPOCH`` (matplotlib writes it as the date of SVG and PDF files);
- ``PYTHONHASHSEED=0`` (set and dict-of-set orders in printed output);
- ``MPLBACKEND`` = the inline backend (which draws with Agg) and
  ``MATPLOTLIBRC`` = a file fixing figure size, ``savefig.dpi`` and
  ``svg.hashsalt`` (a ``matplotlibrc`` in the document's folder takes precedence,
  as matplotlib documents).

Two hidden cells, not part of the notebook, run around the document: the first installs
an audit hook that records every file the kernel opens for reading, with the SHA-256 of
its content at its first open, and every folder it lists, with a digest of its names
then; the last reports those, with the modules imported from outside the standard
library and the installed packages. From them the render builds the cache's manifest
and checks that the run read one data package only (see ``_cache``).

Each chunk gets ``timeout`` seconds (the front matter's ``execute: timeout``, the
``timeout`` argument of ``render``, else :data:`DEFAULT_TIMEOUT`); a chunk that runs
longer, or a kernel that dies, fails the render with the chunk's name and line.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import RenderError
from ._progress import Progress
from ._qmd import QmdDocument
from ._settings import DocumentSettings

if TYPE_CHECKING:  # imported where used: a render starts its kernel before it imports nbformat
    from nbformat import NotebookNode

__all__ = ["KernelSession", "Execution", "execute_notebook", "needs_kernel", "kernel_environment",
           "matplotlibrc_text", "strip_ansi", "DEFAULT_TIMEOUT"]

#: Seconds a chunk may run before the render stops it, unless the document or caller says otherwise.
DEFAULT_TIMEOUT = 600.0

# Installed in the kernel before the document's first cell. The hook must never raise
# (an exception in an audit hook propagates into the code that triggered the event).
_TRACK_SOURCE = """\
def __sbm_track__():
    import hashlib, os, sys, sysconfig, threading
    files, folders = {}, {}
    write = os.O_WRONLY | os.O_RDWR
    paths = sysconfig.get_paths()
    skip = tuple({os.path.realpath(p).rstrip(os.sep) + os.sep
                  for p in (paths["stdlib"], paths["platstdlib"], paths["purelib"], paths["platlib"],
                            sys.prefix, sys.base_prefix, sys.exec_prefix)} | {"/proc/", "/sys/", "/dev/"})
    busy = threading.local()

    def digest(path):
        # what the file holds when it is first opened, hashed here and now (not when the
        # render stores its cache, after pandoc and Typst: the file may have changed by then)
        if path.startswith(skip) or os.path.realpath(path).startswith(skip) or not os.path.isfile(path):
            return None
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()

    def listing(path):
        names = sorted(n for n in os.listdir(path) if not n.startswith(".sbm-staging-"))
        return hashlib.sha256("\\0".join(names).encode("utf-8", "surrogateescape")).hexdigest()

    def hook(event, args):
        if getattr(busy, "on", False):
            return  # the hook's own reads
        try:
            busy.on = True
            if event == "open":
                path, mode = args[0], args[1]
                if isinstance(path, int) or path is None:
                    return
                if mode is None:
                    if args[2] & write and not args[2] & os.O_RDWR:
                        return
                elif not ("r" in mode or "+" in mode):
                    return
                path = os.path.abspath(os.fsdecode(path))
                if path not in files:
                    try:
                        files[path] = digest(path)
                    except Exception:
                        files[path] = None
            elif event in ("os.listdir", "os.scandir"):
                if sys._getframe(1).f_code.co_filename.startswith("<frozen importlib"):
                    return  # the import system's own look at sys.path (imports are tracked as modules)
                path = args[0]
                if isinstance(path, int):
                    return
                path = os.path.abspath(os.fsdecode(path if path is not None else "."))
                if path not in folders:
                    try:
                        folders[path] = listing(path)
                    except Exception:
                        folders[path] = None
        except Exception:
            pass
        finally:
            busy.on = False

    sys.addaudithook(hook)
    return files, folders, digest
__sbm_tracked__ = __sbm_track__()
del __sbm_track__
"""

# Run after the document: what it read and imported, and the traced values it showed (the
# render's registry, sbm_stats.provenance.shown_values), as one JSON line on stdout.
_REPORT_SOURCE = """\
def __sbm_report__():
    import json, os, sys, sysconfig
    files, folders, digest = __sbm_tracked__
    paths = sysconfig.get_paths()
    skip = {os.path.realpath(p) for p in (paths["stdlib"], paths["platstdlib"], paths["purelib"],
                                        paths["platlib"], sys.prefix, sys.base_prefix, sys.exec_prefix)}
    modules = {}
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        if isinstance(name, str) and os.path.isabs(name) and name not in files:
            try:  # a module is hashed when the document has run (its source may never be opened: .pyc)
                modules[name] = digest(name)
            except Exception:
                modules[name] = None
    entries = {os.path.abspath(p or ".") for p in sys.path if isinstance(p, str)}
    traced = sys.modules.get("sbm_stats.provenance")
    try:
        values = traced.shown_values() if traced is not None else None
    except Exception as exc:  # a value that cannot be listed: the render says which, not "internal error"
        values = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps({"skip": sorted(skip), "modules": modules, "files": files,
                      "folders": {p: d for p, d in folders.items() if p not in entries},
                      "cwd": os.getcwd(), "values": values}))
__sbm_report__()
del __sbm_report__
"""

_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """Text without terminal colour codes."""
    return _ANSI_RE.sub("", text)


def matplotlibrc_text(settings: DocumentSettings) -> str:
    """The matplotlibrc the kernel reads."""
    return "\n".join([
        f"figure.figsize: {settings.fig_width:g}, {settings.fig_height:g}",
        f"savefig.dpi: {settings.fig_dpi}",
        "svg.hashsalt: sbm-stats",
        "svg.fonttype: path",
        "",
    ])


def kernel_environment(settings: DocumentSettings, rc_path: Path) -> dict[str, str]:
    """The variables set in the kernel's environment (on top of the inherited ones)."""
    return {
        "SOURCE_DATE_EPOCH": str(settings.epoch),
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "MATPLOTLIBRC": str(rc_path),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def _kernel_manager_class(env: Mapping[str, str]) -> type:
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    spec = KernelSpec(
        argv=[sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher",
              "-f", "{connection_file}", "--HistoryManager.enabled=False"],
        display_name=f"Python {sys.version_info.major}.{sys.version_info.minor} ({sys.executable})",
        language="python",
        env=dict(env),
    )

    class SameEnvironmentKernelManager(AsyncKernelManager):
        """A kernel manager whose kernel is ``sys.executable``, whatever the kernel specs say."""

        @property
        def kernel_spec(self) -> KernelSpec:  # type: ignore[override]
            return spec

    return SameEnvironmentKernelManager


#: The names of the project's errors for bad input (:mod:`sbm_stats.errors`): a chunk failing with
#: one of them is reported by its message alone, without the kernel's traceback.
_INPUT_ERRORS = frozenset({"DataValidationError", "DesignError"})


def _chunk_error(doc: QmdDocument, cell: NotebookNode, exc: Any) -> RenderError:
    sbm = cell.metadata.get("sbm", {})
    tb = strip_ansi(getattr(exc, "traceback", "") or str(exc))
    # nbclient's message repeats the cell source before the traceback; keep the
    # traceback proper (it starts after the last dashed separator).
    parts = tb.split("------------------\n")
    tb_only = parts[-1].strip("\n") if len(parts) > 1 else tb
    ename = getattr(exc, "ename", "Error")
    evalue = getattr(exc, "evalue", "")
    # bad input (a design file, a frame) is said by its message, which names what to change; the
    # traceback stays in the error's ``traceback`` for whoever debugs the package
    shown_tb = "" if ename in _INPUT_ERRORS else f"\n\n{tb_only}"
    if sbm.get("kind") == "inline":
        n_done = sum(1 for o in cell.outputs if o.get("output_type") == "display_data")
        expr = [e for e in doc.inlines if e.id in sbm.get("ids", [])][n_done]
        return RenderError(
            f"{doc.path.name}, line {expr.line}: the inline expression `{{python}} {expr.code}` "
            f"failed: {ename}: {evalue}{shown_tb}",
            path=str(doc.path), line=expr.line, source=expr.code, traceback=tb_only,
        )
    chunk = doc.chunks[sbm["chunk"]] if sbm.get("kind") == "chunk" else None
    if chunk is None:
        return RenderError(f"{doc.path.name}: the {sbm.get('kind', 'hidden')} cell failed: "
                           f"{ename}: {evalue}{shown_tb}", path=str(doc.path), traceback=tb_only)
    width = len(str(chunk.line + chunk.source.count("\n") + 2))
    listing = [f"{chunk.line:>{width}} | {chunk.fence}"]
    listing += [f"{chunk.line + 1 + k:>{width}} | {text}" for k, text in enumerate(chunk.source.split("\n"))]
    where = f"chunk {chunk.options.label!r}" if chunk.options.label else f"chunk {chunk.index + 1} (unlabelled)"
    message = (
        f"{where} failed, {doc.path.name} line {chunk.line}: {ename}: {evalue}\n\n"
        + "\n".join(listing)
        + (f"\n\nTraceback (line k of the cell is line {chunk.line} + k of {doc.path.name}):\n{tb_only}"
           if shown_tb else "")
    )
    return RenderError(message, path=str(doc.path), label=chunk.options.label, line=chunk.line,
                       source=chunk.source, traceback=tb_only)


def needs_kernel(nb: NotebookNode) -> bool:
    """Whether ``nb`` holds code beyond the hidden setup cell."""
    return sum(1 for c in nb.cells if c.cell_type == "code") > 1


class KernelSession:
    """A kernel of this environment, started when the object is made.

    Starting it before the render knows for certain that it must execute (a
    render without a stored execution, or with ``cache=False``) lets the kernel
    start up while the cache key is being worked out.
    """

    def __init__(self, settings: DocumentSettings, workdir: Path, cwd: Path):
        from jupyter_core.utils import ensure_event_loop

        rc_path = workdir / "matplotlibrc"
        rc_path.write_text(matplotlibrc_text(settings), encoding="utf-8")
        self.log_path = workdir / "kernel.log"
        self._log = open(self.log_path, "w", encoding="utf-8")
        manager = _kernel_manager_class(kernel_environment(settings, rc_path))
        #: POSIX: the folder of the kernel's channels, Unix sockets rather than TCP ports (a free
        #: port the client picked could be taken before the kernel bound it: "Address already in
        #: use", seen with several renders starting at once). A folder of this render's own, only
        #: its user may enter, with a short absolute path (a socket's path has at most 107 bytes).
        self._channels: str | None = None
        if os.name == "posix":
            import tempfile

            self._channels = tempfile.mkdtemp(prefix="sbm-k-", dir="/tmp" if os.path.isdir("/tmp") else None)
            self.km = manager(kernel_name="python3", transport="ipc", ip=os.path.join(self._channels, "k"))
        else:  # pragma: no cover - tested on POSIX
            self.km = manager(kernel_name="python3")
        #: the kernel client kept between executions (``execute_notebook(..., keep_kernel=True)``)
        self.client: Any = None
        #: whether the read tracking (the first hidden cell) runs in this kernel already
        self.tracking = False
        self._loop = ensure_event_loop()
        try:
            self._loop.run_until_complete(self.km.start_kernel(cwd=str(cwd), stdout=self._log, stderr=self._log))
        except Exception as exc:
            self._log.close()
            self._remove_channels()
            raise RenderError(f"the Python kernel could not start: {type(exc).__name__}: {exc}") from None

    def log_tail(self) -> str:
        """The end of the kernel's log, without ipykernel's notice about its local transport."""
        self._log.flush()
        text = strip_ansi(self.log_path.read_text(encoding="utf-8", errors="replace"))
        lines = [line for line in text.splitlines() if "without encryption" not in line]
        return "\n".join(lines)[-2000:]

    def shutdown(self) -> None:
        """Stop the kernel (at once: every output has been received) and close its log."""
        try:
            if self.client is not None:
                self.client.stop_channels()
                self.client = None
            if self.km.has_kernel:
                self._loop.run_until_complete(self.km.shutdown_kernel(now=True))
        finally:
            self._log.close()
            self._remove_channels()

    def _remove_channels(self) -> None:
        if self._channels is not None:
            import shutil

            shutil.rmtree(self._channels, ignore_errors=True)
            self._channels = None


@dataclass(frozen=True)
class Execution:
    """What running a notebook took and used.

    Attributes
    ----------
    seconds : float
        Time spent executing.
    files : tuple of str
        Files the kernel read and modules it imported, outside the standard library,
        the installed packages and the kernel's own temporary files.
    folders : tuple of str
        Folders the kernel listed.
    values : dict or None
        The traced values the document showed, with their inputs
        (:func:`sbm_stats.provenance.shown_values`); None when it showed none.
    file_digests, folder_digests : dict
        The SHA-256 of each of ``files`` as the kernel read it (taken at its first
        open; a module's after the document ran) and of each folder's listing as the
        kernel listed it; ``None`` for one that did not exist.
    """

    seconds: float
    files: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    values: dict[str, Any] | None = None
    file_digests: Mapping[str, str | None] = field(default_factory=dict)
    folder_digests: Mapping[str, str | None] = field(default_factory=dict)


_SYSTEM_PREFIXES = ("/proc/", "/sys/", "/dev/")


def _outside(path: str, prefixes: list[str]) -> bool:
    if path.startswith(_SYSTEM_PREFIXES) or "__pycache__" in path or "/ipykernel_" in path:
        return False
    real = os.path.realpath(path)
    return not any(real == p or real.startswith(p.rstrip(os.sep) + os.sep) for p in prefixes)


def _used(report: dict[str, Any], exclude: list[Path]) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """The files and folders of the kernel's report that the cache must watch, with their digests.

    The digests are the kernel's: a data file's taken when the document first opened it,
    a module's when the document had run, a folder's listing when the document listed it.
    """
    prefixes = [os.path.realpath(p) for p in report.get("skip", [])] + [os.path.realpath(p) for p in exclude]
    read = {**report.get("modules", {}), **report.get("files", {})}
    files = {p: d for p, d in read.items() if _outside(p, prefixes)}
    files = {p: d for p, d in files.items() if os.path.isfile(p) or not os.path.exists(p)}
    folders = {p: d for p, d in report.get("folders", {}).items() if _outside(p, prefixes)}
    return dict(sorted(files.items())), dict(sorted(folders.items()))


def _where(doc: QmdDocument, cell: NotebookNode) -> str:
    sbm = cell.metadata.get("sbm", {})
    if sbm.get("kind") == "chunk":
        chunk = doc.chunks[sbm["chunk"]]
        name = f"chunk {chunk.options.label!r}" if chunk.options.label else f"chunk {chunk.index + 1} (unlabelled)"
        return f"{name}, {doc.path.name} line {chunk.line}"
    if sbm.get("kind") == "inline":
        lines = sorted({e.line for e in doc.inlines if e.id in sbm.get("ids", [])})
        shown = ", ".join(str(n) for n in lines[:5]) + (" ..." if len(lines) > 5 else "")
        return f"the inline expressions of {doc.path.name} line{'s' if len(lines) != 1 else ''} {shown}"
    return f"the {sbm.get('kind', 'hidden')} cell of {doc.path.name}"


def execute_notebook(
    nb: NotebookNode,
    doc: QmdDocument,
    *,
    kernel: KernelSession,
    progress: Progress,
    timeout: float | None = DEFAULT_TIMEOUT,
    exclude: tuple[Path, ...] = (),
    cells: Collection[int] | None = None,
    keep_kernel: bool = False,
) -> Execution:
    """Execute ``nb`` in place in ``kernel``; return what it took and used.

    ``timeout`` is per cell, in seconds (``None``: no limit). ``exclude`` names
    folders whose files are not reported as used (the render's own temporary
    folder).

    Two hooks for a kernel that lives across renders (``sbm-stats preview``, see
    ``_preview.py``): ``cells`` names the indices of the code cells of ``nb`` to
    run (default: all; the others keep the outputs they hold), and
    ``keep_kernel`` leaves the kernel and its client running afterwards, for the
    next call. The read tracking is installed once per kernel; what the kernel
    reports read is then everything it read since it started.

    Raises
    ------
    RenderError
        If a chunk or an inline expression raises (unless the chunk has
        ``error: true``), runs longer than ``timeout``, or the kernel dies; the
        message names the chunk and its line.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from ._notebook import expand_inline_outputs

    code_cells = [(i, c) for i, c in enumerate(nb.cells)
                  if c.cell_type == "code" and (cells is None or i in cells)]
    chunk_cells = [(i, c) for i, c in code_cells if c.metadata["sbm"]["kind"] == "chunk"]
    client = NotebookClient(
        nb,
        km=kernel.km,
        # through timeout_func: nbclient's timeout trait takes whole seconds only, its
        # deadline arithmetic takes any number (--timeout 1.5 is 1.5 s, not an error)
        timeout=None,
        timeout_func=(lambda cell: timeout) if timeout else None,
        startup_timeout=120,
        allow_errors=False,
        record_timing=False,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(doc.path.parent)}},
    )
    client.kc = kernel.client
    n = len(chunk_cells)
    progress.info(f"executing {n} chunk{'s' if n != 1 else ''} with {sys.executable}"
                  + (f" (at most {timeout:g} s per chunk)" if timeout else ""))
    start = time.perf_counter()
    done = 0

    def hidden(source: str) -> NotebookNode:
        cell = nbformat.v4.new_code_cell(source, metadata={"sbm": {"kind": "hidden"}})
        nb.cells.append(cell)
        try:
            client.execute_cell(cell, len(nb.cells) - 1, store_history=False)
        finally:
            nb.cells.pop()
        return cell

    current: NotebookNode | None = None
    try:
        with client.setup_kernel(cleanup_kc=not keep_kernel):
            kernel.client = client.kc if keep_kernel else None
            if not kernel.tracking:
                hidden(_TRACK_SOURCE)
                kernel.tracking = keep_kernel
            for index, cell in code_cells:
                current = cell
                sbm = cell.metadata["sbm"]
                if sbm["kind"] == "chunk":
                    done += 1
                    chunk = doc.chunks[sbm["chunk"]]
                    progress.chunk(done, n, chunk.name, chunk.line)
                try:
                    client.execute_cell(cell, index, store_history=True)
                except CellExecutionError as exc:
                    expand_inline_outputs(cell)
                    raise _chunk_error(doc, cell, exc) from None
                expand_inline_outputs(cell)
            current = None
            report_cell = hidden(_REPORT_SOURCE)
    except CellTimeoutError:
        where = _where(doc, current) if current is not None else f"the kernel of {doc.path.name}"
        raise RenderError(
            f"{where} ran for more than {timeout:g} s and was stopped; raise the limit with "
            "'execute: timeout: <seconds>' in the front matter or --timeout, if it needs longer",
            path=str(doc.path),
        ) from None
    except (DeadKernelError, RuntimeError) as exc:
        if isinstance(exc, RenderError):
            raise
        tail = kernel.log_tail()
        where = _where(doc, current) if current is not None else "the hidden setup"
        raise RenderError(
            f"{doc.path.name}: the Python kernel died while running {where} ({type(exc).__name__}: {exc})"
            + (f"\n\nkernel log:\n{tail}" if tail.strip() else ""),
            path=str(doc.path),
        ) from None
    seconds = time.perf_counter() - start
    text = "".join(_text_of(o) for o in report_cell.get("outputs", []) if o.get("output_type") == "stream")
    try:
        report = json.loads(text.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RenderError(f"{doc.path.name}: the kernel did not report what the document read "
                          f"(got {text[:200]!r}); the execution cannot be cached or checked") from None
    files, folders = _used(report, list(exclude))
    return Execution(seconds, tuple(files), tuple(folders), report.get("values"), files, folders)


def _text_of(output: Any) -> str:
    text = output.get("text", "")
    return "".join(text) if isinstance(text, list) else str(text)
