"""Estimation: intervals for proportions (with the finite population correction and the
exact hypergeometric interval), weighted proportions for a design and its domains, a
weighting-class adjustment for nonresponse, differences between proportions,
changes between censuses, wave tables, and the coverage of the interval methods.
"""

from __future__ import annotations

from .._lazy import exports

__all__, __getattr__, __dir__ = exports(__name__, globals(), {
    ".proportions": ["proportion_ci", "ProportionCI", "ConfidenceInterval", "PROPORTION_METHODS"],
    ".weighted": ["weighted_proportion", "WeightedProportion", "domain_proportions", "DomainProportions",
                  "WEIGHTED_METHODS"],
    ".nonresponse": ["weighting_class_adjustment", "WeightingClassAdjustment", "NONRESPONSE_ASSUMPTION"],
    ".compare": ["diff_proportions", "ProportionDifference", "DIFFERENCE_METHODS", "census_change",
                 "CensusChange", "wave_table"],
    ".coverage": ["exact_coverage", "simulated_coverage", "CoverageResult"],
})
