"""The audit of the publication's quantitative claims, as the report shows it."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pandas as pd

from ..data._package import DataPackage
from .formatting import cap, fmt_int, number_in_words, shown

__all__ = ["AuditSummary"]


@dataclass(frozen=True)
class AuditSummary:
    """:func:`~sbm_stats.audit.audit` run once on the data package ``package``."""

    package: DataPackage

    @functools.cached_property
    def result(self):
        """The :class:`~sbm_stats.audit.AuditResult`."""
        from ..audit._claims import audit

        return audit(self.package)

    @functools.cached_property
    def _counts(self) -> dict[str, int]:
        return self.result.counts()

    @property
    @shown
    def claims(self) -> str:
        """How many claims were checked, in digits."""
        return fmt_int(len(self.result.claims))

    @property
    @shown
    def consistent(self) -> str:
        """How many hold, in digits."""
        return fmt_int(self._counts["consistent"])

    @property
    @shown
    def inconsistent(self) -> str:
        """How many do not hold, in digits."""
        return fmt_int(self._counts["inconsistent"])

    @property
    @shown
    def not_verifiable(self) -> str:
        """How many cannot be checked with the data, in digits."""
        return fmt_int(self._counts["not verifiable"])

    @property
    @shown
    def source_conflicts(self) -> str:
        """How many of the discrepancies are figures two sources give differently, in words,
        capitalised (it starts a sentence)."""
        n = sum(c.kind == "same_figure" and c.verdict == "inconsistent" for c in self.result.claims)
        return cap(number_in_words(n))

    def table(self) -> pd.DataFrame:
        """The full audit, one row per claim, in Swedish."""
        from ..audit._claims import VERDICTS_SV

        a = self.result.to_frame()
        return pd.DataFrame({
            "Påstående": [f"{c} ({r})" if r else c for c, r in zip(a.claim, a.reading)],
            "Publicerat": a.published.to_numpy(),
            "Omräknat": a.recomputed.to_numpy(),
            "Utfall": [VERDICTS_SV[v] for v in a.verdict],
            "Regel och uträkning": [d if r in ("", "–") else f"{r}: {d}" for r, d in zip(a.rule, a.detail)],
        })
