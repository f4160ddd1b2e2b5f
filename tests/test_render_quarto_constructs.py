"""Quarto constructs the builtin engine carries out as Quarto 1.11.0 does, or refuses with the line.

The expected texts are Quarto's, read from its outputs of the corpus documents
(``tests/reference/quarto/corpus/``, see ``corpus/OBSERVATIONS.md``); the documents here
are small variants written for each case. Documents without code start no kernel.
Every refused document leaves no output folder behind and its own folder unchanged.
"""

from __future__ import annotations

import html
import io
import re
import textwrap
import zipfile
from pathlib import Path

import pytest

from sbm_stats.render import RenderError, render
from sbm_stats.render._qmd import parse_qmd

from .fixtures.fake_quarto import install_fake_quarto


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def _refused(path: Path, out: Path) -> RenderError:
    before = sorted(p.name for p in path.parent.iterdir())
    with pytest.raises(RenderError) as caught:
        render(path, to=("html", "docx"), out_dir=out, engine="builtin", quiet=True, cache=False)
    assert not out.exists()
    assert sorted(p.name for p in path.parent.iterdir()) == before
    assert "Traceback" not in str(caught.value)
    return caught.value


def _html_text(page: str) -> str:
    """The page's text: tags dropped (a heading's number and its text stay apart by their own space)."""
    body = page.split("<body", 1)[-1]
    return re.sub(r"[ \t\n\r]+", " ", html.unescape(re.sub(r"<[^>]+>", "", body)))


# ----------------------------------------------------------------------------- callout headings

CALLOUTS = """
    ---
    title: Rutor
    lang: sv
    number-sections: true
    ---

    ::: {.callout-note}
    ## Om rapporten

    En ruta före första kapitlet.
    :::

    # Resultat {#sec-resultat}

    ::: {.callout-important}
    ## Rekommendation

    Rubriken ovan är rutans titel.
    :::

    ## Avsnitt efter rutan {#sec-efter}

    ::: {.callout-important}
    ## Rekommendation

    En ruta till.
    :::

    ## Nästa avsnitt {#sec-nasta}

    Se @sec-efter och @sec-nasta.
    """


def test_a_heading_that_opens_a_callout_is_its_title_and_takes_no_number(tmp_path):
    # corpus rutor.qmd under Quarto 1.11.0: "# Resultat" is 2, the callout's "## Rubrik inuti rutan"
    # its title ("<span class="screen-reader-only">Notera</span>Rubrik inuti rutan"), the next "##"
    # 2.1 (HTML "2.1", Word "2.1 Avsnitt efter rutan", level-1 "1." in Word). Here: no "0.1" for the
    # callout before the first chapter, and the sections after two callouts are 1.1 and 1.2.
    path = _write(tmp_path, "rutor.qmd", CALLOUTS)
    result = render(path, to=("html", "docx", "pdf"), out_dir=tmp_path / "out", engine="builtin", quiet=True)
    page = result.output("html").read_text(encoding="utf-8")
    text = _html_text(page)
    squashed = " ".join(page.split())
    assert '<span class="screen-reader-only">Notera</span><strong>Om rapporten</strong>' in squashed
    assert '<span class="screen-reader-only">Viktigt</span><strong>Rekommendation</strong>' in squashed
    assert "0.1" not in text and "<h2" not in page.split('id="sec-resultat"')[0]
    assert "1 Resultat" in text and "1.1 Avsnitt efter rutan" in text and "1.2 Nästa avsnitt" in text
    assert "Se Avsnitt\xa01.1 och Avsnitt\xa01.2." in text

    with zipfile.ZipFile(io.BytesIO(result.output("docx").read_bytes())) as docx:
        xml = docx.read("word/document.xml").decode()
    headings = ["".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", p))
                for p in re.findall(r'<w:pStyle w:val="Heading\d" />.*?</w:p>', xml)]
    assert headings == ["1. Resultat", "1.1 Avsnitt efter rutan", "1.2 Nästa avsnitt"]

    import pypdf

    pdf = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(result.output("pdf")).pages)
    assert "1.1 Avsnitt efter rutan" in pdf and "1.2 Nästa avsnitt" in pdf
    assert "Rekommendation" in pdf and "0.1" not in pdf and "1.1 Rekommendation" not in pdf


def test_numbered_callout_offset_and_shift_read_as_quarto(tmp_path):
    # corpus rutor.qmd: "#nte-x" is titled "Notera 1: Ruta med id" and @nte-x gives "Note 1";
    # avsnitt_offset.qmd: number-offset [3, 1] gives "4 Första kapitlet", "4.2 Ett underavsnitt",
    # and @sec- to the chapter "Avsnitt 4.1"
    path = _write(tmp_path, "n.qmd", """
        ---
        lang: sv
        number-sections: true
        number-offset: [3, 1]
        ---

        # Första kapitlet {#sec-forsta}

        ## Ett underavsnitt {#sec-under}

        ::: {#nte-x .callout-note}
        ## Ruta med id

        Text.
        :::

        Se @nte-x, @sec-forsta och @sec-under.
        """)
    html = render(path, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True).output("html")
    text = _html_text(html.read_text(encoding="utf-8"))
    assert "4 Första kapitlet" in text and "4.2 Ett underavsnitt" in text
    assert "Notera\xa01: Ruta med id" in text
    assert "Se Note\xa01, Avsnitt\xa04.1 och Avsnitt\xa04.2." in text


# ----------------------------------------------------------------------------- refused constructs


@pytest.mark.parametrize(
    "body, line, words",
    [
        # inline_bruten.qmd: Quarto fails the whole render on this one
        ("Text `{python} 1 +\n1` och mer.\n", 5, "the inline expression `{python} 1 + 1` is wrapped across"),
        # inline.qmd: valid Python, which Quarto evaluates but leaves as code
        ("Rad ett.\n\nVärdet `{python} round(7 /\n2, 1)` här.\n", 7, "is wrapped across a line break"),
        ("Koden ``` `` `{python} 1 + 1` `` ``` visas.\n", 5, "holds an inline expression"),
        ("Version {{< var version >}} här.\n", 5, "{{< var version >}} (line 5)"),
        ("Okänd {{< meta saknas >}} nyckel.\n", 5, "{{< meta saknas >}} (line 5)"),
        ("{{< video https://example.org/v.mp4 >}}\n", 5, "{{< video https://example.org/v.mp4 >}} (line 5)"),
    ],
)
def test_a_construct_quarto_reads_otherwise_fails_the_render_with_its_line(tmp_path, body, line, words):
    path = _write(tmp_path / "src", "doc.qmd", "---\nlang: sv\n---\n\n" + body)
    error = _refused(path, tmp_path / "out")
    assert words in str(error)
    assert f"line {line}" in str(error)


def test_meta_shortcode_shows_quoted_front_matter_text_as_written(tmp_path):
    """Quarto reads front matter by YAML 1.2 and keeps a quoted "1e5" as text; pandoc reads the
    engine's metadata file by YAML 1.2 too, where PyYAML left 1e5 unquoted, a number: the page said
    "Version 100000". The file is JSON now, every string quoted."""
    path = _write(tmp_path / "src", "doc.qmd", '---\ntitle: "2014"\nversion: "1e5"\nkod: "0115"\n'
                  'svar: "yes"\nlang: sv\n---\n\nVersion {{< meta version >}}, kod {{< meta kod >}}, '
                  'svar {{< meta svar >}}.\n')
    result = render(path, to=("html", "docx"), out_dir=tmp_path / "out", engine="builtin", quiet=True, cache=False)
    page = result.output("html").read_text(encoding="utf-8")
    assert "Version 1e5, kod 0115, svar yes." in _html_text(page)
    assert "<title>2014</title>" in page
    with zipfile.ZipFile(result.output("docx")) as docx:
        assert "Version 1e5, kod 0115, svar yes." in re.sub(r"<[^>]+>", "", docx.read("word/document.xml").decode())


def test_include_pastes_the_file_numbered_and_referable(tmp_path):
    # villkor_kortkoder.qmd: the included "##" is numbered in the including document (3.1) and
    # @sec-del gives "Avsnitt 3.1"
    src = tmp_path / "src"
    _write(src, "delar/_del.qmd", "## Inkluderad del {#sec-del}\n\nFrån delen.\n")
    path = _write(src, "doc.qmd", """
        ---
        lang: sv
        number-sections: true
        ---

        # Ett

        # Två

        # Tre

        {{< include delar/_del.qmd >}}

        Se @sec-del.
        """)
    html = render(path, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True).output("html")
    text = _html_text(html.read_text(encoding="utf-8"))
    assert "3.1 Inkluderad del" in text and "Från delen." in text and "Se Avsnitt\xa03.1." in text


@pytest.mark.parametrize(
    "include, words",
    [
        ("_saknas.qmd", "the included file '_saknas.qmd' does not exist"),
        ("../utanfor.qmd", "the included file '../utanfor.qmd' is outside the document's folder"),
        ("/../utanfor.qmd", "is outside the document's folder"),
    ],
)
def test_an_include_missing_or_outside_the_tree_fails_with_its_line(tmp_path, include, words):
    _write(tmp_path, "utanfor.qmd", "Utanför.\n")
    path = _write(tmp_path / "src", "doc.qmd", f"---\nlang: sv\n---\n\nText.\n\n{{{{< include {include} >}}}}\n")
    error = _refused(path, tmp_path / "out")
    assert str(error).startswith("doc.qmd, line 7: ") and words in str(error)
    assert error.line == 7


def test_an_error_in_an_included_file_names_that_file_and_its_line(tmp_path):
    src = tmp_path / "src"
    _write(src, "_del.qmd", "Rad ett.\n\nVärdet `{python} 1 +\n2`.\n")
    path = _write(src, "doc.qmd", "---\nlang: sv\n---\n\nText.\n\n{{< include _del.qmd >}}\n\nSlut.\n")
    error = _refused(path, tmp_path / "out")
    assert str(error).startswith("_del.qmd, line 3: the inline expression")
    assert "included by doc.qmd" in str(error)


def test_an_include_that_includes_itself_is_refused(tmp_path):
    path = _write(tmp_path / "src", "doc.qmd", "---\nlang: sv\n---\n\n{{< include doc.qmd >}}\n")
    error = _refused(path, tmp_path / "out")
    assert "includes nest more than 10 deep" in str(error)


@pytest.mark.parametrize(
    "front, words",
    [
        ("number-offset: [1, x]", "doc.qmd: front matter: number-offset ([1, 'x']) must be a whole number of 0"),
        ("number-offset: -1", "doc.qmd: front matter: number-offset (-1) must be a whole number of 0 or more"),
        ("shift-heading-level-by: one", "doc.qmd: front matter: shift-heading-level-by ('one') must be a whole"),
        ("format:\n  docx:\n    number-offset: [a]", "front matter: format: docx: number-offset (['a'])"),
        ("bibliography: x.bib\nnocite: Exempel", "front matter: nocite ('Exempel') must list citation keys"),
        # an internal error (int('2) x')) before
        ('toc: true\ntoc-depth: "2) x"',
         "doc.qmd: front matter: toc-depth ('2) x') must be a whole number from 1 to 6"),
        ("format:\n  html:\n    number-depth: 0",
         "front matter: format: html: number-depth (0) must be a whole number"),
        ("toc-depth: true", "doc.qmd: front matter: toc-depth (True) must be a whole number from 1 to 6"),
    ],
)
def test_bad_numbering_options_are_refused(tmp_path, front, words):
    path = _write(tmp_path / "src", "doc.qmd", f"---\nlang: sv\n{front}\n---\n\n# Rubrik\n")
    assert words in str(_refused(path, tmp_path / "out"))


def test_chunks_and_inline_expressions_keep_their_lines_in_the_document_after_an_include(tmp_path):
    # doc.qmd: front matter lines 1-3, the include on line 5 (the two-line _del.qmd with a chunk
    # and an inline expression), a chunk fenced on line 7 and an inline expression on line 11
    _write(tmp_path, "_del.qmd", "```{python}\nx = 1\n```\n\nDelen visar `{python} x`.\n")
    path = _write(tmp_path, "doc.qmd", "---\nlang: sv\n---\n\n{{< include _del.qmd >}}\n\n"
                                       "```{python}\ny = 2\n```\n\nVärdet `{python} y`.\n")
    doc = parse_qmd(path)
    assert [(c.code, c.line) for c in doc.chunks] == [("x = 1", 5), ("y = 2", 7)]
    assert [(i.code, i.line) for i in doc.inlines] == [("x", 5), ("y", 11)]


def test_code_fold_folds_the_code_under_its_summary_in_html_only(tmp_path):
    # chunkval.qmd: code-fold with code-summary "Visa koden" gives <details class="code-fold">
    # <summary>Visa koden</summary> in HTML; Word shows the code unfolded; without code-summary
    # the Swedish summary is "Kod" (OBSERVATIONS.md). The chunks do not run (eval: false).
    path = _write(tmp_path, "fold.qmd", """
        ---
        lang: sv
        ---

        ```{python}
        #| eval: false
        #| code-fold: true
        #| code-summary: "Visa <koden>"
        summa = 1
        ```

        ```{python}
        #| eval: false
        #| code-fold: show
        andra = 2
        ```
        """)
    result = render(path, to=("html", "docx"), out_dir=tmp_path / "out", engine="builtin", quiet=True)
    page = result.output("html").read_text(encoding="utf-8")
    assert '<details class="code-fold">\n<summary>Visa &lt;koden&gt;</summary>' in page
    assert '<details class="code-fold" open>\n<summary>Kod</summary>' in page
    assert page.index("summa <span") > page.index("Visa &lt;koden&gt;") and page.count("</details>") == 2
    with zipfile.ZipFile(io.BytesIO(result.output("docx").read_bytes())) as docx:
        xml = docx.read("word/document.xml").decode()
    assert "summa " in xml and "Visa" not in xml and "Kod" not in xml


def test_a_wrapped_inline_expression_stops_a_render_by_quarto_too(tmp_path, monkeypatch):
    # Quarto itself shows a valid wrapped expression as code (inline.qmd): the render stops
    # before Quarto is called, naming the line, whichever engine renders
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch)
    path = _write(tmp_path / "src", "doc.qmd", "---\nlang: sv\n---\n\n```{r}\nx <- 1\n```\n\n"
                                               "Värdet `{python} round(7 /\n2, 1)` här.\n")
    with pytest.raises(RenderError) as caught:
        render(path, to="html", out_dir=tmp_path / "out", engine="quarto", quiet=True)
    assert str(caught.value).startswith("doc.qmd, line 9: the inline expression `{python} round(7 / 2, 1)`")
    assert fake.renders() == [] and not (tmp_path / "out").exists()


def test_title_block_lists_authors_with_affiliations_and_keywords_as_text(tmp_path):
    # framsida.qmd under Quarto: one line per author, the affiliation's name only
    # ("Exempeluniversitetet"; department and city dropped), and the keywords
    # "boende, äldre, enkät". Raw HTML in the front matter stays text.
    path = _write(tmp_path, "fram.qmd", """
        ---
        title: Boende
        lang: sv
        author:
          - name: Åsa Öberg
            affiliations:
              - name: Exempeluniversitetet
                city: Göteborg
          - name: Per Ek
            affiliations: ["<b>Byrån</b>"]
          - Lisa Ås
        keywords: [boende, äldre]
        ---

        Text.
        """)
    page = render(path, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True).output("html")
    page = " ".join(page.read_text(encoding="utf-8").split())
    assert '<p class="author">Åsa Öberg</p><p class="affiliation">Exempeluniversitetet</p>' in page
    assert '<p class="affiliation">&lt;b&gt;Byrån&lt;/b&gt;</p>' in page and "<b>Byrån" not in page
    assert '<p class="author">Lisa Ås</p></div>' in page and "Göteborg" not in page
    assert '<div class="keywords-title">Nyckelord</div> <p>boende, äldre</p>' in page


def test_an_appendix_section_moves_to_the_end_in_html_only_and_keeps_its_number(tmp_path):
    # avsnitt.qmd: "# Bilaga med data {.appendix}" becomes the level-2 "3 Bilaga med data" in
    # <div id="quarto-appendix"> at the end of the HTML page, while "4 Avslutning" keeps
    # counting; Word keeps the source order ("3. Bilaga med data" before "4. Avslutning")
    path = _write(tmp_path, "app.qmd", """
        ---
        lang: sv
        number-sections: true
        ---

        # Ett

        # Två

        # Bilaga med data {#sec-bilaga .appendix}

        ## Tabeller

        Bilagans text.

        # Avslutning

        Se @sec-bilaga.
        """)
    result = render(path, to=("html", "docx"), out_dir=tmp_path / "out", engine="builtin", quiet=True)
    page = re.sub(r"[ \t\r\n]+", " ", result.output("html").read_text(encoding="utf-8"))
    appendix = page.index('<div id="quarto-appendix" class="default">')
    assert page.index("4</span> Avslutning") < appendix < page.index("3</span> Bilaga med data")
    assert re.search(r'<h2 [^>]*class="appendix quarto-appendix-heading"[^>]*><span class="header-section-number">3'
                     r"</span> Bilaga med data</h2>", page)
    assert re.search(r"<h3[^>]*><span class=\"header-section-number\">3.1</span> Tabeller</h3>", page)
    assert "Se <a href=\"#sec-bilaga\">Avsnitt\xa03</a>." in page
    with zipfile.ZipFile(io.BytesIO(result.output("docx").read_bytes())) as docx:
        xml = docx.read("word/document.xml").decode()
    text = "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml))
    assert text.index("3. Bilaga med data") < text.index("3.1 Tabeller") < text.index("4. Avslutning")


# ----------------------------------------------------------------------------- ids, titles and attributes


def test_a_figure_div_keeps_its_attributes_in_the_order_written(tmp_path):
    # pandoc writes an element's attributes in the order the document gives them; a figure div's
    # (after its fig-cap is taken as the caption) came out in a different order at each run, so that
    # two renders of one text differed (seen: "data-a data-c data-d data-b data-e"); five
    # attributes in the written order by chance: 1 in 5! = 120
    (tmp_path / "bild.png").write_bytes((Path(__file__).parent / "reference" / "quarto" / "corpus" / "bild.png")
                                        .read_bytes())
    path = _write(tmp_path, "f.qmd", """
        ---
        lang: sv
        ---

        ::: {#fig-a fig-cap="Bild" data-a="1" data-b="2" data-c="3" data-d="4" data-e="5"}
        ![](bild.png)
        :::
        """)
    page = render(path, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True).output("html")
    tag = re.search(r'<[a-z]+ id="fig-a"[^>]*>', page.read_text(encoding="utf-8")).group(0)
    assert re.findall(r"(data-[a-e])=", tag) == ["data-a", "data-b", "data-c", "data-d", "data-e"]
    assert "fig-cap" not in tag


def test_a_callout_id_with_any_character_is_a_label_not_typst_code(tmp_path):
    # a callout written as raw HTML may have an id with any character; written as "<id>" after the
    # callout's #metadata, "nte-1> #panic(...) <b" ran as Typst code and stopped the PDF
    path = _write(tmp_path, "c.qmd", """
        ---
        lang: sv
        ---

        <div id="nte-1&gt; #panic(&quot;injected&quot;) &lt;b" class="callout-note">

        En ruta.

        </div>

        Text efter rutan.
        """)
    import pypdf

    result = render(path, to="pdf", out_dir=tmp_path / "out", engine="builtin", quiet=True)
    text = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(result.output("pdf")).pages)
    assert "En ruta." in text and "Text efter rutan." in text


def test_a_callout_title_attribute_is_read_as_markdown_and_an_empty_one_is_none(tmp_path):
    # title="" is no title: the heading that opens the callout is its title (else the kind's word);
    # a title whose markdown is a block other than a paragraph (a list item) gives its text. Both
    # stopped pandoc: the first with a Lua traceback, the second with "Inline expected, got Blocks"
    path = _write(tmp_path, "t.qmd", """
        ---
        lang: sv
        ---

        ::: {.callout-note title=""}
        ## Rubrik i rutan

        En ruta.
        :::

        ::: {.callout-tip title="- punkt *fet*"}
        En ruta till.
        :::
        """)
    result = render(path, to=("html", "docx", "pdf"), out_dir=tmp_path / "out", engine="builtin", quiet=True)
    page = " ".join(result.output("html").read_text(encoding="utf-8").split())
    assert '<span class="screen-reader-only">Notera</span><strong>Rubrik i rutan</strong>' in page
    assert '<span class="screen-reader-only">Tips</span><strong>punkt <em>fet</em></strong>' in page
    assert "<h2" not in page.split('class="callout callout-note"')[1].split("</div>")[0]


def test_tbl_colwidths_on_a_table_sets_its_columns_widths(tmp_path):
    # corpus tabeller.qmd, ": Kolumnbredder satta med attribut {#tbl-bredd tbl-colwidths="[20,80]"}":
    # Quarto 1.11.0's HTML has <col style="width: 20%"> and <col style="width: 80%"> (and Word the
    # grid columns 1584 and 6336 twips: 20 and 80 % of 7920). A list of another length is unused.
    path = _write(tmp_path, "b.qmd", """
        ---
        lang: sv
        ---

        | Kort | En längre kolumn med mer text |
        |------|-------------------------------|
        | a    | b                             |

        : Kolumnbredder satta med attribut {#tbl-bredd tbl-colwidths="[20,80]"}

        | Kort | Lång |
        |------|------|
        | a    | b    |

        : Fel antal bredder {#tbl-fel tbl-colwidths="[20,30,50]"}
        """)
    page = render(path, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True).output("html")
    tables = page.read_text(encoding="utf-8").split("<table")[1:]
    assert re.findall(r'<col style="width: (\d+)%"', tables[0]) == ["20", "80"]
    assert "<col " not in tables[1]


def test_tbl_colwidths_chunk_option_sets_the_widths_of_the_chunks_table(tmp_path):
    # corpus tabeller.qmd, chunk tbl-md with "#| tbl-colwidths: [30, 70]": Quarto 1.11.0's HTML has
    # <col style="width: 30%"> and <col style="width: 70%"> (tests/reference/quarto/corpus/tabeller.quarto.html)
    path = _write(tmp_path, "c.qmd", """
        ---
        lang: sv
        ---

        ```{python}
        #| label: tbl-md
        #| tbl-cap: "Markdown-tabell från kod"
        #| tbl-colwidths: [30, 70]
        from IPython.display import Markdown
        Markdown("| Kommun | Andel |\\n|---|---:|\\n| Åre | 25,0 |")
        ```
        """)
    page = render(path, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True, cache=False)
    assert re.findall(r'<col style="width: (\d+)%"', page.output("html").read_text(encoding="utf-8")) == ["30", "70"]


@pytest.mark.parametrize("value", ["30", "[30, x]", "[0, 100]", "[true, 50]"])
def test_a_bad_tbl_colwidths_chunk_option_is_refused_with_its_line(tmp_path, value):
    path = _write(tmp_path / "src", "doc.qmd", "---\nlang: sv\n---\n\n```{python}\n#| label: tbl-x\n"
                                               f"#| tbl-colwidths: {value}\n1\n```\n")
    error = _refused(path, tmp_path / "out")
    assert "tbl-colwidths" in str(error) and "must be a list of widths in per cent" in str(error)
    assert "line 5" in str(error)
