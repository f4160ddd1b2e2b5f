"""The sample-design annex: the design file's own fields as words, tables and a figure.

Every phrase here is read from the design file of the data package (stage sizes, the
rule for an already-selected municipality, the ordering of the picks and draws, the
population that "per inhabitant" divides by, the names of the lists, the open
assumptions), so that editing the design file changes the report and never
contradicts it. The sentences around them are in ``report.qmd``.

The demonstration frame is SYNTHETIC: every table and figure made from it says so.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..data._package import DataPackage
from .formatting import fmt_int, fmt_num, join_sv, number_in_words, shown
from .values import ShownValue, TracedText, TracedValue, ValueRegistry, ValueSource, traced_frame, traced_table

__all__ = ["DesignAnnex"]

_KIND_SV = {
    "certainty": "fast urval",
    "extremes": "högst värde",
    "random": "slumpmässigt (obundet inom steget; sannolikheterna skiljer inom listan)",
}
_ALREADY_SELECTED_SV = {"next": "nästa kommun i rangordningen väljs", "skip": "kommunen hoppas över"}
_TIES_SV = {"lowest_code": "lägst kommunkod först", "error": "urvalet stoppas och valet görs för hand"}
_PICK_ORDER_SV = {"by_variable": "för varje variabel antalet före antalet per invånare",
                  "by_measure": "alla antal före alla antal per invånare"}
_RANDOM_NUMBERS_SV = {
    "per_stage": "ja, varje steg har ett eget permanent slumptal per kommun",
    "shared": "nej, samma permanenta slumptal per kommun används i alla steg",
}
_HOW_SV = {"certainty": "valdes med säkerhet", "extremes": "valdes för sina högsta värden",
           "random": "drogs slumpmässigt"}
_ANSWER_SV = {"yes": "ja", "no": "nej", "no_answer": "inget svar"}
_OP_SV = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}
#: The smallest range of an inclusion probability over the variants that the annex shows.
RANGE_SHOWN = 0.01
#: How many names a group of municipalities shows before 'och N till'.
_SHOWN_NAMES = 6
#: A number in a sample's reason as the sampling code writes it: '5 308', '20,9'.
_REASON_NUMBER = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?|\d+(?:,\d+)?")


def _short(label: str) -> str:
    """A stage's short name: its label up to the colon ('BME, barn')."""
    return label.split(":", 1)[0]


def _quoted(names) -> str:
    return join_sv(f"”{n}”" for n in names)


@dataclass(frozen=True)
class DesignAnnex:
    """The design of the data package ``package``, drawn on its SYNTHETIC frame with ``seed``.

    Its numbers are traced in ``values`` (the report's registry; a registry of its own
    when not given): a stage's size to the design file and its key, a frame value to the
    SYNTHETIC frame's row and column, an inclusion probability to the computation on the
    design file and the frame, a weight and a per-inhabitant value to their arithmetic.
    """

    package: DataPackage
    seed: int
    values: ValueRegistry | None = None

    def __post_init__(self) -> None:
        if self.values is None:
            object.__setattr__(self, "values", ValueRegistry(self.package))

    @property
    def data_dir(self) -> Path:
        """The folder of the data package."""
        return self.package.path

    # ------------------------------------------------------------------ what is read and computed once

    @functools.cached_property
    def design(self):
        """The wave's :class:`~sbm_stats.sampling.Design` (the descriptor's design without ``variant_of``)."""
        from ..sampling import load_design

        return load_design(package=self.package)

    @property
    def _variant_paths(self) -> tuple[Path, ...]:
        """The variant files of the wave's design, as the descriptor lists them."""
        return tuple(p for p in self.package.design_paths.values() if p != self.package.design_path)

    @property
    def has_variant_files(self) -> bool:
        """Whether the package has variant files of the design."""
        return bool(self._variant_paths)

    @functools.cached_property
    def frame(self) -> pd.DataFrame:
        """The SYNTHETIC demonstration frame of the data package."""
        from ..sampling import demo_frame

        return demo_frame(self.package)

    @functools.cached_property
    def sample(self):
        """The design drawn from the SYNTHETIC frame with the seed."""
        from ..sampling import select_sample

        return select_sample(self.frame, self.design, seed=self.seed)

    @functools.cached_property
    def probabilities(self) -> pd.DataFrame:
        """Exact inclusion probabilities of every municipality on the SYNTHETIC frame."""
        from ..sampling import inclusion_probabilities, probability_table

        return probability_table(inclusion_probabilities(self.frame, self.design), package=self.package)

    @functools.cached_property
    def sensitivity(self):
        """Every combination of the open assumptions (:func:`~sbm_stats.sampling.design_sensitivity`)."""
        from ..sampling import design_sensitivity

        return design_sensitivity(self.frame, self.design, seed=self.seed)

    @functools.cached_property
    def variant_comparison(self) -> pd.DataFrame:
        """The design against its variant files (:func:`~sbm_stats.sampling.compare_designs`)."""
        from ..sampling import compare_designs, load_design

        designs = {self._design_name(self.design): self.design}
        for path in self._variant_paths:
            variant = load_design(path, package=self.package)
            designs[self._design_name(variant)] = variant
        return compare_designs(self.frame, designs, sample_seed=self.seed)

    @functools.cached_property
    def _names(self) -> dict[str, str]:
        p = self.probabilities
        return dict(zip(p.municipality_code, p.municipality_name))


    # ------------------------------------------------------------------ traced values

    @functools.cached_property
    def _design_file(self) -> str:
        return self.package.display(self.design.path)

    @functools.cached_property
    def _frame_file(self) -> str:
        return self.package.display(self.package.demo_frame_path)

    @functools.cached_property
    def _design_source(self) -> ValueSource:
        return ValueSource(self._design_file, f"Designfilen {self._design_file} i datapaketet.")

    @functools.cached_property
    def _frame_source(self) -> ValueSource:
        return ValueSource(self._frame_file, f"SYNTETISK demonstrationsram {self._frame_file} i datapaketet "
                                             "(påhittade uppgifter, inte verkliga).")

    @functools.cached_property
    def _probability_source(self) -> ValueSource:
        return ValueSource("inclusion_probabilities",
                           "Exakt inklusionssannolikhet (sbm_stats.sampling.inclusion_probabilities), beräknad "
                           f"ur designfilen {self._design_file} och den SYNTETISKA ramen {self._frame_file}.")

    @functools.cached_property
    def _seed(self) -> TracedValue:
        return self.values.given("parameter:seed", self.seed, fmt=fmt_int, source=ValueSource(
            "seed", "Rapportens parameter seed (fröet till de permanenta slumptalen)."))

    def _stage_size(self, stage_id: str, alternative: str | None = None) -> TracedValue:
        """A stage's size, traced to its key in the design file (or to the alternative's change of it)."""
        design = self._variant(alternative) if alternative else self.design
        size = int(design.to_frame().set_index("stage").loc[stage_id, "size"])
        if alternative is None:
            # a random stage gives its size; a certainty stage lists its municipalities; an extremes stage
            # picks one per variable and measure
            kind = self._stage(stage_id).kind
            key = {"certainty": "codes (antal)", "extremes": "variables × measures"}.get(kind, "size")
            return self.values.given(f"design:{stage_id}:size", size, source=self._design_source,
                                     table=self._design_file, row=f"stages.{stage_id}", column=key, fmt=fmt_int)
        assumption = self._alternative(alternative)
        changed = "size" in ((assumption.changes.get(alternative) or {}).get("stages") or {}).get(stage_id, {})
        if not changed:
            return self._stage_size(stage_id)
        return self.values.given(f"design:{alternative}:{stage_id}:size", size, source=self._design_source,
                                 table=self._design_file, column="size",
                                 row=f"open_assumptions.{assumption.id}.{alternative}.stages.{stage_id}", fmt=fmt_int)

    def _frame_value(self, code: str, column: str, *, formatted: str | None = None) -> TracedValue:
        """A cell of the SYNTHETIC frame, traced to its row (municipality code) and column."""
        raw = self.frame.set_index("municipality_code").loc[code, column]
        raw = raw.item() if hasattr(raw, "item") else raw
        return self.values.given(f"frame:{code}:{column}", raw, source=self._frame_source, table=self._frame_file,
                                 row=code, column=column, formatted=formatted, fmt=fmt_int)

    def _per(self) -> TracedValue:
        """The scale of "per inhabitant", traced to the extremes stage's ``per`` in the design file."""
        stage = self._extremes()
        return self.values.given(f"design:{stage.id}:per", stage.per, source=self._design_source,
                                 table=self._design_file, row=f"stages.{stage.id}", column="per", fmt=fmt_int)

    def _probability(self, code: str, raw: float, *, decimals: int, design_name: str = "designen") -> TracedValue:
        """An exact inclusion probability of a municipality, traced to its computation's inputs."""
        suffix = "" if design_name == "designen" else ":" + _id_part(design_name)
        return self.values.given(f"inclusion:{code}{suffix}:d{decimals}", float(raw), source=self._probability_source,
                                 table=self._frame_file, row=code, column=f"sannolikhet, {design_name}",
                                 formatted=fmt_num(raw, decimals=decimals))

    @functools.cached_property
    def _variant_count(self) -> TracedValue:
        """How many combinations of the open assumptions: the product of each one's choices in the design file."""
        choices = {}
        for a in self.design.open_assumptions:
            choices[f"a{len(choices)}"] = self.values.given(
                f"design:{a.id}:choices", 1 + len(a.alternatives), source=self._design_source,
                table=self._design_file, row=f"open_assumptions.{a.id}", column="default och alternatives",
                fmt=fmt_int)
        n = len(self.sensitivity.variants)
        if n != math.prod(v.raw for v in choices.values()):
            raise ValueError(f"{self._design_file}: the sensitivity has {n} variants, not the product of the "
                             "open assumptions' choices")
        return self.values.derive("design:variant_count", n, " × ".join(f"{{{k}}}" for k in choices) or "1",
                                  inputs=choices, fmt=fmt_int)

    def _group(self, table: str, names: list[str], codes: list[str]) -> tuple[str, Any, TracedValue]:
        """A group of municipalities with one profile: its id (the first code), its names (with a traced
        'N till' when they are many) and its traced size."""
        key = f"{table}:{sorted(codes)[0]}"
        size = self.values.derive(f"{key}:count", len(codes), f"antal kommuner med samma mönster i {table}",
                                  inputs={}, fmt=fmt_int)
        if len(names) <= _SHOWN_NAMES:
            return key, join_sv(sorted(names)), size
        more = self.values.derive(f"{key}:more", len(codes) - _SHOWN_NAMES,
                                  f"{{size}} − {_SHOWN_NAMES} (de namn som visas)", inputs={"size": size}, fmt=fmt_int)
        return key, TracedText.join(", ".join(sorted(names)[:_SHOWN_NAMES]) + " och ", more, " till"), size

    # ------------------------------------------------------------------ the design in words

    def _stage(self, stage_id: str, design=None):
        return (design or self.design).stage(stage_id)

    def _extremes(self):
        stages = [s for s in self.design.stages if s.kind == "extremes"]
        if not stages:
            raise ValueError(f"{self.design.path}: the design has no extremes stage")
        return stages[0]

    @property
    @shown
    def file(self) -> str:
        """The design file, relative to its data package: 'design/2014.yaml'."""
        return Path(self.design.path).resolve().relative_to(self.data_dir.resolve()).as_posix()

    @property
    @shown
    def stage_count(self) -> str:
        """How many stages, in words ('sex' steg)."""
        return number_in_words(len(self.design.stages), gender="ett")

    def _sum_of_sizes(self, value_id: str, stages) -> TracedValue:
        sizes = {f"s{i}": self._stage_size(stage.id) for i, stage in enumerate(stages)}
        return self.values.derive(value_id, sum(v.raw for v in sizes.values()),
                                  " + ".join(f"{{{k}}}" for k in sizes) or "0", inputs=sizes, fmt=fmt_int)

    @functools.cached_property
    def _total(self) -> TracedValue:
        return self._sum_of_sizes("design:total", self.design.stages)

    @property
    def sizes_sum(self) -> TracedText:
        """The stage sizes and their total, traced to the design file: '4 + 8 + 8 + 7 + 1 + 2 = 30'."""
        parts = []
        for stage in self.design.stages:
            parts += [self._stage_size(stage.id), " + "]
        return TracedText.join(*parts[:-1], " = ", self._total)

    @property
    def total(self) -> ShownValue:
        """The number of municipalities the design gives, in digits, traced as the sum of the stage sizes."""
        return ShownValue(self._total)

    @property
    def fixed_or_extreme(self) -> ShownValue:
        """How many are chosen with certainty or for an extreme value, in digits, traced."""
        return ShownValue(self._sum_of_sizes("design:fixed_or_extreme",
                                             [s for s in self.design.stages if s.kind != "random"]))

    def _alternative(self, name: str):
        for assumption in self.design.open_assumptions:
            if name in assumption.alternatives:
                return assumption
        known = [a for x in self.design.open_assumptions for a in x.alternatives]
        raise ValueError(f"alternative ({name!r}) must be one of: {', '.join(known)}")

    @functools.cached_property
    def _variants(self) -> dict:
        from ..sampling import design_variant

        return {alt: design_variant(self.design, choose={a.id: alt})
                for a in self.design.open_assumptions for alt in a.alternatives}

    def _variant(self, alternative: str):
        """The design with one alternative of its open assumptions."""
        self._alternative(alternative)  # a clear error for an unknown name
        return self._variants[alternative]

    @functools.cached_property
    def joint(self):
        """The open assumption that ties the extremes stage's rule for an already-selected
        municipality to the sizes of random draws, as ``(assumption, alternative, stage ids
        it resizes)``; None if the design has none."""
        for assumption in self.design.open_assumptions:
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
        random = [s for s in self.design.stages if s.kind == "random"]
        for assumption in self.design.open_assumptions:
            for name, change in assumption.changes.items():
                for stage_id, fields in (change.get("stages") or {}).items():
                    if "eligible" in fields:
                        inner = self._variant(name).stage(stage_id).eligible.columns
                        outer = [s.id for s in random if s.id != stage_id and set(s.eligible.columns) <= set(inner)]
                        if outer:
                            return stage_id, outer[0]
        return None

    @property
    def no_answer_stages(self) -> tuple[str, ...]:
        """The random stages whose list is the municipalities that did not answer (``no_answer``)."""
        return tuple(s.id for s in self.design.stages if s.kind == "random" and "no_answer" in repr(s.eligible.tree))

    @property
    def illustrated_list(self) -> str | None:
        """The random stage drawn second: earlier draws have already taken part of its list."""
        order = self.design.random_order
        return order[1] if len(order) > 1 else (order[0] if order else None)

    def sizes(self, stage_ids, *, alternative: str | None = None) -> TracedText:
        """Stage sizes joined with 'respektive', traced: '8 respektive 7'."""
        parts = []
        for stage_id in stage_ids:
            parts += [self._stage_size(stage_id, alternative), " respektive "]
        return TracedText.join(*parts[:-1])

    @shown
    def list_names_of(self, stage_ids) -> str:
        """The short names of the stages, quoted and joined with 'och'."""
        return " och ".join(f"”{self.list_name(s)}”" for s in stage_ids)

    def size(self, stage_id: str, *, alternative: str | None = None) -> ShownValue:
        """A stage's size in digits, in the design or under an alternative of its open assumptions, traced."""
        return ShownValue(self._stage_size(stage_id, alternative))

    @shown
    def size_in_words(self, stage_id: str) -> str:
        """A stage's size in words up to twelve."""
        return number_in_words(int(self.design.to_frame().set_index("stage").loc[stage_id, "size"]))

    @shown
    def tag(self, assumption_id: str) -> str:
        """The mark of an open assumption in the design file: 'A1+A2'."""
        return self.design.assumption(assumption_id).tag

    @shown
    def how_chosen(self, stage_id: str) -> str:
        """How a stage chooses, in words: 'drogs slumpmässigt'."""
        return _HOW_SV[self._stage(stage_id).kind]

    @property
    def range_shown(self) -> ShownValue:
        """The smallest range of a probability the sensitivity table shows: '0,01', traced to :data:`RANGE_SHOWN`."""
        return ShownValue(self.values.given("annex:range_shown", RANGE_SHOWN,
                                            formatted=fmt_num(RANGE_SHOWN, decimals=2),
                                            source=ValueSource("sbm_stats.report._design_annex.RANGE_SHOWN",
                                                               "Rapportens gräns för vilka kommuner tabellen över "
                                                               "känsligheten visar (RANGE_SHOWN i rapportkoden).")))

    @shown
    def list_name(self, stage_id: str) -> str:
        """A stage's short name: 'BME, barn'."""
        return _short(self._stage(stage_id).label)

    @shown
    def list_names(self, kind: str = "random") -> str:
        """The short names of the stages of a kind, quoted: '”BME, barn”, ... och ”Komplettering, ej svar”'."""
        return _quoted(_short(s.label) for s in self.design.stages if s.kind == kind)

    @property
    @shown
    def already_selected(self) -> str:
        """What happens when the highest municipality is already selected, in the design."""
        return _ALREADY_SELECTED_SV[self._extremes().already_selected]

    @shown
    def already_selected_under(self, alternative: str) -> str:
        """The same rule under an alternative of the open assumptions."""
        extremes = self._extremes()
        return _ALREADY_SELECTED_SV[self._variant(alternative).stage(extremes.id).already_selected]

    @property
    def population_column(self) -> str:
        """The frame's column that "per inhabitant" divides by (the extremes stage's ``population``)."""
        return self._extremes().population

    @property
    @shown
    def population_year(self) -> str:
        """The year of that population, from its column name: '2013' for ``population_2013``."""
        return _year_of(self.population_column)

    @property
    @shown
    def statistics_year(self) -> str:
        """The year of Kronofogden's statistics the extremes stage ranks on, from its columns'
        names: '2013' for ``kfm_eviction_applications_2013`` and the others."""
        years = {_year_of(v.column) for v in self._extremes().variables}
        if len(years) != 1:
            raise ValueError(f"{self.design.path}: the variables of the extremes stage must be of one year "
                             f"(column names ending in _<year>), not {', '.join(sorted(years))}")
        return years.pop()

    @property
    @shown
    def ties(self) -> str:
        """How equal values are ranked."""
        return _TIES_SV[self._extremes().ties]

    @property
    def per_inhabitant(self) -> TracedText:
        """'10 000 invånare enligt folkmängd 31 december 2013' (the scale, traced, and the population's title)."""
        stage = self._extremes()
        titles = {f["name"]: f.get("title", f["name"]) for f in self.design.frame_schema["fields"]}
        title = titles.get(stage.population, stage.population)
        return TracedText.join(self._per(), f" invånare enligt {title[:1].lower()}{title[1:]}")

    @property
    @shown
    def random_numbers(self) -> str:
        """Whether the random numbers of different stages are independent."""
        return _RANDOM_NUMBERS_SV[self.design.random_numbers]

    @property
    @shown
    def exclusion(self) -> str:
        """Whether a municipality already selected can be drawn again."""
        random = [s for s in self.design.stages if s.kind == "random"]
        if all(s.exclude_selected for s in random):
            return "en redan vald kommun kan inte väljas igen"
        if not any(s.exclude_selected for s in random):
            return "en redan vald kommun kan väljas igen"
        return "en redan vald kommun kan väljas igen i " + _quoted(_short(s.label) for s in random
                                                                    if not s.exclude_selected)

    @property
    @shown
    def pick_order(self) -> str:
        """The order of the extremes stage's picks, in words."""
        stage = self._extremes()
        labels = {v.column: v.label for v in stage.variables}
        order = stage.variable_order or tuple(v.column for v in stage.variables)
        return f"{join_sv(labels[c] for c in order)}; {_PICK_ORDER_SV[stage.pick_order]}"

    @property
    @shown
    def random_order(self) -> str:
        """The order of the random stages, by their short names."""
        return _quoted(_short(self.design.stage(s).label) for s in self.design.random_order)

    @property
    @shown
    def open_tags(self) -> str:
        """The tags of the open assumptions with a runnable alternative: 'A1+A2, A5, A9 och A10'."""
        return join_sv(a.tag for a in self.design.open_assumptions)

    @property
    def variant_count(self) -> ShownValue:
        """How many combinations of the open assumptions there are, in digits, traced."""
        return ShownValue(self._variant_count)

    def list_probabilities(self, stage_id: str) -> TracedText:
        """The lowest and highest exact inclusion probability within a random stage's list: '0,041 och 0,086'.

        SYNTHETIC frame: the range illustrates the design, it does not describe 2014.
        """
        stage = self._stage(stage_id)
        if stage.kind != "random":
            raise ValueError(f"stage {stage_id!r} is {stage.kind}; only a random stage has a list")
        on_list = set(self.frame.municipality_code[stage.eligible.evaluate(self.frame)])
        p = self.probabilities.loc[self.probabilities.municipality_code.isin(on_list), "probability"]
        p = p[p < 1]  # those a fixed or Kronofogden stage takes are not drawn from the list
        low, high = (self.values.derive(
            f"list:{stage_id}:{which}", float(x), f"{word} exakt inklusionssannolikhet under 1 bland kommunerna på "
            f"listan för steget {stage_id} (SYNTETISK ram {self._frame_file}, designfilen {self._design_file})",
            inputs={}, formatted=fmt_num(x, decimals=3)) for which, word, x in (("min", "lägsta", p.min()),
                                                                               ("max", "högsta", p.max())))
        return TracedText.join(low, " och ", high)

    # ------------------------------------------------------------------ the published sample

    @functools.cached_property
    def _published_check(self):
        from ..sampling import published_sample_check

        return published_sample_check(self.frame, self.design)

    @property
    def published_named(self) -> ShownValue:
        """How many municipalities the publication names, in digits, traced."""
        return ShownValue(self.values.derive(
            "annex:published_named", len(self._published_check.units),
            f"antal kommuner som publikationen nämner (urvalslistan i datapaketet {self.package.display_root})",
            inputs={}, fmt=fmt_int))

    @property
    def published_possible(self) -> ShownValue:
        """How many of them some stage could have chosen on the SYNTHETIC frame, in digits, traced."""
        check = self._published_check
        named = self.published_named.value
        flagged = self.values.derive("annex:published_flagged", len(check.flagged),
                                     "antal av dem som inget steg kunde ha valt på den SYNTETISKA ramen", inputs={},
                                     fmt=fmt_int)
        return ShownValue(self.values.derive("annex:published_possible", named.raw - flagged.raw,
                                             "{named} − {flagged}", inputs={"named": named, "flagged": flagged},
                                             fmt=fmt_int))

    @property
    def frame_size(self) -> ShownValue:
        """The municipalities of the frame, in digits, traced."""
        return ShownValue(self.values.derive(
            "annex:frame_size", len(self.frame),
            f"antal rader i den SYNTETISKA ramen {self._frame_file}",
            inputs={}, fmt=fmt_int))

    @property
    def exact_count(self) -> ShownValue:
        """How many municipalities have an exact inclusion probability, in digits, traced."""
        return ShownValue(self.values.derive(
            "annex:exact_count", int(self.probabilities.exact.notna().sum()),
            f"antal kommuner med exakt inklusionssannolikhet (designfilen {self._design_file}, SYNTETISK ram)",
            inputs={}, fmt=fmt_int))

    # ------------------------------------------------------------------ tables

    def _rule(self, stage):
        if stage.kind == "extremes":
            rule = stage.label.split(":", 1)[-1].strip()
            rule += f"; om kommunen redan är vald: {_ALREADY_SELECTED_SV[stage.already_selected]}"
            ties = f"; lika värden: {_TIES_SV[stage.ties]}"
            if "per_inhabitant" in stage.measures:
                titles = {f["name"]: f.get("title", f["name"]) for f in self.design.frame_schema["fields"]}
                title = titles.get(stage.population, stage.population)
                return TracedText.join(rule + "; per ", self._per(),
                                       f" invånare ({title[:1].lower()}{title[1:]})" + ties)
            return rule + ties
        if stage.kind == "random":
            rule = stage.label.split(":", 1)[-1].strip()
            return rule + ("; redan valda utesluts" if stage.exclude_selected else "")
        return "–"

    def _order(self, stage) -> str:
        if stage.kind == "extremes":
            return self.pick_order
        if stage.kind == "random":
            order = self.design.random_order
            place = self.values.given(f"design:random_order:{stage.id}", order.index(stage.id) + 1,
                                      source=self._design_source, table=self._design_file, row="random_order",
                                      column=stage.id, fmt=fmt_int)
            count = self.values.derive("design:random_order:count", len(order),
                                       f"antal steg i random_order i designfilen {self._design_file}", inputs={},
                                       fmt=fmt_int)
            return TracedText.join("dras som nummer ", place, " av ", count)
        return "–"

    def table_design(self) -> pd.DataFrame:
        """The design stage by stage: kind, size, eligibility, rule and order; traced cells."""
        stages = self.design.stages
        return traced_frame({
            "Steg": [_short(stage.label) for stage in stages],
            "Typ": [_KIND_SV[stage.kind] for stage in stages],
            "Antal": [ShownValue(self._stage_size(stage.id)) for stage in stages],
            "Villkor och regel": [self._rule(stage) for stage in stages],
            "Ordning": [self._order(stage) for stage in stages],
        })

    def show_design(self):
        """:meth:`table_design` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table_design(), index=False)

    def _describe(self, change: dict[str, Any], design, alternative: str | None = None) -> TracedText:
        """A change of the design file in Swedish, with the values ``design`` has at its paths."""
        parts = []
        if "random_order" in change:
            parts.append("slumpstegen i ordningen " + _quoted(_short(design.stage(s).label)
                                                              for s in design.random_order))
        titles = {f["name"]: f.get("title", f["name"]) for f in design.frame_schema["fields"]}
        for stage_id, fields in (change.get("stages") or {}).items():
            stage = design.stage(stage_id)
            for key in fields:
                if key == "already_selected":
                    text = f"redan vald: {_ALREADY_SELECTED_SV[stage.already_selected]}"
                elif key == "size":
                    text = TracedText.join(self._stage_size(stage_id, alternative), " kommuner")
                elif key == "eligible":
                    text = "lista: " + _condition_sv(stage.eligible.tree, titles)
                elif key == "variable_order":
                    labels = {v.column: v.label for v in stage.variables}
                    text = "variablerna i ordningen " + join_sv(labels[c] for c in stage.variable_order)
                else:
                    text = f"{key}: {getattr(stage, key, '')}"
                parts.append(TracedText.join(f"{_short(stage.label)}: ", text))
        return _joined(parts, "; ")

    def _choice(self, assumption, choice: str) -> str:
        if choice == assumption.default:
            first = assumption.alternatives[0]
            return self._describe(assumption.changes[first], self.design)
        return self._describe(assumption.changes[choice], self._variant(choice), choice)

    def table_assumptions(self) -> pd.DataFrame:
        """The open assumptions with a runnable alternative: the design's choice and the others; traced cells."""
        assumptions = self.design.open_assumptions
        return traced_frame({
            "Antagande": [a.tag for a in assumptions],
            "I designen": [self._choice(a, a.default) for a in assumptions],
            "Alternativ": [_joined([self._choice(a, alt) for alt in a.alternatives], " | ") for a in assumptions],
        })

    def show_assumptions(self):
        """:meth:`table_assumptions` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table_assumptions(), index=False)

    def table_sample(self) -> pd.DataFrame:
        """SYNTHETIC: the drawn sample with stage, reason, random number and probabilities; traced cells."""
        s = self.sample.to_frame()
        stage_names = {st.id: _short(st.label) for st in self.design.stages}
        seed = self._seed
        reasons, numbers, probabilities, weights = [], [], [], []
        for row in s.itertuples(index=False):
            code = row.municipality_code
            reasons.append(self._reason(row))
            if pd.notna(row.random_number):
                stage = f" och steget {row.stage}" if self.design.random_numbers == "per_stage" else ""
                numbers.append(ShownValue(self.values.derive(
                    f"sample:{code}:random_number", float(row.random_number),
                    f"permanent slumptal ur fröet {{seed}}, kommunkoden {code}{stage} (kryptografisk hashfunktion)",
                    inputs={"seed": seed}, formatted=fmt_num(row.random_number, decimals=4))))
            else:
                numbers.append("–")
            p = self._probability(code, row.inclusion_probability, decimals=3)
            probabilities.append(ShownValue(p))
            weights.append(ShownValue(self.values.derive(f"sample:{code}:weight", float(row.design_weight), "1 / {p}",
                                                         inputs={"p": p},
                                                         formatted=fmt_num(row.design_weight, decimals=1))))
        out = traced_frame({
            "Steg": [stage_names[x] for x in s.stage],
            "Kommun": s.municipality_name.to_numpy(),
            "Skäl": reasons,
            "Slumptal": numbers,
            "Sannolikhet": probabilities,
            "Vikt": weights,
        })
        out.attrs["synthetic"] = True
        return out

    def show_sample(self):
        """:meth:`table_sample` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table_sample(), index=False)

    def _reason_values(self, row) -> list[TracedValue]:
        """The traced numbers of a sample row's reason, in the order the reason names them."""
        code = row.municipality_code
        if row.stage_kind == "random":
            stage = self.design.stage(row.stage)
            on_list = set(self.frame.municipality_code[stage.eligible.evaluate(self.frame)])
            sample = self.sample.to_frame()
            first = int(sample.loc[sample.stage == row.stage, "order"].min())
            earlier = set(sample.loc[sample.order < first, "municipality_code"])
            listed = self.values.derive(f"design:{row.stage}:list_count", len(on_list),
                                        f"antal kommuner i den SYNTETISKA ramen {self._frame_file} som uppfyller "
                                        f"villkoret för steget {row.stage} i designfilen {self._design_file}",
                                        inputs={}, fmt=fmt_int)
            if not stage.exclude_selected:
                return [self._stage_size(row.stage), listed]
            taken = self.values.derive(f"design:{row.stage}:taken_before", len(on_list & earlier),
                                       "antal kommuner på listan som tidigare steg redan valt", inputs={}, fmt=fmt_int)
            count = self.values.derive(f"design:{row.stage}:left_on_list", len(on_list - earlier),
                                       "{listed} − {taken}", inputs={"listed": listed, "taken": taken}, fmt=fmt_int)
            return [self._stage_size(row.stage), count]
        if row.stage_kind != "extremes":
            return []
        stage = self._stage(row.stage)
        variable = next(v for v in stage.variables if f"högst antal {v.label} " in row.reason)
        value = self._frame_value(code, variable.column)
        if " per " in row.reason.split(":", 1)[0]:
            population = self._frame_value(code, stage.population)
            per = self._per()
            raw = value.raw / population.raw * per.raw
            return [per, self.values.derive(f"frame:{code}:{variable.column}:per_inhabitant", raw,
                                            "{count} / {population} × {per}",
                                            inputs={"count": value, "population": population, "per": per},
                                            formatted=fmt_num(raw, decimals=1))]
        ranked = self.frame.sort_values([variable.column, "municipality_code"], ascending=[False, True],
                                        kind="stable").municipality_code.tolist()
        rank = self.values.derive(f"frame:{code}:{variable.column}:rank", ranked.index(code) + 1,
                                  f"plats i den SYNTETISKA ramen ordnad efter {{value}} ({variable.column}), "
                                  "störst först, lika värden i kommunkodens ordning",
                                  inputs={"value": value}, fmt=fmt_int)
        return [rank, value]

    def _reason(self, row):
        """A sample row's reason as the table shows it, its numbers traced.

        The text is the sampling's own; each number in it is checked against the traced
        value it stands for, so a reason that says another number than the data is an error.
        """
        text = row.reason.split(": ")[0] if row.stage_kind == "random" else row.reason
        found = list(_REASON_NUMBER.finditer(text))
        traced = self._reason_values(row)
        if len(found) != len(traced) or any(
                not math.isclose(float(m.group().replace(",", ".").replace("\u00a0", "").replace(" ", "")
                                       .replace("\u202f", "")), float(v.raw), abs_tol=0.05)
                for m, v in zip(found, traced)):
            raise ValueError(f"the reason of {row.municipality_name} ({text!r}) does not name the traced values "
                             f"{', '.join(v.formatted for v in traced) or 'none'}")
        parts, end = [], 0
        for m, v in zip(found, traced):
            parts += [text[end:m.start()], v]
            end = m.end()
        return TracedText.join(*parts, text[end:]) if traced else text

    def _choice_short(self, assumption, choice: str) -> str:
        """'som i designen' for the default, else 'alternativ' (numbered when there are several)."""
        if choice == assumption.default:
            return "som i designen"
        if len(assumption.alternatives) == 1:
            return "alternativet"
        return f"alternativ {fmt_int(assumption.alternatives.index(choice) + 1)}"

    def _municipalities(self, codes: str) -> str:
        return join_sv(self._names[c] for c in codes.split()) or "–"

    def _changed(self, choices: dict[str, str]) -> str:
        """What a variant changes against the design, by the assumptions' tags: 'A5 och A10',
        'A1+A2 (alternativ 2)' where an assumption has several alternatives; 'inget: designen'."""
        changed = []
        for a in self.design.open_assumptions:
            choice = choices.get(a.id, a.default)
            if choice != a.default:
                several = len(a.alternatives) > 1
                changed.append(a.tag + (f" ({self._choice_short(a, choice)})" if several else ""))
        return join_sv(changed) if changed else "inget: designen"

    def table_variants(self) -> pd.DataFrame:
        """SYNTHETIC: every combination of the open assumptions and how its sample differs.

        One row per variant, named by the assumptions whose alternative it takes (what each
        alternative is, the table of assumptions says); the design first, then the variants
        that change one assumption, then two, and so on, each group in the assumptions' order.
        """
        s = self.sensitivity
        v = s.variants_frame()
        order = [a.id for a in self.design.open_assumptions]
        defaults = {a.id: a.default for a in self.design.open_assumptions}

        def rank(k: int) -> tuple:
            changed = [i for i, a in enumerate(order) if s.variants[k].choices[a] != defaults[a]]
            return (len(changed), changed)

        rows = sorted(range(len(s.variants)), key=rank)
        variants = [s.variants[k] for k in rows]
        out = traced_frame({
            "Ändrat mot designen": [self._changed(x.choices) for x in variants],
            "Förväntad storlek": [ShownValue(self.values.derive(
                f"variant:{_id_part(x.name)}:expected_size", float(v.expected_size.iloc[k]),
                "summan av de exakta inklusionssannolikheterna i varianten (SYNTETISK ram)", inputs={},
                formatted=fmt_num(v.expected_size.iloc[k], decimals=1))) for k, x in zip(rows, variants)],
            "Med här, inte i designens urval": [self._municipalities(v.not_in_default.iloc[k]) for k in rows],
            "I designens urval, inte här": [self._municipalities(v.default_not_here.iloc[k]) for k in rows],
        })
        out.attrs["synthetic"] = s.synthetic
        return out

    def show_variants(self):
        """:meth:`table_variants` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table_variants(), index=False)

    def table_sensitivity(self) -> pd.DataFrame:
        """SYNTHETIC: municipalities whose inclusion probability moves by more than
        :data:`RANGE_SHOWN` over the variants, grouped by the same profile; traced cells."""
        t = self.sensitivity.to_frame()
        t = t[t.probability_range > RANGE_SHOWN]
        key = ["probability_default", "probability_min", "probability_max", "variants_selected", "variants"]
        rounded = t.assign(**{c: t[c].round(4) for c in key[:3]})
        variants = self._variant_count
        seed = self._seed
        rows = []
        for values, group in rounded.groupby(key, sort=False):
            group_id, names, size = self._group("kanslighet", list(group.municipality_name),
                                                list(group.municipality_code))
            if int(values[4]) != variants.raw:
                raise ValueError(f"the sensitivity counts {values[4]} variants, the design file {variants.raw}")
            low, high = (self.values.derive(
                f"{group_id}:{which}", float(values[i]), f"{word} exakt inklusionssannolikhet över de {{variants}} "
                "varianterna av designen (SYNTETISK ram)", inputs={"variants": variants},
                formatted=fmt_num(values[i], decimals=3)) for i, which, word in ((1, "min", "lägsta"),
                                                                                 (2, "max", "högsta")))
            selected = self.values.derive(f"{group_id}:selected", int(values[3]),
                                          "antal av de {variants} varianterna som väljer kommunen med fröet {seed}",
                                          inputs={"variants": variants, "seed": seed}, fmt=fmt_int)
            rows.append({
                "Kommuner": names,
                "Antal": ShownValue(size),
                "Sannolikhet i designen": ShownValue(self.values.given(
                    f"{group_id}:default", float(values[0]), source=self._probability_source,
                    table=self._frame_file, row=" ".join(sorted(group.municipality_code)),
                    column="sannolikhet, designen",
                    formatted=fmt_num(values[0], decimals=3))),
                "Lägst": ShownValue(low),
                "Högst": ShownValue(high),
                "Valda i varianter": TracedText.join(selected, " av ", variants),
                "_range": values[2] - values[1],
            })
        columns = ["Kommuner", "Antal", "Sannolikhet i designen", "Lägst", "Högst", "Valda i varianter"]
        # widest range first; then by the count's text, descending, as the table has always been ordered
        # ('9' before '112': a text order, kept so the report reads as before; a numeric order is a separate change)
        rows.sort(key=lambda r: str(r["Antal"]), reverse=True)
        rows.sort(key=lambda r: r["_range"], reverse=True)
        out = traced_frame({c: [r[c] for r in rows] for c in columns})
        out.attrs["synthetic"] = self.sensitivity.synthetic
        return out

    def show_sensitivity(self):
        """:meth:`table_sensitivity` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table_sensitivity(), index=False)

    def table_variant_changes(self) -> pd.DataFrame:
        """SYNTHETIC: what changes between the design and its variant files, grouped by profile
        (no rows when the package has no variant file)."""
        if not self.has_variant_files:
            out = pd.DataFrame(columns=["Kommuner", "Antal"])
            out.attrs["synthetic"] = True
            return out
        c = self.variant_comparison
        names = list(c.attrs["mean_size"])
        c = c[c.differs]
        columns = {}
        for name in names:
            columns[f"Sannolikhet, {name}"] = c[name].round(4)
            columns[f"Vald, {name}"] = c[f"selected:{name}"].map({True: "ja", False: "nej"})
        key = list(columns)
        grouped = pd.DataFrame({"name": c.municipality_name, "code": c.municipality_code, **columns})
        rows = []
        for values, group in grouped.groupby(key, sort=False):
            group_id, names, size = self._group("variantfil", list(group.name), list(group.code))
            row = {"Kommuner": names, "Antal": ShownValue(size)}
            for k, v in zip(key, values):
                row[k] = ShownValue(self.values.given(
                    f"{group_id}:{_id_part(k.split(', ', 1)[1])}", float(v), source=self._probability_source,
                    table=self._frame_file, row=" ".join(sorted(group.code)), column=k.lower(),
                    formatted=fmt_num(v, decimals=4))) if k.startswith("Sannolikhet") else v
            rows.append(row)
        selection = [k for k in key if k.startswith("Vald")]
        moved = [len({row[k] for k in selection}) > 1 for row in rows]
        ordered = [r for r, m in zip(rows, moved) if m] + [r for r, m in zip(rows, moved) if not m]
        out = traced_frame({k: [r[k] for r in ordered] for k in ["Kommuner", "Antal", *key]})
        out.attrs["synthetic"] = c.attrs.get("synthetic", True)
        return out

    def show_variant_changes(self):
        """:meth:`table_variant_changes` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table_variant_changes(), index=False)

    def _design_name(self, design) -> str:
        """'designen', or the variant's non-default choices: 'A1+A2 alternativet'."""
        if not design.variant_of:
            return "designen"
        changed = [f"{a.tag} {self._choice_short(a, design.choices[a.id])}" for a in design.open_assumptions
                   if design.choices.get(a.id, a.default) != a.default]
        return ", ".join(changed) or design.name

    # ------------------------------------------------------------------ the figure

    def plot_inclusion(self):
        """SYNTHETIC: exact inclusion probability against population, the published municipalities marked."""
        from . import plots

        p = self.probabilities
        population = p.municipality_code.map(self.frame.set_index("municipality_code")[self.population_column])
        return plots.inclusion_by_population(
            population.astype(float).to_numpy(), p.probability.to_numpy(), synthetic=True,
            highlight=p["asked"].to_numpy(),
            highlight_label=f"Tillfrågade {self.package.wave} (verkliga kommuner, syntetiska sannolikheter)")


def _joined(parts, separator: str) -> TracedText:
    """Texts and traced texts joined with ``separator``, keeping each one's traced values."""
    pieces = []
    for part in parts:
        pieces += [part, separator]
    return TracedText.join(*pieces[:-1])


def _id_part(name: str) -> str:
    """A name as a part of a value's id: 'A1+A2 alternativet' -> 'A1_A2_alternativet'."""
    return re.sub(r"[^A-Za-z0-9_.:-]+", "_", name)


def _year_of(column: str) -> str:
    """The year a frame column's name ends with: '2013' for ``population_2013``."""
    m = re.search(r"_([0-9]{4})\Z", column)
    if not m:
        raise ValueError(f"column ({column!r}) must end in _<year>, as the frame schema's names do")
    return m.group(1)


def _condition_sv(node, titles: dict[str, str]) -> str:
    """An eligibility condition in words: each column by its title, each answer in Swedish."""
    if hasattr(node, "operands"):
        joined = f" {'och' if node.op == 'and' else 'eller'} "
        return joined.join(_condition_sv(x, titles) for x in node.operands)
    if hasattr(node, "operand"):
        return f"inte ({_condition_sv(node.operand, titles)})"
    values = [_ANSWER_SV.get(v, str(v)) for v in node.values]
    if node.op in ("in", "not in"):
        among = "bland" if node.op == "in" else "inte bland"
        return f"{titles.get(node.column, node.column)} {among} {join_sv(values)}"
    return f"{titles.get(node.column, node.column)} {_OP_SV.get(node.op, node.op)} {values[0]}"
