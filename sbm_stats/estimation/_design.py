"""A stratified single-stage design, validated once, and its linearised variance.

Private to :mod:`sbm_stats.estimation.weighted`: :func:`validated_design` checks the
unit-level arguments of :func:`~sbm_stats.estimation.weighted.weighted_proportion` and
:func:`~sbm_stats.estimation.weighted.domain_proportions` at the public boundary;
:meth:`Design.variance` is R ``survey``'s ``svyrecvar`` for ``svydesign(ids = ~1,
strata = ~h, weights = ~w, fpc = ~N_h)``, including its ``survey.lonely.psu`` options.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from .._validate import (
    as_numeric_array,
    check_choice,
    check_integral,
    describe_position,
    fail,
    labels_of,
)
from .proportions import _POP_WHAT as POP_WHAT

#: What to do with a stratum of a single unit (not a census stratum), spelled as R's
#: ``options(survey.lonely.psu = ...)``.
LonelyPSU = Literal["fail", "certainty", "adjust", "average"]
LONELY_PSU_OPTIONS: tuple[str, ...] = get_args(LonelyPSU)

_WEIGHTS_WHAT = "weights must be positive finite numbers (design weights), one per unit"
_Y_WHAT = "y must hold 0/1 (or True/False) answers, one per unit"


@dataclass(frozen=True, eq=False)
class Design:
    """Validated arrays of a stratified single-stage design (read-only)."""

    y: np.ndarray
    weights: np.ndarray
    strata: np.ndarray | None
    codes: np.ndarray
    labels: list[Any]
    n_h: np.ndarray
    f_h: np.ndarray
    population_size: dict | None
    lonely_psu: str

    @property
    def nobs(self) -> int:
        return len(self.y)

    def lonely(self) -> np.ndarray:
        """True for strata of one unit that are not census strata."""
        return (self.n_h < 2) & (self.f_h < 1)

    def variance(self, z: np.ndarray) -> float:
        """The variance of a total of linearised values ``z`` (one per unit).

        ``sum_h (1 - f_h) n_h / (n_h - 1) sum_{i in h} (z_i - mean_h z)^2`` over strata of
        two units or more; a census stratum adds 0. A stratum of one unit adds, as R's
        ``onestrat``: ``'certainty'`` 0; ``'adjust'`` ``(1 - f_h) z_i^2`` (centred at the
        grand mean, which is 0 for a mean's linearised values); ``'average'`` nothing,
        and the sum is multiplied by ``H / (H - lonely strata)``.
        """
        n_strata = len(self.labels)
        sum_h = np.bincount(self.codes, weights=z, minlength=n_strata)
        mean_h = sum_h / self.n_h
        lonely = self.lonely()
        centred = np.where(lonely[self.codes] & (self.lonely_psu == "adjust"), z, z - mean_h[self.codes])
        ss_h = np.bincount(self.codes, weights=centred**2, minlength=n_strata)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(self.n_h > 1, (1 - self.f_h) * self.n_h / (self.n_h - 1), 1 - self.f_h)
        contrib = np.where(self.f_h < 1, scale * ss_h, 0.0)
        if self.lonely_psu == "average" and lonely.any():
            contrib = np.where(lonely, 0.0, contrib)
            return float(contrib.sum() * n_strata / (n_strata - int(lonely.sum())))
        return float(contrib.sum())


def _as_1d(name: str, value: Any, what: str) -> np.ndarray:
    arr = as_numeric_array(name, value, what=what)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}")
    return arr


def _answers(y: Any) -> np.ndarray:
    if isinstance(y, pd.Series) and pd.api.types.is_bool_dtype(y.dtype):
        if y.isna().any():
            pos = int(np.flatnonzero(y.isna().to_numpy())[0])
            raise ValueError(f"y{describe_position((pos,), y.index)} is missing; {_Y_WHAT}")
        y = y.to_numpy(dtype=float)
    elif not isinstance(y, pd.Series):
        arr = np.asarray(y)
        if arr.dtype.kind == "b":
            y = arr.astype(float)
    arr = _as_1d("y", y, _Y_WHAT)
    not01 = (arr != 0) & (arr != 1)
    if not01.any():
        raise fail("y", arr, not01, "is neither 0 nor 1", _Y_WHAT, labels_of(y))
    return arr.astype(float)


def labels_array(name: str, value: Any, size: int, what: str) -> np.ndarray:
    """One label per unit (strata, domains, classes) as an object array; no missing label."""
    arr = np.asarray(value.to_numpy() if isinstance(value, pd.Series) else value, dtype=object)
    if arr.ndim != 1 or len(arr) != size:
        raise ValueError(f"{name} must be one label per unit ({size} units); got shape {arr.shape}")
    missing = pd.isna(arr)
    if missing.any():
        raise fail(name, arr, missing, "is missing", what, labels_of(value))
    return arr


def _population_sizes(population_size: Any, stratified: bool, labels: list[Any]) -> dict:
    if not stratified:
        if isinstance(population_size, (Mapping, pd.Series)):
            raise TypeError("population_size must be a single number when strata is None; "
                            f"got a {type(population_size).__name__}")
        big = as_numeric_array("population_size", population_size, what=POP_WHAT)
        if big.ndim != 0:
            raise TypeError("population_size must be a single number when strata is None")
        check_integral("population_size", big, minimum=1, what=POP_WHAT)
        return {None: int(big)}
    if not isinstance(population_size, (Mapping, pd.Series)):
        raise TypeError("population_size must map each stratum label to its population size "
                        f"(a dict or a pandas Series) when strata are given; got {population_size!r}")
    mapping = dict(population_size.items())
    absent = [lab for lab in labels if lab not in mapping]
    if absent:
        raise ValueError(f"population_size has no entry for stratum {absent[0]!r}"
                         + (f" (nor for {len(absent) - 1} more)" if len(absent) > 1 else "")
                         + f"; give one for each of {labels!r}")
    pop = {}
    for lab in labels:
        val = as_numeric_array(f"population_size[{lab!r}]", mapping[lab], what=POP_WHAT)
        if val.ndim != 0:
            raise TypeError(f"population_size[{lab!r}] must be a single number")
        check_integral(f"population_size[{lab!r}]", val, minimum=1, what=POP_WHAT)
        pop[lab] = int(val)
    return pop


def validated_design(y: Any, weights: Any, strata: Any, population_size: Any, lonely_psu: Any) -> Design:
    """Check the unit-level arguments once; every message names the argument and position."""
    lonely_psu = check_choice("lonely_psu", lonely_psu, LONELY_PSU_OPTIONS)
    yy = _answers(y)
    w = _as_1d("weights", weights, _WEIGHTS_WHAT).astype(float)
    if len(w) != len(yy):
        raise ValueError(f"y has {len(yy)} units but weights has {len(w)}; give one weight per unit")
    if len(yy) == 0:
        raise ValueError("y is empty; at least two units are needed")
    nonpos = w <= 0
    if nonpos.any():
        raise fail("weights", w, nonpos, "is not positive", _WEIGHTS_WHAT, labels_of(weights))
    if strata is None:
        codes = np.zeros(len(yy), dtype=np.int64)
        labels: list[Any] = [None]
        strata_arr = None
    else:
        strata_arr = labels_array("strata", strata, len(yy), "every unit needs a stratum label")
        codes_idx, uniques = pd.factorize(strata_arr, sort=False)
        codes = codes_idx.astype(np.int64)
        labels = list(uniques)
    n_h = np.bincount(codes, minlength=len(labels))
    pop = None
    f_h = np.zeros(len(labels))
    if population_size is not None:
        pop = _population_sizes(population_size, strata is not None, labels)
        big_h = np.array([pop[lab] for lab in labels], dtype=float)
        small = big_h < n_h
        if small.any():
            k = int(np.flatnonzero(small)[0])
            where = "" if strata is None else f" for stratum {labels[k]!r}"
            raise ValueError(f"population_size{where} ({int(big_h[k])}) is smaller than the {int(n_h[k])} "
                             "units sampled; population_size must be at least the number of units sampled")
        f_h = n_h / big_h
    design = Design(yy, w, strata_arr, codes, labels, n_h, f_h, pop, lonely_psu)
    lonely = design.lonely()
    if lonely.any() and lonely_psu == "fail":
        k = int(np.flatnonzero(lonely)[0])
        pos = int(np.flatnonzero(codes == k)[0])
        name = "the sample" if strata is None else f"stratum {labels[k]!r} (strata{describe_position((pos,))})"
        more = f"; {int(lonely.sum()) - 1} more strata have one unit" if lonely.sum() > 1 else ""
        raise ValueError(
            f"{name} has a single unit, so its variance cannot be estimated{more}; give at least two "
            "units per stratum, or choose lonely_psu='certainty', 'adjust' or 'average' (R's "
            "survey.lonely.psu)")
    if lonely_psu == "average" and lonely.all():
        raise ValueError("lonely_psu='average' needs at least one stratum of two units or more; "
                         "every stratum here has a single unit")
    for arr in (yy, w, strata_arr):
        if arr is not None:
            arr.flags.writeable = False
    return design
