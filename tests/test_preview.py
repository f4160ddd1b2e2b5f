"""``sbm-stats preview``: what runs after an edit, the server, the reload signal, errors, and the way out.

Small documents in tmp_path, every wait bounded, every connection on 127.0.0.1. Whether a
chunk ran is told by the chunk itself: each appends its label to ``ran.txt`` (a file the
kernel writes, never reads, so the watcher does not follow it).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest

from sbm_stats.cli._live import decorate
from sbm_stats.render import RenderError, render
from sbm_stats.render._preview import PreviewSession
from sbm_stats.render._progress import Progress
from sbm_stats.render._rerun import effects

pytestmark = pytest.mark.slow

if os.name != "posix":  # pragma: no cover
    pytest.skip("the preview's way out (signals, process groups) is tested on POSIX only", allow_module_level=True)

# Three chunks, each noting that it ran, and an inline value between the first two.
DOC = textwrap.dedent('''\
    ---
    title: Förhandsvisning
    lang: sv
    ---

    Inledande prosa.

    ```{python}
    #| label: first
    open("ran.txt", "a").write("first\\n")
    x = 20
    ```

    Värdet är `{python} x + 1`.

    ```{python}
    #| label: second
    open("ran.txt", "a").write("second\\n")
    y = x * 2
    ```

    ```{python}
    #| label: third
    open("ran.txt", "a").write("third\\n")
    print(f"summa {x + y}")
    ```
    ''')


def _ran(folder: Path) -> list[str]:
    path = folder / "ran.txt"
    return path.read_text(encoding="utf-8").split() if path.exists() else []


def _edit(doc: Path, old: str, new: str) -> None:
    text = doc.read_text(encoding="utf-8")
    assert old in text, old
    doc.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    path = tmp_path / "doc.qmd"
    path.write_text(DOC, encoding="utf-8")
    return path


@pytest.fixture
def session(doc: Path):
    live = PreviewSession(doc, progress=Progress(quiet=True))
    yield live
    live.close()


# --------------------------------------------------------------------------- what runs after an edit

def test_prose_inline_and_chunk_edits_run_only_what_changed(doc: Path, session: PreviewSession) -> None:
    first = session.render()
    assert first.mode == "all" and _ran(doc.parent) == ["first", "second", "third"]
    assert "summa 60" in first.html.decode()  # x + y = 20 + 2 * 20

    _edit(doc, "Inledande prosa.", "Ny inledande prosa.")
    page = session.render()
    assert (page.mode, page.cells_run) == ("prose", 0)
    assert _ran(doc.parent) == ["first", "second", "third"]  # nothing ran again
    html = page.html.decode()
    assert "Ny inledande prosa." in html and "Värdet är 21." in html and "summa 60" in html

    _edit(doc, "#| label: third\n", "#| label: third\n#| echo: false\n")  # how it shows, not what runs
    page = session.render()
    assert page.mode == "prose" and _ran(doc.parent) == ["first", "second", "third"]
    assert "summa 60" in page.html.decode() and 'print(f"summa' not in page.html.decode()

    _edit(doc, "`{python} x + 1`", "`{python} x + 2`")
    page = session.render()
    assert (page.mode, page.cells_run) == ("inline", 1)
    assert _ran(doc.parent) == ["first", "second", "third"]
    assert "Värdet är 22." in page.html.decode()

    _edit(doc, "y = x * 2", "y = x * 3")
    page = session.render()
    assert page.mode == "from"
    assert _ran(doc.parent) == ["first", "second", "third", "second", "third"]  # from the changed chunk on
    assert "summa 80" in page.html.decode()  # 20 + 3 * 20


def test_a_later_chunk_that_rebinds_an_earlier_name_means_a_fresh_kernel(doc: Path, session: PreviewSession) -> None:
    # 'third' rebinds x, which 'first' made: re-running from 'second' in that kernel would
    # see x = 21, a full render x = 20
    _edit(doc, 'print(f"summa {x + y}")', 'x = x + 1\nprint(f"summa {x + y}")')
    assert "summa 61" in session.render().html.decode()
    _edit(doc, "y = x * 2", "y = x * 3")
    page = session.render()
    assert page.mode == "all" and "changes what an earlier chunk made (x)" in page.reason
    assert "summa 81" in page.html.decode()  # x = 20 again: 21 + 3 * 20


def test_names_only_a_changed_chunk_bound_are_gone_as_in_a_full_render(doc: Path, session: PreviewSession) -> None:
    session.render()
    _edit(doc, "y = x * 2", "z = x * 2")  # 'third' reads y, which nothing binds any more
    with pytest.raises(RenderError, match="chunk 'third' failed.*NameError: name 'y' is not defined"):
        session.render()
    _edit(doc, 'print(f"summa {x + y}")', 'print(f"summa {x + z}")')
    page = session.render()  # after the failure, from the failed chunk on
    assert page.mode == "from" and "running from third" in page.reason and "summa 60" in page.html.decode()
    assert _ran(doc.parent) == ["first", "second", "third", "second", "third", "third"]


def test_restart_runs_every_cell_in_a_new_kernel(doc: Path, session: PreviewSession) -> None:
    session.render()
    pid = session.kernel_pid
    session.restart()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    page = session.render()
    assert page.mode == "all" and session.kernel_pid != pid
    assert _ran(doc.parent) == ["first", "second", "third"] * 2


@pytest.mark.parametrize(("code", "error"), [
    ("import os\nos._exit(3)", "the Python kernel died while running chunk 'second'"),
    ("import time\ntime.sleep(30)", "chunk 'second', doc.qmd line 16 ran for more than 2 s"),
])
def test_a_kernel_that_dies_or_hangs_is_replaced_by_the_next_render(doc: Path, code: str, error: str) -> None:
    live = PreviewSession(doc, timeout=2, progress=Progress(quiet=True))
    try:
        live.render()
        first = live.kernel_pid
        _edit(doc, "y = x * 2", f"y = x * 2\n{code}")
        with pytest.raises(RenderError, match=re.escape(error)):
            live.render()
        _edit(doc, f"y = x * 2\n{code}", "y = x * 3")
        page = live.render()
        assert page.mode == "all" and live.kernel_pid != first and "summa 80" in page.html.decode()
        assert _gone(first)
    finally:
        live.close()


@pytest.mark.parametrize(("source", "binds", "changes", "reads", "opaque"), [
    # a comprehension's variable and a function's locals stay local; a def binds its name
    ("a = [i for i in range(3)]\ndef f(n):\n    k = n\n    return k", {"a", "f"}, set(), {"range", "i", "n"},
     False),
    ("import numpy.linalg\nfrom os import path as p", {"numpy", "p"}, set(), set(), False),
    ("frame['x'] = 1\nobj.attr += 2\ndel rows[0]", set(), {"frame", "obj", "rows"}, {"obj"}, False),
    ("def g():\n    global total\n    total = 1", {"g", "total"}, {"total"}, set(), False),
    ("if (n := 3):\n    pass", {"n"}, set(), set(), False),
    ("exec('x = 1')", set(), set(), {"exec"}, True),
    ("from os import *", set(), set(), set(), True),
    ("%matplotlib inline", set(), set(), set(), True),  # IPython, not Python
])
def test_what_a_cell_does_to_the_kernels_names(source, binds, changes, reads, opaque) -> None:
    found = effects(source)
    assert (set(found.binds), set(found.changes), found.opaque) == (binds, changes, opaque)
    assert reads <= set(found.reads)


def test_the_published_page_has_no_script(tmp_path: Path) -> None:
    (tmp_path / "note.qmd").write_text("---\ntitle: Anteckning\nlang: sv\n---\n\nText.\n", encoding="utf-8")
    result = render(tmp_path / "note.qmd", to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True)
    assert "<script" not in result.outputs[0].read_text(encoding="utf-8").lower()


def test_the_served_copy_replaces_a_no_script_policy_with_a_nonce() -> None:
    page = (b'<html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            b'img-src data:; style-src \'unsafe-inline\'; script-src \'none\'"></head><body><p>x</p></body></html>')
    body, policy = decorate(page, version=7, error=None)
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'<script nonce="{nonce}">'.encode() in body and b"http-equiv" not in body
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["script-src"] == [f"'nonce-{nonce}'"]
    assert directives["connect-src"] == ["'self'"] and set(directives["img-src"]) == {"data:", "'self'"}
    assert directives["style-src"] == ["'unsafe-inline'"] and directives["default-src"] == ["'none'"]


# --------------------------------------------------------------------------- the command

def _sigint_default() -> None:
    """In the child: Ctrl-C as in a terminal. A test run started in the background (``pytest &``)
    has SIGINT ignored, and a child would inherit that (and rightly ignore the test's SIGINT)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


PORT_LINE = re.compile(r"serving \S+ on http://127\.0\.0\.1:(\d+)/")


class Preview:
    """``sbm-stats preview`` in a subprocess, with bounded waits."""

    def __init__(self, doc: Path, *args: str):
        self.tmp = doc.parent / "tmp"  # the preview's temporary folder: it must be gone at the end
        self.tmp.mkdir()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sbm_stats", "preview", str(doc), "--verbose", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=doc.parent, preexec_fn=_sigint_default,
            env={**os.environ, "TMPDIR": str(self.tmp)})
        line = self.proc.stdout.readline()  # the first line is the address (or nothing, on an error)
        match = PORT_LINE.search(line)
        if not match:
            self.proc.kill()
            raise AssertionError(f"no address printed: {line!r} {self.proc.stderr.read()}")
        self.port = int(match.group(1))

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode("utf-8")
        finally:
            conn.close()

    def status(self) -> dict:
        return json.loads(self.get("/__status")[2])

    def wait_for(self, check, seconds: float = 60.0) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            status = self.status()
            if check(status):
                return status
            time.sleep(0.1)
        raise AssertionError(f"waited {seconds} s; the status is {self.status()}")

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        left = [p.name for p in self.tmp.iterdir() if p.name.startswith("sbm-preview-")]
        assert not left, f"the preview left {left} behind"
        return self.proc.returncode, self.proc.stderr.read()


#: A Python traceback of the preview itself (a chunk's traceback from the kernel is part of its message).
OWN_TRACEBACK = re.compile(r"^Traceback \(most recent call last\):$", re.MULTILINE)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


class _Events(threading.Thread):
    """Reads the server-sent events of /__events into a list."""

    def __init__(self, port: int, version: int):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.sendall(f"GET /__events?version={version} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        self.events: list[str] = []
        self.start()

    def run(self) -> None:
        buffer = b""
        try:
            while chunk := self.sock.recv(4096):
                buffer += chunk
                self.events = re.findall(r"event: (\w+)\ndata: (\d+)", buffer.decode())
        except OSError:
            pass


def test_preview_serves_reloads_keeps_the_last_good_page_and_stops_clean(doc: Path) -> None:
    preview = Preview(doc)
    try:
        ready = preview.wait_for(lambda s: s["state"] == "ready")
        assert ready["mode"] == "all" and _ran(doc.parent) == ["first", "second", "third"]
        status, headers, html = preview.get("/")
        assert status == 200 and "summa 60" in html
        assert 'new EventSource("/__events?version=1")' in html
        nonce = re.search(r'<script nonce="([^"]+)">', html).group(1)
        assert f"'nonce-{nonce}'" in headers["Content-Security-Policy"]
        kernel = ready["kernel_pid"]
        assert psutil.Process(kernel).ppid() == preview.proc.pid

        events = _Events(preview.port, version=1)
        _edit(doc, "Inledande prosa.", "Ny inledande prosa.")
        prose = preview.wait_for(lambda s: s["version"] >= 2, 30)
        assert (prose["mode"], prose["cells_run"]) == ("prose", 0)
        assert _ran(doc.parent) == ["first", "second", "third"]
        assert "Ny inledande prosa." in preview.get("/")[2]
        deadline = time.monotonic() + 10
        while ("reload", "2") not in events.events and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ("reload", "2") in events.events

        _edit(doc, 'print(f"summa {x + y}")', 'print(f"summa {x + y + undefined}")')
        failed = preview.wait_for(lambda s: s["version"] >= 3 and s["state"] != "rendering", 30)
        assert failed["state"] == "failed" and "NameError: name 'undefined' is not defined" in failed["error"]
        html = preview.get("/")[2]
        assert '<div id="sbm-preview-error" role="alert">' in html and "name &#x27;undefined&#x27;" in html
        assert "Ny inledande prosa." in html and "summa 60" in html  # the last good page, under the banner

        _edit(doc, "y = x * 2", "y = x * 3")  # the failed chunk still fails: still the banner
        preview.wait_for(lambda s: s["version"] >= 4, 30)
        doc.unlink()  # a watched file deleted: said, and the server goes on
        preview.wait_for(lambda s: "doc.qmd was deleted" in s.get("message", ""), 10)
        assert preview.proc.poll() is None and preview.get("/")[0] == 200
    finally:
        code, err = preview.stop(signal.SIGINT)
    assert code == 130, err
    assert not OWN_TRACEBACK.search(err) and "was deleted" in err
    assert _gone(kernel), f"the kernel {kernel} outlived the preview"


def test_sigterm_during_a_long_chunk_stops_the_kernel_at_once(tmp_path: Path) -> None:
    doc = tmp_path / "slow.qmd"
    doc.write_text('---\ntitle: Långsam\n---\n\n```{python}\nimport os, time\nopen("pid.txt", "w").write'
                   '(str(os.getpid()))\ntime.sleep(120)\n```\n', encoding="utf-8")
    preview = Preview(doc)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "pid.txt").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        kernel = int((tmp_path / "pid.txt").read_text())
        started = time.monotonic()
    finally:
        code, err = preview.stop(signal.SIGTERM)
    assert code == 143 and time.monotonic() - started < 10, err
    assert _gone(kernel) and not OWN_TRACEBACK.search(err)


def test_a_port_in_use_or_an_address_not_here_exits_2(doc: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "sbm_stats", "preview", str(doc), "--port", str(port)],
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert f"sbm-stats: error: cannot serve on 127.0.0.1 port {port} (Address already in use)" in proc.stderr
    assert not OWN_TRACEBACK.search(proc.stderr) and not _ran(doc.parent)
    proc = subprocess.run([sys.executable, "-m", "sbm_stats", "preview", str(doc), "--host", "192.0.2.1"],
                          capture_output=True, text=True, timeout=60)  # TEST-NET-1: on no machine
    assert proc.returncode == 2 and "cannot serve on 192.0.2.1 port 0" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "sbm_stats", "preview", str(doc.with_name("saknas.qmd"))],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "saknas.qmd') does not exist" in proc.stderr


def test_the_preview_only_ever_listens_where_it_was_told(doc: Path) -> None:
    preview = Preview(doc)
    try:
        listening = [c.laddr for c in psutil.Process(preview.proc.pid).net_connections("inet")
                     if c.status == psutil.CONN_LISTEN]
        assert listening == [("127.0.0.1", preview.port)]
    finally:
        preview.stop()


def test_a_browser_that_goes_away_is_no_error(doc: Path) -> None:
    preview = Preview(doc)
    try:
        preview.wait_for(lambda s: s["state"] == "ready")
        for path in ("/__events?version=0", "/"):
            with socket.create_connection(("127.0.0.1", preview.port), timeout=10) as sock:
                sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                sock.recv(10)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        _edit(doc, "Inledande prosa.", "Annan prosa.")  # the server writes to the stream that is gone
        preview.wait_for(lambda s: s["version"] >= 2, 30)
        assert preview.get("/")[0] == 200
    finally:
        code, err = preview.stop()
    assert code == 130 and not OWN_TRACEBACK.search(err) and "failed" not in err



def test_the_watch_tells_a_document_edit_from_a_change_of_code_or_data(tmp_path: Path) -> None:
    from sbm_stats.cli._preview import Watch

    doc = tmp_path / "doc.qmd"
    doc.write_text(DOC, encoding="utf-8")
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "sub" / "code.py").write_text("x = 1\n", encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    (data / "datapackage.json").write_text("{}", encoding="utf-8")
    (data / "table.csv").write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not read\n", encoding="utf-8")
    watch = Watch(doc, package)
    watch.follow((str(data / "table.csv"),))
    stop = threading.Event()

    def after(change, bound: float = 10.0) -> str | None:
        time.sleep(0.05)
        change()
        timer = threading.Timer(bound, stop.set)  # a bound on the wait, should nothing be seen
        timer.start()
        try:
            return watch.wait(stop)
        finally:
            timer.cancel()

    assert after(lambda: _edit(doc, "Inledande", "Ny inledande")) == "document"
    assert after(lambda: (package / "sub" / "code.py").write_text("x = 22\n", encoding="utf-8")) == "restart"
    assert after(lambda: (data / "table.csv").write_text("a\n2\n", encoding="utf-8")) == "restart"
    assert after(lambda: (data / "new.csv").write_text("b\n", encoding="utf-8")) == "restart"  # the whole package
    (data / "table.csv").write_text("a\n3\n", encoding="utf-8")  # while a render runs, say
    watch.follow((str(data / "table.csv"), str(package / "sub" / "code.py")))
    assert after(lambda: None) == "restart"  # the change before follow() is not lost
    assert after(lambda: (data / "table.csv").unlink()) == "restart"  # gone: said, and the next render tells
    assert after(lambda: doc.unlink(), 1.5) is None  # the document gone: nothing to render until it is back
    stop.clear()
    assert after(lambda: doc.write_text(DOC, encoding="utf-8")) == "document"
    stop.clear()
    assert after(lambda: (tmp_path / "notes.txt").write_text("changed\n", encoding="utf-8"), 1.5) is None  # not read


def test_the_page_images_are_the_files_the_render_checked_each_with_its_version(tmp_path: Path) -> None:
    """The images served are those write_page checked (inside the document's folder, images by their
    bytes), by the link the document gives them; a remote image and a data: URI are not served. The
    served page asks for each by its link and the digest of its bytes, also a link pandoc writes
    escaped (a&b.png: src="a&amp;b.png"), so that a changed image is never shown stale."""
    folder = tmp_path / "doc"
    folder.mkdir()
    (folder / "a&b.png").write_bytes(b"\x89PNG\r\n\x1a\n first")
    (folder / "logo.svg").write_text("<svg/>", encoding="utf-8")
    doc = folder / "doc.qmd"
    doc.write_text("---\ntitle: Bilder\n---\n\n![A](a&b.png) ![L](logo.svg) ![R](https://example.org/x.png)"
                   " ![D](data:image/png;base64,AAAA)\n", encoding="utf-8")
    live = PreviewSession(doc, progress=Progress(quiet=True))
    try:
        page = live.render()
    finally:
        live.close()
    assert page.images == {"a&b.png": (b"\x89PNG\r\n\x1a\n first", "image/png"),
                           "logo.svg": (b"<svg/>", "image/svg+xml")}
    digests = {"a&b.png": "d1", "logo.svg": "d2"}
    body, _ = decorate(page.html, version=1, error=None, images=digests)
    assert b'src="a&amp;b.png?v=d1"' in body and b'src="logo.svg?v=d2"' in body


@pytest.mark.parametrize("naming, how", [
    ("![Hemligt](../hemligt.png)", "image '../hemligt.png'"),
    ('<p><img src="../hemligt.png" alt="x"></p>', "<img src> '../hemligt.png'"),
    ("![Text](inte-bild.png)", "image 'inte-bild.png' is not an image"),
])
def test_the_preview_checks_the_files_a_document_names_as_a_render_does(tmp_path: Path, naming: str,
                                                                        how: str) -> None:
    """The preview writes its page in one pandoc run from the markdown (``_pandoc.write_page``), with no
    tree read first: the files the document names are checked from the filter resources.lua's list,
    with the render's own message, and the page is not given."""
    folder = tmp_path / "doc"
    folder.mkdir()
    (tmp_path / "hemligt.png").write_bytes(b"\x89PNG\r\n\x1a\n outside the document's folder")
    (folder / "inte-bild.png").write_text("text, not an image", encoding="utf-8")
    (folder / "bild.png").write_bytes(b"\x89PNG\r\n\x1a\n inside")
    doc = folder / "doc.qmd"
    doc.write_text(f"---\ntitle: Filer\n---\n\n![Bild](bild.png)\n\n{naming}\n", encoding="utf-8")
    with pytest.raises(RenderError) as rendered:
        render(doc, to="html", out_dir=tmp_path / "out", engine="builtin", quiet=True, cache=False)
    live = PreviewSession(doc, progress=Progress(quiet=True))
    try:
        with pytest.raises(RenderError) as previewed:
            live.render()
    finally:
        live.close()
    assert how in str(previewed.value)
    assert str(previewed.value) == str(rendered.value)
    # the image inside the folder alone: a page
    doc.write_text("---\ntitle: Filer\n---\n\n![Bild](bild.png)\n", encoding="utf-8")
    live = PreviewSession(doc, progress=Progress(quiet=True))
    try:
        page = live.render()
    finally:
        live.close()
    assert b'src="bild.png"' in page.html and page.images["bild.png"][0].startswith(b"\x89PNG")


def test_an_inline_value_a_later_chunk_would_change_runs_from_its_place(doc: Path, session: PreviewSession) -> None:
    # the inline value reads x through a function; 'third' rebinds x after it: evaluated
    # at the end, value() + 2 would show 23
    _edit(doc, "x = 20\n", "x = 20\ndef value():\n    return x\n")
    _edit(doc, "`{python} x + 1`", "`{python} value() + 1`")
    _edit(doc, 'print(f"summa {x + y}")', 'x = 21\nprint(f"summa {x + y}")')
    assert "Värdet är 21." in session.render().html.decode()
    _edit(doc, "`{python} value() + 1`", "`{python} value() + 2`")
    page = session.render()
    assert page.mode != "inline" and "Värdet är 22." in page.html.decode()  # x = 20 at its place


def test_a_module_the_document_imports_changed_restarts_the_kernel(tmp_path: Path) -> None:
    (tmp_path / "hjalp.py").write_text("VALUE = 1\n", encoding="utf-8")
    doc = tmp_path / "doc.qmd"
    doc.write_text("---\ntitle: Modul\n---\n\n```{python}\nimport hjalp\nprint(f'värde {hjalp.VALUE}')\n```\n",
                   encoding="utf-8")
    preview = Preview(doc)
    try:
        first = preview.wait_for(lambda s: s["state"] == "ready")
        assert "värde 1" in preview.get("/")[2]
        time.sleep(0.05)
        (tmp_path / "hjalp.py").write_text("VALUE = 2\n", encoding="utf-8")
        again = preview.wait_for(lambda s: s["version"] >= 2 and s["state"] == "ready", 60)
        assert again["mode"] == "all" and again["kernel_pid"] != first["kernel_pid"]
        assert "värde 2" in preview.get("/")[2]  # a kernel that had imported hjalp would still show 1
        assert _gone(first["kernel_pid"])
    finally:
        preview.stop()


def test_a_save_in_two_steps_is_rendered_once_it_is_over(tmp_path: Path, monkeypatch) -> None:
    # An editor (or a program) may write the document in more than one step: the watch waits until
    # two looks in a row agree, so that the half-written file is never rendered (a second render
    # followed it, and a status read between the two showed the first render's page as current).
    from sbm_stats.cli._preview import Watch

    doc = tmp_path / "doc.qmd"
    doc.write_text("a\n", encoding="utf-8")
    watch = Watch(doc, tmp_path / "no-package", tell=lambda text: None)
    looks = iter([(2, 1, 1), (3, 5, 1), (3, 5, 1), (9, 9, 9)])  # half written, then whole, then whole again
    monkeypatch.setattr(Watch, "_stat", staticmethod(lambda path: next(looks)))
    assert watch._settled((1, 1, 1), threading.Event()) == (3, 5, 1)
    assert next(looks) == (9, 9, 9)  # and it looked no further than it had to


@pytest.mark.parametrize("version", ["%C2%B2", "x", ""])
def test_the_event_stream_takes_a_version_that_is_not_a_number_as_none(version: str) -> None:
    """``/__events?version=²``: "²" is a digit to str.isdigit but not to int(); the stream answered with a
    ValueError (a closed connection and a line on the terminal) instead of starting from version 0."""
    from sbm_stats.cli._live import LivePage, LiveServer

    page = LivePage(title="t")
    server = LiveServer(("127.0.0.1", 0), page)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    serving.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
        connection.request("GET", f"/__events?version={version}")
        response = connection.getresponse()
        assert response.status == 200
        assert [response.fp.readline() for _ in range(2)] == [b": connected\n", b"\n"]
        page.show(b"<html><body>ny</body></html>", {}, {})  # version 1, past the 0 the stream starts from
        assert [response.fp.readline() for _ in range(2)] == [b"event: reload\n", b"data: 1\n"]
        connection.close()
    finally:
        server.stop()
