"""A synthetic next wave (2017) of the study, built as a data package: what a new wave is.

:func:`build_next_wave` writes a complete data package for a made-up wave 2017 into a
folder. Nothing in it is real data about 2017: it is labelled synthetic in its
descriptor (``"synthetic": true``, its title and description), in its frame's metadata,
in its own source (``synthetic_2017``) and in every figure row of the wave. It exists so
that tests can show that a new wave is data, not code: ``sbm-stats data check``,
``audit`` and ``sample`` run on it with ``--data-dir`` and no code change, and every
number they print comes from it.

What differs from the bundled 2014 package, and why each difference is there:

* ``wave`` 2017, ``compares_with`` 2008, 2011 and 2014 (one more wave in the
  comparisons); ``wave_measures`` has a 2017 row per measure and its schema allows 2017.
* its own design (``design/2017.yaml``): three fixed municipalities instead of four, two
  Kronofogden variables instead of four, BME draws of 6 and 5 instead of 8 and 7, one
  supplement instead of two; and one different rule: a Kronofogden pick whose highest
  municipality is already selected is skipped (``already_selected: skip``; 2014:
  ``next``), so the design has no fixed ``expected_size``.
* its own frame: columns of 2016 (``kfm_*_2016``, ``population_2016``), a schema that
  says so (every year of its fields' names, titles and descriptions three years on: BME
  2017), and a demonstration frame derived from the bundled one by a documented rule
  (counts × 1.1 rounded down; the children answer yes/no swapped where the municipality
  code is divisible by 5).
* its own published figures, all synthetic: every row of the bundled
  ``published_figures.csv`` again under the same id (so that ``report.qmd``, which cites
  the publication's statements by id, has every statement it cites), with synthetic
  numbers by the rules of :func:`_synthetic_row` (periods three years on, counts of the
  interviewed scaled from 29 to 23, other counts and values x 1.1, verbal quantities
  kept only where still true), plus this wave's BME figures of 2016 (``bme.*_2016``);
  its own published sample (``sample_2017``: 24 municipalities) and its own claims
  (``audit/claims_2017.yaml``, ids ``w2017.*``, none shared with 2014).

The tables that do not depend on the wave (municipalities, sources, housing solutions,
vulnerability factors, verbal quantities) are copied from the bundled package, as a
real next wave would start from them. The wave measures keep their 2008-2014 rows (now
pointing at synthetic figures; the 2014 interview figures are marked missing, because
their ids hold this wave's statements) and gain a 2017 row each.

The builder is deterministic (no random numbers, no clock) and fast (plain file writes,
no sbm_stats code runs), so any test can call it on its own ``tmp_path``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

__all__ = ["build_next_wave", "WAVE", "CLAIM_IDS", "STAGE_SIZES", "SYNTHETIC_SOURCE"]

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "data"

WAVE = "2017"
SYNTHETIC_SOURCE = "synthetic_2017"
#: The wave's fixed municipalities (Stockholm, Göteborg, Malmö; 2014 also had Helsingborg).
FIXED = ("0180", "1480", "1280")
#: The sizes of the design's stages by id, as written in design/2017.yaml below
#: (the Kronofogden stage picks at most 2 variables x 2 measures = 4).
STAGE_SIZES = {"fixed": 3, "kronofogden": 4, "bme_children": 6, "bme_takeover": 5, "supplement_no_children": 1}
#: The ids of the wave's claims (claims_2017.yaml below).
CLAIM_IDS = (
    "w2017.sample.asked",
    "w2017.sample.interviewed",
    "w2017.sample.fixed_plus_other",
    "w2017.res.forced_moves",
    "w2017.res.no_strategy",
    "w2017.bme.flats_growth",
    "w2017.bme.flats_direction",
)
#: Tables copied unchanged from the bundled package.
_COPIED = ("municipalities.csv", "housing_solutions.csv", "vulnerability_factors.csv", "verbal_quantities.csv")
_NOTE = "SYNTETISK uppgift för testet av en ny våg: inte en verklig uppgift."
#: The municipalities interviewed in the bundled wave (method.interviewed) and in this one
#: (sample_2017 below: 24 asked, one declined).
INTERVIEWED = (29, 23)
#: Every period is moved this many years on (2014 -> 2017, 2008-2013 -> 2011-2016, 2012H1 -> 2015H1).
YEARS_ON = 3
#: Rows that describe this wave's own sample and design: count, base, value, as the
#: sample (24 asked, 23 interviewed, 3 fixed, 21 others) and design/2017.yaml below give them.
_OWN_ROWS = {
    "method.asked": ("24", "", ""),
    "method.interviewed": ("23", "24", ""),
    "method.declined": ("1", "24", ""),
    "method.fixed_large": ("3", "24", ""),
    "method.other_selected": ("21", "24", ""),
    "method.kfm_variables": ("", "", "2"),
    "method.supplement_no_children": ("1", "24", ""),
    "method.supplement_no_answer": ("0", "24", ""),
}
#: A count that is the base of other rows keeps its value (res.family_moves: the four of
#: res.family_moves_*), so the subgroup rows stay within it.
_KEEP_COUNT = ("res.family_moves",)
#: A count that is the complement of another among the interviewed (9 + 20 = 29 in 2014).
_COMPLEMENT = {"res.has_strategy": "res.no_strategy"}
#: A base that is another row's count (the nine with a strategy).
_BASE_OF = {"res.strategy_coordinator": "res.has_strategy"}

# figure_id, topic, section, label_sv, period, count, base, value, unit, verbal: this wave's
# own later BME figures (bme.flats_2016 is computed: bme.flats_2013 of this package x 1.1).
# Their period is 2019: the bundled rows' periods move three years on (bme.flats_2013 is
# 2016 here), and a change needs a later end than its start.
_NEW_FIGURES = (
    ("bme.municipalities_2016", "boverket_bme", "Den sekundära bostadsmarknaden / Boverkets resultat",
     "Kommuner med sekundär bostadsmarknad", "2019", "251", "290", "", "municipalities", ""),
    ("bme.flats_2016", "boverket_bme", "Den sekundära bostadsmarknaden / Boverkets resultat",
     "Andrahandslägenheter på den sekundära bostadsmarknaden", "2019", "", "", None, "flats", ""),
)

# measure_id -> this wave's figure, or None (the reason is written with it)
_MEASURES_2017 = {
    "bme_municipalities": "bme.municipalities_2016",
    "bme_flats": "bme.flats_2016",
    "bme_children_share": None,
    "sos_situation3": None,
    "interview_forced_moves": "res.forced_moves",
    "interview_no_strategy": "res.no_strategy",
}
#: The measures whose 2014 figure is this wave's statement under the same id: the 2014
#: value is not in this package (its rows are the 2017 statements).
_INTERVIEW_MEASURES = ("interview_forced_moves", "interview_no_strategy")

_DESIGN = """\
# SYNTETISK design för en påhittad våg 2017 (tests/waves): inte en verklig urvalsdesign.
# Differs from 2014 in its stage sizes and in one rule (already_selected: skip).
name: sbm-2017-synthetic
title: "SYNTETISK: Urval av kommuner 2017 (testvåg, inte verklig)"
description: >
  SYNTETISK design for a made-up wave: three fixed municipalities, the highest count and
  count per inhabitant of two Kronofogden 2016 variables (skipping a municipality already
  selected), random draws of 6 and 5 from two BME lists and one supplement.
source: "tests/waves/__init__.py (synthetic)"
wave: "2017"
frame_schema: ../schemas/frame.schema.json
random_numbers: per_stage
random_order: [bme_children, bme_takeover, supplement_no_children]
stages:
  - id: fixed
    kind: certainty
    label: "Fasta kommuner (SYNTETISK våg 2017)"
    reason: "fast urval (syntetisk testvåg)"
    codes: ["0180", "1480", "1280"]
  - id: kronofogden
    kind: extremes
    label: "Kronofogden 2016: högst antal och högst antal per invånare (SYNTETISK våg)"
    variables:
      - column: kfm_eviction_applications_2016
        label: "ansökningar om avhysning"
      - column: kfm_executed_evictions_2016
        label: "verkställda avhysningar"
    measures: [count, per_inhabitant]
    pick_order: by_variable
    per: 10000
    population: population_2016
    decimals: 1
    already_selected: skip
    ties: lowest_code
  - id: bme_children
    kind: random
    label: "BME 2017, barn (SYNTETISK våg)"
    eligible: 'bme_children_under_18 == "yes"'
    size: 6
    exclude_selected: true
  - id: bme_takeover
    kind: random
    label: "BME 2017, övertagande (SYNTETISK våg)"
    eligible: 'bme_tenant_takeover_aim == "yes"'
    size: 5
    exclude_selected: true
  - id: supplement_no_children
    kind: random
    label: "Komplettering, inga barn (SYNTETISK våg)"
    eligible: 'bme_children_under_18 == "no"'
    size: 1
    exclude_selected: true
# One open assumption with a runnable alternative (the order of the draws), so that the
# report's sensitivity annex has something to vary.
open_assumptions:
  - id: random_order
    tag: "B1"
    question: In which order are the random stages drawn?
    default: children_first
    alternatives:
      takeover_first:
        random_order: [bme_takeover, bme_children, supplement_no_children]
"""

_CLAIMS = """\
# SYNTETISKT påståenderegister för en påhittad våg 2017 (tests/waves): inte verkliga påståenden.
wave: "2017"
claims:
  - id: w2017.sample.asked
    section: Metod / Telefonintervjuer
    claim: "SYNTETISK: 24 kommuner tillfrågades"
    kind: table_count
    table: sample_2017
    figure: method.asked
  - id: w2017.sample.interviewed
    section: Metod / Telefonintervjuer
    claim: "SYNTETISK: 23 kommuner intervjuades"
    kind: table_count
    table: sample_2017
    where: interviewed
    figure: method.interviewed
  - id: w2017.sample.fixed_plus_other
    section: Metod / Urval av kommuner
    claim: "SYNTETISK: de tre fasta och de 21 övriga utgör de 24 tillfrågade"
    kind: parts_sum
    parts: [method.fixed_large, method.other_selected]
    total: method.asked
  - id: w2017.res.forced_moves
    section: Resultat / Informellt påtvingade flyttningar
    claim: "SYNTETISK: drygt hälften, 13 av 23, har haft påtvingade flyttningar"
    kind: verbal_share
    figure: res.forced_moves
  - id: w2017.res.no_strategy
    section: Resultat / Övergripande frågeställningar
    claim: "SYNTETISK: de flesta, 16 av 23, saknar strategi"
    kind: verbal_share
    figure: res.no_strategy
  - id: w2017.bme.flats_growth
    section: Den sekundära bostadsmarknaden / Boverkets resultat
    claim: "SYNTETISK: andrahandslägenheterna har ökat med cirka 10 procent sedan 2013"
    kind: growth
    before: bme.flats_2013
    after: bme.flats_2016
    wording: cirka 10 procent
  - id: w2017.bme.flats_direction
    section: Den sekundära bostadsmarknaden / Boverkets resultat
    claim: "SYNTETISK: andrahandslägenheterna har blivit fler sedan 2013"
    kind: direction
    before: bme.flats_2013
    after: bme.flats_2016
    expected: increase
"""


def build_next_wave(folder: str | Path) -> Path:
    """Write the synthetic 2017 data package into ``folder`` (created; must be empty) and return it.

    Parameters
    ----------
    folder : str or Path
        Where the package goes; a folder that does not exist yet, or an empty one.

    Returns
    -------
    Path
        ``folder``, now holding ``datapackage.json`` and the wave's files.
    """
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(f"folder ({folder}) must be empty or not exist yet")
    for sub in ("design", "audit", "schemas", "synthetic"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for name in _COPIED:
        shutil.copyfile(BUNDLED / name, folder / name)
    _write_sources(folder)
    _write_published_figures(folder)
    _write_sample(folder)
    _write_wave_measures(folder)
    _write_frame(folder)
    (folder / "design" / "2017.yaml").write_text(_DESIGN, encoding="utf-8")
    (folder / "audit" / "claims_2017.yaml").write_text(_CLAIMS, encoding="utf-8")
    _write_descriptor(folder)
    return folder


# ------------------------------------------------------------------------------ tables


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _write_sources(folder: Path) -> None:
    header, rows = _read(BUNDLED / "sources.csv")
    citation = "SYNTETISK källa: påhittade uppgifter för testet av en ny våg (tests/waves), inte verkliga uppgifter."
    rows.append([SYNTHETIC_SOURCE, "report", citation, citation,  # the citation and, the same, in Swedish
                 "SYNTETISK källa",  # its short name
                 "", "", "Synthetic: made up by tests/waves/__init__.py."])
    _write(folder / "sources.csv", header, rows)


def _write_published_figures(folder: Path) -> None:
    """Every row of the bundled published_figures.csv again, with synthetic numbers (see :func:`_synthetic_row`)."""
    header, rows = _read(BUNDLED / "published_figures.csv")
    terms = _share_terms()
    out = {r[0]: _synthetic_row(dict(zip(header, r)), terms) for r in rows}
    for figure_id, count_of in _COMPLEMENT.items():
        out[figure_id]["count"] = str(INTERVIEWED[1] - int(out[count_of]["count"]))
    for figure_id, base_of in _BASE_OF.items():
        out[figure_id]["base"] = out[base_of]["count"]
    for figure in _NEW_FIGURES:
        row = dict(zip(header, [*figure, SYNTHETIC_SOURCE, _NOTE]))
        if row["value"] is None:
            row["value"] = str(_scaled(float(out["bme.flats_2013"]["value"])))
        out[row["figure_id"]] = row
    _write(folder / "published_figures.csv", header, [[row[h] for h in header] for row in out.values()])


def _scaled(x: float) -> int:
    """x x 1.1 rounded half up (16 386 -> 18 025, 45 -> 50, 6 -> 7, 3 -> 3)."""
    return int(Decimal(str(x)) * Decimal("1.1") + Decimal("0.5"))


def _share_terms() -> dict[str, tuple[float, float, bool, bool]]:
    """The share terms of verbal_quantities.csv: term -> (low, high, low_closed, high_closed)."""
    header, rows = _read(BUNDLED / "verbal_quantities.csv")
    out = {}
    for row in rows:
        r = dict(zip(header, row))
        if r["kind"] == "share":
            out[r["term"]] = (float(r["low"]), float(r["high"]), r["low_closed"] == "true", r["high_closed"] == "true")
    return out


def _synthetic_row(row: dict[str, str], terms) -> dict[str, str]:
    """A bundled figure row with synthetic numbers, by these rules (in this order):

    1. the period moves :data:`YEARS_ON` years on;
    2. this wave's own method rows (:data:`_OWN_ROWS`) take the sample's and design's numbers;
    3. a count out of the interviewed (base 29) becomes a count out of 23:
       round half up of count x 23 / 29 (16 of 29 -> 13 of 23; 29 of 29 -> 23 of 23),
       except :data:`_KEEP_COUNT`, and :data:`_COMPLEMENT` / :data:`_BASE_OF` set after;
    4. any other count is count x 1.1 rounded half up, at most its base (205 of 290 -> 226 of 290);
    5. a value is value x 1.1 rounded half up (:func:`_scaled`);
    6. the verbal quantity: kept when the numbers did not change; when it starts with a
       share term of verbal_quantities.csv and the row has a count and a base, kept only
       if the new share is inside the term's interval (an error otherwise: the rule would
       have to pick another term); when it holds the old number in digits ('cirka 800'),
       the number is replaced ('cirka 880'); otherwise left empty (a number word such as
       'tio' would no longer be true).

    The source is :data:`SYNTHETIC_SOURCE` and the note says the row is synthetic.
    """
    old = (row["count"], row["base"], row["value"])
    row = dict(row, source_id=SYNTHETIC_SOURCE, note=_NOTE)
    row["period"] = re.sub(r"[0-9]{4}", lambda m: str(int(m.group()) + YEARS_ON), row["period"])
    if row["figure_id"] in _OWN_ROWS:
        row["count"], row["base"], row["value"] = _OWN_ROWS[row["figure_id"]]
    else:
        if row["count"] and row["figure_id"] not in _KEEP_COUNT:
            if row["base"] == str(INTERVIEWED[0]):
                new = Decimal(row["count"]) * INTERVIEWED[1] / INTERVIEWED[0]
                row["count"] = str(int(new.quantize(Decimal(1), rounding=ROUND_HALF_UP)))
            else:
                row["count"] = str(min(_scaled(float(row["count"])), int(row["base"] or 10**9)))
        if row["base"] == str(INTERVIEWED[0]):
            row["base"] = str(INTERVIEWED[1])
        if row["value"]:
            row["value"] = str(_scaled(float(row["value"])))
    row["verbal"] = _verbal(row, old, terms)
    return row


def _verbal(row: dict[str, str], old: tuple[str, str, str], terms) -> str:
    words = row["verbal"]
    if not words or (row["count"], row["base"], row["value"]) == old:
        return words
    term = max((t for t in terms if words == t or words.startswith(t + " ")), key=len, default=None)
    if term is not None and row["count"] and row["base"]:
        low, high, low_closed, high_closed = terms[term]
        share = int(row["count"]) / int(row["base"])
        inside = (low < share or (low_closed and low == share)) and (share < high or (high_closed and share == high))
        if not inside:
            raise ValueError(f"{row['figure_id']}: {row['count']} of {row['base']} is outside '{term}'")
        return words
    if term is not None and not row["count"]:
        return words  # a share in words only: no number changed under it
    for before, after in zip(old, (row["count"], row["base"], row["value"])):
        if before and before != after:
            written = f"{int(float(before)):,}".replace(",", " ")
            if re.search(rf"(?<![0-9]){re.escape(written)}(?![0-9])", words):
                return re.sub(rf"(?<![0-9]){re.escape(written)}(?![0-9])",
                              f"{int(float(after)):,}".replace(",", " "), words)
    return ""


def _write_sample(folder: Path) -> None:
    _, municipalities = _read(BUNDLED / "municipalities.csv")
    names = {row[0]: row[1] for row in municipalities}
    others = [code for code in sorted(names) if code not in FIXED][5::13][:21]  # 21 codes, every 13th
    header = ["municipality_code", "municipality_name", "publication_group", "interviewed", "source_id", "note"]
    rows = [[code, names[code], "fixed_large", "true", SYNTHETIC_SOURCE, "SYNTETISK"] for code in FIXED]
    rows += [[code, names[code], "other_selected", "true", SYNTHETIC_SOURCE, "SYNTETISK"] for code in others]
    rows[-1][3] = "false"  # one declined: 23 of 24 interviewed
    _write(folder / "sample_2017.csv", header, rows)


def _write_wave_measures(folder: Path) -> None:
    """The bundled measures (their figures now synthetic), the 2014 interview figures marked
    missing (their ids hold this wave's statements), and a 2017 row per measure."""
    header, rows = _read(BUNDLED / "wave_measures.csv")
    labels = {r[0]: r[1] for r in rows}
    assert set(labels) == set(_MEASURES_2017), "the bundled wave measures changed: update _MEASURES_2017"
    out = []
    for measure, label, wave, figure, reason, _ in rows:
        if measure in _INTERVIEW_MEASURES and figure:
            figure, reason = "", "SYNTETISK våg: 2014 års uppgift finns inte i testpaketet."
        out.append([measure, label, wave, figure, reason, "SYNTETISK uppgift (testvåg)."])
    for measure, figure in _MEASURES_2017.items():
        reason = "" if figure else "SYNTETISK våg: ingen uppgift för 2017 i testpaketet."
        out.append([measure, labels[measure], WAVE, figure or "", reason, "SYNTETISK uppgift (testvåg)."])
    _write(folder / "wave_measures.csv", header, out)


def _write_frame(folder: Path) -> None:
    schema = json.loads((BUNDLED / "schemas" / "frame.schema.json").read_text(encoding="utf-8"))
    for f in schema["fields"]:  # the years of names, titles and descriptions three years on
        f["name"] = f["name"].replace("_2013", "_2016")
        for key in ("title", "description"):
            if key in f:
                f[key] = re.sub(r"\b(2013|2014)\b", lambda m: str(int(m.group()) + YEARS_ON), f[key])
    schema["title"] = "SYNTETISK: ramen för en påhittad våg 2017 (kolumner för 2016)"
    schema["description"] = ("Synthetic test wave: the 2014 frame schema with the columns of 2016 "
                             "(Kronofogden 2016, population 31 December 2016, BME 2017).")
    (folder / "schemas" / "frame.schema.json").write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
                                                          encoding="utf-8")
    header, rows = _read(BUNDLED / "synthetic" / "demo_frame_2013.csv")
    counts = [i for i, name in enumerate(header) if name.startswith("kfm_")]
    children = header.index("bme_children_under_18")
    for row in rows:
        for i in counts:
            row[i] = str(int(row[i]) * 11 // 10)
        if int(row[0]) % 5 == 0 and row[children] in ("yes", "no"):
            row[children] = "no" if row[children] == "yes" else "yes"
    _write(folder / "synthetic" / "demo_frame_2016.csv", [h.replace("_2013", "_2016") for h in header], rows)
    meta = {
        "synthetic": True,
        "statement": ("SYNTETISKA DATA – inte verkliga uppgifter. A made-up frame for a made-up wave 2017: "
                      "the bundled synthetic demonstration frame with every count times 1.1 (rounded down) and "
                      "the children answer swapped where the municipality code is divisible by 5."),
        "generator": "tests/waves/__init__.py::build_next_wave",
    }
    (folder / "synthetic" / "demo_frame_2016.meta.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_descriptor(folder: Path) -> None:
    d = json.loads((BUNDLED / "datapackage.json").read_text(encoding="utf-8"))
    d["name"] = "sbm-stats-data-2017-synthetic"
    d["title"] = "SYNTETISK testvåg 2017: data för sbm-stats (inte verkliga uppgifter)"
    d["description"] = ("SYNTETISKA DATA – inte verkliga uppgifter. A made-up next wave (2017) built by "
                        "tests/waves/__init__.py to show that a new wave is data, not code.")
    d.update(wave=WAVE, synthetic=True, compares_with=["2008", "2011", "2014"],
             published_sample="sample_2017", demo_frame="demo_frame_2016")
    for res in d["resources"]:
        if res["name"] == "sample_2014":
            res.update(name="sample_2017", path="sample_2017.csv",
                       title="SYNTETISK: tillfrågade kommuner 2017",
                       description="The 24 municipalities of the made-up wave 2017 (synthetic).")
        elif res["name"] == "demo_frame_2013":
            res.update(name="demo_frame_2016", path="synthetic/demo_frame_2016.csv",
                       title="SYNTETISK demonstrationsram 2016 (inte verkliga uppgifter)",
                       metadata="synthetic/demo_frame_2016.meta.json",
                       description="SYNTETISKA DATA – inte verkliga uppgifter (see its .meta.json).")
        elif res["name"] == "wave_measures":
            wave_field = next(f for f in res["schema"]["fields"] if f["name"] == "wave")
            wave_field["constraints"]["enum"] = ["2008", "2011", "2014", WAVE]
    d["designs"] = [{"name": "sbm-2017-synthetic", "path": "design/2017.yaml", "wave": WAVE,
                     "description": "SYNTETISK design of the made-up wave 2017.",
                     "frame_schema": "schemas/frame.schema.json"}]
    d["audit"] = {"claims": "audit/claims_2017.yaml", "wave": WAVE,
                  "description": "SYNTETISKT påståenderegister för testvågen 2017."}
    (folder / "datapackage.json").write_text(json.dumps(d, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
