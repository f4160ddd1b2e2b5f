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

from ._lazy import exports
from ._version import __version__

# `render` is both a subpackage and the function it exports: importing the function here,
# before anything else imports the subpackage, keeps `sbm_stats.render` the function
# whatever is imported later (a submodule import would otherwise rebind the name).
from .render import render  # noqa: E402

#: The public API, by the module that defines it: the one list of public names.
_PUBLIC = {
    # data (everyone)
    ".data": ["DataPackage", "Figure", "load_published_sample", "default_data_dir", "load_datapackage",
              "load_table", "load_sources", "load_municipalities",
              "load_published_figures", "load_sample_2014", "load_housing_solutions",
              "load_vulnerability_factors", "load_verbal_quantities", "load_wave_measures", "check_data"],
    ".errors": ["SbmStatsError", "Problem", "DataValidationError", "DesignError"],
    # estimation and comparison
    ".estimation": ["proportion_ci", "ProportionCI", "ConfidenceInterval", "PROPORTION_METHODS",
                    "weighted_proportion", "WeightedProportion", "domain_proportions", "DomainProportions",
                    "weighting_class_adjustment", "WeightingClassAdjustment", "diff_proportions",
                    "ProportionDifference",
                    "DIFFERENCE_METHODS", "census_change", "CensusChange", "wave_table", "exact_coverage",
                    "simulated_coverage", "CoverageResult"],
    # audit
    ".audit": ["audit", "load_claims", "AuditResult", "ClaimResult", "verbal_range", "VerbalRange"],
    # sample design
    ".sampling": ["load_design", "Design", "load_frame", "demo_frame", "select_sample", "Sample",
                  "inclusion_probabilities", "InclusionProbabilities", "published_sample_check",
                  "PublishedSampleCheck", "design_variant", "compare_designs", "design_sensitivity",
                  "DesignSensitivity", "SensitivityVariant", "OpenAssumption", "probability_table"],
    # report
    ".report": ["Report", "fmt_num", "fmt_int", "fmt_pct", "fmt_interval"],
    ".render": ["RenderResult", "RenderError"],
}

__all__, __getattr__, __dir__ = exports(__name__, globals(), _PUBLIC)
__all__ += ["__version__", "render"]
