"""``extremes``: for each variable and measure, the municipality with the highest value.

``variables`` (frame columns with Swedish labels) and ``measures`` (``count``;
``per_inhabitant`` with its scale ``per`` and ``population`` column; ``decimals`` for
the protocol). ``already_selected`` says what happens when the top municipality is
already in the sample: ``skip`` (nothing new is taken) or ``next`` (the next-ranked
one not yet selected is taken). ``ties``: ``lowest_code`` (the lower code ranks first)
or ``error`` (stop and let a person decide). The picks are taken in an explicit order:
``variable_order`` (default: the order of ``variables``) and ``pick_order``
(``by_variable``, the default, or ``by_measure``). An optional ``eligible`` condition
restricts the rankings.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from ...errors import DesignError
from .._condition import Condition
from .._format import sv_decimal, sv_int
from .._reason import Passed, Reason
from .._record import StageRecord
from ._base import (
    COMMON_KEYS,
    CompileContext,
    DrawContext,
    ParseContext,
    SimulationContext,
    Stage,
    is_int,
    parse_eligible,
)

if TYPE_CHECKING:  # pragma: no cover
    from .._engine import Plan, Step

__all__ = ["ExtremesStage", "ExtremeVariable", "MEASURES", "ALREADY_SELECTED", "TIES", "PICK_ORDERS"]

MEASURES = ("count", "per_inhabitant")
ALREADY_SELECTED = ("skip", "next")
TIES = ("lowest_code", "error")
PICK_ORDERS = ("by_variable", "by_measure")


@dataclass(frozen=True)
class ExtremeVariable:
    """One variable of an ``extremes`` stage: a frame column and its Swedish label."""

    column: str
    label: str


@dataclass
class Pick:
    """One ranking of an extremes stage on a frame."""

    variable: str
    label: str
    measure: str
    order: np.ndarray  # unit indices, best first (value descending, ties by code)
    values: list  # Fraction or int per position of ``order``
    per: int | None  # the scale of a per-inhabitant value
    decimals: int

    def shown(self, position: int) -> str:
        """The value at ``position`` (0-based) in Swedish words (formatted on demand)."""
        value = self.values[position]
        if self.measure == "count":
            return sv_int(value)
        return sv_decimal(float(value * self.per), self.decimals)


@dataclass
class ExtremeOutcome:
    """What one pick did on one draw."""

    pick: Pick
    chosen: int | None  # unit index, None when skipped
    rank: int | None  # 1-based rank of the chosen unit in the ranking
    passed: list[int]  # units ranked above the chosen one that were already selected


_PROTOCOL = """\
{{ rec.reasons | length }} rangordningar; nya kommuner: {{ rec.taken | length }}.

{% for reason in rec.reasons %}
- {{ reason | protocol_line }}
{% endfor %}
"""


@dataclass(frozen=True)
class ExtremesStage(Stage):
    """The municipality with the highest value of each variable and measure."""

    id: str
    label: str
    variables: tuple[ExtremeVariable, ...]
    measures: tuple[Literal["count", "per_inhabitant"], ...]
    already_selected: Literal["skip", "next"]
    ties: Literal["lowest_code", "error"]
    per: int | None = None
    population: str | None = None
    decimals: int = 1
    eligible: Condition | None = None
    variable_order: tuple[str, ...] = ()
    pick_order: Literal["by_variable", "by_measure"] = "by_variable"
    note: str | None = None
    kind: Literal["extremes"] = "extremes"

    keys: ClassVar[frozenset[str]] = COMMON_KEYS | {
        "variables", "measures", "per", "population", "decimals", "already_selected", "ties", "eligible",
        "variable_order", "pick_order",
    }
    name_sv: ClassVar[str] = "högsta värden"
    protocol_template: ClassVar[str] = _PROTOCOL

    @property
    def picks(self) -> tuple[tuple[ExtremeVariable, str], ...]:
        """(variable, measure) in the order they are taken.

        Variables in ``variable_order`` (the order listed when empty); ``by_variable``
        takes every measure of a variable before the next variable, ``by_measure`` every
        variable for a measure before the next measure.
        """
        by_column = {v.column: v for v in self.variables}
        ordered = [by_column[c] for c in self.variable_order] if self.variable_order else list(self.variables)
        if self.pick_order == "by_measure":
            return tuple((v, m) for m in self.measures for v in ordered)
        return tuple((v, m) for v in ordered for m in self.measures)

    # ------------------------------------------------------------- the design file

    # Complexity above 15 on purpose: every key of an extremes stage checked in one pass, all problems at once.
    @classmethod
    def parse(cls, raw: dict, where: str, ctx: ParseContext, problems: list[str]):  # noqa: C901
        fields = ctx.fields
        variables = raw.get("variables")
        parsed: list[ExtremeVariable] = []
        if not isinstance(variables, list) or not variables:
            problems.append(f"{where}: variables must be a non-empty list of {{column, label}}")
        else:
            for v in variables:
                if not isinstance(v, dict) or set(v) != {"column", "label"}:
                    problems.append(f"{where}: each variable must have exactly the keys column and label, found {v!r}")
                    continue
                col = v["column"]
                if col not in fields:
                    problems.append(f"{where}: unknown column {col!r}; the frame's columns are: {', '.join(fields)}")
                elif fields[col].get("type") not in ("integer", "number"):
                    problems.append(f"{where}: column {col!r} must hold numbers to be ranked "
                                    f"(its type is {fields[col].get('type')!r})")
                parsed.append(ExtremeVariable(str(col), str(v["label"]).strip()))
        measures = raw.get("measures")
        if not isinstance(measures, list) or not measures or any(m not in MEASURES for m in measures):
            problems.append(f"{where}: measures ({measures!r}) must be a non-empty list of: {', '.join(MEASURES)}")
            measures = []
        elif len(set(measures)) != len(measures):
            problems.append(f"{where}: measures ({measures!r}) lists a measure twice")
        per = raw.get("per")
        population = raw.get("population")
        if "per_inhabitant" in measures:
            if not is_int(per) or per < 1:
                problems.append(f"{where}: per ({per!r}) must be a positive whole number such as 10000 "
                                "(per 10 000 inhabitants)")
            if population not in fields:
                problems.append(
                    f"{where}: population ({population!r}) must name the frame's population column; "
                    f"the frame's columns are: {', '.join(fields)}"
                )
        elif per is not None or population is not None:
            problems.append(f"{where}: per and population apply only with the measure per_inhabitant")
        decimals = raw.get("decimals", 1)
        if not is_int(decimals) or not 0 <= decimals <= 6:
            problems.append(f"{where}: decimals ({decimals!r}) must be a whole number from 0 to 6")
        rule = raw.get("already_selected")
        if rule not in ALREADY_SELECTED:
            problems.append(
                f"{where}: already_selected ({rule!r}) must be one of: skip (take nothing new), "
                "next (take the next-ranked municipality not yet selected)"
            )
        ties = raw.get("ties")
        if ties not in TIES:
            problems.append(f"{where}: ties ({ties!r}) must be one of: {', '.join(TIES)}")
        eligible = parse_eligible(raw.get("eligible"), where, fields, problems) if "eligible" in raw else None
        variable_order = _variable_order(raw.get("variable_order"), [v.column for v in parsed], where, problems)
        pick_order = raw.get("pick_order", "by_variable")
        if pick_order not in PICK_ORDERS:
            problems.append(
                f"{where}: pick_order ({pick_order!r}) must be one of: by_variable (each variable with all its "
                "measures before the next), by_measure (every variable's count before any per-inhabitant value)"
            )

        def make(**common):
            return cls(
                variable_order=tuple(variable_order), pick_order=pick_order,
                variables=tuple(parsed), measures=tuple(measures), already_selected=rule, ties=ties,
                per=per if "per_inhabitant" in measures else None,
                population=population if "per_inhabitant" in measures else None,
                decimals=decimals, eligible=eligible, **common,
            )

        return make

    def table_row(self) -> tuple[int, str]:
        params = [
            "variables: " + ", ".join(self.variable_order or tuple(v.column for v in self.variables)),
            "measures: " + ", ".join(self.measures),
            f"pick_order: {self.pick_order}",
            f"already_selected: {self.already_selected}",
            f"ties: {self.ties}",
        ]
        if "per_inhabitant" in self.measures:
            params.append(f"per: {self.per} ({self.population})")
        if self.eligible is not None:
            params.append(f"eligible: {self.eligible.text}")
        return len(self.picks), "; ".join(params)

    def count_bounds(self, before):
        # ``next`` adds exactly one per pick, ``skip`` between 0 and one per pick.
        hi = len(self.picks)
        return (hi if self.already_selected == "next" else 0), hi

    # ------------------------------------------------------------------ the frame

    def compile(self, step: Step, ctx: CompileContext) -> None:
        """Evaluate ``eligible`` and rank the frame for each pick.

        A ranking depends only on the frame (its codes and columns), the column, the
        measure, the population column and the eligible municipalities. ``step.rankings``
        (the :class:`~sbm_stats.sampling._engine.CheckedFrame`'s memo, shared by every
        design compiled on one checked frame) keeps each ranking under those keys, so the
        variants of a sensitivity analysis sort the frame's exact fractions once.
        """
        n = len(ctx.codes)
        eligible = self.eligible.evaluate(ctx.columns) if self.eligible is not None else np.ones(n, bool)
        step.eligible = eligible
        step.picks = []
        for v, m in self.picks:
            population = self.population if m == "per_inhabitant" else None
            key = ("extremes", v.column, m, population, eligible.tobytes())
            if key not in step.rankings:
                step.rankings[key] = self._rank(ctx, eligible, v.column, population)
            order, values = step.rankings[key]
            step.picks.append(Pick(v.column, v.label, m, order, list(values), self.per, self.decimals))

    @staticmethod
    def _rank(ctx: CompileContext, eligible: np.ndarray, column: str, population: str | None
              ) -> tuple[np.ndarray, tuple]:
        """The eligible units, best first (value descending, ties by code), and their values.

        The value is the count, or with ``population`` the exact fraction count / population.
        The order is read-only: plans compiled on one checked frame share it.
        """
        counts = ctx.columns[column].to_numpy()
        codes = ctx.codes
        idx = np.flatnonzero(eligible)
        if population is None:
            values = {i: int(counts[i]) for i in idx}
        else:
            pop = ctx.columns[population].to_numpy()
            values = {i: Fraction(int(counts[i]), int(pop[i])) for i in idx}
        order = np.array(sorted(idx, key=lambda i: (-values[i], codes[i])), dtype=np.int64)
        order.flags.writeable = False
        return order, tuple(values[i] for i in order)

    def reach(self, step: Step, n: int) -> np.ndarray:
        return step.eligible

    def most(self, step: Step) -> int:
        return len(step.picks)

    def total_note(self, step: Step) -> str:
        return f" of {len(step.picks)} picks (already_selected: skip)" if self.already_selected == "skip" else ""

    # ------------------------------------------------------------------ one draw

    def select(self, plan: Plan, step: Step, selected: np.ndarray) -> list[ExtremeOutcome]:
        """Carry out the picks on one draw; ``selected`` is updated in place."""
        out = []
        for pick in step.picks:
            if len(pick.order) == 0:
                raise DesignError(
                    f"{plan.design.path}: stage {self.id!r}: no municipality meets its eligible condition "
                    f"{self.eligible.text if self.eligible else ''!r}"
                )
            if self.already_selected == "skip":
                position = 0
                self._check_tie(plan, pick, position, selected)
                unit = int(pick.order[0])
                if selected[unit]:
                    out.append(ExtremeOutcome(pick, None, None, [unit]))
                    continue
            else:
                free = np.flatnonzero(~selected[pick.order])
                if len(free) == 0:
                    raise DesignError(
                        f"{plan.design.path}: stage {self.id!r}: every municipality it may choose for "
                        f"{pick.variable} ({pick.measure}) is already selected; nothing is left to take as 'next'"
                    )
                position = int(free[0])
                self._check_tie(plan, pick, position, selected)
                unit = int(pick.order[position])
            selected[unit] = True
            out.append(ExtremeOutcome(pick, unit, position + 1, [int(u) for u in pick.order[:position]]))
        return out

    def _check_tie(self, plan: Plan, pick: Pick, position: int, selected: np.ndarray) -> None:
        if self.ties != "error":
            return
        value = pick.values[position]
        tied = [
            int(pick.order[j]) for j in range(len(pick.order))
            if (j != position and pick.values[j] == value
                    and (self.already_selected == "skip" or not selected[pick.order[j]]))
        ]
        if tied:
            who = ", ".join(f"{plan.codes[u]} {plan.names[u]}" for u in [int(pick.order[position]), *tied])
            raise DesignError(
                f"{plan.design.path}: stage {self.id!r}, {pick.variable} ({pick.measure}): "
                f"{who} share the value {pick.shown(position)} at rank {position + 1} of its ranking of "
                f"{len(pick.order)} municipalities, where one is taken; the design says ties: error. Decide by "
                "hand, or set ties: lowest_code."
            )

    def draw(self, step: Step, selected: np.ndarray, ctx: DrawContext) -> StageRecord:
        outcomes = self.select(ctx.plan, step, selected)
        reasons = []
        new = []
        for k, out in enumerate(outcomes):
            reason = _pick_reason(self, ctx, out, draw_order=k + 1)
            reasons.append(reason)
            if out.chosen is not None:
                ctx.take(out.chosen, self, reason)
                new.append(out.chosen)
        n = len(outcomes)
        return StageRecord(self.id, self.kind, self.label, n, 0, n, n, tuple(ctx.plan.codes[new]),
                           reasons=tuple(reasons))

    # -------------------------------------------------------------- Monte Carlo

    def simulate(self, plan: Plan, step: Step, sel: np.ndarray, by_stage: np.ndarray,
                 ctx: SimulationContext) -> None:
        rows = ctx.rows
        n = plan.n
        if self.ties == "error":
            k_max = int(sel.sum(axis=1).max()) + len(step.picks) + 1
            for pick in step.picks:
                head = pick.values[:k_max]
                if len(set(head)) < len(head):
                    raise DesignError(
                        f"{plan.design.path}: stage {self.id!r}, {pick.variable} ({pick.measure}): equal values "
                        "near the top of the ranking and ties: error; decide by hand or set ties: lowest_code"
                    )
        for pick in step.picks:
            if self.already_selected == "skip":
                unit = int(pick.order[0])
                new = ~sel[:, unit]
                by_stage[step.index, unit] += int(new.sum())
                sel[:, unit] = True
                continue
            k = min(len(pick.order), int(sel.sum(axis=1).max()) + 1)
            free = ~sel[:, pick.order[:k]]
            if not free.any(axis=1).all():
                raise DesignError(
                    f"{plan.design.path}: stage {self.id!r}: nothing left to take as 'next' for {pick.variable}"
                )
            chosen = pick.order[free.argmax(axis=1)]
            by_stage[step.index] += np.bincount(chosen, minlength=n)
            sel[rows, chosen] = True

    # ------------------------------------------------------- published sample

    def could_choose(self, plan: Plan, step: Step, D: np.ndarray, stage_of: np.ndarray, max_before: int
                     ) -> np.ndarray:
        # before any random stage the rankings give one set on this frame; after one, a municipality
        # ranked high enough to be reached when earlier stages have taken the others
        if step.index < plan.first_random:
            return D & (stage_of == step.index)
        top = np.zeros(plan.n, dtype=bool)
        for pick in step.picks:
            top[pick.order[: max_before + len(step.picks)]] = True
        return top


def _pick_reason(stage: ExtremesStage, ctx: DrawContext, out: ExtremeOutcome, *, draw_order: int) -> Reason:
    """What one pick found on the frame, as data: the ranking, the rank and value, the rules applied."""
    plan, pick = ctx.plan, out.pick
    position = 0 if out.chosen is None else out.rank - 1
    unit = int(pick.order[position])
    value = pick.values[position]
    count = int(plan.frame[pick.variable].iloc[unit])
    population = int(plan.frame[stage.population].iloc[unit]) if pick.measure == "per_inhabitant" else None
    tied = [int(u) for j, u in enumerate(pick.order) if j != position and pick.values[j] == value]
    passed = out.passed if out.chosen is not None else [unit]
    return Reason(
        stage.id, stage.kind, str(plan.codes[unit]), str(plan.names[unit]), taken=out.chosen is not None,
        variable=pick.variable, variable_label=pick.label, measure=pick.measure,
        per=stage.per if pick.measure == "per_inhabitant" else None,
        decimals=stage.decimals if pick.measure == "per_inhabitant" else None,
        count=count, population=population, rank=position + 1,
        value=float(value * stage.per) if pick.measure == "per_inhabitant" else float(value),
        list_label=f"{pick.variable} ({pick.measure})", list_size=len(pick.order), draw_order=draw_order,
        ties=stage.ties if tied else None, tied_with=tuple(str(plan.codes[u]) for u in tied),
        tied_names=tuple(str(plan.names[u]) for u in tied),
        already_selected=stage.already_selected if passed else None,
        passed=tuple(Passed(str(plan.codes[u]), str(plan.names[u]), ctx.who_took(u)) for u in passed),
    )


def _variable_order(value, columns: list[str], where: str, problems: list[str]) -> list[str]:
    if value is None:
        return list(columns)
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        problems.append(f"{where}: variable_order ({value!r}) must list the columns of its variables: "
                        f"{', '.join(columns)}")
        return list(columns)
    for c in value:
        if c not in columns:
            problems.append(f"{where}: variable_order names {c!r}, which is not one of its variables: "
                            f"{', '.join(columns)}")
    for c in columns:
        if value.count(c) != 1:
            problems.append(f"{where}: variable_order must list {c!r} exactly once "
                            f"(found {value.count(c)} times); its variables are {', '.join(columns)}")
    return value
