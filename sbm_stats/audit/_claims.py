"""The audit: every checkable quantitative statement of the publication, recomputed.

The registry of claims is data: the file the data package's descriptor names under
``audit.claims`` (``data/audit/claims_2014.yaml`` in the bundled package). Each claim
names the rows of ``published_figures.csv`` it rests on (read through
:meth:`sbm_stats.data.DataPackage.figure`, the one figure lookup) and the kind of comparison that
tests it. :func:`audit` recomputes them all and returns one table with a verdict per
claim — ``consistent``, ``inconsistent`` or ``not verifiable`` (with the reason) —
and never stops at the first mismatch.

Where the text can be read in more than one way (which quantity grew by 45 per cent?
over five years or six?), each reading is a claim of its own, so that the audit shows
under which reading a statement holds.

Examples
--------
>>> result = audit()
>>> row = result.to_frame().set_index("id").loc["bme.growth_flats_publication"]
>>> row.verdict, row.recomputed
('consistent', '45,4 %')
"""

from __future__ import annotations

import math
import os
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml

from .._numbers import fmt_int, fmt_num, fmt_pct, fmt_period
from .._yaml import _LimitedLoader, load_yaml
from ..data._characters import yaml_problems
from ..data._package import DataPackage, Figure, as_package, file_wave_problem
from ..errors import DataValidationError, Problem
from ..estimation.compare import census_change
from .verbal import rounding_unit, verbal_range

__all__ = ["audit", "load_claims", "AuditResult", "ClaimResult", "VERDICTS", "VERDICTS_SV"]

Verdict = Literal["consistent", "inconsistent", "not verifiable"]
VERDICTS: tuple[Verdict, ...] = ("consistent", "inconsistent", "not verifiable")
#: The verdicts as the report writes them.
VERDICTS_SV = {"consistent": "stämmer", "inconsistent": "stämmer inte", "not verifiable": "kan inte prövas"}

_KINDS: dict[str, tuple[str, ...]] = {
    "verbal_share": (),
    "verbal_value": ("figure", "wording"),
    "growth": ("before", "after", "wording"),
    "per_year": ("before", "after", "years", "wording"),
    "parts_sum": ("parts", "total"),
    "same_figure": ("a", "b", "rule"),
    "direction": ("before", "after", "expected"),
    "table_count": ("table", "figure"),
    "column_total": ("table", "column", "figure"),
    "unverifiable": ("figure", "reason"),
}
_COMMON = ("id", "section", "claim", "kind")
_FIGURE_KEYS = ("figure", "numerator", "before", "after", "a", "b", "total")


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


#: Every key a claim may have: a test of its value and what is expected, in words.
_PARAMETERS: dict[str, tuple[Any, str]] = {
    "id": (_text, "a non-empty text"),
    "section": (_text, "a non-empty text"),
    "claim": (_text, "a non-empty text"),
    "reading": (lambda v: isinstance(v, str), "a text"),
    "kind": (lambda v: isinstance(v, str) and v in _KINDS, f"one of: {', '.join(_KINDS)}"),
    "wording": (_text, "a Swedish wording of verbal_quantities.csv, e.g. 'drygt hälften' or 'cirka 800'"),
    "reason": (_text, "a non-empty text"),
    "table": (_text, "the name of a table of the data package"),
    "where": (_text, "a boolean column of the table"),
    "column": (_text, "a column of the table"),
    "figure": (_text, "a figure_id of published_figures.csv"),
    "numerator": (_text, "a figure_id of published_figures.csv"),
    "before": (_text, "a figure_id of published_figures.csv"),
    "after": (_text, "a figure_id of published_figures.csv"),
    "a": (_text, "a figure_id of published_figures.csv"),
    "b": (_text, "a figure_id of published_figures.csv"),
    "parts": (lambda v: isinstance(v, list) and bool(v) and all(_text(x) for x in v),
              "a non-empty list of figure_ids of published_figures.csv"),
    "total": (lambda v: _text(v) or (_is_number(v) and v > 0),
              "a figure_id of published_figures.csv or a positive number"),
    "total_of": (lambda v: v in ("count", "base"), "'count' or 'base'"),
    "at_most": (lambda v: isinstance(v, bool), "true or false"),
    "base": (lambda v: _is_number(v) and v > 0, "a positive number"),
    "years": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0, "a positive whole number of years"),
    "rule": (lambda v: v in ("equal", "rounded"), "'equal' or 'rounded'"),
    "expected": (lambda v: v in ("increase", "decrease"), "'increase' or 'decrease'"),
}


def _short(value: Any) -> Any:
    """A value small enough to repeat in a message."""
    text = repr(value)
    return value if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class ClaimResult:
    """One claim, recomputed.

    ``published`` and ``recomputed`` are Swedish text as the report shows them;
    ``rule`` says how the two are compared; ``detail`` gives the arithmetic.
    """

    id: str
    section: str
    claim: str
    reading: str
    kind: str
    published: str
    recomputed: str
    rule: str
    verdict: Verdict
    detail: str
    figures: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class AuditResult:
    """All claims with their verdicts, and the data package they were recomputed from.

    ``data_dir`` is the package's folder as messages name it, ``wave`` its wave and
    ``synthetic`` whether it is made up (every output then says so).
    """

    claims: tuple[ClaimResult, ...]
    claims_file: str
    data_dir: str = ""
    wave: str = ""
    synthetic: bool = False

    def to_frame(self) -> pd.DataFrame:
        """One row per claim, in registry order."""
        rows = [vars(c) | {"figures": ", ".join(c.figures), "sources": ", ".join(c.sources)} for c in self.claims]
        frame = pd.DataFrame(rows, columns=list(ClaimResult.__dataclass_fields__))
        frame.attrs.update(wave=self.wave, synthetic=self.synthetic, data_dir=self.data_dir)
        return frame

    def counts(self) -> dict[str, int]:
        """How many claims got each verdict."""
        n = Counter(c.verdict for c in self.claims)
        return {v: n.get(v, 0) for v in VERDICTS}

    @property
    def inconsistent(self) -> tuple[ClaimResult, ...]:
        return tuple(c for c in self.claims if c.verdict == "inconsistent")

    def __str__(self) -> str:
        frame = self.to_frame()[["id", "verdict", "published", "recomputed", "rule"]]
        counts = ", ".join(f"{v}: {n}" for v, n in self.counts().items())
        with pd.option_context("display.max_colwidth", 60, "display.width", 200):
            text = f"{frame.to_string(index=False)}\n\n{len(self.claims)} claims ({counts})"
        if self.wave:
            text += f" from the data package {self.data_dir} (wave {self.wave})"
        if self.synthetic:
            text += " - SYNTETISKA DATA – inte verkliga uppgifter"
        return text


def load_claims(path: str | Path | None = None, *, package: DataPackage | str | Path | None = None,
                data_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """Read and validate the claims registry; every problem is reported at once.

    ``path`` defaults to the package's claims registry (its descriptor's
    ``audit.claims``); ``package`` (default: the bundled one; ``data_dir`` is its older
    name) gives the figures, verbal quantities and tables the claims are checked against.

    The file is read with the project's capped safe YAML loader
    (:func:`sbm_stats._yaml.load_yaml`), so that object tags and alias bombs are refused.

    Raises
    ------
    DataValidationError
        Naming the file, the line of the claim, the key and what was expected: a path
        that is not a regular file, text that is not UTF-8 or not YAML (with its line),
        a document that is not a mapping with a ``claims`` list, an unknown kind, a
        missing parameter or one of the wrong type, a figure id not in
        published_figures, a wording that is not a verbal quantity, a ``wave`` that is not
        the package's.
    """
    return _read_claims(path, as_package(package, data_dir))[0]


# Complexity above 15 on purpose: every key of every claim checked in one pass, so that all
# problems are reported at once.
def _read_claims(path: str | Path | None, package: DataPackage) -> tuple[list[dict[str, Any]], list[int | None], str]:  # noqa: C901
    """The claims, the line each starts on, and the file's name in messages."""
    file = Path(path) if path is not None else package.claims_path
    name = str(path) if path is not None else package.display(file)
    doc, lines = _parse_claims_file(file, name)
    wave = doc.get("wave")
    if wave is not None and not (isinstance(wave, (str, int)) and not isinstance(wave, bool)):
        raise DataValidationError([Problem(name, None, "wave", _short(wave), "the wave of the claims, e.g. 2014")])
    mixed = file_wave_problem(package, file, wave, "a claims registry")
    if mixed is not None:
        raise DataValidationError([Problem(name, None, "wave", wave, f"the data package's wave {package.wave} "
                                           f"({mixed.file}, entry {mixed.column!r}): the waves must not be mixed")],
                                  summary=f"{name}: claims of another wave")
    figures = set(package.table("published_figures").figure_id)
    verbal = package.table("verbal_quantities")
    tables = {res["name"]: [f["name"] for f in res["schema"]["fields"]]
              for res in package.descriptor["resources"] if isinstance(res["schema"], dict)}
    problems: list[Problem] = []
    seen: set[str] = set()
    for line, claim in zip(lines, doc["claims"]):
        if not isinstance(claim, dict):
            problems.append(Problem(name, line, None, _short(claim), "a mapping with id, section, claim and kind"))
            continue
        before = len(problems)
        for key in _COMMON:
            if key not in claim:
                problems.append(Problem(name, line, key, None, f"the key {key!r}"))
        for key, value in claim.items():
            check = _PARAMETERS.get(key) if isinstance(key, str) else None
            if check is None:
                problems.append(Problem(name, line, str(key), None,
                                        f"only the keys {', '.join(sorted(_PARAMETERS))} (unknown key)"))
            elif not check[0](value):
                problems.append(Problem(name, line, key, _short(value), check[1]))
        if len(problems) > before:
            continue  # the checks below rely on the keys above being there and of their type
        kind = claim["kind"]
        for key in _KINDS[kind]:
            if key not in claim:
                problems.append(Problem(name, line, key, None, f"the key {key!r} for a {kind} claim"))
        if kind == "verbal_share" and "figure" not in claim and not {"numerator", "base", "wording"} <= set(claim):
            problems.append(Problem(name, line, "figure", None, "'figure', or 'numerator', 'base' and 'wording'"))
        if claim["id"] in seen:
            problems.append(Problem(name, line, "id", claim["id"], "an id used once"))
        seen.add(claim["id"])
        for key in (*_FIGURE_KEYS, "parts"):
            for ref in _as_list(claim.get(key)):
                if isinstance(ref, str) and ref not in figures:
                    problems.append(Problem(name, line, key, ref, "a figure_id of published_figures.csv"))
        if "wording" in claim:
            try:
                verbal_range(claim["wording"], table=verbal)
            except ValueError as exc:
                problems.append(Problem(name, line, "wording", claim["wording"], f"a verbal quantity: {exc}"))
        if "table" in claim:
            columns = tables.get(claim["table"])
            if columns is None:
                problems.append(Problem(name, line, "table", claim["table"], f"one of the tables: {', '.join(tables)}"))
            else:
                for key in ("where", "column"):
                    if key in claim and claim[key] not in columns:
                        problems.append(Problem(name, line, key, claim[key],
                                                f"a column of {claim['table']}: {', '.join(columns)}"))
    if problems:
        raise DataValidationError(problems, summary=f"{name}: {len(problems)} problem(s)")
    return doc["claims"], lines, name


def _parse_claims_file(file: Path, name: str) -> tuple[dict[str, Any], list[int | None]]:
    """The YAML document (a mapping with a ``claims`` list) and the line of each claim."""
    try:
        mode = os.stat(file).st_mode
    except FileNotFoundError:
        raise DataValidationError([Problem(name, None, None, None, "an existing claims file (no such file)")]) from None
    except OSError as exc:
        raise DataValidationError([Problem(name, None, None, None,
                                           f"a readable claims file ({exc.strerror or exc})")]) from None
    if not stat.S_ISREG(mode):
        found = "a folder" if stat.S_ISDIR(mode) else "a special file (a pipe, device or socket)"
        raise DataValidationError([Problem(name, None, None, None, f"a claims file (YAML), found {found}")])
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise DataValidationError([Problem(name, None, None, None,
                                           f"a readable claims file ({exc.strerror or exc})")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataValidationError([Problem(
            name, line, None, f"byte 0x{data[exc.start:exc.start + 1].hex()}",
            "UTF-8 text (the file looks like Latin-1, Windows-1252 or binary: save it as UTF-8)")]) from None
    try:
        doc = load_yaml(text)
        loader = _LimitedLoader(text)  # the same caps as load_yaml, for the claims' line numbers
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or str(exc)
        where = f" at column {mark.column + 1}" if mark is not None else ""
        raise DataValidationError([Problem(name, mark.line + 1 if mark is not None else None, None, None,
                                           f"valid YAML ({what}{where})")]) from None
    unshowable = yaml_problems(text, name)
    if unshowable:
        raise DataValidationError(unshowable, summary=f"{name}: text that no report can show")
    if not isinstance(doc, dict) or not isinstance(doc.get("claims"), list):
        if not isinstance(doc, dict):
            found = "an empty document" if doc is None else f"a {type(doc).__name__}"
        elif "claims" not in doc:
            found = "no 'claims' key"
        else:
            found = f"'claims' as a {type(doc['claims']).__name__}"
        raise DataValidationError([Problem(name, None, "claims", None,
                                           f"a mapping with a top-level 'claims' list (found {found})")])
    nodes = _claims_node(root)
    lines: list[int | None] = [node.start_mark.line + 1 for node in nodes]
    lines += [None] * (len(doc["claims"]) - len(lines))
    return doc, lines


def audit(package: DataPackage | str | Path | None = None, *, data_dir: str | Path | None = None,
          claims_path: str | Path | None = None) -> AuditResult:
    """Recompute every claim of the registry from the data package.

    Parameters
    ----------
    package : DataPackage, str or Path, optional
        The data package (or its folder); default the bundled one. ``data_dir`` is the
        older name of the same argument.
    claims_path : str or Path, optional
        Another claims registry; defaults to the package's own (its descriptor's
        ``audit.claims``).

    Returns
    -------
    AuditResult
        One :class:`ClaimResult` per claim, in registry order.
    """
    pkg = as_package(package, data_dir)
    claims, lines, name = _read_claims(claims_path, pkg)
    ctx = _Context(package=pkg, verbal=pkg.table("verbal_quantities"))
    results = []
    problems: list[Problem] = []
    for line, claim in zip(lines, claims):
        try:
            results.append(_evaluate(claim, ctx))
        except DataValidationError as exc:
            problems += [Problem(name, line, p.column, p.value, f"{p.expected} (in {p.file or 'the data'})")
                         for p in exc.problems]
        except (ValueError, ZeroDivisionError) as exc:  # a figure the claim's arithmetic cannot use
            reason = str(exc) if len(str(exc)) <= 200 else str(exc)[:197] + "..."
            problems.append(Problem(name, line, None, claim.get("id"), f"a claim that can be recomputed ({reason})"))
    if problems:
        raise DataValidationError(problems, summary=f"{name}: {len(problems)} claim(s) cannot be recomputed")
    return AuditResult(tuple(results), name, data_dir=pkg.display_root, wave=pkg.wave, synthetic=pkg.synthetic)


# ------------------------------------------------------------------------ evaluation


@dataclass(frozen=True)
class _Context:
    package: DataPackage
    verbal: pd.DataFrame

    def figure(self, ref: str) -> Figure:
        return self.package.figure(ref)


def _as_list(x: Any) -> list:
    return x if isinstance(x, list) else ([] if x is None else [x])


def _claims_node(root: yaml.Node) -> list[yaml.Node]:
    for key, value in getattr(root, "value", []):
        if getattr(key, "value", None) == "claims" and isinstance(value, yaml.SequenceNode):
            return value.value
    return []


def _verdict(holds: bool | None) -> Verdict:
    return "not verifiable" if holds is None else ("consistent" if holds else "inconsistent")


def _evaluate(claim: dict[str, Any], ctx: _Context) -> ClaimResult:
    kind = claim["kind"]
    published, recomputed, rule, holds, detail = _EVALUATORS[kind](claim, ctx)
    refs = [r for key in _FIGURE_KEYS for r in _as_list(claim.get(key)) if isinstance(r, str)]
    refs += _as_list(claim.get("parts"))
    refs = list(dict.fromkeys(refs))
    sources = tuple(dict.fromkeys(ctx.figure(r).source for r in refs))
    return ClaimResult(
        id=claim["id"], section=claim["section"], claim=claim["claim"], reading=claim.get("reading", ""),
        kind=kind, published=published, recomputed=recomputed, rule=rule, verdict=_verdict(holds),
        detail=detail, figures=tuple(refs), sources=sources,
    )


def _fig(ctx: _Context, ref: str, column: str) -> float:
    figure = ctx.figure(ref)
    value = getattr(figure, column)
    if value is None:
        raise DataValidationError([Problem(figure.file, None, column, ref,
                                           f"a {column} for {ref}, which the audit uses")])
    return float(value)


def _number(ctx: _Context, ref: str) -> float:
    """A figure's count if it has one, else its value."""
    return _fig(ctx, ref, "count" if ctx.figure(ref).count is not None else "value")


def _share_text(count: float, base: float) -> str:
    return f"{fmt_int(count)} av {fmt_int(base)} = {fmt_pct(count / base, decimals=1)}"


def _verbal_share(claim, ctx):
    if "figure" in claim:
        ref = claim["figure"]
        count, base = _fig(ctx, ref, "count"), _fig(ctx, ref, "base")
        wording = claim.get("wording") or ctx.figure(ref).verbal
    else:
        count, base, wording = _number(ctx, claim["numerator"]), float(claim["base"]), claim["wording"]
    r = verbal_range(wording, table=ctx.verbal)
    share = count / base
    return (f"{wording} ({fmt_int(count)} av {fmt_int(base)})", fmt_pct(share, decimals=1),
            f"’{r.term}’ = andel i {r}", r.contains(share), _share_text(count, base))


def _verbal_value(claim, ctx):
    value = _number(ctx, claim["figure"])
    r = verbal_range(claim["wording"], table=ctx.verbal)
    # the wording in Swedish single quotes (’…’): the report quotes the whole rule in ”…”
    return (fmt_int(value), claim["wording"], f"’{claim['wording']}’ = {r}", r.contains(value),
            f"{fmt_int(value)} i intervallet {r}: {'ja' if r.contains(value) else 'nej'}")


def _years(ctx: _Context, ref: str) -> int:
    return ctx.figure(ref).year


def _change(claim, ctx):
    before, after = _number(ctx, claim["before"]), _number(ctx, claim["after"])
    return census_change(before, after, start=_years(ctx, claim["before"]), end=_years(ctx, claim["after"]))


def _growth(claim, ctx):
    change = _change(claim, ctx)
    pct = change.relative * 100
    r = verbal_range(claim["wording"], table=ctx.verbal)
    detail = f"{fmt_int(change.after)} / {fmt_int(change.before)} − 1 = {fmt_num(pct, decimals=2)} %"
    return (claim["wording"], f"{fmt_num(pct, decimals=1)} %", f"ökning i procent i {r}", r.contains(pct), detail)


def _per_year(claim, ctx):
    change = _change(claim, ctx)
    years = int(claim["years"])
    per_year = change.absolute / years
    r = verbal_range(claim["wording"], table=ctx.verbal)
    detail = (f"({fmt_int(change.after)} − {fmt_int(change.before)}) / {years} år = "
              f"{fmt_num(per_year, decimals=1)} per år")
    return (claim["wording"], fmt_num(per_year, decimals=0), f"per år i {r}", r.contains(per_year), detail)


def _parts_sum(claim, ctx):
    parts = [_fig(ctx, p, "count") for p in claim["parts"]]
    total_ref = claim["total"]
    if isinstance(total_ref, str):
        use = claim.get("total_of") or ("base" if ctx.figure(total_ref).base is not None else "count")
        total = _fig(ctx, total_ref, use)
    else:
        total = float(total_ref)
    s = sum(parts)
    at_most = bool(claim.get("at_most"))
    holds = s <= total if at_most else s == total
    terms = " + ".join(fmt_int(p) for p in parts)
    detail = f"{terms} = {fmt_int(s)}; {'högst' if at_most else 'basen är'} {fmt_int(total)}"
    if not at_most and s != total:
        detail += f"; {fmt_int(abs(total - s))} redovisas inte"
    return (f"{terms} av {fmt_int(total)}", fmt_int(s), "delarna ≤ helheten" if at_most else "delarna = helheten",
            holds, detail)


def _same_figure(claim, ctx):
    a, b = _number(ctx, claim["a"]), _number(ctx, claim["b"])
    if claim["rule"] == "rounded":
        unit = rounding_unit(b)
        rounded = unit * int(a / unit + 0.5)
        holds = rounded == b
        detail = f"{fmt_int(a)} avrundat till närmaste {fmt_int(unit)} = {fmt_int(rounded)}; källan anger {fmt_int(b)}"
        rule = "b är a avrundat"
    elif claim["rule"] == "equal":
        holds = a == b
        detail = f"{fmt_int(a)} mot {fmt_int(b)}; skillnad {fmt_int(abs(a - b))}"
        rule = "samma tal"
    else:
        raise DataValidationError([Problem("claims", None, "rule", claim["rule"], "'equal' or 'rounded'")])
    # each figure with its source's name (the ids stay in the result's sources)
    name_a, name_b = (ctx.package.source_name(ctx.figure(claim[key]).source) for key in ("a", "b"))
    return (f"{fmt_int(a)} ({name_a})", f"{fmt_int(b)} ({name_b})", rule, holds, detail)


def _direction(claim, ctx):
    before, after = _number(ctx, claim["before"]), _number(ctx, claim["after"])
    decrease = claim["expected"] == "decrease"
    holds = after < before if decrease else after > before
    word = "minskning" if decrease else "ökning"
    return (word, f"{fmt_int(before)} → {fmt_int(after)}", f"{word} mellan perioderna", holds,
            f"{fmt_period(ctx.figure(claim['before']).period)}: {fmt_int(before)}; "
            f"{fmt_period(ctx.figure(claim['after']).period)}: {fmt_int(after)}")


def _table_count(claim, ctx):
    table = ctx.package.table(claim["table"])
    if "where" in claim:
        table = table[table[claim["where"]].astype(bool)]
    n = len(table)
    published = _fig(ctx, claim["figure"], "count")
    where = f" där kolumnen {_column_title(ctx, claim['table'], claim['where'])} är ja" if "where" in claim else ""
    return (fmt_int(published), fmt_int(n), f"rader i {_table_title(ctx, claim['table'])}", n == published,
            f"{n} rader i {_table_file(ctx, claim['table'])}{where}")


def _table_title(ctx: _Context, table: str) -> str:
    """A table's name for a reader, its title in the data package ("Tillfrågade kommuner 2014"), not its id."""
    return str(ctx.package.resource(table).get("title") or table)


def _column_title(ctx: _Context, table: str, column: str) -> str:
    """A column's name for a reader, its title in the table's schema ("Folkmängd 2013"), not its id."""
    schema = ctx.package.resource(table).get("schema")
    fields = schema.get("fields", []) if isinstance(schema, dict) else []
    return next((str(f.get("title") or column) for f in fields if f.get("name") == column), column)


def _table_file(ctx: _Context, table: str) -> str:
    """A table's file as ``<package folder name>/<path>`` (``data/sample_2014.csv``)."""
    root = "data" if ctx.package.bundled else ctx.package.path.resolve().name
    return f"{root}/{ctx.package.resource(table)['path']}"


def _column_total(claim, ctx):
    table = ctx.package.table(claim["table"])
    total = float(table[claim["column"]].sum())
    published = _number(ctx, claim["figure"])
    rule = f"summan av kolumnen {_column_title(ctx, claim['table'], claim['column'])}"
    return (fmt_int(published), fmt_int(total), rule, total == published,
            f"summa över {len(table)} rader = {fmt_int(total)}")


def _unverifiable(claim, ctx):
    wording = ctx.figure(claim["figure"]).verbal or ""
    return (wording, "–", "–", None, claim["reason"])


_EVALUATORS = {
    "verbal_share": _verbal_share,
    "verbal_value": _verbal_value,
    "growth": _growth,
    "per_year": _per_year,
    "parts_sum": _parts_sum,
    "same_figure": _same_figure,
    "direction": _direction,
    "table_count": _table_count,
    "column_total": _column_total,
    "unverifiable": _unverifiable,
}
