"""Coverage of the interval methods at the study's sample size.

Which interval should a reader trust at n = 29? The coverage probability of a method
at a true proportion p is the probability that its interval contains p. For a
binomial count it can be computed exactly by summing over the n + 1 possible counts,
and for sampling n of N without replacement (the finite population case) over the
hypergeometric distribution; :func:`exact_coverage` does that. :func:`simulated_coverage`
estimates the same by simulation with an explicit seed, as a check and as an
illustration, with its Monte Carlo standard error.

Examples
--------
>>> cov = exact_coverage(29, methods=("wald", "wilson"), p=[0.1, 0.5])
>>> cov.to_frame()[["method", "p", "coverage"]].round(3).values.tolist()
[['wald', 0.1, 0.947], ['wald', 0.5, 0.939], ['wilson', 0.1, 0.978], ['wilson', 0.5, 0.939]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .proportions import PROPORTION_METHODS as METHODS
from .proportions import proportion_ci

__all__ = ["exact_coverage", "simulated_coverage", "CoverageResult"]


@dataclass(frozen=True)
class CoverageResult:
    """Coverage and mean width per method and true proportion.

    ``mc_se`` is the Monte Carlo standard error of a simulated coverage (0 for an
    exact computation).
    """

    nobs: int
    confidence_level: float
    population_size: int | None
    method: tuple[str, ...]
    p: np.ndarray
    coverage: np.ndarray
    mean_width: np.ndarray
    mc_se: np.ndarray
    replicates: int | None = None

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame({"method": self.method, "p": self.p, "coverage": self.coverage,
                              "mean_width": self.mean_width})
        if self.replicates is not None:
            frame["mc_se"] = self.mc_se
        return frame

    def summary(self) -> pd.DataFrame:
        """Per method: mean and minimum coverage over the grid, share of p below nominal."""
        f = self.to_frame()
        g = f.groupby("method", sort=False)
        return pd.DataFrame({
            "mean_coverage": g.coverage.mean(),
            "min_coverage": g.coverage.min(),
            "share_below_nominal": g.coverage.apply(lambda c: float((c < self.confidence_level).mean())),
            "mean_width": g.mean_width.mean(),
        })


def _check_nobs(nobs: int, population_size: int | None) -> None:
    if isinstance(nobs, bool) or not isinstance(nobs, (int, np.integer)) or nobs < 1:
        raise ValueError(f"nobs ({nobs!r}) must be a whole number of at least 1")
    if population_size is not None and (not isinstance(population_size, (int, np.integer)) or population_size < nobs):
        raise ValueError(f"population_size ({population_size!r}) must be a whole number of at least nobs ({nobs})")


def exact_coverage(
    nobs: int,
    *,
    methods: Sequence[str] = METHODS,
    confidence_level: float = 0.95,
    p: Sequence[float] | None = None,
    population_size: int | None = None,
) -> CoverageResult:
    """Exact coverage of each method at each true proportion.

    Parameters
    ----------
    nobs : int
        Sample size (29 in the study).
    methods : sequence of str
        Interval methods of :func:`~sbm_stats.estimation.proportions.proportion_ci`.
    confidence_level : float
        Nominal level.
    p : sequence of float, optional
        True proportions. Default: 0.01, 0.02, ..., 0.99; with ``population_size`` N,
        the attainable proportions M/N for M = 1, ..., N - 1.
    population_size : int, optional
        Sample ``nobs`` of N without replacement (hypergeometric counts) and use the
        intervals' finite population correction.

    Returns
    -------
    CoverageResult
        One row per method and p.

    Notes
    -----
    Coverage is :math:`C(p) = \\sum_k P(K = k \\mid p)\\, 1\\{L(k) \\le p \\le U(k)\\}`,
    summed over all possible counts k, so it has no simulation error. Coverage of
    discrete intervals oscillates in p (Brown, Cai & DasGupta 2001); compare methods by
    their mean and minimum over a grid, not at one p.
    """
    from scipy import stats  # imported when used: a report that needs no exact interval skips it

    _check_nobs(nobs, population_size)
    k = np.arange(nobs + 1)
    if population_size is None:
        grid = np.round(np.arange(1, 100) / 100, 2) if p is None else np.asarray(p, dtype=float)
        pmf = stats.binom.pmf(k[None, :], nobs, grid[:, None])
    else:
        n_pop = int(population_size)
        grid = np.arange(1, n_pop) / n_pop if p is None else np.asarray(p, dtype=float)
        successes = np.rint(grid * n_pop).astype(int)
        pmf = stats.hypergeom.pmf(k[None, :], n_pop, successes[:, None], nobs)
    rows_m, rows_p, rows_c, rows_w = [], [], [], []
    for method in methods:
        ci = proportion_ci(k, np.full_like(k, nobs), confidence_level=confidence_level, method=method,
                           population_size=population_size)
        low, high = np.asarray(ci.low), np.asarray(ci.high)
        inside = (low[None, :] <= grid[:, None] + 1e-12) & (grid[:, None] - 1e-12 <= high[None, :])
        rows_m += [method] * len(grid)
        rows_p.append(grid)
        rows_c.append((pmf * inside).sum(axis=1))
        rows_w.append(pmf @ (high - low))
    return CoverageResult(
        nobs=nobs, confidence_level=confidence_level, population_size=population_size,
        method=tuple(rows_m), p=np.concatenate(rows_p), coverage=np.concatenate(rows_c),
        mean_width=np.concatenate(rows_w), mc_se=np.zeros(len(rows_m)),
    )


def simulated_coverage(
    nobs: int,
    *,
    p: Sequence[float],
    replicates: int = 10_000,
    seed: int,
    methods: Sequence[str] = METHODS,
    confidence_level: float = 0.95,
    population_size: int | None = None,
) -> CoverageResult:
    """Coverage estimated by simulation, with its Monte Carlo standard error.

    Draws ``replicates`` counts for each p from a :class:`numpy.random.Generator`
    seeded with ``seed`` (binomial, or hypergeometric with ``population_size``), and
    counts how often each method's interval contains p. The standard error is
    sqrt(c (1 - c) / replicates).
    """
    _check_nobs(nobs, population_size)
    if isinstance(replicates, bool) or not isinstance(replicates, (int, np.integer)) or replicates < 1:
        raise ValueError(f"replicates ({replicates!r}) must be a whole number of at least 1")
    rng = np.random.default_rng(seed)
    grid = np.asarray(p, dtype=float)
    rows_m, rows_p, rows_c, rows_w = [], [], [], []
    draws = []
    for q in grid:
        if population_size is None:
            draws.append(rng.binomial(nobs, q, size=replicates))
        else:
            good = int(round(q * population_size))
            draws.append(rng.hypergeometric(good, population_size - good, nobs, size=replicates))
    for method in methods:
        for q, k in zip(grid, draws):
            ci = proportion_ci(k, np.full_like(k, nobs), confidence_level=confidence_level, method=method,
                               population_size=population_size)
            low, high = np.asarray(ci.low), np.asarray(ci.high)
            rows_m.append(method)
            rows_p.append(q)
            rows_c.append(float(np.mean((low <= q + 1e-12) & (q - 1e-12 <= high))))
            rows_w.append(float(np.mean(high - low)))
    cov = np.asarray(rows_c)
    return CoverageResult(
        nobs=nobs, confidence_level=confidence_level, population_size=population_size,
        method=tuple(rows_m), p=np.asarray(rows_p), coverage=cov, mean_width=np.asarray(rows_w),
        mc_se=np.sqrt(cov * (1 - cov) / replicates), replicates=int(replicates),
    )
