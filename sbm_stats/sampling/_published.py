"""The published 2014 sample against a frame: which stages could have chosen each municipality.

The publication names the 30 municipalities asked but not which stage chose each
(except the four fixed ones). Given a frame, a stage *could* have chosen a
municipality when its probability of being taken in that stage is positive:

* where its exact probability in that stage is known: when it is positive;
* otherwise as the stage's kind says (:meth:`sbm_stats.sampling.stages.Stage.could_choose`):
  certainty: the stage names it; extremes before any random stage: it is one of the
  municipalities the rankings give on this frame; after a random stage: it ranks high
  enough in one of the stage's rankings to be reached when earlier stages have taken
  the others; random: it meets the stage's condition and, when the stage excludes
  earlier selections, it is not certain to be taken before (in ``D``).

A municipality that no stage could have chosen is flagged: on a real frame that would
mean the design as written (or the frame) does not match what was done in 2014. On
the synthetic demonstration frame the result is illustrative only: the answers and
counts are made up, so a flag or its absence says nothing about the real 2014 draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._markup import escape_markdown, markdown_code
from ..data._loaders import load_published_sample
from ._design import Design
from ._engine import compile_plan, deterministic_prefix, exact_probabilities
from ._format import sv_decimal

__all__ = ["published_sample_check", "PublishedSampleCheck", "PublishedUnitCheck"]

ILLUSTRATIVE_NOTE = (
    "Illustrativt: ramen är syntetisk (påhittade tal och svar), så jämförelsen visar bara hur kontrollen "
    "fungerar och säger ingenting om hur de 30 kommunerna faktiskt valdes 2014."
)


@dataclass(frozen=True)
class PublishedUnitCheck:
    """One published municipality: which stages could have chosen it on the frame."""

    municipality_code: str
    municipality_name: str
    publication_group: str
    interviewed: bool
    in_frame: bool
    possible_stages: tuple[str, ...]
    stage_probabilities: tuple[float, ...]
    inclusion_probability: float
    flagged: bool
    explanation: str


@dataclass(frozen=True)
class PublishedSampleCheck:
    """The published sample checked against a frame and design.

    Examples
    --------
    >>> from sbm_stats.sampling import demo_frame, load_design
    >>> c = published_sample_check(demo_frame(), load_design())
    >>> len(c.units), c.synthetic, c.to_frame().loc[0, "possible_stages"]
    (30, True, 'fixed')
    """

    design: Design
    frame_source: str
    synthetic: bool
    units: tuple[PublishedUnitCheck, ...]

    @property
    def flagged(self) -> tuple[str, ...]:
        """Codes of published municipalities that no stage could have chosen."""
        return tuple(u.municipality_code for u in self.units if u.flagged)

    @property
    def note(self) -> str:
        """The illustrative-only statement when the frame is synthetic, else ''."""
        return ILLUSTRATIVE_NOTE if self.synthetic else ""

    def to_frame(self) -> pd.DataFrame:
        """One row per published municipality."""
        rows = []
        for u in self.units:
            rows.append({
                "municipality_code": u.municipality_code,
                "municipality_name": u.municipality_name,
                "publication_group": u.publication_group,
                "interviewed": u.interviewed,
                "in_frame": u.in_frame,
                "possible_stages": ", ".join(u.possible_stages),
                "stage_probabilities": ", ".join(
                    f"{s}={'?' if np.isnan(p) else format(p, '.4f')}"
                    for s, p in zip(u.possible_stages, u.stage_probabilities)
                ),
                "inclusion_probability": u.inclusion_probability,
                "flagged": u.flagged,
                "explanation": u.explanation,
                "synthetic": self.synthetic,
            })
        out = pd.DataFrame(rows)
        out.attrs.update(synthetic=self.synthetic, note=self.note, design=self.design.name,
                         frame_source=self.frame_source)
        return out

    def protocol_section(self) -> list[str]:
        """Swedish Markdown lines for the selection protocol."""
        lines = ["## Det publicerade urvalet mot ramen", ""]
        if self.synthetic:
            lines += [f"> {ILLUSTRATIVE_NOTE}", ""]
        lines += [
            "För var och en av de 30 kommuner som publikationen nämner: vilka steg i designen som kunde ha "
            "valt den på denna ram, med sannolikheten att just det steget väljer den. En kommun som inget "
            "steg kunde ha valt flaggas.", "",
            "| Kod | Kommun | Grupp i publikationen | Möjliga steg | Sannolikhet totalt | Flagga |",
            "|---|---|---|---|---|---|",
        ]
        for u in self.units:
            stages = ", ".join(
                f"{markdown_code(s)} ({'?' if np.isnan(p) else sv_decimal(p, 4)})"
                for s, p in zip(u.possible_stages, u.stage_probabilities)
            ) or "inget"
            total = "?" if np.isnan(u.inclusion_probability) else sv_decimal(u.inclusion_probability, 4)
            lines.append(f"| {escape_markdown(u.municipality_code)} | {escape_markdown(u.municipality_name)} | "
                         f"{escape_markdown(u.publication_group)} | {stages} | "
                         f"{total} | {'**JA**' if u.flagged else 'nej'} |")
        n_flag = len(self.flagged)
        lines += ["", f"Flaggade: {n_flag} av {len(self.units)}."]
        return lines


def published_sample_check(
    frame: pd.DataFrame, design: Design, *, published: pd.DataFrame | None = None
) -> PublishedSampleCheck:
    """Which stages of ``design`` could have chosen each published municipality on ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame.
    design : Design
        The design.
    published : pandas.DataFrame, optional
        The published sample (columns ``municipality_code``, ``municipality_name``,
        ``publication_group``, ``interviewed``); default
        :func:`sbm_stats.data.load_sample_2014`.

    Returns
    -------
    PublishedSampleCheck
        ``note`` says the result is illustrative only when the frame is synthetic.

    Raises
    ------
    ValueError
        ``published`` lacks one of its columns.

    Examples
    --------
    >>> from sbm_stats.sampling import demo_frame, load_design
    >>> check = published_sample_check(demo_frame(), load_design())
    >>> check.units[5].municipality_name, check.units[5].interviewed   # Bjuv declined (footnote 3)
    ('Bjuv', False)
    >>> check.note.startswith("Illustrativt")
    True
    """
    published = load_published_sample(design.package) if published is None else published
    for col in ("municipality_code", "municipality_name", "publication_group", "interviewed"):
        if col not in published.columns:
            raise ValueError(f"published must have the column {col!r}; it has: {', '.join(published.columns)}")
    plan = compile_plan(frame, design)
    exact = exact_probabilities(plan)
    D, stage_of, _ = deterministic_prefix(plan)
    position = {c: i for i, c in enumerate(plan.codes)}
    could: dict[int, np.ndarray] = {}  # per stage: the units it could choose where the exact value is unknown
    max_before = 0  # most municipalities that can be selected before each stage
    for step in plan.steps:
        could[step.index] = step.stage.could_choose(plan, step, D, stage_of, max_before)
        max_before += step.stage.most(step)
    units = []
    for row in published.itertuples(index=False):
        code = row.municipality_code
        if code not in position:
            units.append(PublishedUnitCheck(code, row.municipality_name, row.publication_group, bool(row.interviewed),
                                            False, (), (), np.nan, True, "finns inte i ramen"))
            continue
        i = position[code]
        stages, probs = [], []
        for step in plan.steps:
            stage = step.stage
            p = float(exact.by_stage[step.index, i])
            possible = p > 0 if not np.isnan(p) else bool(could[step.index][i])
            if possible:
                stages.append(stage.id)
                probs.append(p)
        flagged = not stages
        if flagged:
            explanation = "inget steg i designen kunde välja kommunen på denna ram"
        elif row.publication_group == "fixed_large" and not any(
            design.stage(s).kind == "certainty" for s in stages
        ):
            explanation = "publikationen anger den som fast kommun, men designens fasta steg tar inte med den"
        else:
            explanation = "kan ha valts i: " + ", ".join(stages)
        units.append(PublishedUnitCheck(
            code, row.municipality_name, row.publication_group, bool(row.interviewed), True,
            tuple(stages), tuple(probs), float(exact.pi[i]), flagged, explanation,
        ))
    return PublishedSampleCheck(design=design, frame_source=plan.source, synthetic=plan.synthetic, units=tuple(units))
