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
import json
import math
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataValidationError, Problem
from . import _characters

__all__ = ["read_table", "read_json_file", "check_table_schema", "check_foreign_key", "source_lines", "RowCheck",
           "SourceLines"]

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
#: The integers a 64-bit column holds; larger counts are refused, not wrapped or overflowed.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


class SourceLines(tuple):
    """The file line of each row of a table, as :func:`read_table` stores it in ``attrs``.

    A tuple of ints whose copies are itself. pandas deep-copies a frame's ``attrs`` into
    every frame or Series derived from it (each column access, each comparison): for a
    plain tuple of 290 line numbers that is 291 calls of ``copy.deepcopy`` each time, and
    a report derives thousands of frames and Series. Ints in a tuple cannot change, so
    every copy may share them. In every other respect it is the tuple it holds (equal to
    it, the same ``repr``; slicing gives a plain tuple).
    """

    __slots__ = ()

    def __copy__(self) -> SourceLines:
        return self

    def __deepcopy__(self, memo: dict) -> SourceLines:
        return self


def read_table(
    path: str | Path,
    schema: dict[str, Any],
    *,
    display_name: str | None = None,
    row_checks: Sequence[RowCheck] = (),
    sheet: str | int | None = None,
    schema_name: str | None = None,
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
    schema_name : str, optional
        How the schema is named in messages when it is not a usable Table Schema
        (defaults to "the table schema of <file>").

    Returns
    -------
    pandas.DataFrame
        One column per schema field, in schema order, with nullable pandas dtypes
        (``string``, ``Int64``, ``Float64``, ``boolean``) and a fresh RangeIndex;
        ``attrs["source_lines"]`` holds the line (CSV) or sheet row (Excel) of each row
        (a :class:`SourceLines`, a tuple of ints that pandas need not copy), so that
        later checks name the line a person sees.

    Raises
    ------
    DataValidationError
        With every problem found, each naming file, line, column, value and what
        was expected.
    """
    path = Path(path)
    name = display_name or str(path)
    problems = check_table_schema(schema, schema_name or f"the table schema of {name}")
    if problems:
        raise DataValidationError(problems, summary=f"{schema_name or name}: not a usable Table Schema")
    header, rows, lines = _read_rows(path, name, sheet)
    header_line, lines = lines[0], lines[1:]
    fields = schema["fields"]
    missing_values = set(schema.get("missingValues", [""]))

    problems = _check_header(header, fields, name, header_line)
    if problems:
        raise DataValidationError(problems, summary=f"{name}: the header does not match the table's schema")
    if not rows:
        raise DataValidationError(
            [Problem(name, None, None, None, "at least one data row below the header (the file has a header only)")],
            summary=f"{name}: no data",
        )

    problems = _characters.cell_problems(header, rows, lines, name)  # characters no report can show, in any column
    position = {col: i for i, col in enumerate(header)}
    columns: dict[str, pd.Series] = {}
    for field in fields:
        raw = [row[position[field["name"]]] if position[field["name"]] < len(row) else "" for row in rows]
        series, cell_problems = _parse_column(raw, field, lines, name, missing_values)
        columns[field["name"]] = series
        problems += cell_problems
    for line, row in zip(lines, rows):
        if len(row) != len(header):
            problems.append(
                Problem(name, line, None, None,
                        f"{len(header)} comma-separated values as in the header, found {len(row)}")
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
    frame = frame.reset_index(drop=True)
    frame.attrs["source_lines"] = SourceLines(lines)
    return frame


def check_foreign_key(
    frame: pd.DataFrame,
    column: str,
    allowed: Iterable[Any],
    *,
    file: str,
    what: str,
    first_line: int = 2,
) -> list[Problem]:
    """Problems for values of ``frame[column]`` (not missing) that are not in ``allowed``.

    Rows are named by ``frame.attrs["source_lines"]`` (set by :func:`read_table`) when it
    has one entry per row, else counted from ``first_line``.
    """
    allowed = set(allowed)
    lines = source_lines(frame, first_line=first_line)
    out = []
    for line, value in zip(lines, frame[column]):
        if pd.notna(value) and value not in allowed:
            out.append(Problem(file, line, column, value, what))
    return out


def source_lines(frame: pd.DataFrame, *, first_line: int = 2) -> list[int]:
    """The line of each row of ``frame`` in the file it was read from.

    ``frame.attrs["source_lines"]`` when :func:`read_table` set it and the frame still has
    its rows as read (one per entry, with the fresh RangeIndex: a sorted or filtered copy,
    which keeps ``attrs``, is not); otherwise rows counted from ``first_line`` (the header
    on line 1).
    """
    lines = frame.attrs.get("source_lines")
    if lines is not None and len(lines) == len(frame) and frame.index.equals(pd.RangeIndex(len(frame))):
        return [int(line) for line in lines]
    return list(range(first_line, first_line + len(frame)))


# --------------------------------------------------------------------------- reading


def read_json_file(path: str | Path, name: str | None = None) -> Any:
    """Parse a UTF-8 JSON file, or raise a :class:`DataValidationError` that names it.

    The file must be a regular file (see :func:`_check_regular_file`); a syntax error is
    reported with its line and column, as an editor counts them.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "x.json"
    >>> _ = bad.write_text('{"a": 1,\\n "b": }', encoding="utf-8")
    >>> try:
    ...     read_json_file(bad, "x.json")
    ... except DataValidationError as exc:
    ...     print(exc.problems[0])
    x.json, line 2: expected valid JSON (Expecting value at column 7)
    """
    path = Path(path)
    name = name or str(path)
    _check_regular_file(path, name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataValidationError([Problem(name, None, None, None, f"a readable file ({_os_reason(exc)})")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataValidationError([Problem(name, line, None, f"byte 0x{data[exc.start:exc.start + 1].hex()}",
                                           "UTF-8 JSON text")]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataValidationError(
            [Problem(name, exc.lineno, None, None, f"valid JSON ({exc.msg} at column {exc.colno})")]
        ) from None
    except RecursionError:
        raise DataValidationError([Problem(name, None, None, None, "JSON nested less deeply")]) from None


def check_table_schema(schema: Any, name: str) -> list[Problem]:
    """Problems that make ``schema`` unusable as a Table Schema here (empty when it is fine).

    Checked: ``fields`` is a non-empty list of objects, each with a unique ``name``, a
    ``type`` among those this reader knows and well-formed ``constraints``;
    ``primaryKey`` and ``foreignKeys`` name fields of the schema; ``missingValues`` is a
    list of texts. Each problem names the key, as in ``fields[2].type``.

    Examples
    --------
    >>> [p.expected for p in check_table_schema({"fields": [{"name": "a", "type": "date"}]}, "s.json")]
    ['fields[0].type to be one of: string, integer, number, boolean']
    """
    def problem(value: Any, expected: str) -> Problem:
        return Problem(name, None, None, value, expected)

    if not isinstance(schema, dict):
        return [problem(type(schema).__name__, "a Table Schema: a JSON object with 'fields'")]
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields:
        return [problem(_short(fields), "'fields' to be a non-empty list of field objects")]
    out: list[Problem] = []
    names: list[str] = []
    for i, field in enumerate(fields):
        where = f"fields[{i}]"
        if not isinstance(field, dict):
            out.append(problem(_short(field), f"{where} to be an object with 'name' and 'type'"))
            continue
        fname = field.get("name")
        if not isinstance(fname, str) or not fname:
            out.append(problem(_short(fname), f"{where}.name to be a non-empty text"))
        elif fname in names:
            out.append(problem(fname, f"{where}.name to be unique among the fields"))
        else:
            names.append(fname)
        if field.get("type", "string") not in _DTYPES:
            out.append(problem(_short(field.get("type")), f"{where}.type to be one of: {', '.join(_DTYPES)}"))
        out += _constraint_problems(field.get("constraints", {}), f"{where}.constraints", problem)
    key = schema.get("primaryKey")
    if key is not None:
        keys = [key] if isinstance(key, str) else key
        if not isinstance(keys, list) or not keys or any(k not in names for k in keys):
            out.append(problem(_short(key), f"primaryKey to be a field name or a list of them: {', '.join(names)}"))
    fks = schema.get("foreignKeys", [])
    if not isinstance(fks, list):
        out.append(problem(_short(fks), "foreignKeys to be a list"))
        fks = []
    for i, fk in enumerate(fks):
        ref = fk.get("reference") if isinstance(fk, dict) else None
        if (not isinstance(fk, dict) or fk.get("fields") not in names or not isinstance(ref, dict)
                or not isinstance(ref.get("resource"), str) or not isinstance(ref.get("fields"), str)):
            out.append(problem(_short(fk), f"foreignKeys[{i}] to be {{'fields': <a field name>, "
                                           "'reference': {'resource': <a table>, 'fields': <its field>}}"))
    missing = schema.get("missingValues", [""])
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        out.append(problem(_short(missing), "missingValues to be a list of texts"))
    return out


def _constraint_problems(c: Any, where: str, problem: Callable[[Any, str], Problem]) -> list[Problem]:
    if not isinstance(c, dict):
        return [problem(_short(c), f"{where} to be an object")]
    out = []
    for key in ("required", "unique"):
        if key in c and not isinstance(c[key], bool):
            out.append(problem(_short(c[key]), f"{where}.{key} to be true or false"))
    for key in ("minimum", "maximum"):
        if key in c and (isinstance(c[key], bool) or not isinstance(c[key], (int, float))):
            out.append(problem(_short(c[key]), f"{where}.{key} to be a number"))
    if "minLength" in c and (isinstance(c["minLength"], bool) or not isinstance(c["minLength"], int)):
        out.append(problem(_short(c["minLength"]), f"{where}.minLength to be a whole number"))
    if "enum" in c and (not isinstance(c["enum"], list) or not c["enum"]):
        out.append(problem(_short(c["enum"]), f"{where}.enum to be a non-empty list"))
    if "pattern" in c:
        try:
            re.compile(c["pattern"])
        except (TypeError, re.error, RecursionError, OverflowError) as exc:
            out.append(problem(_short(c["pattern"]), f"{where}.pattern to be a regular expression ({exc})"))
    return out


def _short(value: Any) -> Any:
    """A value small enough to repeat in a message."""
    text = repr(value)
    return value if len(text) <= 80 else text[:77] + "..."



def _read_rows(path: Path, name: str, sheet: str | int | None) -> tuple[list[str], list[list[str]], list[int]]:
    """The header, the data records and the line (CSV) or sheet row (Excel) each record starts on.

    Returns ``(header, rows, lines)`` where ``lines[0]`` is the header's line and
    ``lines[i]`` that of ``rows[i - 1]``. A CSV record is numbered by the physical line it
    starts on (a quoted cell may span lines); blank records and rows are dropped *after*
    numbering, so that a problem names the line a person sees in an editor or the row a
    spreadsheet shows.
    """
    _check_regular_file(path, name)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return _read_excel(path, name, sheet)
    if path.suffix.lower() not in {".csv", ".txt"}:
        raise DataValidationError(
            [Problem(name, None, None, path.suffix, "a .csv file or an .xlsx workbook")]
        )
    if sheet is not None:
        raise DataValidationError(
            [Problem(name, None, None, sheet,
                     "no sheet for a CSV file (a sheet names a worksheet of an .xlsx workbook)")]
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataValidationError([Problem(name, None, None, None, f"a readable file ({_os_reason(exc)})")]) from None
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
    first = next(((i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip()), (None, ""))
    sample = first[1]
    if ";" in sample and "," not in sample:
        raise DataValidationError(
            [Problem(name, first[0], None, sample[:80],
                     "comma-separated values (found semicolons: a Swedish-locale export?)")],
            summary=f"{name}: wrong delimiter",
        )
    records: list[list[str]] = []
    starts: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for record in reader:
            records.append(record)
            starts.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataValidationError([Problem(name, reader.line_num or None, None, None, f"valid CSV ({exc})")]) from None
    return _split_header(records, starts, name, "the file is empty")


def _split_header(
    records: list[list[str]], starts: list[int], name: str, empty: str
) -> tuple[list[str], list[list[str]], list[int]]:
    kept = [(line, r) for line, r in zip(starts, records) if any(cell.strip() for cell in r)]
    if not kept:
        raise DataValidationError([Problem(name, None, None, None, f"a header row and data rows ({empty})")])
    lines = [line for line, _ in kept]
    rows = [r for _, r in kept]
    header = [h.strip() for h in rows[0]]
    return header, rows[1:], lines


def _check_regular_file(path: Path, name: str) -> None:
    """Refuse what is not a regular file (a folder, a FIFO, a device, a socket) without opening it.

    ``open()`` on a FIFO blocks until a writer appears and a device such as
    ``/dev/urandom`` never ends, so the kind of file is read with ``os.stat`` first.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise DataValidationError([Problem(name, None, None, None, "an existing file (no such file)")]) from None
    except OSError as exc:
        raise DataValidationError([Problem(name, None, None, None, f"a readable file ({_os_reason(exc)})")]) from None
    if stat.S_ISDIR(mode):
        raise DataValidationError([Problem(name, None, None, None, "a file, found a folder")])
    if not stat.S_ISREG(mode):
        raise DataValidationError([Problem(name, None, None, None, f"a regular file, found {_file_kind(mode)}")])


def _file_kind(mode: int) -> str:
    for test, what in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return "a special file"  # pragma: no cover


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _read_excel(path: Path, name: str, sheet: str | int | None) -> tuple[list[str], list[list[str]], list[int]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise DataValidationError([Problem(name, None, None, None, f"a readable .xlsx workbook ({exc})")]) from None
    try:
        try:
            ws = book.worksheets[0] if sheet is None else (
                book.worksheets[sheet] if isinstance(sheet, int) else book[sheet])
        except (KeyError, IndexError):
            raise DataValidationError(
                [Problem(name, None, None, sheet, f"a sheet of the workbook: {', '.join(book.sheetnames)}")]
            ) from None
        try:
            # min_row=1: rows are numbered as the spreadsheet shows them, blank ones included
            cells = [["" if v is None else _excel_text(v) for v in row]
                     for row in ws.iter_rows(min_row=1, values_only=True)]
        except Exception as exc:  # a damaged sheet inside a valid zip
            raise DataValidationError([Problem(name, None, None, None, f"a readable .xlsx workbook ({exc})")]) from None
    finally:
        book.close()
    header, rows, lines = _split_header(cells, list(range(1, len(cells) + 1)), name, "the sheet is empty")
    while header and header[-1] == "":
        header.pop()
    return header, [r[: len(header)] for r in rows], lines


def _excel_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- checking


def _check_header(header: list[str], fields: list[dict], name: str, line: int = 1) -> list[Problem]:
    expected = [f["name"] for f in fields]
    problems = []
    seen: set[str] = set()
    for col in header:
        if col in seen:
            problems.append(Problem(name, line, col, None, "each column once (this one is repeated)"))
        seen.add(col)
        if col not in expected:
            problems.append(Problem(name, line, col, None, f"only the columns {', '.join(expected)} (unknown column)"))
    for col in expected:
        if col not in seen:
            problems.append(Problem(name, line, col, None, "this column in the header (it is missing)"))
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
            # more than 19 significant digits cannot fit (and int() refuses past 4 300 digits)
            value = int(text) if len(text.lstrip("+-").lstrip("0")) <= 19 else _INT64_MAX + 1
            if not _INT64_MIN <= value <= _INT64_MAX:
                raise ValueError(f"an integer between {_INT64_MIN} and {_INT64_MAX} (this one is too large to store)")
            return value
        raise ValueError(_number_hint(text, "an integer (whole number)"))
    if kind == "number":
        if _NUMBER_RE.match(text):
            value = float(text)
            if not math.isfinite(value):
                raise ValueError("a finite number (this one is too large to store)")
            return value
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


def _meets_constraints(frame: pd.DataFrame, fields: list[dict], single_key: str | None) -> bool:
    """Whether every column surely meets its constraints, checked with pandas alone.

    The common case (a valid table) then needs no pandera, whose import costs about a
    second of every report's execution. Anything this check is not sure of, or any
    violation, goes to pandera, which names each failing cell.
    """
    for field in fields:
        col, c = field["name"], field.get("constraints", {})
        if col not in frame.columns or str(frame[col].dtype) != str(_DTYPES[field.get("type", "string")]):
            return False
        values = frame[col]
        present = values.dropna()
        required = c.get("required", False) or col == single_key
        if (required and len(present) != len(values)) or (
                (c.get("unique", False) or col == single_key) and present.duplicated().any()):
            return False
        if "enum" in c and not present.isin(c["enum"]).all():
            return False
        if "minimum" in c and not (present >= c["minimum"]).all():
            return False
        if "maximum" in c and not (present <= c["maximum"]).all():
            return False
        if "pattern" in c and not present.astype(str).str.fullmatch(f"(?:{c['pattern']})").all():
            return False
        if "minLength" in c and not (present.astype(str).str.len() >= c["minLength"]).all():
            return False
    return True


def _check_constraints(frame: pd.DataFrame, fields: list[dict], name: str, key: Any) -> list[Problem]:
    single_key = key if isinstance(key, str) else (key[0] if key and len(key) == 1 else None)
    if _meets_constraints(frame, fields, single_key):
        return []
    import pandera.pandas as pa

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
