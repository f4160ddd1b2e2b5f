"""CSV files that a spreadsheet opens as data, never as formulas, and that read back as written.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel, LibreOffice and Google Sheets when the file is opened (OWASP's "CSV
injection"): ``=cmd|' /C calc'!A0`` from a data package's URL would start a program.
Every CSV the package writes goes through this module, which neutralises such a cell
as OWASP recommends, by putting a single quote ``'`` before it. A cell that starts
with a quote gets one more, so that every text is written uniquely and :func:`restore`
gives back exactly what was written (a spreadsheet shows the quote; our readers strip
it).

What is neutralised is **text**: a cell that is a string in the data. Numbers (the
int, float and bool columns of a table) are written as numbers, a negative one as
``-5``, since a spreadsheet reads a number literal as a number and it cannot hold a
formula. A string that merely looks like a number (``"-5"`` in a text column) is text
and is neutralised (``'-5``). Files written through :func:`write_rows`, whose cells
are all strings, may name *numeric columns*: a cell of such a column that is a plain
number literal (``-0.25``, ``1e-05``; see :data:`NUMBER_RE`) is written as it is,
any other text in it is neutralised.

Readers of our own files (``sbm-stats values diff``, :func:`read_frame`) undo it
with :func:`restore`.

Not written through here: the files of a data package (the demonstration frame of
``sbm-stats demo-frame``, ``scripts/transcribe_sources.py``' tables). They are
inputs, read back by the data loaders as they are written; a quote added here would
become part of a municipality's name there.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["FORMULA_STARTS", "NUMBER_RE", "neutralise", "restore", "frame_to_csv", "read_frame", "write_rows",
           "rows_to_csv"]

#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A decimal number literal as Python writes one (``-0.25``, ``1e-05``), which a spreadsheet
#: reads as a number: what a numeric column may hold unquoted (``-inf`` it would take for a
#: formula, so it is quoted like text).
NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet shows as text (the inverse of :func:`restore`).

    >>> neutralise("=1+1"), neutralise("-5"), neutralise("'x"), neutralise("Malmö")
    ("'=1+1", "'-5", "''x", 'Malmö')
    """
    if text.startswith(FORMULA_STARTS) or text.startswith("'"):
        return "'" + text
    return text


def restore(cell: str) -> str:
    """The text a cell written by :func:`neutralise` holds.

    >>> restore("'=1+1"), restore("''x"), restore("-5"), restore("Malmö")
    ('=1+1', "'x", '-5', 'Malmö')
    """
    return cell[1:] if cell.startswith("'") else cell


def _cell(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else value


def _text_column(series: pd.Series) -> bool:
    """Whether a column may hold text: not of a numeric, boolean or date type."""
    from pandas.api import types

    return not (types.is_numeric_dtype(series) or types.is_bool_dtype(series) or types.is_datetime64_any_dtype(series))


def frame_to_csv(frame: pd.DataFrame) -> str:
    """A table as CSV text (UTF-8, ``\\n`` line ends, no index), its text cells neutralised.

    Only the cells that are strings are changed; numeric, boolean and missing cells are
    written as pandas writes them.

    >>> import pandas as pd
    >>> print(frame_to_csv(pd.DataFrame({"name": ["=HYPERLINK(1)", "Ale"], "n": [-5, 3]})), end="")
    name,n
    '=HYPERLINK(1),-5
    Ale,3
    """
    safe = frame.copy()
    for column in safe.columns:
        if _text_column(safe[column]):
            safe[column] = safe[column].map(_cell, na_action="ignore")
    renamed = {c: neutralise(c) for c in safe.columns if isinstance(c, str)}
    # Python's csv module quotes a cell holding "\n" but not one holding a bare "\r" when
    # lines end in "\n", and every reader takes that "\r" for a line end: quote all text then
    carriage_return = any(isinstance(v, str) and "\r" in v for c in safe.columns if _text_column(safe[c])
                          for v in safe[c]) or any("\r" in c for c in renamed.values())
    return safe.rename(columns=renamed).to_csv(
        index=False, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC if carriage_return else csv.QUOTE_MINIMAL)


def read_frame(source: str | TextIO, **kwargs: Any) -> pd.DataFrame:
    """A CSV written by :func:`frame_to_csv` (a path or an open text file) as the table written.

    Keyword arguments go to :func:`pandas.read_csv`. The text cells (and headers) are
    restored; columns pandas reads as numbers are left as they are.
    """
    import pandas as pd

    frame = pd.read_csv(source, **kwargs)
    for column in frame.columns:
        if _text_column(frame[column]):
            frame[column] = frame[column].map(lambda v: restore(v) if isinstance(v, str) else v)
    return frame.rename(columns={c: restore(c) for c in frame.columns if isinstance(c, str)})


def write_rows(handle: TextIO, columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *,
               numeric: Iterable[str] = ()) -> None:
    """Write a header and ``rows`` (missing keys empty) to ``handle``, every text cell neutralised.

    A cell of a column in ``numeric`` that is a number literal (:data:`NUMBER_RE`) is
    written as it is.
    """
    numeric = set(numeric)
    writer = csv.writer(handle, lineterminator="\n")
    # a row with a bare "\r" in a cell is written quoted whole (see frame_to_csv)
    quoted = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_ALL)
    header = [neutralise(c) for c in columns]
    (quoted if any("\r" in c for c in header) else writer).writerow(header)
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column, "")
            value = "" if value is None else value
            if isinstance(value, str) and not (column in numeric and NUMBER_RE.fullmatch(value)):
                value = neutralise(value)
            cells.append(value)
        (quoted if any(isinstance(c, str) and "\r" in c for c in cells) else writer).writerow(cells)


def rows_to_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *, numeric: Iterable[str] = ()) -> str:
    """:func:`write_rows` into a string."""
    buffer = io.StringIO()
    write_rows(buffer, columns, rows, numeric=numeric)
    return buffer.getvalue()
