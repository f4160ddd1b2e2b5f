"""Design-based (weighted) proportions, for the whole sample and for domains.

:func:`weighted_proportion` estimates a population proportion from unit-level 0/1
answers and design weights of a stratified single-stage design, with a linearised
variance, the finite population correction per stratum, four interval methods of R's
``survey::svyciprop`` and the design effects of ``svymean(deff = TRUE)``.
:func:`domain_proportions` does the same for each subgroup (domain), with the variance
of R's ``subset(design, ...)`` and ``svyby``: the design's strata and sizes are kept,
not those of the subgroup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from .._validate import check_choice, check_confidence_level, describe_position
from ._design import Design, LonelyPSU, labels_array, validated_design
from ._weighted_ci import interval
from .proportions import ConfidenceInterval, check_df

__all__ = ["WeightedProportion", "weighted_proportion", "DomainProportions", "domain_proportions",
           "WEIGHTED_METHODS"]

#: The interval methods of :func:`weighted_proportion`: ``'wald'`` is R's ``"mean"``.
WeightedMethod = Literal["wald", "logit", "beta", "likelihood"]
WEIGHTED_METHODS: tuple[str, ...] = get_args(WeightedMethod)


@dataclass(frozen=True, eq=False)
class WeightedProportion:
    """Result of :func:`weighted_proportion` (one domain's result of :func:`domain_proportions`).

    Attributes
    ----------
    y, weights : numpy.ndarray
        The 0/1 answers and design weights of every unit of the design (read-only).
    strata : numpy.ndarray or None
        The stratum of each unit, or None for an unstratified design.
    population_size : dict or None
        Population size per stratum (key None for an unstratified design), or None
        when no finite population correction was applied.
    confidence_level : float
    method : str
        One of :data:`WEIGHTED_METHODS`.
    estimate : float
        ``sum(w y) / sum(w)`` over the units of the domain (all units without one); exactly
        0 when every answer is 0 and exactly 1 when every answer is 1.
    standard_error : float
        Square root of the linearised variance.
    low, high : float
        The interval's bounds, inside [0, 1] and around the estimate.
    nobs : int
        Number of units in the estimate (in the domain).
    n_strata : int
        Number of strata of the design (1 without ``strata``).
    df : float or None
        Degrees of freedom of the t quantile (None: the normal quantile).
    deff : float or None
        Design effect against simple random sampling without replacement of ``nobs``
        units from a population of ``sum(w)`` (R ``svymean(..., deff = TRUE)``); None
        where R gives NA, Inf or NaN (``sum(w) <= nobs``, or an estimate of 0 or 1).
    deff_replace : float or None
        Design effect against simple random sampling with replacement (R ``svymean(...,
        deff = "replace")``): the variance over ``p (1 - p) / (nobs - 1)``; None for an
        estimate of 0 or 1, or a single unit.
    lonely_psu : str
        How a stratum of a single unit entered the variance (see :func:`weighted_proportion`).
    domain : numpy.ndarray or None
        True for the units of the domain (:func:`domain_proportions`), None for all units.
    """

    y: np.ndarray
    weights: np.ndarray
    strata: np.ndarray | None
    population_size: dict | None
    confidence_level: float
    method: WeightedMethod
    estimate: float
    standard_error: float
    low: float
    high: float
    nobs: int
    n_strata: int
    df: float | None = None
    deff: float | None = None
    deff_replace: float | None = None
    lonely_psu: LonelyPSU = "fail"
    domain: np.ndarray | None = field(default=None, repr=False)

    @property
    def confidence_interval(self) -> ConfidenceInterval:
        """The interval as a :class:`~sbm_stats.estimation.proportions.ConfidenceInterval`."""
        return ConfidenceInterval(self.low, self.high)

    def to_frame(self) -> pd.DataFrame:
        """A one-row summary: estimate, standard error, bounds, design effects and the design's size.

        Examples
        --------
        >>> res = weighted_proportion([1, 0, 1, 1], [1.0, 1.0, 2.0, 2.0])
        >>> list(res.to_frame().columns)  # doctest: +NORMALIZE_WHITESPACE
        ['estimate', 'standard_error', 'low', 'high', 'deff', 'deff_replace', 'nobs', 'n_strata',
         'df', 'confidence_level', 'method', 'lonely_psu', 'finite_population_correction']
        """
        return pd.DataFrame({
            "estimate": [self.estimate],
            "standard_error": [self.standard_error],
            "low": [self.low],
            "high": [self.high],
            "deff": [np.nan if self.deff is None else self.deff],
            "deff_replace": [np.nan if self.deff_replace is None else self.deff_replace],
            "nobs": [self.nobs],
            "n_strata": [self.n_strata],
            "df": [np.inf if self.df is None else self.df],
            "confidence_level": [self.confidence_level],
            "method": [self.method],
            "lonely_psu": [self.lonely_psu],
            "finite_population_correction": [self.population_size is not None],
        })


def _estimate(design: Design, mask: np.ndarray | None, *, level: float, method: str, df: Any,
              label: Any = None) -> WeightedProportion:
    """The estimate, variance, interval and design effects over the units in ``mask`` (domain ``label``)."""
    y, w = design.y, design.weights
    inside = np.ones(len(y), dtype=bool) if mask is None else mask
    # From the two sums, so that all-0 and all-1 answers give exactly 0 and 1 (a dot
    # product and a sum of the same weights can differ in the last bit: D1 of issue 22).
    ones = float(w[inside & (y == 1)].sum())
    zeros = float(w[inside & (y == 0)].sum())
    total = ones + zeros
    p = min(1.0, max(0.0, ones / total))
    z = np.where(inside, w * (y - p) / total, 0.0)
    variance = max(0.0, design.variance(z))
    se = math.sqrt(variance)
    n_d = int(inside.sum())
    # R's degf(): units less strata, counting only the units and strata of the domain
    strata_d = len(np.unique(design.codes[inside]))
    design_df = float(n_d - strata_d)
    used_df = design_df if df == "design" else (None if df is None or math.isinf(df) else float(df))
    if used_df is not None and used_df <= 0 and (variance > 0 or method == "beta"):
        within = "" if mask is None else f" of domain {label!r}"
        raise ValueError(
            f"df='design' gives the {n_d} units{within} less their {strata_d} strata = {int(used_df)} degrees "
            "of freedom, too few for a t quantile; give df as a positive number, or None for the normal quantile")
    # glm's dispersion in R's likelihood interval: sum(w') / (n_d - 1) with w' = w / mean(w)
    # over the domain's units (R's subset of a design keeps only them), i.e. n_d / (n_d - 1)
    dispersion = n_d / (n_d - 1) if n_d > 1 else math.inf
    low, high = interval(p, variance, method=method, level=level, df=used_df, nobs=n_d,
                         rows=n_d, design_df=design_df, dispersion=dispersion)
    deff = deff_replace = None
    if variance > 0 and n_d > 1 and 0 < p < 1:
        srs_variance = p * (1 - p) * n_d / (n_d - 1)
        deff_replace = variance / (srs_variance / n_d)
        if total > n_d:
            deff = variance / (srs_variance * (total - n_d) / (total * n_d))
    return WeightedProportion(
        y=y, weights=w, strata=design.strata, population_size=design.population_size,
        confidence_level=level, method=method, estimate=p, standard_error=se, low=low, high=high,
        nobs=n_d, n_strata=len(design.labels), df=used_df, deff=deff, deff_replace=deff_replace,
        lonely_psu=design.lonely_psu, domain=None if mask is None else _read_only(mask))


def _read_only(arr: np.ndarray) -> np.ndarray:
    arr = arr.copy()
    arr.flags.writeable = False
    return arr


def weighted_proportion(
    y: Any,
    weights: Any,
    *,
    strata: Any = None,
    population_size: Any = None,
    confidence_level: float = 0.95,
    method: WeightedMethod = "wald",
    df: float | Literal["design"] | None = "design",
    lonely_psu: LonelyPSU = "fail",
) -> WeightedProportion:
    r"""Design-based (weighted) proportion with a stratified linearised variance.

    For unit-level 0/1 answers ``y_i`` with design weights ``w_i`` (inverse inclusion
    probabilities), estimates the population proportion by the ratio (Hajek)
    estimator ``p = sum(w y) / sum(w)``, with a Taylor-linearised variance for
    stratified single-stage sampling without replacement: R ``survey``'s ``svymean``
    and ``svyciprop`` for ``svydesign(ids = ~1, strata = ~h, weights = ~w, fpc = ~N_h)``.

    Parameters
    ----------
    y : array_like of 0/1 or bool
        One answer per unit.
    weights : array_like of float
        Design weights, finite and positive, one per unit.
    strata : array_like or None, default None
        Stratum label of each unit; None for one stratum.
    population_size : int, mapping or pandas.Series, optional
        Population size for the finite population correction: a number when there are
        no strata; a mapping (or Series) from each stratum label to its ``N_h`` when
        there are. None (default) omits the correction (with-replacement variance).
    confidence_level : float, default 0.95
        Two-sided confidence level, strictly between 0 and 1.
    method : {'wald', 'logit', 'beta', 'likelihood'}, default 'wald'
        The interval, as R's ``svyciprop`` (see Notes): ``'wald'`` is its ``"mean"``.
    df : 'design', float or None, default 'design'
        Degrees of freedom of the quantile ``q``: ``'design'`` uses the design's,
        ``n - H`` (units less strata, R's ``degf()``); a positive number uses that; None
        uses the normal quantile.
    lonely_psu : {'fail', 'certainty', 'adjust', 'average'}, default 'fail'
        A stratum of a single unit (not a census stratum) has no variance estimate; as
        R's ``options(survey.lonely.psu = ...)``: ``'fail'`` raises; ``'certainty'``
        lets it add nothing to the variance; ``'adjust'`` centres it at the grand mean
        instead of its own; ``'average'`` replaces its part by the average of the other
        strata's.

    Returns
    -------
    WeightedProportion
        Frozen result carrying the inputs, estimate, standard error, bounds and design effects.

    Raises
    ------
    TypeError
        For non-numeric ``y`` or ``weights``, or a ``population_size`` of the wrong kind.
    ValueError
        For answers other than 0/1, missing values, weights that are not positive and
        finite, arrays of unequal length, a stratum with a single unit under
        ``lonely_psu='fail'``, a stratum without a population size, ``N_h < n_h``, or a
        bad ``confidence_level``, ``method``, ``df`` or ``lonely_psu``. The message names
        the argument, the position and what is allowed.

    Notes
    -----
    With ``z_i = w_i (y_i - p) / sum(w)``, ``n_h`` units in stratum ``h`` and sampling
    fraction ``f_h = n_h / N_h`` (0 without a population size), the variance is

    .. math:: v(p) = \sum_h (1 - f_h) \frac{n_h}{n_h - 1} \sum_{i \in h} (z_i - \bar z_h)^2 .

    With one stratum and equal weights ``N / n`` it is ``(1 - n / N) p (1 - p) / (n - 1)``,
    Cochran's (1977, section 3.3) unbiased estimator, which :func:`proportion_ci` uses
    with ``population_size`` too, with the same t quantile. The methods, each checked
    against R ``survey`` 4.1 ``svyciprop(~y, design, method = ...)`` in
    ``tests/test_weighted.py``:

    ``'wald'`` (R ``"mean"``)
        ``p -/+ q se``, clipped to [0, 1]; ``confint(svymean(~y, d), df = degf(d))``.
    ``'logit'``
        ``logit(p) -/+ q se / (p (1 - p))``, transformed back.
    ``'beta'``
        Korn & Graubard (1998): the Clopper-Pearson interval at the effective sample
        size ``n_eff = p (1 - p) / v(p)`` times R's ``(t_{rows - 1} / q)^2`` (with
        ``df='design'`` a factor below 1 for more than one stratum; 1 for a simple random
        sample), with ``n_eff p`` successes.
    ``'likelihood'``
        The set of ``p0`` whose binomial deviance from ``p``, scaled as R's
        ``svyglm``/``confint(method = "likelihood")`` scales it (Rao-Scott), is at most
        ``q^2``: ``p log(p/p0) + (1-p) log((1-p)/(1-p0)) <= q^2 v(p) phi / (2 p (1-p))``
        with glm's dispersion ``phi = sum(w') / (n - 1)``, ``w' = w / mean(w)``. R finds
        the roots by interpolating a profile on a grid; ours are exact, so the two agree
        to about 1e-5 (R prints three significant digits).

    **At p = 0 or 1** the estimate is exactly 0 or 1 and the linearised variance is 0.
    ``'wald'``, ``'logit'`` and ``'likelihood'`` return ``[p, p]``, as R's ``"mean"`` and
    (to 1e-10) ``"logit"`` do; R's ``"likelihood"`` stops with an error and its ``"beta"``
    gives NaN. For ``'beta'`` we take the design effect to be 1 there, ``n_eff = n``, as
    Korn & Graubard (1998) propose: ``[0, 1 - (alpha/2)^(1/n_eff)]`` at 0 and
    ``[(alpha/2)^(1/n_eff), 1]`` at 1 -- an interval that says something where
    linearisation says nothing. Only the data can tell whether the design effect 1 is fair.

    **Public data.** Socialstyrelsen published the 2014 results only as aggregates
    (counts of municipalities), with neither unit-level answers nor design weights.
    With public data only the unweighted analysis of :func:`proportion_ci` is
    possible; this function is for data collected with a known design.

    References
    ----------
    Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed. Wiley. Section 3.3.

    Korn, E. L. and Graubard, B. I. (1998). Confidence intervals for proportions with
    small expected number of positive counts estimated from survey data. *Survey
    Methodology* 24, 193-201.

    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.

    Examples
    --------
    >>> res = weighted_proportion([1, 0, 0, 1, 1], [2, 2, 2, 4, 4],
    ...                           strata=["a", "a", "a", "b", "b"],
    ...                           population_size={"a": 12, "b": 8})
    >>> round(res.estimate, 6), round(res.standard_error, 6)
    (0.714286, 0.123718)
    >>> weighted_proportion([1] * 8, [27.3, 11.8, 10.5, 10.5, 14.5, 2.9, 16.4, 27.7]).estimate
    1.0
    """
    method = check_choice("method", method, WEIGHTED_METHODS)
    level = check_confidence_level(confidence_level)
    check_df(df)
    design = validated_design(y, weights, strata, population_size, lonely_psu)
    return _estimate(design, None, level=level, method=method, df=df)


@dataclass(frozen=True, eq=False)
class DomainProportions:
    """Result of :func:`domain_proportions`: one :class:`WeightedProportion` per domain.

    Attributes
    ----------
    levels : tuple
        The domains, in the order of the results.
    results : tuple of WeightedProportion
        The estimate of each domain.
    """

    levels: tuple
    results: tuple

    def __getitem__(self, level: Any) -> WeightedProportion:
        for lab, res in zip(self.levels, self.results):
            if lab == level:
                return res
        raise KeyError(f"no domain {level!r}; the domains are {list(self.levels)!r}")

    def to_frame(self) -> pd.DataFrame:
        """One row per domain (the index), the columns of :meth:`WeightedProportion.to_frame`."""
        frame = pd.concat([r.to_frame() for r in self.results], ignore_index=True)
        frame.index = pd.Index(list(self.levels), name="domain")
        return frame


def domain_proportions(
    y: Any,
    weights: Any,
    domains: Any,
    *,
    levels: Any = None,
    strata: Any = None,
    population_size: Any = None,
    confidence_level: float = 0.95,
    method: WeightedMethod = "wald",
    df: float | Literal["design"] | None = "design",
    lonely_psu: LonelyPSU = "fail",
) -> DomainProportions:
    """Weighted proportions per domain (subgroup), with the design's variance.

    The estimate for domain ``d`` is ``sum_d(w y) / sum_d(w)``; its linearised values are
    ``w_i (y_i - p_d) / sum_d(w)`` inside the domain and 0 outside, and the variance sums
    over the design's strata with their full ``n_h`` and ``N_h``. This is R's
    ``svyciprop(~y, subset(d, g == level))`` and ``svyby(~y, ~g, d, svymean)``; treating
    the domain's units as a sample of their own would ignore that their number is
    random. A stratum with one unit of the domain but more of the design is not lonely
    (R's default ``survey.adjust.domain.lonely = FALSE``). Degrees of freedom with
    ``df='design'``: the domain's units less the strata it has units in (R's ``degf()``
    of the subset).

    Parameters
    ----------
    y, weights, strata, population_size, confidence_level, method, df, lonely_psu
        As in :func:`weighted_proportion`; every unit of the design is given.
    domains : array_like
        The domain label of each unit.
    levels : sequence, optional
        The domains to estimate, in this order; default every label in ``domains``,
        sorted where the labels can be sorted.

    Returns
    -------
    DomainProportions
        Frozen; ``result[level]`` is a :class:`WeightedProportion`, ``to_frame()`` a table.

    Raises
    ------
    ValueError
        As :func:`weighted_proportion`; also for a missing domain label, a level with no
        units or given twice (naming its position in ``levels``), or a domain with a
        variance but no degrees of freedom under ``df='design'`` (naming the domain).

    Examples
    --------
    >>> res = domain_proportions([1, 0, 1, 1, 0, 0], [1, 1, 1, 2, 2, 2], list("xxyyxy"))
    >>> res.to_frame()["estimate"].round(4).to_dict()
    {'x': 0.25, 'y': 0.6}
    """
    method = check_choice("method", method, WEIGHTED_METHODS)
    level = check_confidence_level(confidence_level)
    check_df(df)
    design = validated_design(y, weights, strata, population_size, lonely_psu)
    groups = labels_array("domains", domains, design.nobs, "every unit needs a domain label")
    if levels is None:
        try:
            wanted = list(pd.unique(groups))
            wanted.sort()
        except TypeError:
            wanted = list(pd.unique(groups))
    else:
        if isinstance(levels, (str, bytes)):  # list("ab") would be the domains 'a' and 'b'
            raise TypeError(f"levels ({levels!r}) must be a list of domain labels, such as [{levels!r}]")
        wanted = list(levels)
        twice = pd.Index(wanted, dtype=object).duplicated()
        if twice.any():
            k = int(np.flatnonzero(twice)[0])
            raise ValueError(f"levels{describe_position((k,))} is {wanted[k]!r}, which levels names before; "
                             "give each domain once")
    results = []
    for k, lab in enumerate(wanted):
        mask = groups == lab
        if not mask.any():
            raise ValueError(f"levels{describe_position((k,))} is {lab!r}, which no unit has in domains; "
                             "give only domains with at least one unit")
        results.append(_estimate(design, mask, level=level, method=method, df=df, label=lab))
    return DomainProportions(levels=tuple(wanted), results=tuple(results))
