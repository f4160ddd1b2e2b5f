"""A stage kind is one module and one registry line (CONTRIBUTING.md, "Add a stage kind").

The kind below exists only in this test: ``code_ends_with`` takes the first ``size``
municipalities (by code) whose code ends in ``digit``. It is registered with one line
(``monkeypatch.setitem(STAGE_KINDS, ...)``) and then runs, with no other change,
through the design file reader, ``select_sample``, the protocol,
``inclusion_probabilities`` (exact and Monte Carlo) and ``published_sample_check``.

Expected values are computed by hand on ``tests/fixtures/sampling/hand_frame.csv``
(eight municipalities; see the comments).
"""

from __future__ import annotations

import hashlib
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
import pytest

from sbm_stats.errors import DesignError
from sbm_stats.sampling import (
    STAGE_KINDS,
    Stage,
    inclusion_probabilities,
    load_design,
    published_sample_check,
    select_sample,
)
from sbm_stats.sampling._record import StageRecord
from sbm_stats.sampling.stages._base import COMMON_KEYS

FIXTURES = Path(__file__).parent / "fixtures" / "sampling"


# ------------------------------------------------------------------ the test-only kind


@dataclass(frozen=True)
class CodeEndsWithStage(Stage):
    """The first ``size`` municipalities (by code) whose code ends in ``digit``."""

    id: str
    label: str
    digit: str
    size: int
    note: str | None = None
    kind: Literal["code_ends_with"] = "code_ends_with"

    keys: ClassVar[frozenset[str]] = COMMON_KEYS | {"digit", "size"}
    name_sv: ClassVar[str] = "kod slutar på siffra"
    protocol_template: ClassVar[str] = (
        "Kommuner vars kod slutar på {{ rec.condition }}: {{ rec.listed }}; nya: {{ rec.taken | length }}.\n"
    )

    @classmethod
    def parse(cls, raw, where, ctx, problems):
        digit, size = raw.get("digit"), raw.get("size")
        if not (isinstance(digit, str) and len(digit) == 1 and digit.isdigit()):
            problems.append(f"{where}: digit ({digit!r}) must be one quoted digit such as '0'")
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            problems.append(f"{where}: size ({size!r}) must be a positive whole number")
        return lambda **common: cls(digit=digit, size=size, **common)

    def table_row(self):
        return self.size, f"digit: {self.digit}"

    def count_bounds(self, before):
        return 0, self.size

    def compile(self, step, ctx):
        matching = [i for i in np.argsort(ctx.codes, kind="stable") if ctx.codes[i].endswith(self.digit)]
        if len(matching) < self.size:
            raise DesignError(f"{ctx.design_path}: stage {self.id!r}: only {len(matching)} codes end in {self.digit}")
        step.idx = np.array(matching[: self.size], dtype=np.int64)

    def reach(self, step, n):
        mask = np.zeros(n, dtype=bool)
        mask[step.idx] = True
        return mask

    def most(self, step):
        return len(step.idx)

    def surely_selected(self, step):
        return step.idx

    def select(self, plan, step, selected):
        selected[step.idx] = True

    def draw(self, step, selected, ctx):
        new = [int(i) for i in step.idx if not selected[i]]
        for i in new:
            selected[i] = True
            ctx.take(i, self, f"koden slutar på {self.digit}")
        n = len(step.idx)
        return StageRecord(self.id, self.kind, self.label, n, n - len(new), n, n, tuple(ctx.plan.codes[new]),
                           condition=self.digit)

    def simulate(self, plan, step, sel, by_stage, ctx):
        by_stage[step.index, step.idx] += (~sel[:, step.idx]).sum(axis=0)
        sel[:, step.idx] = True

    def could_choose(self, plan, step, D, stage_of, max_before):
        return self.reach(step, plan.n)


@pytest.fixture
def registered(monkeypatch):
    """The one registry line."""
    monkeypatch.setitem(STAGE_KINDS, "code_ends_with", CodeEndsWithStage)


def hand_frame() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "hand_frame.csv", dtype={"municipality_code": str})


def write_design(tmp_path: Path, stages: str) -> Path:
    path = tmp_path / "design.yaml"
    path.write_text("name: t\ntitle: T\nrandom_numbers: per_stage\nstages:\n"
                    + textwrap.indent(textwrap.dedent(stages), "  "), encoding="utf-8")
    return path


FIXED = """
- id: fixed
  kind: certainty
  label: fast
  codes: ['0114']
  reason: fast kommun
"""
ENDS = """
- id: sevens
  kind: code_ends_with
  label: koden slutar på 7
  digit: '7'
  size: 2
"""
RANDOM = """
- id: children
  kind: random
  label: 'BME, barn: kommuner med barn'
  eligible: bme_children_under_18 == "yes"
  size: 2
  exclude_selected: true
"""


def prn_by_hand(seed: int, stream: str, code: str) -> float:
    """The documented permanent random number (sbm_stats.sampling.PRN_FORMULA), written out."""
    h = int.from_bytes(hashlib.blake2b(f"{seed}|{stream}|{code}".encode("utf-8"), digest_size=8).digest(), "big")
    return (2 * (h >> 12) + 1) / 2**53


def test_the_bundled_kinds_are_the_registry():
    assert list(STAGE_KINDS) == ["certainty", "extremes", "random"]
    for kind, cls in STAGE_KINDS.items():
        assert issubclass(cls, Stage) and COMMON_KEYS <= cls.keys
        assert cls.__dataclass_fields__["kind"].default == kind


def test_an_unregistered_kind_is_refused_naming_the_registry(tmp_path):
    with pytest.raises(DesignError, match=r"kind \('code_ends_with'\) must be one of: certainty, extremes, random"):
        load_design(write_design(tmp_path, FIXED + ENDS))


def test_a_registered_kind_is_read_and_checked(tmp_path, registered):
    design = load_design(write_design(tmp_path, FIXED + ENDS + RANDOM))
    assert [s.kind for s in design.stages] == ["certainty", "code_ends_with", "random"]
    row = design.to_frame().iloc[1]
    assert (row["kind"], row["size"], row["parameters"]) == ("code_ends_with", 2, "digit: 7")
    with pytest.raises(DesignError) as info:
        load_design(write_design(tmp_path, FIXED + ENDS.replace("'7'", "'x'").replace("  size: 2\n", "  sise: 2\n")))
    message = str(info.value)
    assert "stage 'sevens': unknown key 'sise' for a code_ends_with stage" in message
    assert "stage 'sevens': digit ('x') must be one quoted digit" in message


def test_a_registered_kind_draws_and_writes_its_protocol(tmp_path, registered):
    design = load_design(write_design(tmp_path, FIXED + ENDS + RANDOM))
    sample = select_sample(hand_frame(), design, seed=3)
    # fixed: 0114; sevens: 0117 and 0127 (the codes ending in 7, by code); children: the list
    # 0114, 0115, 0117, 0120, 0123 less the three selected leaves 0115, 0120, 0123, and the two
    # with the smallest permanent random numbers of stream 'children' are taken.
    pool = ["0115", "0120", "0123"]
    drawn = sorted(pool, key=lambda c: prn_by_hand(3, "children", c))[:2]
    assert sample.codes == ("0114", "0117", "0127", *drawn)
    assert [u.reason for u in sample.units[1:3]] == ["koden slutar på 7"] * 2
    assert sample.stages[1].taken == ("0117", "0127")
    protocol = sample.protocol()
    assert "### 2. koden slutar på 7 (`sevens`, kod slutar på siffra)" in protocol
    assert "Kommuner vars kod slutar på 7: 2; nya: 2." in protocol
    # pi = 1 for what the deterministic stages take; 2 of the 3 left on the list otherwise
    by_code = {u.municipality_code: u for u in sample.units}
    assert by_code["0127"].inclusion_probability == 1.0
    assert by_code[drawn[0]].inclusion_probability == pytest.approx(2 / 3, abs=1e-12)
    assert "exakt (bestäms av ramen)" in protocol  # the kind's probability-1 method, as the base class names it


def test_a_registered_kind_has_exact_and_monte_carlo_probabilities(tmp_path, registered):
    design = load_design(write_design(tmp_path, FIXED + ENDS + RANDOM))
    probs = inclusion_probabilities(hand_frame(), design, replicates=4000, seed=11).to_frame()
    pi = dict(zip(probs["municipality_code"], probs["exact"]))
    # by hand: 0114, 0117, 0127 certain; 0115, 0120, 0123 two of three; 0125 and 0126 on no list
    assert pi == pytest.approx({"0114": 1, "0117": 1, "0127": 1, "0115": 2 / 3, "0120": 2 / 3, "0123": 2 / 3,
                                "0125": 0, "0126": 0}, abs=1e-12)
    mc = dict(zip(probs["municipality_code"], probs["monte_carlo"]))
    assert mc["0117"] == mc["0127"] == 1.0  # the simulation carries the kind out in every replicate
    se = np.sqrt(2 / 3 * 1 / 3 / 4000)
    assert abs(mc["0120"] - 2 / 3) < 4 * se


def test_a_registered_kind_after_a_random_stage(tmp_path, registered):
    """After a random stage the engine asks the kind what it takes for sure (surely_selected)."""
    design = load_design(write_design(tmp_path, RANDOM + ENDS))
    probs = inclusion_probabilities(hand_frame(), design, replicates=4000, seed=5).to_frame().set_index(
        "municipality_code")
    # the kind's two units are exact (1); the list's units by Monte Carlo only: the random stage
    # draws 2 of its 5 (nothing is selected before it), so each has 2/5
    assert probs.loc[["0117", "0127"], "exact"].tolist() == [1.0, 1.0]
    assert np.isnan(probs.loc["0120", "exact"])
    se = np.sqrt(0.4 * 0.6 / 4000)
    assert abs(probs.loc["0120", "monte_carlo"] - 0.4) < 4 * se


def test_a_registered_kind_in_the_published_check(tmp_path, registered):
    design = load_design(write_design(tmp_path, FIXED + ENDS + RANDOM))
    published = pd.DataFrame({
        "municipality_code": ["0127", "0125"], "municipality_name": ["Ekerö", "Danderyd"],
        "publication_group": ["random", "random"], "interviewed": [True, True],
    })
    units = published_sample_check(hand_frame(), design, published=published).units
    # 0127 ends in 7: the kind took it (probability 1 in that stage); 0125 is on no stage's list
    assert (units[0].possible_stages, units[0].stage_probabilities) == (("sevens",), (1.0,))
    assert units[1].flagged
