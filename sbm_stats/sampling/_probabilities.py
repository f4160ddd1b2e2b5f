"""Inclusion probabilities of every municipality under a design: exact and Monte Carlo."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._design import Design
from ._engine import Exact, Plan, Progress, compile_plan, exact_probabilities, simulate

__all__ = ["inclusion_probabilities", "InclusionProbabilities"]


@dataclass(frozen=True, eq=False)
class InclusionProbabilities:
    """Inclusion probabilities of every municipality in the frame.

    Attributes
    ----------
    design : Design
        The design.
    frame_source : str
        The frame.
    synthetic : bool
        True when the frame is synthetic.
    codes, names : tuple of str
        The municipalities, in frame order.
    stages : tuple of str
        The stage ids, in design order.
    exact : numpy.ndarray
        Exact probability of being in the sample, NaN where the design does not allow
        an exact value (see ``exact_method`` and ``exact_note``).
    exact_method : tuple of str
        How each exact value was obtained: ``certainty``, ``extremes`` (deterministic
        given the frame), ``not_eligible`` (0), ``simple_random_sample`` (n/N),
        ``hypergeometric_chain`` (the exact walk through the random stages), or
        ``monte_carlo_only``.
    exact_note : str
        What is not exact and why ("" when everything is).
    exact_by_stage : numpy.ndarray
        (stages, municipalities): probability of being taken in that stage.
    replicates : int
        Monte Carlo replicates (0: none run).
    seed : int or None
        The Monte Carlo seed (``numpy.random.default_rng(seed)``).
    monte_carlo, standard_error : numpy.ndarray or None
        Share of replicates in which each municipality was selected, and its binomial
        standard error ``sqrt(p (1 - p) / R)``.
    monte_carlo_by_stage : numpy.ndarray or None
        (stages, municipalities): share of replicates in which it was taken in that stage.
    mean_size : float or None
        Mean number of distinct municipalities per replicate.
    """

    design: Design
    frame_source: str
    synthetic: bool
    codes: tuple[str, ...]
    names: tuple[str, ...]
    stages: tuple[str, ...]
    exact: np.ndarray
    exact_method: tuple[str, ...]
    exact_note: str
    exact_by_stage: np.ndarray
    replicates: int = 0
    seed: int | None = None
    monte_carlo: np.ndarray | None = None
    standard_error: np.ndarray | None = None
    monte_carlo_by_stage: np.ndarray | None = None
    mean_size: float | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per municipality: exact value and method, Monte Carlo value, its SE and z."""
        out = pd.DataFrame({
            "municipality_code": list(self.codes),
            "municipality_name": list(self.names),
            "exact": self.exact,
            "exact_method": list(self.exact_method),
        })
        if self.monte_carlo is not None:
            out["monte_carlo"] = self.monte_carlo
            out["standard_error"] = self.standard_error
            out["z"] = self._z()
            out["replicates"] = self.replicates
        out["synthetic"] = self.synthetic
        out.attrs.update(synthetic=self.synthetic, design=self.design.name, frame_source=self.frame_source,
                         seed=self.seed, replicates=self.replicates)
        return out

    def stage_frame(self) -> pd.DataFrame:
        """Long format: one row per municipality and stage, exact and Monte Carlo."""
        n_stages, n = self.exact_by_stage.shape
        out = pd.DataFrame({
            "municipality_code": np.tile(np.array(self.codes, dtype=object), n_stages),
            "stage": np.repeat(np.array(self.stages, dtype=object), n),
            "exact": self.exact_by_stage.ravel(),
        })
        if self.monte_carlo_by_stage is not None:
            p = self.monte_carlo_by_stage.ravel()
            out["monte_carlo"] = p
            out["standard_error"] = np.sqrt(p * (1 - p) / self.replicates)
        out["synthetic"] = self.synthetic
        out.attrs.update(synthetic=self.synthetic)
        return out

    def _z(self) -> np.ndarray:
        diff = self.monte_carlo - self.exact
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(self.standard_error > 0, diff / self.standard_error, np.where(diff == 0, 0.0, np.inf))
        return np.where(np.isnan(self.exact), np.nan, z)

    def max_abs_z(self) -> float:
        """Largest |Monte Carlo - exact| / SE over municipalities with both (inf if a zero-SE value differs)."""
        if self.monte_carlo is None:
            raise ValueError("no Monte Carlo values: call inclusion_probabilities with replicates > 0")
        z = self._z()
        z = z[~np.isnan(z)]
        return float(np.abs(z).max()) if len(z) else 0.0


def inclusion_probabilities(
    frame: pd.DataFrame,
    design: Design,
    *,
    replicates: int = 0,
    seed: int | None = None,
    block: int = 10_000,
    progress: Progress | None = None,
) -> InclusionProbabilities:
    """Inclusion probabilities of every municipality: exact where possible, and by Monte Carlo.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame.
    design : Design
        The design.
    replicates : int, default 0
        Monte Carlo replicates of the whole design (0: exact values only).
    seed : int, optional
        Seed of ``numpy.random.default_rng`` for the Monte Carlo; required when
        ``replicates > 0``.
    block : int, default 10000
        Replicates simulated at once (memory: about ``block * 290`` bytes per stage).
    progress : callable, optional
        Called as ``progress(done, replicates)`` after each block.

    Returns
    -------
    InclusionProbabilities

    Notes
    -----
    Exact values (see :mod:`sbm_stats.sampling._engine` for the method): certainty 1;
    extremes 1 or 0, deterministic given the frame; a random draw of n among N
    eligible is n/N given the earlier stages, and because with ``exclude_selected`` the
    list left for a later stage depends on the earlier random draws, the whole chain of
    random stages is computed exactly by following how many municipalities of each
    combination of lists remain (multivariate hypergeometric steps). With
    ``random_numbers: shared`` the stages are coordinated and only municipalities in a
    single, not-overlapped list get exact values; the rest come from Monte Carlo.

    The Monte Carlo replicates the whole design with uniform numbers from a
    ``numpy.random.Generator`` (vectorised over replicates). Its standard error is
    binomial; exact and Monte Carlo values agree within a few standard errors, which
    the tests check.

    Examples
    --------
    >>> from sbm_stats.sampling import demo_frame, load_design
    >>> p = inclusion_probabilities(demo_frame(), load_design())
    >>> round(float(p.exact.sum()), 10)   # the expected sample size
    30.0
    """
    if not isinstance(replicates, int) or isinstance(replicates, bool) or replicates < 0:
        raise ValueError(f"replicates ({replicates!r}) must be a non-negative integer")
    if replicates and (seed is None or isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"seed ({seed!r}) must be a non-negative integer when replicates > 0")
    if not isinstance(block, int) or block < 1:
        raise ValueError(f"block ({block!r}) must be a positive integer")
    return probabilities_from_plan(compile_plan(frame, design), replicates=replicates, seed=seed, block=block,
                                   progress=progress)[0]


def probabilities_from_plan(
    plan: Plan, *, replicates: int = 0, seed: int | None = None, block: int = 10_000,
    progress: Progress | None = None,
) -> tuple[InclusionProbabilities, Exact]:
    """:func:`inclusion_probabilities` on a compiled plan; also returns the engine's exact result."""
    design = plan.design
    exact = exact_probabilities(plan)
    kwargs = {}
    if replicates:
        sim = simulate(plan, replicates, np.random.default_rng(int(seed)), block=block, progress=progress)
        p = sim.total / replicates
        kwargs = dict(
            replicates=replicates, seed=int(seed), monte_carlo=p, standard_error=np.sqrt(p * (1 - p) / replicates),
            monte_carlo_by_stage=sim.by_stage / replicates, mean_size=float(sim.sizes.mean()),
        )
    result = InclusionProbabilities(
        design=design, frame_source=plan.source, synthetic=plan.synthetic,
        codes=tuple(str(c) for c in plan.codes), names=tuple(str(x) for x in plan.names),
        stages=tuple(s.id for s in design.stages), exact=exact.pi, exact_method=tuple(str(m) for m in exact.method),
        exact_note=exact.note, exact_by_stage=exact.by_stage, **kwargs,
    )
    return result, exact
