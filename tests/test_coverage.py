"""Coverage of the interval methods, checked against a direct enumeration written here from
the closed forms (Wald: p ± z sqrt(p(1-p)/n); Wilson: Wilson 1927, the score interval)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom, norm

from sbm_stats.estimation.coverage import exact_coverage, simulated_coverage

Z = norm.ppf(0.975)


def _wald(k, n):
    p = k / n
    h = Z * math.sqrt(p * (1 - p) / n)
    return max(0.0, p - h), min(1.0, p + h)


def _wilson(k, n):
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return centre - half, centre + half


def _enumerate(interval, n, p):
    return sum(binom.pmf(k, n, p) for k in range(n + 1) if interval(k, n)[0] <= p <= interval(k, n)[1])


@pytest.mark.parametrize("p", [0.05, 0.1, 0.3, 0.5, 0.55, 0.9])
def test_exact_coverage_matches_direct_enumeration(p):
    cov = exact_coverage(29, methods=("wald", "wilson"), p=[p]).to_frame().set_index("method")["coverage"]
    assert cov["wald"] == pytest.approx(_enumerate(_wald, 29, p), abs=1e-12)
    assert cov["wilson"] == pytest.approx(_enumerate(_wilson, 29, p), abs=1e-12)


def test_known_weakness_of_wald_near_the_edge():
    """Brown, Cai & DasGupta (2001): Wald undercovers badly for p near 0 at small n; Wilson
    does not. At n = 29, p = 0.02 the Wald interval misses whenever k = 0 (it is [0, 0]),
    so its coverage is at most 1 - 0.98^29 = 0.443."""
    cov = exact_coverage(29, methods=("wald", "wilson"), p=[0.02]).to_frame().set_index("method")["coverage"]
    assert cov["wald"] <= 1 - 0.98 ** 29 + 1e-12
    assert cov["wilson"] > 0.9


def test_simulation_agrees_with_exact_within_monte_carlo_error():
    grid = [0.2, 0.5]
    exact = exact_coverage(29, p=grid).to_frame()
    sim = simulated_coverage(29, p=grid, replicates=4000, seed=7).to_frame()
    z = (sim.coverage - exact.coverage) / np.maximum(sim.mc_se, 1e-9)
    assert np.all(np.abs(z) < 4.5)


def test_finite_population_uses_hypergeometric_counts():
    """With N = 290 the counts are hypergeometric; simulation under the same model agrees."""
    grid = [100 / 290]
    exact = exact_coverage(29, methods=("wilson",), p=grid, population_size=290).to_frame()
    sim = simulated_coverage(29, methods=("wilson",), p=grid, replicates=4000, seed=3,
                             population_size=290).to_frame()
    assert abs(sim.coverage[0] - exact.coverage[0]) < 4.5 * sim.mc_se[0] + 1e-9


def test_same_seed_same_result():
    a = simulated_coverage(29, p=[0.3], replicates=500, seed=11).coverage
    b = simulated_coverage(29, p=[0.3], replicates=500, seed=11).coverage
    assert np.array_equal(a, b)


@pytest.mark.parametrize("kwargs, words", [
    ({"nobs": 0}, "nobs"), ({"nobs": 29, "population_size": 10}, "population_size"),
])
def test_bad_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        exact_coverage(**kwargs)
