"""``sbm-stats preview DOC.qmd``: serve the document's HTML and render it again on every save.

Three threads: the main one waits for Ctrl-C (SIGINT) or SIGTERM; the server's
(:mod:`sbm_stats.cli._live`) answers the browser; the render thread owns the
:class:`~sbm_stats.render._preview.PreviewSession` (its live kernel) and the
:class:`Watch`, and renders whenever a watched file changes:

- the document: rendered again; what runs depends on what changed (prose, inline
  expressions, chunks: see :mod:`sbm_stats.render._rerun`);
- the package's code (``sbm_stats/``), a data package the document read (a folder with a
  ``datapackage.json``), a Python module or a file in the document's folder it read:
  the kernel is restarted and every cell runs.

A change to the render engine itself (``sbm_stats/render/``) is run by the kernel's
next start, but the preview's own process keeps the engine it started with: restart
the preview after changing the engine. On the way out (Ctrl-C, SIGTERM, an error),
the server stops and the kernel is killed (whatever it is running) before the
command returns.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import SbmStatsError
from ._render import _seconds, parse_param

__all__ = ["PreviewError", "Watch", "register"]

#: Seconds between two looks at the document, and at everything else watched.
DOCUMENT_POLL = 0.02
TREE_POLL = 0.25
#: How many polls a save may take before the document is rendered as it then is (one second at most).
SETTLE_POLLS = 50
#: Seconds the render thread has to finish (a pandoc run, say) once asked to stop.
STOP_GRACE = 10.0


class PreviewError(SbmStatsError, OSError):
    """The preview cannot serve (a port in use or not permitted, an address not on this machine)."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "preview",
        help="serve a live HTML preview of a .qmd that renders again on every save",
        description=(
            "Render a .qmd to HTML with the builtin engine, serve it on this machine (127.0.0.1; a free "
            "port unless --port) and render it again whenever the document, the package's code or the "
            "data it read change; the page in the browser shows each new render. One Python kernel stays alive: "
            "a prose edit runs no code, a chunk edit runs from that chunk on, a change of data or code "
            "restarts the kernel. Ctrl-C stops the server and the kernel."
        ),
    )
    parser.add_argument("path", help="the .qmd file")
    parser.add_argument("--port", type=_port, default=0, metavar="PORT",
                        help="the port to serve on (default: a free one, printed)")
    parser.add_argument("--host", default="127.0.0.1", metavar="ADDRESS",
                        help="the address to serve on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--browser", action="store_true", help="open the page in the default web browser")
    parser.add_argument(
        "--param", "-P", action="append", default=[], metavar="NAME=VALUE",
        help="set a parameter of the document (repeatable), as for render",
    )
    parser.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                        help="seconds each chunk may run (default: the front matter's, else 600)")
    parser.add_argument("--resource-path", action="append", default=[], metavar="DIR",
                        help="a folder besides the document's own that its images may come from (repeatable)")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="also print each request, each render's steps and the kernel's process id")
    parser.set_defaults(func=_preview)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}")
    return int(text)


def _say(text: str) -> None:
    print(f"sbm-stats preview: {text}", file=sys.stderr, flush=True)


class Watch:
    """The files a preview watches, by polling their modification time and size.

    ``wait`` returns ``'document'`` when the document changed and ``'restart'`` when
    anything else did (the package's code, the data, a module or file the kernel read).
    A file deleted is said once, and watched for its return.
    """

    def __init__(self, document: Path, package: Path, *, tell: Callable[[str], None] = _say):
        self.tell = tell
        self.document = document
        self.package = package
        self.trees: tuple[Path, ...] = (package,)
        self.files: tuple[Path, ...] = ()
        self._doc = self._stat(document)
        self._others = self._scan()

    def follow(self, read: tuple[str, ...]) -> None:
        """Watch, besides the package, what the kernel read: its data packages whole, its
        modules and the files in the document's folder."""
        from ..render._cache import data_packages

        packages = data_packages(read)
        folder = self.document.parent
        files = [Path(p) for p in read
                 if not any(Path(p).is_relative_to(t) for t in (self.package, *packages))
                 and (p.endswith(".py") or Path(p).is_relative_to(folder)) and Path(p) != self.document]
        self.trees = (self.package, *packages)
        self.files = tuple(files)
        # what was watched keeps the state it had before the render: a change made while
        # the render ran is seen by the next wait
        self._others = {path: self._others.get(path, state) for path, state in self._scan().items()}

    @staticmethod
    def _stat(path: Path) -> tuple[int, int, int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def _scan(self) -> dict[Path, tuple[int, int, int] | None]:
        seen: dict[Path, tuple[int, int, int] | None] = {p: self._stat(p) for p in self.files}
        for tree in self.trees:
            for folder, dirs, names in os.walk(tree):
                dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
                for name in names:
                    if not name.startswith(".") and not name.endswith((".pyc", "~")):
                        path = Path(folder) / name
                        seen[path] = self._stat(path)
        return seen

    def _settled(self, doc: tuple[int, int, int] | None, stop: threading.Event) -> tuple[int, int, int] | None:
        """The document's state once a save is over: unchanged over one more poll (an editor, or a
        program, may write a file in more than one step; a render of the half-written file would
        be followed by a second one), for at most :data:`SETTLE_POLLS` polls."""
        for _ in range(SETTLE_POLLS):
            if stop.wait(DOCUMENT_POLL):
                break
            again = self._stat(self.document)
            if again == doc:
                break
            doc = again
        return doc

    def wait(self, stop: threading.Event) -> str | None:
        """Block until something watched changes (see the class docstring); ``None`` once ``stop`` is set."""
        next_tree = time.monotonic() + TREE_POLL
        while not stop.wait(DOCUMENT_POLL):
            doc = self._stat(self.document)
            if doc != self._doc:
                doc = self._settled(doc, stop)
                self._doc = doc
                if doc is None:
                    self.tell(f"{self.document} was deleted; the page stays as it was until the file is back")
                    continue
                return "document"
            if time.monotonic() < next_tree:
                continue
            next_tree = time.monotonic() + TREE_POLL
            now = self._scan()
            if now != self._others:
                changed = sorted({p for p in now.keys() | self._others.keys() if now.get(p) != self._others.get(p)})
                gone = [p for p in changed if now.get(p) is None and self._others.get(p) is not None]
                for path in gone:
                    self.tell(f"{path} was deleted")
                self._others = now
                shown = ", ".join(str(p) for p in changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3
                                                                  else "")
                self.tell(f"changed: {shown}: restarting the kernel")
                return "restart"
        return None


class _Renderer(threading.Thread):
    """The render thread: renders, then waits for a change, until asked to stop."""

    def __init__(self, session: Any, page: Any, stop: threading.Event, verbose: bool):
        super().__init__(name="sbm-stats-preview-render", daemon=True)
        self.session = session
        self.page = page
        self.stop = stop
        self.verbose = verbose
        #: what ended the thread other than a stop (a bug): raised again by the main thread
        self.failure: BaseException | None = None
        #: set when the thread has shut the session down (the main thread waits on this, not on
        #: join(): a join interrupted by Ctrl-C leaves the thread looking finished, Python 3.11)
        self.done = threading.Event()

    def run(self) -> None:
        import sbm_stats

        try:
            watch = Watch(self.session.path, Path(sbm_stats.__file__).resolve().parent, tell=self._tell)
            what: str | None = "document"
            while what is not None and not self.stop.is_set():
                if what == "restart":
                    self.session.restart()
                self._render(watch)
                what = watch.wait(self.stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which reports it
            self.failure = exc
        finally:
            try:
                self.session.close()
            finally:
                self.done.set()

    def _tell(self, text: str) -> None:
        """Say ``text`` on the terminal and in the status (``message``)."""
        _say(text)
        self.page.note(message=text)

    def _render(self, watch: Watch) -> None:
        from . import internal_error_text, os_error_text

        self.page.note(state="rendering")
        start = time.perf_counter()
        try:
            result = self.session.render()
        except Exception as exc:  # the preview keeps serving the last good page, whatever failed
            if self.stop.is_set():
                return
            if isinstance(exc, SbmStatsError):
                message = str(exc)
            elif isinstance(exc, OSError):
                message = os_error_text(exc)
            else:
                message = internal_error_text(exc)
            _say(f"the render failed; the page keeps the last good render, with the error:\n{message}")
            self.page.fail(message, {"seconds": round(time.perf_counter() - start, 3),
                                     "kernel_pid": self.session.kernel_pid})
        else:
            status = {"mode": result.mode, "reason": result.reason, "cells_run": result.cells_run,
                      "seconds": round(result.seconds, 3), "kernel_pid": self.session.kernel_pid}
            self.page.show(result.html, dict(result.images), status)
            watch.follow(result.files)
            pid = f" (kernel pid {self.session.kernel_pid})" if self.verbose and self.session.kernel_pid else ""
            _say(f"page ready in {result.seconds:.2f} s: {result.reason}{pid}")


def _preview(args: argparse.Namespace) -> int:
    from ..render._preview import PreviewSession
    from ..render._progress import Progress
    from ._live import LivePage, LiveServer

    params = dict(parse_param(p) for p in args.param)
    session = PreviewSession(args.path, params=params, timeout=args.timeout, resource_path=args.resource_path,
                             progress=Progress(quiet=not args.verbose))
    page = LivePage(title=session.path.name)
    try:
        server = LiveServer((args.host, args.port), page, verbose=args.verbose)
    except OSError as exc:
        session.close()
        reason = exc.strerror or str(exc)
        raise PreviewError(
            f"cannot serve on {args.host} port {args.port} ({reason}): "
            + ("choose another --port, or leave it out for a free one" if args.port else
               "--host must be an address of this machine, such as 127.0.0.1")) from None
    host, port = server.server_address[:2]
    url = f"http://{f'[{host}]' if ':' in str(host) else host}:{port}/"
    stop = threading.Event()
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                               name="sbm-stats-preview-server", daemon=True)
    renderer = _Renderer(session, page, stop, args.verbose)
    try:
        serving.start()
        renderer.start()
        # the address once both threads run, inside this block: a Ctrl-C that follows it (a
        # reader's, or a test's that waits for this line) ends in the finally below, which
        # removes the session's files (a Ctrl-C between the line and the block left them)
        print(f"sbm-stats preview: serving {session.path.name} on {url} (Ctrl-C stops)", flush=True)
        if args.browser:
            import webbrowser

            webbrowser.open(url)
        while not renderer.done.wait(0.5):
            pass
    finally:
        stop.set()
        session.kill()  # now, and any kernel a render is starting: a chunk may run for minutes
        if renderer.ident is None:  # stopped before the render thread began: nothing else closes it
            session.close()
        renderer.done.wait(STOP_GRACE if renderer.ident is not None else 0)  # the thread removes the files
        if serving.ident is not None:
            server.stop()
        else:
            server.server_close()
        _say("stopped")
    if renderer.failure is not None:
        raise renderer.failure
    return 0
