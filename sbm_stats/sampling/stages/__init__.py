"""The stage kinds of a sample design: one module per kind, one registry.

:data:`STAGE_KINDS` maps the ``kind`` a design file writes to the class that
implements it (a frozen dataclass, subclass of :class:`Stage`; see :mod:`._base` for
what a kind provides). To add a kind, write its module here and add one line below.
"""

from __future__ import annotations

from ._base import Stage
from .certainty import CertaintyStage
from .extremes import ExtremesStage, ExtremeVariable
from .random import RandomStage

__all__ = ["STAGE_KINDS", "Stage", "CertaintyStage", "ExtremesStage", "ExtremeVariable", "RandomStage"]

#: Stage kind (as written in a design file) -> its implementation.
STAGE_KINDS: dict[str, type[Stage]] = {
    "certainty": CertaintyStage,
    "extremes": ExtremesStage,
    "random": RandomStage,
}
