"""The synthetic demonstration frame: real municipalities, made-up statistics.

Kronofogden's per-municipality statistics for 2013 and the municipalities' answers
to BME 2014 are not available to the project. To let anyone run, test and read the
sample design end to end, :func:`make_demo_frame` builds a stand-in from the real
list of 290 municipalities and their real populations of 31 December 2013 (SCB), and
invents the rest, seeded and documented. **It is NOT real data**: its metadata says
``"synthetic": true`` and every sample, table and protocol made from it says so.

How it is made (all random numbers are :mod:`._prn` permanent random numbers with
stream ``synthetic|<column>``, so the file is the same on every machine and numpy
version):

Counts. For each Kronofogden column with national target ``T``:

1. a municipality factor ``g = exp(sigma * z - sigma**2 / 2)`` with
   ``z = NormalDist().inv_cdf(u)`` (lognormal with mean 1: municipalities differ in
   their rate), ``sigma`` per column in :data:`HETEROGENEITY`;
2. an expected count ``e = T * w / sum(w)`` with ``w = population_2013 * g``, i.e.
   in proportion to population, times the factor;
3. integer counts that sum to exactly ``T``: each ``e`` is rounded down, and the
   remaining ``T - sum(floor(e))`` units go to municipalities chosen by systematic
   sampling with probabilities equal to the fractional parts (random start ``u`` of
   stream ``synthetic|<column>|rounding``, municipalities in code order), so each
   municipality's expected count is exactly ``e``.

Calibration targets (national totals the project holds, with sources in
``data/published_figures.csv``): see :data:`CALIBRATION_TARGETS`. Two are
half-year figures doubled to a year, an assumption: executed evictions 2013 (the
first half, 1 325, doubled to 2 650) and applications for eviction 2013 (the first
half, 4 445, doubled to 8 890).

Answers to BME 2014, with counts fixed in :data:`ANSWER_COUNTS` (assumptions, loosely
based on the publication: 260 of 290 municipalities had a secondary housing market in
2013, more than half of them with households with children, and "only 15" where the
aim is not that the tenant takes over):

* ``no_answer`` to both questions for the 35 municipalities with the smallest numbers
  of stream ``synthetic|bme_no_answer`` (unit non-response);
* children under 18: ``yes`` for 150 of the others, chosen with weights
  ``sqrt(population_2013)`` (larger municipalities more likely) by ordering on
  ``u ** (1 / w)``, largest first (Efraimidis and Spirakis 2006), stream
  ``synthetic|bme_children_under_18``; ``no`` for the remaining 105;
* tenant takeover aim: ``no`` for the 15 of the 255 respondents with the smallest
  numbers of stream ``synthetic|bme_tenant_takeover_aim``, ``yes`` for the other 240.

Regenerate the committed file with ``sbm-stats demo-frame --seed 2014 --out
data/synthetic`` (a test checks that this reproduces it byte for byte).
"""

from __future__ import annotations

import json
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from ..data._package import DataPackage, as_package
from ._prn import PRN_FORMULA, permanent_random_number, permanent_random_numbers

__all__ = [
    "make_demo_frame",
    "demo_frame_metadata",
    "write_demo_frame",
    "DEMO_SEED",
    "CALIBRATION_TARGETS",
    "HETEROGENEITY",
    "ANSWER_COUNTS",
]

#: The seed of the committed demonstration frame.
DEMO_SEED = 2014

#: National totals the counts are calibrated to (sum over the 290 municipalities).
CALIBRATION_TARGETS: dict[str, dict[str, Any]] = {
    "kfm_eviction_applications_2013": {
        "total": 8890,
        "basis": "2 x 4 445, applications for eviction in the first half of 2013",
        "doubled_half_year": True,
        "figure_id": "ext.kfm_applications_2013h1",
        "source": "Kronofogden press release, August 2013 (kfm_cision_2013_h1)",
    },
    "kfm_executed_evictions_2013": {
        "total": 2650,
        "basis": "2 x 1 325, executed evictions in the first half of 2013 (a later release gives 1 328)",
        "doubled_half_year": True,
        "figure_id": "ext.kfm_executed_2013h1",
        "source": "Kronofogden press release, August 2013 (kfm_cision_2013_h1)",
    },
    "kfm_indebted_persons_2013": {
        "total": 351330,
        "basis": "indebted persons registered at the end of 2013",
        "doubled_half_year": False,
        "figure_id": "ext.kfm_indebted_2013",
        "source": "Kronofogden statistikrobot (kfm_statistikrobot)",
    },
    "kfm_children_executed_evictions_2013": {
        "total": 504,
        "basis": "children affected by executed evictions in 2013 (whole year)",
        "doubled_half_year": False,
        "figure_id": "ext.kfm_children_2013",
        "source": "Kronofogden press release (kfm_cision_2014_barn)",
    },
}

#: sigma of the lognormal municipality factor per count column (an assumption).
HETEROGENEITY = {
    "kfm_eviction_applications_2013": 0.35,
    "kfm_executed_evictions_2013": 0.45,
    "kfm_indebted_persons_2013": 0.25,
    "kfm_children_executed_evictions_2013": 0.6,
}

#: How many municipalities give each answer (an assumption; see the module docs).
ANSWER_COUNTS = {
    "bme_children_under_18": {"yes": 150, "no": 105, "no_answer": 35},
    "bme_tenant_takeover_aim": {"yes": 240, "no": 15, "no_answer": 35},
}

_COLUMNS = [
    "municipality_code",
    "population_2013",
    *CALIBRATION_TARGETS,
    "bme_children_under_18",
    "bme_tenant_takeover_aim",
]


def make_demo_frame(seed: int = DEMO_SEED, *, package: DataPackage | str | Path | None = None) -> pd.DataFrame:
    """Build the synthetic demonstration frame (NOT real data).

    Parameters
    ----------
    seed : int, default 2014
        A non-negative integer; the committed file uses :data:`DEMO_SEED`.
    package : DataPackage, str or Path, optional
        The data package whose municipalities and populations the frame is built on
        (default: the bundled one).

    Returns
    -------
    pandas.DataFrame
        The frame's columns, one row per municipality in code order;
        ``attrs["synthetic"]`` is True and ``attrs["metadata"]`` holds
        :func:`demo_frame_metadata`.

    Examples
    --------
    >>> f = make_demo_frame()
    >>> len(f), int(f["kfm_indebted_persons_2013"].sum()), f.attrs["synthetic"]
    (290, 351330, True)
    >>> f["bme_children_under_18"].value_counts().to_dict()
    {'yes': 150, 'no': 105, 'no_answer': 35}
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed ({seed!r}) must be a non-negative integer")
    m = as_package(package).table("municipalities").sort_values("municipality_code").reset_index(drop=True)
    codes = m["municipality_code"].tolist()
    population = m["population_2013"].to_numpy(dtype=np.int64)
    out: dict[str, Any] = {"municipality_code": codes, "population_2013": population}
    normal = NormalDist()
    for column, target in CALIBRATION_TARGETS.items():
        u = permanent_random_numbers(seed, f"synthetic|{column}", codes)
        sigma = HETEROGENEITY[column]
        z = np.array([normal.inv_cdf(x) for x in u])
        weight = population * np.exp(sigma * z - sigma**2 / 2)
        expected = target["total"] * weight / weight.sum()
        start = permanent_random_number(seed, f"synthetic|{column}|rounding", "")
        out[column] = _round_to_total(expected, target["total"], start)
    out.update(_answers(seed, codes, population))
    frame = pd.DataFrame(out, columns=_COLUMNS)
    frame.attrs["synthetic"] = True
    frame.attrs["source_file"] = f"make_demo_frame(seed={seed})"
    frame.attrs["metadata"] = demo_frame_metadata(seed)
    return frame


def _round_to_total(expected: np.ndarray, total: int, start: float) -> np.ndarray:
    """Unbiased integer rounding with an exact total, by systematic sampling."""
    floor = np.floor(expected).astype(np.int64)
    extra = int(total - floor.sum())
    frac = expected - floor
    cum = np.cumsum(frac)
    if extra:
        cum *= extra / cum[-1]  # remove float drift: the fractions sum to `extra`
        cum[-1] = extra
    points = start + np.arange(extra)
    chosen = np.searchsorted(cum, points, side="right")
    out = floor.copy()
    np.add.at(out, chosen, 1)
    return out


def _answers(seed: int, codes: list[str], population: np.ndarray) -> dict[str, list[str]]:
    n = len(codes)
    order_na = np.argsort(permanent_random_numbers(seed, "synthetic|bme_no_answer", codes), kind="stable")
    children_counts = ANSWER_COUNTS["bme_children_under_18"]
    takeover_counts = ANSWER_COUNTS["bme_tenant_takeover_aim"]
    no_answer = np.zeros(n, dtype=bool)
    no_answer[order_na[: children_counts["no_answer"]]] = True

    children = np.full(n, "no", dtype=object)
    children[no_answer] = "no_answer"
    u = permanent_random_numbers(seed, "synthetic|bme_children_under_18", codes)
    w = np.sqrt(population / np.median(population))
    key = np.where(no_answer, -1.0, np.exp(np.log(u) / w))  # u ** (1 / w), largest first
    children[np.argsort(-key, kind="stable")[: children_counts["yes"]]] = "yes"

    takeover = np.full(n, "yes", dtype=object)
    takeover[no_answer] = "no_answer"
    u = permanent_random_numbers(seed, "synthetic|bme_tenant_takeover_aim", codes)
    u = np.where(no_answer, 2.0, u)
    takeover[np.argsort(u, kind="stable")[: takeover_counts["no"]]] = "no"
    return {"bme_children_under_18": children.tolist(), "bme_tenant_takeover_aim": takeover.tolist()}


def demo_frame_metadata(seed: int = DEMO_SEED) -> dict[str, Any]:
    """The metadata written beside the demonstration frame (``*.meta.json``)."""
    return {
        "synthetic": True,
        "statement": (
            "SYNTETISKA DATA – inte verkliga uppgifter. This frame is NOT real data: the municipality "
            "codes and the populations of 31 December 2013 are real (SCB), but every Kronofogden count and "
            "every BME 2014 answer is made up by sbm_stats.sampling._synthetic.make_demo_frame for "
            "demonstration and tests. Do not read any municipality's figures as facts."
        ),
        "generator": "sbm_stats.sampling._synthetic.make_demo_frame",
        "regenerate": f"sbm-stats demo-frame --seed {seed} --out data/synthetic",
        "seed": seed,
        "random_numbers": PRN_FORMULA + '; streams "synthetic|<column>" etc.',
        "real_columns": {
            "municipality_code": "SCB municipality codes (data/municipalities.csv)",
            "population_2013": "SCB BE0101N1, population 31 December 2013 (data/municipalities.csv)",
        },
        "calibration_targets": CALIBRATION_TARGETS,
        "calibration_assumption": (
            "Whole-year 2013 totals of executed evictions and of applications for eviction are not in the "
            "project's sources; the first-half 2013 figures were doubled (an assumption). Every count column "
            "sums exactly to its target."
        ),
        "count_model": (
            "expected count = target x population_2013 x g / sum(population_2013 x g), g lognormal with mean 1 "
            "and sigma per column; unbiased integer rounding with exact total by systematic sampling"
        ),
        "heterogeneity_sigma": HETEROGENEITY,
        "answer_counts": ANSWER_COUNTS,
        "answer_model": (
            "no_answer: the same 35 municipalities for both questions; children yes: 150 chosen with weights "
            "sqrt(population); takeover no: 15 of the 255 respondents (the publication's 'only 15' for 2013)"
        ),
    }


def write_demo_frame(out_dir: str | Path, *, seed: int = DEMO_SEED) -> tuple[Path, Path]:
    """Write ``demo_frame_2013.csv`` and ``demo_frame_2013.meta.json`` into ``out_dir``.

    Returns the two paths. The CSV is UTF-8 with ``\\n`` line ends and no index.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = make_demo_frame(seed)
    csv_path = out_dir / "demo_frame_2013.csv"
    meta_path = out_dir / "demo_frame_2013.meta.json"
    csv_path.write_text(demo_frame_csv(frame), encoding="utf-8", newline="")
    meta_path.write_text(json.dumps(frame.attrs["metadata"], indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return csv_path, meta_path


def demo_frame_csv(frame: pd.DataFrame) -> str:
    """The CSV text of a demonstration frame, exactly as committed."""
    return frame.to_csv(index=False, lineterminator="\n")
