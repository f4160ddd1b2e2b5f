"""sbm-stats: reproduce and re-run Socialstyrelsen's 2014 study of the secondary housing market.

The public API is what ``__all__`` lists; modules whose names start with an
underscore are private. The work is grouped by user:

* data (everyone): :func:`load_municipalities`, :func:`load_published_figures`, ...,
  :func:`check_data`;
* statisticians: :mod:`sbm_stats.sampling` (:func:`load_design`, :func:`select_sample`,
  :func:`inclusion_probabilities`);
* reviewers: :func:`proportion_ci`, :func:`diff_proportions`, :func:`census_change`,
  :func:`wave_table`, :func:`audit`, :func:`verbal_range`, :func:`exact_coverage`;
* authors: :func:`render` and :class:`Report`.

Names are imported on first use (PEP 562), so that ``import sbm_stats`` and the
command line start fast; ``from sbm_stats import proportion_ci`` works as usual.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__

# `render` is both a subpackage and the function it exports: importing the function here,
# before anything else imports the subpackage, keeps `sbm_stats.render` the function
# whatever is imported later (a submodule import would otherwise rebind the name).
from .render import render  # noqa: E402

_LAZY = {
    "AuditResult": ".audit",
    "load_claims": ".audit",
    "DIFFERENCE_METHODS": ".compare",
    "fmt_num": ".formatting",
    "fmt_int": ".formatting",
    "fmt_pct": ".formatting",
    "fmt_interval": ".formatting",
    "design_variant": ".sampling",
    "compare_designs": ".sampling",
    "probability_table": ".sampling",
    "ClaimResult": ".audit",
    "audit": ".audit",
    "CensusChange": ".compare",
    "ProportionDifference": ".compare",
    "census_change": ".compare",
    "diff_proportions": ".compare",
    "wave_table": ".compare",
    "CoverageResult": ".coverage",
    "exact_coverage": ".coverage",
    "simulated_coverage": ".coverage",
    "check_data": ".data",
    "default_data_dir": ".data",
    "load_datapackage": ".data",
    "load_housing_solutions": ".data",
    "load_municipalities": ".data",
    "load_published_figures": ".data",
    "load_sample_2014": ".data",
    "load_sources": ".data",
    "load_table": ".data",
    "load_verbal_quantities": ".data",
    "load_vulnerability_factors": ".data",
    "load_wave_measures": ".data",
    "DataValidationError": ".errors",
    "DesignError": ".errors",
    "Problem": ".errors",
    "SbmStatsError": ".errors",
    "PROPORTION_METHODS": ".proportions",
    "ConfidenceInterval": ".proportions",
    "ProportionCI": ".proportions",
    "WeightedProportion": ".proportions",
    "proportion_ci": ".proportions",
    "weighted_proportion": ".proportions",
    "RenderError": ".render",
    "RenderResult": ".render",
    "Report": ".reporting",
    "Design": ".sampling",
    "InclusionProbabilities": ".sampling",
    "PublishedSampleCheck": ".sampling",
    "Sample": ".sampling",
    "demo_frame": ".sampling",
    "inclusion_probabilities": ".sampling",
    "load_design": ".sampling",
    "load_frame": ".sampling",
    "published_sample_check": ".sampling",
    "select_sample": ".sampling",
    "VerbalRange": ".verbal",
    "verbal_range": ".verbal",
}

__all__ = [
    "__version__",
    # errors
    "SbmStatsError",
    "DataValidationError",
    "DesignError",
    "Problem",
    # data
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
    "load_verbal_quantities",
    "load_wave_measures",
    # estimation and comparison
    "proportion_ci",
    "ProportionCI",
    "ConfidenceInterval",
    "PROPORTION_METHODS",
    "weighted_proportion",
    "WeightedProportion",
    "diff_proportions",
    "ProportionDifference",
    "census_change",
    "CensusChange",
    "wave_table",
    "exact_coverage",
    "simulated_coverage",
    "CoverageResult",
    "DIFFERENCE_METHODS",
    "fmt_num",
    "fmt_int",
    "fmt_pct",
    "fmt_interval",
    # audit
    "audit",
    "load_claims",
    "AuditResult",
    "ClaimResult",
    "verbal_range",
    "VerbalRange",
    # sample design
    "load_design",
    "Design",
    "load_frame",
    "demo_frame",
    "select_sample",
    "Sample",
    "inclusion_probabilities",
    "InclusionProbabilities",
    "published_sample_check",
    "PublishedSampleCheck",
    "design_variant",
    "compare_designs",
    "probability_table",
    # report
    "render",
    "RenderResult",
    "RenderError",
    "Report",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sbm_stats' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
