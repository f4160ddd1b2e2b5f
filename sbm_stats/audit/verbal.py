"""The publication's Swedish verbal quantities as numeric ranges.

The ranges are data (``data/verbal_quantities.csv``), each with a short
justification, so that a reviewer can disagree with one reading and change it in one
place. Three kinds of wording are understood:

* a fixed term for a share of a base: ``drygt hälften`` is (0.5, 0.6];
* a fixed term for a count: ``flera`` is at least 3;
* a qualifier followed by a number, read at that number's rounding unit (the place
  of its last non-zero digit): ``cirka 800`` is [750, 850), ``knappt 1 600`` is
  [1 500, 1 600), ``cirka 45 procent`` is [44.5, 45.5) percent. A bare number
  (``45 procent``) is read like ``cirka``.

Examples
--------
>>> r = verbal_range("drygt hälften")
>>> r.kind, r.contains(16 / 29), r.contains(0.5)
('share', True, False)
>>> str(verbal_range("cirka 800"))
'[750, 850)'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .._numbers import fmt_num
from ..data._package import DataPackage, as_package

__all__ = ["VerbalRange", "verbal_range", "rounding_unit"]

_NUMBER = re.compile(r"^(?P<word>[a-zåäö ]*?)\s*(?P<num>\d[\d \u00a0]*(?:[.,]\d+)?)\s*(?P<unit>procent|%)?$")


@dataclass(frozen=True)
class VerbalRange:
    """The numeric range a Swedish wording stands for.

    Attributes
    ----------
    wording : str
        The wording as given.
    term : str
        The term of ``verbal_quantities.csv`` that was applied.
    kind : str
        ``share`` (a share of the base), ``count_min`` (a count) or ``approx`` /
        ``below`` / ``above`` (in the units of the number that follows).
    low, high : float
        Bounds; ``high`` is ``inf`` when unbounded.
    low_closed, high_closed : bool
        Whether each bound belongs to the range.
    justification : str
        Why this range (from the data file).
    """

    wording: str
    term: str
    kind: str
    low: float
    high: float
    low_closed: bool
    high_closed: bool
    justification: str

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in the range."""
        above = x >= self.low if self.low_closed else x > self.low
        below = x <= self.high if self.high_closed else x < self.high
        return bool(above and below)

    def __str__(self) -> str:
        digits = 2 if self.kind == "share" else (0 if float(self.low).is_integer() else 1)
        # no-break spaces, as every number the report shows: "[13 000, 14 000)" never breaks inside a number
        lo = fmt_num(self.low, decimals=digits)
        hi = "∞" if math.isinf(self.high) else fmt_num(self.high, decimals=digits)
        return f"{'[' if self.low_closed else '('}{lo}, {hi}{']' if self.high_closed else ')'}"


def rounding_unit(number: float) -> float:
    """The place of the last non-zero digit: 800 -> 100, 16 386 -> 1, 4.5 -> 0.1.

    >>> rounding_unit(800), rounding_unit(16386), rounding_unit(14000), rounding_unit(4.5)
    (100, 1, 1000, 0.1)
    """
    if number == 0:
        return 1
    if float(number).is_integer():
        n, unit = int(abs(number)), 1
        while n % 10 == 0:
            n //= 10
            unit *= 10
        return unit
    text = repr(float(number)).rstrip("0")
    return 10 ** -(len(text.split(".")[1]))


def verbal_range(wording: str, *, package: DataPackage | str | Path | None = None, data_dir: str | Path | None = None,
                 table: pd.DataFrame | None = None) -> VerbalRange:
    """The numeric range that ``wording`` stands for.

    Parameters
    ----------
    wording : str
        A term of the table ('de flesta'), or a qualifier and a number ('cirka 800',
        'knappt 1 600', '45 procent').
    package : DataPackage, str or Path, optional
        The data package whose ``verbal_quantities`` to read (default: the bundled one;
        ``data_dir`` is the older name of the same argument).
    table : DataFrame, optional
        An already loaded verbal quantities table (saves re-reading it).

    Raises
    ------
    ValueError
        If the wording is neither a known term nor a qualifier with a number.
    """
    if not isinstance(wording, str) or not wording.strip():
        raise ValueError(f"wording ({wording!r}) must be a non-empty string")
    terms = (table if table is not None else as_package(package, data_dir).table("verbal_quantities")).set_index("term")
    text = " ".join(wording.lower().split())
    if text in terms.index:
        row = terms.loc[text]
        if row.kind in {"share", "count_min"}:
            high = math.inf if pd.isna(row.high) else float(row.high)
            return VerbalRange(wording, text, row.kind, float(row.low), high,
                               bool(row.low_closed), bool(row.high_closed), row.justification)
    match = _NUMBER.match(text)
    if not match:
        known = ", ".join(sorted(terms.index))
        raise ValueError(f"wording ({wording!r}) must be one of: {known}; or a qualifier and a number")
    word = match["word"].strip() or "exakt"
    if word not in terms.index or terms.loc[word].kind not in {"approx", "below", "above"}:
        qualifiers = ", ".join(sorted(terms.index[terms.kind.isin(["approx", "below", "above"])]))
        raise ValueError(f"the qualifier in {wording!r} ({word!r}) must be one of: {qualifiers}")
    number = float(re.sub(r"[ \u00a0]", "", match["num"]).replace(",", "."))
    row = terms.loc[word]
    unit = rounding_unit(number)
    if row.kind == "approx":
        low, high = number - unit / 2, number + unit / 2
    elif row.kind == "below":
        low, high = number - unit, number
    else:
        low, high = number, number + unit
    return VerbalRange(wording, word, row.kind, low, high, bool(row.low_closed), bool(row.high_closed),
                       row.justification)
