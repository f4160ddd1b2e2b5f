"""Traced values: the model, a fixture rendered to HTML, Word and PDF, the values file, the
diff command, the coverage count and the bad inputs.

Expected numbers come from the data package's rows (``data/published_figures.csv``: the
publication's 11 270 and 16 386 flats, 16 of 29 municipalities; ``data/municipalities.csv``:
SCB's population 2013 of Upplands Väsby 41 449 and Vallentuna 31 616) and from hand
computation shown beside them; none is copied from a rendered file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pypdf
import pytest

from sbm_stats import cli
from sbm_stats.provenance import VALUES_COLUMNS
from sbm_stats.render import RenderError, number_coverage, render
from sbm_stats.report import fmt_int, fmt_pct
from sbm_stats.report.values import (
    ShownValue,
    TracedText,
    ValueRegistry,
    ValueSource,
    ValueTraceError,
    diff_values,
    figure_values,
    read_values_file,
    traced_table,
)

FIXTURES = Path(__file__).parent / "fixtures" / "qmd"
NBSP = "\u00a0"
FLATS_2013 = "published_figures:bme.flats_2013:value"
FLATS_2008 = "published_figures:bme.flats_2008:value"


# ----------------------------------------------------------------------------- the model

@pytest.fixture
def reg() -> ValueRegistry:
    return ValueRegistry()


def test_read_carries_row_source_and_text(reg):
    value = reg.read("published_figures", "bme.flats_2013", "value", fmt=fmt_int)
    assert (value.id, value.raw, value.formatted) == (FLATS_2013, 16386, f"16{NBSP}386")
    assert (value.table, value.row, value.column) == ("published_figures", "bme.flats_2013", "value")
    assert value.source.id == "socstyr_2015"
    assert value.source.section == "Den sekundära bostadsmarknaden fortsätter att öka / Boverkets resultat"
    assert value.source.url is None  # sources.csv gives the publication no URL


def test_external_source_has_its_url(reg):
    value = reg.read("published_figures", "ext.bme_flats_2013_archileaks", "value")
    assert value.source.url == "http://archileaks.se/wiki/sekundara_bostadsmarknaden/"
    assert value.source.section is None


def test_table_level_source_when_rows_have_none(reg):
    # datapackage.json lists the municipalities table's sources for the whole table
    value = reg.read("municipalities", "0114", "population_2013", fmt=fmt_int)
    assert value.formatted == f"41{NBSP}449"
    assert value.source.id == "scb_municipality_codes scb_be0101n1"


def test_derived_value_shows_its_computation(reg):
    after = reg.read("published_figures", "bme.flats_2013", "value", fmt=fmt_int)
    before = reg.read("published_figures", "bme.flats_2008", "value", fmt=fmt_int)
    # 16 386 / 11 270 - 1 = 0.45395 -> 45,4 %
    growth = reg.derive("bme.growth", after.raw / before.raw - 1, "{after} / {before} − 1",
                        inputs={"after": after, "before": before}, fmt=lambda x: fmt_pct(x, decimals=1))
    assert growth.computation.text == f"16{NBSP}386 / 11{NBSP}270 − 1 = 45,4{NBSP}%"
    assert growth.computation.input_ids == (FLATS_2013, FLATS_2008)
    # the span names the value by its tag (a class); its id and provenance reach the render once,
    # from the registry
    span = f'\\[45\\\\,4{NBSP}\\\\%\\]\\{{\\.sbm-value \\.sbm-v-[0-9a-f]{{10}}\\}}'
    assert re.fullmatch(span, growth._repr_markdown_())


@pytest.fixture
def shown(monkeypatch):
    """A fresh record of the values shown (as in a render's own kernel process)."""
    from sbm_stats.report import values

    monkeypatch.setattr(values, "_SHOWN", values._ShownValues())
    return values.shown_values


def test_registry_holds_each_shown_value_once_with_its_inputs(reg, shown):
    after = reg.read("published_figures", "bme.flats_2013", "value", fmt=fmt_int)
    before = reg.read("published_figures", "bme.flats_2008", "value", fmt=fmt_int)
    growth = reg.derive("bme.growth", after.raw / before.raw - 1, "{after} / {before} − 1",
                        inputs={"after": after, "before": before}, fmt=lambda x: fmt_pct(x, decimals=1))
    assert shown() == {"values": {}}  # nothing shown yet
    spans = {growth.markdown() for _ in range(3)}
    assert len(spans) == 1
    registry = shown()["values"]
    assert list(registry) == ["bme.growth", FLATS_2013, FLATS_2008]
    [(tag, record)] = registry["bme.growth"].items()
    assert f".sbm-v-{tag}}}" in spans.pop()
    assert record["inputs"] == [FLATS_2013, FLATS_2008]
    assert record["input-tags"] == [next(iter(registry[FLATS_2013])), next(iter(registry[FLATS_2008]))]
    assert record["computation"] == f"16{NBSP}386 / 11{NBSP}270 − 1 = 45,4{NBSP}%"
    # data/published_figures.csv: bme.flats_2013 has the value 16386, source socstyr_2015
    [flats] = registry[FLATS_2013].values()
    assert (flats["raw"], flats["source"], flats["table"]) == ("16386", "socstyr_2015", "published_figures")


def test_registry_keeps_two_values_under_one_id_apart(shown):
    # two registries, one id, two rows: both kept, each under its tag; the render judges
    # only what the document shows (test_two_registries_showing_one_id_fail_the_render)
    a = ValueRegistry().read("published_figures", "res.forced_moves", "count", id="x")
    b = ValueRegistry().read("published_figures", "res.forced_moves", "base", id="x")
    span_a, span_b = a.markdown(), b.markdown()
    variants = shown()["values"]["x"]
    assert sorted(r["formatted"] for r in variants.values()) == ["16", "29"]  # 16 of 29
    assert span_a != span_b and all(f".sbm-v-{tag}}}" in (span_a + span_b) for tag in variants)


def test_a_tag_names_one_ids_value_even_when_two_digests_agree(shown, monkeypatch):
    """A span names its value by the tag alone: two ids whose 5-byte digests agreed (forced here)
    get tags apart, the second a longer digest; one id's same value keeps its one tag."""
    from sbm_stats.report import values

    real = values._tag
    monkeypatch.setattr(values, "_tag", lambda value, size=5: "0000000000" if size == 5 else real(value, size))
    a = ValueRegistry().read("published_figures", "res.forced_moves", "count", id="a")
    b = ValueRegistry().read("published_figures", "res.forced_moves", "count", id="b")
    again = ValueRegistry().read("published_figures", "res.forced_moves", "count", id="a")
    span_a, span_b, span_again = a.markdown(), b.markdown(), again.markdown()
    assert span_a == span_again == "[16]{.sbm-value .sbm-v-0000000000}"
    registry = shown()["values"]
    [tag_b] = registry["b"]
    assert len(tag_b) == 20 and tag_b == real(b, 10) and span_b == f"[16]{{.sbm-value .sbm-v-{tag_b}}}"
    assert list(registry["a"]) == ["0000000000"]


def _document(path: Path, code: list[str], prose: str) -> Path:
    """A document at ``path``: front matter (lines 1-4), a chunk whose ``code`` starts on line 7, then ``prose``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\ntitle: Prov\nlang: sv\n---\n\n```{python}\n" + "\n".join(code) + f"\n```\n\n{prose}\n",
                    encoding="utf-8")
    return path


@pytest.mark.slow
def test_a_value_built_but_not_shown_does_not_fail_the_render(tmp_path):
    # a phrase made with the unclaimed value and never shown; the claimed value is shown
    doc = _document(tmp_path / "fras.qmd", [
        "from sbm_stats.report.values import ValueRegistry, TracedText",
        "reg = ValueRegistry()",
        "v = reg.read('published_figures', 'res.forced_moves', 'count')",
        "phrase = TracedText.join(v, ' av 29')",
        "v = reg.claimed(v, 'res.forced_moves')",
    ], "Talet `{python} v`.")
    result = render(doc, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True, cache=False)
    with result.values_file.open(encoding="utf-8", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["formatted"], row["claim"]) == ("16", "res.forced_moves")


@pytest.mark.slow
def test_a_span_must_show_its_values_text(tmp_path):
    # code shows 16; a span written by hand names the same value but shows 99
    doc = _document(tmp_path / "gammal.qmd", [
        "from sbm_stats.report.values import ValueRegistry",
        "v = ValueRegistry().read('published_figures', 'res.forced_moves', 'count')",
    ], 'Talet `{python} v`; förr [99]{.sbm-value data-value-id="published_figures:res.forced_moves:count"}.')
    with pytest.raises(RenderError, match=r"\(line 11\): shown text '16' and '99'"):
        render(doc, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True, cache=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_provenance_from_data_is_text_in_every_writer(tmp_path):
    """A source's citation with characters XML may not hold and markup, and a javascript: address:
    the values filter writes its raw HTML, Typst and WordprocessingML without them, as text, no link."""
    import html
    import xml.etree.ElementTree as ET

    citation = "Källa\\ufffe \\uffff\\x1b\\x85\\ud800 <b>RAW</b> </w:t></w:r></w:p><w:p> #strong[TYPST]"
    doc = _document(tmp_path / "kalla.qmd", [
        "#| echo: false",
        "from sbm_stats.report.values import ValueRegistry, ValueSource, ShownValue",
        f"src = ValueSource('k', '{citation}', ' JaVaScRiPt:alert(1)')",
        "v = ShownValue(ValueRegistry().given('k:v', 16, source=src, table='t', row='r', column='c'))",
        # a text from data with a line break and two spaces, shown as a reader sees it: one space each
        "w = ShownValue(ValueRegistry().given('k:w', 16, source=src, formatted='cirka  16\\n000'))",
    ], "Talet `{python} v` (`{python} w`); för hand [7]{.sbm-value data-value-id=\"hand\" data-raw=\"7\" "
       "data-source=\"h\" data-source-citation=\"Hand\ufffe\x1b <i>x</i>\" data-source-url=\"javascript:alert(2)\"}.")
    # the appendix in the document itself, so that each writer's raw HTML, Typst and WordprocessingML carries it
    doc.write_text(doc.read_text(encoding="utf-8").replace("lang: sv\n", "lang: sv\nvalues-appendix: inline\n", 1),
                   encoding="utf-8")
    result = render(doc, to=("html", "pdf", "docx"), out_dir=tmp_path / "out", engine="builtin", quiet=True,
                    cache=False)
    # the citations without the characters XML may not hold: the Python record drops them
    # from the first, the filter from the one a span written by hand carries
    shown = "Källa <b>RAW</b> </w:t></w:r></w:p><w:p> #strong[TYPST]"
    page = result.output("html").read_text(encoding="utf-8")
    assert html.escape(shown, quote=False) in " ".join(page.split()) and "<b>" not in page
    assert "Hand &lt;i&gt;x&lt;/i&gt;" in page and "<i>" not in page
    assert not re.search(r'href="\s*javascript', page, re.IGNORECASE)
    with zipfile.ZipFile(result.output("docx")) as docx:
        document = ET.fromstring(docx.read("word/document.xml"))  # parses: nothing XML may not hold
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    words = " ".join("".join(t.text or "" for t in document.iter(f"{w}t")).split())
    assert shown in words and "Hand <i>x</i>" in words
    assert not any(r.get("TargetMode") == "External" for r in ET.fromstring(
        zipfile.ZipFile(result.output("docx")).read("word/_rels/document.xml.rels")))
    pdf = " ".join(page.extract_text() for page in pypdf.PdfReader(str(result.output("pdf"))).pages)
    assert "#strong[TYPST]" in " ".join(pdf.split())


def test_a_computation_that_cannot_be_written_is_refused(reg):
    value = reg.read("published_figures", "res.forced_moves", "count")
    with pytest.raises(ValueTraceError, match=r"value 'half': the computation '\{m:\.1f\} / 2' cannot be written"):
        reg.derive("half", value.raw / 2, "{m:.1f} / 2", inputs={"m": value})


def test_a_row_given_as_a_number_is_text_in_the_record(reg):
    import numpy as np

    value = reg.given("rad", 5, source=ValueSource("x", "Källa x."), table="t", row=np.int64(2), column="c")
    assert value.record()["row"] == "2"


def test_claim_links_the_audit_verdict(reg):
    from sbm_stats.audit import audit

    verdicts = {c.id: c.verdict for c in audit().claims}
    value = reg.read("published_figures", "res.forced_moves", "count")
    linked = reg.claimed(value, "res.forced_moves")
    assert (linked.claim, linked.verdict) == ("res.forced_moves", verdicts["res.forced_moves"])
    assert reg[value.id].claim == "res.forced_moves"
    with pytest.raises(ValueTraceError, match="'no.claim' does not exist"):
        reg.claimed(value, "no.claim")


def test_reading_the_same_cell_twice_is_one_value(reg):
    a = reg.read("published_figures", "res.forced_moves", "count")
    assert reg.read("published_figures", "res.forced_moves", "count") is a
    assert len(reg) == 1


@pytest.mark.parametrize("call, message", [
    (lambda r: r.read("published_figures", "no.such_row", "value"),
     (r"value 'published_figures:no.such_row:value': the row 'no.such_row' does not exist in the table "
     r"published_figures \(key figure_id\)")),
    (lambda r: r.read("published_figures", "res.forced_moves", "nope"),
     r"the column 'nope' does not exist in the table published_figures \(columns: figure_id, "),
    (lambda r: r.read("no_table", "x", "y"), r"table \('no_table'\) must be one of 'sources', "),
    (lambda r: r.read("published_figures", "bme.flats_2013", "count"),
     r"row 'bme.flats_2013' has no value in the column 'count'"),
    (lambda r: r.read("wave_measures", "bme_municipalities", "figure_id"),
     r"has the key \(measure_id, wave\); row \('bme_municipalities'\) must give 2 value\(s\)"),
    (lambda r: r.derive("x", 1, "{a} / {b}", inputs={"a": r.read("published_figures", "res.forced_moves",
                                                                     "count")}),
     r"value 'x': the computation '\{a\} / \{b\}' names the unknown input\(s\) 'b' \(given: 'a'\)"),
    (lambda r: r.derive("x", 1, "{a}", inputs={"a": ValueRegistry().read("published_figures",
                                                                          "res.forced_moves", "count")}),
     r"value 'x': the input 'a' \('published_figures:res.forced_moves:count'\) is not a value of this registry"),
    (lambda r: r.read("published_figures", "res.forced_moves", "count", id="n") and
     r.read("published_figures", "res.forced_moves", "base", id="n"),
     (r"value 'n': two different values under one id \('16' from published_figures, row 'res.forced_moves', "
     r"column 'count', and '29' from published_figures, row 'res.forced_moves', column 'base'\)")),
    (lambda r: r.read("published_figures", "res.forced_moves", "count", id="has space"),
     r"id \('has space'\) must start with a letter or digit"),
])
def test_bad_values_are_refused_with_id_and_what_is_missing(reg, call, message):
    with pytest.raises(ValueTraceError, match=message):
        call(reg)


def test_traced_table_and_figure_values(reg):
    population = reg.column("municipalities", "population_2013", rows=["0114", "0115"], fmt=fmt_int)
    assert [v.formatted for v in population] == [f"41{NBSP}449", f"31{NBSP}616"]
    table = traced_table(pd.DataFrame({"Kommun": ["Upplands Väsby", "Vallentuna"], "Invånare": list(population)}),
                         index=False)
    lines = table.splitlines()
    # the rule line by render._tables.pipe_rule's rule, worked by hand: "Kommun" is text, its
    # longest cell 14 characters ("Upplands Väsby") + 3 + 6 (a short column) = 23, left-aligned;
    # "Invånare" is numbers, its header 8 + 2 (bold) = 10, + 3 + 6 = 19, right-aligned
    assert lines[:2] == ["| Kommun | Invånare |", "|:" + "-" * 22 + "|" + "-" * 18 + ":|"]
    assert re.match(f"\\| Upplands Väsby \\| \\[41{NBSP}449\\]{{\\.sbm-value \\.sbm-v-[0-9a-f]{{10}}}}", lines[2])
    listed = figure_values({"2008": reg.read("published_figures", "bme.flats_2008", "value", fmt=fmt_int)})
    assert listed.startswith(f"Värden i figuren: 2008 [11{NBSP}270]{{.sbm-value ")


# ----------------------------------------------------------------------------- a rendered fixture

@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("values") / "out"
    result = render(FIXTURES / "varden.qmd", to="html,docx,pdf", out_dir=out, engine="builtin", quiet=True,
                    cache=False)
    return result


# The fixture shows ten traced values: 11 270, 16 386, 45,4 %, 16, 29, 55 % in the prose,
# 41 449 and 31 616 in the table, and 11 270 and 16 386 again under the figure.
SHOWN = 10
IDS = [FLATS_2008, FLATS_2013, "bme.growth", "published_figures:res.forced_moves:count",
       "published_figures:res.forced_moves:base", "res.forced_moves_share",
       "municipalities:0114:population_2013", "municipalities:0115:population_2013"]


@pytest.mark.slow
def test_html_numbers_are_buttons_with_a_note(rendered):
    html = rendered.output("html").read_text(encoding="utf-8")
    # in the text (eight: six in the prose, two under the figure): a tab stop each, named for what it
    # opens, its note right after it (read next), one per place it is shown
    text = re.findall(r'<button type="button" class="sbm-value" popovertarget="([^"]+)" id="(plats-[^"]+)" '
                      r'aria-label="([^"]+)" data-value-id="[^"]+">([^<]+)</button>'
                      r'<span popover id="([^"]+)" class="sbm-value-note" role="note">', html)
    assert len(text) == SHOWN - 2
    assert all(target == note and label == f"{shown}, källa och beräkning"
               for target, _, label, shown, note in text)
    # in the table (two): out of the tab order; their notes after the table, and one stop for the
    # table, a list of its values
    table = re.findall(r'<button type="button" class="sbm-value" tabindex="-1" popovertarget="([^"]+)" '
                       r'id="(plats-[^"]+)"', html)
    assert len(table) == 2
    for target, _ in table:
        assert html.count(f'<span popover id="{target}" class="sbm-value-note" role="note">') == 1
    assert len(re.findall(r'<details class="sbm-values-of"><summary>Tabell\xa01: källa och beräkning för 2 värden'
                          r'</summary>', html)) == 1
    places = [place for _, place, *_ in text] + [place for _, place in table]
    assert len(set(places)) == SHOWN
    assert "<script" not in html  # no script: the popover attribute does the work
    # every link to the appendix lands on an entry
    anchors = set(re.findall(r'href="#(varde-[^"]+)"', html))
    assert anchors == {f"varde-{i}" for i in IDS}
    for anchor in anchors:
        assert f'id="{anchor}"' in html
    # the appendix is where the document put it: after the table, in #sifferforteckning
    assert html.index('id="sifferforteckning"') > html.index('id="tbl-befolkning"')
    # one heading: the document's own, above its div (the filter adds one only when the
    # document gives the appendix no place)
    assert len(re.findall(r"<h\d[^>]*>[^<]*Sifferförteckning", html)) == 1
    # the growth's note: computation and verdict in Swedish
    assert f"16{NBSP}386 / 11{NBSP}270 − 1 = 45,4{NBSP}%" in html
    # the claim by its wording (data/audit/claims_2014.yaml), its id after it in code style
    assert ("”Den sekundära bostadsmarknaden har ökat med cirka 45 procent sedan 2008” "
            "<code>bme.growth_flats_publication</code>, granskningens utfall: stämmer") in html


@pytest.mark.slow
def test_values_file_lists_every_value_where_it_appears(rendered):
    assert rendered.values_file == rendered.output("html").parent / "varden.values.csv"
    with rendered.values_file.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == VALUES_COLUMNS
    by_id = {r["id"]: r for r in rows}
    assert list(by_id) == IDS
    assert by_id[FLATS_2013]["section"] == "1 Boverkets kartläggning; 1.1 Påtvingade flyttningar"
    assert by_id["bme.growth"]["inputs"] == f"{FLATS_2013} {FLATS_2008}"
    assert by_id["bme.growth"]["claim"] == "bme.growth_flats_publication"
    assert by_id["res.forced_moves_share"]["computation"] == f"16 / 29 = 55{NBSP}%"  # 16/29 = 0.5517
    assert by_id["municipalities:0115:population_2013"]["raw"] == "31616"


@pytest.mark.slow
def test_word_numbers_link_to_their_entries(rendered):
    with zipfile.ZipFile(rendered.output("docx")) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    links = re.findall(r'<w:hyperlink w:anchor="(varde_\d+)"', xml)
    bookmarks = set(re.findall(r'<w:bookmarkStart w:id="\d+" w:name="(varde_\d+)"', xml))
    assert len([a for a in links]) >= SHOWN
    assert set(links) <= bookmarks and len(bookmarks) == len(IDS)


@pytest.mark.slow
def test_pdf_numbers_link_inside_the_document(rendered):
    reader = pypdf.PdfReader(rendered.output("pdf"))
    internal = 0
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            action = annot.get("/A")
            if "/Dest" in annot or (action is not None and action.get_object().get("/S") == "/GoTo"):
                internal += 1
    # each shown number links to its entry, and the text's one cross-reference ("se Tabell 1")
    # to its table; the PDF's appendix names the inputs of a computation, unlinked
    assert internal == SHOWN + 1
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Sifferförteckning" in text
    # 45,4 % = 16 386 / 11 270 − 1: its entry names both inputs
    assert "indata: published_figures:bme.flats_2013:value, published_figures:bme.flats_2008:value" \
        in " ".join(text.split())


# ----------------------------------------------------------------------------- coverage

@pytest.mark.slow
def test_fully_traced_fixture_has_no_untraced_number(rendered):
    coverage = number_coverage(rendered.output("html").read_text(encoding="utf-8"))
    assert coverage.traced == SHOWN
    assert coverage.ok, str(coverage)


@pytest.mark.slow
def test_coverage_finds_the_untraced_number(tmp_path):
    result = render(FIXTURES / "varden_lucka.qmd", to="html", out_dir=tmp_path, engine="builtin", quiet=True)
    coverage = number_coverage(result.output("html").read_text(encoding="utf-8"))
    # varden_lucka.qmd writes "en ökning med 45,4 procent" by hand
    assert [u.text for u in coverage.untraced] == ["45,4"]
    assert "ökning med 45,4 procent" in coverage.untraced[0].context
    assert coverage.traced == SHOWN - 1


@pytest.mark.parametrize("body, untraced", [
    ("<p>Åren 2008–2013 och år 2014.</p>", []),                       # years
    ("<p>Den 1 mars 2015 och 2015-03-01.</p>", []),                  # dates
    ('<h2><span class="header-section-number">2.1</span> Urval</h2>', []),
    ("<p>Se avsnitt 2.1 och kapitel 3.</p>", []),                     # section numbers in prose
    ("<p>Boverket [14] och [1]-[20].</p>", []),                       # reference numbers
    ('<p>Se <a href="#fig-a">Figur 3</a>.</p><table><caption>Tabell 2: x</caption></table>', []),
    ("<p><code>x = 42</code></p><pre>17</pre>", []),                   # code
    (f"<p>Det var 1{NBSP}234,5 lägenheter och −3 procent.</p>", [f"1{NBSP}234,5", "−3"]),
    ("<table><tr><td>Malmö</td><td>12</td></tr></table>", ["12"]),
    ("<p>Åtta kommuner, 25 % av dem, och 1900-talet.</p>", ["25"]),
    ('<p><span class="sbm-value">12</span> och 13</p>', ["13"]),       # Quarto's span, no filter
])
def test_coverage_exclusions(body, untraced):
    coverage = number_coverage(f"<html><body><main>{body}</main></body></html>")
    assert [u.text for u in coverage.untraced] == untraced


# ----------------------------------------------------------------------------- diff

def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=VALUES_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _run(args: list[str], monkeypatch) -> tuple[int, str, str]:
    # sbm_stats/cli/__init__.py lists the command modules; add ours if it is not there yet
    monkeypatch.setattr(cli, "COMMAND_MODULES", tuple(dict.fromkeys((*cli.COMMAND_MODULES,
                                                                     "sbm_stats.cli._values"))))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(args)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.slow
def test_diff_after_a_data_correction(rendered, tmp_path, monkeypatch):
    old = rendered.values_file
    rows = list(csv.DictReader(old.open(encoding="utf-8", newline="")))
    for row in rows:  # a correction of the 2013 count: 16 386 -> 16 400; growth 16400/11270 - 1 = 45,5 %
        if row["id"] == FLATS_2013:
            row.update(raw="16400", formatted=f"16{NBSP}400")
        if row["id"] == "bme.growth":
            row.update(raw=str(16400 / 11270 - 1), formatted=f"45,5{NBSP}%")
    new = _write(tmp_path / "new.values.csv", rows)
    code, out, _ = _run(["values", "diff", str(old), str(new)], monkeypatch)
    assert code == 1
    assert f"changed  bme.growth (i 1 Boverkets kartläggning): 45,4{NBSP}% -> 45,5{NBSP}%; why: " \
           f"{FLATS_2013}: published_figures, row bme.flats_2013, column value: 16386 -> 16400" in out
    assert f"changed  {FLATS_2013} (i 1 Boverkets kartläggning; 1.1 Påtvingade flyttningar)" in out
    assert out.strip().endswith("2 of 8 values differ")
    assert _run(["values", "diff", str(old), str(old)], monkeypatch)[:2] == (0, ("no number changed (8 values "
                                                                               "compared)\n"))


def test_diff_added_and_removed():
    row = dict.fromkeys(VALUES_COLUMNS, "")
    a = {"x": {**row, "id": "x", "raw": "1", "formatted": "1", "section": "1 A"}}
    b = {"y": {**row, "id": "y", "raw": "2", "formatted": "2", "section": "2 B"}}
    assert [str(c) for c in diff_values(a, b).changes] == ["removed  x (i 1 A): 1", "added    y (i 2 B): 2"]


@pytest.mark.parametrize("content, message", [
    ("id,raw\nx,1\n", r"line 1: not a values file: the column\(s\) section, formatted, "),
    (",".join(VALUES_COLUMNS) + "\n" + "x" + "," * 12 + "\n" + "x" + "," * 12 + "\n",
     r"line 3: the id 'x' is listed twice"),
    (b"\xff\xfe", r"cannot be read as a values file"),
])
def test_diff_bad_files(tmp_path, monkeypatch, content, message):
    bad = tmp_path / "bad.values.csv"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ValueTraceError, match=message):
        read_values_file(bad)
    code, _out, err = _run(["values", "diff", str(bad), str(bad)], monkeypatch)
    assert code == 2 and str(bad) in err and "Traceback" not in err


def test_diff_missing_file(tmp_path, monkeypatch):
    code, _, err = _run(["values", "diff", str(tmp_path / "no.csv"), str(tmp_path / "no.csv")], monkeypatch)
    assert code == 2 and "no.csv: cannot be read as a values file (No such file or directory)" in err


# ----------------------------------------------------------------------------- bad input in a render

BAD_SETUP = """---
title: Fel
lang: sv
---

```{{python}}
#| label: varden
from sbm_stats.report.values import ValueRegistry
reg = ValueRegistry()
a = reg.read("published_figures", "res.forced_moves", "count")
{line}
```

Talet är `{{python}} a`.
"""


@pytest.mark.slow
@pytest.mark.parametrize("line, message", [
    ('b = reg.read("published_figures", "res.no_row", "count")',
     "value 'published_figures:res.no_row:count': the row 'res.no_row' does not exist"),
    ('b = reg.derive("andel", 0.5, "{a} / {bas}", inputs={"a": a})',
     "value 'andel': the computation '{a} / {bas}' names the unknown input(s) 'bas'"),
    ('b = reg.read("published_figures", "res.forced_moves", "base", id=a.id)',
     "value 'published_figures:res.forced_moves:count': two different values under one id"),
])
def test_render_fails_with_the_value_and_the_chunk(tmp_path, line, message):
    doc = tmp_path / "doc" / "fel.qmd"
    doc.parent.mkdir()
    doc.write_text(BAD_SETUP.format(line=line), encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(RenderError) as info:
        render(doc, to="html", out_dir=out, engine="builtin", quiet=True, cache=False)
    text = str(info.value)
    assert message in text
    assert "varden" in text and "line 6" in text  # the chunk's label and its line in the .qmd
    assert not out.exists()
    assert sorted(p.name for p in doc.parent.iterdir()) == ["fel.qmd"]


@pytest.mark.slow
def test_two_spans_with_one_id_fail_in_the_filter(tmp_path):
    # no kernel: the spans are written by hand, as two registries would write them
    doc = tmp_path / "spann.qmd"
    doc.write_text("---\ntitle: Spann\nlang: sv\n---\n\nFörst [12]{.sbm-value data-value-id=\"x\" data-raw=\"12\"}.\n\n"
                   "Sedan [13]{.sbm-value data-value-id=\"x\" data-raw=\"13\"}.\n", encoding="utf-8")
    with pytest.raises(RenderError, match=r"two different values under one id:\n  - 'x' \(line 6\): raw '12' and '13'"):
        render(doc, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_nonce_of_digits_and_one_e_still_marks_the_places(tmp_path, monkeypatch):
    """The mark of where a number's button goes reaches values.lua through the metadata's YAML,
    which pandoc reads by YAML 1.2: token_hex's '1855719119186e19' (drawn in a test run) was a
    number there, no mark matched and the render failed, one render in a thousand."""
    from sbm_stats.render import _pandoc

    monkeypatch.setattr(_pandoc.secrets, "token_hex", lambda n: "1855719119186e19")
    doc = tmp_path / "tal.qmd"
    doc.write_text("---\ntitle: Tal\nlang: sv\n---\n\nTalet [12]{.sbm-value data-value-id=\"x\" data-raw=\"12\"}.\n",
                   encoding="utf-8")
    result = render(doc, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True, cache=False)
    html = result.output("html").read_text(encoding="utf-8")
    assert re.search(r'<button type="button" class="sbm-value" popovertarget="[^"]+" id="plats-x-1"[^>]*>12</button>',
                     html)
    assert "sbm-values:" not in html


@pytest.mark.slow
def test_two_registries_showing_one_id_fail_the_render(tmp_path):
    # each registry is consistent on its own; the render's registry holds both: refused
    doc = _document(tmp_path / "doc" / "tva.qmd", [
        "from sbm_stats.report.values import ValueRegistry",
        "a = ValueRegistry().read('published_figures', 'res.forced_moves', 'count', id='x')",
        "b = ValueRegistry().read('published_figures', 'res.forced_moves', 'base', id='x')",
    ], "Först `{python} a`, sedan `{python} b`.")
    out = tmp_path / "out"
    # data/published_figures.csv: res.forced_moves is 16 of 29
    with pytest.raises(RenderError, match=r"two different values under one id.*\n  - 'x' \(line 8\): raw '16' "
                                          r"and '29'"):
        render(doc, to="html", out_dir=out, engine="builtin", quiet=True, cache=False)
    assert not out.exists()
    assert sorted(p.name for p in doc.parent.iterdir()) == ["tva.qmd"]


@pytest.mark.slow
def test_span_naming_a_value_no_code_showed_fails(tmp_path):
    # a span written by hand with an id alone: no registry record, no fields of its own
    doc = tmp_path / "okand.qmd"
    doc.write_text("---\ntitle: Okänd\nlang: sv\n---\n\nTalet [12]{.sbm-value data-value-id=\"okand\"}.\n",
                   encoding="utf-8")
    with pytest.raises(RenderError, match=r"did not show.*\n  - 'okand' \(line 6\)"):
        render(doc, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_document_without_values_writes_no_values_file(tmp_path):
    shutil.copy(FIXTURES / "utan_kod.qmd", tmp_path / "utan_kod.qmd")
    result = render(tmp_path / "utan_kod.qmd", to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True)
    assert result.values_file is None
    assert "Sifferförteckning" not in result.output("html").read_text(encoding="utf-8")


def test_md_format_spec_gives_the_traced_span_and_plain_format_the_text(reg):
    value = ShownValue(reg.read("published_figures", "bme.flats_2013", "value", fmt=fmt_int))
    # Socialstyrelsen (2015), Boverkets resultat: 16 386 flats in 2013
    assert f"{value}" == "16\xa0386"
    assert re.fullmatch(r"\[16\xa0386\]\{\.sbm-value \.sbm-v-[0-9a-f]{10}\}", f"{value:md}")


def test_joined_text_is_text_and_keeps_its_straight_quotes(reg):
    value = reg.read("published_figures", "res.forced_moves", "count")
    joined = TracedText.join("'*drygt* hälften': ", value)
    assert str(joined) == "'*drygt* hälften': 16"
    # every ASCII punctuation mark escaped (sbm_stats._markup.escape_markdown): no emphasis,
    # and quotes that pandoc's smart punctuation leaves straight
    assert joined._repr_markdown_().startswith("\\'\\*drygt\\* hälften\\'\\: [16]")
