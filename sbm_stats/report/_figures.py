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

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..data._loaders import _resolve, load_published_figures
from .formatting import fmt_int, fmt_num, fmt_pct, number_in_words, ordinal_in_words, shown

__all__ = ["Figures"]


@dataclass(frozen=True)
class Figures:
    """The rows of ``published_figures.csv`` of one data package, by ``figure_id``.

    Attributes
    ----------
    table : pandas.DataFrame
        The figures, indexed by ``figure_id``.
    data_dir : pathlib.Path
        The data package they were read from.
    """

    table: pd.DataFrame
    data_dir: Path

    @classmethod
    def load(cls, data_dir: str | Path | None = None) -> Figures:
        """Read the figures of the data package ``data_dir`` (the bundled one if None)."""
        folder = _resolve(data_dir)
        return cls(load_published_figures(folder).set_index("figure_id"), folder)

    # ------------------------------------------------------------------ raw values

    def row(self, figure_id: str) -> pd.Series:
        """The figure's row; a KeyError naming the id if there is none."""
        if figure_id not in self.table.index:
            raise KeyError(f"figure_id ({figure_id!r}) is not in published_figures.csv of {self.data_dir}")
        return self.table.loc[figure_id]

    def raw(self, figure_id: str, column: str) -> float:
        """The figure's ``count``, ``base`` or ``value`` as a float; an error if it has none."""
        value = self.row(figure_id)[column]
        if pd.isna(value):
            raise ValueError(f"{figure_id} has no {column} in published_figures.csv")
        return float(value)

    def number(self, figure_id: str) -> float:
        """The figure's count, or its value when it has no count."""
        return self.raw(figure_id, "count" if pd.notna(self.row(figure_id)["count"]) else "value")

    def year(self, figure_id: str) -> int:
        """The first year of the figure's period ('2008' -> 2008)."""
        return int(str(self.row(figure_id)["period"])[:4])

    # ------------------------------------------------------------------ shown in the prose

    @shown
    def count(self, figure_id: str) -> str:
        """The count in digits: '16'."""
        return fmt_int(self.raw(figure_id, "count"))

    @shown
    def base(self, figure_id: str) -> str:
        """The base in digits: '29'."""
        return fmt_int(self.raw(figure_id, "base"))

    @shown
    def value(self, figure_id: str, *, decimals: int = 0) -> str:
        """The value in digits: '16 386'."""
        return fmt_num(self.raw(figure_id, "value"), decimals=decimals)

    @shown
    def count_in_words(self, figure_id: str, *, gender: str = "en") -> str:
        """The count (or whole value) in words up to twelve, digits above: 'fyra'."""
        return number_in_words(self.number(figure_id), gender=gender)

    @shown
    def base_in_words(self, figure_id: str, *, gender: str = "en") -> str:
        """The base in words up to twelve: 'fyra' in 'två av de fyra'."""
        return number_in_words(self.raw(figure_id, "base"), gender=gender)

    @shown
    def value_in_words(self, figure_id: str) -> str:
        """A whole value in words up to twelve ('sex' months), digits otherwise."""
        value = self.raw(figure_id, "value")
        return number_in_words(value) if value.is_integer() else fmt_num(value)

    @shown
    def ordinal(self, figure_id: str) -> str:
        """The value as a Swedish ordinal: 'tredje'."""
        try:
            return ordinal_in_words(self.raw(figure_id, "value"))
        except ValueError as exc:
            raise ValueError(f"{figure_id}: {exc}") from None

    @shown
    def verbal(self, figure_id: str) -> str:
        """The publication's words for the figure: 'drygt hälften'."""
        words = self.row(figure_id)["verbal"]
        if pd.isna(words):
            raise ValueError(f"{figure_id} has no verbal quantity in published_figures.csv")
        return str(words)

    @shown
    def period(self, figure_id: str) -> str:
        """The period the figure describes, as published_figures.csv gives it: '2008'."""
        return str(self.row(figure_id)["period"])

    def change(self, before: str, after: str):
        """:func:`~sbm_stats.estimation.compare.census_change` between two figures, years from their periods."""
        from ..estimation.compare import census_change

        return census_change(self.number(before), self.number(after), start=self.year(before), end=self.year(after))

    @shown
    def growth(self, before: str, after: str, *, decimals: int = 0) -> str:
        """The relative change between two figures: '45 %'."""
        return fmt_pct(self.change(before, after).relative, decimals=decimals)

    @shown
    def per_year(self, before: str, after: str, *, decimals: int = 0) -> str:
        """The absolute change per year between the figures' years: '1 023'."""
        return fmt_num(self.change(before, after).per_year, decimals=decimals)

    # ------------------------------------------------------------------ figures drawn from them

    def plot_bme(self):
        """Boverket's national figures 2008 and 2013, both sources for 2008."""
        from . import plots

        f = self.table
        municipalities = f.loc[["bme.municipalities_2008", "bme.municipalities_2013"]]
        flats = f[(f.unit == "flats") & f.period.isin(["2008", "2013"])
                  & f.source_id.isin(["socstyr_2015", "boverket_2014_36_summary"])]
        return plots.bme_national(municipalities, flats)

    def plot_sos(self):
        """Socialstyrelsen's counts of persons in situation 3, 2005 and 2011."""
        from . import plots

        return plots.situation3(self.table.loc[["sos.situation3_2005", "sos.situation3_2011"]])
