"""Benchmark the cost of provenance: a render with traced values against one without.

Run from the repository root with the project's environment::

    .venv/bin/python benchmarks/bench_values.py [--repeat 3] [--doc report.qmd] [--to html,pdf,docx]

Two documents are made from DOC (default ``report.qmd``) in a temporary folder:

- **traced**: the document as it is (every number a traced value: spans, the
  registry read from the kernel, the filter's buttons, notes and links, the
  Sifferförteckning, the values file). With ``values-appendix: separate`` (the
  default, and report.qmd's), the Sifferförteckning is the companion
  ``traced.values.html``, written by the same render, not a part of the PDF and
  Word files;
- **plain**: the same document with one hidden chunk first that makes every
  traced value show as its plain text (``TracedValue.markdown`` returns the
  escaped number): the same code runs and reads the same rows, but no span, no
  registry, no appendix and no values file is made.

- **traced-none**: the traced document with ``values-appendix: none``: the
  publication with its provenance (spans, notes, the values file) but no
  companion, so that the cost of the publication's provenance and the cost of
  writing the companion document are seen apart.

The traced documents get an equally hidden chunk of their own (the same import),
so all run the same number of cells. Each round renders both, in alternating
order, with ``sbm-stats render`` in a fresh process, as a user runs it: once cold
(``--no-cache``: the kernel runs, as in a first render) and once warm (the
execution comes from the cache, so the time is the markdown, the filters and the
writers). A fresh process matters: Typst keeps what it laid out for the rest of
a process, so a second render in one process compiles the PDF several times
faster than any user's render does. The report gives the median time of each and
the median of the per-round ratio traced / plain. Target: at most 1.10 (issue 13).

What the plain variant does not take away is the cost of building the traced
values in the kernel (the registry's reads and the audit it links claims to):
that runs in both, and is reported apart by the profile in the closing note.

This is not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PLAIN = '''```{python}
#| include: false
from sbm_stats._markup import escape_markdown as _sbm_escape
from sbm_stats.report import values as _sbm_values
_sbm_values.TracedValue.markdown = lambda self: _sbm_escape(self.formatted)
```

'''

_TRACED = '''```{python}
#| include: false
from sbm_stats._markup import escape_markdown as _sbm_escape
from sbm_stats.report import values as _sbm_values
```

'''


def without_companion(text: str) -> str:
    """The document with ``values-appendix: none`` in its front matter (in place of the one it has)."""
    end = text.index("\n---\n", 4)
    head, rest = text[:end], text[end:]
    lines = [line for line in head.split("\n") if not line.startswith("values-appendix:")]
    return "\n".join(lines) + "\nvalues-appendix: none" + rest


def variant(text: str, chunk: str) -> str:
    """The document with ``chunk`` as its first chunk, right after the front matter."""
    if not text.startswith("---\n"):
        return chunk + text
    end = text.index("\n---\n", 4) + len("\n---\n")
    return text[:end] + "\n" + chunk + text[end:]


def _once(doc: Path, out: Path, to: str, cache: bool, store: Path) -> float:
    """One render by the command line, in a fresh process; its wall time."""
    cmd = [sys.executable, "-m", "sbm_stats", "render", str(doc), "--to", to, "--out", str(out), "--quiet",
           "--engine", "builtin", *([] if cache else ["--no-cache"])]
    env = {**os.environ, "SBM_STATS_CACHE_DIR": str(store)}
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=doc.parent, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--doc", type=Path, default=ROOT / "report.qmd")
    parser.add_argument("--to", default="html,pdf,docx")
    args = parser.parse_args(argv)
    source = args.doc.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="bench-values-") as tmp:
        folder = Path(tmp)
        traced = folder / "traced.qmd"
        plain = folder / "plain.qmd"
        bare = folder / "traced-none.qmd"
        traced.write_text(variant(source, _TRACED), encoding="utf-8")
        bare.write_text(without_companion(variant(source, _TRACED)), encoding="utf-8")
        plain.write_text(variant(source, _PLAIN), encoding="utf-8")
        store = folder / "cache"
        docs = (traced, bare, plain)
        for doc in docs:  # warm up imports and fill the cache
            _once(doc, folder / "out", args.to, True, store)
        shown = (folder / "out" / "traced.values.csv").read_text(encoding="utf-8").count("\n") - 1
        assert not (folder / "out" / "plain.values.csv").exists(), "the plain variant still traces"
        times: dict[tuple[str, str], list[float]] = {}
        for k in range(args.repeat):
            order = docs if k % 2 == 0 else docs[::-1]
            for mode, cache in (("cold", False), ("warm", True)):
                for doc in order:
                    times.setdefault((doc.stem, mode), []).append(_once(doc, folder / "out", args.to, cache,
                                                                        store))
        print(f"{args.doc.name}: {shown} traced values; formats: {args.to}; {args.repeat} interleaved rounds; "
              "median seconds")
        for mode in ("cold", "warm"):
            p = times[("plain", mode)]
            for name in ("traced", "traced-none"):
                t = times[(name, mode)]
                ratios = [a / b for a, b in zip(t, p)]
                print(f"  {mode}: {name} {statistics.median(t):.2f} s, plain {statistics.median(p):.2f} s, "
                      f"ratio {name}/plain {statistics.median(ratios):.3f} (per round: "
                      + ", ".join(f"{r:.2f}" for r in ratios) + ")")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
