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

import math
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .._markup import escape_markdown

__all__ = ["PAGE_CHARS", "column_widths", "pipe_rule", "Table", "read_html_tables", "to_pipe_table",
           "escape_markdown"]

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


#: The text width of an A4 page with the PDF's margins (16 cm), in characters of table text:
#: Typst sets a table's text at 0.9 em of 11 pt and Word at 10 pt, where a character of
#: Swedish text is about 0.48 em wide on average (Libertinus Serif; Calibri alike): 96.
#: The width the columns of a table share once it is wider than the page.
PAGE_CHARS = 96
#: What a column needs besides its text: the cell's padding on both sides, in characters.
_PADDING = 3
# A letter's width in average characters (0.48 em), by kind, from Libertinus Serif's metrics
# rounded up: a word's width is the sum of its letters', not its length, so that a column is
# wide enough for "Kommunkontrakt" (capital, m) and not too wide for "Institutionell" (i, l, t).
_NARROW = frozenset("fijlrtI.,:;!'()[]|")
_WIDE = frozenset("mwMW%")
# where a line may break inside a word: after a hyphen or a slash (Unicode's line breaking, which
# Typst and Word follow) and after an underscore (the PDF's and the Word file's tables allow it:
# templates/report.typ, _docx.py)
_BREAK_AFTER = re.compile(r"(?<=[-/_\u2013])")


def _width(word: str) -> float:
    """A word's width in average characters: narrow letters 0.7, wide 1.7, capitals 1.35, others 1.1."""
    return sum(0.7 if c in _NARROW else 1.7 if c in _WIDE else 1.35 if c.isupper() else 1.1 for c in word)


def _longest_word(text: str, *, bold: bool = False) -> int:
    """The width of the widest unbreakable run in ``text`` (a no-break space joins: "13\xa0000";
    "boverket_2014_36_summary" breaks after its underscores), in characters, rounded up; a bold
    header's a sixth more.

    "Institutionell": eight narrow letters (I, t, i, t, t, i, l, l) of 0.7 and six of 1.1: 12.2,
    so 13; "Kommunkontrakt": K 1.35, two m 3.4, three narrow (t, r, t) 2.1, eight others 8.8:
    15.65, so 16; "13 000" (a no-break space): six characters of 1.1, 6.6, so 7.

    >>> _longest_word("Institutionell"), _longest_word("Kommunkontrakt"), _longest_word("13\xa0000")
    (13, 16, 7)
    """
    widest = max((_width(part) for word in _ASCII_SPACE.split(text) for part in _BREAK_AFTER.split(word)),
                 default=0)
    return math.ceil(widest * (7 / 6 if bold else 1) - 1e-9)


def _fit(shares: list[int], minimum: list[int], page: int, needs: list[int] | None = None) -> list[int]:
    """``shares`` squeezed into ``page`` characters, no column below its ``minimum``.

    No column is narrower than its minimum (its widest word and padding), also in a table
    that fits. In one that does not, what is left of the page after the minimums raises
    the narrowest columns first, to one common width, none beyond what its text ``needs``
    (its length on one line, at most a share's, with padding; by default the share), so a
    long text column wraps and no word is cut or overprinted, and a column whose values
    already fit on one line at its minimum (a number, a name) takes nothing from it.
    Only when every column has what it needs do the shares' extras (a short column's
    margin for Word) get the rest. When even the minimums do not fit, the minimums are
    the widths (pandoc then scales the table to the page).

    A reason of 100 characters (minimum 13, share and need 40 + 3 = 43) beside a name
    that fits its minimum of 16 (need 12 + 3 = 15, share 21 with the extra) and a number
    column at its header's minimum of 13 (share 19): 83 characters, over a page of 70. The
    70 − (13 + 16 + 13) = 28 left after the minimums all go to the reason, the one column
    that needs more than its minimum: 13 + 28 = 41, 16, 13.

    >>> _fit([43, 21, 19], [13, 16, 13], 70, needs=[43, 15, 13])
    [41, 16, 13]

    Two long texts, one of short words (minimum 8) and one with a long word (16), beside a
    column of 6 that needs no more, on a page of 50: the two are raised to one width,
    (50 − 6) / 2 = 22 each. (In proportion to what each wanted beyond its minimum, 35 and 27
    of the 20 left, they would get 8 + 11 = 19 and 16 + 8 = 24: the short words' column the
    narrower.)

    >>> _fit([43, 43, 6], [8, 16, 6], 50, needs=[43, 43, 6])
    [22, 22, 6]
    >>> _fit([43, 43, 6], [8, 16, 6], 51, needs=[43, 43, 6])
    [23, 22, 6]
    """
    shares = [max(s, m) for s, m in zip(shares, minimum)]  # a word of wide letters needs more than its length
    if sum(shares) <= page:
        return shares
    needs = shares if needs is None else [min(max(n, m), s) for n, m, s in zip(needs, minimum, shares)]
    if sum(needs) <= page:
        extras = [s - n for s, n in zip(shares, needs)]
        spare = page - sum(needs)
        return [n + (spare * e) // sum(extras) for n, e in zip(needs, extras)]
    if sum(minimum) >= page:
        return list(minimum)
    # the narrowest first: every column that needs more is raised to one common width (a level),
    # none beyond what it needs, so a long text with short words is not left the narrowest
    # column beside texts whose longest words are longer (in proportion to what each wants, the
    # audit table's rule column got 13 characters and its neighbours 18 and 20)
    def widths(level: int) -> list[int]:
        return [min(max(level, m), n) for m, n in zip(minimum, needs)]

    low, high = 0, max(needs)
    while low < high:  # the highest level whose widths fit the page
        middle = (low + high + 1) // 2
        low, high = (middle, high) if sum(widths(middle)) <= page else (low, middle - 1)
    out = widths(low)
    spare = page - sum(out)
    for i, n in enumerate(needs):  # what is left: a character each to the columns at the level, from the left
        if spare and out[i] == low < n:
            out[i] += 1
            spare -= 1
    return out


def pipe_rule(header: list[str], rows: list[list[str]], index_cols: list[int] | tuple[int, ...] = ()) -> str:
    """The rule line of a pipe table (``|:----|---:|``): alignment and relative widths.

    ``header`` and ``rows`` are the cells as a reader sees them (text, not markup). A
    column whose values are all numbers is right-aligned, any other left-aligned. When a
    row is wider than pandoc's 72 columns, pandoc sizes the columns in proportion to the
    dashes: a column gets what its longest value needs (its header may wrap between
    words), but no text column more than 40 characters, so that short values (numbers,
    "5 av 29") are not wrapped to make room for a long text. A table wider than the page
    (:data:`PAGE_CHARS`) is fitted to it, every column keeping at least its longest word
    (see ``_fit``): text wraps between words, never inside one.

    "Kommun": its header word and 2 for bold, 8, plus 3, plus 6 for a short column: 17
    characters, left-aligned; "Antal": 5 + 2 = 7, plus 3 + 6: 16, right-aligned (numbers).

    >>> pipe_rule(["Kommun", "Antal"], [["Åre", "12"], ["Malmö", "7"]])
    '|:----------------|---------------:|'

    Two text columns of 60 characters each (a header word "A" and "B", one word of 20
    characters, then short words): 40 + 3 = 43 each, 86 in all, within the page. A third
    column of one word of 30 characters takes 30 + 3 = 33: 119 in all, over the 96 of the
    page. Minimums, a word's width (an "x" or "y" is 1.1 characters wide) plus 3: 22 + 3 = 25,
    25 and 33 + 3 = 36 (86); the 10 characters left go to the two columns that want more
    than their minimum, 18 each: 5 each (10 × 18 // 36), so 30, 30, 36.

    >>> long = "x" * 20 + " ord" * 10
    >>> [len(c) for c in pipe_rule(["A", "B"], [[long, long]]).strip("|").split("|")]
    [43, 43]
    >>> [len(c) for c in pipe_rule(["A", "B", "C"], [[long, long, "y" * 30]]).strip("|").split("|")]
    [30, 30, 36]
    """
    align = _alignments(header, rows, index_cols)
    shares = column_widths(header, rows, index_cols)
    return "|" + "|".join(
        (":" + "-" * (shares[j] - 1)) if align[j] == "left" else ("-" * (shares[j] - 1) + ":")
        for j in range(len(header))
    ) + "|"


def _alignments(header: list[str], rows: list[list[str]], index_cols) -> list[str]:
    """'right' for a column whose values are all numbers (and that is not an index), else 'left'."""
    align = []
    for j in range(len(header)):
        values = [row[j] for row in rows if row[j].strip() not in _MISSING]
        numeric = bool(values) and j not in index_cols and all(_is_number(v) for v in values)
        align.append("right" if numeric else "left")
    return align


def column_widths(header: list[str], rows: list[list[str]], index_cols: list[int] | tuple[int, ...] = ()
                  ) -> list[int]:
    """Each column's width in characters, as :func:`pipe_rule` gives it in dashes.

    The Word file's tables take the same widths (``_docx.py``), so that a table wraps
    alike in the PDF and in Word.
    """
    align = _alignments(header, rows, index_cols)
    shares, minimum, needs = [], [], []
    for j in range(len(header)):
        longest_word = max((len(w) for w in header[j].split()), default=0)
        natural = max([3, longest_word + 2] + [len(r[j]) for r in rows])  # + 2: headers are bold
        needs.append((natural if align[j] == "right" else min(natural, 40)) + _PADDING)
        # a short column gets a few characters more: Word pads cells more than Typst and
        # HTML do, and would otherwise break "2008" or "11,6" over two lines
        shares.append(needs[-1] + (6 if natural <= 14 else 0))
        minimum.append(max([_longest_word(header[j], bold=True)] + [_longest_word(r[j]) for r in rows]) + _PADDING)
    return _fit(shares, minimum, PAGE_CHARS, needs)


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
