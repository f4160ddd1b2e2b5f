"""How ``make test`` hands the tests to its workers (``tests/_scheduling.py``)."""

from __future__ import annotations

import textwrap

from ._scheduling import REPORT_GROUP, WorkQueue, _Module, rank, unit_of


def _module(tmp_path, source: str) -> _Module:
    path = tmp_path / "test_x.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return _Module(path)


def test_a_module_sharing_nothing_between_its_tests_is_split(tmp_path):
    module = _module(tmp_path, """
        import pytest

        class Helper:  # not a test class
            pass

        @pytest.fixture
        def doc(tmp_path):
            return tmp_path

        def test_a(doc):
            pass
    """)
    assert not module.shares_state and not module.reads_shared_render


def test_a_fixture_of_module_class_or_package_scope_or_a_test_class_keeps_a_module_whole(tmp_path):
    for source in ('@pytest.fixture(scope="module")\ndef f():\n    pass\n',
                   "@pytest.fixture(autouse=True, scope='class')\ndef f():\n    pass\n",
                   '@pytest.fixture(scope="package")\ndef f():\n    pass\n',
                   "def setup_module():\n    pass\n",
                   "class TestThings:\n    def test_a(self):\n        pass\n"):
        assert _module(tmp_path, "import pytest\n\n" + source).shares_state, source


def test_the_shared_render_is_read_by_an_argument_not_by_a_name_that_contains_it(tmp_path):
    assert _module(tmp_path, "def test_a(report_render):\n    pass\n").reads_shared_render
    assert not _module(tmp_path, "def test_report_renders_on_its_own(tmp_path):\n    pass\n").reads_shared_render
    # the modules of the suite: the report's readers form one unit; test_sampling_reasons.py
    # renders the report itself (its test is named test_report_renders_on_an_own_frame)
    assert unit_of("tests/test_report_render.py::test_pdf_and_docx_hold_the_text", "x") == REPORT_GROUP
    own = "tests/test_sampling_reasons.py::test_report_renders_on_an_own_frame"
    assert unit_of(own, "tests/test_sampling_reasons.py") == "tests/test_sampling_reasons.py"


def test_slow_marks_of_the_module_and_of_tests_are_read(tmp_path):
    module = _module(tmp_path, """
        import pytest

        pytestmark = [pytest.mark.filterwarnings("ignore"), pytest.mark.slow]

        @pytest.mark.slow
        def test_a():
            pass

        @pytest.mark.parametrize("x", [1])
        def test_b(x):
            pass
    """)
    assert module.slow_module and module.slow_tests == {"test_a"}
    assert not _module(tmp_path, "import pytest\n\ndef test_b():\n    pass\n").slow_module


def test_units_of_the_suite():
    trust = "tests/test_render_trust.py::test_a_chunk_that_never_returns_is_stopped"
    assert unit_of(trust, "tests/test_render_trust.py") == trust  # no module fixture: one test a unit
    notebook = "tests/test_notebooks.py::test_runs_top_to_bottom[01_urval-bundled]"
    assert unit_of(notebook, "tests/test_notebooks.py") == "tests/test_notebooks.py"  # module fixture
    doctest = "sbm_stats/_csv.py::sbm_stats._csv"
    assert unit_of(doctest, "sbm_stats/_csv.py") == "sbm_stats/_csv.py"
    assert [rank(u) for u in (REPORT_GROUP, trust, "tests/test_notebooks.py", "tests/test_weighted.py::test_x",
                              "sbm_stats/_csv.py")] == [0, 1, 1, 2, 2]
    # a test marked slow in a module that is not: test_values.py's own renders
    assert rank("tests/test_values.py") == 1


def test_the_queue_hands_out_the_report_group_then_slow_units_then_the_rest_in_xdists_order():
    queue = WorkQueue()
    units = ["tests/test_weighted.py::test_x", "tests/test_verbal.py::test_y", REPORT_GROUP,
             "tests/test_notebooks.py", "tests/test_render_trust.py::test_a_chunk_that_never_returns_is_stopped"]
    for unit in units:
        queue[unit] = {f"{unit}::t": False}
    order = [queue.popitem(last=False)[0] for _ in units]
    assert order == [REPORT_GROUP, "tests/test_notebooks.py",
                     "tests/test_render_trust.py::test_a_chunk_that_never_returns_is_stopped",
                     "tests/test_weighted.py::test_x", "tests/test_verbal.py::test_y"]
    assert not queue
