"""The four intervals of :func:`~sbm_stats.estimation.weighted.weighted_proportion`.

Each takes the estimate ``p`` and its linearised variance ``v(p)`` and returns bounds in
[0, 1] around ``p``; the formulas are R ``survey`` 4.1's ``svyciprop`` (see the Notes
of ``weighted_proportion``). Private.
"""

from __future__ import annotations

import math

import numpy as np

from .proportions import _closed_form_interval, _expit, _z


def quantile(level: float, df: float | None) -> float:
    """The upper ``(1 - level) / 2`` quantile: normal for ``df`` None, else Student's t."""
    tail = (1.0 - level) / 2.0
    if df is None:
        return _z(tail)
    from scipy import special

    return float(-special.stdtrit(df, tail))


def _kl(p: float, beta: float) -> float:
    """Binomial deviance per unit weight, ``p log(p/p0) + (1-p) log((1-p)/(1-p0))``, p0 = expit(beta)."""
    log_p0 = -np.logaddexp(0.0, -beta)
    log_q0 = -np.logaddexp(0.0, beta)
    return float(p * (math.log(p) - log_p0) + (1 - p) * (math.log1p(-p) - log_q0))


def _likelihood(p: float, threshold: float) -> tuple[float, float]:
    from scipy.optimize import brentq

    centre = math.log(p / (1 - p))
    bounds = []
    for sign in (-1.0, 1.0):
        step = 1.0
        while _kl(p, centre + sign * step) < threshold:
            step *= 2.0
        root = brentq(lambda b: _kl(p, b) - threshold, centre, centre + sign * step, xtol=1e-14, rtol=1e-15)
        bounds.append(float(_expit(root)))
    return bounds[0], bounds[1]


def interval(p: float, variance: float, *, method: str, level: float, df: float | None, nobs: int,
             rows: int, design_df: float, dispersion: float) -> tuple[float, float]:
    """Bounds of one method; ``rows`` and ``design_df`` enter only R's df factor of ``'beta'``.

    ``df`` is positive, or 0 or less only when ``variance`` is 0 and ``method`` is not ``'beta'``
    (the caller refuses the rest, naming the domain).
    """
    if method == "beta":
        return _korn_graubard(p, variance, level=level, df=df, nobs=nobs, rows=rows)
    if variance == 0.0 or p in (0.0, 1.0):
        # p is exactly 0 or 1 when every answer is (the variance is then 0 too), or when the
        # weights of one answer are below 1e-16 of the other's: no logit, no interval around p
        return p, p
    q = quantile(level, df)
    se = math.sqrt(variance)
    if method == "wald":
        return min(1.0, max(0.0, p - q * se)), min(1.0, max(0.0, p + q * se))
    if method == "logit":
        centre = math.log(p / (1 - p))
        half = q * se / (p * (1 - p))
        # expit without overflow: a half-width beyond 709 (t with 1 df at level 0.999) gives 0 and 1
        return float(_expit(centre - half)), float(_expit(centre + half))
    # likelihood: deviance / dispersion <= q^2 lambda, lambda = v n' / (p (1 - p)) (svyglm's
    # design variance over its naive one); n' = sum of the rescaled weights cancels.
    return _likelihood(p, q * q * variance * dispersion / (2.0 * p * (1 - p)))


def _korn_graubard(p: float, variance: float, *, level: float, df: float | None, nobs: int,
                   rows: int) -> tuple[float, float]:
    alpha = 1.0 - level
    q = quantile(level, df)
    # R: n.eff * (qt(alpha/2, nrow(design) - 1) / qt(alpha/2, degf(design)))^2
    factor = (quantile(level, rows - 1.0) / q) ** 2 if rows > 1 else 1.0
    n_eff = (p * (1 - p) / variance if variance > 0 else float(nobs)) * factor
    # Clopper-Pearson at n_eff with n_eff p successes, as proportion_ci computes it
    low, high = _closed_form_interval(n_eff * p, n_eff, alpha, "clopper-pearson")
    return min(float(low), p), max(float(high), p)
