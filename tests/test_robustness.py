"""Bad places to write and bad references: a clear error, and nothing half-written."""

from __future__ import annotations

import shutil

import pytest

from sbm_stats import DataValidationError, RenderError, render
from sbm_stats.audit import load_claims
from sbm_stats.cli import main

NO_CODE = "---\ntitle: \"T\"\n---\n\nText.\n"


def test_render_out_dir_inside_a_file(tmp_path):
    doc = tmp_path / "a.qmd"
    doc.write_text(NO_CODE, encoding="utf-8")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(RenderError, match=r"out_dir \(.*afile/sub\) must be a folder, but .*afile is a file"):
        render(doc, to="html", out_dir=tmp_path / "afile" / "sub", engine="builtin", quiet=True)


def test_render_checks_every_destination_before_replacing_any(tmp_path):
    doc = tmp_path / "a.qmd"
    doc.write_text(NO_CODE, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.html").write_text("old")
    (out / "a.pdf").mkdir()  # the PDF cannot replace a folder
    with pytest.raises(RenderError,
                       match=r"a\.pdf: expected a file to replace \(found a folder\); nothing was written"):
        render(doc, to=("html", "pdf"), out_dir=out, engine="builtin", cache=False, quiet=True)
    assert (out / "a.html").read_text() == "old"


def test_render_missing_image_is_an_error(tmp_path):
    doc = tmp_path / "img.qmd"
    doc.write_text("---\ntitle: \"T\"\n---\n\n![Saknas](finns_inte.png)\n", encoding="utf-8")
    with pytest.raises(RenderError, match=r"img\.qmd, line 5: image 'finns_inte\.png' does not exist or is not a file"):
        render(doc, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True)
    assert not (tmp_path / "out").exists()


def test_audit_out_must_be_a_file_path(tmp_path, capsys):
    (tmp_path / "isdir").mkdir()
    assert main(["audit", "--out", str(tmp_path / "isdir")]) == 2
    assert "expected a file path for --out (found a folder)" in capsys.readouterr().err
    assert not list(tmp_path.glob("**/*.tmp"))


def test_audit_out_is_readable_by_others(tmp_path):
    out = tmp_path / "audit.csv"
    assert main(["audit", "--out", str(out)]) == 0
    assert out.stat().st_mode & 0o777 == 0o644


def test_claims_name_existing_tables_and_columns(tmp_path, data_dir):
    text = (data_dir / "audit" / "claims_2014.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "claims.yaml"
    bad.write_text(text.replace("    where: interviewed", "    where: intervjuad", 1)
                   .replace("    table: municipalities", "    table: kommuner", 1), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_claims(bad, data_dir=data_dir)
    assert [(p.column, p.value) for p in info.value.problems] == [("where", "intervjuad"), ("table", "kommuner")]


def test_sample_out_blocked_by_a_folder_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    (out / "protocol.md").mkdir(parents=True)
    assert main(["sample", "--seed", "1", "--out", str(out)]) == 2
    assert "expected a file to replace (found a folder)" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["protocol.md"]


def test_data_check_names_the_files_of_the_folder_it_checks(tmp_path, data_dir, capsys):
    copy = tmp_path / "wave"
    shutil.copytree(data_dir, copy)
    text = (copy / "sources.csv").read_text(encoding="utf-8")
    (copy / "sources.csv").write_text(text.replace("socstyr_2015,publication", "socstyr_2015,pamphlet", 1),
                                      encoding="utf-8")
    assert main(["data", "check", "--data-dir", str(copy)]) == 1
    out = capsys.readouterr().out
    assert f"{copy / 'sources.csv'}, line 2, column 'kind': value 'pamphlet'" in out
    assert "not loaded" in out
