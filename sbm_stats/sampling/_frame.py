"""The sampling frame: one row per municipality with the variables a design selects on.

A user's real frame (Kronofogden's per-municipality statistics for 2013 and the BME
2014 answers, which are not public in machine-readable form) is read from CSV or
Excel by :func:`load_frame` and validated against the frame's Table Schema
(``data/schemas/frame.schema.json``) through :func:`sbm_stats.data._tables.read_table`:
every problem is reported at once, each with its line.

Besides the schema's own checks (types, non-negative counts, answers in their allowed
values, codes unique), the frame must hold each of Sweden's 290 municipality codes
exactly once: a missing code, a repeated code and a code that is not a municipality
are all reported.

Whether a frame is synthetic is read from a metadata file beside it
(``<name>.meta.json`` with ``"synthetic": true``); it travels with the frame in
``attrs["synthetic"]`` into every sample, table and protocol made from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data._package import DataPackage, as_package
from ..data._tables import check_table_schema, read_json_file, read_table, source_lines
from ..errors import DataValidationError, Problem

PackageLike = DataPackage | str | Path | None

__all__ = [
    "load_frame",
    "demo_frame",
    "demo_frame_path",
    "default_frame_schema_path",
    "load_frame_schema",
    "check_frame",
]


def default_frame_schema_path(package: PackageLike = None, *, data_dir: PackageLike = None) -> Path:
    """The frame schema of the data package (the wave's design entry's ``frame_schema``)."""
    return as_package(package, data_dir).frame_schema_path


def demo_frame_path(package: PackageLike = None, *, data_dir: PackageLike = None) -> Path:
    """The synthetic demonstration frame of the data package (its descriptor's ``demo_frame``).

    Raises
    ------
    DataValidationError
        The package has no demonstration frame.
    """
    pkg = as_package(package, data_dir)
    if pkg.demo_frame_path is None:
        raise DataValidationError([Problem(str(pkg.path / "datapackage.json"), None, "demo_frame", None,
                                           "the name of the resource of a demonstration frame (this package has "
                                           "none: give a frame)")])
    return pkg.demo_frame_path


def load_frame_schema(path: str | Path | None = None, *, package: PackageLike = None,
                      data_dir: PackageLike = None) -> dict[str, Any]:
    """The frame's Table Schema: ``path``, else that of the data package (default: the bundled one).

    Raises
    ------
    DataValidationError
        Naming the file: not a regular file, not UTF-8 JSON (with the line and column),
        not a Table Schema, or without a ``municipality_code`` field.
    """
    pkg = as_package(package, data_dir) if path is None or package is not None or data_dir is not None else None
    path = Path(path) if path is not None else pkg.frame_schema_path
    name = _display(path, pkg)
    schema = read_json_file(path, name)
    problems = check_table_schema(schema, name)
    if not problems and "municipality_code" not in [f["name"] for f in schema["fields"]]:
        problems.append(Problem(name, None, None, None, "a field named 'municipality_code' (the frame's key)"))
    if problems:
        raise DataValidationError(problems, summary=f"{name}: not a usable frame schema")
    return schema


def load_frame(
    path: str | Path,
    *,
    schema: dict[str, Any] | None = None,
    sheet: str | int | None = None,
    display_name: str | None = None,
    package: PackageLike = None,
    data_dir: PackageLike = None,
) -> pd.DataFrame:
    """Read and validate a frame file (CSV or .xlsx).

    Parameters
    ----------
    path : str or Path
        The frame: UTF-8 CSV with a header, or an Excel workbook.
    schema : dict, optional
        Its Table Schema; default ``data/schemas/frame.schema.json`` (a design's own
        schema is ``design.frame_schema``).
    sheet : str or int, optional
        The worksheet of an Excel file.
    display_name : str, optional
        How the file is named in messages and protocols.
    package : DataPackage, str or Path, optional
        The data package whose municipality list the codes are checked against (and whose
        frame schema is the default); default: the bundled one. ``data_dir`` is the older
        name of the same argument.

    Returns
    -------
    pandas.DataFrame
        One row per municipality in file order, typed columns; ``attrs`` holds
        ``source_file``, ``synthetic`` (from ``<name>.meta.json`` beside the file,
        False when there is none), ``metadata`` (that file's content, if any) and
        ``source_lines`` (the line or sheet row of each row).

    Raises
    ------
    DataValidationError
        With every problem found: file, header, cells, and the municipality codes
        (missing, repeated or unknown), each with its line. A path that is not a regular
        file (a folder, a FIFO, a device) is refused before it is opened.

    Examples
    --------
    >>> f = load_frame(demo_frame_path())
    >>> len(f), f.attrs["synthetic"]
    (290, True)
    """
    path = Path(path)
    pkg = as_package(package, data_dir)
    schema = schema if schema is not None else load_frame_schema(package=pkg)
    name = display_name or _display(path, pkg)
    municipalities = pkg.table("municipalities")
    frame = read_table(path, schema, display_name=name, sheet=sheet,
                       row_checks=(lambda f, file: _code_set_check(f, file, municipalities),))
    meta = _read_meta(path)
    frame.attrs["source_file"] = name
    frame.attrs["synthetic"] = bool(meta.get("synthetic", False))
    frame.attrs["metadata"] = meta
    frame.attrs["wave"] = pkg.wave
    return frame


def demo_frame(package: PackageLike = None, *, data_dir: PackageLike = None) -> pd.DataFrame:
    """The synthetic demonstration frame (NOT real data), validated like a user's frame.

    Parameters
    ----------
    package : DataPackage, str or Path, optional
        The data package to read it from: the resource its descriptor's ``demo_frame``
        names, checked against its frame schema and its municipalities (default: the
        bundled package), so that a run on another wave's data uses that wave's frame.
        ``data_dir`` is the older name of the same argument.

    Examples
    --------
    >>> f = demo_frame()
    >>> f.attrs["synthetic"], int(f["kfm_children_executed_evictions_2013"].sum())
    (True, 504)
    """
    pkg = as_package(package, data_dir)
    return load_frame(demo_frame_path(pkg), package=pkg)


def check_frame(  # noqa: C901 - every check of an in-memory frame in one pass, all problems at once
    frame: pd.DataFrame, schema: dict[str, Any], *, municipalities: pd.DataFrame | None = None,
    package: PackageLike = None,
) -> pd.DataFrame:
    """Check an in-memory frame against ``schema`` and return a clean copy.

    The frame may hold a subset of the municipalities (a test's hand frame), but every
    code must be a real, distinct municipality code, every schema column present, every
    count a non-negative whole number and every answer one of its allowed values.

    ``municipalities`` is the list of valid codes (default: that of ``package``, the
    bundled one when it is not given).

    Raises
    ------
    DataValidationError
        With every problem, lines counted as in a CSV file (first row = line 2).

    Examples
    --------
    >>> import pandas as pd
    >>> bad = demo_frame().head(2).copy()
    >>> bad.loc[1, "bme_children_under_18"] = "maybe"
    >>> try:
    ...     check_frame(bad, load_frame_schema())
    ... except DataValidationError as exc:
    ...     print(exc.problems[0].line, exc.problems[0].column, exc.problems[0].expected)
    3 bme_children_under_18 one of: yes, no, no_answer
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, not {type(frame).__name__}")
    name = frame.attrs.get("source_file", "<frame>")
    problems: list[Problem] = []
    fields = schema["fields"]
    for f in fields:
        if f["name"] not in frame.columns:
            problems.append(Problem(name, 1, f["name"], None, "this column in the frame (it is missing)"))
    if problems:
        raise DataValidationError(problems, summary=f"{name}: the frame lacks columns of its schema")
    out = frame[[f["name"] for f in fields]].reset_index(drop=True).copy()
    municipalities = as_package(package).table("municipalities") if municipalities is None else municipalities
    known = set(municipalities["municipality_code"])
    seen: dict[str, int] = {}
    lines = source_lines(frame)
    for line, code in zip(lines, out["municipality_code"]):
        if not isinstance(code, str):
            problems.append(Problem(name, line, "municipality_code", code, "a four-digit code as text, e.g. '0180'"))
        elif code not in known:
            problems.append(
                Problem(name, line, "municipality_code", code,
                        "one of the 290 municipality codes in data/municipalities.csv")
            )
        elif code in seen:
            problems.append(
                Problem(name, line, "municipality_code", code,
                        f"each municipality once (the same as line {seen[code]})")
            )
        else:
            seen[code] = line
    for f in fields:
        col = f["name"]
        if col == "municipality_code":
            continue
        c = f.get("constraints", {})
        for line, value in zip(lines, out[col]):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                problems.append(Problem(name, line, col, None, "a value (this column is required)"))
                continue
            if f.get("type") == "integer":
                ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
                if not ok and isinstance(value, (float, np.floating)) and float(value).is_integer():
                    ok = True
                if not ok:
                    problems.append(Problem(name, line, col, value, "a whole number"))
                    continue
                if "minimum" in c and value < c["minimum"]:
                    problems.append(Problem(name, line, col, value, f"a value of at least {c['minimum']}"))
            elif f.get("type", "string") == "string" and "enum" in c and value not in c["enum"]:
                problems.append(Problem(name, line, col, value, f"one of: {', '.join(c['enum'])}"))
    if problems:
        raise DataValidationError(problems, summary=f"{name}: {len(problems)} problem(s)")
    for f in fields:
        if f.get("type") == "integer":
            out[f["name"]] = out[f["name"]].astype(np.int64)
        elif f.get("type", "string") == "string":
            out[f["name"]] = out[f["name"]].astype(str)
    out.attrs.update(frame.attrs)
    out.attrs.setdefault("source_file", name)
    out.attrs.setdefault("synthetic", False)
    return out


def _code_set_check(frame: pd.DataFrame, file: str, municipalities: pd.DataFrame) -> list[Problem]:
    """Each of the 290 municipality codes exactly once (repeats are caught by the key)."""
    municipalities = municipalities.set_index("municipality_code")["municipality_name"]
    problems = []
    for line, code in frame["municipality_code"].items():
        if code not in municipalities.index:
            problems.append(
                Problem(file, int(line), "municipality_code", code,
                        "one of the 290 municipality codes in data/municipalities.csv")
            )
    present = set(frame["municipality_code"])
    for code, mname in municipalities.items():
        if code not in present:
            problems.append(
                Problem(file, None, "municipality_code", code,
                        f"a row for {code} {mname}: each of the 290 municipalities exactly once (this one is missing)")
            )
    return problems


def _read_meta(path: Path) -> dict[str, Any]:
    meta_path = path.with_name(path.stem + ".meta.json")
    if not meta_path.exists() and not meta_path.is_symlink():
        return {}
    meta = read_json_file(meta_path, str(meta_path))
    if not isinstance(meta, dict) or not isinstance(meta.get("synthetic", False), bool):
        raise DataValidationError(
            [Problem(str(meta_path), None, "synthetic", meta.get("synthetic") if isinstance(meta, dict) else meta,
                     "a JSON object whose 'synthetic' is true or false")]
        )
    return meta


def _display(path: Path, package: DataPackage | None = None) -> str:
    """A path as shown to a reader: ``data/...`` inside the bundled package, else as given."""
    return package.display(path) if package is not None else str(path)
