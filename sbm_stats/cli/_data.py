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
            "line and column, then read each design file and the claims registry as 'sample' and 'audit' "
            "do; exit 1 if any has a problem, 2 if there is no readable data package "
            "(no folder, or a datapackage.json that is not valid JSON or not a data package descriptor)."
        ),
    )
    check.add_argument("--data-dir", help="the data package's folder (default: the bundled data/)")
    check.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    from ..data._loaders import check_data

    report = check_data(args.data_dir)
    print(report)
    if not report.ok:
        return 1
    return 0 if _check_designs_and_claims(args.data_dir) else 1


def _check_designs_and_claims(data_dir: str | None) -> bool:
    """Read each design file and the claims registry of the (valid) package as ``sample`` and
    ``audit`` read them, and print each one's verdict: the tables can be valid while a design
    file has a key no stage knows, which only ``sample`` refused."""
    from ..audit._claims import load_claims
    from ..data import DataPackage
    from ..errors import SbmStatsError
    from ..sampling._design import load_design

    package = DataPackage.open(data_dir)
    ok = True
    checks = [(path, lambda p=path: load_design(p, package=package)) for path in package.design_paths.values()]
    checks.append((package.claims_path, lambda: load_claims(package.claims_path, package=package)))
    for path, read in checks:
        # by its name in the package (as datapackage.json lists it), wherever the package is
        shown = path.relative_to(package.path).as_posix() if path.is_relative_to(package.path) else str(path)
        try:
            read()
        except SbmStatsError as exc:
            ok = False  # the error names the file and what is wrong, one problem a line
            print(f"  {shown}: not valid")
            print("\n".join(f"    {line}" for line in str(exc).splitlines()))
        else:
            print(f"  {shown}: valid")
    return ok
