"""report.qmd rendered once per test run and shared by every test that reads the default render.

A full render of ``report.qmd`` (HTML, PDF, Word, the values file and the companion, cache
off) takes 10-40 s; five modules read it (``tests/test_report_render.py``,
``tests/test_report_provenance.py``, ``tests/test_publication_layout.py``,
``tests/test_keyboard_review.py`` and, through them, the values file and the companion).
Each used to render it itself.

Under pytest-xdist a session fixture runs once per worker, so the render is shared across
the workers of a run through the file system: the first worker to ask renders into a folder
common to the run's workers (the parent of each worker's ``basetemp``), holding an
exclusive lock (``fcntl.flock``) meanwhile; the others wait on the lock and then read what
it wrote. ``tests/_scheduling.py`` sends the modules that read it to one worker (one
unit of work), so no worker waits for another's render.

The outputs are read-only for the tests: a test that changes a file copies it first. The
digest of every file is taken once it is written and checked again when the session ends
(``conftest.py::report_render``), so a test that writes into the shared folder fails
instead of changing what the other modules read.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: What the shared render is: report.qmd, bundled data, every format, the cache off (the
#: render executes every chunk, as the tests that read it always asked).
REPORT_FORMATS = ("html", "pdf", "docx")
REPORT_OPTIONS = dict(to=REPORT_FORMATS, cache=False, quiet=True, engine="builtin")

#: The marker written last: its presence says the render finished.
_DONE = ".complete"


def _run_folder(tmp_path_factory) -> Path:
    """The folder of this test run that every xdist worker of it shares.

    A worker's ``basetemp`` is ``<run>/popen-gw<N>``; without xdist it is the run's own.
    """
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def digests(folder: Path) -> dict[str, str]:
    """The SHA-256 of every file under ``folder`` (the done marker excepted), by relative path."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != _DONE}


def shared_report_render(tmp_path_factory) -> Path:
    """The output folder of report.qmd rendered with :data:`REPORT_OPTIONS`, once per run.

    Holds ``report.html``, ``report.pdf``, ``report.docx``, ``report.values.csv`` and the
    companion ``report.values.html``. A render that fails raises here; the next caller
    tries again (a failed attempt's folder is removed first).
    """
    from sbm_stats.render import render

    shared = _run_folder(tmp_path_factory) / "shared-report-render"
    out = shared / "out"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (out / _DONE).is_file():
                shutil.rmtree(out, ignore_errors=True)
                render(ROOT / "report.qmd", out_dir=out, **REPORT_OPTIONS)
                (out / _DONE).write_text("", encoding="utf-8")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return out
