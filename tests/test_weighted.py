"""Tests of sbm_stats.estimation.weighted and .nonresponse against R's survey package.

The reference values come from R 4.2.2 with survey 4.1.1 (Debian's r-cran-survey) and are
stored in tests/reference/ (CI has no R): survey_r.csv is written by
tests/reference/r/survey_reference.R from the designs in survey_designs.csv, one row per
(design, domain, lonely_psu, method, level) with the R call in its `call` column;
nonresponse_r.csv by tests/reference/r/nonresponse_reference.R from nonresponse_sample.csv.
R prints 17 significant digits there; the tolerances below say what limits each method.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sbm_stats.estimation.nonresponse import NONRESPONSE_ASSUMPTION, weighting_class_adjustment
from sbm_stats.estimation.proportions import proportion_ci
from sbm_stats.estimation.weighted import (
    WEIGHTED_METHODS,
    DomainProportions,
    domain_proportions,
    weighted_proportion,
)

REFERENCE = Path(__file__).resolve().parent / "reference"
UNITS = pd.read_csv(REFERENCE / "survey_designs.csv", comment="#")
R_SURVEY = pd.read_csv(REFERENCE / "survey_r.csv", comment="#", keep_default_na=False, na_values=["NA"])

#: Our method for R's: "mean" is the Wald interval; "likelihood_fine" is R's likelihood
#: interval on a fine profile grid (see the R script).
OURS = {"mean": "wald", "logit": "logit", "beta": "beta", "likelihood": "likelihood",
        "likelihood_fine": "likelihood"}
#: Bound tolerances: R fits the logit by IRLS (glm's epsilon 1e-8), 3e-10 here; R's
#: likelihood interval interpolates a spline through a profile on a grid (default grid:
#: up to 4.4e-3 from the exact root in these small designs; the fine grid: 3e-6).
BOUND_TOL = {"mean": 1e-12, "beta": 1e-12, "logit": 1e-9, "likelihood": 5e-3, "likelihood_fine": 5e-6}


def _design_kwargs(name: str) -> dict:
    u = UNITS[UNITS.design == name]
    strata = None if (u.stratum == "all").all() else u.stratum.to_numpy()
    big_n = None
    if u.N.notna().all():
        big_n = int(u.N.iloc[0]) if strata is None else dict(zip(u.stratum, u.N.astype(int)))
    return {"y": u.y.to_numpy(), "weights": u.w.to_numpy(), "strata": strata, "population_size": big_n,
            "domains": u.domain.to_numpy()}


def _ours(row) -> object:
    kw = _design_kwargs(row.design)
    domains = kw.pop("domains")
    opts = dict(confidence_level=row.level, method=OURS[row.method], lonely_psu=row.lonely_psu)
    if row.domain:
        result = domain_proportions(kw.pop("y"), kw.pop("weights"), domains, **kw, **opts)
        assert isinstance(result, DomainProportions)
        return result[row.domain]
    return weighted_proportion(**kw, **opts)


ROWS = list(R_SURVEY.itertuples(index=False))


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.design}-{r.domain or 'all'}-{r.lonely_psu}-{r.method}-{r.level}"
                                           for r in ROWS])
def test_matches_r_survey(row):
    res = _ours(row)
    assert res.estimate == pytest.approx(row.estimate, abs=1e-14)
    assert res.standard_error == pytest.approx(row.se, abs=1e-14)
    assert res.df == row.df
    for ours, theirs in ((res.deff, row.deff), (res.deff_replace, row.deff_replace)):
        if math.isnan(theirs):
            assert ours is None
        else:
            assert ours == pytest.approx(theirs, rel=1e-12)
    if math.isnan(row.low):
        return  # R has no interval here (all answers 0 or 1): see test_edges_are_exact
    low, high = row.low, row.high
    if row.method == "mean":  # R does not clip the Wald interval to [0, 1]; we do
        low, high = max(0.0, low), min(1.0, high)
    assert (res.low, res.high) == pytest.approx((low, high), abs=BOUND_TOL[row.method])


def test_edges_are_exact():
    """Issue 22, D1: all answers 1 with real weights gave 1.0000000000000002, and 'logit' crashed."""
    w = [27.3, 11.8, 10.5, 10.5, 14.5, 2.9, 16.4, 27.7]
    for answer in (0, 1):
        for method in WEIGHTED_METHODS:
            res = weighted_proportion([answer] * 8, w, method=method)
            assert res.estimate == answer and res.standard_error == 0.0
            if method == "beta":
                # Korn & Graubard with design effect 1 (n_eff = n = 8, df factor (t_7 / t_7)^2 = 1):
                # the Clopper-Pearson bound 0.025^(1/8) = 0.6305 (R gives NaN here)
                edge = 0.025 ** (1 / 8)
                expected = (0.0, 1 - edge) if answer == 0 else (edge, 1.0)
                assert (res.low, res.high) == pytest.approx(expected, abs=1e-14)
            else:
                # R's "mean" gives exactly [p, p], its "logit" [p, p] to 1e-10 (survey_r.csv)
                assert (res.low, res.high) == (answer, answer)


@pytest.mark.parametrize("method", ["wald", "logit"])
def test_proportion_ci_with_population_size_is_r_srswor(method):
    """Issue 22, D6: proportion_ci(..., population_size=N) uses t with n - 1 df, as R's
    svyciprop on svydesign(ids = ~1, fpc = ~N), and agrees with weighted_proportion."""
    ref = R_SURVEY[(R_SURVEY.design == "srs_fpc") & (R_SURVEY.domain == "")
                   & (R_SURVEY.method == {"wald": "mean"}.get(method, method))]
    for row in ref.itertuples():
        res = proportion_ci(16, 29, population_size=290, method=method, confidence_level=row.level)
        assert (res.low, res.high) == pytest.approx((row.low, row.high), abs=BOUND_TOL[row.method])
        same = weighted_proportion([1] * 16 + [0] * 13, [10.0] * 29, population_size=290, method=method,
                                   confidence_level=row.level)
        assert (res.low, res.high) == pytest.approx((same.low, same.high), abs=1e-12)
    # the normal quantile (df=None), R 4.2.2, survey 4.1.1:
    #   d <- svydesign(ids = ~1, weights = ~w, fpc = ~N,
    #                  data = data.frame(y = c(rep(1, 16), rep(0, 13)), w = 10, N = 290))
    #   confint(svymean(~y, d))  # 0.37697139561808762 0.72647688024398138
    # (by hand: 16/29 -/+ 1.959964 * sqrt(0.9 * (16/29) (13/29) / 28) = 0.551724 -/+ 0.174753)
    if method == "wald":
        normal = proportion_ci(16, 29, population_size=290, method="wald", df=None)
        assert (normal.low, normal.high) == pytest.approx((0.37697139561808762, 0.72647688024398138), abs=1e-12)


def test_proportion_ci_df_needs_population_size():
    with pytest.raises(ValueError, match=r"df \(None\) applies only with population_size"):
        proportion_ci(16, 29, df=None)


# ---------------------------------------------------------------- invariants (Hypothesis)

weights_strategy = st.floats(min_value=1e-6, max_value=1e8, allow_nan=False, allow_infinity=False)


@st.composite
def designs(draw):
    n = draw(st.integers(min_value=2, max_value=30))
    w = draw(st.lists(weights_strategy, min_size=n, max_size=n))
    kind = draw(st.sampled_from(["random", "zeros", "ones"]))
    y = {"zeros": [0] * n, "ones": [1] * n}.get(kind) or draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    n_strata = draw(st.integers(min_value=1, max_value=max(1, n // 2)))
    strata = draw(st.lists(st.integers(0, n_strata - 1), min_size=n, max_size=n))
    return y, w, strata


@settings(max_examples=300, deadline=None)
@given(design=designs(), method=st.sampled_from(WEIGHTED_METHODS),
       lonely=st.sampled_from(["certainty", "adjust", "average"]), level=st.sampled_from([0.8, 0.95, 0.99]),
       fpc=st.booleans())
def test_bounds_hold_for_real_weights_edges_and_single_unit_strata(design, method, lonely, level, fpc):
    y, w, strata = design
    counts = pd.Series(strata).value_counts()
    population = {h: int(counts[h]) * 3 for h in counts.index} if fpc else None
    if lonely == "average" and (counts == 1).all():
        lonely = "certainty"  # 'average' needs one stratum of two units (tested below)
    if len(set(strata)) == len(y):
        return  # every stratum one unit: no degrees of freedom (n - H = 0)
    res = weighted_proportion(y, w, strata=strata, population_size=population, method=method,
                              lonely_psu=lonely, confidence_level=level)
    assert 0.0 <= res.low <= res.estimate <= res.high <= 1.0
    if sum(y) == 0 or sum(y) == len(y):
        assert res.estimate == (1.0 if sum(y) else 0.0)


@settings(max_examples=100, deadline=None)
@given(w=st.lists(weights_strategy, min_size=2, max_size=40), answer=st.integers(0, 1))
def test_all_equal_answers_give_exactly_zero_or_one(w, answer):
    for method in WEIGHTED_METHODS:
        res = weighted_proportion([answer] * len(w), w, method=method)
        assert res.estimate == answer
        assert res.low <= res.estimate <= res.high


# ---------------------------------------------------------------- domains and nonresponse


def test_domain_frame_and_errors():
    kw = _design_kwargs("stratified_fpc")
    res = domain_proportions(kw["y"], kw["weights"], kw["domains"], strata=kw["strata"],
                             population_size=kw["population_size"])
    frame = res.to_frame()
    assert list(frame.index) == ["x", "y"] and frame.index.name == "domain"
    # R: svyciprop(~y, subset(d, domain == 'x'), method = 'mean') estimate (survey_r.csv)
    ref = R_SURVEY[(R_SURVEY.design == "stratified_fpc") & (R_SURVEY.domain == "x")].iloc[0]
    assert frame.loc["x", "estimate"] == pytest.approx(ref.estimate, abs=1e-14)
    with pytest.raises(ValueError, match=r"levels\[1\] is 'z', which no unit has in domains"):
        domain_proportions(kw["y"], kw["weights"], kw["domains"], levels=["x", "z"], strata=kw["strata"],
                           population_size=kw["population_size"])
    with pytest.raises(KeyError, match="no domain 'z'"):
        res["z"]


def test_weighting_class_adjustment_matches_r_poststratify():
    sample = pd.read_csv(REFERENCE / "nonresponse_sample.csv", comment="#")
    ref = pd.read_csv(REFERENCE / "nonresponse_r.csv", comment="#")
    adj = weighting_class_adjustment(sample.w, sample.responded.astype(bool), sample["class"])
    r_weights = ref[ref.kind == "weight"].set_index("unit")["value"]
    ours = pd.Series(adj.adjusted_weights, index=sample.unit)
    np.testing.assert_allclose(ours[r_weights.index], r_weights, rtol=1e-14)
    assert ours[6] == 0.0  # the unit that declined
    # the class totals are kept: drawn 5 x 12.5 = 62.5 = 4 x 15.625
    assert adj.factors["drawn"] == pytest.approx(1.25, rel=1e-15)
    table = adj.compare(sample.y, method="logit").set_index("weights")
    for kind, name in (("unadjusted", "unadjusted"), ("adjusted", "weighting-class adjusted")):
        r = ref[ref.kind == kind].iloc[0]
        assert table.loc[name, "estimate"] == pytest.approx(r.value, abs=1e-14)
        assert table.loc[name, "standard_error"] == pytest.approx(r.se, abs=1e-14)
        assert (table.loc[name, "low"], table.loc[name, "high"]) == pytest.approx((r.low, r.high), abs=1e-9)
    assert table.loc["weighting-class adjusted", "assumption"] == NONRESPONSE_ASSUMPTION


def test_weighting_class_without_respondents_is_refused():
    with pytest.raises(ValueError, match=r"classes\[2\] is 'b', a class in which no unit answered"):
        weighting_class_adjustment([1.0, 1.0, 2.0], [True, True, False], ["a", "a", "b"])
    with pytest.raises(ValueError, match=r"responded\[1\] is 2, which is neither True nor False"):
        weighting_class_adjustment([1.0, 1.0], [1, 2], ["a", "a"])


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("kwargs, message", [
    (dict(weights=[1.0, -2.0, 1.0, 1.0]), r"weights\[1\] is -2.0, which is not positive"),
    (dict(weights=[1.0, 0.0, 1.0, 1.0]), r"weights\[1\] is 0.0, which is not positive"),
    (dict(weights=[1.0, 1.0, float("nan"), 1.0]), r"weights\[2\] is nan, which is missing"),
    (dict(weights=[1.0, 1.0, 1.0, float("inf")]), r"weights\[3\] is inf, which is infinite"),
    (dict(y=[1, 0, 0.5, 1]), r"y\[2\] is 0.5, which is neither 0 nor 1"),
    (dict(strata=["a", "a", "a", "b"]),
     r"stratum 'b' \(strata\[3\]\) has a single unit.*lonely_psu='certainty', 'adjust' or 'average'"),
    (dict(lonely_psu="remove"), r"lonely_psu \('remove'\) must be one of 'fail', 'certainty', 'adjust' or "
                                r"'average'"),
    (dict(strata=["a", None, "a", "a"]), r"strata\[1\] is None, which is missing"),
])
def test_bad_input_names_argument_position_and_expectation(kwargs, message):
    args = dict(y=[1, 0, 1, 1], weights=[1.0, 1.0, 1.0, 1.0]) | kwargs
    with pytest.raises(ValueError, match=message):
        weighted_proportion(**args)


def test_weights_of_very_different_size_do_not_break_the_logit():
    # 1 of weight 1e20 and 0 of weight 1: p = 1e20 / (1e20 + 1) rounds to 1.0 although the
    # variance is positive; the interval is [p, p] instead of a logit of infinity
    res = weighted_proportion([1, 0, 1], [1e20, 1.0, 1e20], method="logit")
    assert res.estimate == 1.0 and (res.low, res.high) == (1.0, 1.0)


def test_average_needs_a_stratum_of_two():
    with pytest.raises(ValueError, match="lonely_psu='average' needs at least one stratum of two units"):
        weighted_proportion([1, 0], [1.0, 1.0], strata=["a", "b"], lonely_psu="average")


@pytest.mark.parametrize("method", ["logit", "likelihood"])
def test_a_wide_interval_on_the_logit_scale_does_not_overflow(method):
    # Two units, y = (1, 0), equal weights: p = 0.5, se = 0.5 (R: SE(svymean(~y, d)) with
    # d <- svydesign(ids = ~1, weights = ~w, data = data.frame(y = c(1, 0), w = 1))), df = 1,
    # q = qt(0.9995, 1) = 636.6192487687897 (R). Logit: 0 -/+ q 0.5 / 0.25 = -/+1273.2, and
    # 1 / (1 + e^1273.2) is below the smallest double: the bounds are 0.0 and 1.0. The
    # likelihood's deviance cut-off, q^2 v phi / (2 p (1 - p)) = 636.6^2 * 0.25 * 2 / 0.5,
    # is about 4e5, reached near logit +/-8e5: the same 0.0 and 1.0. (R's svyciprop gives
    # [0, NaN] for "logit" and stops for "likelihood" here.) Both raised OverflowError.
    res = weighted_proportion([1, 0], [1.0, 1.0], method=method, confidence_level=0.999)
    assert (res.low, res.high) == (0.0, 1.0)


@pytest.mark.parametrize("df, low, high", [
    # R 4.2.2, survey 4.1.1:
    #   d <- svydesign(ids = ~1, weights = ~w, fpc = ~N,
    #                  data = data.frame(y = rep(c(1, 0), each = 500), w = 10, N = 10000))
    #   attr(svyciprop(~y, d, method = "mean", df = 0.9), "ci")
    #   0.25117468365318862 0.74882531634681138
    # (by hand: 0.5 -/+ qt(0.975, 0.9) SE = 0.5 -/+ 16.580058171327337 * 0.015007505629691728)
    (0.9, 0.25117468365318862, 0.74882531634681138),
    # df = 1: 0.5 -/+ qt(0.975, 1) SE, qt(0.975, 1) = 12.706204736174694 (R)
    (1.0, 0.5 - 12.706204736174694 * 0.015007505629691728, 0.5 + 12.706204736174694 * 0.015007505629691728),
])
def test_proportion_ci_uses_a_df_below_one_as_given(df, low, high):
    # A df below 1 was silently raised to 1 (np.maximum(df, 1)): df = 0.9 gave df = 1's bounds
    res = proportion_ci(500, 1000, population_size=10000, method="wald", df=df)
    assert (res.low, res.high) == pytest.approx((low, high), abs=1e-12)


@pytest.mark.parametrize("call, error, message", [
    # each raised a numpy/pandas error naming no argument, or named a position among the
    # answers only (y[2] for the fourth unit, unit 2 having declined)
    (lambda adj: adj.compare(pd.Series([1, 0, np.nan, np.nan, 0], index=list("vwxyz"))), ValueError,
     r"y\[3\] \(index label 'y'\) is nan, which is missing"),
    (lambda adj: adj.compare([1, 0, np.nan, 2, 0]), ValueError, r"y\[3\] is 2.0, which is neither 0 nor 1"),
    (lambda adj: adj.compare(["yes", "no", "", "yes", "no"]), TypeError, r"y must be numeric .*'yes'"),
    (lambda adj: adj.compare([1, 0, np.nan, 1, 0], strata=["a", "b"]), ValueError,
     r"strata must be one label per unit \(5 units\); got shape \(2,\)"),
    (lambda adj: weighting_class_adjustment([], [], []), ValueError, "weights is empty"),
    (lambda adj: weighting_class_adjustment([1.0, 1.0], pd.Series([True, None], dtype="boolean"), ["a", "a"]),
     ValueError, r"responded\[1\] \(index label 1\) is <NA>, which is neither True nor False"),
])
def test_nonresponse_bad_input_names_the_argument(call, error, message):
    adj = weighting_class_adjustment([10, 10, 10, 5, 5], [True, True, False, True, True], list("aaabb"))
    with pytest.raises(error, match=message):
        call(adj)


def test_compare_ignores_what_a_unit_that_declined_holds():
    # pandas' missing value, text or None where unit 2 declined: the same table as with NaN there
    adj = weighting_class_adjustment([10, 10, 10, 5, 5], [True, True, False, True, True], list("aaabb"))
    expected = adj.compare([1, 0, np.nan, 1, 0])
    for y in (pd.Series([True, False, None, True, False], dtype="boolean"), [1, 0, "declined", 1, 0],
              [1, 0, None, 1, 0]):
        pd.testing.assert_frame_equal(adj.compare(y), expected)


def test_domain_errors_name_the_domain_and_the_level():
    # Domain 'a' is units 0 (stratum x, y = 1) and 2 (stratum y, y = 0): p = 0.5 with a
    # variance, and R's degf() of subset(d, domain == 'a') is 2 units - 2 strata = 0
    # (R's svyciprop gives NaN bounds there; we refuse, naming the domain)
    with pytest.raises(ValueError, match=r"df='design' gives the 2 units of domain 'a' less their 2 strata = 0"):
        domain_proportions([1, 0, 0, 1], [1.0] * 4, list("abab"), strata=list("xxyy"))
    with pytest.raises(ValueError, match=r"levels\[2\] is 'a', which levels names before"):
        domain_proportions([1, 0, 0, 1], [1.0] * 4, list("aabb"), levels=["a", "b", "a"])
    # a string is one label, not a list of its characters (list("ab") would be the domains a and b)
    with pytest.raises(TypeError, match=r"levels \('ab'\) must be a list of domain labels, such as \['ab'\]"):
        domain_proportions([1, 0, 0, 1], [1.0] * 4, ["ab", "ab", "c", "c"], levels="ab")
