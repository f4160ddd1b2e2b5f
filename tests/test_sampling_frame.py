"""The frame: its schema, the synthetic demonstration frame, and validation of a user's frame."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sbm_stats.errors import DataValidationError
from sbm_stats.sampling import (
    demo_frame,
    demo_frame_path,
    load_frame,
    load_frame_schema,
    make_demo_frame,
)
from sbm_stats.sampling._synthetic import demo_frame_csv, demo_frame_metadata

ROOT = Path(__file__).resolve().parents[1]


def demo_lines() -> list[str]:
    return demo_frame_path().read_text(encoding="utf-8").splitlines()


def write_lines(tmp_path: Path, lines: list[str], name: str = "frame.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------------ the schema


def test_schema_describes_the_frame_columns():
    schema = json.loads((ROOT / "data" / "schemas" / "frame.schema.json").read_text(encoding="utf-8"))
    names = [f["name"] for f in schema["fields"]]
    assert names == [
        "municipality_code",
        "population_2013",
        "kfm_eviction_applications_2013",
        "kfm_executed_evictions_2013",
        "kfm_indebted_persons_2013",
        "kfm_children_executed_evictions_2013",
        "bme_children_under_18",
        "bme_tenant_takeover_aim",
    ]
    assert schema["primaryKey"] == "municipality_code"
    answers = {f["name"]: f["constraints"]["enum"] for f in schema["fields"] if f["name"].startswith("bme_")}
    # Non-response is its own value.
    assert answers == {k: ["yes", "no", "no_answer"] for k in answers}
    for f in schema["fields"]:
        if f["name"].startswith("kfm_"):
            assert f["type"] == "integer" and f["constraints"]["minimum"] == 0


# ------------------------------------------------------------------ the synthetic frame


def test_demo_frame_is_regenerated_exactly_by_its_code():
    committed = demo_frame_path().read_text(encoding="utf-8")
    assert demo_frame_csv(make_demo_frame(2014)) == committed
    meta = json.loads(demo_frame_path().with_name("demo_frame_2013.meta.json").read_text(encoding="utf-8"))
    assert meta == json.loads(json.dumps(demo_frame_metadata(2014)))


def test_demo_frame_is_labelled_synthetic():
    meta = json.loads(demo_frame_path().with_name("demo_frame_2013.meta.json").read_text(encoding="utf-8"))
    assert meta["synthetic"] is True
    assert meta["seed"] == 2014
    assert meta["generator"] == "sbm_stats.sampling._synthetic.make_demo_frame"
    assert "NOT real data" in meta["statement"]
    assert demo_frame().attrs["synthetic"] is True


def test_demo_frame_is_calibrated_to_the_national_totals():
    f = demo_frame()
    # Targets from data/published_figures.csv: 2 x 4 445 (applications 2013H1, doubled),
    # 2 x 1 325 (executed 2013H1, doubled), 351 330 (indebted, end of 2013), 504 (children 2013).
    assert int(f["kfm_eviction_applications_2013"].sum()) == 2 * 4445
    assert int(f["kfm_executed_evictions_2013"].sum()) == 2 * 1325
    assert int(f["kfm_indebted_persons_2013"].sum()) == 351330
    assert int(f["kfm_children_executed_evictions_2013"].sum()) == 504
    meta = f.attrs["metadata"]
    doubled = {k for k, v in meta["calibration_targets"].items() if v["doubled_half_year"]}
    assert doubled == {"kfm_eviction_applications_2013", "kfm_executed_evictions_2013"}


def test_demo_frame_uses_the_real_municipalities_and_populations(data_dir):
    m = pd.read_csv(data_dir / "municipalities.csv", dtype={"municipality_code": str})
    f = demo_frame()
    merged = f.merge(m, on="municipality_code", suffixes=("", "_scb"))
    assert len(merged) == 290
    assert (merged["population_2013"] == merged["population_2013_scb"]).all()
    # SCB's total for 31 December 2013 (data/sources.csv, scb_be0101n1).
    assert int(f["population_2013"].sum()) == 9644864


def test_counts_follow_population():
    # Drawn in proportion to population (times a lognormal factor of mean 1, sigma 0.25): the 10
    # largest municipalities hold about their population share of the indebted persons (about
    # 35 %), not 10/290 = 3.4 % as a draw unrelated to population would give.
    f = demo_frame().sort_values("population_2013", ascending=False)
    share_pop = f["population_2013"].head(10).sum() / f["population_2013"].sum()
    share_debt = f["kfm_indebted_persons_2013"].head(10).sum() / f["kfm_indebted_persons_2013"].sum()
    assert abs(share_debt - share_pop) < 0.05


def test_another_seed_gives_another_frame_with_the_same_totals():
    a, b = make_demo_frame(2014), make_demo_frame(1)
    assert not a.equals(b)
    assert a["kfm_indebted_persons_2013"].sum() == b["kfm_indebted_persons_2013"].sum()


# ------------------------------------------------------------------ a user's frame


def test_frame_from_excel_equals_frame_from_csv(tmp_path):
    import openpyxl

    header, *rows = demo_lines()
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(header.split(","))
    for line in rows:
        cells = line.split(",")  # code as text, six integers as numbers, two answers as text
        ws.append([cells[0], *(int(c) for c in cells[1:6]), *cells[6:]])
    path = tmp_path / "frame.xlsx"
    book.save(path)
    from_xlsx = load_frame(path)
    from_csv = load_frame(demo_frame_path())
    pd.testing.assert_frame_equal(from_xlsx, from_csv)
    assert from_xlsx.attrs["synthetic"] is False  # no metadata file beside it


def test_frame_without_metadata_is_not_synthetic(tmp_path):
    path = write_lines(tmp_path, demo_lines())
    assert load_frame(path).attrs["synthetic"] is False


def test_frame_problems_are_reported_by_line(tmp_path):
    lines = demo_lines()
    header, rows = lines[0], lines[1:]
    # Line numbers as a person counts them: header = 1, first row = 2.
    bad = list(rows)
    cells = bad[0].split(",")
    cells[6] = "ja"  # bme_children_under_18 on line 2
    bad[0] = ",".join(cells)
    cells = bad[1].split(",")
    cells[3] = "-4"  # kfm_executed_evictions_2013 on line 3
    bad[1] = ",".join(cells)
    path = write_lines(tmp_path, [header, *bad])
    with pytest.raises(DataValidationError) as err:
        load_frame(path)
    found = {(p.line, p.column) for p in err.value.problems}
    assert (2, "bme_children_under_18") in found
    assert (3, "kfm_executed_evictions_2013") in found
    messages = str(err.value)
    assert "one of: yes, no, no_answer" in messages
    assert "a value of at least 0" in messages


def test_missing_duplicated_and_unknown_codes(tmp_path):
    lines = demo_lines()
    header, rows = lines[0], lines[1:]
    # rows[0] is 0114 Upplands Väsby (codes sorted): drop it, repeat 0115, add 9999.
    assert rows[0].startswith("0114,") and rows[1].startswith("0115,")
    dropped = rows[1:]
    path = write_lines(tmp_path, [header, *dropped, rows[1], "9999" + rows[2][4:]])
    with pytest.raises(DataValidationError) as err:
        load_frame(path)
    problems = err.value.problems
    # The repeated 0115 is on line 291 (header + 289 rows + 1), first seen on line 2.
    dup = [p for p in problems if p.value == "0115"]
    assert dup and dup[0].line == 291 and "line 2" in dup[0].expected
    # Once the key is unique, missing and unknown codes are reported (fix the repeat first).
    path = write_lines(tmp_path, [header, *dropped, "9999" + rows[2][4:]], name="frame2.csv")
    with pytest.raises(DataValidationError) as err:
        load_frame(path)
    by_value = {p.value: p for p in err.value.problems}
    assert by_value["9999"].line == 291 and "290 municipality codes" in by_value["9999"].expected
    assert by_value["0114"].line is None and "0114 Upplands Väsby" in by_value["0114"].expected
    assert "missing" in by_value["0114"].expected


def test_schema_loader_reads_the_bundled_schema():
    assert load_frame_schema()["fields"][0]["name"] == "municipality_code"


# ------------------------------------------------------- line numbers a person can find


def test_blank_lines_and_multiline_cells_keep_the_editor_line(tmp_path):
    lines = demo_lines()
    # line 4 gets a quoted answer across two lines ("no" / "yes": lines 4-5 in the file);
    # a blank line goes in before the row that was line 7. That row is then on line 9
    # (+1 for the line break inside the quotes, +1 for the blank line).
    cells = lines[3].split(",")
    cells[7] = '"no\nyes"'
    lines[3] = ",".join(cells)
    cells = lines[6].split(",")
    cells[6] = "ja"
    lines[6] = ",".join(cells)
    lines.insert(6, "")
    with pytest.raises(DataValidationError) as err:
        load_frame(write_lines(tmp_path, lines))
    found = {(p.line, p.column, p.value) for p in err.value.problems}
    assert found == {(4, "bme_tenant_takeover_aim", "no\nyes"), (9, "bme_children_under_18", "ja")}


def test_blank_excel_rows_keep_the_sheet_row(tmp_path):
    import openpyxl

    header, *rows = demo_lines()
    book = openpyxl.Workbook()
    ws = book.active
    ws.append([])  # sheet row 1 blank: the header is on row 2, as the spreadsheet shows it
    ws.append(header.split(","))
    for i, line in enumerate(rows):
        cells = line.split(",")
        if i == 3:
            ws.append([])  # sheet row 6 blank: rows[3] lands on row 7
            cells[3] = "-2"
        ws.append([cells[0], *(int(c) for c in cells[1:6]), *cells[6:]])
    path = tmp_path / "frame.xlsx"
    book.save(path)
    with pytest.raises(DataValidationError) as err:
        load_frame(path)
    assert [(p.line, p.column, p.value) for p in err.value.problems] == [
        (7, "kfm_executed_evictions_2013", -2)]


def test_line_numbers_reach_the_frame_check(tmp_path):
    from sbm_stats.sampling import check_frame

    lines = demo_lines()
    lines.insert(2, "")  # the row that was line 3 is now on line 4
    frame = load_frame(write_lines(tmp_path, lines))
    assert frame.attrs["source_lines"][:3] == (2, 4, 5)
    frame.loc[1, "bme_children_under_18"] = "kanske"
    with pytest.raises(DataValidationError) as err:
        check_frame(frame, load_frame_schema())
    assert [(p.line, p.value) for p in err.value.problems] == [(4, "kanske")]
    # a reordered copy keeps attrs but not the order: rows are counted instead
    with pytest.raises(DataValidationError) as err:
        check_frame(frame.iloc[::-1], load_frame_schema())
    assert [p.line for p in err.value.problems] == [290]  # row 289 of 290 in the reversed copy


# --------------------------------------------------------------- files that are not frames


def test_a_fifo_is_refused_without_blocking(tmp_path):
    path = tmp_path / "frame.csv"
    os.mkfifo(path)
    with pytest.raises(DataValidationError, match=r"expected a regular file, found a named pipe \(FIFO\)"):
        load_frame(path)


def test_counts_beyond_64_bits_are_a_problem_not_an_overflow(tmp_path):
    lines = demo_lines()
    cells = lines[1].split(",")
    cells[1] = str(2**63)  # one more than the largest int64
    lines[1] = ",".join(cells)
    with pytest.raises(DataValidationError) as err:
        load_frame(write_lines(tmp_path, lines))
    (p,) = err.value.problems
    assert (p.line, p.column, p.value) == (2, "population_2013", "9223372036854775808")
    # the largest int64 itself is read
    cells[1] = str(2**63 - 1)
    lines[1] = ",".join(cells)
    assert load_frame(write_lines(tmp_path, lines))["population_2013"].iloc[0] == 2**63 - 1


def test_broken_frame_schema_names_the_line(tmp_path):
    path = tmp_path / "frame.schema.json"
    path.write_text('{\n  "fields": [\n    {"name": "municipality_code",}\n  ]\n}\n', encoding="utf-8")
    # the comma at line 3 is followed by '}' at column 38: JSON wants a property name there
    with pytest.raises(DataValidationError, match=r"line 3: expected valid JSON \(Expecting property name"):
        load_frame_schema(path)
    path.write_text('{"fields": [{"name": "code", "type": "string"}]}', encoding="utf-8")
    with pytest.raises(DataValidationError, match="a field named 'municipality_code'"):
        load_frame_schema(path)


# ------------------------------------------------------ one data package for the whole run


def test_demo_frame_of_another_data_package(tmp_path, data_dir):
    copy = tmp_path / "wave"
    shutil.copytree(data_dir, copy)
    frame_file = copy / "synthetic" / "demo_frame_2013.csv"
    lines = frame_file.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    assert cells[0] == "0114" and cells[6] == "no"
    cells[6] = "yes"  # 0114's answer differs in the copy
    lines[1] = ",".join(cells)
    frame_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert demo_frame_path(copy) == frame_file
    ours = demo_frame(copy).set_index("municipality_code")
    bundled = demo_frame().set_index("municipality_code")
    assert ours.loc["0114", "bme_children_under_18"] == "yes"
    assert bundled.loc["0114", "bme_children_under_18"] == "no"
    # its frame schema is the copy's too: an answer the copy's schema does not allow is refused
    schema_file = copy / "schemas" / "frame.schema.json"
    schema_file.write_text(schema_file.read_text(encoding="utf-8").replace('"no_answer"', '"unanswered"'),
                           encoding="utf-8")
    lines[2] = lines[2].rsplit(",", 1)[0] + ",no_answer"
    frame_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"line 3, column 'bme_tenant_takeover_aim'"):
        demo_frame(copy)
