"""What a reader of report.qmd's PDF and Word files sees on the page, not what the engine does.

PDF: no two text runs overprint or run into each other on a line (Tabell 8 printed
"alternativetalternativet", Tabell 13 two source ids on top of each other); no text
runs past the right edge of the text area; no page ends with a heading or a callout's
title. A word in a table cell cannot be broken in the PDF without one of these showing:
Typst does not hyphenate a cell's text (the template sets ``justify: false`` there) and
sets a word that is wider than its column across the column's edge, where it either
touches the next column's text (found here as two runs that read as one word) or runs
past the page's text area.

Word: the page is A4 with the PDF's margins; the table of contents holds one linked
entry per heading before any update of fields; every table has a fixed layout whose
columns are no narrower than the longest word in them, by a measure independent of the
one the engine uses (see ``_LOWER_BOUND_TWIPS``).

The text runs are read from the PDF's content streams with pypdf: each text-showing
operator's start from the current transformation, its advance from the font's glyph
widths (``/W``), its text from the font's ``ToUnicode`` map. Typst writes every run
inside ``q ... cm ... BT ... Tf Tm TJ ET ... Q``, which is all this reader follows.
"""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

pytestmark = pytest.mark.slow

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PT = 1.0
# The PDF's page (templates/report.typ): A4, 2.5 cm at the sides, 2.8 cm at the foot, in points.
A4 = (595.28, 841.89)
MARGIN_X, MARGIN_BOTTOM = 2.5 / 2.54 * 72, 2.8 / 2.54 * 72


@dataclass(frozen=True)
class Run:
    """One text-showing operation: its page, its ink from x0 to x1 on the baseline y, its text."""

    page: int
    x0: float
    x1: float
    y: float
    size: float
    text: str
    bold: bool


def _widths(font) -> dict[int, float]:
    """Glyph widths (per 1000 units of the font size) of a Type0 font's descendant, by CID."""
    w = font["/DescendantFonts"][0].get_object().get("/W", [])
    out, i = {}, 0
    while i < len(w):
        first, second = int(w[i]), w[i + 1]
        if isinstance(second.get_object() if hasattr(second, "get_object") else second, list):
            for k, width in enumerate(second.get_object()):
                out[first + k] = float(width)
            i += 2
        else:
            for cid in range(first, int(second) + 1):
                out[cid] = float(w[i + 2])
            i += 3
    return out


def _to_unicode(font) -> dict[int, str]:
    """A font's CID -> text map from its ToUnicode CMap (bfchar and bfrange entries)."""
    if "/ToUnicode" not in font:
        return {}
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    out = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be", "replace")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for low, high, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            for k, cid in enumerate(range(int(low, 16), int(high, 16) + 1)):
                out[cid] = chr(int(dst, 16) + k)
    return out


def _times(a, b):
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2],
            a[2] * b[1] + a[3] * b[3], a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def text_runs(reader: PdfReader) -> list[Run]:
    runs = []
    for number, page in enumerate(reader.pages, 1):
        fonts = page["/Resources"].get_object().get("/Font", {})
        known = {}
        ctm, stack, tm, font, size = [1, 0, 0, 1, 0, 0], [], [1, 0, 0, 1, 0, 0], None, 0.0
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            if op == b"q":
                stack.append(ctm)
            elif op == b"Q":
                ctm = stack.pop()
            elif op == b"cm":
                ctm = _times([float(x) for x in operands], ctm)
            elif op == b"BT":
                tm = [1, 0, 0, 1, 0, 0]
            elif op == b"Tm":
                tm = [float(x) for x in operands]
            elif op == b"Tf":
                if operands[0] not in known:
                    f = fonts[operands[0]].get_object()
                    known[operands[0]] = (_widths(f), _to_unicode(f), "Bold" in str(f["/BaseFont"]))
                font, size = known[operands[0]], float(operands[1])
            elif op in (b"TJ", b"Tj") and font:
                widths, text_of, bold = font
                advance, ink, text = 0.0, 0.0, []
                for item in (operands[0] if op == b"TJ" else [operands[0]]):
                    if not hasattr(item, "original_bytes"):  # a kerning number
                        advance -= float(item) / 1000 * size
                        continue
                    raw = item.original_bytes  # Identity-H: two bytes per glyph
                    for k in range(0, len(raw) - 1, 2):
                        cid = raw[k] << 8 | raw[k + 1]
                        advance += widths.get(cid, 0.0) / 1000 * size
                        text.append(text_of.get(cid, "\ufffd"))
                        if not text[-1].isspace():
                            ink = advance
                m = _times(tm, ctm)
                runs.append(Run(number, m[4], m[4] + ink * abs(m[0] or 1), m[5], size * abs(m[3] or 1),
                                "".join(text), bold))
                tm = tm[:4] + [tm[4] + advance, tm[5]]
    return runs


def collisions(runs: list[Run]) -> list[tuple[int, str, str, float]]:
    """Pairs of runs on one line that overprint, or that touch where a reader sees one word.

    Two runs on one baseline overprint when the second starts before the first's ink ends;
    they read as one word ("alternativetalternativet") when the first ends in a letter or
    digit, the second starts with one, and the gap between them is under 0.15 em (a space is
    about 0.25 em; a run that ends with a space or a second that starts with one is spaced).
    """
    lines = defaultdict(list)
    for run in runs:
        if run.text.strip():
            lines[(run.page, round(run.y, 1))].append(run)
    found = []
    for (page, _), line in sorted(lines.items()):
        line.sort(key=lambda r: r.x0)
        for a, b in zip(line, line[1:]):
            gap = b.x0 - a.x1
            spaced = a.text != a.text.rstrip() or b.text != b.text.lstrip()
            one_word = a.text.rstrip()[-1:].isalnum() and b.text.lstrip()[:1].isalnum() and not spaced
            if gap < -0.5 * PT or (one_word and gap < 0.15 * min(a.size, b.size)):
                found.append((page, a.text.strip()[-30:], b.text.strip()[:30], round(gap, 2)))
    return found


# ----------------------------------------------------------------------------- the collision reader, by hand

def test_collisions_are_found_and_spacing_is_not_one():
    # Tabell 8 as it was printed: two cells' "alternativet" 1.07 pt apart read as one word
    line = [Run(1, 182.27, 233.90, 500.0, 9.9, "alternativet", False),
            Run(1, 234.97, 286.61, 500.0, 9.9, "alternativet", False)]
    assert collisions(line) == [(1, "alternativet", "alternativet", 1.07)]
    # overprinting: the second starts 39 pt inside the first (Tabell 13's source ids)
    line = [Run(1, 273.4, 395.0, 400.0, 9.9, "(boverket_2014_36_summary)", False),
            Run(1, 356.0, 372.0, 400.0, 9.9, "inte", False)]
    assert collisions(line)[0][3] == -39.0
    # a bold word and the text after it, a space apart (the space ends the first run), and a
    # link's text followed by a comma: neither is a collision
    line = [Run(1, 70.0, 100.0, 300.0, 11.0, "Tabell 8 ", True), Run(1, 102.8, 150.0, 300.0, 11.0, "visar", False),
            Run(1, 160.0, 180.0, 300.0, 11.0, "avsnitt 10", False), Run(1, 180.0, 182.0, 300.0, 11.0, ",", False)]
    assert collisions(line) == []


def test_text_below_a_line_is_what_keeps_it_off_the_foot_of_a_page():
    # a title on the last line of a page (y 100, above the 2.8 cm foot, 79 pt) with only the
    # page number (y 60) below it is stranded; one with a line of body text below it is not
    title = Run(18, 70.0, 150.0, 100.0, 11.0, "8.7 Rekommendation", True)
    number = Run(18, 290.0, 300.0, 60.0, 11.0, "16", False)
    assert not _below([title, number], title.y - 2)
    assert _below([title, Run(18, 70.0, 500.0, 86.0, 11.0, "Studien visar", False), number], title.y - 2)


# ----------------------------------------------------------------------------- report.qmd

@pytest.fixture(scope="module")
def pdf(report_render):
    """The PDF of the run's shared render of report.qmd (tests/_renders.py; read-only)."""
    return PdfReader(report_render / "report.pdf")


@pytest.fixture(scope="module")
def runs(pdf):
    """The text runs of the publication's pages: up to the values appendix (Sifferförteckning),
    which issue 20 moves out of the PDF into a companion document of its own (its machine ids
    are not the publication's layout); once it has moved, every page."""
    appendix = next((pdf.get_destination_page_number(item) + 1 for item in _outline(pdf)
                     if str(item.title).endswith("Sifferförteckning")), len(pdf.pages) + 1)
    return [run for run in text_runs(pdf) if run.page < appendix]


def _outline(pdf: PdfReader) -> list:
    """Every entry of the PDF's outline (its headings), in order."""
    def walk(items):
        for item in items:
            if isinstance(item, list):
                yield from walk(item)
            else:
                yield item
    return list(walk(pdf.outline))


def test_the_reader_sees_the_pdfs_text(runs):
    # the run reader must read what is printed, or the checks below prove nothing
    text = " ".join(r.text for r in runs)
    assert "Den sekundära bostadsmarknaden" in text and "\ufffd" not in text
    assert re.search(r"Tabell\s8:", text)  # a caption (a no-break space after "Tabell")


def test_no_text_overprints_or_runs_into_other_text(runs):
    assert collisions(runs) == []


def test_no_text_runs_past_the_text_area(runs, pdf):
    # Typst hangs a line's final hyphen or punctuation up to 2 pt into the margin (its
    # "overhang", as print typography does); a word that does not fit its cell goes further
    right = float(pdf.pages[0].mediabox.width) - MARGIN_X + 2.5
    past = [(r.page, r.text.strip()[:40], round(r.x1 - right, 1)) for r in runs if r.text.strip() and r.x1 > right]
    assert past == []


def _below(runs_on_page: list[Run], y: float) -> bool:
    """Some text below ``y`` on the page, above the page number."""
    return any(MARGIN_BOTTOM - 5 < r.y < y and r.text.strip() for r in runs_on_page)


def test_no_page_ends_with_a_heading(pdf, runs):
    by_page = defaultdict(list)
    for run in runs:
        by_page[run.page].append(run)
    last = max(run.page for run in runs)
    headings = [(pdf.get_destination_page_number(item) + 1, float(item.top), str(item.title))
                for item in _outline(pdf)]
    headings = [h for h in headings if h[0] <= last]
    assert len(headings) > 20  # the outline holds the report's headings
    # a heading's destination is its top; its own line is within 1.5 lines of the heading's size
    # (at most 16 pt) below it, so text further down the page is what follows it
    stranded = [(page, title) for page, top, title in headings if not _below(by_page[page], top - 30)]
    assert stranded == []


def _callout_titles(source: str) -> list[str]:
    """The titles report.qmd gives its callouts: a heading first inside the callout."""
    return re.findall(r"^::: \{\.callout-\w+[^}]*\}\n#+ (.+)$", source, re.M)


def test_no_page_ends_with_a_callout_title(runs, repo_root):
    titles = _callout_titles((repo_root / "report.qmd").read_text(encoding="utf-8"))
    assert "Rekommendation" in titles
    by_page = defaultdict(list)
    for run in runs:
        by_page[run.page].append(run)
    found, stranded = 0, []
    for run in runs:
        text = run.text.strip()
        if run.bold and any(text.endswith(t) for t in titles):
            found += 1
            if not _below(by_page[run.page], run.y - 2):
                stranded.append((run.page, text))
    assert found >= len(set(titles))
    assert stranded == []


# ----------------------------------------------------------------------------- Word

@pytest.fixture(scope="module")
def document(report_render):
    with zipfile.ZipFile(report_render / "report.docx") as archive:
        return ElementTree.fromstring(archive.read("word/document.xml"))


def test_word_page_is_a4_with_the_pdfs_margins(document):
    section = document.find(f"{W}body/{W}sectPr")
    size, margins = section.find(f"{W}pgSz"), section.find(f"{W}pgMar")
    # A4 is 210 × 297 mm: 210 / 25.4 × 1440 = 11 906 and 297 / 25.4 × 1440 = 16 838 twips
    assert (size.get(f"{W}w"), size.get(f"{W}h")) == ("11906", "16838")
    # 2.5 cm = 2.5 / 2.54 × 1440 = 1 417 twips; 2.8 cm = 1 587 (templates/report.typ)
    assert [margins.get(f"{W}{k}") for k in ("left", "right", "top", "bottom")] == ["1417", "1417", "1417", "1587"]


def test_word_code_is_smaller_than_the_text_and_a_tables_text(report_render):
    """An id after its name is "kept in a small code style" (issue 20), as in the PDF (0.82 em):
    Word's code style is smaller than the body text and a table's text, where it is used most."""
    with zipfile.ZipFile(report_render / "report.docx") as archive:
        styles = ElementTree.fromstring(archive.read("word/styles.xml"))

    def size(style_id: str) -> int:
        style = next(s for s in styles.iter(f"{W}style") if s.get(f"{W}styleId") == style_id)
        return int(style.find(f"{W}rPr/{W}sz").get(f"{W}val"))

    body = int(styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}sz").get(f"{W}val"))
    assert size("VerbatimChar") < size("Table") < body  # half-points: 16 (8 pt) < 18 (9 pt) < 22 (11 pt)


def _text(element) -> str:
    return "".join(t.text or "" for t in element.iter(f"{W}t"))


def test_word_contents_are_filled_and_linked(document):
    body = document.find(f"{W}body")
    sdt = next(s for s in body.iter(f"{W}sdt")
               if s.find(f".//{W}docPartGallery").get(f"{W}val") == "Table of Contents")
    instr = "".join(t.text or "" for t in sdt.iter(f"{W}instrText"))
    assert instr.startswith("TOC ")  # still a field Word can update
    entries = [(link.get(f"{W}anchor"), " ".join(_text(link).split())) for link in sdt.iter(f"{W}hyperlink")]
    bookmarks = {b.get(f"{W}name") for b in body.iter(f"{W}bookmarkStart")}
    headings = [" ".join(_text(p).split()) for p in body.iter(f"{W}p")
                if (p.find(f"{W}pPr/{W}pStyle") is not None
                    and p.find(f"{W}pPr/{W}pStyle").get(f"{W}val") in ("Heading1", "Heading2"))]
    # the front matter's toc-depth is 2: one entry per heading of levels 1 and 2, in order
    assert [text for _, text in entries] == headings and len(entries) > 20
    assert all(anchor in bookmarks for anchor, _ in entries)
    kinds = [c.get(f"{W}fldCharType") for c in sdt.iter(f"{W}fldChar")]
    assert kinds == ["begin", "separate", "end"]


# A lower bound of a word's width in Word, independent of the engine's model: at the table
# style's 9 pt a character of Aptos or Calibri is at least about 0.4 em wide on average for
# Swedish words (3.6 pt = 72 twips per character), and the cell's margins take 2 × 80 twips.
_LOWER_BOUND_TWIPS = (72, 160)


def test_word_tables_have_fixed_widths_no_narrower_than_their_words(document):
    body = document.find(f"{W}body")
    section = body.find(f"{W}sectPr")
    text_width = int(section.find(f"{W}pgSz").get(f"{W}w")) - 2 * 1417
    # every table but a callout (Quarto's one-column table round a box's title and text, as wide as the text)
    tables = [t for t in body.iter(f"{W}tbl") if t.find(f"{W}tblPr/{W}tblStyle") is None
              or t.find(f"{W}tblPr/{W}tblStyle").get(f"{W}val") != "Callout"]
    assert len(tables) >= 10
    narrow = []
    for number, table in enumerate(tables, 1):
        assert table.find(f"{W}tblPr/{W}tblLayout").get(f"{W}type") == "fixed"
        width = table.find(f"{W}tblPr/{W}tblW")
        assert width.get(f"{W}type") == "dxa"
        columns = [int(c.get(f"{W}w")) for c in table.iter(f"{W}gridCol")]
        assert sum(columns) == int(width.get(f"{W}w")) <= text_width + 1
        for row in table.iter(f"{W}tr"):
            for cell, column in zip(row.findall(f"{W}tc"), columns):
                # words as Word breaks them: at spaces and at the zero-width spaces after an
                # identifier's underscores (a no-break space joins: "13 000" is one word)
                words = [w for w in re.split(r"[ \t\n\u200b]+", _text(cell)) if w]
                longest = max((len(w) for w in words), default=0)
                per_char, margins = _LOWER_BOUND_TWIPS
                if longest * per_char + margins > column:
                    narrow.append((number, max(words, key=len), column))
    assert narrow == []


def test_word_callouts_are_boxes_whose_title_keeps_with_the_body(document, repo_root):
    # A callout in Word is what Quarto 1.11 writes (tests/reference/quarto/corpus/rutor.*): a one-column
    # table, a title row then a body row, with a border; its title row keeps with the body.
    body = document.find(f"{W}body")
    callouts = [t for t in body.iter(f"{W}tbl")
                if t.find(f"{W}tblPr/{W}tblStyle") is not None
                and t.find(f"{W}tblPr/{W}tblStyle").get(f"{W}val") == "Callout"]
    # report.qmd's "Rekommendation" callouts: each one's title row reads so
    titles = [t for t in callouts if _text(t.find(f"{W}tr")).strip().endswith("Rekommendation")]
    assert len(titles) == _callout_titles((repo_root / "report.qmd").read_text(encoding="utf-8")).count(
        "Rekommendation") > 0
    for table in callouts:
        rows = table.findall(f"{W}tr")
        assert table.find(f"{W}tblPr/{W}tblBorders/{W}left") is not None  # a box
        if len(rows) == 2:  # a title row: every paragraph of it keeps with the next, the body
            assert all(p.find(f"{W}pPr/{W}keepNext") is not None for p in rows[0].iter(f"{W}p"))
        assert all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows)
