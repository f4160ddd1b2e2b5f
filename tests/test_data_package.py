"""The data package: the bundled tables load, and every kind of bad file gives one clear error.

The bad files are made from the bundled ones by one documented mutation each, in
tmp_path, so that each case differs from a valid file in exactly one place.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import sbm_stats
from sbm_stats import DataValidationError, load_table
from sbm_stats.cli import main
from sbm_stats.data import TABLES, check_data


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _write(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _set(rows, line: int, column: str, value: str):
    """Set the cell at a file line (header = line 1) and column name."""
    rows[line - 1][rows[0].index(column)] = value
    return rows


def _line_of(rows, column: str, value: str) -> int:
    return [r[rows[0].index(column)] for r in rows].index(value) + 1


# ------------------------------------------------------------------------ good data


def test_every_table_loads_with_typed_columns(data_dir):
    for name in TABLES:
        frame = load_table(name, data_dir=data_dir)
        assert len(frame) > 0, name
        # only the demonstration frame is synthetic, and it says so
        assert frame.attrs["synthetic"] is (name == "demo_frame_2013")
    m = sbm_stats.load_municipalities(data_dir)
    assert m["municipality_code"].dtype == pd.StringDtype()
    assert str(m["population_2013"].dtype) == "Int64"


def test_municipalities_match_scb_national_totals(data_dir):
    m = sbm_stats.load_municipalities(data_dir)
    assert len(m) == 290
    assert m["municipality_code"].is_unique
    # SCB Statistiknyhet 2014:40: Sweden's population 31 December 2013 was 9 644 864.
    assert int(m["population_2013"].sum()) == 9_644_864
    # Codes keep their leading zero (Upplands Väsby is 0114 in SCB's code list).
    assert m.set_index("municipality_name").loc["Upplands Väsby", "municipality_code"] == "0114"


def test_sample_2014_is_the_published_one(data_dir):
    s = sbm_stats.load_sample_2014(data_dir)
    # Metod / Urval av kommuner: 4 fixed + 26 named = 30 asked; Bjuv declined (footnote 3).
    assert len(s) == 30
    assert set(s.loc[s.publication_group == "fixed_large", "municipality_name"]) == {
        "Stockholm", "Göteborg", "Malmö", "Helsingborg"}
    assert list(s.loc[~s.interviewed.astype(bool), "municipality_name"]) == ["Bjuv"]
    named = ("Ale Bjuv Borlänge Ekerö Enköping Finspång Gullspång Håbo Kiruna Klippan Kumla Lerum "
             "Lessebo Ljungby Norrköping Nynäshamn Olofström Oskarshamn Oxelösund Perstorp Södertälje "
             "Tanum Vallentuna Västervik Ängelholm Örebro").split()
    assert sorted(s.loc[s.publication_group == "other_selected", "municipality_name"]) == sorted(named)


def test_lists_have_the_publications_items(data_dir):
    h = sbm_stats.load_housing_solutions(data_dir)
    # Resultat / Olika boendelösningar: the three bullet lists have 5, 13 and 6 items.
    assert h.groupby("category").size().to_dict() == {
        "akutboende": 5, "overgangsboende": 13, "langsiktigt_boende": 6}
    t = sbm_stats.load_vulnerability_factors(data_dir)
    # Tabell 1 has four levels in this order.
    assert list(t.drop_duplicates("level").sort_values("level_position").level) == [
        "strukturell", "institutionell", "relationell", "individuell"]


def _schema(data_dir, res):
    s = res["schema"]
    return json.loads((data_dir / s).read_text(encoding="utf-8")) if isinstance(s, str) else s


def test_every_source_cited_exists_and_every_table_is_described(data_dir):
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    assert {r["name"] for r in package["resources"]} >= set(TABLES)
    for res in package["resources"]:
        assert (data_dir / res["path"]).exists()
        for f in _schema(data_dir, res)["fields"]:
            assert f.get("description") is not None, (res["name"], f["name"])
    report = check_data(data_dir)
    assert report.ok, str(report)
    # every source listed is cited, by a row or by a column's "sources" in the descriptor
    cited_by_fields = {s for res in package["resources"] for f in _schema(data_dir, res)["fields"]
                       for s in f.get("sources", [])}
    cited_by_rows = {s for name in TABLES if name != "sources"
                     for s in load_table(name, data_dir=data_dir).get("source_id", [])}
    assert set(sbm_stats.load_sources(data_dir).source_id) == cited_by_fields | cited_by_rows


# ------------------------------------------------------------------------ bad files


def _case_missing_column(tmp):
    rows = _rows(tmp / "published_figures.csv")
    i = rows[0].index("unit")
    return "published_figures", [r[:i] + r[i + 1:] for r in rows], (1, "unit", "missing")


def _case_unknown_column(tmp):
    rows = _rows(tmp / "sources.csv")
    rows = [r + ["x"] for r in rows]
    rows[0][-1] = "extra"
    return "sources", rows, (1, "extra", "unknown column")


#: One changed cell each: (table, row as a figure_id or a file line, column, new value,
#: words the message must contain). The expected line is the row's line in the file.
CELL_CASES = {
    "duplicated code": ("municipalities", 3, "municipality_code", "0114", "same as line 2"),
    "unknown municipality code": ("sample_2014", 2, "municipality_code", "9999", "exists in municipalities"),
    "count above its base": ("published_figures", "res.forced_moves", "count", "30", "no larger than its base (29)"),
    "negative count": ("published_figures", "res.forced_moves", "count", "-1", "at least 0"),
    "fractional count": ("published_figures", "res.forced_moves", "count", "16.5", "fractional"),
    "Swedish decimal comma": ("published_figures", "bme.growth_pct", "value", "45,4", "decimal comma"),
    "thousands separator": ("published_figures", "bme.flats_2013", "value", "16 386", "thousands separators"),
    "value outside the allowed units": ("published_figures", "bme.flats_2013", "unit", "lägenheter", "one of"),
    "code not four digits": ("municipalities", 2, "municipality_code", "114", "pattern"),
    "required value missing": ("vulnerability_factors", 4, "factor_sv", "", "required"),
}


def _cell_case(name):
    table, row, column, value, words = CELL_CASES[name]

    def make(tmp):
        rows = _rows(tmp / f"{table}.csv")
        line = row if isinstance(row, int) else _line_of(rows, "figure_id", row)
        _set(rows, line, column, value)
        return table, rows, (line, column, words)

    return make


CASES = {
    "missing column": _case_missing_column,
    "unknown column": _case_unknown_column,
    **{name: _cell_case(name) for name in CELL_CASES},
}


@pytest.fixture
def data_copy(tmp_path, data_dir) -> Path:
    target = tmp_path / "data"
    shutil.copytree(data_dir, target)
    return target


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_gives_one_clear_error(case, data_copy):
    table, rows, (line, column, words) = CASES[case](data_copy)
    bad = data_copy / f"bad_{table}.csv"
    _write(bad, rows)
    with pytest.raises(DataValidationError) as info:
        load_table(table, data_dir=data_copy, path=bad)
    problems = info.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    p = problems[0]
    assert (p.file, p.line, p.column) == (str(bad), line, column)
    assert words in p.expected
    assert str(bad) in str(info.value) and words in str(info.value)


def test_wrong_encoding_names_the_line(data_copy):
    text = (data_copy / "municipalities.csv").read_text(encoding="utf-8")
    bad = data_copy / "latin1.csv"
    bad.write_bytes(text.encode("latin-1"))  # as a Windows export would save it
    first_non_ascii = next(i for i, ln in enumerate(text.splitlines(), 1) if not ln.isascii())
    with pytest.raises(DataValidationError) as info:
        load_table("municipalities", data_dir=data_copy, path=bad)
    (p,) = info.value.problems
    assert p.line == first_non_ascii and "UTF-8" in p.expected


@pytest.mark.parametrize(
    "content, words",
    [(b"", "empty"), (b"\n  \n", "empty"), (None, "header only"), (b"a;b;c\n1;2;3\n", "semicolons")],
    ids=["empty", "blank lines", "header only", "semicolon-separated"],
)
def test_file_level_problems(content, words, data_copy):
    bad = data_copy / "bad.csv"
    if content is None:
        content = (data_copy / "housing_solutions.csv").read_bytes().splitlines(keepends=True)[0]
    bad.write_bytes(content)
    with pytest.raises(DataValidationError) as info:
        load_table("housing_solutions", data_dir=data_copy, path=bad)
    (p,) = info.value.problems
    assert words in p.expected and p.file == str(bad)


def test_missing_file_and_unknown_table(data_copy):
    with pytest.raises(DataValidationError, match="no such file"):
        load_table("sources", data_dir=data_copy, path=data_copy / "nope.csv")
    with pytest.raises(ValueError, match=r"table \('nope'\) must be one of: sources, "):
        load_table("nope", data_dir=data_copy)


def test_all_problems_are_collected_at_once(data_copy):
    rows = _rows(data_copy / "published_figures.csv")
    _set(rows, 2, "count", "-3")
    _set(rows, 5, "unit", "bananas")
    _set(rows, 7, "period", "1914-19")
    _write(data_copy / "published_figures.csv", rows)
    with pytest.raises(DataValidationError) as info:
        load_table("published_figures", data_dir=data_copy)
    assert [(p.line, p.column) for p in info.value.problems] == [(2, "count"), (5, "unit"), (7, "period")]


def test_cli_data_check_fails_with_the_problem(data_copy, capsys):
    rows = _rows(data_copy / "municipalities.csv")
    _set(rows, 10, "population_2013", "-5")
    _write(data_copy / "municipalities.csv", rows)
    assert main(["data", "check", "--data-dir", str(data_copy)]) == 1
    out = capsys.readouterr().out
    assert "data/municipalities.csv, line 10, column 'population_2013': value -5" in out
    # tables that refer to municipalities fail too, and say why
    assert "sample_2014" in out


def test_excel_input_is_validated_like_csv(data_copy):
    import openpyxl
    rows = _rows(data_copy / "housing_solutions.csv")
    _set(rows, 3, "position", "two")
    book = openpyxl.Workbook()
    for r in rows:
        book.active.append(r)
    path = data_copy / "housing.xlsx"
    book.save(path)
    with pytest.raises(DataValidationError) as info:
        load_table("housing_solutions", data_dir=data_copy, path=path)
    (p,) = info.value.problems
    assert (p.line, p.column, p.value) == (3, "position", "two")


# ------------------------------------------------------- lines a person can find


def test_foreign_key_problems_name_the_line_after_a_blank_line(data_copy):
    path = data_copy / "sample_2014.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    # header line 1; a blank line after line 2; the row that was line 4 is on line 5
    cells = lines[3].split(",")
    cells[0] = "9999"  # not a municipality code
    lines[3] = ",".join(cells)
    lines.insert(2, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_table("sample_2014", data_dir=data_copy)
    assert [(p.line, p.column, p.value) for p in info.value.problems] == [(5, "municipality_code", "9999")]


# ----------------------------------------------------------- a broken descriptor


@pytest.mark.parametrize(
    "text, words",
    [
        # line 2 '  "resources": [' , line 3 '    {"name": "sources", }': a comma before '}'
        ('{\n  "resources": [\n    {"name": "sources", }\n  ]\n}\n',
         r"datapackage.json, line 3: expected valid JSON \(Expecting property name enclosed in double quotes "
         r"at column 25\)"),
        ('{"resources": "sources.csv"}', r"column 'resources': value 'sources.csv': expected a non-empty list"),
        ('{"resources": [{"name": "sources", "path": "sources.csv"}]}',
         r"expected resources\[0\].schema to be a Table Schema object or the path of one"),
        ('{"resources": [{"name": "sources", "path": "sources.csv", "schema": {"fields": "source_id"}}]}',
         r"value 'source_id': expected 'fields' to be a non-empty list of field objects"),
        ('{"resources": [{"name": "x", "path": "x.csv", "schema": {"fields": [{"name": "a"}], '
         '"primaryKey": "b"}}]}',
         r"value 'b': expected primaryKey to be a field name or a list of them: a"),
        ("\ufeff[1, 2]", r"value 'list': expected a JSON object with a 'resources' list"),
        ("[" * 100_000, r"expected JSON nested less deeply"),
    ],
    ids=["syntax", "resources-not-a-list", "no-schema", "fields-not-a-list", "bad-primary-key",
         "not-an-object", "deep-nesting"],
)
def test_malformed_descriptor_is_a_data_error(data_copy, text, words):
    (data_copy / "datapackage.json").write_text(text, encoding="utf-8")
    with pytest.raises(DataValidationError, match=words):
        sbm_stats.data.load_datapackage(data_copy)
    with pytest.raises(DataValidationError, match=words):  # data check stops there, once
        check_data(data_copy)


def test_a_table_missing_from_the_descriptor_is_a_problem_of_the_check(data_copy):
    path = data_copy / "datapackage.json"
    package = json.loads(path.read_text(encoding="utf-8"))
    package["resources"] = [r for r in package["resources"] if r["name"] != "housing_solutions"]
    path.write_text(json.dumps(package), encoding="utf-8")
    report = check_data(data_copy)
    assert report.rows["housing_solutions"] is None
    assert any(p.value == "housing_solutions" and p.column == "resources" for p in report.problems)


# ------------------------------------------------------------------ the DataPackage object


def test_the_bundled_package_is_the_2014_wave(data_dir):
    from sbm_stats.data import DataPackage

    package = DataPackage.open(None)
    assert package == DataPackage.open(data_dir)
    # the descriptor's entries (data/datapackage.json), read rather than assumed
    assert (package.wave, package.synthetic, package.compares_with) == ("2014", False, ("2008", "2011"))
    assert package.design_path == package.path / "design" / "2014.yaml"
    assert set(package.design_paths) == {"sbm-2014", "sbm-2014-skip"}
    assert package.claims_path == package.path / "audit" / "claims_2014.yaml"
    assert package.frame_schema_path == package.path / "schemas" / "frame.schema.json"
    assert (package.published_sample, package.demo_frame) == ("sample_2014", "demo_frame_2013")
    assert package.table_names == TABLES


def test_a_package_is_immutable_and_caches_its_tables_per_package(data_copy):
    import dataclasses

    from sbm_stats.data import DataPackage

    package = DataPackage.open(data_copy)
    with pytest.raises(dataclasses.FrozenInstanceError):
        package.wave = "2017"
    first = package.table("municipalities")
    first.loc[0, "municipality_name"] = "changed by a caller"
    # the cache is not the caller's copy, and the file is read once: removing it changes nothing
    (data_copy / "municipalities.csv").unlink()
    assert package.table("municipalities").loc[0, "municipality_name"] == "Upplands Väsby"  # line 2 of the file
    # another package of the same folder has its own cache and reads the file
    with pytest.raises(DataValidationError, match="municipalities.csv: expected an existing file"):
        DataPackage.open(data_copy).table("municipalities")
    with pytest.raises(ValueError, match="table \\('kommuner'\\) must be one of: sources, municipalities"):
        package.table("kommuner")


def test_loaders_take_a_package_or_a_folder_but_not_both(data_copy):
    from sbm_stats.data import DataPackage, load_municipalities

    rows = _rows(data_copy / "municipalities.csv")
    _set(rows, 2, "municipality_name", "Väsby")  # a name of this copy only
    _write(data_copy / "municipalities.csv", rows)
    package = DataPackage.open(data_copy)
    assert load_municipalities(package).loc[0, "municipality_name"] == "Väsby"
    assert load_municipalities(data_copy).loc[0, "municipality_name"] == "Väsby"
    assert load_municipalities(data_dir=data_copy).loc[0, "municipality_name"] == "Väsby"
    assert load_municipalities().loc[0, "municipality_name"] == "Upplands Väsby"  # the bundled package
    with pytest.raises(TypeError, match="package or data_dir, not both"):
        load_municipalities(package, data_dir=data_copy)
    with pytest.raises(TypeError, match="must be a DataPackage, a folder"):
        load_municipalities(42)


def test_one_figure_lookup(data_copy):
    from sbm_stats.data import DataPackage, Figure

    package = DataPackage.open(data_copy)
    # data/published_figures.csv: res.forced_moves is 16 of 29, "drygt hälften" (Resultat)
    f = package.figure("res.forced_moves")
    assert isinstance(f, Figure)
    assert (f.count, f.base, f.value, f.verbal, f.unit, f.source) == (16, 29, None, "drygt hälften",
                                                                      "municipalities", "socstyr_2015")
    assert f.section == "Resultat / Informellt påtvingade flyttningar"
    assert f.number == 16 and f.share == 16 / 29
    # bme.flats_2013 is a value, not a count: 16 386 flats, period 2013
    flats = package.figure("bme.flats_2013")
    assert (flats.count, flats.value, flats.number, flats.year) == (None, 16386.0, 16386.0, 2013)
    with pytest.raises(ValueError, match="closest: res.forced_moves"):
        package.figure("res.forced_move")
    with pytest.raises(DataValidationError, match="a count and a base for bme.flats_2013"):
        flats.share


def _pandera_problems(frame, fields, key):
    """What pandera alone says of a frame (the slow path of ``_check_constraints``)."""
    from sbm_stats.data import _tables

    original = _tables._meets_constraints
    _tables._meets_constraints = lambda *a: False
    try:
        return _tables._check_constraints(frame, fields, "t.csv", key)
    finally:
        _tables._meets_constraints = original


def test_the_pandas_fast_path_agrees_with_pandera(data_dir):
    """Every bundled table passes both checks; each kind of violation fails the fast one,
    so that pandera (which names the cell) sees it: the fast path can only skip pandera
    where pandera would find nothing."""
    from sbm_stats.data import DataPackage
    from sbm_stats.data._tables import _meets_constraints

    pkg = DataPackage.open(data_dir)
    for res in pkg.descriptor["resources"]:
        if not isinstance(res.get("schema"), dict) or res["name"] not in pkg.table_names:
            continue
        fields, key = res["schema"]["fields"], res["schema"].get("primaryKey")
        single = key if isinstance(key, str) else (key[0] if key and len(key) == 1 else None)
        frame = pkg.table(res["name"])
        frame = frame[[f["name"] for f in fields]]
        assert _meets_constraints(frame, fields, single), res["name"]
        assert _pandera_problems(frame, fields, key) == [], res["name"]

    fields = [{"name": "code", "type": "string", "constraints": {"pattern": "[0-9]{4}", "enum": ["0180", "1480"]}},
              {"name": "n", "type": "integer", "constraints": {"minimum": 0, "maximum": 10, "required": True}}]
    good = pd.DataFrame({"code": pd.array(["0180", "1480"], dtype="string"), "n": pd.array([1, 2], dtype="Int64")})
    assert _meets_constraints(good, fields, "code") and _pandera_problems(good, fields, "code") == []
    bad = {
        "outside the enum": good.assign(code=pd.array(["0180", "9999"], dtype="string")),
        "a duplicated key": good.assign(code=pd.array(["0180", "0180"], dtype="string")),
        "below the minimum": good.assign(n=pd.array([-1, 2], dtype="Int64")),
        "above the maximum": good.assign(n=pd.array([1, 11], dtype="Int64")),
        "a missing required value": good.assign(n=pd.array([1, None], dtype="Int64")),
        "the wrong type": good.assign(n=[1.5, 2.0]),
    }
    for what, frame in bad.items():
        assert not _meets_constraints(frame, fields, "code"), what
        assert _pandera_problems(frame, fields, "code"), what
