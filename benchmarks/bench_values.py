"""Benchmark the cost of provenance: a render with traced values against one without.

Run from the repository root with the project's environment::

    .venv/bin/python benchmarks/bench_values.py [--repeat 5] [--to html,pdf,docx]

Two documents are made from ``tests/fixtures/qmd/varden.qmd`` in a temporary folder:

- **traced**: the fixture as it is (every number a traced value: spans, the filter's
  buttons and links, the appendix, the values file);
- **plain**: the same text and the same code (the registry reads the same rows), but
  every number shown as its plain Swedish text: inline values through ``plain(v)``,
  the table through ``plain_table`` and the figure's values through ``plain_figure``.

Each round renders both, in alternating order, through ``sbm_stats.render.render()``
in this process: once cold (``cache=False``: the kernel runs) and once warm (the
execution comes from the cache, so the time is the markdown, the filters and the
writers, where provenance costs something). The report gives the median time of
each and the median of the per-round ratio traced / plain. Target: at most 1.10
(issue 13).

This is not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "qmd" / "varden.qmd"

_PLAIN_HELPERS = '''
from sbm_stats.report import Markdown
def plain(v):
    return Markdown(v.formatted)
def plain_table(frame, index=False):
    return traced_table(frame.map(lambda x: getattr(x, "formatted", x)), index=index)
def plain_figure(values):
    return Markdown("Värden i figuren: " + "; ".join(f"{k} {v.formatted}" for k, v in values.items()) + ".")
'''


def plain_variant(text: str) -> str:
    """The fixture with every number shown as plain text (same code, same reads)."""
    text = re.sub(r"`\{python\} (\w+)`", r"`{python} plain(\1)`", text)
    text = text.replace("traced_table(", "plain_table(").replace("figure_values(", "plain_figure(")
    return text.replace("reg = ValueRegistry()\n", "reg = ValueRegistry()\n" + _PLAIN_HELPERS, 1)


def _once(doc: Path, out: Path, to: str, cache: bool, store: Path) -> float:
    from sbm_stats.render import render

    start = time.perf_counter()
    render(doc, to=to, out_dir=out, engine="builtin", quiet=True, cache=cache, cache_dir=store)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--to", default="html,pdf,docx")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-values-") as tmp:
        folder = Path(tmp)
        traced = folder / "traced.qmd"
        plain = folder / "plain.qmd"
        traced.write_text(FIXTURE.read_text(encoding="utf-8"), encoding="utf-8")
        plain.write_text(plain_variant(FIXTURE.read_text(encoding="utf-8")), encoding="utf-8")
        store = folder / "cache"
        for doc in (traced, plain):  # warm up imports and fill the cache
            _once(doc, folder / "out", args.to, True, store)
        times: dict[tuple[str, str], list[float]] = {}
        for k in range(args.repeat):
            order = (traced, plain) if k % 2 == 0 else (plain, traced)
            for mode, cache in (("cold", False), ("warm", True)):
                for doc in order:
                    times.setdefault((doc.stem, mode), []).append(_once(doc, folder / "out", args.to, cache,
                                                                        store))
        print(f"formats: {args.to}; {args.repeat} interleaved rounds; median seconds")
        for mode in ("cold", "warm"):
            t, p = times[("traced", mode)], times[("plain", mode)]
            ratios = [a / b for a, b in zip(t, p)]
            print(f"  {mode}: traced {statistics.median(t):.2f} s, plain {statistics.median(p):.2f} s, "
                  f"ratio traced/plain {statistics.median(ratios):.3f} (per round: "
                  + ", ".join(f"{r:.2f}" for r in ratios) + ")")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
