"""The declarative design file: the 2014 design as the publication describes it, and bad designs.

Expected values come from the publication's method chapter ("Metod / Urval av
kommuner", footnote 2; /work/shared/publication/... lines 255-285) or are spelled out
in the test.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from sbm_stats.errors import DesignError
from sbm_stats.sampling import (
    CertaintyStage,
    ExtremesStage,
    RandomStage,
    load_design,
    select_sample,
)

FIXTURES = Path(__file__).parent / "fixtures" / "sampling"


def write_design(tmp_path: Path, stages: str, *, top: str | None = None) -> Path:
    """A design file with the given stages (YAML text, indented under `stages:`)."""
    head = top if top is not None else "name: t\ntitle: Test\nrandom_numbers: per_stage\n"
    path = tmp_path / "design.yaml"
    path.write_text(head + "stages:\n" + textwrap.indent(textwrap.dedent(stages), "  "), encoding="utf-8")
    return path


def hand_frame() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "hand_frame.csv", dtype={"municipality_code": str})


# ------------------------------------------------------------------- the 2014 design


def test_2014_design_follows_the_publication():
    d = load_design()
    kinds = [s.kind for s in d.stages]
    assert kinds == ["certainty", "extremes", "random", "random", "random", "random"]
    fixed = d.stages[0]
    assert isinstance(fixed, CertaintyStage)
    # Stage 1: Stockholm, Göteborg, Malmö, Helsingborg (SCB codes).
    assert set(fixed.codes) == {"0180", "1480", "1280", "1283"}
    kfm = d.stages[1]
    assert isinstance(kfm, ExtremesStage)
    # Footnote 2: four variables, each by count and relative to the population -> 8 picks.
    assert len(kfm.variables) == 4 and kfm.measures == ("count", "per_inhabitant")
    assert len(kfm.picks) == 8
    randoms = [s for s in d.stages if isinstance(s, RandomStage)]
    conditions = [s.eligible.text for s in randoms]
    assert conditions == [
        'bme_children_under_18 == "yes"',
        'bme_tenant_takeover_aim == "yes"',
        'bme_children_under_18 == "no"',
        'bme_children_under_18 == "no_answer"',
    ]
    # Stage 4: one municipality without children, two that did not answer.
    assert [s.size for s in randoms[2:]] == [1, 2]
    # 30 in all: 4 fixed + 8 extremes + the random sizes.
    assert 4 + 8 + sum(s.size for s in randoms) == 30 == d.expected_size


def test_every_open_assumption_is_commented_in_the_design_file():
    text = Path(load_design().path).read_text(encoding="utf-8")
    # A1 and A2 are one joint assumption; A8 is the random draw of the two municipalities
    # that did not answer the children question; A9/A10 the two orderings.
    for tag in ("A1+A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10"):
        assert f"OPEN ASSUMPTION {tag}" in text
    assert "OPEN ASSUMPTION A8" in text.split("id: supplement_no_answer")[0].rsplit("id: supplement_no_children", 1)[1]


def test_labels_do_not_read_as_the_publications_numbering():
    # The publication names two phases ("första skede", "andra skede"); our stage labels
    # carry no "Steg 3a"-style numbers that could be taken for its numbering.
    for stage in load_design().stages:
        assert not stage.label.lower().startswith("steg"), stage.label


def test_wording_of_the_design_file():
    lines = Path(load_design().path).read_text(encoding="utf-8").splitlines()
    text = " ".join(" ".join(line.strip().lstrip("#").strip() for line in lines).split())
    assert "random numbers of different stages are independent" in text
    assert "draws are independent" not in text
    assert "obundet slumpmässigt" in text and "still differ" in text
    assert "no evidence either way" in text


def test_design_to_frame_has_one_row_per_stage():
    t = load_design().to_frame()
    assert t["stage"].tolist() == [
        "fixed", "kronofogden", "bme_children", "bme_takeover", "supplement_no_children", "supplement_no_answer"
    ]
    assert t["size"].tolist() == [4, 8, 8, 7, 1, 2]


# ----------------------------------------------------------------------- bad designs


@pytest.mark.parametrize(
    ("stages", "words"),
    [
        (  # unknown column in a condition
            """
            - id: draw
              kind: random
              label: x
              eligible: 'bme_children == "yes"'
              size: 1
              exclude_selected: true
            """,
            ["stage 'draw'", "unknown column 'bme_children'", "bme_children_under_18"],
        ),
        (  # unknown stage kind
            """
            - id: strata
              kind: stratified
              label: x
            """,
            ["stage 'strata'", "kind ('stratified') must be one of: certainty, extremes, random"],
        ),
        (  # a code that is not a municipality
            """
            - id: fixed
              kind: certainty
              label: x
              reason: y
              codes: ["0180", "9999"]
            """,
            ["stage 'fixed'", "'9999'", "not one of the 290 municipality codes"],
        ),
        (  # an unquoted code: YAML reads 1480 as a number
            """
            - id: fixed
              kind: certainty
              label: x
              reason: y
              codes: [1480]
            """,
            ["stage 'fixed'", "code 1480 must be quoted text"],
        ),
        (  # an answer that is not one of the allowed values
            """
            - id: draw
              kind: random
              label: x
              eligible: 'bme_children_under_18 == "Yes"'
              size: 1
              exclude_selected: true
            """,
            ["stage 'draw'", "'Yes'", '"yes", "no", "no_answer"'],
        ),
        (  # an open parameter left out
            """
            - id: kfm
              kind: extremes
              label: x
              variables: [{column: kfm_executed_evictions_2013, label: v}]
              measures: [count]
              ties: lowest_code
            """,
            ["stage 'kfm'", "already_selected (None) must be one of: skip", "next"],
        ),
        (  # a misspelt key
            """
            - id: draw
              kind: random
              label: x
              eligible: 'bme_children_under_18 == "yes"'
              size: 1
              exclude_selcted: true
            """,
            ["stage 'draw'", "unknown key 'exclude_selcted'", "exclude_selected"],
        ),
        (  # extremes on a text column
            """
            - id: kfm
              kind: extremes
              label: x
              variables: [{column: bme_children_under_18, label: v}]
              measures: [count]
              already_selected: next
              ties: lowest_code
            """,
            ["stage 'kfm'", "'bme_children_under_18' must hold numbers"],
        ),
    ],
    ids=["unknown-column", "unknown-kind", "unknown-code", "unquoted-code", "bad-answer", "missing-rule",
         "misspelt-key", "text-ranked"],
)
def test_bad_design_names_stage_and_what_is_allowed(tmp_path, stages, words):
    path = write_design(tmp_path, stages)
    with pytest.raises(DesignError) as err:
        load_design(path)
    message = str(err.value)
    assert str(path) in message
    for w in words:
        assert w in message


def test_missing_random_numbers_setting_is_reported(tmp_path):
    path = write_design(
        tmp_path,
        """
        - id: fixed
          kind: certainty
          label: x
          reason: y
          codes: ["0180"]
        """,
        top="name: t\ntitle: T\n",
    )
    with pytest.raises(DesignError, match=r"missing key 'random_numbers' \(per_stage or shared\)"):
        load_design(path)


def test_all_problems_of_a_design_are_reported_together(tmp_path):
    path = write_design(
        tmp_path,
        """
        - id: a
          kind: random
          label: x
          eligible: 'nope == "yes"'
          size: 0
          exclude_selected: maybe
        """,
    )
    with pytest.raises(DesignError) as err:
        load_design(path)
    message = str(err.value)
    assert "3 problem(s)" in message
    assert "unknown column 'nope'" in message
    assert "size (0) must be a positive whole number" in message
    assert "exclude_selected ('maybe')" in message


def test_draw_larger_than_its_eligible_list(tmp_path):
    # hand_frame.csv: 5 municipalities answer children "yes" (see fixtures/sampling/README.md).
    path = write_design(
        tmp_path,
        """
        - id: draw
          kind: random
          label: x
          eligible: 'bme_children_under_18 == "yes"'
          size: 6
          exclude_selected: true
        """,
    )
    design = load_design(path)
    with pytest.raises(DesignError) as err:
        select_sample(hand_frame(), design, seed=1)
    message = str(err.value)
    assert "stage 'draw' draws size 6, but only 5 municipalities" in message
    assert "bme_children_under_18 == \"yes\"" in message


def test_draw_that_earlier_random_draws_can_starve(tmp_path):
    # 'first' may take 2 of the 3 takeover=yes municipalities that also answer children "yes"
    # (0117, 0120, 0123), leaving 1 of them for 'second', which wants 2:
    # infeasible for some seeds, so rejected before any draw.
    path = write_design(
        tmp_path,
        """
        - id: first
          kind: random
          label: x
          eligible: 'bme_children_under_18 == "yes"'
          size: 2
          exclude_selected: true
        - id: second
          kind: random
          label: y
          eligible: 'bme_children_under_18 == "yes" and bme_tenant_takeover_aim == "yes"'
          size: 2
          exclude_selected: true
        """,
    )
    with pytest.raises(DesignError, match=r"stage 'second' draws size 2.*as few as 1 can be left"):
        select_sample(hand_frame(), load_design(path), seed=1)


def test_certainty_code_missing_from_the_frame(tmp_path):
    path = write_design(
        tmp_path,
        """
        - id: fixed
          kind: certainty
          label: x
          reason: y
          codes: ["0180"]
        """,
    )
    with pytest.raises(DesignError, match=r"stage 'fixed' names municipality code\(s\) 0180"):
        select_sample(hand_frame(), load_design(path), seed=1)


def test_expected_size_is_enforced(tmp_path):
    # With skip, the count ranking's top (0126, 70 applications) is already fixed: nothing new,
    # so the sample has 1 + 0 = 1 municipality, not the 2 the design promises.
    path = write_design(
        tmp_path,
        """
        - id: fixed
          kind: certainty
          label: x
          reason: y
          codes: ["0126"]
        - id: kfm
          kind: extremes
          label: x
          variables: [{column: kfm_eviction_applications_2013, label: ansökningar om avhysning}]
          measures: [count]
          already_selected: skip
          ties: lowest_code
        """,
        top="name: t\ntitle: T\nrandom_numbers: per_stage\nexpected_size: 2\n",
    )
    # refused before any draw, naming the stage and the field that make the total fall short
    with pytest.raises(DesignError, match=r"expected_size 2, but on this frame .* gives 1 .*"
                                          r"kfm 0 of 1 picks \(already_selected: skip\)"):
        select_sample(hand_frame(), load_design(path), seed=1)


def test_a_second_wave_is_just_another_file(tmp_path):
    # A 2017-style design: other sizes, a disjoint takeover list, shared random numbers.
    path = write_design(
        tmp_path,
        """
        - id: fixed
          kind: certainty
          label: fasta
          reason: fast urval
          codes: ["0180", "1480"]
        - id: takeover_only
          kind: random
          label: enbart övertagande
          eligible: 'bme_tenant_takeover_aim == "yes" and bme_children_under_18 != "yes"'
          size: 3
          exclude_selected: true
        """,
        top="name: sbm-2017\ntitle: Urval 2017\nrandom_numbers: shared\nexpected_size: 5\n",
    )
    d = load_design(path)
    assert d.name == "sbm-2017" and d.random_numbers == "shared"
    assert d.stage("takeover_only").eligible.columns == ("bme_tenant_takeover_aim", "bme_children_under_18")
