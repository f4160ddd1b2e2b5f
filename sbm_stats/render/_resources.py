"""What a document may pull into its outputs: images only, from allowed folders only.

Pandoc reads every image a document names (``![](path)``, and with
``--embed-resources`` the ``src``/``href`` of raw HTML ``<img>``, ``<link>``,
``<script>`` ...) into the HTML and Word files. A document could so copy any
readable file (``![](/etc/shadow)``) into a report that is then published.
Before the writers run, every local file the document tree names is checked:

- it must lie inside one of the allowed folders (by default the document's own
  folder tree; the author allows more with ``--resource-path``), after
  symbolic links are resolved;
- it must be an image: PNG, JPEG, GIF, WebP, PDF or SVG, judged by its first
  bytes, not by its name.

The figures the render itself writes are allowed as they are.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ._errors import RenderError

__all__ = ["Resource", "document_resources", "html_resources", "check_resource", "image_kind"]

#: Raw HTML attributes through which pandoc's ``--embed-resources`` reads a file.
_HTML_RESOURCES = {
    "img": ("src",), "link": ("href",), "script": ("src",), "source": ("src",),
    "video": ("src", "poster"), "audio": ("src",), "embed": ("src",), "iframe": ("src",),
    "object": ("data",), "input": ("src",), "track": ("src",),
}


@dataclass(frozen=True)
class Resource:
    """A file named by the document: where, and how (``image``, or ``<tag attr>`` of raw HTML)."""

    target: str
    how: str


class _RawHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Resource] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in _HTML_RESOURCES.get(tag, ()) and value:
                self.found.append(Resource(value, f"<{tag} {name}>"))


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "t" in node:
            yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def document_resources(tree: dict[str, Any]) -> list[Resource]:
    """Every file a pandoc JSON document names: images, and resources of raw HTML."""
    found = []
    for node in _walk(tree.get("blocks", [])):
        if node["t"] == "Image":
            found.append(Resource(node["c"][2][0], "image"))
        elif node["t"] in ("RawInline", "RawBlock") and node["c"][0] == "html":
            found.extend(html_resources(node["c"][1]))
    return found


def html_resources(html: str) -> list[Resource]:
    """The files a piece of raw HTML names (through the attributes of :data:`_HTML_RESOURCES`)."""
    parser = _RawHtml()
    parser.feed(html)
    parser.close()
    return parser.found


def is_remote(target: str) -> bool:
    """A URL with a scheme (``https:``, ``data:``) or a fragment: not a local file."""
    head = target.split("/", 1)[0]
    return target.startswith("#") or (":" in head and len(head.split(":", 1)[0]) > 1)


def image_kind(path: Path) -> str | None:
    """The image format of a file judged by its first bytes, or None if it is not one."""
    with open(path, "rb") as handle:
        head = handle.read(2048)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    try:
        text = head.decode("utf-8-sig").lstrip()
    except UnicodeDecodeError:
        return None
    if text.startswith("<") and "<svg" in text:
        return "svg"
    return None


def _line_of(source: Path, target: str) -> int | None:
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    return next((n for n, text in enumerate(lines, 1) if target in text), None)


def check_resource(resource: Resource, *, base_dir: Path, roots: tuple[Path, ...], source: Path) -> Path:
    """The file ``resource`` names, after checking that the document may include it.

    Raises
    ------
    RenderError
        If the file is outside every allowed folder, missing, or not an image;
        the message names the document, the line, the path and what is allowed.
    """
    raw = unquote(resource.target)
    path = Path(raw)
    resolved = Path(os.path.realpath(path if path.is_absolute() else base_dir / path))
    line = _line_of(source, resource.target)
    where = f"{source.name}{f', line {line}' if line else ''}"
    allowed = ", ".join(str(r) for r in roots)
    if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
        raise RenderError(
            f"{where}: {resource.how} {resource.target!r} is outside the folders a document may "
            f"include files from ({allowed}); move the file there or allow its folder with --resource-path",
            path=str(source), line=line,
        )
    if not resolved.is_file():
        raise RenderError(f"{where}: {resource.how} {resource.target!r} does not exist or is not a file "
                          "(paths are relative to the .qmd file's folder)", path=str(source), line=line)
    if image_kind(resolved) is None:
        raise RenderError(
            f"{where}: {resource.how} {resource.target!r} is not an image; a document may include "
            "PNG, JPEG, GIF, WebP, SVG or PDF images only", path=str(source), line=line,
        )
    return resolved
