"""Benchmark ``sbm-stats preview``: from saving an edit of ``report.qmd`` to the new text in a browser.

Run from the repository root with the project's environment and the ``bench`` extra
(``websocket-client``)::

    .venv/bin/python benchmarks/bench_preview.py [--rounds 3] [--doc report.qmd]

What is timed: a copy of the document in a temporary folder is previewed
(``sbm-stats preview``, a subprocess) and shown in headless Chromium
(``/usr/bin/chromium``, driven over the DevTools protocol). Each round saves one edit
(written to a temporary file and renamed over the document, as editors save) and
measures the time from the save until the page in the browser holds the new text
(polled every 10 ms through the DevTools protocol, so figures are about 10 ms
coarse). Two kinds of edit, interleaved:

1. **prose**: a sentence of the prose changes (no code runs); target at most 1.0 s;
2. **last chunk**: a comment in the code of the document's last chunk changes, so that
   the chunk runs again (from the first changed chunk on: the last one alone), and so
   does its caption option, which shows the edit in the page; target at most 2 s.

Beside each figure, the preview's own render time (its ``/__status``) says how much of it
is the render and how much the watcher, the reload and the browser. The medians are
printed with the machine's load (``os.getloadavg``): on a shared machine the figures
move with it. This is not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


class Browser:
    """Headless Chromium with one page, spoken to over the DevTools protocol."""

    def __init__(self, profile: Path):
        import websocket  # the bench extra: websocket-client

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        deadline = time.monotonic() + 60
        port = None
        while port is None and time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise SystemExit(f"chromium exited ({self.proc.returncode}) before it listened")
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            port = int(found.group(1)) if found else None
        if port is None:
            raise SystemExit("chromium did not say where DevTools listen within 60 s")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            pages = [t for t in json.load(answer) if t.get("type") == "page"]
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self._id = 0

    def call(self, method: str, **params: object) -> dict:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def shows(self, text: str) -> bool:
        """Whether the page, parsed, holds ``text``."""
        script = (f"document.readyState !== 'loading' && document.body !== null && "
                  f"document.body.textContent.includes({json.dumps(text)})")
        try:
            result = self.call("Runtime.evaluate", expression=script, returnByValue=True)
        except RuntimeError:  # the page is being replaced by its reload
            return False
        return bool(result.get("result", {}).get("value"))

    def wait_for(self, text: str, seconds: float = 120) -> float:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.shows(text):
                return time.monotonic()
            time.sleep(0.01)
        raise SystemExit(f"the page did not show {text!r} within {seconds:g} s")

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _save(path: Path, text: str) -> float:
    """Save as an editor does (a new file renamed over the old); return the time of the save."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return time.monotonic()


def _status(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__status", timeout=10) as answer:
        return json.load(answer)


def _last_caption(text: str) -> tuple[int, str]:
    """Where the last chunk's ``tbl-cap``/``fig-cap`` option starts, and the option's line."""
    starts = [m.start() for m in re.finditer(r"^```\{python\}", text, re.MULTILINE)]
    line = re.search(r'^#\| (?:tbl|fig)-cap: "', text[starts[-1]:], re.MULTILINE)
    if line is None:
        raise SystemExit("the document's last chunk has no tbl-cap or fig-cap option to edit")
    return starts[-1] + line.end(), line.group(0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--doc", type=Path, default=ROOT / "report.qmd")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is not installed: nothing measured", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="bench-preview-"))
    doc = work / args.doc.name
    text = args.doc.read_text(encoding="utf-8")
    # markers: a sentence after the first heading's paragraph, and the last chunk's caption
    heading = re.search(r"^# .*\n\n[^\n]+\n", text, re.MULTILINE)
    text = text[:heading.end()] + "BENCHMARKPROSA0.\n" + text[heading.end():]
    at, _ = _last_caption(text)
    text = text[:at] + "BENCHMARKKOD0 " + text[at:]
    end = text.index("\n```", at)  # the end of the last chunk: a comment as its last line
    text = text[:end] + "\n# BENCHMARKKOD0" + text[end:]
    doc.write_text(text, encoding="utf-8")
    env = dict(os.environ, SBM_STATS_CACHE_DIR=str(work / "cache"))
    preview = subprocess.Popen([sys.executable, "-m", "sbm_stats", "preview", str(doc)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    browser = None
    try:
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", preview.stdout.readline())
        if not found:
            raise SystemExit("the preview printed no address")
        port = int(found.group(1))
        browser = Browser(work / "profile")
        start = time.monotonic()
        browser.call("Page.navigate", url=f"http://127.0.0.1:{port}/")
        browser.wait_for("BENCHMARKPROSA0", 300)
        print(f"first render shown after {time.monotonic() - start:.1f} s ({_status(port).get('reason')})")
        seen = {"prose": [], "last chunk": []}
        renders = {"prose": [], "last chunk": []}
        for i in range(1, args.rounds + 1):
            for kind, old, new in (("prose", f"BENCHMARKPROSA{i - 1}", f"BENCHMARKPROSA{i}"),
                                   ("last chunk", f"BENCHMARKKOD{i - 1}", f"BENCHMARKKOD{i}")):  # both places
                version = _status(port)["version"]
                text = text.replace(old, new)
                saved = _save(doc, text)
                shown = browser.wait_for(new)
                status = _status(port)
                expected = "prose" if kind == "prose" else "from"
                if status["version"] != version + 1 or status.get("state") != "ready" or status["mode"] != expected:
                    raise SystemExit(f"unexpected preview status after the {kind} edit: {status}")
                seen[kind].append(shown - saved)
                renders[kind].append(status["seconds"])
                print(f"round {i}, {kind:>10}: {shown - saved:.2f} s from save to page "
                      f"(render {status['seconds']:.2f} s, {status['mode']}: {status['reason']})", flush=True)
                time.sleep(0.5)
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"\nmedian of {args.rounds} rounds, load average {load} on {os.cpu_count()} cores:")
        for kind, target in (("prose", 1.0), ("last chunk", 2.0)):
            median = statistics.median(seen[kind])
            print(f"  {kind:>10}: {median:.2f} s save -> page (render {statistics.median(renders[kind]):.2f} s); "
                  f"target <= {target:.1f} s: {'met' if median <= target else 'NOT met'}")
    finally:
        if browser is not None:
            browser.close()
        preview.send_signal(signal.SIGINT)
        try:
            preview.wait(timeout=20)
        except subprocess.TimeoutExpired:
            preview.kill()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
