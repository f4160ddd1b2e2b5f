"""Estimation: intervals for proportions (with the finite population correction and the
exact hypergeometric interval), weighted proportions, differences between proportions,
changes between censuses, wave tables, and the coverage of the interval methods.
"""

from __future__ import annotations

from .._lazy import exports

__all__, __getattr__, __dir__ = exports(__name__, globals(), {
    ".proportions": ["proportion_ci", "ProportionCI", "ConfidenceInterval", "PROPORTION_METHODS",
                     "weighted_proportion", "WeightedProportion"],
    ".compare": ["diff_proportions", "ProportionDifference", "DIFFERENCE_METHODS", "census_change",
                 "CensusChange", "wave_table"],
    ".coverage": ["exact_coverage", "simulated_coverage", "CoverageResult"],
})
