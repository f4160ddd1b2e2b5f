"""Load and validate the tables of a data package (a wave's ``data/``).

Every table is described in the package's ``datapackage.json`` (a Frictionless Tabular
Data Package): its columns, types, units, allowed values, primary key, foreign keys and
sources. The loaders here read that descriptor, validate the file against it and
return a typed DataFrame; every problem in a file is reported at once.

Each loader takes the :class:`~sbm_stats.data.DataPackage` to read (or a folder, which
becomes one; ``data_dir=`` is the older spelling of the same argument). ``None`` is the
bundled package, opened by :meth:`DataPackage.open`, the one place a default folder is
consulted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataValidationError, Problem
from ._package import CORE_TABLES, DataPackage, as_package
from ._paths import default_data_dir
from ._tables import check_foreign_key, read_json_file, read_table, source_lines

__all__ = [
    "default_data_dir",
    "load_datapackage",
    "load_table",
    "load_sources",
    "load_municipalities",
    "load_published_figures",
    "load_sample_2014",
    "load_published_sample",
    "load_housing_solutions",
    "load_vulnerability_factors",
    "load_verbal_quantities",
    "load_wave_measures",
    "check_data",
    "DataCheckReport",
    "TABLES",
]

#: The tables of the bundled 2014 package, in the order they are checked (another wave's
#: package has its own published sample and demo frame: see ``DataPackage.table_names``).
TABLES = (
    "sources",
    "municipalities",
    "published_figures",
    "sample_2014",
    "housing_solutions",
    "vulnerability_factors",
    "verbal_quantities",
    "wave_measures",
    "demo_frame_2013",
)

#: Sweden has had 290 municipalities since 2003; the 2013/2014 frame is that set.
N_MUNICIPALITIES = 290

PackageLike = DataPackage | str | os.PathLike | None


def _resolve(data_dir: PackageLike) -> Path:
    """The folder of a package (kept for callers that still work with folders)."""
    return DataPackage.open(data_dir).path


def load_datapackage(package: PackageLike = None, *, data_dir: PackageLike = None) -> dict[str, Any]:
    """The parsed ``datapackage.json`` descriptor, checked for the shape the loaders rely on.

    Raises
    ------
    DataValidationError
        Naming ``datapackage.json`` and, for a JSON syntax error, the line and column;
        for a descriptor of the wrong shape (``resources`` not a list, a resource without
        ``name``, ``path`` or ``schema``, an inline schema that is not a Table Schema, a
        foreign key to a table the package does not have, wave entries that are missing,
        name no file or mix waves), every such problem at once.
    """
    return dict(as_package(package, data_dir).descriptor)


def load_table(
    name: str,
    *,
    package: PackageLike = None,
    data_dir: PackageLike = None,
    path: str | Path | None = None,
) -> pd.DataFrame:
    """Load one table of the data package, validated against its schema.

    Parameters
    ----------
    name : str
        A table of the package (``DataPackage.table_names``).
    package : DataPackage, str or Path, optional
        The data package (or its folder); default the bundled one. ``data_dir`` is the
        older name of the same argument.
    path : str or Path, optional
        Read this file instead of the package's own (to validate a user's version of
        a table); foreign keys are still checked against the package's other tables.

    Returns
    -------
    pandas.DataFrame
        Typed columns; ``attrs['source_file']`` names the file read.

    Raises
    ------
    DataValidationError
        With every problem found, including foreign keys that point nowhere, a table
        the descriptor does not list, and foreign keys that lead back to the table.
    """
    pkg = as_package(package, data_dir)
    if path is None:
        return pkg.table(name)
    return read_package_table(pkg, name, path)


def read_package_table(package: DataPackage, name: str, path: str | Path | None = None) -> pd.DataFrame:
    """Read and check the table ``name`` of ``package`` (from ``path`` when given); not cached.

    Tables a foreign key refers to come from the package's cache.
    """
    folder = package.path
    descriptor = folder / "datapackage.json"
    res = package.resource(name)
    schema = res["schema"]
    schema_name = f"{descriptor} ({name}.schema)"
    if isinstance(schema, str):  # a Table Schema kept in its own file
        schema_name = str(folder / schema)
        schema = read_json_file(folder / schema, schema_name)
    file = Path(path) if path is not None else folder / res["path"]
    display = str(file) if path is not None else package.display(file)
    if package.bundled and path is None:
        display = f"data/{res['path']}"  # the package's own data, named as in the repository
    frame = read_table(file, schema, display_name=display, row_checks=_ROW_CHECKS.get(name, ()),
                       schema_name=schema_name)
    problems = []
    for fk in schema.get("foreignKeys", []):
        ref = fk["reference"]
        if ref["resource"] == name:
            raise DataValidationError([Problem(schema_name, None, "foreignKeys", name,
                                               "foreign keys that do not lead back to a table on the way: "
                                               f"{name} -> {name}")])
        target = _cached_target(package, ref["resource"], name)
        if ref["fields"] not in target.columns:
            raise DataValidationError([Problem(schema_name, None, "foreignKeys", ref["fields"],
                                               f"a field of {ref['resource']}: {', '.join(target.columns)}")])
        problems += check_foreign_key(
            frame, fk["fields"], target[ref["fields"]],
            file=display, what=f"a {ref['fields']} that exists in {ref['resource']}",
        )
    if name == package.published_sample:
        problems += _sample_names(frame, display, package)
    if problems:
        raise DataValidationError(problems, summary=f"{display}: {len(problems)} problem(s)")
    frame.attrs["source_file"] = display
    frame.attrs["synthetic"] = bool(res.get("synthetic", False)) or package.synthetic
    frame.attrs["wave"] = package.wave
    return frame


def _cached_target(package: DataPackage, target: str, name: str) -> pd.DataFrame:
    """A referenced table read through the package's cache, after checking for a cycle back to ``name``."""
    _check_no_cycle(package, target, (name,))
    return package.table(target)


def _check_no_cycle(package: DataPackage, target: str, chain: tuple[str, ...]) -> None:
    res = package.resource(target)
    schema = res["schema"]
    if not isinstance(schema, dict):
        return
    for fk in schema.get("foreignKeys", []):
        nxt = fk["reference"]["resource"]
        if nxt in (*chain, target):
            schema_name = f"{package.path / 'datapackage.json'} ({target}.schema)"
            raise DataValidationError([Problem(schema_name, None, "foreignKeys", nxt,
                                               "foreign keys that do not lead back to a table on the way: "
                                               + " -> ".join((*chain, target, nxt)))])
        _check_no_cycle(package, nxt, (*chain, target))


def load_sources(package: PackageLike = None, *, data_dir: PackageLike = None) -> pd.DataFrame:
    """Every source that a row of the data package cites (``sources.csv``)."""
    return as_package(package, data_dir).table("sources")


def load_municipalities(package: PackageLike = None, *, data_dir: PackageLike = None) -> pd.DataFrame:
    """Sweden's 290 municipalities with code, county and population 2012-2014.

    Examples
    --------
    >>> m = load_municipalities()
    >>> len(m), int(m["population_2013"].sum())
    (290, 9644864)
    """
    return as_package(package, data_dir).table("municipalities")


def load_published_figures(package: PackageLike = None, *, data_dir: PackageLike = None) -> pd.DataFrame:
    """One row per quantitative statement of the publication, plus external figures.

    One row as a record: :meth:`DataPackage.figure`.

    Examples
    --------
    >>> f = load_published_figures().set_index("figure_id")
    >>> int(f.loc["res.forced_moves", "count"]), int(f.loc["res.forced_moves", "base"])
    (16, 29)
    """
    return as_package(package, data_dir).table("published_figures")


def load_published_sample(package: PackageLike = None, *, data_dir: PackageLike = None) -> pd.DataFrame:
    """The municipalities the wave's publication names as asked, and whether each was interviewed.

    The table is the resource the descriptor's ``published_sample`` names
    (``sample_2014`` in the bundled package).

    Raises
    ------
    DataValidationError
        The package names no published sample.
    """
    pkg = as_package(package, data_dir)
    if pkg.published_sample is None:
        raise DataValidationError([Problem(str(pkg.path / "datapackage.json"), None, "published_sample", None,
                                           "the name of the resource that lists the published sample")])
    return pkg.table(pkg.published_sample)


def load_sample_2014(package: PackageLike = None, *, data_dir: PackageLike = None) -> pd.DataFrame:
    """The municipalities asked in the package's wave (in 2014: 30) and whether each was interviewed.

    The same as :func:`load_published_sample` (kept under its first name).
    """
    return load_published_sample(package, data_dir=data_dir)


def load_housing_solutions(package: PackageLike = None, *, data_dir: PackageLike = None) -> pd.DataFrame:
    """The housing solutions named in the interviews, by category."""
    return as_package(package, data_dir).table("housing_solutions")


def load_vulnerability_factors(package: PackageLike = None, *, data_dir: PackageLike = None) -> pd.DataFrame:
    """The publication's Tabell 1: levels and vulnerability factors."""
    return as_package(package, data_dir).table("vulnerability_factors")


def load_wave_measures(package: PackageLike = None, *, data_dir: PackageLike = None) -> pd.DataFrame:
    """Which figure stands for each measure in each wave the package compares, or why none does."""
    return as_package(package, data_dir).table("wave_measures")


def load_verbal_quantities(package: PackageLike = None, *, data_dir: PackageLike = None) -> pd.DataFrame:
    """The Swedish verbal quantities ('drygt hälften', 'nio av tio') and their numeric ranges."""
    return as_package(package, data_dir).table("verbal_quantities")


@dataclass(frozen=True)
class DataCheckReport:
    """What :func:`check_data` found: rows per table, sources cited, and problems."""

    data_dir: str
    rows: dict[str, int | None]
    sources_cited: int
    problems: tuple[Problem, ...] = field(default=())
    wave: str | None = None
    synthetic: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_frame(self) -> pd.DataFrame:
        """One row per table: name and number of rows (missing where the table did not load)."""
        return pd.DataFrame({"table": list(self.rows), "rows": pd.array(list(self.rows.values()), dtype="Int64")})

    def __str__(self) -> str:
        head = f"data package: {self.data_dir}"
        if self.wave is not None:
            head += f" (wave {self.wave}" + (", SYNTETISKA DATA – inte verkliga uppgifter)" if self.synthetic else ")")
        lines = [head]
        lines += [f"  {name:<24}{n:>5} rows" if n is not None else f"  {name:<24}  not loaded (see the problems below)"
                  for name, n in self.rows.items()]
        lines.append(f"  sources cited: {self.sources_cited}")
        if self.problems:
            lines.append(f"{len(self.problems)} problem(s):")
            lines += [f"  - {p}" for p in self.problems]
        else:
            lines.append("all tables valid")
        return "\n".join(lines)


def check_data(package: PackageLike = None, *, data_dir: PackageLike = None) -> DataCheckReport:
    """Validate every table of the data package and collect all problems.

    Checked: every resource the descriptor lists, that the core tables
    (:data:`~sbm_stats.data._package.CORE_TABLES`) are among them, and that the wave's
    design and claims files do not declare another wave.

    Returns a report rather than raising, so that a caller (``sbm-stats data
    check``) can show every table's state; ``report.ok`` is False when any table has
    a problem.

    Raises
    ------
    DataValidationError
        When there is no package to check: the folder has no ``datapackage.json``, or
        the descriptor is not valid JSON, not of the shape of a data package, or its
        wave entries are missing, name no file or mix waves.
    """
    pkg = as_package(package, data_dir)  # a broken descriptor stops here, once, rather than once per table
    listed = pkg.table_names
    rows: dict[str, int | None] = {}
    problems: list[Problem] = []
    cited: set[str] = set()
    for name in CORE_TABLES:
        if name not in listed:
            problems.append(Problem(str(pkg.path / "datapackage.json"), None, "resources", name,
                                    "a resource for each table of the package: " + ", ".join(CORE_TABLES)))
            rows[name] = None
    for name in listed:
        try:
            frame = pkg.table(name)
        except DataValidationError as exc:
            problems += exc.problems
            rows[name] = None
            continue
        rows[name] = len(frame)
        if "source_id" in frame and name != "sources":
            cited |= set(frame["source_id"].dropna())
    problems += pkg.wave_file_problems()
    # a table whose foreign key fails repeats the referenced table's problems: list each once
    return DataCheckReport(str(pkg.path), rows, len(cited), tuple(dict.fromkeys(problems)),
                           wave=pkg.wave, synthetic=pkg.synthetic)


# ----------------------------------------------------------------- checks across columns


def _published_checks(frame: pd.DataFrame, file: str) -> list[Problem]:
    out = []
    for line, row in frame.iterrows():
        count, base, value, verbal = row["count"], row["base"], row["value"], row["verbal"]
        if pd.notna(count) and pd.notna(base) and count > base:
            out.append(Problem(file, line, "count", int(count), f"a count no larger than its base ({int(base)})"))
        if pd.notna(count) and pd.notna(value):
            out.append(Problem(file, line, "value", value, "either a count (with its base) or a value, not both"))
        if pd.isna(count) and pd.isna(value) and pd.isna(verbal):
            out.append(Problem(file, line, "count", None, "a count, a value or a verbal quantity"))
        if row["figure_id"].startswith("ext.") != (row["section"] == "Externa källor"):
            out.append(
                Problem(file, line, "section", row["section"],
                        "'Externa källor' for ext.* rows and a section of the publication otherwise")
            )
    return out


def _verbal_checks(frame: pd.DataFrame, file: str) -> list[Problem]:
    out = []
    for line, row in frame.iterrows():
        if row["kind"] == "share" and (pd.isna(row["low"]) or pd.isna(row["high"]) or row["high"] > 1):
            out.append(Problem(file, line, "high", row["high"], "both bounds, within [0, 1], for a share"))
        elif row["kind"] == "share" and row["low"] > row["high"]:
            out.append(Problem(file, line, "low", row["low"], f"a lower bound no larger than high ({row['high']})"))
        if row["kind"] == "count_min" and pd.isna(row["low"]):
            out.append(Problem(file, line, "low", None, "a lower bound for a count_min term"))
    return out


def _wave_checks(frame: pd.DataFrame, file: str) -> list[Problem]:
    out = []
    for line, row in frame.iterrows():
        if pd.isna(row["figure_id"]) == pd.isna(row["missing_reason"]):
            out.append(Problem(file, line, "missing_reason", row["missing_reason"],
                               "a reason exactly when figure_id is empty"))
    return out


def _municipality_count(frame: pd.DataFrame, file: str) -> list[Problem]:
    if len(frame) != N_MUNICIPALITIES:
        return [Problem(file, None, None, len(frame), f"{N_MUNICIPALITIES} municipalities (one row each)")]
    return []


def _sample_names(frame: pd.DataFrame, file: str, package: DataPackage) -> list[Problem]:
    names = package.table("municipalities").set_index("municipality_code")["municipality_name"]
    out = []
    for line, row in zip(source_lines(frame), frame.itertuples(index=False)):
        code = row.municipality_code
        if code in names.index and names[code] != row.municipality_name:
            out.append(Problem(file, line, "municipality_name", row.municipality_name,
                               f"the name of {code} in municipalities ({names[code]!r})"))
    return out


_ROW_CHECKS = {
    "published_figures": (_published_checks,),
    "municipalities": (_municipality_count,),
    "verbal_quantities": (_verbal_checks,),
    "wave_measures": (_wave_checks,),
}

