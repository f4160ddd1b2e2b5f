"""The wave's interviews: who was asked, who answered, and what they answered."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pandas as pd

from ..data._loaders import load_published_sample
from ._figures import Figures
from .formatting import fmt_count_of, fmt_int, join_sv, shown, sv_sort_key
from .values import traced_frame, traced_table

__all__ = ["Interviews"]

_GROUP_SV = {"fixed_large": "Fast vald (stor kommun)", "other_selected": "Övriga steg"}


@dataclass(frozen=True)
class Interviews:
    """The municipalities asked in the wave (the package's published sample) and the interview counts.

    The counts are the rows of ``published_figures.csv`` on the wave's interviews (topic
    ``interview``, period the package's wave) that have both a count and a stated base,
    in the publication's order.
    """

    figures: Figures

    @property
    @shown
    def wave(self) -> str:
        """The wave's year, as the data package's descriptor gives it: '2014'."""
        return self.figures.package.wave

    @functools.cached_property
    def population_column(self) -> str:
        """The population the sample table shows: the package's ``municipalities`` column
        ``population_<year>`` of the latest year before the wave (2014: ``population_2013``,
        31 December of the year before the interviews)."""
        package = self.figures.package
        wave = int(package.wave)
        years = [int(m.group(1)) for c in package.table("municipalities").columns
                 if (m := re.fullmatch(r"population_([0-9]{4})", c)) and int(m.group(1)) < wave]
        if not years:
            table = package.display(package.path / "municipalities.csv")
            raise ValueError(f"{table}: the table has no column "
                             f"population_<year> of a year before the wave {wave}")
        return f"population_{max(years)}"

    @property
    @shown
    def population_year(self) -> str:
        """The year of the population the sample table shows: '2013'."""
        return self.population_column.rsplit("_", 1)[1]

    @property
    @shown
    def population_date(self) -> str:
        """The date of the population the sample table shows (SCB counts it at the turn of the year):
        '31 december 2013'."""
        return f"31 december {self.population_column.rsplit('_', 1)[1]}"

    @functools.cached_property
    def asked(self) -> pd.DataFrame:
        """One row per municipality asked, with county and population (:attr:`population_column`)."""
        package = self.figures.package
        s = load_published_sample(package)
        m = package.table("municipalities").set_index("municipality_code")
        return s.join(m[["county_name", self.population_column]], on="municipality_code")

    @functools.cached_property
    def results(self) -> pd.DataFrame:
        """The interview counts with their bases (a count whose base the text leaves open is left out)."""
        f = self.figures.table
        of_wave = (f.topic == "interview") & (f.period == self.figures.package.wave)
        rows = f[of_wave & f["count"].notna() & f["base"].notna()]
        return rows[~rows.index.duplicated()].reset_index()

    @property
    def interviewed(self) -> int:
        """How many municipalities were interviewed (the base of the main results)."""
        return int(self.figures.raw("method.interviewed", "count"))

    @shown
    def names(self, group: str) -> str:
        """The municipalities of a publication group, as a Swedish list."""
        known = sorted(set(self.asked.publication_group))
        if group not in known:
            raise ValueError(f"group ({group!r}) must be one of: {', '.join(known)}")
        return join_sv(self.asked.loc[self.asked.publication_group == group, "municipality_name"])

    @shown
    def declined(self) -> str:
        """The municipalities that were asked but not interviewed, as a Swedish list."""
        return join_sv(self.asked.loc[~self.asked.interviewed.astype(bool), "municipality_name"])

    def table_sample(self) -> pd.DataFrame:
        """The municipalities asked: county, population (the year before the wave), group, interviewed.

        The code and the population are traced to the municipality's row of ``municipalities``.
        """
        s = self.asked.sort_values(["publication_group", "municipality_name"], key=sv_sort_key)
        registry = self.figures.values
        codes = list(s.municipality_code)
        return traced_frame({
            "Kommun": s.municipality_name.to_numpy(),
            "Kommunkod": [registry.read("municipalities", c, "municipality_code", formatted=str(c)) for c in codes],
            "Län": s.county_name.to_numpy(),
            f"Folkmängd {self.population_year}": list(registry.column("municipalities", self.population_column,
                                                                      rows=codes, fmt=fmt_int)),
            "Grupp": [_GROUP_SV[g] for g in s.publication_group],
            "Intervjuad": ["ja" if x else "nej (avböjde)" for x in s.interviewed],
        })

    def show_sample(self):
        """:meth:`table_sample` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table_sample(), index=False)

    def counts_of(self) -> list[str]:
        """'16 av 29' for every result."""
        return [fmt_count_of(int(c), int(b)) for c, b in zip(self.results["count"], self.results["base"])]
