"""The reader's view of report.qmd: headings, contents, captions and cross-references in HTML, PDF and Word.

One render of report.qmd to all three formats. From each format this test reads what a reader
sees, the way a reader's tools see it, not what the engine meant to write:

- **HTML** (``html.parser``): the headings ``<h1>``–``<h4>`` of the page with their numbers,
  the table of contents ``nav#TOC``, the ``<caption>`` and ``<figcaption>`` texts, the callout
  titles and the cross-references (links to ``#sec-``, ``#tbl-``, ``#fig-``) with their targets.
  The values' popovers and table lists are not read (they are not running text).
- **PDF**: the headings are the PDF's outline (the reader's bookmarks), each of which must
  also be printed on its page; the table of contents is read from the text of its page, the
  captions from the pages' text, and the cross-references are the PDF's internal links: the
  words inside each link's rectangle and the named destination it goes to. Text is read with
  poppler's ``pdftotext`` (``-layout``, and ``-bbox`` for the words of a link).
- **Word** (``word/document.xml``): paragraphs styled ``HeadingN``, the table of contents'
  linked entries, the ``TableCaption``/``ImageCaption`` paragraphs, the callouts' title rows
  and the hyperlinks to a bookmark.

The three views are checked against each other (same numbers, same captions), against Quarto's
rules (``/work/shared/quarto-reference/corpus/OBSERVATIONS.md``; in the repository
``tests/reference/quarto/corpus``) worked out here from report.qmd's own headings and float
labels, and against a reviewed snapshot, ``tests/reference/reader_view/report.json``.

Updating the snapshot is a deliberate act: a change of a heading, a caption or a
cross-reference in report.qmd fails ``test_the_reader_view_matches_the_reviewed_snapshot``
with a diff. Read the diff; if the new view is right, rewrite the snapshot with::

    SBM_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_reader_view.py -k snapshot

review ``git diff tests/reference/reader_view/`` against report.qmd and commit it with the
change. The variable is never set in CI; with it set, the test still fails (once), so a run
that rewrites the snapshot can never pass by accident.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests import _cdp

pytestmark = pytest.mark.slow

SNAPSHOT = Path(__file__).parent / "reference" / "reader_view" / "report.json"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TOC_DEPTH = 2  # report.qmd's front matter: toc-depth: 2
# a cross-reference's text as report.qmd's crossref options make it: sec-prefix "avsnitt",
# Quarto's Swedish "Tabell" and "Figur"; an NBSP (or, as pdftotext reads it, a space) before the number
XREF = re.compile(r"^(avsnitt|Avsnitt|Tabell|Figur)[ \u00a0](\d+(?:\.\d+)*)$")
CAPTION = re.compile(r"^(Tabell|Figur)[ \u00a0](\d+): (.+)$", re.S)


def _words(text: str) -> str:
    """``text`` as one line: a word broken at a line end by a soft hyphen joined again, every run of
    white space (NBSP included) one space."""
    text = re.sub(r"\u00ad\s*", "", text).replace("\u2060", "")
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


def _line(text: str) -> str:
    """``text`` as one line, keeping its no-break spaces (Quarto's between a prefix and its number)."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


@dataclass
class View:
    """What a reader sees of one format: texts as printed, white space collapsed."""

    headings: list[str] = field(default_factory=list)  # "3.1 Bakgrund"
    toc: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)  # "Tabell 5: Urvalsdesignen …"
    callout_titles: list[str] = field(default_factory=list)
    xrefs: list[str] = field(default_factory=list)  # "avsnitt 10.5"
    # the id each cross-reference goes to, and the number the reader finds there
    xref_targets: list[tuple[str, str]] = field(default_factory=list)
    # (caption, id of its table or figure), read from the HTML only
    caption_ids: list[tuple[str, str]] = field(default_factory=list, repr=False)


# ----------------------------------------------------------------------------- HTML

@dataclass
class _Node:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)  # _Node or str

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self):
        yield self
        for child in self.children:
            if isinstance(child, _Node):
                yield from child.walk()

    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()


class _Tree(HTMLParser):
    """A small element tree of the page's body without what is not running text: the values'
    popovers and lists (as tests/_reader.py), scripts and styles."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root", {})
        self.stack = [self.root]
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        found = dict(attrs)
        if self.hidden or tag in ("head", "script", "style", "template") or "popover" in found \
                or "sbm-values-of" in (found.get("class") or "").split():
            self.hidden += 1
            return
        node = _Node(tag, found)
        self.stack[-1].children.append(node)
        self.stack.append(node)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if self.hidden:
            self.hidden -= 1
            return
        # close up to the matching element (the engine's HTML is well formed; this only guards)
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not self.hidden:
            self.stack[-1].children.append(data)


def html_view(page: str) -> View:
    tree = _Tree()
    tree.feed(page)
    tree.close()
    nodes = list(tree.root.walk())
    view = View()
    toc = next((n for n in nodes if n.tag == "nav" and n.attrs.get("id") == "TOC"), _Node("nav", {}))
    toc_links = {id(n) for n in toc.walk()}
    view.toc = [_words(n.text()) for n in toc.walk() if n.tag == "a"]
    by_id = {n.attrs["id"]: n for n in nodes if n.attrs.get("id")}
    numbers = {}  # id of a heading or float -> the number its reader sees
    for n in nodes:
        if re.fullmatch(r"h[1-6]", n.tag) and id(n) not in toc_links and n.attrs.get("id") != "toc-title" \
                and "title" not in n.classes():
            view.headings.append(_words(n.text()))
            number = next((c.text() for c in n.walk() if "header-section-number" in c.classes()), None)
            if n.attrs.get("id") and number:
                numbers[n.attrs["id"]] = number
        elif n.tag in ("caption", "figcaption"):
            view.captions.append(_line(n.text()))
        elif "callout-title" in n.classes():
            # the screen reader's word for the kind of box ("Notera") is not printed
            view.callout_titles.append(_words("".join(
                c if isinstance(c, str) else ("" if "screen-reader-only" in c.classes() else c.text())
                for c in n.children)))
    for float_id in (i for i in by_id if i.startswith(("tbl-", "fig-"))):
        caption = next((n for n in by_id[float_id].walk() if n.tag in ("caption", "figcaption")), None)
        if caption is not None and (m := CAPTION.match(_words(caption.text()))):
            numbers[float_id] = m.group(2)
            view.caption_ids.append((_words(caption.text()), float_id))
    for n in nodes:
        href = n.attrs.get("href", "") if n.tag == "a" else ""
        if id(n) not in toc_links and re.match(r"#(sec|tbl|fig)-", href):
            view.xrefs.append(_line(n.text()))
            view.xref_targets.append((href[1:], numbers.get(href[1:], "?")))
    return view


# ----------------------------------------------------------------------------- PDF

def _pdf_pages(path: Path) -> list[str]:
    """The text of each page, laid out as printed."""
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                         check=True).stdout.decode("utf-8")
    return out.split("\f")[:-1]


def _pdf_words(path: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Each page's words with their boxes (x0, top, x1, bottom from the page's top), by pdftotext -bbox."""
    out = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                         check=True).stdout.decode("utf-8")
    pages = []
    for page in re.findall(r"<page [^>]*>(.*?)</page>", out, re.S):
        pages.append([(float(a), float(b), float(c), float(d), _unescape(t)) for a, b, c, d, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page)])
    return pages


def _unescape(text: str) -> str:
    import html
    return html.unescape(text)


def pdf_view(path: Path, html: View) -> View:
    from pypdf import PdfReader

    reader = PdfReader(path)
    pages = _pdf_pages(path)
    view = View()

    def outline(items):
        for item in items:
            if isinstance(item, list):
                yield from outline(item)
            else:
                yield item
    headings = [(reader.get_destination_page_number(item), float(item.top), _words(str(item.title)))
                for item in outline(reader.outline)]
    # a bookmark is only what the reader sees if the heading is printed on its page
    # (compared without spaces and hyphens: a long heading may wrap, and a hyphen at a line's end is
    # read as a soft hyphen)
    def printed(title: str, page: int) -> bool:
        return re.sub(r"[\s\u00ad-]", "", title) in re.sub(r"[\s\u00ad-]", "", pages[page])
    view.headings = [title for page, _, title in headings if printed(title, page)]
    assert len(view.headings) == len(headings), [t for p, _, t in headings if not printed(t, p)]

    # the contents: the lines with dot leaders on the pages after "Innehållsförteckning"
    first = next(i for i, text in enumerate(pages) if "Innehållsförteckning" in text)
    toc_pages = set()
    for index, text in enumerate(pages[first:], first):
        entries = re.findall(r"^\s*(\d+(?:\.\d+)* .+?)\s*(?:\. ?){3,}.*?\d+\s*$", text, re.M)
        if not entries:
            break
        view.toc += [_words(e) for e in entries]
        toc_pages.add(index)

    # captions: every "Tabell N: " or "Figur N: " in the running text, with the caption's text
    # as far as the HTML's caption goes (a PDF does not mark where a caption ends)
    body = _words(" ".join(pages))
    expected = {c.split(":")[0].replace("\u00a0", " "): c.split(": ", 1)[1] for c in html.captions}
    for m in re.finditer(r"(?<![\w\-])(Tabell|Figur) (\d+): ", body):
        label = f"{m.group(1)} {m.group(2)}"
        length = len(_words(expected.get(label, "")))
        view.captions.append(f"{label}: {body[m.end():m.end() + length] if length else '?'}")

    # callout titles: the bold first line of a box; a PDF does not mark boxes, so what is read is
    # whether a callout title from the HTML is printed with a number in front of it
    for title in html.callout_titles:
        numbered = re.search(r"(?m)^[ \t]*\d+(?:\.\d+)*[ \t]+" + re.escape(title) + r"[ \t]*$", "\n".join(pages))
        view.callout_titles.append(("N " if numbered else "") + title)

    view.xrefs, view.xref_targets = _pdf_links(path, reader, pages, toc_pages, headings, html)
    return view


def _pdf_links(path: Path, reader, pages: list[str], toc_pages: set[int], headings: list, html: View):
    """The PDF's cross-references: the words of each internal link outside the contents' pages, and
    where it goes with the number found there.

    A link to a heading goes to a named destination (the heading's id), which must be where the
    outline puts that heading; a link to a table or figure goes to a place on a page, where the
    nearest caption below it is the one it reaches (its id is the HTML's id for that caption).
    """
    words = _pdf_words(path)
    xrefs, targets = [], []
    named = reader.named_destinations
    heading_at = {(page, round(top)): title.split(" ")[0] for page, top, title in headings}
    float_ids = {" ".join(c.replace("\u00a0", " ").split(" ")[:2]).rstrip(":"): target
                 for c, target in html.caption_ids}

    def caption_below(page_index: int, top: float) -> str | None:
        """The label ("Tabell 5") of the first caption at or below ``top`` (from the page's top)."""
        for index in (page_index, page_index + 1):
            found = [(b, f"{w} {n.rstrip(':')}") for (_, b, _, _, w), (_, _, _, _, n)
                     in zip(words[index], words[index][1:])
                     if w in ("Tabell", "Figur") and re.fullmatch(r"\d+:", n) and (index > page_index or b >= top - 2)]
            if found:
                return min(found)[1]
        return None

    for index, page in enumerate(reader.pages):
        if index in toc_pages:
            continue
        height = float(page.mediabox.height)
        links = []
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link" or "/Dest" not in annot:
                continue
            x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
            # the words the rectangle touches, on its line; pdftotext keeps punctuation with a word
            inside = [w for a, b, c, d, w in words[index]
                      if a < x1 - 1 and c > x0 + 1 and height - y1 <= (b + d) / 2 <= height - y0]
            links.append((height - y1, x0, _words(" ".join(inside)).strip("().,;:"), annot["/Dest"]))
        for _, _, text, dest in sorted(links, key=lambda link: link[:2]):
            if isinstance(dest, str):  # a heading's id
                target = named.get(dest)
                number = "?" if target is None else heading_at.get(
                    (reader.get_destination_page_number(target), round(float(target.top))), "?")
            else:  # [page, /XYZ, left, top, zoom]
                page_index = next(i for i, p in enumerate(reader.pages)
                                  if p.indirect_reference.idnum == dest[0].idnum)
                label = caption_below(page_index, height - float(dest[3]))
                dest, number = float_ids.get(label, "?"), (label or "? ?").split(" ")[1]
            xrefs.append(text)
            targets.append((dest, number))
    return xrefs, targets


# ----------------------------------------------------------------------------- Word

def _text(element) -> str:
    return "".join(t.text or "" for t in element.iter(f"{W}t"))


def _style(paragraph) -> str:
    style = paragraph.find(f"{W}pPr/{W}pStyle")
    return style.get(f"{W}val") if style is not None else ""


def word_view(path: Path) -> View:
    with zipfile.ZipFile(path) as archive:
        body = ElementTree.fromstring(archive.read("word/document.xml")).find(f"{W}body")
    view = View()
    toc = next(s for s in body.iter(f"{W}sdt")
               if s.find(f".//{W}docPartGallery").get(f"{W}val") == "Table of Contents")
    view.toc = [_words(_text(link)) for link in toc.iter(f"{W}hyperlink")]
    in_toc = {id(e) for e in toc.iter()}
    numbers, pending = {}, []  # a bookmark stands just before the heading or caption it names
    for element in body.iter():
        if id(element) in in_toc:
            continue
        if element.tag == f"{W}bookmarkStart":
            pending.append(element.get(f"{W}name"))
        elif element.tag == f"{W}p" and re.fullmatch(r"Heading\d", _style(element)):
            text = _words(_text(element))
            view.headings.append(text)
            numbers.update({name: text.split(" ")[0].rstrip(".") for name in pending})
            pending = []
        elif element.tag == f"{W}p" and _style(element) in ("TableCaption", "ImageCaption"):
            text = _line(_text(element))
            view.captions.append(text)
            if m := CAPTION.match(text):
                numbers.update({name: m.group(2) for name in pending if name.startswith(("tbl-", "fig-"))})
            pending = []
        elif element.tag == f"{W}tbl" and element.find(f"{W}tblPr/{W}tblStyle") is not None \
                and element.find(f"{W}tblPr/{W}tblStyle").get(f"{W}val") == "Callout":
            rows = element.findall(f"{W}tr")
            if len(rows) == 2:  # a title row, then the body
                view.callout_titles.append(_words(_text(rows[0])))
    for link in body.iter(f"{W}hyperlink"):
        anchor = link.get(f"{W}anchor") or ""
        if id(link) not in in_toc and re.match(r"(sec|tbl|fig)-", anchor):
            view.xrefs.append(_line(_text(link)))
            view.xref_targets.append((anchor, numbers.get(anchor, "?")))
    return view


# ----------------------------------------------------------------------------- report.qmd's rules

def source_outline(source: str) -> tuple[list[tuple[int, str]], list[str], list[str], list[str]]:
    """What report.qmd asks for, read from its text: the numbered headings (level, title), the
    callout titles, the float labels in order and the cross-referenced ids in order.

    Code chunks are skipped (a chunk prints no heading in report.qmd); a heading that opens a
    callout is its title (Quarto 1.11: "A ``## Rubrik`` that opens a callout does not use a
    section number"); an ``.unnumbered`` heading has no number, and the one in the
    ``#sifferforteckning`` div is the values appendix, which ``values-appendix: separate``
    moves into the companion document.
    """
    headings, callouts, floats, refs = [], [], [], []
    lines = source.split("\n")
    in_chunk = False
    front = lines[0] == "---"
    for i, line in enumerate(lines):
        if front:
            front = not (i > 0 and line == "---")
            continue
        if line.startswith("```"):
            in_chunk = line.startswith("```{") if not in_chunk else False
            continue
        if in_chunk:
            if m := re.match(r"#\| label: ((?:tbl|fig)-\S+)", line):
                floats.append(m.group(1))
            continue
        if m := re.match(r":::+ \{#((?:tbl|fig)-[^\s}]+)", line):
            floats.append(m.group(1))
        if m := re.match(r"(#{1,6}) (.+?)(?: \{([^}]*)\})?$", line):
            level, title, attrs = len(m.group(1)), m.group(2), m.group(3) or ""
            if re.match(r":::+ \{[^}]*\.callout-", lines[i - 1]):
                callouts.append(title)
            elif ".unnumbered" not in attrs and "{-}" not in line:
                headings.append((level, title))
            continue
        refs += re.findall(r"@((?:sec|tbl|fig)-[\w-]*\w)", line)
    return headings, callouts, floats, refs


def quarto_numbers(levels: list[int]) -> list[str]:
    """Section numbers as Quarto gives them to headings of these levels, from 1: a heading takes
    the next number at its level and restarts every deeper level (no number-offset)."""
    counters, numbers = [0] * 7, []
    for level in levels:
        counters[level] += 1
        counters[level + 1:] = [0] * (6 - level)
        numbers.append(".".join(str(c) for c in counters[1:level + 1]))
    return numbers


# ----------------------------------------------------------------------------- the render

@dataclass(frozen=True)
class _Outputs:
    """The run's shared render of report.qmd (conftest.py::report_render; read-only), by format."""

    folder: Path

    def output(self, fmt: str) -> Path:
        return self.folder / f"report.{fmt}"


@pytest.fixture(scope="module")
def rendered(report_render) -> _Outputs:
    """report.qmd rendered to HTML, PDF and Word: the render the run shares (tests/_renders.py)."""
    return _Outputs(report_render)


@pytest.fixture(scope="module")
def views(rendered) -> dict[str, View]:
    html = html_view(rendered.output("html").read_text(encoding="utf-8"))
    found = {"html": html, "docx": word_view(rendered.output("docx"))}
    # pypdf's text (tried as a fallback) does not keep the contents' lines or the captions' words apart
    # well enough to compare them; without poppler the PDF is left out and test_pdf_is_read says so
    if shutil.which("pdftotext"):
        found["pdf"] = pdf_view(rendered.output("pdf"), html)
    return found


@pytest.fixture(scope="module")
def source(repo_root):
    return source_outline((repo_root / "report.qmd").read_text(encoding="utf-8"))


def _as_read(view: View, fmt: str) -> dict:
    """A format's view in one spelling: Quarto's Word writes a level-1 number with a period
    ("1. Förord", OBSERVATIONS.md, avsnitt), the other formats without ("1 Förord")."""
    plain = asdict(view)
    plain.pop("caption_ids")
    if fmt == "docx":
        for key in ("headings", "toc"):
            plain[key] = [re.sub(r"^(\d+)\. ", r"\1 ", h) for h in plain[key]]
    plain["captions"] = [c.replace("\u00a0", " ") for c in plain["captions"]]
    plain["xrefs"] = [x.replace("\u00a0", " ") for x in plain["xrefs"]]
    plain["xref_targets"] = [list(t) for t in plain["xref_targets"]]
    return plain


# ----------------------------------------------------------------------------- tests

def test_helpers_read_numbers_as_quarto_gives_them():
    # Quarto's own output (OBSERVATIONS.md, rutor): "# Resultat" is 2, the callout's "##" is its
    # title, the "##" after the callout is 2.1, then "3 Diskussion"
    source = "# Inledning\n\n# Resultat\n\n::: {.callout-note}\n## Rubrik inuti rutan\n:::\n\n" \
             "## Avsnitt efter rutan\n\n# Diskussion\n\n## Tack {.unnumbered}\n"
    headings, callouts, _, _ = source_outline(source)
    assert callouts == ["Rubrik inuti rutan"]
    assert quarto_numbers([level for level, _ in headings]) == ["1", "2", "2.1", "3"]
    assert quarto_numbers([1, 2, 3, 3, 2, 1, 2]) == ["1", "1.1", "1.1.1", "1.1.2", "1.2", "2", "2.1"]


def test_the_rules_give_the_headings_quarto_printed(repo_root):
    # Quarto 1.11's own HTML of the corpus' rutor.qmd (tests/reference/quarto/corpus): five callouts
    # without a heading, one whose "## Rubrik inuti rutan" is its title, then "## Avsnitt efter rutan",
    # and a callout with an id; the headings it printed are what the rules here work out from the source
    corpus = repo_root / "tests" / "reference" / "quarto" / "corpus"
    headings, callouts, _, _ = source_outline((corpus / "rutor.qmd").read_text(encoding="utf-8"))
    printed = html_view((corpus / "rutor.quarto.html").read_text(encoding="utf-8")).headings
    assert printed == ["1 Bakgrund", "2 Resultat", "2.1 Avsnitt efter rutan", "3 Diskussion"]
    assert printed == [f"{n} {title}" for n, (_, title) in zip(quarto_numbers([lv for lv, _ in headings]), headings)]
    assert "Rubrik inuti rutan" in callouts


def test_pdf_is_read(views):
    if "pdf" not in views:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF's reader view is not checked")


def test_each_format_is_read(views):
    # the readers must find what is there, or every comparison below compares nothing
    for fmt, view in views.items():
        assert len(view.headings) > 40 and len(view.toc) > 30, fmt
        assert len(view.captions) >= 15 and len(view.xrefs) >= 20, fmt
        assert "Rekommendation" in view.callout_titles or "N Rekommendation" in view.callout_titles, fmt


def test_headings_are_numbered_as_quarto_numbers_report_qmd(views, source):
    headings = source[0]
    expected = [f"{n} {_words(title)}" for n, (_, title) in
                zip(quarto_numbers([level for level, _ in headings]), headings)]
    for fmt, view in views.items():
        assert _as_read(view, fmt)["headings"] == expected, fmt


def test_contents_list_every_heading_to_the_toc_depth_in_order(views, source):
    for fmt, view in views.items():
        plain = _as_read(view, fmt)
        shown = [h for h in plain["headings"] if h.split(" ")[0].count(".") < TOC_DEPTH]
        assert plain["toc"] == shown, fmt


def test_callout_titles_carry_no_number(views, source):
    callouts = source[1]
    for fmt, view in views.items():
        assert view.callout_titles == [_words(t) for t in callouts], fmt


def test_captions_are_numbered_in_order_and_the_same_in_every_format(views, source):
    floats = source[2]
    html = _as_read(views["html"], "html")["captions"]
    for kind, label in (("tbl", "Tabell"), ("fig", "Figur")):
        numbers = [CAPTION.match(c).group(2) for c in html if c.startswith(label + " ")]
        # one counter per kind, in the order the floats stand in report.qmd
        assert numbers == [str(i) for i in range(1, 1 + sum(f.startswith(kind) for f in floats))], kind
    assert all(CAPTION.match(c) for c in html)
    for fmt in set(views) - {"html"}:
        assert _as_read(views[fmt], fmt)["captions"] == html, fmt


def test_cross_references_name_an_existing_number_and_go_to_it(views, source):
    refs = source[3]
    html = views["html"]
    ids = {"sec": "avsnitt", "tbl": "Tabell", "fig": "Figur"}
    for fmt, view in views.items():
        plain = _as_read(view, fmt)
        # the same references, in report.qmd's order, in every format
        assert [target for target, _ in plain["xref_targets"]] == refs, fmt
        assert plain["xrefs"] == _as_read(html, "html")["xrefs"], fmt
        headings = {h.split(" ")[0] for h in plain["headings"]}
        captions = {" ".join(c.split(" ")[:2]).rstrip(":") for c in plain["captions"]}
        wrong = []
        for text, (target, number) in zip(plain["xrefs"], plain["xref_targets"]):
            m = XREF.match(text)
            if not m or m.group(1).lower() != ids[target[:3]].lower() or m.group(2) != number:
                wrong.append((text, target, number))  # not the number of what it points to
            elif target.startswith("sec-") and number not in headings:
                wrong.append((text, target, "no such heading"))
            elif not target.startswith("sec-") and f"{m.group(1)} {number}" not in captions:
                wrong.append((text, target, "no such caption"))
        assert wrong == [], fmt
    # Quarto writes an NBSP between prefix and number (OBSERVATIONS.md), in HTML and Word alike,
    # in a reference and in a caption's label
    for fmt in ("html", "docx"):
        assert all(re.match(r"\w+\u00a0\d", x) for x in views[fmt].xrefs + views[fmt].captions), fmt


@pytest.mark.skipif(not _cdp.available(), reason=f"needs Chromium at {_cdp.CHROMIUM} (CI installs it: .ci/run)")
@pytest.mark.parametrize("width", [1200, 800])
def test_html_tables_stay_within_the_text_column(rendered, width):
    # a table wider than the text column runs off the page's column (the audit table, Tabell 13, was
    # 975 px in a 756 px column: its source ids had no place to wrap); 4 px for the border's rounding
    with _cdp.Browser(width=width, height=900) as browser:
        browser.navigate(rendered.output("html").as_uri())
        column, tables = json.loads(browser.evaluate("""JSON.stringify([
            document.getElementById('sbm-main').getBoundingClientRect().width,
            [...document.querySelectorAll('#sbm-main table')].map(t => [t.id, t.getBoundingClientRect().width])])"""))
    assert len(tables) >= 13
    assert [(name, round(w)) for name, w in tables if w > column + 4] == []


@pytest.mark.skipif(not _cdp.available(), reason=f"needs Chromium at {_cdp.CHROMIUM} (CI installs it: .ci/run)")
def test_at_a_phone_width_a_wide_table_scrolls_in_its_own_box_not_the_page(rendered):
    # at 420 px the audit table (Tabell 13) was wider than the window and the page scrolled sideways;
    # a table that does not fit scrolls in a box of its own (filters/layout.lua): a named region the
    # keyboard can reach, as wide as the text column at most
    with _cdp.Browser(width=420, height=900) as browser:
        # a window is at least 500 px wide in headless Chromium: the viewport is set, as a phone's
        browser.call("Emulation.setDeviceMetricsOverride", width=420, height=900, deviceScaleFactor=1, mobile=False)
        browser.navigate(rendered.output("html").as_uri())
        page, window, column, tables = json.loads(browser.evaluate("""JSON.stringify([
            document.documentElement.scrollWidth, window.innerWidth,
            document.getElementById('sbm-main').getBoundingClientRect().width,
            [...document.querySelectorAll('#sbm-main table')].map(t => {
                const box = t.parentElement;
                return {id: t.id, width: t.getBoundingClientRect().width,
                        box: box.classList.contains('sbm-table-scroll'), role: box.getAttribute('role'),
                        name: box.getAttribute('aria-label') || '', tabindex: box.getAttribute('tabindex'),
                        overflow: getComputedStyle(box).overflowX, boxWidth: box.getBoundingClientRect().width};
            })])"""))
    assert page <= window, f"the page scrolls sideways: {page} px wide in a {window} px window"
    wide = [t for t in tables if t["width"] > column + 4]
    assert wide, "no table is wider than the column at 420 px: the test no longer tests the scroll box"
    assert "tbl-granskning" in {t["id"] for t in wide}
    assert [t["id"] for t in wide if not (t["box"] and t["role"] == "region" and t["tabindex"] == "0"
                                          and t["name"].startswith("Tabell") and t["overflow"] == "auto"
                                          and t["boxWidth"] <= column + 1)] == []


def test_the_reader_view_matches_the_reviewed_snapshot(views):
    current = _as_read(views["html"], "html")
    current.pop("xref_targets")
    current["xrefs"] = [f"{text} -> {target}" for text, (target, _) in
                        zip(current["xrefs"], views["html"].xref_targets)]
    written = json.dumps(current, ensure_ascii=False, indent=1) + "\n"
    if os.environ.get("SBM_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(written, encoding="utf-8")
        pytest.fail(f"SBM_UPDATE_SNAPSHOTS=1: {SNAPSHOT} rewritten; review `git diff` and run again without it")
    reviewed = SNAPSHOT.read_text(encoding="utf-8")
    if written != reviewed:
        diff = "".join(difflib.unified_diff(reviewed.splitlines(True), written.splitlines(True),
                                            "reviewed snapshot", "this render", n=1))
        pytest.fail("the reader's view of report.qmd changed (update deliberately, see the module's "
                    f"docstring):\n{diff}")
