"""The comparison of the waves 2008, 2011 and 2013/2014: one row per measure and wave."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pandas as pd

from ._figures import Figures
from .formatting import fmt_period, unbroken_numbers
from .values import ShownValue, TracedText, traced_frame, traced_table

__all__ = ["Waves"]


@dataclass(frozen=True)
class Waves:
    """The measures of ``wave_measures.csv`` with the figures they point to."""

    figures: Figures

    @functools.cached_property
    def measures(self) -> pd.DataFrame:
        """``wave_measures.csv`` with whole-number waves."""
        return self.figures.package.table("wave_measures").assign(wave=lambda d: d.wave.astype(int))

    @functools.cached_property
    def records(self) -> pd.DataFrame:
        """The long table of measures by wave that :func:`~sbm_stats.estimation.compare.wave_table` takes."""
        w, f = self.measures, self.figures.table
        ids = w.figure_id

        def column(name: str) -> list:
            return [f.loc[i, name] if pd.notna(i) else pd.NA for i in ids]

        records = pd.DataFrame({
            "measure": w.measure_id, "wave": w.wave,
            "count": pd.array(column("count"), dtype="Int64"), "base": pd.array(column("base"), dtype="Int64"),
            "value": pd.array(column("value"), dtype="Float64"),
            "missing_reason": w.missing_reason,
        })
        # a figure published only in words has no number to compare: say so
        verbal_only = records["count"].isna() & records["value"].isna() & records["missing_reason"].isna()
        records.loc[verbal_only, "missing_reason"] = [
            f"Anges bara i ord: '{f.loc[i, 'verbal']}'." for i in ids[verbal_only]]
        return records

    def _shown(self, figure_id) -> str:
        """The figure as the table shows it, its numbers traced to ``published_figures``."""
        if pd.isna(figure_id):
            return "–"
        fig = self.figures.table.loc[figure_id]
        f = self.figures
        if pd.notna(fig["count"]) and pd.notna(fig["base"]):
            return TracedText.join(f.count(figure_id), " av ", f.base(figure_id))
        if pd.notna(fig["count"]):
            return f.count(figure_id)
        if pd.notna(fig["value"]):
            return f.value(figure_id)
        return str(fig["verbal"])

    def table(self) -> pd.DataFrame:
        """The comparison table: one row per measure and wave, a reason for every gap."""
        from ..estimation.compare import wave_table

        table = wave_table(self.records).merge(
            self.measures[["measure_id", "wave", "label_sv", "figure_id", "comparability_note"]],
            left_on=["measure", "wave"], right_on=["measure_id", "wave"], how="left")
        periods = self.figures.table["period"]
        return traced_frame({
            "Mått": table.label_sv.to_numpy(),
            "Våg": table.wave.astype(str).to_numpy(),
            "Uppgift": [self._shown(i) for i in table.figure_id],
            "Period": [fmt_period(periods.loc[i]) if pd.notna(i) else "–" for i in table.figure_id],
            "Anmärkning": [self._note(r) for r in table.itertuples()],
        })

    def _note(self, row):
        """The row's gap reason or comparability note; a note of ``wave_measures.csv`` that holds a
        number is traced to its cell (the number is part of the text written there)."""
        if pd.notna(row.missing_reason):
            return row.missing_reason
        note = row.comparability_note or ""
        if not any(c.isdigit() for c in str(note)):
            return note
        return ShownValue(self.figures.values.read("wave_measures", (row.measure_id, int(row.wave)),
                                                   "comparability_note", formatted=unbroken_numbers(note)))

    def show(self):
        """:meth:`table` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table(), index=False)
