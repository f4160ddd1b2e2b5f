"""From the executed notebook to pandoc markdown, one variant per output format.

Steps, in order:

1. prose blocks get their inline values (`` `{python} expr` `` replaced by the
   value the kernel published for it, as markdown); local image paths are
   made absolute; markdown figures ``![cap](x.png){#fig-a}`` and tables with a
   ``: cap {#tbl-a}`` caption are numbered;
2. each chunk becomes its echoed code (``echo``), then its outputs
   (``output``): text as code blocks, figures as image files with caption,
   alt text and number, HTML tables (DataFrames) as pipe tables with their
   ``tbl-cap``, markdown as is;
3. Quarto divs: callouts (``.callout-note`` ...), ``.content-visible`` /
   ``.content-hidden`` with ``when-format`` / ``unless-format``, and the
   ``{{< pagebreak >}}`` shortcode;
4. headings are numbered (``number-sections``), the number written into the
   heading so that every format shows the same one;
5. cross-references ``@fig-``, ``@tbl-``, ``@sec-`` (``@Fig-`` capitalised,
   ``-@fig-`` the number alone, ``[@fig-a; @fig-b]`` a list) become links with
   the text "Figur 1", "Tabell 2", "avsnitt 2.1" (Swedish labels when
   ``lang: sv``). A reference to a label that does not exist is an error.

Figures are numbered 1, 2, ... in reading order over chunk and markdown
figures alike; a chunk with several plots is one figure with parts a, b, ...;
tables likewise. A figure or table without a ``fig-``/``tbl-`` label is shown
with its caption but without a number, as in Quarto.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from ._errors import RenderError
from ._execute import strip_ansi
from ._lang import Labels
from ._notebook import INLINE_MIME
from ._progress import Progress
from ._qmd import Chunk, MarkdownBlock, QmdDocument, split_code_spans, split_prose
from ._settings import DocumentSettings
from ._tables import escape_markdown, read_html_tables, to_pipe_table

__all__ = ["MarkdownResult", "NotebookFacts", "build_markdown"]

_IMAGE_RE = re.compile(
    r"!\[(?P<cap>(?:[^\[\]]|\[[^\[\]]*\])*)\]\((?P<src><[^>]*>|[^)\s]+)(?P<title>\s+[^)]*)?\)"
    r"(?P<attr>\{[^{}]*\})?"
)
_TBL_CAPTION_RE = re.compile(
    r"^(?P<lead>:|Table:)[ \t]+(?P<cap>.*?)[ \t]*\{(?P<attr>[^{}]*)\}[ \t]*$", re.MULTILINE
)
_ID_IN_ATTR_RE = re.compile(r"(?:^|\s)#(?P<id>[A-Za-z][\w:.-]*)")
_HEADING_RE = re.compile(r"^(?P<hashes>#{1,6})[ \t]+(?P<text>.*?)[ \t]*$")
_HEADING_ATTR_RE = re.compile(r"^(?P<text>.*?)[ \t]*(?P<attr>\{[^{}]*\})$")
_DIV_OPEN_RE = re.compile(r"^(?P<colons>:{3,})[ \t]*(?:\{(?P<attrs>[^{}]*)\}|(?P<cls>[\w-]+))[ \t]*:*[ \t]*$")
_DIV_CLOSE_RE = re.compile(r"^:{3,}[ \t]*$")
_ATTR_KV_RE = re.compile(r"""(?P<key>[\w-]+)=(?:"(?P<dq>(?:[^"\\]|\\.)*)"|'(?P<sq>[^']*)'|(?P<bare>\S+))""")
_REF_LABEL = r"(?:[Ff]ig|[Tt]bl|[Ss]ec)-[A-Za-z0-9_-]*[A-Za-z0-9_]"
_REF_RE = re.compile(r"(?<![\w@\\.:/-])(?P<neg>-?)@(?P<label>" + _REF_LABEL + r")")
_REF_LIST_RE = re.compile(
    r"\[(?P<body>\s*-?@" + _REF_LABEL + r"(?:\s*[;,]\s*-?@" + _REF_LABEL + r")*\s*)\]"
)
_SHORTCODE_RE = re.compile(r"\{\{<\s*(?P<name>[\w-]+)(?P<args>[^>]*)>\}\}")
_CITE_RE = re.compile(r"(?<![\w@\\.:/-])-?@([A-Za-z_][\w:.#$%&+?<>~/-]*\w)")
_KERNEL_FILE_RE = re.compile(r"""(?:[A-Za-z]:)?[^\s"'<>()]*?ipykernel_\d+[/\\](?P<hash>\d+)\.py""")
_ADDRESS_RE = re.compile(r"\bat 0x[0-9a-fA-F]{6,}\b")
_CALLOUT_KINDS = ("note", "tip", "warning", "important", "caution")
_CALLOUT_COLOURS = {
    "note": "#0b5cad", "tip": "#1a7f37", "warning": "#b35900",
    "important": "#b00020", "caution": "#8a6d00",
}
_TYPST_FORMATS = {"pdf": ("pdf", "typst", "latex"), "html": ("html", "html5", "html:js"), "docx": ("docx",)}


@dataclass
class MarkdownResult:
    """The markdown for one format and what the writers need to know about it."""

    markdown: str
    #: image path as written in the markdown -> alt text (patched into the Typst source)
    alt_texts: dict[str, str] = field(default_factory=dict)
    #: image path as written in the markdown -> the file it is (for Typst's root)
    images: dict[str, Path] = field(default_factory=dict)
    has_citations: bool = False


@dataclass
class NotebookFacts:
    """What every format reads from the executed notebook, worked out once per render."""

    inline_values: dict[int, str]
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


@dataclass
class _Target:
    kind: str            # fig, tbl, sec
    number: str | None   # "1", "2a", "2.1"; None for an unnumbered section
    anchor: str          # the id the link points to
    title: str = ""


class _State:
    def __init__(self, doc: QmdDocument, settings: DocumentSettings, fmt: str, progress: Progress):
        self.doc = doc
        self.settings = settings
        self.labels: Labels = settings.labels
        self.fmt = fmt
        self.progress = progress
        self.n_fig = 0
        self.n_tbl = 0
        self.targets: dict[str, _Target] = {}
        self.alt_texts: dict[str, str] = {}
        self.images: dict[str, Path] = {}
        self.facts = NotebookFacts({})

    def add_target(self, label: str, target: _Target, line: int | None = None) -> None:
        if label in self.targets:
            raise RenderError(
                f"{self.doc.path.name}{f', line {line}' if line else ''}: the label {label!r} is used twice",
                path=str(self.doc.path), line=line,
            )
        self.targets[label] = target

    def caption(self, kind: str, number: str, text: str) -> str:
        title = self.labels.fig_title if kind == "fig" else self.labels.tbl_title
        head = f"{title} {number}"
        return f"{head}{self.labels.title_delim} {text}" if text else head


# --------------------------------------------------------------------------- helpers

def _map_prose(text: str, fn: Callable[[str], str]) -> str:
    """Apply ``fn`` to the prose of ``text``: not fenced code, not code spans."""
    out = []
    for is_code, piece in split_prose(text):
        if is_code:
            out.append(piece)
            continue
        for is_span, part in split_code_spans(piece):
            out.append(part if is_span else fn(part))
    return "".join(out)


def _code_block(text: str, classes: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{{{classes}}}\n{text.rstrip()}\n{fence}"


def _attr_value(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attr_id(attr: str | None) -> str | None:
    if not attr:
        return None
    m = _ID_IN_ATTR_RE.search(attr.strip("{}"))
    return m["id"] if m else None


def _plain(markdown: str) -> str:
    """Markdown with emphasis and link syntax removed (for alt texts and titles)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1", text)
    text = re.sub(r"[*_`]", "", text)
    return " ".join(text.split())


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _is_format(fmt: str, names: str) -> bool:
    wanted = {n.strip() for n in names.replace(",", " ").split() if n.strip()}
    return bool(wanted & set(_TYPST_FORMATS[fmt]))


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

def _inline_values(nb: NotebookNode) -> dict[int, str]:
    values = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("sbm", {}).get("kind") == "inline":
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if INLINE_MIME in data:
                    item = data[INLINE_MIME]
                    values[int(item["id"])] = str(item["text"])
    return values


def _substitute_inlines(block: MarkdownBlock, values: dict[int, str], doc: QmdDocument) -> str:
    parts = []
    pos = 0
    for expr in block.inlines:
        if expr.id not in values:
            raise RenderError(
                f"{doc.path.name}, line {expr.line}: the inline expression `{{python}} {expr.code}` "
                "has no value (was the document executed?)", path=str(doc.path), line=expr.line,
            )
        parts.append(block.text[pos:expr.start])
        parts.append(values[expr.id])
        pos = expr.end
    parts.append(block.text[pos:])
    return "".join(parts)


def _prose(text: str, state: _State) -> str:
    base = state.doc.path.parent

    def image(m: re.Match[str]) -> str:
        src = m["src"]
        bare = src[1:-1] if src.startswith("<") else src
        local = not re.match(r"^[a-zA-Z][\w+.-]*:", bare)
        if local:
            state.images[bare] = (base / bare).resolve()
        cap = m["cap"]
        attr = m["attr"]
        label = _attr_id(attr)
        if label and label.startswith("fig-"):
            state.n_fig += 1
            number = str(state.n_fig)
            state.add_target(label, _Target("fig", number, label))
            cap = state.caption("fig", number, cap)
        if attr and "fig-alt=" in attr and not re.search(r"(?<![\w-])alt=", attr):
            attr = re.sub(r"(?<![\w-])fig-alt=", "alt=", attr)
        _, _, kv = _parse_attrs(attr[1:-1]) if attr else (None, [], {})
        if local and "alt" in kv:
            state.alt_texts[bare] = kv["alt"]
        elif local and cap:
            state.alt_texts[bare] = _plain(cap)
        return f"![{cap}]({m['src']}{m['title'] or ''}){attr or ''}"

    def table_caption(m: re.Match[str]) -> str:
        label = _attr_id(m["attr"])
        if not label or not label.startswith("tbl-"):
            return m.group(0)
        state.n_tbl += 1
        number = str(state.n_tbl)
        state.add_target(label, _Target("tbl", number, label))
        return f"{m['lead']} {state.caption('tbl', number, m['cap'])} {{{m['attr']}}}"

    def fn(piece: str) -> str:
        # Tables first: a caption line may follow an image in the same piece, and
        # numbering must follow reading order, so do both in one left-to-right pass.
        events = sorted(
            [(m.start(), "img", m) for m in _IMAGE_RE.finditer(piece)]
            + [(m.start(), "tbl", m) for m in _TBL_CAPTION_RE.finditer(piece)],
            key=lambda e: e[0],
        )
        out, pos = [], 0
        for start, kind, m in events:
            if start < pos:
                continue
            out.append(piece[pos:start])
            out.append(image(m) if kind == "img" else table_caption(m))
            pos = m.end()
        out.append(piece[pos:])
        return "".join(out)

    return _map_prose(text, fn)


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


def _chunk(chunk: Chunk, cell: NotebookNode | None, state: _State, fig_dir: Path) -> str:
    opts = chunk.options
    if not opts.include:
        return ""
    parts: list[str] = []
    if opts.echo == "fenced":
        parts.append(_code_block(f"{chunk.fence.strip()}\n{chunk.source}\n```", "markdown .cell-code"))
    elif opts.echo:
        if chunk.code.strip():
            parts.append(_code_block(chunk.code, ".python .cell-code"))
    if cell is None or cell.cell_type != "code" or opts.output is False:
        return "\n\n".join(parts)

    outputs = _merged_outputs(cell.get("outputs", []))
    fmt, settings = state.fmt, state.settings
    is_fig = bool(opts.label and opts.label.startswith("fig-"))
    is_tbl = bool(opts.label and opts.label.startswith("tbl-"))
    images = [o for o in outputs if o.get("output_type") in ("display_data", "execute_result")
              and _image_mime(o.get("data", {}), fmt, settings)]
    n_img = len(images)
    fig_number = None
    if is_fig and n_img:
        state.n_fig += 1
        fig_number = str(state.n_fig)
        anchor = opts.label if n_img == 1 else f"{opts.label}-1"
        state.add_target(opts.label, _Target("fig", fig_number, anchor), chunk.line)
    tbl_done = False
    k_img = 0

    def table_caption() -> str | None:
        nonlocal tbl_done
        if tbl_done:
            return None
        if is_tbl:
            tbl_done = True
            state.n_tbl += 1
            number = str(state.n_tbl)
            state.add_target(opts.label, _Target("tbl", number, opts.label), chunk.line)
            return f": {state.caption('tbl', number, opts.tbl_cap or '')} {{#{opts.label}}}"
        if opts.tbl_cap:
            tbl_done = True
            return f": {opts.tbl_cap}"
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
                parts.append(_code_block(strip_ansi(text), f".cell-output .cell-output-{out['name']}"))
            continue
        if kind == "error":
            tb = _stable_paths(strip_ansi("\n".join(out.get("traceback", []))), state)
            parts.append(_code_block(tb or f"{out.get('ename')}: {out.get('evalue')}", ".cell-output .cell-output-error"))
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
            caps = opts.fig_cap
            cap = caps[k_img - 1] if len(caps) == n_img else (caps[0] if caps else "")
            alts = opts.fig_alt
            alt = alts[k_img - 1] if len(alts) == n_img else (alts[0] if alts else "")
            attrs = []
            if fig_number is not None:
                number = fig_number if n_img == 1 else f"{fig_number}{chr(ord('a') + k_img - 1)}"
                ident = opts.label if n_img == 1 else f"{opts.label}-{k_img}"
                if n_img > 1:
                    state.add_target(ident, _Target("fig", number, ident), chunk.line)
                cap = state.caption("fig", number, cap)
                attrs.append(f"#{ident}")
            if alt:
                attrs.append(f"alt={_attr_value(alt)}")
                state.alt_texts[written] = alt
            elif cap:
                state.alt_texts[written] = _plain(cap)
            attr = "{" + " ".join(attrs) + "}" if attrs else ""
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
                parts.append(_code_block(_text(data["text/plain"]), ".cell-output .cell-output-display"))
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
                parts.append(_code_block(text, ".cell-output .cell-output-display"))
    if is_fig and not n_img and opts.eval:
        raise RenderError(
            f"{state.doc.path.name}, line {chunk.line}: chunk {opts.label!r} is labelled as a figure "
            "(fig-) but shows no figure", path=str(state.doc.path), label=opts.label, line=chunk.line,
        )
    if is_tbl and not tbl_done and opts.eval:
        raise RenderError(
            f"{state.doc.path.name}, line {chunk.line}: chunk {opts.label!r} is labelled as a table "
            "(tbl-) but shows no table (a DataFrame or a markdown table)",
            path=str(state.doc.path), label=opts.label, line=chunk.line,
        )
    return "\n\n".join(p.strip("\n") for p in parts if p.strip())


# --------------------------------------------------------------------------- divs

def _parse_attrs(attrs: str) -> tuple[str | None, list[str], dict[str, str]]:
    ident = None
    classes: list[str] = []
    kv: dict[str, str] = {}
    for m in _ATTR_KV_RE.finditer(attrs):
        value = m["dq"] if m["dq"] is not None else (m["sq"] if m["sq"] is not None else m["bare"])
        kv[m["key"]] = value.replace('\\"', '"')
    rest = _ATTR_KV_RE.sub(" ", attrs)
    for token in rest.split():
        if token.startswith("#"):
            ident = token[1:]
        elif token.startswith("."):
            classes.append(token[1:])
    return ident, classes, kv


def _callout_open(kind: str, title: str, fmt: str) -> str:
    if fmt == "pdf":
        colour = _CALLOUT_COLOURS[kind]
        return (
            "```{=typst}\n"
            f'#block(width: 100%, inset: 9pt, radius: 2pt, breakable: true, fill: rgb("{colour}").lighten(92%), '
            f'stroke: (left: 3pt + rgb("{colour}")))[\n'
            "```\n\n"
            f"**{title}**\n\n"
        )
    return f"::: {{.callout .callout-{kind}}}\n::: {{.callout-title}}\n**{title}**\n:::\n"


def _callout_close(fmt: str) -> str:
    if fmt == "pdf":
        return "\n```{=typst}\n]\n```\n"
    return ":::\n"


def _pagebreak(fmt: str) -> str:
    if fmt == "pdf":
        return "```{=typst}\n#pagebreak()\n```"
    if fmt == "docx":
        return '```{=openxml}\n<w:p><w:r><w:br w:type="page"/></w:r></w:p>\n```'
    return '```{=html}\n<div class="page-break" style="page-break-after: always;"></div>\n```'


def _divs(markdown: str, state: _State) -> str:
    """Callouts, conditional content and page breaks."""
    out: list[str] = []
    stack: list[str] = []      # per open div: "keep", "callout", "drop"
    dropping = 0
    lines_iter: list[tuple[bool, str]] = []
    for is_code, piece in split_prose(markdown):
        if is_code:
            lines_iter.append((True, piece))
        else:
            lines_iter.extend((False, line) for line in piece.splitlines(keepends=True))
    i = 0
    while i < len(lines_iter):
        is_code, line = lines_iter[i]
        i += 1
        if is_code:
            if not dropping:
                out.append(line)
            continue
        bare = line.rstrip("\n")
        opened = _DIV_OPEN_RE.match(bare)
        if opened:
            _, classes, kv = _parse_attrs(opened["attrs"] or "." + (opened["cls"] or ""))
            callout = next((c[len("callout-"):] for c in classes if c.startswith("callout-")
                            and c[len("callout-"):] in _CALLOUT_KINDS), None)
            visible = True
            if "content-visible" in classes or "content-hidden" in classes:
                match = True
                if "when-format" in kv:
                    match = _is_format(state.fmt, kv["when-format"])
                elif "unless-format" in kv:
                    match = not _is_format(state.fmt, kv["unless-format"])
                visible = match if "content-visible" in classes else not match
                stack.append("drop" if not visible else "unwrap")
                if not visible:
                    dropping += 1
                continue
            if dropping:
                stack.append("inner")
                continue
            if callout:
                title = kv.get("title")
                if title is None:
                    # A heading first inside the callout is its title (Quarto).
                    j = i
                    while j < len(lines_iter) and not lines_iter[j][0] and not lines_iter[j][1].strip():
                        j += 1
                    if j < len(lines_iter) and not lines_iter[j][0]:
                        h = _HEADING_RE.match(lines_iter[j][1].rstrip("\n"))
                        if h:
                            text = h["text"]
                            a = _HEADING_ATTR_RE.match(text)
                            title = a["text"] if a else text
                            lines_iter[j] = (False, "")
                if title is None:
                    title = state.labels.callout_titles[callout]
                stack.append("callout")
                out.append(_callout_open(callout, title, state.fmt))
                continue
            stack.append("keep")
            out.append(line)
            continue
        if _DIV_CLOSE_RE.match(bare) and stack:
            what = stack.pop()
            if what == "drop":
                dropping -= 1
            elif what == "callout":
                out.append(_callout_close(state.fmt))
            elif what == "keep" and not dropping:
                out.append(line)
            continue
        if dropping:
            continue
        if "{{<" in line:
            def shortcode(m: re.Match[str]) -> str:
                if m["name"] == "pagebreak":
                    return _pagebreak(state.fmt)
                state.progress.warn(f"the shortcode {m.group(0)} is not supported by the builtin engine; "
                                    "left as written")
                return m.group(0)
            line = _SHORTCODE_RE.sub(shortcode, line)
        out.append(line)
    return "".join(out)


# --------------------------------------------------------------------------- headings

def _headings(markdown: str, state: _State) -> str:
    numbered = bool(state.settings.option(state.fmt, "number-sections", False))
    depth = int(state.settings.option(state.fmt, "number-depth", 6))
    found = []  # (piece index, line index, level, text, attr)
    pieces = list(split_prose(markdown))
    split_pieces: list[list[str] | str] = []
    for p_index, (is_code, piece) in enumerate(pieces):
        if is_code:
            split_pieces.append(piece)
            continue
        lines = piece.splitlines(keepends=True)
        split_pieces.append(lines)
        for l_index, line in enumerate(lines):
            m = _HEADING_RE.match(line.rstrip("\n"))
            if not m:
                continue
            text = re.sub(r"[ \t]+#+$", "", m["text"])
            a = _HEADING_ATTR_RE.match(text)
            attr = a["attr"] if a else None
            text = a["text"] if a else text
            found.append((p_index, l_index, len(m["hashes"]), text, attr))
    unnumbered = []
    for *_, attr in found:
        _, classes, _kv = _parse_attrs((attr or "{}")[1:-1])
        tokens = (attr or "{}")[1:-1].split()
        unnumbered.append("unnumbered" in classes or "-" in tokens)
    levels = [lv for (_, _, lv, _, _), un in zip(found, unnumbered) if not un]
    top = min(levels) if levels else 1
    counters = [0] * 7
    for (p_index, l_index, level, text, attr), un in zip(found, unnumbered):
        ident = _attr_id(attr)
        number = None
        rel = level - top + 1
        if numbered and not un and 1 <= rel <= depth:
            counters[rel - 1] += 1
            for k in range(rel, 7):
                counters[k] = 0
            number = ".".join(str(c) for c in counters[:rel])
        if ident and ident.startswith("sec-"):
            state.add_target(ident, _Target("sec", number, ident, _plain(text)))
        if number is not None:
            lines = split_pieces[p_index]
            new = f"{'#' * level} [{number}]{{.header-section-number}} {text}"
            if attr:
                new += f" {attr}"
            lines[l_index] = new + "\n"  # type: ignore[index]
    return "".join(p if isinstance(p, str) else "".join(p) for p in split_pieces)


# --------------------------------------------------------------------------- references

def _ref_text(label: str, neg: bool, state: _State) -> str | None:
    key = label[0].lower() + label[1:]
    target = state.targets.get(key)
    if target is None:
        return None
    labels = state.labels
    if target.kind == "sec" and target.number is None:
        text = target.title
    elif neg:
        text = target.number or ""
    else:
        prefix = {"fig": labels.fig_prefix, "tbl": labels.tbl_prefix, "sec": labels.sec_prefix}[target.kind]
        if label[0].isupper():
            prefix = prefix[:1].upper() + prefix[1:]
        text = f"{prefix} {target.number}"
    return f"[{text}](#{target.anchor})"


def _references(markdown: str, state: _State) -> str:
    missing: list[str] = []

    def one(m: re.Match[str]) -> str:
        text = _ref_text(m["label"], bool(m["neg"]), state)
        if text is None:
            missing.append(m["label"])
            return m.group(0)
        return text

    def listed(m: re.Match[str]) -> str:
        items = [s.strip() for s in re.split(r"[;,]", m["body"])]
        texts = [_REF_RE.sub(one, item) for item in items]
        return ", ".join(texts)

    def fn(piece: str) -> str:
        piece = _REF_LIST_RE.sub(listed, piece)
        return _REF_RE.sub(one, piece)

    result = _map_prose(markdown, fn)
    if missing:
        source = state.doc.path.read_text(encoding="utf-8").splitlines()
        problems = []
        for label in dict.fromkeys(missing):
            line = next((n for n, text in enumerate(source, 1) if f"@{label}" in text), None)
            problems.append(f"  - @{label}" + (f" (line {line})" if line else ""))
        known = ", ".join(sorted(state.targets)) or "none"
        raise RenderError(
            f"{state.doc.path.name}: {len(problems)} cross-reference{'s' if len(problems) != 1 else ''} "
            f"to a label that does not exist:\n" + "\n".join(problems) + f"\nknown labels: {known}",
            path=str(state.doc.path),
        )
    return result


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
) -> MarkdownResult:
    """The pandoc markdown body of ``doc`` for ``fmt`` (``html``, ``pdf`` or ``docx``).

    Figures are written into ``fig_dir`` (one file per plot, named after the
    chunk's label). The front matter is not included: the writers pass it as
    metadata. ``facts`` (from :meth:`NotebookFacts.of`) lets several formats
    share the work of reading the notebook.

    Raises
    ------
    RenderError
        For a label used twice, a ``fig-``/``tbl-`` chunk that shows no figure or
        table, or a cross-reference to a label that does not exist.
    """
    state = _State(doc, settings, fmt, progress)
    state.facts = facts if facts is not None else NotebookFacts.of(doc, nb)
    values = state.facts.inline_values
    cells_by_block = {
        c.metadata["sbm"]["block"]: c for c in nb.cells
        if c.metadata.get("sbm", {}).get("kind") in ("markdown", "chunk")
    }
    pieces = []
    for index, block in enumerate(doc.blocks):
        if isinstance(block, MarkdownBlock):
            text = _substitute_inlines(block, values, doc) if block.inlines else block.text
            pieces.append(_prose(text, state).strip("\n"))
        else:
            pieces.append(_chunk(block, cells_by_block.get(index), state, fig_dir))
    markdown = "\n\n".join(p for p in pieces if p.strip()) + "\n"
    markdown = _divs(markdown, state)
    markdown = _headings(markdown, state)
    markdown = _references(markdown, state)
    citations: list[str] = []
    _map_prose(markdown, lambda piece: citations.extend(_CITE_RE.findall(piece)) or piece)
    has_citations = bool(citations)
    return MarkdownResult(markdown, state.alt_texts, state.images, has_citations)
