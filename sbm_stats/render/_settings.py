"""The front matter of a document, read into the settings the renderer uses.

Options are looked up as Quarto does: under ``format: <name>:`` first, then at the
top level, then the default. The PDF is written through Typst, so options for it
may sit under ``format: pdf:`` or ``format: typst:``.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import RenderError
from ._lang import Labels, labels_for
from ._qmd import QmdDocument, coerce_date

__all__ = ["DocumentSettings", "read_settings", "values_appendix_options", "FORMAT_KEYS", "FALLBACK_EPOCH",
           "VALUES_APPENDIX", "VALUES_APPENDIX_FORMATS"]

#: Where each output format's options may sit under ``format:``.
FORMAT_KEYS = {"html": ("html",), "pdf": ("pdf", "typst"), "docx": ("docx",)}

#: The timestamp written into outputs when neither SOURCE_DATE_EPOCH nor the
#: document's ``date`` gives one: 1980-01-01T00:00:00Z, the earliest time a ZIP
#: file (DOCX) can hold.
FALLBACK_EPOCH = 315532800

#: Where the values appendix (Sifferförteckning) goes: front matter ``values-appendix``.
VALUES_APPENDIX = ("separate", "inline", "none")
#: The formats the separate appendix may be written in (``values-appendix-formats``); HTML always is.
VALUES_APPENDIX_FORMATS = ("html", "pdf", "docx")

_DATE_FORMATS = ("long", "iso")
_FIG_FORMATS = ("png", "svg")


@dataclass(frozen=True)
class DocumentSettings:
    """What the front matter says, normalised.

    Attributes
    ----------
    epoch : int
        Seconds since 1970 written as the creation time of every output
        (SOURCE_DATE_EPOCH if set, else the document's date at midnight UTC,
        else :data:`FALLBACK_EPOCH`).
    """

    title: str | None
    subtitle: str | None
    authors: tuple[str, ...]
    date_text: str | None
    abstract: str | None
    lang: str
    labels: Labels
    epoch: int
    fig_width: float
    fig_height: float
    fig_dpi: int
    fig_format: str
    params: Mapping[str, Any]
    bibliography: tuple[str, ...]
    csl: str | None
    formats: Mapping[str, Any]
    meta: Mapping[str, Any]
    base_dir: Path
    #: Seconds a chunk may run (``execute: timeout``); ``None`` when the document sets none.
    timeout: float | None = None
    #: Environment variables whose values the execution depends on (``sbm-stats: cache-env``).
    cache_env: tuple[str, ...] = ()
    #: Where the values appendix goes (``values-appendix``): a companion document
    #: ``<stem>.values.html`` beside the outputs, inside the document, or nowhere.
    values_appendix: str = "separate"
    #: The companion's formats (``values-appendix-formats``), HTML first and always.
    values_appendix_formats: tuple[str, ...] = ("html",)
    #: The author's Word reference document (``reference-doc``), checked; ``None``: the report's own.
    reference_doc: Path | None = None
    #: The affiliations' names of each author, in the order of ``authors``.
    affiliations: tuple[tuple[str, ...], ...] = ()
    #: The front matter's ``keywords``.
    keywords: tuple[str, ...] = ()

    def option(self, fmt: str, key: str, default: Any = None) -> Any:
        """A format option: ``format: <fmt>: key`` over top-level ``key`` over ``default``."""
        for name in FORMAT_KEYS.get(fmt, (fmt,)):
            opts = self.formats.get(name)
            if isinstance(opts, dict) and key in opts:
                return opts[key]
        return self.meta.get(key, default)


_OFFSET = "a whole number of 0 or more, or a list of at most six of them such as [3, 1]"
_NOCITE_RE = re.compile(r"\s*(@[\w*:.#$%&+?<>~/-]+[\s,;]*)+")


def number_offset(value: Any) -> list[int]:
    """Quarto's ``number-offset`` as a list (a whole number, or a list of them, added to the section numbers by level).

    Raises ValueError when it is not one.
    """
    items = value if isinstance(value, list) else [value]
    if len(items) > 6 or any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in items):
        raise ValueError(_OFFSET)
    return list(items)


def _check_quarto_options(path: Path, meta: Mapping[str, Any], formats: Mapping[str, Any]) -> None:
    """``number-offset``, ``shift-heading-level-by``, ``toc-depth``, ``number-depth`` (top level and
    per format) and ``nocite``."""
    places = [("", meta)] + [(f"format: {name}: ", opts) for name, opts in formats.items() if isinstance(opts, dict)]
    for where, opts in places:
        if "number-offset" in opts:
            try:
                number_offset(opts["number-offset"])
            except ValueError:
                raise RenderError(f"{path.name}: front matter: {where}number-offset ({opts['number-offset']!r}) "
                                  f"must be {_OFFSET}") from None
        shift = opts.get("shift-heading-level-by", 0)
        if isinstance(shift, bool) or not isinstance(shift, int) or not -5 <= shift <= 5:
            raise RenderError(f"{path.name}: front matter: {where}shift-heading-level-by ({shift!r}) must be a "
                              "whole number from -5 to 5, such as -1")
        for key in ("toc-depth", "number-depth"):  # read as whole numbers by the writers
            depth = opts.get(key, 1)
            if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= 6:
                raise RenderError(f"{path.name}: front matter: {where}{key} ({depth!r}) must be a whole number "
                                  "from 1 to 6, such as 2")
    nocite = meta.get("nocite")
    if nocite is not None and not (isinstance(nocite, str) and _NOCITE_RE.fullmatch(nocite)):
        raise RenderError(f"{path.name}: front matter: nocite ({nocite!r}) must list citation keys such as "
                          "'@key1, @key2', or '@*' for all")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


def _affiliations(value: Any) -> tuple[tuple[str, ...], ...]:
    """Each author's affiliations by name (Quarto shows only the name: the corpus' framsida.qmd)."""
    if value is None:
        return ()
    out = []
    for item in value if isinstance(value, list) else [value]:
        if item is None:
            continue
        given = (item.get("affiliations", item.get("affiliation")) if isinstance(item, dict) else None) or []
        names = []
        for affiliation in given if isinstance(given, list) else [given]:
            name = affiliation.get("name") if isinstance(affiliation, dict) else affiliation
            if name:
                names.append(str(name))
        if not isinstance(item, dict) or item.get("name"):
            out.append(tuple(names))
    return tuple(out)


def _keywords(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(str(k).strip() for k in items if str(k).strip())


def _authors(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, dict):
            name = item.get("name")
            if isinstance(name, dict):
                name = name.get("literal") or " ".join(
                    str(name[k]) for k in ("given", "family") if k in name
                )
            if name:
                names.append(str(name))
        elif item is not None:
            names.append(str(item))
    return tuple(names)


def _formats(path: Path, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {value: {}}
    if isinstance(value, list):
        return {str(v): {} for v in value}
    if isinstance(value, dict):
        return {str(k): (v if isinstance(v, dict) else {}) for k, v in value.items()}
    raise RenderError(f"{path.name}: front matter: format ({value!r}) must be a name, a list or a mapping")


def _env_epoch() -> int | None:
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or not raw.strip():
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        raise RenderError(
            f"the environment variable SOURCE_DATE_EPOCH ({raw!r}) must be a whole number of seconds"
        ) from None
    if value < 0:
        raise RenderError(f"the environment variable SOURCE_DATE_EPOCH ({raw!r}) must not be negative")
    return value


def _number(path: Path, key: str, value: Any, kind: type) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise RenderError(f"{path.name}: front matter: {key} ({value!r}) must be a number") from None
    if number <= 0:
        raise RenderError(f"{path.name}: front matter: {key} ({value!r}) must be positive")
    return number


def read_settings(doc: QmdDocument) -> DocumentSettings:
    """Read the settings of a parsed document.

    Raises
    ------
    RenderError
        For an option whose value is not allowed; the message names the option,
        the value and what is allowed.
    """
    path = doc.path
    meta = dict(doc.meta)
    formats = _formats(path, meta.get("format"))
    lang = str(meta.get("lang") or "en")
    crossref = meta.get("crossref") or {}
    if not isinstance(crossref, dict):
        raise RenderError(f"{path.name}: front matter: crossref ({crossref!r}) must be a mapping")
    labels = labels_for(lang, crossref, meta.get("toc-title"))

    env_epoch = _env_epoch()
    raw_date = meta.get("date")
    date: _dt.date | None
    if raw_date == "today":
        date = (_dt.datetime.fromtimestamp(env_epoch, _dt.timezone.utc).date()
                if env_epoch is not None else _dt.date.today())
    elif raw_date == "last-modified":
        date = _dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.timezone.utc).date()
    else:
        date = coerce_date(raw_date)
    date_format = str(meta.get("date-format", "long"))
    if date_format not in _DATE_FORMATS:
        raise RenderError(
            f"{path.name}: front matter: date-format ({date_format!r}) must be one of "
            + " or ".join(repr(f) for f in _DATE_FORMATS)
        )
    if date is not None:
        date_text = date.isoformat() if date_format == "iso" else labels.long_date(date.year, date.month, date.day)
    else:
        date_text = _text(raw_date)
    if env_epoch is not None:
        epoch = env_epoch
    elif date is not None:
        epoch = int(_dt.datetime(date.year, date.month, date.day, tzinfo=_dt.timezone.utc).timestamp())
    else:
        epoch = FALLBACK_EPOCH

    def fig(key: str, default: Any) -> Any:
        if key in meta:
            return meta[key]
        html = formats.get("html")
        if isinstance(html, dict) and key in html:
            return html[key]
        return default

    fig_format = str(fig("fig-format", "png"))
    if fig_format not in _FIG_FORMATS:
        raise RenderError(
            f"{path.name}: front matter: fig-format ({fig_format!r}) must be "
            + " or ".join(repr(f) for f in _FIG_FORMATS)
        )
    fig_dpi = int(_number(path, "fig-dpi", fig("fig-dpi", 200), float))
    if fig_dpi < 150:
        raise RenderError(f"{path.name}: front matter: fig-dpi ({fig_dpi}) must be at least 150 (print resolution)")

    _check_quarto_options(path, meta, formats)
    params = meta.get("params") or {}
    if not isinstance(params, dict):
        raise RenderError(f"{path.name}: front matter: params ({params!r}) must be a mapping of name: value")
    bibliography = meta.get("bibliography") or ()
    if isinstance(bibliography, str):
        bibliography = (bibliography,)
    base = path.parent
    timeout, cache_env = _execution_options(path, meta)
    appendix, appendix_formats = values_appendix_options(path, meta)
    reference = _reference_doc(path, formats, meta)
    return DocumentSettings(
        title=_text(meta.get("title")),
        subtitle=_text(meta.get("subtitle")),
        authors=_authors(meta.get("author", meta.get("authors"))),
        date_text=date_text,
        abstract=_text(meta.get("abstract")),
        lang=lang,
        labels=labels,
        epoch=epoch,
        fig_width=_number(path, "fig-width", fig("fig-width", 7), float),
        fig_height=_number(path, "fig-height", fig("fig-height", 5), float),
        fig_dpi=fig_dpi,
        fig_format=fig_format,
        params=params,
        bibliography=tuple(str((base / b).resolve()) for b in bibliography),
        csl=str((base / meta["csl"]).resolve()) if meta.get("csl") else None,
        formats=formats,
        meta=meta,
        base_dir=base.resolve(),
        timeout=timeout,
        cache_env=cache_env,
        values_appendix=appendix,
        values_appendix_formats=appendix_formats,
        reference_doc=reference,
        affiliations=_affiliations(meta.get("author", meta.get("authors"))),
        keywords=_keywords(meta.get("keywords")),
    )


def values_appendix_options(path: Path, meta: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """``values-appendix`` and ``values-appendix-formats`` from the front matter, checked.

    ``values-appendix`` is ``separate`` (default: the appendix is a companion document,
    ``<stem>.values.html``, and also ``.pdf``/``.docx`` when ``values-appendix-formats``
    lists them), ``inline`` (the appendix is the document's last part) or ``none``.

    Raises
    ------
    RenderError
        For any other value, naming the option and the allowed values.
    """
    mode = meta.get("values-appendix", "separate")
    if not isinstance(mode, str) or mode not in VALUES_APPENDIX:
        raise RenderError(f"{path.name}: front matter: values-appendix ({mode!r}) must be one of "
                          + ", ".join(repr(v) for v in VALUES_APPENDIX[:-1]) + f" or {VALUES_APPENDIX[-1]!r}")
    raw = meta.get("values-appendix-formats", ["html"])
    listed = [raw] if isinstance(raw, str) else raw
    if not isinstance(listed, list) or not listed or any(f not in VALUES_APPENDIX_FORMATS for f in listed):
        raise RenderError(f"{path.name}: front matter: values-appendix-formats ({raw!r}) must be a list of "
                          + ", ".join(repr(v) for v in VALUES_APPENDIX_FORMATS[:-1])
                          + f" and {VALUES_APPENDIX_FORMATS[-1]!r} (html is always written)")
    return mode, tuple(f for f in VALUES_APPENDIX_FORMATS if f == "html" or f in listed)


def _reference_doc(path: Path, formats: Mapping[str, Any], meta: Mapping[str, Any]) -> Path | None:
    """``reference-doc`` (under ``format: docx:`` or at the top level), checked; ``None`` when not given."""
    docx = formats.get("docx") or {}
    value = docx.get("reference-doc", meta.get("reference-doc"))
    if value is None:
        return None
    from ._docx import check_reference_doc

    return check_reference_doc(value, document=path)


def _execution_options(path: Path, meta: Mapping[str, Any]) -> tuple[float | None, tuple[str, ...]]:
    """``execute: timeout`` and ``sbm-stats: cache-env`` from the front matter, checked."""
    execute = meta.get("execute") or {}
    timeout = execute.get("timeout") if isinstance(execute, dict) else None
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < 10**7:
            raise RenderError(f"{path.name}: front matter: execute: timeout ({timeout!r}) must be a number of "
                              "seconds above 0")
        timeout = float(timeout)
    ours = meta.get("sbm-stats") or {}
    if not isinstance(ours, dict):
        raise RenderError(f"{path.name}: front matter: sbm-stats ({ours!r}) must be a mapping of options")
    unknown = sorted(set(ours) - {"cache-env"})
    if unknown:
        raise RenderError(f"{path.name}: front matter: sbm-stats: {unknown[0]!r} is not an option; "
                          "the only one is 'cache-env'")
    names = ours.get("cache-env") or []
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(n, str) and n and "=" not in n for n in names):
        raise RenderError(f"{path.name}: front matter: sbm-stats: cache-env ({names!r}) must be a list of "
                          "environment variable names")
    return timeout, tuple(names)
