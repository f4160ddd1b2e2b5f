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
