"""Weighting-class adjustment for unit nonresponse, with the unadjusted result beside it.

A sampled unit that declined (in 2014 one of the 30 municipalities asked) leaves its
design weight unaccounted for. :func:`weighting_class_adjustment` moves it to the units
that answered in the same class, under one named assumption
(:data:`NONRESPONSE_ASSUMPTION`), and :meth:`WeightingClassAdjustment.compare` shows the
estimate with and without the adjustment, so that a reader sees what the assumption does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validate import fail, labels_of
from ._design import _answers, _as_1d, labels_array

__all__ = ["NONRESPONSE_ASSUMPTION", "WeightingClassAdjustment", "weighting_class_adjustment"]

#: The assumption under which the adjusted weights give an unbiased estimate.
NONRESPONSE_ASSUMPTION = (
    "missing at random within weighting classes: in each class the units that answered "
    "and those that did not have the same expected answer"
)


@dataclass(frozen=True, eq=False)
class WeightingClassAdjustment:
    """Result of :func:`weighting_class_adjustment`.

    Attributes
    ----------
    weights : numpy.ndarray
        The design weights of every sampled unit.
    responded : numpy.ndarray of bool
        True for the units that answered.
    classes : numpy.ndarray
        The weighting class of every unit.
    adjusted_weights : numpy.ndarray
        ``w_i * factor_c`` for a unit that answered in class ``c``; 0 for one that did not.
        Over each class they add up to the class's design weights.
    factors : pandas.Series
        Per class: the sum of the design weights over the sum over those who answered.
    assumption : str
        :data:`NONRESPONSE_ASSUMPTION`.
    """

    weights: np.ndarray
    responded: np.ndarray
    classes: np.ndarray
    adjusted_weights: np.ndarray
    factors: pd.Series
    assumption: str = NONRESPONSE_ASSUMPTION

    def compare(self, y: Any, **kwargs: Any) -> pd.DataFrame:
        """The weighted proportion of ``y`` unadjusted and adjusted, one row each.

        ``y`` holds one answer per sampled unit (anything, e.g. NaN, for those that did
        not answer); ``kwargs`` go to :func:`~sbm_stats.estimation.weighted.weighted_proportion`
        (``strata`` and ``population_size`` per sampled unit; they are restricted to the
        units that answered). The unadjusted row uses the design weights of the units that
        answered, as if the others had not been sampled; the adjusted row treats the
        adjusted weights as design weights (the variance ignores that the factors are
        estimated, as ``svydesign(weights = ~w_adjusted)`` does).
        """
        from .weighted import weighted_proportion

        answered = self.responded
        values = y.to_numpy(dtype=object) if isinstance(y, pd.Series) else np.asarray(y, dtype=object)
        if values.shape != answered.shape:
            raise ValueError(f"y must hold one answer per sampled unit ({answered.size}); got shape {values.shape}")
        # What a unit that did not answer holds is not read: 0 in its place, so that a bad
        # answer is named by its position (and label) in y as given, not among the answers
        values = np.where(answered, values, 0)
        values = np.where(pd.isna(values), np.nan, values)
        try:
            values = values.astype(float)
        except (TypeError, ValueError):
            pass  # text: _answers refuses it, naming y
        y_arr = _answers(pd.Series(values, index=y.index) if isinstance(y, pd.Series) else values)
        if kwargs.get("strata") is not None:
            kwargs["strata"] = labels_array("strata", kwargs["strata"], answered.size,
                                            "every sampled unit needs a stratum label")[answered]
        rows = []
        for name, w in (("unadjusted", self.weights), ("weighting-class adjusted", self.adjusted_weights)):
            frame = weighted_proportion(y_arr[answered], w[answered], **kwargs).to_frame()
            frame.insert(0, "weights", name)
            rows.append(frame)
        out = pd.concat(rows, ignore_index=True)
        out["assumption"] = ["none: the units that answered are taken as the sample", self.assumption]
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per sampled unit: class, response, design weight and adjusted weight."""
        return pd.DataFrame({"class": self.classes, "responded": self.responded,
                             "weight": self.weights, "adjusted_weight": self.adjusted_weights})


def weighting_class_adjustment(weights: Any, responded: Any, classes: Any) -> WeightingClassAdjustment:
    """Move the design weight of the units that did not answer to those that did, per class.

    In each weighting class ``c`` the weights of the units that answered are multiplied
    by ``sum_{i in c} w_i / sum_{i in c, answered} w_i``; the units that did not answer
    get weight 0. The weighted class totals are kept. This is the weighting-class
    adjustment of Lohr (2022, section 8.5), and equals R ``survey``'s ``postStratify`` of
    the respondents' design to the classes' design-weighted totals. It is unbiased only
    under :data:`NONRESPONSE_ASSUMPTION`, which the data cannot check; show the
    unadjusted estimate beside the adjusted one (:meth:`WeightingClassAdjustment.compare`).

    Parameters
    ----------
    weights : array_like of float
        Design weights of every sampled unit, positive and finite.
    responded : array_like of bool
        True (or 1) for a unit that answered, False (or 0) for one that did not.
    classes : array_like
        The weighting class of every unit (e.g. the design's stratum).

    Returns
    -------
    WeightingClassAdjustment

    Raises
    ------
    ValueError
        For bad or no weights, a response indicator other than True/False, a missing class, or a
        class where no unit answered (its weight cannot be moved; merge it with another).

    References
    ----------
    Lohr, S. L. (2022). *Sampling: Design and Analysis*, 3rd ed. CRC Press. Section 8.5.

    Examples
    --------
    >>> adj = weighting_class_adjustment([10, 10, 10, 5, 5], [True, True, False, True, True],
    ...                                  ["a", "a", "a", "b", "b"])
    >>> adj.adjusted_weights.tolist()
    [15.0, 15.0, 0.0, 5.0, 5.0]
    """
    what = "weights must be positive finite numbers (design weights), one per sampled unit"
    w = _as_1d("weights", weights, what).astype(float)
    if len(w) == 0:
        raise ValueError("weights is empty; give the design weight of every sampled unit")
    nonpos = w <= 0
    if nonpos.any():
        raise fail("weights", w, nonpos, "is not positive", what, labels_of(weights))
    r = np.asarray(responded.to_numpy(dtype=object) if isinstance(responded, pd.Series) else responded)
    if r.ndim != 1 or len(r) != len(w):
        raise ValueError(f"responded must hold one True/False per sampled unit ({len(w)}); got shape {r.shape}")
    bad = pd.isna(r)  # first, as np.isin cannot compare pd.NA
    bad[~bad] = ~np.isin(r[~bad], [0, 1, True, False])
    if bad.any():
        raise fail("responded", r.astype(object), bad, "is neither True nor False",
                   "responded must be True for a unit that answered and False for one that did not",
                   labels_of(responded))
    r = r.astype(bool)
    c = labels_array("classes", classes, len(w), "every sampled unit needs a weighting class")
    codes, labels = pd.factorize(c, sort=False)
    total = np.bincount(codes, weights=w, minlength=len(labels))
    answered = np.bincount(codes, weights=np.where(r, w, 0.0), minlength=len(labels))
    empty = answered == 0
    if empty.any():
        k = int(np.flatnonzero(empty)[0])
        pos = int(np.flatnonzero(codes == k)[0])
        raise ValueError(f"classes[{pos}] is {labels[k]!r}, a class in which no unit answered; its weight "
                         "cannot be moved: merge it with another class")
    factor = total / answered
    adjusted = np.where(r, w * factor[codes], 0.0)
    for arr in (w, r, c, adjusted):
        arr.flags.writeable = False
    return WeightingClassAdjustment(weights=w, responded=r, classes=c, adjusted_weights=adjusted,
                                    factors=pd.Series(factor, index=pd.Index(list(labels), name="class"),
                                                      name="factor"))
