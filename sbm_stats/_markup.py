"""Text from a data package as markup: the one place that makes it literal.

Every string a data package holds is hostile: a citation, a municipality's name, a
stage's label or a verbal quantity may hold raw HTML, a pandoc raw attribute
(`` `#read("x")`{=typst} ``), math, emphasis, a link, a heading or a shortcode. The
report inserts such text into pandoc markdown, which pandoc writes as HTML, Typst and
WordprocessingML; so each piece of text goes through one of these helpers first:

- :func:`escape_markdown`: text as markdown that shows it literally, in every format;
- :func:`markdown_attribute`: text as a quoted attribute value of a span or div;
- :func:`markdown_code`: text as an inline code span;
- :func:`markdown_link`: a link whose target is a URL from data, or the text alone
  when the URL is not ``http``/``https`` (:func:`link_target`);
- :func:`drop_unsafe_characters`: text without the characters no output may hold
  (control characters, U+FFFE, U+FFFF, lone surrogates), for a writer of raw HTML,
  Typst or XML.

Markdown that a caller writes on purpose (a list, a link built here) is marked as
trusted where it is made (:func:`sbm_stats.report.formatting.trusted_markdown`); text
is escaped by default.

Examples
--------
>>> print(escape_markdown("<b>*fet*</b> $x$"))
\\<b\\>\\*fet\\*\\<\\/b\\> \\$x\\$
>>> link_target(" JaVaScRiPt:alert(1)") is None, link_target("HTTPS://example.org/a")
(True, 'https://example.org/a')
"""

from __future__ import annotations

import re
import string
from urllib.parse import urlsplit

__all__ = ["UNSAFE", "drop_unsafe_characters", "escape_markdown", "link_target", "markdown_attribute", "markdown_code",
           "markdown_link"]

#: Characters no output gets: C0 controls but tab, line feed and carriage return (XML 1.0
#: allows only those), DEL and the C1 controls, lone surrogates, U+FFFE and U+FFFF.
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: (A data package's reader refuses the same characters: :data:`sbm_stats.data._characters.FORBIDDEN`.)
_UNSAFE = UNSAFE
#: Markdown's whitespace and line ends: one space instead (a line break or a blank line
#: would end the paragraph, four spaces at a line's start make a code block).
_WHITESPACE = re.compile("[ \t\n\r\f\v\u2028\u2029]+")
#: Line ends: a space each in an attribute value (a blank line would end it).
_LINE_ENDS = re.compile("[\n\r\f\v\u2028\u2029]")
#: Every ASCII punctuation character: pandoc's markdown takes each, backslash-escaped, as
#: itself (extension ``all_symbols_escapable``), so escaping them all leaves no syntax,
#: and no smart punctuation (``--``, ``...``, straight quotes), whatever the context.
_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
#: What pandoc reads in a quoted attribute value: a backslash escape, its end, a character
#: reference; and "|", which would end a pipe table's cell that holds the span.
_ATTRIBUTE_SPECIAL = re.compile(r'([\\"&|])')
#: What a browser strips from the ends of a URL before it reads the scheme.
_URL_ENDS = "".join(chr(c) for c in range(0x21)) + "\x7f"
#: What a browser removes anywhere in a URL (WHATWG URL standard: ASCII tab and newline).
_URL_TABS = re.compile("[\t\n\r]")
_LINK_SCHEMES = frozenset({"http", "https"})


def drop_unsafe_characters(text: str) -> str:
    """``text`` without control characters (but tab, LF, CR), U+FFFE, U+FFFF and lone surrogates.

    None of them is text a reader should get, and XML (a Word document's
    ``document.xml``) may not hold them at all.

    >>> drop_unsafe_characters("a\\x00b\\ufffec\\x1bd\\ud800")
    'abcd'
    """
    return _UNSAFE.sub("", text)


def escape_markdown(text: str) -> str:
    r"""``text`` as pandoc markdown that shows it literally, in one line.

    Every ASCII punctuation character is backslash-escaped, so that nothing in the
    text is markup: no raw HTML or raw attribute, math, emphasis, link, citation
    (``@``), heading, list, table, shortcode or typographic quote. A run of spaces,
    tabs and line breaks becomes one space (as pandoc and every browser show it; a
    paragraph of text stays one inline run, and no indentation makes a code block),
    and the characters of :func:`drop_unsafe_characters` are dropped.

    >>> escape_markdown("Malmö (stad) – 2014")
    'Malmö \\(stad\\) – 2014'
    """
    text = _WHITESPACE.sub(" ", drop_unsafe_characters(str(text)))
    return _PUNCTUATION.sub(r"\\\1", text)


def markdown_attribute(value: str) -> str:
    """``value`` as a double-quoted attribute value of a pandoc span or div.

    Inside quotes pandoc reads backslash escapes and character references, and
    nothing else: with ``\\``, ``"`` and ``&`` escaped (and ``|``, for a span in a pipe
    table's cell) the value is read back as it is (its line ends as spaces, without the
    characters of :func:`drop_unsafe_characters`).

    >>> print(markdown_attribute('a"b} &amp;'))
    "a\\"b} \\&amp;"
    """
    text = _LINE_ENDS.sub(" ", drop_unsafe_characters(str(value)))
    return '"' + _ATTRIBUTE_SPECIAL.sub(r"\\\1", text) + '"'


def markdown_code(text: str) -> str:
    """``text`` as an inline code span, shown as written (in one line, without unsafe characters).

    Its fence is one backtick longer than the longest run of backticks in the text, so
    that nothing in it ends the span early. (What follows the span is the caller's:
    ``{=html}`` right after it would make it raw.)

    >>> print(markdown_code("a``b"))
    ```a``b```
    """
    text = _WHITESPACE.sub(" ", drop_unsafe_characters(str(text)))
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def link_target(url: object) -> str | None:
    """A URL from data as a link target, or None when it may not be one.

    Only an absolute ``http`` or ``https`` URL with a host is a link. The URL is
    read as a browser reads it: without the spaces and control characters at its
    ends and the tabs and line breaks inside it, its scheme in any case. A URL with
    whitespace or an unsafe character left inside, or that ``urllib.parse`` cannot
    split, is not a link. The target returned has its scheme in lower case.

    >>> link_target("https://www.boverket.se/sv/"), link_target("data:text/html,x")
    ('https://www.boverket.se/sv/', None)
    """
    if not isinstance(url, str):
        return None
    text = _URL_TABS.sub("", url).strip(_URL_ENDS)
    if any(c.isspace() for c in text) or _UNSAFE.search(text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:  # an unbalanced "[" in the host, or a port that is not a number
        return None
    if parts.scheme.lower() not in _LINK_SCHEMES or not host:
        return None
    return parts.scheme.lower() + text[len(parts.scheme):]


def markdown_link(text: str, url: object) -> str:
    """``text`` linked to ``url`` when that is an http(s) URL (:func:`link_target`), else ``text`` alone.

    Both are escaped: the text as text, the target so that pandoc reads it back as
    it is (backslash escapes hold inside a link's target too).

    >>> print(markdown_link("boverket.se", "https://www.boverket.se/"))
    [boverket\\.se](<https\\:\\/\\/www\\.boverket\\.se\\/>)
    >>> markdown_link("x", "javascript:alert(1)")
    'x'
    """
    target = link_target(url)
    if target is None:
        return escape_markdown(text)
    return f"[{escape_markdown(text)}](<{escape_markdown(target)}>)"
