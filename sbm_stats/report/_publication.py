"""The publication's own tables and figure, and the data package's sources."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pandas as pd

from .._markup import escape_markdown, link_target, markdown_code, markdown_link
from ..data._package import DataPackage
from .formatting import Markdown, trusted_markdown

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

    def sources_markdown(self) -> Markdown:
        """The data package's sources as a Markdown list in Swedish (``citation_sv``), each with a
        link to its address and, last, its id in the package (the id the values appendix names).

        The id, citation and address are text, as written in ``sources.csv``; an address
        is a link only when it is an ``http(s)`` URL, and shown as text otherwise.
        """
        items = []
        for row in self.package.table("sources").itertuples():
            link = ""
            if isinstance(row.url, str) and row.url.strip():
                target = link_target(row.url)
                link = " " + (markdown_link(_host(target), target) if target else escape_markdown(row.url))
            items.append(f"- {escape_markdown(str(row.citation_sv))}{link} ({markdown_code(str(row.source_id))})")
        return trusted_markdown("\n".join(items))


def _host(url: str) -> str:
    """'https://www.boverket.se/sv/...' -> 'boverket.se'."""
    return (urlsplit(url).hostname or url).removeprefix("www.")
