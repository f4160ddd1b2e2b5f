"""The ``sbm-stats`` command line.

Each group of subcommands lives in its own private module with a
``register(subparsers)`` function that adds its parsers and sets ``func`` on them;
``func(args)`` returns the process exit code. Bad input raises an
:class:`~sbm_stats.errors.SbmStatsError`, which is printed without a traceback and
exits with code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__
from .errors import SbmStatsError

__all__ = ["main", "build_parser"]

#: Modules that add subcommands, in the order they appear in ``--help``.
COMMAND_MODULES = (
    "sbm_stats._cli_data",
    "sbm_stats._cli_sample",
    "sbm_stats._cli_render",
    "sbm_stats._cli_audit",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sbm-stats",
        description=(
            "Reproduce Socialstyrelsen's 2014 interview study of the secondary housing "
            "market: validate the data, re-run the sample design, audit the published "
            "figures and render the report."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(args.func(args) or 0)
    except SbmStatsError as exc:
        print(f"sbm-stats: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
