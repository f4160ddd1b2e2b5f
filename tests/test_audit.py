"""The audit finds what is really there. Each expected verdict is worked by hand in its comment
from the numbers as the publication prints them (section named)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from sbm_stats import DataValidationError
from sbm_stats.audit import audit, load_claims
from sbm_stats.cli import main

EXPECTED = [
    # Boverkets resultat: 16 386 / 11 270 - 1 = 0.4539 -> 45.4 % in [44.5, 45.5) ('cirka 45')
    ("bme.growth_flats_publication", "consistent"),
    # Boverket's summary for 2008: 16 386 / 11 700 - 1 = 0.4005 -> 40.1 %
    ("bme.growth_flats_boverket_2008", "inconsistent"),
    # Boverket's summary for both years: 16 300 / 11 700 - 1 = 0.3932 -> 39.3 %
    ("bme.growth_flats_boverket_both", "inconsistent"),
    # municipalities: 260 / 205 - 1 = 0.2683 -> 26.8 %
    ("bme.growth_municipalities", "inconsistent"),
    # Sammanfattning, '45 procent' read at its unit: 45.4 in [44.5, 45.5)
    ("sum.growth_flats", "consistent"),
    # 'cirka 800' = [750, 850): (16 386 - 11 270) / 5 = 1 023.2; / 6 = 852.7
    ("bme.new_contracts_5y", "inconsistent"),
    ("bme.new_contracts_6y", "inconsistent"),
    # 'nio av tio' = [0.85, 0.95): 260 / 290 = 0.8966
    ("bme.nine_of_ten", "consistent"),
    # 'i princip alla' = [0.9, 1]: interviews 29 / 29 = 1; BME 260 / 290 = 0.8966
    ("ana.all_have_sbm_interviews", "consistent"),
    ("ana.all_have_sbm_bme", "inconsistent"),
    # Resultat / Informellt påtvingade flyttningar: 16 / 29 = 0.552 in (0.5, 0.6]
    ("res.forced_moves", "consistent"),
    # 13 + 10 = 23, not 29
    ("res.followup_sum", "inconsistent"),
    # 20 + 9 = 29
    ("res.strategy_sum", "consistent"),
    # 10 + 16 = 26, not 29
    ("res.crowding_out_sum", "inconsistent"),
    # of the four: 2 + 2 = 4; 1 + 2 = 3, not 4
    ("res.family_moves_sum", "consistent"),
    ("res.family_followup_sum", "inconsistent"),
    # 7 <= 16
    ("res.kfm_present_within_forced", "consistent"),
    # 11 270 rounded to hundreds is 11 300, not Boverket's 11 700; 16 386 -> 16 400, not 16 300
    ("bme.flats_2008_sources", "inconsistent"),
    ("bme.flats_2013_sources", "inconsistent"),
    # Kronofogden 2013H1: 1 325 vs 1 328; 2014: 2 224 vs 2 111
    ("ext.kfm_executed_2013h1", "inconsistent"),
    ("ext.kfm_executed_2014", "inconsistent"),
    # children affected: 310 -> 251 (H1 2012 -> 2013), 504 -> 459 (2013 -> 2014)
    ("ana.kfm_children_decreased", "consistent"),
    ("ana.kfm_children_decreased_2014", "consistent"),
    # 'nästan 14 000' = [13 000, 14 000) holds 13 900
    ("sos.situation3_2011", "consistent"),
    # sample: 30 rows in sample_2014, 29 interviewed; 4 + 26 = 30
    ("sample.asked", "consistent"),
    ("sample.interviewed", "consistent"),
    ("sample.fixed_plus_other", "consistent"),
    # SCB Statistiknyhet 2014:40 gives 9 644 864 for 2013
    ("ext.scb_population_2013", "consistent"),
    # no count is published
    ("res.welfare_income", "not verifiable"),
    ("bme.public_private", "not verifiable"),
]


@pytest.fixture(scope="module")
def result():
    return audit()


def test_verdicts(result):
    got = result.to_frame().set_index("id")["verdict"]
    assert {k: got[k] for k, _ in EXPECTED} == dict(EXPECTED)


def test_details_show_the_arithmetic(result):
    rows = result.to_frame().set_index("id")
    detail = rows.loc["bme.new_contracts_5y", "detail"].replace("\xa0", " ")
    assert detail == "(16 386 − 11 270) / 5 år = 1 023,2 per år"
    assert rows.loc["res.followup_sum", "detail"].endswith("6 redovisas inte")
    assert rows.loc["bme.growth_flats_boverket_2008", "recomputed"] == "40,1 %"


def test_every_claim_has_a_verdict_and_sources(result):
    frame = result.to_frame()
    assert frame["verdict"].isin(["consistent", "inconsistent", "not verifiable"]).all()
    assert (frame["sources"] != "").all()
    assert frame["id"].is_unique
    assert sum(result.counts().values()) == len(frame)
    unverifiable = frame[frame.verdict == "not verifiable"]
    assert (unverifiable["detail"].str.len() > 10).all()   # each says why


def test_audit_follows_the_data(tmp_path, data_dir):
    """Change one figure and the verdict that rests on it changes."""
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    path = copy / "published_figures.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[frame.figure_id == "res.followup_no", "count"] = "16"   # 13 + 16 = 29
    frame.to_csv(path, index=False, lineterminator="\n")
    got = audit(data_dir=copy).to_frame().set_index("id")["verdict"]
    assert got["res.followup_sum"] == "consistent"


def test_bad_claims_file_reports_every_problem(tmp_path, data_dir):
    bad = tmp_path / "claims.yaml"
    bad.write_text(
        "claims:\n"
        "  - id: a\n    section: S\n    claim: C\n    kind: growth\n    before: bme.flats_2008\n"
        "    after: no.such_figure\n    wording: cirka 45 procent\n"
        "  - id: b\n    section: S\n    claim: C\n    kind: telepathy\n"
        "  - id: c\n    section: S\n    claim: C\n    kind: per_year\n    before: bme.flats_2008\n"
        "    after: bme.flats_2013\n    wording: cirka 800\n",
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as info:
        load_claims(bad, data_dir=data_dir)
    got = [(p.line, p.column, p.value) for p in info.value.problems]
    assert got == [(2, "after", "no.such_figure"), (9, "kind", "telepathy"), (13, "years", None)]


def test_cli_audit_strict_and_out(tmp_path, capsys):
    out = tmp_path / "audit.csv"
    assert main(["audit", "--out", str(out)]) == 0
    assert main(["audit", "--strict"]) == 1
    text = capsys.readouterr().out
    assert "bme.growth_flats_boverket_2008" in text and "inconsistent" in text
    table = pd.read_csv(out)
    assert len(table) == len(load_claims())
    assert not list(tmp_path.glob("*.tmp"))
