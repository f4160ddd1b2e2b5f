"""The data package of one wave, read from its ``datapackage.json`` and passed explicitly.

A :class:`DataPackage` is a folder with a Frictionless ``datapackage.json`` whose
descriptor also says which wave it is and what belongs to that wave:

``wave``
    The wave's year as text (``"2014"``).
``synthetic``
    ``true`` for a made-up package (a test's next wave); every output made from it says so.
``compares_with``
    The earlier waves its wave measures compare with (``["2008", "2011"]``).
``designs``
    The sample design files, each with ``name``, ``path``, ``wave`` and ``frame_schema``;
    the one without ``variant_of`` is the wave's design, the others its variants.
``audit``
    ``claims``: the audit's claims registry of the wave; ``wave``.
``published_sample``, ``demo_frame``
    The names of the resources that hold the sample the publication names and the
    (synthetic) demonstration frame, where the package has them.

Opening a package checks all of this at once; a descriptor that lacks the wave's design
or claims, names a file that does not exist or mixes waves (a design or claims entry, or
the design file itself, of another wave) is refused with one
:class:`~sbm_stats.errors.DataValidationError` naming each descriptor entry.

``DataPackage.open(None)`` is the bundled package (see :func:`default_data_dir`): the only
place where a default folder is consulted. Every loader, the design, the frame, the
claims and the audit take a package (or a path that becomes one). The package knows
where its files are and reads its own tables; it does not read the design, the frame
or the claims (that is :mod:`sbm_stats.sampling`'s and :mod:`sbm_stats.audit`'s work,
given the package): ``data`` depends on neither (see CONTRIBUTING.md, "How the packages
depend on each other").

Examples
--------
>>> package = DataPackage.open(None)
>>> package.wave, package.synthetic, package.compares_with
('2014', False, ('2008', '2011'))
>>> package.design_path.name, package.claims_path.name
('2014.yaml', 'claims_2014.yaml')
>>> package.figure("res.forced_moves").count, package.figure("res.forced_moves").base
(16, 29)
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DataValidationError, Problem
from ._paths import default_data_dir

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["DataPackage", "Figure", "as_package", "CORE_TABLES"]

#: The tables every wave's package has (besides its published sample and demo frame).
CORE_TABLES = (
    "sources",
    "municipalities",
    "published_figures",
    "housing_solutions",
    "vulnerability_factors",
    "verbal_quantities",
    "wave_measures",
)
_WAVE_RE = re.compile(r"[0-9]{4}\Z")


@dataclass(frozen=True)
class Figure:
    """One row of ``published_figures.csv``: a statement of the publication or an external figure.

    Missing cells are ``None``. ``number`` is the count where the row has one, else its
    value; ``share`` is count / base where both are given.

    Examples
    --------
    >>> f = DataPackage.open(None).figure("res.forced_moves")
    >>> f.count, f.base, f.verbal, f.unit
    (16, 29, 'drygt hälften', 'municipalities')
    >>> round(f.share, 4), f.number
    (0.5517, 16)
    """

    figure_id: str
    section: str
    label: str
    period: str
    count: int | None
    base: int | None
    value: float | None
    unit: str
    verbal: str | None
    source: str
    note: str | None
    file: str

    @property
    def number(self) -> float | int:
        """The count where the row has one, else its value."""
        if self.count is not None:
            return self.count
        if self.value is None:
            raise DataValidationError([Problem(self.file, None, "value", None,
                                               f"a count or a value for {self.figure_id}")])
        return self.value

    @property
    def share(self) -> float:
        """count / base."""
        if self.count is None or self.base is None:
            raise DataValidationError([Problem(self.file, None, "count" if self.count is None else "base", None,
                                               f"a count and a base for {self.figure_id}")])
        return self.count / self.base

    @property
    def year(self) -> int:
        """The first year of the period (``2008`` for ``2008-2013``)."""
        return int(self.period[:4])


@dataclass(frozen=True, eq=False)
class DataPackage:
    """The data package of one wave: a folder with a ``datapackage.json``.

    Build it with :meth:`open`. Immutable; its tables are read, validated and cached on
    first use (:meth:`table`), per package.

    Attributes
    ----------
    path : Path
        The folder.
    wave : str
        The wave's year (``"2014"``).
    synthetic : bool
        Whether the package is made up (a test's next wave).
    compares_with : tuple of str
        The earlier waves its wave measures compare with.
    design_path : Path
        The wave's sample design file.
    design_paths : Mapping of str to Path
        Every design file of the wave by its descriptor name (the design and its variants).
    claims_path : Path
        The audit's claims registry of the wave.
    frame_schema_path : Path
        The Table Schema of the wave's sampling frame.
    published_sample : str or None
        The resource that lists the sample the publication names.
    demo_frame : str or None
        The resource of the synthetic demonstration frame.
    descriptor : Mapping
        The parsed ``datapackage.json``.
    bundled : bool
        Whether this is the package shipped with sbm_stats (its files are then named
        ``data/...`` in messages, as in the repository).
    """

    path: Path
    wave: str
    synthetic: bool
    compares_with: tuple[str, ...]
    design_path: Path
    design_paths: Mapping[str, Path] = field(repr=False)
    claims_path: Path = field(repr=False)
    frame_schema_path: Path = field(repr=False)
    published_sample: str | None = field(repr=False)
    demo_frame: str | None = field(repr=False)
    descriptor: Mapping[str, Any] = field(repr=False)
    bundled: bool = field(default=False, repr=False)
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, package: DataPackage | str | os.PathLike | None = None) -> DataPackage:
        """The package ``package`` names: itself, a folder, or ``None`` for the bundled one.

        Raises
        ------
        DataValidationError
            The folder has no ``datapackage.json``; the descriptor is not JSON (with its
            line) or not a data package; or its wave entries are missing, name files that
            do not exist, or mix waves: every problem at once, each naming its entry.
        TypeError
            ``package`` is neither a DataPackage, a path nor None.
        """
        if isinstance(package, DataPackage):
            return package
        if package is None:
            folder, bundled = default_data_dir(), True
        elif isinstance(package, (str, os.PathLike)):
            folder = Path(package)
            bundled = _same_folder(folder, default_data_dir())
        else:
            raise TypeError(f"package ({package!r}) must be a DataPackage, a folder (str or Path) or None "
                            "(the bundled package)")
        return cls._read(folder, bundled)

    @classmethod
    def containing(cls, file: str | os.PathLike) -> DataPackage | None:
        """The package a file lies in (the nearest folder above it with a ``datapackage.json``), or None."""
        for folder in Path(file).resolve().parents:
            if (folder / "datapackage.json").is_file():
                return cls.open(folder)
        return None

    @classmethod
    def _read(cls, folder: Path, bundled: bool) -> DataPackage:
        from ._tables import read_json_file

        descriptor_path = folder / "datapackage.json"
        if not (descriptor_path.exists() or descriptor_path.is_symlink()):
            raise DataValidationError(
                [Problem(str(folder), None, None, None, "a data folder with a datapackage.json descriptor")],
                summary="data folder not found",
            )
        name = str(descriptor_path)
        descriptor = read_json_file(descriptor_path, name)
        problems = descriptor_problems(descriptor, name)
        if not problems:
            problems = _wave_problems(descriptor, folder, name)
        if problems:
            raise DataValidationError(problems, summary=f"{name}: not a usable data package descriptor")
        wave = descriptor["wave"]
        designs = [d for d in descriptor["designs"] if d.get("wave") == wave]
        main = next(d for d in designs if "variant_of" not in d)
        return cls(
            path=folder,
            wave=wave,
            synthetic=bool(descriptor.get("synthetic", False)),
            compares_with=tuple(descriptor.get("compares_with", ())),
            design_path=folder / main["path"],
            design_paths={d["name"]: folder / d["path"] for d in designs},
            claims_path=folder / descriptor["audit"]["claims"],
            frame_schema_path=folder / main["frame_schema"],
            published_sample=descriptor.get("published_sample"),
            demo_frame=descriptor.get("demo_frame"),
            descriptor=descriptor,
            bundled=bundled,
        )

    # ------------------------------------------------------------------ files

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataPackage) and _same_folder(self.path, other.path)

    def __hash__(self) -> int:
        return hash(_resolved(self.path))

    def __str__(self) -> str:
        label = f"{self.display_root} (wave {self.wave}"
        return label + (", SYNTETISKA DATA – inte verkliga uppgifter)" if self.synthetic else ")")

    @property
    def display_root(self) -> str:
        """The folder as messages name it (``data`` for the bundled package)."""
        return "data" if self.bundled else str(self.path)

    def display(self, file: str | os.PathLike) -> str:
        """``file`` as messages name it: ``data/<path>`` inside the bundled package, else the path itself."""
        file = Path(file)
        if self.bundled:
            try:
                return "data/" + file.resolve().relative_to(_resolved(self.path)).as_posix()
            except (ValueError, RuntimeError, OSError):  # outside the package, or a symlink loop
                pass
        return str(file)

    @property
    def table_names(self) -> tuple[str, ...]:
        """The resources of the descriptor, in its order."""
        return tuple(r["name"] for r in self.descriptor["resources"])

    def resource(self, name: str) -> Mapping[str, Any]:
        """The descriptor entry of the table ``name``."""
        for res in self.descriptor["resources"]:
            if res["name"] == name:
                return res
        raise ValueError(f"table ({name!r}) must be one of: {', '.join(self.table_names)}")

    def entry_of(self, file: str | os.PathLike) -> str | None:
        """The descriptor entry that lists ``file`` (``designs[0].path``, ``audit.claims``), or None."""
        target = _resolved(Path(file))
        for i, d in enumerate(self.descriptor.get("designs", [])):
            if _resolved(self.path / d["path"]) == target:
                return f"designs[{i}].path"
        if _resolved(self.claims_path) == target:
            return "audit.claims"
        return None

    def wave_file_problems(self) -> list[Problem]:
        """Problems of the design and claims files: text no report can show (:mod:`._characters`), or another
        wave declared (``wave:``) than the package's."""
        import yaml

        from .._yaml import load_yaml
        from ._characters import yaml_problems

        out = []
        files = [(p, "a design file") for p in self.design_paths.values()] + [(self.claims_path, "a claims registry")]
        for file, what in files:
            try:
                text = file.read_text(encoding="utf-8-sig")
                doc = load_yaml(text)
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue  # reported with its line when the file is read
            out += yaml_problems(text, self.display(file))
            if isinstance(doc, dict):
                found = file_wave_problem(self, file, doc.get("wave"), what)
                if found is not None:
                    out.append(found)
        return out

    @property
    def demo_frame_path(self) -> Path | None:
        """The file of the demonstration frame, where the package has one."""
        return None if self.demo_frame is None else self.path / self.resource(self.demo_frame)["path"]

    # ------------------------------------------------------------------ content

    def table(self, name: str) -> pd.DataFrame:
        """The table ``name``, validated against its schema; read once per package.

        Returns a copy, so that a caller may change it without changing what the next
        caller gets.

        Raises
        ------
        ValueError
            ``name`` is not a resource of the package (the message lists them).
        DataValidationError
            Every problem of the file, its foreign keys and its checks across columns.
        """
        from ._loaders import read_package_table

        if name not in self._cache:
            self.resource(name)  # an unknown name is a ValueError listing the tables
            self._cache[name] = read_package_table(self, name)
        return self._cache[name].copy()

    def figure(self, figure_id: str) -> Figure:
        """The row ``figure_id`` of ``published_figures``, as a :class:`Figure`.

        Raises
        ------
        ValueError
            An id the table does not have (the message names the closest ones).
        """
        figures = self._figures()
        if figure_id not in figures:
            raise self._unknown("figure_id", figure_id, figures, "published_figures", "figures")
        return figures[figure_id]

    def source_name(self, source_id: str) -> str:
        """The short Swedish name of the row ``source_id`` of ``sources`` (its ``short_name_sv``).

        A table that cites a source shows this name, with the id after it, where a reader
        would otherwise meet the bare id. The name is text from the package: escape it.

        Raises
        ------
        ValueError
            An id the table does not have (the message names the closest ones).
        """
        if "_source_names" not in self._cache:
            table = self.table("sources")
            self._cache["_source_names"] = dict(zip(table.source_id, table.short_name_sv))
        names = self._cache["_source_names"]
        if source_id not in names:
            raise self._unknown("source_id", source_id, names, "sources", "sources")
        return str(names[source_id])

    def _unknown(self, key: str, value: Any, known: Any, table: str, rows: str) -> ValueError:
        """The error for a ``key`` that ``table`` does not have, naming the closest ones it has."""
        close = difflib.get_close_matches(str(value), list(known), n=3)
        hint = f"; closest: {', '.join(close)}" if close else ""
        return ValueError(f"{key} ({value!r}) must be a {key} of "
                          f"{self.display(self.path / self.resource(table)['path'])} ({len(known)} {rows}{hint})")

    def _figures(self) -> dict[str, Figure]:
        if "_figures" not in self._cache:
            import pandas as pd

            table = self.table("published_figures")
            file = table.attrs.get("source_file", "published_figures")

            def cell(value: Any, kind: type) -> Any:
                return None if pd.isna(value) else kind(value)

            self._cache["_figures"] = {
                row.figure_id: Figure(
                    figure_id=row.figure_id, section=row.section, label=row.label_sv, period=row.period,
                    count=cell(row.count, int), base=cell(row.base, int), value=cell(row.value, float),
                    unit=row.unit, verbal=cell(row.verbal, str), source=row.source_id, note=cell(row.note, str),
                    file=file,
                )
                for row in table.itertuples(index=False)
            }
        return self._cache["_figures"]


def as_package(package: DataPackage | str | os.PathLike | None = None, data_dir: str | os.PathLike | None = None,
               ) -> DataPackage:
    """The package of a function that takes ``package`` and, for compatibility, ``data_dir``.

    Raises
    ------
    TypeError
        Both are given.
    """
    if package is not None and data_dir is not None:
        raise TypeError("give the data package once: package or data_dir, not both")
    return DataPackage.open(package if package is not None else data_dir)


# ---------------------------------------------------------------------- descriptor checks


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return path.absolute()


def _same_folder(a: Path, b: Path) -> bool:
    return _resolved(a) == _resolved(b)


def _short(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 80 else text[:77] + "..."


def descriptor_problems(package: Any, name: str) -> list[Problem]:
    """Problems of shape of a descriptor's ``resources`` (what the table reader relies on)."""
    from ._tables import check_table_schema

    if not isinstance(package, dict):
        return [Problem(name, None, None, type(package).__name__, "a JSON object with a 'resources' list")]
    resources = package.get("resources")
    if not isinstance(resources, list) or not resources:
        return [Problem(name, None, "resources", _short(resources), "a non-empty list of resource objects")]
    problems: list[Problem] = []
    names: list[str] = []
    for i, res in enumerate(resources):
        where = f"resources[{i}]"
        if not isinstance(res, dict):
            problems.append(Problem(name, None, None, _short(res),
                                    f"{where} to be an object with name, path and schema"))
            continue
        rname = res.get("name")
        if not isinstance(rname, str) or not rname:
            problems.append(Problem(name, None, None, _short(rname), f"{where}.name to be a non-empty text"))
        elif rname in names:
            problems.append(Problem(name, None, None, rname, f"{where}.name to be unique among the resources"))
        else:
            names.append(rname)
        if not isinstance(res.get("path"), str) or not res.get("path"):
            problems.append(Problem(name, None, None, _short(res.get("path")),
                                    f"{where}.path to be the path of the table's file, relative to the data folder"))
        schema = res.get("schema")
        if isinstance(schema, dict):
            problems += check_table_schema(schema, f"{name} {where}.schema")
        elif not isinstance(schema, str) or not schema:
            problems.append(Problem(name, None, None, _short(schema),
                                    f"{where}.schema to be a Table Schema object or the path of one"))
    for i, res in enumerate(resources):
        schema = res.get("schema") if isinstance(res, dict) else None
        for fk in (schema.get("foreignKeys") or []) if isinstance(schema, dict) else []:
            target = fk.get("reference", {}).get("resource") if isinstance(fk, dict) else None
            if isinstance(target, str) and target not in names:
                problems.append(Problem(name, None, None, target,
                                        f"resources[{i}].schema.foreignKeys to name a resource of the package: "
                                        + ", ".join(names)))
    return problems


# Complexity above 15 on purpose: one check per wave entry of the descriptor, all problems collected in one pass.
def _wave_problems(descriptor: dict, folder: Path, name: str) -> list[Problem]:  # noqa: C901
    """Problems of the wave entries: wave, synthetic, compares_with, designs, audit, published_sample, demo_frame."""
    problems: list[Problem] = []

    def problem(entry: str, value: Any, expected: str) -> None:
        problems.append(Problem(name, None, entry, _short(value), expected))

    def existing(entry: str, rel: Any, what: str) -> bool:
        if not isinstance(rel, str) or not rel.strip():
            problem(entry, rel, f"the path of {what}, relative to the data folder")
            return False
        if not (os.path.lexists(folder / rel)):
            problem(entry, rel, f"the path of an existing file: {what} (no such file {folder / rel})")
            return False
        return True

    wave = descriptor.get("wave")
    if not isinstance(wave, str) or not _WAVE_RE.match(wave):
        problem("wave", wave, 'the wave this package describes, a year as text such as "2014"')
        wave = None
    if not isinstance(descriptor.get("synthetic", False), bool):
        problem("synthetic", descriptor.get("synthetic"), "true or false")
    compares = descriptor.get("compares_with", [])
    if not isinstance(compares, list) or not all(isinstance(w, str) and _WAVE_RE.match(w) for w in compares):
        problem("compares_with", compares, 'a list of earlier waves, years as text such as ["2008", "2011"]')
    elif wave is not None:
        for i, w in enumerate(compares):
            if w >= wave:
                problem(f"compares_with[{i}]", w, f"a wave earlier than the package's wave {wave}")

    designs = descriptor.get("designs")
    if not isinstance(designs, list):
        problem("designs", designs, f"a list of the wave's design files, one of them without variant_of "
                                    f"(the wave {wave or '?'}'s design)")
        designs = []
    mains = []
    for i, d in enumerate(designs):
        entry = f"designs[{i}]"
        if not isinstance(d, dict):
            problem(entry, d, "an object with name, path, wave and frame_schema")
            continue
        if not isinstance(d.get("name"), str) or not d["name"]:
            problem(f"{entry}.name", d.get("name"), "a non-empty text")
        existing(f"{entry}.path", d.get("path"), "a design file")
        if d.get("wave") != wave and wave is not None:
            problem(f"{entry}.wave", d.get("wave"),
                    f"the package's wave {wave}: a package holds the designs of its own wave only")
        if "variant_of" not in d:
            mains.append(i)
            existing(f"{entry}.frame_schema", d.get("frame_schema"), "the frame's Table Schema")
    if isinstance(descriptor.get("designs"), list) and len(mains) != 1:
        problem("designs", f"{len(mains)} designs without variant_of",
                f"exactly one design of the wave {wave or '?'} without variant_of (the wave's design)")

    audit = descriptor.get("audit")
    if not isinstance(audit, dict) or "claims" not in audit:
        problem("audit.claims", None if not isinstance(audit, dict) else audit.get("claims"),
                f"the claims registry of the wave {wave or '?'} (audit: {{claims: <path>}})")
    else:
        existing("audit.claims", audit["claims"], "the claims registry")
        if "wave" in audit and audit["wave"] != wave and wave is not None:
            problem("audit.wave", audit["wave"], f"the package's wave {wave}")

    resources = {r["name"]: r for r in descriptor["resources"]}
    for key in ("published_sample", "demo_frame"):
        value = descriptor.get(key)
        if value is None:
            continue
        if value not in resources:
            problem(key, value, f"the name of a resource of the package: {', '.join(resources)}")
        else:
            existing(f"{key} ({value}).path", resources[value]["path"], f"the table {value}")
    return problems


def file_wave_problem(package: DataPackage, file: Path, declared: Any, what: str) -> Problem | None:
    """The problem of a design or claims file that declares another wave than its package, or None.

    ``declared`` is the file's own ``wave`` key (None when it has none). The problem names
    the descriptor entry that lists the file, where one does.
    """
    if declared is None or str(declared) == package.wave:
        return None
    entry = package.entry_of(file) or "wave"
    return Problem(str(package.path / "datapackage.json"), None, entry, f"{Path(file).name} (wave {declared})",
                   f"{what} of the package's wave {package.wave}: the waves must not be mixed")
