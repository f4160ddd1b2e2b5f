"""The publication's figures as the report's prose shows them.

Every number in the report's text comes from a row of ``published_figures.csv``
through one of these methods, already formatted in Swedish and wrapped as
:class:`~sbm_stats.report.formatting.Markdown` so that Quarto and the builtin engine
insert it alike.

Examples
--------
>>> figures = Figures.load()
>>> figures.count("res.forced_moves"), figures.base("res.forced_moves")
('16', '29')
>>> figures.count_in_words("res.family_moves"), figures.verbal("res.forced_moves")
('fyra', 'drygt hälften')
>>> figures.growth("bme.flats_2008", "bme.flats_2013")
'45\\xa0%'
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..data._package import DataPackage, Figure
from .formatting import Markdown, fmt_num, fmt_pct, number_in_words, ordinal_in_words, shown, unbroken_numbers
from .values import ShownValue, TracedText, ValueRegistry

__all__ = ["Figures"]

#: The flats of the secondary housing market as the publication gives them, and as
#: Boverket's own summary gives them (the two sources of @fig-boverket).
_FLATS_PUBLISHED = ("bme.flats_2008", "bme.flats_2013")
_FLATS_BOVERKET = ("ext.bme_flats_2008_boverket", "ext.bme_flats_2013_boverket")


@dataclass(frozen=True)
class Figures:
    """The rows of ``published_figures.csv`` of one data package, by ``figure_id``.

    Every lookup goes through :meth:`DataPackage.figure <sbm_stats.data.DataPackage.figure>`,
    the one figure lookup the audit uses too.

    Attributes
    ----------
    package : DataPackage
        The data package the figures are read from.
    values : ValueRegistry
        The render's traced values (the report's one registry); every number shown in
        digits is one of them, read from its row of ``published_figures.csv`` or derived
        from such rows with its computation.
    """

    package: DataPackage
    values: ValueRegistry = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.values is None:
            object.__setattr__(self, "values", ValueRegistry(self.package))

    @classmethod
    def load(cls, package: DataPackage | str | Path | None = None) -> Figures:
        """The figures of the data package ``package`` (a package, its folder, or None for the bundled one)."""
        return cls(DataPackage.open(package))

    def traced(self, figure_id: str, column: str, *, decimals: int = 0) -> ShownValue:
        """The figure's ``column`` as a traced value, in digits."""
        self.raw(figure_id, column)
        return ShownValue(self.values.figure(figure_id, column, fmt=lambda x: fmt_num(x, decimals=decimals)))

    def _number_traced(self, figure_id: str) -> ShownValue:
        return self.traced(figure_id, "count" if self.row(figure_id).count is not None else "value")

    @property
    def data_dir(self) -> Path:
        """The folder of the data package."""
        return self.package.path

    @functools.cached_property
    def table(self) -> pd.DataFrame:
        """The whole table, indexed by ``figure_id`` (for the figures drawn from several rows)."""
        return self.package.table("published_figures").set_index("figure_id")

    # ------------------------------------------------------------------ raw values

    def row(self, figure_id: str) -> Figure:
        """The figure (:class:`~sbm_stats.data.Figure`); a ValueError naming the id if there is none."""
        return self.package.figure(figure_id)

    def raw(self, figure_id: str, column: str) -> float:
        """The figure's ``count``, ``base`` or ``value`` as a float; an error if it has none."""
        value = getattr(self.row(figure_id), column)
        if value is None:
            raise ValueError(f"{figure_id} has no {column} in published_figures.csv")
        return float(value)

    def number(self, figure_id: str) -> float:
        """The figure's count, or its value when it has no count."""
        return float(self.row(figure_id).number)

    def year(self, figure_id: str) -> int:
        """The first year of the figure's period ('2008' -> 2008)."""
        return self.row(figure_id).year

    # ------------------------------------------------------------------ shown in the prose

    def count(self, figure_id: str) -> ShownValue:
        """The count in digits, traced: '16'."""
        return self.traced(figure_id, "count")

    def base(self, figure_id: str) -> ShownValue:
        """The base in digits, traced: '29'."""
        return self.traced(figure_id, "base")

    def value(self, figure_id: str, *, decimals: int = 0) -> ShownValue:
        """The value in digits, traced: '16 386'."""
        return self.traced(figure_id, "value", decimals=decimals)

    def count_in_words(self, figure_id: str, *, gender: str = "en") -> Markdown:
        """The count (or whole value) in words up to twelve, digits above (traced): 'fyra'."""
        words = number_in_words(self.number(figure_id), gender=gender)
        return self._number_traced(figure_id) if words[:1].isdigit() else Markdown(words)

    def counted(self, figure_id: str, singular: str, plural: str, *, gender: str = "en") -> Markdown:
        """The count in words (see :meth:`count_in_words`) and the noun it counts, in the number the
        count takes: 'en kommun', 'två kommuner', so that a wave with another count reads right.

        >>> f = Figures.load()
        >>> str(f.counted("method.supplement_no_children", "kommun", "kommuner"))
        'en kommun'
        >>> str(f.counted("method.supplement_no_answer", "kommun", "kommuner"))
        'två kommuner'
        """
        noun = singular if self.number(figure_id) == 1 else plural
        return TracedText.join(self.count_in_words(figure_id, gender=gender), " " + noun)

    @shown
    def count_in_words_unless_zero(self, figure_id: str, words: str, *, gender: str = "en",
                                   noun: tuple[str, str] | None = None) -> str:
        """``words`` with ``{}`` replaced by the count in words, or nothing when the count is zero.

        For a clause of ``report.qmd`` that only a wave with some of the thing should have
        (', samt två kommuner som lämnat frågan obesvarad'): the words stay in the report,
        the count decides whether they are shown. With ``noun`` (singular, plural), ``{}`` is
        the count and the noun in the number the count takes ('en kommun', 'två kommuner').

        Examples
        --------
        >>> f = Figures.load()
        >>> f.count_in_words_unless_zero("method.supplement_no_answer", ", samt {} kommuner som ...")
        ', samt två kommuner som ...'
        >>> f.count_in_words_unless_zero("method.supplement_no_answer", ", samt {} som ...",
        ...                              noun=("kommun", "kommuner"))
        ', samt två kommuner som ...'
        """
        if words.count("{}") != 1:
            raise ValueError(f"words ({words!r}) must hold '{{}}' exactly once, where the count goes")
        count = self.number(figure_id)
        if not count:
            return ""
        counted = number_in_words(count, gender=gender)
        if noun is not None:
            counted += " " + (noun[0] if count == 1 else noun[1])
        return words.replace("{}", counted)

    def base_in_words(self, figure_id: str, *, gender: str = "en") -> Markdown:
        """The base in words up to twelve, digits above (traced): 'fyra' in 'två av de fyra'."""
        words = number_in_words(self.raw(figure_id, "base"), gender=gender)
        return self.base(figure_id) if words[:1].isdigit() else Markdown(words)

    def value_in_words(self, figure_id: str) -> Markdown:
        """A whole value in words up to twelve ('sex' months), digits otherwise (traced)."""
        value = self.raw(figure_id, "value")
        words = number_in_words(value) if value.is_integer() and value >= 0 else fmt_num(value)
        return self.traced(figure_id, "value", decimals=0 if value.is_integer() else 1) \
            if words[:1].isdigit() else Markdown(words)

    @shown
    def ordinal(self, figure_id: str) -> str:
        """The value as a Swedish ordinal: 'tredje'."""
        try:
            return ordinal_in_words(self.raw(figure_id, "value"))
        except ValueError as exc:
            raise ValueError(f"{figure_id}: {exc}") from None

    def verbal(self, figure_id: str) -> Markdown:
        """The publication's words for the figure: 'drygt hälften' (traced when they hold digits: 'cirka 5 000')."""
        words = self.row(figure_id).verbal
        if words is None:
            raise ValueError(f"{figure_id} has no verbal quantity in published_figures.csv")
        if any(c.isdigit() for c in str(words)):
            return ShownValue(self.values.figure(figure_id, "verbal", formatted=unbroken_numbers(words)))
        return Markdown(str(words))

    @shown
    def period(self, figure_id: str) -> str:
        """The period the figure describes, as published_figures.csv gives it: '2008'."""
        return self.row(figure_id).period

    def change(self, before: str, after: str):
        """:func:`~sbm_stats.estimation.compare.census_change` between two figures, years from their periods."""
        from ..estimation.compare import census_change

        return census_change(self.number(before), self.number(after), start=self.year(before), end=self.year(after))

    def growth(self, before: str, after: str, *, decimals: int = 0) -> ShownValue:
        """The relative change between two figures, traced with its computation: '45 %'."""
        change = self.change(before, after)
        inputs = {"after": self._number_traced(after).value, "before": self._number_traced(before).value}
        value = self.values.derive(f"growth:{before}:{after}" + (f":{decimals}" if decimals else ""),
                                   change.relative, "{after} / {before} − 1", inputs=inputs,
                                   formatted=fmt_pct(change.relative, decimals=decimals))
        return ShownValue(self.values.claim_on(value, (before, after), kinds=("growth",)))

    def per_year(self, before: str, after: str, *, decimals: int = 0) -> ShownValue:
        """The absolute change per year between the figures' years, traced: '1 023'."""
        change = self.change(before, after)
        inputs = {"after": self._number_traced(after).value, "before": self._number_traced(before).value}
        value = self.values.derive(f"per_year:{before}:{after}" + (f":{decimals}" if decimals else ""),
                                   change.per_year, f"({{after}} − {{before}}) / {change.end - change.start}",
                                   inputs=inputs, formatted=fmt_num(change.per_year, decimals=decimals))
        return ShownValue(self.values.claim_on(value, (before, after), kinds=("per_year",)))

    # ------------------------------------------------------------------ figures drawn from them

    def plot_bme(self):
        """Boverket's national figures 2008 and 2013, both sources for 2008."""
        from . import plots

        f = self.table
        municipalities = f.loc[["bme.municipalities_2008", "bme.municipalities_2013"]]
        flats = f.loc[[*_FLATS_PUBLISHED, *_FLATS_BOVERKET]].assign(
            series=["published"] * len(_FLATS_PUBLISHED) + ["summary"] * len(_FLATS_BOVERKET))
        return plots.bme_national(municipalities, flats)

    def plot_sos(self):
        """Socialstyrelsen's counts of persons in situation 3, 2005 and 2011."""
        from . import plots

        return plots.situation3(self.table.loc[["sos.situation3_2005", "sos.situation3_2011"]])
