"""Shared fixtures. No test writes outside its own tmp_path (or, under pytest-xdist, its worker's).

``make test`` runs the suite on several workers (pytest-xdist, ``--dist loadscope``): a
test shares nothing with another by accident. Each worker has its own ``basetemp``, its
own render cache (below) and asks the system for free ports; the one thing shared on
purpose is report.qmd's default render (``tests/_renders.py``), behind a file lock.
"""

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


@pytest.fixture(scope="session")
def report_render(tmp_path_factory) -> Path:
    """report.qmd's default render (html, pdf, docx, values file, companion; cache off),
    made once per test run and shared by every worker: see ``tests/_renders.py``.

    Read-only: a test that changes an output copies it first. The files are checked
    against their digests when the session ends, so a test that wrote into the shared
    folder fails here, by name of the file it changed.
    """
    from ._renders import digests, shared_report_render

    out = shared_report_render(tmp_path_factory)
    before = digests(out)
    yield out
    after = digests(out)
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert changed == [], f"a test changed the shared render of report.qmd (read-only, copy first): {changed}"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadscope`` with the changes of ``tests/_scheduling.py``: the modules that read
    the shared render of report.qmd are one unit of work, a module that shares nothing between
    its tests is one unit per test, and the report group and the slow tests go out first.

    (``--dist loadgroup`` would be finer, but pytest-xdist 3.8 cannot rename pytest 9's node
    ids, so its groups do not form.)
    """
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    from . import _scheduling

    class Scheduling(LoadScopeScheduling):
        def __init__(self, config, log=None):
            super().__init__(config, log)
            self.workqueue = _scheduling.WorkQueue()

        def _split_scope(self, nodeid: str) -> str:
            return _scheduling.unit_of(nodeid, super()._split_scope(nodeid))

    return Scheduling(config, log)
