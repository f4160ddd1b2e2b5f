"""``sbm-stats values diff A B``: the numbers that changed between two renders."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    values = sub.add_parser("values", help="work with the values files renders write (<stem>.values.csv)")
    values_sub = values.add_subparsers(dest="values_command", metavar="SUBCOMMAND", required=True)
    diff = values_sub.add_parser(
        "diff",
        help="list the numbers that changed between two renders",
        description=(
            "Compare two values files (<stem>.values.csv, written beside every render of a document "
            "with traced values): every number that changed, was added or was removed, where it "
            "appears, and why (which inputs of its computation changed, down to the data rows). "
            "Exit 0 when the two are equal, 1 when they differ, 2 on a file that is not a values file."
        ),
    )
    diff.add_argument("old", help="the values file of the earlier render")
    diff.add_argument("new", help="the values file of the later render")
    diff.set_defaults(func=_diff)


def _diff(args: argparse.Namespace) -> int:
    from ..report.values import diff_values, read_values_file

    result = diff_values(read_values_file(args.old), read_values_file(args.new))
    print(result)
    return 0 if not result.changes else 1
