"""How ``make test`` hands the tests to its pytest-xdist workers (``--dist loadscope``, changed).

xdist's loadscope makes a module (a class, a doctest module) one unit of work, so that a
module-scoped fixture is made once, and hands the units out in the order of their number
of tests. Three changes, each to keep the run's critical path short on a machine with few
cores:

- the modules that read the shared render of report.qmd form one unit (:data:`REPORT_GROUP`):
  one worker runs them all, so no worker waits on the render's lock while another renders
  (``tests/_renders.py``);
- a test module that shares nothing between its tests (no fixture of module, class or
  package scope, no ``setup_module``) is split into one unit per test: ``test_render_trust.py``
  alone is a fifth of the suite's work and kept one worker busy for 90 s while the others
  ran out of work;
- the report group goes out first (the longest unit), then the units of slow tests
  (``@pytest.mark.slow``: renders, notebooks, browsers), then the rest, each in xdist's
  order; a slow test handed out last would leave the other workers idle meanwhile.

The controller of an xdist run does not import the tests: what a module holds is read
from its source (its syntax tree), once per module.
"""

from __future__ import annotations

import ast
import functools
from collections import OrderedDict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The unit of work of the modules that read the shared render of report.qmd.
REPORT_GROUP = "report.qmd"

#: A fixture of one of these scopes is made once per unit of work: a module using one stays whole.
_SHARED_SCOPES = {"module", "class", "package", "session"}
_SHARED_HOOKS = {"setup_module", "teardown_module", "setUpModule", "tearDownModule",
                 "setup_class", "teardown_class", "setUpClass", "tearDownClass"}


class _Module:
    """What scheduling needs to know of one test module, read from its source."""

    def __init__(self, path: Path):
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        self.reads_shared_render = False
        self.shares_state = False
        self.slow_module = False
        self.slow_tests: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.arg) and node.arg == "report_render":
                self.reads_shared_render = True
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.name in _SHARED_HOOKS or any(_fixture_scope(d) in _SHARED_SCOPES
                                                     for d in node.decorator_list):
                    self.shares_state = True
                if any(_is_slow_mark(d) for d in node.decorator_list):
                    self.slow_tests.add(node.name)
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                self.shares_state = True  # a test class's tests stay together (xdist's own unit)
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark"
                                                      for t in node.targets):
                self.slow_module = any(_is_slow_mark(n) for n in ast.walk(node.value))


def _fixture_scope(decorator: ast.expr) -> str | None:
    """The ``scope=`` of a ``@pytest.fixture(...)`` decorator given as a string, else None."""
    if isinstance(decorator, ast.Call):
        for keyword in decorator.keywords:
            if keyword.arg == "scope" and isinstance(keyword.value, ast.Constant):
                return str(keyword.value.value)
    return None


def _is_slow_mark(node: ast.AST) -> bool:
    """Whether ``node`` is ``pytest.mark.slow`` (or ``mark.slow``)."""
    return isinstance(node, ast.Attribute) and node.attr == "slow" and (
        isinstance(node.value, ast.Attribute) and node.value.attr == "mark")


@functools.cache
def _module(relative: str) -> _Module | None:
    path = ROOT / relative
    if path.suffix != ".py" or not path.name.startswith("test_"):
        return None  # a doctest module of the package: xdist's own unit
    return _Module(path)


def unit_of(nodeid: str, default: str) -> str:
    """The unit of work of the test ``nodeid``; ``default`` is xdist's loadscope unit."""
    module = _module(nodeid.split("::")[0])
    if module is None:
        return default
    if module.reads_shared_render:
        return REPORT_GROUP
    if not module.shares_state:
        return nodeid
    return default


@functools.cache
def rank(unit: str) -> int:
    """0 for the report group, 1 for a unit holding a slow test, 2 for the rest."""
    if unit == REPORT_GROUP:
        return 0
    relative, _, rest = unit.partition("::")
    module = _module(relative)
    if module is None:
        return 2
    if module.slow_module:
        return 1
    name = rest.split("::")[-1].split("[")[0]
    return 1 if (name in module.slow_tests if rest else module.slow_tests) else 2


class WorkQueue(OrderedDict):
    """xdist's queue of units, handing out the unit of lowest :func:`rank` first.

    Among units of one rank the order is xdist's (the units with most tests first).
    """

    def popitem(self, last: bool = True):
        if last:
            return super().popitem(last=True)
        unit = min(self, key=rank)  # the first unit of the lowest rank, in insertion order
        return unit, self.pop(unit)
