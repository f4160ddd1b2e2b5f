"""Render a document again and again to HTML in memory, with one kernel kept alive: the engine of
``sbm-stats preview``.

Each :meth:`PreviewSession.render` reads the document, builds its notebook, asks
:func:`~sbm_stats.render._rerun.plan_run` which cells must run in the live kernel (none for
a prose edit; the changed inline expressions; the cells from the first changed chunk on;
or, with a fresh kernel, all), runs those, takes the other outputs from the last
execution, and writes the HTML with the same markdown builder, pandoc run and filters as
``sbm-stats render --to html``. Nothing is cached on disk and no output folder is written:
the page is returned as bytes.

:meth:`PreviewSession.restart` starts the next render with a fresh kernel (the preview
calls it when the data or the package's code changed); :meth:`PreviewSession.close`
stops the kernel. The session belongs to one thread: the kernel's client lives in that
thread's event loop.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import RenderError
from ._progress import Progress
from ._rerun import KernelState, Plan, copy_outputs, plan_run, state_after

__all__ = ["PreviewPage", "PreviewSession"]


@dataclass(frozen=True)
class PreviewPage:
    """One render of the preview.

    Attributes
    ----------
    html : bytes
        The page, as ``sbm-stats render --to html`` writes it.
    mode : {'all', 'from', 'inline', 'prose', 'none'}
        What ran (see :class:`~sbm_stats.render._rerun.Plan`; ``'none'``: the document has no code).
    reason : str
        Why, in words.
    cells_run : int
        Code cells executed (chunks and inline cells).
    seconds : float
        Time from reading the document to the page.
    files : tuple of str
        Every file the kernel has read since it started (data, modules outside the
        installed packages), for the watcher.
    images : mapping of str to (bytes, str)
        The page's images by the link it gives them (relative to the page): their
        bytes and MIME type. Unlike ``sbm-stats render``, the preview does not embed
        them in the page (pandoc's embedding is about a second on ``report.qmd``).
    """

    html: bytes
    mode: str
    reason: str
    cells_run: int
    seconds: float
    files: tuple[str, ...]
    images: Mapping[str, tuple[bytes, str]] = field(default_factory=dict)


class PreviewSession:
    """A document, a live kernel and what it ran; see the module docstring.

    Parameters
    ----------
    path : path
        The ``.qmd`` file.
    params : mapping
        Parameters injected as in :func:`~sbm_stats.render.render`.
    timeout : float, optional
        Seconds a cell may run (default: the front matter's, else 600).
    resource_path : iterable of paths
        Extra folders images may come from, as in :func:`~sbm_stats.render.render`.
    progress : Progress
        Where the steps are told.
    """

    def __init__(self, path: str | os.PathLike[str], *, params: Mapping[str, Any] | None = None,
                 timeout: float | None = None, resource_path: Iterable[str | os.PathLike[str]] = (),
                 progress: Progress | None = None):
        from ._render import _resource_roots, _timeout, _validate, _validate_params

        self.path, _, _ = _validate(path, "html", "builtin")
        self.params = _validate_params(params)
        self.timeout = _timeout(timeout)
        self.roots = _resource_roots(self.path, resource_path)
        self.progress = progress or Progress()
        self._tmp = Path(tempfile.mkdtemp(prefix="sbm-preview-"))
        self._kernel: Any = None
        self._kernel_env: tuple[str, int] | None = None
        self._state: KernelState | None = None
        self._values: Any = None
        self._files: tuple[str, ...] = ()
        self._renders = 0
        self._killed = threading.Event()

    @property
    def kernel_pid(self) -> int | None:
        """The process id of the live kernel, if one runs."""
        kernel = self._kernel
        if kernel is None:
            return None
        provisioner = getattr(kernel.km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        return getattr(process, "pid", None)

    def restart(self) -> None:
        """Stop the kernel: the next render starts a fresh one and runs every cell."""
        if self._kernel is not None:
            try:
                self._kernel.shutdown()
            finally:
                self._kernel = None
                self._state = None

    def close(self) -> None:
        """Stop the kernel and remove the session's temporary files."""
        try:
            self.restart()
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def kill(self) -> None:
        """Kill the kernel's process at once, and any kernel started later (from any thread:
        a render in progress fails; the session is of no more use)."""
        self._killed.set()
        pid = self.kernel_pid
        if pid is not None:
            import signal

            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def _start_kernel(self, settings: Any, key: tuple[str, int]) -> None:
        from ._execute import KernelSession

        self.restart()
        workdir = self._tmp / "kernel"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir()
        self._kernel = KernelSession(settings, workdir, self.path.parent)
        self._kernel_env = key
        self._files = ()
        self._check_killed()

    def _check_killed(self) -> None:
        if self._killed.is_set():
            self.kill()  # a kernel that started while kill() ran
            raise RenderError("the preview is stopping")

    def _forget(self, names: tuple[str, ...]) -> None:
        """Delete ``names`` from the kernel's globals (the names only later chunks had bound)."""
        if not names:
            return
        kernel = self._kernel
        code = f"for __sbm_name__ in {list(names)!r}:\n    globals().pop(__sbm_name__, None)\ndel __sbm_name__"
        reply = kernel._loop.run_until_complete(
            kernel.client.execute_interactive(code, store_history=False, timeout=60, output_hook=lambda msg: None))
        if reply["content"].get("status") != "ok":
            raise RenderError(f"the preview could not reset the kernel's names ({reply['content'].get('evalue')})")

    def _execute(self, nb: Any, doc: Any, settings: Any) -> Plan:
        from ._execute import DEFAULT_TIMEOUT, execute_notebook, matplotlibrc_text

        key = (matplotlibrc_text(settings), settings.epoch)
        kernel = self._kernel
        alive = (kernel is not None and kernel.client is not None
                 and kernel._loop.run_until_complete(kernel.km.is_alive()))
        if not alive or key != self._kernel_env:
            self.restart()
        plan = plan_run(nb, doc, self._state)
        if plan.restart:
            self._start_kernel(settings, key)
        copy_outputs(nb, plan)
        self.progress.info(plan.reason)
        if not plan.run:
            return plan
        limit = self.timeout if self.timeout is not None else (settings.timeout or DEFAULT_TIMEOUT)
        try:
            self._check_killed()
            self._forget(plan.forget)
            execution = execute_notebook(nb, doc, kernel=self._kernel, progress=self.progress, timeout=limit,
                                         exclude=(self._tmp,), cells=set(plan.run), keep_kernel=True)
        except RenderError:
            self._state = state_after(nb, doc, plan, ok=False)
            if self._state is None:  # a timeout or a dead kernel: start afresh next time
                self.restart()
            raise
        except BaseException:
            self.restart()
            raise
        self._state = state_after(nb, doc, plan, ok=True)
        self._values = execution.values
        self._files = execution.files
        return plan

    def render(self) -> PreviewPage:
        """Render the document as it is now (see the module docstring).

        Raises
        ------
        RenderError
            As :func:`~sbm_stats.render.render` does; the kernel stays (or, after a
            timeout or a dead kernel, is restarted by the next render).
        """
        from ._execute import needs_kernel
        from ._markdown import NotebookFacts, build_markdown
        from ._notebook import build_notebook, parameter_defaults
        from ._pandoc import Job, write_page
        from ._qmd import parse_qmd
        from ._render import _check_data_packages, _data_dir
        from ._settings import read_settings

        start = time.perf_counter()
        doc = parse_qmd(self.path)
        settings = read_settings(doc)
        injected = {**dict(settings.params), **self.params}
        nb = build_notebook(doc, settings, injected)
        if needs_kernel(nb):
            plan = self._execute(nb, doc, settings)
            mode, reason, run = plan.mode, plan.reason, len(plan.run)
            nb.metadata["sbm_values"] = self._values
            given = _data_dir(doc.path.parent, {**parameter_defaults(doc), **injected})
            _check_data_packages(doc.path, self._files, given, Progress(quiet=True))
        else:
            mode, reason, run = "none", "no code to run", 0
        self._renders += 1
        workdir = self._tmp / f"render-{self._renders}"
        workdir.mkdir()
        try:
            fig_dir = workdir / f"{doc.path.stem}_files"
            fig_dir.mkdir()
            md = build_markdown(doc, settings, nb, "html", fig_dir=fig_dir, progress=self.progress,
                                facts=NotebookFacts.of(doc, nb), allowed_roots=self.roots)
            target = workdir / f"{doc.path.stem}.html"
            # the page's images: the files the document names, as write_page checked them (inside
            # the allowed folders, images by their first bytes), by the link the page gives each
            files = write_page(Job("html", md, target), settings, workdir=workdir, progress=self.progress,
                               allowed_roots=self.roots, registry=nb.metadata.get("sbm_values"))
            html = target.read_bytes()
            images = {link: (path.read_bytes(), mimetypes.guess_type(path.name)[0] or "application/octet-stream")
                      for link, path in files.items()}
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return PreviewPage(html, mode, reason, run, time.perf_counter() - start, self._files, images)
