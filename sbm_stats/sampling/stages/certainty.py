"""``certainty``: named municipalities (``codes``), always taken, with the ``reason`` why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from ...errors import DesignError
from .._reason import Reason
from .._record import StageRecord
from ._base import CODE_RE, COMMON_KEYS, CompileContext, DrawContext, ParseContext, SimulationContext, Stage

if TYPE_CHECKING:  # pragma: no cover
    from .._engine import Plan, Step

__all__ = ["CertaintyStage"]


@dataclass(frozen=True)
class CertaintyStage(Stage):
    """Named municipalities, always taken."""

    id: str
    label: str
    codes: tuple[str, ...]
    reason: str
    note: str | None = None
    kind: Literal["certainty"] = "certainty"

    keys: ClassVar[frozenset[str]] = COMMON_KEYS | {"codes", "reason"}
    name_sv: ClassVar[str] = "säkert urval"
    method_sv: ClassVar[str] = "exakt (säkert urval)"
    protocol_template: ClassVar[str] = """\
Namngivna kommuner: {{ rec.listed }}; redan valda: {{ rec.excluded }}; nya: {{ rec.taken | length }}.

| Kod | Kommun |
|---|---|
{% for code in rec.taken %}
| {{ code }} | {{ names[code] | cell }} |
{% endfor %}
"""

    @classmethod
    def parse(cls, raw: dict, where: str, ctx: ParseContext, problems: list[str]):
        codes = raw.get("codes")
        if not isinstance(codes, list) or not codes:
            problems.append(f"{where}: codes must be a non-empty list of quoted four-digit municipality codes")
            return None
        out = []
        for c in codes:
            if not isinstance(c, str):
                problems.append(
                    f"{where}: code {c!r} must be quoted text such as '0180' (YAML reads an unquoted code as a number)"
                )
            elif not CODE_RE.match(c):
                problems.append(f"{where}: code {c!r} must be four digits")
            elif c not in ctx.known_codes:
                problems.append(
                    f"{where}: code {c!r} is not one of the 290 municipality codes in data/municipalities.csv"
                )
            elif c in out:
                problems.append(f"{where}: code {c!r} is listed twice")
            else:
                out.append(c)
        reason = raw.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            problems.append(f"{where}: reason must be a Swedish text saying why these municipalities are taken")
        codes_t = tuple(out)

        def make(**common):
            return cls(codes=codes_t, reason=str(reason).strip(), **common)

        return make

    def table_row(self) -> tuple[int, str]:
        return len(self.codes), "codes: " + ", ".join(self.codes)

    def count_bounds(self, before):
        # Before any other kind, its codes not named earlier are new for sure; later, any of them may be taken.
        named = {c for s in before if isinstance(s, CertaintyStage) for c in s.codes}
        new = len(set(self.codes) - named)
        only_certainty_before = all(isinstance(s, CertaintyStage) for s in before)
        return (new if only_certainty_before else 0), new

    def compile(self, step: Step, ctx: CompileContext) -> None:
        missing = [c for c in self.codes if c not in ctx.position]
        if missing:
            raise DesignError(
                f"{ctx.design_path}: stage {self.id!r} names municipality code(s) {', '.join(missing)}, "
                f"which the frame ({ctx.source}) does not hold"
            )
        step.idx = np.array([ctx.position[c] for c in self.codes], dtype=np.int64)

    def reach(self, step: Step, n: int) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        mask[step.idx] = True
        return mask

    def most(self, step: Step) -> int:
        return len(step.idx)

    def surely_selected(self, step: Step) -> np.ndarray:
        return step.idx

    def select(self, plan: Plan, step: Step, selected: np.ndarray) -> None:
        selected[step.idx] = True

    def draw(self, step: Step, selected: np.ndarray, ctx: DrawContext) -> StageRecord:
        new = [int(i) for i in step.idx if not selected[i]]
        for i in new:
            selected[i] = True
            ctx.take(i, self, Reason(self.id, self.kind, str(ctx.plan.codes[i]), str(ctx.plan.names[i]),
                                     text=self.reason))
        n = len(step.idx)
        return StageRecord(self.id, self.kind, self.label, n, n - len(new), n, n, tuple(ctx.plan.codes[new]))

    def simulate(self, plan: Plan, step: Step, sel: np.ndarray, by_stage: np.ndarray,
                 ctx: SimulationContext) -> None:
        new = ~sel[:, step.idx]
        by_stage[step.index, step.idx] += new.sum(axis=0)
        sel[:, step.idx] = True

    def could_choose(self, plan: Plan, step: Step, D: np.ndarray, stage_of: np.ndarray, max_before: int
                     ) -> np.ndarray:
        return self.reach(step, plan.n)
