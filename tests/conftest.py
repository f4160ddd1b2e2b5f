"""Shared fixtures. No test writes outside its own tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# The same examples on every run and every machine: a property test that fails does so
# in CI and on a developer's machine alike, never by chance.
settings.register_profile("sbm-stats", derandomize=True, database=None)
settings.load_profile("sbm-stats")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return ROOT / "data"


@pytest.fixture(autouse=True, scope="session")
def _render_cache_in_tmp(tmp_path_factory):
    """Renders keep their executions in a folder of this test session, not in ~/.cache."""
    import os

    old = os.environ.get("SBM_STATS_CACHE_DIR")
    os.environ["SBM_STATS_CACHE_DIR"] = str(tmp_path_factory.mktemp("sbm-stats-cache"))
    yield
    if old is None:
        os.environ.pop("SBM_STATS_CACHE_DIR", None)
    else:
        os.environ["SBM_STATS_CACHE_DIR"] = old
