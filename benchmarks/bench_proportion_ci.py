"""Benchmark: proportion_ci against statsmodels' proportion_confint on 1 000 000 pairs.

Run with ``python benchmarks/bench_proportion_ci.py`` (``--n`` for another size,
``--repeat`` for more repetitions). Prints one table: for every method the best time of
``proportion_ci`` (validation, interval and result object), the best time of calling
``statsmodels.stats.proportion.proportion_confint`` directly on the same arrays where
statsmodels has the method, and their ratio. The target is a ratio below 1.5.

Not a test: timings depend on the machine. The pairs are drawn once from a seeded
generator; both sides get the same int64 arrays. The times are of the calls only; the
two sides run alternately so that a busy machine slows both alike.
A second block times the finite population correction (population_size=290), which
has no statsmodels counterpart.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from statsmodels.stats.proportion import proportion_confint

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sbm_stats.estimation.proportions import PROPORTION_METHODS, proportion_ci  # noqa: E402

STATSMODELS_NAME = {
    "wilson": "wilson",
    "clopper-pearson": "beta",
    "jeffreys": "jeffreys",
    "agresti-coull": "agresti_coull",
    "wald": "normal",
}
TARGET = 1.5


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def best_of_pair(fn_a, fn_b, repeat: int) -> tuple[float, float]:
    """Best times of two functions run alternately, so that both see the same load."""
    a, b = [], []
    for _ in range(repeat):
        for fn, out in ((fn_a, a), (fn_b, b)):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return min(a), min(b)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="number of (count, nobs) pairs")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions; the best is kept")
    parser.add_argument("--seed", type=int, default=2014)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    nobs = rng.integers(1, 1000, size=args.n)
    count = rng.integers(0, nobs + 1)  # 0 <= count <= nobs, edges included

    print(f"{args.n:,} (count, nobs) pairs, nobs in [1, 999]; best of {args.repeat} runs "
          f"({4 * args.repeat} for the closed-form methods), ours and statsmodels' alternating")
    print(f"numpy {np.__version__}")
    header = f"{'method':<16} {'proportion_ci [s]':>18} {'statsmodels [s]':>16} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    worst = 0.0
    for method in PROPORTION_METHODS:
        # the closed-form methods take milliseconds: more repetitions against noise
        repeat = args.repeat if method in ("clopper-pearson", "jeffreys") else 4 * args.repeat
        if method in STATSMODELS_NAME:
            sm_name = STATSMODELS_NAME[method]
            ours, theirs = best_of_pair(
                lambda: proportion_ci(count, nobs, method=method),
                lambda: proportion_confint(count, nobs, alpha=0.05, method=sm_name),
                repeat,
            )
            ratio = ours / theirs
            worst = max(worst, ratio)
            print(f"{method:<16} {ours:>18.4f} {theirs:>16.4f} {ratio:>7.2f}")
        else:
            ours = best_of(lambda: proportion_ci(count, nobs, method=method), repeat)
            print(f"{method:<16} {ours:>18.4f} {'(none)':>16} {'':>7}")
    print("-" * len(header))
    print(f"largest ratio {worst:.2f} (target < {TARGET})")

    print()
    print("with population_size=290 (nobs clipped to 290); no statsmodels counterpart")
    small = np.minimum(nobs, 290)
    small_count = np.minimum(count, small)
    for method in PROPORTION_METHODS:
        t = best_of(lambda: proportion_ci(small_count, small, method=method,
                                          population_size=290), max(1, args.repeat // 2))
        print(f"{method:<16} {t:>18.4f}")
    return 0 if worst < TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
