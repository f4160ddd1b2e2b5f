"""The design file's own fields in words, for the sentences of ``report.qmd``'s design annex.

Every phrase is read from the design file of the data package (stage sizes, the rule
for an already-selected municipality, how ties are ranked, the ordering of the picks
and draws, the population that "per inhabitant" divides by, the names of the lists, the
open assumptions), so that editing the design file changes the report and never
contradicts it. The sentences around them are in ``report.qmd``, but for one paragraph whose
wording follows the design file (:attr:`DesignText.finite_population_caveat`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from ._annex_inputs import DesignInputs, quoted, short, year_of
from ._annex_values import DesignValues
from .formatting import Markdown, fmt_int, join_sv, number_in_words, shown, trusted_markdown
from .values import ShownValue, TracedText

__all__ = ["DesignText", "ALREADY_SELECTED_SV", "TIES_SV", "PICK_ORDER_SV"]

ALREADY_SELECTED_SV = {"next": "nästa kommun i rangordningen väljs", "skip": "kommunen hoppas över"}
TIES_SV = {"lowest_code": "lägst kommunkod först", "error": "urvalet stoppas och valet görs för hand"}
PICK_ORDER_SV = {"by_variable": "för varje variabel antalet före antalet per invånare",
                 "by_measure": "alla antal före alla antal per invånare"}
_RANDOM_NUMBERS_SV = {
    "per_stage": "ja, varje steg har ett eget permanent slumptal per kommun",
    "shared": "nej, samma permanenta slumptal per kommun används i alla steg",
}
_HOW_SV = {"certainty": "valdes med säkerhet", "extremes": "valdes för sina högsta värden",
           "random": "drogs slumpmässigt"}


@dataclass(frozen=True)
class DesignText:
    """The design in words and its sizes in digits (traced), read from the design file."""

    inputs: DesignInputs
    traced: DesignValues

    @property
    def _design(self):
        return self.inputs.design

    @property
    @shown
    def file(self) -> str:
        """The design file, relative to its data package: 'design/2014.yaml'."""
        return Path(self._design.path).resolve().relative_to(self.inputs.data_dir.resolve()).as_posix()

    @property
    @shown
    def stage_count(self) -> str:
        """How many stages, in words ('sex' steg)."""
        return number_in_words(len(self._design.stages), gender="ett")

    @property
    def sizes_sum(self) -> TracedText:
        """The stage sizes and their total, traced to the design file: '4 + 8 + 8 + 7 + 1 + 2 = 30'."""
        parts = []
        for stage in self._design.stages:
            parts += [self.traced.stage_size(stage.id), " + "]
        return TracedText.join(*parts[:-1], " = ", self.traced.total)

    @property
    def total(self) -> ShownValue:
        """The number of municipalities the design gives, in digits, traced as the sum of the stage sizes."""
        return ShownValue(self.traced.total)

    @property
    def fixed_or_extreme(self) -> ShownValue:
        """How many are chosen with certainty or for an extreme value, in digits, traced."""
        return ShownValue(self.traced.sum_of_sizes("design:fixed_or_extreme",
                                                   [s for s in self._design.stages if s.kind != "random"]))

    def fixed_or_extreme_under(self, alternative: str) -> ShownValue:
        """How many are chosen with certainty or for an extreme value under an alternative reading of
        the open assumptions: the total less that reading's random draws, traced to the design file."""
        randoms = [s.id for s in self.inputs.variant(alternative).stages if s.kind == "random"]
        sizes = {f"s{i}": self.traced.stage_size(stage_id, alternative) for i, stage_id in enumerate(randoms)}
        total = self.traced.total
        formula = "{total} − (" + " + ".join(f"{{{k}}}" for k in sizes) + ")"
        return ShownValue(self.traced.values.derive(
            f"design:{alternative}:fixed_or_extreme", total.raw - sum(v.raw for v in sizes.values()), formula,
            inputs={"total": total, **sizes}, fmt=fmt_int))

    @functools.cached_property
    def joint(self):
        """The open assumption that ties the extremes stage's rule for an already-selected
        municipality to the sizes of random draws, as ``(assumption, alternative, stage ids
        it resizes)``; None if the design has none."""
        for assumption in self._design.open_assumptions:
            for name, change in assumption.changes.items():
                stages = change.get("stages") or {}
                if any("already_selected" in fields for fields in stages.values()):
                    return assumption, name, tuple(s for s, fields in stages.items() if "size" in fields)
        return None

    @functools.cached_property
    def nesting(self):
        """The open assumption whose alternative changes a random list's eligibility, as
        ``(inner stage id, outer stage id)``: the list the alternative restricts, and the
        other random list its new condition names; None if the design has none."""
        random = [s for s in self._design.stages if s.kind == "random"]
        for assumption in self._design.open_assumptions:
            for name, change in assumption.changes.items():
                for stage_id, fields in (change.get("stages") or {}).items():
                    if "eligible" in fields:
                        inner = self.inputs.variant(name).stage(stage_id).eligible.columns
                        outer = [s.id for s in random if s.id != stage_id and set(s.eligible.columns) <= set(inner)]
                        if outer:
                            return stage_id, outer[0]
        return None

    @property
    def no_answer_stages(self) -> tuple[str, ...]:
        """The random stages whose list is the municipalities that did not answer (``no_answer``)."""
        return tuple(s.id for s in self._design.stages if s.kind == "random" and "no_answer" in repr(s.eligible.tree))

    @property
    def illustrated_list(self) -> str | None:
        """The random stage drawn second: earlier draws have already taken part of its list."""
        order = self._design.random_order
        return order[1] if len(order) > 1 else (order[0] if order else None)

    def sizes(self, stage_ids, *, alternative: str | None = None) -> TracedText:
        """Stage sizes joined with 'respektive', traced: '8 respektive 7'."""
        parts = []
        for stage_id in stage_ids:
            parts += [self.traced.stage_size(stage_id, alternative), " respektive "]
        return TracedText.join(*parts[:-1])

    @shown
    def list_names_of(self, stage_ids) -> str:
        """The short names of the stages, quoted and joined with 'och'."""
        return " och ".join(f"”{self.list_name(s)}”" for s in stage_ids)

    def size(self, stage_id: str, *, alternative: str | None = None) -> ShownValue:
        """A stage's size in digits, in the design or under an alternative of its open assumptions, traced."""
        return ShownValue(self.traced.stage_size(stage_id, alternative))

    @shown
    def size_in_words(self, stage_id: str) -> str:
        """A stage's size in words up to twelve."""
        return number_in_words(self.inputs.size_of(stage_id))

    @shown
    def tag(self, assumption_id: str) -> str:
        """The mark of an open assumption in the design file: 'A1+A2'."""
        return self._design.assumption(assumption_id).tag

    @shown
    def how_chosen(self, stage_id: str) -> str:
        """How a stage chooses, in words: 'drogs slumpmässigt'."""
        return _HOW_SV[self.inputs.stage(stage_id).kind]

    @shown
    def list_name(self, stage_id: str) -> str:
        """A stage's short name: 'BME, barn'."""
        return short(self.inputs.stage(stage_id).label)

    @shown
    def list_names(self, kind: str = "random") -> str:
        """The short names of the stages of a kind, quoted: '”BME, barn”, ... och ”Komplettering, ej svar”'."""
        return quoted(short(s.label) for s in self._design.stages if s.kind == kind)

    @property
    @shown
    def already_selected(self) -> str:
        """What happens when the highest municipality is already selected, in the design."""
        return ALREADY_SELECTED_SV[self.inputs.extremes().already_selected]

    @shown
    def already_selected_under(self, alternative: str) -> str:
        """The same rule under an alternative of the open assumptions."""
        extremes = self.inputs.extremes()
        return ALREADY_SELECTED_SV[self.inputs.variant(alternative).stage(extremes.id).already_selected]

    @property
    @shown
    def population_year(self) -> str:
        """The year of that population, from its column name: '2013' for ``population_2013``."""
        return year_of(self.inputs.population_column)

    @property
    @shown
    def statistics_year(self) -> str:
        """The year of Kronofogden's statistics the extremes stage ranks on, from its columns'
        names: '2013' for ``kfm_eviction_applications_2013`` and the others."""
        years = {year_of(v.column) for v in self.inputs.extremes().variables}
        if len(years) != 1:
            raise ValueError(f"{self._design.path}: the variables of the extremes stage must be of one year "
                             f"(column names ending in _<year>), not {', '.join(sorted(years))}")
        return years.pop()

    @property
    @shown
    def ties(self) -> str:
        """How equal values are ranked."""
        return TIES_SV[self.inputs.extremes().ties]

    @property
    def per_inhabitant(self) -> TracedText:
        """'10 000 invånare enligt folkmängd 31 december 2013' (the scale, traced, and the population's title)."""
        stage = self.inputs.extremes()
        title = self.inputs.titles().get(stage.population, stage.population)
        return TracedText.join(self.traced.per(), f" invånare enligt {title[:1].lower()}{title[1:]}")

    @property
    @shown
    def random_numbers(self) -> str:
        """Whether the random numbers of different stages are independent."""
        return _RANDOM_NUMBERS_SV[self._design.random_numbers]

    @property
    @shown
    def exclusion(self) -> str:
        """Whether a municipality already selected can be drawn again."""
        random = [s for s in self._design.stages if s.kind == "random"]
        if all(s.exclude_selected for s in random):
            return "en redan vald kommun kan inte väljas igen"
        if not any(s.exclude_selected for s in random):
            return "en redan vald kommun kan väljas igen"
        return "en redan vald kommun kan väljas igen i " + quoted(short(s.label) for s in random
                                                                   if not s.exclude_selected)

    @property
    @shown
    def pick_order(self) -> str:
        """The order of the extremes stage's picks, in words."""
        stage = self.inputs.extremes()
        labels = {v.column: v.label for v in stage.variables}
        order = stage.variable_order or tuple(v.column for v in stage.variables)
        return f"{join_sv(labels[c] for c in order)}; {PICK_ORDER_SV[stage.pick_order]}"

    @property
    @shown
    def random_order(self) -> str:
        """The order of the random stages, by their short names."""
        return quoted(short(self._design.stage(s).label) for s in self._design.random_order)

    @property
    @shown
    def open_tags(self) -> str:
        """The tags of the open assumptions with a runnable alternative: 'A1+A2, A5, A9 och A10'."""
        return join_sv(a.tag for a in self._design.open_assumptions)

    @property
    def joint_tag(self) -> Markdown:
        """The tag of the joint assumption, which the variant file compared with the design is
        for ('A1+A2'); the tags of all open assumptions when the design file has no joint one."""
        return self.tag(self.joint[0].id) if self.joint else self.open_tags

    @property
    def finite_population_caveat(self) -> Markdown:
        """The design annex's paragraph on why the finite population correction does not apply.

        How many of the asked municipalities were chosen for certain or for their highest
        values depends on the joint assumption when the design file has one (the publication
        does not say which stage chose each municipality): then both readings' numbers are
        given. The words are the report's; the numbers and tags are the design file's, traced.
        """
        if self.joint:  # the number chosen for certain or for an extreme value depends on the joint assumption
            joint, alternative, _ = self.joint
            chosen = (f"en del med säkerhet eller för sina högsta värden – {self.fixed_or_extreme:md} med designens "
                      f"läsning av antagande {self.tag(joint.id):md} och "
                      f"{self.fixed_or_extreme_under(alternative):md} "
                      "med den andra, eftersom publikationen inte säger i vilket steg varje kommun valdes –")
        else:
            chosen = f"{self.fixed_or_extreme:md} med säkerhet eller för sina högsta värden,"
        return trusted_markdown(
            "Korrektionen gäller bara om de intervjuade vore ett obundet slumpmässigt urval ur alla\n"
            f"kommuner. Det var de inte: av de {self.total:md} tillfrågade valdes {chosen} och resten\n"
            "hade olika chans att komma med.\n")

    @property
    def variant_count(self) -> ShownValue:
        """How many combinations of the open assumptions there are, in digits, traced."""
        return ShownValue(self.traced.variant_count)
