"""Tables that put the inclusion probabilities next to what a reader wants to see them by."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..data._package import DataPackage, as_package
from ._probabilities import InclusionProbabilities

__all__ = ["probability_table"]

_POPULATION_RE = re.compile(r"population_([0-9]{4})")


def probability_table(probs: InclusionProbabilities, *, package: DataPackage | str | Path | None = None,
                      data_dir: str | Path | None = None) -> pd.DataFrame:
    """The probabilities of every municipality with its county, population and whether it was asked.

    Returns :meth:`InclusionProbabilities.to_frame` joined with ``county_name`` and
    ``population`` from the package's ``municipalities`` (its ``population_<year>``
    column of the latest year before the wave, as the publication's tables give the
    population at the turn of the year before the survey), ``asked`` (True for the municipalities
    the package's publication names: the descriptor's ``published_sample``), plus
    ``probability``: the exact value where the design gives one, else the Monte Carlo
    estimate. The column names are the same whatever the wave: ``attrs['wave']`` is the
    package's wave, ``attrs['population_year']`` the year of ``population``;
    ``attrs['synthetic']`` is kept.

    Raises
    ------
    ValueError
        If the package's ``municipalities`` has no ``population_<year>`` column of a year
        before the wave.
    """
    frame = probs.to_frame()
    pkg = as_package(package, data_dir)
    municipalities = pkg.table("municipalities")
    years = sorted(m.group(1) for m in map(_POPULATION_RE.fullmatch, municipalities.columns)
                   if m and m.group(1) < str(pkg.wave))
    if not years:
        raise ValueError(f"{pkg.path / 'municipalities.csv'}: no column population_<year> of a year before the "
                         f"wave {pkg.wave} (columns: {', '.join(municipalities.columns)})")
    population = municipalities[["municipality_code", "county_name", f"population_{years[-1]}"]]
    out = frame.merge(population.rename(columns={f"population_{years[-1]}": "population"}),
                      on="municipality_code", how="left", validate="one_to_one")
    out["asked"] = out.municipality_code.isin(set(pkg.table(pkg.published_sample).municipality_code))
    estimate = out["monte_carlo"] if "monte_carlo" in out else pd.Series(float("nan"), index=out.index)
    out["probability"] = out["exact"].where(out["exact"].notna(), estimate)
    out.attrs.update(frame.attrs)
    out.attrs.update(wave=pkg.wave, population_year=years[-1])
    return out
