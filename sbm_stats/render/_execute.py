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
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from ._errors import RenderError
from ._progress import Progress
from ._qmd import QmdDocument
from ._settings import DocumentSettings

__all__ = ["KernelSession", "execute_notebook", "needs_kernel", "kernel_environment", "matplotlibrc_text",
           "strip_ansi"]

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


def _chunk_error(doc: QmdDocument, cell: NotebookNode, exc: Any) -> RenderError:
    sbm = cell.metadata.get("sbm", {})
    tb = strip_ansi(getattr(exc, "traceback", "") or str(exc))
    # nbclient's message repeats the cell source before the traceback; keep the
    # traceback proper (it starts after the last dashed separator).
    parts = tb.split("------------------\n")
    tb_only = parts[-1].strip("\n") if len(parts) > 1 else tb
    ename = getattr(exc, "ename", "Error")
    evalue = getattr(exc, "evalue", "")
    if sbm.get("kind") == "inline":
        n_done = sum(1 for o in cell.outputs if o.get("output_type") == "display_data")
        expr = [e for e in doc.inlines if e.id in sbm.get("ids", [])][n_done]
        return RenderError(
            f"{doc.path.name}, line {expr.line}: the inline expression `{{python}} {expr.code}` "
            f"failed: {ename}: {evalue}\n\n{tb_only}",
            path=str(doc.path), line=expr.line, source=expr.code, traceback=tb_only,
        )
    chunk = doc.chunks[sbm["chunk"]] if sbm.get("kind") == "chunk" else None
    if chunk is None:
        return RenderError(f"{doc.path.name}: the {sbm.get('kind', 'hidden')} cell failed: "
                           f"{ename}: {evalue}\n\n{tb_only}", path=str(doc.path), traceback=tb_only)
    width = len(str(chunk.line + chunk.source.count("\n") + 2))
    listing = [f"{chunk.line:>{width}} | {chunk.fence}"]
    listing += [f"{chunk.line + 1 + k:>{width}} | {text}" for k, text in enumerate(chunk.source.split("\n"))]
    where = f"chunk {chunk.options.label!r}" if chunk.options.label else f"chunk {chunk.index + 1} (unlabelled)"
    message = (
        f"{where} failed, {doc.path.name} line {chunk.line}: {ename}: {evalue}\n\n"
        + "\n".join(listing)
        + f"\n\nTraceback (line k of the cell is line {chunk.line} + k of {doc.path.name}):\n{tb_only}"
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
        self.km = _kernel_manager_class(kernel_environment(settings, rc_path))(kernel_name="python3")
        self._loop = ensure_event_loop()
        try:
            self._loop.run_until_complete(self.km.start_kernel(cwd=str(cwd), stdout=self._log, stderr=self._log))
        except Exception as exc:
            self._log.close()
            raise RenderError(f"the Python kernel could not start: {type(exc).__name__}: {exc}") from None

    def log_tail(self) -> str:
        self._log.flush()
        return strip_ansi(self.log_path.read_text(encoding="utf-8", errors="replace"))[-2000:]

    def shutdown(self) -> None:
        """Stop the kernel (at once: every output has been received) and close its log."""
        try:
            if self.km.has_kernel:
                self._loop.run_until_complete(self.km.shutdown_kernel(now=True))
        finally:
            self._log.close()


def execute_notebook(
    nb: NotebookNode,
    doc: QmdDocument,
    *,
    kernel: KernelSession,
    progress: Progress,
    timeout: int | None = None,
) -> float:
    """Execute ``nb`` in place in ``kernel``; return the seconds it took.

    Raises
    ------
    RenderError
        If a chunk or an inline expression raises (unless the chunk has
        ``error: true``), or if the kernel dies or times out.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    chunk_cells = [(i, c) for i, c in code_cells if c.metadata["sbm"]["kind"] == "chunk"]
    client = NotebookClient(
        nb,
        km=kernel.km,
        timeout=timeout,
        startup_timeout=120,
        allow_errors=False,
        record_timing=False,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(doc.path.parent)}},
    )
    n = len(chunk_cells)
    progress.info(f"executing {n} chunk{'s' if n != 1 else ''} with {sys.executable}")
    start = time.perf_counter()
    done = 0
    try:
        with client.setup_kernel(cleanup_kc=True):
            for index, cell in code_cells:
                sbm = cell.metadata["sbm"]
                if sbm["kind"] == "chunk":
                    done += 1
                    chunk = doc.chunks[sbm["chunk"]]
                    progress.chunk(done, n, chunk.name, chunk.line)
                try:
                    client.execute_cell(cell, index, store_history=True)
                except CellExecutionError as exc:
                    raise _chunk_error(doc, cell, exc) from None
    except (DeadKernelError, CellTimeoutError, RuntimeError) as exc:
        if isinstance(exc, RenderError):
            raise
        tail = kernel.log_tail()
        raise RenderError(
            f"{doc.path.name}: the Python kernel failed ({type(exc).__name__}: {exc})"
            + (f"\n\nkernel log:\n{tail}" if tail.strip() else ""),
            path=str(doc.path),
        ) from None
    return time.perf_counter() - start
