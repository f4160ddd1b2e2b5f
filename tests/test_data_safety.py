"""Data is never code (issue 18, second half): CSV cells, the render cache, the values files.

- every CSV the package writes shows a cell starting with ``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return as text in a spreadsheet (OWASP's quote), and our readers give
  back exactly the text written;
- the cache keeps the digest of a file as the kernel read it, refuses a folder where its
  notebooks would be published, writes through an unpredictable temporary name and takes
  a malformed entry for a miss;
- ``sbm-stats values diff`` reads only regular, well-formed files and prints data as text.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from sbm_stats import cli
from sbm_stats._csv import FORMULA_STARTS, frame_to_csv, neutralise, read_frame, restore, rows_to_csv
from sbm_stats.report.values import VALUES_COLUMNS, read_values_file

SBM_STATS = Path(sys.executable).with_name("sbm-stats")
FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A2)", "\t=1", "\r=1",
            "=HYPERLINK(\"http://x\",\"klicka\")"]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _formula_cells(text: str) -> list[str]:
    """The cells a spreadsheet would run: those starting with a formula character."""
    return [c for row in _cells(text) for c in row if c.startswith(FORMULA_STARTS)]


# ----------------------------------------------------------------------------- the CSV helper

@pytest.mark.parametrize("text", FORMULAS)
def test_a_formula_is_written_as_text(text):
    assert neutralise(text) == "'" + text
    assert restore(neutralise(text)) == text


@given(st.text())
def test_any_text_survives_neutralise_and_restore(text):
    assert restore(neutralise(text)) == text
    assert not neutralise(text).startswith(FORMULA_STARTS)


@given(st.lists(st.text(), min_size=1, max_size=5), st.lists(st.integers(-10**6, 10**6), min_size=1, max_size=5))
def test_a_table_survives_write_and_read(texts, numbers):
    n = min(len(texts), len(numbers))
    frame = pd.DataFrame({"name": texts[:n], "count": numbers[:n]})
    written = frame_to_csv(frame)
    assert _formula_cells(written) == [str(x) for x in numbers[:n] if x < 0]  # numbers stay numbers
    back = read_frame(io.StringIO(written), dtype={"name": str}, keep_default_na=False)
    assert back["name"].tolist() == texts[:n]
    assert back["count"].tolist() == numbers[:n]


@given(st.lists(st.fixed_dictionaries({c: st.text() for c in VALUES_COLUMNS}), max_size=4))
def test_a_values_file_survives_write_and_read(tmp_path_factory, records):
    from sbm_stats.render._pandoc import write_values_file

    records = list({r["id"]: r for r in records}.values())  # one row per id, as a render writes
    path = tmp_path_factory.mktemp("values") / "doc.values.csv"
    write_values_file(records, path)
    raw = path.read_bytes().decode("utf-8")
    # the raw value of a number may stay a number; nothing else may start a formula
    assert all(NUMBER_LIKE(c) for c in _formula_cells(raw)), raw
    assert read_values_file(path) == {r["id"]: r for r in records}


def NUMBER_LIKE(cell: str) -> bool:
    from sbm_stats._csv import NUMBER_RE

    return NUMBER_RE.fullmatch(cell) is not None


def test_a_negative_number_in_a_numeric_column_stays_a_number():
    # a number column: written as pandas writes it; a text column holding "-5": quoted
    written = frame_to_csv(pd.DataFrame({"n": [-5, 2], "text": ["-5", "ok"], "x": [-0.5, 1.5]}))
    assert written == "n,text,x\n-5,'-5,-0.5\n2,ok,1.5\n"
    assert rows_to_csv(["raw", "formatted"], [{"raw": "-0.25", "formatted": "-0,25"}], numeric=["raw"]) == \
        "raw,formatted\n-0.25,\"'-0,25\"\n"  # quoted for its comma
    # a numeric column's text that a spreadsheet would not read as a number is text
    assert rows_to_csv(["raw"], [{"raw": "-inf"}, {"raw": "-1e-05"}, {"raw": "-2+3"}], numeric=["raw"]) == \
        "raw\n'-inf\n-1e-05\n'-2+3\n"


# ----------------------------------------------------------------------------- every CSV the commands write

HOSTILE_NAMES = {"Stockholm": "=cmd|' /C calc'!A0", "Göteborg": "-2+3+cmd|' /C calc'!A0"}


def _hostile_package(data_dir: Path, tmp_path: Path) -> Path:
    """A copy of the bundled package whose two largest municipalities have formulas for names."""
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    for name in ("municipalities.csv", "sample_2014.csv"):
        path = copy / name
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame["municipality_name"] = frame["municipality_name"].replace(HOSTILE_NAMES)
        path.write_text(frame.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    return copy


def test_sample_writes_no_formula(data_dir, tmp_path):
    out = tmp_path / "urval"
    package = _hostile_package(data_dir, tmp_path)
    assert cli.main(["sample", "--data-dir", str(package), "--seed", "1", "--out", str(out)]) == 0
    for path in sorted(out.glob("*.csv")):
        assert _formula_cells(path.read_bytes().decode("utf-8")) == [], path.name
    # the fixed stage takes Stockholm and Göteborg (data/design/2014.yaml): their names read back as written
    sample = read_frame(out / "sample.csv", dtype=str, keep_default_na=False)
    names = dict(zip(sample["municipality_code"], sample["municipality_name"], strict=True))
    assert (names["0180"], names["1480"]) == tuple(HOSTILE_NAMES.values())


def test_audit_out_writes_no_formula_and_reads_back(data_dir, tmp_path, monkeypatch):
    import sbm_stats.audit._claims as claims

    original = claims.AuditResult.to_frame

    def hostile(self):
        frame = original(self)
        frame.loc[0, "id"] = "=cmd|' /C calc'!A0"
        return frame

    monkeypatch.setattr(claims.AuditResult, "to_frame", hostile)
    out = tmp_path / "audit.csv"
    assert cli.main(["audit", "--data-dir", str(data_dir), "--out", str(out)]) == 0
    assert _formula_cells(out.read_bytes().decode("utf-8")) == []
    assert read_frame(out, dtype=str, keep_default_na=False).loc[0, "id"] == "=cmd|' /C calc'!A0"


# ----------------------------------------------------------------------------- sbm-stats values diff

def _values_file(path: Path, rows: list[dict[str, str]], *, prefix: bytes = b"") -> Path:
    from sbm_stats.render._pandoc import write_values_file

    path.parent.mkdir(parents=True, exist_ok=True)
    write_values_file(rows, path)
    if prefix:
        path.write_bytes(prefix + path.read_bytes())
    return path


def _row(value_id: str, raw: str, inputs: str = "", **more: str) -> dict[str, str]:
    return {**dict.fromkeys(VALUES_COLUMNS, ""), "id": value_id, "raw": raw, "formatted": raw, "inputs": inputs,
            **more}


def _diff(capsys, old: Path, new: Path) -> tuple[int, str, str]:
    code = cli.main(["values", "diff", str(old), str(new)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_values_diff_refuses_a_fifo_at_once(tmp_path, capsys):
    good = _values_file(tmp_path / "a.values.csv", [_row("x", "1")])
    fifo = tmp_path / "b.values.csv"
    os.mkfifo(fifo)  # nobody writes to it: reading it would wait for ever (hence a process with a time limit)
    done = subprocess.run([str(SBM_STATS), "values", "diff", str(good), str(fifo)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and f"{fifo}: not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_values_diff_follows_a_chain_of_3000_inputs(tmp_path, capsys):
    # x0 <- x1 <- ... <- x2999, the last read from a table; its raw value changes
    def chain(raw: str) -> list[dict[str, str]]:
        rows = [_row(f"x{i}", raw, f"x{i + 1}") for i in range(2999)]
        return rows + [_row("x2999", raw, table="t", row="r", column="c")]

    old = _values_file(tmp_path / "a.values.csv", chain("1"))
    new = _values_file(tmp_path / "b.values.csv", chain("2"))
    code, out, err = _diff(capsys, old, new)
    assert code == 1, err
    first = out.splitlines()[0]
    assert first.startswith("changed  x0: 1 -> 2; why: ") and first.endswith("x2999: t, row r, column c: 1 -> 2")
    assert out.splitlines()[-1] == "3000 of 3000 values differ"


@st.composite
def _two_renders(draw):
    """The values of two renders: x0 … x(n-1), each one read from a table row or computed from
    inputs with higher numbers (so without a cycle), some values only in one of the two."""
    n = draw(st.integers(1, 12))
    old, new = {}, {}
    for i in range(n):
        later = list(range(i + 1, n))
        inputs = draw(st.lists(st.sampled_from(later), max_size=3)) if later else []
        text = " ".join(f"x{j}" for j in inputs)
        table = draw(st.booleans())
        row = {"table": "t", "row": f"r{i}", "column": "c"} if table else {"computation": "a + b = 3"}
        a = _row(f"x{i}", draw(st.sampled_from(["1", "2"])), text, **row)
        b = {**a, "raw": draw(st.sampled_from(["1", "2"]))}
        if draw(st.booleans()):
            b["inputs"] = " ".join(f"x{j}" for j in draw(st.lists(st.sampled_from(later), max_size=3))) if later else ""
        where = draw(st.sampled_from(["both", "both", "both", "old", "new"]))
        if where != "new":
            old[a["id"]] = a
        if where != "old":
            new[b["id"]] = b
    return old, new


@given(_two_renders())
def test_why_a_value_changed_is_the_same_built_from_its_inputs_as_walked(renders):
    """The reasons of each value, built once per value from its inputs' (no cycle), are those the
    walk through its inputs finds: the same reasons in the same order."""
    from sbm_stats.report.values import _Reasons

    old, new = renders
    reasons = _Reasons(old, new)
    assert reasons._acyclic
    for value_id in dict.fromkeys([*old, *new]):
        assert reasons.of(value_id) == _Reasons(old, new).walked(value_id), value_id


def test_why_follows_a_cycle_of_inputs_by_walking_it(capsys, tmp_path):
    # x0 <- x1 <- x0: a values file written by hand; each reason once
    old = _values_file(tmp_path / "a.values.csv", [_row("x0", "1", "x1"), _row("x1", "1", "x0", table="t", row="r",
                                                                                column="c")])
    new = _values_file(tmp_path / "b.values.csv", [_row("x0", "2", "x1"), _row("x1", "2", "x0", table="t", row="r",
                                                                                column="c")])
    code, out, _ = _diff(capsys, old, new)
    assert code == 1
    assert out.splitlines()[0] == "changed  x0: 1 -> 2; why: x1: t, row r, column c: 1 -> 2"


def test_values_diff_accepts_a_byte_order_mark(tmp_path, capsys):
    old = _values_file(tmp_path / "a.values.csv", [_row("x", "1")], prefix="\ufeff".encode())
    new = _values_file(tmp_path / "b.values.csv", [_row("x", "1")])
    assert _diff(capsys, old, new)[:2] == (0, "no number changed (1 values compared)\n")


def test_values_diff_refuses_an_unterminated_quote_naming_the_line(tmp_path, capsys):
    old = _values_file(tmp_path / "a.values.csv", [_row("x", "1"), _row("y", "2")])
    broken = tmp_path / "b.values.csv"
    broken.write_text(old.read_text(encoding="utf-8") + '"z,3,3\n', encoding="utf-8")
    code, out, err = _diff(capsys, old, broken)
    assert code == 2 and f"{broken}: line 4: not well-formed CSV" in err and out == ""


def test_values_diff_prints_control_characters_escaped(tmp_path, capsys):
    hostile = "x\x1b]0;pwned\x07\x1b[2J\u202e"
    old = _values_file(tmp_path / "a.values.csv", [_row(hostile, "1", section="=1+1")])
    new = _values_file(tmp_path / "b.values.csv", [_row(hostile, "2", section="=1+1")])
    code, out, _ = _diff(capsys, old, new)
    assert code == 1
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "changed  x\\x1b]0;pwned\\x07\\x1b[2J\\u202e (i =1+1): 1 -> 2" in out


# ----------------------------------------------------------------------------- characters no report can show

#: With DEL and C1 control characters: sbm_stats._markup drops them from every output (XML, HTML,
#: Typst), and U+009B (CSI) starts a terminal's escape sequence as ESC [ does; the package's
#: reader let these four through, so a name was shown shortened without a word.
UNSHOWABLE = {"NUL": "\x00", "ESC": "\x1b", "BEL": "\x07", "U+FFFE": "\ufffe", "U+FFFF": "\uffff",
              "DEL": "\x7f", "NEL": "\x85", "CSI": "\x9b", "APC": "\x9f"}


def _copy(data_dir: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    return copy


@pytest.mark.parametrize("char", UNSHOWABLE.values(), ids=UNSHOWABLE.keys())
def test_data_check_refuses_unshowable_characters_in_a_table(data_dir, tmp_path, capsys, char):
    package = _copy(data_dir, tmp_path)
    sources = package / "sources.csv"
    lines = sources.read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1].replace("Socialstyrelsen (2015).", f"Socialstyrelsen{char} (2015).", 1)
    sources.write_text("\n".join(lines), encoding="utf-8")
    assert cli.main(["data", "check", "--data-dir", str(package)]) == 1
    out = capsys.readouterr().out
    assert f"{package / 'sources.csv'}, line 2, column 'citation'" in out
    assert f"U+{ord(char):04X}" in out and "at character 16" in out
    assert char not in out  # the message shows the character escaped


@pytest.mark.parametrize("escape, code", [("\\ud800", "U+D800 (a lone surrogate)"), ("\\0", "U+0000 (NUL)"),
                                          ("\\x1b", "U+001B"), ("\\uFFFE", "U+FFFE")])
def test_data_check_and_audit_refuse_unshowable_characters_in_the_claims(data_dir, tmp_path, capsys, escape, code):
    package = _copy(data_dir, tmp_path)
    claims = package / "audit" / "claims_2014.yaml"
    text = claims.read_text(encoding="utf-8")
    old = "    reading: antal kommuner (205 och 260), som meningens plats i texten tillåter\n"
    assert text.count(old) == 1
    line = text[:text.index(old)].count("\n") + 1
    claims.write_text(text.replace(old, f'    reading: "antal kommuner {escape} (205 och 260)"\n'), encoding="utf-8")
    assert cli.main(["data", "check", "--data-dir", str(package)]) == 1
    out = capsys.readouterr().out
    index = next(i for i, c in enumerate(yaml.safe_load(text)["claims"]) if c.get("reading") == old[13:-1])
    assert f"{claims}, line {line}, column 'claims[{index}].reading'" in out and code in out
    audit_out = tmp_path / "audit.csv"
    assert cli.main(["audit", "--data-dir", str(package), "--out", str(audit_out)]) == 2  # was 70 (a surrogate)
    err = capsys.readouterr().err
    assert f"line {line}, column 'claims[{index}].reading'" in err and "Traceback" not in err
    assert not audit_out.exists()


def test_data_check_refuses_unshowable_characters_in_the_design(data_dir, tmp_path, capsys):
    package = _copy(data_dir, tmp_path)
    design = package / "design" / "2014.yaml"
    text = design.read_text(encoding="utf-8")
    old = 'label: "ansökningar om avhysning"'
    line = text[:text.index(old)].count("\n") + 1
    design.write_text(text.replace(old, 'label: "ansökningar\\x1b]0;x\\x07 om avhysning"', 1), encoding="utf-8")
    assert cli.main(["data", "check", "--data-dir", str(package)]) == 1
    out = capsys.readouterr().out
    assert f"{design}, line {line}, column 'stages[1].variables[0].label'" in out and "U+001B" in out
    assert cli.main(["sample", "--data-dir", str(package), "--seed", "1", "--out", str(tmp_path / "urval")]) == 2
    assert "U+001B" in capsys.readouterr().err and not (tmp_path / "urval").exists()
