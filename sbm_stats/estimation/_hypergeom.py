"""Exact (hypergeometric) confidence bounds for a proportion in a finite population.

When ``n`` units are drawn without replacement from ``N`` and ``x`` of them have the
property, the count in the sample follows the hypergeometric distribution with
parameters ``(N, M, n)``, where ``M`` is the unknown number of units in the
population that have the property. Inverting the two one-sided hypergeometric tests
at ``alpha / 2`` each gives the finite-population analogue of the Clopper-Pearson
interval (Buonaccorsi 1987; Wright 1991):

* ``M_low``  = the smallest ``M`` with ``P(X >= x | M) >= alpha / 2``,
* ``M_high`` = the largest ``M`` with ``P(X <= x | M) >= alpha / 2``,

and the interval for the population proportion is ``[M_low / N, M_high / N]``. Its
coverage is at least ``1 - alpha`` for every ``M`` under simple random sampling
without replacement. Only ``M`` in ``[x, N - (n - x)]`` is consistent with the data.

Both tail probabilities are monotone in ``M``, so each bound is found by a bisection
over the integers, vectorised across all the (x, n, N) triples at once; each distinct
triple is computed once.

References
----------
Buonaccorsi, J. P. (1987). A note on confidence intervals for proportions in finite
populations. *The American Statistician* 41(3), 215-218.

Wright, T. (1991). *Exact Confidence Bounds when Sampling from Small Finite
Universes*. Lecture Notes in Statistics 66. Springer.
"""

from __future__ import annotations

import numpy as np

__all__ = ["hypergeometric_interval"]

# A tail probability within this relative distance of alpha/2 counts as equal to it:
# floating-point noise in scipy's tail sums must not move a bound by one unit.
_TIE_RTOL = 1e-12


def _bisect_smallest(pred, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Smallest integer m in [lo, hi] with pred(m) true; pred monotone, pred(hi) true."""
    lo = lo.copy()
    hi = hi.copy()
    active = lo < hi
    while active.any():
        mid = (lo + hi) // 2
        ok = np.ones_like(active)
        ok[active] = pred(mid[active], active)
        hi = np.where(active & ok, mid, hi)
        lo = np.where(active & ~ok, mid + 1, lo)
        active = lo < hi
    return lo


def _unique_rows(triples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(triples, axis=0, return_inverse=True)``, fast when the rows pack into int64."""
    span = triples.max(axis=0).astype(object) + 1 if len(triples) else np.ones(3, dtype=object)
    if int(span[0] * span[1] * span[2]) < 2**62:
        s0, s1, s2 = (int(v) for v in span)
        key = (triples[:, 0] * s1 + triples[:, 1]) * s2 + triples[:, 2]
        ukey, inverse = np.unique(key, return_inverse=True)
        uniq = np.stack([ukey // (s1 * s2), (ukey // s2) % s1, ukey % s2], axis=1)
        return uniq, inverse.ravel()
    uniq, inverse = np.unique(triples, axis=0, return_inverse=True)
    return uniq, inverse.ravel()


def hypergeometric_interval(
    x: np.ndarray, n: np.ndarray, population: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Exact finite-population bounds ``(low, high)`` for ``x`` of ``n`` drawn from ``N``.

    Parameters
    ----------
    x, n, population : numpy.ndarray
        Integer-valued arrays of one shape: the count, the sample size and the
        population size, with ``0 <= x <= n <= population`` (checked by the caller).
    alpha : float
        One minus the confidence level; each tail gets ``alpha / 2``.

    Returns
    -------
    low, high : numpy.ndarray
        Float arrays of the same shape, multiples of ``1 / population``.

    Examples
    --------
    A sample of 2 from 5 with no unit having the property: the probability of seeing
    none when ``M`` of the 5 have it is C(5 - M, 2) / C(5, 2), i.e. 1, 0.6, 0.3, 0.1,
    0 for M = 0..4, so at 95 % (alpha / 2 = 0.025) the largest M kept is 3.

    >>> import numpy as np
    >>> low, high = hypergeometric_interval(np.array([0]), np.array([2]), np.array([5]), 0.05)
    >>> float(low[0]), float(high[0])
    (0.0, 0.6)
    """
    from scipy import stats  # imported when used: a report that needs no exact interval skips it

    shape = np.shape(x)
    triples = np.stack(
        [np.ravel(x).astype(np.int64), np.ravel(n).astype(np.int64),
         np.ravel(population).astype(np.int64)],
        axis=1,
    )
    uniq, inverse = _unique_rows(triples)
    ux, un, uN = uniq[:, 0], uniq[:, 1], uniq[:, 2]
    half = alpha / 2.0
    threshold = half * (1.0 - _TIE_RTOL)
    m_min = ux  # at least x units of the population have the property
    m_max = uN - (un - ux)  # at least n - x do not

    def upper_tail_ok(m: np.ndarray, sel: np.ndarray) -> np.ndarray:
        # P(X >= x | M = m); scipy's hypergeom(M=total, n=successes, N=draws)
        return stats.hypergeom.sf(ux[sel] - 1, uN[sel], m, un[sel]) >= threshold

    m_low = _bisect_smallest(upper_tail_ok, m_min, m_max)
    # M_high = (smallest M in [x, m_max + 1] where the lower tail fails) - 1; the
    # sentinel m_max + 1 stands for "never fails" and is not evaluated.
    sentinel = m_max + 1

    def lower_tail_fails_or_sentinel(m: np.ndarray, sel: np.ndarray) -> np.ndarray:
        # P(X <= x | M = m) < alpha/2 is monotone in m: false up to M_high, true after
        out = np.ones(m.shape, dtype=bool)
        inside = m < sentinel[sel]
        if inside.any():
            idx = np.flatnonzero(sel)[inside]
            out[inside] = stats.hypergeom.cdf(ux[idx], uN[idx], m[inside], un[idx]) < threshold
        return out

    m_high = _bisect_smallest(lower_tail_fails_or_sentinel, m_min, sentinel) - 1
    low = (m_low / uN)[inverse].reshape(shape)
    high = (m_high / uN)[inverse].reshape(shape)
    return low, high
