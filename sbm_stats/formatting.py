"""Swedish number formatting for the report and every table a reader sees.

Swedish style (Språkrådet, *Svenska skrivregler*): a space as thousands separator
(here a no-break space, so that a number never breaks across lines), a decimal comma,
a space before the percent sign, and the minus sign U+2212.

Examples
--------
>>> fmt_int(16386)
'16\\xa0386'
>>> fmt_num(45.37, decimals=1)
'45,4'
>>> fmt_pct(0.5517, decimals=0)
'55\\xa0%'
>>> fmt_count_of(16, 29)
'16 av 29'
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = ["fmt_int", "fmt_num", "fmt_pct", "fmt_count_of", "fmt_interval", "NBSP"]

NBSP = "\u00a0"
MINUS = "\u2212"


def _check_real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} ({value!r}) must be a real number")
    x = float(value)
    if math.isnan(x):
        raise ValueError(f"{name} is NaN; format a missing value explicitly (e.g. '–')")
    return x


def fmt_num(value: float, *, decimals: int = 0) -> str:
    """A number with a decimal comma and no-break spaces between thousands.

    Rounds half away from zero at ``decimals``, as published statistics do (Python's
    own ``round`` rounds half to even).
    """
    x = _check_real(value, "value")
    if not isinstance(decimals, int) or decimals < 0:
        raise ValueError(f"decimals ({decimals!r}) must be a non-negative integer")
    scale = 10**decimals
    rounded = math.floor(abs(x) * scale + 0.5) / scale
    text = f"{rounded:,.{decimals}f}".replace(",", NBSP).replace(".", ",")
    return (MINUS if x < 0 and rounded != 0 else "") + text


def fmt_int(value: int) -> str:
    """A whole number with no-break spaces between thousands: 16 386."""
    return fmt_num(value, decimals=0)


def fmt_pct(share: float, *, decimals: int = 0) -> str:
    """A share in [0, 1] as a Swedish percentage: 0.552 -> '55 %'."""
    return fmt_num(_check_real(share, "share") * 100, decimals=decimals) + NBSP + "%"


def fmt_count_of(count: int, base: int) -> str:
    """'16 av 29'."""
    return f"{fmt_int(count)} av {fmt_int(base)}"


def fmt_interval(low: float, high: float, *, decimals: int = 0, percent: bool = True) -> str:
    """A confidence interval as Swedish text: '36–73 %' (an en dash between the bounds)."""
    if percent:
        return f"{fmt_num(low * 100, decimals=decimals)}–{fmt_num(high * 100, decimals=decimals)}{NBSP}%"
    return f"{fmt_num(low, decimals=decimals)}–{fmt_num(high, decimals=decimals)}"
