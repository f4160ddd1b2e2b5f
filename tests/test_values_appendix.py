"""Where the values appendix (Sifferförteckning) goes: ``values-appendix: separate | inline | none``.

The fixture ``varden.qmd`` shows ten traced values of eight ids (see ``tests/test_values.py``,
whose renders keep it ``inline``); here the same document is rendered with the appendix as
a companion document, and with none. What is checked is what a reader gets: the publication
without the appendix in every format, the companion holding an entry for every value, and the
number's note in the HTML linking to that entry.
"""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import pypdf
import pytest

from sbm_stats.render import RenderError, render

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "qmd"


def _document(folder: Path, option: str) -> Path:
    """varden.qmd with its ``values-appendix: inline`` line replaced by ``option`` (YAML lines)."""
    text = (FIXTURES / "varden.qmd").read_text(encoding="utf-8")
    assert "values-appendix: inline\n" in text
    folder.mkdir(parents=True, exist_ok=True)
    doc = folder / "varden.qmd"
    doc.write_text(text.replace("values-appendix: inline\n", option), encoding="utf-8")
    return doc


def _ids(values_file: Path) -> list[str]:
    with values_file.open(encoding="utf-8", newline="") as handle:
        return [row["id"] for row in csv.DictReader(handle)]


def _docx_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml").decode("utf-8")


def _pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


# ----------------------------------------------------------------------------- the option

@pytest.mark.parametrize("option, message", [
    ("values-appendix: appendix\n",
     "varden.qmd: front matter: values-appendix ('appendix') must be one of 'separate', 'inline' or 'none'"),
    ("values-appendix: true\n",
     "varden.qmd: front matter: values-appendix (True) must be one of 'separate', 'inline' or 'none'"),
    ("values-appendix: separate\nvalues-appendix-formats: [html, odt]\n",
     "varden.qmd: front matter: values-appendix-formats (['html', 'odt']) must be a list of 'html', 'pdf' and "
     "'docx' (html is always written)"),
])
def test_a_bad_value_is_one_error_and_nothing_is_written(tmp_path, option, message):
    doc = _document(tmp_path / "doc", option)
    out = tmp_path / "out"
    with pytest.raises(RenderError) as info:
        render(doc, to="html", out_dir=out, engine="builtin", quiet=True, cache=False)
    assert str(info.value) == message
    assert not out.exists()
    assert sorted(p.name for p in (tmp_path / "doc").iterdir()) == ["varden.qmd"]


# ----------------------------------------------------------------------------- separate

@pytest.fixture(scope="module")
def separate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("separate")
    doc = _document(folder / "doc", "values-appendix: separate\nvalues-appendix-formats: [html, pdf, docx]\n")
    return render(doc, to="html,pdf,docx", out_dir=folder / "out", engine="builtin", quiet=True, cache=False)


def test_the_companion_is_written_in_the_formats_asked_for(separate):
    out = separate.output("html").parent
    assert [p.name for p in separate.companions] == ["varden.values.html", "varden.values.pdf",
                                                     "varden.values.docx"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["varden.html", "varden.pdf", "varden.docx", "varden.values.csv", "varden.values.html",
         "varden.values.pdf", "varden.values.docx"])


def test_the_publication_holds_no_appendix(separate):
    html = separate.output("html").read_text(encoding="utf-8")
    assert "Sifferförteckning" not in html and 'id="sifferforteckning"' not in html
    assert 'class="sbm-value-entry"' not in html
    assert "Sifferförteckning" not in _pdf_text(separate.output("pdf"))
    xml = _docx_xml(separate.output("docx"))
    assert "Sifferförteckning" not in xml
    # the numbers are plain text in Word and PDF: no bookmark or link of a value's entry
    assert "varde_" not in xml
    internal = [a for page in pypdf.PdfReader(separate.output("pdf")).pages for a in page.get("/Annots") or []
                if "/Dest" in a.get_object() or (a.get_object().get("/A") or {}).get("/S") == "/GoTo"]
    assert len(internal) == 1  # the text's one cross-reference ("se Tabell 1"), no number


def test_the_companion_lists_every_traced_value(separate):
    ids = _ids(separate.values_file)
    assert len(ids) == 8  # see tests/test_values.py: IDS
    page = separate.companions[0].read_text(encoding="utf-8")
    entries = re.findall(r'<div id="varde-([^"]+)" class="sbm-value-entry" tabindex="-1">', page)
    assert entries == ids
    # self-contained, no script, styled as the report's HTML
    assert "<script" not in page and "<style>" in page and "src=" not in page
    assert '<h1 class="title">Sifferförteckning</h1>' in page
    # Word: one bookmark per value; PDF: each value's id
    assert len(set(re.findall(r'w:name="(varde_\d+)"', _docx_xml(separate.companions[2])))) == len(ids)
    text = re.sub(r"\s+", "", _pdf_text(separate.companions[1]))
    assert [i for i in ids if i not in text] == []


def test_each_note_links_to_its_entry_in_the_companion(separate):
    html = separate.output("html").read_text(encoding="utf-8")
    companion = separate.companions[0].read_text(encoding="utf-8")
    targets = re.findall(r'<a href="varden\.values\.html#([^"]+)">I sifferförteckningen</a>', html)
    notes = re.findall(r'<span popover id="[^"]+" class="sbm-value-note" role="note">', html)
    # a note per place in the text (8: two values are shown twice) and per value of the table (2),
    # and the table's list of its values (2), each with the link: 12 links to 8 entries
    assert len(notes) == 10 and len(targets) == 12 and len(set(targets)) == 8
    assert [t for t in targets if f'id="{t}"' not in companion] == []
    # and back: each entry links to every place its value is shown (the number's button)
    places = re.findall(r'<button type="button" class="sbm-value" [^>]*\bid="(plats-[^"]+)"', html)
    back = re.findall(r'<a href="varden\.html#(plats-[^"]+)">', companion)
    assert len(places) == 10 and sorted(back) == sorted(places)


def test_a_value_is_named_before_its_id(separate):
    page = separate.companions[0].read_text(encoding="utf-8")
    # data/published_figures.csv, row bme.flats_2013: label_sv "Andrahandslägenheter på den sekundära
    # bostadsmarknaden"; datapackage.json: the table's title "Publicerade uppgifter", the column's "Värde"
    entry = re.search(r'<div id="varde-published_figures:bme.flats_2013:value".*?</div>', page, re.S).group()
    assert "<strong>16\xa0386</strong> — " in entry
    assert ("Publicerade uppgifter <code>published_figures</code>, rad ”Andrahandslägenheter på den "
            "sekundära bostadsmarknaden” <code>bme.flats_2013</code>, kolumn Värde <code>value</code>") in entry
    # its source by the package's short name (data/sources.csv, socstyr_2015: short_name_sv
    # "Socialstyrelsen 2015"), not a part cut from the citation's text, with the id after it
    assert re.search(r'<strong>Källa:</strong> <a href="#kalla-\d+">Socialstyrelsen 2015</a> <code>socstyr_2015</code>',
                     entry)


# ----------------------------------------------------------------------------- none

def test_none_writes_no_appendix_and_keeps_the_values_file(tmp_path):
    doc = _document(tmp_path / "doc", "values-appendix: none\n")
    result = render(doc, to="html,docx", out_dir=tmp_path / "out", engine="builtin", quiet=True, cache=False)
    assert result.companions == ()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["varden.docx", "varden.html",
                                                                    "varden.values.csv"]
    html = result.output("html").read_text(encoding="utf-8")
    assert "Sifferförteckning" not in html and "sifferförteckningen" not in html
    # the notes stay: source, row and computation at the number
    # (one per place in the text, 8, and per value of the table, 2)
    assert len(re.findall(r'class="sbm-value-note" role="note"', html)) == 10
    assert "Sifferförteckning" not in _docx_xml(result.output("docx"))


# ----------------------------------------------------------------------------- one check per render

def test_pdf_and_word_show_the_same_text_rendered_with_html_or_alone(separate, tmp_path):
    """With the HTML in the render, PDF and Word take the numbers as text without checking them
    again (the HTML's run of values.lua checks and lists them: ``_pandoc.primary_job``); alone,
    each checks them itself. Either way a reader gets the same document."""
    doc = _document(tmp_path / "doc", "values-appendix: separate\n")
    alone = {fmt: render(doc, to=fmt, out_dir=tmp_path / fmt, engine="builtin", quiet=True, cache=False)
             for fmt in ("pdf", "docx")}
    assert _pdf_text(alone["pdf"].output("pdf")) == _pdf_text(separate.output("pdf"))
    assert _docx_xml(alone["docx"].output("docx")) == _docx_xml(separate.output("docx"))
    # the values file lists the same values, from whichever run checked them
    assert _ids(alone["pdf"].values_file) == _ids(separate.values_file)


def test_a_value_only_another_format_shows_is_checked_in_that_format(tmp_path):
    """Conditional content is kept or dropped per format (quarto.lua): the HTML's run of values.lua
    does not see a number only the PDF shows, so the PDF's run checks the PDF's numbers itself."""
    doc = _document(tmp_path / "doc", "values-appendix: separate\n")
    doc.write_text(doc.read_text(encoding="utf-8") + '\n::: {.content-visible when-format="pdf"}\n'
                   'Bara i PDF: [12]{.sbm-value data-value-id="ingen.sadan.uppgift"}.\n:::\n', encoding="utf-8")
    with pytest.raises(RenderError) as info:
        render(doc, to="html,pdf", out_dir=tmp_path / "out", engine="builtin", quiet=True, cache=False)
    assert "'ingen.sadan.uppgift'" in str(info.value)
    assert not (tmp_path / "out").exists()
