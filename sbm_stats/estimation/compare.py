"""Comparisons between waves of the mapping (2008, 2011, 2013/2014).

* :func:`diff_proportions` -- difference of two independent proportions (e.g. the
  share of interviewed municipalities with forced moves in two waves) with Newcombe's
  hybrid score interval and a score test.
* :func:`census_change` -- change in a census count between two years (e.g. the
  flats of the secondary housing market in Boverket's survey of all 290
  municipalities): absolute, relative, per year and compound annual growth.
* :func:`wave_table` -- a tidy table of one figure per measure and wave, in which a
  figure that does not exist is an explicit missing value with its reason.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

# Imported as a module: a bare ``test_proportions_2indep`` in this namespace would be
# collected by pytest as a test when the module's doctests run.
from .._validate import (
    as_numeric_array,
    broadcast_shape,
    check_choice,
    check_confidence_level,
    check_integral,
    check_not_above,
    check_same_labels,
    labels_of,
)
from ..errors import DataValidationError, Problem
from .proportions import ConfidenceInterval

__all__ = [
    "ProportionDifference",
    "diff_proportions",
    "DIFFERENCE_METHODS",
    "CensusChange",
    "census_change",
    "wave_table",
]

DifferenceMethod = Literal["newcombe", "wald", "agresti-caffo"]
DIFFERENCE_METHODS: tuple[str, ...] = get_args(DifferenceMethod)

#: statsmodels' spelling of each method in ``confint_proportions_2indep``.
_STATSMODELS_DIFF = {
    "newcombe": ("newcomb", {}),
    "wald": ("wald", {}),
    "agresti-caffo": ("agresti-caffo", {}),
}

#: The test reported by :func:`diff_proportions`, whatever the interval method.
TEST_NAME = "score test of p1 = p2 (Pearson chi-square without continuity correction)"


@dataclass(frozen=True, eq=False)
class ProportionDifference:
    """Result of :func:`diff_proportions`.

    Scalars in, Python scalars out; arrays in, read-only numpy arrays of the broadcast
    shape out.

    Attributes
    ----------
    count1, nobs1, count2, nobs2 : int or numpy.ndarray
        The inputs, as validated.
    confidence_level : float
    method : str
        The interval method, one of :data:`DIFFERENCE_METHODS`.
    estimate1, estimate2 : float or numpy.ndarray
        ``count1 / nobs1`` and ``count2 / nobs2``.
    difference : float or numpy.ndarray
        ``estimate1 - estimate2``.
    low, high : float or numpy.ndarray
        The interval for the difference, inside [-1, 1].
    statistic, pvalue : float or numpy.ndarray
        The z statistic and two-sided p-value of :data:`TEST_NAME`.
    test : str
        Which test ``statistic`` and ``pvalue`` belong to.
    """

    count1: int | np.ndarray
    nobs1: int | np.ndarray
    count2: int | np.ndarray
    nobs2: int | np.ndarray
    confidence_level: float
    method: DifferenceMethod
    estimate1: float | np.ndarray
    estimate2: float | np.ndarray
    difference: float | np.ndarray
    low: float | np.ndarray
    high: float | np.ndarray
    statistic: float | np.ndarray
    pvalue: float | np.ndarray
    test: str = TEST_NAME
    index: pd.Index | None = field(default=None, repr=False)

    @property
    def confidence_interval(self) -> ConfidenceInterval:
        """The interval for the difference as a :class:`ConfidenceInterval`."""
        return ConfidenceInterval(self.low, self.high)

    def to_frame(self) -> pd.DataFrame:
        """One row per comparison, with inputs, estimates, interval and test.

        Examples
        --------
        >>> diff_proportions(56, 70, 48, 80).to_frame()[["difference", "low", "high"]].round(4)
           difference     low    high
        0         0.2  0.0524  0.3339
        """
        shape = np.shape(self.difference)
        size = int(np.prod(shape)) if shape else 1
        names = ["count1", "nobs1", "count2", "nobs2", "estimate1", "estimate2",
                 "difference", "low", "high", "statistic", "pvalue"]
        data = {k: np.broadcast_to(np.asarray(getattr(self, k)), shape).reshape(size)
                for k in names}
        frame = pd.DataFrame(data)
        frame["confidence_level"] = self.confidence_level
        frame["method"] = self.method
        frame["test"] = self.test
        if self.index is not None and len(shape) == 1 and len(self.index) == size:
            frame.index = self.index
        return frame


def _counts_pair(count: Any, nobs: Any, suffix: str) -> tuple[np.ndarray, np.ndarray]:
    cname, nname = f"count{suffix}", f"nobs{suffix}"
    what_c = f"{cname} must be a non-negative whole number (a number of units)"
    what_n = f"{nname} must be a positive whole number (the number of units observed)"
    c = as_numeric_array(cname, count, what=what_c)
    n = as_numeric_array(nname, nobs, what=what_n)
    check_integral(cname, c, minimum=0, what=what_c, labels=labels_of(count))
    check_integral(nname, n, minimum=1, what=what_n, labels=labels_of(nobs))
    return c, n


def diff_proportions(
    count1: Any,
    nobs1: Any,
    count2: Any,
    nobs2: Any,
    *,
    confidence_level: float = 0.95,
    method: DifferenceMethod = "newcombe",
) -> ProportionDifference:
    r"""Difference ``count1/nobs1 - count2/nobs2`` of two independent proportions.

    Parameters
    ----------
    count1, nobs1 : int, array_like or pandas.Series
        Count and number observed in the first group (e.g. the later wave).
    count2, nobs2 : int, array_like or pandas.Series
        The same for the second group (e.g. the earlier wave). All four broadcast.
    confidence_level : float, default 0.95
        Two-sided confidence level, strictly between 0 and 1.
    method : {'newcombe', 'wald', 'agresti-caffo'}
        Interval method, spelled exactly; see Notes.

    Returns
    -------
    ProportionDifference
        Frozen result with the inputs, both proportions, the difference, its interval
        and the test. Scalars in give Python floats; arrays give numpy arrays.

    Raises
    ------
    TypeError, ValueError
        As :func:`sbm_stats.estimation.proportions.proportion_ci`, for each pair of counts, and
        for a bad ``method`` or ``confidence_level``.

    Notes
    -----
    Intervals, all computed by ``statsmodels.stats.proportion.confint_proportions_2indep``:

    ``'newcombe'`` (default)
        Newcombe's (1998) hybrid score interval, his method 10: the Wilson intervals
        ``[l_i, u_i]`` of the two proportions combined as
        ``d - sqrt((p1 - l1)^2 + (u2 - p2)^2)`` and ``d + sqrt((p2 - l2)^2 + (u1 - p1)^2)``.
        Good coverage in small samples, defined at 0 and at ``n`` (statsmodels
        ``method='newcomb'``).
    ``'wald'``
        ``d -/+ z sqrt(p1 q1 / n1 + p2 q2 / n2)``; poor in small samples, zero width
        when both proportions are 0 or 1.
    ``'agresti-caffo'``
        The Wald interval after adding one success and one failure to each group.

    The Miettinen-Nurminen score interval is not offered: statsmodels 0.15's
    inversion of it (``method='score'``) raises for ordinary tables such as 16/29 vs
    10/30 and at the edges.

    Bounds are clipped to [-1, 1] (Newcombe's can reach 1 exactly; Wald's can
    overshoot).

    **Test.** ``statistic`` and ``pvalue`` are the two-sided score test of
    ``p1 = p2`` -- the z test with the pooled proportion in the variance, whose
    square is Pearson's chi-square statistic without continuity correction (R's
    ``prop.test(correct = FALSE)``), computed by statsmodels'
    ``test_proportions_2indep(method='score', correction=False)``. It is the same
    test whatever the interval method. Newcombe's interval is not the inversion of
    this test, so in borderline cases the interval may exclude 0 while
    ``pvalue > 1 - confidence_level`` or the reverse. When both groups are all 0 or
    all 1 (no variation at all) the statistic is 0/0; it is then reported as
    ``statistic = 0`` and ``pvalue = 1``: the data show no difference.

    **Caveat for waves.** The test and intervals assume two *independent* samples.
    Waves of the mapping interview overlapping sets of municipalities chosen
    purposively, so they are neither independent nor random samples; the results
    describe the uncertainty of independent simple random samples of the same sizes.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. *Statistics in Medicine*
    17, 873-890.

    Examples
    --------
    Newcombe's (1998) first worked example:

    >>> res = diff_proportions(56, 70, 48, 80)
    >>> round(res.difference, 4), round(res.low, 4), round(res.high, 4)
    (0.2, 0.0524, 0.3339)
    >>> round(res.pvalue, 4)
    0.008
    """
    from statsmodels.stats import proportion as _sm_proportion  # about a second: only when used

    check_same_labels(count1=count1, nobs1=nobs1, count2=count2, nobs2=nobs2)
    method = check_choice("method", method, DIFFERENCE_METHODS)
    level = check_confidence_level(confidence_level)
    c1, n1 = _counts_pair(count1, nobs1, "1")
    c2, n2 = _counts_pair(count2, nobs2, "2")
    labels = next((lab for lab in map(labels_of, (count1, nobs1, count2, nobs2))
                   if lab is not None), None)
    shape = broadcast_shape([("count1", c1), ("nobs1", n1), ("count2", c2), ("nobs2", n2)])
    if labels is not None and (len(shape) != 1 or len(labels) != shape[0]):
        labels = None
    check_not_above("count1", c1, "nobs1", n1, labels)
    check_not_above("count2", c2, "nobs2", n2, labels)
    c1, n1, c2, n2 = (np.broadcast_to(a, shape).astype(float) for a in (c1, n1, c2, n2))

    sm_method, extra = _STATSMODELS_DIFF[method]
    alpha = 1.0 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = _sm_proportion.confint_proportions_2indep(
            c1, n1, c2, n2, method=sm_method, compare="diff", alpha=alpha, **extra
        )
        test = _sm_proportion.test_proportions_2indep(
            c1, n1, c2, n2, method="score", compare="diff", correction=False
        )
    p1 = c1 / n1
    p2 = c2 / n2
    diff = p1 - p2
    low = np.clip(np.asarray(low, dtype=float), -1.0, 1.0)
    high = np.clip(np.asarray(high, dtype=float), -1.0, 1.0)
    statistic = np.asarray(test.statistic, dtype=float)
    pvalue = np.asarray(test.pvalue, dtype=float)
    # No variation in either group: pooled variance 0, statistic 0/0 -> no evidence.
    degenerate = ((c1 == 0) & (c2 == 0)) | ((c1 == n1) & (c2 == n2))
    statistic = np.where(degenerate, 0.0, statistic)
    pvalue = np.where(degenerate, 1.0, pvalue)

    values = {
        "count1": c1, "nobs1": n1, "count2": c2, "nobs2": n2, "estimate1": p1,
        "estimate2": p2, "difference": diff, "low": low, "high": high,
        "statistic": statistic, "pvalue": pvalue,
    }
    if shape == ():
        out: dict[str, Any] = {k: float(v) for k, v in values.items()}
        for k in ("count1", "nobs1", "count2", "nobs2"):
            out[k] = int(out[k])
        return ProportionDifference(confidence_level=level, method=method, **out)
    out = {k: np.broadcast_to(np.array(v, dtype=float), shape) for k, v in values.items()}
    for k in ("count1", "nobs1", "count2", "nobs2"):
        out[k] = np.broadcast_to(np.asarray(values[k]).astype(np.int64), shape)
    return ProportionDifference(confidence_level=level, method=method, index=labels, **out)


# ---------------------------------------------------------------------------------
# Census counts
# ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CensusChange:
    """Result of :func:`census_change`.

    Attributes
    ----------
    before, after : float
        The counts at ``start`` and ``end``.
    start, end : float
        The years (or other time points) of the two counts.
    years : float
        ``end - start``.
    absolute : float
        ``after - before``.
    relative : float
        ``after / before - 1`` (0.454 means +45.4 %).
    per_year : float
        ``absolute / years``: the average change per year, in units of the count.
    annual_growth_rate : float
        Compound annual growth rate ``(after / before)^(1 / years) - 1``.
    """

    before: float
    after: float
    start: float
    end: float
    years: float
    absolute: float
    relative: float
    per_year: float
    annual_growth_rate: float

    def to_frame(self) -> pd.DataFrame:
        """A one-row table of the inputs and the four measures of change.

        Examples
        --------
        >>> frame = census_change(100, 121, start=2011, end=2013).to_frame()
        >>> frame[["absolute", "relative", "per_year", "annual_growth_rate"]].round(4)
           absolute  relative  per_year  annual_growth_rate
        0      21.0      0.21      10.5                 0.1
        """
        return pd.DataFrame({k: [getattr(self, k)] for k in self.__dataclass_fields__})


def _real(name: str, value: Any, *, what: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number ({what}); got {value!r}")
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(f"{name} ({value!r}) must be finite; {what}")
    return out


def census_change(before: float, after: float, *, start: float, end: float) -> CensusChange:
    r"""Change in a census count between two time points.

    Parameters
    ----------
    before : float
        The count at ``start``; positive (a relative change from 0 is undefined).
    after : float
        The count at ``end``; non-negative.
    start, end : float
        The time points in years, ``end > start`` (e.g. 2008 and 2013).

    Returns
    -------
    CensusChange
        Frozen result with the inputs and the absolute, relative, per-year and
        compound annual change.

    Raises
    ------
    TypeError
        If an argument is not a real number.
    ValueError
        If a value is not finite, ``before <= 0``, ``after < 0`` or ``end <= start``.

    Notes
    -----
    A census -- such as Boverket's housing market survey (BME), sent to all 290
    municipalities -- has no sampling error, so no confidence interval is given:
    the figures are exact up to the quality of the answers (non-response, different
    definitions between years), which no sampling interval would describe anyway.

    ``per_year`` is the linear average ``absolute / years``; ``annual_growth_rate``
    is the constant yearly rate that compounds ``before`` into ``after`` over
    ``years`` years. They agree only for small changes.

    Examples
    --------
    Flats on the secondary housing market, 11 270 in 2008 and 16 386 in 2013
    (Socialstyrelsen 2015, citing Boverket):

    >>> res = census_change(11270, 16386, start=2008, end=2013)
    >>> res.absolute, round(100 * res.relative, 1), res.per_year
    (5116.0, 45.4, 1023.2)
    >>> round(100 * res.annual_growth_rate, 2)
    7.77
    """
    b = _real("before", before, what="a count at the start")
    a = _real("after", after, what="a count at the end")
    t0 = _real("start", start, what="the year of the first count")
    t1 = _real("end", end, what="the year of the second count")
    if b <= 0:
        raise ValueError(
            f"before ({before!r}) must be positive: the relative change and growth rate "
            "from a count of 0 are undefined"
        )
    if a < 0:
        raise ValueError(f"after ({after!r}) must be non-negative (it is a count)")
    if t1 <= t0:
        raise ValueError(f"end ({end!r}) must be later than start ({start!r})")
    years = t1 - t0
    absolute = a - b
    ratio = a / b
    return CensusChange(
        before=before if isinstance(before, int) else b,
        after=after if isinstance(after, int) else a,
        start=start if isinstance(start, int) else t0,
        end=end if isinstance(end, int) else t1,
        years=years,
        absolute=absolute,
        relative=ratio - 1.0,
        per_year=absolute / years,
        annual_growth_rate=ratio ** (1.0 / years) - 1.0,
    )


# ---------------------------------------------------------------------------------
# Tidy table across waves
# ---------------------------------------------------------------------------------

_WAVE_COLUMNS = ["measure", "wave", "count", "base", "value", "missing_reason"]


def _show(value: Any) -> Any:
    """A whole float shown as an int in messages (a CSV column of counts reads as float)."""
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        return int(value)
    return value


def _blank(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


# Complexity above 15 on purpose: one stated reason per kind of gap between waves, kept side by side.
def wave_table(records: pd.DataFrame, *, waves: Sequence[Any] | None = None) -> pd.DataFrame:  # noqa: C901
    """One row per measure and wave, with every missing figure explicit and explained.

    Parameters
    ----------
    records : pandas.DataFrame
        Long table with columns ``measure`` and ``wave``, and per row either ``count``
        and ``base`` (a number of units out of a base, e.g. 16 of 29 municipalities)
        or ``value`` (a figure published without a base), or neither -- then
        ``missing_reason`` must say why (e.g. "not asked in 2008", "not published in
        the sources we have"). Columns that no row uses may be left out.
    waves : sequence, optional
        The waves in the order wanted (e.g. ``[2008, 2011, 2014]``). Default: the
        waves of ``records`` in order of first appearance. Every measure must have
        exactly one row for each of these waves.

    Returns
    -------
    pandas.DataFrame
        Columns ``measure``, ``wave``, ``count`` and ``base`` (nullable ``Int64``),
        ``value`` (``Float64``: ``count / base`` where a count is given, else the
        value as given), ``missing_reason`` (string, NA where there is a figure),
        ``is_missing`` (bool). Rows are ordered by measure (first appearance) and
        wave; no row of the input is dropped.

    Raises
    ------
    TypeError
        If ``records`` is not a DataFrame.
    sbm_stats.errors.DataValidationError
        Listing every problem at once, each with its row (line 2 is the first data
        row, as in a CSV): missing columns, a measure/wave pair given twice or not at
        all, a row with both ``value`` and ``count``/``base``, a ``count`` without a
        ``base`` or the reverse, counts that are not whole numbers ``0 <= count <=
        base``, a row with no figure and no ``missing_reason``, or a row with a figure
        *and* a ``missing_reason``.

    Examples
    --------
    >>> import pandas as pd

    Illustrative numbers (not figures from the publication):

    >>> records = pd.DataFrame({
    ...     "measure": ["share_a", "share_a", "total_b", "total_b"],
    ...     "wave": [2011, 2014, 2011, 2014],
    ...     "count": [None, 16, None, None],
    ...     "base": [None, 29, None, None],
    ...     "value": [None, None, 1200, 1500],
    ...     "missing_reason": ["not asked in 2011", None, None, None],
    ... })
    >>> wave_table(records)[["measure", "wave", "value", "missing_reason"]]
       measure  wave     value     missing_reason
    0  share_a  2011      <NA>  not asked in 2011
    1  share_a  2014  0.551724               <NA>
    2  total_b  2011    1200.0               <NA>
    3  total_b  2014    1500.0               <NA>
    """
    if not isinstance(records, pd.DataFrame):
        raise TypeError(f"records must be a pandas DataFrame; got {type(records).__name__}")
    problems: list[Problem] = []
    for col in ("measure", "wave"):
        if col not in records.columns:
            problems.append(Problem(None, None, col, None, f"a column '{col}'"))
    unknown = [c for c in records.columns if c not in _WAVE_COLUMNS]
    for col in unknown:
        problems.append(Problem(None, None, col, None,
                                f"only the columns {', '.join(_WAVE_COLUMNS)}"))
    if problems:
        raise DataValidationError(problems, summary="wave_table: the records have bad columns")

    df = records.reset_index(drop=True).copy()
    for col in _WAVE_COLUMNS:
        if col not in df.columns:
            df[col] = pd.NA
    line = df.index + 2  # the header is line 1

    measures = list(dict.fromkeys(df["measure"]))
    wave_order = list(dict.fromkeys(df["wave"])) if waves is None else list(waves)
    for i in range(len(df)):
        for col in ("measure", "wave"):
            if _blank(df.at[i, col]):
                problems.append(Problem(None, int(line[i]), col, None, "a value"))

    # Each measure/wave exactly once.
    keyed = df[~df["measure"].map(_blank) & ~df["wave"].map(_blank)]
    seen: dict[tuple[Any, Any], int] = {}
    for i, m, w in zip(keyed.index, keyed["measure"], keyed["wave"]):
        if (m, w) in seen:
            problems.append(Problem(None, int(line[i]), "wave", w,
                                    f"each measure/wave once; measure {m!r} wave {w!r} is "
                                    f"already on line {seen[(m, w)]}"))
        else:
            seen[(m, w)] = int(line[i])
        if w not in wave_order:
            problems.append(Problem(None, int(line[i]), "wave", w,
                                    f"one of the waves {wave_order!r}"))
    for m in measures:
        if _blank(m):
            continue
        for w in wave_order:
            if (m, w) not in seen:
                problems.append(Problem(None, None, "wave", w,
                                        f"a row for measure {m!r} and wave {w!r} (with a "
                                        "missing_reason if there is no figure)"))

    # Figures and reasons, row by row.
    count_out: list[Any] = []
    base_out: list[Any] = []
    value_out: list[Any] = []
    for i in range(len(df)):
        ln = int(line[i])
        c, b, v, r = (df.at[i, k] for k in ("count", "base", "value", "missing_reason"))
        has_c, has_b, has_v = not _blank(c), not _blank(b), not _blank(v)
        has_r = not _blank(r) and str(r).strip() != ""
        cc = bb = vv = pd.NA
        if has_v and (has_c or has_b):
            problems.append(Problem(None, ln, "value", v,
                                    "either count and base, or value, not both"))
        elif has_c != has_b:
            col, val = ("base", b) if has_c else ("count", c)
            problems.append(Problem(None, ln, col, _show(val),
                                    "count and base together (both given, or neither)"))
        elif has_c:
            ok = True
            for col, val, minimum in (("count", c, 0), ("base", b, 1)):
                if isinstance(val, (bool, np.bool_)) or not isinstance(val, numbers.Real) \
                        or not float(val).is_integer() or float(val) < minimum:
                    problems.append(Problem(None, ln, col, _show(val),
                                            f"a whole number >= {minimum}"))
                    ok = False
            if ok and float(c) > float(b):
                problems.append(Problem(None, ln, "count", _show(c),
                                        f"at most the base ({_show(b)!r})"))
                ok = False
            if ok:
                cc, bb, vv = int(c), int(b), float(c) / float(b)
        elif has_v:
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real) \
                    or not np.isfinite(float(v)):
                problems.append(Problem(None, ln, "value", v, "a finite number"))
            else:
                vv = float(v)
        has_figure = has_c or has_v
        if has_figure and has_r:
            problems.append(Problem(None, ln, "missing_reason", r,
                                    "no missing_reason on a row that has a figure"))
        if not has_figure and not has_r:
            problems.append(Problem(None, ln, "missing_reason", None,
                                    "a reason why there is no figure (e.g. 'not asked in "
                                    "2008', 'not published in the sources we have')"))
        count_out.append(cc)
        base_out.append(bb)
        value_out.append(vv)
    if problems:
        raise DataValidationError(problems, summary="wave_table: problems in the records")

    out = pd.DataFrame(
        {
            "measure": df["measure"],
            "wave": df["wave"],
            "count": pd.array(count_out, dtype="Int64"),
            "base": pd.array(base_out, dtype="Int64"),
            "value": pd.array(value_out, dtype="Float64"),
            "missing_reason": pd.array(
                [pd.NA if _blank(r) else str(r) for r in df["missing_reason"]], dtype="string"
            ),
        }
    )
    out["is_missing"] = out["value"].isna().to_numpy(dtype=bool)
    order_m = {m: k for k, m in enumerate(measures)}
    order_w = {w: k for k, w in enumerate(wave_order)}
    out = out.assign(_m=out["measure"].map(order_m), _w=out["wave"].map(order_w))
    out = out.sort_values(["_m", "_w"], kind="stable").drop(columns=["_m", "_w"])
    return out.reset_index(drop=True)
