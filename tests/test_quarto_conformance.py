"""The builtin engine against real Quarto: the same documents must read the same.

Each fixture that Quarto 1.11.0 rendered (``tests/reference/quarto/``, see its
README) is rendered here with the builtin engine, to HTML and Word, and both
outputs are reduced to what a reader sees: headings with their numbers,
figure and table captions, cross-reference texts, paragraphs (inline values),
alt texts, table cells and callout titles. Every difference must be listed in
``tests/reference/quarto/differences.yaml`` with its reason, and every listed
difference must still occur.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from sbm_stats.render import render

pytestmark = pytest.mark.slow

REFERENCE = Path(__file__).parent / "reference" / "quarto"
DOCUMENTS = ("rapport_sv", "english", "parametrar", "utan_kod", "villkor")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
PLACEHOLDERS = ("<project>", "<kernel-tmp>", "<quarto-resources>")


def _squash(text: str) -> str:
    return re.sub(r"[ \t\n\r\f\v]+", " ", text).strip()


class _Reader(HTMLParser):
    """What a reader sees in an HTML page, as (kind, text) facts in reading order."""

    HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
    VOID = {"meta", "img", "br", "hr", "link", "input", "col", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.facts: list[tuple[str, str]] = []
        self._open: list[list] = []  # [tag, kind or None, buffer]
        self._main = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "main":
            self._main = True
        if not self._main or tag in self.VOID:
            if self._main and tag == "img" and a.get("alt"):
                self.facts.append(("alt", a["alt"]))
            return
        kind = None
        if tag in self.HEADINGS and "title" not in classes and "quarto-appendix-heading" not in classes:
            kind = "heading"
        elif tag in ("figcaption", "caption"):
            kind = "caption"
        elif (tag == "a" and re.match(r"#(fig|tbl|sec)-", a.get("href") or "")
              and not a.get("id", "").startswith("toc-")):
            kind = "xref"
        elif tag == "p" and not self._inside("caption", "callout-title"):
            kind = "paragraph"
        elif tag in ("td", "th"):
            kind = "cell"
        elif "callout-title" in classes or "callout-title-container" in classes:
            kind = "callout-title"
        elif tag == "nav":
            kind = "skip"
        self._open.append([tag, kind, []])

    def _inside(self, *kinds):
        return any(entry[1] in kinds for entry in self._open)

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                closed = self._open[i:]
                del self._open[i:]
                for entry in reversed(closed):
                    if entry[1] and entry[1] != "skip" and not self._inside("skip"):
                        self.facts.append((entry[1], _squash("".join(entry[2]))))
                break
        if tag == "main":
            self._main = False

    def handle_data(self, data):
        for entry in self._open:
            entry[2].append(data)


def _placeholders(text: str) -> str:
    """The README's placeholders as text (in the reference) and this machine's paths as them (ours)."""
    for placeholder in PLACEHOLDERS:
        text = text.replace(placeholder, placeholder.replace("<", "&lt;").replace(">", "&gt;"))
    return text.replace(str(Path(sys.executable).parents[2]), "&lt;project&gt;")


def html_facts(text: str) -> list[tuple[str, str]]:
    text = _placeholders(text)
    reader = _Reader()
    reader.feed(text)
    reader.close()
    return [(kind, value) for kind, value in reader.facts if not (kind == "cell" and value == "")]


def docx_facts(xml: str) -> list[tuple[str, str]]:
    root = ElementTree.fromstring(_placeholders(xml))
    facts = []
    body = root.find(f"{W}body")
    for p in body.iter(f"{W}p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        style = style.get(f"{W}val") if style is not None else None
        text = _squash("".join(t.text or "" for t in p.iter(f"{W}t")))
        if style and style.startswith("Heading"):
            facts.append(("heading", text))
        elif style in ("ImageCaption", "TableCaption"):
            facts.append(("caption", text))
        elif (style in ("FirstParagraph", "BodyText", "Date", "Title") or (style or "").startswith("Callout")) and text:
            # a callout's paragraphs: Quarto's sit in a one-cell table as BodyText, ours carry the
            # reference document's callout styles (render/_docx.py); the text is what is compared
            facts.append(("paragraph", text))
    for doc_pr in root.iter(f"{WP}docPr"):
        if doc_pr.get("descr"):
            facts.append(("alt", doc_pr.get("descr")))
    return facts


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    """Each reference document rendered by the builtin engine (HTML and Word)."""
    base = tmp_path_factory.mktemp("conformance")
    source = base / "src"
    source.mkdir()
    for name in (*DOCUMENTS, "kallor"):
        for path in REFERENCE.glob(f"{name}.*"):
            if path.suffix in (".qmd", ".bib"):
                shutil.copy(path, source / path.name)
    outputs = {}
    for name in DOCUMENTS:
        result = render(source / f"{name}.qmd", to=("html", "docx"), out_dir=base / "out",
                        engine="builtin", quiet=True, cache=False)
        html = result.output("html").read_text(encoding="utf-8")
        docx = zipfile.ZipFile(io.BytesIO(result.output("docx").read_bytes())).read("word/document.xml").decode()
        outputs[name] = {"html": html_facts(html), "docx": docx_facts(docx)}
    return outputs


def _quarto(name: str, fmt: str) -> list[tuple[str, str]]:
    if fmt == "html":
        return html_facts((REFERENCE / f"{name}.quarto.html").read_text(encoding="utf-8"))
    return docx_facts((REFERENCE / f"{name}.quarto.docx-document.xml").read_text(encoding="utf-8"))


def _differences(quarto: list[tuple[str, str]], mine: list[tuple[str, str]]) -> set[tuple[str, str, str]]:
    """Facts only Quarto shows ("quarto") and facts only we show ("ours"), as multisets."""
    out = set()
    rest = list(mine)
    for fact in quarto:
        if fact in rest:
            rest.remove(fact)
        else:
            out.add(("quarto", *fact))
    out.update(("ours", *fact) for fact in rest)
    return out


def _listed() -> dict[tuple[str, str], set[tuple[str, str, str]]]:
    data = yaml.safe_load((REFERENCE / "differences.yaml").read_text(encoding="utf-8"))
    listed: dict[tuple[str, str], set[tuple[str, str, str]]] = {}
    for entry in data["differences"]:
        assert entry.get("reason"), entry
        for fact in entry["facts"]:
            listed.setdefault((fact["document"], fact["format"]), set()).add(
                (fact["side"], fact["kind"], fact["text"]))
    return listed


@pytest.mark.parametrize("fmt", ["html", "docx"])
@pytest.mark.parametrize("name", DOCUMENTS)
def test_reads_as_quarto_wrote_it_or_the_difference_is_listed(ours, name, fmt):
    found = _differences(_quarto(name, fmt), ours[name][fmt])
    listed = _listed().get((name, fmt), set())
    unlisted = sorted(found - listed)
    gone = sorted(listed - found)
    assert not unlisted, (f"{name} ({fmt}): differences from Quarto not in differences.yaml:\n"
                          + "\n".join(map(str, unlisted)))
    assert not gone, f"{name} ({fmt}): listed differences that no longer occur:\n" + "\n".join(map(str, gone))


def test_reader_facts_see_the_reference_content():
    # the normalisation must see what Quarto wrote, or the comparison proves nothing:
    # rapport_sv.qmd has a figure "Andel kommuner ..." and references @sec-metod
    facts = _quarto("rapport_sv", "html")
    assert ("caption", "Figur\xa01: Andel kommuner med sociala kontrakt, åäö") in facts
    assert ("xref", "Avsnitt\xa02") in facts
    assert ("alt", "Stapeldiagram över tre kommuner") in facts
    assert ("heading", "2.1 Urval") in facts
    assert ("cell", "Malmö") in facts
    docx = _quarto("rapport_sv", "docx")
    assert ("heading", "1. Inledning") in docx and ("caption", "Tabell\xa01: Kommuner i urvalet") in docx
