"""The design annex's paragraph on the finite population correction, in both of its wordings."""

from __future__ import annotations

import re

import pytest

from sbm_stats.report import Report
from sbm_stats.report._annex_text import DesignText


@pytest.fixture(scope="module")
def design():
    return Report.load().design


def _read(markdown: str) -> str:
    """The paragraph as a reader reads it: each traced value's span as its text, no escapes."""
    text = re.sub(r"\[([^\]]*)\]\{\.sbm-value[^}]*\}", r"\1", markdown)
    return " ".join(re.sub(r"\\(.)", r"\1", text).split())


def test_with_the_joint_assumption_both_readings_are_counted(design):
    # data/design/2014.yaml: 4 fixed + 8 Kronofogden picks = 12 chosen for certain or for their highest
    # values under the design's reading of A1+A2 (the rank's next municipality), of 30 asked in all;
    # under the other (a municipality already chosen is skipped) the draws are 10 + 9 + 1 + 2, so
    # 30 − 22 = 8 (the design file's variant sizes)
    text = _read(design.text.finite_population_caveat._repr_markdown_())
    assert design.text.joint is not None
    assert text.startswith("Korrektionen gäller bara om de intervjuade vore ett obundet slumpmässigt urval")
    assert "av de 30 tillfrågade valdes en del med säkerhet eller för sina högsta värden – 12 med designens " \
           "läsning av antagande A1+A2 och 8 med den andra" in text
    assert text.endswith("och resten hade olika chans att komma med.")


def test_without_a_joint_assumption_one_number_is_given(design):
    text = DesignText(design.inputs, design.text.traced)
    text.__dict__["joint"] = None  # a design file without the joint assumption (its cached property set)
    read = _read(text.finite_population_caveat._repr_markdown_())
    assert "av de 30 tillfrågade valdes 12 med säkerhet eller för sina högsta värden, och resten" in read
    assert "antagande" not in read
