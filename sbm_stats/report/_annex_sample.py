"""The design annex's table of the sample drawn on the SYNTHETIC frame, each reason's numbers traced.

A selected municipality's reason is read from its fields
(:class:`~sbm_stats.sampling._reason.Reason`: stage, variable, measure, rank, value,
list sizes), never from the sampling's sentence: the words come from
:func:`~sbm_stats.sampling._reason.reason_parts`, and each number in them is replaced by
the traced value it stands for (a frame cell, the design file's size, a count of the
list), checked against the field it replaces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..sampling._reason import Slot, reason_parts
from ._annex_inputs import DesignInputs, short
from ._annex_values import DesignValues
from .formatting import fmt_int, fmt_num
from .values import ShownValue, TracedText, TracedValue, traced_frame, traced_table

__all__ = ["SampleTable"]


@dataclass(frozen=True)
class SampleTable:
    """SYNTHETIC: the drawn sample with stage, reason, random number and probabilities; traced cells."""

    inputs: DesignInputs
    traced: DesignValues

    def table(self) -> pd.DataFrame:
        """The sample, one row per selected municipality, in selection order."""
        inputs, traced = self.inputs, self.traced
        stage_names = {st.id: short(st.label) for st in inputs.design.stages}
        seed = traced.seed
        stages, names, reasons, numbers, probabilities, weights = [], [], [], [], [], []
        for unit in inputs.sample.units:
            code = unit.municipality_code
            stages.append(stage_names[unit.stage])
            names.append(unit.municipality_name)
            reasons.append(self._reason(unit))
            if pd.notna(unit.random_number):
                stage = f" och steget {unit.stage}" if inputs.design.random_numbers == "per_stage" else ""
                numbers.append(ShownValue(traced.values.derive(
                    f"sample:{code}:random_number", float(unit.random_number),
                    f"permanent slumptal ur fröet {{seed}}, kommunkoden {code}{stage} (kryptografisk hashfunktion)",
                    inputs={"seed": seed}, formatted=fmt_num(unit.random_number, decimals=4))))
            else:
                numbers.append("–")
            p = traced.probability(code, unit.inclusion_probability, decimals=3)
            probabilities.append(ShownValue(p))
            weights.append(ShownValue(traced.values.derive(
                f"sample:{code}:weight", float(unit.design_weight), "1 / {p}", inputs={"p": p},
                formatted=fmt_num(unit.design_weight, decimals=1))))
        out = traced_frame({
            "Steg": stages,
            "Kommun": names,
            "Skäl": reasons,
            "Slumptal": numbers,
            "Sannolikhet": probabilities,
            "Vikt": weights,
        })
        out.attrs["synthetic"] = True
        return out

    def show(self):
        """:meth:`table` as the report shows it: a markdown table of traced cells.

        The stage leads its reason in one column ("Kronofogden – högst antal …"): with a
        column of its own, the minimum widths of the stage, the municipality and the three
        numbers (each its longest word, render/_tables.py) took 71 of the page's 96
        characters and left the reason 21, nine lines for the longest one; in one column
        with the reason it has 42.
        """
        table = self.table()
        reasons = [TracedText.join(stage, " – ", reason) for stage, reason in zip(table["Steg"], table["Skäl"])]
        shown = table.drop(columns=["Steg", "Skäl"])
        # object, not inferred: pandas 3 with pyarrow makes a column of str its own string type,
        # and each cell a plain str, without its traced values (Tabell 7's numbers went untraced)
        shown.insert(1, "Steg och skäl", pd.Series(reasons, index=shown.index, dtype=object))
        return traced_table(shown, index=False)

    def _reason(self, unit):
        """A unit's reason as the table shows it: the sampling's words, each number a traced value."""
        parts = reason_parts(unit.basis, with_list=False)
        slots = [p.name for p in parts if isinstance(p, Slot)]
        if not slots:
            return "".join(parts)
        values = self._slot_values(unit)
        return TracedText.join(*(values[p.name] if isinstance(p, Slot) else p for p in parts))

    def _slot_values(self, unit) -> dict[str, TracedValue]:
        """The traced value of each number a unit's reason names, checked against its field."""
        reason = unit.basis
        if reason.stage_kind == "random":
            out = {"draw_size": self.traced.stage_size(unit.stage), "pool_size": self._pool(unit.stage)}
            expected = {"draw_size": reason.draw_size, "pool_size": reason.pool_size}
        elif reason.stage_kind == "extremes":
            out, expected = self._extreme_values(unit)
        else:
            raise ValueError(f"stage {unit.stage!r} of kind {reason.stage_kind!r} has numbers in its reason, "
                             "which the annex cannot trace")
        for name, raw in expected.items():
            if not math.isclose(float(out[name].raw), float(raw), rel_tol=1e-12, abs_tol=1e-12):
                raise ValueError(f"the reason of {unit.municipality_name} gives {name} {raw}, but the traced "
                                 f"value is {out[name].formatted}")
        return out

    def _pool(self, stage_id: str) -> TracedValue:
        """What a random stage drew among: its list, less those taken before it when it excludes them."""
        inputs, traced = self.inputs, self.traced
        stage = inputs.stage(stage_id)
        frame = inputs.frame
        on_list = set(frame.municipality_code[stage.eligible.evaluate(frame)])
        listed = traced.values.derive(f"design:{stage_id}:list_count", len(on_list),
                                      f"antal kommuner i den SYNTETISKA ramen {traced.frame_file} som uppfyller "
                                      f"villkoret för steget {stage_id} i designfilen {traced.design_file}",
                                      inputs={}, fmt=fmt_int)
        if not stage.exclude_selected:
            return listed
        units = inputs.sample.units
        first = min(u.order for u in units if u.stage == stage_id)
        earlier = {u.municipality_code for u in units if u.order < first}
        taken = traced.values.derive(f"design:{stage_id}:taken_before", len(on_list & earlier),
                                     "antal kommuner på listan som tidigare steg redan valt", inputs={}, fmt=fmt_int)
        return traced.values.derive(f"design:{stage_id}:left_on_list", len(on_list - earlier),
                                    "{listed} − {taken}", inputs={"listed": listed, "taken": taken}, fmt=fmt_int)

    def _extreme_values(self, unit) -> tuple[dict[str, TracedValue], dict[str, float]]:
        """An extremes pick's per, rank and value, traced to the frame and the design file."""
        reason, code, traced = unit.basis, unit.municipality_code, self.traced
        column = reason.variable
        count = traced.frame_value(code, column)
        expected: dict[str, float] = {"count": reason.count}
        out: dict[str, TracedValue] = {"count": count}
        if reason.measure == "per_inhabitant":
            population = traced.frame_value(code, self.inputs.extremes().population)
            per = traced.per()
            raw = count.raw / population.raw * per.raw
            out["per"], out["value"] = per, traced.values.derive(
                f"frame:{code}:{column}:per_inhabitant", raw, "{count} / {population} × {per}",
                inputs={"count": count, "population": population, "per": per},
                formatted=fmt_num(raw, decimals=reason.decimals))
            expected.update(per=reason.per, value=reason.value, population=reason.population)
            out["population"] = population
            rank_id, ordered_by = f"frame:{code}:{column}:per_inhabitant:rank", "{value} per invånare"
        else:
            out["value"] = count
            expected["value"] = reason.value
            rank_id, ordered_by = f"frame:{code}:{column}:rank", "{value}"
        if reason.rank > 1:  # the words name the rank only when earlier selections were passed
            out["rank"] = traced.values.derive(
                rank_id, reason.rank, f"plats i den SYNTETISKA ramen ordnad efter {ordered_by} ({column}), "
                "störst först, lika värden i kommunkodens ordning", inputs={"value": out["value"]}, fmt=fmt_int)
        return out, expected
