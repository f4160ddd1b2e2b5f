"""Benchmark the report engine against ``jupyter nbconvert --execute --to html``.

Run from the repository root with the project's environment::

    .venv/bin/python benchmarks/bench_render.py [--repeat 3] [--doc report.qmd]

What is timed, each as a separate process started from the shell, as a user
would run it (so Python start-up and imports count for both tools):

1. ``sbm-stats render DOC --to html --no-cache`` (cold: the kernel runs);
2. ``jupyter nbconvert --execute --to html`` on the same notebook (the one the
   builtin engine builds from DOC, saved as .ipynb in a temporary folder);
3. ``sbm-stats render DOC --to html,pdf,docx --no-cache`` (cold, all formats);
4. ``sbm-stats render DOC --to html,pdf,docx`` again (warm: cache hit, no kernel);
5. the same through ``sbm_stats.render.render()`` in this process, once its
   modules are imported: the engine's own share of (4);
6. with ``--breakdown``: where the time of a cold HTML render goes, for both
   tools, each in a fresh process (interleaved): imports, the kernel (start,
   the cells, stop; for nbconvert also the span from the first cell's start to
   the last cell's reply, from nbclient's ``record_timing``), and the rest
   (reading the document, writing HTML). When both spend most of their time in
   the same kernel running the same notebook, the ratio of (1) to (2) cannot
   fall far below kernel / (kernel + nbconvert's rest).

The document is ``report.qmd`` at the repository root when it exists and
renders; otherwise the largest fixture in ``tests/fixtures/qmd/``. Each
measurement is repeated and the median reported. Targets: (1) at most 0.65 of
(2) (issue 10); (4) under 2 s. Executions are cached in a temporary folder of
the benchmark, not in the user's cache.

This is not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _sbm(*args: str) -> list[str]:
    return [sys.executable, "-m", "sbm_stats", "render", *args]


def _nbconvert() -> list[str]:
    jupyter = Path(sys.executable).with_name("jupyter")
    if jupyter.exists():
        return [str(jupyter), "nbconvert"]
    return [sys.executable, "-m", "nbconvert"]


def _time(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return seconds, proc.stderr


def _choose_document(requested: str | None, work: Path) -> Path:
    candidates = []
    if requested:
        candidates.append(Path(requested).resolve())
    else:
        report = ROOT / "report.qmd"
        if report.exists():
            candidates.append(report)
        fixtures = sorted((ROOT / "tests" / "fixtures" / "qmd").glob("*.qmd"), key=lambda p: p.stat().st_size,
                          reverse=True)
        candidates += fixtures
    for doc in candidates:
        probe = subprocess.run(_sbm(str(doc), "--to", "html", "--out", str(work / "probe"), "--engine",
                                    "builtin", "--quiet", "--no-cache"), cwd=ROOT, capture_output=True, text=True)
        if probe.returncode == 0:
            return doc
        print(f"skipping {doc.name}: it does not render ({probe.stderr.strip().splitlines()[-1:]})")
    raise SystemExit("no document renders; nothing to benchmark")


def _notebook_for(doc: Path, target: Path) -> int:
    import nbformat

    from sbm_stats.render._notebook import build_notebook
    from sbm_stats.render._qmd import parse_qmd
    from sbm_stats.render._settings import read_settings

    parsed = parse_qmd(doc)
    nb = build_notebook(parsed, read_settings(parsed), {})
    nbformat.write(nb, target)
    return len(parsed.chunks)


_OURS = """
import json, sys, time
t0 = time.perf_counter()
from sbm_stats.render import render
t1 = time.perf_counter()
result = render(sys.argv[1], to="html", out_dir=sys.argv[2], engine="builtin", quiet=True, cache=False)
t2 = time.perf_counter()
timings = dict(result.timings)
print(json.dumps({"import": t1 - t0, "kernel": timings["execute"], "rest": t2 - t1 - timings["execute"]}))
"""

_NBCONVERT = """
import datetime, json, sys, time
t0 = time.perf_counter()
import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import ExecutePreprocessor
t1 = time.perf_counter()
nb = nbformat.read(sys.argv[1], as_version=4)
ExecutePreprocessor(kernel_name="python3", record_timing=True).preprocess(nb, {"metadata": {"path": sys.argv[3]}})
t2 = time.perf_counter()
body, _ = HTMLExporter().from_notebook_node(nb)
with open(sys.argv[2], "w", encoding="utf-8") as handle:
    handle.write(body)
t3 = time.perf_counter()
code = [c for c in nb.cells if c.cell_type == "code"]
stamp = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
first, last = code[0].metadata.execution, code[-1].metadata.execution
cells = stamp(last["shell.execute_reply"]) - stamp(first["iopub.execute_input"])
print(json.dumps({"import": t1 - t0, "kernel": t2 - t1, "cells": cells, "rest": t3 - t2}))
"""


def _breakdown(doc: Path, notebook: Path, work: Path, env: dict[str, str], repeat: int) -> None:
    """Print where a cold HTML render's time goes, ours against nbconvert's (median of ``repeat``)."""
    import json

    runs: dict[str, list[dict[str, float]]] = {"sbm-stats render": [], "nbconvert": []}
    for _ in range(repeat):
        for name, cmd in (
            ("sbm-stats render", [sys.executable, "-c", _OURS, str(doc), str(work / "bd_ours")]),
            ("nbconvert", [sys.executable, "-c", _NBCONVERT, str(notebook), str(work / "bd.html"),
                           str(notebook.parent)]),
        ):
            start = time.perf_counter()
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                raise RuntimeError(f"{name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
            runs[name].append({"wall": wall, **json.loads(proc.stdout.strip().splitlines()[-1])})
    print()
    print("cold HTML, where the time goes (median seconds; kernel = start, cells, stop):")
    keys = ("wall", "import", "kernel", "cells", "rest")
    print(f"{'':<18}" + "".join(f"{k:>9}" for k in keys) + f"{'kernel/wall':>13}")
    for name, items in runs.items():
        med = {k: statistics.median(item[k] for item in items) for k in keys if k in items[0]}
        print(f"{name:<18}" + "".join(f"{med[k]:>8.2f}s" if k in med else f"{'-':>9}" for k in keys)
              + f"{med['kernel'] / med['wall']:>13.2f}")
    ours, theirs = (statistics.median(item["kernel"] for item in runs[name]) for name in runs)
    rest = statistics.median(item["wall"] - item["kernel"] for item in runs["nbconvert"])
    print(f"with our non-kernel time at zero the ratio would be {ours / (theirs + rest):.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument("--doc", help="the .qmd to render (default: report.qmd, else the largest fixture)")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the parts of a cold HTML render, ours and nbconvert's (6)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-render-"))
    env = {**os.environ, "SBM_STATS_CACHE_DIR": str(work / "cache")}
    os.environ["SBM_STATS_CACHE_DIR"] = env["SBM_STATS_CACHE_DIR"]
    try:
        doc = _choose_document(args.doc, work)
        # nbconvert runs a notebook in the notebook's folder (a temporary one here);
        # the builtin engine runs it in the document's folder. The documents
        # benchmarked read no file by a relative path, so this does not matter.
        nb_dir = work / "nb"
        nb_dir.mkdir()
        notebook = nb_dir / f"{doc.stem}.ipynb"
        n_chunks = _notebook_for(doc, notebook)
        nbconvert = _nbconvert() + ["--execute", "--to", "html", "--output-dir", str(work / "nbconvert"),
                                    "--ExecutePreprocessor.kernel_name=python3", str(notebook)]
        cases = [
            ("sbm-stats render --to html (cold)",
             _sbm(str(doc), "--to", "html", "--out", str(work / "cold_html"), "--engine", "builtin",
                  "--quiet", "--no-cache")),
            ("jupyter nbconvert --execute --to html", nbconvert),
            ("sbm-stats render --to html,pdf,docx (cold)",
             _sbm(str(doc), "--to", "html,pdf,docx", "--out", str(work / "all"), "--engine", "builtin",
                  "--quiet", "--no-cache")),
            ("sbm-stats render --to html,pdf,docx (warm, cached)",
             _sbm(str(doc), "--to", "html,pdf,docx", "--out", str(work / "all"), "--engine", "builtin")),
        ]
        results: dict[str, list[float]] = {name: [] for name, _ in cases}
        # Fill the cache once (the --no-cache runs store nothing), so that every timed warm run is one.
        _time(cases[-1][1], ROOT, env)
        misses = 0
        # Interleave the cases so that a change in machine load hits all of them alike.
        for _ in range(args.repeat):
            for name, cmd in cases:
                seconds, err = _time(cmd, ROOT, env)
                if "warm" in name and "cache hit" not in err:
                    # The cache was filled before the rounds, so an input changed between
                    # runs (e.g. someone edited sbm_stats): this run executed, no warm measurement.
                    misses += 1
                    continue
                results[name].append(seconds)

        # The engine alone: render() called in this process, modules already
        # imported (what the command line adds is Python start-up and the imports
        # of every sbm-stats subcommand).
        from sbm_stats.render import render

        api_kwargs = dict(to=("html", "pdf", "docx"), out_dir=work / "all", engine="builtin", quiet=True)
        render(doc, **api_kwargs)  # imports
        api_times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            if render(doc, **api_kwargs).cache_hit:
                api_times.append(time.perf_counter() - start)
        if api_times:
            results["render() API, html,pdf,docx (warm, in process)"] = api_times

        print()
        print(f"document: {doc.relative_to(ROOT) if doc.is_relative_to(ROOT) else doc} "
              f"({n_chunks} chunks, {len(doc.read_text(encoding='utf-8').splitlines())} lines); "
              f"{args.repeat} runs each; {sys.executable}")
        width = max(len(name) for name in results)
        print(f"{'measurement':<{width}}  {'median':>8}  {'min':>7}  {'max':>7}")
        for name, times in results.items():
            if times:
                print(f"{name:<{width}}  {statistics.median(times):>7.2f}s  {min(times):>6.2f}s  "
                      f"{max(times):>6.2f}s")
        if misses:
            print(f"({misses} warm run{'s' if misses > 1 else ''} left out: the cache missed because an input "
                  "changed during the benchmark)")
        ours = statistics.median(results["sbm-stats render --to html (cold)"])
        theirs = statistics.median(results["jupyter nbconvert --execute --to html"])
        warm_runs = results["sbm-stats render --to html,pdf,docx (warm, cached)"]
        warm = statistics.median(warm_runs) if warm_runs else float("nan")
        print()
        ratio = ours / theirs
        print(f"cold HTML / nbconvert: {ratio:.2f}  (target <= 0.65: {'met' if ratio <= 0.65 else 'NOT met'})")
        print(f"warm, all three formats: {warm:.2f}s  (target < 2 s: {'met' if warm < 2 else 'NOT met'})")
        print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
              f"on {os.cpu_count()} cores")
        if args.breakdown:
            _breakdown(doc, notebook, work, env, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
