"""Design variants for the open assumptions A1 (stage-3 sizes) and A2 (already selected)."""

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
    from sbm_stats import _cli_sample
    from sbm_stats.sampling._synthetic import DEMO_SEED

    assert _cli_sample.DEMO_SEED == DEMO_SEED
