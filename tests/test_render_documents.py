"""Render the fixture documents with the builtin engine and read what comes out.

Kernel start-ups dominate the run time, so each document is rendered once per
module and the tests read the same outputs. Every expected value comes from the
fixture's own text (the comment says where); none is copied from a rendered file.
"""

from __future__ import annotations

import base64
import contextlib
import io
import re
import struct
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pypdf
import pytest

from sbm_stats.cli import main
from sbm_stats.render import RenderError, render

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "qmd"
SV = FIXTURES / "rapport_sv.qmd"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"


# ----------------------------------------------------------------------------- helpers

class _Html(HTMLParser):
    """Every element with its attributes and its text content."""

    VOID = {"meta", "img", "br", "hr", "link", "input", "col", "source"}

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []
        self._open: list[dict] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        if tag not in self.VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i]["tag"] == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data

    def find(self, tag=None, **attrs):
        return [e for e in self.elements
                if (tag is None or e["tag"] == tag)
                and all(e["attrs"].get(k.rstrip("_")) == v for k, v in attrs.items())]

    def one(self, tag=None, **attrs):
        found = self.find(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]


def _squash(text: str) -> str:
    """Runs of ASCII white space as one space (a non-breaking space is kept: it is content)."""
    return re.sub(r"[ \t\n\r\f\v]+", " ", text).strip()


def _png_dpi(png: bytes) -> float:
    i = png.index(b"pHYs")
    x, _y, unit = struct.unpack(">IIB", png[i + 4:i + 13])
    assert unit == 1  # pixels per metre
    return x * 0.0254


def _fence_line(fixture: Path, option_line: str) -> int:
    """The line (from 1) of the fence of the chunk whose options include ``option_line``."""
    lines = fixture.read_text(encoding="utf-8").splitlines()
    index = lines.index(option_line)
    while not lines[index].startswith("```{python}"):
        index -= 1
    return index + 1


def _docx_paragraphs(root: ElementTree.Element) -> list[tuple[str | None, str]]:
    out = []
    for p in root.iter(f"{W}p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        text = "".join(t.text or "" for t in p.iter(f"{W}t"))
        out.append((style.get(f"{W}val") if style is not None else None, text))
    return out


@contextlib.contextmanager
def _no_source_date_epoch():
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        yield


# ----------------------------------------------------------------------------- rapport_sv.qmd, all formats

@pytest.fixture(scope="module")
def swedish(tmp_path_factory):
    """rapport_sv.qmd rendered three times: cold, again without cache, again with cache."""
    base = tmp_path_factory.mktemp("sv")
    runs = {}
    with _no_source_date_epoch():
        for name, out, cache in (("first", base / "a", True), ("no_cache", base / "b", False),
                                 ("cached", base / "a", True)):
            stderr = io.StringIO()
            with contextlib.redirect_stderr(stderr):
                result = render(SV, to=("html", "pdf", "docx"), out_dir=out, engine="builtin", cache=cache)
            runs[name] = (result, {f: result.output(f).read_bytes() for f in result.formats}, stderr.getvalue())
    return runs


@pytest.fixture(scope="module")
def sv_html(swedish):
    return _Html(swedish["first"][1]["html"].decode("utf-8"))


def test_result_describes_the_render(swedish, tmp_path_factory):
    result, _, _ = swedish["first"]
    assert result.engine == "builtin"
    assert result.formats == ("html", "pdf", "docx")
    assert [p.name for p in result.outputs] == ["rapport_sv.html", "rapport_sv.pdf", "rapport_sv.docx"]
    assert result.cache_hit is False
    assert result.params == {}
    assert result.timings["execute"] > 0
    frame = result.to_frame()
    assert list(frame["format"]) == ["html", "pdf", "docx"]
    assert (frame["bytes"] > 0).all()


def test_progress_names_each_chunk_and_each_output(swedish):
    result, _, err = swedish["first"]
    text = SV.read_text(encoding="utf-8")
    n_chunks = text.count("```{python}")
    line = _fence_line(SV, "#| label: fig-staplar")
    # fig-staplar is the fourth chunk of the fixture
    assert f"[4/{n_chunks}] fig-staplar (line {line})" in err
    assert f"[{n_chunks}/{n_chunks}]" in err
    for path in result.outputs:
        assert f"wrote {path}" in err


def test_html_is_self_contained_swedish_with_toc(swedish, sv_html):
    html = swedish["first"][1]["html"].decode("utf-8")
    assert sv_html.one("html")["attrs"]["lang"] == "sv"
    for img in sv_html.find("img"):
        assert img["attrs"]["src"].startswith("data:image/png;base64,")
    assert not sv_html.find("link", rel="stylesheet")
    assert not re.search(r'(src|href)="https?://', html)
    toc = sv_html.one("nav", id="TOC")
    # the three headings of the fixture, numbered
    assert [_squash(a["text"]) for a in sv_html.find("a") if a["attrs"].get("id", "").startswith("toc-")] == [
        "1 Inledning", "2 Metod", "2.1 Urval"]
    assert "Innehållsförteckning" in toc["text"]
    assert _squash(sv_html.one("h1", class_="title")["text"]) == "Bostäder åt äldre i Göteborg"


def test_html_inline_values_in_document_order(sv_html):
    paragraphs = [_squash(p["text"]) for p in sv_html.find("p")]
    # a = 2 and b = 3 in the parameters chunk
    assert any(p.startswith(f"Summan av a och b är {2 + 3}.") for p in paragraphs)
    # ordning is "första" after the chunk 'setup', then "andra" after the next chunk
    first = paragraphs.index("Efter den första chunken är ordningen första.")
    second = paragraphs.index("Efter den andra chunken är ordningen andra.")
    assert first < second


def test_html_sections_figure_table_and_references(sv_html):
    assert _squash(sv_html.one("h1", id="sec-metod")["text"]) == "2 Metod"
    assert _squash(sv_html.one("h2", id="sec-urval")["text"]) == "2.1 Urval"
    figure = sv_html.one("figure", id="fig-staplar")
    assert _squash(figure["text"]) == "Figur\xa01: Andel kommuner med sociala kontrakt, åäö"
    img = sv_html.one("img")
    assert img["attrs"]["alt"] == "Stapeldiagram över tre kommuner"
    png = base64.b64decode(img["attrs"]["src"].split(",", 1)[1])
    assert _png_dpi(png) >= 150
    table = sv_html.one("table", id="tbl-kommuner")
    assert _squash(sv_html.one("caption")["text"]) == "Tabell\xa01: Kommuner i urvalet"
    cells = [_squash(c["text"]) for c in sv_html.find("td")]
    assert cells[0::2] == ["Åre", "Malmö", "Umeå"]
    assert [float(c) for c in cells[1::2]] == [0.25, 0.5, 0.75]
    assert "kommun" in table["text"] and "andel" in table["text"]
    links = {(a["attrs"].get("href"), _squash(a["text"])) for a in sv_html.find("a")}
    assert ("#fig-staplar", "Figur\xa01") in links
    assert ("#tbl-kommuner", "Tabell\xa01") in links
    # Quarto's Swedish sec-prefix, "Avsnitt", with a non-breaking space (as in ../shared/quarto-reference)
    assert ("#sec-metod", "Avsnitt\xa02") in links
    assert ("#sec-urval", "Avsnitt\xa02.1") in links
    assert ("#fig-staplar", "1") in links  # -@fig-staplar: the number alone


def test_html_echo_output_and_callout(sv_html):
    code = " ".join(_squash(c["text"]) for c in sv_html.find("code"))
    assert 'print("utskrift från kernel:", 6 * 7)' in code  # echo: true
    assert "import matplotlib" not in code  # execute: echo: false
    # Quarto's layout: a div.cell-output-stdout around a plain pre
    outputs = [_squash(p["text"]) for p in sv_html.find("div") if "cell-output-stdout" in p["attrs"].get("class", "")]
    assert outputs == [f"utskrift från kernel: {6 * 7}"]
    # The last chunk's warning, with the kernel's temporary file name (it holds the
    # process id) replaced by the chunk's name, so that the output is reproducible.
    warning = [_squash(p["text"]) for p in sv_html.find("div") if "cell-output-stderr" in p["attrs"].get("class", "")]
    n_chunks = SV.read_text(encoding="utf-8").count("```{python}")
    assert len(warning) == 1
    assert warning[0].startswith(f"<chunk-{n_chunks}>:2: UserWarning: en varning från kernel")
    callout = sv_html.one("div", class_="callout callout-note")
    assert _squash(callout["text"]) == "Notera Detta är en notering om Avsnitt\xa02.1."


def test_pdf_has_title_page_and_content(swedish):
    reader = pypdf.PdfReader(io.BytesIO(swedish["first"][1]["pdf"]))
    pages = [_squash(p.extract_text()) for p in reader.pages]
    assert len(pages) >= 3  # title page, table of contents, body
    assert pages[0] == "Bostäder åt äldre i Göteborg Ett testdokument för renderingen Åsa Öberg 1 mars 2015"
    assert pages[1].startswith("Innehållsförteckning 1 Inledning")
    body = " ".join(pages[2:])
    for text in (f"Summan av a och b är {2 + 3}.", "Se Figur\xa01, Tabell\xa01 och Avsnitt\xa02.",
                 "ordningen första.", "ordningen andra.", "2.1 Urval",
                 "Figur\xa01: Andel kommuner med sociala kontrakt, åäö", "Tabell\xa01: Kommuner i urvalet",
                 "Åre 0.25", "Notera Detta är en notering om Avsnitt\xa02.1.", f"utskrift från kernel: {6 * 7}"):
        assert text in body, text
    assert reader.metadata["/Title"] == "Bostäder åt äldre i Göteborg"
    # the fixture's date, 2015-03-01
    assert reader.metadata["/CreationDate"].startswith("D:20150301")


def test_docx_has_tables_figures_and_swedish_text(swedish):
    archive = zipfile.ZipFile(io.BytesIO(swedish["first"][1]["docx"]))
    root = ElementTree.fromstring(archive.read("word/document.xml"))
    paragraphs = _docx_paragraphs(root)
    styles = dict((text, style) for style, text in paragraphs)
    assert styles["Bostäder åt äldre i Göteborg"] == "Title"
    assert styles["Figur\xa01: Andel kommuner med sociala kontrakt, åäö"] == "ImageCaption"
    assert styles["Tabell\xa01: Kommuner i urvalet"] == "TableCaption"
    assert any(t.startswith(f"Summan av a och b är {2 + 3}.") for _, t in paragraphs)
    # the callout is a one-column table (title row, then its text), as Quarto writes one in Word
    callouts = [t for t in root.iter(f"{W}tbl") if len(t.findall(f"{W}tblGrid/{W}gridCol")) == 1]
    assert [["".join(t.text or "" for t in cell.iter(f"{W}t")) for cell in c.iter(f"{W}tc")] for c in callouts] \
        == [["Notera", "Detta är en notering om Avsnitt\xa02.1."]]
    tables = [t for t in root.iter(f"{W}tbl") if t not in callouts]
    assert len(tables) == 1
    rows = [["".join(t.text or "" for t in cell.iter(f"{W}t")) for cell in row.iter(f"{W}tc")]
            for row in tables[0].iter(f"{W}tr")]
    assert rows[0] == ["kommun", "andel"]
    assert [r[0] for r in rows[1:]] == ["Åre", "Malmö", "Umeå"]
    assert [float(r[1]) for r in rows[1:]] == [0.25, 0.5, 0.75]
    pictures = list(root.iter(f"{WP}docPr"))
    assert [p.get("descr") for p in pictures] == ["Stapeldiagram över tre kommuner"]
    # every ZIP entry dated with the fixture's date (pandoc honours SOURCE_DATE_EPOCH)
    assert {info.date_time[:3] for info in archive.infolist()} == {(2015, 3, 1)}
    assert b"2015-03-01T00:00:00Z" in archive.read("docProps/core.xml")


def test_rendering_twice_gives_identical_bytes(swedish):
    _, first, _ = swedish["first"]
    _, again, _ = swedish["no_cache"]
    assert swedish["no_cache"][0].cache_hit is False
    for fmt in ("html", "pdf", "docx"):
        assert first[fmt] == again[fmt], fmt


def test_unchanged_document_hits_the_cache(swedish):
    result, outputs, err = swedish["cached"]
    assert result.cache_hit is True
    assert result.timings["execute"] == 0.0
    assert "cache hit" in err and "[1/" not in err
    assert result.cache_key == swedish["first"][0].cache_key
    for fmt in ("html", "pdf", "docx"):
        assert outputs[fmt] == swedish["first"][1][fmt], fmt


# ----------------------------------------------------------------------------- english.qmd

@pytest.fixture(scope="module")
def english(tmp_path_factory):
    out = tmp_path_factory.mktemp("en")
    result = render(FIXTURES / "english.qmd", to=("html",), out_dir=out, engine="builtin", quiet=True)
    return _Html(result.output("html").read_text(encoding="utf-8"))


def test_english_labels(english):
    links = {(a["attrs"].get("href"), _squash(a["text"])) for a in english.find("a")}
    assert {("#fig-line", "Figure\xa01"), ("#tbl-small", "Table\xa01"), ("#sec-results", "Section\xa01")} <= links
    assert _squash(english.find("figcaption")[0]["text"]) == "Figure\xa01: A straight line"
    assert _squash(english.find("caption")[0]["text"]) == "Table\xa01: A small table"
    assert english.one("html")["attrs"]["lang"] == "en"


def test_chunk_options(english):
    code = " ".join(_squash(c["text"]) for c in english.find("code"))
    text = " ".join(_squash(p["text"]) for p in english.find("p"))
    assert "hidden = 40 + 2" not in code  # include: false hides the code ...
    assert f"The hidden chunk computed {40 + 2}." in text  # ... but runs it
    assert 'raise RuntimeError("this chunk is shown but never run")' in code  # eval: false
    outputs = [p for p in english.find("pre") if "cell-output" in p["attrs"].get("class", "")]
    assert "RuntimeError" not in " ".join(_squash(p["text"]) for p in outputs)
    assert _squash(english.one("strong")["text"]) == "Bold from an asis chunk"  # output: asis
    stderr = [_squash(p["text"]) for p in english.find("div") if "cell-output-stderr" in p["attrs"].get("class", "")]
    assert len(stderr) == 1 and "visible warning" in stderr[0]  # warning: false drops the other
    assert "ipykernel_" not in stderr[0]


def test_chunk_with_two_plots_is_one_figure_in_two_parts(english):
    # fig-pair is the fixture's second fig- chunk; its fig-cap lists two captions
    assert _squash(english.one("figure", id="fig-pair-1")["text"]) == "Figure\xa02a: Left panel"
    assert _squash(english.one("figure", id="fig-pair-2")["text"]) == "Figure\xa02b: Right panel"
    links = {(a["attrs"].get("href"), _squash(a["text"])) for a in english.find("a")}
    assert {("#fig-pair", "Figure\xa02"), ("#fig-pair-2", "Figure\xa02b")} <= links


def test_dataframe_shown_in_full(english):
    table = english.one("table", id="tbl-long")
    rows = [e for e in english.find("tr")]
    # 75 rows of 60 x's in the fixture (pandas shows 60 rows and 50 characters on screen)
    body_cells = [_squash(td["text"]) for td in english.find("td")]
    assert body_cells.count("x" * 60) == 75
    assert str(74) in body_cells
    assert "..." not in table["text"] and "…" not in table["text"]
    assert len(rows) >= 75


def test_figures_under_agg_backend_as_jupyter_shows_them(english):
    # A Figure returned as a value is shown under Agg; a pyplot figure left open under
    # Agg is not (Jupyter displays none; Quarto shows none: ../shared/quarto-reference,
    # english.quarto.md has no image for fig-agg-pyplot).
    figure = english.one("figure", id="fig-agg")
    assert "A Figure object returned under the Agg backend" in _squash(figure["text"])
    assert not english.find("figure", id="fig-agg-pyplot")
    # fig-line, two panels of fig-pair, fig-agg
    assert len(english.find("img")) == 4
    code = [_squash(p["text"]) for p in english.find("div") if "cell-output" in p["attrs"].get("class", "")]
    assert not any("<Figure size" in c for c in code)


def test_kernel_runs_this_environment_and_figures_use_fig_dpi(english):
    text = " ".join(_squash(p["text"]) for p in english.find("p"))
    assert f"The kernel runs {sys.executable}." in text
    for img in english.find("img"):
        png = base64.b64decode(img["attrs"]["src"].split(",", 1)[1])
        assert _png_dpi(png) == pytest.approx(180, abs=0.1)  # fig-dpi: 180 in the fixture


# ----------------------------------------------------------------------------- parameters and the data cache

def _inline_sentence(html_path: Path) -> str:
    parsed = _Html(html_path.read_text(encoding="utf-8"))
    return next(_squash(p["text"]) for p in parsed.find("p") if "Vågen är" in p["text"])


def test_parameters_default_and_override(tmp_path, capsys):
    doc = FIXTURES / "parametrar.qmd"
    default = render(doc, to="html", out_dir=tmp_path / "default", engine="builtin", quiet=True)
    # wave = 2008 in the parameters chunk; the text shows wave and wave + 3
    assert _inline_sentence(default.output("html")).startswith(f"Vågen är 2008 och nästa våg är {2008 + 3}.")
    code = main(["render", str(doc), "--to", "html", "--out", str(tmp_path / "cli"), "--engine", "builtin",
                 "--param", "wave=2014", "--quiet"])
    assert code == 0
    assert _inline_sentence(tmp_path / "cli" / "parametrar.html").startswith(
        f"Vågen är 2014 och nästa våg är {2014 + 3}.")


def test_cache_follows_the_data_folder(tmp_path):
    doc = FIXTURES / "parametrar.qmd"
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text("x\n1\n", encoding="utf-8")
    (data / "b.csv").write_text("y\n2\n", encoding="utf-8")
    out = tmp_path / "out"
    kwargs = dict(to="html", out_dir=out, engine="builtin", quiet=True, params={"data_dir": str(data)},
                  cache_dir=tmp_path / "cache")
    first = render(doc, **kwargs)
    assert first.cache_hit is False
    # two files in the data folder this test made
    assert "Datamappen har 2 filer." in _inline_sentence(first.output("html"))
    assert render(doc, **kwargs).cache_hit is True
    # the document lists the folder and reads no file in it: a changed file cannot change
    # the output, so the execution is reused (the cache follows what the run used)
    (data / "a.csv").write_text("x\n1\n2\n", encoding="utf-8")
    assert render(doc, **kwargs).cache_hit is True
    (data / "c.csv").write_text("z\n3\n", encoding="utf-8")  # a file added
    added = render(doc, **kwargs)
    assert added.cache_hit is False
    assert "Datamappen har 3 filer." in _inline_sentence(added.output("html"))
    forced = render(doc, **{**kwargs, "cache": False})
    assert forced.cache_hit is False and forced.timings["execute"] > 0
    assert any((tmp_path / "cache").glob("parametrar-*.ipynb"))
    assert not (out / ".sbm_cache").exists()


# ----------------------------------------------------------------------------- a failing chunk

def test_failing_chunk_stops_with_label_line_source_and_traceback(tmp_path, capsys):
    doc = FIXTURES / "fel.qmd"
    out = tmp_path / "out"
    out.mkdir()
    previous = out / "fel.html"
    previous.write_text("the previous render", encoding="utf-8")
    code = main(["render", str(doc), "--to", "html,pdf,docx", "--out", str(out), "--engine", "builtin"])
    assert code != 0
    err = capsys.readouterr().err
    line = _fence_line(doc, "#| label: berakning")
    assert f"chunk 'berakning' failed, fel.qmd line {line}: ZeroDivisionError" in err
    assert f"{line + 3} | z = y / 0" in err  # the chunk's source with its .qmd line numbers
    assert "Traceback" in err and "ZeroDivisionError" in err
    # nothing written or replaced; the temporary folder is gone
    assert previous.read_text(encoding="utf-8") == "the previous render"
    assert sorted(p.name for p in out.iterdir()) == ["fel.html"]


def test_failing_chunk_error_attributes(tmp_path):
    doc = FIXTURES / "fel.qmd"
    with pytest.raises(RenderError) as info:
        render(doc, to="html", out_dir=tmp_path / "new", engine="builtin", quiet=True)
    error = info.value
    assert error.label == "berakning"
    assert error.line == _fence_line(doc, "#| label: berakning")
    assert error.source.splitlines() == ["#| label: berakning", "y = x + 1", "z = y / 0"]
    assert "ZeroDivisionError" in error.traceback
    assert not (tmp_path / "new").exists()


def test_corrupt_cache_file_is_ignored(tmp_path):
    doc = FIXTURES / "parametrar.qmd"
    out = tmp_path / "out"
    kwargs = dict(to="html", out_dir=out, engine="builtin", quiet=True, cache_dir=tmp_path / "cache")
    first = render(doc, **kwargs)
    [stored] = (tmp_path / "cache").glob("parametrar-*.ipynb")
    assert render(doc, **kwargs).cache_hit is True
    stored.write_text("{not json", encoding="utf-8")
    again = render(doc, **kwargs)
    assert again.cache_hit is False
    assert again.output("html").read_bytes() == first.output("html").read_bytes()


def test_failing_inline_expression_names_its_line(tmp_path):
    doc = FIXTURES / "fel_inline.qmd"
    with pytest.raises(RenderError) as info:
        render(doc, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True)
    lines = doc.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "`{python} 10 / n`" in text)
    assert info.value.line == line
    assert info.value.source == "10 / n"
    assert str(info.value).startswith(f"fel_inline.qmd, line {line}: the inline expression `{{python}} 10 / n` "
                                      "failed: ZeroDivisionError")


# ----------------------------------------------------------------------------- figurdiv.qmd: figures and tables as divs

FLOATS = FIXTURES / "figurdiv.qmd"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def floats(tmp_path_factory):
    """figurdiv.qmd rendered to the three formats (Quarto's figure and table divs)."""
    result = render(FLOATS, to=("html", "docx", "pdf"), out_dir=tmp_path_factory.mktemp("floats"),
                    engine="builtin", quiet=True, cache=False)
    return {f: result.output(f).read_bytes() for f in result.formats}


# What the fixture's divs must read as. Numbers: fig-forsta is the first figure (a chunk),
# the divs fig-skog, fig-alttext and fig-delar follow in reading order (2, 3, 4), the two
# divs inside fig-delar are its parts 4a and 4b (Quarto's subfigures); the table divs are
# tables 1 and 2. Captions: the div's last paragraph, with the inline values of the
# fixture's setup chunk (niva = 0.95 shown as f"{niva:.0%}", metod = "Wilson"; niva_text a
# Markdown object holding "95", a no-break space and "%").
FLOAT_CAPTIONS = [
    f"Figur{NBSP}1: En figur skriven som chunk",
    f"Figur{NBSP}2: Andelar med 95% konfidensintervall (Wilson), per kommun.",
    f"Figur{NBSP}3: En figur med egen alternativtext.",
    f"Figur{NBSP}4a: Vänster del",
    f"Figur{NBSP}4b: Höger del",
    f"Figur{NBSP}4: Två delar i en figur",
    f"Tabell{NBSP}1: Andelar per kommun med 95{NBSP}% konfidensnivå",
    f"Tabell{NBSP}2: Antal per kommun",
]
# alt texts: the chunk's fig-alt where it has one, else the figure's caption without its number
FLOAT_ALTS = ["En figur skriven som chunk", "Andelar med 95% konfidensintervall (Wilson), per kommun.",
              "Två punkter på en linje", "Vänster del", "Höger del"]


def test_figure_and_table_divs_in_html(floats):
    page = _Html(floats["html"].decode("utf-8"))
    captions = [_squash(e["text"]) for e in page.elements if e["tag"] in ("figcaption", "caption")]
    assert captions == FLOAT_CAPTIONS
    assert [e["attrs"]["id"] for e in page.find("figure")] == [
        "fig-forsta", "fig-skog", "fig-alttext", "fig-delar", "fig-delar-vanster", "fig-delar-hoger"]
    assert [e["attrs"]["id"] for e in page.find("table")] == ["tbl-andelar", "tbl-markdown"]
    assert [e["attrs"]["alt"] for e in page.find("img")] == FLOAT_ALTS
    # the caption paragraph is not left behind as body text
    assert not [p for p in page.find("p") if "Vänster del" in p["text"] or "Antal per kommun" in p["text"]]
    # a figure div's one image is written as a chunk figure's is: no paragraph around it
    assert "<p><img" not in floats["html"].decode("utf-8")
    # the references of the fixture's prose: @Fig- capitalises (already upper case in
    # Swedish's "Figur"), -@fig-delar is the number alone, a part is "4b"
    refs = [(e["attrs"]["href"], _squash(e["text"])) for e in page.find("a") if e["attrs"].get("href", "")[:5]
            in ("#fig-", "#tbl-")]
    assert refs == [
        ("#fig-forsta", f"Figur{NBSP}1"), ("#fig-skog", f"Figur{NBSP}2"), ("#fig-alttext", f"Figur{NBSP}3"),
        ("#fig-delar", "4"), ("#fig-delar-hoger", f"Figur{NBSP}4b"),
        ("#tbl-andelar", f"Tabell{NBSP}1"), ("#tbl-markdown", f"Tabell{NBSP}2"), ("#fig-skog", f"Figur{NBSP}2"),
    ]
    # code spans are never read as references or divs
    assert [_squash(e["text"]) for e in page.find("code")] == ["@fig-skog", "::: {#fig-x}"]


def test_figure_and_table_divs_in_word(floats):
    root = ElementTree.fromstring(zipfile.ZipFile(io.BytesIO(floats["docx"])).read("word/document.xml"))
    paragraphs = _docx_paragraphs(root)
    captions = [text for style, text in paragraphs if style in ("ImageCaption", "TableCaption")]
    assert captions == FLOAT_CAPTIONS
    assert [d.get("descr") for d in root.iter(f"{WP}docPr")] == FLOAT_ALTS
    body = " ".join(text for style, text in paragraphs if style == "BodyText")
    assert f"Se Figur{NBSP}1, Figur{NBSP}2, Figur{NBSP}3 och 4, vars högra del är Figur{NBSP}4b." in body
    assert f"Se Tabell{NBSP}1 och Tabell{NBSP}2 i avsnitt{NBSP}2, och Figur{NBSP}2 i avsnitt{NBSP}1." in body


def test_figure_and_table_divs_in_pdf(floats):
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(floats["pdf"])).pages)
    # compared as words: a no-break space and a line break read as a space
    text = " ".join(text.replace(NBSP, " ").split())
    positions = [text.find(caption.replace(NBSP, " ")) for caption in FLOAT_CAPTIONS]
    assert -1 not in positions, [c for c, p in zip(FLOAT_CAPTIONS, positions) if p == -1]
    assert positions == sorted(positions)
    assert "Se Figur 1, Figur 2, Figur 3 och 4, vars högra del är Figur 4b." in text


def test_table_div_without_exactly_one_table_is_an_error(tmp_path):
    doc = tmp_path / "tabell.qmd"
    doc.write_text("---\nlang: sv\n---\n\n# Del\n\n::: {#tbl-tom}\nIngen tabell här.\n\nRubrik\n:::\n\n"
                   "Se @tbl-tom.\n", encoding="utf-8")
    with pytest.raises(RenderError) as info:
        render(doc, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True)
    # "::: {#tbl-tom}" is line 7 of the text above
    assert info.value.line == 7 and info.value.label == "tbl-tom"
    assert str(info.value).startswith("tabell.qmd, line 7: the table div 'tbl-tom' holds 0 tables;")
    assert not (tmp_path / "out").exists()
