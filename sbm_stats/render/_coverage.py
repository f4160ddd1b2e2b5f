"""Which numbers a rendered HTML shows without their provenance.

:func:`number_coverage` reads the ``<main>`` element of a rendered HTML (prose,
lists, tables and captions) and finds every number a reader sees that is not
inside a traced value (``.sbm-value``, made by :mod:`sbm_stats.report.values`).

What counts as a number
    A run of digits, with no-break, narrow or ordinary spaces between groups of
    three (``16 386``), a decimal comma (``45,4``) and a leading minus sign
    (``−`` or ``-``): ``−1 234,5`` is one number. A dotted number (``2.1``) is one
    number too.

What is not counted (the exclusions, exactly)
    - **years**: four digits from 1900 to 2099 with no grouping and no decimals
      (``2014``; in ``2008–2013`` both parts are years);
    - **dates**: ISO dates (``2015-03-01``) and a day (1–31) followed by a Swedish
      month name (``1 mars``);
    - **section numbers**: the numbers of headings (``.header-section-number``)
      and a dotted or plain number after ``avsnitt`` / ``kapitel``;
    - **reference numbers**: the numbers of a bracketed citation holding only
      numbers, commas, dashes and spaces (``[14]``, ``[4–6]``, ``[5, 6, 11]``, also
      when the line breaks inside it), and the numbers of cross-references and
      caption heads (``Figur 1``, ``Tabell 2``, links to ``#fig-``, ``#tbl-``,
      ``#sec-``);
    - **identifiers of documents and laws**: the serial number after a year and a
      colon (``2001:453`` of a law in SFS, ``2014:36`` of a report series); a
      chapter or paragraph of a law (a number followed by ``kap.`` or ``§``:
      ``3 kap. 1 §``); a case number (diarienummer) after ``Dnr`` (``Dnr 831
      18032-14/121``), and a number joined by ``/`` to a letter in one word
      (``S2014/1394/SAM``);
    - **fixed names**: a number that is part of a name the report quotes, not a
      quantity it measures: the categories of Socialstyrelsen's definition of
      homelessness (``situation 3``) and the age bound in the name of the group
      ``barn under 18 år`` (``under N år``);
    - **the reference list**: an element of class ``references`` (as Quarto and
      pandoc mark a bibliography), whose numbers are titles, pages, versions and
      report numbers of other documents;
    - what a reader does not read as the report's text: code (``<code>``,
      ``<pre>``), the title block, the table of contents, text only for screen
      readers, the popovers of traced values, the list of a table's values after it
      (``details.sbm-values-of``) and the values appendix itself (``#sifferforteckning``),
      which repeat the traced values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["NumberCoverage", "UntracedNumber", "number_coverage"]

_NUMBER_RE = re.compile(r"(?<![\w.,])[−-]?\d+(?:\.\d+)+(?![\w])|(?<![\w,])[−-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+"
                        r"(?:,\d+)?(?![\d])|(?<![\w,])[−-]?\d+(?:,\d+)?(?![\d])")
_MONTHS = ("januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december")
_DAY_RE = re.compile(rf"\s+(?:{_MONTHS})\b", re.IGNORECASE)
_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BEFORE_SECTION_RE = re.compile(r"(?:avsnitt|kapitel)[\s\u00a0]+$", re.IGNORECASE)
_BEFORE_CAPTION_RE = re.compile(r"(?:Figur|Tabell|Figure|Table)[\s\u00a0]+$")
_BEFORE_SERIAL_RE = re.compile(r"(?<!\d)\d{4}:$")
_AFTER_LAW_RE = re.compile(r"[\s\u00a0]+(?:kap\.|§)")
_BEFORE_CASE_RE = re.compile(r"\bDnr[\s\u00a0]+[\d\s\u00a0/-]*$")
_BEFORE_NAME_RE = re.compile(r"\b[Ss]ituation[\s\u00a0]+$")
_AGE_NAME_RE = re.compile(r"\bunder[\s\u00a0]+$")
_AFTER_AGE_RE = re.compile(r"[\s\u00a0]+år\b")
_CITATION_INSIDE = re.compile(r"[\d\s\u00a0,–-]*")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_BLOCKS = {"p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "caption", "div", "dt", "dd",
           "blockquote", "tr"}
_SKIP_TAGS = {"script", "style", "pre", "code", "nav", "header", "svg", "math"}
_SKIP_CLASSES = {"header-section-number", "screen-reader-only", "sbm-value-note", "sbm-value-entry",
                 "sbm-value-sources", "sbm-values-of", "references"}
_CROSSREF_RE = re.compile(r"#(?:fig|tbl|sec)-")
_BREAK = "\u2063"  # invisible separator: text on either side never joins into one number


@dataclass(frozen=True)
class UntracedNumber:
    """A number shown without its provenance, and the text around it."""

    text: str
    context: str

    def __str__(self) -> str:
        return f"{self.text!r} in: …{self.context}…"


@dataclass(frozen=True)
class NumberCoverage:
    """How many numbers of a rendered HTML are traced, and every one that is not."""

    traced: int
    untraced: tuple[UntracedNumber, ...]

    @property
    def ok(self) -> bool:
        """True when every counted number is traced."""
        return not self.untraced

    def __str__(self) -> str:
        head = f"{self.traced} traced values, {len(self.untraced)} untraced numbers"
        return "\n".join([head, *(f"  - {u}" for u in self.untraced)])


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []   # (tag, skipped)
        self.parts: list[str] = []
        self.in_main = False
        self.traced = 0

    @property
    def skipped(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.in_main = True
        if tag in _VOID:
            return
        found = dict(attrs)
        classes = set((found.get("class") or "").split())
        skip = self.skipped or tag in _SKIP_TAGS or bool(classes & _SKIP_CLASSES) \
            or found.get("id") == "sifferforteckning" \
            or (tag == "a" and _CROSSREF_RE.match(found.get("href") or "") is not None)
        if "sbm-value" in classes and not self.skipped:
            self.traced += 1
            skip = True
        if skip and not self.skipped:
            self.parts.append(_BREAK)
        self.stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break
        if tag == "main":
            self.in_main = False
        if tag in _BLOCKS:
            self.parts.append("\n")
        elif not self.skipped:
            self.parts.append("")

    def handle_data(self, data: str) -> None:
        if self.in_main and not self.skipped:
            self.parts.append(data)


def _excluded(text: str, match: re.Match[str]) -> bool:
    token = match.group()
    before = text[max(0, match.start() - 12):match.start()]
    after = text[match.end():match.end() + 14]
    digits = token.lstrip("−-")
    if digits.isdigit() and len(digits) == 4 and 1900 <= int(digits) <= 2099 and token == digits:
        return True
    if _ISO_DATE_RE.fullmatch(text[match.start():match.start() + 10]) or \
            _ISO_DATE_RE.fullmatch(text[max(0, match.start() - 5):match.end() + 3]) or \
            _ISO_DATE_RE.fullmatch(text[max(0, match.start() - 8):match.end()]):
        return True
    if digits.isdigit() and 1 <= int(digits) <= 31 and _DAY_RE.match(after):
        return True
    if _BEFORE_SECTION_RE.search(before) or _BEFORE_CAPTION_RE.search(before):
        return True
    return _in_citation(text, match) or _identifier(text, match, before, after)


def _in_citation(text: str, match: re.Match[str]) -> bool:
    """True inside brackets holding only numbers, commas, dashes and spaces: ``[5, 6, 11]``."""
    opening = text.rfind("[", max(0, match.start() - 40), match.start())
    closing = text.find("]", match.end(), match.end() + 40)
    return opening >= 0 and closing >= 0 \
        and _CITATION_INSIDE.fullmatch(text[opening + 1:match.start()]) is not None \
        and _CITATION_INSIDE.fullmatch(text[match.end():closing]) is not None


def _identifier(text: str, match: re.Match[str], before: str, after: str) -> bool:
    """True for a law's or a document's number, or a number in a fixed name (see the module docstring)."""
    start = text.rfind(" ", 0, match.start()) + 1
    word = text[start:match.end() + 20].split(" ", 1)[0].split("\n", 1)[0]
    return bool(_BEFORE_SERIAL_RE.search(before) or _AFTER_LAW_RE.match(after)
                or _BEFORE_CASE_RE.search(text[max(0, match.start() - 30):match.start()])
                or ("/" in word and re.search(r"[A-Za-zÅÄÖåäö]", word))
                or _BEFORE_NAME_RE.search(before)
                or (_AGE_NAME_RE.search(before) and _AFTER_AGE_RE.match(after)))


def number_coverage(html: str) -> NumberCoverage:
    """Count the traced values of a rendered HTML and find every number shown untraced.

    Parameters
    ----------
    html : str
        A rendered HTML document (the builtin engine's, or Quarto's).

    Returns
    -------
    NumberCoverage
        ``traced``: the number of traced values shown (``.sbm-value`` elements);
        ``untraced``: every other number in ``<main>`` (see the module docstring
        for what is a number and what is not counted), with the text around it.

    Examples
    --------
    >>> page = ('<main><p>Ökningen var <button class="sbm-value">45,4 %</button> sedan 2008, '
    ...         'men 11 700 enligt Boverket [14].</p></main>')
    >>> result = number_coverage(page)
    >>> result.traced, [u.text for u in result.untraced]
    (1, ['11 700'])
    """
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    untraced = []
    for match in _NUMBER_RE.finditer(text):
        if _excluded(text, match):
            continue
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        end = len(text) if end < 0 else end
        left = text[max(start, match.start() - 40):match.start()]
        right = text[match.end():min(end, match.end() + 40)]
        context = " ".join((left + match.group() + right).replace(_BREAK, " ").split())
        untraced.append(UntracedNumber(match.group(), context))
    return NumberCoverage(parser.traced, tuple(untraced))
