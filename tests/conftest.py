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

#: The unit of work (pytest-xdist) of the modules that read the shared render of
#: report.qmd: one worker runs them all, so no worker waits on the lock while another renders.
REPORT_GROUP = "report.qmd"


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


def _reads_shared_render(module: str) -> bool:
    """Whether the test module at ``module`` (a path relative to the root) uses :func:`report_render`."""
    path = ROOT / module
    return path.suffix == ".py" and path.name.startswith("test_") and "report_render" in path.read_text("utf-8")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadscope`` with one change: the modules that read the shared render of
    report.qmd form one unit of work (:data:`REPORT_GROUP`), so one worker runs them all and
    no worker waits on the lock while another renders.

    Otherwise xdist's loadscope: a module's tests (a class's, a doctest module's) run on one
    worker, so a module-scoped fixture is made once; xdist hands out the modules with the
    most tests first, each to the worker that is free. (``--dist loadgroup`` would be finer,
    but pytest-xdist 3.8 cannot rename pytest 9's node ids, so its groups do not form.)
    """
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::")[0]
            if module not in readers:
                readers[module] = _reads_shared_render(module)
            return REPORT_GROUP if readers[module] else super()._split_scope(nodeid)

    readers: dict[str, bool] = {}
    return Scheduling(config, log)
