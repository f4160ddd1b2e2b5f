"""Where the data package lives (no pandas here, so that callers that only need the path start fast)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_data_dir"]


def default_data_dir() -> Path:
    """The folder of the bundled data package: what ``DataPackage.open(None)`` opens.

    Only :meth:`sbm_stats.data.DataPackage.open` calls this; everything else is given a
    package.

    In order: the environment variable ``SBM_STATS_DATA``, the copy bundled in an
    installed wheel (``sbm_stats/_bundled_data``), the ``data/`` folder of a source checkout.
    """
    env = os.environ.get("SBM_STATS_DATA")
    if env:
        return Path(env)
    package = Path(__file__).resolve().parents[1]  # sbm_stats/
    bundled = package / "_bundled_data"
    if (bundled / "datapackage.json").exists():
        return bundled
    return package.parent / "data"
