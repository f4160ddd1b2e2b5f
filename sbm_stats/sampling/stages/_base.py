"""What every stage kind provides: :class:`Stage`, and the contexts the engine passes it.

A stage kind is one frozen dataclass, subclass of :class:`Stage`, in its own module of
this package, named in :data:`sbm_stats.sampling.stages.STAGE_KINDS`. The class says,
for its kind, how the design file's keys are read and checked, how the stage is
compiled against a frame, how it selects on one draw (with its protocol record and
text), how it is carried out in the vectorised Monte Carlo run, and which
municipalities it could have chosen. What is common to every kind (``id``, ``kind``,
``label``, ``note``; the order of the stages; the exact probabilities) lives in
:mod:`.._design` and :mod:`.._engine`, which call these methods and never ask which
kind a stage is.

Two families of kinds
---------------------
*Deterministic* kinds (``random = False``; ``certainty``, ``extremes``) take, given
the frame and what earlier stages took, one definite set of municipalities. Before the
first random stage their selections have probability 1; after one, the engine gives
exact values only for the municipalities :meth:`Stage.surely_selected` names.

*Random* kinds (``random = True``; ``random``) are a simple random draw of ``size``
municipalities from the list their ``eligible`` condition gives (less those already
selected when ``exclude_selected``): the engine's exact computation (a hypergeometric
chain over the random stages jointly, see :mod:`.._engine`) relies on exactly these
three attributes, so a new random kind must be such a draw, or the engine must learn it.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .._condition import Condition, ConditionError, parse_condition

if TYPE_CHECKING:  # pragma: no cover - imports for annotations only
    import pandas as pd

    from .._engine import Plan, Step
    from .._reason import Reason

__all__ = ["Stage", "ParseContext", "CompileContext", "DrawContext", "SimulationContext", "COMMON_KEYS",
           "parse_eligible", "is_int"]

#: The keys every stage has, whatever its kind.
COMMON_KEYS = frozenset({"id", "kind", "label", "note"})
CODE_RE = re.compile(r"[0-9]{4}\Z")

#: What :meth:`Stage.parse` returns: a factory taking the common fields (id, label, note).
StageFactory = Callable[..., "Stage"]


@dataclass(frozen=True)
class ParseContext:
    """What a kind's parser may check the design file's keys against.

    ``fields`` maps the frame schema's column names to their Table Schema fields (empty
    when the schema could not be read); ``known_codes`` holds the package's municipality
    codes.
    """

    fields: dict[str, dict]
    known_codes: set[str]


@dataclass(frozen=True)
class CompileContext:
    """A checked frame, as a stage compiles against it.

    ``columns`` is the frame without its metadata (for conditions and rankings),
    ``codes`` the municipality codes in frame order, ``position`` code to unit index,
    ``design_path`` and ``source`` the design file and frame for error messages.
    """

    columns: pd.DataFrame
    codes: np.ndarray
    position: dict[str, int]
    design_path: str
    source: str


@dataclass
class DrawContext:
    """One draw in progress (:func:`sbm_stats.sampling.select_sample`).

    ``picked`` holds, in selection order, one dict per selected unit: ``unit`` (index),
    ``stage``, ``reason`` (a :class:`~sbm_stats.sampling._reason.Reason`), ``u`` (its random number, NaN if none),
    ``eligible`` (the pool it was drawn from, None if none) and ``p`` (its probability
    within the stage). ``random_numbers(stage_id)`` gives the permanent random numbers a
    random stage draws with; ``pi`` the exact inclusion probabilities (NaN where not
    exact).
    """

    plan: Plan
    random_numbers: Callable[[str], np.ndarray]
    pi: np.ndarray
    picked: list[dict[str, Any]] = field(default_factory=list)

    def take(self, unit: int, stage: Stage, reason: Reason | str, *, u: float = np.nan,
             eligible: int | None = None, p: float = 1.0) -> None:
        """Record ``unit`` as selected by ``stage`` (the caller marks it in ``selected``).

        ``reason`` is a :class:`~sbm_stats.sampling._reason.Reason`; a kind with nothing to
        record but words may pass its Swedish text, kept as the reason's ``text``.
        """
        if isinstance(reason, str):
            from .._reason import Reason

            reason = Reason(stage.id, stage.kind, str(self.plan.codes[unit]), str(self.plan.names[unit]),
                            text=reason)
        self.picked.append(dict(unit=unit, stage=stage, reason=reason, u=u, eligible=eligible, p=p))

    def who_took(self, unit: int) -> str:
        """The id of the stage that took ``unit`` in this draw, else ''."""
        for d in self.picked:
            if d["unit"] == unit:
                return d["stage"].id
        return ""


@dataclass
class SimulationContext:
    """One block of Monte Carlo replicates: ``uniforms(idx)`` gives a ``(block, len(idx))``
    matrix of fresh iid uniforms (with ``random_numbers: shared``, the block's one matrix
    restricted to ``idx``)."""

    rows: np.ndarray
    uniforms: Callable[[np.ndarray], np.ndarray]


class Stage(abc.ABC):
    """The protocol of a stage kind (see the module docs); subclasses are frozen dataclasses.

    Class attributes
    ----------------
    keys : frozenset of str
        The design-file keys of this kind besides ``id``, ``kind``, ``label``, ``note``.
    random : bool
        Whether the stage is a random draw (see the module docs).
    name_sv : str
        The kind's Swedish name, for the protocol ("säkert urval").
    method_sv : str
        How the protocol names the exact probability 1 of what this kind takes before
        any random stage (a deterministic kind).
    protocol_template : str
        The Jinja2 text of this kind's part of the protocol's "Steg för steg" section
        (see ``sbm_stats/sampling/templates/protocol.md.j2``); it sees ``rec`` (the
        :class:`StageRecord`), ``names`` (code to municipality name of the selected)
        and the filters ``cell`` (a Markdown table cell), ``sv_int`` and ``sv_decimal``.
    """

    keys: ClassVar[frozenset[str]]
    random: ClassVar[bool] = False
    name_sv: ClassVar[str]
    method_sv: ClassVar[str] = "exakt (bestäms av ramen)"
    protocol_template: ClassVar[str]

    # ------------------------------------------------------------- the design file
    @classmethod
    @abc.abstractmethod
    def parse(cls, raw: dict, where: str, ctx: ParseContext, problems: list[str]) -> StageFactory | None:
        """Check this kind's keys of ``raw``; append every problem (prefixed with ``where``).

        Returns a factory taking ``id``, ``label`` and ``note`` (called only when no
        problem was found), or None.
        """

    @abc.abstractmethod
    def table_row(self) -> tuple[int, str]:
        """The size and the parameters text of this stage in :meth:`Design.to_frame`."""

    @abc.abstractmethod
    def count_bounds(self, before: tuple[Stage, ...]) -> tuple[int, int]:
        """Fewest and most new municipalities it can add after the stages ``before``, on any frame."""

    # ------------------------------------------------------------------ the frame
    @abc.abstractmethod
    def compile(self, step: Step, ctx: CompileContext) -> None:
        """Fill ``step`` (``idx``, ``eligible``, ``picks``) from the frame; raise DesignError if it cannot."""

    @abc.abstractmethod
    def reach(self, step: Step, n: int) -> np.ndarray:
        """Boolean mask of the units this stage may ever take, on this frame."""

    @abc.abstractmethod
    def most(self, step: Step) -> int:
        """The most new municipalities this stage can take on one draw."""

    def surely_selected(self, step: Step) -> np.ndarray:
        """Units selected whatever earlier stages took (exact probability 1 anywhere in the order)."""
        return np.zeros(0, dtype=np.int64)

    def total_note(self, step: Step) -> str:
        """Text after this stage's count in the frame-total error (why it depends on the frame)."""
        return ""

    # ------------------------------------------------------------------ one draw
    def select(self, plan: Plan, step: Step, selected: np.ndarray) -> None:
        """A deterministic kind's selection on one draw, without records; ``selected`` is updated."""
        raise TypeError(f"a {self.kind} stage is drawn at random; it has no deterministic selection")

    @abc.abstractmethod
    def draw(self, step: Step, selected: np.ndarray, ctx: DrawContext) -> Any:
        """Carry out the stage on one draw: update ``selected``, :meth:`DrawContext.take` each
        new unit, and return its :class:`StageRecord`."""

    # -------------------------------------------------------------- Monte Carlo
    @abc.abstractmethod
    def simulate(self, plan: Plan, step: Step, sel: np.ndarray, by_stage: np.ndarray,
                 ctx: SimulationContext) -> None:
        """Carry out the stage on a block of replicates (``sel``: ``(block, n)``), counting new
        selections in ``by_stage[step.index]``."""

    # ------------------------------------------------------- published sample
    @abc.abstractmethod
    def could_choose(self, plan: Plan, step: Step, D: np.ndarray, stage_of: np.ndarray, max_before: int
                     ) -> np.ndarray:
        """Boolean mask of the units this stage could have chosen, where the exact value is unknown.

        ``D`` and ``stage_of`` come from the stages before the first random one;
        ``max_before`` is the most municipalities the stages before this one can take.
        """


def parse_eligible(text: Any, where: str, fields: dict, problems: list[str]) -> Condition | None:
    """Parse an ``eligible`` condition and check it against the frame's fields."""
    try:
        cond = parse_condition(text)
        if fields:
            cond.check(fields)
        return cond
    except ConditionError as exc:
        problems.append(f"{where}: eligible: {exc}")
        return None


def is_int(value: Any) -> bool:
    """A whole number that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)
