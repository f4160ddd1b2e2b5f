"""The publication's own tables and figure, and the data package's sources."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..data._package import DataPackage
from .formatting import shown

__all__ = ["Publication"]

_CATEGORY_SV = {"akutboende": "Akutboende", "overgangsboende": "Övergångsboende",
                "langsiktigt_boende": "Långsiktigt boende"}
_LEVEL_SV = {"strukturell": "Strukturell", "institutionell": "Institutionell",
             "relationell": "Relationell", "individuell": "Individuell"}


@dataclass(frozen=True)
class Publication:
    """Tabell 1, Figur 1 and the list of housing solutions, from the data package ``package``."""

    package: DataPackage

    def table_vulnerability(self) -> pd.DataFrame:
        """The publication's Tabell 1: one row per level, its factors joined."""
        t = self.package.table("vulnerability_factors").sort_values(["level_position", "position"])
        rows = t.groupby("level_position", sort=True).agg(level=("level", "first"), factors=("factor_sv", list))
        return pd.DataFrame({
            "Nivå": [_LEVEL_SV[x] for x in rows.level],
            "Sårbarhetsfaktorer": [", ".join(f) for f in rows.factors],
        })

    def table_housing_solutions(self) -> pd.DataFrame:
        """The housing solutions named in the interviews, one column per category."""
        h = self.package.table("housing_solutions").sort_values(["category", "position"])
        columns = {label: list(h.loc[h.category == category, "name_sv"].str.replace('"', "”"))
                   for category, label in _CATEGORY_SV.items()}
        depth = max(len(v) for v in columns.values())
        return pd.DataFrame({k: v + [""] * (depth - len(v)) for k, v in columns.items()})

    def plot_ladder(self):
        """Figur 1: the housing ladder."""
        from . import plots

        return plots.housing_ladder()

    @shown
    def sources_markdown(self) -> str:
        """The data package's sources as a Markdown list in Swedish (``citation_sv``), each with a
        link to its address and, last, its id in the package (the id the values appendix names)."""
        items = []
        for row in self.package.table("sources").itertuples():
            link = f" [{_host(row.url)}]({row.url})" if pd.notna(row.url) else ""
            items.append(f"- {row.citation_sv}{link} (`{row.source_id}`)")
        return "\n".join(items)


def _host(url: str) -> str:
    """'https://www.boverket.se/sv/...' -> 'boverket.se'."""
    return url.split("://", 1)[-1].split("/", 1)[0].removeprefix("www.")
