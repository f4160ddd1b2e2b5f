"""``sbm-stats sample`` and ``sbm-stats demo-frame``."""

from __future__ import annotations

import pandas as pd
import pytest

from sbm_stats.cli import main
from sbm_stats.sampling import SYNTHETIC_BANNER, demo_frame_path


def test_sample_on_the_default_frame(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sample", "--seed", "2014", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "synthetic demonstration frame" in err and SYNTHETIC_BANNER in err
    assert sorted(p.name for p in out.iterdir()) == ["protocol.md", "published_check.csv", "sample.csv"]
    sample = pd.read_csv(out / "sample.csv", dtype={"municipality_code": str})
    assert len(sample) == 30 and sample["synthetic"].all()
    protocol = (out / "protocol.md").read_text(encoding="utf-8")
    assert protocol.startswith(f"> **{SYNTHETIC_BANNER}.**")
    assert "## Det publicerade urvalet mot ramen" in protocol
    checked = pd.read_csv(out / "published_check.csv", dtype={"municipality_code": str})
    assert len(checked) == 30 and checked["synthetic"].all()


def test_same_seed_same_files(tmp_path):
    assert main(["sample", "--seed", "9", "--out", str(tmp_path / "a")]) == 0
    assert main(["sample", "--seed", "9", "--out", str(tmp_path / "b")]) == 0
    for name in ("sample.csv", "protocol.md", "published_check.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_probabilities_with_progress_bar(tmp_path, capsys):
    out = tmp_path / "p"
    assert main(["sample", "--probabilities", "--replicates", "3000", "--seed", "4", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "100% 3000/3000 replicates" in captured.err
    assert "expected sample size 30.0000" in captured.out
    table = pd.read_csv(out / "inclusion_probabilities.csv", dtype={"municipality_code": str})
    assert len(table) == 290 and table["synthetic"].all()
    assert abs(table["exact"].sum() - 30) < 1e-9
    by_stage = pd.read_csv(out / "inclusion_probabilities_by_stage.csv", dtype={"municipality_code": str})
    assert len(by_stage) == 290 * 6


def test_user_frame_from_file(tmp_path, capsys):
    # A copy of the demo frame without its metadata file counts as a user's (real) frame.
    frame = tmp_path / "my_frame.csv"
    frame.write_bytes(demo_frame_path().read_bytes())
    out = tmp_path / "out"
    assert main(["sample", "--frame", str(frame), "--seed", "1", "--out", str(out)]) == 0
    assert "synthetic" not in capsys.readouterr().err
    assert SYNTHETIC_BANNER not in (out / "protocol.md").read_text(encoding="utf-8")
    assert not pd.read_csv(out / "sample.csv")["synthetic"].any()


def test_bad_frame_writes_nothing(tmp_path, capsys):
    lines = demo_frame_path().read_text(encoding="utf-8").splitlines()
    cells = lines[5].split(",")
    cells[4] = "-10"  # kfm_indebted_persons_2013 on line 6
    lines[5] = ",".join(cells)
    frame = tmp_path / "bad.csv"
    frame.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # and the last municipality missing
    out = tmp_path / "out"
    assert main(["sample", "--frame", str(frame), "--seed", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "line 6, column 'kfm_indebted_persons_2013': value -10: expected a value of at least 0" in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp folder left


def test_bad_design_leaves_an_existing_folder_untouched(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "sample.csv").write_text("old\n", encoding="utf-8")
    design = tmp_path / "d.yaml"
    design.write_text(
        "name: t\ntitle: T\nrandom_numbers: per_stage\nstages:\n"
        "  - {id: a, kind: random, label: x, eligible: 'bme_children_under_18 == \"yes\"', size: 500, "
        "exclude_selected: true}\n",
        encoding="utf-8",
    )
    assert main(["sample", "--design", str(design), "--seed", "1", "--out", str(out)]) == 2
    assert "stage 'a' draws size 500, but only 150 municipalities" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["sample.csv"]
    assert (out / "sample.csv").read_text(encoding="utf-8") == "old\n"


def test_out_must_be_a_folder(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("x", encoding="utf-8")
    assert main(["sample", "--seed", "1", "--out", str(target)]) == 2
    assert "a folder to write to (found a file)" in capsys.readouterr().err


def test_demo_frame_command_regenerates_the_committed_file(tmp_path, capsys):
    assert main(["demo-frame", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "demo_frame_2013.csv").read_bytes() == demo_frame_path().read_bytes()
    meta = demo_frame_path().with_name("demo_frame_2013.meta.json")
    assert (tmp_path / "demo_frame_2013.meta.json").read_bytes() == meta.read_bytes()
    assert SYNTHETIC_BANNER in capsys.readouterr().out


def test_sensitivity_writes_every_combination(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["sample", "--sensitivity", "--seed", "2014", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "sensitivity.csv", "sensitivity_by_variant.csv", "sensitivity_variants.csv"]
    assert "16 variants (a1_a2, a5_lists, a9_pick_order, a10_random_order), seed 2014" in capsys.readouterr().out
    table = pd.read_csv(out / "sensitivity.csv", dtype={"municipality_code": str})
    assert len(table) == 290 and table["synthetic"].all() and (table["variants"] == 16).all()
    assert table["variants_selected"].sum() == 16 * 30          # 30 selected in each variant
    variants = pd.read_csv(out / "sensitivity_variants.csv")
    assert len(variants) == 16 and variants["sample_size"].eq(30).all()
    assert variants.loc[0, "variant"] == "default"


def test_sensitivity_leaves_out_a_variant_that_fails_on_the_frame_and_says_so(tmp_path, capsys):
    # The skip variant gives 30 only where four of the eight picks are new: give the top
    # municipality per inhabitant of executed evictions the top children rate too (hand edit
    # of one cell), so only three are new and the variant gives 29. A statistician's own frame
    # may do that (issue 19): the variants that cannot be drawn are left out and named.
    frame = pd.read_csv(demo_frame_path(), dtype={"municipality_code": str})
    rate = frame.kfm_executed_evictions_2013 / frame.population_2013
    i = rate.idxmax()
    best = (frame.kfm_children_executed_evictions_2013 / frame.population_2013).max()
    frame.loc[i, "kfm_children_executed_evictions_2013"] = int(best * frame.loc[i, "population_2013"]) + 5
    path = tmp_path / "frame.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "s"
    assert main(["sample", "--sensitivity", "--frame", str(path), "--seed", "1", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "variant a1_a2=skip_enlarged cannot be drawn on this frame and is left out" in err
    assert "kronofogden 3 of 8 picks (already_selected: skip)" in err
    assert "Traceback" not in err
    # 16 combinations, the 8 with the skip reading left out
    variants = pd.read_csv(out / "sensitivity_variants.csv")
    assert len(variants) == 8 and set(variants.a1_a2) == {"next_ranked"}


def test_sensitivity_and_probabilities_exclude_each_other(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["sample", "--sensitivity", "--probabilities", "--seed", "1", "--out", str(tmp_path / "x")])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
