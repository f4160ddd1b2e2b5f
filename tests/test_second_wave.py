"""A new wave is data, not code: the synthetic 2017 package of tests/waves runs through every command.

``build_next_wave`` writes a made-up wave 2017 (see its docstring for every difference
from 2014). The commands run on it with ``--data-dir`` only; each test checks that what
they print and write comes from that package (its wave, its stage sizes, its claim ids,
its published sample) and nothing from the bundled 2014 package.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
import yaml

from sbm_stats import cli
from sbm_stats.data import DataPackage
from sbm_stats.sampling import load_design
from tests.waves import CLAIM_IDS, FIXED, STAGE_SIZES, WAVE, build_next_wave

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_CLAIMS = ROOT / "data" / "audit" / "claims_2014.yaml"


@pytest.fixture(scope="module")
def wave(tmp_path_factory) -> Path:
    return build_next_wave(tmp_path_factory.mktemp("next") / "wave_2017")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_builder_is_deterministic(tmp_path, wave):
    assert _tree(build_next_wave(tmp_path / "again")) == _tree(wave)


def test_the_builder_refuses_a_folder_in_use(tmp_path):
    (tmp_path / "x.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ValueError, match="must be empty"):
        build_next_wave(tmp_path)


def test_the_package_says_which_wave_it_is(wave):
    package = DataPackage.open(wave)
    assert package.wave == WAVE
    assert package.synthetic is True
    assert package.compares_with == ("2008", "2011", "2014")  # one more wave than the bundled package
    assert package.design_path == wave / "design" / "2017.yaml"
    assert package.claims_path == wave / "audit" / "claims_2017.yaml"
    assert package.published_sample == "sample_2017"
    assert package.demo_frame_path == wave / "synthetic" / "demo_frame_2016.csv"
    assert "SYNTETISK" in str(package)
    # the figure lookup reads this package's table: the report's statement under its own id,
    # 16 of 29 in 2014 -> round(16 x 23 / 29 = 12.69) = 13 of 23 by the rule of tests/waves
    figure = package.figure("res.forced_moves")
    assert (figure.count, figure.base, figure.verbal, figure.period) == (13, 23, "drygt hälften", "2017")
    with pytest.raises(ValueError, match="res.forced_moves_2018"):
        package.figure("res.forced_moves_2018")
    # and the bundled package does not have the new wave's figures
    with pytest.raises(ValueError):
        DataPackage.open(None).figure("bme.flats_2016")


def test_the_design_is_the_waves_own(wave):
    design = load_design(package=wave)
    assert design.path == str(wave / "design" / "2017.yaml")
    assert design.package.wave == WAVE
    sizes = design.to_frame().set_index("stage")["size"].to_dict()
    assert sizes == STAGE_SIZES
    assert design.stage("kronofogden").already_selected == "skip"  # 2014: next
    assert design.stage("fixed").codes == FIXED
    assert "population_2016" in design.frame_columns and "population_2013" not in design.frame_columns


def test_data_check_on_the_new_wave(wave, capsys):
    assert cli.main(["data", "check", "--data-dir", str(wave)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"data package: {wave} (wave 2017, SYNTETISKA DATA – inte verkliga uppgifter)"
    assert "sample_2017                24 rows" in out  # the 3 fixed and 21 others tests/waves writes
    assert "demo_frame_2016" in out
    assert "2014" not in out and "2013" not in out
    assert "all tables valid" in out


def test_audit_on_the_new_wave(wave, tmp_path, capsys):
    out_csv = tmp_path / "audit.csv"
    assert cli.main(["audit", "--data-dir", str(wave), "--out", str(out_csv)]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0].startswith(f"data package: {wave} (wave 2017, SYNTETISKA DATA")
    assert "SYNTETISKA DATA" in printed.splitlines()[-1]
    rows = _rows(out_csv)
    ids = [r["id"] for r in rows]
    assert ids == list(CLAIM_IDS)
    bundled = {c["id"] for c in yaml.safe_load(BUNDLED_CLAIMS.read_text(encoding="utf-8"))["claims"]}
    assert not set(ids) & bundled
    by_id = {r["id"]: r for r in rows}
    # 13 / 23 = 56.5 % (hand computation); 18 025 / 16 386 - 1 = 10.0 %
    assert by_id["w2017.res.forced_moves"]["recomputed"] == "56,5\xa0%"
    assert by_id["w2017.bme.flats_growth"]["recomputed"] == "10,0 %"  # growth: a plain space (audit/_claims.py _growth)
    assert by_id["w2017.sample.asked"]["detail"] == "24 rader i wave_2017/sample_2017.csv"
    assert {r["verdict"] for r in rows} == {"consistent"}


def test_sample_on_the_new_wave(wave, tmp_path, capsys):
    out = tmp_path / "urval"
    assert cli.main(["sample", "--data-dir", str(wave), "--seed", "2017", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"design: {wave / 'design' / '2017.yaml'}" in captured.out
    assert "SYNTETISKA DATA" in captured.out
    assert str(wave / "synthetic" / "demo_frame_2016.csv") in captured.err
    sample = _rows(out / "sample.csv")
    per_stage: dict[str, int] = {}
    for row in sample:
        per_stage[row["stage"]] = per_stage.get(row["stage"], 0) + 1
    for stage in ("fixed", "bme_children", "bme_takeover", "supplement_no_children"):
        assert per_stage[stage] == STAGE_SIZES[stage]
    assert 1 <= per_stage["kronofogden"] <= STAGE_SIZES["kronofogden"]  # skip: picks already taken add no one
    assert set(per_stage) == set(STAGE_SIZES)
    assert [r["municipality_code"] for r in sample if r["stage"] == "fixed"] == list(FIXED)
    assert {r["synthetic"] for r in sample} == {"True"}
    protocol = (out / "protocol.md").read_text(encoding="utf-8")
    assert "2017.yaml" in protocol and "2014.yaml" not in protocol
    assert "demo_frame_2016.csv" in protocol and "demo_frame_2013" not in protocol
    assert "SYNTETISKA DATA" in protocol
    check = _rows(out / "published_check.csv")
    expected = [r["municipality_code"] for r in _rows(wave / "sample_2017.csv")]
    assert [r["municipality_code"] for r in check] == expected


@pytest.mark.parametrize("argv, words", [
    (lambda w: ["sample", "--data-dir", str(w), "--design", str(ROOT / "data" / "design" / "2014.yaml"),
                "--seed", "1", "--out"],
     "the design is for wave 2014 but the data package is wave 2017"),
    (lambda w: ["audit", "--data-dir", str(w), "--claims", str(BUNDLED_CLAIMS), "--out"],
     "value '2014': expected the data package's wave 2017"),
])
def test_the_bundled_waves_files_are_refused_with_the_new_package(wave, tmp_path, capsys, argv, words):
    out = tmp_path / "out"
    code = cli.main([*argv(wave), str(out / "x.csv") if argv(wave)[0] == "audit" else str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert words in err and "the waves must not be mixed" in err
    assert "Traceback" not in err
    assert not out.exists()
