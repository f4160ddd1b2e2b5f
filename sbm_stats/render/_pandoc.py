"""Write HTML, DOCX and PDF from pandoc markdown.

The markdown is read once for every format that has the same text (it differs
only where an inline value or a figure has an HTML-only form): pandoc reads it
into its JSON tree, and Python checks every file the tree names
(``_resources.py``: images only, from allowed folders only) before any writer
reads one. Then one pandoc run per format reads that tree, runs the Lua filters
``filters/quarto.lua`` (numbering, captions, cross-references, callouts,
conditional content, page breaks), ``filters/values.lua`` (traced values) and
``filters/report.lua``, and writes the format. ``report.lua`` hands the
filters' findings to Python in a small JSON file and stops pandoc before the
writer when they fail the render: a reference to a missing label, a label used
twice, a table div without one table, two values under one id; Python then
reports them with their lines.

- HTML: pandoc's ``html5`` writer with this package's template and CSS, every
  image embedded (``--embed-resources``), MathML for formulas: one
  self-contained file.
- DOCX: pandoc's ``docx`` writer with the report's reference document (A4,
  Swedish styles, callouts as boxes; an author's ``reference-doc`` from the front
  matter instead), then ``_docx.finish_docx``: the table of contents filled in and
  every table given fixed column widths from its content.
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

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .._markup import drop_unsafe_characters
from ._docx import build_reference_doc, finish_docx
from ._errors import RenderError
from ._markdown import MarkdownResult
from ._progress import Progress
from ._resources import Resource, check_resource, document_resources, html_resources, is_remote
from ._settings import DocumentSettings, number_offset

__all__ = ["Companion", "Job", "pandoc_path", "primary_job", "traced_values", "write_outputs", "write_page",
           "write_values_file"]

_LANG_RE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
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


@dataclass(frozen=True)
class Companion:
    """One format of the companion document, the values appendix on its own (``<stem>.values.<ext>``)."""

    fmt: str
    target: Path


def _companion_settings(settings: DocumentSettings) -> DocumentSettings:
    """The document's settings for its companion: titled Sifferförteckning, no contents, no sections numbered."""
    from dataclasses import replace

    plain = {"toc": False, "number-sections": False}
    return replace(settings, title="Sifferförteckning", subtitle=settings.title, abstract=None, bibliography=(),
                   csl=None, formats={name: {**opts, **plain} for name, opts in settings.formats.items()},
                   meta={**settings.meta, **plain})


def _metadata(settings: DocumentSettings, fmt: str, stem: str) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if settings.title:
        meta["title"] = settings.title
    if settings.subtitle:
        meta["subtitle"] = settings.subtitle
    if settings.authors:
        meta["author"] = list(settings.authors)
        if fmt == "html" and len(settings.affiliations) == len(settings.authors):
            # the HTML title block: one line per author with the affiliations' names (Quarto's)
            meta["sbm-authors"] = [{"name": name, "affiliations": list(affiliations)}
                                   for name, affiliations in zip(settings.authors, settings.affiliations)]
    if settings.keywords and fmt == "html":
        meta["sbm-keywords"] = ", ".join(settings.keywords)
        meta["sbm-keywords-title"] = settings.labels.keywords_title
    if settings.date_text:
        meta["date"] = settings.date_text
    if settings.abstract:
        meta["abstract"] = settings.abstract
    if not _LANG_RE.fullmatch(settings.lang):
        raise RenderError(f"front matter: lang ({settings.lang!r}) must be a language tag such as "
                          "'sv', 'sv-SE' or 'en'")
    meta["lang"] = settings.lang
    meta["pagetitle"] = settings.title or stem
    meta["toc-title"] = settings.labels.toc_title
    if fmt == "html":  # the page's first stop for the keyboard (templates/report.html)
        meta["skip-link-title"] = settings.labels.skip_link
    if settings.bibliography:
        meta["bibliography"] = list(settings.bibliography)
        meta["link-citations"] = True
    if settings.csl:
        meta["csl"] = settings.csl
    nocite = settings.meta.get("nocite")
    if settings.bibliography and nocite is not None:
        # entries listed without being cited (``nocite: "@key"``, ``"@*"`` for all), checked by read_settings
        meta["nocite"] = nocite
    meta["sbm-render"] = {
        "format": fmt,
        "number-sections": bool(settings.option(fmt, "number-sections", False)),
        "number-depth": int(settings.option(fmt, "number-depth", 6)),
        # both checked by read_settings
        "number-offset": [str(n) for n in number_offset(settings.option(fmt, "number-offset", []))],
        "shift-heading-level-by": str(settings.option(fmt, "shift-heading-level-by", 0)),
        "labels": settings.labels.for_filter(),
        "values-appendix": settings.values_appendix,
        "values-companion": f"{stem}.values.html",
        "front-matter": _flat_front_matter(settings.meta),
    }
    return meta


def _flat_front_matter(meta: Any, prefix: str = "") -> dict[str, str]:
    """The front matter's values as text by key, nested keys joined with dots (``{{< meta a.b >}}``)."""
    flat: dict[str, str] = {}
    for key, value in (meta.items() if isinstance(meta, Mapping) else ()):
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flat_front_matter(value, f"{name}."))
        elif isinstance(value, bool):
            flat[name] = "true" if value else "false"
        elif isinstance(value, (str, int, float)) or hasattr(value, "isoformat"):
            flat[name] = str(value)
    return flat


def _filter_path(name: str = "quarto.lua") -> str:
    return str(resources.files("sbm_stats.render").joinpath("filters", name))


#: Seconds a pandoc run may take (report.qmd's longest: under 1.5 s); past it the render fails
#: instead of waiting for ever on a pandoc or filter that does not end.
PANDOC_TIMEOUT = 300.0


def _run(args: list[str], *, cwd: Path, env: dict[str, str], what: str) -> str:
    try:
        proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8",
                              timeout=PANDOC_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise RenderError(f"pandoc did not finish writing {what} in {PANDOC_TIMEOUT:g} s; it was stopped") from None
    if proc.returncode != 0:
        raise RenderError(f"pandoc failed writing {what} (exit code {proc.returncode}):\n{proc.stderr.strip()}")
    missing = [line.strip() for line in proc.stderr.splitlines() if "Could not fetch resource" in line]
    if missing:
        # a figure that is not there would otherwise be a broken link in the HTML and a
        # silent gap in the Word file
        raise RenderError(f"pandoc could not find a resource the document uses, writing {what}:\n"
                          + "\n".join(missing) + "\n(image paths are relative to the .qmd file's folder)")
    return proc.stdout


def _data_dir(workdir: Path) -> Path:
    # An empty user data folder: a reference.docx, template or defaults file in
    # the user's own pandoc folder must not change what is written.
    data_dir = workdir / "pandoc-data"
    data_dir.mkdir(exist_ok=True)
    return data_dir


#: How the markdown is read (besides the empty data folder and the file names).
_READER = ("--from", "markdown", "--to", "json")


def _reader_args(markdown: str, index: int, workdir: Path, tree_path: Path) -> list[str]:
    """The one reading of a markdown text: markdown -> pandoc's JSON tree, no filters."""
    md_path = workdir / f"body.{index}.md"
    md_path.write_text(markdown, encoding="utf-8")
    return [pandoc_path(), str(md_path), *_READER, "--data-dir", str(_data_dir(workdir)), "--output", str(tree_path)]


def _writer_args(job: Job, settings: DocumentSettings, workdir: Path, tree_path: Path, meta_path: Path,
                 has_citations: bool, typst_root: Path, embed: bool = True, from_markdown: bool = False) -> list[str]:
    """The run of one format: JSON tree (or, ``from_markdown``, the markdown: see :func:`write_page`)
    -> the filters -> the format."""
    fmt = job.fmt
    toc = bool(settings.option(fmt, "toc", False))
    toc_depth = int(settings.option(fmt, "toc-depth", 3))
    reading = (["--from", _READER[1], "--lua-filter", _filter_path("resources.lua")] if from_markdown
               else ["--from", "json"])
    args = [
        pandoc_path(), str(tree_path),
        *reading,
        "--standalone",
        "--data-dir", str(_data_dir(workdir)),
        "--metadata-file", str(meta_path),
        "--resource-path", os.pathsep.join([str(workdir), str(settings.base_dir)]),
        "--lua-filter", _filter_path(), "--lua-filter", _filter_path("values.lua"),
        # HTML: an identifier in a table cell may wrap after an underscore, as in the PDF and Word
        *(["--lua-filter", _filter_path("layout.lua")] if fmt == "html" else []),
        "--lua-filter", _filter_path("report.lua"),
    ]
    if toc:
        args += ["--toc", f"--toc-depth={toc_depth}"]
    if settings.bibliography and has_citations:
        args += ["--citeproc"]  # after the filters, as when they ran in a pandoc run of their own
    if fmt == "html":
        template = workdir / "report.html"
        template.write_text(_template("report.html").replace("$sbm-css$", _template("report.css")), encoding="utf-8")
        args += ["--to", "html5", "--template", str(template), *(["--embed-resources"] if embed else []),
                 "--mathml", "--output", str(job.target)]
    elif fmt == "docx":
        reference = settings.reference_doc
        if reference is None:  # the report's own: A4, Swedish styles, callout boxes (_docx.py)
            paper = str(settings.option("docx", "papersize", "a4")).lower()
            reference = build_reference_doc(workdir / "reference.docx", pandoc=pandoc_path(),
                                            data_dir=_data_dir(workdir), paper=paper, lang=settings.lang)
        args += ["--to", "docx", "--output", str(job.target), "--reference-doc", str(reference)]
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
                 "--output", str(typst_root / f"{job.target.stem}.typ")]
    else:  # pragma: no cover - validated earlier
        raise RenderError(f"unknown format {fmt!r}")
    return args


def _typst_string(text: str) -> str:
    return '"' + drop_unsafe_characters(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _report_path(fmt: str, name: str = "report") -> str:
    """The file ``report.lua`` writes for ``fmt``, relative to the folder pandoc runs in."""
    return f"{name}.{fmt}.json"


def traced_values(report: dict[str, Any]) -> list[dict[str, str]]:
    """The traced values the filter ``values.lua`` found, one record per value (from ``report.lua``)."""
    text = report.get("values") or ""
    return json.loads(text) if text else []


def _check_problems(report: dict[str, Any], source: Path, progress: Progress) -> None:
    """Raise the first problem ``report.lua`` reported (with its line); warn about shortcodes."""
    lines = source.read_text(encoding="utf-8").splitlines()
    problems = report.get("problems", {})

    def line_of(needle: str) -> int | None:
        return next((n for n, text in enumerate(lines, 1) if needle in text), None)

    for label in dict.fromkeys(problems.get("duplicate", [])):
        line = line_of(f"#{label}") or line_of(f"label: {label}")
        raise RenderError(f"{source.name}{f', line {line}' if line else ''}: the label {label!r} is used twice",
                          path=str(source), line=line)
    for entry in dict.fromkeys(problems.get("float", [])):
        label, count = entry.split("\t")
        line = line_of(f"#{label}")
        raise RenderError(
            f"{source.name}{f', line {line}' if line else ''}: the table div {label!r} holds {count} tables; "
            "a tbl- div must hold exactly one table (a markdown table, or a chunk that shows a DataFrame) "
            "and its caption as the last paragraph", path=str(source), line=line, label=label)
    def listed(what: str, needles: tuple[str, ...], tail: str = "") -> str:
        """One line of a problem list: ``what``, the line of the first of ``needles`` found, ``tail``."""
        line = next((n for n in map(line_of, needles) if n), None)
        return f"  - {what}" + (f" (line {line})" if line else "") + tail

    def value_needles(value_id: str) -> tuple[str, ...]:
        """A span written with the id, else the code that names it (a value made by code)."""
        return f'data-value-id="{value_id}"', f'"{value_id}"', f"'{value_id}'"

    missing = list(dict.fromkeys(problems.get("missing", [])))
    if missing:
        known = ", ".join(problems.get("known", [])) or "none"
        raise RenderError(
            f"{source.name}: {len(missing)} cross-reference{'s' if len(missing) != 1 else ''} "
            f"to a label that does not exist:\n" + "\n".join(listed(f"@{label}", (f"@{label}",)) for label in missing)
            + f"\nknown labels: {known}",
            path=str(source),
        )
    conflicts = [entry.split("\t") for entry in dict.fromkeys(report.get("value-problems", []))]
    if conflicts:
        raise RenderError(f"{source.name}: two different values under one id:\n" + "\n".join(
            listed(repr(value_id), value_needles(value_id), f": {key} {first!r} and {second!r}")
            for value_id, key, first, second in conflicts), path=str(source))
    unknown = list(dict.fromkeys(report.get("value-unknown", [])))
    if unknown:
        raise RenderError(
            f"{source.name}: a span names a traced value that the document's code did not show, so it has "
            "no source, row or computation:\n"
            + "\n".join(listed(repr(value_id), value_needles(value_id)) for value_id in unknown)
            + "\n(show the value from code, "
            "`{python} value`, or give the span its fields: data-raw, data-table, data-row, data-column, "
            "data-source)", path=str(source))
    shortcodes = list(dict.fromkeys(problems.get("shortcode", [])))
    if shortcodes:
        raise RenderError(
            f"{source.name}: {len(shortcodes)} shortcode{'s' if len(shortcodes) != 1 else ''} the builtin "
            "engine does not support:\n"
            + "\n".join(listed(code, (code, " ".join(code.split()))) for code in shortcodes)
            + "\n(it supports {{< pagebreak >}}, {{< include file >}} and {{< meta key >}} with a key of the "
            "front matter; render with --engine quarto for the others)", path=str(source))
    for label in dict.fromkeys(problems.get("unnumbered", [])):
        line = line_of(f"@{label}")
        progress.warn(f"{source.name}{f', line {line}' if line else ''}: @{label} refers to an unnumbered "
                      "heading; it is linked by the heading's text here, but Quarto cannot resolve it "
                      f"(it shows ?@{label} in bold)")


def _images(tree: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    stack: list[Any] = [tree.get("blocks", [])]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            if node.get("t") == "Image":
                found.append(node)
            stack.extend(v for k, v in node.items() if k != "t")
    return found


def _stringify(inlines: list[dict[str, Any]]) -> str:
    out = []
    for node in inlines:
        kind = node.get("t")
        if kind == "Str":
            out.append(node["c"])
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in ("Emph", "Strong", "Underline", "Strikeout", "SmallCaps", "Superscript", "Subscript"):
            out.append(_stringify(node["c"]))
        elif kind in ("Span", "Link", "Quoted", "Cite"):
            out.append(_stringify(node["c"][-2] if kind == "Link" else node["c"][-1]))
        elif kind in ("Code", "Math"):
            out.append(node["c"][-1])
    return " ".join("".join(out).split())


def _stage_for_typst(tree: dict[str, Any], files: dict[str, Path], typst_root: Path) -> None:
    """Copy every image into Typst's root and point the tree at the copies.

    Typst may read files under its root only; the root is a folder that holds
    the ``.typ`` file and copies of the images that passed the checks, so a
    raw Typst block in the document can read nothing else.
    """
    images_dir = typst_root / "images"
    images_dir.mkdir(parents=True, exist_ok=True)
    copies: dict[Path, str] = {}
    for node in _images(tree):
        target = node["c"][2][0]
        real = files.get(target)
        if real is None:
            continue
        if real not in copies:
            name = f"{len(copies) + 1}{real.suffix.lower()}"
            shutil.copyfile(real, images_dir / name)
            copies[real] = f"/images/{name}"
        node["c"][2][0] = copies[real]


def _alt_texts(report: dict[str, Any]) -> dict[str, str]:
    """Each image's alt text as the filters left it (``report.lua``), by image path."""
    alt_texts = {}
    for image in report.get("images", []):
        alt = _stringify(json.loads(image["alt"]))
        if alt:
            alt_texts[image["target"]] = alt
    return alt_texts


def _compile_typst(job: Job, settings: DocumentSettings, typst_root: Path, alt_texts: dict[str, str],
                   progress: Progress) -> None:
    import typst

    typ = typst_root / f"{job.target.stem}.typ"
    source = typ.read_text(encoding="utf-8")
    # pandoc's Typst writer does not carry alt text: add it to each image call
    for path, alt in sorted(alt_texts.items()):
        needle = f"image({_typst_string(path)}"
        source = source.replace(needle, f"{needle}, alt: {_typst_string(alt)}")
    typ.write_text(source, encoding="utf-8")
    try:
        with _rust_panic_message_held():
            _, warnings = typst.compile_with_warnings(
                str(typ), output=str(job.target), root=str(typst_root), format="pdf",
                timestamp=settings.epoch, ignore_system_fonts=True, font_paths=[],
            )
    except Exception as exc:  # typst.TypstError and friends
        diag = getattr(exc, "diagnostic", "") or ""
        raise RenderError(f"Typst could not compile the PDF: {exc}\n{diag}".rstrip()) from None
    except BaseException as exc:
        # A panic inside Typst arrives as pyo3's PanicException, a BaseException (not an
        # Exception); a Ctrl-C or SIGTERM is passed on as it is.
        if isinstance(exc, (KeyboardInterrupt, SystemExit)) or type(exc).__name__ != "PanicException":
            raise
        reason = str(exc).strip() or "no reason given"
        raise RenderError(
            f"Typst could not compile the PDF: it stopped on an internal error ({reason}). A known cause is a "
            "text of more than 65 535 bytes without a space or line break (e.g. in a data file); shorten or "
            "break it, or render without pdf") from None
    for warning in warnings:
        progress.warn(f"typst: {getattr(warning, 'message', warning)}")


#: The first line of a panic's message from Rust's default hook: "thread '<unnamed>' (25276) panicked at ...".
_PANIC_START = re.compile(r"^thread '[^']*'.* panicked at ")


@contextlib.contextmanager
def _rust_panic_message_held() -> Iterator[None]:
    """Keep the message Rust's panic hook writes to standard error off the terminal.

    Typst (a Rust library) reports a panic twice: as an exception, which the caller turns
    into one error message, and as lines written straight to the process's standard error
    (with a backtrace when ``RUST_BACKTRACE`` is set). While the block runs, file
    descriptor 2 goes to a temporary file; afterwards everything else written there (by
    other threads too) is passed on to standard error, less a panic's lines.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no standard error to hold
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            kept, panic = [], False
            for line in held.read().decode("utf-8", "replace").splitlines(keepends=True):
                if _PANIC_START.match(line):
                    panic = True
                    if kept and not kept[-1].strip():
                        kept.pop()  # the hook's empty line before the message
                elif panic and line.startswith("note: ") and "RUST_BACKTRACE" in line:
                    panic = False
                    continue
                if not panic:
                    kept.append(line)
            if kept:
                with contextlib.suppress(OSError):  # standard error gone: nothing to pass on to
                    os.write(2, "".join(kept).encode("utf-8"))


def _is_crossref(key: str) -> bool:
    """A key the filter reads as a cross-reference (``@fig-``, ``@Tbl-``, ``@sec-`` ...), as ``quarto.lua``."""
    return (key[:1].lower() + key[1:]).startswith(("fig-", "tbl-", "sec-"))


def _has_citations(tree: dict[str, Any]) -> bool:
    """True if a citation is left once the filter has turned the cross-references into links."""
    stack: list[Any] = [tree.get("blocks", [])]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("t") == "Cite" and not all(_is_crossref(c["citationId"]) for c in node["c"][0]):
                return True
            stack.extend(v for k, v in node.items() if k != "t")
    return False


@dataclass(frozen=True)
class _Tree:
    """One markdown text read by pandoc, shared by the formats that have that text."""

    path: Path
    tree: dict[str, Any]
    files: dict[str, Path]
    has_citations: bool
    #: whether the text may show other things in other formats (``.content-visible`` or
    #: ``.content-hidden``, which ``quarto.lua`` keeps or drops per format); a string
    #: test of pandoc's JSON, so a text that merely mentions a class counts too
    conditional: bool = True


def tree_key(markdown: str) -> str:
    """What pandoc's reading of ``markdown`` depends on, as a digest: the text, how it is
    read (:data:`_READER`, with an empty data folder) and the pandoc executable (path, size, time)."""
    import hashlib

    exe = Path(pandoc_path())
    stat = exe.stat()
    digest = hashlib.sha256()
    for part in [str(exe), str(stat.st_size), str(stat.st_mtime_ns), *_READER, markdown]:
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


def _stored_reading(text: Any) -> dict[str, Any] | None:
    """A reading kept with a stored execution as pandoc's tree, or ``None`` when it is not one
    (not text, not JSON, not an object with pandoc's API version and blocks): read again then."""
    if not isinstance(text, str):
        return None
    try:
        tree = json.loads(text)
    except ValueError:
        return None
    if not (isinstance(tree, dict) and isinstance(tree.get("pandoc-api-version"), list)
            and isinstance(tree.get("blocks"), list) and isinstance(tree.get("meta"), dict)):
        return None
    return tree


def _read_tree(markdown: MarkdownResult, index: int, settings: DocumentSettings, *, workdir: Path,
               env: dict[str, str], allowed_roots: tuple[Path, ...] | None,
               readings: dict[str, str] | None = None) -> _Tree:
    """Read the markdown into pandoc's tree and check every file it names (before any writer reads one).

    ``readings`` maps :func:`tree_key` to pandoc's JSON text of a reading done before: a text
    found there is not read again (the writers get the very bytes pandoc wrote); one read now
    is added."""
    tree_path = workdir / f"tree.{index}.json"
    key = tree_key(markdown.markdown) if readings is not None else None
    text = readings.get(key) if key is not None else None
    tree = _stored_reading(text)
    if tree is not None:
        tree_path.write_text(text, encoding="utf-8")
    else:  # not read before, or the stored reading is not a tree (the store is checked, its readings here)
        _run(_reader_args(markdown.markdown, index, workdir, tree_path), cwd=workdir, env=env, what="the document")
        text = tree_path.read_text(encoding="utf-8")
        tree = json.loads(text)
    if key is not None:
        readings[key] = text
    files = _checked_files(document_resources(tree), markdown, settings, allowed_roots)
    conditional = '"content-visible"' in text or '"content-hidden"' in text
    return _Tree(tree_path, tree, files, _has_citations(tree), conditional)


def _checked_files(resources: list[Resource], markdown: MarkdownResult, settings: DocumentSettings,
                   allowed_roots: tuple[Path, ...] | None) -> dict[str, Path]:
    """Each local file the document names, checked (:func:`~._resources.check_resource`): by target."""
    roots = tuple(Path(r).resolve() for r in (allowed_roots or markdown.allowed_roots or (settings.base_dir,)))
    files: dict[str, Path] = {}
    for resource in resources:
        if is_remote(resource.target):
            continue
        if resource.how == "image" and resource.target in markdown.images:
            files[resource.target] = markdown.images[resource.target]
            continue
        files[resource.target] = check_resource(resource, base_dir=settings.base_dir, roots=roots,
                                                source=markdown.source)
    return files


def write_page(job: Job, settings: DocumentSettings, *, workdir: Path, progress: Progress,
               allowed_roots: tuple[Path, ...] | None = None, registry: dict[str, Any] | None = None
               ) -> dict[str, Path]:
    """Write ``job``'s HTML page with its images as links, in one pandoc run from the markdown; return
    the files the page links to, checked, by the link (the target the document gives each).

    The live preview's page: what :func:`write_outputs` writes for HTML with
    ``embed_resources=False`` (the same filters, template and values), without its
    first run, which reads the markdown into a JSON tree that the writers of several
    formats share (for one format, writing and reading that tree again cost a tenth
    of a second). The files the document names are checked as there, from what the
    filter ``resources.lua`` lists of pandoc's reading; the page is written first, but
    nothing reads those files (no image is embedded) and a failed check fails the render.

    Raises
    ------
    RenderError
        As :func:`write_outputs`.
    """
    env = dict(os.environ)
    env["SOURCE_DATE_EPOCH"] = str(settings.epoch)
    markdown = job.markdown
    md_path = workdir / "body.page.md"
    md_path.write_text(markdown.markdown, encoding="utf-8")
    meta = _metadata(settings, "html", job.target.stem)
    listed = workdir / "resources.page.json"
    meta["sbm-render"]["resources"] = listed.name
    meta["sbm-render"]["values-records"] = False  # no values file and no companion: values.lua lists nothing
    # whether citeproc runs: a citation needs an @ (the tree, which tells them from cross-references, is not read)
    cites = bool(settings.bibliography) and "@" in markdown.markdown
    nonce = _nonce()
    registry_path = _write_registry(registry, workdir, markdown.source) if registry else None
    shared = _Tree(md_path, {}, {}, cites)
    _write_one("html", job.target, settings, meta, shared, markdown.source, workdir=workdir, env=env, nonce=nonce,
               registry_path=registry_path, progress=progress, embed=False, from_markdown=True)
    found = json.loads(listed.read_text(encoding="utf-8"))
    resources = [Resource(target, "image") for target in found.get("images") or []]
    for html in found.get("html") or []:
        resources.extend(html_resources(html))
    return _checked_files(resources, markdown, settings, allowed_roots)


def write_outputs(
    jobs: list[Job],
    settings: DocumentSettings,
    *,
    workdir: Path,
    progress: Progress,
    allowed_roots: tuple[Path, ...] | None = None,
    values: dict[str, list[dict[str, str]]] | None = None,
    registry: dict[str, Any] | None = None,
    companions: list[Companion] = (),
    embed_resources: bool = True,
    readings: dict[str, str] | None = None,
) -> dict[str, float]:
    """Write every job's output (pandoc runs in parallel); return seconds per format.

    ``values``, when given, receives per format the traced values the document
    shows (see :func:`traced_values`), as listed by that format's run of
    ``values.lua``: the *primary* run (HTML's when the render writes HTML, else the
    first job's) lists them, and so does a format whose markdown text differs from
    the primary's. A format that shows the same text with its numbers as plain text
    (PDF and Word when the appendix is ``separate`` or ``none``) has its run in the
    role ``secondary``: the spans become their text and nothing is checked or listed
    again, which took a tenth of a second per format (:func:`primary_job`). A text
    with conditional content (``.content-visible``, ``.content-hidden``) is checked
    in every format's run: the primary's does not see what only another format shows.

    ``registry`` is the render's registry of traced values (:func:`sbm_stats.provenance.shown_values`, from the kernel):
    the filter ``values.lua`` reads each value's provenance there, once, by the id
    its span names.

    ``allowed_roots`` are the folders the document's own files (images) may
    come from; default: those of each job's markdown (the document's folder).

    ``companions`` are the formats of the companion document (the values appendix on
    its own), written when the front matter's ``values-appendix`` is ``separate`` and
    the document shows traced values: after the primary job, whose run lists the values
    (in order, with the sections each appears in), in the same pool. Their timings are
    ``values.<fmt>``.

    ``embed_resources=False`` leaves the HTML's images as links (relative to
    ``workdir``, else the document's folder) instead of embedding them: the live
    preview serves them itself, and pandoc's embedding is a second of its time.

    ``readings``, when given, holds pandoc's readings of earlier renders (see
    :func:`_read_tree`): a markdown text read before is not read again, and the
    texts read now are added (the render stores them with the execution, so that a
    re-render of an unchanged document skips pandoc's reading, a third of a second).

    Raises
    ------
    RenderError
        If the document names a file outside the allowed folders or one that
        is not an image, refers to a label that does not exist or uses one
        twice, or if pandoc or Typst fails; nothing is written then.
    """
    import time

    env = dict(os.environ)
    env["SOURCE_DATE_EPOCH"] = str(settings.epoch)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    registry_path = _write_registry(registry, workdir, jobs[0].markdown.source) if registry else None
    nonce = _nonce()
    texts = list(dict.fromkeys(job.markdown.markdown for job in jobs))
    from .._publish import block_signals_in_this_thread

    with ThreadPoolExecutor(max_workers=max(1, len(texts)), initializer=block_signals_in_this_thread) as pool:
        read = list(pool.map(
            lambda i: _read_tree(next(j.markdown for j in jobs if j.markdown.markdown == texts[i]), i, settings,
                                 workdir=workdir, env=env, allowed_roots=allowed_roots, readings=readings),
            range(len(texts))))
    trees = {text: tree for text, tree in zip(texts, read)}
    timings["read"] = time.perf_counter() - start

    primary = primary_job(jobs)

    def run(job: Job) -> tuple[str, float]:
        start = time.perf_counter()
        meta = _metadata(settings, job.fmt, job.target.stem)
        # the primary run sees what this one shows only when the text is the same and shows
        # the same things in every format
        same = (job is not primary and job.markdown.markdown == primary.markdown.markdown
                and not trees[job.markdown.markdown].conditional)
        meta["sbm-render"]["values-role"] = "secondary" if same else "primary"
        shared = trees[job.markdown.markdown]
        report = _write_one(job.fmt, job.target, settings, meta, shared, job.markdown.source,
                            workdir=workdir, env=env, nonce=nonce, registry_path=registry_path, progress=progress,
                            embed=embed_resources)
        found[job.fmt] = traced_values(report)
        return job.fmt, time.perf_counter() - start

    def run_companion(companion: Companion, listing: Path) -> tuple[str, float]:
        start = time.perf_counter()
        fmt = companion.fmt
        meta = _metadata(_companion_settings(settings), fmt, job_stem)
        meta["sbm-render"]["values-appendix"] = "companion"
        meta["sbm-render"]["values-listing"] = listing.name
        _write_one(fmt, companion.target, _companion_settings(settings), meta, empty, jobs[0].markdown.source,
                   workdir=workdir, env=env, nonce=nonce, registry_path=None, progress=progress, name="values")
        return f"values.{fmt}", time.perf_counter() - start

    job_stem = jobs[0].target.stem
    found: dict[str, list[dict[str, Any]]] = {}
    # the companion's tree: empty (values.lua makes its blocks), of the pandoc that read the document
    empty = _Tree(workdir / "tree.values.json", {"pandoc-api-version": read[0].tree["pandoc-api-version"],
                                                 "meta": {}, "blocks": []}, {}, False)
    empty.path.write_text(json.dumps(empty.tree), encoding="utf-8")
    # The PDF first: its pandoc run is followed by the Typst compile, the longest part of a
    # render; no more runs at once than the machine has cores, so that it is not slowed
    # by the other formats, which follow one another beside it. The companion follows the
    # primary run (HTML's), whose listing of the values it shows (the same in every format).
    ordered = sorted(jobs, key=lambda job: job.fmt != "pdf")
    from .._publish import block_signals_in_this_thread

    with ThreadPoolExecutor(max_workers=max(1, min(len(jobs), os.cpu_count() or 1)),
                            initializer=block_signals_in_this_thread) as pool:
        futures = {job.fmt: pool.submit(run, job) for job in ordered}
        extra = []
        if companions and settings.values_appendix == "separate":
            futures[primary.fmt].result()
            entries = [record["entry"] for record in found.get(primary.fmt, []) if "entry" in record]
            if entries:
                listing = workdir / "values.listing.json"
                listing.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
                extra = [pool.submit(run_companion, c, listing) for c in companions]
        for future in [*futures.values(), *extra]:
            name, seconds = future.result()
            timings[name] = seconds
    if values is not None:
        values.update(found)
    return timings


def primary_job(jobs: list[Job]) -> Job:
    """The job whose run of ``values.lua`` checks and lists the traced values: HTML's, which
    needs every value's record for its notes anyway, else the first."""
    return next((job for job in jobs if job.fmt == "html"), jobs[0])


def _write_one(fmt: str, target: Path, settings: DocumentSettings, meta: dict[str, Any], shared: _Tree,
               source: Path, *, workdir: Path, env: dict[str, str], nonce: str, registry_path: Path | None,
               progress: Progress, name: str = "report", embed: bool = True,
               from_markdown: bool = False) -> dict[str, Any]:
    """One pandoc run (and, for the PDF, the Typst compile): ``shared``'s tree to ``target``; the filters' report.

    ``embed=False``: the HTML's images stay links (see :func:`write_outputs`).
    ``from_markdown``: ``shared.path`` is the markdown itself, read in this run (see :func:`write_page`)."""
    meta["sbm-render"]["report"] = _report_path(fmt, name)
    meta["sbm-render"]["nonce"] = nonce
    if registry_path is not None:
        meta["sbm-render"]["values"] = registry_path.name
    # JSON, not YAML: pandoc reads a metadata file by YAML 1.2, where text that PyYAML (YAML 1.1)
    # leaves unquoted, such as "1e5", is a number; in JSON a string is quoted, always text
    meta_path = workdir / f"meta.{name}.{fmt}.json"
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    tree_path = shared.path
    typst_root = workdir / f"typst-{name}-{fmt}"
    if fmt == "pdf":
        typst_root.mkdir(exist_ok=True)
        tree = json.loads(json.dumps(shared.tree))  # a copy: the PDF's images are copies in Typst's root
        _stage_for_typst(tree, shared.files, typst_root)
        tree_path = workdir / f"tree.{name}.pdf.json"
        tree_path.write_text(json.dumps(tree), encoding="utf-8")
    report_path = workdir / _report_path(fmt, name)
    job = Job(fmt, None, target)  # the writer's arguments and the compile read only its format and target
    args = _writer_args(job, settings, workdir, tree_path, meta_path, shared.has_citations, typst_root, embed=embed,
                        from_markdown=from_markdown)
    try:
        _run(args, cwd=workdir, env=env, what=fmt.upper() if name == "report" else f"the {name} {fmt.upper()}")
    except RenderError:
        if report_path.is_file():  # the filters stopped pandoc: say why, with lines
            _check_problems(json.loads(report_path.read_text(encoding="utf-8")), source, progress)
        raise
    report = json.loads(report_path.read_text(encoding="utf-8"))
    _check_problems(report, source, progress)
    if fmt == "html" and report.get("values-html"):
        _fill_values_html(target, json.loads(report["values-html"]), nonce)
    if fmt == "pdf":
        _compile_typst(job, settings, typst_root, _alt_texts(report), progress)
    if fmt == "docx":
        finish_docx(target, toc_depth=int(settings.option("docx", "toc-depth", 3)))
    return report


def _nonce() -> str:
    """A new mark for where values.lua's HTML goes in a page (see :func:`_fill_values_html`).

    It reaches the filter through the metadata's YAML, which pandoc reads by YAML 1.2: 16
    hexadecimal digits such as ``1855719119186e19`` are a number there, which the filter
    saw as ``1.855719119186e+31``, and no mark matched (one render in a thousand). A
    letter first makes it text, whatever the digits.

    >>> n = _nonce(); n[0], len(n)
    ('n', 17)
    """
    return "n" + secrets.token_hex(8)


def _fill_values_html(page: Path, parts: dict[str, str], nonce: str) -> None:
    """Put the values appendix and the tables' lists of values into the written page, at the places marked.

    ``values.lua`` marks each part's place with an HTML comment that carries its name
    and this render's nonce, so that no text of the document can stand in for a mark;
    each part has exactly one place.
    """
    import re

    html = page.read_text(encoding="utf-8")
    marks = re.compile(r"<!--sbm-values:([\w-]+):" + re.escape(nonce) + "-->")
    found: dict[str, int] = {}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        found[name] = found.get(name, 0) + 1
        return parts.get(name, "")

    html = marks.sub(fill, html)
    wrong = sorted(name for name in {*parts, *found} if found.get(name, 0) != 1)
    if wrong:
        raise RenderError(f"the HTML page has {found.get(wrong[0], 0)} places for the values {wrong[0]}, not one "
                          "(an internal error of the values filter)")
    page.write_text(html, encoding="utf-8")


def _write_registry(registry: dict[str, Any], workdir: Path, source: Path) -> Path:
    """The registry as the file ``values.lua`` reads; raise when the kernel could not make it."""
    if registry.get("error"):
        raise RenderError(f"{source.name}: the traced values the document showed cannot be listed: "
                          f"{registry['error']}", path=str(source))
    path = workdir / "values.json"
    path.write_text(json.dumps(registry.get("values") or {}, ensure_ascii=False), encoding="utf-8")
    return path


def write_values_file(records: list[dict[str, str]], path: Path) -> None:
    """The values file: one row per traced value, the columns of ``VALUES_COLUMNS`` (see :mod:`sbm_stats._csv`)."""
    from .._csv import write_rows
    from ..provenance import VALUES_COLUMNS

    with path.open("w", encoding="utf-8", newline="") as handle:
        # text cells neutralised for spreadsheets; the raw value of a number stays a number
        write_rows(handle, VALUES_COLUMNS, records, numeric=("raw",))
