"""The design annex's numbers as traced values: each to the design file, the frame or a computation.

:class:`DesignValues` makes, in the report's :class:`~sbm_stats.report.values.ValueRegistry`,
a stage's size (traced to its key in the design file or an alternative's change of it),
a cell of the SYNTHETIC frame (its row and column), the scale of "per inhabitant", an
exact inclusion probability (its computation's inputs), the seed and the number of
variants. The other parts of the annex show these values; none traces a number itself.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

from ._annex_inputs import DesignInputs, id_part
from .formatting import fmt_id, fmt_int, fmt_num, join_sv
from .values import TracedText, TracedValue, ValueRegistry, ValueSource

__all__ = ["DesignValues", "SHOWN_NAMES"]

#: How many names a group of municipalities shows before 'och N till'.
SHOWN_NAMES = 6


@dataclass(frozen=True)
class DesignValues:
    """The traced numbers of the design annex, in the registry ``values``."""

    inputs: DesignInputs
    values: ValueRegistry

    @functools.cached_property
    def design_file(self) -> str:
        """The design file as the package shows it."""
        return self.inputs.package.display(self.inputs.design.path)

    @functools.cached_property
    def frame_file(self) -> str:
        """The SYNTHETIC frame's file as the package shows it."""
        return self.inputs.package.display(self.inputs.package.demo_frame_path)

    @functools.cached_property
    def design_source(self) -> ValueSource:
        return ValueSource(self.design_file, f"Designfilen {self.design_file} i datapaketet.")

    @functools.cached_property
    def frame_source(self) -> ValueSource:
        return ValueSource(self.frame_file, f"SYNTETISK demonstrationsram {self.frame_file} i datapaketet "
                                            "(påhittade uppgifter, inte verkliga).")

    @functools.cached_property
    def probability_source(self) -> ValueSource:
        return ValueSource("inclusion_probabilities",
                           "Exakt inklusionssannolikhet (sbm_stats.sampling.inclusion_probabilities), beräknad "
                           f"ur designfilen {self.design_file} och den SYNTETISKA ramen {self.frame_file}.")

    @functools.cached_property
    def seed(self) -> TracedValue:
        """The report's seed."""
        return self.values.given("parameter:seed", self.inputs.seed, fmt=fmt_id, source=ValueSource(
            "seed", "Rapportens parameter seed (fröet till de permanenta slumptalen)."))

    def stage_size(self, stage_id: str, alternative: str | None = None) -> TracedValue:
        """A stage's size, traced to its key in the design file (or to the alternative's change of it)."""
        inputs = self.inputs
        design = inputs.variant(alternative) if alternative else inputs.design
        size = inputs.size_of(stage_id, design)
        if alternative is None:
            # a random stage gives its size; a certainty stage lists its municipalities; an extremes stage
            # picks one per variable and measure
            kind = inputs.stage(stage_id).kind
            key = {"certainty": "codes (antal)", "extremes": "variables × measures"}.get(kind, "size")
            return self.values.given(f"design:{stage_id}:size", size, source=self.design_source,
                                     table=self.design_file, row=f"stages.{stage_id}", column=key, fmt=fmt_int)
        assumption = inputs.alternative(alternative)
        changed = "size" in ((assumption.changes.get(alternative) or {}).get("stages") or {}).get(stage_id, {})
        if not changed:
            return self.stage_size(stage_id)
        return self.values.given(f"design:{alternative}:{stage_id}:size", size, source=self.design_source,
                                 table=self.design_file, column="size",
                                 row=f"open_assumptions.{assumption.id}.{alternative}.stages.{stage_id}", fmt=fmt_int)

    def sum_of_sizes(self, value_id: str, stages) -> TracedValue:
        """The sizes of ``stages`` added up, traced."""
        sizes = {f"s{i}": self.stage_size(stage.id) for i, stage in enumerate(stages)}
        return self.values.derive(value_id, sum(v.raw for v in sizes.values()),
                                  " + ".join(f"{{{k}}}" for k in sizes) or "0", inputs=sizes, fmt=fmt_int)

    @functools.cached_property
    def total(self) -> TracedValue:
        """The number of municipalities the design gives: the sum of the stage sizes."""
        return self.sum_of_sizes("design:total", self.inputs.design.stages)

    def frame_value(self, code: str, column: str, *, formatted: str | None = None) -> TracedValue:
        """A cell of the SYNTHETIC frame, traced to its row (municipality code) and column."""
        raw = self.inputs.frame.set_index("municipality_code").loc[code, column]
        raw = raw.item() if hasattr(raw, "item") else raw
        return self.values.given(f"frame:{code}:{column}", raw, source=self.frame_source, table=self.frame_file,
                                 row=code, column=column, formatted=formatted, fmt=fmt_int)

    def per(self) -> TracedValue:
        """The scale of "per inhabitant", traced to the extremes stage's ``per`` in the design file."""
        stage = self.inputs.extremes()
        return self.values.given(f"design:{stage.id}:per", stage.per, source=self.design_source,
                                 table=self.design_file, row=f"stages.{stage.id}", column="per", fmt=fmt_int)

    def probability(self, code: str, raw: float, *, decimals: int, design_name: str = "designen") -> TracedValue:
        """An exact inclusion probability of a municipality, traced to its computation's inputs."""
        suffix = "" if design_name == "designen" else ":" + id_part(design_name)
        return self.values.given(f"inclusion:{code}{suffix}:d{decimals}", float(raw), source=self.probability_source,
                                 table=self.frame_file, row=code, column=f"sannolikhet, {design_name}",
                                 formatted=fmt_num(raw, decimals=decimals))

    @functools.cached_property
    def variant_count(self) -> TracedValue:
        """How many combinations of the open assumptions: the product of each one's choices in the design file."""
        choices = {}
        for a in self.inputs.design.open_assumptions:
            choices[f"a{len(choices)}"] = self.values.given(
                f"design:{a.id}:choices", 1 + len(a.alternatives), source=self.design_source,
                table=self.design_file, row=f"open_assumptions.{a.id}", column="default och alternatives",
                fmt=fmt_int)
        sensitivity = self.inputs.sensitivity
        n = len(sensitivity.variants) + len(sensitivity.infeasible)
        if n != math.prod(v.raw for v in choices.values()):
            raise ValueError(f"{self.design_file}: the sensitivity has {n} variants, not the product of the "
                             "open assumptions' choices")
        return self.values.derive("design:variant_count", n, " × ".join(f"{{{k}}}" for k in choices) or "1",
                                  inputs=choices, fmt=fmt_int)

    @functools.cached_property
    def infeasible_count(self) -> TracedValue:
        """How many combinations of the open assumptions cannot be carried out on the frame."""
        return self.values.derive(
            "design:variants_infeasible", len(self.inputs.sensitivity.infeasible),
            f"antal varianter av designen som inte kan genomföras på den SYNTETISKA ramen {self.frame_file}",
            inputs={}, fmt=fmt_int)

    @functools.cached_property
    def variants_drawn(self) -> TracedValue:
        """How many combinations were carried out: all of them, less those the frame does not allow."""
        if not self.inputs.sensitivity.infeasible:
            return self.variant_count
        return self.values.derive(
            "design:variants_drawn", self.variant_count.raw - self.infeasible_count.raw, "{all} − {infeasible}",
            inputs={"all": self.variant_count, "infeasible": self.infeasible_count}, fmt=fmt_int)

    def group(self, table: str, names: list[str], codes: list[str]) -> tuple[str, Any, TracedValue]:
        """A group of municipalities with one profile: its id (the first code), its names (with a traced
        'N till' when they are many) and its traced size."""
        key = f"{table}:{sorted(codes)[0]}"
        size = self.values.derive(f"{key}:count", len(codes), f"antal kommuner med samma mönster i {table}",
                                  inputs={}, fmt=fmt_int)
        if len(names) <= SHOWN_NAMES:
            return key, join_sv(sorted(names)), size
        more = self.values.derive(f"{key}:more", len(codes) - SHOWN_NAMES,
                                  f"{{size}} − {SHOWN_NAMES} (de namn som visas)", inputs={"size": size}, fmt=fmt_int)
        return key, TracedText.join(", ".join(sorted(names)[:SHOWN_NAMES]) + " och ", more, " till"), size
