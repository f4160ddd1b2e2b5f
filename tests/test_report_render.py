"""report.qmd rendered end to end: every number of the publication is in the HTML, the audit
table is there, the PDF and Word files hold the text, and two renders are byte-identical."""

from __future__ import annotations

import html
import re
import zipfile

import pytest
from pypdf import PdfReader

from sbm_stats import load_published_figures
from sbm_stats.render import render

from ._reader import reader_text
from ._renders import REPORT_OPTIONS
from .reference import read_reference

pytestmark = pytest.mark.slow

#: Small whole numbers are written in words in the report (Svenska skrivregler), and words
#: like "två" stand in any Swedish text, so finding them proves nothing: numbers up to this
#: are checked through the inline calls that print them instead (see below).
WORDS_UP_TO = 12


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, repo_root, report_render):
    """The run's shared render of report.qmd (read-only) and a second one of this module's own,
    made the same way (tests/_renders.py: REPORT_OPTIONS), for the byte-for-byte comparison."""
    second = tmp_path_factory.mktemp("second")
    render(repo_root / "report.qmd", out_dir=second, **REPORT_OPTIONS)
    return report_render, second


@pytest.fixture(scope="module")
def pdf_pages(rendered) -> list[str]:
    """The text of each page of the shared render's PDF (pypdf), read once for the module."""
    return [page.extract_text() for page in PdfReader(rendered[0] / "report.pdf").pages]


def _text(path) -> str:
    raw = html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))
    return re.sub(r"[\s\u00a0\u202f]+", " ", raw)


def test_every_publication_number_is_in_the_html(rendered):
    """Each number above twelve in the hand-read list stands in the HTML, in digits."""
    text = _text(rendered[0] / "report.html")
    missing = []
    for st in read_reference("publication_numbers.csv").itertuples():
        for n in (st.count, st.base, st.value):
            if n == n and n > WORDS_UP_TO:
                digits = f"{int(n):,}".replace(",", " ")
                if not re.search(rf"(?<![\d\w]){re.escape(digits)}(?![\d\w])", text):
                    missing.append(f"{st.section}: {st.context}: {n:g}")
    assert missing == []


def test_every_small_publication_number_is_printed_by_an_inline_call(repo_root, data_dir):
    """Each statement of the hand-read list is printed in report.qmd by an inline call on its
    row of published_figures (so its number comes from data/, whatever words it is shown in)."""
    figures = load_published_figures(data_dir)
    qmd = (repo_root / "report.qmd").read_text(encoding="utf-8")
    used = set(re.findall(r"`\{python\}[^`]*?\"((?:ctx|method|res|oj|bme|sos|ana)\.[a-z0-9_]+)\"", qmd))
    unused = []
    for st in read_reference("publication_numbers.csv").itertuples():
        rows = figures[(figures.section == st.section) & (figures.unit == st.unit)]
        for col in ("count", "base", "value"):
            if getattr(st, col) == getattr(st, col):
                rows = rows[rows[col] == getattr(st, col)]
        if not set(rows.figure_id) & used:
            unused.append(f"{st.section}: {st.context} ({', '.join(rows.figure_id)})")
    assert unused == []


def test_the_audit_table_and_the_conflict_are_shown(rendered):
    text = _text(rendered[0] / "report.html")
    assert "Granskning: varje kontrollerbart påstående" in text
    assert "stämmer inte" in text and "kan inte prövas" in text
    # the conflicting 2008 figures, both in the report
    assert "11 270" in text and "11 700" in text
    # the synthetic annex says so
    assert "SYNTETISKA DATA" in text


def test_uncertainty_is_shown_without_overclaiming(rendered):
    """Issue 12: no finite-population column in the results table, small bases marked, the
    correction in the annex with its warning, exact inclusion probabilities."""
    text = _text(rendered[0] / "report.html")
    assert "KI, N = 290" not in text
    assert "liten bas" in text
    assert "(1 − n/N) p(1 − p)/(n − 1)" in text
    assert "Monte Carlo" not in text and "exakt inklusionssannolikhet" in text
    # the forest plot's caption states level and method, computed from the report's
    # parameters (front matter: confidence_level 0.95, ci_method "wilson")
    page = (rendered[0] / "report.html").read_text(encoding="utf-8")
    start = page.index('id="fig-skog"')
    caption = reader_text(page[page.index("<figcaption", start):page.index("</figcaption>", start)])
    assert "med 95 % konfidensintervall (Wilsons metod), utan ändlighetskorrektion" in caption


def test_pdf_and_docx_hold_the_text(rendered, pdf_pages):
    pdf = " ".join(pdf_pages)
    assert "Den sekundära bostadsmarknaden" in pdf and "Sammanfattning" in pdf
    assert re.search(r"16\s+av\s+29", pdf)
    with zipfile.ZipFile(rendered[0] / "report.docx") as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert "Sammanfattning" in xml and "Statistisk bilaga" in xml


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines()]


def test_the_publication_holds_no_values_appendix(rendered, pdf_pages):
    """values-appendix: separate (report.qmd's front matter): the report in every format without
    the Sifferförteckning, neither as a heading nor in the table of contents; it is the companion."""
    pdf = "\n".join(pdf_pages)
    assert not [line for line in _lines(pdf) if line.startswith("Sifferförteckning")]
    with zipfile.ZipFile(rendered[0] / "report.docx") as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert "Sifferförteckning" not in xml and "varde_" not in xml
    page = (rendered[0] / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"<h\d[^>]*>[^<]*Sifferförteckning", page) and 'class="sbm-value-entry"' not in page
    assert (rendered[0] / "report.values.html").is_file()


def test_the_companion_lists_every_value_and_every_note_finds_its_entry(rendered):
    from sbm_stats.report.values import read_values_file

    values = read_values_file(rendered[0] / "report.values.csv")
    companion = (rendered[0] / "report.values.html").read_text(encoding="utf-8")
    entries = [html.unescape(i)
               for i in re.findall(r'<div id="varde-([^"]+)" class="sbm-value-entry" tabindex="-1">', companion)]
    assert entries == list(values)
    page = (rendered[0] / "report.html").read_text(encoding="utf-8")
    # every note (after each number in the text, after each table for its values) and every item
    # of a table's list of values links to the value's entry
    links = re.findall(r'<a href="report\.values\.html#([^"]+)">I sifferförteckningen</a>', page)
    notes = len(re.findall(r'class="sbm-value-note" role="note"', page))
    assert len(links) == notes + len(re.findall(r"<li data-value-id=", page)) and notes > 100
    targets = set(links)
    assert [t for t in targets if f'id="{t}"' not in companion] == []
    assert "<script" not in companion


def _entries(companion: str) -> list[str]:
    """The companion's entries as a reader reads them, one text per value."""
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", e)).split())
            for e in re.findall(r'<div id="varde-[^"]+" class="sbm-value-entry" tabindex="-1">.*?</div>', companion,
                                re.S)]


def test_the_companion_reads_as_a_reviewer_needs_it(rendered):
    """No computation "x = x", no year or seed written as a quantity, no day of a date traced."""
    companion = (rendered[0] / "report.values.html").read_text(encoding="utf-8")
    entries = _entries(companion)
    tautologies = []
    for entry in entries:
        for computation in re.findall(r"Beräkning: (.*?)(?:; indata:|Påstående i|$)", entry):
            sides = [side.strip() for side in computation.split(" = ")]
            if len(sides) > 1 and sides[-1] == sides[-2]:
                tautologies.append(computation)
    assert tautologies == []
    # the seed (report.qmd's parameter seed: 2014) and years: never grouped by thousands
    spaced = re.compile(r"(?:fröet|år|våg|december|sedan|Våg|kolumn Våg \S+ —)\s+[12][\s\u00a0\u202f]\d{3}\b")
    assert [e for e in entries if spaced.search(e)] == []
    seed = [e for e in entries if re.match(r"\S+ — parameter:seed ", e)]
    assert len(seed) == 1 and seed[0].startswith("2014 — ")
    assert any("fröet 2014" in e for e in entries)
    # "Sveriges folkmängd 31 december 2013 var 9 644 864" (data/audit/claims_2014.yaml,
    # ext.scb_population_2013): 9 644 864 is a figure; 31 is the day of a date, not traced
    assert not [e for e in entries if e.startswith("31 — ")]
    page = (rendered[0] / "report.html").read_text(encoding="utf-8")
    assert re.search(r"folkmängd 31 december 2013 var\s+<button", page)


@pytest.mark.parametrize("name", ["report.html", "report.pdf", "report.docx", "report.values.html"])
def test_two_renders_are_byte_identical(rendered, name):
    first, second = rendered
    assert (first / name).read_bytes() == (second / name).read_bytes()


def test_callout_headings_take_no_section_number_and_references_find_their_sections(rendered):
    # Quarto 1.11.0 makes a heading that opens a callout the callout's title, without a number
    # (tests/reference/quarto/corpus/rutor.*): chapter 8's recommendations and the annex's
    # synthetic-data callout must not take numbers, so the sections after them are consecutive
    first, _ = rendered
    page = (first / "report.html").read_text(encoding="utf-8")
    numbers = {}  # heading id -> the number it shows, in reading order
    for attrs in re.findall(r"<h[1-6]\b([^>]*)>", page):
        number, ident = re.search(r'data-number="([^"]+)"', attrs), re.search(r'id="([^"]+)"', attrs)
        if number and ident:
            numbers[ident.group(1)] = number.group(1)
    shown = list(numbers.values())
    chapter8 = [n for n in shown if n.startswith("8.")]
    assert chapter8 == [f"8.{k}" for k in range(1, len(chapter8) + 1)] and len(chapter8) >= 5
    annex = [n for n in shown if n.startswith(numbers["sec-bilaga"] + ".")]
    assert [int(n.split(".")[1]) for n in annex] == list(range(1, len(annex) + 1)) and len(annex) >= 5
    assert not any(n.startswith("0.") for n in shown)
    assert '<span class="screen-reader-only">Notera</span><strong>Om denna rapport</strong>' in " ".join(page.split())
    # every @sec- reference reads the number its section shows
    refs = re.findall(r'<a href="#(sec-[^"]+)">(?:Avsnitt|avsnitt)\xa0([0-9.]+)</a>', page)
    assert refs and all(numbers.get(target, "?") == number for target, number in refs), refs
