"""Tests of sbm_stats.estimation.compare: wave comparisons.

Every expected number names its origin: Newcombe (1998) Table II (see
tests/reference/diff_proportions_newcombe1998.csv), the publication's own figures, or a
hand computation shown in the comment.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sbm_stats.errors import DataValidationError
from sbm_stats.estimation.compare import (
    DIFFERENCE_METHODS,
    CensusChange,
    ProportionDifference,
    census_change,
    diff_proportions,
    wave_table,
)
from sbm_stats.estimation.proportions import ConfidenceInterval

REFERENCE = Path(__file__).resolve().parent / "reference"
NEWCOMBE = pd.read_csv(REFERENCE / "diff_proportions_newcombe1998.csv", comment="#")

# --------------------------------------------------------------------------------
# diff_proportions
# --------------------------------------------------------------------------------


@pytest.mark.parametrize("row", NEWCOMBE.to_dict("records"), ids=lambda r: r["example"])
def test_newcombe_1998_table_ii_method_10(row):
    res = diff_proportions(int(row["count1"]), int(row["nobs1"]), int(row["count2"]),
                           int(row["nobs2"]), confidence_level=row["confidence_level"])
    assert res.difference == pytest.approx(row["count1"] / row["nobs1"]
                                           - row["count2"] / row["nobs2"], abs=1e-15)
    assert res.low == pytest.approx(row["low"], abs=row["tolerance"], rel=0)
    assert res.high == pytest.approx(row["high"], abs=row["tolerance"], rel=0)


def test_newcombe_table_vectorised_and_to_frame():
    res = diff_proportions(NEWCOMBE["count1"], NEWCOMBE["nobs1"], NEWCOMBE["count2"],
                           NEWCOMBE["nobs2"])
    np.testing.assert_allclose(res.low, NEWCOMBE["low"], atol=5e-5)
    np.testing.assert_allclose(res.high, NEWCOMBE["high"], atol=5e-5)
    frame = res.to_frame()
    assert len(frame) == 8 and frame["method"].eq("newcombe").all()
    assert isinstance(res.low, np.ndarray) and res.count1.dtype == np.int64


def test_score_test_is_pearson_chi_square_without_correction():
    # 56/70 vs 48/80 by hand: pooled p = 104/150 = 0.693333; variance
    # p (1 - p) (1/70 + 1/80) = 0.2126222 * 0.0267857 = 0.0056953; z = 0.2 / 0.0754673
    # = 2.650172; chi-square = z^2 = 7.0234; two-sided p = erfc(z / sqrt 2) = 0.008045.
    res = diff_proportions(56, 70, 48, 80)
    pooled = 104 / 150
    z = 0.2 / math.sqrt(pooled * (1 - pooled) * (1 / 70 + 1 / 80))
    assert res.statistic == pytest.approx(z, rel=1e-12)
    assert res.pvalue == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-10)
    assert (round(res.statistic ** 2, 4), round(res.pvalue, 6)) == (7.0234, 0.008045)
    assert "Pearson chi-square" in res.test
    assert isinstance(res, ProportionDifference)
    assert res.confidence_interval == ConfidenceInterval(res.low, res.high)


def test_no_variation_gives_no_evidence():
    # 0/10 vs 0/20: the pooled variance is 0; documented as statistic 0, p-value 1.
    for args in [(0, 10, 0, 20), (10, 10, 20, 20)]:
        res = diff_proportions(*args)
        assert (res.statistic, res.pvalue) == (0.0, 1.0)
        assert not (math.isnan(res.low) or math.isnan(res.high))


@pytest.mark.parametrize("method", DIFFERENCE_METHODS)
def test_every_method_runs_and_stays_in_range(method):
    res = diff_proportions([16, 0, 29, 10], 29, [10, 0, 0, 29], [30, 29, 29, 29], method=method)
    assert np.all(res.low >= -1) and np.all(res.high <= 1) and np.all(res.low <= res.high)
    assert not np.isnan(res.low).any() and not np.isnan(res.high).any()


def test_wald_difference_closed_form():
    # d -/+ z sqrt(p1 q1 / n1 + p2 q2 / n2); z = 1.959964 at 95 %.
    res = diff_proportions(16, 29, 10, 30, method="wald")
    p1, p2 = 16 / 29, 10 / 30
    half = 1.959963984540054 * math.sqrt(p1 * (1 - p1) / 29 + p2 * (1 - p2) / 30)
    assert (res.low, res.high) == pytest.approx((p1 - p2 - half, p1 - p2 + half), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.integers(1, 60).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.floats(0.5, 0.99))
def test_newcombe_contains_the_difference_and_mirrors(a, b, level):
    res = diff_proportions(a[0], a[1], b[0], b[1], confidence_level=level)
    assert -1 <= res.low <= res.difference <= res.high <= 1
    swapped = diff_proportions(b[0], b[1], a[0], a[1], confidence_level=level)
    assert swapped.low == pytest.approx(-res.high, abs=1e-12)
    assert 0 <= res.pvalue <= 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(count1=30, nobs1=29, count2=1, nobs2=2), r"count1 \(30\) is larger than nobs1"),
        (dict(count1=3, nobs1=29, count2=1, nobs2=0), r"nobs2 \(0\) is below 1"),
        (dict(count1=3, nobs1=29, count2=1, nobs2=2, method="newcomb"),
         r"method \('newcomb'\) must be one of 'newcombe', 'wald' or 'agresti-caffo'"),
        (dict(count1=3, nobs1=29, count2=1, nobs2=2, confidence_level=95),
         r"confidence_level \(95\)"),
        (dict(count1=[1, 2, 3], nobs1=29, count2=[1, 2], nobs2=29), "cannot be broadcast"),
    ],
)
def test_diff_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        diff_proportions(**kwargs)


# --------------------------------------------------------------------------------
# census_change
# --------------------------------------------------------------------------------


def test_census_change_publication_example():
    # Socialstyrelsen (2015), citing Boverket's BME: 11 270 flats in 2008, 16 386 in 2013.
    # By hand: 16 386 - 11 270 = 5 116; 16 386 / 11 270 = 1.4539485 -> +45.4 %;
    # 5 116 / 5 = 1 023.2 per year; ln(1.4539485) = 0.3742832, / 5 = 0.0748566,
    # exp(0.0748566) = 1.0777296 -> 7.77 % a year.
    res = census_change(11270, 16386, start=2008, end=2013)
    assert isinstance(res, CensusChange)
    assert res.absolute == 5116
    assert res.years == 5
    assert res.per_year == pytest.approx(1023.2, abs=1e-9)
    assert res.relative == pytest.approx(16386 / 11270 - 1, rel=1e-15)
    assert round(100 * res.relative, 1) == 45.4
    assert res.annual_growth_rate == pytest.approx(0.0777296, abs=5e-7)
    # the growth rate compounds back to the ratio
    assert (1 + res.annual_growth_rate) ** 5 == pytest.approx(16386 / 11270, rel=1e-12)
    frame = res.to_frame()
    assert len(frame) == 1 and frame.loc[0, "absolute"] == 5116 and frame.loc[0, "before"] == 11270


def test_census_change_decline():
    # 100 -> 81 over 2 years: -19, -19 %, -9.5 a year, (0.81)^(1/2) - 1 = -0.1.
    res = census_change(100, 81, start=2011, end=2013)
    assert (res.absolute, res.per_year) == (-19, -9.5)
    assert res.relative == pytest.approx(-0.19, abs=1e-15)
    assert res.annual_growth_rate == pytest.approx(-0.1, abs=1e-15)


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((0, 5, 2008, 2013), ValueError, r"before \(0\) must be positive"),
        ((10, -1, 2008, 2013), ValueError, r"after \(-1\) must be non-negative"),
        ((10, 12, 2013, 2008), ValueError, r"end \(2008\) must be later than start \(2013\)"),
        ((10, 12, 2013, 2013), ValueError, "must be later"),
        (("10", 12, 2008, 2013), TypeError, "before must be a real number"),
        ((10, float("nan"), 2008, 2013), ValueError, r"after \(nan\) must be finite"),
    ],
)
def test_census_change_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        census_change(args[0], args[1], start=args[2], end=args[3])


# --------------------------------------------------------------------------------
# wave_table
# --------------------------------------------------------------------------------


def _records():
    # Illustrative records (not the publication's figures): a share with a count and a
    # base, and a total given as a value, with missing waves explained.
    return pd.DataFrame({
        "measure": ["share_a"] * 3 + ["total_b"] * 3,
        "wave": [2008, 2011, 2014] * 2,
        "count": [None, None, 16, None, None, None],
        "base": [None, None, 29, None, None, None],
        "value": [None, None, None, 1200, None, 1500],
        "missing_reason": ["not asked in 2008", "not published in the sources we have", None,
                           None, "not published in the sources we have", None],
    })


def test_wave_table_keeps_missing_figures_with_their_reason():
    out = wave_table(_records())
    assert list(out.columns) == ["measure", "wave", "count", "base", "value",
                                 "missing_reason", "is_missing"]
    assert len(out) == 6  # 2 measures x 3 waves; nothing dropped
    fm = out[out["measure"] == "share_a"].set_index("wave")
    assert fm.loc[2014, "value"] == pytest.approx(16 / 29)  # count / base
    assert fm.loc[2014, "count"] == 16 and fm.loc[2014, "base"] == 29
    assert pd.isna(fm.loc[2008, "value"]) and fm.loc[2008, "missing_reason"] == "not asked in 2008"
    assert bool(fm.loc[2008, "is_missing"]) and not bool(fm.loc[2014, "is_missing"])
    totals = out[out["measure"] == "total_b"].set_index("wave")
    assert totals.loc[2008, "value"] == 1200 and pd.isna(totals.loc[2008, "count"])
    assert str(out["count"].dtype) == "Int64" and str(out["value"].dtype) == "Float64"


def test_wave_table_orders_by_measure_then_requested_wave():
    shuffled = _records().iloc[[5, 0, 3, 2, 4, 1]]
    out = wave_table(shuffled, waves=[2008, 2011, 2014])
    assert list(out["measure"]) == ["total_b"] * 3 + ["share_a"] * 3
    assert list(out["wave"]) == [2008, 2011, 2014] * 2


def test_wave_table_reports_every_problem_at_once():
    bad = _records()
    bad.loc[0, "missing_reason"] = None  # no figure, no reason (line 2)
    bad.loc[2, "count"] = 30  # 30 of 29 (line 4)
    bad.loc[3, "missing_reason"] = "x"  # figure and reason (line 5)
    bad = pd.concat([bad, bad.iloc[[5]]], ignore_index=True)  # total_b 2014 twice (line 8)
    bad = bad.drop(index=4)  # total_b 2011 absent
    with pytest.raises(DataValidationError) as info:
        wave_table(bad)
    problems = info.value.problems
    text = str(info.value)
    assert len(problems) == 5, text
    assert "line 2, column 'missing_reason'" in text
    assert "line 4, column 'count': value 30: expected at most the base (29)" in text
    assert "line 5, column 'missing_reason'" in text
    assert "measure 'total_b' wave 2014 is already on line" in text
    assert "a row for measure 'total_b' and wave 2011" in text


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(value={2: 0.5}), "either count and base, or value, not both"),
        (dict(base={2: None}), "count and base together"),
        (dict(count={2: 2.5}), "a whole number >= 0"),
    ],
)
def test_wave_table_row_problems(change, message):
    df = _records()
    for col, cells in change.items():
        for i, v in cells.items():
            df[col] = df[col].astype(object)
            df.at[i, col] = v
    with pytest.raises(DataValidationError, match=message):
        wave_table(df)


def test_wave_table_refuses_what_is_not_a_frame_and_bad_columns():
    with pytest.raises(TypeError, match="records must be a pandas DataFrame"):
        wave_table([{"measure": "x", "wave": 2008}])  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="column 'wave'"):
        wave_table(pd.DataFrame({"measure": ["x"], "value": [1.0]}))
    with pytest.raises(DataValidationError, match="column 'percent'"):
        wave_table(pd.DataFrame({"measure": ["x"], "wave": [2008], "percent": [1.0]}))
