"""Unit tests of the render engine that need no Python kernel.

Every expected value is derived from the text the test writes or from the fixture
file it reads, never from the engine's own output.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from sbm_stats.cli import main
from sbm_stats.cli._render import parse_param
from sbm_stats.render import RenderError, render
from sbm_stats.render._qmd import Chunk, MarkdownBlock, parse_qmd
from sbm_stats.render._settings import read_settings
from sbm_stats.render._tables import read_html_tables, to_pipe_table

from .fixtures.fake_quarto import install_fake_quarto

FIXTURES = Path(__file__).parent / "fixtures" / "qmd"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- parser

def test_parser_reads_chunks_options_and_lines(tmp_path):
    path = _write(tmp_path, "doc.qmd", """
        ---
        title: T
        execute:
          echo: false
        ---

        Text `{python} 1 + 1` here.

        ```{python}
        #| label: fig-a
        #| fig-cap: "Caption"
        #| warning: false
        x = 1
        ```

        ```python
        ```{python}
        not a chunk
        ```

        End `{python} x`.
        """)
    doc = parse_qmd(path)
    chunks = doc.chunks
    assert len(chunks) == 1
    chunk = chunks[0]
    lines = path.read_text(encoding="utf-8").splitlines()
    # The fence line, counted from 1, is the line before '#| label: fig-a'.
    assert chunk.line == lines.index("#| label: fig-a")
    assert chunk.options.label == "fig-a"
    assert chunk.options.fig_cap == ("Caption",)
    assert chunk.options.warning is False
    assert chunk.options.echo is False  # from execute: in the front matter
    assert chunk.code == "x = 1"
    assert chunk.source.splitlines()[0] == "#| label: fig-a"
    # Inline expressions in reading order, with their lines; the fenced
    # ```python block (not executable) is prose and its {python} line is no chunk.
    inlines = doc.inlines
    assert [e.code for e in inlines] == ["1 + 1", "x"]
    assert inlines[0].line == next(i for i, t in enumerate(lines, 1) if "`{python} 1 + 1`" in t)
    assert inlines[1].line == next(i for i, t in enumerate(lines, 1) if "`{python} x`" in t)
    kinds = [type(b) for b in doc.blocks]
    assert kinds == [MarkdownBlock, Chunk, MarkdownBlock]


@pytest.mark.parametrize(
    "body, expected",
    [
        ("```{r}\n1\n```\n", "a {r} chunk cannot be run by the builtin engine"),
        ("```{python}\nx = 1\n", "is never closed"),
        ("```{python}\n#| echo: maybe\nx = 1\n```\n", "option echo ('maybe') must be true or false or 'fenced'"),
        ("```{python}\n#| label: a b\nx = 1\n```\n", "option label ('a b') must start with a letter"),
        ("```{python}\n#| label: a\n```\n\n```{python}\n#| label: a\n```\n", "label 'a' is already used"),
        ("---\ntitle: [unclosed\n---\n", "front matter is not valid YAML"),
    ],
)
def test_parser_errors_name_the_problem_and_line(tmp_path, body, expected):
    path = _write(tmp_path, "bad.qmd", body)
    with pytest.raises(RenderError, match=re.escape(expected)) as info:
        parse_qmd(path)
    assert "bad.qmd" in str(info.value)


def test_settings_dates_and_epoch(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    path = _write(tmp_path, "d.qmd", "---\ndate: 2015-03-01\nlang: sv\n---\n")
    settings = read_settings(parse_qmd(path))
    assert settings.date_text == "1 mars 2015"
    assert settings.epoch == int(dt.datetime(2015, 3, 1, tzinfo=dt.timezone.utc).timestamp())
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000000000")
    assert read_settings(parse_qmd(path)).epoch == 1000000000
    en = _write(tmp_path, "e.qmd", "---\ndate: 2015-03-01\nlang: en\ndate-format: long\n---\n")
    assert read_settings(parse_qmd(en)).date_text == "March 1, 2015"


def test_settings_reject_low_figure_resolution(tmp_path):
    path = _write(tmp_path, "d.qmd", "---\nfig-dpi: 72\n---\n")
    with pytest.raises(RenderError, match=r"fig-dpi \(72\) must be at least 150"):
        read_settings(parse_qmd(path))


# ----------------------------------------------------------------------------- tables

def test_dataframe_html_becomes_pipe_table():
    frame = pd.DataFrame({"kommun": ["Åre", "Malmö"], "andel": [0.25, 0.5]}).set_index("kommun")
    table = read_html_tables(frame.to_html())[0]
    lines = to_pipe_table(table).splitlines()
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    assert cells[0] == ["kommun", "andel"]
    # numbers right-aligned, the index left-aligned
    assert cells[1][0].startswith(":") and cells[1][1].endswith(":")
    # pandas' own display string ("0.25" in its HTML), punctuation escaped: text, never markup
    assert frame.to_html().split("<td>")[1].split("</td>")[0] == "0.25"
    assert cells[2] == ["Åre", "0\\.25"]
    assert [row[0] for row in cells[2:]] == list(frame.index)


def test_pipe_table_escapes_markdown_and_flattens_multiindex():
    columns = pd.MultiIndex.from_tuples([("a", "x|y"), ("a", "z")])
    frame = pd.DataFrame([["*b*", "$1"]], columns=columns)
    pipe = to_pipe_table(read_html_tables(frame.to_html())[0])
    header = pipe.splitlines()[0]
    assert "a x\\|y" in header and "a z" in header
    assert "\\*b\\*" in pipe and "\\$1" in pipe


# ----------------------------------------------------------------------------- arguments

@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"to": ("html", "epub")}, "to ('epub') must be one of 'html', 'pdf' or 'docx'"),
        ({"engine": "pandoc"}, "engine ('pandoc') must be one of 'auto', 'builtin' or 'quarto'"),
        ({"params": {"1x": 1}}, "parameter name ('1x') must be a Python identifier"),
        ({"params": {"x": object()}}, "parameter x (<object object"),
    ],
)
def test_render_validates_arguments(tmp_path, kwargs, message):
    with pytest.raises(RenderError) as info:
        render(FIXTURES / "utan_kod.qmd", out_dir=tmp_path / "out", quiet=True, **{"engine": "builtin", **kwargs})
    assert message in str(info.value)
    assert not (tmp_path / "out").exists()


def test_render_rejects_missing_or_non_qmd_path(tmp_path):
    with pytest.raises(RenderError, match="does not exist"):
        render(tmp_path / "nope.qmd", out_dir=tmp_path / "out", quiet=True)
    other = _write(tmp_path, "notes.md", "# x\n")
    with pytest.raises(RenderError, match="must be a Quarto document ending in .qmd"):
        render(other, out_dir=tmp_path / "out", quiet=True)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("wave=2014", ("wave", 2014)),
        ("level=0.95", ("level", 0.95)),
        ("flag=true", ("flag", True)),
        ("data_dir=../data", ("data_dir", "../data")),
        ('name="2014"', ("name", "2014")),
        ("eq=a=b", ("eq", "a=b")),
    ],
)
def test_cli_param_parsing(text, expected):
    assert parse_param(text) == expected


def test_cli_param_without_equals_is_an_error():
    with pytest.raises(RenderError, match=r"--param \('wave'\) must be written NAME=VALUE"):
        parse_param("wave")


# ----------------------------------------------------------------------------- documents without code

def test_unresolved_cross_references_are_all_reported(tmp_path):
    fixture = FIXTURES / "trasig_referens.qmd"
    with pytest.raises(RenderError) as info:
        render(fixture, to=("html",), out_dir=tmp_path / "out", engine="builtin", quiet=True)
    message = str(info.value)
    lines = fixture.read_text(encoding="utf-8").splitlines()
    for label in ("fig-saknas", "tbl-finns-inte"):
        line = next(i for i, t in enumerate(lines, 1) if f"@{label}" in t)
        assert f"@{label} (line {line})" in message
    assert "@sec-syfte" not in message.split("known labels")[0]
    assert not (tmp_path / "out").exists()


def test_document_without_code_renders_without_a_kernel(tmp_path, capsys):
    result = render(FIXTURES / "utan_kod.qmd", to=("html",), out_dir=tmp_path / "out", engine="builtin")
    html = result.output("html").read_text(encoding="utf-8")
    assert '<html lang="sv"' in html
    # no number-sections: the heading shows no number, but a reference gets it, as Quarto 1.11.0
    # wrote it for this fixture (tests/reference/quarto/utan_kod.quarto.html: "Se Avsnitt 1")
    assert '<h1 id="sec-syfte">Syfte</h1>' in html
    assert '<a href="#sec-syfte">Avsnitt\xa01</a>' in html
    err = capsys.readouterr().err
    assert "no code to run" in err
    assert f"wrote {result.output('html')}" in err
    assert result.timings["execute"] == 0.0


def test_table_div_takes_its_caption_from_tbl_cap_and_problems_stop_the_render(tmp_path):
    # Quarto: a div whose only block is the table has no caption paragraph; its
    # tbl-cap attribute is the caption (parse_floats in Quarto's filters)
    doc = _write(tmp_path, "tabell.qmd", """
        ---
        lang: sv
        ---

        ::: {#tbl-antal tbl-cap="Antal *per* kommun"}
        | kommun | antal |
        |--------|------:|
        | Åre    |     3 |
        :::

        Se @tbl-antal.
        """)
    html = render(doc, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True).output("html")
    text = html.read_text(encoding="utf-8")
    assert '<table id="tbl-antal">' in text
    assert "<caption>Tabell\u00a01: Antal <em>per</em> kommun</caption>" in text
    assert '<a href="#tbl-antal">Tabell\u00a01</a>' in text
    # two tables in one table div: an error naming the div's line (line 5 of the text above)
    two = _write(tmp_path, "tva.qmd", """
        ---
        lang: sv
        ---

        ::: {#tbl-tva}
        | a |
        |---|
        | 1 |

        | b |
        |---|
        | 2 |

        Rubrik
        :::
        """)
    with pytest.raises(RenderError, match=r"^tva.qmd, line 5: the table div 'tbl-tva' holds 2 tables;"):
        render(two, to=("html", "docx"), out_dir=tmp_path / "out2", engine="builtin", quiet=True)
    assert not (tmp_path / "out2").exists()


# ----------------------------------------------------------------------------- quarto dispatch
# How render() hands over to Quarto; the delegation itself (arguments, environment, the
# scratch copy, bad input) is tested in test_quarto_delegation.py with the same fake.

def test_auto_engine_delegates_to_quarto_on_path(tmp_path, monkeypatch):
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch)
    out = tmp_path / "out"
    result = render(FIXTURES / "utan_kod.qmd", to=("html", "pdf", "docx"), out_dir=out, quiet=True)
    assert result.engine == "quarto"
    (call,) = fake.renders()
    assert call["argv"][call["argv"].index("--to") + 1] == "html,typst,docx"
    assert "-P" not in call["argv"]
    assert result.outputs == (out / "utan_kod.html", out / "utan_kod.pdf", out / "utan_kod.docx")
    assert (out / "utan_kod.pdf").read_bytes().startswith(b"fake typst output")
    # the HTML is not self-contained (no embed-resources): its files come along
    assert sorted(p.name for p in out.iterdir()) == ["utan_kod.docx", "utan_kod.html", "utan_kod.pdf",
                                                    "utan_kod_files"]
    assert (out / "utan_kod_files" / "libs" / "quarto-html" / "quarto.js").is_file()


def test_no_cache_is_passed_to_quarto_as_no_cache(tmp_path, monkeypatch):
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch)
    render(FIXTURES / "utan_kod.qmd", to="html", out_dir=tmp_path / "out", engine="quarto", cache=False, quiet=True)
    (call,) = fake.renders()
    assert "--no-cache" in call["argv"] and "--cache-refresh" not in call["argv"]


def test_builtin_engine_ignores_quarto_on_path(tmp_path, monkeypatch):
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch)
    result = render(FIXTURES / "utan_kod.qmd", to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True)
    assert result.engine == "builtin"
    assert fake.calls() == []


def test_auto_engine_renders_with_builtin_when_quarto_is_too_old(tmp_path, monkeypatch, capsys):
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch, version="1.3.450")
    result = render(FIXTURES / "utan_kod.qmd", to="html", out_dir=tmp_path / "out")
    assert result.engine == "builtin"
    assert fake.renders() == []
    assert "Quarto 1.3.450" in capsys.readouterr().err


def test_failing_quarto_leaves_outputs_untouched(tmp_path, monkeypatch):
    install_fake_quarto(tmp_path / "bin", monkeypatch, fail="cell")
    out = tmp_path / "out"
    out.mkdir()
    old = out / "utan_kod.html"
    old.write_text("previous render", encoding="utf-8")
    with pytest.raises(RenderError, match="quarto render failed"):
        render(FIXTURES / "utan_kod.qmd", to="html", out_dir=out, engine="quarto", quiet=True)
    assert old.read_text(encoding="utf-8") == "previous render"
    assert [p.name for p in out.iterdir()] == ["utan_kod.html"]


def test_quarto_engine_without_quarto_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RenderError, match="needs a quarto executable on PATH"):
        render(FIXTURES / "utan_kod.qmd", out_dir=tmp_path / "out", engine="quarto", quiet=True)


def test_cli_quarto_dispatch_passes_only_the_overrides(tmp_path, monkeypatch, capsys):
    site = tmp_path / "site"  # papermill, importable here and in the Python Quarto is given
    (site / "papermill").mkdir(parents=True)
    (site / "papermill" / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", str(site))
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch)
    out = tmp_path / "out"
    code = main(["render", str(FIXTURES / "parametrar.qmd"), "--to", "html", "--out", str(out),
                 "--param", "wave=2014", "--param", "data_dir=../data", "--engine", "quarto"])
    assert code == 0
    (call,) = fake.renders()
    # Quarto runs the chunks in a copy of the document's folder: a data folder outside it
    # goes absolute (FIXTURES/../data), a value inside it would stay as given
    assert call["params"] == {"wave": 2014, "data_dir": str((FIXTURES.parent / "data").resolve())}
    assert capsys.readouterr().out.strip() == str(out / "parametrar.html")


# ---------------------------------------------------------------------- conditional content, page breaks, citations

@pytest.fixture(scope="module")
def villkor(tmp_path_factory):
    out = tmp_path_factory.mktemp("villkor")
    result = render(FIXTURES / "villkor.qmd", to=("html", "pdf", "docx"), out_dir=out, engine="builtin", quiet=True)
    import io
    import zipfile

    import pypdf

    html = result.output("html").read_text(encoding="utf-8")
    pdf_pages = [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(result.output("pdf")).pages]
    docx_xml = zipfile.ZipFile(io.BytesIO(result.output("docx").read_bytes())).read("word/document.xml").decode()
    return html, pdf_pages, docx_xml


def test_content_visible_and_hidden_follow_the_format(villkor):
    html, pdf_pages, docx_xml = villkor
    pdf = " ".join(pdf_pages)
    # the three divs of villkor.qmd: html only, all but html, pdf only
    assert "Bara i webbversionen." in html and "Bara i PDF" not in html
    assert "Bara i PDF och Word." in pdf and "Bara i PDF." in pdf and "webbversionen" not in pdf
    assert "Bara i PDF och Word." in docx_xml and "webbversionen" not in docx_xml and "Bara i PDF.<" not in docx_xml


def test_pagebreak_shortcode_breaks_the_page(villkor):
    html, pdf_pages, docx_xml = villkor
    assert 'w:br w:type="page"' in docx_xml
    assert "page-break-after: always" in html
    # the callout after {{< pagebreak >}} starts a new page in the PDF
    page = next(i for i, text in enumerate(pdf_pages) if "Bara i PDF." in text)
    assert "Egen rubrik" not in pdf_pages[page] and pdf_pages[page + 1].startswith("Egen rubrik Varningstext.")


def test_callout_with_title_attribute(villkor):
    html, _, docx_xml = villkor
    assert '<div class="callout callout-warning">' in html
    assert "<strong>Egen rubrik</strong>" in " ".join(html.split())
    assert "Egen rubrik" in docx_xml and "Varningstext." in docx_xml


def test_citations_use_the_bibliography(villkor):
    html, pdf_pages, _ = villkor
    # kallor.bib: author Socialstyrelsen, year 2015
    assert "Socialstyrelsen 2015" in " ".join(html.split())
    assert 'id="ref-socstyr2015"' in html
    assert "(Socialstyrelsen 2015)" in " ".join(pdf_pages)


def test_citation_without_bibliography_is_left_as_written(tmp_path):
    path = _write(tmp_path, "c.qmd", "---\ntitle: C\n---\n\nSe [@nagon2014].\n")
    html = render(path, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True).output("html")
    assert "[@nagon2014]" in html.read_text(encoding="utf-8")


def test_title_and_authors_with_markup_characters(tmp_path):
    import pypdf

    path = _write(tmp_path, "q.qmd", """
        ---
        title: 'Titel med "citat", #tecken och $'
        author:
          - 'Anna "Kalle" Ek'
          - name: Bo Öst
            affiliation: SoS
        date: 2015-03-01
        ---

        Text.
        """)
    result = render(path, to=("pdf", "html"), out_dir=tmp_path / "out", engine="builtin", quiet=True)
    meta = pypdf.PdfReader(result.output("pdf")).metadata
    assert meta["/Title"] == 'Titel med "citat", #tecken och $'
    assert meta["/Author"] == 'Anna "Kalle" Ek, Bo Öst'
    # one line per author, with the affiliation's name, as Quarto's title block (corpus framsida.qmd)
    page = " ".join(result.output("html").read_text(encoding="utf-8").split())
    assert '<p class="author">Bo Öst</p><p class="affiliation">SoS</p>' in page
    assert '<p class="author">Anna “Kalle” Ek</p>' in page  # pandoc's smart quotes, as in the title


def test_pdf_font_size_must_be_a_length(tmp_path):
    path = _write(tmp_path, "f.qmd", "---\ntitle: F\nformat:\n  pdf:\n    fontsize: 11\n---\n\nText.\n")
    with pytest.raises(RenderError, match=re.escape("fontsize ('11') must be a length such as '11pt'")):
        render(path, to="pdf", out_dir=tmp_path / "out", engine="builtin", quiet=True)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value, setup, reason", [
    ("saknas.docx", None, "there is no file"),
    ("mall.odt", lambda d: (d / "mall.odt").write_bytes(b"PK"), "'mall.odt' does not end in .docx"),
    ("trasig.docx", lambda d: (d / "trasig.docx").write_text("not a zip"), "trasig.docx is not a Word file"),
    ("[a, b]", None, "must be a Word file (.docx)"),
])
def test_reference_doc_must_be_a_word_file(tmp_path, value, setup, reason):
    if setup:
        setup(tmp_path)
    path = _write(tmp_path, "r.qmd", f"---\ntitle: R\nformat:\n  docx:\n    reference-doc: {value}\n---\n\nText.\n")
    with pytest.raises(RenderError, match=r"^r\.qmd: front matter: reference-doc \(.*\) must be a Word file") as info:
        render(path, to="html,docx", out_dir=tmp_path / "out", engine="builtin", quiet=True)
    assert reason in str(info.value)
    assert not (tmp_path / "out").exists()


def test_word_takes_an_authors_reference_doc(tmp_path):
    import io
    import zipfile

    # the author's reference document: the report's own Word output, its Heading 1 renamed in
    # its styles; a Word file made with it carries that style name
    first = _write(tmp_path, "a.qmd", "---\ntitle: A\n---\n\n# Rubrik\n\nText.\n")
    made = render(first, to="docx", out_dir=tmp_path / "a", engine="builtin", quiet=True).output("docx")
    with zipfile.ZipFile(made) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    parts["word/styles.xml"] = parts["word/styles.xml"].replace(b'w:val="heading 1"', b'w:val="Egen rubrik 1"')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    (tmp_path / "mall.docx").write_bytes(buffer.getvalue())
    second = _write(tmp_path, "b.qmd", "---\ntitle: B\nreference-doc: mall.docx\n---\n\n# Rubrik\n\nText.\n")
    out = render(second, to="docx", out_dir=tmp_path / "b", engine="builtin", quiet=True).output("docx")
    with zipfile.ZipFile(out) as z:
        assert b'w:val="Egen rubrik 1"' in z.read("word/styles.xml")


def test_word_file_has_a4_filled_contents_callout_boxes_and_fixed_tables(tmp_path):
    import zipfile
    from xml.etree import ElementTree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    path = _write(tmp_path, "w.qmd", """
        ---
        title: W
        lang: sv
        toc: true
        ---

        # Första

        ::: {.callout-note}
        ## Att notera
        Text i rutan.
        :::

        # Andra

        | a | b | c | d | e | f | g |
        |---|---|---|---|---|---|---|
        | Folkmängdsförändringen | x | stämmer | y | z | 1 | Kommunkontraktet och andrahandsuthyrningen, med mer text |
        """)
    out = render(path, to="docx", out_dir=tmp_path / "out", engine="builtin", quiet=True).output("docx")
    with zipfile.ZipFile(out) as archive:
        root = ElementTree.fromstring(archive.read("word/document.xml"))
    body = root.find(f"{w}body")
    size = body.find(f"{w}sectPr/{w}pgSz")
    assert (size.get(f"{w}w"), size.get(f"{w}h")) == ("11906", "16838")  # A4: 210 × 297 mm in twips
    toc = next(body.iter(f"{w}sdt"))
    assert ["".join(t.text for t in link.iter(f"{w}t")) for link in toc.iter(f"{w}hyperlink")] == ["Första", "Andra"]
    # the callout: Quarto's one-column table, its title row ("Att notera") kept with its text
    callout, table = list(body.iter(f"{w}tbl"))
    assert callout.find(f"{w}tblPr/{w}tblStyle").get(f"{w}val") == "Callout"
    title_row, text_row = callout.findall(f"{w}tr")
    assert "".join(t.text for t in title_row.iter(f"{w}t")) == "Att notera"
    assert all(p.find(f"{w}pPr/{w}keepNext") is not None for p in title_row.iter(f"{w}p"))
    assert "".join(t.text for t in text_row.iter(f"{w}t")) == "Text i rutan."
    assert table.find(f"{w}tblPr/{w}tblLayout").get(f"{w}type") == "fixed"
    widths = [int(c.get(f"{w}w")) for c in table.iter(f"{w}gridCol")]
    # "Folkmängdsförändringen", 22 letters, needs at least 22 × 72 twips (0.4 em of 9 pt) and the
    # cell's margins, 2 × 80: 1 744
    assert widths[0] >= 22 * 72 + 160


def test_markdown_figure_and_table_are_numbered_with_chunk_free_document(tmp_path):
    import io
    import zipfile

    import pypdf
    from matplotlib.figure import Figure  # no pyplot: no backend is chosen for the test process

    figure = Figure(figsize=(2, 1.5))
    figure.add_subplot().plot([0, 1], [0, 1])
    figure.savefig(tmp_path / "bild.png", dpi=150)
    path = _write(tmp_path, "md.qmd", """
        ---
        title: Markdown
        lang: sv
        ---

        Se @fig-bild och @tbl-md.

        ![Ett diagram över åren](bild.png){#fig-bild fig-alt="Alt-text för bilden"}

        | År   | Antal |
        |:-----|------:|
        | 2013 | 12    |

        : Antal per år {#tbl-md}
        """)
    result = render(path, to=("html", "pdf", "docx"), out_dir=tmp_path / "out", engine="builtin", quiet=True)
    # Quarto writes a non-breaking space between prefix and number (../shared/quarto-reference)
    html = re.sub(r"[ \n]+", " ", result.output("html").read_text(encoding="utf-8"))
    assert '<a href="#fig-bild">Figur\xa01</a>' in html and '<a href="#tbl-md">Tabell\xa01</a>' in html
    assert "<figcaption>Figur\xa01: Ett diagram över åren</figcaption>" in html
    assert 'alt="Alt-text för bilden"' in html and 'src="data:image/png;base64,' in html
    assert "<caption>Tabell\xa01: Antal per år</caption>" in html
    pdf = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(result.output("pdf")).pages)
    assert "Figur 1: Ett diagram över åren" in pdf and "Tabell 1: Antal per år" in pdf
    docx = zipfile.ZipFile(io.BytesIO(result.output("docx").read_bytes())).read("word/document.xml").decode()
    assert 'descr="Alt-text för bilden"' in docx and "Tabell\xa01: Antal per år" in docx


# ----------------------------------------------------------------------------- what a document may include (issue 14)

def test_image_outside_the_document_folder_is_refused_before_writing(tmp_path):
    path = _write(tmp_path, "s.qmd", "---\ntitle: S\n---\n\nText.\n\n![](/etc/passwd)\n")
    with pytest.raises(RenderError, match=r"s\.qmd, line 7: image '/etc/passwd' is outside the folders") as info:
        render(path, to=("html", "docx"), out_dir=tmp_path / "out", engine="builtin", quiet=True)
    assert "--resource-path" in str(info.value)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").glob("s.*"))


def test_raw_html_resource_and_non_image_are_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("secret", encoding="utf-8")
    (tmp_path / "fake.png").write_text("not a png", encoding="utf-8")
    for body, message in (('<img src="notes.txt">', "<img src> 'notes.txt' is not an image"),
                          ("![](fake.png)", "image 'fake.png' is not an image"),
                          ('<script src="../x.js"></script>', "<script src> '../x.js' is outside")):
        path = _write(tmp_path, "r.qmd", f"---\ntitle: R\n---\n\n{body}\n")
        with pytest.raises(RenderError, match=re.escape(message)):
            render(path, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True)


def test_image_kind_reads_magic_bytes(tmp_path):
    from sbm_stats.render._resources import image_kind

    # the signatures from the PNG, JPEG, GIF, WebP (RIFF) and PDF specifications
    for name, head, kind in (("a", b"\x89PNG\r\n\x1a\n", "png"), ("b", b"\xff\xd8\xff\xe0", "jpeg"),
                             ("c", b"GIF89a", "gif"), ("d", b"RIFF\0\0\0\0WEBPVP8 ", "webp"),
                             ("e", b"%PDF-1.7", "pdf"), ("f", b'<?xml version="1.0"?>\n<svg>', "svg"),
                             ("g", b"root:x:0:0", None)):
        (tmp_path / name).write_bytes(head)
        assert image_kind(tmp_path / name) == kind, name


def test_front_matter_lang_must_be_a_language_tag(tmp_path):
    path = _write(tmp_path, "l.qmd", '---\ntitle: L\nlang: \'sv", font: "x") #read("/etc/passwd") //\'\n---\n\nText.\n')
    with pytest.raises(RenderError, match=r"lang \(.*\) must be a language tag such as 'sv'"):
        render(path, to="pdf", out_dir=tmp_path / "out", engine="builtin", quiet=True)


def test_raw_markup_in_the_title_is_shown_as_text(tmp_path):
    path = _write(tmp_path, "t.qmd", "---\ntitle: 'A `<b>x</b>`{=html} `#pagebreak()`{=typst}'\n---\n\nText.\n")
    result = render(path, to=("html", "pdf"), out_dir=tmp_path / "out", engine="builtin", quiet=True)
    html = result.output("html").read_text(encoding="utf-8")
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    import pypdf

    assert pypdf.PdfReader(result.output("pdf")).metadata["/Title"] == "A <b>x</b> #pagebreak()"


def test_inline_plain_text_is_escaped_as_quarto_does():
    from sbm_stats.render._markdown import _escaped_plain

    # jupyter-inline.ts asEscapedMarkdown: quotes dropped, backslashes doubled, then
    # backslash and the punctuation of its character class escaped
    assert _escaped_plain(repr("11\xa0270")) == "11\\\\\\\\xa0270"
    assert _escaped_plain(repr("a*b")) == "a\\*b"
    assert _escaped_plain("42") == "42"


@pytest.mark.parametrize("margins, text_width", [
    # A4 is 11906 twips wide (210 mm); 1 in = 1440 twips and 2.54 cm = 1 in (ECMA-376 ST_UniversalMeasure):
    # 11906 - 1440 - 1440 = 9026
    ('w:left="1in" w:right="2.54cm"', 9026),
    ('w:left="1440" w:right="1440"', 9026),
    # no left margin: not a width to go by, the report's own (A4 less its 2.5 cm margins, 1417 twips
    # each, templates/report.typ): 11906 - 2 * 1417 = 9072
    ('w:right="1440"', 9072),
])
def test_word_tables_take_the_text_width_of_an_authors_reference_doc(tmp_path, margins, text_width):
    """A reference document whose page margins are lengths with units, or lack one, is read (it ended
    in a TypeError or ValueError traceback when the tables' widths were fixed)."""
    import io
    import zipfile

    first = _write(tmp_path, "a.qmd", "---\ntitle: A\n---\n\nText.\n")
    made = render(first, to="docx", out_dir=tmp_path / "a", engine="builtin", quiet=True).output("docx")
    with zipfile.ZipFile(made) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    document = parts["word/document.xml"].decode("utf-8")
    assert len(re.findall(r"<w:pgMar\b", document)) == 1
    document = re.sub(r'w:left="\d+" ', "", re.sub(r'w:right="\d+" ', "", document))
    parts["word/document.xml"] = document.replace("<w:pgMar ", f"<w:pgMar {margins} ").encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    (tmp_path / "mall.docx").write_bytes(buffer.getvalue())
    words = " ".join(f"ord{i:02d}ord" for i in range(30))  # three such columns: wider than the page, which
    second = _write(tmp_path, "b.qmd", f"---\ntitle: B\nreference-doc: mall.docx\n---\n\n"  # the table fills
                                       f"| a | b | c |\n|---|---|---|\n| {words} | {words} | {words} |\n")
    out = render(second, to="docx", out_dir=tmp_path / "b", engine="builtin", quiet=True).output("docx")
    with zipfile.ZipFile(out) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    (width,) = re.findall(r'<w:tblW w:type="dxa" w:w="(\d+)"', xml)
    assert abs(int(width) - text_width) <= 3  # three columns, each rounded to a whole twip


@pytest.mark.parametrize("stored", ["inte JSON", '{"blocks": []}', "[1, 2]"])
def test_a_stored_reading_that_is_not_pandocs_tree_is_read_again(tmp_path, stored):
    """pandoc's reading of the markdown, kept with the stored execution (``sbm_readings``), is used only
    when it is a tree; otherwise the markdown is read again, as the store's docstring promises for a
    stored entry ("a miss with a warning, never an error"); it ended in a JSONDecodeError or KeyError."""
    import json

    (tmp_path / "doc").mkdir()
    path = _write(tmp_path / "doc", "d.qmd", "---\ntitle: T\n---\n\n```{python}\nx = 2\n```\n\n"
                                             "Värdet är `{python} x + 1`.\n")
    store = tmp_path / "cache"
    render(path, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True, cache_dir=store)
    (entry,) = store.glob("*.ipynb")
    nb = json.loads(entry.read_text(encoding="utf-8"))
    (key,) = nb["metadata"]["sbm_readings"]
    nb["metadata"]["sbm_readings"][key] = stored
    entry.write_text(json.dumps(nb), encoding="utf-8")
    again = render(path, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True, cache_dir=store)
    assert again.cache_hit
    assert "Värdet är 3." in again.output("html").read_text(encoding="utf-8")  # 2 + 1
