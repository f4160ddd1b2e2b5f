"""Read and check a declarative sample design (``data/design/*.yaml``).

A design is a list of stages carried out in order; each stage adds municipalities to
the sample. Three kinds of stage exist:

``certainty``
    Named municipalities (``codes``), always taken.
``extremes``
    For each of ``variables`` and each of ``measures`` (``count``, ``per_inhabitant``
    with its scale ``per`` and ``population`` column) the municipality with the
    highest value. ``already_selected`` says what happens when that municipality is
    already in the sample: ``skip`` (nothing new is taken) or ``next`` (the
    next-ranked one not yet selected is taken). ``ties`` says how equal values are
    ordered: ``lowest_code`` (the lower municipality code first) or ``error`` (stop
    and let a person decide).
``random``
    ``size`` municipalities drawn at random among those meeting the condition
    ``eligible`` (see :mod:`._condition`); ``exclude_selected`` says whether
    municipalities already in the sample are removed from the list first.

Design-level settings: ``random_numbers`` (``per_stage``: each random stage has its
own permanent random number per municipality, so the stages are independent simple
random draws; ``shared``: one number per municipality for every stage, which
coordinates the draws), ``expected_size`` (optional: the number of distinct
municipalities the design must give), and ``frame_schema`` (the Table Schema of the
frame the design selects from, relative to the design file).

Every open choice is an explicit key with no hidden default: a design file that
leaves one out is rejected with a message saying what to write.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml

from .._yaml import load_yaml
from ..data import default_data_dir, load_municipalities
from ..errors import DesignError
from ._condition import Condition, ConditionError, parse_condition

__all__ = [
    "Design",
    "CertaintyStage",
    "ExtremesStage",
    "RandomStage",
    "ExtremeVariable",
    "load_design",
    "default_design_path",
]

STAGE_KINDS = ("certainty", "extremes", "random")
RANDOM_NUMBERS = ("per_stage", "shared")
MEASURES = ("count", "per_inhabitant")
ALREADY_SELECTED = ("skip", "next")
TIES = ("lowest_code", "error")
_ID_RE = re.compile(r"[a-z][a-z0-9_]*\Z")
_CODE_RE = re.compile(r"[0-9]{4}\Z")

_TOP_KEYS = {
    "name", "title", "description", "source", "frame_schema", "random_numbers", "expected_size", "stages",
}
_COMMON_KEYS = {"id", "kind", "label", "note"}
_STAGE_KEYS = {
    "certainty": _COMMON_KEYS | {"codes", "reason"},
    "extremes": _COMMON_KEYS
    | {"variables", "measures", "per", "population", "decimals", "already_selected", "ties", "eligible"},
    "random": _COMMON_KEYS | {"eligible", "size", "exclude_selected"},
}


@dataclass(frozen=True)
class ExtremeVariable:
    """One variable of an ``extremes`` stage: a frame column and its Swedish label."""

    column: str
    label: str


@dataclass(frozen=True)
class CertaintyStage:
    """Named municipalities, always taken."""

    id: str
    label: str
    codes: tuple[str, ...]
    reason: str
    note: str | None = None
    kind: Literal["certainty"] = "certainty"


@dataclass(frozen=True)
class ExtremesStage:
    """The municipality with the highest value of each variable and measure."""

    id: str
    label: str
    variables: tuple[ExtremeVariable, ...]
    measures: tuple[Literal["count", "per_inhabitant"], ...]
    already_selected: Literal["skip", "next"]
    ties: Literal["lowest_code", "error"]
    per: int | None = None
    population: str | None = None
    decimals: int = 1
    eligible: Condition | None = None
    note: str | None = None
    kind: Literal["extremes"] = "extremes"

    @property
    def picks(self) -> tuple[tuple[ExtremeVariable, str], ...]:
        """(variable, measure) in the order they are taken: each variable, count first."""
        return tuple((v, m) for v in self.variables for m in self.measures)


@dataclass(frozen=True)
class RandomStage:
    """A simple random draw of ``size`` among the municipalities meeting ``eligible``."""

    id: str
    label: str
    eligible: Condition
    size: int
    exclude_selected: bool
    note: str | None = None
    kind: Literal["random"] = "random"


Stage = CertaintyStage | ExtremesStage | RandomStage


@dataclass(frozen=True)
class Design:
    """A sample design read from a design file.

    Attributes
    ----------
    name, title, description, source : str
        Identification; ``title`` is Swedish and heads the protocol.
    random_numbers : {"per_stage", "shared"}
        Whether each random stage has its own permanent random numbers.
    expected_size : int or None
        The number of distinct municipalities the design must give, if stated.
    stages : tuple
        The stages in the order they are carried out.
    frame_schema : dict
        The Table Schema of the frame (read from ``frame_schema_path``).
    frame_schema_path : str
        Where the schema was read.
    path : str
        The design file.
    sha256 : str
        Hex digest of the design file's bytes, for the protocol.

    Examples
    --------
    >>> d = load_design()
    >>> [s.kind for s in d.stages]
    ['certainty', 'extremes', 'random', 'random', 'random', 'random']
    >>> d.expected_size
    30
    """

    name: str
    title: str
    description: str
    source: str
    random_numbers: Literal["per_stage", "shared"]
    expected_size: int | None
    stages: tuple[Stage, ...]
    frame_schema: dict = field(repr=False, compare=False)
    frame_schema_path: str = ""
    path: str = ""
    sha256: str = ""

    def stage(self, stage_id: str) -> Stage:
        """The stage with this id."""
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise KeyError(f"stage ({stage_id!r}) must be one of: {', '.join(s.id for s in self.stages)}")

    @property
    def frame_columns(self) -> tuple[str, ...]:
        """The frame's columns, from its schema."""
        return tuple(f["name"] for f in self.frame_schema["fields"])

    def to_frame(self) -> pd.DataFrame:
        """One row per stage with its parameters (``None`` where a kind has no such parameter)."""
        rows = []
        for order, s in enumerate(self.stages, start=1):
            row: dict[str, Any] = {"order": order, "stage": s.id, "kind": s.kind, "label": s.label}
            if isinstance(s, CertaintyStage):
                row.update(size=len(s.codes), parameters="codes: " + ", ".join(s.codes))
            elif isinstance(s, ExtremesStage):
                params = [
                    "variables: " + ", ".join(v.column for v in s.variables),
                    "measures: " + ", ".join(s.measures),
                    f"already_selected: {s.already_selected}",
                    f"ties: {s.ties}",
                ]
                if "per_inhabitant" in s.measures:
                    params.append(f"per: {s.per} ({s.population})")
                if s.eligible is not None:
                    params.append(f"eligible: {s.eligible.text}")
                row.update(size=len(s.picks), parameters="; ".join(params))
            else:
                row.update(
                    size=s.size,
                    parameters=f"eligible: {s.eligible.text}; exclude_selected: {str(s.exclude_selected).lower()}",
                )
            rows.append(row)
        return pd.DataFrame(rows, columns=["order", "stage", "kind", "label", "size", "parameters"])


def default_design_path() -> Path:
    """The bundled 2014 design, ``data/design/2014.yaml``."""
    return default_data_dir() / "design" / "2014.yaml"


def load_design(path: str | Path | None = None) -> Design:
    """Read a design file and check it against its frame schema and the municipality list.

    Parameters
    ----------
    path : str or Path, optional
        A YAML design file; defaults to the 2014 design (:func:`default_design_path`).

    Returns
    -------
    Design

    Raises
    ------
    DesignError
        Listing every problem found, each naming the stage, the key and what is
        allowed (an unknown stage kind or column, an unknown municipality code, a
        missing parameter, a misspelt key).

    Examples
    --------
    >>> d = load_design()
    >>> d.stage("fixed").codes
    ('0180', '1480', '1280', '1283')
    """
    path = Path(path) if path is not None else default_design_path()
    where = str(path)
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise DesignError(f"{where}: no such design file") from None
    except IsADirectoryError:
        raise DesignError(f"{where}: expected a design file, found a folder") from None
    try:
        spec = load_yaml(raw_bytes.decode("utf-8"))
    except UnicodeDecodeError:
        raise DesignError(f"{where}: the design file must be UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise DesignError(f"{where}: not valid YAML ({exc})") from None
    if not isinstance(spec, dict):
        raise DesignError(f"{where}: expected a mapping with keys {', '.join(sorted(_TOP_KEYS))}")
    problems: list[str] = []
    design = _build(spec, path, problems)
    if problems or design is None:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise DesignError(f"{where}: {len(problems)} problem(s) in the design:\n{lines}")
    return Design(**{**design, "path": where, "sha256": hashlib.sha256(raw_bytes).hexdigest()})


# --------------------------------------------------------------------------- building


def _build(spec: dict, path: Path, problems: list[str]) -> dict | None:
    for key in spec:
        if key not in _TOP_KEYS:
            problems.append(f"unknown key {key!r}: the design's keys are {', '.join(sorted(_TOP_KEYS))}")
    for key in ("name", "title", "stages", "random_numbers"):
        if key not in spec:
            hint = " (per_stage or shared)" if key == "random_numbers" else ""
            problems.append(f"missing key {key!r}{hint}")
    random_numbers = spec.get("random_numbers", "per_stage")
    if random_numbers not in RANDOM_NUMBERS:
        problems.append(f"random_numbers ({random_numbers!r}) must be one of: {', '.join(RANDOM_NUMBERS)}")
    expected = spec.get("expected_size")
    if expected is not None and (not _is_int(expected) or expected < 1):
        problems.append(f"expected_size ({expected!r}) must be a positive whole number or null")

    schema_path, schema = _read_schema(spec.get("frame_schema"), path, problems)
    fields = {f["name"]: f for f in schema.get("fields", [])} if schema else {}
    known_codes = set(load_municipalities()["municipality_code"])

    stages_spec = spec.get("stages")
    stages: list[Stage] = []
    if stages_spec is not None and (not isinstance(stages_spec, list) or not stages_spec):
        problems.append("stages must be a non-empty list of stages")
        stages_spec = []
    seen: set[str] = set()
    for i, raw in enumerate(stages_spec or [], start=1):
        stage = _build_stage(raw, i, fields, known_codes, problems)
        if stage is None:
            continue
        if stage.id in seen:
            problems.append(f"stage {i}: id {stage.id!r} is used by an earlier stage; each id must be unique")
        seen.add(stage.id)
        stages.append(stage)
    if problems:
        return None
    return {
        "name": str(spec["name"]),
        "title": str(spec["title"]),
        "description": str(spec.get("description", "")).strip(),
        "source": str(spec.get("source", "")).strip(),
        "random_numbers": random_numbers,
        "expected_size": expected,
        "stages": tuple(stages),
        "frame_schema": schema,
        "frame_schema_path": str(schema_path),
    }


def _read_schema(value: Any, design_path: Path, problems: list[str]) -> tuple[Path | None, dict | None]:
    if value is None:
        schema_path = default_data_dir() / "schemas" / "frame.schema.json"
    elif isinstance(value, str):
        schema_path = (design_path.parent / value).resolve()
    else:
        problems.append(f"frame_schema ({value!r}) must be a path to a Table Schema JSON file")
        return None, None
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"frame_schema: no such file {schema_path}")
        return None, None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"frame_schema: {schema_path} is not valid UTF-8 JSON ({exc})")
        return None, None
    names = [f.get("name") for f in schema.get("fields", [])] if isinstance(schema, dict) else []
    if "municipality_code" not in names:
        problems.append(f"frame_schema: {schema_path} must describe a 'municipality_code' field")
        return None, None
    return schema_path, schema


def _build_stage(raw: Any, i: int, fields: dict, known_codes: set[str], problems: list[str]) -> Stage | None:
    if not isinstance(raw, dict):
        problems.append(f"stage {i}: expected a mapping with id, kind, label, ..., found {raw!r}")
        return None
    sid = raw.get("id")
    where = f"stage {sid!r}" if isinstance(sid, str) else f"stage {i}"
    if not isinstance(sid, str) or not _ID_RE.match(sid):
        problems.append(f"{where}: id ({sid!r}) must be lower-case letters, digits and _ starting with a letter")
    kind = raw.get("kind")
    if kind not in STAGE_KINDS:
        problems.append(f"{where}: kind ({kind!r}) must be one of: {', '.join(STAGE_KINDS)}")
        return None
    for key in raw:
        if key not in _STAGE_KEYS[kind]:
            problems.append(
                f"{where}: unknown key {key!r} for a {kind} stage; allowed: {', '.join(sorted(_STAGE_KEYS[kind]))}"
            )
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        problems.append(f"{where}: label must be a non-empty Swedish text (it is shown in the protocol)")
    note = raw.get("note")
    n_before = len(problems)
    if kind == "certainty":
        stage = _certainty(raw, where, known_codes, problems)
    elif kind == "extremes":
        stage = _extremes(raw, where, fields, problems)
    else:
        stage = _random(raw, where, fields, problems)
    if stage is None or len(problems) > n_before:
        return None
    return stage(id=sid, label=str(label).strip(), note=str(note).strip() if note else None)


def _certainty(raw: dict, where: str, known_codes: set[str], problems: list[str]):
    codes = raw.get("codes")
    if not isinstance(codes, list) or not codes:
        problems.append(f"{where}: codes must be a non-empty list of quoted four-digit municipality codes")
        return None
    out = []
    for c in codes:
        if not isinstance(c, str):
            problems.append(
                f"{where}: code {c!r} must be quoted text such as '0180' (YAML reads an unquoted code as a number)"
            )
        elif not _CODE_RE.match(c):
            problems.append(f"{where}: code {c!r} must be four digits")
        elif c not in known_codes:
            problems.append(f"{where}: code {c!r} is not one of the 290 municipality codes in data/municipalities.csv")
        elif c in out:
            problems.append(f"{where}: code {c!r} is listed twice")
        else:
            out.append(c)
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        problems.append(f"{where}: reason must be a Swedish text saying why these municipalities are taken")
    codes_t = tuple(out)

    def make(**kw):
        return CertaintyStage(codes=codes_t, reason=str(reason).strip(), **kw)

    return make


def _extremes(raw: dict, where: str, fields: dict, problems: list[str]):
    variables = raw.get("variables")
    parsed: list[ExtremeVariable] = []
    if not isinstance(variables, list) or not variables:
        problems.append(f"{where}: variables must be a non-empty list of {{column, label}}")
    else:
        for v in variables:
            if not isinstance(v, dict) or set(v) != {"column", "label"}:
                problems.append(f"{where}: each variable must have exactly the keys column and label, found {v!r}")
                continue
            col = v["column"]
            if col not in fields:
                problems.append(f"{where}: unknown column {col!r}; the frame's columns are: {', '.join(fields)}")
            elif fields[col].get("type") not in ("integer", "number"):
                problems.append(f"{where}: column {col!r} must hold numbers to be ranked (its type is {fields[col].get('type')!r})")
            parsed.append(ExtremeVariable(str(col), str(v["label"]).strip()))
    measures = raw.get("measures")
    if not isinstance(measures, list) or not measures or any(m not in MEASURES for m in measures):
        problems.append(f"{where}: measures ({measures!r}) must be a non-empty list of: {', '.join(MEASURES)}")
        measures = []
    elif len(set(measures)) != len(measures):
        problems.append(f"{where}: measures ({measures!r}) lists a measure twice")
    per = raw.get("per")
    population = raw.get("population")
    if "per_inhabitant" in measures:
        if not _is_int(per) or per < 1:
            problems.append(f"{where}: per ({per!r}) must be a positive whole number such as 10000 (per 10 000 inhabitants)")
        if population not in fields:
            problems.append(
                f"{where}: population ({population!r}) must name the frame's population column; "
                f"the frame's columns are: {', '.join(fields)}"
            )
    elif per is not None or population is not None:
        problems.append(f"{where}: per and population apply only with the measure per_inhabitant")
    decimals = raw.get("decimals", 1)
    if not _is_int(decimals) or not 0 <= decimals <= 6:
        problems.append(f"{where}: decimals ({decimals!r}) must be a whole number from 0 to 6")
    rule = raw.get("already_selected")
    if rule not in ALREADY_SELECTED:
        problems.append(
            f"{where}: already_selected ({rule!r}) must be one of: skip (take nothing new), "
            "next (take the next-ranked municipality not yet selected)"
        )
    ties = raw.get("ties")
    if ties not in TIES:
        problems.append(f"{where}: ties ({ties!r}) must be one of: {', '.join(TIES)}")
    eligible = _condition(raw.get("eligible"), where, fields, problems) if "eligible" in raw else None

    def make(**kw):
        return ExtremesStage(
            variables=tuple(parsed), measures=tuple(measures), already_selected=rule, ties=ties,
            per=per if "per_inhabitant" in measures else None,
            population=population if "per_inhabitant" in measures else None,
            decimals=decimals, eligible=eligible, **kw,
        )

    return make


def _random(raw: dict, where: str, fields: dict, problems: list[str]):
    if "eligible" not in raw:
        problems.append(f"{where}: eligible must be a condition on the frame's columns, e.g. 'column == \"yes\"'")
        eligible = None
    else:
        eligible = _condition(raw.get("eligible"), where, fields, problems)
    size = raw.get("size")
    if not _is_int(size) or size < 1:
        problems.append(f"{where}: size ({size!r}) must be a positive whole number")
    exclude = raw.get("exclude_selected")
    if not isinstance(exclude, bool):
        problems.append(
            f"{where}: exclude_selected ({exclude!r}) must be true (remove municipalities already selected "
            "from the list before drawing) or false"
        )

    def make(**kw):
        return RandomStage(eligible=eligible, size=size, exclude_selected=exclude, **kw)

    return make


def _condition(text: Any, where: str, fields: dict, problems: list[str]) -> Condition | None:
    try:
        cond = parse_condition(text)
        if fields:
            cond.check(fields)
        return cond
    except ConditionError as exc:
        problems.append(f"{where}: eligible: {exc}")
        return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
