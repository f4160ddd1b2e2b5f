"""HTML tables (as pandas and other libraries display them) to pandoc pipe tables.

A notebook shows a DataFrame as HTML. Raw HTML would reach only the HTML output
(pandoc drops it for Word and Typst), so every ``<table>`` in an output is read
here and written as a pandoc pipe table, which pandoc turns into a real table
in all three formats. The cell texts are pandas' own display strings (so
``pd.options.display`` and ``Styler.format`` apply); styling is dropped.

Header rows are merged into one (a column's texts joined by a space: a
MultiIndex ``("a", "x")`` becomes "a x"; an index name moves to the index
column). A column whose body cells all read as numbers is right-aligned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .._markup import escape_markdown

__all__ = ["pipe_rule", "Table", "read_html_tables", "to_pipe_table", "escape_markdown"]

_NUMBER_RE = re.compile(r"^[-+\u2212]?(?:\d[\d\s\u00a0\u202f,.]*|\.\d+)(?:[eE][-+]?\d+)?\s*%?$")
_MISSING = {"", "nan", "NaN", "<NA>", "NaT", "None", "-", "\u2013", "\u2014", "..."}
_ASCII_SPACE = re.compile(r"[ \t\n\r\f\v]+")


@dataclass
class _Cell:
    text: str
    header: bool
    colspan: int = 1
    rowspan: int = 1


@dataclass
class Table:
    """One table read from HTML: header rows and body rows of cell texts."""

    head: list[list[_Cell]] = field(default_factory=list)
    body: list[list[_Cell]] = field(default_factory=list)
    caption: str | None = None


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self._stack: list[Table] = []
        self._section = "body"
        self._row: list[_Cell] | None = None
        self._cell: _Cell | None = None
        self._buf: list[str] = []
        self._skip = 0
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "table":
            self._stack.append(Table())
            self._section = "body"
        elif not self._stack:
            return
        elif tag == "thead":
            self._section = "head"
        elif tag in ("tbody", "tfoot"):
            self._section = "body"
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = _Cell("", tag == "th", _int(a.get("colspan")), _int(a.get("rowspan")))
            self._buf = []
        elif tag == "br" and self._cell is not None:
            self._buf.append(" ")
        elif tag == "caption":
            self._in_caption = True
            self._buf = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)
        elif not self._stack:
            return
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            # ASCII white space only: a non-breaking space in a cell ("533\u00a0271") is content
            self._cell.text = _ASCII_SPACE.sub(" ", "".join(self._buf)).strip()
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            table = self._stack[-1]
            (table.head if self._section == "head" else table.body).append(self._row)
            self._row = None
        elif tag == "thead":
            self._section = "body"
        elif tag == "caption":
            self._stack[-1].caption = " ".join("".join(self._buf).split()) or None
            self._in_caption = False
        elif tag == "table":
            self.tables.append(self._stack.pop())

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._cell is not None or self._in_caption:
            self._buf.append(data)


def _int(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def read_html_tables(html: str) -> list[Table]:
    """Every ``<table>`` in ``html``, in order (nested tables come before their parent)."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.tables


def _grid(rows: list[list[_Cell]], repeat_colspan: bool) -> list[list[tuple[str, bool]]]:
    grid: list[list[tuple[str, bool]]] = []
    carry: dict[int, int] = {}  # column -> rows still covered by a rowspan above
    for row in rows:
        out: list[tuple[str, bool]] = []
        col = 0
        cells = list(row)
        while cells or carry.get(col, 0) > 0:
            if carry.get(col, 0) > 0:
                carry[col] -= 1
                out.append(("", True))
                col += 1
                continue
            cell = cells.pop(0)
            for k in range(cell.colspan):
                out.append((cell.text if (k == 0 or repeat_colspan) else "", cell.header))
                if cell.rowspan > 1:
                    carry[col] = cell.rowspan - 1
                col += 1
        grid.append(out)
    return grid


def _is_number(text: str) -> bool:
    return bool(_NUMBER_RE.match(text.strip()))


def pipe_rule(header: list[str], rows: list[list[str]], index_cols: list[int] | tuple[int, ...] = ()) -> str:
    """The rule line of a pipe table (``|:----|---:|``): alignment and relative widths.

    ``header`` and ``rows`` are the cells as a reader sees them (text, not markup). A
    column whose values are all numbers is right-aligned, any other left-aligned. When a
    row is wider than pandoc's 72 columns, pandoc sizes the columns in proportion to the
    dashes: a column gets what its longest value needs (its header may wrap between
    words), but no text column more than 40 characters, so that short values (numbers,
    "5 av 29") are not wrapped to make room for a long text.

    "Kommun": its header word and 2 for bold, 8, plus 3, plus 6 for a short column: 17
    characters, left-aligned; "Antal": 5 + 2 = 7, plus 3 + 6: 16, right-aligned (numbers).

    >>> pipe_rule(["Kommun", "Antal"], [["Åre", "12"], ["Malmö", "7"]])
    '|:----------------|---------------:|'
    """
    ncol = len(header)
    align = []
    for j in range(ncol):
        values = [row[j] for row in rows if row[j].strip() not in _MISSING]
        numeric = bool(values) and j not in index_cols and all(_is_number(v) for v in values)
        align.append("right" if numeric else "left")
    shares = []
    for j in range(ncol):
        longest_word = max((len(w) for w in header[j].split()), default=0)
        natural = max([3, longest_word + 2] + [len(r[j]) for r in rows])  # + 2: headers are bold
        # a short column gets a few characters more: Word pads cells more than Typst and
        # HTML do, and would otherwise break "2008" or "11,6" over two lines
        shares.append((natural if align[j] == "right" else min(natural, 40)) + 3 + (6 if natural <= 14 else 0))
    return "|" + "|".join(
        (":" + "-" * (shares[j] - 1)) if align[j] == "left" else ("-" * (shares[j] - 1) + ":")
        for j in range(ncol)
    ) + "|"


def to_pipe_table(table: Table) -> str:
    """The table as a pandoc pipe table (without caption)."""
    head = _grid(table.head, repeat_colspan=True)
    body = _grid(table.body, repeat_colspan=False)
    if not head and body and all(is_header for _, is_header in body[0]) and len(body) > 1:
        head, body = [body[0]], body[1:]
    ncol = max([len(r) for r in head + body] or [0])
    if ncol == 0:
        return ""
    header = []
    for j in range(ncol):
        parts = [r[j][0] for r in head if j < len(r) and r[j][0]]
        merged: list[str] = []
        for p in parts:
            if not merged or merged[-1] != p:
                merged.append(p)
        header.append(" ".join(merged))
    rows = [[(r[j][0] if j < len(r) else "") for j in range(ncol)] for r in body]
    index_cols = [
        j for j in range(ncol)
        if body and all((j < len(r) and r[j][1]) for r in body)
    ]
    rule = pipe_rule(header, rows, index_cols)
    cells_h = [escape_markdown(h) for h in header]
    cells_b = [[escape_markdown(c) for c in row] for row in rows]
    widths = [max([3, len(cells_h[j])] + [len(r[j]) for r in cells_b]) for j in range(ncol)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(widths[j]) for j, c in enumerate(cells)) + " |"

    return "\n".join([line(cells_h), rule] + [line(r) for r in cells_b])
