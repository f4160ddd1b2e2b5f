"""Swedish number format (Språkrådet, Svenska skrivregler: space between thousands,
decimal comma, space before %)."""

import math

import pytest

from sbm_stats.report.formatting import NBSP, fmt_count_of, fmt_int, fmt_interval, fmt_num, fmt_pct


@pytest.mark.parametrize(
    "value, decimals, expected",
    [
        (16386, 0, f"16{NBSP}386"),
        (9644864, 0, f"9{NBSP}644{NBSP}864"),
        (45.3949, 1, "45,4"),   # 16 386 / 11 270 - 1 = 0.453949...
        (0.125, 2, "0,13"),     # half away from zero, not Python's half-to-even (0,12)
        (2.5, 0, "3"),
        (-1023.2, 1, f"\u22121{NBSP}023,2"),
        (-0.04, 1, "0,0"),      # no "minus zero"
        (800, 0, "800"),
    ],
)
def test_fmt_num(value, decimals, expected):
    assert fmt_num(value, decimals=decimals) == expected


def test_fmt_pct_and_counts():
    assert fmt_pct(16 / 29, decimals=1) == f"55,2{NBSP}%"   # 16/29 = 0.55172...
    assert fmt_int(11270) == f"11{NBSP}270"
    assert fmt_count_of(20, 29) == "20 av 29"
    assert fmt_interval(0.3612, 0.7301) == f"36–73{NBSP}%"


@pytest.mark.parametrize("bad", [math.nan, "12", None, True])
def test_bad_values_raise(bad):
    with pytest.raises((TypeError, ValueError), match="value"):
        fmt_num(bad)


def test_bad_decimals_raise():
    with pytest.raises(ValueError, match=r"decimals \(-1\) must be a non-negative integer"):
        fmt_num(1.0, decimals=-1)
