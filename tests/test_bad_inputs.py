"""The bad-input corpus: every bad, hostile or unlucky input ends in one clear message.

One table of cases for ``sbm-stats data check``, ``sbm-stats audit``, the frame-reading
part of ``sbm-stats sample`` and the wave entries of a data package's descriptor. Each case asserts

* the exit status (2 for bad input or a refused file, 1 where ``data check`` reports the
  problems of the tables it checked),
* a fragment of the message: the file and the line (and column) it must name, written by
  hand from the input the case builds (the line numbers are worked out in the comments),
* no ``Traceback`` anywhere in the output,
* the data folder the command used, and ``--out`` when given, unchanged byte for byte.

Static bad files live in ``tests/fixtures/bad_inputs/``; the others are made from a copy of
``data/`` or of the demonstration frame with one change each. The commands run in process
(``cli.main``); a few subprocess runs check Ctrl-C and SIGTERM of a long command.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sbm_stats import cli

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
FIXTURES = ROOT / "tests" / "fixtures" / "bad_inputs"
DEMO = DATA / "synthetic" / "demo_frame_2013.csv"
SBM_STATS = ROOT / ".venv" / "bin" / "sbm-stats"


# ------------------------------------------------------------------------------ helpers


def tree_digest(path: Path) -> dict[str, str]:
    """Every entry under ``path`` (or ``path`` itself) -> its kind and, for a file, its SHA-256.

    Special files (FIFOs, sockets) are described by their kind only: opening a FIFO would
    block the test itself.
    """
    if not path.exists() and not path.is_symlink():
        return {}
    entries = [path] if not path.is_dir() else [path, *sorted(path.rglob("*"))]
    out = {}
    for p in entries:
        mode = os.lstat(p).st_mode
        key = str(p.relative_to(path)) if p != path else "."
        if stat.S_ISREG(mode):
            out[key] = "file " + hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[key] = "mode " + oct(stat.S_IFMT(mode))
    return out


def demo_lines() -> list[str]:
    return DEMO.read_text(encoding="utf-8").splitlines()


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def set_cell(lines: list[str], line: int, column: int, value: str) -> None:
    """Set the cell ``column`` (0-based) of the file's ``line`` (1-based, header = 1)."""
    cells = lines[line - 1].split(",")
    cells[column] = value
    lines[line - 1] = ",".join(cells)


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@dataclass
class Env:
    """A case's folders: ``tmp`` (its own), ``data`` (a copy of data/), ``out`` (an output folder)."""

    tmp: Path
    data: Path
    out: Path
    sockets: list[socket.socket] = field(default_factory=list)


@dataclass(frozen=True)
class Case:
    id: str
    argv: Callable[[Env], list[str]]
    code: int
    message: Callable[[Env], str]
    setup: Callable[[Env], None] = lambda env: None
    watch_out: bool = False  # --out is env.out: check it unchanged


# ----------------------------------------------------------------- data check cases


def _package(env: Env, change: Callable[[dict], None]) -> None:
    import json

    path = env.data / "datapackage.json"
    package = json.loads(path.read_text(encoding="utf-8"))
    change(package)
    path.write_text(json.dumps(package, indent=2), encoding="utf-8")


def _table(env: Env, name: str, change: Callable[[list[str]], None]) -> None:
    path = env.data / name
    lines = path.read_text(encoding="utf-8").splitlines()
    change(lines)
    write_lines(path, lines)


def _drop_schema(p: dict) -> None:
    del p["resources"][0]["schema"]


def _date_type(p: dict) -> None:
    p["resources"][0]["schema"]["fields"][0]["type"] = "date"


def _fk_nowhere(p: dict) -> None:
    p["resources"][2]["schema"]["foreignKeys"][0]["reference"]["resource"] = "kommuner"


def _fk_cycle(p: dict) -> None:
    # sources -> published_figures -> sources
    p["resources"][0]["schema"]["foreignKeys"] = [
        {"fields": "source_id", "reference": {"resource": "published_figures", "fields": "source_id"}}]


def _blank_line_then_bad(lines: list[str]) -> None:
    # municipalities.csv: header line 1, first municipality line 2. A blank line goes in
    # after line 3, so the row that was on line 10 is now on line 11 in an editor.
    set_cell(lines, 10, 4, "many")  # column 4 is population_2012
    lines.insert(3, "")


def _multiline_then_bad(lines: list[str]) -> None:
    # sources.csv: the note of the record on line 3 gets a line break inside its quotes,
    # so that record spans lines 3-4 and the record that was on line 5 starts on line 6.
    lines[2] = lines[2].replace("Round figures", "Round\nfigures", 1)
    cells = lines[4].split(",")
    cells[1] = "pamphlet"  # kind: not an allowed value
    lines[4] = ",".join(cells)


def _big_count(lines: list[str]) -> None:
    set_cell(lines, 5, 4, "99999999999999999999")  # 1e20 - 1 > 2**63 - 1; line 5, population_2012


def _municipality_columns() -> list[str]:
    return (DATA / "municipalities.csv").read_text(encoding="utf-8").splitlines()[0].split(",")


DATA_CASES = [
    Case("data-dir-missing", lambda e: ["data", "check", "--data-dir", str(e.tmp / "nowhere")], 2,
         lambda e: f"{e.tmp / 'nowhere'}: expected a data folder with a datapackage.json descriptor"),
    Case("datapackage-trailing-comma", lambda e: ["data", "check", "--data-dir", str(e.data)], 2,
         # the fixture's line 4 is "  ]": JSON finds no value after the comma of line 3
         lambda e: f"{e.data / 'datapackage.json'}, line 4: expected valid JSON (Expecting value at column 3)",
         setup=lambda e: shutil.copy(FIXTURES / "datapackage_trailing_comma.json", e.data / "datapackage.json")),
    Case("datapackage-not-an-object", lambda e: ["data", "check", "--data-dir", str(e.data)], 2,
         lambda e: f"{e.data / 'datapackage.json'}: value 'list': expected a JSON object with a 'resources' list",
         setup=lambda e: (e.data / "datapackage.json").write_text("[]\n", encoding="utf-8")),
    Case("datapackage-resources-not-a-list", lambda e: ["data", "check", "--data-dir", str(e.data)], 2,
         lambda e: "column 'resources': value {}: expected a non-empty list of resource objects",
         setup=lambda e: _package(e, lambda p: p.update(resources={}))),
    Case("datapackage-resource-without-schema", lambda e: ["data", "check", "--data-dir", str(e.data)], 2,
         lambda e: "expected resources[0].schema to be a Table Schema object or the path of one",
         setup=lambda e: _package(e, _drop_schema)),
    Case("datapackage-unknown-field-type", lambda e: ["data", "check", "--data-dir", str(e.data)], 2,
         lambda e: "value 'date': expected fields[0].type to be one of: string, integer, number, boolean",
         setup=lambda e: _package(e, _date_type)),
    Case("datapackage-foreign-key-to-nowhere", lambda e: ["data", "check", "--data-dir", str(e.data)], 2,
         lambda e: "value 'kommuner': expected resources[2].schema.foreignKeys to name a resource of the package",
         setup=lambda e: _package(e, _fk_nowhere)),
    Case("datapackage-foreign-key-cycle", lambda e: ["data", "check", "--data-dir", str(e.data)], 1,
         lambda e: "foreign keys that do not lead back to a table on the way: sources -> published_figures -> sources",
         setup=lambda e: _package(e, _fk_cycle)),
    Case("datapackage-is-a-folder", lambda e: ["data", "check", "--data-dir", str(e.data)], 2,
         lambda e: f"{e.data / 'datapackage.json'}: expected a file, found a folder",
         setup=lambda e: ((e.data / "datapackage.json").unlink(), (e.data / "datapackage.json").mkdir())),
    Case("datapackage-is-a-fifo", lambda e: ["data", "check", "--data-dir", str(e.data)], 2,
         lambda e: f"{e.data / 'datapackage.json'}: expected a regular file, found a named pipe (FIFO)",
         setup=lambda e: ((e.data / "datapackage.json").unlink(), fifo(e.data / "datapackage.json"))),
    Case("table-count-above-int64", lambda e: ["data", "check", "--data-dir", str(e.data)], 1,
         lambda e: (f"{e.data / 'municipalities.csv'}, line 5, column '{_municipality_columns()[4]}': "
                    "value '99999999999999999999': expected an integer between -9223372036854775808 and "
                    "9223372036854775807"),
         setup=lambda e: _table(e, "municipalities.csv", _big_count)),
    Case("table-blank-line-keeps-line-numbers", lambda e: ["data", "check", "--data-dir", str(e.data)], 1,
         lambda e: f"{e.data / 'municipalities.csv'}, line 11, column '{_municipality_columns()[4]}': value 'many'",
         setup=lambda e: _table(e, "municipalities.csv", _blank_line_then_bad)),
    Case("table-multiline-cell-keeps-line-numbers", lambda e: ["data", "check", "--data-dir", str(e.data)], 1,
         lambda e: f"{e.data / 'sources.csv'}, line 6, column 'kind': value 'pamphlet'",
         setup=lambda e: _table(e, "sources.csv", _multiline_then_bad)),
    Case("table-is-a-fifo", lambda e: ["data", "check", "--data-dir", str(e.data)], 1,
         lambda e: f"{e.data / 'sources.csv'}: expected a regular file, found a named pipe (FIFO)",
         setup=lambda e: ((e.data / "sources.csv").unlink(), fifo(e.data / "sources.csv"))),
    Case("frame-schema-bad-json", lambda e: ["data", "check", "--data-dir", str(e.data)], 1,
         # line 1 "{", line 2 '  "fields": [' then the file ends: no value on line 3
         lambda e: (f"{e.data / 'schemas' / 'frame.schema.json'}, line 3: "
                    "expected valid JSON (Expecting value at column 1)"),
         setup=lambda e: (e.data / "schemas" / "frame.schema.json").write_text('{\n  "fields": [\n',
                                                                              encoding="utf-8")),
]


# ------------------------------------------------------- wave entries of the descriptor
# A package whose descriptor lacks the wave's design or claims, names a file that does not
# exist, or mixes waves: one error naming the descriptor entry (exit 2), nothing written.


def _no_designs(p: dict) -> None:
    p["designs"] = [d for d in p["designs"] if "variant_of" in d]


def _no_claims(p: dict) -> None:
    del p["audit"]["claims"]


def _design_nowhere(p: dict) -> None:
    p["designs"][0]["path"] = "design/2099.yaml"


def _design_of_2011(p: dict) -> None:
    p["designs"][1]["wave"] = "2011"


def _file_wave(name: str, wave: str) -> Callable[[Env], None]:
    def setup(e: Env) -> None:
        path = e.data / name
        path.write_text(path.read_text(encoding="utf-8").replace('wave: "2014"', f'wave: "{wave}"', 1),
                        encoding="utf-8")
    return setup


_DESCRIPTOR = "datapackage.json"
WAVE_CASES = [
    Case("wave-without-its-design", lambda e: ["data", "check", "--data-dir", str(e.data)], 2,
         # the one design left is a variant: the wave has no design of its own
         lambda e: (f"{e.data / _DESCRIPTOR}, column 'designs': value '0 designs without variant_of': "
                    "expected exactly one design of the wave 2014 without variant_of"),
         setup=lambda e: _package(e, _no_designs)),
    Case("wave-without-its-claims", lambda e: ["audit", "--data-dir", str(e.data), "--out", str(e.out / "a.csv")], 2,
         lambda e: f"{e.data / _DESCRIPTOR}, column 'audit.claims': expected the claims registry of the wave 2014",
         setup=lambda e: _package(e, _no_claims), watch_out=True),
    Case("wave-design-file-missing",
         lambda e: ["sample", "--data-dir", str(e.data), "--seed", "1", "--out", str(e.out)], 2,
         lambda e: (f"{e.data / _DESCRIPTOR}, column 'designs[0].path': value 'design/2099.yaml': expected the "
                    "path of an existing file: a design file"),
         setup=lambda e: _package(e, _design_nowhere), watch_out=True),
    Case("wave-claims-file-missing", lambda e: ["audit", "--data-dir", str(e.data), "--out", str(e.out / "a.csv")], 2,
         lambda e: (f"{e.data / _DESCRIPTOR}, column 'audit.claims': value 'audit/claims_2014.yaml': expected "
                    "the path of an existing file: the claims registry"),
         setup=lambda e: (e.data / "audit" / "claims_2014.yaml").unlink(), watch_out=True),
    Case("wave-mixed-in-the-descriptor", lambda e: ["data", "check", "--data-dir", str(e.data)], 2,
         lambda e: (f"{e.data / _DESCRIPTOR}, column 'designs[1].wave': value '2011': expected the package's "
                    "wave 2014: a package holds the designs of its own wave only"),
         setup=lambda e: _package(e, _design_of_2011)),
    Case("wave-mixed-design-file",
         lambda e: ["sample", "--data-dir", str(e.data), "--seed", "1", "--out", str(e.out)], 2,
         lambda e: (f"{e.data / 'design' / '2014.yaml'}: the design is for wave 2011 but the data package is wave "
                    f"2014 ({e.data / _DESCRIPTOR}, entry 'designs[0].path'): the waves must not be mixed"),
         setup=_file_wave("design/2014.yaml", "2011"), watch_out=True),
    Case("wave-mixed-claims-file", lambda e: ["audit", "--data-dir", str(e.data), "--out", str(e.out / "a.csv")], 2,
         lambda e: (f"{e.data / 'audit' / 'claims_2014.yaml'}, column 'wave': value '2011': expected the data "
                    f"package's wave 2014 ({e.data / _DESCRIPTOR}, entry 'audit.claims')"),
         setup=_file_wave("audit/claims_2014.yaml", "2011"), watch_out=True),
    Case("wave-mixed-files-in-data-check", lambda e: ["data", "check", "--data-dir", str(e.data)], 1,
         lambda e: (f"{e.data / _DESCRIPTOR}, column 'designs[0].path': value '2014.yaml (wave 2011)': expected a "
                    "design file of the package's wave 2014: the waves must not be mixed"),
         setup=_file_wave("design/2014.yaml", "2011")),
]


# ------------------------------------------------------------------------ audit cases


def _claims(name: str) -> Callable[[Env], list[str]]:
    return lambda e: ["audit", "--claims", str(FIXTURES / name), "--out", str(e.out / "audit.csv")]


AUDIT_CASES = [
    Case("claims-latin1", _claims("claims_latin1.yaml"), 2,
         # line 4 is "    section: Bostadsläget" with 'ä' saved as the single byte 0xe4
         lambda e: "claims_latin1.yaml, line 4: value 'byte 0xe4': expected UTF-8 text", watch_out=True),
    Case("claims-binary", _claims("claims_binary.yaml"), 2,
         lambda e: "claims_binary.yaml, line 1: value 'byte 0x89': expected UTF-8 text", watch_out=True),
    Case("claims-a-folder", lambda e: ["audit", "--claims", str(FIXTURES), "--out", str(e.out / "audit.csv")], 2,
         lambda e: f"{FIXTURES}: expected a claims file (YAML), found a folder", watch_out=True),
    Case("claims-missing", lambda e: ["audit", "--claims", str(e.tmp / "nope.yaml")], 2,
         lambda e: f"{e.tmp / 'nope.yaml'}: expected an existing claims file (no such file)"),
    Case("claims-a-fifo", lambda e: ["audit", "--claims", str(e.tmp / "claims.yaml")], 2,
         lambda e: f"{e.tmp / 'claims.yaml'}: expected a claims file (YAML), found a special file",
         setup=lambda e: fifo(e.tmp / "claims.yaml")),
    Case("claims-a-list", _claims("claims_list.yaml"), 2,
         lambda e: "claims_list.yaml, column 'claims': expected a mapping with a top-level 'claims' list "
                   "(found a list)", watch_out=True),
    Case("claims-without-claims", _claims("claims_no_claims_key.yaml"), 2,
         lambda e: "(found no 'claims' key)", watch_out=True),
    Case("claims-alias-bomb", _claims("claims_alias_bomb.yaml"), 2,
         # 9 aliases per line from line 2: the 65th alias is on line 9 (8 lines x 9 = 72 >= 65)
         lambda e: "claims_alias_bomb.yaml, line 9: expected valid YAML (more than 64 aliases", watch_out=True),
    Case("claims-object-tag", _claims("claims_object_tag.yaml"), 2,
         lambda e: "claims_object_tag.yaml, line 2: expected valid YAML (could not determine a constructor",
         watch_out=True),
    Case("claims-bad-syntax", _claims("claims_bad_syntax.yaml"), 2,
         # the list opened on line 4 is still open when line 5 starts a mapping key
         lambda e: "claims_bad_syntax.yaml, line 5: expected valid YAML (expected ',' or ']'", watch_out=True),
    Case("claims-wrong-type", _claims("claims_wrong_type.yaml"), 2,
         lambda e: "claims_wrong_type.yaml, line 7, column 'before': value [1]: expected a figure_id",
         watch_out=True),
    Case("claims-unknown-wording", _claims("claims_unknown_wording.yaml"), 2,
         lambda e: "claims_unknown_wording.yaml, line 7, column 'wording': value 'ungefär hälften'",
         watch_out=True),
    Case("audit-out-is-a-folder", lambda e: ["audit", "--out", str(e.out)], 2,
         lambda e: f"{e.out}: expected a file path for --out (found a folder)", watch_out=True),
    Case("audit-out-below-a-file", lambda e: ["audit", "--out", str(e.out / "old.csv" / "audit.csv")], 2,
         lambda e: f"({e.out / 'old.csv'} is a file)", watch_out=True),
    Case("audit-out-in-proc", lambda e: ["audit", "--out", "/proc/sbm-test/audit.csv"], 2,
         lambda e: "/proc/sbm-test"),
    Case("audit-broken-data-dir", lambda e: ["audit", "--data-dir", str(e.data)], 2,
         lambda e: f"{e.data / 'datapackage.json'}, line 4: expected valid JSON",
         setup=lambda e: shutil.copy(FIXTURES / "datapackage_trailing_comma.json", e.data / "datapackage.json")),
]


# ------------------------------------------------------------------------ frame cases


def _sample(frame: Callable[[Env], Path | str]) -> Callable[[Env], list[str]]:
    return lambda e: ["sample", "--seed", "1", "--frame", str(frame(e)), "--out", str(e.out)]


def _frame_with(change: Callable[[list[str]], None]) -> Callable[[Env], None]:
    def setup(e: Env) -> None:
        lines = demo_lines()
        change(lines)
        write_lines(e.tmp / "frame.csv", lines)
    return setup


def _frame_blank_then_bad(lines: list[str]) -> None:
    # two blank lines go in after line 3; the row that was on line 8 is then on line 10
    set_cell(lines, 8, 6, "maybe")  # bme_children_under_18
    lines[3:3] = ["", ""]


def _frame_multiline_then_bad(lines: list[str]) -> None:
    # line 3's answer becomes a quoted cell across two lines (lines 3-4); the row that was
    # on line 6 then starts on line 7. Both are reported, each on the line it starts on.
    set_cell(lines, 3, 6, '"no\nyes"')
    set_cell(lines, 6, 2, "-1")  # kfm_eviction_applications_2013 below its minimum 0


def _frame_socket(e: Env) -> None:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(e.tmp / "frame.csv"))
    e.sockets.append(s)


def _frame_xlsx_blank_rows(e: Env) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for i, line in enumerate(demo_lines(), 1):
        cells = line.split(",")
        if i == 5:
            sheet.append([])  # a blank sheet row 5; the frame's line 5 moves to row 6
            sheet.append([])  # and another: row 6 blank, the frame's line 5 on row 7
        if i == 9:
            cells[7] = "kanske"  # the frame's line 9, two rows down: sheet row 11
        sheet.append(cells if i == 1 else cells[:1] + [int(c) for c in cells[1:6]] + cells[6:])
    book.save(e.tmp / "frame.xlsx")


FRAME_CASES = [
    Case("frame-fifo", _sample(lambda e: e.tmp / "frame.csv"), 2,
         lambda e: f"{e.tmp / 'frame.csv'}: expected a regular file, found a named pipe (FIFO)",
         setup=lambda e: fifo(e.tmp / "frame.csv"), watch_out=True),
    Case("frame-dev-urandom", _sample(lambda e: "/dev/urandom"), 2,
         lambda e: "/dev/urandom: expected a regular file, found a character device", watch_out=True),
    Case("frame-a-folder", _sample(lambda e: e.tmp), 2,
         lambda e: f"{e.tmp}: expected a file, found a folder", watch_out=True),
    Case("frame-a-socket", _sample(lambda e: e.tmp / "frame.csv"), 2,
         lambda e: f"{e.tmp / 'frame.csv'}: expected a regular file, found a socket",
         setup=_frame_socket, watch_out=True),
    Case("frame-symlink-loop", _sample(lambda e: e.tmp / "a.csv"), 2,
         lambda e: f"{e.tmp / 'a.csv'}: expected a readable file (Too many levels of symbolic links)",
         setup=lambda e: ((e.tmp / "a.csv").symlink_to("b.csv"), (e.tmp / "b.csv").symlink_to("a.csv")),
         watch_out=True),
    Case("frame-csv-with-a-sheet", lambda e: [*_sample(lambda e: DEMO)(e), "--sheet", "Blad1"], 2,
         lambda e: "value 'Blad1': expected no sheet for a CSV file", watch_out=True),
    Case("frame-missing", _sample(lambda e: e.tmp / "nope.csv"), 2,
         lambda e: f"{e.tmp / 'nope.csv'}: expected an existing file (no such file)", watch_out=True),
    Case("frame-count-above-int64", _sample(lambda e: e.tmp / "frame.csv"), 2,
         lambda e: (f"{e.tmp / 'frame.csv'}, line 4, column 'kfm_indebted_persons_2013': value "
                    "'18446744073709551616': expected an integer between"),
         setup=_frame_with(lambda ls: set_cell(ls, 4, 4, str(2**64))), watch_out=True),
    Case("frame-blank-lines-keep-line-numbers", _sample(lambda e: e.tmp / "frame.csv"), 2,
         lambda e: f"{e.tmp / 'frame.csv'}, line 10, column 'bme_children_under_18': value 'maybe'",
         setup=_frame_with(_frame_blank_then_bad), watch_out=True),
    Case("frame-multiline-cell-keeps-line-numbers", _sample(lambda e: e.tmp / "frame.csv"), 2,
         lambda e: f"{e.tmp / 'frame.csv'}, line 7, column 'kfm_eviction_applications_2013': value -1",
         setup=_frame_with(_frame_multiline_then_bad), watch_out=True),
    Case("frame-xlsx-blank-rows-keep-row-numbers", _sample(lambda e: e.tmp / "frame.xlsx"), 2,
         lambda e: f"{e.tmp / 'frame.xlsx'}, line 11, column 'bme_tenant_takeover_aim': value 'kanske'",
         setup=_frame_xlsx_blank_rows, watch_out=True),
    Case("frame-xlsx-not-a-workbook", _sample(lambda e: e.tmp / "frame.xlsx"), 2,
         lambda e: f"{e.tmp / 'frame.xlsx'}: expected a readable .xlsx workbook",
         setup=lambda e: shutil.copy(DEMO, e.tmp / "frame.xlsx"), watch_out=True),
    Case("frame-latin1", _sample(lambda e: e.tmp / "frame.csv"), 2,
         # the first non-ASCII byte: 'å' (0xe5) written into line 3's answer
         lambda e: f"{e.tmp / 'frame.csv'}, line 3: value 'byte 0xe5'",
         setup=lambda e: (e.tmp / "frame.csv").write_bytes(
             "\n".join(demo_lines()[:2] + [demo_lines()[2].replace(",no,", ",nå,", 1)] + demo_lines()[3:])
             .encode("latin-1")), watch_out=True),
    Case("frame-meta-a-fifo", _sample(lambda e: e.tmp / "frame.csv"), 2,
         lambda e: f"{e.tmp / 'frame.meta.json'}: expected a regular file, found a named pipe (FIFO)",
         setup=lambda e: (shutil.copy(DEMO, e.tmp / "frame.csv"), fifo(e.tmp / "frame.meta.json")),
         watch_out=True),
    Case("sample-out-in-proc", lambda e: ["sample", "--seed", "1", "--frame", str(DEMO), "--out", "/proc/sbm-test"],
         2, lambda e: "/proc/sbm-test"),
]

CASES = DATA_CASES + WAVE_CASES + AUDIT_CASES + FRAME_CASES


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = Env(tmp=tmp_path / "in", data=tmp_path / "data", out=tmp_path / "out")
    env.tmp.mkdir()
    shutil.copytree(DATA, env.data)
    env.out.mkdir()
    (env.out / "old.csv").write_text("earlier output\n", encoding="utf-8")
    (env.out / "sample.csv").write_text("earlier sample\n", encoding="utf-8")
    try:
        case.setup(env)
        argv = case.argv(env)
        used_data = env.data if str(env.data) in argv else DATA
        before_data, before_out = tree_digest(used_data), tree_digest(env.out)
        code = cli.main(argv)
        out, err = capsys.readouterr()
    finally:
        for s in env.sockets:
            s.close()
    assert code == case.code, f"exit {code}\n{out}\n{err}"
    assert case.message(env) in out + err
    assert "Traceback" not in out + err
    assert tree_digest(used_data) == before_data
    if case.watch_out:
        assert tree_digest(env.out) == before_out
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".sbm")]
    assert not Path("/proc/sbm-test").exists()


# ------------------------------------------------------------------ the error path itself


def _raise(exc: BaseException) -> Callable[..., int]:
    def command(args: object) -> int:
        raise exc
    return command


def test_internal_error_says_so_and_where_to_report(monkeypatch, capsys):
    monkeypatch.setattr("sbm_stats.cli._data._check", _raise(RuntimeError("boom")))
    assert cli.main(["data", "check"]) == 70
    err = capsys.readouterr().err
    assert f"sbm-stats: internal error of sbm-stats {cli.__version__}: RuntimeError: boom" in err
    assert "please report it with the command and the output of --debug" in err
    assert "sbm-stats issue tracker" in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback_of_an_internal_error(monkeypatch, capsys):
    monkeypatch.setattr("sbm_stats.cli._data._check", _raise(RuntimeError("boom")))
    assert cli.main(["--debug", "data", "check"]) == 70
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "RuntimeError: boom" in err
    assert err.rstrip().splitlines()[-1].endswith("on the sbm-stats issue tracker.")


def test_debug_shows_the_traceback_of_a_user_error(tmp_path, capsys):
    assert cli.main(["--debug", "data", "check", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "DataValidationError" in err
    assert err.rstrip().splitlines()[-1].endswith("expected a data folder with a datapackage.json descriptor")


def test_os_error_names_the_path_and_the_reason(monkeypatch, capsys):
    monkeypatch.setattr("sbm_stats.cli._data._check",
                        _raise(PermissionError(13, "Permission denied", "/srv/out/x.csv")))
    assert cli.main(["data", "check"]) == 2
    assert capsys.readouterr().err == "sbm-stats: error: /srv/out/x.csv: Permission denied\n"


def test_ctrl_c_in_process(monkeypatch, capsys):
    monkeypatch.setattr("sbm_stats.cli._data._check", _raise(KeyboardInterrupt()))
    assert cli.main(["data", "check"]) == 130
    assert capsys.readouterr().err == "sbm-stats: interrupted\n"


def test_sigterm_in_process_runs_finally_and_restores_the_handler(monkeypatch, capsys):
    cleaned = []

    def command(args: object) -> int:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(30)  # interrupted at once: the handler raises
            return 0  # pragma: no cover - the handler raises before this
        finally:
            cleaned.append(True)

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr("sbm_stats.cli._data._check", command)
    assert cli.main(["data", "check"]) == 143
    assert capsys.readouterr().err == "sbm-stats: terminated\n"
    assert cleaned == [True]
    assert signal.getsignal(signal.SIGTERM) == before


def test_usage_error_keeps_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["sample", "--seed", "x", "--out", "o"])
    assert info.value.code == 2
    assert "argument --seed: 'x' is not a whole number" in capsys.readouterr().err


# ------------------------------------------------------------- signals, in a real process


@pytest.mark.skipif(not SBM_STATS.exists(), reason="needs the project's .venv (make test creates it)")
@pytest.mark.parametrize(("signum", "code", "line"), [
    (signal.SIGINT, 130, "sbm-stats: interrupted"),
    (signal.SIGTERM, 143, "sbm-stats: terminated"),
])
def test_signal_during_a_long_command(tmp_path, signum, code, line):
    out = tmp_path / "urval"
    out.mkdir()
    (out / "inclusion_probabilities.csv").write_text("earlier\n", encoding="utf-8")
    before = tree_digest(out)
    proc = subprocess.Popen(
        [str(SBM_STATS), "sample", "--probabilities", "--replicates", "100000000", "--seed", "1", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
        # Ctrl-C's default action, as in a terminal, even when the test run was started in the
        # background (nohup, `cmd &`), whose children inherit SIGINT ignored: the command would
        # never see the signal and the test would wait out its 60 s
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        seen = b""
        while b"Monte Carlo" not in seen:  # the long part has started
            chunk = proc.stderr.read1(256)
            assert chunk, f"the command ended early: {seen!r}"
            seen += chunk
        proc.send_signal(signum)
        rest_out, rest_err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # pragma: no cover - only when the command hangs
            proc.kill()
            proc.wait()
    err = (seen + rest_err).decode("utf-8")
    assert proc.returncode == code, err
    # the progress bar redraws its line with carriage returns; the message is the last line
    assert err.splitlines()[-1].split("\r")[-1] == line
    assert "Traceback" not in err + rest_out.decode("utf-8")
    assert tree_digest(out) == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".sbm")]
    assert not [p.name for p in out.iterdir() if p.name.startswith(".sbm")]


def test_in_process_main_leaves_no_sigterm_handler_behind():
    before = signal.getsignal(signal.SIGTERM)
    assert cli.main(["data", "check", "--data-dir", str(DATA)]) == 0
    assert signal.getsignal(signal.SIGTERM) == before
    assert sys.exc_info() == (None, None, None)


# ------------------------------------------------------------- conditions of a design


@pytest.mark.parametrize(("text", "words"), [
    ("(" * 10_000 + 'a == "x"' + ")" * 10_000, "at most 2000 characters long; this one has 20008"),
    ("(" * 33 + 'a == "x"' + ")" * 33, "nest parentheses and 'not' at most 32 deep"),
    ("not " * 33 + 'a == "x"', "nest parentheses and 'not' at most 32 deep"),
    ("a == " + "9" * 31, "at most 30 digits"),
    (" or ".join(['a == "x"'] * 300), "at most 2000 characters long"),
], ids=["long", "deep-parentheses", "deep-not", "long-number", "many-terms"])
def test_hostile_conditions_are_refused_with_a_message(text, words):
    from sbm_stats.sampling._condition import ConditionError, parse_condition

    with pytest.raises(ConditionError, match=words):
        parse_condition(text)


def test_conditions_at_the_limits_still_parse():
    from sbm_stats.sampling._condition import parse_condition

    assert parse_condition("(" * 32 + 'a == "x"' + ")" * 32).columns == ("a",)
    assert parse_condition("not " * 32 + "a == " + "9" * 30).columns == ("a",)


def test_reader_of_stdout_going_away_is_quiet(tmp_path):
    # `sbm-stats ... | head -1`: once head has its line, the rest of the output has nowhere
    # to go; that is not an error of sbm-stats (exit 128 + SIGPIPE, nothing on stderr).
    script = tmp_path / "many_lines.py"
    script.write_text(
        "import sys\nfrom sbm_stats import cli\nfrom sbm_stats.cli import _data as _cli_data\n"
        "def many(args):\n    for i in range(200_000):\n        print('line', i)\n    return 0\n"
        "_cli_data._check = many\nsys.exit(cli.main(['data', 'check']))\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline() == b"line 0\n"
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141, err
    assert err == b""
