"""Read and check a declarative sample design (``data/design/*.yaml``).

A design is a list of stages carried out in order; each stage adds municipalities to
the sample. The kinds of stage (``certainty``, ``extremes``, ``random``) are described
and implemented each in its own module of :mod:`sbm_stats.sampling.stages`, named in
its registry :data:`~sbm_stats.sampling.stages.STAGE_KINDS`; this module reads what is
common to every kind (``id``, ``kind``, ``label``, ``note``) and hands a stage's other
keys to its kind.

Design-level settings: ``random_numbers`` (``per_stage``: each random stage has its
own permanent random number per municipality, so the random numbers of different
stages are independent; ``shared``: one number per municipality for every stage, which
coordinates the draws), ``random_order`` (the random stages' ids in the order they are
drawn; default: the order they are listed; the random stages take the places in the
stage list that random stages hold), ``wave`` (optional: the wave the design is for; it
must be the wave of the data package it is read with), ``expected_size`` (optional: the number of
distinct municipalities the design must give; checked when the design is read, as far
as the stages fix it, and again on the frame), and ``frame_schema`` (the Table Schema
of the frame the design selects from, relative to the design file).

``open_assumptions`` lists the choices the source leaves open that have a runnable
alternative: each has an ``id``, a ``tag`` (the ``OPEN ASSUMPTION`` marks of the
file's comments), a ``question``, the name of the ``default`` (what the stages above
do) and ``alternatives``, each a set of *changes* to the design:
``{stages: {stage_id: {key: value}}, random_order: [...], expected_size: n}``.
:func:`sbm_stats.sampling.design_variant` applies a choice of alternatives and
:func:`sbm_stats.sampling.design_sensitivity` runs every combination.

A *variant file* holds only ``variant_of`` (the base design file, relative to the
variant file), ``name``, ``title``, optionally ``description``, and ``choose`` (a
mapping from assumption id to the name of one of its alternatives): the changes stay
written once, in the base file.

Every open choice is an explicit key with no hidden default: a design file that
leaves one out is rejected with a message saying what to write. (The two orderings
above have a documented default because a design with one random stage or one
variable has nothing to order.)
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml

from .._yaml import load_yaml
from ..data._characters import yaml_problems
from ..data._package import DataPackage, file_wave_problem
from ..errors import DataValidationError, DesignError
from .stages import STAGE_KINDS, CertaintyStage, ExtremesStage, ExtremeVariable, RandomStage, Stage
from .stages._base import ParseContext
from .stages._base import is_int as _is_int

__all__ = [
    "Design",
    "CertaintyStage",
    "ExtremesStage",
    "RandomStage",
    "ExtremeVariable",
    "OpenAssumption",
    "load_design",
    "default_design_path",
]

RANDOM_NUMBERS = ("per_stage", "shared")
_ID_RE = re.compile(r"[a-z][a-z0-9_]*\Z")

_TOP_KEYS = {
    "name", "title", "description", "source", "wave", "frame_schema", "random_numbers", "expected_size", "stages",
    "random_order", "open_assumptions",
}
#: The keys of a variant file (one that names a base design with ``variant_of``).
_VARIANT_KEYS = {"variant_of", "name", "title", "description", "choose", "wave"}
#: The design-level keys that an alternative's changes may set besides ``stages``.
_CHANGE_KEYS = {"stages", "random_order", "expected_size", "random_numbers"}
@dataclass(frozen=True)
class OpenAssumption:
    """A choice the source leaves open, with its runnable alternatives.

    Attributes
    ----------
    id : str
        The key that :func:`design_variant` and variant files use (``a1_a2``).
    tag : str
        The ``OPEN ASSUMPTION`` mark(s) in the design file's comments (``A1+A2``).
    question : str
        What is open, in words.
    default : str
        The name of what the design's stages do.
    alternatives : tuple of str
        The names of the other choices, in the order the file lists them.
    """

    id: str
    tag: str
    question: str
    default: str
    alternatives: tuple[str, ...]
    changes: Mapping[str, Mapping[str, Any]] = field(repr=False, compare=False, default_factory=dict)

    @property
    def choices(self) -> tuple[str, ...]:
        """The default followed by the alternatives."""
        return (self.default, *self.alternatives)


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
        The stages in the order they are carried out (the random stages in
        ``random_order``).
    random_order : tuple of str
        The random stages' ids in the order they are drawn.
    open_assumptions : tuple of OpenAssumption
        The open choices with runnable alternatives.
    choices : dict
        Which choice of each open assumption this design makes (assumption id to the
        default's or an alternative's name).
    variant_of : str or None
        The base design file, for a variant.
    frame_schema : dict
        The Table Schema of the frame (read from ``frame_schema_path``).
    frame_schema_path : str
        Where the schema was read.
    path : str
        The design file.
    sha256 : str
        Hex digest of the design file's bytes, for the protocol.
    package : DataPackage or None
        The data package the design is read with (see :func:`load_design`): its
        municipality list checks the codes, its frame schema is the default, and a
        sample drawn with the design reads it alone.
    data_dir : Path or None
        That package's folder.

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
    random_order: tuple[str, ...] = ()
    open_assumptions: tuple[OpenAssumption, ...] = ()
    choices: Mapping[str, str] = field(default_factory=dict, compare=False)
    variant_of: str | None = None
    spec: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    data_dir: Path | None = field(default=None, repr=False, compare=False)
    package: DataPackage | None = field(default=None, repr=False, compare=False)

    def assumption(self, assumption_id: str) -> OpenAssumption:
        """The open assumption with this id."""
        for a in self.open_assumptions:
            if a.id == assumption_id:
                return a
        known = ", ".join(a.id for a in self.open_assumptions) or "none (the design lists no open_assumptions)"
        raise DesignError(f"open assumption ({assumption_id!r}) must be one of: {known}")

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
            size, parameters = s.table_row()
            rows.append({"order": order, "stage": s.id, "kind": s.kind, "label": s.label, "size": size,
                         "parameters": parameters})
        return pd.DataFrame(rows, columns=["order", "stage", "kind", "label", "size", "parameters"])


def default_design_path() -> Path:
    """The bundled package's design (``data/design/2014.yaml``), as its descriptor names it."""
    return DataPackage.open(None).design_path


def design_package(path: str | Path | None, package: DataPackage | str | Path | None) -> DataPackage:
    """The package a design is read with: ``package`` when given, else the one the file lies in.

    A design file that lies in no data package is read with the bundled package (its
    municipality list and frame schema); pass ``package`` to read it with another.
    """
    if package is not None:
        return DataPackage.open(package)
    if path is not None:
        found = DataPackage.containing(path)
        if found is not None:
            return found
    return DataPackage.open(None)


def load_design(path: str | Path | None = None, *, package: DataPackage | str | Path | None = None) -> Design:
    """Read a design file and check it against its frame schema and the municipality list.

    Parameters
    ----------
    path : str or Path, optional
        A YAML design file; defaults to the package's design (the entry of its
        descriptor's ``designs`` without ``variant_of``).
    package : DataPackage, str or Path, optional
        The data package to read it with: its municipality list checks the codes and its
        frame schema is the default. Default: the package the file lies in, else (and
        without ``path``) the bundled one.

    Returns
    -------
    Design

    Raises
    ------
    DesignError
        Listing every problem found, each naming the stage, the key and what is
        allowed (an unknown stage kind or column, an unknown municipality code, a
        missing parameter, a misspelt key); or a design file whose ``wave`` is not the
        package's (the waves must not be mixed).

    Examples
    --------
    >>> d = load_design()
    >>> d.stage("fixed").codes
    ('0180', '1480', '1280', '1283')
    >>> d.package.wave
    '2014'
    """
    pkg = design_package(path, package)
    path = Path(path) if path is not None else pkg.design_path
    spec, raw_bytes = _read_spec(path)
    _check_wave(spec, path, pkg)
    if "variant_of" in spec:
        return _load_variant(spec, path, raw_bytes, pkg)
    return design_from_spec(spec, path, where=str(path), sha256=hashlib.sha256(raw_bytes).hexdigest(), package=pkg)


def _check_wave(spec: dict, path: Path, package: DataPackage) -> None:
    problem = file_wave_problem(package, path, spec.get("wave"), "a design file")
    if problem is not None:
        raise DesignError(f"{path}: the design is for wave {spec['wave']} but the data package is wave "
                          f"{package.wave} ({problem.file}, entry {problem.column!r}): the waves must not be mixed")


def _read_spec(path: Path) -> tuple[dict, bytes]:
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
    unshowable = yaml_problems(raw_bytes.decode("utf-8"), where)
    if unshowable:
        raise DataValidationError(unshowable, summary=f"{where}: text that no report can show")
    if not isinstance(spec, dict):
        raise DesignError(f"{where}: expected a mapping with keys {', '.join(sorted(_TOP_KEYS))}")
    return spec, raw_bytes


def design_from_spec(
    spec: dict,
    anchor: Path,
    *,
    where: str,
    sha256: str,
    choices: Mapping[str, str] | None = None,
    variant_of: str | None = None,
    known_codes: set[str] | None = None,
    package: DataPackage | None = None,
) -> Design:
    """Build a :class:`Design` from a parsed design mapping with some of its alternatives chosen.

    ``anchor`` is the design file that ``frame_schema`` is relative to. ``choices`` maps
    open assumption ids to the choice to make (defaults for the rest); the result's
    ``spec`` is ``spec`` itself, so that another choice can be made from it later.
    ``known_codes`` (the municipality codes) is read from ``package`` when not given;
    ``package`` defaults as in :func:`load_design` (the package ``anchor`` lies in).

    Raises
    ------
    DesignError
        Listing every problem, prefixed with ``where``.
    """
    package = design_package(anchor, package)
    if known_codes is None:
        known_codes = set(package.table("municipalities")["municipality_code"])
    stored = spec
    if "frame_schema" not in spec:  # the package's frame schema, as its descriptor names it
        spec = {**spec, "frame_schema": str(package.frame_schema_path.resolve())}
    problems: list[str] = []
    design = _build(spec, anchor, problems, known_codes)
    if problems or design is None:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise DesignError(f"{where}: {len(problems)} problem(s) in the design:\n{lines}")
    assumptions = design["open_assumptions"]
    full = {**{a.id: a.default for a in assumptions}, **dict(choices or {})}
    merged = _merge_choices(spec, assumptions, full, where=where)
    if merged is not spec:
        design = _build(merged, anchor, problems, known_codes)
        if problems or design is None:
            lines = "\n".join(f"  - {p}" for p in problems)
            raise DesignError(f"{where}: {len(problems)} problem(s) in the design with "
                              f"{_choice_text(assumptions, full)}:\n{lines}")
        design["open_assumptions"] = assumptions
    return Design(**{**design, "path": where, "sha256": sha256, "spec": stored, "choices": full,
                     "variant_of": variant_of, "data_dir": package.path, "package": package})


def codes_checked(design: Design) -> set[str]:
    """Every municipality code the design file and its alternatives name (all checked when it was read).

    Passed as ``known_codes`` when a variant is rebuilt from the same file contents, so
    the municipality list is not read again for each variant.
    """
    codes: set[str] = set()
    for st in design.spec.get("stages") or []:
        if isinstance(st, dict) and isinstance(st.get("codes"), list):
            codes |= {c for c in st["codes"] if isinstance(c, str)}
    for a in design.open_assumptions:
        for change in a.changes.values():
            for kv in (change.get("stages") or {}).values():
                if isinstance(kv, dict) and isinstance(kv.get("codes"), list):
                    codes |= {c for c in kv["codes"] if isinstance(c, str)}
    return codes


def _choice_text(assumptions: tuple[OpenAssumption, ...], choices: Mapping[str, str]) -> str:
    return ", ".join(f"{a.id}={choices[a.id]}" for a in assumptions if choices[a.id] != a.default) or "the defaults"


def _load_variant(spec: dict, path: Path, raw_bytes: bytes, package: DataPackage) -> Design:
    where = str(path)
    problems = [
        f"unknown key {key!r}: a variant file (one with variant_of) has only the keys "
        f"{', '.join(sorted(_VARIANT_KEYS))}; the changes themselves are written once, under "
        "open_assumptions in the base design"
        for key in spec if key not in _VARIANT_KEYS
    ]
    base_name = spec.get("variant_of")
    if not isinstance(base_name, str) or not base_name.strip():
        problems.append(f"variant_of ({base_name!r}) must be the path of the base design file, relative to this file")
    choose = spec.get("choose", {})
    if not isinstance(choose, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in choose.items()):
        problems.append(f"choose ({choose!r}) must map an open assumption's id to the name of one of its choices")
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise DesignError(f"{where}: {len(problems)} problem(s) in the variant file:\n{lines}")
    base_path = (path.parent / base_name).resolve()
    base_spec, base_bytes = _read_spec(base_path)
    _check_wave(base_spec, base_path, package)
    if "variant_of" in base_spec:
        raise DesignError(f"{where}: variant_of names {base_path}, itself a variant; name the base design file")
    named = dict(base_spec)
    for key in ("name", "title", "description"):
        if key in spec:
            named[key] = spec[key]
    digest = hashlib.sha256(raw_bytes + b"\0" + base_bytes).hexdigest()
    return design_from_spec(named, base_path, where=where, sha256=digest, choices=choose, variant_of=str(base_path),
                            package=package)


def apply_choices(design: Design, choose: Mapping[str, str], *, where: str) -> dict:
    """The design's file contents with its choices, overridden by ``choose``, applied.

    Raises
    ------
    DesignError
        An unknown assumption or choice (naming what is allowed), or two alternatives
        that change the same field of the same stage.
    """
    return _merge_choices(dict(design.spec), design.open_assumptions, {**design.choices, **choose}, where=where)


def _merge_choices(spec: dict, assumptions: tuple[OpenAssumption, ...], choices: Mapping[str, str], *,
                   where: str) -> dict:
    changes: list[tuple[str, Mapping[str, Any]]] = []
    for assumption_id, choice in choices.items():
        a = next((x for x in assumptions if x.id == assumption_id), None)
        if a is None:
            known = ", ".join(x.id for x in assumptions) or "none (the design lists no open_assumptions)"
            raise DesignError(f"{where}: open assumption ({assumption_id!r}) must be one of: {known}")
        if not isinstance(choice, str) or choice not in a.choices:
            raise DesignError(f"{where}: {assumption_id} ({choice!r}) must be one of: {', '.join(a.choices)}")
        if choice != a.default:
            changes.append((f"{assumption_id}={choice}", a.changes[choice]))
    if not changes:
        return spec
    touched: dict[tuple[str, ...], str] = {}
    for who, change in changes:
        for field_path in _change_paths(change):
            if field_path in touched:
                raise DesignError(
                    f"{where}: {touched[field_path]} and {who} both change {' '.join(field_path)}; "
                    "the two alternatives cannot be combined"
                )
            touched[field_path] = who
        spec = apply_changes(spec, change)
    return spec


def _change_paths(change: Mapping[str, Any]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for key, value in change.items():
        if key == "stages":
            out += [("stage", sid, k) for sid, kv in value.items() for k in kv]
        else:
            out.append((key,))
    return out


def apply_changes(spec: Mapping[str, Any], change: Mapping[str, Any]) -> dict:
    """A copy of a design mapping with one alternative's (already checked) changes applied.

    A ``null`` value under a stage removes that key (its documented default applies).
    """
    out = copy.deepcopy(dict(spec))
    stages = out.get("stages") or []
    by_id = {st.get("id"): st for st in stages if isinstance(st, dict)}
    for key, value in change.items():
        if key != "stages":
            out[key] = copy.deepcopy(value)
            continue
        for sid, kv in value.items():
            for k, v in kv.items():
                if v is None:
                    by_id[sid].pop(k, None)
                else:
                    by_id[sid][k] = copy.deepcopy(v)
    return out


# --------------------------------------------------------------------------- building


def _build(spec: dict, path: Path, problems: list[str], known_codes: set[str]) -> dict | None:
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
    stages_spec = spec.get("stages")
    stages: list[Stage] = []
    if stages_spec is not None and (not isinstance(stages_spec, list) or not stages_spec):
        problems.append("stages must be a non-empty list of stages")
        stages_spec = []
    seen: set[str] = set()
    for i, raw in enumerate(stages_spec or [], start=1):
        stage = _build_stage(raw, i, ParseContext(fields, known_codes), problems)
        if stage is None:
            continue
        if stage.id in seen:
            problems.append(f"stage {i}: id {stage.id!r} is used by an earlier stage; each id must be unique")
        seen.add(stage.id)
        stages.append(stage)
    if problems:
        return None
    stages, random_order = _order_random(stages, spec.get("random_order"), problems)
    if expected is not None and stages:
        _check_total(stages, expected, problems)
    if problems:  # the alternatives are checked against a design that is valid itself
        return None
    assumptions = _open_assumptions(spec, path, problems, known_codes)
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
        "random_order": random_order,
        "open_assumptions": assumptions,
        "frame_schema": schema,
        "frame_schema_path": str(schema_path),
    }


def _order_random(stages: list[Stage], order: Any, problems: list[str]) -> tuple[list[Stage], tuple[str, ...]]:
    """Put the random stages in ``random_order`` (their places in the list stay random stages')."""
    randoms = [s for s in stages if s.random]
    listed = tuple(s.id for s in randoms)
    if order is None:
        return stages, listed
    kinds = {s.id: s.kind for s in stages}
    random_ids = {s.id for s in randoms}
    if not isinstance(order, list) or not all(isinstance(x, str) for x in order):
        problems.append(f"random_order ({order!r}) must be a list of the random stages' ids: {', '.join(listed)}")
        return stages, listed
    bad = False
    for x in order:
        if x not in kinds:
            problems.append(f"random_order: stage {x!r} is not a stage of this design; the random stages are: "
                            f"{', '.join(listed)}")
            bad = True
        elif x not in random_ids:
            problems.append(f"random_order: stage {x!r} is a {kinds[x]} stage; only random stages are reordered "
                            f"({', '.join(listed)})")
            bad = True
    for x in sorted({x for x in order if order.count(x) > 1}):
        problems.append(f"random_order: stage {x!r} is listed more than once; list each random stage once")
        bad = True
    missing = [x for x in listed if x not in order]
    if missing:
        problems.append(f"random_order leaves out stage(s) {', '.join(repr(x) for x in missing)}; list every "
                        f"random stage once ({', '.join(listed)})")
        bad = True
    if bad:
        return stages, listed
    by_id = {s.id: s for s in randoms}
    queue = iter(order)
    return [by_id[next(queue)] if s.random else s for s in stages], tuple(order)


def _check_total(stages: list[Stage], expected: int, problems: list[str]) -> None:
    """Report an ``expected_size`` the stages cannot give on any frame.

    Each stage's kind bounds the number of distinct municipalities it adds after the
    stages before it (:meth:`Stage.count_bounds`): a certainty stage before every other
    kind adds its codes not named before, later between 0 and that many; ``next`` adds
    exactly one per pick, ``skip`` between 0 and one per pick; a random stage that
    excludes earlier selections exactly its size, one that does not between 0 and it.
    """
    low = high = 0
    parts = []
    for k, s in enumerate(stages):
        lo, hi = s.count_bounds(tuple(stages[:k]))
        low, high = low + lo, high + hi
        parts.append(f"{s.id} {lo}" if lo == hi else f"{s.id} {lo}-{hi}")
    if low <= expected <= high:
        return
    gives = f"exactly {low}" if low == high else f"between {low} and {high}"
    problems.append(
        f"expected_size ({expected}) cannot come out of these stages: they give {gives} distinct "
        f"municipalities ({', '.join(parts)}); change the field size of a random stage, "
        "already_selected of an extremes stage, or expected_size"
    )


# Complexity above 15 on purpose: every key of every alternative checked in one pass, all problems at once.
def _open_assumptions(spec: dict, path: Path, problems: list[str], known_codes: set[str]) -> tuple[OpenAssumption, ...]:  # noqa: C901
    raw = spec.get("open_assumptions")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append("open_assumptions must be a list of {id, tag, question, default, alternatives}")
        return ()
    stage_ids = {st.get("id") for st in spec.get("stages") or [] if isinstance(st, dict)}
    out: list[OpenAssumption] = []
    keys = {"id", "tag", "question", "default", "alternatives"}
    for i, a in enumerate(raw, start=1):
        if not isinstance(a, dict):
            problems.append(f"open_assumptions {i}: expected a mapping with keys {', '.join(sorted(keys))}")
            continue
        aid = a.get("id")
        where = f"open_assumptions {aid!r}" if isinstance(aid, str) else f"open_assumptions {i}"
        n_before = len(problems)
        for key in a:
            if key not in keys:
                problems.append(f"{where}: unknown key {key!r}; allowed: {', '.join(sorted(keys))}")
        if not isinstance(aid, str) or not _ID_RE.match(aid):
            problems.append(f"{where}: id ({aid!r}) must be lower-case letters, digits and _ starting with a letter")
        elif any(x.id == aid for x in out):
            problems.append(f"{where}: id {aid!r} is used by an earlier assumption")
        for key in ("tag", "question", "default"):
            if not isinstance(a.get(key), str) or not a[key].strip():
                problems.append(f"{where}: {key} must be a non-empty text")
        alternatives = a.get("alternatives")
        if not isinstance(alternatives, dict) or not alternatives:
            problems.append(f"{where}: alternatives must map a name to the changes it makes")
            continue
        for name, change in alternatives.items():
            _check_change(change, f"{where}, alternative {name!r}", stage_ids, problems)
            if name == a.get("default"):
                problems.append(f"{where}: alternative {name!r} has the name of the default")
        if len(problems) > n_before:
            continue
        for name, change in alternatives.items():
            # every alternative alone must give a valid design (sizes, totals, orderings)
            trial = apply_changes({k: v for k, v in spec.items() if k != "open_assumptions"}, change)
            sub: list[str] = []
            _build(trial, path, sub, known_codes)
            problems.extend(f"{where}, alternative {name!r}: {p}" for p in sub)
        out.append(OpenAssumption(id=aid, tag=a["tag"].strip(), question=" ".join(a["question"].split()),
                                  default=a["default"], alternatives=tuple(alternatives),
                                  changes={k: v for k, v in alternatives.items()}))
    return tuple(out)


def _check_change(change: Any, where: str, stage_ids: set, problems: list[str]) -> None:
    if not isinstance(change, dict) or not change:
        problems.append(f"{where}: expected a mapping of changes with keys among {', '.join(sorted(_CHANGE_KEYS))}")
        return
    for key, value in change.items():
        if key not in _CHANGE_KEYS:
            problems.append(f"{where}: unknown key {key!r}; an alternative may change "
                            f"{', '.join(sorted(_CHANGE_KEYS))}")
        elif key == "stages":
            if not isinstance(value, dict):
                problems.append(f"{where}: stages must map a stage id to {{field: new value}}")
                continue
            for sid, kv in value.items():
                if sid not in stage_ids:
                    problems.append(f"{where}: stage {sid!r} is not a stage of this design; the stages are: "
                                    f"{', '.join(str(x) for x in stage_ids)}")
                elif not isinstance(kv, dict) or not kv:
                    problems.append(f"{where}: stage {sid!r}: expected {{field: new value}}, found {kv!r}")
                elif "id" in kv or "kind" in kv:
                    problems.append(f"{where}: stage {sid!r}: an alternative cannot change a stage's id or kind")


def _read_schema(value: Any, design_path: Path, problems: list[str]) -> tuple[Path | None, dict | None]:
    from ..errors import DataValidationError
    from ._frame import load_frame_schema

    if isinstance(value, str):
        schema_path = (design_path.parent / value).resolve()
    else:
        problems.append(f"frame_schema ({value!r}) must be a path to a Table Schema JSON file")
        return None, None
    try:
        schema = load_frame_schema(schema_path)
    except DataValidationError as exc:
        problems.append(f"frame_schema: {exc}")
        return None, None
    return schema_path, schema


def _build_stage(raw: Any, i: int, ctx: ParseContext, problems: list[str]) -> Stage | None:
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
    implementation = STAGE_KINDS[kind]
    for key in raw:
        if key not in implementation.keys:
            problems.append(
                f"{where}: unknown key {key!r} for a {kind} stage; allowed: {', '.join(sorted(implementation.keys))}"
            )
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        problems.append(f"{where}: label must be a non-empty Swedish text (it is shown in the protocol)")
    note = raw.get("note")
    n_before = len(problems)
    stage = implementation.parse(raw, where, ctx, problems)
    if stage is None or len(problems) > n_before:
        return None
    return stage(id=sid, label=str(label).strip(), note=str(note).strip() if note else None)
