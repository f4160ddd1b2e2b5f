"""Inclusion probabilities: exact values against hand computations, Monte Carlo against exact.

Every expected probability is derived in a comment next to it.
"""

from __future__ import annotations

import hashlib
import textwrap
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sbm_stats.sampling import (
    demo_frame,
    inclusion_probabilities,
    load_design,
    select_sample,
)

CODES = ["0114", "0115", "0117", "0120", "0123"]


def small_frame() -> pd.DataFrame:
    """children yes: 0114 0115 0117; takeover yes: 0117 0120; 0123 in no list."""
    return pd.DataFrame({
        "municipality_code": CODES,
        "population_2013": [1000] * 5,
        "kfm_eviction_applications_2013": [0] * 5,
        "kfm_executed_evictions_2013": [9, 1, 9, 5, 0],
        "kfm_indebted_persons_2013": [0] * 5,
        "kfm_children_executed_evictions_2013": [0] * 5,
        "bme_children_under_18": ["yes", "yes", "yes", "no", "no"],
        "bme_tenant_takeover_aim": ["no", "no", "yes", "yes", "no"],
    })


def design_file(tmp_path: Path, *, exclude_b: bool = True, random_numbers: str = "per_stage",
                extra: str = "") -> Path:
    text = f"""\
    name: t
    title: T
    random_numbers: {random_numbers}
    stages:
      - id: a
        kind: random
        label: a
        eligible: 'bme_children_under_18 == "yes"'
        size: 1
        exclude_selected: true
      - id: b
        kind: random
        label: b
        eligible: 'bme_tenant_takeover_aim == "yes"'
        size: 1
        exclude_selected: {str(exclude_b).lower()}
    """
    path = tmp_path / "d.yaml"
    path.write_text(textwrap.dedent(text) + textwrap.indent(textwrap.dedent(extra), "  "), encoding="utf-8")
    return path


def by_code(p, values) -> dict[str, float]:
    return dict(zip(p.codes, values))


# --------------------------------------------------------------------------- exact


def test_exact_overlapping_lists_with_exclusion(tmp_path):
    p = inclusion_probabilities(small_frame(), load_design(design_file(tmp_path)))
    # a: 1 of {0114, 0115, 0117} -> 1/3 each.
    # b: 1 of {0117, 0120} less a's pick: if a took 0117 (1/3) b takes 0120 for sure,
    #    else (2/3) b takes either with 1/2.
    # 0117: 1/3 + 2/3 * 1/2 = 2/3; 0120: 1/3 * 1 + 2/3 * 1/2 = 2/3; 0123: in no list, 0.
    expected = {"0114": Fraction(1, 3), "0115": Fraction(1, 3), "0117": Fraction(2, 3),
                "0120": Fraction(2, 3), "0123": Fraction(0)}
    got = by_code(p, p.exact)
    for code, value in expected.items():
        assert got[code] == pytest.approx(float(value), abs=1e-12)
    # By stage: 0117 is taken in a with 1/3 and in b with 2/3 * 1/2 = 1/3.
    stage = p.stage_frame().set_index(["municipality_code", "stage"])["exact"]
    assert stage[("0117", "a")] == pytest.approx(1 / 3) and stage[("0117", "b")] == pytest.approx(1 / 3)
    assert stage[("0120", "b")] == pytest.approx(2 / 3)
    assert p.exact_method[CODES.index("0117")] == "hypergeometric_chain"
    # Two distinct municipalities every time: the probabilities sum to 2.
    assert p.exact.sum() == pytest.approx(2.0, abs=1e-12)


def test_exact_without_exclusion(tmp_path):
    p = inclusion_probabilities(small_frame(), load_design(design_file(tmp_path, exclude_b=False)))
    # b draws 1 of {0117, 0120} whatever a did (1/2 each), independently of a.
    # 0117: 1 - (1 - 1/3)(1 - 1/2) = 2/3; 0120: 1/2. Expected size 1/3+1/3+2/3+1/2 = 11/6.
    got = by_code(p, p.exact)
    assert got["0117"] == pytest.approx(2 / 3) and got["0120"] == pytest.approx(1 / 2)
    assert p.exact.sum() == pytest.approx(11 / 6)


def test_certain_unit_in_a_list_without_exclusion_wastes_the_draw(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(textwrap.dedent("""\
    name: t
    title: T
    random_numbers: per_stage
    stages:
      - {id: fixed, kind: certainty, label: f, reason: r, codes: ["0117"]}
      - {id: a, kind: random, label: a, eligible: 'bme_children_under_18 == "yes"', size: 1,
         exclude_selected: false}
    """), encoding="utf-8")
    p = inclusion_probabilities(small_frame(), load_design(path))
    # a draws 1 of {0114, 0115, 0117} with 0117 already fixed: 0114 and 0115 get 1/3 each, and
    # with 1/3 the draw adds nobody; expected size 1 + 1/3 + 1/3 = 5/3.
    got = by_code(p, p.exact)
    assert got["0117"] == 1.0
    assert got["0114"] == pytest.approx(1 / 3) and got["0115"] == pytest.approx(1 / 3)
    assert p.exact.sum() == pytest.approx(5 / 3)


def test_shared_numbers_exact_only_where_simple(tmp_path):
    p = inclusion_probabilities(
        small_frame(), load_design(design_file(tmp_path, random_numbers="shared")), replicates=40_000, seed=8
    )
    got = by_code(p, p.exact)
    # 0114 and 0115 are only in a, the first draw: exactly 1/3.
    assert got["0114"] == pytest.approx(1 / 3) and got["0115"] == pytest.approx(1 / 3)
    # 0117 and 0120: coordinated through the shared numbers -> no exact value.
    assert np.isnan(got["0117"]) and np.isnan(got["0120"])
    assert "shared" in p.exact_note
    # By hand with iid uniforms u: 0120 is NOT taken only if 0117 is left for b and u17 < u20,
    # i.e. u17 > min(u14, u15) and u17 < u20: P = P(u17 < u20) - P(u17 smallest of all four)
    # = 1/2 - 1/4 = 1/4, so pi(0120) = 3/4 (not the 2/3 of independent draws), and
    # pi(0117) = 2 - 1/3 - 1/3 - 3/4 = 7/12.
    mc, se = by_code(p, p.monte_carlo), by_code(p, p.standard_error)
    assert abs(mc["0120"] - 3 / 4) < 4 * se["0120"]
    assert abs(mc["0117"] - 7 / 12) < 4 * se["0117"]


def test_random_stage_before_extremes_is_monte_carlo_only(tmp_path):
    extra = """
    - id: k
      kind: extremes
      label: k
      variables: [{column: kfm_executed_evictions_2013, label: verkställda avhysningar}]
      measures: [count]
      already_selected: next
      ties: lowest_code
    """
    path = tmp_path / "d.yaml"
    path.write_text(textwrap.dedent("""\
    name: t
    title: T
    random_numbers: per_stage
    stages:
      - id: a
        kind: random
        label: a
        eligible: 'bme_children_under_18 == "yes"'
        size: 1
        exclude_selected: true
    """) + textwrap.indent(textwrap.dedent(extra), "  "), encoding="utf-8")
    p = inclusion_probabilities(small_frame(), load_design(path), replicates=30_000, seed=2)
    assert np.isnan(p.exact).all() and "follows a random stage" in p.exact_note
    # Executed evictions: 0114 and 0117 tie at 9 (lowest code first: 0114, then 0117).
    # a takes one of 0114/0115/0117 (1/3 each); k then takes 0114, or 0117 if a took 0114.
    # 0114: 1/3 + 2/3 = 1; 0117: 1/3 (a) + 1/3 (a took 0114) = 2/3; 0115: 1/3.
    mc, se = by_code(p, p.monte_carlo), by_code(p, p.standard_error)
    assert mc["0114"] == 1.0 and se["0114"] == 0.0
    assert abs(mc["0117"] - 2 / 3) < 4 * se["0117"]
    assert abs(mc["0115"] - 1 / 3) < 4 * se["0115"]


# ---------------------------------------------------------- Monte Carlo against exact


def test_monte_carlo_agrees_with_exact_on_the_2014_design():
    p = inclusion_probabilities(demo_frame(), load_design(), replicates=20_000, seed=20140501)
    assert not np.isnan(p.exact).any() and p.exact_note == ""
    # With next and exclusion everywhere the design always gives 30 distinct municipalities.
    assert p.exact.sum() == pytest.approx(30.0, abs=1e-9)
    assert p.mean_size == 30.0
    # Certainty and extremes: exactly 1 in every replicate; units in no list: never.
    sure = p.exact == 1.0
    # 4 fixed + 4 Kronofogden variables x 2 measures (count, per inhabitant) = 12
    assert sure.sum() == 4 + 4 * 2 and (p.monte_carlo[sure] == 1.0).all()
    # Everyone else within 4 Monte Carlo standard errors of the exact value.
    assert p.max_abs_z() < 4
    # Per stage too: where the Monte Carlo share is 0 or 1 (SE 0) it must equal the exact value.
    mc, ex = p.monte_carlo_by_stage, p.exact_by_stage
    se = np.sqrt(mc * (1 - mc) / 20_000)
    assert (mc[se == 0] == ex[se == 0]).all()
    assert np.abs((mc - ex)[se > 0] / se[se > 0]).max() < 4


def test_exact_values_of_the_2014_design_by_hand():
    # Stage 4b's list (children question not answered) is disjoint from every other random list
    # on the demo frame: those municipalities answered neither question (checked below), so
    # they are in no children-yes/no or takeover-yes list. Its draw is therefore 2 of the N
    # no_answer municipalities not already taken with certainty: exactly 2/N each.
    p = inclusion_probabilities(demo_frame(), load_design())
    frame = demo_frame().set_index("municipality_code")
    no_answer = frame.index[frame["bme_children_under_18"] == "no_answer"]
    assert (frame.loc[no_answer, "bme_tenant_takeover_aim"] == "no_answer").all()
    values = by_code(p, p.exact)
    pool = [c for c in no_answer if values[c] < 1]
    assert 30 <= len(pool) <= 35
    assert all(values[c] == pytest.approx(2 / len(pool), abs=1e-12) for c in pool)


def test_permanent_random_numbers_reproduce_the_exact_probabilities(tmp_path):
    # The hash numbers behave as iid uniforms: over 3 000 seeds, the selection rule
    # ("smallest numbers in the list, per stage") written out here with hashlib gives
    # frequencies within 4 binomial standard errors of the hand values 1/3, 1/3, 2/3, 2/3.
    def u(seed, stage, code):
        h = int.from_bytes(hashlib.blake2b(f"{seed}|{stage}|{code}".encode(), digest_size=8).digest(), "big")
        return (2 * (h >> 12) + 1) / 2**53

    def draw(seed):
        a = min(["0114", "0115", "0117"], key=lambda c: u(seed, "a", c))
        b = min([c for c in ["0117", "0120"] if c != a], key=lambda c: u(seed, "b", c))
        return {a, b}

    seeds = range(3000)
    counts = {c: 0 for c in CODES}
    for s in seeds:
        for c in draw(s):
            counts[c] += 1
    for code, value in {"0114": 1 / 3, "0115": 1 / 3, "0117": 2 / 3, "0120": 2 / 3}.items():
        se = np.sqrt(value * (1 - value) / len(seeds))
        assert abs(counts[code] / len(seeds) - value) < 4 * se
    # ... and the package draws exactly these samples.
    design = load_design(design_file(tmp_path))
    for s in range(0, 3000, 150):
        assert set(select_sample(small_frame(), design, seed=s).codes) == draw(s)


def test_progress_is_reported_per_block():
    calls = []
    inclusion_probabilities(demo_frame(), load_design(), replicates=2_500, seed=1, block=1_000,
                            progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1000, 2500), (2000, 2500), (2500, 2500)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"replicates": -1}, r"replicates \(-1\) must be a non-negative integer"),
        ({"replicates": 10}, r"seed \(None\) must be a non-negative integer when replicates > 0"),
        ({"replicates": 10, "seed": 1, "block": 0}, r"block \(0\) must be a positive integer"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        inclusion_probabilities(demo_frame(), load_design(), **kwargs)


def test_to_frame_carries_the_synthetic_flag():
    t = inclusion_probabilities(demo_frame(), load_design(), replicates=100, seed=1).to_frame()
    assert t.attrs["synthetic"] and t["synthetic"].all()
    assert list(t.columns[:4]) == ["municipality_code", "municipality_name", "exact", "exact_method"]
