"""The design annex's inclusion probabilities on the SYNTHETIC frame: counts, ranges and the figure.

:class:`ProbabilityFacts` gives how many probabilities are exact, the range within a
random stage's list, how many of the published municipalities some stage could have
chosen, and the figure of probability against population; every number traced.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._annex_inputs import DesignInputs
from ._annex_values import DesignValues
from .formatting import fmt_int, fmt_num
from .values import ShownValue, TracedText

__all__ = ["ProbabilityFacts"]


@dataclass(frozen=True)
class ProbabilityFacts:
    """SYNTHETIC: the exact inclusion probabilities of the design, what they show and the figure."""

    inputs: DesignInputs
    traced: DesignValues

    def list_probabilities(self, stage_id: str) -> TracedText:
        """The lowest and highest exact inclusion probability within a random stage's list: '0,041 och 0,086'.

        SYNTHETIC frame: the range illustrates the design, it does not describe 2014.
        """
        inputs, traced = self.inputs, self.traced
        stage = inputs.stage(stage_id)
        if stage.kind != "random":
            raise ValueError(f"stage {stage_id!r} is {stage.kind}; only a random stage has a list")
        on_list = set(inputs.frame.municipality_code[stage.eligible.evaluate(inputs.frame)])
        p = inputs.probabilities.loc[inputs.probabilities.municipality_code.isin(on_list), "probability"]
        p = p[p < 1]  # those a fixed or Kronofogden stage takes are not drawn from the list
        low, high = (traced.values.derive(
            f"list:{stage_id}:{which}", float(x), f"{word} exakt inklusionssannolikhet under 1 bland kommunerna på "
            f"listan för steget {stage_id} (SYNTETISK ram {traced.frame_file}, designfilen {traced.design_file})",
            inputs={}, formatted=fmt_num(x, decimals=3)) for which, word, x in (("min", "lägsta", p.min()),
                                                                               ("max", "högsta", p.max())))
        return TracedText.join(low, " och ", high)

    @property
    def published_named(self) -> ShownValue:
        """How many municipalities the publication names, in digits, traced."""
        return ShownValue(self.traced.values.derive(
            "annex:published_named", len(self.inputs.published_check.units),
            f"antal kommuner som publikationen nämner (urvalslistan i datapaketet {self.inputs.package.display_root})",
            inputs={}, fmt=fmt_int))

    @property
    def published_possible(self) -> ShownValue:
        """How many of them some stage could have chosen on the SYNTHETIC frame, in digits, traced."""
        values = self.traced.values
        named = self.published_named.value
        flagged = values.derive("annex:published_flagged", len(self.inputs.published_check.flagged),
                                "antal av dem som inget steg kunde ha valt på den SYNTETISKA ramen", inputs={},
                                fmt=fmt_int)
        return ShownValue(values.derive("annex:published_possible", named.raw - flagged.raw,
                                        "{named} − {flagged}", inputs={"named": named, "flagged": flagged},
                                        fmt=fmt_int))

    @property
    def frame_size(self) -> ShownValue:
        """The municipalities of the frame, in digits, traced."""
        return ShownValue(self.traced.values.derive(
            "annex:frame_size", len(self.inputs.frame),
            f"antal rader i den SYNTETISKA ramen {self.traced.frame_file}", inputs={}, fmt=fmt_int))

    @property
    def exact_count(self) -> ShownValue:
        """How many municipalities have an exact inclusion probability, in digits, traced."""
        return ShownValue(self.traced.values.derive(
            "annex:exact_count", int(self.inputs.probabilities.exact.notna().sum()),
            f"antal kommuner med exakt inklusionssannolikhet (designfilen {self.traced.design_file}, SYNTETISK ram)",
            inputs={}, fmt=fmt_int))

    def plot_inclusion(self):
        """SYNTHETIC: exact inclusion probability against population, the published municipalities marked."""
        from . import plots

        inputs = self.inputs
        p = inputs.probabilities
        population = p.municipality_code.map(inputs.frame.set_index("municipality_code")[inputs.population_column])
        return plots.inclusion_by_population(
            population.astype(float).to_numpy(), p.probability.to_numpy(), synthetic=True,
            highlight=p["asked"].to_numpy(),
            highlight_label=f"Tillfrågade {inputs.package.wave} (verkliga kommuner, syntetiska sannolikheter)")
