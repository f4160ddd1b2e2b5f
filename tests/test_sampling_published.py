"""The published 2014 sample (data/sample_2014.csv) against a frame."""

from __future__ import annotations

import textwrap

import pytest

from sbm_stats.sampling import demo_frame, load_design, published_sample_check


def test_published_check_on_the_demo_frame_is_illustrative():
    check = published_sample_check(demo_frame(), load_design())
    rows = check.to_frame()
    assert len(rows) == 30  # the publication's 30 municipalities
    assert check.synthetic and rows["synthetic"].all()
    assert "Illustrativt" in check.note and "syntetisk" in check.note
    assert any("Illustrativt" in line for line in check.protocol_section())
    # The four named in the publication's first stage can only come from the fixed stage.
    fixed = rows[rows["publication_group"] == "fixed_large"]
    assert fixed["possible_stages"].eq("fixed").all() and fixed["inclusion_probability"].eq(1.0).all()
    # Every municipality answers the children question yes, no or no_answer, and each of the
    # three answers has a random list in the 2014 design, so on any frame every published
    # municipality could have been chosen: nothing is flagged.
    assert check.flagged == ()


def test_a_municipality_no_stage_could_choose_is_flagged(tmp_path):
    # A design with only the fixed stage and the children-"yes" draw, on a frame where
    # Ale (1440) answers "no": no stage can choose Ale.
    path = tmp_path / "d.yaml"
    path.write_text(textwrap.dedent("""\
    name: t
    title: T
    random_numbers: per_stage
    stages:
      - id: fixed
        kind: certainty
        label: fasta
        reason: fast urval
        codes: ["0180", "1480", "1280", "1283"]
      - id: children
        kind: random
        label: barn
        eligible: 'bme_children_under_18 == "yes"'
        size: 3
        exclude_selected: true
    """), encoding="utf-8")
    frame = demo_frame()
    frame.loc[frame["municipality_code"] == "1440", "bme_children_under_18"] = "no"
    frame.loc[frame["municipality_code"] == "1441", "bme_children_under_18"] = "yes"  # Lerum: possible
    check = published_sample_check(frame, load_design(path))
    rows = check.to_frame().set_index("municipality_code")
    assert rows.loc["1440", "flagged"] and rows.loc["1440", "possible_stages"] == ""
    assert "inget steg" in rows.loc["1440", "explanation"]
    assert not rows.loc["1441", "flagged"] and rows.loc["1441", "possible_stages"] == "children"
    assert "1440" in check.flagged


def test_published_municipality_missing_from_the_frame_is_flagged():
    frame = demo_frame()
    small = frame[frame["municipality_code"] != "2584"].reset_index(drop=True)  # Kiruna
    small.attrs.update(frame.attrs)
    check = published_sample_check(small, load_design())
    kiruna = [u for u in check.units if u.municipality_code == "2584"][0]
    assert kiruna.flagged and not kiruna.in_frame and kiruna.explanation == "finns inte i ramen"


def test_published_table_must_have_its_columns():
    import pandas as pd

    with pytest.raises(ValueError, match="published must have the column 'publication_group'"):
        published_sample_check(demo_frame(), load_design(),
                               published=pd.DataFrame({"municipality_code": ["0180"], "municipality_name": ["x"]}))
