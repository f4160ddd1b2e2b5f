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


def test_cap_keeps_a_traced_value_traced():
    """A traced value that starts a sentence in lower case ("cirka 5 000", the verbal form of
    a figure) is capitalised and still a traced span: the same row of the data package,
    under its own id, since one id shows one text in a render."""
    from sbm_stats.report.formatting import cap
    from sbm_stats.report.values import ShownValue, TracedText, TracedValue

    value = TracedValue("published_figures:bme.children_count:verbal", "cirka 5 000", f"cirka 5{NBSP}000",
                        "published_figures", "bme.children_count", "verbal")
    shown = cap(ShownValue(value))
    assert shown == f"Cirka 5{NBSP}000"
    assert shown._repr_markdown_().startswith(f"[Cirka 5{NBSP}000]{{.sbm-value .sbm-v-")
    assert (shown.value.table, shown.value.row, shown.value.column) == ("published_figures", "bme.children_count",
                                                                       "verbal")
    assert shown.value.id == "published_figures:bme.children_count:verbal:versal"

    # traced text beginning with plain words: the first letter capitalised, the span kept
    text = TracedText.join("drygt ", ShownValue(value))
    capitalised = cap(text)
    assert str(capitalised) == f"Drygt cirka 5{NBSP}000"
    assert capitalised._repr_markdown_().startswith("Drygt [cirka")
    assert ".sbm-value" in capitalised._repr_markdown_()


def test_interval_bounds_round_the_share_as_written():
    # 0.285 and 0.415 are 28.5 % and 41.5 %, halves that round up by hand to 29 and 42; the float
    # products 0.285 * 100 = 28.499999999999996 and 0.415 * 100 = 41.49999999999999 rounded down
    from sbm_stats.report.formatting import fmt_interval

    assert fmt_interval(0.285, 0.415) == "29–42\xa0%"
    assert fmt_interval(0.0725, 0.1145, decimals=1) == "7,3–11,5\xa0%"  # 7.25 -> 7,3; 11.45 -> 11,5
