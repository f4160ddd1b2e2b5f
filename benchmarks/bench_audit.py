"""Benchmark: the whole audit, end to end (issue 3). Not a test; run it by hand or with `make bench`.

Times `sbm-stats audit` as a user runs it (a fresh process: imports, loading and validating
data/, recomputing every claim, printing) and `sbm_stats.audit()` in a warm process, each as
the median of several runs.

    python benchmarks/bench_audit.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    exe = Path(sys.executable).with_name("sbm-stats")
    cold = []
    for _ in range(args.runs):
        t = time.perf_counter()
        subprocess.run([str(exe), "audit"], check=True, stdout=subprocess.DEVNULL)
        cold.append(time.perf_counter() - t)
    from sbm_stats.audit import audit

    result = audit()  # warm the imports
    warm = []
    for _ in range(args.runs):
        t = time.perf_counter()
        result = audit()
        warm.append(time.perf_counter() - t)
    print(f"claims audited: {len(result.claims)} ({result.counts()})")
    print(f"{'what':<40}{'median [s]':>12}{'min [s]':>10}")
    print(f"{'sbm-stats audit (new process)':<40}{statistics.median(cold):>12.3f}{min(cold):>10.3f}")
    print(f"{'sbm_stats.audit() (warm process)':<40}{statistics.median(warm):>12.3f}{min(warm):>10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
