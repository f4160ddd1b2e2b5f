"""report.qmd rendered end to end: every number of the publication is in the HTML, the audit
table is there, the PDF and Word files hold the text, and two renders are byte-identical."""

from __future__ import annotations

import html
import re
import zipfile

import pytest
from pypdf import PdfReader

from sbm_stats.render import render

from .reference import read_reference

#: Swedish number words, as the report writes small whole numbers (Svenska skrivregler).
WORDS = {0: ["noll", "ingen"], 1: ["en", "ett"], 2: ["två"], 3: ["tre", "tredje"], 4: ["fyra"], 5: ["fem"],
         6: ["sex"], 7: ["sju"], 8: ["åtta"], 9: ["nio"], 10: ["tio"], 11: ["elva"], 12: ["tolv"]}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, repo_root):
    first = tmp_path_factory.mktemp("first")
    second = tmp_path_factory.mktemp("second")
    kwargs = dict(to=("html", "pdf", "docx"), cache=False, quiet=True, params={"replicates": 2000})
    render(repo_root / "report.qmd", out_dir=first, **kwargs)
    render(repo_root / "report.qmd", out_dir=second, **kwargs)
    return first, second


def _text(path) -> str:
    raw = html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))
    return re.sub(r"[\s\u00a0\u202f]+", " ", raw)


def _forms(n: float) -> list[str]:
    whole = int(n)
    digits = f"{whole:,}".replace(",", " ")
    return [digits, *WORDS.get(whole, [])]


def test_every_publication_number_is_in_the_html(rendered):
    text = _text(rendered[0] / "report.html").lower()
    missing = []
    for st in read_reference("publication_numbers.csv").itertuples():
        for n in (st.count, st.base, st.value):
            if n == n and not any(re.search(rf"(?<![\d\w]){re.escape(f)}(?![\d\w])", text) for f in _forms(n)):
                missing.append(f"{st.section}: {st.context}: {n:g}")
    assert missing == []


def test_the_audit_table_and_the_conflict_are_shown(rendered):
    text = _text(rendered[0] / "report.html")
    assert "Granskning: varje kontrollerbart påstående" in text
    assert "stämmer inte" in text and "kan inte prövas" in text
    # the conflicting 2008 figures, both in the report
    assert "11 270" in text and "11 700" in text
    # the synthetic annex says so
    assert "SYNTETISKA DATA" in text


def test_pdf_and_docx_hold_the_text(rendered):
    pdf = " ".join(page.extract_text() for page in PdfReader(rendered[0] / "report.pdf").pages)
    assert "Den sekundära bostadsmarknaden" in pdf and "Sammanfattning" in pdf
    assert re.search(r"16\s+av\s+29", pdf)
    with zipfile.ZipFile(rendered[0] / "report.docx") as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert "Sammanfattning" in xml and "Statistisk bilaga" in xml


@pytest.mark.parametrize("name", ["report.html", "report.pdf", "report.docx"])
def test_two_renders_are_byte_identical(rendered, name):
    first, second = rendered
    assert (first / name).read_bytes() == (second / name).read_bytes()
