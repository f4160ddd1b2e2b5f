"""What a reader of the HTML sees as running text, for tests that read a rendered page.

The provenance of a traced value is opened on demand: a ``popover`` element after each
number, and after each table the list of its values (``details.sbm-values-of``). Neither
is running text, and neither is the page's ``<head>`` (styles, title). Text is returned
with its entities resolved and every run of white space (no-break spaces included) as
one space.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["reader_text"]

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_HIDDEN = {"head", "style", "script", "template"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth, self.out = 0, []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        hidden = (tag in _HIDDEN or "popover" in found
                  or "sbm-values-of" in (found.get("class") or "").split())
        if tag in _VOID:
            return
        if self.depth or hidden:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth and tag not in _VOID:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.out.append(data)


def reader_text(page: str) -> str:
    """The running text of the HTML ``page``, without the values' notes and lists (see the module)."""
    reader = _Reader()
    reader.feed(page)
    reader.close()
    return re.sub(r"[\s\u00a0\u202f]+", " ", "".join(reader.out)).strip()
