"""The design annex's tables of the design itself: its stages, and its open assumptions.

:class:`DesignTables` writes the design file's stages (kind, size, condition and rule,
order) and its open assumptions (the design's choice and the runnable alternatives) as
tables of traced cells; every word comes from the design file (:mod:`._annex_text`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ._annex_inputs import DesignInputs, quoted, short
from ._annex_text import ALREADY_SELECTED_SV, TIES_SV, DesignText
from ._annex_values import DesignValues
from .formatting import fmt_int, join_sv
from .values import ShownValue, TracedText, traced_frame, traced_table

__all__ = ["DesignTables", "joined"]

_KIND_SV = {
    "certainty": "fast urval",
    "extremes": "högst värde",
    "random": "slumpmässigt (obundet inom steget; sannolikheterna skiljer inom listan)",
}
_ANSWER_SV = {"yes": "ja", "no": "nej", "no_answer": "inget svar"}
_OP_SV = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def joined(parts, separator: str) -> TracedText:
    """Texts and traced texts joined with ``separator``, keeping each one's traced values."""
    pieces = []
    for part in parts:
        pieces += [part, separator]
    return TracedText.join(*pieces[:-1])


@dataclass(frozen=True)
class DesignTables:
    """The design's stages and its open assumptions as tables of traced cells."""

    inputs: DesignInputs
    traced: DesignValues
    text: DesignText

    # ------------------------------------------------------------------ the stages

    def _rule(self, stage):
        if stage.kind == "extremes":
            rule = stage.label.split(":", 1)[-1].strip()
            rule += f"; om kommunen redan är vald: {ALREADY_SELECTED_SV[stage.already_selected]}"
            ties = f"; lika värden: {TIES_SV[stage.ties]}"
            if "per_inhabitant" in stage.measures:
                title = self.inputs.titles().get(stage.population, stage.population)
                return TracedText.join(rule + "; per ", self.traced.per(),
                                       f" invånare ({title[:1].lower()}{title[1:]})" + ties)
            return rule + ties
        if stage.kind == "random":
            rule = stage.label.split(":", 1)[-1].strip()
            return rule + ("; redan valda utesluts" if stage.exclude_selected else "")
        return "–"

    def _order(self, stage) -> str:
        if stage.kind == "extremes":
            return self.text.pick_order
        if stage.kind == "random":
            traced = self.traced
            order = self.inputs.design.random_order
            place = traced.values.given(f"design:random_order:{stage.id}", order.index(stage.id) + 1,
                                        source=traced.design_source, table=traced.design_file, row="random_order",
                                        column=stage.id, fmt=fmt_int)
            count = traced.values.derive("design:random_order:count", len(order),
                                         f"antal steg i random_order i designfilen {traced.design_file}", inputs={},
                                         fmt=fmt_int)
            return TracedText.join("dras som nummer ", place, " av ", count)
        return "–"

    def table_design(self) -> pd.DataFrame:
        """The design stage by stage: kind, size, eligibility, rule and order; traced cells."""
        stages = self.inputs.design.stages
        return traced_frame({
            "Steg": [short(stage.label) for stage in stages],
            "Typ": [_KIND_SV[stage.kind] for stage in stages],
            "Antal": [ShownValue(self.traced.stage_size(stage.id)) for stage in stages],
            "Villkor och regel": [self._rule(stage) for stage in stages],
            "Ordning": [self._order(stage) for stage in stages],
        })

    def show_design(self):
        """:meth:`table_design` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table_design(), index=False)

    # ------------------------------------------------------------------ the open assumptions

    def _describe(self, change: dict[str, Any], design, alternative: str | None = None) -> TracedText:
        """A change of the design file in Swedish, with the values ``design`` has at its paths."""
        parts = []
        if "random_order" in change:
            parts.append("slumpstegen i ordningen " + quoted(short(design.stage(s).label)
                                                             for s in design.random_order))
        titles = self.inputs.titles(design)
        for stage_id, fields in (change.get("stages") or {}).items():
            stage = design.stage(stage_id)
            for key in fields:
                if key == "already_selected":
                    text = f"redan vald: {ALREADY_SELECTED_SV[stage.already_selected]}"
                elif key == "size":
                    text = TracedText.join(self.traced.stage_size(stage_id, alternative), " kommuner")
                elif key == "eligible":
                    text = "lista: " + _condition_sv(stage.eligible.tree, titles)
                elif key == "variable_order":
                    labels = {v.column: v.label for v in stage.variables}
                    text = "variablerna i ordningen " + join_sv(labels[c] for c in stage.variable_order)
                else:
                    text = f"{key}: {getattr(stage, key, '')}"
                parts.append(TracedText.join(f"{short(stage.label)}: ", text))
        return joined(parts, "; ")

    def _choice(self, assumption, choice: str) -> str:
        if choice == assumption.default:
            first = assumption.alternatives[0]
            return self._describe(assumption.changes[first], self.inputs.design)
        return self._describe(assumption.changes[choice], self.inputs.variant(choice), choice)

    def table_assumptions(self) -> pd.DataFrame:
        """The open assumptions with a runnable alternative: the design's choice and the others; traced cells."""
        assumptions = self.inputs.design.open_assumptions
        return traced_frame({
            "Antagande": [a.tag for a in assumptions],
            "I designen": [self._choice(a, a.default) for a in assumptions],
            "Alternativ": [joined([self._choice(a, alt) for alt in a.alternatives], " | ") for a in assumptions],
        })

    def show_assumptions(self):
        """:meth:`table_assumptions` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table_assumptions(), index=False)


def _condition_sv(node, titles: dict[str, str]) -> str:
    """An eligibility condition in words: each column by its title, each answer in Swedish."""
    if hasattr(node, "operands"):
        joined_by = f" {'och' if node.op == 'and' else 'eller'} "
        return joined_by.join(_condition_sv(x, titles) for x in node.operands)
    if hasattr(node, "operand"):
        return f"inte ({_condition_sv(node.operand, titles)})"
    values = [_ANSWER_SV.get(v, str(v)) for v in node.values]
    if node.op in ("in", "not in"):
        among = "bland" if node.op == "in" else "inte bland"
        return f"{titles.get(node.column, node.column)} {among} {join_sv(values)}"
    return f"{titles.get(node.column, node.column)} {_OP_SV.get(node.op, node.op)} {values[0]}"
