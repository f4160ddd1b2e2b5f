"""From the executed notebook to pandoc markdown, one variant per output format.

Python assembles the markdown; the Quarto transformations are done afterwards
on pandoc's document tree by the Lua filter ``filters/quarto.lua`` (see
``_pandoc.py``), so that code spans and code blocks are never touched.

What happens here:

1. prose blocks get their inline values: `` `{python} expr` `` is replaced by
   the value's representation with Quarto's precedence (``text/html`` as raw
   HTML for HTML output, then ``text/markdown`` verbatim, then ``text/plain``
   escaped as Quarto escapes it: a quoted ``repr`` loses its quotes and its
   markdown punctuation and backslashes are escaped);
2. each chunk becomes its echoed code (``echo``; after the chunk tagged
   ``parameters``, the injected parameters cell too, as Quarto shows
   papermill's cell), then its outputs (``output``): text in a
   ``.cell-output`` div, figures as image files with caption, alt text and
   their ``fig-`` label (several plots: a ``.sbm-figure-group`` div whose parts
   the filter numbers 1a, 1b, ...), HTML tables (DataFrames) as pipe tables
   with their ``tbl-cap`` and ``tbl-`` label, markdown as is.

Numbering, captions, cross-references, callouts, conditional content and the
``pagebreak`` shortcode are the filter's.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from .._markup import markdown_attribute
from ._errors import RenderError
from ._execute import strip_ansi
from ._notebook import INLINE_MIME
from ._progress import Progress
from ._qmd import Chunk, MarkdownBlock, QmdDocument
from ._settings import DocumentSettings
from ._tables import escape_markdown, read_html_tables, to_pipe_table

__all__ = ["MarkdownResult", "NotebookFacts", "build_markdown"]

_KERNEL_FILE_RE = re.compile(r"""(?:[A-Za-z]:)?[^\s"'<>()]*?ipykernel_\d+[/\\](?P<hash>\d+)\.py""")
_ADDRESS_RE = re.compile(r"\bat 0x[0-9a-fA-F]{6,}\b")


@dataclass
class MarkdownResult:
    """The markdown for one format and what the writers need to know about it."""

    markdown: str
    #: image path as written in the markdown -> alt text (patched into the Typst source)
    alt_texts: dict[str, str] = field(default_factory=dict)
    #: image path as written in the markdown -> the file it is (for Typst's root)
    images: dict[str, Path] = field(default_factory=dict)
    #: folders the document's own images may come from (besides the figures above)
    allowed_roots: tuple[Path, ...] = ()
    #: the document (for error messages)
    source: Path = Path("document.qmd")


@dataclass
class NotebookFacts:
    """What every format reads from the executed notebook, worked out once per render."""

    inline_values: dict[int, dict[str, str]]
    doc: QmdDocument | None = None
    nb: NotebookNode | None = None
    pipe_tables: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    _cell_files: dict[str, str] | None = None

    @classmethod
    def of(cls, doc: QmdDocument, nb: NotebookNode) -> NotebookFacts:
        return cls(_inline_values(nb), doc, nb)

    @property
    def cell_files(self) -> dict[str, str]:
        """ipykernel's file name of each cell -> chunk name (worked out on first use)."""
        if self._cell_files is None:
            self._cell_files = _cell_files(self.doc, self.nb) if self.doc is not None else {}
        return self._cell_files

    def tables(self, html: str) -> list[tuple[str, str | None]]:
        """The pipe tables (with their HTML captions) of an HTML output."""
        if html not in self.pipe_tables:
            self.pipe_tables[html] = [(to_pipe_table(t), t.caption) for t in read_html_tables(html)]
        return self.pipe_tables[html]


class _State:
    def __init__(self, doc: QmdDocument, settings: DocumentSettings, fmt: str, progress: Progress):
        self.doc = doc
        self.settings = settings
        self.fmt = fmt
        self.progress = progress
        self.alt_texts: dict[str, str] = {}
        self.images: dict[str, Path] = {}
        self.facts = NotebookFacts({})


# --------------------------------------------------------------------------- helpers

def _code_block(text: str, classes: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{f'{{{classes}}}' if classes else ''}\n{text.rstrip()}\n{fence}"


def _output_block(text: str, classes: str) -> str:
    """A cell's text output as Quarto writes it: a plain code block in a ``.cell-output`` div.

    The classes sit on the div, not on the code block: pandoc takes a code
    block's first class for a language name, and looking up an unknown name
    (``cell-output``) makes it try every syntax definition, about 0.7 s per
    pandoc run (see ``benchmarks/``). A block without a class is not highlighted.
    """
    longest = max((len(m) for m in re.findall(r"^:{3,}", text, re.MULTILINE)), default=0)
    colons = ":" * max(3, longest + 1)
    return f"{colons} {{{classes}}}\n{_code_block(text)}\n{colons}"


def _plain(markdown: str) -> str:
    """Markdown with emphasis and link syntax removed (for alt texts)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1", text)
    text = re.sub(r"[*_`]", "", text)
    return " ".join(text.split())


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _cell_files(doc: QmdDocument, nb: NotebookNode | None) -> dict[str, str]:
    """The file name ipykernel gives each cell's code (its hash) -> the chunk's name."""
    if nb is None:
        return {}
    try:
        from ipykernel.compiler import get_tmp_hash_seed, murmur2_x86
    except ImportError:  # pragma: no cover - ipykernel is a dependency
        return {}
    names = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        sbm = cell.metadata.get("sbm", {})
        if sbm.get("kind") == "chunk":
            name = doc.chunks[sbm["chunk"]].name
        else:
            name = sbm.get("kind", "cell")
        names[str(murmur2_x86(_text(cell.source), get_tmp_hash_seed()))] = name
    return names


def _stable_paths(text: str, state: _State) -> str:
    """Kernel file names (``/tmp/ipykernel_<pid>/<hash>.py``) as ``<chunk name>``.

    The folder holds the kernel's process id, which changes on every run; a
    warning printed by a chunk would otherwise make the output differ each time.
    """
    if "ipykernel_" not in text:
        return text
    return _KERNEL_FILE_RE.sub(lambda m: f"<{state.facts.cell_files.get(m['hash'], 'cell')}>", text)


# --------------------------------------------------------------------------- prose

def _inline_values(nb: NotebookNode) -> dict[int, dict[str, str]]:
    """Each inline expression's representations (MIME type -> text), by expression id."""
    values = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("sbm", {}).get("kind") == "inline":
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if INLINE_MIME in data:
                    values[int(data[INLINE_MIME]["id"])] = {
                        mime: _text(text) for mime, text in data.items() if mime != INLINE_MIME
                    }
    return values


_ESCAPED = re.compile(r"([\\`*_{}\[\]()>#+,\-.!])")


def _escaped_plain(text: str) -> str:
    r"""A ``text/plain`` inline value as Quarto writes it into the markdown.

    Quarto (``src/core/jupyter/jupyter-inline.ts``, ``asEscapedMarkdown``): a
    value in matching quotes (the ``repr`` of a ``str``) loses its quotes, its
    backslashes are doubled and then every backslash and the characters
    ``\`*_{}[]()>#+,-.!`` are backslash-escaped (the ``+-.`` of Quarto's
    character class is a range, so the comma is escaped too). Any other value is
    inserted as it is. So ``'11\\xa0270'`` shows as ``11\\\\xa0270``, as in Quarto.
    """
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        body = text[1:-1].replace("\\", "\\\\")
        return _ESCAPED.sub(r"\\\1", body)
    return text


def _inline_text(data: dict[str, str], fmt: str) -> str | None:
    """The markdown for one inline value in ``fmt``, with Quarto's precedence."""
    if fmt == "html" and "text/html" in data:
        html = data["text/html"]
        ticks = "`" * (max((len(m) for m in re.findall(r"`+", html)), default=0) + 1)
        return f"{ticks}{html}{ticks}{{=html}}"
    if "text/markdown" in data:
        return data["text/markdown"]
    if "text/plain" in data:
        return _escaped_plain(data["text/plain"])
    return None


def _substitute_inlines(block: MarkdownBlock, values: dict[int, dict[str, str]], doc: QmdDocument,
                        fmt: str) -> str:
    parts = []
    pos = 0
    for expr in block.inlines:
        text = _inline_text(values[expr.id], fmt) if expr.id in values else None
        if text is None:
            raise RenderError(
                f"{doc.path.name}, line {expr.line}: the inline expression `{{python}} {expr.code}` "
                "has no value (was the document executed?)", path=str(doc.path), line=expr.line,
            )
        parts.append(block.text[pos:expr.start])
        parts.append(text)
        pos = expr.end
    parts.append(block.text[pos:])
    return "".join(parts)


# --------------------------------------------------------------------------- chunks

def _merged_outputs(outputs: list[NotebookNode]) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged
                and merged[-1].get("output_type") == "stream" and merged[-1]["name"] == out["name"]):
            merged[-1] = {**merged[-1], "text": merged[-1]["text"] + _text(out["text"])}
        else:
            item = dict(out)
            if item.get("output_type") == "stream":
                item["text"] = _text(item["text"])
            merged.append(item)
    return merged


def _image_mime(data: dict[str, Any], fmt: str, settings: DocumentSettings) -> str | None:
    order = ["image/png", "image/jpeg", "image/svg+xml"]
    if fmt == "html" and settings.fig_format == "svg":
        order = ["image/svg+xml", "image/png", "image/jpeg"]
    for mime in order:
        if mime in data:
            return mime
    return None


def _write_figure(data: Any, mime: str, path: Path) -> None:
    if path.exists():
        return
    if mime == "image/svg+xml":
        path.write_text(_text(data), encoding="utf-8")
    else:
        path.write_bytes(base64.b64decode(_text(data)))


def _has_pipe_table(markdown: str) -> bool:
    return bool(re.search(r"^\s*\|.*\|\s*\n\s*\|[-:| ]+\|\s*$", markdown, re.MULTILINE))


# Complexity above 15 on purpose: one branch per Jupyter output type and chunk option, in Quarto's order of precedence.
def _chunk(chunk: Chunk, cell: NotebookNode | None, state: _State, fig_dir: Path,  # noqa: C901
           injected: NotebookNode | None = None) -> str:
    opts = chunk.options
    if not opts.include:
        return ""
    parts: list[str] = []
    if opts.echo == "fenced":
        parts.append(_code_block(f"{chunk.fence.strip()}\n{chunk.source}\n```", "markdown .cell-code"))
    elif opts.echo:
        if chunk.code.strip() and opts.code_fold and state.fmt == "html":
            # code-fold: the code folded under its summary, in HTML only (Quarto shows it
            # unfolded in Word); "show" starts it open
            summary = html.escape(opts.code_summary or state.settings.labels.code_summary)
            opening = f'<details class="code-fold"{" open" if opts.code_fold == "show" else ""}>'
            parts.append(f"```{{=html}}\n{opening}\n<summary>{summary}</summary>\n```")
            parts.append(_code_block(chunk.code, ".python .cell-code"))
            parts.append("```{=html}\n</details>\n```")
        elif chunk.code.strip():
            parts.append(_code_block(chunk.code, ".python .cell-code"))
        if injected is not None:
            # the injected parameters cell, shown as Quarto shows papermill's
            parts.append(_code_block(_text(injected.source), ".python .cell-code"))
    if cell is None or cell.cell_type != "code" or opts.output is False:
        return "\n\n".join(parts)

    outputs = _merged_outputs(cell.get("outputs", []))
    fmt, settings = state.fmt, state.settings
    is_fig = bool(opts.label and opts.label.startswith("fig-"))
    is_tbl = bool(opts.label and opts.label.startswith("tbl-"))
    n_img = sum(1 for o in outputs if o.get("output_type") in ("display_data", "execute_result")
                and _image_mime(o.get("data", {}), fmt, settings))
    # fig-subcap with one caption per plot: Quarto's subfigures (corpus figurer.qmd)
    subfigures = is_fig and n_img > 1 and len(opts.fig_subcap) == n_img
    if is_fig and n_img and opts.fig_subcap and not subfigures:
        raise RenderError(
            f"{state.doc.path.name}, line {chunk.line}: chunk {opts.label!r} has {len(opts.fig_subcap)} "
            f"fig-subcap caption{'s' if len(opts.fig_subcap) != 1 else ''} but shows {n_img} "
            f"figure{'s' if n_img != 1 else ''}; give one caption per figure (two or more figures)",
            path=str(state.doc.path), label=opts.label, line=chunk.line,
        )
    image_parts: list[int] = []
    tbl_done = False
    k_img = 0

    def table_caption() -> str | None:
        nonlocal tbl_done
        if tbl_done:
            return None
        # the table's attributes: its label and its columns' widths (``tbl-colwidths``), as numbers
        widths = (f' tbl-colwidths="[{", ".join(f"{w:g}" for w in opts.tbl_colwidths)}]"'
                  if opts.tbl_colwidths else "")
        if is_tbl:
            tbl_done = True
            return f": {opts.tbl_cap or ''} {{#{opts.label}{widths}}}"
        if opts.tbl_cap:
            tbl_done = True
            return f": {opts.tbl_cap}" + (f" {{{widths.strip()}}}" if widths else "")
        return None

    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            if out["name"] == "stderr" and not opts.warning:
                continue
            text = out["text"]
            if not text.strip():
                continue
            text = _stable_paths(text, state)
            if opts.output == "asis":
                parts.append(text)
            else:
                parts.append(_output_block(strip_ansi(text), f".cell-output .cell-output-{out['name']}"))
            continue
        if kind == "error":
            tb = _stable_paths(strip_ansi("\n".join(out.get("traceback", []))), state)
            parts.append(_output_block(tb or f"{out.get('ename')}: {out.get('evalue')}",
                                       ".cell-output .cell-output-error"))
            continue
        data = out.get("data", {})
        if INLINE_MIME in data:
            continue
        image_mime = _image_mime(data, fmt, settings)
        if "text/markdown" in data:
            md = _text(data["text/markdown"])
            if _has_pipe_table(md):
                cap = table_caption()
                if cap:
                    md = md.rstrip() + "\n\n" + cap
            parts.append(md)
        elif image_mime:
            k_img += 1
            ext = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}[image_mime]
            path = fig_dir / f"{chunk.name}-{k_img}.{ext}"
            _write_figure(data[image_mime], image_mime, path)
            # Written relative to the folder pandoc runs in, so that no temporary
            # path ends up in an output (DOCX keeps it as the picture's name).
            written = f"{fig_dir.name}/{path.name}"
            state.images[written] = path
            caps = opts.fig_subcap if subfigures else opts.fig_cap
            cap = caps[k_img - 1] if len(caps) == n_img else (caps[0] if caps else "")
            alts = opts.fig_alt
            alt = alts[k_img - 1] if len(alts) == n_img else (alts[0] if alts else "")
            attrs = []
            if is_fig:
                attrs.append(f"#{opts.label}" if n_img == 1 else f"#{opts.label}-{k_img}")
            if alt:
                attrs.append(f"alt={markdown_attribute(alt)}")
                state.alt_texts[written] = alt
            elif cap:
                state.alt_texts[written] = _plain(cap)
            attr = "{" + " ".join(attrs) + "}" if attrs else ""
            image_parts.append(len(parts))
            parts.append(f"![{cap}](<{written}>){attr}")
        elif "text/html" in data and "<table" in _text(data["text/html"]).lower():
            tables = state.facts.tables(_text(data["text/html"]))
            if tables:
                for pipe, html_caption in tables:
                    if not pipe:
                        continue
                    cap = table_caption()
                    if cap is None and html_caption:
                        cap = f": {escape_markdown(html_caption)}"
                    parts.append(pipe + (f"\n\n{cap}" if cap else ""))
            elif "text/plain" in data:
                parts.append(_output_block(_text(data["text/plain"]), ".cell-output .cell-output-display"))
        elif "text/html" in data and fmt == "html":
            parts.append("```{=html}\n" + _text(data["text/html"]).rstrip() + "\n```")
        elif "text/plain" in data:
            text = _stable_paths(_text(data["text/plain"]), state)
            if _ADDRESS_RE.search(text):
                state.progress.warn(
                    f"chunk {chunk.name} (line {chunk.line}) shows a memory address ({text.strip()[:60]!r}); "
                    "it changes on every run, so the output will too: end the line with ';' or call plt.show()"
                )
            if opts.output == "asis":
                parts.append(text)
            else:
                parts.append(_output_block(text, ".cell-output .cell-output-display"))
    if is_fig and n_img > 1 and subfigures:
        # Quarto's subfigures: parts captioned (a), (b) with fig-subcap under the figure's
        # caption fig-cap; the filter numbers them
        first, last = image_parts[0], image_parts[-1]
        caption = opts.fig_cap[0] if opts.fig_cap else ""
        parts[first] = f"::: {{#{opts.label} .sbm-figure-group .sbm-subfigures}}\n\n{parts[first]}"
        parts[last] = f"{parts[last]}\n\n::: sbm-figure-caption\n{caption}\n:::\n\n:::"
    elif is_fig and n_img > 1:
        # one figure in parts: the filter numbers the group and its parts 1a, 1b, ...
        first, last = image_parts[0], image_parts[-1]
        parts[first] = f"::: {{#{opts.label} .sbm-figure-group}}\n\n{parts[first]}"
        parts[last] = f"{parts[last]}\n\n:::"
    if is_fig and not n_img and opts.eval:
        # Quarto shows an empty, numbered figure; a figure that is not there gets no number here
        state.progress.warn(
            f"{state.doc.path.name}, line {chunk.line}: chunk {opts.label!r} is labelled as a figure "
            "(fig-) but shows no figure (under a non-inline backend such as Agg, plt.show() shows "
            "nothing: return the Figure or use the inline backend)"
        )
    if is_tbl and not tbl_done and opts.eval:
        raise RenderError(
            f"{state.doc.path.name}, line {chunk.line}: chunk {opts.label!r} is labelled as a table "
            "(tbl-) but shows no table (a DataFrame or a markdown table)",
            path=str(state.doc.path), label=opts.label, line=chunk.line,
        )
    return "\n\n".join(p.strip("\n") for p in parts if p.strip())


# --------------------------------------------------------------------------- entry point

def build_markdown(
    doc: QmdDocument,
    settings: DocumentSettings,
    nb: NotebookNode,
    fmt: str,
    *,
    fig_dir: Path,
    progress: Progress,
    facts: NotebookFacts | None = None,
    allowed_roots: tuple[Path, ...] | None = None,
) -> MarkdownResult:
    """The pandoc markdown body of ``doc`` for ``fmt`` (``html``, ``pdf`` or ``docx``).

    Figures are written into ``fig_dir`` (one file per plot, named after the
    chunk's label). The front matter is not included: the writers pass it as
    metadata. ``facts`` (from :meth:`NotebookFacts.of`) lets several formats
    share the work of reading the notebook. ``allowed_roots`` (default: the
    document's folder) are the folders the document's own images may come
    from; :func:`~sbm_stats.render._pandoc.write_outputs` checks them.

    Raises
    ------
    RenderError
        For a ``tbl-`` chunk that shows no table or an inline value missing.
    """
    state = _State(doc, settings, fmt, progress)
    state.facts = facts if facts is not None else NotebookFacts.of(doc, nb)
    values = state.facts.inline_values
    cells_by_block = {
        c.metadata["sbm"]["block"]: c for c in nb.cells
        if c.metadata.get("sbm", {}).get("kind") in ("markdown", "chunk")
    }
    injected_after: dict[int, NotebookNode] = {}
    previous = None
    for cell in nb.cells:
        kind = cell.metadata.get("sbm", {}).get("kind")
        if kind == "injected" and previous is not None:
            injected_after[previous] = cell
        if kind == "chunk":
            previous = cell.metadata["sbm"]["block"]
    pieces = []
    for index, block in enumerate(doc.blocks):
        if isinstance(block, MarkdownBlock):
            text = _substitute_inlines(block, values, doc, fmt) if block.inlines else block.text
            pieces.append(text.strip("\n"))
        else:
            pieces.append(_chunk(block, cells_by_block.get(index), state, fig_dir,
                                 injected_after.get(index)))
    markdown = "\n\n".join(p for p in pieces if p.strip()) + "\n"
    roots = tuple(Path(r).resolve() for r in allowed_roots) if allowed_roots else (doc.path.parent.resolve(),)
    return MarkdownResult(markdown, state.alt_texts, state.images, allowed_roots=roots, source=doc.path)
