"""Read a Quarto markdown (``.qmd``) document.

What is read, and how it maps to Quarto's documented syntax:

- the YAML front matter between ``---`` lines at the top of the file;
- executable chunks opened by a backtick fence whose info string is
  ``{python}``, with their ``#|`` option lines (YAML) at the top of the chunk;
- inline expressions `` `{python} expr` `` in the prose (not inside fenced code);
  one wrapped across a line break, or inside a longer code span, is an error with
  its line (Quarto would not evaluate it as written);
- ``{{< include file >}}`` on a line of its own: replaced by the file's text first
  (a file inside the document's folder);
- everything else is pandoc markdown and is passed through.

A chunk for another engine (``{r}``, ``{julia}``, ``{ojs}``, ``{mermaid}``, ...)
is an error for the builtin engine: only Quarto itself can run it.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml

from .._yaml import describe, load_yaml
from ._errors import RenderError

__all__ = [
    "InlineExpr",
    "MarkdownBlock",
    "ChunkOptions",
    "Chunk",
    "QmdDocument",
    "parse_qmd",
    "read_front_matter",
    "check_inline_expressions",
    "split_prose",
    "split_code_spans",
    "FENCE_RE",
]

#: An opening or closing code fence (CommonMark: up to 3 spaces of indent).
FENCE_RE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>.*?)[ \t]*$")
_ENGINE_RE = re.compile(r"^\{\s*(?P<engine>[A-Za-z][\w-]*)(?P<rest>(?:[\s,][^}]*)?)\}$")
_OPTION_RE = re.compile(r"^#\|[ \t]?(?P<yaml>.*)$")
_CODE_SPAN_RE = re.compile(
    r"(?<!`)(?P<ticks>`+)(?!`)(?P<body>(?:(?!\n[ \t]*\n).)+?)(?<!`)(?P=ticks)(?!`)", re.DOTALL
)
_INLINE_RE = re.compile(r"^\{python\}[ \t\n]+(?P<code>.+)$", re.DOTALL)
_LABEL_RE = re.compile(r"^[A-Za-z][\w-]*$")

#: Chunk options the builtin engine carries out.
SUPPORTED_OPTIONS = frozenset(
    {"label", "echo", "eval", "include", "output", "warning", "error", "fig-cap", "fig-alt", "fig-subcap",
     "code-fold", "code-summary",
     "tbl-cap", "tbl-colwidths", "tags"}
)

#: Execution options a document may set for all chunks under ``execute:``.
EXECUTE_DEFAULTS = {"echo": True, "eval": True, "include": True, "output": True,
                    "warning": True, "error": False}


@dataclass(frozen=True)
class InlineExpr:
    """An inline expression `` `{python} code` `` in the prose.

    ``start`` and ``end`` are offsets into the text of the block it is in; ``id``
    numbers the expressions of the whole document in reading order.
    """

    id: int
    code: str
    line: int
    start: int
    end: int


@dataclass(frozen=True)
class MarkdownBlock:
    """Prose between chunks, as written, with the inline expressions found in it."""

    text: str
    line: int
    inlines: tuple[InlineExpr, ...] = ()


@dataclass(frozen=True)
class ChunkOptions:
    """The ``#|`` options of a chunk, with the document's ``execute`` defaults applied."""

    label: str | None = None
    echo: bool | Literal["fenced"] = True
    eval: bool = True
    include: bool = True
    output: bool | Literal["asis"] = True
    warning: bool = True
    error: bool = False
    fig_cap: tuple[str, ...] = ()
    fig_alt: tuple[str, ...] = ()
    fig_subcap: tuple[str, ...] = ()
    code_fold: bool | Literal["show"] = False
    code_summary: str | None = None
    tbl_cap: str | None = None
    #: ``tbl-colwidths``: the table's columns' widths in per cent (the filter quarto.lua sets them)
    tbl_colwidths: tuple[float, ...] = ()
    tags: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chunk:
    """One executable ``{python}`` chunk.

    Attributes
    ----------
    index : int
        Position among the document's chunks, from 0.
    line : int
        Line of the opening fence in the ``.qmd`` (from 1); the code starts on the
        next line.
    source : str
        The code as written, ``#|`` option lines included (this is what the
        kernel runs, so that line *k* of the cell is line ``line + k`` of the file).
    code : str
        The code without the option lines (what ``echo`` shows).
    options : ChunkOptions
    fence : str
        The opening fence line, e.g. ```` ```{python} ````.
    """

    index: int
    line: int
    source: str
    code: str
    options: ChunkOptions
    fence: str

    @property
    def name(self) -> str:
        """The label, or ``chunk-<n>`` (from 1) for an unlabelled chunk."""
        return self.options.label or f"chunk-{self.index + 1}"


@dataclass(frozen=True)
class QmdDocument:
    """A parsed ``.qmd`` file: its front matter and its blocks in reading order."""

    path: Path
    meta: Mapping[str, Any]
    blocks: tuple[MarkdownBlock | Chunk, ...]
    ids: tuple[str, ...] = field(default=())

    @property
    def chunks(self) -> tuple[Chunk, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Chunk))

    @property
    def inlines(self) -> tuple[InlineExpr, ...]:
        return tuple(i for b in self.blocks if isinstance(b, MarkdownBlock) for i in b.inlines)


def split_prose(text: str) -> Iterator[tuple[bool, str]]:
    """Split markdown into ``(is_code, piece)``: fenced code blocks versus the rest.

    The pieces concatenate to ``text``. A fence is closed by a fence of the same
    character that is at least as long (CommonMark); an unclosed fence runs to
    the end.
    """
    lines = text.splitlines(keepends=True)
    buf: list[str] = []
    in_code = False
    fence = ""
    for line in lines:
        m = FENCE_RE.match(line.rstrip("\r\n"))
        if not in_code:
            if m:
                if buf:
                    yield False, "".join(buf)
                buf = [line]
                in_code = True
                fence = m["fence"]
            else:
                buf.append(line)
        else:
            buf.append(line)
            if m and not m["info"] and m["fence"][0] == fence[0] and len(m["fence"]) >= len(fence):
                yield True, "".join(buf)
                buf = []
                in_code = False
    if buf:
        yield in_code, "".join(buf)


def split_code_spans(prose: str) -> Iterator[tuple[bool, str]]:
    """Split prose into ``(is_code_span, piece)``; the pieces concatenate to ``prose``."""
    pos = 0
    for m in _CODE_SPAN_RE.finditer(prose):
        if m.start() > pos:
            yield False, prose[pos:m.start()]
        yield True, m.group(0)
        pos = m.end()
    if pos < len(prose):
        yield False, prose[pos:]


def _err(path: Path, line: int | None, message: str, **kw: Any) -> RenderError:
    where = f"{path.name}, line {line}" if line else path.name
    return RenderError(f"{where}: {message}", path=str(path), line=line, **kw)


def _read_front_matter(path: Path, lines: list[str]) -> tuple[dict[str, Any], int]:
    """The front matter and the index of the first line after it."""
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or lines[i].rstrip() != "---":
        return {}, 0
    for j in range(i + 1, len(lines)):
        if lines[j].rstrip() in ("---", "..."):
            text = "".join(lines[i + 1:j])
            try:
                meta = load_yaml(text) if text.strip() else {}
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                line = i + 2 + mark.line if mark is not None else i + 1
                raise _err(path, line, f"the front matter is not valid YAML: {describe(exc)}") from None
            if meta is None:
                meta = {}
            if not isinstance(meta, dict):
                raise _err(path, i + 1, "the front matter must be a YAML mapping (key: value lines)")
            return meta, j + 1
    raise _err(path, i + 1, "the front matter opened with '---' is never closed")


def _as_bool(path: Path, line: int, key: str, value: Any, extra: tuple[str, ...] = ()) -> Any:
    if isinstance(value, bool) or value in extra:
        return value
    allowed = "true or false" + "".join(f" or {e!r}" for e in extra)
    raise _err(path, line, f"option {key} ({value!r}) must be {allowed}")


def _as_strings(path: Path, line: int, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, int, float)):
        return (str(value),)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(str(v) for v in value)
    raise _err(path, line, f"option {key} ({value!r}) must be a text or a list of texts")


def _chunk_options(path: Path, line: int, raw: Mapping[str, Any], defaults: Mapping[str, Any]) -> ChunkOptions:
    values = dict(defaults)
    values.update({k: v for k, v in raw.items() if k in EXECUTE_DEFAULTS})
    label = raw.get("label")
    if label is not None:
        label = str(label)
        if not _LABEL_RE.match(label):
            raise _err(path, line, f"option label ({label!r}) must start with a letter and hold "
                                   "only letters, digits, '-' and '_'")
    tags = raw.get("tags", ())
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.strip("[]").split(",") if t.strip()]
    tags = _as_strings(path, line, "tags", list(tags))
    tbl_cap = raw.get("tbl-cap")
    if tbl_cap is not None and not isinstance(tbl_cap, (str, int, float)):
        raise _err(path, line, f"option tbl-cap ({tbl_cap!r}) must be a text")
    colwidths = raw.get("tbl-colwidths", [])
    if not isinstance(colwidths, list) or not all(
            isinstance(w, (int, float)) and not isinstance(w, bool) and 0 < w <= 100 for w in colwidths):
        raise _err(path, line, f"option tbl-colwidths ({colwidths!r}) must be a list of widths in per cent "
                               "such as [30, 70]")
    code_summary = raw.get("code-summary")
    if code_summary is not None and not isinstance(code_summary, (str, int, float)):
        raise _err(path, line, f"option code-summary ({code_summary!r}) must be a text")
    ignored = tuple(sorted(k for k in raw if k not in SUPPORTED_OPTIONS))
    return ChunkOptions(
        label=label,
        echo=_as_bool(path, line, "echo", values["echo"], ("fenced",)),
        eval=_as_bool(path, line, "eval", values["eval"]),
        include=_as_bool(path, line, "include", values["include"]),
        output=_as_bool(path, line, "output", values["output"], ("asis",)),
        warning=_as_bool(path, line, "warning", values["warning"]),
        error=_as_bool(path, line, "error", values["error"]),
        fig_cap=_as_strings(path, line, "fig-cap", raw.get("fig-cap")),
        fig_alt=_as_strings(path, line, "fig-alt", raw.get("fig-alt")),
        fig_subcap=_as_strings(path, line, "fig-subcap", raw.get("fig-subcap")),
        code_fold=_as_bool(path, line, "code-fold", raw.get("code-fold", False), ("show",)),
        code_summary=None if code_summary is None else str(code_summary),
        tbl_cap=None if tbl_cap is None else str(tbl_cap),
        tbl_colwidths=tuple(float(w) for w in colwidths),
        tags=tags,
        ignored=ignored,
    )


def _make_chunk(
    path: Path, index: int, line: int, fence: str, body: list[str], defaults: Mapping[str, Any]
) -> Chunk:
    n_opt = 0
    yaml_lines = []
    for text in body:
        m = _OPTION_RE.match(text.rstrip("\r\n"))
        if not m:
            break
        yaml_lines.append(m["yaml"])
        n_opt += 1
    raw: Any = {}
    if yaml_lines:
        try:
            raw = load_yaml("\n".join(yaml_lines)) or {}
        except yaml.YAMLError as exc:
            raise _err(path, line + 1, f"the '#|' options of this chunk are not valid YAML: {describe(exc)}") from None
        if not isinstance(raw, dict):
            raise _err(path, line + 1, "the '#|' options of a chunk must be 'key: value' lines")
    options = _chunk_options(path, line, raw, defaults)
    source = "".join(body).rstrip("\r\n")
    code = "".join(body[n_opt:]).strip("\r\n")
    return Chunk(index=index, line=line, source=source, code=code, options=options, fence=fence)


def _not_evaluated_by_quarto(path: Path, line: int, span: str) -> RenderError | None:
    """An error for an inline expression Quarto would not evaluate as written, else None.

    Quarto replaces inline expressions line by line (the corpus' ``inline.qmd`` and
    ``inline_bruten.qmd``, OBSERVATIONS.md): one wrapped across a line break is run
    by the kernel but never replaced, so its readers see the code; when the code is
    not valid Python with the line break in it, the whole render fails. A
    `` `{python} ...` `` inside a longer code span (``` `` `{python} x` `` ```) is
    a code span that shows it, not an expression, for pandoc, but Quarto's
    line-by-line replacement may still find it. Neither is rendered silently otherwise.
    """
    ticks = len(span) - len(span.lstrip("`"))
    body = span[ticks:-ticks]
    if ticks == 1 and "\n" in body and _INLINE_RE.match(body):
        shown = " ".join(body.split())
        return _err(path, line, f"the inline expression `{shown}` is wrapped across a line break; "
                                "Quarto does not evaluate it there (its readers see the code, or the "
                                "render fails): write the expression on one line")
    if ticks > 1 and re.search(r"`\{python\}[ \t\n]", body):
        return _err(path, line, f"the code span {' '.join(span.split())} holds an inline expression "
                                "(`{python} ...`); Quarto and the builtin engine treat it differently: "
                                "write the expression outside the code span, or the code without "
                                "its backticks")
    return None


def _find_inlines(path: Path, text: str, first_line: int, next_id: int) -> tuple[InlineExpr, ...]:
    found = []
    offset = 0
    for is_code, piece in split_prose(text):
        if not is_code:
            pos = 0
            for is_span, span in split_code_spans(piece):
                if is_span:
                    start = offset + pos
                    line = first_line + text.count("\n", 0, start)
                    problem = _not_evaluated_by_quarto(path, line, span)
                    if problem is not None:
                        raise problem
                    m = _INLINE_RE.match(span[1:-1]) if span.startswith("`{python}") else None
                    if m:
                        code = " ".join(m["code"].split())
                        found.append(InlineExpr(next_id + len(found), code, line, start, start + len(span)))
                pos += len(span)
        offset += len(piece)
    return tuple(found)


def check_inline_expressions(path: str | Path) -> None:
    """Raise for an inline expression Quarto would not evaluate as written (see ``_not_evaluated_by_quarto``).

    Used when Quarto renders: the rest of the document is Quarto's to read, but a wrapped
    inline expression would be shown as code (or fail the render), silently.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    lines = text.splitlines(keepends=True)
    _, start = _read_front_matter(path, lines)
    _find_inlines(path, "".join(lines[start:]), start + 1, 0)


def _execute_defaults(path: Path, meta: Mapping[str, Any]) -> dict[str, Any]:
    defaults = dict(EXECUTE_DEFAULTS)
    execute = meta.get("execute") or {}
    if not isinstance(execute, dict):
        raise _err(path, None, f"front matter: execute ({execute!r}) must be a mapping of options")
    for key in EXECUTE_DEFAULTS:
        if key in execute:
            defaults[key] = execute[key]
    return defaults


def read_front_matter(path: str | Path) -> QmdDocument:
    """Only the front matter of a ``.qmd`` (its blocks are left empty).

    Used when Quarto renders, so that chunks the builtin engine cannot run are
    not an error.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    meta, _ = _read_front_matter(path, text.splitlines(keepends=True))
    return QmdDocument(path=path, meta=MappingProxyType(meta), blocks=())


_INCLUDE_RE = re.compile(r"^\{\{<\s*include\s+(?P<file>\S+?)\s*>\}\}\s*$")
_MAX_INCLUDE_DEPTH = 10


def _include_target(path: Path, line: int, name: str, root: Path) -> Path:
    name = name.strip("\"'")
    target = (root / name.lstrip("/")) if name.startswith("/") else (path.parent / name)
    try:
        resolved = target.resolve()
    except OSError as exc:
        raise _err(path, line, f"the included file {name!r} cannot be read ({exc})") from None
    if not resolved.is_relative_to(root.resolve()):
        raise _err(path, line, f"the included file {name!r} is outside the document's folder "
                               f"{root}; an include must stay inside it")
    if not resolved.is_file():
        raise _err(path, line, f"the included file {name!r} does not exist (looked for {resolved})")
    return resolved


def _expand_includes(
    path: Path, lines: list[str], root: Path, depth: int = 0, top: int | None = None
) -> tuple[list[str], list[tuple[Path, int, int]]]:
    """The lines with each ``{{< include file >}}`` line replaced by the file's lines.

    Quarto's ``include`` shortcode pastes the file's text in before anything runs (the
    corpus' villkor_kortkoder.qmd: an included heading is numbered in the document and
    its inline expression runs in the same kernel). Only an include on a line of its own,
    outside fenced code, is read (one anywhere else fails the render as an unsupported
    shortcode); the file must exist inside the document's folder ``root``. Returns the
    lines and, for each, the file and line it comes from and the line of the document
    (``top``: the line of the include in the document, for an included file).
    """
    out: list[str] = []
    origin: list[tuple[Path, int, int]] = []
    fence: str | None = None
    for number, line in enumerate(lines, 1):
        m = FENCE_RE.match(line.rstrip("\n"))
        if fence is not None:
            if m and not m["info"] and m["fence"][0] == fence[0] and len(m["fence"]) >= len(fence):
                fence = None
        elif m:
            fence = m["fence"]
        include = _INCLUDE_RE.match(line.strip()) if fence is None and not m else None
        if include is None:
            out.append(line)
            origin.append((path, number, top or number))
            continue
        if depth >= _MAX_INCLUDE_DEPTH:
            raise _err(path, number, f"includes nest more than {_MAX_INCLUDE_DEPTH} deep "
                                     "(does a file include itself?)")
        target = _include_target(path, number, include["file"], root)
        try:
            text = target.read_text(encoding="utf-8").lstrip("\ufeff").replace("\r\n", "\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise _err(path, number, f"the included file {include['file']!r} cannot be read ({exc})") from None
        if text and not text.endswith("\n"):
            text += "\n"
        more, more_origin = _expand_includes(target, text.splitlines(keepends=True), root, depth + 1,
                                             top or number)
        out.extend(more)
        origin.extend(more_origin)
    return out, origin


def parse_qmd(path: str | Path, text: str | None = None) -> QmdDocument:
    """Parse a ``.qmd`` file (or ``text``, reported as coming from ``path``).

    ``{{< include file >}}`` lines are replaced by the file first; an error in an
    included part names that file and its line.

    Raises
    ------
    RenderError
        For malformed front matter or chunk options, a chunk for an engine other
        than Python, an unclosed chunk, a label used twice, or an include that is
        missing or outside the document's folder; the message names the file and line.
    """
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise _err(path, None, f"the file is not valid UTF-8 ({exc})") from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    lines, origin = _expand_includes(path, text.splitlines(keepends=True), path.parent)
    try:
        doc = _parse_lines(path, lines)
    except RenderError as exc:
        line = getattr(exc, "line", None)
        if not line or line > len(origin) or origin[line - 1][:2] == (path, line):
            raise
        where, number, _ = origin[line - 1]
        if where == path:
            raise _err(path, number, str(exc).split(": ", 1)[-1]) from None
        raise _err(where, number, str(exc).split(": ", 1)[-1] + f" (included by {path.name})") from None
    if all(top == i for i, (_, _, top) in enumerate(origin, 1)):
        return doc
    return _lines_in_document(doc, [top for _, _, top in origin])


def _lines_in_document(doc: QmdDocument, lines: list[int]) -> QmdDocument:
    """``doc`` with the lines of its blocks, chunks and inline expressions as lines of the document file.

    A chunk or inline expression of an included file gets the line of the include, so that
    a later error (a chunk that fails, an inline value that cannot be shown) names a line
    of the document that holds it.
    """
    def at(line: int) -> int:
        return lines[min(max(line, 1), len(lines)) - 1] if lines else line

    blocks: list[MarkdownBlock | Chunk] = []
    for block in doc.blocks:
        if isinstance(block, Chunk):
            blocks.append(replace(block, line=at(block.line)))
        else:
            blocks.append(replace(block, line=at(block.line),
                                  inlines=tuple(replace(i, line=at(i.line)) for i in block.inlines)))
    return replace(doc, blocks=tuple(blocks))


# Complexity above 15 on purpose: one pass over the lines with a branch per construct (front matter, fences, options).
def _parse_lines(path: Path, lines: list[str]) -> QmdDocument:  # noqa: C901
    """Parse the lines of a ``.qmd`` (its includes already in place)."""
    meta, start = _read_front_matter(path, lines)
    defaults = _execute_defaults(path, meta)

    blocks: list[MarkdownBlock | Chunk] = []
    prose: list[str] = []
    prose_line = start + 1
    n_inline = 0
    n_chunk = 0
    i = start
    fence: str | None = None  # the fence of a non-executable code block we are in

    def flush(upto_line: int) -> None:
        nonlocal prose, prose_line, n_inline
        if prose:
            block_text = "".join(prose)
            inlines = _find_inlines(path, block_text, prose_line, n_inline)
            n_inline += len(inlines)
            blocks.append(MarkdownBlock(block_text, prose_line, inlines))
        prose = []
        prose_line = upto_line

    while i < len(lines):
        line = lines[i]
        m = FENCE_RE.match(line.rstrip("\n"))
        if fence is not None:
            prose.append(line)
            if m and not m["info"] and m["fence"][0] == fence[0] and len(m["fence"]) >= len(fence):
                fence = None
            i += 1
            continue
        if m is None:
            prose.append(line)
            i += 1
            continue
        engine = _ENGINE_RE.match(m["info"]) if m["fence"][0] == "`" else None
        if engine is None:
            fence = m["fence"]
            prose.append(line)
            i += 1
            continue
        lineno = i + 1
        if engine["engine"] != "python":
            raise _err(path, lineno, f"a {{{engine['engine']}}} chunk cannot be run by the builtin "
                                     "engine, which runs only {python} chunks; render with "
                                     "--engine quarto or remove the chunk")
        # An executable chunk: collect until the closing fence.
        body = []
        j = i + 1
        while j < len(lines):
            c = FENCE_RE.match(lines[j].rstrip("\n"))
            if c and not c["info"] and c["fence"][0] == "`" and len(c["fence"]) >= len(m["fence"]):
                break
            body.append(lines[j])
            j += 1
        else:
            raise _err(path, lineno, f"the chunk opened here with {m['fence']} is never closed")
        flush(j + 2)
        blocks.append(_make_chunk(path, n_chunk, lineno, line.rstrip("\n"), body, defaults))
        n_chunk += 1
        i = j + 1
    flush(len(lines) + 1)

    # Labels must be unique across chunks (explicit ids in the prose are checked
    # when the markdown is assembled).
    seen: dict[str, int] = {}
    for chunk in (b for b in blocks if isinstance(b, Chunk)):
        label = chunk.options.label
        if label is None:
            continue
        if label in seen:
            raise _err(path, chunk.line, f"label {label!r} is already used by the chunk on line {seen[label]}")
        seen[label] = chunk.line
    params_chunks = [c for c in blocks if isinstance(c, Chunk) and "parameters" in c.options.tags]
    if len(params_chunks) > 1:
        raise _err(path, params_chunks[1].line, "only one chunk may be tagged 'parameters' "
                   f"(the first is on line {params_chunks[0].line})")
    return QmdDocument(path=path, meta=MappingProxyType(meta), blocks=tuple(blocks), ids=tuple(seen))


def coerce_date(value: Any) -> _dt.date | None:
    """A front-matter date as a :class:`datetime.date`, or ``None`` if it is not one."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None
