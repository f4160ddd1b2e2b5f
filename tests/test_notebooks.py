"""The notebooks: stored without outputs, in sync with their jupytext twins, and runnable
top to bottom (with parameters that shrink the simulations, as papermill would inject), on
the bundled package and on the synthetic 2017 package of tests/waves with nothing but their
``data_dir`` parameter."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from sbm_stats.render._execute import _kernel_manager_class
from tests.waves import build_next_wave

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

#: Parameters that keep the run short in CI; each notebook's default is the real size.
FAST = {
    "01_urval": {"replicates": 2000},
    "02_skattningar": {"replicates": 500},
    "03_jamforelser": {},
    "04_granskning": {},
}


#: The plots each notebook shows, per package. 01: two of probabilities, and one of
#: sensitivity per variant up to two (bundled: the variant file 2014_skip and the
#: alternatives of A1+A2, A5, A9 and A10; 2017: only the alternative of B1, no variant file).
IMAGES = {
    "bundled": {"01_urval": 4, "02_skattningar": 1},
    "2017": {"01_urval": 3, "02_skattningar": 1},
}


@pytest.fixture(scope="module")
def next_wave(tmp_path_factory) -> Path:
    return build_next_wave(tmp_path_factory.mktemp("next") / "wave_2017")


def test_there_is_a_notebook_per_task():
    assert [p.stem for p in NOTEBOOKS] == sorted(FAST)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_in_sync_with_its_text_form(path):
    twin = path.with_suffix(".py")
    assert twin.exists(), f"{twin.name} is missing: pair it with `jupytext --set-formats ipynb,py:percent`"
    a = nbformat.read(path, as_version=4)
    b = jupytext.read(twin)
    assert [(c.cell_type, c.source) for c in a.cells] == [(c.cell_type, c.source) for c in b.cells]


#: What may stand as digits in a notebook's prose: a year (or span of years), a file of the
#: data package named by its path, and the ones of Cochran's variance formula.
_NOT_A_COUNT = re.compile(r"`[^`]*`|\b(?:19[5-9]\d|20[0-3]\d)(?:/(?:19|20)\d\d)?\b|\(1 − n/N\)|p\(1 − p\)|\(n − 1\)"
                          r"|n − 1")

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_prose_types_no_count(path):
    """A notebook runs on any wave's package with nothing but ``data_dir``: its markdown states
    no count of the bundled package (29 interviewed, 290 in the country); code shows them."""
    nb = nbformat.read(path, as_version=4)
    typed = [line for cell in nb.cells if cell.cell_type == "markdown"
             for line in cell.source.splitlines() if re.search(r"\d", _NOT_A_COUNT.sub(" ", line))]
    assert typed == []


@pytest.mark.slow
@pytest.mark.parametrize("package", ["bundled", "2017"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom(path, package, tmp_path, request):
    nb = nbformat.read(path, as_version=4)
    params = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1, "one cell tagged 'parameters'"
    overrides = dict(FAST[path.stem])
    if package == "2017":
        overrides["data_dir"] = str(request.getfixturevalue("next_wave"))
    if overrides:
        source = "\n".join(f"{k} = {v!r}" for k, v in overrides.items())
        injected = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
        nb.cells.insert(params[0] + 1, injected)
    # the kernel is this interpreter, as in the report engine: a user-level 'python3' kernel
    # spec elsewhere on the Jupyter path must not decide which Python runs the notebook
    # its connection file in the test's folder (in /tmp it outlived the test), its channels Unix
    # sockets as the engine's (no TCP port another test could take first)
    channels = tempfile.mkdtemp(prefix="sbm-k-", dir="/tmp")
    km = _kernel_manager_class({"PYTHONHASHSEED": "0"})(kernel_name="python3", transport="ipc",
                                                         ip=os.path.join(channels, "k"),
                                                         connection_file=str(tmp_path / "kernel.json"))
    try:
        NotebookClient(nb, km=km, timeout=300, resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        shutil.rmtree(channels, ignore_errors=True)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    images = sum("image/png" in o.get("data", {}) for o in outputs)
    assert images == IMAGES[package].get(path.stem, 0)  # every plot the notebook draws is shown
    if package == "2017":  # nothing shown names a file of the bundled package
        text = "\n".join(o.get("text", "") + "".join(v for k, v in o.get("data", {}).items() if k.startswith("text/"))
                         for o in outputs)
        assert str(ROOT / "data") not in text
        if path.stem == "01_urval":
            assert "demo_frame_2016.csv" in text and "2017.yaml" in text
