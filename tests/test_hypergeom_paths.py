"""The exact finite-population interval computed with integers gives scipy's bounds.

``hypergeometric_interval`` finds its bounds from hypergeometric tail probabilities,
computed either in exact integers (small problems) or by ``scipy.stats.hypergeom``
(large batches). scipy is the independent reference here: for every (x, n, N) tried,
at every alpha, both paths must give the same bounds to the last bit.
"""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from math import comb

import numpy as np
import pytest

from sbm_stats.estimation import _hypergeom
from sbm_stats.estimation._hypergeom import _tail_count, _tail_integers, hypergeometric_interval

ALPHAS = (0.01, 0.05, 0.1, 0.2)


def _triples(population: int, sizes) -> list[tuple[int, int, int]]:
    return [(x, n, population) for n in sizes for x in range(n + 1)]


def _grid() -> np.ndarray:
    rows = []
    for population in range(1, 41):            # every (x, n, N) with N <= 40: 12 340 triples
        rows += _triples(population, range(population + 1))
    rows += _triples(100, range(101))           # N = 100, every n and x: 5 151 triples
    # N = 290 (the municipalities): every x for every tenth n and for n = 29 (the report's
    # 16 of 29), and the edges x = 0 and x = n for every n. (Run in full once, all 42 486
    # triples at the four alphas: identical too; it takes about 40 s.)
    rows += _triples(290, sorted(set(range(0, 291, 10)) | {1, 29, 289}))
    rows += [(x, n, 290) for n in range(291) for x in {0, n}]
    return np.unique(np.array(rows, dtype=np.int64), axis=0)


GRID = _grid()


def test_the_grid_holds_the_cases_that_matter():
    rows = {tuple(r) for r in GRID.tolist()}
    assert (16, 29, 290) in rows
    assert all((0, n, 290) in rows and (n, n, 290) in rows for n in range(291))
    assert all((x, n, N) in rows for N in range(1, 41) for n in range(N + 1) for x in range(n + 1))


@pytest.mark.parametrize("alpha", ALPHAS)
def test_integer_tails_give_scipys_bounds(alpha):
    x, n, population = GRID.T
    low_int, high_int = hypergeometric_interval(x, n, population, alpha, tails="integers")
    low_sp, high_sp = hypergeometric_interval(x, n, population, alpha, tails="scipy")
    differ = np.flatnonzero((low_int != low_sp) | (high_int != high_sp))
    assert differ.size == 0, [(tuple(GRID[i]), low_int[i], low_sp[i], high_int[i], high_sp[i])
                              for i in differ[:20]]


def test_a_tail_worked_by_hand():
    # N = 5 units, M = 2 with the property, n = 2 drawn, X the number drawn with it:
    # P(X >= 1) = [C(2,1) C(3,1) + C(2,2) C(3,0)] / C(5,2) = (2*3 + 1*1) / 10 = 7/10,
    # P(X <= 0) = C(2,0) C(3,2) / C(5,2) = 3/10, and P(X >= 3) = 0 (only 2 are drawn).
    args = (np.array([5]), np.array([2]), np.array([2]))
    assert _tail_integers(upper=True)(np.array([1]), *args)[0] == 0.7
    assert _tail_integers(upper=False)(np.array([0]), *args)[0] == 0.3
    assert _tail_integers(upper=True)(np.array([3]), *args)[0] == 0.0
    assert _tail_integers(upper=True)(np.array([0]), *args)[0] == 1.0


def test_the_term_recurrence_is_the_sum_of_binomial_products():
    # _tail_count steps from term to term by a ratio; the definition sums comb products
    for N in range(0, 16):
        for M in range(N + 1):
            for n in range(N + 1):
                lo, hi = max(0, n - (N - M)), min(n, M)
                for a in range(lo, hi + 1):
                    for b in range(a, hi + 1):
                        assert _tail_count(a, b, N, M, n) == sum(comb(M, k) * comb(N - M, n - k)
                                                                 for k in range(a, b + 1))


def test_auto_uses_integers_for_a_small_problem_and_scipy_for_a_batch(monkeypatch):
    calls = []
    original = _hypergeom._tails_scipy
    monkeypatch.setattr(_hypergeom, "_tails_scipy", lambda: calls.append(1) or original())
    low, high = hypergeometric_interval(np.array([16]), np.array([29]), np.array([290]), 0.05)
    assert calls == []
    # the report's interval, 16 of 29 municipalities asked out of 290, from the definition (the
    # module's docstring: smallest M with P(X >= 16 | M) >= 0.025, largest with P(X <= 16 | M) >=
    # 0.025), by a plain scan over every M with exact fractions: M from 107 to 210
    def tail(M, ks):
        return Fraction(sum(comb(M, k) * comb(290 - M, 29 - k) for k in ks), comb(290, 29))

    kept_low = [M for M in range(291) if tail(M, range(16, 30)) >= Fraction(1, 40)]
    kept_high = [M for M in range(291) if tail(M, range(0, 17)) >= Fraction(1, 40)]
    assert (min(kept_low), max(kept_high)) == (107, 210)
    assert (low[0], high[0]) == (107 / 290, 210 / 290)
    low_sp, high_sp = hypergeometric_interval(np.array([16]), np.array([29]), np.array([290]), 0.05, tails="scipy")
    assert (low_sp[0], high_sp[0]) == (low[0], high[0])
    calls.clear()
    many = _hypergeom.INTEGER_MAX_TRIPLES + 1
    hypergeometric_interval(np.arange(many), np.full(many, many), np.full(many, 290), 0.05)
    assert calls == [1]
    hypergeometric_interval(np.array([1]), np.array([2]), np.array([_hypergeom.INTEGER_MAX_POPULATION + 1]), 0.05)
    assert calls == [1, 1]


def test_the_report_interval_does_not_import_scipy_stats():
    code = ("import sys, numpy as np\n"
            "from sbm_stats.estimation._hypergeom import hypergeometric_interval\n"
            "hypergeometric_interval(np.array([16]), np.array([29]), np.array([290]), 0.05)\n"
            "print('scipy.stats' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_unknown_tails_is_refused():
    with pytest.raises(ValueError, match=r"tails \('exact'\) must be one of 'auto', 'integers' or 'scipy'"):
        hypergeometric_interval(np.array([1]), np.array([2]), np.array([5]), 0.05, tails="exact")
