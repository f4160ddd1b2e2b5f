"""sbm-stats: reproduce and re-run Socialstyrelsen's 2014 study of the secondary housing market.

The public API is what ``__all__`` lists; modules whose names start with an
underscore are private.
"""

from ._version import __version__
from .data import (
    check_data,
    default_data_dir,
    load_datapackage,
    load_housing_solutions,
    load_municipalities,
    load_published_figures,
    load_sample_2014,
    load_sources,
    load_table,
    load_vulnerability_factors,
)
from .errors import DataValidationError, DesignError, Problem, SbmStatsError

__all__ = [
    "__version__",
    "SbmStatsError",
    "DataValidationError",
    "DesignError",
    "Problem",
    "check_data",
    "default_data_dir",
    "load_datapackage",
    "load_table",
    "load_sources",
    "load_municipalities",
    "load_published_figures",
    "load_sample_2014",
    "load_housing_solutions",
    "load_vulnerability_factors",
]
