"""Verbal quantities: the ranges in data/verbal_quantities.csv applied to wordings."""

import math

import pytest

from sbm_stats.audit.verbal import rounding_unit, verbal_range


@pytest.mark.parametrize(
    "wording, x, inside",
    [
        ("drygt hälften", 16 / 29, True),    # Resultat: 'Drygt hälften (16 stycken)'; 0.552
        ("drygt hälften", 0.5, False),       # exactly half is not 'drygt'
        ("drygt hälften", 18 / 29, False),   # 0.621: more than ten points over
        ("de flesta", 20 / 29, True),        # Resultat: 'De flesta ... 20 av 29'; 0.690
        ("de flesta", 14 / 29, False),
        ("nio av tio", 260 / 290, True),     # Boverkets resultat: 260 of 290 = 0.8966
        ("nio av tio", 0.95, False),
        ("sju av tio", 205 / 290, True),     # 205 / 290 = 0.7069
        ("i princip alla", 260 / 290, False),  # 0.8966 < 0.9
        ("i princip alla", 1.0, True),
        ("samtliga", 1.0, True),
        ("samtliga", 28 / 29, False),
        ("ingen", 0.0, True),
        ("knappt hälften", 14 / 29, True),   # 0.483
        ("knappt hälften", 0.5, False),
    ],
)
def test_share_terms(wording, x, inside):
    r = verbal_range(wording)
    assert r.kind == "share"
    assert r.contains(x) is inside


@pytest.mark.parametrize(
    "wording, low, high, x_in, x_out",
    [
        # 'cirka 800': rounding unit 100, so [750, 850)
        ("cirka 800", 750, 850, 800, 850),
        # 'cirka 45 procent': unit 1, so [44.5, 45.5); 16386/11270 - 1 = 45.39 % is in
        ("cirka 45 procent", 44.5, 45.5, 45.39, 40.05),
        # bare number: read like cirka
        ("45 procent", 44.5, 45.5, 45.0, 45.5),
        # 'knappt 1 600': [1 500, 1 600)
        ("knappt 1 600", 1500, 1600, 1599, 1600),
        # 'nästan 14 000': [13 000, 14 000); the publication's 13 900 is in
        ("nästan 14 000", 13000, 14000, 13900, 14000),
        # 'cirka 5 000': unit 1 000, so [4 500, 5 500)
        ("cirka 5 000", 4500, 5500, 5499, 5500),
    ],
)
def test_number_wordings(wording, low, high, x_in, x_out):
    r = verbal_range(wording)
    assert (r.low, r.high) == (low, high)
    assert r.contains(x_in) and not r.contains(x_out)


def test_count_terms():
    r = verbal_range("flera")
    assert (r.low, r.high) == (3, math.inf)
    assert r.contains(3) and not r.contains(2)


def test_rounding_unit():
    assert [rounding_unit(x) for x in (800, 45, 16386, 14000, 1600, 0.5)] == [100, 1, 1, 1000, 100, 0.1]


@pytest.mark.parametrize("bad", ["", "ungefär hälften", "ungefär 800", None])
def test_unknown_wording_raises(bad):
    with pytest.raises(ValueError, match="wording|qualifier"):
        verbal_range(bad)
