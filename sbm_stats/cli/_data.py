"""``sbm-stats data ...``: check the data package."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="work with the data package in data/")
    data_sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)
    check = data_sub.add_parser(
        "check",
        help="validate every table of the data package and print a summary",
        description=(
            "Validate every table against data/datapackage.json and print every problem with its file, "
            "line and column; exit 1 if any table has a problem, 2 if there is no readable data package "
            "(no folder, or a datapackage.json that is not valid JSON or not a data package descriptor)."
        ),
    )
    check.add_argument("--data-dir", help="the data package's folder (default: the bundled data/)")
    check.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    from ..data._loaders import check_data

    report = check_data(args.data_dir)
    print(report)
    return 0 if report.ok else 1
