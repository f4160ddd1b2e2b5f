"""Sensitivity of the sample and its inclusion probabilities to the design's open assumptions.

The publication leaves several choices open (the ``OPEN ASSUMPTION`` marks of the design
file). Those with a runnable alternative are listed under ``open_assumptions`` in the
design file; :func:`design_variant` makes the design with other choices,
:func:`compare_designs` puts what two or more designs give on one frame side by side
(inclusion probabilities, and the sample for a seed), and :func:`design_sensitivity`
runs every combination of the open assumptions and summarises, per municipality, the
range of its exact inclusion probability and in how many variants it is selected.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import DesignError
from ._design import Design, apply_changes, codes_checked, design_from_spec
from ._engine import CheckedFrame, check_plan_frame, compile_plan
from ._probabilities import probabilities_from_plan
from ._select import _check_seed, draw_sample
from .stages import ExtremesStage, RandomStage

__all__ = ["design_variant", "compare_designs", "design_sensitivity", "DesignSensitivity", "SensitivityVariant",
           "InfeasibleVariant"]


def design_variant(
    design: Design,
    *,
    choose: Mapping[str, str] | None = None,
    random_order: Sequence[str] | None = None,
    variable_order: Mapping[str, Sequence[str]] | None = None,
    sizes: Mapping[str, int] | None = None,
    already_selected: str | None = None,
    expected_size: int | None | str = "keep",
    name: str | None = None,
) -> Design:
    """A copy of ``design`` with other choices for its open assumptions.

    Parameters
    ----------
    design : Design
        The design to vary (from :func:`load_design`).
    choose : mapping of assumption id to choice name, optional
        Alternatives from the design file's ``open_assumptions`` (e.g.
        ``{"a1_a2": "skip_enlarged"}``); the default's name keeps the default.
    random_order : sequence of str, optional
        The random stages' ids in the order they are drawn (assumption A10).
    variable_order : mapping of stage id to a sequence of columns, optional
        The order of an extremes stage's variables (assumption A9).
    sizes : mapping of stage id to int, optional
        New sizes for random stages (assumption A1); 0 leaves a stage out.
    already_selected : {"skip", "next"}, optional
        New rule for every extremes stage (assumption A2).
    expected_size : int, None or "keep"
        The variant's required total; ``"keep"`` keeps the (possibly chosen) design's
        and adjusts it by the change that ``sizes`` makes, ``None`` drops the requirement.
    name : str, optional
        The variant's name; by default the design's name with the non-default choices.

    Returns
    -------
    Design
        The variant; ``choices`` says which choice of each open assumption it makes.

    Raises
    ------
    DesignError
        For an unknown assumption or choice, an ordering that names an unknown stage or
        variable or leaves one out (naming the stage and the field), a size below 0 or a
        stage that is not random, a rule other than ``skip`` or ``next``, or a variant
        that cannot give its stated total.

    Notes
    -----
    ``choose`` and the orderings are applied to the design file's contents and the
    result is checked as a whole design file is (:func:`load_design`); ``sizes`` and
    ``already_selected`` are applied to the stages afterwards, so that a size of 0 can
    switch a stage off.

    Examples
    --------
    >>> from sbm_stats.sampling import load_design
    >>> v = design_variant(load_design(), choose={"a1_a2": "skip_enlarged"})
    >>> v.stage("kronofogden").already_selected, v.stage("bme_children").size, v.expected_size
    ('skip', 10, 30)
    """
    if not isinstance(design, Design):
        raise TypeError(f"design must be a Design (from load_design), not {type(design).__name__}")
    choose = dict(choose or {})
    out = design
    changes: dict[str, Any] = {}
    if random_order is not None:
        changes["random_order"] = list(random_order)
    if variable_order is not None:
        changes["stages"] = {}
        ids = {s.id: s for s in design.stages}
        for stage_id, columns in variable_order.items():
            if stage_id not in ids or not isinstance(ids[stage_id], ExtremesStage):
                extremes = ", ".join(s.id for s in design.stages if isinstance(s, ExtremesStage)) or "none"
                raise DesignError(f"variable_order: stage ({stage_id!r}) must be an extremes stage: {extremes}")
            changes["stages"][stage_id] = {"variable_order": list(columns)}
    # choices the design already makes (the default variant of a sensitivity analysis) rebuild nothing
    if changes or any(design.choices.get(k) != v for k, v in choose.items()):
        spec = apply_changes(design.spec, changes) if changes else dict(design.spec)
        out = design_from_spec(spec, Path(design.variant_of or design.path), where=design.path,
                               sha256=design.sha256, choices={**design.choices, **choose},
                               variant_of=design.variant_of, known_codes=codes_checked(design),
                               package=design.package)
    out = _replace_sizes(out, sizes, already_selected, expected_size)
    if name is None:
        changed = [f"{k}={v}" for k, v in out.choices.items() if design.choices.get(k) != v]
        name = design.name + (f"[{', '.join(changed)}]" if changed else "")
    return dataclasses.replace(out, name=name)


def _replace_sizes(design: Design, sizes, already_selected, expected_size) -> Design:
    sizes = dict(sizes or {})
    ids = {s.id: s for s in design.stages}
    for stage_id, size in sizes.items():
        if stage_id not in ids:
            raise DesignError(f"sizes: stage ({stage_id!r}) must be one of: {', '.join(ids)}")
        if not isinstance(ids[stage_id], RandomStage):
            raise DesignError(f"sizes: stage {stage_id!r} is {ids[stage_id].kind}; only random stages have a size")
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
            raise DesignError(f"sizes: the size of {stage_id!r} ({size!r}) must be a whole number of at least 0")
    if already_selected not in (None, "skip", "next"):
        raise DesignError(f"already_selected ({already_selected!r}) must be 'skip' or 'next'")
    stages = []
    delta = 0
    for s in design.stages:
        if isinstance(s, RandomStage) and s.id in sizes:
            delta += int(sizes[s.id]) - s.size
            s = dataclasses.replace(s, size=int(sizes[s.id]))
        elif isinstance(s, ExtremesStage) and already_selected is not None:
            s = dataclasses.replace(s, already_selected=already_selected)
        stages.append(s)
    if expected_size == "keep":
        expected = None if design.expected_size is None else design.expected_size + delta
    elif expected_size is None or (isinstance(expected_size, int) and not isinstance(expected_size, bool)
                                   and expected_size >= 1):
        expected = expected_size
    else:
        raise DesignError(f"expected_size ({expected_size!r}) must be a positive whole number, None or 'keep'")
    return dataclasses.replace(design, stages=tuple(stages), expected_size=expected)


def compare_designs(
    frame: pd.DataFrame,
    designs: Mapping[str, Design],
    *,
    replicates: int = 0,
    seed: int | None = None,
    sample_seed: int | None = None,
    on_infeasible: Literal["raise", "omit"] = "raise",
) -> pd.DataFrame:
    """What each design gives on one frame, side by side: probabilities and, optionally, the sample.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame.
    designs : mapping of name to Design
        The designs to compare (e.g. a design and its :func:`design_variant`).
    replicates : int, default 0
        Monte Carlo replicates; 0 uses exact values only (every municipality must then
        have one, as with ``random_numbers: per_stage``).
    seed : int, optional
        The Monte Carlo seed; required when ``replicates > 0``.
    sample_seed : int, optional
        When given, the sample each design draws with this seed is added.
    on_infeasible : {"raise", "omit"}, default "raise"
        What to do with a design that cannot be carried out on the frame (a draw larger
        than its list, a stated total it does not give there, a tie under ``ties:
        error``): raise, or leave it out and say why in ``attrs["infeasible"]``.

    Returns
    -------
    pandas.DataFrame
        One row per municipality: ``municipality_code``, ``municipality_name``, a
        probability column per design (named as the design; the exact value where the
        design allows one, else the Monte Carlo estimate), with ``sample_seed`` a
        boolean column ``selected:<name>`` per design, and ``differs`` (True where the
        designs disagree on the probability, by more than 1e-12, or on selection).
        ``attrs`` hold ``mean_size`` (exact expected size, or the Monte Carlo mean, per
        design), ``samples`` (each design's selected codes in selection order, with
        ``sample_seed``), ``synthetic``, ``replicates``, ``seed``, ``sample_seed`` and
        ``infeasible`` (name -> why, of each design left out with ``on_infeasible="omit"``).

    Raises
    ------
    DesignError
        No design, or a design that fails on the frame (the message names the design;
        with ``on_infeasible="omit"`` only when every design does), or a probability
        without an exact value when ``replicates`` is 0.
    """
    _check_comparison(designs, replicates, seed, on_infeasible)
    infeasible: dict[str, str] = {}
    out = None
    sizes = {}
    samples: dict[str, tuple[str, ...]] = {}
    synthetic = False
    packages = {d.package for d in designs.values()}
    if len(packages) > 1:
        raise DesignError("designs must come from one data package; these come from "
                          + ", ".join(sorted(str(p.path) for p in packages)))
    municipalities = packages.pop().table("municipalities")
    checked: list[CheckedFrame] = []  # the frame checked once per distinct frame schema
    for name, design in designs.items():
        try:
            on = next((c for c in checked if c.schema == design.frame_schema), None)
            if on is None:
                on = check_plan_frame(frame, design.frame_schema, municipalities=municipalities)
                checked.append(on)
            plan = compile_plan(on, design)
            p, exact = probabilities_from_plan(plan, replicates=replicates, seed=seed)
            sample = (draw_sample(plan, seed=_check_seed(sample_seed), replicates=max(replicates, 1), exact=exact)
                      if sample_seed is not None else None)
        except DesignError as exc:
            if on_infeasible == "raise":
                raise DesignError(f"design {name!r}: {exc}") from None
            infeasible[name] = str(exc)
            continue
        if replicates:
            values = np.where(np.isnan(p.exact), p.monte_carlo, p.exact)
            sizes[name] = p.mean_size
        else:
            if np.isnan(p.exact).any():
                raise DesignError(
                    f"design {name!r}: {p.exact_note}; give replicates > 0 for Monte Carlo values"
                )
            values = p.exact
            sizes[name] = float(p.exact.sum())
        if out is None:
            out = pd.DataFrame({"municipality_code": list(p.codes), "municipality_name": list(p.names)})
        out[name] = values
        if sample is not None:
            out[f"selected:{name}"] = out["municipality_code"].isin(set(sample.codes))
            samples[name] = sample.codes
        synthetic = synthetic or p.synthetic
    if out is None:  # every design fails on the frame: the first one's reason
        first = next(iter(infeasible))
        raise DesignError(f"design {first!r}: {infeasible[first]}")
    names = [n for n in designs if n not in infeasible]
    probs = out[names].to_numpy(dtype=float)
    differs = (probs.max(axis=1) - probs.min(axis=1)) > 1e-12
    if sample_seed is not None:
        chosen = out[[f"selected:{n}" for n in names]].to_numpy()
        differs |= chosen.any(axis=1) & ~chosen.all(axis=1)
    out["differs"] = differs
    out.attrs.update(mean_size=sizes, synthetic=synthetic, replicates=replicates, seed=seed,
                     sample_seed=sample_seed, samples=samples, infeasible=infeasible)
    return out


def _check_comparison(designs: Mapping[str, Design], replicates: Any, seed: Any, on_infeasible: Any) -> None:
    if not designs:
        raise DesignError("designs must name at least one design")
    if not isinstance(replicates, int) or isinstance(replicates, bool) or replicates < 0:
        raise ValueError(f"replicates ({replicates!r}) must be a non-negative integer")
    if replicates:
        _check_seed(seed)
    if on_infeasible not in ("raise", "omit"):
        raise ValueError(f"on_infeasible ({on_infeasible!r}) must be one of 'raise' or 'omit'")


# ------------------------------------------------------------------------- sensitivity


@dataclass(frozen=True)
class SensitivityVariant:
    """One combination of choices of the open assumptions, and what it gave.

    ``choices`` maps each assumption id to the choice made; ``codes`` are the
    municipalities the variant selects with the seed, in selection order.
    """

    name: str
    choices: Mapping[str, str]
    codes: tuple[str, ...]
    expected_size: float  # the sum of the exact inclusion probabilities, rounded to 9 decimals


@dataclass(frozen=True)
class InfeasibleVariant:
    """A combination of choices that cannot be carried out on the frame, and why (``message``:
    the :class:`~sbm_stats.errors.DesignError` naming the stage and the sizes)."""

    name: str
    choices: Mapping[str, str]
    message: str


@dataclass(frozen=True, eq=False)
class DesignSensitivity:
    """Every combination of a design's open assumptions run on one frame.

    Attributes
    ----------
    design : Design
        The design whose assumptions were varied (its own choices are the defaults).
    seed : int
        The seed of the permanent random numbers for the samples.
    frame_source : str
        The frame.
    synthetic : bool
        True when the frame is synthetic.
    assumptions : tuple of str
        The assumption ids varied, in the design file's order.
    variants : tuple of SensitivityVariant
        One per combination; the first makes every default choice.
    codes, names : tuple of str
        The municipalities, in frame order.
    probabilities : numpy.ndarray
        (variants, municipalities): the exact inclusion probability under each variant.
    selected : numpy.ndarray
        (variants, municipalities): True where the variant selects the municipality
        with ``seed``.
    infeasible : tuple of InfeasibleVariant
        The combinations that cannot be carried out on this frame (not in ``variants``).
    """

    design: Design
    seed: int
    frame_source: str
    synthetic: bool
    assumptions: tuple[str, ...]
    variants: tuple[SensitivityVariant, ...]
    codes: tuple[str, ...]
    names: tuple[str, ...]
    probabilities: np.ndarray = field(repr=False)
    selected: np.ndarray = field(repr=False)
    infeasible: tuple[InfeasibleVariant, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per municipality: its probability under the defaults, its range, and selections.

        Columns: ``municipality_code``, ``municipality_name``, ``probability_default``,
        ``probability_min``, ``probability_max``, ``probability_range`` (max - min),
        ``selected_default`` (in the default variant's sample), ``variants_selected`` (in
        how many variants' samples it is), ``variants`` (how many were run), ``synthetic``.
        """
        p = self.probabilities
        out = pd.DataFrame({
            "municipality_code": list(self.codes),
            "municipality_name": list(self.names),
            "probability_default": p[0],
            "probability_min": p.min(axis=0),
            "probability_max": p.max(axis=0),
            "probability_range": p.max(axis=0) - p.min(axis=0),
            "selected_default": self.selected[0],
            "variants_selected": self.selected.sum(axis=0).astype(np.int64),
            "variants": len(self.variants),
        })
        out["synthetic"] = self.synthetic
        out.attrs.update(synthetic=self.synthetic, seed=self.seed, design=self.design.name,
                         frame_source=self.frame_source)
        return out

    def variants_frame(self) -> pd.DataFrame:
        """One row per variant: its choices, expected size, and how its sample differs from the default's."""
        default = set(self.variants[0].codes)
        rows = []
        for v in self.variants:
            chosen = set(v.codes)
            rows.append({
                "variant": v.name, **{a: v.choices[a] for a in self.assumptions},
                "expected_size": v.expected_size, "sample_size": len(v.codes),
                "not_in_default": " ".join(sorted(chosen - default)),
                "default_not_here": " ".join(sorted(default - chosen)),
                "municipality_codes": " ".join(v.codes),
            })
        out = pd.DataFrame(rows)
        out["synthetic"] = self.synthetic
        out.attrs.update(synthetic=self.synthetic, seed=self.seed, design=self.design.name)
        return out

    def long_frame(self) -> pd.DataFrame:
        """One row per municipality and variant: the exact probability and whether it is selected."""
        k, n = self.probabilities.shape
        out = pd.DataFrame({
            "variant": np.repeat(np.array([v.name for v in self.variants], dtype=object), n),
            "municipality_code": np.tile(np.array(self.codes, dtype=object), k),
            "probability": self.probabilities.ravel(),
            "selected": self.selected.ravel(),
        })
        out["synthetic"] = self.synthetic
        out.attrs.update(synthetic=self.synthetic, seed=self.seed)
        return out


def design_sensitivity(
    frame: pd.DataFrame,
    design: Design,
    *,
    seed: int,
    assumptions: Sequence[str] | None = None,
) -> DesignSensitivity:
    """Run every combination of a design's open assumptions on a frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame.
    design : Design
        A design with ``open_assumptions`` (such as the bundled 2014 design).
    seed : int
        The seed of the permanent random numbers: every variant draws with it.
    assumptions : sequence of str, optional
        The assumption ids to vary (default: all); the others keep the design's choice.

    Returns
    -------
    DesignSensitivity
        With one variant per combination (2 x 2 x 2 x 2 = 16 for the 2014 design); the
        first variant makes the design's own choices.

    Raises
    ------
    DesignError
        A design without open assumptions, an unknown assumption id, two alternatives
        that cannot be combined, or the design's own choices failing on the frame; the
        message names the variant, the stage and the field. Nothing is returned then.
        Another variant that cannot be carried out on the frame (for example one that
        cannot give its stated total there) is left out and listed in ``infeasible``.

    Notes
    -----
    Probabilities are exact (see :func:`inclusion_probabilities`); a variant whose
    probabilities cannot all be computed exactly is refused.

    Examples
    --------
    >>> from sbm_stats.sampling import demo_frame, load_design
    >>> s = design_sensitivity(demo_frame(), load_design(), seed=2014)
    >>> len(s.variants), s.assumptions
    (16, ('a1_a2', 'a5_lists', 'a9_pick_order', 'a10_random_order'))
    """
    if not design.open_assumptions:
        raise DesignError(f"{design.path}: the design lists no open_assumptions to vary")
    ids = tuple(a.id for a in design.open_assumptions)
    if assumptions is None:
        varied = ids
    else:
        for a in assumptions:
            if a not in ids:
                raise DesignError(f"assumptions: {a!r} must be one of: {', '.join(ids)}")
        varied = tuple(a for a in ids if a in set(assumptions))
    options = [design.assumption(a).choices for a in varied]
    designs: dict[str, Design] = {}
    choices_of: dict[str, dict[str, str]] = {}
    for combo in itertools.product(*options):
        choose = dict(zip(varied, combo))
        changed = [f"{a}={c}" for a, c in choose.items() if c != design.choices.get(a)]
        name = ", ".join(changed) if changed else "default"
        try:
            designs[name] = design_variant(design, choose=choose, name=f"{design.name}[{name}]")
        except DesignError as exc:
            raise DesignError(f"variant {name}: {exc}") from None
        choices_of[name] = {**design.choices, **choose}
    table = compare_designs(frame, designs, sample_seed=seed, on_infeasible="omit")
    refused = table.attrs["infeasible"]
    first = next(iter(designs))
    if first in refused:  # the design's own choices cannot be drawn: nothing to compare with
        raise DesignError(f"design {first!r}: {refused[first]}")
    names = [n for n in designs if n not in refused]
    probabilities = table[names].to_numpy(dtype=float).T
    selected = table[[f"selected:{n}" for n in names]].to_numpy(dtype=bool).T
    codes = table["municipality_code"].to_numpy(dtype=object)
    variants = tuple(
        SensitivityVariant(name=n, choices=choices_of[n], codes=table.attrs["samples"][n],
                           expected_size=round(float(table.attrs["mean_size"][n]), 9))
        for n in names
    )
    for arr in (probabilities, selected):
        arr.flags.writeable = False
    return DesignSensitivity(
        design=design, seed=int(seed), frame_source=str(frame.attrs.get("source_file", "<frame>")),
        synthetic=bool(table.attrs["synthetic"]), assumptions=varied, variants=variants,
        codes=tuple(str(c) for c in codes), names=tuple(table["municipality_name"]),
        probabilities=probabilities, selected=selected,
        infeasible=tuple(InfeasibleVariant(n, choices_of[n], m) for n, m in refused.items()),
    )
