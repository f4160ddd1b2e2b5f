"""Draw the sample: carry out a design's stages on a frame with permanent random numbers.

A random stage takes the ``size`` municipalities with the smallest permanent random
numbers (:mod:`._prn`) among those its condition admits (less those already
selected, when it excludes them): sequential simple random sampling. The sample
depends on nothing but the frame, the design file and the seed: the same on every
machine, numpy version and run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..errors import DesignError
from ._design import CertaintyStage, Design, ExtremesStage
from ._engine import (
    Exact,
    Plan,
    compile_plan,
    exact_probabilities,
    pick_phrase,
    run_extremes,
    simulate,
)
from ._format import sv_decimal, sv_int
from ._prn import PRN_FORMULA, permanent_random_numbers

__all__ = ["select_sample", "Sample", "SelectedUnit", "StageRecord", "SYNTHETIC_BANNER"]

#: The line every protocol made from a synthetic frame starts and ends with.
SYNTHETIC_BANNER = "SYNTETISKA DATA – inte verkliga uppgifter"

_KIND_SV = {"certainty": "säkert urval", "extremes": "högsta värden", "random": "slumpmässigt urval"}
_METHOD_SV = {
    "certainty": "exakt (säkert urval)",
    "extremes": "exakt (bestäms av ramen)",
    "simple_random_sample": "exakt (n/N)",
    "hypergeometric_chain": "exakt (hypergeometrisk kedja)",
    "monte_carlo": "Monte Carlo",
}


@dataclass(frozen=True)
class SelectedUnit:
    """One selected municipality and why it was taken."""

    order: int
    stage: str
    stage_kind: str
    municipality_code: str
    municipality_name: str
    reason: str
    random_number: float
    eligible_count: int | None
    stage_probability: float
    inclusion_probability: float
    probability_method: str
    probability_se: float
    design_weight: float


@dataclass(frozen=True)
class StageRecord:
    """What one stage saw and did, for the protocol.

    ``listed`` counts the municipalities meeting the stage's condition (or named by it),
    ``excluded`` those among them already selected and removed first, ``pool`` those
    it drew among, ``taken`` the codes it added. ``ranking`` holds, for a random stage,
    (code, name, random number, taken) for the taken municipalities and the next two in
    line; ``lines`` holds the Swedish lines of an extremes stage.
    ``list_probability_range`` holds, for a random stage, the smallest and largest exact
    inclusion probability under the whole design of the municipalities on its list that
    are not selected for certain (None where they are not all exact): the draw within
    the stage is a simple random sample of what the list has left, but over the whole
    design the municipalities of one list need not have equal chances.
    """

    stage: str
    kind: str
    label: str
    listed: int
    excluded: int
    pool: int
    size: int
    taken: tuple[str, ...]
    ranking: tuple[tuple[str, str, float, bool], ...] = ()
    lines: tuple[str, ...] = ()
    condition: str = ""
    list_probability_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class Sample:
    """A drawn sample with everything needed to check it.

    Attributes
    ----------
    design : Design
        The design carried out.
    seed : int
        The seed of the permanent random numbers.
    frame_source : str
        The frame it was drawn from.
    synthetic : bool
        True when the frame is synthetic (then so is everything made from the sample).
    units : tuple of SelectedUnit
        The selected municipalities in the order they were taken.
    stages : tuple of StageRecord
        What each stage saw and did.
    frame_size : int
        Municipalities in the frame.
    probability_note : str
        How the inclusion probabilities were obtained.
    replicates : int
        Monte Carlo replicates used for probabilities that are not exact (0 if none).

    Examples
    --------
    >>> from sbm_stats.sampling import demo_frame, load_design, select_sample
    >>> s = select_sample(demo_frame(), load_design(), seed=1)
    >>> len(s.units), s.synthetic, s.to_frame().attrs["synthetic"]
    (30, True, True)
    """

    design: Design
    seed: int
    frame_source: str
    synthetic: bool
    units: tuple[SelectedUnit, ...]
    stages: tuple[StageRecord, ...]
    frame_size: int
    probability_note: str = ""
    replicates: int = 0

    @property
    def codes(self) -> tuple[str, ...]:
        """The selected municipality codes in selection order."""
        return tuple(u.municipality_code for u in self.units)

    def to_frame(self) -> pd.DataFrame:
        """One row per selected municipality; a ``synthetic`` column and ``attrs`` say what the frame was."""
        rows = [u.__dict__ for u in self.units]
        out = pd.DataFrame(rows, columns=list(SelectedUnit.__dataclass_fields__))
        out["eligible_count"] = out["eligible_count"].astype("Int64")
        out["synthetic"] = self.synthetic
        out.attrs.update(
            synthetic=self.synthetic, seed=self.seed, design=self.design.name,
            design_file=self.design.path, frame_source=self.frame_source,
        )
        return out

    def protocol(self, *, published_check: Any = None) -> str:
        """The selection protocol in Swedish (Markdown) that a reviewer can read."""
        return _protocol(self, published_check)


def select_sample(frame: pd.DataFrame, design: Design, *, seed: int, replicates: int = 20_000) -> Sample:
    """Draw the sample that ``design`` gives on ``frame`` with ``seed``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame (from :func:`load_frame` or :func:`demo_frame`); it may hold a subset
        of the municipalities, but every design code must be in it.
    design : Design
        From :func:`load_design`.
    seed : int
        A non-negative integer; the permanent random numbers are a function of it.
    replicates : int, default 20000
        Monte Carlo replicates for inclusion probabilities that cannot be computed
        exactly (only with ``random_numbers: shared`` and overlapping lists, or a
        certainty/extremes stage after a random one); the Monte Carlo generator is
        ``numpy.random.default_rng(seed)``.

    Returns
    -------
    Sample

    Raises
    ------
    DataValidationError
        The frame does not fit the design's schema.
    DesignError
        A draw larger than what its list can hold, a tie under ``ties: error``, or a
        sample size other than the design's ``expected_size``.

    Notes
    -----
    The inclusion probability of a selected municipality is its probability of
    selection under the whole design (all stages), exact where the design allows it
    (see :func:`inclusion_probabilities`); its design weight is the inverse. The stage
    probability is the chance within its own stage given the earlier stages of this
    draw (``size / pool`` for a random stage).

    Examples
    --------
    >>> from sbm_stats.sampling import demo_frame, load_design
    >>> s = select_sample(demo_frame(), load_design(), seed=2014)
    >>> s.codes[:4]
    ('0180', '1480', '1280', '1283')
    >>> s.to_frame().groupby("stage", sort=False).size().tolist()  # the sizes the design file sets
    [4, 8, 8, 7, 1, 2]
    """
    seed = _check_seed(seed)
    if not isinstance(replicates, int) or isinstance(replicates, bool) or replicates < 1:
        raise ValueError(f"replicates ({replicates!r}) must be a positive integer")
    return draw_sample(compile_plan(frame, design), seed=seed, replicates=replicates)


def draw_sample(plan: Plan, *, seed: int, replicates: int, exact: Exact | None = None) -> Sample:
    """:func:`select_sample` on a compiled plan (``exact``: its exact probabilities, if known)."""
    design = plan.design
    exact = exact if exact is not None else exact_probabilities(plan)
    selected = np.zeros(plan.n, dtype=bool)
    picked: list[dict[str, Any]] = []
    records: list[StageRecord] = []
    shared_u = permanent_random_numbers(seed, "", plan.codes) if design.random_numbers == "shared" else None
    for step in plan.steps:
        stage = step.stage
        if isinstance(stage, CertaintyStage):
            new = [int(i) for i in step.idx if not selected[i]]
            for i in new:
                selected[i] = True
                picked.append(dict(unit=i, stage=stage, reason=stage.reason, u=np.nan, eligible=None, p=1.0))
            records.append(StageRecord(stage.id, stage.kind, stage.label, len(step.idx), len(step.idx) - len(new),
                                       len(step.idx), len(step.idx), tuple(plan.codes[new])))
        elif isinstance(stage, ExtremesStage):
            outcomes = run_extremes(plan, step, selected)
            lines = []
            new = []
            for out in outcomes:
                phrase = pick_phrase(stage, out.pick)
                top = int(out.pick.order[0])
                passed = ", ".join(f"{plan.names[u]} ({_who_took(u, picked)})" for u in out.passed)
                if out.chosen is None:
                    lines.append(f"{phrase}: {plan.names[top]} ({out.pick.shown(0)}), redan vald "
                                 f"({_who_took(top, picked)}); ingen ny kommun (already_selected: skip)")
                    continue
                value = out.pick.shown(out.rank - 1)
                if out.rank == 1:
                    reason = f"{phrase}: {value}"
                    lines.append(f"{phrase}: **{plan.names[out.chosen]}** ({value}) vald")
                else:
                    reason = f"{phrase} bland kommuner som inte redan valts (rang {out.rank} i ramen): {value}"
                    already = "vald" if len(out.passed) == 1 else "valda"
                    lines.append(f"{phrase}: {passed} redan {already}; rang {out.rank}: "
                                 f"**{plan.names[out.chosen]}** ({value}) vald")
                picked.append(dict(unit=out.chosen, stage=stage, reason=reason, u=np.nan, eligible=None, p=1.0))
                new.append(out.chosen)
            records.append(StageRecord(stage.id, stage.kind, stage.label, len(outcomes), 0, len(outcomes),
                                       len(outcomes), tuple(plan.codes[new]), lines=tuple(lines)))
        else:
            u = shared_u if shared_u is not None else permanent_random_numbers(seed, stage.id, plan.codes)
            listed = step.eligible
            pool_mask = listed & ~selected if stage.exclude_selected else listed
            pool = np.flatnonzero(pool_mask)
            if len(pool) < stage.size:  # check_feasible rules this out; kept as a guard
                raise DesignError(f"{design.path}: stage {stage.id!r} has {len(pool)} to draw {stage.size} from")
            order = pool[np.lexsort((plan.codes[pool], u[pool]))]
            taken = order[: stage.size]
            ranking = tuple(
                (str(plan.codes[i]), str(plan.names[i]), float(u[i]), bool(j < stage.size))
                for j, i in enumerate(order[: stage.size + 2])
            )
            p_stage = stage.size / len(pool)
            new = []
            for i in taken:
                if selected[i]:
                    continue
                selected[i] = True
                new.append(int(i))
                reason = (f"slumpmässigt vald, {stage.size} av {sv_int(len(pool))} kommuner: "
                          f"{_strip_stage_prefix(stage.label)}")
                picked.append(dict(unit=int(i), stage=stage, reason=reason, u=float(u[i]), eligible=len(pool),
                                   p=p_stage))
            records.append(StageRecord(
                stage.id, stage.kind, stage.label, int(listed.sum()), int((listed & selected).sum()) - len(new)
                if stage.exclude_selected else 0, len(pool), stage.size, tuple(plan.codes[new]),
                ranking=ranking, condition=stage.eligible.text,
                list_probability_range=_list_range(exact.pi, listed),
            ))
    if design.expected_size is not None and len(picked) != design.expected_size:
        raise DesignError(
            f"{design.path}: the design states expected_size {design.expected_size}, but this draw gave "
            f"{len(picked)} distinct municipalities ("
            + ", ".join(f"{r.stage}: {len(r.taken)}" for r in records)
            + "). With already_selected: skip or exclude_selected: false the size depends on the data; "
            "adjust the sizes or remove expected_size."
        )
    pi, method, se, note, reps = _probabilities_for(plan, [d["unit"] for d in picked], seed, replicates, exact)
    units = tuple(
        SelectedUnit(
            order=k + 1, stage=d["stage"].id, stage_kind=d["stage"].kind,
            municipality_code=str(plan.codes[d["unit"]]), municipality_name=str(plan.names[d["unit"]]),
            reason=d["reason"], random_number=d["u"], eligible_count=d["eligible"],
            stage_probability=d["p"], inclusion_probability=pi[k], probability_method=method[k],
            probability_se=se[k], design_weight=1.0 / pi[k],
        )
        for k, d in enumerate(picked)
    )
    return Sample(design=design, seed=seed, frame_source=plan.source, synthetic=plan.synthetic, units=units,
                  stages=tuple(records), frame_size=plan.n, probability_note=note, replicates=reps)


def _probabilities_for(plan: Plan, units: list[int], seed: int, replicates: int, exact: Exact | None):
    exact = exact if exact is not None else exact_probabilities(plan)
    pi = [float(exact.pi[i]) for i in units]
    method = [str(exact.method[i]) for i in units]
    se = [0.0] * len(units)
    missing = [k for k, p in enumerate(pi) if np.isnan(p)]
    reps = 0
    if missing:
        sim = simulate(plan, replicates, np.random.default_rng(seed))
        reps = replicates
        for k in missing:
            p = sim.total[units[k]] / replicates
            pi[k], method[k], se[k] = p, "monte_carlo", float(np.sqrt(p * (1 - p) / replicates))
    return pi, method, se, exact.note, reps


def _list_range(pi: np.ndarray, listed: np.ndarray) -> tuple[float, float] | None:
    values = pi[listed & (pi < 1)] if not np.isnan(pi[listed]).any() else np.array([])
    return (float(values.min()), float(values.max())) if len(values) else None


def _who_took(unit: int, picked: list[dict[str, Any]]) -> str:
    for d in picked:
        if d["unit"] == unit:
            return f"steg {d['stage'].id}"
    return "tidigare"


def _strip_stage_prefix(label: str) -> str:
    """The part of a label after its short name ("BME, barn: kommuner som ..." -> "kommuner som ...")."""
    head, sep, tail = label.partition(": ")
    return tail if sep else label


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed ({seed!r}) must be a non-negative integer")
    return int(seed)


# ---------------------------------------------------------------------------- protocol


def _md_table(header: list[str], rows: list[list[Any]]) -> list[str]:
    def cell(x: Any) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return out


def _protocol(sample: Sample, published_check: Any) -> str:
    d = sample.design
    L: list[str] = []
    if sample.synthetic:
        L += [f"> **{SYNTHETIC_BANNER}.** Ramen är syntetisk: kommunkoderna och folkmängden är verkliga, "
              "men Kronofogdens tal och svaren i BME 2014 är påhittade. Urvalet nedan visar hur designen "
              "fungerar och säger ingenting om någon kommun.", ""]
    L += [f"# Urvalsprotokoll: {d.title}", ""]
    L += ["## Underlag", ""]
    L += _md_table(["Uppgift", "Värde"], [
        ["Designfil", f"`{_short(d.path)}` (SHA-256 `{d.sha256[:16]}…`)"],
        ["Design", f"{d.name}: {d.description}"],
        ["Källa för designen", d.source or "–"],
        ["Urvalsram", f"`{sample.frame_source}`, {sv_int(sample.frame_size)} kommuner"],
        ["Syntetisk ram", "JA – inte verkliga uppgifter" if sample.synthetic else "nej"],
        ["Frö (seed)", str(sample.seed)],
        ["Slumptal", ("ett eget permanent slumptal per kommun och slumpsteg (random_numbers: per_stage)"
                      if d.random_numbers == "per_stage" else
                      "ett gemensamt permanent slumptal per kommun för alla slumpsteg (random_numbers: shared)")],
        ["Formel för slumptalen", f"`{PRN_FORMULA}`"],
        ["Förväntad storlek", str(d.expected_size) if d.expected_size is not None else "anges inte"],
        ["Antal valda", str(len(sample.units))],
        ["Program", f"sbm-stats {__version__}"],
    ])
    L += ["", "Ett slumpsteg tar de kommuner som har lägst slumptal bland dem som uppfyller stegets villkor "
          "(sekventiellt obundet slumpmässigt urval med permanenta slumptal). Samma ram, designfil och frö ger "
          "alltid samma urval.", ""]
    L += ["## Designens steg och parametrar", ""]
    L += _md_table(["Nr", "Steg", "Typ", "Beskrivning", "Antal", "Parametrar"], [
        [r.order, f"`{r.stage}`", _KIND_SV[r.kind], r.label, r.size, r.parameters]
        for r in d.to_frame().itertuples()
    ])
    L += ["", "Öppna antaganden (publikationen anger dem inte) står som kommentarer i designfilen och i "
          "dokumentationen till `sbm_stats.sampling`.", ""]
    L += ["## Steg för steg", ""]
    names = {u.municipality_code: u.municipality_name for u in sample.units}
    for k, rec in enumerate(sample.stages, start=1):
        L += [f"### {k}. {rec.label} (`{rec.stage}`, {_KIND_SV[rec.kind]})", ""]
        note = d.stage(rec.stage).note
        if note:
            L += [f"Anmärkning i designfilen: {note}", ""]
        if rec.kind == "certainty":
            L += [f"Namngivna kommuner: {rec.listed}; redan valda: {rec.excluded}; nya: {len(rec.taken)}.", ""]
            L += _md_table(["Kod", "Kommun"], [[c, names[c]] for c in rec.taken])
        elif rec.kind == "extremes":
            L += [f"{len(rec.lines)} rangordningar; nya kommuner: {len(rec.taken)}.", ""]
            L += [f"- {line}" for line in rec.lines]
        else:
            share = rec.size / rec.pool
            L += [f"Villkor: `{rec.condition}`. Uppfyller villkoret: {sv_int(rec.listed)}; "
                  f"redan valda och uteslutna: {rec.excluded}; att dra bland: {sv_int(rec.pool)}; "
                  f"dras: {rec.size} (andel i steget {rec.size}/{rec.pool} = {sv_decimal(share, 4)}).", ""]
            if rec.list_probability_range is not None:
                low, high = rec.list_probability_range
                L += [f"Inom steget är urvalet obundet slumpmässigt bland de kommuner som återstår. Över hela "
                      f"designen har listans kommuner (utom de som väljs med säkerhet) ändå olika "
                      f"inklusionssannolikheter, {sv_decimal(low, 4)}–{sv_decimal(high, 4)}, eftersom "
                      "tidigare steg kan ha tagit en del av listan.", ""]
            L += _md_table(["Ordning", "Kod", "Kommun", "Slumptal", "Vald"], [
                [j + 1, code, name, sv_decimal(u, 6), "ja" if taken else "nej (nästa i tur)"]
                for j, (code, name, u, taken) in enumerate(rec.ranking)
            ])
        L.append("")
    L += ["## Urvalet", ""]
    L += _md_table(
        ["Nr", "Steg", "Kod", "Kommun", "Skäl", "Slumptal", "Inklusionssannolikhet", "Designvikt"],
        [[u.order, f"`{u.stage}`", u.municipality_code, u.municipality_name, u.reason,
          "–" if np.isnan(u.random_number) else sv_decimal(u.random_number, 6),
          sv_decimal(u.inclusion_probability, 4), sv_decimal(u.design_weight, 2)] for u in sample.units],
    )
    L += ["", "## Inklusionssannolikheter", ""]
    methods = sorted({u.probability_method for u in sample.units})
    L += ["Sannolikheten att kommunen kommer med i urvalet under hela designen (alla steg); designvikten är "
          "dess invers. Fasta kommuner och högsta värden har sannolikhet 1 (de bestäms av ramen). För "
          "slumpstegen räknas sannolikheten exakt genom att antalet ännu ovalda kommuner i varje "
          "kombination av listor följs från steg till steg (hypergeometriska fördelningar); i ett enskilt "
          "steg är den n/N givet tidigare steg.",
          "", "Metoder i detta urval: " + ", ".join(_METHOD_SV.get(m, m) for m in methods) + "."]
    if sample.probability_note:
        L += ["", f"Anmärkning: {sample.probability_note}."]
    if sample.replicates:
        L += ["", f"Monte Carlo med {sv_int(sample.replicates)} replikat (numpy default_rng({sample.seed})) "
              "för de sannolikheter som inte kan räknas exakt; standardfelet står i CSV-filen."]
    L.append("")
    if published_check is not None:
        L += published_check.protocol_section()
        L.append("")
    if sample.synthetic:
        L += [f"> **{SYNTHETIC_BANNER}.**", ""]
    return "\n".join(L)


def _short(path: str) -> str:
    from pathlib import Path

    from ._frame import _display

    return _display(Path(path)) if path else "–"
