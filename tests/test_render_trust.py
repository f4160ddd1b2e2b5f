"""Trustworthy renders: no stale or mixed number, no half-written folder, no hang.

Each test builds a small document in its own folder, renders it with the builtin
engine, changes one thing the output depends on and checks that the next render
sees the change (or, for failures, that nothing was written or removed).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sbm_stats import RenderError, render
from sbm_stats._publish import Publication
from sbm_stats.render import _cache as _cache_module
from sbm_stats.render._cache import Manifest, data_packages

pytestmark = pytest.mark.slow

SBM_STATS = Path(sys.executable).with_name("sbm-stats")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _doc(folder: Path, body: str, front: str = "") -> Path:
    return _write(folder / "doc.qmd", f"---\ntitle: \"T\"\n{front}---\n\n{body}\n")


def _text(result) -> str:
    return result.output("html").read_text(encoding="utf-8")


def _tree(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with its SHA-256 (the state a failed run must not change)."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _cache(tmp_path: Path) -> Path:
    """The test's cache folder: beside its folder in pytest's temporary folder, since a cache
    folder inside the document's folder (``tmp_path``, where the tests write it) is refused."""
    return tmp_path.with_name(f"{tmp_path.name}-cache")


def _kw(tmp_path: Path, **more):
    return {"to": "html", "out_dir": tmp_path / "out", "engine": "builtin", "quiet": True,
            "cache_dir": _cache(tmp_path), **more}


# ----------------------------------------------------------------------------- the cache key

def test_a_helper_module_beside_the_document_is_part_of_the_key(tmp_path):
    _write(tmp_path / "helper.py", "VALUE = 41\n")
    doc = _doc(tmp_path, "```{python}\nimport helper\n```\n\nVärdet är `{python} helper.VALUE`.")
    assert "Värdet är 41." in _text(render(doc, **_kw(tmp_path)))
    assert render(doc, **_kw(tmp_path)).cache_hit is True
    _write(tmp_path / "helper.py", "VALUE = 42\n")
    again = render(doc, **_kw(tmp_path))
    assert again.cache_hit is False
    assert "Värdet är 42." in _text(again)


def test_a_file_read_from_anywhere_is_part_of_the_key(tmp_path):
    elsewhere = _write(tmp_path / "elsewhere" / "n.txt", "7")
    doc = _doc(tmp_path / "doc", f"Talet är `{{python}} open({str(elsewhere)!r}).read()`.")
    assert "Talet är 7." in _text(render(doc, **_kw(tmp_path)))
    assert render(doc, **_kw(tmp_path)).cache_hit is True
    _write(elsewhere, "8")
    again = render(doc, **_kw(tmp_path))
    assert again.cache_hit is False and "Talet är 8." in _text(again)


def test_a_matplotlibrc_beside_the_document_is_part_of_the_key(tmp_path):
    doc = _doc(tmp_path, "Bredd: `{python} __import__('matplotlib').rcParams['lines.linewidth']`.")
    assert "Bredd: 1.5." in _text(render(doc, **_kw(tmp_path)))  # matplotlib's default
    _write(tmp_path / "matplotlibrc", "lines.linewidth: 4\n")
    added = render(doc, **_kw(tmp_path))
    assert added.cache_hit is False and "Bredd: 4.0." in _text(added)
    (tmp_path / "matplotlibrc").unlink()
    removed = render(doc, **_kw(tmp_path))
    assert removed.cache_hit is False and "Bredd: 1.5." in _text(removed)


def test_declared_environment_variables_are_part_of_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("SBM_TEST_WAVE", "2014")
    doc = _doc(tmp_path, "Våg `{python} __import__('os').environ['SBM_TEST_WAVE']`.",
               front="sbm-stats:\n  cache-env: [SBM_TEST_WAVE]\n")
    assert "Våg 2014." in _text(render(doc, **_kw(tmp_path)))
    assert render(doc, **_kw(tmp_path)).cache_hit is True
    monkeypatch.setenv("SBM_TEST_WAVE", "2017")
    again = render(doc, **_kw(tmp_path))
    assert again.cache_hit is False and "Våg 2017." in _text(again)


def test_the_cache_is_not_in_the_output_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SBM_STATS_CACHE_DIR", str(tmp_path / "store"))
    doc = _doc(tmp_path, "Summan är `{python} 1 + 1`.")
    kwargs = {**_kw(tmp_path), "cache_dir": None}
    render(doc, **kwargs)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["doc.html"]
    assert [p.suffix for p in (tmp_path / "store").iterdir()] == [".ipynb"]
    assert render(doc, **kwargs).cache_hit is True


def test_a_cache_that_cannot_be_written_is_a_warning(tmp_path, capsys):
    blocked = _write(_cache(tmp_path), "a file where the cache folder should be")
    doc = _doc(tmp_path, "Summan är `{python} 1 + 1`.")
    result = render(doc, **{**_kw(tmp_path), "cache_dir": blocked, "quiet": False})
    assert "Summan är 2." in _text(result)
    assert "the execution was not cached" in capsys.readouterr().err


def test_manifest_notices_changed_added_and_removed_files(tmp_path):
    a = _write(tmp_path / "a.txt", "1")
    manifest = Manifest.of([str(a), str(tmp_path / "gone.txt")], [str(tmp_path)])
    assert manifest.changed() == []
    _write(a, "2")
    _write(tmp_path / "gone.txt", "now here")
    assert manifest.changed() == [str(a), str(tmp_path / "gone.txt"), f"{tmp_path}/ (listing)"]


# ----------------------------------------------------------------------------- what the cache holds

def test_a_file_changed_during_the_render_is_not_served_later(tmp_path, monkeypatch):
    """The kernel reads 16 386; the file becomes 16 999 while pandoc runs: the next render must show 16 999.

    With the digest taken when the cache was stored (after pandoc and Typst), the store
    held the new file's digest beside the old number, and every later render was a hit
    showing 16 386.
    """
    from sbm_stats.render import _pandoc

    data = _write(tmp_path / "n.txt", "16386")
    doc = _doc(tmp_path, "Talet är `{python} open('n.txt').read()`.")
    original = _pandoc.write_outputs

    def edited_meanwhile(*args, **kwargs):
        data.write_text("16999", encoding="utf-8")
        return original(*args, **kwargs)

    monkeypatch.setattr(_pandoc, "write_outputs", edited_meanwhile)
    assert "Talet är 16386." in _text(render(doc, **_kw(tmp_path)))
    monkeypatch.setattr(_pandoc, "write_outputs", original)
    again = render(doc, **_kw(tmp_path))
    assert again.cache_hit is False
    assert "Talet är 16999." in _text(again)
    assert render(doc, **_kw(tmp_path)).cache_hit is True  # and now it is stored as read


def test_a_file_the_run_creates_after_failing_to_read_it_does_not_stop_the_store(tmp_path):
    """Like matplotlib's font list on a first run: looked for, missing, then written by the run."""
    doc = _doc(tmp_path, "```{python}\ntry:\n    open('made.txt').read()\nexcept FileNotFoundError:\n"
                         "    open('made.txt', 'w').write('x')\n```\n\nKlart.")
    assert render(doc, **_kw(tmp_path)).cache_hit is False
    assert render(doc, **_kw(tmp_path)).cache_hit is True


@pytest.mark.parametrize("where", ["out", "out/cache", "doc folder", "link to out"])
def test_a_cache_folder_that_would_be_published_is_refused(tmp_path, where):
    doc = _doc(tmp_path / "src", "Summan är `{python} 1 + 1`.")
    out = tmp_path / "out"
    (tmp_path / "link").symlink_to(out, target_is_directory=True)
    cache = {"out": out, "out/cache": out / "cache", "doc folder": tmp_path / "src" / ".cache",
             "link to out": tmp_path / "link" / "cache"}[where]
    with pytest.raises(RenderError, match=r"cache_dir \(--cache-dir\) .* must not be the (output|document's) folder"):
        render(doc, **{**_kw(tmp_path), "cache_dir": cache})
    assert not out.exists() and not cache.exists()
    code = subprocess.run([str(SBM_STATS), "render", str(doc), "--out", str(out), "--cache-dir", str(cache),
                           "--engine", "builtin"], capture_output=True, text=True, timeout=120)
    assert code.returncode == 2 and "--cache-dir" in code.stderr and "Traceback" not in code.stderr
    assert not out.exists() and not cache.exists()


def test_a_default_cache_folder_inside_the_output_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("SBM_STATS_CACHE_DIR", str(tmp_path / "out" / ".cache"))
    doc = _doc(tmp_path / "src", "Summan är `{python} 1 + 1`.")
    with pytest.raises(RenderError, match=r"the cache folder \(\$SBM_STATS_CACHE_DIR.* must not be the output folder"):
        render(doc, **{**_kw(tmp_path), "cache_dir": None})
    assert not (tmp_path / "out").exists()
    assert render(doc, **{**_kw(tmp_path), "cache_dir": None, "cache": False}).cache_hit is False  # no store used


def test_the_store_does_not_write_through_a_planted_link(tmp_path):
    """A link planted at the temporary name the store used to write (``.<entry>.<pid>.tmp``)."""
    doc = _doc(tmp_path, "Summan är `{python} 1 + 1`.")
    cache = _cache(tmp_path)
    cache.mkdir()
    victim = _write(tmp_path / "victim.txt", "untouched")
    entry = _cache_module.cache_file(cache, doc)
    (cache / f".{entry.name}.{os.getpid()}.tmp").symlink_to(victim)
    render(doc, **_kw(tmp_path))
    assert victim.read_text(encoding="utf-8") == "untouched"
    assert entry.is_file() and not entry.is_symlink()
    assert render(doc, **_kw(tmp_path)).cache_hit is True


@pytest.mark.parametrize("entry", [
    "[]",
    '{"cells": [], "metadata": {}}',
    '{"cells": [], "metadata": {"sbm_cache": []}, "nbformat": 4, "nbformat_minor": 5}',
    '{"cells": {}, "metadata": {"sbm_cache": {"key": 1, "manifest": {}}}, "nbformat": 4, "nbformat_minor": 5}',
    '{"cells": [], "metadata": {"sbm_cache": {"key": "k", "version": 4, "manifest": {"files": [[1, 2]], '
    '"listings": []}}}, "nbformat": 4, "nbformat_minor": 5}',
    "\udcff not text",
])
def test_a_malformed_cache_entry_is_a_miss_with_a_warning(tmp_path, capsys, entry):
    doc = _doc(tmp_path, "Summan är `{python} 1 + 1`.")
    render(doc, **_kw(tmp_path))
    stored = _cache_module.cache_file(_cache(tmp_path), doc)
    stored.write_bytes(entry.encode("utf-8", "surrogateescape"))
    capsys.readouterr()
    again = render(doc, **{**_kw(tmp_path), "quiet": False})
    assert again.cache_hit is False and "Summan är 2." in _text(again)
    assert "warning: the stored execution" in capsys.readouterr().err
    assert render(doc, **_kw(tmp_path)).cache_hit is True  # replaced by a good entry


def test_a_stored_entry_whose_cells_were_swapped_is_not_reused(tmp_path, capsys):
    """The key is kept in the entry: cells edited behind it must not be shown as the document's."""
    doc = _doc(tmp_path, "Summan är `{python} 1 + 1`.")
    render(doc, **_kw(tmp_path))
    stored = _cache_module.cache_file(_cache(tmp_path), doc)
    nb = json.loads(stored.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["source"] = "print('injected')"
    stored.write_text(json.dumps(nb), encoding="utf-8")
    again = render(doc, **{**_kw(tmp_path), "quiet": False})
    assert again.cache_hit is False and "Summan är 2." in _text(again)
    assert "not the cells of the document" in capsys.readouterr().err


# ----------------------------------------------------------------------------- one data package

def _package(folder: Path, value: str) -> Path:
    _write(folder / "datapackage.json", '{"name": "p", "resources": []}')
    _write(folder / "value.txt", value)
    return folder


def test_data_packages_of_paths(tmp_path):
    a = _package(tmp_path / "a", "1")
    b = _package(tmp_path / "a" / "inner", "2")
    assert data_packages([str(a / "value.txt"), str(b / "value.txt"), str(tmp_path / "x.txt")]) == [a, b]


def test_two_data_packages_in_one_render_is_an_error(tmp_path):
    a, b = _package(tmp_path / "a", "1"), _package(tmp_path / "b", "2")
    doc = _doc(tmp_path, f"`{{python}} open({str(a / 'value.txt')!r}).read()` och "
                         f"`{{python}} open({str(b / 'value.txt')!r}).read()`.")
    out = tmp_path / "out"
    with pytest.raises(RenderError, match="read 2 data packages") as info:
        render(doc, **_kw(tmp_path))
    assert str(a) in str(info.value) and str(b) in str(info.value)
    assert not out.exists()


def test_a_package_other_than_data_dir_is_an_error(tmp_path):
    _package(tmp_path / "given", "1")
    other = _package(tmp_path / "other", "2")
    doc = _doc(tmp_path, "```{python}\n#| tags: [parameters]\ndata_dir = 'given'\n```\n\n"
                         f"`{{python}} open({str(other / 'value.txt')!r}).read()`.",
               front="params:\n  data_dir: given\n")
    with pytest.raises(RenderError, match="was given data_dir .*given.* also read the data package .*other"):
        render(doc, **_kw(tmp_path))
    assert not (tmp_path / "out").exists()


def test_the_report_reads_one_data_package(tmp_path, repo_root, data_dir):
    """The report with ``data_dir`` pointing at a copy reads the copy alone (design, frame, schema)."""
    import shutil

    copy = tmp_path / "wave"
    shutil.copytree(data_dir, copy)
    result = render(repo_root / "report.qmd", to="html", out_dir=tmp_path / "out", engine="builtin",
                    quiet=True, cache=False, params={"data_dir": str(copy)})
    assert result.output("html").is_file()


# ----------------------------------------------------------------------------- hangs and dying kernels

def test_a_chunk_that_never_returns_is_stopped(tmp_path):
    doc = _doc(tmp_path, "```{python}\n#| label: evig\nwhile True:\n    pass\n```",
               front="execute:\n  timeout: 2\n")
    start = time.monotonic()
    with pytest.raises(RenderError, match=r"chunk 'evig', doc.qmd line 7 ran for more than 2 s"):
        render(doc, **_kw(tmp_path))
    assert time.monotonic() - start < 60
    assert not (tmp_path / "out").exists()


def test_timeout_argument_overrides_the_front_matter(tmp_path):
    doc = _doc(tmp_path, "```{python}\nimport time\ntime.sleep(30)\n```", front="execute:\n  timeout: 600\n")
    with pytest.raises(RenderError, match=r"chunk 1 \(unlabelled\), doc.qmd line 7 ran for more than 1 s"):
        render(doc, **_kw(tmp_path, timeout=1))


@pytest.mark.parametrize("value", [0, -1, "ten", True])
def test_bad_timeouts_are_refused(tmp_path, value):
    doc = _doc(tmp_path, "Text.", front=f"execute:\n  timeout: {value!r}\n".replace("'", ""))
    with pytest.raises(RenderError, match=r"execute: timeout .* must be a number of seconds above 0"):
        render(doc, **_kw(tmp_path))


def test_a_dying_kernel_names_the_chunk(tmp_path):
    doc = _doc(tmp_path, "```{python}\n#| label: doende\nimport os\nos._exit(3)\n```")
    with pytest.raises(RenderError, match=r"kernel died while running chunk 'doende', doc.qmd line 5"):
        render(doc, **_kw(tmp_path))
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- all or nothing

def test_a_failed_render_leaves_the_output_folder_as_it_was(tmp_path):
    out = tmp_path / "out"
    _write(out / "doc.html", "previous")
    _write(out / "other.txt", "not ours")
    before = _tree(out)
    doc = _doc(tmp_path, "```{python}\n1 / 0\n```")
    with pytest.raises(RenderError, match="ZeroDivisionError"):
        render(doc, **_kw(tmp_path))
    assert _tree(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".sbm-")] == []


def test_a_busy_output_folder_fails_clearly_without_waiting(tmp_path):
    doc = _doc(tmp_path, "Text.")
    out = tmp_path / "out"
    with Publication(out):
        with pytest.raises(RenderError, match="another sbm-stats run is writing to"):
            render(doc, **_kw(tmp_path, wait=False))
    assert not out.exists()
    assert render(doc, **_kw(tmp_path, wait=False)).output("html").is_file()


def test_a_link_to_a_busy_output_folder_is_the_same_folder(tmp_path):
    doc = _doc(tmp_path, "Text.")
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "alias").symlink_to(out, target_is_directory=True)
    with Publication(out):
        with pytest.raises(RenderError, match="another sbm-stats run is writing to"):
            render(doc, **_kw(tmp_path, out_dir=tmp_path / "alias", wait=False))
    assert list(out.iterdir()) == []


def test_a_fractional_timeout_is_seconds(tmp_path, capsys):
    from sbm_stats import cli

    slow = _doc(tmp_path, "```{python}\nimport time\ntime.sleep(30)\n```")
    args = ["render", str(slow), "--out", str(tmp_path / "out"), "--engine", "builtin", "--no-cache", "-q"]
    assert cli.main([*args, "--timeout", "1.5"]) == 2
    assert "ran for more than 1.5 s and was stopped" in capsys.readouterr().err
    quick = _doc(tmp_path / "quick", "```{python}\nx = 1\n```\n\nX `{python} x`.")
    assert cli.main(["render", str(quick), "--out", str(tmp_path / "out"), "--engine", "builtin", "--no-cache",
                     "-q", "--timeout", "1.5"]) == 0


def test_a_values_file_of_an_earlier_render_does_not_stay_beside_a_render_without_values(tmp_path):
    from sbm_stats.render._pandoc import write_values_file
    from sbm_stats.report.values import VALUES_COLUMNS

    out = tmp_path / "out"
    out.mkdir()
    # what a render of an earlier version of doc.qmd, which showed one traced value, left
    write_values_file([{**dict.fromkeys(VALUES_COLUMNS, ""), "id": "x", "raw": "16386"}], out / "doc.values.csv")
    other = _write(out / "other.values.csv", "id,section\nnot of this document\n")
    result = render(_doc(tmp_path, "Inga spårade värden."), **_kw(tmp_path))
    assert result.values_file is None
    assert sorted(p.name for p in out.iterdir()) == ["doc.html", "other.values.csv"]
    assert other.read_text(encoding="utf-8") == "id,section\nnot of this document\n"
    # a file of that name that no render wrote is not ours to remove
    _write(out / "doc.values.csv", "my own notes\n")
    render(_doc(tmp_path, "Inga spårade värden."), **_kw(tmp_path))
    assert (out / "doc.values.csv").read_text(encoding="utf-8") == "my own notes\n"


def test_a_typst_panic_is_one_clean_error(tmp_path):
    """65 536 bytes of 'å' without a break: Typst 0.14's PDF writer (krilla) panics slicing the text run.

    The panic reaches Python as pyo3's PanicException (a BaseException) and Rust prints
    its own message on standard error; neither may reach the user as more than one error.
    """
    doc = _doc(tmp_path, "Källa: Socialstyrelsen " + "å" * 33000 + ".")
    done = subprocess.run([str(SBM_STATS), "render", str(doc), "--to", "html,pdf", "--out", str(tmp_path / "out"),
                           "--engine", "builtin", "-q"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "RUST_BACKTRACE": "1"})
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("sbm-stats: error: Typst could not compile the PDF: it stopped on an internal")
    assert "Traceback" not in done.stderr and "panicked" not in done.stderr and "stack backtrace" not in done.stderr
    assert not (tmp_path / "out").exists()


_SLOW_PUBLISH = """
import os, signal, sys, time

out = os.path.realpath(sys.argv[2])
real_replace = os.replace


def slow_replace(src, dst, *args, **kwargs):
    # each rename into --out takes 0.3 s, so that a signal can fall between two of them;
    # a line on stdout says that one is about to happen
    if os.path.dirname(os.path.realpath(dst)) == out:
        print("publishing", flush=True)
        time.sleep(0.3)
    return real_replace(src, dst, *args, **kwargs)


os.replace = slow_replace
real_signal = signal.signal


def announced_signal(signum, handler):
    # a line on stdout once the command's SIGTERM handler is in place: the test signals after
    # it, never during the interpreter's start-up (which a busy machine, or other test workers,
    # can stretch past the test's random wait, and SIGTERM's default action would end the run)
    previous = real_signal(signum, handler)
    if signum == signal.SIGTERM and handler not in (signal.SIG_DFL, signal.SIG_IGN, None) and not announced:
        announced.append(handler)
        print("handling", flush=True)
    return previous


announced = []


signal.signal = announced_signal
from sbm_stats import cli

sys.exit(cli.main(["render", sys.argv[1], "--to", "html,pdf,docx", "--out", sys.argv[2], "--engine", "builtin",
                   "-q"]))
"""


def test_sigterm_while_publishing_leaves_all_old_or_all_new_outputs(tmp_path):
    """SIGTERM, sent several times at random moments, never leaves a new HTML beside an old PDF and Word file.

    The renames into ``--out`` are slowed down (0.3 s each) so that every run can be
    hit inside the publishing step: half of the runs are signalled after the second or
    third rename began, the others at a random moment after the command's handler is in place
    (the script says when). Before the fix
    the main thread blocked the signals, the system gave them to another thread, and
    Python ran the handler in the main thread between two renames.
    """
    import random

    script = _write(tmp_path / "slow_publish.py", _SLOW_PUBLISH)
    out = tmp_path / "out"
    names = ("doc.html", "doc.pdf", "doc.docx")
    text = {0: "Den gamla texten.", 1: "Den nya texten."}
    states = {}
    for version in (1, 0):  # each version rendered whole once (the outputs are reproducible byte for byte)
        doc = _doc(tmp_path, text[version])
        assert subprocess.run([sys.executable, str(script), str(doc), str(out)], capture_output=True,
                              timeout=300).returncode == 0
        states[version] = {n: hashlib.sha256((out / n).read_bytes()).hexdigest() for n in names}
    assert all(states[0][n] != states[1][n] for n in names)
    rng = random.Random(18)
    current, signalled, deadline = 0, 0, time.monotonic() + 240
    for run in range(6):
        if time.monotonic() > deadline:
            break
        new = 1 - current
        _doc(tmp_path, text[new])
        proc = subprocess.Popen([sys.executable, str(script), str(doc), str(out)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        assert proc.stdout.readline() == "handling\n", proc.communicate(timeout=120)
        if run % 2 == 0:
            for _ in range(rng.randint(2, 3)):  # after the first rename: the one moment a mix can arise
                proc.stdout.readline()
            time.sleep(rng.uniform(0, 0.25))
        else:
            time.sleep(rng.uniform(0, 3))
        for _ in range(3):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                signalled += 1
            time.sleep(rng.uniform(0.02, 0.08))
        proc.communicate(timeout=120)
        # 143: the command's handler stopped it; -15: a later SIGTERM (they come 20-80 ms apart) found
        # the command over and its handler gone, and the system ended the process as it exited
        assert proc.returncode in (0, 143, -signal.SIGTERM)
        found = {n: hashlib.sha256((out / n).read_bytes()).hexdigest() for n in names}
        assert found in (states[current], states[new]), f"run {run}: a mix of old and new outputs"
        current = new if found == states[new] else current
        assert sorted(p.name for p in out.iterdir()) == sorted(names)
    assert signalled >= 3


def test_staging_left_by_a_killed_run_is_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    leftover = tmp_path / f".sbm-staging-out-{dead}-abc"
    _write(leftover / "doc.html", "half")
    render(_doc(tmp_path, "Text."), **_kw(tmp_path))
    assert not leftover.exists()


def test_an_unwritable_output_folder_is_a_message(tmp_path):
    doc = _doc(tmp_path, "Text.")
    with pytest.raises(RenderError, match=r"out_dir: cannot prepare /proc/sbm-test"):
        render(doc, **{**_kw(tmp_path), "out_dir": "/proc/sbm-test"})


def test_concurrent_renders_into_one_folder_both_succeed_in_turn(tmp_path):
    doc = _doc(tmp_path, "```{python}\nimport time\ntime.sleep(2)\n```\n\nKlart.")
    args = [str(SBM_STATS), "render", str(doc), "--out", str(tmp_path / "out"), "--engine", "builtin",
            "--no-cache"]
    first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    second = subprocess.run(args, capture_output=True, text=True, timeout=120)
    first_err = first.communicate(timeout=120)[1]
    assert first.returncode == 0, first_err
    assert second.returncode == 0, second.stderr
    assert "Klart." in (tmp_path / "out" / "doc.html").read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".sbm-")] == []


@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGTERM, 143, "terminated"),
                                                    (signal.SIGINT, 130, "interrupted")])
def test_a_signal_mid_render_leaves_nothing(tmp_path, sig, code, word):
    doc = _doc(tmp_path, "```{python}\n#| label: lang\nimport time\ntime.sleep(60)\n```")
    out = tmp_path / "out"
    proc = subprocess.Popen([str(SBM_STATS), "render", str(doc), "--out", str(out), "--engine", "builtin"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    seen = ""
    while "lang (line" not in seen and time.monotonic() < deadline:  # the chunk is running
        seen += proc.stderr.readline()
    time.sleep(0.5)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert err.strip().splitlines()[-1] == f"sbm-stats: {word}"
    assert "Traceback" not in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".sbm-")] == []


# ----------------------------------------------------------------------------- files a document may embed

def _png(path: Path) -> Path:
    """A 1 x 1 grey PNG, built by hand (signature, IHDR, IDAT, IEND with their CRCs)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1 x 1, 8-bit greyscale
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
                     + chunk(b"IEND", b""))
    return path


def test_an_image_outside_the_document_folder_needs_resource_path(tmp_path):
    image = _png(tmp_path / "shared" / "logo.png")
    doc = _doc(tmp_path / "doc", f"![Logga]({image})")
    with pytest.raises(RenderError, match="--resource-path"):
        render(doc, **_kw(tmp_path))
    assert not (tmp_path / "out").exists()
    result = render(doc, **_kw(tmp_path, resource_path=["../shared"]))
    assert "data:image/png;base64," in _text(result)


def test_resource_path_must_be_a_folder(tmp_path):
    doc = _doc(tmp_path, "Text.")
    with pytest.raises(RenderError, match=r"resource_path \('nowhere'\) must be an existing folder"):
        render(doc, **_kw(tmp_path, resource_path=["nowhere"]))


# ----------------------------------------------------------------------------- the render command's bad-input corpus

_BOMB = "\n".join(["a0: &a0 [x, x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 40)])

# (id, front matter, body, extra CLI arguments, a fragment the message must hold).
# Each ends with exit 2, that fragment, no traceback, and --out and the document's
# folder as they were.
RENDER_CASES = [
    ("many aliases in the front matter", _BOMB + "\n", "Text.", [], "line 36: the front matter is not valid "
     "YAML: more than 64 aliases"),  # the alias past the 64th stands on line 3 + 33 of doc.qmd
    ("alias bomb in the front matter", _BOMB.rsplit("\na30", 1)[0] + "\n", "Text.", [],
     "expands to more than 100000 values"),  # 30 doublings: 2**31 values from 60 aliases
    ("front matter nested too deep", "x: " + "[" * 80 + "]" * 80 + "\n", "Text.", [], "nested more than 64 levels"),
    ("front matter not closed", None, "---\ntitle: T\n\nText.", [], "never closed"),
    ("lang that would inject Typst", 'lang: "sv\\"); #read(\\"/etc/passwd\\")"\n', "Text.", ["--to", "pdf"],
     "lang"),
    ("an image outside the document's folder", "", "![](/etc/passwd)", [], "/etc/passwd"),
    ("a file that is no image", "", "![Data](data.csv)", [], "data.csv"),
    ("raw HTML embedding a local file", "", '<img src="/etc/hostname">', [], "/etc/hostname"),
    ("timeout of zero", "execute:\n  timeout: 0\n", "Text.", [], "execute: timeout (0)"),
    ("unknown sbm-stats option", "sbm-stats:\n  cache: false\n", "Text.", [], "'cache' is not an option"),
    ("cache-env not a list of names", "sbm-stats:\n  cache-env: [1]\n", "Text.", [], "cache-env"),
    ("a parameter that is no literal", "", "Text.", ["--param", "__x=1"], "parameter name ('__x')"),
    ("an unknown format", "", "Text.", ["--to", "epub"], "to ('epub') must be one of"),
    ("--out inside a file", "", "Text.", ["--out", "{doc}/sub"], "is a file"),
    ("--timeout of zero", "", "Text.", ["--timeout", "0"], "expected a number of seconds above 0"),
    ("--resource-path not a folder", "", "Text.", ["--resource-path", "nowhere"], "resource_path ('nowhere')"),
]


@pytest.mark.parametrize(("front", "body", "extra", "fragment"), [c[1:] for c in RENDER_CASES],
                         ids=[c[0] for c in RENDER_CASES])
def test_render_bad_input(tmp_path, capsys, front, body, extra, fragment):
    from sbm_stats.cli import main

    folder = tmp_path / "doc"
    _write(folder / "data.csv", "a,b\n1,2\n")
    doc = folder / "doc.qmd"
    if front is None:
        _write(doc, body)
    else:
        _write(doc, f"---\ntitle: T\n{front}---\n\n{body}\n")
    out = tmp_path / "out"
    _write(out / "doc.html", "the previous render")
    before = (_tree(folder), _tree(out))
    args = [a.replace("{doc}", str(doc)) for a in extra]
    if "--out" not in args:
        args += ["--out", str(out)]
    try:
        code = main(["render", str(doc), "--engine", "builtin", "--quiet", *args])
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert fragment in err
    assert "Traceback" not in err
    assert (_tree(folder), _tree(out)) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".sbm-")] == []


def test_a_lock_folder_of_another_user_is_refused(tmp_path, monkeypatch):
    """The lock folder is per user; one of that name owned by someone else stops the run
    with a message, before anything is written. The run pretends to be another user (uid
    + 1), so the folder this test makes belongs to someone else from its point of view."""
    import os
    import tempfile

    from sbm_stats import _publish

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    other = os.getuid() + 1
    (tmp_path / f"sbm-stats-locks-{other}").mkdir()
    monkeypatch.setattr(_publish.os, "getuid", lambda: other)
    with pytest.raises(_publish.OutputError, match="belongs to another user"):
        with Publication(tmp_path / "out"):
            pass
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- the kernel's channels

@pytest.mark.skipif(os.name != "posix", reason="Unix sockets are the POSIX channels")
def test_the_kernel_talks_over_unix_sockets_in_a_folder_of_its_own(tmp_path):
    """No TCP port (one picked free can be taken before the kernel binds it: "Address already in
    use" with several renders starting at once): Unix sockets, in a folder only this user may
    enter, with a path short enough for a socket (107 bytes), removed with the kernel. The
    kernel itself says where its channels are (its connection file)."""
    import ast

    code = ("import json, os\nfrom ipykernel.connect import get_connection_file\n"
            "info = json.load(open(get_connection_file()))\nfolder = os.path.dirname(info['ip'])\n"
            "print(repr((info['transport'], info['ip'], os.stat(folder).st_mode & 0o777, "
            "sorted(os.listdir(folder)))))")
    doc = _doc(tmp_path / "doc", f"```{{python}}\n{code}\n```")
    html = _text(render(doc, **_kw(tmp_path)))
    shown = html.split("<code>(", 1)[1].split(")</code>", 1)[0].replace("&#39;", "'").replace("&quot;", '"')
    transport, ip, mode, names = ast.literal_eval("(" + shown + ")")
    folder = os.path.dirname(ip)
    assert transport == "ipc" and os.path.basename(ip) == "k" and mode == 0o700
    # shell, iopub, stdin, control and heartbeat: k-1 ... k-5
    assert names == ["k-1", "k-2", "k-3", "k-4", "k-5"]
    assert len(os.path.join(folder, "k-5")) < 60
    assert not os.path.exists(folder)
    assert sorted(p.name for p in doc.parent.iterdir()) == ["doc.qmd"]


def test_a_pandoc_run_past_its_time_fails_the_render_and_writes_nothing(tmp_path, monkeypatch):
    """pandoc ran without a time limit: a pandoc (or filter) that never ended held the render for ever."""
    from sbm_stats.render import _pandoc

    monkeypatch.setattr(_pandoc, "PANDOC_TIMEOUT", 0.001)
    doc = _doc(tmp_path / "doc", "Text.")
    with pytest.raises(RenderError, match=r"pandoc did not finish writing the document in 0.001 s; it was stopped"):
        render(doc, **_kw(tmp_path))
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in doc.parent.iterdir()) == ["doc.qmd"]
