"""Column widths of a table wider than the page (``render._tables._fit``), over random tables.

The examples worked by hand are the function's doctests; here, properties that hold for any
table: no column below its longest word, the page used and not exceeded, no column given
more than its text needs while another that needs more is narrower, and the order of the
columns does not matter.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sbm_stats.render._tables import _fit


@st.composite
def tables(draw):
    n = draw(st.integers(1, 8))
    minimum = draw(st.lists(st.integers(4, 30), min_size=n, max_size=n))
    needs = [m + draw(st.integers(0, 40)) for m in minimum]
    shares = [max(nd, draw(st.integers(4, 46))) for nd in needs]
    page = draw(st.integers(20, 120))
    return shares, minimum, needs, page


@given(tables())
def test_widths_keep_every_word_and_fill_the_page_fairly(table):
    shares, minimum, needs, page = table
    widths = _fit(shares, minimum, page, needs=needs)
    assert len(widths) == len(minimum)
    assert all(w >= m for w, m in zip(widths, minimum))  # no word cut
    if sum(minimum) >= page:
        assert widths == minimum  # pandoc scales such a table
        return
    if sum(max(s, m) for s, m in zip(shares, minimum)) <= page:
        assert widths == [max(s, m) for s, m in zip(shares, minimum)]  # the table fits as it is
        return
    assert sum(widths) <= page
    wanted = [min(max(n, m), max(s, m)) for n, m, s in zip(needs, minimum, shares)]
    if sum(wanted) > page:
        assert sum(widths) == page  # the page is used
        assert all(w <= n for w, n in zip(widths, wanted))  # no column beyond its need
        # max-min fair: a column that still wants more is never narrower by more than one
        # character than a column given more than its minimum
        for i, (w, n) in enumerate(zip(widths, wanted)):
            if w < n:
                assert all(widths[j] <= w + 1 for j in range(len(widths)) if widths[j] > minimum[j])


@given(tables(), st.randoms(use_true_random=False))
def test_the_order_of_the_columns_does_not_change_their_widths_but_by_the_leftover(table, random):
    shares, minimum, needs, page = table
    order = list(range(len(minimum)))
    random.shuffle(order)
    widths = _fit(shares, minimum, page, needs=needs)
    again = _fit([shares[i] for i in order], [minimum[i] for i in order], page, needs=[needs[i] for i in order])
    assert sum(again) == sum(widths)
    assert all(abs(again[k] - widths[i]) <= 1 for k, i in enumerate(order))  # the leftover goes from the left
