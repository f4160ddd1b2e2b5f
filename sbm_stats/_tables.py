"""Read a CSV or Excel table and validate it against a Frictionless Table Schema.

This is the one place where a file becomes a typed DataFrame. It collects every
problem in one pass and raises them together in a
:class:`~sbm_stats.errors.DataValidationError`; it never lets a pandas parser error
through.

What is checked, in order (a later step runs only on what an earlier one let through):

1. the file: it exists, is not empty, is UTF-8 (a BOM is allowed) and parses as CSV;
2. the header: every field of the schema present, no unknown or repeated column;
3. every cell: its type (``string``, ``integer``, ``number``, ``boolean``), with a
   pointed message for a Swedish decimal comma or a thousands separator;
4. column constraints (``required``, ``unique``, ``enum``, ``minimum``, ``maximum``,
   ``pattern``), through a pandera schema built from the Table Schema;
5. the primary key, and any checks across columns the caller passes in.

Foreign keys between tables are checked by :func:`check_foreign_key`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from .errors import DataValidationError, Problem

__all__ = ["read_table", "check_foreign_key", "RowCheck"]

#: A check across columns: gets the typed frame (index = file line numbers) and the
#: file's display name, returns the problems it finds.
RowCheck = Callable[[pd.DataFrame, str], list[Problem]]

_DTYPES = {
    "string": pd.StringDtype(),
    "integer": "Int64",
    "number": "Float64",
    "boolean": "boolean",
}
_INT_RE = re.compile(r"[+-]?\d+\Z")
_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")
_DECIMAL_COMMA_RE = re.compile(r"[+-]?\d+,\d+\Z")
_THOUSANDS_RE = re.compile(r"[+-]?\d{1,3}([ \u00a0\u202f]\d{3})+([.,]\d+)?\Z")
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def read_table(
    path: str | Path,
    schema: dict[str, Any],
    *,
    display_name: str | None = None,
    row_checks: Sequence[RowCheck] = (),
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read ``path`` and return a typed DataFrame that satisfies ``schema``.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` file (UTF-8, comma-separated, header on line 1) or an ``.xlsx``
        workbook (first sheet unless ``sheet`` is given).
    schema : dict
        A Frictionless Table Schema: ``fields`` (each with ``name``, ``type`` and
        optional ``constraints``), optional ``primaryKey`` and ``missingValues``.
    display_name : str, optional
        How the file is named in messages (defaults to the path as given).
    row_checks : sequence of callables
        Checks across columns, run on the typed frame once types and column
        constraints hold.
    sheet : str or int, optional
        The worksheet of an Excel file.

    Returns
    -------
    pandas.DataFrame
        One column per schema field, in schema order, with nullable pandas dtypes
        (``string``, ``Int64``, ``Float64``, ``boolean``) and a fresh RangeIndex.

    Raises
    ------
    DataValidationError
        With every problem found, each naming file, line, column, value and what
        was expected.
    """
    path = Path(path)
    name = display_name or str(path)
    header, rows, first_line = _read_rows(path, name, sheet)
    fields = schema["fields"]
    missing_values = set(schema.get("missingValues", [""]))

    problems = _check_header(header, fields, name)
    if problems:
        raise DataValidationError(problems, summary=f"{name}: the header does not match the table's schema")
    if not rows:
        raise DataValidationError(
            [Problem(name, None, None, None, "at least one data row below the header (the file has a header only)")],
            summary=f"{name}: no data",
        )

    position = {col: i for i, col in enumerate(header)}
    lines = list(range(first_line, first_line + len(rows)))
    columns: dict[str, pd.Series] = {}
    for field in fields:
        raw = [row[position[field["name"]]] if position[field["name"]] < len(row) else "" for row in rows]
        series, cell_problems = _parse_column(raw, field, lines, name, missing_values)
        columns[field["name"]] = series
        problems += cell_problems
    for line, row in zip(lines, rows):
        if len(row) != len(header):
            problems.append(
                Problem(name, line, None, None, f"{len(header)} comma-separated values as in the header, found {len(row)}")
            )
    frame = pd.DataFrame(columns, index=pd.Index(lines, name="line"))
    if problems:
        raise DataValidationError(problems, summary=f"{name}: {len(problems)} problem(s)")

    problems += _check_constraints(frame, fields, name, schema.get("primaryKey"))
    problems += _check_primary_key(frame, schema.get("primaryKey"), name)
    if not problems:
        for check in row_checks:
            problems += check(frame, name)
    if problems:
        raise DataValidationError(problems, summary=f"{name}: {len(problems)} problem(s)")
    return frame.reset_index(drop=True)


def check_foreign_key(
    frame: pd.DataFrame,
    column: str,
    allowed: Iterable[Any],
    *,
    file: str,
    what: str,
    first_line: int = 2,
) -> list[Problem]:
    """Problems for values of ``frame[column]`` (not missing) that are not in ``allowed``."""
    allowed = set(allowed)
    out = []
    for i, value in enumerate(frame[column]):
        if pd.notna(value) and value not in allowed:
            out.append(Problem(file, first_line + i, column, value, what))
    return out


# --------------------------------------------------------------------------- reading


def _read_rows(path: Path, name: str, sheet: str | int | None) -> tuple[list[str], list[list[str]], int]:
    if not path.exists():
        raise DataValidationError([Problem(name, None, None, None, "an existing file (no such file)")])
    if path.is_dir():
        raise DataValidationError([Problem(name, None, None, None, "a file, found a folder")])
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return _read_excel(path, name, sheet)
    if path.suffix.lower() not in {".csv", ".txt"}:
        raise DataValidationError(
            [Problem(name, None, None, path.suffix, "a .csv file or an .xlsx workbook")]
        )
    data = path.read_bytes()
    if not data.strip():
        raise DataValidationError(
            [Problem(name, None, None, None, "a header row and data rows (the file is empty)")],
            summary=f"{name}: empty file",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start : exc.start + 1]
        raise DataValidationError(
            [
                Problem(
                    name, line, None, f"byte 0x{byte.hex()}",
                    "UTF-8 text (the file looks like Latin-1 or Windows-1252: save it as UTF-8)",
                )
            ],
            summary=f"{name}: wrong encoding",
        ) from None
    sample = text.splitlines()[0] if text.splitlines() else ""
    if ";" in sample and "," not in sample:
        raise DataValidationError(
            [Problem(name, 1, None, sample[:80], "comma-separated values (found semicolons: a Swedish-locale export?)")],
            summary=f"{name}: wrong delimiter",
        )
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise DataValidationError([Problem(name, None, None, None, f"valid CSV ({exc})")]) from None
    records = [r for r in records if any(cell.strip() for cell in r)]
    if not records:
        raise DataValidationError([Problem(name, None, None, None, "a header row and data rows (the file is empty)")])
    header = [h.strip() for h in records[0]]
    return header, records[1:], 2


def _read_excel(path: Path, name: str, sheet: str | int | None) -> tuple[list[str], list[list[str]], int]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise DataValidationError([Problem(name, None, None, None, f"a readable .xlsx workbook ({exc})")]) from None
    try:
        ws = book.worksheets[0] if sheet is None else (book.worksheets[sheet] if isinstance(sheet, int) else book[sheet])
    except (KeyError, IndexError):
        raise DataValidationError(
            [Problem(name, None, None, sheet, f"a sheet of the workbook: {', '.join(book.sheetnames)}")]
        ) from None
    cells = [["" if v is None else _excel_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    book.close()
    cells = [r for r in cells if any(c.strip() for c in r)]
    if not cells:
        raise DataValidationError([Problem(name, None, None, None, "a header row and data rows (the sheet is empty)")])
    header = [h.strip() for h in cells[0]]
    while header and header[-1] == "":
        header.pop()
    return header, [r[: len(header)] for r in cells[1:]], 2


def _excel_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- checking


def _check_header(header: list[str], fields: list[dict], name: str) -> list[Problem]:
    expected = [f["name"] for f in fields]
    problems = []
    seen: set[str] = set()
    for col in header:
        if col in seen:
            problems.append(Problem(name, 1, col, None, "each column once (this one is repeated)"))
        seen.add(col)
        if col not in expected:
            problems.append(Problem(name, 1, col, None, f"only the columns {', '.join(expected)} (unknown column)"))
    for col in expected:
        if col not in seen:
            problems.append(Problem(name, 1, col, None, "this column in the header (it is missing)"))
    return problems


def _parse_column(
    raw: list[str], field: dict, lines: list[int], name: str, missing_values: set[str]
) -> tuple[pd.Series, list[Problem]]:
    kind = field.get("type", "string")
    col = field["name"]
    problems: list[Problem] = []
    values: list[Any] = []
    for line, cell in zip(lines, raw):
        text = cell.strip() if kind != "string" else cell
        if text.strip() in missing_values:
            values.append(None)
            continue
        try:
            values.append(_convert(text, kind))
        except ValueError as exc:
            problems.append(Problem(name, line, col, cell, str(exc)))
            values.append(None)
    return pd.Series(values, index=lines, dtype=_DTYPES[kind]), problems


def _convert(text: str, kind: str) -> Any:
    if kind == "string":
        return text
    if kind == "integer":
        if _INT_RE.match(text):
            return int(text)
        raise ValueError(_number_hint(text, "an integer (whole number)"))
    if kind == "number":
        if _NUMBER_RE.match(text):
            return float(text)
        raise ValueError(_number_hint(text, "a number"))
    if kind == "boolean":
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError("a boolean: true or false")
    raise ValueError(f"a known field type, not {kind!r}")


def _number_hint(text: str, what: str) -> str:
    if _DECIMAL_COMMA_RE.match(text):
        return f"{what} with '.' as decimal separator (found a Swedish decimal comma)"
    if _THOUSANDS_RE.match(text):
        return f"{what} without thousands separators"
    if _NUMBER_RE.match(text):
        return f"{what}, found a fractional number"
    return what


def _check_constraints(frame: pd.DataFrame, fields: list[dict], name: str, key: Any) -> list[Problem]:
    single_key = key if isinstance(key, str) else (key[0] if key and len(key) == 1 else None)
    columns = {}
    for field in fields:
        c = field.get("constraints", {})
        checks = []
        if "enum" in c:
            checks.append(pa.Check.isin(c["enum"], error=f"one of: {', '.join(map(str, c['enum']))}"))
        if "minimum" in c:
            checks.append(pa.Check.ge(c["minimum"], error=f"a value of at least {c['minimum']}"))
        if "maximum" in c:
            checks.append(pa.Check.le(c["maximum"], error=f"a value of at most {c['maximum']}"))
        if "pattern" in c:
            checks.append(
                pa.Check.str_matches(f"(?:{c['pattern']})\\Z", error=f"text matching the pattern {c['pattern']}")
            )
        if "minLength" in c:
            checks.append(pa.Check.str_length(min_value=c["minLength"], error=f"at least {c['minLength']} characters"))
        columns[field["name"]] = pa.Column(
            _DTYPES[field.get("type", "string")],
            checks,
            nullable=not (c.get("required", False) or field["name"] == single_key),
            unique=c.get("unique", False) or field["name"] == single_key,
        )
    try:
        pa.DataFrameSchema(columns).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _problems_from_pandera(exc.failure_cases, name)
    return []


_PANDERA_WORDS = {
    "not_nullable": "a value (this column is required)",
    "field_uniqueness": "a value that is unique in this column (it is repeated)",
}


def _problems_from_pandera(cases: pd.DataFrame, name: str) -> list[Problem]:
    out = []
    first_line: dict[tuple[str, Any], int] = {}
    cases = cases.sort_values("index", kind="stable")
    for case in cases.itertuples(index=False):
        value = None if pd.isna(case.failure_case) else case.failure_case
        value = value.item() if hasattr(value, "item") else value  # numpy scalar -> Python
        line = None if pd.isna(case.index) else int(case.index)
        expected = _PANDERA_WORDS.get(case.check, str(case.check))
        if case.check == "field_uniqueness":
            # pandera names every copy; name the first once and point the others at it
            key = (case.column, value)
            if key not in first_line:
                first_line[key] = line
                continue
            expected = f"a value that is unique in this column (the same as line {first_line[key]})"
        out.append(Problem(name, line, case.column, value, expected))
    return sorted(out, key=lambda p: (p.line or 0, p.column or ""))


def _check_primary_key(frame: pd.DataFrame, key: str | list[str] | None, name: str) -> list[Problem]:
    if not key:
        return []
    key = [key] if isinstance(key, str) else list(key)
    if len(key) == 1:
        return []  # a one-column key is checked as a unique, required column
    dup = frame.duplicated(subset=key, keep=False)
    out = []
    first_seen: dict[tuple, int] = {}
    for line, values in frame.loc[dup, key].iterrows():
        k = tuple(values)
        if k in first_seen:
            out.append(
                Problem(name, int(line), ", ".join(key), k, f"a unique key (the same as line {first_seen[k]})")
            )
        else:
            first_seen[k] = int(line)
    return out
