"""A design applied to a frame: the plan, the extremes rule, exact and Monte Carlo probabilities.

Everything here is private; :mod:`._select`, :mod:`._probabilities` and
:mod:`._published` build the public results from it.

Exact inclusion probabilities (``exact_probabilities``)
---------------------------------------------------------
Certainty and extremes stages that come before every random stage are deterministic
given the frame: their municipalities have probability 1 (the set is called ``D``),
and so does every municipality a certainty stage names.

The random stages are then handled through *atoms*: municipalities outside ``D``
that belong to exactly the same random lists. Within an atom municipalities are
exchangeable, so each has probability ``E[number drawn from the atom] / atom size``.

* ``random_numbers: per_stage``: each random stage is a simple random sample of what
  its list has left, independent of the others given that. The distribution of "how
  many of each atom are still unselected" is carried from stage to stage exactly
  (a multivariate hypergeometric step per stage, with Python integers for the
  binomial coefficients). This is exact for any overlap between lists and for
  ``exclude_selected`` true or false. It is given up only if the number of
  distinct states would exceed :data:`MAX_STATES` (far from the case for the 2014 design: on the demo frame
  at most 9 states are carried between its stages).
* ``random_numbers: shared``: the stages are coordinated through the one number per
  municipality, and the atoms' counts no longer follow hypergeometric steps. Exact
  values are given where they are simple: a municipality in ``D`` (1), in no random
  list (0), or in exactly one random list whose draw is a simple random sample of a
  fixed set, i.e. no earlier random list overlaps it or it does not exclude earlier
  selections (``size / list size``). Everyone else gets Monte Carlo only.
* A certainty or extremes stage after a random stage makes ``D`` random: exact values
  are then given only for the municipalities certainty stages name.

Monte Carlo (``simulate``)
--------------------------
Replicates the whole design ``R`` times in blocks, vectorised over replicates: for a
random stage a ``(block, list size)`` matrix of uniforms from a
``numpy.random.Generator``, municipalities already selected set to infinity when the
stage excludes them, and the ``size`` smallest taken by repeated ``argmin`` (with
``shared`` one ``(block, 290)`` matrix serves every stage). The Monte Carlo draws are
not the permanent random numbers of a real draw; they simulate the same design (iid
uniform numbers) so that its probabilities can be estimated; tests check the
permanent numbers behave so too.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DesignError
from ._design import Design
from ._frame import check_frame
from .stages._base import CompileContext, SimulationContext, Stage
from .stages.extremes import Pick

#: Above this many distinct states the exact per-stage computation is given up.
MAX_STATES = 200_000

Progress = Callable[[int, int], None]


@dataclass
class Step:
    """A stage compiled against a frame (its kind fills ``idx``, ``eligible``, ``picks``)."""

    stage: Stage
    index: int
    idx: np.ndarray | None = None  # units named (certainty) or listed (random)
    eligible: np.ndarray | None = None  # bool per unit: the units the stage's condition admits
    picks: list[Pick] = field(default_factory=list)  # an extremes stage's rankings
    # the rankings already made on this frame (CheckedFrame.rankings), shared by every plan compiled on it
    rankings: dict = field(default_factory=dict, repr=False)


@dataclass
class Plan:
    design: Design
    frame: pd.DataFrame
    codes: np.ndarray
    names: np.ndarray
    steps: list[Step]
    first_random: int
    synthetic: bool
    source: str

    @property
    def n(self) -> int:
        return len(self.codes)


@dataclass(frozen=True, eq=False)
class CheckedFrame:
    """A frame checked once against a frame schema, on which many designs are compiled.

    Made by :func:`check_plan_frame`; :func:`compile_plan` takes it in place of the
    frame, so that a caller compiling several designs on one frame (the variants of
    :func:`~sbm_stats.sampling.compare_designs` and
    :func:`~sbm_stats.sampling.design_sensitivity`) checks the frame once.

    Attributes
    ----------
    frame : pandas.DataFrame
        The clean copy :func:`~sbm_stats.sampling.check_frame` returns, with the
        original's ``attrs``; every plan compiled on this object shares it.
    schema : dict
        The frame schema it was checked against; only designs with an equal
        ``frame_schema`` are compiled on it.
    columns : pandas.DataFrame
        The same columns without ``attrs`` (pandas deep-copies ``attrs`` on every
        column access; conditions and rankings read plain columns).
    codes, names : numpy.ndarray
        The municipality codes and names, in frame order.
    position : dict
        Municipality code to unit index.
    rankings : dict
        The extremes rankings made on this frame, keyed by what a ranking depends on
        (see :meth:`ExtremesStage.compile <sbm_stats.sampling.stages.ExtremesStage.compile>`).
        It lives as long as this object and is not shared with any other frame.
    """

    frame: pd.DataFrame
    schema: dict
    columns: pd.DataFrame
    codes: np.ndarray
    names: np.ndarray
    position: dict[str, int]
    rankings: dict = field(default_factory=dict, repr=False)


def check_plan_frame(frame: pd.DataFrame, schema: dict, *, municipalities: pd.DataFrame) -> CheckedFrame:
    """Check ``frame`` against ``schema`` and the municipality list once (see :class:`CheckedFrame`).

    Raises
    ------
    DataValidationError
        The frame does not fit the schema.
    """
    clean = check_frame(frame, schema, municipalities=municipalities)
    columns = pd.DataFrame(clean, copy=False)
    columns.attrs = {}
    codes = columns["municipality_code"].to_numpy(dtype=object)
    names_all = municipalities.set_index("municipality_code")["municipality_name"].to_dict()
    names = np.array([names_all[c] for c in codes], dtype=object)
    position = {c: i for i, c in enumerate(codes)}
    for shared in (codes, names):  # every plan compiled on the frame reads them
        shared.flags.writeable = False
    return CheckedFrame(frame=clean, schema=schema, columns=columns, codes=codes, names=names, position=position)


def compile_plan(frame: pd.DataFrame | CheckedFrame, design: Design, *,
                 municipalities: pd.DataFrame | None = None) -> Plan:
    """Check ``frame`` against the design and turn the stages into index arrays.

    ``frame`` may be a :class:`CheckedFrame` (from :func:`check_plan_frame`, checked
    against a schema equal to the design's ``frame_schema``): it is then not checked
    again, and the extremes rankings it already holds are reused.
    ``municipalities`` (from :func:`sbm_stats.data.load_municipalities`) is read when not
    given; a caller compiling many designs on one frame passes it once.

    Raises
    ------
    DataValidationError
        The frame does not fit the design's schema.
    DesignError
        A certainty code not in the frame, or a draw that cannot be carried out (see
        :func:`check_feasible`).
    ValueError
        A CheckedFrame checked against another schema than the design's.
    """
    if not isinstance(design, Design):
        raise TypeError(f"design must be a Design (from load_design), not {type(design).__name__}")
    if isinstance(frame, CheckedFrame):
        if frame.schema != design.frame_schema:
            raise ValueError(f"frame was checked against another schema than the design's "
                             f"({design.frame_schema_path}); check it with that schema")
        checked = frame
    else:
        if municipalities is None:
            municipalities = design.package.table("municipalities")
        checked = check_plan_frame(frame, design.frame_schema, municipalities=municipalities)
    clean = checked.frame
    ctx = CompileContext(columns=checked.columns, codes=checked.codes, position=checked.position,
                         design_path=design.path, source=str(clean.attrs.get("source_file")))
    steps: list[Step] = []
    first_random = len(design.stages)
    for k, stage in enumerate(design.stages):
        step = Step(stage=stage, index=k, rankings=checked.rankings)
        stage.compile(step, ctx)
        if stage.random:
            first_random = min(first_random, k)
        steps.append(step)
    plan = Plan(
        design=design, frame=clean, codes=checked.codes, names=checked.names, steps=steps,
        first_random=first_random, synthetic=bool(clean.attrs.get("synthetic", False)),
        source=str(clean.attrs.get("source_file", "<frame>")),
    )
    check_feasible(plan)
    check_total(plan)
    return plan


def check_total(plan: Plan) -> None:
    """Raise DesignError if the design's ``expected_size`` cannot come out on this frame.

    Checked before any draw where the total is fixed by the frame: every random stage
    excludes earlier selections (so it adds exactly its size) and none is followed by a
    certainty or extremes stage. The error names each stage's contribution, and the
    field that makes it depend on the frame (``already_selected: skip``).
    """
    design = plan.design
    if design.expected_size is None or _later_nonrandom(plan):
        return
    randoms = [s.stage for s in plan.steps if s.stage.random]
    if not all(r.exclude_selected for r in randoms):
        return
    _, stage_of, _ = deterministic_prefix(plan)
    parts = []
    total = 0
    for step in plan.steps:
        added = step.stage.size if step.stage.random else int((stage_of == step.index).sum())
        total += added
        parts.append(f"{step.stage.id} {added}{step.stage.total_note(step)}")
    if total != design.expected_size:
        raise DesignError(
            f"{design.path}: the design states expected_size {design.expected_size}, but on this frame "
            f"({plan.source}) it gives {total} distinct municipalities ({', '.join(parts)}). "
            "With already_selected: skip an extremes stage adds only the municipalities not already "
            "selected, which depends on the frame; change the field size of a random stage, "
            "already_selected, or expected_size. Nothing was drawn."
        )


def deterministic_prefix(plan: Plan) -> tuple[np.ndarray, np.ndarray, dict[int, Any]]:
    """Run the stages before the first random one.

    Returns (selected, stage index per unit or -1, what each stage's ``select`` returned where not None).
    """
    selected = np.zeros(plan.n, dtype=bool)
    stage_of = np.full(plan.n, -1, dtype=np.int64)
    outcomes: dict[int, Any] = {}
    for step in plan.steps[: plan.first_random]:
        before = selected.copy()
        outcome = step.stage.select(plan, step, selected)
        if outcome is not None:
            outcomes[step.index] = outcome
        stage_of[selected & ~before] = step.index
    return selected, stage_of, outcomes


# ------------------------------------------------------------------ exact probabilities


@dataclass
class Exact:
    pi: np.ndarray  # per unit, NaN where not exact
    by_stage: np.ndarray  # (n_steps, n) probability of being selected in that stage, NaN where not exact
    method: np.ndarray  # per unit, a word on how pi was obtained
    note: str  # what is not exact and why ("" when everything is)


def _atoms(plan: Plan, D: np.ndarray, random_steps: list[Step]):
    sig = np.stack([s.eligible for s in random_steps], axis=0) if random_steps else np.zeros((0, plan.n), bool)
    atoms: dict[tuple[bool, ...], list[int]] = defaultdict(list)
    for i in range(plan.n):
        if not D[i] and sig[:, i].any():
            atoms[tuple(bool(x) for x in sig[:, i])].append(i)
    return list(atoms.items())


def _compositions(counts: list[int], n: int):
    """Every x with sum n and 0 <= x_j <= counts_j."""
    if not counts:
        if n == 0:
            yield ()
        return
    rest = sum(counts[1:])
    for x in range(max(0, n - rest), min(counts[0], n) + 1):
        for tail in _compositions(counts[1:], n - x):
            yield (x, *tail)


class _TooMany(Exception):
    pass


# Complexity above 15 on purpose: the dynamic programme over the stages; one loop keeps the
# state's invariant in one place.
def _walk_states(plan: Plan, D: np.ndarray, with_probabilities: bool):  # noqa: C901
    """Carry the atom counts through the random stages (per_stage semantics).

    Returns (atoms, expected draws per stage and atom, shortfalls) where a shortfall is
    (stage position, smallest pool seen). Raises _TooMany past MAX_STATES.
    """
    random_steps = [s for s in plan.steps if s.stage.random]
    atoms = _atoms(plan, D, random_steps)
    sizes = [len(units) for _, units in atoms]
    expected = np.zeros((len(random_steps), len(atoms)))
    shortfalls: list[tuple[int, int]] = []
    # atoms still needed after stage t (for merging states that no longer differ)
    needed_after = [
        [any(sig[u] for u in range(t + 1, len(random_steps))) for sig, _ in atoms] for t in range(len(random_steps))
    ]
    states: dict[tuple[int, ...], float] = {tuple(sizes): 1.0}
    for t, step in enumerate(random_steps):
        stage = step.stage
        cats = [k for k, (sig, _) in enumerate(atoms) if sig[t]]
        in_d = int((step.eligible & D).sum())
        new_states: dict[tuple[int, ...], Any] = defaultdict(float)
        last = t == len(random_steps) - 1
        smallest = None
        for state, p in states.items():
            counts = [state[k] for k in cats]
            if not stage.exclude_selected:
                counts.append(sum(sizes[k] - state[k] for k in cats) + in_d)
            pool = sum(counts)
            if pool < stage.size:
                smallest = pool if smallest is None else min(smallest, pool)
                continue
            if with_probabilities:
                for j, k in enumerate(cats):
                    expected[t, k] += p * stage.size * counts[j] / pool
            if last:
                continue
            total = math.comb(pool, stage.size)
            for x in _compositions(counts, stage.size):
                nxt = list(state)
                for j, k in enumerate(cats):
                    nxt[k] -= x[j]
                for k in range(len(atoms)):
                    if not needed_after[t][k]:
                        nxt[k] = 0
                if with_probabilities:
                    w = 1
                    for c, xj in zip(counts, x):
                        w *= math.comb(c, xj)
                    new_states[tuple(nxt)] += p * (w / total)
                else:
                    new_states[tuple(nxt)] = 1.0
            if len(new_states) > MAX_STATES:
                raise _TooMany
        if smallest is not None:
            shortfalls.append((t, smallest))
        if not last:
            states = dict(new_states)
    return atoms, random_steps, expected, shortfalls


def check_feasible(plan: Plan) -> None:
    """Raise DesignError if some random stage can, for some seed, find fewer than ``size`` to draw.

    With the random stages after every other stage the set of reachable situations is
    enumerated exactly (the same for ``per_stage`` and ``shared`` numbers: any
    combination of draws one allows, the other allows too); otherwise, or past
    :data:`MAX_STATES`, a bound is used: each earlier stage is assumed to take as many
    of the stage's list as it can.
    """
    random_steps = [s for s in plan.steps if s.stage.random]
    if not random_steps:
        return
    D, _, _ = deterministic_prefix(plan)
    if _later_nonrandom(plan):
        _bound_check(plan, random_steps, D)
        return
    try:
        _, steps, _, shortfalls = _walk_states(plan, D, with_probabilities=False)
    except _TooMany:
        _bound_check(plan, random_steps, D)
        return
    if shortfalls:
        t, smallest = shortfalls[0]
        raise DesignError(_shortfall_message(plan, steps[t], D, smallest))


def _later_nonrandom(plan: Plan) -> bool:
    return any(not s.stage.random for s in plan.steps[plan.first_random:])


def _bound_check(plan: Plan, random_steps: list[Step], D: np.ndarray) -> None:
    for step in random_steps:
        stage = step.stage
        listed = step.eligible & ~D if stage.exclude_selected else step.eligible
        pool = int(listed.sum())
        if stage.exclude_selected:
            for s in plan.steps[plan.first_random : step.index]:
                most, overlap = s.stage.most(s), int((s.stage.reach(s, plan.n) & listed).sum())
                pool -= min(most, overlap)
        if pool < stage.size:
            raise DesignError(_shortfall_message(plan, step, D, max(pool, 0)))


def _shortfall_message(plan: Plan, step: Step, D: np.ndarray, smallest: int) -> str:
    stage = step.stage
    listed = int(step.eligible.sum())
    taken = int((step.eligible & D).sum())
    head = (
        f"{plan.design.path}: stage {stage.id!r} draws size {stage.size}, but only {listed} municipalities "
        f"of the frame meet its condition {stage.eligible.text!r}"
    )
    if stage.exclude_selected and taken:
        head += f", {taken} of them already selected by the stages before the random ones"
    if smallest < listed - (taken if stage.exclude_selected else 0):
        head += f"; after the earlier random draws as few as {smallest} can be left"
    return head + (
        f". A draw larger than its eligible list cannot be carried out: make size at most {smallest}, "
        "widen the condition, put the stage earlier, or set exclude_selected: false."
    )


# Complexity above 15 on purpose: the deterministic stages, the per-stage chain and the shared numbers'
# simple cases side by side, each filling the same three arrays.
def exact_probabilities(plan: Plan) -> Exact:  # noqa: C901
    """Exact inclusion probabilities where the design allows them (see the module docs)."""
    n_steps = len(plan.steps)
    pi = np.full(plan.n, np.nan)
    by_stage = np.full((n_steps, plan.n), np.nan)
    method = np.full(plan.n, "monte_carlo_only", dtype=object)
    if _later_nonrandom(plan):
        for step in plan.steps:
            sure = step.stage.surely_selected(step)
            pi[sure] = 1.0
            method[sure] = step.stage.kind
        return Exact(pi, by_stage, method,
                     "a certainty or extremes stage follows a random stage, so which municipalities it "
                     "takes is random: exact values only for those certainty stages name")
    D, stage_of, _ = deterministic_prefix(plan)
    pi[D] = 1.0
    for i in np.flatnonzero(D):
        kind = plan.steps[stage_of[i]].stage.kind
        method[i] = kind
        by_stage[:, i] = 0.0
        by_stage[stage_of[i], i] = 1.0
    random_steps = [s for s in plan.steps if s.stage.random]
    in_any = np.zeros(plan.n, dtype=bool)
    for s in random_steps:
        in_any |= s.eligible
    none = ~D & ~in_any
    pi[none] = 0.0
    by_stage[:, none] = 0.0
    method[none] = "not_eligible"
    note = ""
    if plan.design.random_numbers == "per_stage":
        try:
            atoms, steps, expected, _ = _walk_states(plan, D, with_probabilities=True)
        except _TooMany:
            return Exact(pi, by_stage, method,
                         f"more than {MAX_STATES} combinations of earlier draws: random stages by Monte Carlo only")
        for k, (_, units) in enumerate(atoms):
            units = np.array(units)
            size = len(units)
            for t, step in enumerate(steps):
                by_stage[step.index, units] = expected[t, k] / size
            for s in plan.steps[: plan.first_random]:
                by_stage[s.index, units] = 0.0
            pi[units] = expected[:, k].sum() / size
            method[units] = "hypergeometric_chain" if len(steps) > 1 else "simple_random_sample"
    else:
        exact_units = []
        for t, step in enumerate(random_steps):
            stage = step.stage
            overlapped = any((s.eligible & step.eligible & ~D).any() for s in random_steps[:t])
            if stage.exclude_selected and overlapped:
                continue
            pool = int((step.eligible & ~D).sum()) if stage.exclude_selected else int(step.eligible.sum())
            others = np.zeros(plan.n, dtype=bool)
            for s in random_steps:
                if s is not step:
                    others |= s.eligible
            units = np.flatnonzero(step.eligible & ~D & ~others)
            pi[units] = stage.size / pool
            by_stage[:, units] = 0.0
            by_stage[step.index, units] = stage.size / pool
            method[units] = "simple_random_sample"
            exact_units.extend(units.tolist())
        rest = int(np.isnan(pi).sum())
        if rest:
            note = (
                f"random_numbers: shared coordinates the random stages; {rest} municipalities in overlapping "
                "lists have Monte Carlo values only"
            )
    return Exact(pi, by_stage, method, note)


# -------------------------------------------------------------------------- Monte Carlo


@dataclass
class Simulation:
    replicates: int
    total: np.ndarray  # (n,) times selected
    by_stage: np.ndarray  # (n_steps, n) times selected in that stage
    sizes: np.ndarray  # (replicates,) sample size of each replicate


def simulate(
    plan: Plan,
    replicates: int,
    rng: np.random.Generator,
    *,
    block: int = 10_000,
    progress: Progress | None = None,
) -> Simulation:
    """Carry out the design ``replicates`` times; count how often each unit is selected."""
    n = plan.n
    n_steps = len(plan.steps)
    total = np.zeros(n, dtype=np.int64)
    by_stage = np.zeros((n_steps, n), dtype=np.int64)
    sizes = np.zeros(replicates, dtype=np.int64)
    D, stage_of, _ = deterministic_prefix(plan)
    start_step = plan.first_random
    shared = plan.design.random_numbers == "shared"
    done = 0
    while done < replicates:
        b = min(block, replicates - done)
        rows = np.arange(b)
        sel = np.zeros((b, n), dtype=bool)
        sel[:, D] = True
        for i in np.flatnonzero(D):
            by_stage[stage_of[i], i] += b
        ctx = SimulationContext(rows=rows, uniforms=_uniform_source(rng, b, n, shared=shared))
        for step in plan.steps[start_step:]:
            step.stage.simulate(plan, step, sel, by_stage, ctx)
        total += sel.sum(axis=0)
        sizes[done : done + b] = sel.sum(axis=1)
        done += b
        if progress is not None:
            progress(done, replicates)
    return Simulation(replicates, total, by_stage, sizes)


def _uniform_source(rng: np.random.Generator, b: int, n: int, *, shared: bool) -> Callable[[np.ndarray], np.ndarray]:
    """Uniforms for a block: fresh ``(b, len(idx))`` per random stage, or with ``shared`` one
    ``(b, n)`` matrix, drawn now, that every stage reads its columns of."""
    if shared:
        U = rng.random((b, n))
        return lambda idx: U[:, idx].copy()
    return lambda idx: rng.random((b, len(idx)))
