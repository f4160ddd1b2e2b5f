"""Every quantitative statement of the publication has its row in published_figures.

The reference list (tests/reference/publication_numbers.csv) was read by hand from the
publication's text, section by section; it is not derived from data/.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sbm_stats import load_published_figures

from .reference import read_reference

STATEMENTS = read_reference("publication_numbers.csv")


def _matches(figures: pd.DataFrame, st: pd.Series) -> pd.DataFrame:
    rows = figures[(figures.section == st.section) & (figures.unit == st.unit)]
    for col in ("count", "base", "value"):
        if pd.notna(st[col]):
            rows = rows[rows[col] == st[col]]
    return rows


@pytest.mark.parametrize("i", range(len(STATEMENTS)), ids=lambda i: STATEMENTS.context[i][:40])
def test_statement_has_a_row(i, data_dir):
    figures = load_published_figures(data_dir)
    st = STATEMENTS.iloc[i]
    rows = _matches(figures, st)
    assert len(rows) >= 1, f"no row for: {st.section}: {st.context}"
    assert set(rows.source_id) == {"socstyr_2015"}


def test_no_publication_row_without_a_statement(data_dir):
    """The other direction: each publication row with a number is in the hand-read list."""
    figures = load_published_figures(data_dir)
    pub = figures[~figures.figure_id.str.startswith("ext.")]
    numbered = pub[pub["count"].notna() | pub["value"].notna()]
    unmatched = []
    for _, row in numbered.iterrows():
        same = STATEMENTS[(STATEMENTS.section == row.section) & (STATEMENTS.unit == row.unit)]
        hit = same[
            ((same["count"] == row["count"]) | same["count"].isna() & pd.isna(row["count"]))
            & ((same["value"] == row["value"]) | same["value"].isna() & pd.isna(row["value"]))
        ]
        if hit.empty:
            unmatched.append(row.figure_id)
    assert unmatched == []


def test_conflicting_sources_are_both_kept(data_dir):
    f = load_published_figures(data_dir)
    flats_2008 = f[(f.unit == "flats") & (f.period == "2008")].set_index("source_id")["value"]
    # The publication (Boverkets resultat) gives 11 270; Boverket's own summary of
    # rapport 2014:36 gives 11 700 (../shared/sources/README.md, "Known conflict").
    assert flats_2008["socstyr_2015"] == 11270
    assert flats_2008["boverket_2014_36_summary"] == 11700
