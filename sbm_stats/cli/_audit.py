"""``sbm-stats audit``: recompute every claim of the publication and print the verdicts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "audit",
        help="recompute every checkable figure of the publication and print a verdict per claim",
        description=(
            "Recompute each claim of a data package's claims registry (its datapackage.json's audit.claims; "
            "the bundled package's is data/audit/claims_2014.yaml) from that package and print one row per "
            "claim: consistent, inconsistent or not verifiable, and the package used. Exit 0 unless --strict "
            "and a claim is inconsistent (exit 1)."
        ),
    )
    p.add_argument("--out", metavar="FILE.csv", help="also write the full audit table as CSV (UTF-8)")
    p.add_argument("--strict", action="store_true", help="exit 1 if any claim is inconsistent")
    p.add_argument("--data-dir", help="the data package's folder (default: the bundled data/)")
    p.add_argument("--claims", metavar="FILE.yaml",
                   help="another claims registry (default: the package's own, its descriptor's audit.claims)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ..audit._claims import audit
    from ..data._package import DataPackage

    out = Path(args.out) if args.out else None
    if out is not None:
        _check_out(out)  # before the work, so that a bad --out costs nothing and prints no table
    package = DataPackage.open(args.data_dir)
    result = audit(package, claims_path=args.claims)
    print(f"data package: {package}; claims: {result.claims_file}")
    print(result)
    if out is not None:
        _write_csv(result.to_frame(), out)
    if args.strict and result.inconsistent:
        print(f"sbm-stats: {len(result.inconsistent)} claim(s) inconsistent", file=sys.stderr)
        return 1
    return 0


def _check_out(out: Path) -> None:
    """``--out`` must name a file whose folder is (or can become) a folder."""
    from ..errors import DataValidationError, Problem

    if out.is_dir():
        raise DataValidationError([Problem(str(out), None, None, None, "a file path for --out (found a folder)")])
    blocker = next((p for p in out.parents if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise DataValidationError([Problem(str(out), None, None, None,
                                           f"a file path for --out in a folder ({blocker} is a file)")])


def _write_csv(frame, out: Path) -> None:
    """Write the table to ``out`` whole or not at all."""
    from .._csv import frame_to_csv
    from .._io import write_files

    write_files(out.parent, {out.name: frame_to_csv(frame)})
    print(f"wrote {out}", file=sys.stderr)
