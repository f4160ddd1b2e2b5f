"""Tables that put the inclusion probabilities next to what a reader wants to see them by."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..data._package import DataPackage, as_package
from ._probabilities import InclusionProbabilities

__all__ = ["probability_table"]


def probability_table(probs: InclusionProbabilities, *, package: DataPackage | str | Path | None = None,
                      data_dir: str | Path | None = None) -> pd.DataFrame:
    """The probabilities of every municipality with its county, population and 2014 status.

    Returns :meth:`InclusionProbabilities.to_frame` joined with ``county_name`` and
    ``population_2013`` from the package's ``municipalities`` and ``asked_2014`` (True for
    the municipalities its publication names: the descriptor's ``published_sample``), plus
    ``probability``: the exact value where the design gives one, else the Monte Carlo
    estimate. ``attrs['synthetic']`` is kept.
    """
    frame = probs.to_frame()
    pkg = as_package(package, data_dir)
    municipalities = pkg.table("municipalities")[["municipality_code", "county_name", "population_2013"]]
    out = frame.merge(municipalities, on="municipality_code", how="left", validate="one_to_one")
    out["asked_2014"] = out.municipality_code.isin(set(pkg.table(pkg.published_sample).municipality_code))
    estimate = out["monte_carlo"] if "monte_carlo" in out else pd.Series(float("nan"), index=out.index)
    out["probability"] = out["exact"].where(out["exact"].notna(), estimate)
    out.attrs.update(frame.attrs)
    return out
