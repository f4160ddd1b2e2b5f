"""Numbers written the Swedish way, for every label a reader of the protocol sees.

Swedish writes a decimal comma and groups thousands with a space: ``4,1`` and
``351 330``. Machine-readable columns (CSV) keep ``.`` as the decimal separator; only
the words (``reason``, the protocol) use these helpers. They are
:func:`sbm_stats._numbers.fmt_num` with a plain space and a hyphen-minus, which
plain-text protocols and CSV cells keep intact.
"""

from __future__ import annotations

import math

from .._numbers import fmt_num

__all__ = ["sv_int", "sv_decimal"]


def sv_int(value: int) -> str:
    """An integer with a space between groups of three digits.

    Examples
    --------
    >>> sv_int(351330), sv_int(504), sv_int(-1325)
    ('351 330', '504', '-1 325')
    """
    return fmt_num(int(value), thousands=" ", minus="-")


def sv_decimal(value: float, decimals: int) -> str:
    """A number rounded to ``decimals`` places, with a decimal comma and grouped thousands.

    Rounding is half away from zero on the decimal value shown (``2,25`` -> ``2,3``), as
    a reader rounding by hand would do, not Python's round-half-to-even. A value that is
    not finite (a random number that a certainty unit does not have) is written as the
    dash '–' that Swedish tables use for "no value"; callers pass NaN only for that.

    Examples
    --------
    >>> sv_decimal(4.05, 1), sv_decimal(1234.5, 1), sv_decimal(0.0556, 4), sv_decimal(3.0, 0)
    ('4,1', '1 234,5', '0,0556', '3')
    """
    if not math.isfinite(value):
        return "–"
    return fmt_num(float(value), decimals=decimals, thousands=" ", minus="-")
