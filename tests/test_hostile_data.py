"""A hostile data package: markup and code in every text field, shown as text in HTML, PDF and Word.

``report.qmd`` is rendered once, to all three formats, on a copy of ``data/`` whose every
free text field ends in the payloads of :mod:`tests.hostile` (raw HTML that runs script,
pandoc raw attributes for Typst, OpenXML and HTML, math, emphasis, a ``javascript:``
link, a cross-reference) and whose sources' addresses are ``javascript:``, ``data:``,
``vbscript:`` and relative URLs (and one https URL, which must stay a link). Each
format must show the payloads as the text they are: no element, attribute, script,
link, Typst code or broken XML may come from the data.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pypandoc
import pytest

from sbm_stats.render import render

from .hostile import HOSTILE_URLS, PAYLOADS, build_hostile_package

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: The Content-Security-Policy of the published page (sbm_stats/render/templates/report.html).
CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    return build_hostile_package(ROOT / "data", tmp_path_factory.mktemp("hostile") / "data")


@pytest.fixture(scope="module")
def hostile(package) -> Path:
    """The output folder of report.qmd rendered on the hostile package (html, pdf, docx; no cache)."""
    out = package.parent / "out"
    render(ROOT / "report.qmd", to=("html", "pdf", "docx"), out_dir=out, params={"data_dir": str(package)},
           engine="builtin", cache=False, quiet=True)
    return out


def test_every_inline_value_of_the_report_is_text_or_a_traced_value(package):
    """Each `{python} …` of report.qmd, evaluated on the hostile package, is a Markdown: its
    markdown is its text escaped, a traced value's span, or markup the package wrote on
    purpose; a plain str would go in as Quarto's escaped text/plain, which leaves "<" as it is."""
    from sbm_stats.render._qmd import parse_qmd
    from sbm_stats.report import Markdown

    doc = parse_qmd(ROOT / "report.qmd")
    namespace: dict = {}
    exec(doc.chunks[0].code, namespace)  # the parameters
    namespace["data_dir"] = str(package)
    exec(doc.chunks[1].code, namespace)  # loads the report's objects
    values = {expr.code: eval(expr.code, namespace) for expr in doc.inlines}
    assert len(values) > 100
    assert {code: type(v).__name__ for code, v in values.items() if not isinstance(v, Markdown)} == {}
    # and pandoc reads none of them as markup: words, spaces and traced values' spans only
    markdown = "\n\n".join(value._repr_markdown_() for value in values.values())
    found = set()

    def walk(node):
        if isinstance(node, dict) and "t" in node:
            found.add(node["t"])
            if node["t"] == "Span":  # a traced value's: the class and its tag, no other attribute
                identifier, classes, attributes = node["c"][0]
                assert (identifier, attributes, classes[0]) == ("", [], "sbm-value"), node
                assert len(classes) == 2 and re.fullmatch(r"sbm-v-[0-9a-f]{10}", classes[1]), node
        if isinstance(node, (dict, list)):
            for child in node.values() if isinstance(node, dict) else node:
                walk(child)

    walk(json.loads(pypandoc.convert_text(markdown, "json", format="markdown"))["blocks"])
    assert found <= {"Para", "Str", "Space", "Span"}, found


class _Page(HTMLParser):
    """Every element of a page with its attributes, and its text (character references resolved)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


#: The values appendix as its own document (values-appendix: separate, report.qmd's default), beside the report.
COMPANION = "report.values.html"


def _markup_from_data(page: _Page) -> list[str]:
    """Elements and attributes no page of ours has, and only the data could have put there."""
    found = []
    for tag, attrs in page.elements:
        if tag in {"script", "svg", "b", "iframe", "object", "embed", "form", "base"}:
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on") or name == "data-pwned":
                found.append(f"<{tag} {name}={value!r}>")
            # a link within the page, to an entry of the companion values document the render writes beside
            # it, or from the companion back to a place in the report
            internal = value.startswith(("#", COMPANION + "#", "report.html#")) if value else True
            if name in {"href", "src", "action", "formaction", "xlink:href"} and not internal:
                scheme = urlsplit(value).scheme.lower()
                allowed = {"data"} if name == "src" else {"http", "https"}
                if scheme not in allowed or (scheme == "data" and not value.startswith("data:image/")):
                    found.append(f"<{tag} {name}={value[:80]!r}>")
    return found


def test_the_html_has_no_element_attribute_or_link_from_the_data(hostile):
    page = _Page((hostile / "report.html").read_text(encoding="utf-8"))
    assert _markup_from_data(page) == []
    # the companion values document carries the same data (citations, names, labels, URLs)
    assert _markup_from_data(_Page((hostile / COMPANION).read_text(encoding="utf-8"))) == []
    # the one https address of the sources is still a link (the rule removes only what it must)
    hrefs = {attrs.get("href") for tag, attrs in page.elements if tag == "a"}
    assert any(h and h.startswith("https://example.org/hostile?") for h in hrefs)


def test_the_html_shows_every_payload_and_address_as_text(hostile):
    text = " ".join("".join(_Page((hostile / "report.html").read_text(encoding="utf-8")).text).split())
    for payload in PAYLOADS:
        assert payload in text
    for url in HOSTILE_URLS[:-1]:  # an address that may not be a link is shown as written
        assert " ".join(url.split()) in text


def test_the_html_carries_a_policy_that_forbids_script(hostile):
    page = _Page((hostile / "report.html").read_text(encoding="utf-8"))
    found = [attrs["content"] for tag, attrs in page.elements
             if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert len(found) == 1
    directives = dict(d.strip().split(" ", 1) for d in found[0].split(";"))
    assert directives["script-src"] == "'none'" and directives["default-src"] == "'none'"


def _chromium(page: Path, tmp_path: Path) -> tuple[str, str]:
    """The DOM of ``page`` after Chromium loaded it (and ran whatever it would run), and the console log."""
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout, run.stderr


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt install chromium; "
                                             ".ci/run installs it)")
def test_no_script_runs_in_a_browser_even_without_the_policy(hostile, tmp_path):
    """Chromium loads the page twice: as published, and without its Content-Security-Policy, so
    that the escaping is tested on its own. Each payload that ran would mark the page
    (``data-pwned`` on the body, or the title 'PWNED'); with the policy it would be logged
    as a violation."""
    html = (hostile / "report.html").read_text(encoding="utf-8")
    bare = tmp_path / "report-no-csp.html"
    bare.write_text(CSP.sub("", html), encoding="utf-8")
    assert "Content-Security-Policy" not in bare.read_text(encoding="utf-8")
    for page in (hostile / "report.html", bare):
        dom, log = _chromium(page, tmp_path)
        loaded = _Page(dom)
        assert len(loaded.elements) > 1000, f"{page.name}: Chromium did not load the page"
        assert "PWNED" not in "".join(re.findall(r"<title>(.*?)</title>", dom, re.S))
        assert _markup_from_data(loaded) == []
        # nothing the published page needs is blocked by its policy, and nothing tried to run
        assert "Content Security Policy" not in log


def _pdf_text(path: Path) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    from pypdf import PdfReader  # pdftotext (poppler-utils) missing: pypdf, a dependency of the tests

    return "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)


def test_the_pdf_shows_the_payloads_and_runs_no_typst(hostile):
    text = "".join(_pdf_text(hostile / "report.pdf").split())  # line breaks and spaces as Typst set them
    # Typst hyphenates long words ("TYPST-INJEC-" / "TED"): the run Typst would print is
    # looked for without hyphens too
    assert "TYPSTINJECTED#(6*7)" in text.replace("-", "")
    assert "TYPSTINJECTED42" not in text.replace("-", "")
    for payload in PAYLOADS:
        assert "".join(payload.split()) in text


def test_the_pdf_links_only_to_http_addresses(hostile):
    from pypdf import PdfReader

    uris = []
    for page in PdfReader(str(hostile / "report.pdf")).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    assert any(u.startswith("https://example.org/hostile?") for u in uris)
    assert [u for u in uris if urlsplit(u).scheme not in {"http", "https"}] == []


def test_the_word_document_parses_and_shows_the_payloads(hostile):
    with zipfile.ZipFile(hostile / "report.docx") as docx:
        document = ET.fromstring(docx.read("word/document.xml"))
        relations = ET.fromstring(docx.read("word/_rels/document.xml.rels"))
    text = "".join(t.text or "" for t in document.iter(f"{W}t"))
    for payload in PAYLOADS:
        assert payload in text
    external = [r.get("Target") for r in relations if r.get("TargetMode") == "External"]
    assert external and all(urlsplit(t).scheme in {"http", "https"} for t in external)
