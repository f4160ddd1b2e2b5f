"""``random``: ``size`` municipalities drawn at random among those meeting ``eligible``.

``exclude_selected`` says whether municipalities already in the sample are removed from
the list first. On a draw the stage takes the ``size`` municipalities with the smallest
permanent random numbers (:mod:`.._prn`) in its pool (ties, which have probability 0,
by code): sequential simple random sampling. Its exact inclusion probabilities come
from the engine's hypergeometric chain over all random stages (:mod:`.._engine`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from ...errors import DesignError
from .._condition import Condition
from .._reason import Reason
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

__all__ = ["RandomStage"]

_PROTOCOL = """\
Villkor: {{ rec.condition | code }}. Uppfyller villkoret: {{ rec.listed | sv_int }}; \
redan valda och uteslutna: {{ rec.excluded }}; att dra bland: {{ rec.pool | sv_int }}; \
dras: {{ rec.size }} (andel i steget {{ rec.size }}/{{ rec.pool }} = {{ (rec.size / rec.pool) | sv_decimal(4) }}).

{% if rec.list_probability_range is not none %}
Inom steget är urvalet obundet slumpmässigt bland de kommuner som återstår. Över hela \
designen har listans kommuner (utom de som väljs med säkerhet) ändå olika \
inklusionssannolikheter, {{ rec.list_probability_range[0] | sv_decimal(4) }}–\
{{ rec.list_probability_range[1] | sv_decimal(4) }}, eftersom tidigare steg kan ha tagit en del av listan.

{% endif %}
| Ordning | Kod | Kommun | Slumptal | Vald |
|---|---|---|---|---|
{% for code, name, u, taken in rec.ranking %}
| {{ loop.index }} | {{ code }} | {{ name | cell }} | {{ u | sv_decimal(6) }} | \
{{ "ja" if taken else "nej (nästa i tur)" }} |
{% endfor %}
"""


@dataclass(frozen=True)
class RandomStage(Stage):
    """A simple random draw of ``size`` among the municipalities meeting ``eligible``."""

    id: str
    label: str
    eligible: Condition
    size: int
    exclude_selected: bool
    note: str | None = None
    kind: Literal["random"] = "random"

    keys: ClassVar[frozenset[str]] = COMMON_KEYS | {"eligible", "size", "exclude_selected"}
    random: ClassVar[bool] = True
    name_sv: ClassVar[str] = "slumpmässigt urval"
    protocol_template: ClassVar[str] = _PROTOCOL

    @classmethod
    def parse(cls, raw: dict, where: str, ctx: ParseContext, problems: list[str]):
        if "eligible" not in raw:
            problems.append(f"{where}: eligible must be a condition on the frame's columns, e.g. 'column == \"yes\"'")
            eligible = None
        else:
            eligible = parse_eligible(raw.get("eligible"), where, ctx.fields, problems)
        size = raw.get("size")
        if not is_int(size) or size < 1:
            problems.append(f"{where}: size ({size!r}) must be a positive whole number")
        exclude = raw.get("exclude_selected")
        if not isinstance(exclude, bool):
            problems.append(
                f"{where}: exclude_selected ({exclude!r}) must be true (remove municipalities already selected "
                "from the list before drawing) or false"
            )

        def make(**common):
            return cls(eligible=eligible, size=size, exclude_selected=exclude, **common)

        return make

    def table_row(self) -> tuple[int, str]:
        return self.size, f"eligible: {self.eligible.text}; exclude_selected: {str(self.exclude_selected).lower()}"

    def count_bounds(self, before):
        # excluding earlier selections it adds exactly its size; otherwise between 0 and it
        return (self.size if self.exclude_selected else 0), self.size

    def compile(self, step: Step, ctx: CompileContext) -> None:
        step.eligible = self.eligible.evaluate(ctx.columns)
        step.idx = np.flatnonzero(step.eligible)

    def reach(self, step: Step, n: int) -> np.ndarray:
        return step.eligible

    def most(self, step: Step) -> int:
        return self.size

    def draw(self, step: Step, selected: np.ndarray, ctx: DrawContext) -> StageRecord:
        plan = ctx.plan
        u = ctx.random_numbers(self.id)
        listed = step.eligible
        pool_mask = listed & ~selected if self.exclude_selected else listed
        pool = np.flatnonzero(pool_mask)
        if len(pool) < self.size:  # check_feasible rules this out; kept as a guard
            raise DesignError(
                f"{plan.design.path}: stage {self.id!r} draws size {self.size} from its list "
                f"{self.eligible.text!r} ({int(listed.sum())} municipalities), but only {len(pool)} of them are "
                "left to draw from"
            )
        order = pool[np.lexsort((plan.codes[pool], u[pool]))]
        taken = order[: self.size]
        ranking = tuple(
            (str(plan.codes[i]), str(plan.names[i]), float(u[i]), bool(j < self.size))
            for j, i in enumerate(order[: self.size + 2])
        )
        p_stage = self.size / len(pool)
        # the place of this draw among the random stages, which the plan holds in the design's random_order
        draw_order = [s.stage.id for s in plan.steps if s.stage.random].index(self.id) + 1
        new = []
        for i in taken:
            if selected[i]:
                continue
            selected[i] = True
            new.append(int(i))
            reason = Reason(
                self.id, self.kind, str(plan.codes[i]), str(plan.names[i]),
                list_label=_strip_stage_prefix(self.label), list_size=int(listed.sum()), pool_size=len(pool),
                draw_size=self.size, draw_order=draw_order,
            )
            ctx.take(int(i), self, reason, u=float(u[i]), eligible=len(pool), p=p_stage)
        excluded = int((listed & selected).sum()) - len(new) if self.exclude_selected else 0
        return StageRecord(
            self.id, self.kind, self.label, int(listed.sum()), excluded, len(pool), self.size,
            tuple(plan.codes[new]), ranking=ranking, condition=self.eligible.text,
            list_probability_range=_list_range(ctx.pi, listed),
        )

    def simulate(self, plan: Plan, step: Step, sel: np.ndarray, by_stage: np.ndarray,
                 ctx: SimulationContext) -> None:
        rows = ctx.rows
        idx = step.idx
        V = ctx.uniforms(idx)
        if self.exclude_selected:
            V[sel[:, idx]] = np.inf
        for _ in range(self.size):
            j = V.argmin(axis=1)
            if self.exclude_selected and np.isinf(V[rows, j]).any():
                raise DesignError(
                    f"{plan.design.path}: stage {self.id!r} ran out of municipalities to draw in a replicate"
                )
            chosen = idx[j]
            new = ~sel[rows, chosen]
            by_stage[step.index] += np.bincount(chosen[new], minlength=plan.n)
            sel[rows, chosen] = True
            V[rows, j] = np.inf

    def could_choose(self, plan: Plan, step: Step, D: np.ndarray, stage_of: np.ndarray, max_before: int
                     ) -> np.ndarray:
        # on its list, and not certain to be taken before when it excludes earlier selections
        return step.eligible & ~D if self.exclude_selected else step.eligible


def _list_range(pi: np.ndarray, listed: np.ndarray) -> tuple[float, float] | None:
    values = pi[listed & (pi < 1)] if not np.isnan(pi[listed]).any() else np.array([])
    return (float(values.min()), float(values.max())) if len(values) else None


def _strip_stage_prefix(label: str) -> str:
    """The part of a label after its short name ("BME, barn: kommuner som ..." -> "kommuner som ...")."""
    head, sep, tail = label.partition(": ")
    return tail if sep else label
