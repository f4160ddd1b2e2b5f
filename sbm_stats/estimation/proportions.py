"""Confidence intervals for proportions: counts out of a sample.

:func:`proportion_ci` returns a frozen result object that carries its inputs: an
interval for ``count`` of ``nobs`` (e.g. 16 of the 29 interviewed municipalities had
forced moves), by one of six named methods, with an optional finite population
correction for ``nobs`` of ``population_size`` (29 of Sweden's 290 municipalities).
Vectorised over scalars, arrays and pandas columns. The design-based estimate from
unit-level answers and weights, :func:`~sbm_stats.estimation.weighted.weighted_proportion`,
is in :mod:`sbm_stats.estimation.weighted` (still importable from here).

Read the caveat in :func:`proportion_ci` before quoting an interval for the 2014
interviews: the 29 municipalities are not a simple random sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

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
from ._hypergeom import hypergeometric_interval

__all__ = [
    "ConfidenceInterval",
    "ProportionCI",
    "proportion_ci",
    "ProportionMethod",
    "PROPORTION_METHODS",
]

#: The interval methods of :func:`proportion_ci`, spelled exactly as accepted.
ProportionMethod = Literal[
    "wilson", "clopper-pearson", "jeffreys", "agresti-coull", "wald", "logit"
]
PROPORTION_METHODS: tuple[str, ...] = get_args(ProportionMethod)

#: Above this population size the exact hypergeometric interval is not computed:
#: scipy's hypergeometric tails slow down roughly in proportion to N beyond it (about
#: 0.6 s per tail at N = 1e10) and lose digits, while the correction itself is then
#: negligible for any sample small enough to interview.
HYPERGEOMETRIC_MAX_POPULATION = 10**8

_COUNT_WHAT = "count must be a non-negative whole number (a number of units)"
_NOBS_WHAT = "nobs must be a positive whole number (the number of units observed)"
_POP_WHAT = (
    "population_size must be a positive whole number (the number of units in the population)"
)


@dataclass(frozen=True)
class ConfidenceInterval:
    """A confidence interval ``[low, high]``: floats, or arrays of one shape.

    Examples
    --------
    >>> ConfidenceInterval(0.25, 0.75)
    ConfidenceInterval(low=0.25, high=0.75)
    """

    low: float | np.ndarray
    high: float | np.ndarray


@dataclass(frozen=True, eq=False)
class ProportionCI:
    """Result of :func:`proportion_ci`: the inputs, the estimate and its interval.

    For scalar inputs every numeric field is a Python ``int`` or ``float``; for array
    inputs every numeric field is a read-only numpy array of the broadcast shape of
    ``count``, ``nobs`` and ``population_size``.

    Attributes
    ----------
    count, nobs : int or numpy.ndarray
        The counts and sample sizes, as validated (broadcast to one shape).
    confidence_level : float
        The two-sided confidence level, e.g. 0.95.
    method : str
        The interval method, one of :data:`PROPORTION_METHODS`.
    population_size : int, numpy.ndarray or None
        The population size used for the finite population correction, or None.
    estimate : float or numpy.ndarray
        The sample proportion ``count / nobs``.
    low, high : float or numpy.ndarray
        The interval's bounds, inside [0, 1].
    index : pandas.Index or None
        The index of a pandas Series passed as ``count`` or ``nobs``, kept for
        :meth:`to_frame`.
    """

    count: int | np.ndarray
    nobs: int | np.ndarray
    confidence_level: float
    method: ProportionMethod
    population_size: int | np.ndarray | None
    estimate: float | np.ndarray
    low: float | np.ndarray
    high: float | np.ndarray
    index: pd.Index | None = field(default=None, repr=False)

    @property
    def confidence_interval(self) -> ConfidenceInterval:
        """The interval as a :class:`ConfidenceInterval` ``(low, high)``."""
        return ConfidenceInterval(self.low, self.high)

    def to_frame(self) -> pd.DataFrame:
        """One row per (count, nobs) pair: inputs, estimate and bounds.

        Arrays of more than one dimension are flattened in C order. The index is that
        of a pandas Series passed in, else a RangeIndex.

        Examples
        --------
        >>> proportion_ci([16, 7], 29).to_frame()[["count", "nobs", "estimate"]]
           count  nobs  estimate
        0     16    29  0.551724
        1      7    29  0.241379
        """
        shape = np.shape(self.estimate)
        size = int(np.prod(shape)) if shape else 1

        def column(value: Any) -> np.ndarray:
            return np.broadcast_to(np.asarray(value), shape).reshape(size)

        frame = pd.DataFrame(
            {
                "count": column(self.count),
                "nobs": column(self.nobs),
                "population_size": (
                    column(self.population_size)
                    if self.population_size is not None
                    else pd.array([pd.NA] * size, dtype="Int64")
                ),
                "estimate": column(self.estimate),
                "low": column(self.low),
                "high": column(self.high),
                "confidence_level": self.confidence_level,
                "method": self.method,
            }
        )
        if self.index is not None and len(shape) == 1 and len(self.index) == size:
            frame.index = self.index
        return frame


_DF_ALLOWED = "df must be 'design' (n - H, the default), a positive number, or None (the normal quantile)"


def check_df(df: Any) -> None:
    """Refuse a ``df`` other than 'design', a positive number or None (here and in weighted_proportion)."""
    if df is None or (isinstance(df, str) and df == "design"):
        return
    if isinstance(df, bool) or not isinstance(df, (int, float, np.integer, np.floating)):
        raise TypeError(f"df ({df!r}) is not allowed: {_DF_ALLOWED}")
    if not (df > 0):  # also NaN
        raise ValueError(f"df ({df!r}) is not allowed: {_DF_ALLOWED}")


def _validated_counts(
    count: Any, nobs: Any, population_size: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, pd.Index | None, bool]:
    check_same_labels(count=count, nobs=nobs, population_size=population_size)
    labels = labels_of(count)
    if labels is None:
        labels = labels_of(nobs)
    c = as_numeric_array("count", count, what=_COUNT_WHAT)
    n = as_numeric_array("nobs", nobs, what=_NOBS_WHAT)
    check_integral("count", c, minimum=0, what=_COUNT_WHAT, labels=labels_of(count))
    check_integral("nobs", n, minimum=1, what=_NOBS_WHAT, labels=labels_of(nobs))
    arrays = [("count", c), ("nobs", n)]
    big_n = None
    if population_size is not None:
        big_n = as_numeric_array("population_size", population_size, what=_POP_WHAT)
        check_integral(
            "population_size", big_n, minimum=1, what=_POP_WHAT, labels=labels_of(population_size)
        )
        arrays.append(("population_size", big_n))
    shape = broadcast_shape(arrays)
    if labels is not None and (len(shape) != 1 or len(labels) != shape[0]):
        labels = None
    check_not_above("count", c, "nobs", n, labels)
    if big_n is not None:
        check_not_above("nobs", n, "population_size", big_n, labels)
    scalar = all(a.ndim == 0 for _, a in arrays)
    return c, n, big_n, labels, scalar


def _z(tail: float) -> float:
    """The standard normal quantile with ``tail`` above it (``scipy.stats.norm.isf``).

    The standard library's ``NormalDist.inv_cdf`` (Wichura's AS 241, accurate to about
    1e-16), so that the normal-theory intervals need no scipy import (about half a second).

    >>> round(_z(0.025), 12)
    1.959963984540
    """
    return -NormalDist().inv_cdf(tail)


def _special():
    """``scipy.special``, imported when a method needs a beta or t quantile."""
    from scipy import special

    return special


def _expit(x: Any) -> Any:
    """The logistic function 1 / (1 + exp(-x)), without overflow warnings at the extremes."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def _closed_form_interval(count: Any, nobs: Any, alpha: float, method: str) -> tuple[Any, Any]:
    """Wald, Wilson, Agresti-Coull, Clopper-Pearson and Jeffreys bounds: the same as statsmodels gives.

    The formulas and edge rules of ``statsmodels.stats.proportion.proportion_confint``
    (0.14; methods ``normal``, ``wilson``, ``agresti_coull``, ``beta``, ``jeffreys``),
    written with ``scipy.special`` alone so that a document that only needs an
    interval does not import statsmodels (about a second): Wald, Wilson and
    Agresti-Coull are clipped to [0, 1]; Clopper-Pearson is 0 at x = 0 and 1 at x = n.
    ``tests/test_proportions.py`` holds them to R's ``binom.confint`` and to
    statsmodels itself.
    """
    tail = alpha / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        q = count / nobs
        if method in ("wald", "wilson", "agresti-coull"):
            z = _z(tail)
            if method == "wald":
                centre, half = q, z * np.sqrt(q * (1 - q) / nobs)
            elif method == "wilson":
                denom = 1 + z * z / nobs
                centre = (q + z * z / (2 * nobs)) / denom
                half = z * np.sqrt(q * (1.0 - q) / nobs + z * z / (4.0 * nobs**2)) / denom
            else:
                n_c = nobs + z * z
                centre = (count + z * z / 2.0) / n_c
                half = z * np.sqrt(centre * (1.0 - centre) / n_c)
            return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
        if method == "clopper-pearson":
            special = _special()
            low = np.where(q == 0, 0.0, special.betaincinv(count, nobs - count + 1, tail))
            high = np.where(q == 1, 1.0, special.betainccinv(count + 1, nobs - count, tail))
            return low, high
        if method == "jeffreys":
            special = _special()
            return (special.betaincinv(count + 0.5, nobs - count + 0.5, tail),
                    special.betainccinv(count + 0.5, nobs - count + 0.5, tail))
    raise ValueError(f"method ({method!r}) has no closed form here")  # pragma: no cover


def _logit_interval(count: Any, nobs: Any, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Wald interval on the logit scale, with the exact one-sided bound at 0 and n.

    Reproduces R's ``binom::binom.logit``: variance ``1 / (n p (1 - p))`` on the logit
    scale; at ``count == 0`` the interval is ``[0, 1 - (alpha/2)^(1/n)]`` and at
    ``count == nobs`` it is ``[(alpha/2)^(1/n), 1]`` (the Clopper-Pearson bounds there).
    """
    z = _z(alpha / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rest = nobs - count
        centre = np.log(count) - np.log(rest)
        half = z * np.sqrt(nobs / (count * rest))
        low = _expit(centre - half)
        high = _expit(centre + half)
        edge = (alpha / 2.0) ** (1.0 / nobs)
    zero = count == 0
    full = rest == 0
    low = np.where(zero, 0.0, np.where(full, edge, low))
    high = np.where(full, 1.0, np.where(zero, 1.0 - edge, high))
    return low, high


def _interval_srs(
    c: np.ndarray, n: np.ndarray, alpha: float, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds without finite population correction, for validated arrays."""
    if method == "logit":
        return _logit_interval(c, n, alpha)
    low, high = _closed_form_interval(c, n, alpha, method)
    if method == "jeffreys":
        # Brown, Cai & DasGupta (2001), section 4.1.2: the lower bound is 0 at x = 0
        # and the upper bound 1 at x = n (statsmodels keeps the beta quantiles there).
        low = np.where(c == 0, 0.0, low)
        high = np.where(c == n, 1.0, high)
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    if method == "wilson":
        # In exact arithmetic Wilson's bound is 0 at x = 0 and 1 at x = n; in floating
        # point statsmodels can give 6.9e-18 or 0.9999999999999999, which would leave the
        # estimate outside its own interval. (In place: this runs on a million pairs.)
        if low.ndim == 0:
            low, high = (np.float64(0.0) if c == 0 else low), (np.float64(1.0) if c == n else high)
        else:
            np.copyto(low, 0.0, where=np.broadcast_to(c == 0, low.shape))
            np.copyto(high, 1.0, where=np.broadcast_to(c == n, high.shape))
    return low, high


def _t_over_z(tail: float, df: np.ndarray) -> np.ndarray:
    """``(z / t_df)^2`` per element, each distinct df computed once (a million pairs have few).

    A df of 0 (``nobs = 1`` with ``df='design'``) is given 1 so that the quantile is finite;
    such an interval is [0, 1] whatever the factor. A df between 0 and 1 is used as given.
    """
    special = _special()
    values, inverse = np.unique(df, return_inverse=True)
    t = -special.stdtrit(np.where(values > 0, values, 1.0), tail)
    return ((_z(tail) / t) ** 2)[inverse].reshape(df.shape)


def _interval_fpc(
    c: np.ndarray, n: np.ndarray, big_n: np.ndarray, alpha: float, method: str, shape: tuple,
    df: Any = "design",
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds with the finite population correction (see Notes of proportion_ci)."""
    c, n, big_n = np.broadcast_arrays(c, n, big_n)
    census = n == big_n
    if method == "clopper-pearson":
        low = np.empty(shape, dtype=float)
        high = np.empty(shape, dtype=float)
        exact = big_n <= HYPERGEOMETRIC_MAX_POPULATION
        if exact.any():
            low[exact], high[exact] = hypergeometric_interval(
                c[exact], n[exact], big_n[exact], alpha
            )
        if not exact.all():
            low[~exact], high[~exact] = _interval_srs(c[~exact], n[~exact], alpha, method)
    else:
        # Effective sample size n_eff = (n - 1) N / (N - n) = p(1 - p) / v(p): the sample
        # size whose binomial variance p(1 - p) / n_eff equals Cochran's unbiased
        # without-replacement estimator v(p) = (1 - n/N) p(1 - p) / (n - 1). Times
        # (z / t)^2 it puts the t quantile with df degrees of freedom in place of z in
        # every normal-theory formula (the Wald half-width becomes t sqrt(v(p))). The
        # count is scaled alike, so p is kept. With n = 1 (and N > 1) v(p) cannot be
        # estimated: n_eff = 0 and the interval is [0, 1].
        single = (n == 1) & ~census
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(census | single, 1.0, (n - 1.0) * big_n / (n * (big_n - n)))
        if df is not None:
            dfs = (n - 1.0) if df == "design" else np.full(n.shape, float(df))
            factor = factor * _t_over_z(alpha / 2.0, dfs)
        low, high = _interval_srs(c * factor, n * factor, alpha, method)
        low = np.where(single, 0.0, low)
        high = np.where(single, 1.0, high)
    estimate = c / n
    low = np.where(census, estimate, low)
    high = np.where(census, estimate, high)
    return low, high


def proportion_ci(
    count: Any,
    nobs: Any,
    *,
    confidence_level: float = 0.95,
    method: ProportionMethod = "wilson",
    population_size: Any = None,
    df: float | Literal["design"] | None = "design",
) -> ProportionCI:
    r"""Confidence interval for a proportion ``count / nobs``.

    Parameters
    ----------
    count : int, array_like or pandas.Series
        Number of units with the property (e.g. municipalities that reported forced
        moves). Whole numbers ``>= 0``; floats are accepted when they are whole.
    nobs : int, array_like or pandas.Series
        Number of units observed (e.g. 29 interviewed municipalities); whole numbers
        ``>= 1`` and ``>= count``. Broadcast against ``count``.
    confidence_level : float, default 0.95
        Two-sided confidence level, strictly between 0 and 1.
    method : {'wilson', 'clopper-pearson', 'jeffreys', 'agresti-coull', 'wald', 'logit'}
        The interval method, spelled exactly (no abbreviations). See Notes.
    population_size : int, array_like or None, default None
        Size ``N`` of the finite population the ``nobs`` units were drawn from without
        replacement (290 municipalities). None means no finite population correction
        (an infinite population, or sampling with replacement). Whole numbers
        ``>= nobs``; broadcast against ``count`` and ``nobs``.
    df : 'design', float or None, default 'design'
        Only with ``population_size``: the degrees of freedom of the t quantile that
        replaces ``z`` (see Notes). ``'design'`` is ``nobs - 1``, as R ``survey`` uses for
        a simple random sample; a positive number uses that; None the normal quantile.

    Returns
    -------
    ProportionCI
        Frozen result carrying the inputs, ``estimate = count / nobs``, ``low`` and
        ``high``. If ``count``, ``nobs`` and ``population_size`` are all scalars, the
        numeric fields are Python scalars (``float`` for the estimate and bounds);
        otherwise they are read-only numpy arrays of the broadcast shape -- also for a
        one-element array. Pandas input gives numpy arrays too; the Series index is
        kept for :meth:`ProportionCI.to_frame`.

    Raises
    ------
    TypeError
        If a count is not numeric (strings, booleans, objects), or ``method`` or
        ``confidence_level`` is of the wrong type.
    ValueError
        If ``method`` is not one of the six names; ``confidence_level`` is not in
        (0, 1); a count is negative, fractional, missing or infinite; ``nobs`` is 0;
        ``count > nobs``; ``population_size < nobs``; a ``df`` that is not 'design', a
        positive number or None, or a ``df`` other than 'design' without
        ``population_size``; or the arrays cannot be broadcast. The message names the
        argument, the offending value and its position in an array.

    Notes
    -----
    **What an interval means here.** The 2014 interviews cover 29 municipalities
    chosen purposively (four large cities fixed, the others chosen from the
    Enforcement Authority's eviction statistics, plus supplements), not a simple
    random sample of the 290. An interval computed here describes the uncertainty a
    simple random sample of the same size *would* have; it is a statement under
    that explicit assumption, not a design-based margin of error for the purposive
    sample, and it cannot account for selection bias.

    **Methods** (``x = count``, ``n = nobs``, ``p = x / n``, ``z`` the standard normal
    quantile at ``1 - alpha / 2``, ``alpha = 1 - confidence_level``). Every bound is
    computed here, from closed forms and ``scipy.special``'s beta and t quantiles
    (statsmodels is not called); ``tests/test_proportions.py`` checks them against R's
    ``binom`` package, Newcombe (1998) and statsmodels 0.14:

    ``'wilson'``
        Score interval (Wilson 1927): the set of ``p0`` not rejected by the score
        test. Coverage close to nominal on average, somewhat below it for some ``p``
        near 0 and 1; recommended by Brown, Cai & DasGupta (2001) for small ``n``.
        Same bounds as statsmodels' ``method='wilson'``.
    ``'clopper-pearson'``
        Exact interval from the beta quantiles (as statsmodels ``method='beta'``);
        coverage at least nominal for every ``p``, hence conservative and wide. At
        ``x = 0`` the bounds are ``[0, 1 - (alpha/2)^(1/n)]`` and at ``x = n``
        ``[(alpha/2)^(1/n), 1]``.
    ``'jeffreys'``
        Equal-tailed Bayesian interval under the Beta(1/2, 1/2) prior (as statsmodels
        ``method='jeffreys'``, except at the edges), with the modification of Brown, Cai & DasGupta (2001,
        section 4.1.2): the lower bound is 0 at ``x = 0`` and the upper bound 1 at
        ``x = n``. Coverage close to nominal; the interval is centred near the
        posterior median, so at low confidence levels it need not contain ``p``.
    ``'agresti-coull'``
        Wald interval around ``(x + z^2/2) / (n + z^2)`` with ``n + z^2`` trials
        (as statsmodels ``method='agresti_coull'``); slightly conservative; clipped to
        [0, 1] (its raw bounds can leave [0, 1] near the edges).
    ``'wald'``
        ``p -/+ z sqrt(p (1 - p) / n)`` (as statsmodels ``method='normal'``), clipped to
        [0, 1]. Poor coverage for small ``n`` or ``p`` near 0 or 1, and at ``x = 0`` or
        ``x = n`` it has zero width (``[0, 0]`` or ``[1, 1]``): it is included for
        comparison with publications that use it, not as a recommendation.
    ``'logit'``
        Wald interval on the log-odds scale, ``logit(p) -/+ z / sqrt(n p (1 - p))``,
        transformed back; reproduces R's ``binom::binom.logit``, including its rule at
        the edges, where the log-odds are infinite: at ``x = 0`` the interval is
        ``[0, 1 - (alpha/2)^(1/n)]`` and at ``x = n`` ``[(alpha/2)^(1/n), 1]``, the
        Clopper-Pearson bounds. Always inside (0, 1) otherwise. Its bounds are not
        monotone in the count at high levels: at 99 % the upper bound for 1 of 29
        (0.3294) is higher than for 2 of 29 (0.3285), because the half-width on the
        log-odds scale shrinks faster than the centre moves.

    All bounds are in [0, 1] and none is NaN. The estimate lies inside the interval
    for every method except ``'jeffreys'`` (see above); for ``'agresti-coull'`` this
    holds because its interval contains the Wilson interval.

    **Finite population correction** (``population_size = N`` given). The variance
    convention for sampling without replacement, here and in
    :func:`~sbm_stats.estimation.weighted.weighted_proportion`, is Cochran's unbiased estimator of the variance of
    ``p`` under simple random sampling without replacement (Cochran 1977, section 3.3)

        ``v(p) = (1 - n / N) p (1 - p) / (n - 1)``,

    the estimator of R's ``survey::svymean`` for ``svydesign(ids = ~1, fpc = ~N)`` and
    of svy. (The alternative ``p (1 - p) / n * (N - n) / (N - 1)`` is the true variance
    with ``p`` put in place of the population proportion; it is not unbiased and is not
    used.)

    * ``'wald'``, ``'wilson'``, ``'agresti-coull'``, ``'logit'`` and ``'jeffreys'``
      replace ``n`` by the effective sample size ``n_eff = p (1 - p) / v(p) = (n - 1) N
      / (N - n)`` times ``(z / t)^2``, ``t`` the quantile of Student's t with ``df``
      degrees of freedom (by default ``n - 1``, R's ``degf()`` of the design), and ``x``
      by ``p n_eff`` (same ``p``). This puts ``v(p)`` and ``t`` in place of ``p (1 - p) /
      n`` and ``z`` in every formula: the Wald interval is ``p -/+ t sqrt(v(p))``, R's
      ``svyciprop(~y, svydesign(ids = ~1, fpc = ~N), method = "mean")`` and
      ``confint(svymean(~y, d), df = degf(d))``; ``'logit'`` is R's ``method =
      "logit"`` (both to 1e-9, ``tests/test_weighted.py``), and :func:`weighted_proportion`
      with equal weights gives the same intervals. For ``'wilson'`` and
      ``'agresti-coull'`` substituting ``t`` for ``z`` and ``n_eff`` for ``n`` gives the
      same bounds; ``'jeffreys'`` takes Beta(p n_eff + 1/2, (1 - p) n_eff + 1/2)
      quantiles, and ``'logit'``'s edge bounds use ``n_eff`` too. ``df=None`` keeps
      ``z`` (factor 1). Three things change against the interval without
      ``population_size``: the factor ``1 - n / N``, the divisor ``n - 1`` instead of ``n``
      and ``t`` instead of ``z``; for 16 of 29 from 290 the last two outweigh the first
      and the Wilson interval is slightly wider. As ``N`` grows the effective size tends
      to ``(n - 1) (z / t)^2``, not to the binomial ``n``. With ``n = 1`` (and ``N > 1``)
      the variance cannot be estimated (``n_eff = 0``): these methods return ``[0, 1]``.
      (Korn & Graubard's interval, R's ``svyciprop(method = "beta")``, is Clopper-Pearson
      at ``n_eff``: it is ``weighted_proportion(..., method='beta')``, not a method here.)
    * ``'clopper-pearson'`` is made exact for the finite population instead: the
      interval inverts the two one-sided *hypergeometric* tests for the number ``M``
      of population units with the property (Buonaccorsi 1987; Wright 1991), giving
      ``[M_low / N, M_high / N]`` with coverage at least nominal for every ``M``. The
      bounds are multiples of ``1 / N``. This keeps what the method is chosen for --
      a guaranteed coverage -- which an effective sample size would not. It changes
      the interval even for ``n = 1``: 1 of 1 from ``N = 290`` gives ``[8/290, 1] =
      [0.0276, 1]`` (the smallest ``M`` with ``P(X >= 1 | M) = M / 290 >= 0.025`` is 8),
      not the binomial ``[0.025, 1]``. For ``N > 1e8`` (see
      ``HYPERGEOMETRIC_MAX_POPULATION``) the binomial Clopper-Pearson interval is
      returned unchanged: the correction is then negligible and scipy's
      hypergeometric tails become slow and inexact.
    * When ``nobs == N`` (a census) every method returns the zero-width interval
      ``[p, p]``: nothing is left to estimate.

    All of this assumes a simple random sample of the ``N``; for the 2014 interviews
    (certainty and extreme-value picks, unequal chances for the rest) it does not hold,
    and a corrected interval is no refinement of the uncorrected one.

    References
    ----------
    Brown, L. D., Cai, T. T. and DasGupta, A. (2001). Interval estimation for a
    binomial proportion. *Statistical Science* 16(2), 101-133.

    Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
    comparison of seven methods. *Statistics in Medicine* 17, 857-872.

    Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed. Wiley. Section 3.3.

    Korn, E. L. and Graubard, B. I. (1998). Confidence intervals for proportions with
    small expected number of positive counts estimated from survey data. *Survey
    Methodology* 24, 193-201.

    Lumley, T. R package ``survey``, ``svyciprop`` (``R/svyciprop.R``, method "beta").

    Buonaccorsi, J. P. (1987). A note on confidence intervals for proportions in
    finite populations. *The American Statistician* 41(3), 215-218.

    Examples
    --------
    16 of the 29 interviewed municipalities reported forced moves:

    >>> res = proportion_ci(16, 29)
    >>> round(res.estimate, 4), round(res.low, 4), round(res.high, 4)
    (0.5517, 0.3755, 0.7159)

    The same, as if the 29 were a simple random sample from the 290 municipalities
    (t with 28 degrees of freedom; with ``df=None`` the normal quantile):

    >>> res = proportion_ci(16, 29, population_size=290)
    >>> round(res.low, 4), round(res.high, 4)
    (0.374, 0.7171)
    >>> res = proportion_ci(16, 29, population_size=290, df=None)
    >>> round(res.low, 4), round(res.high, 4)
    (0.3811, 0.711)

    Vectorised, with the exact interval:

    >>> res = proportion_ci([0, 16, 29], 29, method="clopper-pearson")
    >>> res.low.round(4), res.high.round(4)
    (array([0.    , 0.3569, 0.8806]), array([0.1194, 0.7355, 1.    ]))
    """
    method = check_choice("method", method, PROPORTION_METHODS)
    level = check_confidence_level(confidence_level)
    check_df(df)
    if population_size is None and not (isinstance(df, str) and df == "design"):
        raise ValueError(f"df ({df!r}) applies only with population_size (the design-based interval); "
                         "without it the intervals are binomial and use no degrees of freedom")
    c, n, big_n, labels, scalar = _validated_counts(count, nobs, population_size)
    alpha = 1.0 - level
    shape = np.broadcast_shapes(c.shape, n.shape, () if big_n is None else big_n.shape)
    if big_n is None:
        low, high = _interval_srs(c, n, alpha, method)
    else:
        low, high = _interval_fpc(c, n, big_n, alpha, method, shape, df)
    estimate = c / n
    if scalar:
        return ProportionCI(
            count=int(c),
            nobs=int(n),
            confidence_level=level,
            method=method,
            population_size=None if big_n is None else int(big_n),
            estimate=float(estimate),
            low=float(low),
            high=float(high),
        )
    # Read-only views of the broadcast shape; count and nobs are copied first so
    # that a caller who later changes their array does not change the result.
    out = [np.broadcast_to(a, shape) for a in (c.copy(), n.copy(), estimate, low, high)]
    return ProportionCI(
        count=out[0],
        nobs=out[1],
        confidence_level=level,
        method=method,
        population_size=None if big_n is None else np.broadcast_to(big_n.copy(), shape),
        estimate=out[2],
        low=out[3],
        high=out[4],
        index=labels,
    )


def __getattr__(name: str) -> Any:
    """``weighted_proportion`` and ``WeightedProportion`` moved to :mod:`.weighted`; still importable here."""
    if name in ("weighted_proportion", "WeightedProportion"):
        from . import weighted

        return getattr(weighted, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
