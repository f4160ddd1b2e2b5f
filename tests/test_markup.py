"""Text from data is text: the escaping helpers and the link rule (sbm_stats._markup).

What pandoc reads is checked with pandoc itself (pypandoc's binary, the one the render
uses): escaped text must come back as the same string, made of plain words and spaces
only, with no element of markup.
"""

from __future__ import annotations

import json
import re
import string

import pypandoc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sbm_stats._markup import (
    drop_unsafe_characters,
    escape_markdown,
    link_target,
    markdown_attribute,
    markdown_code,
    markdown_link,
)
from sbm_stats.report.formatting import Markdown, cap, shown, trusted_markdown

#: Markup and code a data package may hold (issue 18), and text that merely looks like it.
HOSTILE = [
    "Socialstyrelsen <svg onload=alert(document.domain)></svg>",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "`#text(fill: red)[TYPST-INJECTED #(6*7)]`{=typst}",
    "`#read(\"report.typ\")`{=typst}",
    "`</w:t></w:r></w:p><w:p>`{=openxml}",
    "`<b>RAW</b>`{=html}",
    "$x^2$ och $$y$$",
    "*fet* **fetare** _kursiv_ ~sub~ ^sup^ ~~struken~~",
    "[länk](javascript:alert(1)) ![bild](x.png) <https://example.org>",
    "[text]{.klass data-x=\"1\"} @tbl-design [@cit]",
    "{{< pagebreak >}}",
    "# Rubrik",
    "- punkt",
    "1. punkt",
    "2014. Året",
    "> citat",
    "| a | b |",
    "::: {.callout-warning}",
    "&lt;b&gt; &amp; &#60;",
    "a -- b --- c ... 'enkla' \"dubbla\"",
    "bakåtstreck \\ och \\\\ och \\*",
    "    indraget som kod",
    "rad ett\nrad två\n\n# rubrik efter tom rad",
    "Malmö\u00a0stad – 16\u00a0386 ”citat”",
]


def _read(markdown: str) -> list[dict]:
    """The blocks pandoc's markdown reader makes of ``markdown`` (as the render reads it)."""
    return json.loads(pypandoc.convert_text(markdown, "json", format="markdown"))["blocks"]


def _words(inlines: list[dict]) -> str:
    """The text of inlines that must be plain words and spaces; anything else fails."""
    out = []
    for node in inlines:
        assert node["t"] in {"Str", "Space"}, f"markup in escaped text: {node}"
        out.append(node["c"] if node["t"] == "Str" else " ")
    return "".join(out)


def _shown(text: str) -> str:
    """What a reader should see of ``text``: unsafe characters dropped, whitespace runs as one space."""
    return " ".join(re.split(r"[ \t\n\r\u2028\u2029]+", drop_unsafe_characters(text))).strip(" ")


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_is_read_back_as_the_same_words(text):
    blocks = _read(escape_markdown(text))
    assert [b["t"] for b in blocks] == ["Para"]
    assert _words(blocks[0]["c"]) == _shown(text)


#: Any character, markdown's own far more often than chance would give them, and the unsafe ones.
_CHARACTERS = st.one_of(st.characters(exclude_categories=()), st.sampled_from(
    list(string.punctuation) + [" ", "\n", "\t", "\r", "\x00", "\x1b", "\ufffe", "\ud800", "\u00a0"]))


@given(st.lists(st.text(_CHARACTERS, min_size=1, max_size=40), min_size=1, max_size=25))
@settings(max_examples=100, deadline=None)
def test_any_text_escaped_is_read_back_as_itself(texts):
    """One pandoc run per example: each text a paragraph of its own."""
    texts = [t for t in texts if _shown(t)]
    if not texts:
        return
    blocks = _read("\n\n".join(escape_markdown(t) for t in texts))
    assert [b["t"] for b in blocks] == ["Para"] * len(texts)
    assert [_words(b["c"]) for b in blocks] == [_shown(t) for t in texts]


@pytest.mark.parametrize("value", ['a"b', "x\\", "&amp; &#60;", "}{.c}", "rad\nny", "\\\"\\"])
def test_attribute_value_is_read_back_as_written(value):
    span = _read(f"[x]{{.c k={markdown_attribute(value)}}}")[0]["c"][0]
    assert span["t"] == "Span"
    assert dict(span["c"][0][2])["k"] == value.replace("\n", " ")


def test_a_span_in_a_pipe_table_cell_keeps_its_attribute():
    table = f"| a | b |\n|---|---|\n| [x]{{.c k={markdown_attribute('1|2')}}} | y |\n"
    [block] = _read(table)
    assert block["t"] == "Table"
    cells = [cell for row in block["c"][4][0][3] for cell in row[1]]
    assert len(cells) == 2
    span = cells[0][4][0]["c"][0]
    assert span["t"] == "Span" and dict(span["c"][0][2])["k"] == "1|2"


@pytest.mark.parametrize("text", ["socstyr_2015", "a`b", "``", "`x", "x`{=html}"])
def test_code_span_shows_its_text(text):
    code = _read(f"{markdown_code(text)}: text")[0]["c"][0]
    assert code["t"] == "Code"
    assert code["c"][1] == text


@pytest.mark.parametrize("url, target", [
    ("https://www.boverket.se/sv/", "https://www.boverket.se/sv/"),
    ("http://archileaks.se/wiki/x/", "http://archileaks.se/wiki/x/"),
    ("HTTPS://Example.org/A", "https://Example.org/A"),
    ("  https://example.org/\n", "https://example.org/"),
    ("https://exa\tmple.org/", "https://example.org/"),  # a browser drops tabs and newlines anywhere
    ("javascript:alert(1)", None),
    (" JaVaScRiPt:alert(1)", None),
    (" JaVaScRiPt :alert(1)", None),
    ("java\tscript:alert(1)", None),
    ("\x01javascript:alert(1)", None),
    ("data:text/html,<script>alert(1)</script>", None),
    ("vbscript:msgbox(1)", None),
    ("file:///etc/passwd", None),
    ("relative/page.html", None),
    ("//example.org/no-scheme", None),
    ("/absolute/path", None),
    ("https:", None),
    ("https:///no-host", None),
    ("https://[::1", None),  # urllib.parse refuses it
    ("https://example.org/a b", None),
    ("", None),
    (None, None),
    (float("nan"), None),
])
def test_only_http_and_https_urls_are_links(url, target):
    assert link_target(url) == target


@pytest.mark.parametrize("url", ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,x", "x.html"])
def test_a_link_to_anything_else_is_its_text(url):
    blocks = _read(markdown_link("boverket.se", url))
    assert _words(blocks[0]["c"]) == "boverket.se"


def test_a_link_to_an_http_url_keeps_its_target():
    url = "https://example.org/a_(b)?q=1&amp;x='y'<z>"
    link = _read(markdown_link("*exempel*", url))[0]["c"][0]
    assert link["t"] == "Link"
    assert _words(link["c"][1]) == "*exempel*"
    # as written, but for "<" and ">", which pandoc's reader percent-encodes in any link target
    assert link["c"][2][0] == url.replace("<", "%3C").replace(">", "%3E")


def test_unsafe_characters_are_dropped():
    text = "a\x00b\x08c\x0bd\x1fe\x7ff\x85g\x9fh\ud800i\udfffj\ufffek\uffffl\tm\nn\ro"
    assert drop_unsafe_characters(text) == "abcdefghijkl\tm\nn\ro"


def test_markdown_is_text_unless_trusted():
    assert Markdown("*Åre*")._repr_markdown_() == "\\*Åre\\*"
    assert f"{Markdown('*Åre*'):md}" == "\\*Åre\\*" and f"{Markdown('*Åre*')}" == "*Åre*"
    assert trusted_markdown("*Åre*")._repr_markdown_() == "*Åre*"
    assert cap(trusted_markdown("*åre*"))._repr_markdown_() == "*åre*".capitalize()
    assert cap(Markdown("_åre_"))._repr_markdown_() == "\\_åre\\_"

    @shown
    def name() -> str:
        return "<b>Åre</b>"

    assert name()._repr_markdown_() == "\\<b\\>Åre\\<\\/b\\>"


def test_figure_labels_from_data_are_text_not_mathtext():
    """A label with '$' (a question, a county from data) is drawn as written: no mathtext, and an
    unbalanced one does not fail the figure."""
    from sbm_stats.report import plots

    figure = plots.forest(["$x^2$ och $\\frac{", "Åre"], [0.5, 0.3], [0.4, 0.2], [0.6, 0.4])
    assert figure._repr_png_().startswith(b"\x89PNG")
    labels = figure.figure.axes[0].get_yticklabels()
    assert [t.get_text() for t in labels] == ["$x^2$ och $\\frac{", "Åre"]
    assert not any(t.get_parse_math() for t in labels)
