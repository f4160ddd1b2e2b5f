"""``sbm-stats sample ...`` and ``sbm-stats demo-frame``: re-run the sample design.

``sbm-stats sample --seed N --out DIR`` draws the sample the design gives on the frame
and writes ``sample.csv``, ``protocol.md`` (Swedish) and ``published_check.csv``;
with ``--probabilities --replicates R`` it writes the inclusion probabilities of every
municipality instead (exact and Monte Carlo), with a progress bar on stderr; with
``--sensitivity`` it runs every combination of the design's open assumptions and
writes, per municipality, the range of its exact inclusion probability and in how
many variants it is selected with the seed (``sensitivity.csv``), one row per variant
(``sensitivity_variants.csv``) and one per municipality and variant
(``sensitivity_by_variant.csv``).

Without ``--frame`` the synthetic demonstration frame is used, and stderr says so.
Everything is computed before anything is written; the files are written to a
temporary folder and moved into ``DIR`` at the end, so a run that fails leaves
``DIR`` as it was.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .._csv import frame_to_csv
from .._io import write_files
from ..errors import DataValidationError, Problem

# sbm_stats.sampling (numpy, pandas, pandera) is imported inside the commands, so that
# `sbm-stats --help` and the other commands do not pay for it.

#: The seed of the committed demonstration frame (sbm_stats.sampling._synthetic.DEMO_SEED;
#: a test checks that the two agree).
DEMO_SEED = 2014


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sample",
        help="re-run the sample design: draw a sample, or compute inclusion probabilities",
        description=(
            "Draw the sample a design file gives on a frame (sample.csv, protocol.md, published_check.csv), "
            "or with --probabilities the inclusion probabilities of every municipality "
            "(inclusion_probabilities.csv, inclusion_probabilities_by_stage.csv), or with --sensitivity every "
            "combination of the design's open assumptions (sensitivity.csv, sensitivity_variants.csv, "
            "sensitivity_by_variant.csv)."
        ),
    )
    p.add_argument("--data-dir", help="the data package's folder (default: the bundled data/); the design, the "
                                      "frame schema, the municipalities and the published sample come from it")
    p.add_argument("--design", help="the design file (default: the package's design, e.g. data/design/2014.yaml)")
    p.add_argument(
        "--frame",
        help="the frame, CSV or .xlsx (default: the package's SYNTHETIC demonstration frame, e.g. "
             "data/synthetic/demo_frame_2013.csv)",
    )
    p.add_argument("--sheet", help="the worksheet of an Excel frame (default: the first)")
    p.add_argument("--seed", type=_non_negative_int, required=True,
                   help="seed of the permanent random numbers (and of the Monte Carlo)")
    p.add_argument("--out", required=True, help="the folder to write to (created if needed)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--probabilities", action="store_true",
                      help="write inclusion probabilities of every municipality instead of a sample")
    p.add_argument("--replicates", type=_positive_int, default=100_000,
                   help="Monte Carlo replicates for --probabilities (default 100000)")
    what.add_argument("--sensitivity", action="store_true",
                      help="run every combination of the design's open assumptions: per municipality the range "
                           "of its exact inclusion probability and in how many variants the seed selects it")
    p.set_defaults(func=_sample)

    d = sub.add_parser(
        "demo-frame",
        help="regenerate the synthetic demonstration frame (NOT real data)",
        description="Write demo_frame_2013.csv and demo_frame_2013.meta.json, made by make_demo_frame(seed).",
    )
    d.add_argument("--seed", type=_non_negative_int, default=DEMO_SEED,
                   help=f"the generator's seed (default {DEMO_SEED}, the committed file)")
    d.add_argument("--out", required=True, help="the folder to write to, e.g. data/synthetic")
    d.set_defaults(func=_demo_frame)


def _sample(args: argparse.Namespace) -> int:
    import numpy as np

    from ..data._package import DataPackage
    from ..sampling import (
        SYNTHETIC_BANNER,
        demo_frame,
        demo_frame_path,
        design_sensitivity,
        inclusion_probabilities,
        load_design,
        load_frame,
        published_sample_check,
        select_sample,
    )

    out = _check_out(args.out)
    package = DataPackage.open(args.data_dir)
    design = load_design(args.design, package=package)
    print(f"data package: {package}; design: {package.display(design.path)}")
    if args.frame:
        frame = load_frame(args.frame, schema=design.frame_schema, sheet=args.sheet, package=package)
    else:
        frame = demo_frame(package)
        print(
            f"sbm-stats: no --frame given: using the synthetic demonstration frame "
            f"{package.display(demo_frame_path(package))} ({SYNTHETIC_BANNER})",
            file=sys.stderr,
        )
    if frame.attrs.get("synthetic") and args.frame:
        print(f"sbm-stats: the frame {args.frame} is marked synthetic ({SYNTHETIC_BANNER})", file=sys.stderr)
    if args.sensitivity:
        result = design_sensitivity(frame, design, seed=args.seed)
        files = {
            "sensitivity.csv": frame_to_csv(result.to_frame()),
            "sensitivity_variants.csv": frame_to_csv(result.variants_frame()),
            "sensitivity_by_variant.csv": frame_to_csv(result.long_frame()),
        }
        _write_outputs(out, files)
        for variant in result.infeasible:
            print(f"sbm-stats: variant {variant.name} cannot be drawn on this frame and is left out: "
                  f"{variant.message}", file=sys.stderr)
        table = result.to_frame()
        moved = table[table.probability_range > 1e-12]
        print(
            f"{len(result.variants)} variants ({', '.join(result.assumptions)}), seed {result.seed}: "
            f"{len(moved)} of {len(table)} municipalities change inclusion probability (largest range "
            f"{table.probability_range.max():.4f}); {int((table.variants_selected > 0).sum())} are selected in "
            f"at least one variant, {int((table.variants_selected == len(result.variants)).sum())} in all"
            + (" - SYNTHETIC frame" if result.synthetic else "")
        )
    elif args.probabilities:
        bar = _ProgressBar(sys.stderr)
        try:
            probs = inclusion_probabilities(frame, design, replicates=args.replicates, seed=args.seed,
                                            progress=bar)
        finally:
            bar.close()  # end the bar's line, also when interrupted, so that a message starts on its own
        files = {
            "inclusion_probabilities.csv": frame_to_csv(probs.to_frame()),
            "inclusion_probabilities_by_stage.csv": frame_to_csv(probs.stage_frame()),
        }
        _write_outputs(out, files)
        print(
            f"inclusion probabilities of {len(probs.codes)} municipalities: expected sample size "
            f"{probs.exact[~np.isnan(probs.exact)].sum():.4f} (exact, {int((~np.isnan(probs.exact)).sum())} exact "
            f"values); Monte Carlo mean size {probs.mean_size:.4f} over {probs.replicates} replicates; "
            f"largest |z| {probs.max_abs_z():.2f}"
            + (" - SYNTHETIC frame" if probs.synthetic else "")
        )
    else:
        sample = select_sample(frame, design, seed=args.seed)
        check = published_sample_check(frame, design)
        files = {
            "sample.csv": frame_to_csv(sample.to_frame()),
            "protocol.md": sample.protocol(published_check=check),
            "published_check.csv": frame_to_csv(check.to_frame()),
        }
        _write_outputs(out, files)
        print(f"sample of {len(sample.units)} municipalities (seed {sample.seed})"
              + (" - SYNTHETIC frame" if sample.synthetic else "")
              + (" - SYNTETISKA DATA: the data package is synthetic" if package.synthetic else ""))
    for name in files:
        print(f"  wrote {out / name}")
    return 0


def _demo_frame(args: argparse.Namespace) -> int:
    from ..sampling import SYNTHETIC_BANNER, make_demo_frame
    from ..sampling._synthetic import demo_frame_csv

    out = _check_out(args.out)
    frame = make_demo_frame(args.seed)
    files = {
        "demo_frame_2013.csv": demo_frame_csv(frame),
        "demo_frame_2013.meta.json": json.dumps(frame.attrs["metadata"], indent=2, ensure_ascii=False) + "\n",
    }
    _write_outputs(out, files)
    print(f"synthetic demonstration frame (seed {args.seed}; {SYNTHETIC_BANNER}):")
    for name in files:
        print(f"  wrote {out / name}")
    return 0


# ------------------------------------------------------------------------------ helpers


class _ProgressBar:
    """A plain text progress bar on a stream: ``[#####.....]  50%  50000/100000``."""

    def __init__(self, stream, width: int = 30):
        self.stream = stream
        self.width = width
        self.started = False

    def __call__(self, done: int, total: int) -> None:
        filled = self.width * done // total if total else self.width
        self.started = True  # before the write: an interrupt during it must still end the line
        self.stream.write(
            f"\rMonte Carlo [{'#' * filled}{'.' * (self.width - filled)}] {100 * done // max(total, 1):3d}% "
            f"{done}/{total} replicates"
        )
        self.stream.flush()

    def close(self) -> None:
        if self.started:
            self.stream.write("\n")
            self.stream.flush()


def _check_out(value: str) -> Path:
    out = Path(value)
    if out.exists() and not out.is_dir():
        raise DataValidationError([Problem(str(out), None, None, None, "a folder to write to (found a file)")],
                                  summary="--out")
    return out


def _write_outputs(out: Path, files: dict[str, str]) -> None:
    write_files(out, files)


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} must be 0 or more")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be 1 or more")
    return value
