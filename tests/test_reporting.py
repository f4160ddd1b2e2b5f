"""The report facade: inline values are the publication's numbers, formatted in Swedish."""

from __future__ import annotations

import pytest

from sbm_stats.report.formatting import NBSP
from sbm_stats.report import Report, number_in_words


@pytest.fixture(scope="module")
def R():
    return Report.load(replicates=2000)


def test_inline_values_are_the_publications(R):
    # Resultat / Informellt påtvingade flyttningar: 'Drygt hälften (16 stycken)' of 29.
    assert (R.n("res.forced_moves"), R.base("res.forced_moves")) == ("16", "29")
    assert R.words("res.forced_moves") == "drygt hälften"
    # Även barnfamiljer tvingas flytta: 'I fyra av kommunerna'.
    assert R.w("res.family_moves") == "fyra"
    # Boverkets resultat: 16 386 flats in 2013; 16 386 / 11 270 - 1 = 45.4 %.
    assert R.v("bme.flats_2013") == f"16{NBSP}386"
    assert R.growth("bme.flats_2008", "bme.flats_2013", decimals=1) == f"45,4{NBSP}%"
    # (16 386 - 11 270) / 5 = 1 023.2
    assert R.per_year("bme.flats_2008", "bme.flats_2013") == f"1{NBSP}023"
    # Förord: 'tredje gången'.
    assert R.ordinal("ctx.mapping_round") == "tredje"
    assert R.names("fixed_large") == "Stockholm, Göteborg, Malmö och Helsingborg"
    assert R.declined_names() == "Bjuv"


@pytest.mark.parametrize("n, gender, text", [(0, "en", "noll"), (1, "en", "en"), (1, "ett", "ett"),
                                             (12, "en", "tolv"), (13, "en", "13"), (2000, "en", f"2{NBSP}000")])
def test_number_in_words(n, gender, text):
    assert number_in_words(n, gender=gender) == text


def test_unknown_figure_is_a_clear_error(R):
    with pytest.raises(KeyError, match="no.such"):
        R.n("no.such")
    with pytest.raises(ValueError, match="bme.flats_2013 has no count"):
        R.n("bme.flats_2013")


def test_tables_have_their_rows(R):
    assert len(R.table_vulnerability()) == 4          # Tabell 1: four levels
    assert len(R.table_sample()) == 30                # Metod: 30 asked
    assert list(R.table_housing_solutions().columns) == ["Akutboende", "Övergångsboende", "Långsiktigt boende"]
    results = R.table_results()
    assert (results["Antal"] == "16 av 29").sum() == 2  # forced moves, and 'does not crowd out'
    waves = R.table_waves()
    assert len(waves) == 18 and (waves["Anmärkning"] != "").all()


def test_synthetic_annex_says_so(R):
    t = R.table_demo_sample()
    assert t.attrs["synthetic"] is True and len(t) == 30


@pytest.mark.parametrize("name", ["plot_ladder", "plot_bme", "plot_sos", "plot_forest"])
def test_plots_render_to_reproducible_png(name, R):
    # two figures built independently, from two loads of the data, give the same bytes
    first = getattr(R, name)()._repr_png_()
    second = getattr(Report.load(replicates=2000), name)()._repr_png_()
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert first == second
