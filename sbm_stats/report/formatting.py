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
import re
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real

__all__ = ["fmt_int", "fmt_num", "fmt_pct", "fmt_count_of", "fmt_interval", "fmt_period", "unbroken_numbers",
           "NBSP", "Markdown", "shown",
           "number_in_words", "ordinal_in_words", "join_sv", "cap", "sv_sort_key", "METHOD_NAMES_SV"]

NBSP = "\u00a0"
MINUS = "\u2212"


class Markdown(str):
    """Text to be inserted into a report as markdown, the same under Quarto and the builtin engine.

    Quarto inserts an inline expression's ``text/markdown`` representation verbatim
    and falls back to its ``text/plain`` one, which for a plain ``str`` is its
    ``repr``: quoted, with a no-break space shown as ``\\xa0``. A value the report
    shows is therefore a ``Markdown``: a ``str`` in every other respect.

    >>> Markdown("16\xa0386")._repr_markdown_()
    '16\xa0386'
    """

    __slots__ = ()

    def _repr_markdown_(self) -> str:
        return str(self)

    def __format__(self, spec: str) -> str:
        """``f"{x:md}"`` is the markdown (a traced value's span, in a chunk that prints markdown); else as ``str``."""
        return self._repr_markdown_() if spec == "md" else str.__format__(str(self), spec)


def shown(fn):
    """Decorate a function returning text for the report: its result becomes :class:`Markdown`."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return Markdown(fn(*args, **kwargs))

    return wrapper


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
    if not isinstance(decimals, int) or isinstance(decimals, bool) or decimals < 0:
        raise ValueError(f"decimals ({decimals!r}) must be a non-negative integer")
    if math.isinf(x):
        raise ValueError(f"value ({value!r}) must be finite")
    rounded = Decimal(repr(abs(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    whole, _, frac = f"{rounded:,f}".partition(".")
    text = whole.replace(",", thousands) + ("," + frac if frac else "")
    return (minus if x < 0 and rounded != 0 else "") + text


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


def unbroken_numbers(text: str) -> str:
    """``text`` with a no-break space between a number's groups of digits, so that a number a
    data file writes with an ordinary space ("cirka 5 000") never breaks over two lines.

    >>> unbroken_numbers("cirka 5 000 barn 2013 2014") == f"cirka 5{NBSP}000 barn 2013 2014"
    True
    """
    return re.sub(r"(?<=\d) (?=\d{3}(?!\d))", NBSP, str(text))


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


# ------------------------------------------------------------------ Swedish words and lists

_WORDS = ("noll", "en", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio", "elva", "tolv")
_ORDINALS = ("nollte", "första", "andra", "tredje", "fjärde", "femte", "sjätte", "sjunde", "åttonde",
             "nionde", "tionde", "elfte", "tolfte")


def number_in_words(n: int, *, gender: str = "en") -> str:
    """A whole number as Swedish text: words up to twelve, digits above (Svenska skrivregler).

    >>> number_in_words(4), number_in_words(1, gender="ett"), number_in_words(16)
    ('fyra', 'ett', '16')
    """
    if gender not in {"en", "ett"}:
        raise ValueError(f"gender ({gender!r}) must be 'en' or 'ett'")
    if isinstance(n, bool) or not isinstance(n, Real) or not float(n).is_integer() or n < 0:
        raise ValueError(f"n ({n!r}) must be a non-negative whole number")
    n = int(n)
    if n == 1:
        return gender
    return _WORDS[n] if n < len(_WORDS) else fmt_int(n)


def ordinal_in_words(n: int) -> str:
    """A whole number from 1 to 12 as a Swedish ordinal: 3 -> 'tredje'."""
    if isinstance(n, bool) or not isinstance(n, Real) or not float(n).is_integer() or not 1 <= n < len(_ORDINALS):
        raise ValueError(f"n ({n!r}) must be a whole number from 1 to {len(_ORDINALS) - 1}")
    return _ORDINALS[int(n)]


def join_sv(items) -> str:
    """A Swedish list: 'a, b och c'."""
    items = [str(x) for x in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " och " + items[-1]


def cap(text: str) -> Markdown:
    """The text with its first letter capitalised (for a value that starts a sentence).

    Text that already starts with a capital or a digit is returned as it is, so that a
    traced number keeps its provenance.
    """
    if isinstance(text, Markdown) and text[:1].upper() == text[:1]:
        return text
    return Markdown(text[:1].upper() + text[1:])


_SV_ORDER = str.maketrans("åäöéü", "{|}eu")  # å, ä, ö after z, as in Swedish


def sv_sort_key(series):
    """A sort key for Swedish names (a pandas Series): å, ä, ö after z, whatever the locale."""
    return series.astype(str).str.lower().str.translate(_SV_ORDER)


#: The interval methods as the report names them.
METHOD_NAMES_SV = {
    "wilson": "Wilsons metod", "clopper-pearson": "Clopper–Pearsons exakta metod",
    "jeffreys": "Jeffreys metod", "agresti-coull": "Agresti–Coulls metod", "wald": "Walds metod",
    "logit": "logitmetoden",
}
