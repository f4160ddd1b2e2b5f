"""Write HTML, DOCX and PDF from pandoc markdown.

- HTML: pandoc's ``html5`` writer with this package's template and CSS, every
  image embedded (``--embed-resources``), MathML for formulas: one
  self-contained file.
- DOCX: pandoc's ``docx`` writer (optionally a ``reference-doc`` from the front
  matter).
- PDF: pandoc's ``typst`` writer with this package's template (title page,
  table of contents), compiled by the ``typst`` Python package with only the
  fonts Typst embeds (Libertinus Serif, DejaVu Sans Mono, New Computer Modern),
  so that the PDF does not depend on the fonts installed on the machine. No LaTeX.

Pandoc is the binary of the ``pypandoc-binary`` wheel, run with an empty user
data folder (so that a user's own pandoc templates or ``reference.docx`` do not
change the output) and with ``SOURCE_DATE_EPOCH`` set, which fixes the timestamps inside the DOCX (ZIP
entries and ``docProps/core.xml``); Typst gets the same instant as the PDF's
creation date.
"""

from __future__ import annotations

import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ._errors import RenderError
from ._markdown import MarkdownResult
from ._progress import Progress
from ._settings import DocumentSettings

__all__ = ["pandoc_path", "write_outputs", "Job"]

_TYPST_PAPER = {"a4": "a4", "a5": "a5", "a3": "a3", "letter": "us-letter", "us-letter": "us-letter",
                "legal": "us-legal", "us-legal": "us-legal"}


def pandoc_path() -> str:
    """The pandoc executable of the ``pypandoc-binary`` wheel."""
    try:
        import pypandoc
    except ImportError:  # pragma: no cover - a declared dependency
        raise RenderError("the package pypandoc-binary is needed to render; install it") from None
    try:
        return pypandoc.get_pandoc_path()
    except OSError as exc:  # pragma: no cover
        raise RenderError(f"pandoc was not found ({exc}); reinstall pypandoc-binary") from None


def _template(name: str) -> str:
    return resources.files("sbm_stats.render").joinpath("templates", name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Job:
    """One output to write: its format, its markdown and where it goes."""

    fmt: str
    markdown: MarkdownResult
    target: Path


def _metadata(settings: DocumentSettings, fmt: str, stem: str) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if settings.title:
        meta["title"] = settings.title
    if settings.subtitle:
        meta["subtitle"] = settings.subtitle
    if settings.authors:
        meta["author"] = list(settings.authors)
    if settings.date_text:
        meta["date"] = settings.date_text
    if settings.abstract:
        meta["abstract"] = settings.abstract
    meta["lang"] = settings.lang
    meta["pagetitle"] = settings.title or stem
    meta["toc-title"] = settings.labels.toc_title
    if settings.bibliography:
        meta["bibliography"] = list(settings.bibliography)
        meta["link-citations"] = True
    if settings.csl:
        meta["csl"] = settings.csl
    return meta


def _run(args: list[str], *, cwd: Path, env: dict[str, str], what: str) -> None:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RenderError(f"pandoc failed writing {what} (exit code {proc.returncode}):\n{proc.stderr.strip()}")
    missing = [line.strip() for line in proc.stderr.splitlines() if "Could not fetch resource" in line]
    if missing:
        # a figure that is not there would otherwise be a broken link in the HTML and a
        # silent gap in the Word file
        raise RenderError(f"pandoc could not find a resource the document uses, writing {what}:\n"
                          + "\n".join(missing) + "\n(image paths are relative to the .qmd file's folder)")


def _pandoc_args(job: Job, settings: DocumentSettings, workdir: Path, meta_path: Path) -> list[str]:
    fmt = job.fmt
    toc = bool(settings.option(fmt, "toc", False))
    toc_depth = int(settings.option(fmt, "toc-depth", 3))
    md_path = workdir / f"body.{fmt}.md"
    md_path.write_text(job.markdown.markdown, encoding="utf-8")
    # An empty user data folder: a reference.docx, template or defaults file in
    # the user's own pandoc folder must not change what is written.
    data_dir = workdir / "pandoc-data"
    data_dir.mkdir(exist_ok=True)
    args = [
        pandoc_path(), str(md_path),
        "--from", "markdown",
        "--standalone",
        "--data-dir", str(data_dir),
        "--metadata-file", str(meta_path),
        "--resource-path", os.pathsep.join([str(workdir), str(settings.base_dir)]),
    ]
    if toc:
        args += ["--toc", f"--toc-depth={toc_depth}"]
    if settings.bibliography and job.markdown.has_citations:
        args += ["--citeproc"]
    if fmt == "html":
        template = workdir / "report.html"
        template.write_text(_template("report.html").replace("$sbm-css$", _template("report.css")), encoding="utf-8")
        args += ["--to", "html5", "--template", str(template), "--embed-resources", "--mathml",
                 "--output", str(job.target)]
    elif fmt == "docx":
        args += ["--to", "docx", "--output", str(job.target)]
        ref = settings.option("docx", "reference-doc")
        if ref:
            args += ["--reference-doc", str((settings.base_dir / str(ref)).resolve())]
    elif fmt == "pdf":
        template = workdir / "report.typ.template"
        template.write_text(_template("report.typ"), encoding="utf-8")
        paper = str(settings.option("pdf", "papersize", "a4")).lower()
        if paper not in _TYPST_PAPER:
            raise RenderError(f"papersize ({paper!r}) must be one of " + ", ".join(repr(p) for p in _TYPST_PAPER))
        fontsize = str(settings.option("pdf", "fontsize", "11pt")).strip()
        if not re.fullmatch(r"\d+(\.\d+)?(pt|mm|cm|in|em)", fontsize):
            raise RenderError(f"fontsize ({fontsize!r}) must be a length such as '11pt' or '4mm'")
        args += ["--to", "typst", "--template", str(template),
                 "-V", f"papersize={_TYPST_PAPER[paper]}", "-V", f"fontsize={fontsize}",
                 "-V", f"lang={settings.lang.split('-')[0].lower()}",
                 "-V", f"toc-depth={toc_depth}",
                 "--output", str(job.target.with_suffix(".typ"))]
    else:  # pragma: no cover - validated earlier
        raise RenderError(f"unknown format {fmt!r}")
    return args


def _typst_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _compile_typst(job: Job, settings: DocumentSettings, root: Path, progress: Progress) -> None:
    import typst

    typ = job.target.with_suffix(".typ")
    source = typ.read_text(encoding="utf-8")
    # Typst resolves an absolute path against the project root, and pandoc's
    # Typst writer does not carry alt text: rewrite each image call for both.
    for written, path in sorted(job.markdown.images.items()):
        needle = f"image({_typst_string(written)}"
        rooted = "/" + Path(os.path.relpath(path, root)).as_posix()
        replacement = f"image({_typst_string(rooted)}"
        alt = job.markdown.alt_texts.get(written)
        if alt:
            replacement += f", alt: {_typst_string(alt)}"
        source = source.replace(needle, replacement)
    typ.write_text(source, encoding="utf-8")
    try:
        _, warnings = typst.compile_with_warnings(
            str(typ), output=str(job.target), root=str(root), format="pdf",
            timestamp=settings.epoch, ignore_system_fonts=True, font_paths=[],
        )
    except Exception as exc:  # typst.TypstError and friends
        diag = getattr(exc, "diagnostic", "") or ""
        raise RenderError(f"Typst could not compile the PDF: {exc}\n{diag}".rstrip()) from None
    for warning in warnings:
        progress.warn(f"typst: {getattr(warning, 'message', warning)}")


def write_outputs(
    jobs: list[Job],
    settings: DocumentSettings,
    *,
    workdir: Path,
    progress: Progress,
) -> dict[str, float]:
    """Write every job's output (pandoc runs in parallel); return seconds per format.

    Raises
    ------
    RenderError
        If pandoc or Typst fails; the message carries their diagnostics.
    """
    import time

    env = dict(os.environ)
    env["SOURCE_DATE_EPOCH"] = str(settings.epoch)
    timings: dict[str, float] = {}
    tasks = []
    for job in jobs:
        meta_path = workdir / f"meta.{job.fmt}.yaml"
        meta = _metadata(settings, job.fmt, job.target.stem)
        meta_path.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=True), encoding="utf-8")
        tasks.append((job, _pandoc_args(job, settings, workdir, meta_path)))
    images = [p for job in jobs for p in job.markdown.images.values()]
    root = Path(os.path.commonpath([str(workdir)] + [str(p.parent) for p in images]))

    def run(task: tuple[Job, list[str]]) -> tuple[str, float]:
        job, args = task
        start = time.perf_counter()
        _run(args, cwd=workdir, env=env, what=job.fmt.upper())
        if job.fmt == "pdf":
            _compile_typst(job, settings, root, progress)
        return job.fmt, time.perf_counter() - start

    with ThreadPoolExecutor(max_workers=max(1, len(tasks))) as pool:
        for fmt, seconds in pool.map(run, tasks):
            timings[fmt] = seconds
    return timings
