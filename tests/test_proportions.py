"""Tests of sbm_stats.estimation.proportions: reference values, edges, validation, invariants.

Every expected number names its origin: a table in tests/reference/ (with its source in
the file's header), a closed form computed here with the standard library only (no
scipy or statsmodels, which the code under test uses), or a hand computation shown in
the comment.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from sbm_stats.estimation.proportions import (
    PROPORTION_METHODS,
    ConfidenceInterval,
    ProportionCI,
    proportion_ci,
)
from sbm_stats.estimation.weighted import WeightedProportion, weighted_proportion

REFERENCE = Path(__file__).resolve().parent / "reference"


def _z(level: float) -> float:
    """Standard normal quantile at 1 - alpha/2, from the standard library."""
    return NormalDist().inv_cdf(1 - (1 - level) / 2)


# --------------------------------------------------------------------------------
# Reference tables
# --------------------------------------------------------------------------------

R_BINOM = pd.read_csv(REFERENCE / "proportion_ci_r_binom.csv", comment="#")
NEWCOMBE = pd.read_csv(REFERENCE / "proportion_ci_newcombe1998.csv", comment="#")
HYPER = pd.read_csv(REFERENCE / "proportion_ci_hypergeometric_hand.csv", comment="#")


@pytest.mark.parametrize("row", R_BINOM.to_dict("records"),
                         ids=lambda r: f"{r['method']}-{r['count']}/{r['nobs']}")
def test_matches_r_binom(row):
    # Source: R binom::binom.confint, quoted in statsmodels' results_proportion.py; see
    # the header of tests/reference/proportion_ci_r_binom.csv.
    res = proportion_ci(int(row["count"]), int(row["nobs"]),
                        confidence_level=row["confidence_level"], method=row["method"])
    assert res.low == pytest.approx(row["low"], abs=row["tolerance"], rel=0)
    assert res.high == pytest.approx(row["high"], abs=row["tolerance"], rel=0)


def test_r_binom_table_covers_the_methods_it_can():
    # binom has no equal-tailed Jeffreys interval in binom.confint; the others are there.
    assert set(R_BINOM["method"]) == set(PROPORTION_METHODS) - {"jeffreys"}


@pytest.mark.parametrize("row", NEWCOMBE.to_dict("records"),
                         ids=lambda r: f"{r['method']}-{r['count']}/{r['nobs']}")
def test_matches_newcombe_1998_table_i(row):
    # Source: Newcombe (1998) Stat Med 17:857, Table I; see the CSV header.
    res = proportion_ci(int(row["count"]), int(row["nobs"]), method=row["method"])
    assert res.low == pytest.approx(row["low"], abs=row["tolerance"], rel=0)
    assert res.high == pytest.approx(row["high"], abs=row["tolerance"], rel=0)


@pytest.mark.parametrize("row", HYPER.to_dict("records"),
                         ids=lambda r: f"{r['count']}/{r['nobs']}of{r['population_size']}")
def test_exact_finite_population_matches_hand_working(row):
    # Source: the "working" column of proportion_ci_hypergeometric_hand.csv.
    res = proportion_ci(int(row["count"]), int(row["nobs"]), method="clopper-pearson",
                        confidence_level=row["confidence_level"],
                        population_size=int(row["population_size"]))
    assert res.low == pytest.approx(row["low"], abs=1e-12)
    assert res.high == pytest.approx(row["high"], abs=1e-12)


def test_exact_finite_population_matches_enumeration():
    # Independent check: hypergeometric tails summed with math.comb for every M.
    def brute(x, n, big_n, level):
        half = (1 - level) / 2
        total = math.comb(big_n, n)

        def pmf(k, m):
            return math.comb(m, k) * math.comb(big_n - m, n - k) / total

        kept = [m for m in range(x, big_n - (n - x) + 1)
                if sum(pmf(k, m) for k in range(x, n + 1)) >= half
                and sum(pmf(k, m) for k in range(0, x + 1)) >= half]
        return min(kept) / big_n, max(kept) / big_n

    cases = [(x, 29, 290, 0.95) for x in (0, 1, 7, 13, 16, 28, 29)] + [
        (3, 10, 40, 0.9), (5, 12, 13, 0.8), (0, 1, 2, 0.95)]
    for x, n, big_n, level in cases:
        res = proportion_ci(x, n, method="clopper-pearson", population_size=big_n,
                            confidence_level=level)
        low, high = brute(x, n, big_n, level)
        assert (res.low, res.high) == pytest.approx((low, high), abs=1e-12), (x, n, big_n)


# --------------------------------------------------------------------------------
# Closed forms, computed here with the standard library
# --------------------------------------------------------------------------------


def _wilson(x, n, level):
    # Wilson (1927): (p + z^2/2n -/+ z sqrt(p q / n + z^2 / 4n^2)) / (1 + z^2/n)
    z = _z(level)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@pytest.mark.parametrize("x,n,level", [(16, 29, 0.95), (0, 29, 0.95), (29, 29, 0.9),
                                       (7, 29, 0.99), (1, 2, 0.5), (500, 1000, 0.95)])
def test_wilson_closed_form(x, n, level):
    # By hand for 16/29 at 95 %: z^2 = 3.841459, centre = (0.551724 + 0.066232) / 1.132464
    # = 0.545674, half = 1.959964 * sqrt(0.0085284 + 0.0011419) / 1.132464 = 0.170198,
    # so [0.3755, 0.7159]; the other rows use the same formula in _wilson.
    res = proportion_ci(x, n, confidence_level=level, method="wilson")
    assert (res.low, res.high) == pytest.approx(_wilson(x, n, level), abs=1e-10)
    if (x, n, level) == (16, 29, 0.95):
        assert (round(res.low, 4), round(res.high, 4)) == (0.3755, 0.7159)


@pytest.mark.parametrize("x,n,level", [(81, 263, 0.95), (16, 29, 0.95), (3, 10, 0.8)])
def test_wald_closed_form(x, n, level):
    # p -/+ z sqrt(p q / n). By hand for 81/263: p = 0.307985, sqrt(p q / 263) = 0.028467,
    # 1.959964 * 0.028467 = 0.055795, so [0.2522, 0.3638].
    p = x / n
    half = _z(level) * math.sqrt(p * (1 - p) / n)
    res = proportion_ci(x, n, confidence_level=level, method="wald")
    assert (res.low, res.high) == pytest.approx((p - half, p + half), abs=1e-10)
    if x == 81:
        assert (round(res.low, 4), round(res.high, 4)) == (0.2522, 0.3638)


@pytest.mark.parametrize("n", [1, 2, 20, 29, 30, 1000])
@pytest.mark.parametrize("level", [0.5, 0.9, 0.95, 0.99])
def test_clopper_pearson_and_logit_at_the_edges_are_closed_form(n, level):
    # At x = 0 the exact upper bound solves (1 - p)^n = alpha/2: p = 1 - (alpha/2)^(1/n),
    # and the lower bound is exactly 0; x = n is the mirror image. R's binom.logit uses
    # the same bounds at the edges (see proportion_ci_r_binom.csv, rows 0/30 and 30/30).
    alpha = 1 - level
    edge = 1 - (alpha / 2) ** (1 / n)
    for method in ("clopper-pearson", "logit"):
        zero = proportion_ci(0, n, confidence_level=level, method=method)
        full = proportion_ci(n, n, confidence_level=level, method=method)
        assert zero.low == 0.0
        assert zero.high == pytest.approx(edge, rel=1e-12)
        assert full.high == 1.0
        assert full.low == pytest.approx(1 - edge, rel=1e-12)


def _bisect(f, target, lo=0.0, hi=1.0):
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < target else (lo, mid)
    return (lo + hi) / 2


def test_jeffreys_closed_forms():
    # Beta(1/2, 3/2) (x = 0, n = 1): density sqrt((1-t)/t) / (pi/2); with t = sin^2(u)
    # the CDF is (2/pi)(asin(sqrt t) + sqrt(t (1 - t))).
    # Beta(3/2, 3/2) (x = 1, n = 2): density sqrt(t (1-t)) / (pi/8); the CDF is
    # (2u - sin(4u)/2) / pi with u = asin(sqrt t).
    def cdf_half_threehalf(t):
        return 2 / math.pi * (math.asin(math.sqrt(t)) + math.sqrt(t * (1 - t)))

    def cdf_threehalf(t):
        u = math.asin(math.sqrt(t))
        return (2 * u - math.sin(4 * u) / 2) / math.pi

    for level in (0.5, 0.9, 0.95):
        a2 = (1 - level) / 2
        res = proportion_ci(0, 1, confidence_level=level, method="jeffreys")
        # modified at x = 0 (Brown, Cai & DasGupta 2001, 4.1.2): the lower bound is 0
        assert res.low == 0.0
        assert res.high == pytest.approx(_bisect(cdf_half_threehalf, 1 - a2), abs=1e-10)
        mirror = proportion_ci(1, 1, confidence_level=level, method="jeffreys")
        assert (mirror.low, mirror.high) == pytest.approx((1 - res.high, 1.0), abs=1e-10)
        mid = proportion_ci(1, 2, confidence_level=level, method="jeffreys")
        assert mid.low == pytest.approx(_bisect(cdf_threehalf, a2), abs=1e-10)
        assert mid.high == pytest.approx(_bisect(cdf_threehalf, 1 - a2), abs=1e-10)


# --------------------------------------------------------------------------------
# Finite population correction
# --------------------------------------------------------------------------------


def test_fpc_wald_is_cochrans_unbiased_variance():
    # Textbook value worked by hand (Cochran 1977, section 3.3: v(p) = (1 - n/N) p q / (n - 1)):
    # 16 of 29 from N = 290: p q = 16 * 13 / 29^2 = 208/841 = 0.24732461;
    # (1 - 29/290) = 0.9 -> 0.9 * 208/841 / 28 = 187.2/23548 = 0.00794972, se = 0.0891612.
    # svy 0.35.0 gives the same se (see test_weighted_matches_svy below: 0.0892, 4 decimals).
    # (df=None: the normal quantile, so that the half-width divided by z is the se)
    res = proportion_ci(16, 29, population_size=290, method="wald", df=None)
    se = (res.high - res.low) / 2 / _z(0.95)
    assert se == pytest.approx(0.0891612, abs=5e-8)
    assert se ** 2 == pytest.approx(187.2 / 23548, rel=1e-12)
    # the same convention as weighted_proportion with equal weights and N
    w = weighted_proportion([1] * 16 + [0] * 13, [10.0] * 29, population_size=290)
    assert w.standard_error == pytest.approx(se, rel=1e-12)


@pytest.mark.parametrize("method", ["wald", "wilson", "agresti-coull", "logit", "jeffreys"])
def test_fpc_is_the_effective_sample_size(method):
    # n_eff = (n - 1) N / (N - n) (Korn & Graubard 1998; R survey::svyciprop "beta":
    # n.eff = p(1 - p) / vcov): for 29 of 290, 28 * 290 / 261 = 31.1111...; the interval
    # with FPC equals the one without FPC at x_eff = p n_eff, n_eff.
    x, n, big_n = 16, 29, 290
    n_eff = (n - 1) * big_n / (big_n - n)
    assert n_eff == pytest.approx(31.111111111, abs=1e-9)
    with_fpc = proportion_ci(x, n, population_size=big_n, method=method, df=None)
    p = x / n
    if method == "wald":
        half = _z(0.95) * math.sqrt((1 - n / big_n) * p * (1 - p) / (n - 1))
        assert (with_fpc.low, with_fpc.high) == pytest.approx((p - half, p + half), abs=1e-12)
    if method == "wilson":
        # Wilson's closed form at the effective size: n_eff = 31.1111, x_eff = 16/29 * n_eff;
        # centre (p + z^2/2n) / (1 + z^2/n) and half-width
        # z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/4n^2) with n = n_eff, p = 16/29, z = 1.959964
        # give 0.3810712 and 0.7110076 (standard library only).
        z = _z(0.95)
        centre = (p + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
        half = z / (1 + z * z / n_eff) * math.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff * n_eff))
        assert (centre - half, centre + half) == pytest.approx((0.3810712, 0.7110076), abs=5e-8)
        assert (with_fpc.low, with_fpc.high) == pytest.approx((centre - half, centre + half), abs=1e-12)
    if method in ("agresti-coull", "jeffreys"):
        # statsmodels at the (fractional) effective counts, called directly
        name = {"agresti-coull": "agresti_coull"}.get(method, method)
        lo, hi = proportion_confint(x * n_eff / n, n_eff, alpha=0.05, method=name)
        assert (with_fpc.low, with_fpc.high) == pytest.approx((lo, hi), abs=1e-12)
    if method == "logit":
        z = _z(0.95)
        centre, half = math.log(p / (1 - p)), z / math.sqrt(n_eff * p * (1 - p))
        expit = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
        assert (with_fpc.low, with_fpc.high) == pytest.approx((expit(centre - half), expit(centre + half)),
                                                              abs=1e-12)
    # N = 290 < n^2 = 841: the effective size exceeds n, so with the normal quantile the
    # interval is narrower (the default t quantile with 28 df widens it again, see below)
    without = proportion_ci(x, n, method=method)
    assert with_fpc.low > without.low and with_fpc.high < without.high


def test_fpc_census_gives_a_zero_width_interval():
    for method in PROPORTION_METHODS:
        res = proportion_ci(16, 29, population_size=29, method=method)
        assert res.low == res.high == res.estimate == 16 / 29


@pytest.mark.parametrize("method", ["wald", "wilson", "agresti-coull", "jeffreys", "clopper-pearson"])
def test_fpc_tends_to_n_minus_1_for_a_large_population(method):
    # With N -> infinity, v(p) -> p q / (n - 1): the effective-size methods tend to the
    # interval at n - 1 trials (R survey's estimator without fpc), not to the binomial one at
    # n; the exact one tends to the binomial Clopper-Pearson interval at n. Interior counts
    # (the edge rules are checked elsewhere); references from statsmodels called directly.
    counts = np.array([1, 16, 28])
    big = proportion_ci(counts, 29, method=method, population_size=10**7, df=None)
    if method == "clopper-pearson":
        lo, hi = proportion_confint(counts, 29, alpha=0.05, method="beta")
    else:
        name = {"agresti-coull": "agresti_coull", "wald": "normal"}.get(method, method)
        lo, hi = proportion_confint(counts * 28 / 29, 28, alpha=0.05, method=name)
    np.testing.assert_allclose(big.low, np.clip(lo, 0, 1), atol=2e-5)
    np.testing.assert_allclose(big.high, np.clip(hi, 0, 1), atol=2e-5)


def test_fpc_above_the_hypergeometric_limit_uses_the_binomial_interval():
    # Documented: for N > 1e8 clopper-pearson ignores the (negligible) correction.
    base = proportion_ci(16, 29, method="clopper-pearson")
    big = proportion_ci(16, 29, method="clopper-pearson", population_size=10**9)
    assert (big.low, big.high) == (base.low, base.high)


def test_fpc_with_one_unit():
    # n = 1 of N = 290: v(p) = (1 - 1/290) p q / 0 cannot be estimated, so the
    # effective-size methods give [0, 1].
    for method in ("wald", "wilson", "agresti-coull", "logit", "jeffreys"):
        res = proportion_ci(1, 1, method=method, population_size=290)
        assert (res.low, res.high) == (0.0, 1.0)
    # The exact interval changes too (hand-worked): P(X >= 1 | M) = M / 290 >= 0.025 needs
    # M >= 7.25, so M_low = 8; P(X <= 1 | M) = 1 for every M, so M_high = 290: [8/290, 1].
    res = proportion_ci(1, 1, method="clopper-pearson", population_size=290)
    assert (res.low, res.high) == pytest.approx((8 / 290, 1.0), abs=1e-15)
    assert res.low == pytest.approx(0.0276, abs=5e-5)
    assert proportion_ci(1, 1, method="clopper-pearson").low == pytest.approx(0.025, abs=1e-12)


def test_logit_is_not_monotone_in_the_count_at_99_percent():
    # Worked by hand (documented in proportion_ci): z = 2.5758; 1 of 29: logit = ln(1/28) =
    # -3.3322, half = z sqrt(29 / (1 * 28)) = 2.6214 -> upper expit(-0.7108) = 0.3294;
    # 2 of 29: ln(2/27) = -2.6027, half = z sqrt(29 / (2 * 27)) = 1.8877 -> expit(-0.7150) = 0.3285.
    one = proportion_ci(1, 29, method="logit", confidence_level=0.99)
    two = proportion_ci(2, 29, method="logit", confidence_level=0.99)
    assert one.high == pytest.approx(0.3294, abs=5e-5) and two.high == pytest.approx(0.3285, abs=5e-5)
    assert one.high > two.high


# --------------------------------------------------------------------------------
# Shapes, types and the result object
# --------------------------------------------------------------------------------


def test_scalar_in_scalar_out():
    res = proportion_ci(16, 29)
    assert isinstance(res, ProportionCI)
    assert type(res.low) is float and type(res.high) is float and type(res.estimate) is float
    assert type(res.count) is int and type(res.nobs) is int
    assert res.confidence_interval == ConfidenceInterval(res.low, res.high)
    with pytest.raises(AttributeError):
        res.low = 0.0  # frozen


def test_array_in_array_out_with_broadcasting():
    res = proportion_ci(np.array([[0], [16]]), np.array([29, 30, 31]), population_size=290)
    assert res.low.shape == res.high.shape == res.estimate.shape == (2, 3)
    assert res.count.shape == res.nobs.shape == res.population_size.shape == (2, 3)
    assert not res.low.flags.writeable
    one = proportion_ci(np.array([16]), 29)
    assert isinstance(one.low, np.ndarray) and one.low.shape == (1,)
    assert len(proportion_ci([16, 7], 29).to_frame()) == 2
    assert len(res.to_frame()) == 6


def test_the_result_does_not_change_with_the_callers_array():
    counts = np.array([1, 2, 3])
    res = proportion_ci(counts, 10)
    counts[0] = 9
    assert res.count[0] == 1


def test_pandas_series_keeps_its_index_in_the_frame():
    df = pd.DataFrame({"count": [16, 7, 0], "base": [29, 29, 29]}, index=["a", "b", "c"])
    res = proportion_ci(df["count"], df["base"], method="jeffreys")
    assert isinstance(res.low, np.ndarray)
    frame = res.to_frame()
    assert list(frame.index) == ["a", "b", "c"]
    assert list(frame.columns) == ["count", "nobs", "population_size", "estimate", "low",
                                   "high", "confidence_level", "method"]
    assert frame.loc["c", "low"] == 0.0
    nullable = proportion_ci(pd.Series([16, 7], dtype="Int64"), 29)
    np.testing.assert_allclose(nullable.estimate, [16 / 29, 7 / 29])


def test_vectorised_equals_elementwise():
    counts = np.arange(0, 30)
    for method in PROPORTION_METHODS:
        vec = proportion_ci(counts, 29, method=method, population_size=290)
        for k in (0, 1, 15, 29):
            one = proportion_ci(int(counts[k]), 29, method=method, population_size=290)
            assert (vec.low[k], vec.high[k]) == pytest.approx((one.low, one.high), abs=1e-14)


def test_whole_floats_are_counts():
    a = proportion_ci(16.0, 29.0)
    b = proportion_ci(16, 29)
    assert (a.low, a.high) == (b.low, b.high)


# --------------------------------------------------------------------------------
# Validation at the boundary
# --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(count=3, nobs=0), ValueError, r"nobs \(0\) is below 1"),
        (dict(count=30, nobs=29), ValueError, r"count \(30\) is larger than nobs \(29\)"),
        (dict(count=-1, nobs=29), ValueError, r"count \(-1\) is below 0"),
        (dict(count=2.5, nobs=29), ValueError, r"count \(2.5\) is not a whole number"),
        (dict(count=[1, 2, -3], nobs=29), ValueError, r"count\[2\] is -3, which is below 0"),
        (dict(count=[1, 40, 3, 50], nobs=29), ValueError,
         r"count\[1\] is 40, larger than nobs \(29\) at the same position \(2 positions"),
        (dict(count=[1.0, np.nan], nobs=29), ValueError, r"count\[1\] is nan, which is missing"),
        (dict(count=[1.0, np.inf], nobs=29), ValueError, r"count\[1\] is inf, which is infinite"),
        (dict(count=1, nobs=29, confidence_level=1.0), ValueError,
         r"confidence_level \(1.0\) must be strictly between 0 and 1"),
        (dict(count=1, nobs=29, confidence_level=0), ValueError, r"confidence_level \(0\)"),
        (dict(count=1, nobs=29, confidence_level=float("nan")), ValueError, "confidence_level"),
        (dict(count=1, nobs=29, confidence_level="95%"), TypeError, "confidence_level"),
        (dict(count=1, nobs=29, method="wil"), ValueError,
         r"method \('wil'\) must be one of 'wilson', 'clopper-pearson', 'jeffreys', "
         r"'agresti-coull', 'wald' or 'logit'"),
        (dict(count=1, nobs=29, method="Wilson"), ValueError, r"method \('Wilson'\)"),
        (dict(count=1, nobs=29, method="beta"), ValueError, r"method \('beta'\)"),
        (dict(count=1, nobs=29, method=None), TypeError, "method must be a string"),
        (dict(count=16, nobs=29, population_size=28), ValueError,
         r"nobs \(29\) is larger than population_size \(28\)"),
        (dict(count=16, nobs=29, population_size=290.5), ValueError,
         r"population_size \(290.5\) is not a whole number"),
        (dict(count=True, nobs=29), TypeError, "count must be numeric"),
        (dict(count="16", nobs=29), TypeError, "count must be numeric"),
        (dict(count=[1, 2], nobs=[29, 29, 29]), ValueError, "cannot be broadcast"),
        (dict(count=pd.Series([1, 2], index=["x", "y"]), nobs=pd.Series([29, 1], index=["x", "y"])),
         ValueError, r"count\[1\] \(index label 'y'\) is 2, larger than nobs \(1\)"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kwargs, error, message):
    with pytest.raises(error, match=message):
        proportion_ci(**kwargs)


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        proportion_ci(16, 29, 0.9)  # type: ignore[misc]


# --------------------------------------------------------------------------------
# Invariants (Hypothesis)
# --------------------------------------------------------------------------------

counts_strategy = st.integers(min_value=1, max_value=400).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n)))
levels = st.floats(min_value=0.01, max_value=0.999)
methods = st.sampled_from(PROPORTION_METHODS)


@settings(max_examples=150, deadline=None)
@given(counts_strategy, levels, methods, st.none() | st.integers(min_value=0, max_value=2000))
def test_bounds_are_ordered_inside_unit_interval_and_never_nan(xn, level, method, extra):
    x, n = xn
    big_n = None if extra is None else n + extra
    res = proportion_ci(x, n, confidence_level=level, method=method, population_size=big_n)
    assert not (math.isnan(res.low) or math.isnan(res.high))
    assert 0.0 <= res.low <= res.high <= 1.0
    if method == "clopper-pearson" and big_n is not None and big_n > n:
        # The exact finite-population interval ranges over the attainable proportions M/N,
        # M from x to x + N - n; x / n itself need not be one of them (1 of 8 from N = 9
        # at level 0.5 gives {1/9}). It must meet the attainable range.
        assert res.low <= (x + big_n - n) / big_n + 1e-12 and res.high >= x / big_n - 1e-12
    elif method != "jeffreys":
        # Jeffreys is centred near the posterior median, (x + 1/6) / (n + 1/3), so at
        # low levels it can miss x / n; the other five always contain it.
        assert res.low - 1e-12 <= res.estimate <= res.high + 1e-12


@settings(max_examples=150, deadline=None)
@given(counts_strategy, st.floats(0.05, 0.95), st.floats(0.001, 0.04), methods,
       st.none() | st.integers(min_value=0, max_value=2000))
def test_width_grows_with_the_confidence_level(xn, level, step, method, extra):
    x, n = xn
    big_n = None if extra is None else n + extra
    lo = proportion_ci(x, n, confidence_level=level, method=method, population_size=big_n)
    hi = proportion_ci(x, n, confidence_level=level + step, method=method,
                       population_size=big_n)
    assert hi.low <= lo.low + 1e-12 and hi.high >= lo.high - 1e-12


@settings(max_examples=150, deadline=None)
@given(counts_strategy, levels, methods, st.none() | st.integers(min_value=0, max_value=2000))
def test_symmetry_n_minus_count_mirrors_the_interval(xn, level, method, extra):
    x, n = xn
    big_n = None if extra is None else n + extra
    a = proportion_ci(x, n, confidence_level=level, method=method, population_size=big_n)
    b = proportion_ci(n - x, n, confidence_level=level, method=method, population_size=big_n)
    assert a.low == pytest.approx(1 - b.high, abs=1e-9)
    assert a.high == pytest.approx(1 - b.low, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(counts_strategy, levels, methods, st.integers(min_value=0, max_value=2000))
def test_fpc_never_widens_the_interval_beyond_its_grid(xn, level, method, extra):
    x, n = xn
    big_n = n + extra
    if method != "clopper-pearson" and (n == 1 and big_n > 1 or big_n > n * n):
        # n_eff = (n - 1) N / (N - n) >= n only when N <= n^2 (see proportion_ci); n = 1
        # has no variance estimate ([0, 1])
        return
    plain = proportion_ci(x, n, confidence_level=level, method=method)
    # df=None: with the normal quantile; the default t quantile with n - 1 df (issue 22, D6)
    # can make the corrected interval wider (16 of 29 from 290, Wilson: see test_weighted.py)
    fpc = proportion_ci(x, n, confidence_level=level, method=method, population_size=big_n, df=None)
    # The exact finite-population interval has its bounds on the grid M/N, so it can be
    # up to one grid step wider than the binomial one (an exhaustive search over n < 30
    # found 1 of 2 from N = 4 at level 0.05: width 0.5 against 0.449).
    slack = 1 / big_n if method == "clopper-pearson" else 0.0
    assert fpc.high - fpc.low <= plain.high - plain.low + slack + 1e-12


# --------------------------------------------------------------------------------
# weighted_proportion
# --------------------------------------------------------------------------------


def test_weighted_hand_worked_stratified_example():
    # Stratum a: y = 1, 0, 0 with w = 2, 2, 2 and N_a = 12; stratum b: y = 1, 1 with
    # w = 4, 4 and N_b = 8.
    # p = sum(w y) / sum(w) = (2 + 8) / 14 = 5/7.
    # z_i = w_i (y_i - 5/7) / 14: a -> 2/49, -5/49, -5/49 (mean -8/147); b -> 4/49, 4/49.
    # a: deviations 14/147, -7/147, -7/147 -> sum of squares 6/441 = 2/147;
    #    times n/(n-1) = 3/2 -> 1/49; times (1 - 3/12) -> 3/196.
    # b: deviations 0 -> 0.  v = 3/196, se = sqrt(3)/14 = 0.1237179.
    res = weighted_proportion([1, 0, 0, 1, 1], [2, 2, 2, 4, 4], strata=["a", "a", "a", "b", "b"],
                              population_size={"a": 12, "b": 8})
    assert isinstance(res, WeightedProportion)
    assert res.estimate == pytest.approx(5 / 7, abs=1e-15)
    assert res.standard_error == pytest.approx(math.sqrt(3) / 14, abs=1e-15)
    # t quantile with the design's n - H = 5 - 2 = 3 degrees of freedom: t_{0.975, 3} = 3.182446
    # (statistical tables give 3.182); the normal quantile with df=None.
    t3 = 3.182446305284263
    assert res.df == 3.0
    assert (res.low, res.high) == pytest.approx(
        (5 / 7 - t3 * math.sqrt(3) / 14, min(1.0, 5 / 7 + t3 * math.sqrt(3) / 14)), abs=1e-9)
    z = _z(0.95)
    normal = weighted_proportion([1, 0, 0, 1, 1], [2, 2, 2, 4, 4], strata=["a", "a", "a", "b", "b"],
                                 population_size={"a": 12, "b": 8}, df=None)
    assert normal.df is None
    assert (normal.low, normal.high) == pytest.approx(
        (5 / 7 - z * math.sqrt(3) / 14, 5 / 7 + z * math.sqrt(3) / 14), abs=1e-12)
    # Without strata the centring is overall (mean z = 0): z = 2/49, -5/49, -5/49, 4/49,
    # 4/49 -> sum of squares (4 + 25 + 25 + 16 + 16) / 2401 = 86/2401; times 5/4 and
    # (1 - 5/20) with N = 20 -> 86 * 5 * 3 / (2401 * 16) = 1290/38416.
    flat = weighted_proportion([1, 0, 0, 1, 1], [2, 2, 2, 4, 4], population_size=20)
    assert flat.standard_error == pytest.approx(math.sqrt(1290 / 38416), abs=1e-15)
    assert res.n_strata == 2 and flat.n_strata == 1 and res.nobs == 5


def test_weighted_reduces_to_the_srs_formula():
    # One stratum, equal weights N/n: v = (1 - n/N) p (1 - p) / (n - 1).
    rng = np.random.default_rng(20140501)
    y = (rng.random(29) < 0.55).astype(int)
    big_n = 290
    res = weighted_proportion(y, np.full(29, big_n / 29), population_size=big_n)
    p = y.mean()
    assert res.estimate == pytest.approx(p, abs=1e-14)
    assert res.standard_error ** 2 == pytest.approx((1 - 29 / big_n) * p * (1 - p) / 28,
                                                    rel=1e-12)
    no_fpc = weighted_proportion(y, np.ones(29))
    assert no_fpc.standard_error ** 2 == pytest.approx(p * (1 - p) / 28, rel=1e-12)


def test_weighted_logit_interval_and_frame():
    res = weighted_proportion([1, 0, 0, 1, 1], [2, 2, 2, 4, 4], method="logit", df=7.5)
    # logit(p) -/+ q se / (p (1 - p)), transformed back, q = t_{0.975, 7.5} (a given df)
    from scipy import stats

    p, se, z = res.estimate, res.standard_error, stats.t.isf(0.025, 7.5)
    lo = 1 / (1 + math.exp(-(math.log(p / (1 - p)) - z * se / (p * (1 - p)))))
    hi = 1 / (1 + math.exp(-(math.log(p / (1 - p)) + z * se / (p * (1 - p)))))
    assert (res.low, res.high) == pytest.approx((lo, hi), abs=1e-12)
    frame = res.to_frame()
    assert frame.loc[0, "method"] == "logit" and len(frame) == 1
    assert res.confidence_interval == ConfidenceInterval(res.low, res.high)


# svy 0.35.0 (pip install -c constraints.txt svy), run for these references:
#
#   import svy, polars as pl
#   df = pl.DataFrame({"y": [1, 0, 0, 1, 1, 0], "w": [2.0, 2.0, 2.0, 4.0, 4.0, 4.0],
#                      "h": ["a", "a", "a", "b", "b", "b"], "N": [12, 12, 12, 8, 8, 8]})
#   s = svy.Sample(data=df, design=svy.Design(stratum="h", wgt="w", pop_size="N"))
#   s.estimation.prop("y", ci_method="logit")   # y=1: est 0.5556 se 0.2003 lci 0.1162 uci 0.9224
#   s.estimation.mean("y")                       # est 0.5556 se 0.2003 lci -0.0006 uci 1.1117
#   s2 = svy.Sample(data=df, design=svy.Design(stratum="h", wgt="w"))        # no fpc
#   s2.estimation.prop("y", ci_method="logit")  # y=1: est 0.5556 se 0.2485 lci 0.0711 uci 0.9533
#   s2.estimation.mean("y")                      # est 0.5556 se 0.2485 lci -0.1343 uci 1.2454
#   df3 = pl.DataFrame({"y": [1] * 16 + [0] * 13, "w": [10.0] * 29, "N": [290] * 29})
#   svy.Sample(data=df3, design=svy.Design(wgt="w", pop_size="N")).estimation.mean("y")
#                                                # est 0.5517 se 0.0892 lci 0.3691 uci 0.7344
# svy prints 4 decimals, hence abs=5e-5. Its intervals use t with n - H degrees of freedom
# (4 for the six units in two strata, 28 for the 29).
SVY = [
    # (y, w, strata, N, method, se, low, high, unclipped)
    ([1, 0, 0, 1, 1, 0], [2, 2, 2, 4, 4, 4], list("aaabbb"), {"a": 12, "b": 8}, "logit", 0.2003, 0.1162, 0.9224),
    ([1, 0, 0, 1, 1, 0], [2, 2, 2, 4, 4, 4], list("aaabbb"), None, "logit", 0.2485, 0.0711, 0.9533),
    ([1, 0, 0, 1, 1, 0], [2, 2, 2, 4, 4, 4], list("aaabbb"), {"a": 12, "b": 8}, "wald", 0.2003, -0.0006, 1.1117),
    ([1, 0, 0, 1, 1, 0], [2, 2, 2, 4, 4, 4], list("aaabbb"), None, "wald", 0.2485, -0.1343, 1.2454),
    ([1] * 16 + [0] * 13, [10.0] * 29, None, 290, "wald", 0.0892, 0.3691, 0.7344),
]


@pytest.mark.parametrize("y, w, strata, big_n, method, se, low, high", SVY,
                         ids=["logit-fpc", "logit", "wald-fpc", "wald", "srs-29-of-290"])
def test_weighted_matches_svy(y, w, strata, big_n, method, se, low, high):
    from scipy import stats

    res = weighted_proportion(y, w, strata=strata, population_size=big_n, method=method)
    assert res.df == len(y) - (1 if strata is None else len(set(strata)))
    assert res.standard_error == pytest.approx(se, abs=5e-5)
    if method == "wald":
        # svy does not clip its mean's interval to [0, 1]; compare the unclipped bounds and
        # check that ours are the same bounds clipped
        q = stats.t.isf(0.025, res.df)
        raw = (res.estimate - q * res.standard_error, res.estimate + q * res.standard_error)
        assert raw == pytest.approx((low, high), abs=5e-5)
        assert (res.low, res.high) == pytest.approx((max(0.0, raw[0]), min(1.0, raw[1])), abs=1e-12)
    else:
        assert (res.low, res.high) == pytest.approx((low, high), abs=5e-5)


@pytest.mark.parametrize("df, error, words", [
    ("normal", TypeError, "df ('normal') is not allowed"),
    (0, ValueError, "df (0) is not allowed"),
    (float("nan"), ValueError, "df (nan) is not allowed"),
    (True, TypeError, "df (True) is not allowed"),
])
def test_weighted_bad_df(df, error, words):
    with pytest.raises(error, match=re.escape(words)):
        weighted_proportion([1, 0, 1], [1, 1, 1], df=df)


def test_weighted_design_df_of_zero_without_variance():
    # two census strata of one unit each: n - H = 0, but the variance is 0 -> [p, p]
    res = weighted_proportion([1, 0], [1, 1], strata=["a", "b"], population_size={"a": 1, "b": 1})
    assert (res.low, res.high) == (0.5, 0.5) and res.df == 0.0


def test_weighted_all_ones_is_a_documented_zero_width_interval():
    res = weighted_proportion([1, 1, 1], [1, 2, 3])
    assert (res.estimate, res.low, res.high, res.standard_error) == (1.0, 1.0, 1.0, 0.0)


def test_weighted_accepts_booleans_and_census_strata():
    res = weighted_proportion(pd.Series([True, False, True]), [1.0, 1.0, 1.0],
                              strata=["a", "a", "b"], population_size={"a": 10, "b": 1})
    assert res.estimate == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(y=[1, 2], weights=[1, 1]), ValueError, r"y\[1\] is 2, which is neither 0 nor 1"),
        (dict(y=[1, 0], weights=[1, 0]), ValueError, r"weights\[1\] is 0.0, which is not positive"),
        (dict(y=[1, 0], weights=[1]), ValueError, "y has 2 units but weights has 1"),
        (dict(y=[1, 0, 1], weights=[1, 1, 1], strata=["a", "a", "b"]), ValueError,
         r"stratum 'b' \(strata\[2\]\) has a single unit"),
        (dict(y=[1, 0], weights=[1, 1], strata=["a", "a"], population_size={"b": 3}),
         ValueError, "population_size has no entry for stratum 'a'"),
        (dict(y=[1, 0], weights=[1, 1], strata=["a", "a"], population_size=10), TypeError,
         "population_size must map each stratum"),
        (dict(y=[1, 0, 1], weights=[1, 1, 1], population_size=2), ValueError,
         r"population_size \(2\) is smaller than the 3 units sampled"),
        (dict(y=[1, np.nan], weights=[1, 1]), ValueError, r"y\[1\] is nan, which is missing"),
        (dict(y=[1, 0], weights=[1, 1], method="score"), ValueError,
         r"method \('score'\) must be one of 'wald', 'logit', 'beta' or 'likelihood'"),
    ],
)
def test_weighted_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        weighted_proportion(**kwargs)


@pytest.mark.parametrize("population_size", [None, 290])
@pytest.mark.parametrize("method", PROPORTION_METHODS)
def test_estimate_inside_its_interval_at_the_edges(method, population_size):
    """At count 0 and count = n every method's interval holds the estimate exactly
    (in floating point Wilson's bounds came out as 6.9e-18 and 0.9999999999999999)."""
    n = np.arange(1, 60)
    for count in (np.zeros_like(n), n):
        big_n = None if population_size is None else np.maximum(n, population_size)
        res = proportion_ci(count, n, method=method, population_size=big_n)
        assert np.all(res.low <= res.estimate) and np.all(res.estimate <= res.high)


def test_series_with_different_labels_are_not_paired_by_position():
    count = pd.Series([1, 9], index=["Åre", "Malmö"])
    nobs = pd.Series([20, 10], index=["Malmö", "Åre"])
    with pytest.raises(ValueError, match="count and nobs are pandas objects with different index labels"):
        proportion_ci(count, nobs)
    aligned = proportion_ci(count, nobs.reindex(count.index)).to_frame()
    # Åre: 1 of 10, Malmö: 9 of 20, paired by label
    assert aligned.loc["Åre", "estimate"] == pytest.approx(0.1)
    assert aligned.loc["Malmö", "estimate"] == pytest.approx(0.45)


@pytest.mark.parametrize("method, sm_method", [("wald", "normal"), ("wilson", "wilson"),
                                               ("agresti-coull", "agresti_coull"),
                                               ("clopper-pearson", "beta"), ("jeffreys", "jeffreys")])
def test_closed_forms_agree_with_statsmodels(method, sm_method):
    """Our scipy.special forms against statsmodels 0.14's proportion_confint on every count of
    n = 1..40 at three levels (the edges x = 0 and x = n included); Jeffreys is compared off
    the edges, where ours follows Brown, Cai & DasGupta instead (see _interval_srs)."""
    from statsmodels.stats.proportion import proportion_confint

    n = np.repeat(np.arange(1, 41), np.arange(2, 42))
    x = np.concatenate([np.arange(k + 1) for k in range(1, 41)])
    for level in (0.8, 0.95, 0.99):
        ours = proportion_ci(x, n, method=method, confidence_level=level)
        low, high = proportion_confint(x, n, alpha=1 - level, method=sm_method)
        inner = (x > 0) & (x < n) if method == "jeffreys" else np.ones_like(x, dtype=bool)
        np.testing.assert_allclose(np.asarray(ours.low)[inner], low[inner], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(np.asarray(ours.high)[inner], high[inner], rtol=1e-12, atol=1e-14)
