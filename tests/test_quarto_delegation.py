"""Delegation to Quarto (``sbm_stats/render/_quarto.py``), with a fake ``quarto`` on PATH.

The fake (``tests/fixtures/fake_quarto/``) does to the folder it renders in what Quarto
1.11.0 did (``shared/quarto-reference/``, issue 10): ``.quarto/``, ``.gitignore``
entries, ``report_files/``, ``*.quarto_ipynb``; it reads ``-P`` values with a YAML
reader as Quarto's ``flags.ts`` does, and stops without Jupyter or, given parameters,
without papermill. Expected values come from the document each test writes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sbm_stats.render import RenderError, _quarto
from sbm_stats.render._progress import Progress
from sbm_stats.render._quarto import execute_param_args, find_quarto, render_with_quarto

from .fixtures.fake_quarto import SCRIPT, install_fake_quarto

REPORT = """\
---
title: "Rapport"
lang: sv
date: 2015-03-01
params:
  wave: 2008
  data_dir: ""
{format}---

```{{python}}
#| tags: [parameters]
wave = 2008
data_dir = ""
```

```{{python}}
import sbm_stats
values = open("data/values.csv", encoding="utf-8").read()
```

![Logga](figs/logo.png)

Vågen är `{{python}} wave`.
"""

NOT_SELF_CONTAINED = "format:\n  html: default\n"
SELF_CONTAINED = "format:\n  html:\n    embed-resources: true\n"


def _project(root: Path, *, front: str = NOT_SELF_CONTAINED, body: str = "") -> Path:
    """A document's folder as an author has it: the document, its data and code, and
    everything that must not be copied (environments, VCS, caches, stale outputs)."""
    files = {
        "report.qmd": REPORT.format(format=front) + body,
        "data/values.csv": "kommun,antal\n0180,12\n",
        "sbm_stats/__init__.py": "VALUE = 1\n",
        "sbm_stats/__pycache__/__init__.cpython-311.pyc": "stale bytecode",
        "figs/logo.png": "PNG logo bytes",
        ".gitignore": "_output/\n",
        ".git/HEAD": "ref: refs/heads/main\n",
        ".venv/pyvenv.cfg": "home = /usr/bin\n",
        ".venv/lib/big.py": "x = 1\n",
        "env/pyvenv.cfg": "home = /usr/bin\n",
        "env/lib/site.py": "x = 1\n",
        "node_modules/left-pad/index.js": "module.exports = 1\n",
        "report_files/libs/old.js": "// a stale Quarto leftover\n",
        "report.html": "<p>a stale render</p>\n",
        "report.pdf": "a stale PDF",
        "report.quarto_ipynb": "{}",
        "_output/report.pdf": "an earlier output",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    shared = root.parent / "shared_data"
    shared.mkdir(exist_ok=True)
    (shared / "wave.csv").write_text("a\n1\n", encoding="utf-8")
    (root / "linked_data").symlink_to(shared, target_is_directory=True)
    return root / "report.qmd"


def _snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` (dot folders included): content hash, link target or 'dir'."""
    seen = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                seen[key] = "link -> " + os.readlink(path)
            elif path.is_dir():
                seen[key] = "dir"
            else:
                seen[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


@pytest.fixture
def scratch_root(tmp_path, monkeypatch) -> Path:
    """The system temporary folder, for this test: it must be empty again afterwards."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


@pytest.fixture
def papermill(tmp_path, monkeypatch) -> Path:
    """A papermill package importable here and in the Python Quarto is given (QUARTO_PYTHON)."""
    site = tmp_path / "site"
    (site / "papermill").mkdir(parents=True)
    (site / "papermill" / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])))
    return site


@pytest.fixture
def setup(tmp_path, monkeypatch, scratch_root):
    """(document, staging folder, snapshot of the source folder) with no SOURCE_DATE_EPOCH set."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    doc = _project(tmp_path / "proj")
    stage = tmp_path / "stage"
    stage.mkdir()
    return doc, stage, _snapshot(doc.parent)


def _render(doc: Path, stage: Path, formats=("html",), *, overrides=None, progress=None, **options):
    return render_with_quarto(
        find_quarto(required=True), doc, tuple(formats), overrides=overrides or {}, staging=stage,
        epoch=options.pop("epoch", None), quiet=options.pop("quiet", True),
        progress=progress or Progress(quiet=True), exclude=[doc.parent / "_output"], **options)


def _untouched(doc: Path, stage: Path, before: dict[str, str], scratch_root: Path) -> None:
    assert _snapshot(doc.parent) == before
    assert list(scratch_root.iterdir()) == []


# ----------------------------------------------------------------------------- the command

def test_defaults_stay_in_the_document_and_no_cache_flag_is_passed(tmp_path, monkeypatch, setup, scratch_root):
    doc, stage, before = setup
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch)
    result = _render(doc, stage)
    (call,) = fake.renders()
    # the front matter declares wave and data_dir; without overrides no -P at all
    assert call["argv"][0] == "render"
    assert call["argv"][2:] == ["--to", "html", "--quiet"]
    rendered = Path(call["argv"][1])
    assert rendered.name == "report.qmd" and not rendered.is_relative_to(doc.parent)
    assert call["params"] == {}
    assert result.command == (str(fake.executable), "render", str(doc), "--to", "html", "--quiet")
    _untouched(doc, stage, before, scratch_root)


def test_one_P_per_override_and_every_type_survives_quartos_yaml_reading(
        tmp_path, monkeypatch, setup, papermill):
    doc, stage, _ = setup
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch)
    overrides = {
        "wave": 2014, "label": "2014", "data_dir": "", "confidence_level": 0.95, "strict": True,
        "seed": None, "waves": [2008, 2014], "since": "2014-01-01", "yes": "yes", "title": "Vågen: 1=1",
        "note": "rad ett\nrad två",
    }
    result = _render(doc, stage, overrides=overrides)
    (call,) = fake.renders()
    argv = call["argv"]
    flags = [argv[i + 1] for i, a in enumerate(argv) if a == "-P"]
    assert [f.split(":", 1)[0] for f in flags] == list(overrides)
    # what Quarto's reader made of each value: "2014" stays text, "" is kept, dates and
    # "yes" stay text, None is null
    assert call["params"] == overrides
    assert json.loads(stage.joinpath("report.html").read_text(encoding="utf-8").split(
        '<pre id="params">')[1].split("</pre>")[0]) == overrides
    assert dict(result.overrides) == overrides


def test_values_that_cannot_keep_their_type_are_refused_before_quarto_runs(tmp_path, monkeypatch, setup):
    doc, stage, _ = setup
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch)
    cases = {
        "big": (2**60, "exact only up to 9007199254740992"),
        "by_code": ({180: "Stockholm"}, "only text keys"),
        "kinds": ({"a", "b"}, "must be None, a bool, number or str"),
    }
    for name, (value, expected) in cases.items():
        with pytest.raises(RenderError) as info:
            _render(doc, stage, overrides={name: value})
        assert f"parameter {name} ({value!r})" in str(info.value)
        assert expected in str(info.value)
    assert fake.calls() == []
    assert execute_param_args({"wave": 2014}) == ["-P", "wave:2014"]


def test_quarto_runs_with_this_python_and_the_documents_epoch(tmp_path, monkeypatch, setup):
    doc, stage, _ = setup
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch)
    monkeypatch.setenv("QUARTO_PYTHON", "/usr/bin/python3")  # an author's setting does not win
    _render(doc, stage, epoch=1425168000)
    (call,) = fake.renders()
    assert call["quarto_python"] == sys.executable
    assert call["source_date_epoch"] == "1425168000"
    assert Path(call["cwd"]) == Path(call["argv"][1]).parent


def test_cache_off_is_no_cache_and_never_cache_refresh(tmp_path, monkeypatch, setup):
    doc, stage, _ = setup
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch)
    _render(doc, stage, cache=False)
    shutil.rmtree(stage)
    stage.mkdir()
    _render(doc, stage, cache=True)
    off, on = (c["argv"] for c in fake.renders())
    assert "--no-cache" in off and "--cache-refresh" not in off and "--cache" not in off
    assert not {"--no-cache", "--cache-refresh", "--cache"} & set(on)


# ----------------------------------------------------------------------------- the scratch copy

def test_the_copy_holds_what_the_document_reads_and_nothing_it_must_not(tmp_path, monkeypatch, setup):
    doc, stage, _ = setup
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch)
    _render(doc, stage)
    (call,) = fake.renders()
    assert call["files"] == ["data/values.csv", "figs/logo.png", "report.qmd", "sbm_stats/__init__.py"]
    assert call["links"] == ["linked_data"]


def test_source_tree_is_unchanged_byte_for_byte_after_all_three_formats(tmp_path, monkeypatch, setup,
                                                                       scratch_root):
    doc, stage, before = setup
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch)
    result = _render(doc, stage, ("html", "pdf", "docx"))
    (call,) = fake.renders()
    assert call["argv"][call["argv"].index("--to") + 1] == "html,typst,docx"
    assert [p.name for p in result.outputs] == ["report.html", "report.pdf", "report.docx"]
    assert result.output("pdf") == stage / "report.pdf"
    assert stage.joinpath("report.pdf").read_bytes().startswith(b"fake typst output")
    # no .quarto/, no .gitignore entry, no report_files/, no report.quarto_ipynb in the source
    _untouched(doc, stage, before, scratch_root)


# ----------------------------------------------------------------------------- the staged result

class _Loads(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def test_html_that_is_not_self_contained_is_staged_with_everything_it_loads(tmp_path, monkeypatch,
                                                                           scratch_root):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    doc = _project(tmp_path / "proj", body="\n![Utanför](../elsewhere.png)\n")
    (tmp_path / "elsewhere.png").write_text("outside", encoding="utf-8")
    stage = tmp_path / "stage"
    stage.mkdir()
    install_fake_quarto(tmp_path / "bin", monkeypatch)
    stream = io.StringIO()
    result = _render(doc, stage, progress=Progress(quiet=False, stream=stream))
    assert result.outputs == (stage / "report.html",)
    assert result.supporting == (stage / "report_files", stage / "figs")
    assert sorted(p.name for p in stage.iterdir()) == ["figs", "report.html", "report_files"]
    assert (stage / "figs" / "logo.png").read_text(encoding="utf-8") == "PNG logo bytes"
    parser = _Loads()
    parser.feed((stage / "report.html").read_text(encoding="utf-8"))
    local = [u for u in parser.urls if not u.startswith("data:")]
    assert len(local) == 5  # quarto.js, bootstrap css, the figure, the logo, the outside image
    for url in local:
        if url.startswith("../"):
            continue
        assert (stage / url).is_file(), url
    assert "report.html loads ../elsewhere.png, outside" in stream.getvalue()
    assert not (stage / "elsewhere.png").exists()
    assert list(scratch_root.iterdir()) == []


def test_self_contained_html_has_no_supporting_files(tmp_path, monkeypatch, scratch_root):
    doc = _project(tmp_path / "proj", front=SELF_CONTAINED)
    stage = tmp_path / "stage"
    stage.mkdir()
    install_fake_quarto(tmp_path / "bin", monkeypatch)
    result = _render(doc, stage)
    assert result.supporting == ()
    assert [p.name for p in stage.iterdir()] == ["report.html"]


def test_a_staging_folder_that_already_holds_an_output_is_a_caller_error(tmp_path, monkeypatch, setup):
    doc, stage, _ = setup
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch)
    (stage / "report_files").mkdir()
    with pytest.raises(ValueError, match="already holds report_files"):
        _render(doc, stage)
    assert fake.calls() == []


# ----------------------------------------------------------------------------- bad input

def test_quarto_missing_when_asked_for(tmp_path, monkeypatch, setup):
    doc, stage, before = setup
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_quarto() is None
    with pytest.raises(RenderError) as info:
        find_quarto(required=True)
    message = str(info.value)
    assert "needs a quarto executable on PATH, and none was found" in message
    assert "pip install 'sbm-stats[quarto]'" in message and "--engine builtin" in message
    with pytest.raises(RenderError, match=r"Quarto \(.*nowhere/quarto\) could not be run"):
        render_with_quarto(str(tmp_path / "nowhere" / "quarto"), doc, ("html",), overrides={}, staging=stage,
                           epoch=None, quiet=True, progress=Progress(quiet=True))
    assert list(stage.iterdir()) == []
    assert _snapshot(doc.parent) == before


@pytest.mark.parametrize("printed, expected", [
    ("1.3.450", "Quarto 1.3.450 ("),
    ("0.9.2", "Quarto 0.9.2 ("),
])
def test_quarto_too_old(tmp_path, monkeypatch, setup, scratch_root, printed, expected):
    doc, stage, before = setup
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch, version=printed)
    with pytest.raises(RenderError) as info:
        _render(doc, stage, ("html", "pdf"))
    message = str(info.value)
    assert expected in message and "is too old: sbm-stats needs Quarto 1.4 or later" in message
    assert "install Quarto 1.4 or later" in message
    assert [c["argv"] for c in fake.calls()] == [["--version"]]
    assert list(stage.iterdir()) == []
    _untouched(doc, stage, before, scratch_root)


def test_quarto_1_4_and_development_builds_are_new_enough(tmp_path, monkeypatch, setup):
    doc, stage, _ = setup
    for printed in ("1.4.549", "99.9.9"):
        install_fake_quarto(tmp_path / "bin", monkeypatch, version=printed)
        assert _quarto.check_quarto(find_quarto(required=True)) == printed


def test_a_version_that_is_not_a_number(tmp_path, monkeypatch, setup):
    doc, stage, _ = setup
    install_fake_quarto(tmp_path / "bin", monkeypatch, version="quarto: broken install")
    with pytest.raises(RenderError, match="printed 'quarto: broken install', not a version number"):
        _render(doc, stage)


def test_papermill_missing_is_reported_before_quarto_starts(tmp_path, monkeypatch, setup, scratch_root):
    doc, stage, before = setup
    fake = install_fake_quarto(tmp_path / "bin", monkeypatch)
    monkeypatch.setattr(_quarto, "_papermill_available", lambda: False)
    with pytest.raises(RenderError) as info:
        _render(doc, stage, overrides={"wave": 2014, "data_dir": "data"})
    message = str(info.value)
    assert message.startswith("parameters (data_dir, wave) given to a Quarto render need the papermill package")
    assert sys.executable in message
    assert "pip install 'sbm-stats[quarto]' (or pip install papermill)" in message
    assert fake.renders() == []
    _untouched(doc, stage, before, scratch_root)
    # without overrides papermill is not needed
    assert _render(doc, stage).outputs == (stage / "report.html",)


def test_the_fake_stops_like_quarto_without_papermill_or_jupyter(tmp_path):
    """The fixture's own fidelity: Quarto's Jupyter imports papermill only for parameters."""
    site = tmp_path / "site"
    (site / "jupyter_core").mkdir(parents=True)
    (site / "jupyter_core" / "__init__.py").write_text("", encoding="utf-8")
    bare = tmp_path / "bare-python"  # this Python without its site-packages
    bare.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n', encoding="utf-8")
    bare.chmod(0o755)
    doc = _project(tmp_path / "proj")
    env = {**os.environ, "QUARTO_PYTHON": str(bare), "PYTHONPATH": str(site)}
    env.pop("FAKE_QUARTO_FAIL", None)

    def fake(*args, **extra):
        return subprocess.run([sys.executable, str(SCRIPT), "render", str(doc), "--to", "html", *args],
                              env={**env, **extra}, capture_output=True, text=True)

    with_params = fake("-P", "wave:2014")
    assert with_params.returncode == 1
    assert "The papermill package is required for processing --execute-params" in with_params.stderr
    without = fake()
    assert without.returncode == 0, without.stderr
    no_jupyter = fake(PYTHONPATH=str(tmp_path))
    assert no_jupyter.returncode == 1
    assert "Jupyter is not available in this Python installation" in no_jupyter.stderr


def test_quarto_failing_shows_the_end_of_its_output(tmp_path, monkeypatch, setup, scratch_root):
    doc, stage, before = setup
    install_fake_quarto(tmp_path / "bin", monkeypatch, fail="cell")
    with pytest.raises(RenderError) as info:
        _render(doc, stage, ("html", "docx"))
    message = str(info.value)
    assert message.startswith("quarto render failed (exit code 1) for report.qmd; the end of its output:\n"
                              "An error occurred while executing the following cell:")
    assert "z = y / 0" in message and message.endswith("WARN: Error encountered when rendering files")
    assert "ZeroDivisionError: division by zero" in message
    assert "Starting python3 kernel" not in message
    assert str(scratch_root) not in message
    assert info.value.path == str(doc)
    assert list(stage.iterdir()) == []
    _untouched(doc, stage, before, scratch_root)


def test_quarto_output_is_echoed_with_the_source_folders_paths(tmp_path, monkeypatch, setup):
    doc, stage, _ = setup
    install_fake_quarto(tmp_path / "bin", monkeypatch)
    stream = io.StringIO()
    _render(doc, stage, quiet=False, progress=Progress(quiet=False, stream=stream))
    text = stream.getvalue()
    assert "  quarto: Output created: report.html" in text
    assert f"running {tmp_path / 'bin' / 'quarto'} render {doc} --to html" in text
    assert str(tempfile.gettempdir()) not in text


def test_quarto_succeeding_without_an_expected_file(tmp_path, monkeypatch, setup, scratch_root):
    doc, stage, before = setup
    install_fake_quarto(tmp_path / "bin", monkeypatch, fail="silent:typst")
    with pytest.raises(RenderError) as info:
        _render(doc, stage, ("html", "pdf"))
    assert str(info.value) == ("quarto render of report.qmd reported success (exit code 0) but did not write "
                               "report.pdf")
    assert list(stage.iterdir()) == []
    _untouched(doc, stage, before, scratch_root)


def test_quarto_running_past_the_timeout_is_stopped(tmp_path, monkeypatch, setup, scratch_root):
    doc, stage, before = setup
    install_fake_quarto(tmp_path / "bin", monkeypatch, fail="sleep")
    with pytest.raises(RenderError, match=r"did not finish within 0.5 s and was stopped"):
        _render(doc, stage, timeout=0.5)
    assert list(stage.iterdir()) == []
    _untouched(doc, stage, before, scratch_root)


def test_a_project_above_the_document_is_named(tmp_path, monkeypatch, setup):
    doc, stage, _ = setup
    (tmp_path / "_quarto.yml").write_text("project:\n  type: default\n", encoding="utf-8")
    install_fake_quarto(tmp_path / "bin", monkeypatch)
    stream = io.StringIO()
    _render(doc, stage, progress=Progress(quiet=False, stream=stream))
    assert (f"warning: {tmp_path / '_quarto.yml'}: report.qmd belongs to a Quarto project; it is rendered "
            "alone, in a copy of its folder, without the project's settings") in stream.getvalue()
