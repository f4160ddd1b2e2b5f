"""The report's objects: inline values are the publication's numbers, formatted in Swedish;
the design annex's words come from the design file; the intervals mark small bases and
keep the finite population correction out of the results table."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from sbm_stats.report import Markdown, Report, number_in_words
from sbm_stats.report.formatting import NBSP


@pytest.fixture(scope="module")
def R():
    return Report.load()


def test_inline_values_are_the_publications(R):
    f = R.figures
    # Resultat / Informellt påtvingade flyttningar: 'Drygt hälften (16 stycken)' of 29.
    assert (f.count("res.forced_moves"), f.base("res.forced_moves")) == ("16", "29")
    assert f.verbal("res.forced_moves") == "drygt hälften"
    # Även barnfamiljer tvingas flytta: 'I fyra av kommunerna'.
    assert f.count_in_words("res.family_moves") == "fyra"
    # Boverkets resultat: 16 386 flats in 2013; 16 386 / 11 270 - 1 = 45.4 %.
    assert f.value("bme.flats_2013") == f"16{NBSP}386"
    assert f.growth("bme.flats_2008", "bme.flats_2013", decimals=1) == f"45,4{NBSP}%"
    # (16 386 - 11 270) / 5 = 1 023.2
    assert f.per_year("bme.flats_2008", "bme.flats_2013") == f"1{NBSP}023"
    # Förord: 'tredje gången'.
    assert f.ordinal("ctx.mapping_round") == "tredje"
    # Metod / Urval av kommuner: the four of the first phase; footnote 3: Bjuv did not take part.
    assert R.interviews.names("fixed_large") == "Stockholm, Göteborg, Malmö och Helsingborg"
    assert R.interviews.declined() == "Bjuv"


def test_inline_values_are_markdown(R):
    """Both engines insert text/markdown alike; a plain str would be shown as its repr by Quarto."""
    values = [R.figures.count("res.forced_moves"), R.figures.verbal("res.forced_moves"),
              R.interviews.declined(), R.intervals.level, R.design.text.sizes_sum, R.audit.claims]
    assert all(isinstance(v, Markdown) for v in values)


@pytest.mark.parametrize("n, gender, text", [(0, "en", "noll"), (1, "en", "en"), (1, "ett", "ett"),
                                             (12, "en", "tolv"), (13, "en", "13"), (2000, "en", f"2{NBSP}000")])
def test_number_in_words(n, gender, text):
    assert number_in_words(n, gender=gender) == text


def test_unknown_figure_is_a_clear_error(R):
    with pytest.raises(ValueError, match="no.such"):
        R.figures.count("no.such")
    with pytest.raises(ValueError, match="bme.flats_2013 has no count"):
        R.figures.count("bme.flats_2013")
    with pytest.raises(ValueError, match=r"group \('nope'\) must be one of: fixed_large, other_selected"):
        R.interviews.names("nope")


def test_tables_have_their_rows(R):
    assert len(R.publication.table_vulnerability()) == 4          # Tabell 1: four levels
    assert len(R.interviews.table_sample()) == 30                 # Metod: 30 asked
    assert list(R.publication.table_housing_solutions().columns) == [
        "Akutboende", "Övergångsboende", "Långsiktigt boende"]
    results = R.intervals.table_results()
    assert (results["Antal"] == "16 av 29").sum() == 2  # forced moves, and 'does not crowd out'
    waves = R.waves.table()
    assert len(waves) == 18 and (waves["Anmärkning"] != "").all()


def test_results_table_has_no_finite_population_column_and_marks_small_bases(R):
    results = R.intervals.table_results()
    assert list(results.columns) == ["Fråga", "Antal", "Andel", f"95{NBSP}% KI", "Bas"]
    # Även barnfamiljer tvingas flytta: the four follow-ups are 'x av 4', the only bases below 10.
    small = results.loc[results["Bas"] == "liten bas", "Antal"]
    assert len(small) == 4 and all(a.endswith(" av 4") for a in small)
    assert (results.loc[results["Bas"] == "", "Antal"].str.endswith(" av 29")).all()


def test_intervals_in_the_prose(R):
    i = R.intervals
    # Wilson 95 % for 16 of 29 (z = 1.959964, z² = 3.841459): centre (16 + z²/2)/(29 + z²)
    # = 17.92073/32.84146 = 0.54567, half-width z·sqrt(16·13/29 + z²/4)/(29 + z²)
    # = 1.959964·sqrt(8.132776)/32.84146 = 1.959964·2.85180/32.84146 = 0.17019:
    # 0.3755 to 0.7159, shown as 38–72 %.
    assert i.interval("res.forced_moves") == f"38–72{NBSP}%"
    assert i.share("res.forced_moves") == f"55{NBSP}%"      # 16/29 = 0.5517
    assert (i.level, i.method_name, i.population) == (f"95{NBSP}%", "Wilsons metod", "290")
    # With the correction (issue 22, D3/D6), as R survey for an SRS without replacement: Cochran's
    # v = (1 - 29/290) p q / 28 and t with 28 df. Wilson's formula with n_eff = p q / v = 31.1111 and
    # t_{0.975, 28} = 2.048407 (tables: 2.048) in place of z: t²/n_eff = 0.134871, centre
    # (p + t²/2n_eff)/(1 + t²/n_eff) = 0.619160/1.134871 = 0.545577, half-width
    # t·sqrt(pq/n_eff + t²/4n_eff²)/(1 + t²/n_eff) = 2.048407·0.095045/1.134871 = 0.171553:
    # 0.3740 to 0.7171 (width 0.3431 against 0.3404 without), shown as 37–72 %.
    assert i.interval("res.forced_moves", finite_population=True) == f"37–72{NBSP}%"
    f = "res.forced_moves"
    # 29/290 = 10 %; sqrt(0.9) = 0.948683; sqrt(29/28) = 1.017700; 28 df; t 2.048, z 1.960
    assert (i.fpc_fraction(f), i.fpc_se_factor(f), i.unbiased_se_factor(f), i.fpc_df(f)) == (
        f"10{NBSP}%", "0,949", "1,018", "28")
    assert (i.quantile(f), i.quantile()) == ("2,048", "1,960")
    assert (i.width(f), i.width(f, finite_population=True)) == ("34,0", "34,3")
    # Korn & Graubard: R survey 4.1 svyciprop(~y, svydesign(ids = ~1, fpc = ~N), method = "beta") for
    # 16 of 29 from 290 gives 0.3638012-0.7294244 (tests/reference/survey_r.csv, srs_fpc, beta, 0.95)
    assert i.korn_graubard(f) == f"36–73{NBSP}%"


def test_design_words_come_from_the_design_file(R):
    d = R.design.text
    # data/design/2014.yaml: stages 4 fixed, 8 Kronofogden picks, draws 8, 7, 1 and 2; 30 in all
    assert d.sizes_sum == "4 + 8 + 8 + 7 + 1 + 2 = 30"
    assert (d.stage_count, d.total, d.fixed_or_extreme) == ("sex", "30", "12")
    assert d.already_selected == "nästa kommun i rangordningen väljs"       # already_selected: next
    # the skip variant (open_assumptions a1_a2: skip_enlarged): draws of 10 and 9
    assert (d.size("bme_children", alternative="skip_enlarged"),
            d.size("bme_takeover", alternative="skip_enlarged")) == ("10", "9")
    assert d.already_selected_under("skip_enlarged") == "kommunen hoppas över"
    # issue 22, D2: certain or extreme picks are 4 + 8 = 12 in the design, 30 - (10 + 9 + 1 + 2) = 8
    # under skip_enlarged (the eight picks then include already selected ones, which are skipped)
    assert d.fixed_or_extreme_under("skip_enlarged") == "8"
    assert d.per_inhabitant == f"10{NBSP}000 invånare enligt folkmängd 31 december 2013"
    assert d.open_tags == "A1+A2, A5, A9 och A10"
    assert d.tag("a1_a2") == "A1+A2"
    assert d.how_chosen("supplement_no_answer") == "drogs slumpmässigt"
    # 2 x 2 x 2 x 2 combinations of the four open assumptions
    assert d.variant_count == "16"


def test_an_edited_design_file_changes_the_words(tmp_path, data_dir):
    """Editing the design file changes the annex's phrases: nothing is typed twice."""
    copy = tmp_path / "wave"
    shutil.copytree(data_dir, copy)
    path = copy / "design" / "2014.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("already_selected: next", "already_selected: skip")
    text = text.replace("ties: lowest_code", "ties: error")
    text = text.replace("per: 10000", "per: 1000")
    path.write_text(text, encoding="utf-8")
    annex = Report.load(data_dir=copy).design
    d = annex.text
    assert d.already_selected == "kommunen hoppas över"
    assert d.ties == "urvalet stoppas och valet görs för hand"
    assert d.per_inhabitant.startswith(f"1{NBSP}000 invånare")
    table = annex.tables.table_design()
    assert "kommunen hoppas över" in table.loc[1, "Villkor och regel"]


def test_design_table_names_the_stages_and_their_orders(R):
    t = R.design.tables.table_design()
    assert list(t["Steg"]) == ["Fasta kommuner", "Kronofogden", "BME, barn", "BME, övertagande",
                               "Komplettering, inga barn", "Komplettering, ej svar"]
    assert (t.loc[t["Typ"].str.startswith("slumpmässigt"), "Typ"]
            == "slumpmässigt (obundet inom steget; sannolikheterna skiljer inom listan)").all()
    assert list(t["Ordning"][2:]) == [f"dras som nummer {k} av 4" for k in range(1, 5)]
    assert t.loc[1, "Ordning"].startswith("ansökningar om avhysning, verkställda avhysningar")


def test_inclusion_probabilities_are_exact(R):
    p = R.design.inputs.probabilities
    assert p.exact.notna().all() and len(p) == 290
    # Four fixed municipalities and eight Kronofogden picks are certain (data/design/2014.yaml).
    assert (p.probability == 1).sum() == 12
    # the expected sample size is the design's total: the probabilities sum to 30
    assert p.probability.sum() == pytest.approx(30, abs=1e-9)
    # the takeover list's range, as the design file's comment gives it (0.041 to 0.086)
    assert R.design.probabilities.list_probabilities("bme_takeover") == "0,041 och 0,086"


def test_sensitivity_tables(R):
    d = R.design.sensitivity
    variants = d.table_variants()
    assert len(variants) == 16 and variants.attrs["synthetic"] is True
    # one row per variant, named by what it changes: the design first, then the four variants
    # that change one assumption, in the design file's order (data/design/2014.yaml)
    assert list(variants["Ändrat mot designen"][:5]) == ["inget: designen", "A1+A2", "A5", "A9", "A10"]
    assert variants["Ändrat mot designen"].iloc[-1] == "A1+A2, A5, A9 och A10"
    # the design file's comment: reversing the variable order takes Huddinge instead of Linköping
    a9 = variants[variants["Ändrat mot designen"] == "A9"]
    assert list(a9["Med här, inte i designens urval"]) == ["Huddinge"]
    assert list(a9["I designens urval, inte här"]) == ["Linköping"]
    s = d.table_sensitivity()
    assert s.attrs["synthetic"] is True and s["Antal"].map(lambda x: int(x.replace(NBSP, ""))).sum() <= 290
    changes = d.table_variant_changes()
    # in the skip variant the Kronofogden stage adds only who is new; the municipalities it no
    # longer takes are no longer certain
    assert "nej" in set(changes["Vald, A1+A2 alternativet"]) and changes.attrs["synthetic"] is True


def test_synthetic_annex_says_so(R):
    t = R.design.drawn.table()
    assert t.attrs["synthetic"] is True and len(t) == 30
    assert "Steg " not in " ".join(t["Steg"])  # short stage names, not the publication's numbering


def test_audit_counts_add_up(R):
    a = R.audit
    assert int(a.consistent) + int(a.inconsistent) + int(a.not_verifiable) == int(a.claims)


def test_forest_marks_small_bases(R):
    from sbm_stats.report import plots

    fig = plots.forest(["a", "b"], [0.5, 0.25], [0.2, 0.05], [0.8, 0.7], small_base=[False, True]).figure
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Liten bas (färre än 10 kommuner)"]
    with pytest.raises(ValueError, match="small_base has 1 values; labels has 2"):
        plots.forest(["a", "b"], [0.5, 0.25], [0.2, 0.05], [0.8, 0.7], small_base=[True])
    # the report's forest plot names level, method and the missing correction on its axis
    label = R.intervals.plot_forest().figure.axes[0].get_xlabel()
    assert "95" in label and "Wilsons metod" in label and "utan ändlighetskorrektion" in label


def test_inclusion_figure_says_synthetic_inside_the_axes(R):
    ax = R.design.probabilities.plot_inclusion().figure.axes[0]
    assert "SYNTETISKA DATA" in [t.get_text() for t in ax.texts]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Tillfrågade 2014 (verkliga kommuner, syntetiska sannolikheter)"]


@pytest.mark.parametrize("name", ["publication.plot_ladder", "figures.plot_bme", "figures.plot_sos",
                                  "intervals.plot_forest", "design.probabilities.plot_inclusion"])
def test_plots_render_to_reproducible_png(name, R):
    # two figures built independently, from two loads of the data, give the same bytes
    def draw(report):
        *subjects, method = name.split(".")
        for subject in subjects:
            report = getattr(report, subject)
        return getattr(report, method)()._repr_png_()

    first, second = draw(R), draw(Report.load())
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert first == second


@pytest.mark.parametrize("kwargs, message", [
    ({"confidence_level": 1.5}, "confidence_level"),
    ({"ci_method": "wils"}, "ci_method"),
    ({"seed": -1}, r"seed \(-1\) must be a whole number of at least 0"),
])
def test_bad_options_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Report.load(**kwargs)


def test_the_report_does_not_import_heavy_modules(tmp_path):
    """Loading the report and its inline values imports neither statsmodels nor scipy.stats."""
    import subprocess
    import sys

    code = ("import sys; from sbm_stats.report import Report; R = Report.load(); "
            "R.figures.count('res.forced_moves'); R.design.text.sizes_sum; "
            "print(sorted(m for m in ('statsmodels', 'scipy.stats') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "[]"


def test_a_clause_is_shown_only_when_its_count_is_above_zero(R, tmp_path):
    # the bundled wave: two municipalities without an answer were added (publication, Metod)
    words = ", samt {} kommuner som lämnat frågan obesvarad"
    assert R.figures.count_in_words_unless_zero("method.supplement_no_answer", words) == \
        ", samt två kommuner som lämnat frågan obesvarad"
    # the synthetic 2017 wave has none (tests/waves writes 0): the clause is left out, not "noll kommuner"
    from tests.waves import build_next_wave

    wave = Report.load(data_dir=build_next_wave(tmp_path / "wave"))
    assert wave.figures.count_in_words_unless_zero("method.supplement_no_answer", words) == ""
    with pytest.raises(ValueError, match=r"words \('samt kommuner'\) must hold '\{\}' exactly once"):
        R.figures.count_in_words_unless_zero("method.supplement_no_answer", "samt kommuner")
    # the years come from the package: municipalities.csv has populations 2012-2014, and the
    # latest before the wave 2017 is 2014; its design ranks on Kronofogden 2016 per population 2016
    assert (wave.interviews.wave, wave.interviews.population_date) == ("2017", "31 december 2014")
    assert (wave.design.text.statistics_year, wave.design.text.population_year) == ("2016", "2016")
    assert "Folkmängd 2014" in wave.interviews.table_sample().columns


def test_the_years_of_the_bundled_wave(R):
    # the publication: interviews 2014, Kronofogden's statistics of 2013 (the project's reading,
    # design/2014.yaml), populations of 31 December 2013 (frame schema, SCB BE0101N1)
    assert (R.interviews.wave, R.interviews.population_date) == ("2014", "31 december 2013")
    assert (R.design.text.statistics_year, R.design.text.population_year) == ("2013", "2013")
    assert "Folkmängd 2013" in R.interviews.table_sample().columns


def test_a_values_source_is_cited_in_swedish(data_dir):
    # data/published_figures.csv, row ext.kfm_applications_2012h1: source kfm_cision_2013_h1, whose
    # citation in data/sources.csv is English ("press release", "first half of 2013") and whose
    # citation_sv is the Swedish one the values appendix and the popovers show
    from sbm_stats.report.values import ValueRegistry

    value = ValueRegistry(data_dir).read("published_figures", "ext.kfm_applications_2012h1", "value")
    sources = pd.read_csv(data_dir / "sources.csv", dtype=str).set_index("source_id")
    assert value.source.citation == sources.loc["kfm_cision_2013_h1", "citation_sv"]
    assert "press release" not in value.source.citation and "first half" not in value.source.citation


def test_the_reference_list_is_swedish(R):
    # the English notes the reference list printed before sources.csv had citation_sv
    # (issue 20: "press release", "first half of 2013", "Summary page", "Chapter headings")
    listed = R.publication.sources_markdown()
    sources = R.package.table("sources")
    assert listed.count("\n- ") + 1 == len(sources)  # one item per source
    for english in ("press release", "first half", "first quarter", "Summary page", "Chapter headings",
                    "figures for", "citing", "evictions", "article on"):
        assert english not in listed, english
    # each item is the Swedish citation, then the id the values name
    first = sources.iloc[0]
    # (the markdown escapes every punctuation mark of the data's text: a reader sees it without the backslashes)
    assert re.sub(r"\\(.)", r"\1", listed.splitlines()[0]) == f"- {first.citation_sv} (`{first.source_id}`)"


def test_periods_read_as_swedish_words(R):
    # the audit's decrease in children affected by evictions compares ext.kfm_children_2012h1
    # and ext.kfm_children_2013h1, whose periods published_figures.csv writes 2012H1 and 2013H1
    rules = " ".join(str(x) for x in R.audit.table()["Regel och uträkning"])
    assert "första halvåret 2012: 310; första halvåret 2013: 251" in rules
    assert not re.search(r"\d{4}[HQ]\d", rules)


def test_a_shown_table_writes_its_text_as_text(R):
    """R.show of a table whose cells come from the data package (the housing solutions, the
    levels of Tabell 1): a cell holding markup is escaped in the Styler's HTML, which Quarto
    keeps as it is, and the builtin engine reads it back as the same text."""
    from sbm_stats.render._tables import read_html_tables

    hostile = '<b>fet</b> & <img src=x onerror="alert(1)">'
    html = R.show(pd.DataFrame({"Boende <i>": [hostile, "Akutboende"]})).to_html()
    assert "<b>" not in html and "<img" not in html and "<i>" not in html
    assert "&lt;b&gt;fet&lt;/b&gt; &amp; &lt;img" in html
    (table,) = read_html_tables(html)
    assert [c.text for c in table.head[0]] == ["Boende <i>"]
    assert [row[0].text for row in table.body] == [hostile, "Akutboende"]
