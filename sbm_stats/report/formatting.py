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

import re
from numbers import Real

from .._markup import escape_markdown
from .._numbers import MINUS, NBSP, fmt_id, fmt_int, fmt_num, fmt_pct, fmt_percent_points, fmt_period

# fmt_id, fmt_int, fmt_num, fmt_pct, fmt_period, NBSP and MINUS live in sbm_stats._numbers (the subjects below
# the report, sampling and audit, write numbers and periods the same way); they are this module's vocabulary too.
__all__ = ["fmt_id", "fmt_int", "fmt_num", "fmt_pct", "fmt_percent_points", "fmt_count_of", "fmt_interval",
           "fmt_period", "unbroken_numbers", "NBSP", "MINUS", "Markdown", "shown", "trusted_markdown",
           "number_in_words", "ordinal_in_words", "join_sv", "cap", "sv_sort_key", "METHOD_NAMES_SV"]



class Markdown(str):
    """Text the report shows, the same under Quarto and the builtin engine: text, never markup.

    Quarto inserts an inline expression's ``text/markdown`` representation verbatim
    and falls back to its ``text/plain`` one, which for a plain ``str`` is its
    ``repr``: quoted, with a no-break space shown as ``\\xa0``. A value the report
    shows is therefore a ``Markdown``: a ``str`` in every other respect, whose
    markdown is its text escaped (:func:`sbm_stats._markup.escape_markdown`), so
    that a name, label or citation from a data package shows as written in every
    format, whatever it holds. Markdown written on purpose is made with
    :func:`trusted_markdown`; a traced value's span is its own class
    (:class:`~sbm_stats.report.values.ShownValue`).

    >>> Markdown("16\xa0386")._repr_markdown_()
    '16\xa0386'
    >>> print(Markdown("<b>Åre</b>")._repr_markdown_())
    \\<b\\>Åre\\<\\/b\\>
    """

    __slots__ = ()

    def _repr_markdown_(self) -> str:
        return escape_markdown(self)

    def __format__(self, spec: str) -> str:
        """``f"{x:md}"`` is the markdown (for a chunk that prints markdown); else the text, as a ``str``."""
        return self._repr_markdown_() if spec == "md" else str.__format__(str(self), spec)


class _TrustedMarkdown(Markdown):
    __slots__ = ()

    def _repr_markdown_(self) -> str:
        return str(self)


def trusted_markdown(markdown: str) -> Markdown:
    """``markdown`` inserted as markup, as written: only for markdown the package writes itself.

    Every piece of data text in it must already be escaped (``escape_markdown``, or a
    :class:`Markdown`'s ``f"{x:md}"``). ``f"{x:md}"`` of the result is ``markdown``.

    >>> trusted_markdown("- *a*")._repr_markdown_()
    '- *a*'
    """
    return _TrustedMarkdown(markdown)


def shown(fn):
    """Decorate a function returning text for the report: its result becomes :class:`Markdown` (text)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return Markdown(fn(*args, **kwargs))

    return wrapper


def fmt_count_of(count: int, base: int) -> str:
    """'16 av 29'."""
    return f"{fmt_int(count)} av {fmt_int(base)}"


def fmt_interval(low: float, high: float, *, decimals: int = 0, percent: bool = True) -> str:
    """A confidence interval as Swedish text: '36–73 %' (an en dash between the bounds)."""
    if percent:
        return f"{fmt_percent_points(low, decimals=decimals)}–{fmt_percent_points(high, decimals=decimals)}{NBSP}%"
    return f"{fmt_num(low, decimals=decimals)}–{fmt_num(high, decimals=decimals)}"


def unbroken_numbers(text: str) -> str:
    """``text`` with a no-break space between a number's groups of digits, so that a number a
    data file writes with an ordinary space ("cirka 5 000") never breaks over two lines.

    >>> unbroken_numbers("cirka 5 000 barn 2013 2014") == f"cirka 5{NBSP}000 barn 2013 2014"
    True
    """
    return re.sub(r"(?<=\d) (?=\d{3}(?!\d))", NBSP, str(text))


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
    traced number keeps its provenance. A traced value that starts in lower case ("cirka
    5 000" beginning a sentence) stays traced: the same row, shown with a capital, under
    its own id (``<id>:versal``; one id shows one text, see ``values.lua``). Traced text
    whose first letter is plain text has that letter capitalised and keeps its spans;
    one whose first letter is inside a span is returned as it is (a capital there would
    no longer be the value's text).
    """
    from .values import ShownValue, TracedText

    if isinstance(text, Markdown) and text[:1].upper() == text[:1]:
        return text
    if isinstance(text, ShownValue):
        from dataclasses import replace

        value = text.value
        return ShownValue(replace(value, id=f"{value.id}:versal", formatted=_capital(value.formatted)))
    if isinstance(text, TracedText):
        markdown = text._repr_markdown_()
        if markdown[:1] != text[:1]:
            return text
        return TracedText(_capital(text), _capital(markdown))
    kind = _TrustedMarkdown if isinstance(text, _TrustedMarkdown) else Markdown
    return kind(_capital(text))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


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
