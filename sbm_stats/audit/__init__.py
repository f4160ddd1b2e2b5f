"""The audit: every checkable statement of the publication recomputed from data.

``_claims`` reads the claims registry and evaluates each claim; ``verbal`` turns a
verbal quantity ("drygt hälften", "nio av tio") into the range of shares it allows.
"""

from __future__ import annotations

from .._lazy import exports

__all__, __getattr__, __dir__ = exports(__name__, globals(), {
    "._claims": ["audit", "load_claims", "AuditResult", "ClaimResult", "VERDICTS", "VERDICTS_SV"],
    ".verbal": ["verbal_range", "VerbalRange", "rounding_unit"],
})
