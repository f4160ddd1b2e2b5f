"""The record of what one stage saw and did on one draw (the protocol's raw material)."""

from __future__ import annotations

from dataclasses import dataclass

from ._reason import Reason

__all__ = ["StageRecord"]


@dataclass(frozen=True)
class StageRecord:
    """What one stage saw and did, for the protocol.

    ``listed`` counts the municipalities meeting the stage's condition (or named by it),
    ``excluded`` those among them already selected and removed first, ``pool`` those
    it drew among, ``taken`` the codes it added. ``ranking`` holds, for a random stage,
    (code, name, random number, taken) for the taken municipalities and the next two in
    line; ``reasons`` holds an extremes stage's :class:`~sbm_stats.sampling._reason.Reason`
    for each pick, in pick order (a skipped pick's with ``taken`` False).
    ``list_probability_range`` holds, for a random stage, the smallest and largest exact
    inclusion probability under the whole design of the municipalities on its list that
    are not selected for certain (None where they are not all exact): the draw within
    the stage is a simple random sample of what the list has left, but over the whole
    design the municipalities of one list need not have equal chances.
    """

    stage: str
    kind: str
    label: str
    listed: int
    excluded: int
    pool: int
    size: int
    taken: tuple[str, ...]
    ranking: tuple[tuple[str, str, float, bool], ...] = ()
    reasons: tuple[Reason, ...] = ()
    condition: str = ""
    list_probability_range: tuple[float, float] | None = None
