"""Review of the data package's readers and writers: a design or claims file that refers to
itself (and data check reading the designs and claims), and percentages rounded as a reader rounds them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sbm_stats import cli


def _copy(data_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    return copy


# ------------------------------------------------------------- a YAML file that refers to itself

#: A sequence that holds itself (``&a [*a]``): one alias, which the YAML loader's limits allow.
SELF_REFERENCE = "loop: &a [*a]\n"


@pytest.mark.parametrize("command", [["sample", "--seed", "1", "--out", "urval"], ["data", "check"]])
def test_a_design_file_that_holds_itself_is_an_error_not_a_hang(data_dir, tmp_path, command):
    """The check for characters no report can show walked the node graph without marking the
    nodes it had seen, so an alias naming its own sequence never ended. Run in a child process
    with a time limit, so that the hang fails the test instead of stopping the suite."""
    package = _copy(data_dir, tmp_path)
    design = package / "design" / "2014.yaml"
    design.write_text(design.read_text(encoding="utf-8") + SELF_REFERENCE, encoding="utf-8")
    argv = [sys.executable, "-m", "sbm_stats", *command, "--data-dir", str(package)]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stderr
    if command[0] == "sample":  # the design's reader names the key it does not know
        assert done.returncode == 2 and "unknown key 'loop'" in done.stderr
        assert not (tmp_path / "urval").exists()
    else:  # data check reads the design as sample does: the same key, with the file, and exit 1
        assert done.returncode == 1 and "unknown key 'loop'" in done.stdout
        # the variant file takes the design's stages (variant_of), so it holds the key too
        assert "design/2014.yaml: not valid" in done.stdout and "design/2014_skip.yaml: not valid" in done.stdout
        assert "audit/claims_2014.yaml: valid" in done.stdout


def test_data_check_reads_the_design_files_and_the_claims_as_sample_and_audit_do(data_dir, tmp_path, capsys):
    """Valid tables with a design file whose stage names a variable the frame schema lacks: 'sample'
    refused it, 'data check' said 'all tables valid' and exited 0."""
    package = _copy(data_dir, tmp_path)
    design = package / "design" / "2014.yaml"
    text = design.read_text(encoding="utf-8")
    assert "kfm_executed_evictions_2013" in text
    design.write_text(text.replace("kfm_executed_evictions_2013", "kfm_no_such_variable", 1), encoding="utf-8")
    assert cli.main(["data", "check", "--data-dir", str(package)]) == 1
    out = capsys.readouterr().out
    assert "all tables valid" in out and "kfm_no_such_variable" in out and "design/2014.yaml: not valid" in out
    assert "audit/claims_2014.yaml: valid" in out


def test_a_claims_file_that_holds_itself_is_an_error_not_a_hang(data_dir, tmp_path):
    package = _copy(data_dir, tmp_path)
    claims = package / "audit" / "claims_2014.yaml"
    claims.write_text(claims.read_text(encoding="utf-8") + SELF_REFERENCE, encoding="utf-8")
    argv = [sys.executable, "-m", "sbm_stats", "audit", "--data-dir", str(package), "--out", "audit.csv"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stderr


# ------------------------------------------------------------- percentages rounded by hand

#: (share, decimals, expected): the share times 100 worked by hand, rounded half away from zero
#: as fmt_num rounds: 0.285 = 28.5 % -> 29 %; 29/400 = 0.0725 = 7.25 % -> 7.3 %; 0.145 = 14.5 %
#: -> 15 %; 0.565 = 56.5 % -> 57 %. The float products (28.499999999999996, 7.249999999999999,
#: 14.499999999999998, 56.49999999999999) rounded down, one unit short, in each case.
HALVES = [(0.285, 0, "29"), (29 / 400, 1, "7,3"), (0.145, 0, "15"), (0.565, 0, "57")]


@pytest.mark.parametrize("share, decimals, expected", HALVES)
def test_a_percentage_rounds_half_away_from_zero_as_a_reader_does(share, decimals, expected):
    from sbm_stats._numbers import NBSP, fmt_pct

    assert fmt_pct(share, decimals=decimals) == expected + NBSP + "%"
