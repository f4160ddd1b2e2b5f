"""Design variants for the open assumptions and the sensitivity of the sample to them.

Reference values: the Kronofogden picks are recomputed by ``reference_extremes`` below,
written from footnote 2 of the publication without the package; the inclusion
probabilities under the two orders of the random stages are those of the independent
statistical check quoted in issue 12; totals are the publication's 30.
"""

import pytest

from sbm_stats.errors import DesignError
from sbm_stats.sampling import compare_designs, demo_frame, design_variant, load_design


def test_variant_changes_only_what_it_says():
    d = load_design()
    v = design_variant(d, sizes={"bme_children": 9, "bme_takeover": 6})
    assert v.stage("bme_children").size == 9 and v.stage("bme_takeover").size == 6
    assert v.expected_size == 30          # 9 + 6 = 8 + 7: the total is unchanged
    assert d.stage("bme_children").size == 8   # the original is untouched (frozen)
    w = design_variant(d, sizes={"bme_children": 10})
    assert w.expected_size == 32          # two more drawn than the default 8


def test_compare_designs_sizes():
    d = load_design()
    frame = demo_frame()
    c = compare_designs(frame, {"a": d, "b": design_variant(d, sizes={"bme_children": 10})},
                        replicates=500, seed=1)
    # mean distinct municipalities per replicate: 30 for the default, 32 with two more
    assert c.attrs["mean_size"] == {"a": 30.0, "b": 32.0}
    assert c.attrs["synthetic"] is True
    # a larger draw from the children list cannot lower anyone's probability of that list
    assert (c["b"] >= c["a"] - 1e-12).all()


@pytest.mark.parametrize("kwargs, words", [
    ({"sizes": {"nope": 3}}, "must be one of"),
    ({"sizes": {"fixed": 3}}, "only random stages"),
    ({"sizes": {"bme_children": -1}}, "at least 0"),
    ({"already_selected": "maybe"}, "'skip' or 'next'"),
])
def test_bad_variants(kwargs, words):
    with pytest.raises(DesignError, match=words):
        design_variant(load_design(), **kwargs)


def test_published_check_flags_what_no_stage_can_reach():
    """Without the supplement (stage 4), a published municipality that answered neither BME
    list 'yes' can only come from the certainty or extremes stages; those that did not are
    flagged. The expected set is worked out here from the frame's answers directly."""
    from sbm_stats.data import load_sample_2014
    from sbm_stats.sampling import published_sample_check, select_sample

    d = load_design()
    frame = demo_frame()
    no_supplement = design_variant(d, sizes={"supplement_no_children": 0, "supplement_no_answer": 0})
    answers = frame.set_index("municipality_code")
    published = set(load_sample_2014().municipality_code)
    in_no_random_list = {c for c in published
                         if answers.loc[c, "bme_children_under_18"] != "yes"
                         and answers.loc[c, "bme_tenant_takeover_aim"] != "yes"}
    sample = select_sample(frame, no_supplement, seed=1).to_frame()
    deterministic = set(sample.loc[sample.stage_kind.isin(["certainty", "extremes"]), "municipality_code"])
    expected = in_no_random_list - deterministic
    assert expected, "the synthetic frame should hold such a municipality for this test to bite"
    assert set(published_sample_check(frame, no_supplement).flagged) == expected


def test_cli_default_seed_is_the_generators():
    from sbm_stats.cli import _sample as _cli_sample
    from sbm_stats.sampling._synthetic import DEMO_SEED

    assert _cli_sample.DEMO_SEED == DEMO_SEED


# ------------------------------------------------------------ the open assumptions as variants

from fractions import Fraction  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sbm_stats.sampling import design_sensitivity, inclusion_probabilities, select_sample  # noqa: E402

DESIGN_DIR = Path(load_design().path).parent
FIXED = ("0180", "1480", "1280", "1283")
VARIABLES = ("kfm_eviction_applications_2013", "kfm_executed_evictions_2013", "kfm_indebted_persons_2013",
             "kfm_children_executed_evictions_2013")


def reference_extremes(frame: pd.DataFrame, variables, *, rule: str, by: str = "by_variable") -> list[str]:
    """Footnote 2 written out independently of the package: for each variable the highest count
    and the highest count per inhabitant (exact fractions; equal values by the lower code), the
    next-ranked not yet selected with rule 'next', nothing new with 'skip'."""
    rows = frame.set_index("municipality_code")
    selected = list(FIXED)
    measures = ("count", "per_inhabitant")
    picks = ([(v, m) for v in variables for m in measures] if by == "by_variable"
             else [(v, m) for m in measures for v in variables])
    taken = []
    for column, measure in picks:
        def value(code):
            count = int(rows.loc[code, column])
            return count if measure == "count" else Fraction(count, int(rows.loc[code, "population_2013"]))
        ranking = sorted(rows.index, key=lambda c: (-value(c), c))
        if rule == "skip":
            candidates = ranking[:1]
        else:
            candidates = [c for c in ranking if c not in selected][:1]
        for c in candidates:
            if c not in selected:
                selected.append(c)
                taken.append(c)
    return taken


def stage_codes(sample, stage):
    return [u.municipality_code for u in sample.units if u.stage == stage]


def test_the_skip_variant_file_is_the_joint_alternative_and_gives_30():
    base = load_design()
    skip = load_design(DESIGN_DIR / "2014_skip.yaml")
    assert skip.variant_of == str((DESIGN_DIR / "2014.yaml").resolve())
    assert skip.choices["a1_a2"] == "skip_enlarged" and base.choices["a1_a2"] == "next_ranked"
    # the file only chooses; the changes are written once in 2014.yaml
    assert skip.stages == design_variant(base, choose={"a1_a2": "skip_enlarged"}).stages
    assert skip.stage("kronofogden").already_selected == "skip"
    frame = demo_frame()
    new_by_skip = reference_extremes(frame, VARIABLES, rule="skip")
    # 30 - 4 fixed - the new Kronofogden picks - 3 supplement = 19 from the BME lists (10 + 9)
    assert len(new_by_skip) == 4
    assert skip.stage("bme_children").size + skip.stage("bme_takeover").size == 30 - 4 - 4 - 3 == 19
    sample = select_sample(frame, skip, seed=2014)
    assert len(sample.units) == 30 == skip.expected_size
    assert stage_codes(sample, "kronofogden") == new_by_skip
    assert [len(stage_codes(sample, s.id)) for s in skip.stages] == [4, 4, 10, 9, 1, 2]


@pytest.mark.parametrize("variables, by", [
    (VARIABLES, "by_variable"),
    (tuple(reversed(VARIABLES)), "by_variable"),
    (VARIABLES, "by_measure"),
])
def test_the_order_of_the_kronofogden_picks_matches_an_independent_ranking(variables, by):
    d = load_design()
    v = design_variant(d, variable_order={"kronofogden": list(variables)})
    if by != "by_variable":
        import dataclasses
        v = dataclasses.replace(v, stages=tuple(dataclasses.replace(s, pick_order=by) if s.id == "kronofogden"
                                                else s for s in v.stages))
    frame = demo_frame()
    sample = select_sample(frame, v, seed=1)
    assert stage_codes(sample, "kronofogden") == reference_extremes(frame, variables, rule="next", by=by)


def test_reversing_the_variable_order_swaps_linkoping_for_huddinge():
    # The finding on the demo frame, recomputed by reference_extremes above.
    frame = demo_frame()
    listed = set(reference_extremes(frame, VARIABLES, rule="next"))
    reversed_ = set(reference_extremes(frame, tuple(reversed(VARIABLES)), rule="next"))
    assert listed - reversed_ == {"0580"} and reversed_ - listed == {"0126"}   # Linköping, Huddinge
    d = load_design()
    c = compare_designs(frame, {"listed": d, "reversed": design_variant(d, choose={"a9_pick_order":
                                                                                    "variables_reversed"})},
                        sample_seed=2014)
    flip = c[c["selected:listed"] != c["selected:reversed"]]
    assert set(flip.municipality_code) == {"0580", "0126"}
    assert c.attrs["mean_size"] == {"listed": pytest.approx(30), "reversed": pytest.approx(30)}


def test_drawing_the_takeover_list_first_changes_the_probabilities():
    # Reference: the independent statistical check quoted in issue 12 (reference code written
    # from scratch): 0.0864/0.0567/0.0411 with the children list first, 0.0870/0.0584/0.0401
    # with the takeover list first (4 decimals, hence abs=5e-5).
    frame = demo_frame()
    d = load_design()
    children = frame.bme_children_under_18.eq("yes").to_numpy()
    no_children = frame.bme_children_under_18.eq("no").to_numpy()
    takeover = frame.bme_tenant_takeover_aim.eq("yes").to_numpy()
    for design, expected in [
        (d, (0.0864, 0.0567, 0.0411)),
        (design_variant(d, random_order=["bme_takeover", "bme_children", "supplement_no_children",
                                         "supplement_no_answer"]), (0.0870, 0.0584, 0.0401)),
    ]:
        p = inclusion_probabilities(frame, design).exact
        free = p < 1
        # on both lists; on the children list only; on the takeover list and answering no children
        for group, value in zip([children & takeover, children & ~takeover, no_children & takeover], expected):
            assert np.unique(p[free & group].round(12)) == pytest.approx([value], abs=5e-5)


def test_the_takeover_list_nested_in_the_children_list():
    d = load_design()
    nested = design_variant(d, choose={"a5_lists": "nested"})
    assert nested.stage("bme_takeover").eligible.columns == ("bme_children_under_18", "bme_tenant_takeover_aim")
    frame = demo_frame()
    sample = select_sample(frame, nested, seed=2014)
    rows = frame.set_index("municipality_code")
    for code in stage_codes(sample, "bme_takeover"):
        assert rows.loc[code, "bme_children_under_18"] == "yes" and rows.loc[code, "bme_tenant_takeover_aim"] == "yes"
    p = inclusion_probabilities(frame, nested).exact
    # Nested, a municipality answering children "no" can only come in through the supplement's
    # one draw among the "no" municipalities not already selected for certain: 1 / that many
    # (its place on the takeover list no longer counts).
    no = frame.bme_children_under_18.eq("no").to_numpy()
    free = p < 1
    assert np.unique(p[no & free].round(12)) == pytest.approx([1 / int((no & free).sum())])
    assert p.sum() == pytest.approx(30)


def test_design_sensitivity_runs_every_combination():
    d = load_design()
    frame = demo_frame()
    s = design_sensitivity(frame, d, seed=2014)
    assert s.assumptions == ("a1_a2", "a5_lists", "a9_pick_order", "a10_random_order")
    assert len(s.variants) == 2 ** 4
    assert s.variants[0].name == "default" and dict(s.variants[0].choices) == dict(d.choices)
    assert len({tuple(sorted(v.choices.items())) for v in s.variants}) == 16
    # every variant keeps the publication's 30, in expectation and in the drawn sample
    assert s.probabilities.sum(axis=1) == pytest.approx(np.full(16, 30.0))
    assert all(len(v.codes) == 30 for v in s.variants)
    t = s.to_frame().set_index("municipality_code")
    assert (t.probability_min <= t.probability_default + 1e-15).all()
    assert (t.probability_default <= t.probability_max + 1e-15).all()
    assert t.variants_selected.sum() == 16 * 30
    for code in FIXED:   # the four fixed ones: probability 1 and selected in every variant
        assert t.loc[code, "probability_range"] == 0 and t.loc[code, "variants_selected"] == 16
    # Huddinge is taken by the Kronofogden stage exactly when the variables are reversed and the
    # rule is next (2 x 2 variants of the other assumptions); otherwise its chance is small
    huddinge = [v.name for v in s.variants if "0126" in v.codes]
    assert len(huddinge) == 4 and all("variables_reversed" in n and "skip" not in n for n in huddinge)
    assert t.loc["0126", "probability_max"] == 1.0
    # each variant's sample is what select_sample draws with that variant
    v = s.variants[5]
    assert select_sample(frame, design_variant(d, choose=v.choices), seed=2014).codes == v.codes
    long = s.long_frame()
    assert len(long) == 16 * 290 and long.groupby("variant").selected.sum().eq(30).all()


def test_a_variant_that_cannot_give_30_on_a_frame_is_left_out_naming_stage_and_field():
    # Make one small municipality the highest per inhabitant for two variables: with skip the
    # Kronofogden stage then adds 3 new municipalities, not 4, and the skip variant gives 29.
    frame = demo_frame().copy()
    rate = frame.kfm_executed_evictions_2013 / frame.population_2013
    top = frame.loc[rate.idxmax()]
    i = frame.index[frame.municipality_code == top.municipality_code][0]
    best_children = (frame.kfm_children_executed_evictions_2013 / frame.population_2013).max()
    frame.loc[i, "kfm_children_executed_evictions_2013"] = int(best_children * top.population_2013) + 5
    assert len(reference_extremes(frame, VARIABLES, rule="skip")) == 3
    s = design_sensitivity(frame, load_design(), seed=1)
    # 2 x 2 x 2 x 2 combinations; the 8 with the skip reading cannot give 30 here and are left out
    assert len(s.variants) == 8 and all(v.choices["a1_a2"] == "next_ranked" for v in s.variants)
    assert len(s.infeasible) == 8 and all(v.choices["a1_a2"] == "skip_enlarged" for v in s.infeasible)
    message = s.infeasible[0].message
    assert s.infeasible[0].name == "a1_a2=skip_enlarged"
    assert "expected_size 30, but on this frame" in message and "gives 29" in message
    assert "kronofogden 3 of 8 picks (already_selected: skip)" in message
    assert s.probabilities.shape == (8, 290) and len(s.to_frame()) == 290


def test_the_design_itself_failing_on_the_frame_is_one_error():
    """When the design's own choices cannot be drawn there is nothing to compare with: one error."""
    frame = demo_frame().copy()
    frame.loc[frame.bme_children_under_18 == "yes", "bme_children_under_18"] = "no"
    with pytest.raises(DesignError, match=r"design 'default': .*stage 'bme_children' draws size 8, but only 0"):
        design_sensitivity(frame, load_design(), seed=1)


def write(tmp_path, text, name="design.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BASE = """\
name: t
title: T
random_numbers: per_stage
expected_size: {expected}
random_order: [{order}]
stages:
  - {{id: fixed, kind: certainty, label: x, reason: y, codes: ["0180"]}}
  - id: kfm
    kind: extremes
    label: k
    variables:
      - {{column: kfm_eviction_applications_2013, label: a}}
      - {{column: kfm_executed_evictions_2013, label: b}}
    variable_order: [{variables}]
    measures: [count]
    already_selected: next
    ties: lowest_code
  - {{id: one, kind: random, label: o, eligible: 'bme_children_under_18 == "yes"', size: 1, exclude_selected: true}}
  - {{id: two, kind: random, label: t, eligible: 'bme_children_under_18 == "no"', size: {size}, exclude_selected: true}}
"""
# 1 fixed + 2 picks (next) + 1 + 1 drawn = 5
GOOD = dict(expected=5, order="one, two", variables="kfm_eviction_applications_2013, kfm_executed_evictions_2013",
            size=1)


def test_the_good_small_design_loads():
    # the base of the bad cases below is itself valid
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        d = load_design(write(Path(tmp), BASE.format(**GOOD)))
    assert d.random_order == ("one", "two") and d.expected_size == 5


@pytest.mark.parametrize("changes, words", [
    (dict(order="one, nope"), ["random_order: stage 'nope' is not a stage of this design", "one, two",
                               "random_order leaves out stage(s) 'two'"]),
    (dict(order="one, kfm, two"), ["random_order: stage 'kfm' is a extremes stage"]),
    (dict(order="two, two, one"), ["random_order: stage 'two' is listed more than once"]),
    (dict(variables="kfm_eviction_applications_2013, kfm_bogus"),
     ["stage 'kfm': variable_order names 'kfm_bogus', which is not one of its variables",
      "variable_order must list 'kfm_executed_evictions_2013' exactly once"]),
    (dict(size=2), ["expected_size (5) cannot come out of these stages: they give exactly 6",
                    "fixed 1, kfm 2, one 1, two 2", "field size of a random stage"]),
], ids=["unknown-stage", "not-random", "twice", "unknown-variable", "total"])
def test_bad_orderings_and_totals_name_the_stage_and_field(tmp_path, changes, words):
    with pytest.raises(DesignError) as err:
        load_design(write(tmp_path, BASE.format(**{**GOOD, **changes})))
    for w in words:
        assert w in str(err.value)


def test_an_alternative_that_cannot_give_the_total_is_refused_when_read(tmp_path):
    text = BASE.format(**GOOD) + """\
open_assumptions:
  - id: bigger
    tag: A1
    question: q
    default: small
    alternatives:
      large: {stages: {two: {size: 3}}}
      elsewhere: {stages: {nope: {size: 3}}}
"""
    with pytest.raises(DesignError) as err:
        load_design(write(tmp_path, text))
    message = str(err.value)
    assert "open_assumptions 'bigger', alternative 'elsewhere': stage 'nope' is not a stage of this design" in message
    text = text.replace("      elsewhere: {stages: {nope: {size: 3}}}\n", "")
    with pytest.raises(DesignError, match=r"alternative 'large': expected_size \(5\) cannot come out .* exactly 7"):
        load_design(write(tmp_path, text))


def test_alternatives_that_change_the_same_field_cannot_be_combined(tmp_path):
    text = BASE.format(**{**GOOD, "expected": "null"}) + """\
open_assumptions:
  - {id: a, tag: A, question: q, default: d, alternatives: {x: {stages: {two: {size: 2}}}}}
  - {id: b, tag: B, question: q, default: d, alternatives: {y: {stages: {two: {size: 3}}}}}
"""
    d = load_design(write(tmp_path, text))
    with pytest.raises(DesignError, match="a=x and b=y both change stage two size"):
        design_variant(d, choose={"a": "x", "b": "y"})
    with pytest.raises(DesignError, match=r"a \('z'\) must be one of: d, x"):
        design_variant(d, choose={"a": "z"})
    with pytest.raises(DesignError, match=r"open assumption \('c'\) must be one of: a, b"):
        design_variant(d, choose={"c": "x"})


def test_variant_files_are_checked(tmp_path):
    base = DESIGN_DIR / "2014.yaml"
    bad = write(tmp_path, f"variant_of: {base}\nname: v\nchoose: {{a1_a2: skip_enlarged}}\nstages: []\n", "v.yaml")
    with pytest.raises(DesignError, match="unknown key 'stages': a variant file"):
        load_design(bad)
    missing = write(tmp_path, "variant_of: nowhere.yaml\nchoose: {a1_a2: skip_enlarged}\n", "m.yaml")
    with pytest.raises(DesignError, match="nowhere.yaml: no such design file"):
        load_design(missing)
    wrong = write(tmp_path, f"variant_of: {base}\nchoose: {{a1_a2: sometimes}}\n", "w.yaml")
    with pytest.raises(DesignError, match=r"a1_a2 \('sometimes'\) must be one of: next_ranked, skip_enlarged"):
        load_design(wrong)
