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

The tail probabilities come from one of two computations that give the same bounds:

* ``"integers"``: the tail's sum of ``C(M, k) C(N - M, n - k)`` over ``k`` in exact
  integers, divided once by ``C(N, n)`` (Python's ``int / int`` is correctly
  rounded), so each tail is the float nearest its exact value. It needs no scipy, but
  its cost grows with the size of the binomial coefficients.
* ``"scipy"``: ``scipy.stats.hypergeom`` (its ``sf`` and ``cdf``), fast for thousands
  of triples once loaded, but importing ``scipy.stats`` takes about a second.

By default (``"auto"``) the integers are used for a small problem, at most
:data:`INTEGER_MAX_TRIPLES` distinct triples each with ``N`` at most
:data:`INTEGER_MAX_POPULATION` (at worst about 0.3 s, and about a millisecond for a
report's single interval from 290 municipalities), and scipy otherwise (the notebooks'
thousands of intervals). ``tests/test_hypergeom_paths.py`` checks that both give
identical bounds for every triple with ``N <= 40`` and for ``N`` = 100 and 290.

References
----------
Buonaccorsi, J. P. (1987). A note on confidence intervals for proportions in finite
populations. *The American Statistician* 41(3), 215-218.

Wright, T. (1991). *Exact Confidence Bounds when Sampling from Small Finite
Universes*. Lecture Notes in Statistics 66. Springer.
"""

from __future__ import annotations

from collections.abc import Callable
from math import comb
from typing import Literal

import numpy as np

__all__ = ["hypergeometric_interval"]

# A tail probability within this relative distance of alpha/2 counts as equal to it:
# floating-point noise in scipy's tail sums must not move a bound by one unit.
_TIE_RTOL = 1e-12

#: ``tails="auto"`` uses exact integers for at most this many distinct (x, n, N) triples ...
INTEGER_MAX_TRIPLES = 100
#: ... each with a population of at most this many units (bigger ones make the binomial
#: coefficients, and the integer sums, slow: a worst triple takes about 3 ms at N = 1 000,
#: 0.1 s at N = 5 000), and ``scipy.stats`` otherwise.
INTEGER_MAX_POPULATION = 1_000

Tails = Literal["auto", "integers", "scipy"]
TAILS: tuple[str, ...] = ("auto", "integers", "scipy")

#: A tail function: (x, N, M, n) arrays -> probabilities, as ``scipy.stats.hypergeom``'s
#: arguments (population N, M with the property, n drawn).
TailFunction = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _tail_count(a: int, b: int, N: int, M: int, n: int) -> int:
    """``sum(C(M, k) * C(N - M, n - k) for k in a..b)`` in exact integers; ``a..b`` inside the support.

    Each term follows from the one before: ``t(k + 1) = t(k) (M - k)(n - k) / ((k + 1)(N - M - n + k + 1))``,
    a ratio of binomial coefficients; ``t(k + 1)`` is an integer, so the floor division is
    exact, and it costs one multiplication by small numbers instead of two ``comb`` calls.
    """
    rest = N - M
    term = comb(M, a) * comb(rest, n - a)
    total = term
    for k in range(a, b):
        term = term * (M - k) * (n - k) // ((k + 1) * (rest - n + k + 1))
        total += term
    return total


def _tail_integers(upper: bool) -> TailFunction:
    """P(X >= x) (``upper``) or P(X <= x), each the float nearest the exact fraction."""

    def tail(x: np.ndarray, N: np.ndarray, M: np.ndarray, n: np.ndarray) -> np.ndarray:
        out = np.empty(len(M), dtype=float)
        for j, (xj, Nj, Mj, nj) in enumerate(zip(x.tolist(), N.tolist(), M.tolist(), n.tolist())):
            lo, hi = max(0, nj - (Nj - Mj)), min(nj, Mj)  # the support of X
            a, b = (max(xj, lo), hi) if upper else (lo, min(xj, hi))
            # one division of two exact integers: correctly rounded
            out[j] = (_tail_count(a, b, Nj, Mj, nj) if a <= b else 0) / comb(Nj, nj)
        return out

    return tail


def _tails_scipy() -> tuple[TailFunction, TailFunction]:
    from scipy import stats  # imported when used: a report that needs no scipy interval skips it

    # scipy's hypergeom(M=total, n=successes, N=draws); sf(x - 1) = P(X > x - 1) = P(X >= x)
    return (lambda x, N, M, n: stats.hypergeom.sf(x - 1, N, M, n),
            lambda x, N, M, n: stats.hypergeom.cdf(x, N, M, n))


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
    x: np.ndarray, n: np.ndarray, population: np.ndarray, alpha: float, *, tails: Tails = "auto"
) -> tuple[np.ndarray, np.ndarray]:
    """Exact finite-population bounds ``(low, high)`` for ``x`` of ``n`` drawn from ``N``.

    Parameters
    ----------
    x, n, population : numpy.ndarray
        Integer-valued arrays of one shape: the count, the sample size and the
        population size, with ``0 <= x <= n <= population`` (checked by the caller).
    alpha : float
        One minus the confidence level; each tail gets ``alpha / 2``.
    tails : {"auto", "integers", "scipy"}, default "auto"
        How the tail probabilities are computed (see the module docs); the bounds are
        the same either way.

    Returns
    -------
    low, high : numpy.ndarray
        Float arrays of the same shape, multiples of ``1 / population``.

    Raises
    ------
    ValueError
        ``tails`` is not one of the three.

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
    if tails not in TAILS:
        raise ValueError(f"tails ({tails!r}) must be one of 'auto', 'integers' or 'scipy'")
    shape = np.shape(x)
    triples = np.stack(
        [np.ravel(x).astype(np.int64), np.ravel(n).astype(np.int64),
         np.ravel(population).astype(np.int64)],
        axis=1,
    )
    uniq, inverse = _unique_rows(triples)
    ux, un, uN = uniq[:, 0], uniq[:, 1], uniq[:, 2]
    if tails == "auto":
        small = len(uniq) <= INTEGER_MAX_TRIPLES and not (uN > INTEGER_MAX_POPULATION).any()
        tails = "integers" if small else "scipy"
    upper_tail, lower_tail = (
        (_tail_integers(upper=True), _tail_integers(upper=False)) if tails == "integers" else _tails_scipy()
    )
    half = alpha / 2.0
    threshold = half * (1.0 - _TIE_RTOL)
    m_min = ux  # at least x units of the population have the property
    m_max = uN - (un - ux)  # at least n - x do not

    def upper_tail_ok(m: np.ndarray, sel: np.ndarray) -> np.ndarray:
        # P(X >= x | M = m)
        return upper_tail(ux[sel], uN[sel], m, un[sel]) >= threshold

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
            out[inside] = lower_tail(ux[idx], uN[idx], m[inside], un[idx]) < threshold
        return out

    m_high = _bisect_smallest(lower_tail_fails_or_sentinel, m_min, sentinel) - 1
    low = (m_low / uN)[inverse].reshape(shape)
    high = (m_high / uN)[inverse].reshape(shape)
    return low, high
