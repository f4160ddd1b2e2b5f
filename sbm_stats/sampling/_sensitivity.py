"""Sensitivity of the inclusion probabilities to the design's open assumptions.

The publication leaves the stage-3 draw sizes and the rule for an already selected
"highest" municipality open (assumptions A1 and A2 of the design file). These helpers
make variants of a design with other choices and compare the inclusion probabilities
they give on the same frame, so that a reader can see how much the answer rests on
each assumption.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import DesignError
from ._design import Design, ExtremesStage, RandomStage
from ._probabilities import inclusion_probabilities

__all__ = ["design_variant", "compare_designs"]


def design_variant(
    design: Design,
    *,
    sizes: Mapping[str, int] | None = None,
    already_selected: str | None = None,
    expected_size: int | None | str = "keep",
) -> Design:
    """A copy of ``design`` with other random-stage sizes and/or another extremes rule.

    Parameters
    ----------
    design : Design
        The design to vary.
    sizes : mapping of stage id to int, optional
        New sizes for random stages (assumption A1).
    already_selected : {"skip", "next"}, optional
        New rule for extremes stages (assumption A2).
    expected_size : int, None or "keep"
        The variant's required total; ``"keep"`` adjusts it by the change in the random
        stages' sizes, ``None`` drops the requirement (needed with ``skip``, whose total
        depends on the frame).

    Raises
    ------
    DesignError
        For an unknown stage id, a stage that is not random, a size below 0, or a rule
        other than ``skip`` or ``next``.
    """
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
    else:
        expected = expected_size
    return dataclasses.replace(design, stages=tuple(stages), expected_size=expected)


def compare_designs(
    frame: pd.DataFrame,
    designs: Mapping[str, Design],
    *,
    replicates: int,
    seed: int,
) -> pd.DataFrame:
    """Inclusion probabilities of every municipality under each design, side by side.

    Returns one row per municipality with a column per design (the Monte Carlo estimate
    with ``replicates`` replicates and the given seed; the exact value where the design
    allows it is used instead), plus ``attrs['mean_size']`` per design and
    ``attrs['synthetic']``.
    """
    if not designs:
        raise DesignError("designs must name at least one design")
    out = None
    sizes = {}
    synthetic = False
    for name, design in designs.items():
        p = inclusion_probabilities(frame, design, replicates=replicates, seed=seed)
        values = np.where(np.isnan(p.exact), p.monte_carlo, p.exact)
        if out is None:
            out = pd.DataFrame({"municipality_code": list(p.codes), "municipality_name": list(p.names)})
        out[name] = values
        sizes[name] = p.mean_size
        synthetic = synthetic or p.synthetic
    out.attrs.update(mean_size=sizes, synthetic=synthetic, replicates=replicates, seed=seed)
    return out
