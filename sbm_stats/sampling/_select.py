"""Draw the sample: carry out a design's stages on a frame with permanent random numbers.

A random stage takes the ``size`` municipalities with the smallest permanent random
numbers (:mod:`._prn`) among those its condition admits (less those already
selected, when it excludes them): sequential simple random sampling. The sample
depends on nothing but the frame, the design file and the seed: the same on every
machine, numpy version and run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DesignError
from ._design import Design
from ._engine import Exact, Plan, compile_plan, exact_probabilities, simulate
from ._prn import permanent_random_numbers
from ._protocol import SYNTHETIC_BANNER, render_protocol
from ._reason import REASON_INT_COLUMNS, Reason, reason_sv
from ._record import StageRecord
from .stages._base import DrawContext

__all__ = ["select_sample", "Sample", "SelectedUnit", "StageRecord", "SYNTHETIC_BANNER"]


@dataclass(frozen=True)
class SelectedUnit:
    """One selected municipality and why it was taken (``basis``: the reason as data)."""

    order: int
    stage: str
    stage_kind: str
    municipality_code: str
    municipality_name: str
    basis: Reason
    random_number: float
    eligible_count: int | None
    stage_probability: float
    inclusion_probability: float
    probability_method: str
    probability_se: float
    design_weight: float

    @property
    def reason(self) -> str:
        """Why it was taken, in Swedish (written from :attr:`basis`)."""
        return reason_sv(self.basis)

    def row(self) -> dict[str, Any]:
        """The unit as a row of :meth:`Sample.to_frame`: its fields, ``reason`` and the reason's fields."""
        fields = {k: getattr(self, k) for k in SelectedUnit.__dataclass_fields__ if k != "basis"}
        at = list(fields).index("random_number")
        items = list(fields.items())
        return dict(items[:at] + [("reason", self.reason)] + items[at:]) | self.basis.columns()


@dataclass(frozen=True)
class Sample:
    """A drawn sample with everything needed to check it.

    Attributes
    ----------
    design : Design
        The design carried out.
    seed : int
        The seed of the permanent random numbers.
    frame_source : str
        The frame it was drawn from.
    synthetic : bool
        True when the frame is synthetic (then so is everything made from the sample).
    units : tuple of SelectedUnit
        The selected municipalities in the order they were taken.
    stages : tuple of StageRecord
        What each stage saw and did.
    frame_size : int
        Municipalities in the frame.
    probability_note : str
        How the inclusion probabilities were obtained.
    replicates : int
        Monte Carlo replicates used for probabilities that are not exact (0 if none).

    Examples
    --------
    >>> from sbm_stats.sampling import demo_frame, load_design, select_sample
    >>> s = select_sample(demo_frame(), load_design(), seed=1)
    >>> len(s.units), s.synthetic, s.to_frame().attrs["synthetic"]
    (30, True, True)
    """

    design: Design
    seed: int
    frame_source: str
    synthetic: bool
    units: tuple[SelectedUnit, ...]
    stages: tuple[StageRecord, ...]
    frame_size: int
    probability_note: str = ""
    replicates: int = 0

    @property
    def codes(self) -> tuple[str, ...]:
        """The selected municipality codes in selection order."""
        return tuple(u.municipality_code for u in self.units)

    def to_frame(self) -> pd.DataFrame:
        """One row per selected municipality; a ``synthetic`` column and ``attrs`` say what the frame was.

        ``reason`` is the Swedish sentence; the ``reason_*`` columns
        (:data:`~sbm_stats.sampling._reason.REASON_COLUMNS`) are the fields it is written from:
        the variable and measure, rank, value (and the count and population it comes from),
        the list and its size, the pool and draw sizes, the place of the pick or draw in the
        design's order, and the rules applied (``reason_ties`` with ``reason_tied_with``;
        ``reason_already_selected`` with ``reason_passed``).
        """
        columns = list(SelectedUnit("", "", "", "", "", Reason("", "", "", ""), 0, None, 0, 0, "", 0, 0).row())
        out = pd.DataFrame([u.row() for u in self.units], columns=columns)
        for column in ("eligible_count", *REASON_INT_COLUMNS):
            out[column] = out[column].astype("Int64")
        out["reason_value"] = out["reason_value"].astype(float)
        out["synthetic"] = self.synthetic
        out.attrs.update(
            synthetic=self.synthetic, seed=self.seed, design=self.design.name,
            design_file=self.design.path, frame_source=self.frame_source,
        )
        return out

    def protocol(self, *, published_check: Any = None) -> str:
        """The selection protocol in Swedish (Markdown) that a reviewer can read."""
        return render_protocol(self, published_check)


def select_sample(frame: pd.DataFrame, design: Design, *, seed: int, replicates: int = 20_000) -> Sample:
    """Draw the sample that ``design`` gives on ``frame`` with ``seed``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame (from :func:`load_frame` or :func:`demo_frame`); it may hold a subset
        of the municipalities, but every design code must be in it.
    design : Design
        From :func:`load_design`.
    seed : int
        A non-negative integer; the permanent random numbers are a function of it.
    replicates : int, default 20000
        Monte Carlo replicates for inclusion probabilities that cannot be computed
        exactly (only with ``random_numbers: shared`` and overlapping lists, or a
        certainty/extremes stage after a random one); the Monte Carlo generator is
        ``numpy.random.default_rng(seed)``.

    Returns
    -------
    Sample

    Raises
    ------
    DataValidationError
        The frame does not fit the design's schema.
    DesignError
        A draw larger than what its list can hold, a tie under ``ties: error``, or a
        sample size other than the design's ``expected_size``.

    Notes
    -----
    The inclusion probability of a selected municipality is its probability of
    selection under the whole design (all stages), exact where the design allows it
    (see :func:`inclusion_probabilities`); its design weight is the inverse. The stage
    probability is the chance within its own stage given the earlier stages of this
    draw (``size / pool`` for a random stage).

    Examples
    --------
    >>> from sbm_stats.sampling import demo_frame, load_design
    >>> s = select_sample(demo_frame(), load_design(), seed=2014)
    >>> s.codes[:4]
    ('0180', '1480', '1280', '1283')
    >>> s.to_frame().groupby("stage", sort=False).size().tolist()  # the sizes the design file sets
    [4, 8, 8, 7, 1, 2]
    """
    seed = _check_seed(seed)
    if not isinstance(replicates, int) or isinstance(replicates, bool) or replicates < 1:
        raise ValueError(f"replicates ({replicates!r}) must be a positive integer")
    return draw_sample(compile_plan(frame, design), seed=seed, replicates=replicates)


def draw_sample(plan: Plan, *, seed: int, replicates: int, exact: Exact | None = None) -> Sample:
    """:func:`select_sample` on a compiled plan (``exact``: its exact probabilities, if known)."""
    design = plan.design
    exact = exact if exact is not None else exact_probabilities(plan)
    selected = np.zeros(plan.n, dtype=bool)
    shared_u = permanent_random_numbers(seed, "", plan.codes) if design.random_numbers == "shared" else None

    def random_numbers(stage_id: str) -> np.ndarray:
        return shared_u if shared_u is not None else permanent_random_numbers(seed, stage_id, plan.codes)

    ctx = DrawContext(plan=plan, random_numbers=random_numbers, pi=exact.pi)
    records = [step.stage.draw(step, selected, ctx) for step in plan.steps]
    picked = ctx.picked
    if design.expected_size is not None and len(picked) != design.expected_size:
        raise DesignError(
            f"{design.path}: the design states expected_size {design.expected_size}, but this draw gave "
            f"{len(picked)} distinct municipalities ("
            + ", ".join(f"{r.stage}: {len(r.taken)}" for r in records)
            + "). With already_selected: skip or exclude_selected: false the size depends on the data; "
            "adjust the sizes or remove expected_size."
        )
    pi, method, se, note, reps = _probabilities_for(plan, [d["unit"] for d in picked], seed, replicates, exact)
    units = tuple(
        SelectedUnit(
            order=k + 1, stage=d["stage"].id, stage_kind=d["stage"].kind,
            municipality_code=str(plan.codes[d["unit"]]), municipality_name=str(plan.names[d["unit"]]),
            basis=d["reason"], random_number=d["u"], eligible_count=d["eligible"],
            stage_probability=d["p"], inclusion_probability=pi[k], probability_method=method[k],
            probability_se=se[k], design_weight=1.0 / pi[k],
        )
        for k, d in enumerate(picked)
    )
    return Sample(design=design, seed=seed, frame_source=plan.source, synthetic=plan.synthetic, units=units,
                  stages=tuple(records), frame_size=plan.n, probability_note=note, replicates=reps)


def _probabilities_for(plan: Plan, units: list[int], seed: int, replicates: int, exact: Exact | None):
    exact = exact if exact is not None else exact_probabilities(plan)
    pi = [float(exact.pi[i]) for i in units]
    method = [str(exact.method[i]) for i in units]
    se = [0.0] * len(units)
    missing = [k for k, p in enumerate(pi) if np.isnan(p)]
    reps = 0
    if missing:
        sim = simulate(plan, replicates, np.random.default_rng(seed))
        reps = replicates
        for k in missing:
            p = sim.total[units[k]] / replicates
            pi[k], method[k], se[k] = p, "monte_carlo", float(np.sqrt(p * (1 - p) / replicates))
    return pi, method, se, exact.note, reps


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed ({seed!r}) must be a non-negative integer")
    return int(seed)
