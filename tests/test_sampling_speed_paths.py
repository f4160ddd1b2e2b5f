"""The shortcuts that keep repeated work out of the sampling code give what the long way gives.

A sensitivity analysis or a comparison of designs compiles many designs on one frame: the
frame is checked once (:class:`CheckedFrame`) and each extremes ranking is made once per
checked frame (its ``rankings`` memo). The reference here is the long way itself: a plan
compiled on the raw frame, which checks the frame and ranks it afresh.

A table's line numbers (``attrs["source_lines"]``, a :class:`SourceLines`) are shared by
the frames pandas derives from it instead of deep-copied; they still read as the tuple.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from sbm_stats.data._tables import SourceLines, source_lines
from sbm_stats.sampling import (
    _engine,
    _sensitivity,
    compare_designs,
    demo_frame,
    design_sensitivity,
    design_variant,
    load_design,
)
from sbm_stats.sampling._design import codes_checked, design_from_spec
from sbm_stats.sampling._engine import CheckedFrame, check_plan_frame, compile_plan
from sbm_stats.sampling.stages import ExtremesStage


@pytest.fixture(scope="module")
def design():
    return load_design()


@pytest.fixture(scope="module")
def frame():
    return demo_frame()


def _count_calls(monkeypatch, owner, name):
    calls = []
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, staticmethod(counted) if isinstance(owner, type) else counted)
    return calls


def _same_plan(a: _engine.Plan, b: _engine.Plan) -> None:
    assert a.codes.tolist() == b.codes.tolist() and a.names.tolist() == b.names.tolist()
    assert (a.first_random, a.synthetic, a.source) == (b.first_random, b.synthetic, b.source)
    assert a.frame.equals(b.frame) and a.frame.attrs.keys() == b.frame.attrs.keys()
    for s, t in zip(a.steps, b.steps, strict=True):
        for arr in ("idx", "eligible"):
            x, y = getattr(s, arr), getattr(t, arr)
            assert (x is None and y is None) or np.array_equal(x, y)
        assert len(s.picks) == len(t.picks)
        for p, q in zip(s.picks, t.picks):
            assert (p.variable, p.label, p.measure, p.per, p.decimals) == (q.variable, q.label, q.measure,
                                                                          q.per, q.decimals)
            assert p.order.tolist() == q.order.tolist()
            assert p.values == q.values and [type(v) for v in p.values] == [type(v) for v in q.values]


def test_sensitivity_checks_the_frame_once_and_ranks_once(monkeypatch, design, frame):
    checks = _count_calls(monkeypatch, _engine, "check_frame")
    ranks = _count_calls(monkeypatch, ExtremesStage, "_rank")
    s = design_sensitivity(frame, design, seed=2014)
    assert len(s.variants) == 16
    assert len(checks) == 1   # was 16: once per variant
    # one ranking per (variable, measure) of the extremes stage: 4 variables x 2 measures = 8 (was 16 x 8)
    extremes = [st for st in design.stages if isinstance(st, ExtremesStage)]
    assert len(ranks) == sum(len(st.picks) for st in extremes) == 8


def test_compare_designs_checks_the_frame_once(monkeypatch, design, frame):
    checks = _count_calls(monkeypatch, _engine, "check_frame")
    skip = load_design(Path(design.path).with_name("2014_skip.yaml"))
    compare_designs(frame, {"base": design, "skip": skip}, sample_seed=2014)
    assert len(checks) == 1


def test_plans_on_a_checked_frame_equal_plans_on_the_frame(design, frame):
    checked = check_plan_frame(frame, design.frame_schema, municipalities=design.package.table("municipalities"))
    variants = design_sensitivity(frame, design, seed=2014).variants
    for v in variants:
        d = design_variant(design, choose=v.choices)
        _same_plan(compile_plan(checked, d), compile_plan(frame, d))
    # the memo holds one ranking per (column, measure, population, eligible): 8 on this design
    assert len(checked.rankings) == 8


def test_rankings_are_not_shared_between_frames(design, frame):
    municipalities = design.package.table("municipalities")
    column = "kfm_children_executed_evictions_2013"
    changed = frame.copy()
    bottom = int(changed[column].idxmin())
    changed.loc[bottom, column] = int(changed[column].max()) + 1   # now first by count
    a = check_plan_frame(frame, design.frame_schema, municipalities=municipalities)
    b = check_plan_frame(changed, design.frame_schema, municipalities=municipalities)
    first_a = {(p.variable, p.measure): int(p.order[0]) for p in compile_plan(a, design).steps[1].picks}
    first_b = {(p.variable, p.measure): int(p.order[0]) for p in compile_plan(b, design).steps[1].picks}
    assert first_b[(column, "count")] == bottom != first_a[(column, "count")]
    assert a.rankings is not b.rankings
    # and each equals the long way on its own frame
    _same_plan(compile_plan(b, design), compile_plan(changed, design))


def test_shared_arrays_are_read_only(design, frame):
    plan = compile_plan(frame, design)
    picks = [p for s in plan.steps for p in s.picks]
    assert picks and not any(p.order.flags.writeable for p in picks)
    assert not plan.codes.flags.writeable and not plan.names.flags.writeable
    picks[0].values.append(None)   # a Pick's values are its own list
    assert None not in compile_plan(frame, design).steps[1].picks[0].values


def test_a_checked_frame_of_another_schema_is_refused(design, frame):
    municipalities = design.package.table("municipalities")
    schema = {**design.frame_schema, "fields": design.frame_schema["fields"][:-1]}
    checked = check_plan_frame(frame, schema, municipalities=municipalities)
    assert isinstance(checked, CheckedFrame)
    with pytest.raises(ValueError, match="another schema"):
        compile_plan(checked, design)


def test_the_default_variant_is_the_design_itself(monkeypatch, design):
    rebuilt = design_from_spec(dict(design.spec), Path(design.path), where=design.path, sha256=design.sha256,
                               choices=dict(design.choices), known_codes=codes_checked(design),
                               package=design.package)
    builds = _count_calls(monkeypatch, _sensitivity, "design_from_spec")
    default = design_variant(design, choose=dict(design.choices), name=rebuilt.name)
    assert builds == []   # the choices it already makes rebuild nothing
    for f in dataclasses.fields(default):
        assert getattr(default, f.name) == getattr(rebuilt, f.name), f.name
    design_variant(design, choose={"a1_a2": "skip_enlarged"})
    assert len(builds) == 1


# ------------------------------------------------------------------ the line numbers of a table


def test_line_numbers_are_shared_not_copied(frame):
    lines = frame.attrs["source_lines"]
    assert isinstance(lines, SourceLines)
    # the demo frame's 290 rows are on lines 2 to 291 of its CSV file (header on line 1)
    assert lines == tuple(range(2, 292)) and repr(lines) == repr(tuple(range(2, 292)))
    assert lines[:3] == (2, 3, 4) and type(lines[:3]) is tuple
    derived = [frame["municipality_code"], frame.copy(), frame.copy(deep=True), frame.head(5),
               frame["kfm_executed_evictions_2013"] > 0]
    assert all(d.attrs["source_lines"] is lines for d in derived)
    assert copy.deepcopy(lines) is lines and copy.copy(lines) is lines
    assert copy.deepcopy(frame.attrs)["source_lines"] is lines


def test_line_numbers_keep_every_use(frame):
    lines = frame.attrs["source_lines"]
    again = pickle.loads(pickle.dumps(frame))
    assert type(again.attrs["source_lines"]) is SourceLines and again.attrs["source_lines"] == lines
    assert json.loads(json.dumps(list(lines))) == json.loads(json.dumps(lines)) == list(range(2, 292))
    assert source_lines(frame) == list(range(2, 292))
    assert source_lines(frame.iloc[::-1]) == list(range(2, 292))   # reordered: counted, not read
