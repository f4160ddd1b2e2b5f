"""The web server of ``sbm-stats preview``: the page, its images, and a reload signal.

Standard library only (``http.server``'s ``ThreadingHTTPServer``, one thread per
connection). Routes:

- ``/``: the last page rendered, with a short script added (only here, never in a
  published page) that listens on ``/__events`` and, when a new render is ready, puts
  the new page's body in place of the old one (or reloads the page, when more than the
  body changed); after a failed render, the last good page with an error banner on top
  (or a bare page with the banner when no render has succeeded yet);
- ``/__events``: server-sent events: ``event: reload`` whenever the page changes, and a
  comment every 15 s that keeps the connection open;
- ``/__status``: what the last render did, as JSON (for the terminal's user and tests);
- the page's images, by the links the page gives them (each with ``?v=<digest of the
  image>`` added, so that a figure drawn anew has a new link).

A Content-Security-Policy ``<meta>`` of the page (which forbids scripts in a published
page) is taken out of the served copy and sent as a header instead, with ``script-src``
allowing this preview's script by a nonce (new on every request) and ``connect-src`` and
``img-src`` allowing the server itself. A browser that goes away mid-answer is not an
error.
"""

from __future__ import annotations

import hashlib
import html as _html
import json
import re
import secrets
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["LivePage", "LiveServer", "decorate"]

#: Seconds between the comments that keep an idle event stream open.
KEEPALIVE = 15.0

_CSP_META_RE = re.compile(
    r"""<meta\b[^>]*\bhttp-equiv\s*=\s*["']?content-security-policy["']?[^>]*>""", re.IGNORECASE)
_CONTENT_RE = re.compile(r"""\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_BODY_RE = re.compile(r"<body\b[^>]*>", re.IGNORECASE)

# On a new render, the new page's body takes the place of this one (no blank page, the
# scroll position kept); when anything else changed (the head: title, styles; the
# language) or anything fails, the page reloads. The new body's own script is dropped
# (this one goes on listening). Images have content-addressed links, so a figure drawn
# anew is fetched anew.
_SCRIPT = """<script nonce="{nonce}">
(function () {{
  function styleBanner() {{
    var banner = document.getElementById("sbm-preview-error");
    if (!banner) return;
    var s = banner.style;
    s.position = "sticky"; s.top = "0"; s.zIndex = "1000"; s.margin = "0 0 1em 0";
    s.padding = "0.5em 1em"; s.maxHeight = "40vh"; s.overflow = "auto";
    s.background = "#fdecea"; s.color = "#611a15"; s.border = "2px solid #b3261e";
    banner.querySelector("pre").style.whiteSpace = "pre-wrap";
  }}
  function reload() {{ events.close(); location.reload(); }}
  function swap() {{
    fetch(location.pathname, {{cache: "no-store"}}).then(function (response) {{
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    }}).then(function (text) {{
      var next = new DOMParser().parseFromString(text, "text/html");
      if (next.head.innerHTML !== document.head.innerHTML
          || next.documentElement.lang !== document.documentElement.lang) {{ reload(); return; }}
      next.body.querySelectorAll("script").forEach(function (script) {{ script.remove(); }});
      document.body.replaceWith(document.importNode(next.body, true));
      styleBanner();
    }}).catch(reload);
  }}
  styleBanner();
  var events = new EventSource("/__events?version={version}");
  events.addEventListener("reload", swap);
}})();
</script>
"""


def _policy(meta_policy: str | None, nonce: str) -> str:
    """The page's policy with this preview's script, its event stream and its images allowed."""
    directives: dict[str, list[str]] = {}
    for part in (meta_policy or "").split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), words[1:])
    directives["script-src"] = [f"'nonce-{nonce}'"]
    for name in ("connect-src", "img-src"):
        if name in directives or "default-src" in directives:
            sources = [s for s in directives.get(name, directives.get("default-src", [])) if s != "'none'"]
            directives[name] = list(dict.fromkeys([*sources, "'self'", *(["data:"] if name == "img-src" else [])]))
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def decorate(page: bytes, *, version: int, error: str | None,
             images: Mapping[str, str] | None = None) -> tuple[bytes, str]:
    """The served copy of ``page``: the reload script, the error banner, image links that name
    their content (``images``: link -> digest); and its CSP header.

    Examples
    --------
    >>> body, csp = decorate(b'<html><head><meta http-equiv="Content-Security-Policy" '
    ...                      b'content="default-src \\'none\\'; script-src \\'none\\'"></head>'
    ...                      b'<body><p>Text</p></body></html>', version=3, error="a <b>bad</b> chunk")
    >>> b"Content-Security-Policy" in body, b'EventSource("/__events?version=3")' in body
    (False, True)
    >>> b"a &lt;b&gt;bad&lt;/b&gt; chunk" in body
    True
    >>> csp.startswith("default-src 'none'; script-src 'nonce-"), "connect-src 'self'" in csp
    (True, True)
    """
    text = page.decode("utf-8")
    metas = _CSP_META_RE.findall(text)
    meta_policy = None
    for meta in metas:
        found = _CONTENT_RE.search(meta)
        if found:
            meta_policy = _html.unescape(found.group(1) if found.group(1) is not None else found.group(2))
        text = text.replace(meta, "")
    nonce = secrets.token_urlsafe(16)
    banner = ""
    if error:
        banner = ('<div id="sbm-preview-error" role="alert"><strong>sbm-stats preview: the last render failed; '
                  'this is the last page that rendered.</strong><pre>'
                  f"{_html.escape(error)}</pre></div>\n")
    for src, digest in (images or {}).items():  # pandoc writes every attribute in double quotes, escaped
        written = src.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        text = text.replace(f'src="{written}"', f'src="{written}?v={digest}"')
    script = _SCRIPT.format(nonce=nonce, version=version)
    body = _BODY_RE.search(text)
    if body:
        text = text[:body.end()] + "\n" + banner + text[body.end():]
    else:
        text = banner + text
    at = text.lower().rfind("</body>")
    text = text[:at] + script + text[at:] if at >= 0 else text + script
    return text.encode("utf-8"), _policy(meta_policy, nonce)


def placeholder(title: str, message: str) -> bytes:
    """A bare page for the time before the first render succeeds."""
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{_html.escape(title)}</title>'
            f"</head><body><p>{_html.escape(message)}</p></body></html>\n").encode("utf-8")


@dataclass
class LivePage:
    """What the server shows; changed by the render thread, read by the connections (thread-safe)."""

    title: str
    html: bytes | None = None
    images: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    version: int = 0
    status: dict[str, Any] = field(default_factory=lambda: {"state": "rendering"})
    closed: bool = False
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def show(self, html: bytes, images: dict[str, tuple[bytes, str]], status: dict[str, Any]) -> None:
        """A new page: shown, and every browser told to reload."""
        with self._changed:
            self.html, self.images, self.error = html, dict(images), None
            self.digests = {src: hashlib.sha256(data).hexdigest()[:16] for src, (data, _) in images.items()}
            self._bump({**status, "state": "ready"})

    def fail(self, message: str, status: dict[str, Any]) -> None:
        """A render failed: the last good page stays, under a banner with ``message``."""
        with self._changed:
            self.error = message
            self._bump({**status, "state": "failed", "error": message})

    def note(self, **status: Any) -> None:
        """Update the status without changing the page (e.g. ``state='rendering'``)."""
        with self._changed:
            self.status = {**self.status, **status}

    def _bump(self, status: dict[str, Any]) -> None:
        self.version += 1
        self.status = {**status, "version": self.version}
        self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Block until the version is past ``seen``, the page is closed, or ``timeout`` passes."""
        with self._changed:
            self._changed.wait_for(lambda: self.version > seen or self.closed, timeout)
            return self.version

    def snapshot(self) -> tuple[bytes, str | None, int, dict[str, str]]:
        with self._changed:
            html = self.html if self.html is not None else placeholder(self.title, f"Rendering {self.title} …")
            return html, self.error, self.version, self.digests


class _Handler(BaseHTTPRequestHandler):
    server: LiveServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        page = self.server.page
        url = urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            html, error, version, digests = page.snapshot()
            body, policy = decorate(html, version=version, error=error, images=digests)
            self._send(HTTPStatus.OK, body, "text/html; charset=utf-8", Content_Security_Policy=policy)
        elif url.path == "/__status":
            with page._changed:
                status = dict(page.status)
            body = json.dumps(status, ensure_ascii=False, indent=1).encode("utf-8")
            self._send(HTTPStatus.OK, body, "application/json; charset=utf-8")
        elif url.path == "/__events":
            seen = parse_qs(url.query).get("version", ["0"])[0]
            self._events(int(seen) if seen.isascii() and seen.isdigit() else 0)  # "²" is a digit to isdigit, not to int
        else:
            # by the link as the page gives it, or as the document wrote it ("fig 1.png" is
            # asked for as "fig%201.png")
            link = url.path.lstrip("/")
            image = page.images.get(link) or page.images.get(unquote(link))
            if image is None:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
            else:
                self._send(HTTPStatus.OK, image[0], image[1])

    def _events(self, seen: int) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        self.wfile.write(b": connected\n\n")
        self.wfile.flush()
        page = self.server.page
        while not page.closed and not self.server.stopping.is_set():
            version = page.wait(seen, KEEPALIVE)
            if page.closed:
                break
            if version > seen:
                self.wfile.write(f"event: reload\ndata: {version}\n\n".encode())
                seen = version
            else:
                self.wfile.write(b": ping\n\n")
            self.wfile.flush()


class LiveServer(ThreadingHTTPServer):
    """The preview's HTTP server on ``(host, port)`` (port 0: one the system picks)."""

    daemon_threads = True
    # SO_REUSEADDR: a port left in TIME_WAIT by the last preview can be taken again; on Linux a
    # port another socket listens on still fails (EADDRINUSE), as it must
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], page: LivePage, *, verbose: bool = False):
        self.page = page
        self.verbose = verbose
        self.stopping = threading.Event()
        if ":" in address[0]:  # an IPv6 address, e.g. --host ::1
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that went away is not an error; anything else is one line, not a traceback."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)) or self.stopping.is_set():
            return
        print(f"sbm-stats preview: a request from {client_address[0]} failed: {type(exc).__name__}: {exc}",
              file=sys.stderr, flush=True)

    def stop(self) -> None:
        """Stop serving and end the event streams."""
        self.stopping.set()
        self.page.close()
        self.shutdown()
        self.server_close()
