"""Numbers written the Swedish way: the one formatter of every number a reader sees.

Swedish style (Språkrådet, *Svenska skrivregler*): a space as thousands separator (by
default a no-break space, so that a number never breaks across lines), a decimal comma,
a space before the percent sign, and the minus sign U+2212. The report
(:mod:`sbm_stats.report.formatting`), the sampling protocol and the audit all write
numbers with these functions; this module depends on nothing of the package.

Examples
--------
>>> fmt_int(16386)
'16\\xa0386'
>>> fmt_num(45.37, decimals=1)
'45,4'
>>> fmt_pct(0.5517, decimals=0)
'55\\xa0%'
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real

__all__ = ["fmt_id", "fmt_int", "fmt_num", "fmt_pct", "fmt_period", "NBSP", "MINUS"]

NBSP = "\u00a0"
MINUS = "\u2212"


def _check_real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} ({value!r}) must be a real number")
    x = float(value)
    if math.isnan(x):
        raise ValueError(f"{name} is NaN; format a missing value explicitly (e.g. '–')")
    return x


def fmt_num(value: float, *, decimals: int = 0, thousands: str = NBSP, minus: str = MINUS) -> str:
    """A number with a decimal comma and ``thousands`` between groups of three digits.

    Rounds half away from zero on the decimal value as written (``repr``), as a reader
    rounding by hand would (2.675 -> '2,68'; Python's ``round`` gives 2.67 and rounds
    half to even).
    """
    x = _check_real(value, "value")
    if math.isinf(x):
        raise ValueError(f"value ({value!r}) must be finite")
    return _fmt_decimal(Decimal(repr(x)), decimals, thousands, minus)


def _fmt_decimal(exact: Decimal, decimals: int, thousands: str, minus: str) -> str:
    """:func:`fmt_num` of a decimal value (rounded half away from zero)."""
    if not isinstance(decimals, int) or isinstance(decimals, bool) or decimals < 0:
        raise ValueError(f"decimals ({decimals!r}) must be a non-negative integer")
    rounded = abs(exact).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    whole, _, frac = f"{rounded:,f}".partition(".")
    text = whole.replace(",", thousands) + ("," + frac if frac else "")
    return (minus if exact < 0 and rounded != 0 else "") + text


def fmt_int(value: int) -> str:
    """A whole number with no-break spaces between thousands: 16 386."""
    return fmt_num(value, decimals=0)


def fmt_id(value) -> str:
    """An identifier or a year, as written: no thousands separator, leading zeros kept.

    Not a quantity, so never grouped by thousands: the seed 2014, the year 2013, the
    municipality code 0180.

    >>> fmt_id(2014), fmt_id(2014.0), fmt_id("0180")
    ('2014', '2014', '0180')
    """
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def fmt_pct(share: float, *, decimals: int = 0) -> str:
    """A share in [0, 1] as a Swedish percentage: 0.552 -> '55 %'.

    The share as written (``repr``) times 100, rounded as :func:`fmt_num` rounds: 0.285
    is 28,5 % and so '29 %' (the float product ``0.285 * 100`` is 28.499999999999996).

    >>> fmt_pct(0.285), fmt_pct(0.0725, decimals=1)
    ('29\xa0%', '7,3\xa0%')
    """
    return fmt_percent_points(share, decimals=decimals) + NBSP + "%"


def fmt_percent_points(share: float, *, decimals: int = 0) -> str:
    """A share as a number of percent, without the sign: an interval's bound ('28,5' of
    '28,5–41,0 %') or a width in percentage points. Rounded as :func:`fmt_pct`: 0.285 -> '29'.

    >>> fmt_percent_points(0.285), fmt_percent_points(0.0725, decimals=1), fmt_percent_points(-0.005)
    ('29', '7,3', '−1')
    """
    x = _check_real(share, "share")
    if math.isinf(x):
        raise ValueError(f"share ({share!r}) must be finite")
    return _fmt_decimal(Decimal(repr(x)).scaleb(2), decimals, NBSP, MINUS)


_HALVES = {"1": "första halvåret", "2": "andra halvåret"}
_QUARTERS = {"1": "första kvartalet", "2": "andra kvartalet", "3": "tredje kvartalet", "4": "fjärde kvartalet"}


def fmt_period(period: str) -> str:
    """A period as the data write it ('2012H1', '2013Q1', '2008-2013') in Swedish words.

    >>> fmt_period("2012H1"), fmt_period("2013Q1"), fmt_period("2008-2013"), fmt_period("2011")
    ('första halvåret 2012', 'första kvartalet 2013', '2008–2013', '2011')
    """
    text = str(period).strip()
    if len(text) == 6 and text[:4].isdigit() and text[4] in "HQ":
        names = _HALVES if text[4] == "H" else _QUARTERS
        if text[5] in names:
            return f"{names[text[5]]} {text[:4]}"
    if len(text) == 9 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        return f"{text[:4]}–{text[5:]}"
    return text
