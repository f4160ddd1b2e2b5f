"""probability_table: the same column names whatever the wave, the wave in its attrs."""

from __future__ import annotations

import pytest

from sbm_stats.data import DataPackage
from sbm_stats.sampling import demo_frame, inclusion_probabilities, load_design, probability_table
from tests.waves import build_next_wave


def _table(package: DataPackage):
    design = load_design(package=package)
    return probability_table(inclusion_probabilities(demo_frame(package), design), package=package)


@pytest.fixture(scope="module")
def next_wave(tmp_path_factory) -> DataPackage:
    return DataPackage.open(build_next_wave(tmp_path_factory.mktemp("views") / "wave_2017"))


def test_bundled_wave(data_dir):
    table = _table(DataPackage.open(data_dir))
    assert {"population", "asked", "county_name", "probability"} <= set(table.columns)
    assert not [c for c in table.columns if c.startswith(("asked_", "population_"))]
    assert table.attrs["wave"] == "2014" and table.attrs["population_year"] == "2013"
    # the publication (Socialstyrelsen 2015, Metod) asked 30 municipalities
    assert int(table["asked"].sum()) == 30
    # SCB, folkmängd 31 december 2013: 9 644 864 in the 290 municipalities
    assert len(table) == 290 and int(table["population"].sum()) == 9_644_864


def test_next_wave_keeps_the_names(next_wave):
    table = _table(next_wave)
    assert {"population", "asked"} <= set(table.columns)
    assert table.attrs["wave"] == "2017" and table.attrs["population_year"] == "2014"
    # tests/waves: the made-up wave's published sample names 24 municipalities (sample_2017)
    assert int(table["asked"].sum()) == 24
