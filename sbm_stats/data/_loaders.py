"""Load and validate the project's data package (``data/``).

Every table is described in ``data/datapackage.json`` (a Frictionless Tabular Data
Package): its columns, types, units, allowed values, primary key, foreign keys and
sources. The loaders here read that descriptor, validate the file against it and
return a typed DataFrame; every problem in a file is reported at once.

Where the data lives, in order of precedence: the ``data_dir`` argument, the
environment variable ``SBM_STATS_DATA``, the copy bundled in an installed wheel, the
``data/`` folder of a source checkout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ._paths import default_data_dir
from ._tables import check_foreign_key, check_table_schema, read_json_file, read_table, source_lines
from ..errors import DataValidationError, Problem

__all__ = [
    "default_data_dir",
    "load_datapackage",
    "load_table",
    "load_sources",
    "load_municipalities",
    "load_published_figures",
    "load_sample_2014",
    "load_housing_solutions",
    "load_vulnerability_factors",
    "load_verbal_quantities",
    "load_wave_measures",
    "check_data",
    "DataCheckReport",
    "TABLES",
]

#: The tables of the data package, in the order they are checked.
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


def _resolve(data_dir: str | Path | None) -> Path:
    path = Path(data_dir) if data_dir is not None else default_data_dir()
    if not (path / "datapackage.json").exists():
        raise DataValidationError(
            [Problem(str(path), None, None, None, "a data folder with a datapackage.json descriptor")],
            summary="data folder not found",
        )
    return path


def load_datapackage(data_dir: str | Path | None = None) -> dict[str, Any]:
    """The parsed ``datapackage.json`` descriptor, checked for the shape the loaders rely on.

    Raises
    ------
    DataValidationError
        Naming ``datapackage.json`` and, for a JSON syntax error, the line and column;
        for a descriptor of the wrong shape (``resources`` not a list, a resource without
        ``name``, ``path`` or ``schema``, an inline schema that is not a Table Schema, a
        foreign key to a table the package does not have), every such problem at once.
    """
    path = _resolve(data_dir) / "datapackage.json"
    package = read_json_file(path, str(path))
    problems = _descriptor_problems(package, str(path))
    if problems:
        raise DataValidationError(problems, summary=f"{path}: not a usable data package descriptor")
    return package


def _descriptor_problems(package: Any, name: str) -> list[Problem]:
    if not isinstance(package, dict):
        return [Problem(name, None, None, type(package).__name__, "a JSON object with a 'resources' list")]
    resources = package.get("resources")
    if not isinstance(resources, list) or not resources:
        return [Problem(name, None, "resources", _short(resources), "a non-empty list of resource objects")]
    problems: list[Problem] = []
    names: list[str] = []
    for i, res in enumerate(resources):
        where = f"resources[{i}]"
        if not isinstance(res, dict):
            problems.append(Problem(name, None, None, _short(res), f"{where} to be an object with name, path and schema"))
            continue
        rname = res.get("name")
        if not isinstance(rname, str) or not rname:
            problems.append(Problem(name, None, None, _short(rname), f"{where}.name to be a non-empty text"))
        elif rname in names:
            problems.append(Problem(name, None, None, rname, f"{where}.name to be unique among the resources"))
        else:
            names.append(rname)
        if not isinstance(res.get("path"), str) or not res.get("path"):
            problems.append(Problem(name, None, None, _short(res.get("path")),
                                    f"{where}.path to be the path of the table's file, relative to the data folder"))
        schema = res.get("schema")
        if isinstance(schema, dict):
            problems += check_table_schema(schema, f"{name} {where}.schema")
        elif not isinstance(schema, str) or not schema:
            problems.append(Problem(name, None, None, _short(schema),
                                    f"{where}.schema to be a Table Schema object or the path of one"))
    for i, res in enumerate(resources):
        schema = res.get("schema") if isinstance(res, dict) else None
        for fk in (schema.get("foreignKeys") or []) if isinstance(schema, dict) else []:
            target = fk.get("reference", {}).get("resource") if isinstance(fk, dict) else None
            if isinstance(target, str) and target not in names:
                problems.append(Problem(name, None, None, target,
                                        f"resources[{i}].schema.foreignKeys to name a resource of the package: "
                                        + ", ".join(names)))
    return problems


def _short(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 80 else text[:77] + "..."


def _resource(package: dict, name: str) -> dict:
    for res in package["resources"]:
        if res["name"] == name:
            return res
    known = ", ".join(r["name"] for r in package["resources"])
    raise ValueError(f"table ({name!r}) must be one of: {known}")


def load_table(
    name: str,
    *,
    data_dir: str | Path | None = None,
    path: str | Path | None = None,
) -> pd.DataFrame:
    """Load one table of the data package, validated against its schema.

    Parameters
    ----------
    name : str
        A table name from :data:`TABLES`.
    data_dir : str or Path, optional
        The data folder (see the module docstring for the default).
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
    return _load_table(name, _resolve(data_dir), path, ())


def _load_table(name: str, folder: Path, path: str | Path | None, chain: tuple[str, ...]) -> pd.DataFrame:
    package = load_datapackage(folder)
    descriptor = folder / "datapackage.json"
    res = _resource(package, name)
    schema = res["schema"]
    schema_name = f"{descriptor} ({name}.schema)"
    if isinstance(schema, str):  # a Table Schema kept in its own file
        schema_name = str(folder / schema)
        schema = read_json_file(folder / schema, schema_name)
    file = Path(path) if path is not None else folder / res["path"]
    if path is not None:
        display = str(file)
    elif folder.resolve() == default_data_dir().resolve():
        display = f"data/{res['path']}"  # the package's own data, named as in the repository
    else:
        display = str(folder / res["path"])
    frame = read_table(file, schema, display_name=display, row_checks=_ROW_CHECKS.get(name, ()),
                       schema_name=schema_name)
    problems = []
    for fk in schema.get("foreignKeys", []):
        ref = fk["reference"]
        if ref["resource"] in (*chain, name):
            raise DataValidationError([Problem(schema_name, None, "foreignKeys", ref["resource"],
                                               "foreign keys that do not lead back to a table on the way: "
                                               + " -> ".join((*chain, name, ref["resource"])))])
        target = _load_table(ref["resource"], folder, None, (*chain, name))
        if ref["fields"] not in target.columns:
            raise DataValidationError([Problem(schema_name, None, "foreignKeys", ref["fields"],
                                               f"a field of {ref['resource']}: {', '.join(target.columns)}")])
        problems += check_foreign_key(
            frame, fk["fields"], target[ref["fields"]],
            file=display, what=f"a {ref['fields']} that exists in {ref['resource']}",
        )
    problems += [p for check in _CROSS_CHECKS.get(name, ()) for p in check(frame, display, folder)]
    if problems:
        raise DataValidationError(problems, summary=f"{display}: {len(problems)} problem(s)")
    frame.attrs["source_file"] = display
    frame.attrs["synthetic"] = bool(res.get("synthetic", False))
    return frame


def load_sources(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Every source that a row of the data package cites (``sources.csv``)."""
    return load_table("sources", data_dir=data_dir)


def load_municipalities(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Sweden's 290 municipalities with code, county and population 2012-2014.

    Examples
    --------
    >>> m = load_municipalities()
    >>> len(m), int(m["population_2013"].sum())
    (290, 9644864)
    """
    return load_table("municipalities", data_dir=data_dir)


def load_published_figures(data_dir: str | Path | None = None) -> pd.DataFrame:
    """One row per quantitative statement of the publication, plus external figures.

    Examples
    --------
    >>> f = load_published_figures().set_index("figure_id")
    >>> int(f.loc["res.forced_moves", "count"]), int(f.loc["res.forced_moves", "base"])
    (16, 29)
    """
    return load_table("published_figures", data_dir=data_dir)


def load_sample_2014(data_dir: str | Path | None = None) -> pd.DataFrame:
    """The 30 municipalities asked in 2014 and whether each was interviewed."""
    return load_table("sample_2014", data_dir=data_dir)


def load_housing_solutions(data_dir: str | Path | None = None) -> pd.DataFrame:
    """The housing solutions named in the interviews, by category."""
    return load_table("housing_solutions", data_dir=data_dir)


def load_vulnerability_factors(data_dir: str | Path | None = None) -> pd.DataFrame:
    """The publication's Tabell 1: levels and vulnerability factors."""
    return load_table("vulnerability_factors", data_dir=data_dir)


def load_wave_measures(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Which figure stands for each measure in the waves 2008, 2011 and 2014, or why none does."""
    return load_table("wave_measures", data_dir=data_dir)


def load_verbal_quantities(data_dir: str | Path | None = None) -> pd.DataFrame:
    """The Swedish verbal quantities ('drygt hälften', 'nio av tio') and their numeric ranges."""
    return load_table("verbal_quantities", data_dir=data_dir)


@dataclass(frozen=True)
class DataCheckReport:
    """What :func:`check_data` found: rows per table, sources cited, and problems."""

    data_dir: str
    rows: dict[str, int | None]
    sources_cited: int
    problems: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_frame(self) -> pd.DataFrame:
        """One row per table: name and number of rows (missing where the table did not load)."""
        return pd.DataFrame({"table": list(self.rows), "rows": pd.array(list(self.rows.values()), dtype="Int64")})

    def __str__(self) -> str:
        lines = [f"data package: {self.data_dir}"]
        lines += [f"  {name:<24}{n:>5} rows" if n is not None else f"  {name:<24}  not loaded (see the problems below)"
                  for name, n in self.rows.items()]
        lines.append(f"  sources cited: {self.sources_cited}")
        if self.problems:
            lines.append(f"{len(self.problems)} problem(s):")
            lines += [f"  - {p}" for p in self.problems]
        else:
            lines.append("all tables valid")
        return "\n".join(lines)


def check_data(data_dir: str | Path | None = None) -> DataCheckReport:
    """Validate every table of the data package and collect all problems.

    Returns a report rather than raising, so that a caller (``sbm-stats data
    check``) can show every table's state; ``report.ok`` is False when any table has
    a problem.

    Raises
    ------
    DataValidationError
        When there is no package to check: the folder has no ``datapackage.json``, or
        the descriptor is not valid JSON or not of the shape of a data package.
    """
    folder = _resolve(data_dir)
    package = load_datapackage(folder)  # a broken descriptor stops here, once, rather than once per table
    listed = {res["name"] for res in package["resources"]}
    rows: dict[str, int] = {}
    problems: list[Problem] = []
    cited: set[str] = set()
    for name in TABLES:
        if name not in listed:
            problems.append(Problem(str(folder / "datapackage.json"), None, "resources", name,
                                    "a resource for each table of the package: " + ", ".join(TABLES)))
            rows[name] = None
            continue
        try:
            frame = load_table(name, data_dir=folder)
        except DataValidationError as exc:
            problems += exc.problems
            rows[name] = None
            continue
        rows[name] = len(frame)
        if "source_id" in frame and name != "sources":
            cited |= set(frame["source_id"].dropna())
    # a table whose foreign key fails repeats the referenced table's problems: list each once
    return DataCheckReport(str(folder), rows, len(cited), tuple(dict.fromkeys(problems)))


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


def _sample_names(frame: pd.DataFrame, file: str, folder: Path) -> list[Problem]:
    names = load_table("municipalities", data_dir=folder).set_index("municipality_code")["municipality_name"]
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
_CROSS_CHECKS = {
    "sample_2014": (_sample_names,),
}
