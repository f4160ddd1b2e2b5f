"""Drawing the sample: permanent random numbers, the extremes rule, reasons, the protocol.

Pinned samples are computed here, independently, with hashlib and sorting (the formula
of sbm_stats/sampling/_prn.py written out again), never copied from the package's output.
Extremes are checked against the hand computations in tests/fixtures/sampling/README.md.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

from sbm_stats._markup import escape_markdown
from sbm_stats.errors import DesignError
from sbm_stats.sampling import (
    SYNTHETIC_BANNER,
    demo_frame,
    load_design,
    permanent_random_number,
    select_sample,
)

FIXTURES = Path(__file__).parent / "fixtures" / "sampling"


def hand_frame() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "hand_frame.csv", dtype={"municipality_code": str})


def write_design(tmp_path: Path, stages: str, *, random_numbers: str = "per_stage") -> Path:
    path = tmp_path / "design.yaml"
    path.write_text(
        f"name: t\ntitle: T\nrandom_numbers: {random_numbers}\nstages:\n"
        + textwrap.indent(textwrap.dedent(stages), "  "),
        encoding="utf-8",
    )
    return path


def prn_by_hand(seed: int, stream: str, code: str) -> float:
    """The documented formula, written out independently of the package."""
    h = int.from_bytes(hashlib.blake2b(f"{seed}|{stream}|{code}".encode("utf-8"), digest_size=8).digest(), "big")
    k = h >> 12
    return (2 * k + 1) / 2**53


# ------------------------------------------------------------- permanent random numbers


def test_prn_formula_matches_an_independent_computation():
    for seed, stream, code in [(0, "a", "0114"), (2014, "bme_children", "0180"), (10**12, "", "2584")]:
        assert permanent_random_number(seed, stream, code) == prn_by_hand(seed, stream, code)


def test_prn_is_uniform():
    # 5 000 numbers (seed 3, all stream "x", codes 0000-4999): Kolmogorov-Smirnov against U(0, 1).
    u = [permanent_random_number(3, "x", f"{i:04d}") for i in range(5000)]
    assert 0 < min(u) and max(u) < 1
    assert stats.kstest(u, "uniform").pvalue > 0.001


PINNED_STAGES = """
- id: fixed
  kind: certainty
  label: fast
  reason: fast urval
  codes: ["0114"]
- id: draw
  kind: random
  label: "Steg 2: barn"
  eligible: 'bme_children_under_18 == "yes"'
  size: 2
  exclude_selected: true
"""


@pytest.mark.parametrize("seed", [0, 1, 2014, 987654321])
def test_pinned_sample_per_stage(tmp_path, seed):
    design = load_design(write_design(tmp_path, PINNED_STAGES))
    sample = select_sample(hand_frame(), design, seed=seed)
    # children "yes": 0114 0115 0117 0120 0123; 0114 is fixed and excluded, so the draw is among 4.
    pool = ["0115", "0117", "0120", "0123"]
    expected = sorted(pool, key=lambda c: prn_by_hand(seed, "draw", c))[:2]
    assert sample.codes == ("0114", *expected)
    rows = sample.to_frame()
    drawn = rows[rows["stage"] == "draw"]
    assert drawn["random_number"].tolist() == [prn_by_hand(seed, "draw", c) for c in expected]
    # 2 of 4, a single random stage: inclusion probability 2/4, design weight 2.
    assert drawn["inclusion_probability"].tolist() == [0.5, 0.5]
    assert drawn["design_weight"].tolist() == [2.0, 2.0]
    assert drawn["eligible_count"].tolist() == [4, 4]


@pytest.mark.parametrize("seed", [5, 77])
def test_pinned_sample_shared_numbers(tmp_path, seed):
    stages = PINNED_STAGES + textwrap.dedent("""
    - id: second
      kind: random
      label: övertagande
      eligible: 'bme_tenant_takeover_aim == "yes"'
      size: 1
      exclude_selected: true
    """)
    design = load_design(write_design(tmp_path, stages, random_numbers="shared"))
    sample = select_sample(hand_frame(), design, seed=seed)
    u = {c: prn_by_hand(seed, "", c) for c in hand_frame()["municipality_code"]}
    first = sorted(["0115", "0117", "0120", "0123"], key=u.get)[:2]
    # takeover "yes": 0117 0120 0123 0125, less those already drawn.
    second = sorted([c for c in ["0117", "0120", "0123", "0125"] if c not in first], key=u.get)[:1]
    assert sample.codes == ("0114", *first, *second)


def test_same_seed_same_sample_and_another_seed_another():
    frame, design = demo_frame(), load_design()
    a = select_sample(frame, design, seed=11)
    b = select_sample(frame, design, seed=11)
    c = select_sample(frame, design, seed=12)
    assert a.codes == b.codes
    assert a.codes != c.codes
    assert len(set(a.codes)) == 30


def test_sample_does_not_depend_on_row_order():
    frame, design = demo_frame(), load_design()
    shuffled = frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    shuffled.attrs.update(frame.attrs)
    assert set(select_sample(frame, design, seed=5).codes) == set(select_sample(shuffled, design, seed=5).codes)


# --------------------------------------------------------------------------- extremes


EXTREMES = """
- id: fixed
  kind: certainty
  label: fast
  reason: fast urval
  codes: ["0126"]
- id: kfm
  kind: extremes
  label: kronofogden
  variables: [{{column: kfm_eviction_applications_2013, label: ansökningar om avhysning}}]
  measures: [count, per_inhabitant]
  per: 10000
  population: population_2013
  decimals: 1
  already_selected: {rule}
  ties: lowest_code
"""


def test_extremes_next_takes_the_next_ranked(tmp_path):
    design = load_design(write_design(tmp_path, EXTREMES.format(rule="next")))
    rows = select_sample(hand_frame(), design, seed=1).to_frame()
    # Applications by count: 0126 (70, fixed) then 0123 (50) -> rank 2.
    # Per 10 000: 0115 with 40 / 20 000 x 10 000 = 20.0 -> written "20,0".
    assert rows["municipality_code"].tolist() == ["0126", "0123", "0115"]
    assert rows["reason"].tolist()[1:] == [
        "högst antal ansökningar om avhysning bland kommuner som inte redan valts (rang 2 i ramen): 50",
        "högst antal ansökningar om avhysning per 10 000 invånare: 20,0",
    ]
    assert rows["inclusion_probability"].tolist() == [1.0, 1.0, 1.0]


def test_extremes_skip_takes_nothing_new(tmp_path):
    design = load_design(write_design(tmp_path, EXTREMES.format(rule="skip")))
    sample = select_sample(hand_frame(), design, seed=1)
    # The count's top (0126) is already fixed: skipped. Per 10 000: 0115 as above.
    assert sample.codes == ("0126", "0115")
    skipped = sample.stages[1].reasons[0]
    assert (skipped.taken, skipped.municipality_code, skipped.already_selected) == (False, "0126", "skip")
    assert skipped.passed[0].taken_by == "fixed"
    assert "ingen ny kommun" in sample.protocol()


TIES = """
- id: kfm
  kind: extremes
  label: kronofogden
  variables: [{{column: kfm_executed_evictions_2013, label: verkställda avhysningar}}]
  measures: [count]
  already_selected: next
  ties: {ties}
"""


def test_ties_lowest_code(tmp_path):
    # Executed evictions: 0114 and 0117 both 9; the lower code, 0114, is taken.
    design = load_design(write_design(tmp_path, TIES.format(ties="lowest_code")))
    assert select_sample(hand_frame(), design, seed=1).codes == ("0114",)


def test_ties_error(tmp_path):
    design = load_design(write_design(tmp_path, TIES.format(ties="error")))
    with pytest.raises(DesignError, match=r"0114 Upplands Väsby, 0117 Österåker share the value 9"):
        select_sample(hand_frame(), design, seed=1)


def test_per_inhabitant_ranks_by_exact_ratio(tmp_path):
    # Children per 10 000: 0115 1/20 000 = 0.5, 0117 2/30 000 = 0.667, 0123 3/50 000 = 0.6,
    # 0127 1/80 000 = 0.125 -> 0117 first ("0,7" with one decimal).
    stages = """
    - id: kfm
      kind: extremes
      label: k
      variables: [{column: kfm_children_executed_evictions_2013, label: barn}]
      measures: [per_inhabitant]
      per: 10000
      population: population_2013
      decimals: 1
      already_selected: next
      ties: lowest_code
    """
    rows = select_sample(hand_frame(), load_design(write_design(tmp_path, stages)), seed=1).to_frame()
    assert rows["municipality_code"].tolist() == ["0117"]
    assert rows["reason"].iloc[0] == "högst antal barn per 10 000 invånare: 0,7"


# ------------------------------------------------------------------ the 2014 design


def test_2014_design_on_the_demo_frame():
    sample = select_sample(demo_frame(), load_design(), seed=2014)
    rows = sample.to_frame()
    assert len(rows) == 30 and rows["municipality_code"].is_unique
    # The publication's first stage, in the design's order.
    assert rows["municipality_code"].head(4).tolist() == ["0180", "1480", "1280", "1283"]
    assert rows.groupby("stage", sort=False).size().to_dict() == {
        "fixed": 4, "kronofogden": 8, "bme_children": 8, "bme_takeover": 7,
        "supplement_no_children": 1, "supplement_no_answer": 2,
    }
    frame = demo_frame().set_index("municipality_code")
    for stage, column, answer in [
        ("bme_children", "bme_children_under_18", "yes"),
        ("bme_takeover", "bme_tenant_takeover_aim", "yes"),
        ("supplement_no_children", "bme_children_under_18", "no"),
        ("supplement_no_answer", "bme_children_under_18", "no_answer"),
    ]:
        codes = rows.loc[rows["stage"] == stage, "municipality_code"]
        assert (frame.loc[codes, column] == answer).all()
    assert (rows["design_weight"] * rows["inclusion_probability"]).round(12).eq(1).all()
    assert rows["random_number"].isna().sum() == 12  # only random stages use a random number


def test_synthetic_flag_reaches_every_output():
    sample = select_sample(demo_frame(), load_design(), seed=3)
    rows = sample.to_frame()
    assert sample.synthetic and rows.attrs["synthetic"] and rows["synthetic"].all()
    protocol = sample.protocol()
    assert protocol.splitlines()[0].startswith(f"> **{SYNTHETIC_BANNER}.**")
    assert protocol.rstrip().endswith(f"> **{SYNTHETIC_BANNER}.**")
    assert "Syntetisk ram | JA" in protocol


def test_real_frame_has_no_banner(tmp_path):
    design = load_design(write_design(tmp_path, PINNED_STAGES))
    sample = select_sample(hand_frame(), design, seed=1)
    assert not sample.synthetic
    assert SYNTHETIC_BANNER not in sample.protocol()


def test_protocol_shows_seed_counts_and_swedish_numbers():
    sample = select_sample(demo_frame(), load_design(), seed=2014)
    p = sample.protocol()
    assert "| Frö (seed) | 2014 |" in p
    assert "Uppfyller villkoret: 150" in p  # 150 "yes" answers in the demo frame (its metadata)
    assert "BLAKE2b" in p
    for unit in sample.units[12:]:  # a name as text: its markdown escaped ("Upplands\\-Bro")
        assert f"| {unit.municipality_code} | {escape_markdown(unit.municipality_name)} |" in p
    # Numbers a reader sees use the Swedish decimal comma: no "0.0864" anywhere after the header table.
    body = p.split("## Designens steg och parametrar")[1]
    assert re.search(r"\d,\d{4}", body) and not re.search(r"\d\.\d", body)


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match=r"seed .* must be a non-negative integer"):
        select_sample(demo_frame(), load_design(), seed=seed)


def test_protocol_qualifies_simple_random_sampling_per_stage():
    # Within a stage the draw is simple random; over the whole design the municipalities of one
    # list differ (on the demo frame 0.0411 to 0.0864 in the takeover list, the figures of the
    # independent check quoted in issue 12).
    from sbm_stats.sampling import demo_frame, load_design, select_sample

    s = select_sample(demo_frame(), load_design(), seed=2014)
    takeover = next(r for r in s.stages if r.stage == "bme_takeover")
    assert takeover.list_probability_range == pytest.approx((0.0411, 0.0864), abs=5e-5)
    assert "obundet slumpmässigt bland de kommuner som återstår" in s.protocol()
    assert "0,0411–0,0864" in s.protocol()


HOSTILE_TEXT = '<img src=x onerror=alert(1)> *fet* `{=html}` | cell'


def test_protocol_shows_text_from_the_frame_and_the_design_as_text(tmp_path):
    # A municipality name and a stage's label and reason from another party's files: in the protocol's
    # Markdown they are text, so that pandoc (as any Markdown reader) shows them as written and makes
    # no element, emphasis or table cell of them (issue 18, "text from data is text").
    import pypandoc

    stages = (PINNED_STAGES.replace('label: "Steg 2: barn"', f"label: {HOSTILE_TEXT!r}")
              .replace("reason: fast urval", f"reason: {HOSTILE_TEXT!r}"))
    frame = hand_frame()
    frame.loc[frame.municipality_code == "0114", "municipality_name"] = HOSTILE_TEXT
    sample = select_sample(frame, load_design(write_design(tmp_path, stages)), seed=1)
    html = pypandoc.convert_text(sample.protocol(), "html", format="markdown")
    assert "<img" not in html and "<em>" not in html
    text = re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    assert text.count(HOSTILE_TEXT) >= 3  # the name, the label and the reason, each as written
