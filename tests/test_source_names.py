"""A source's short name (sources.csv, short_name_sv) where the audit table would show a bare id."""

from __future__ import annotations

import pytest

from sbm_stats.data._package import DataPackage
from sbm_stats.report import Report


@pytest.fixture(scope="module")
def R():
    return Report.load()


def test_a_source_has_its_short_name_and_an_unknown_id_is_one_clear_error():
    package = DataPackage.open()
    # data/sources.csv, row socstyr_2015: the citation "Socialstyrelsen (2015). Den sekundära bostadsmarknaden …"
    assert package.source_name("socstyr_2015") == "Socialstyrelsen 2015"
    with pytest.raises(ValueError, match=r"source_id \('socstyr_2016'\) must be a source_id of .*sources\.csv "
                                         r"\(19 sources; closest: socstyr_2015"):
        package.source_name("socstyr_2016")


def test_the_audit_table_names_a_compared_source_and_keeps_its_id_as_code(R):
    table = R.audit.table()
    # data/audit/claims_2014.yaml, bme.flats_2008_sources: the publication's 11 270 (socstyr_2015) against
    # Boverket's summary, 11 700 (boverket_2014_36_summary; data/published_figures.csv)
    row = [c.id for c in R.audit.result.claims].index("bme.flats_2008_sources")  # one row per claim, in order
    published, recomputed = table["Publicerat"][row], table["Omräknat"][row]
    assert str(published).replace("\u00a0", " ") == "11 270 (Socialstyrelsen 2015; socstyr_2015)"
    assert published._repr_markdown_().endswith(r"\(Socialstyrelsen 2015\; `socstyr_2015`)")  # the name escaped
    assert str(recomputed).replace("\u00a0", " ") == \
        "11 700 (Boverket 2014:36, sammanfattning; boverket_2014_36_summary)"
    assert recomputed._repr_markdown_().endswith("`boverket_2014_36_summary`)")
    # the audit's own result names the sources too, and keeps their ids
    claim = next(c for c in R.audit.result.claims if c.id == "bme.flats_2008_sources")
    assert claim.published.replace("\u00a0", " ") == "11 270 (Socialstyrelsen 2015)"
    assert claim.sources == ("socstyr_2015", "boverket_2014_36_summary")
