"""Words a reader of the rendered document sees, in Swedish and English.

The Swedish terms are Quarto's own (``src/resources/language/_language-sv.yml``
in quarto-cli): "Figur", "Tabell", "Avsnitt", the callout titles "Notera",
"Tips", "Varning", "Viktigt", "Ekvation". Quarto's Swedish file has no title for the
*caution* callout (it lists ``callout-danger-title: "Försiktigt"``, a key Quarto
does not read, so Quarto falls back to English "Caution"); here it is
"Försiktigt", the word that file gives. A document changes any of them with
Quarto's ``crossref:`` options (``fig-title``, ``tbl-title``, ``fig-prefix``,
``tbl-prefix``, ``sec-prefix``, ``title-delim``): for example
``sec-prefix: avsnitt`` for the lower case inside a Swedish sentence
(``@Sec-...`` still gives "Avsnitt 2.1").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["Labels", "labels_for"]

_MONTHS = {
    "sv": (
        "januari", "februari", "mars", "april", "maj", "juni",
        "juli", "augusti", "september", "oktober", "november", "december",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}


@dataclass(frozen=True)
class Labels:
    """The labels of one language, after the document's ``crossref`` overrides."""

    lang: str
    fig_title: str
    tbl_title: str
    fig_prefix: str
    tbl_prefix: str
    sec_prefix: str
    eq_prefix: str
    title_delim: str
    toc_title: str
    skip_link: str
    code_summary: str
    keywords_title: str
    callout_titles: Mapping[str, str]
    months: tuple[str, ...]

    def for_filter(self) -> dict[str, str]:
        """The labels as the Lua filter reads them (Quarto's key names)."""
        values = {key: getattr(self, attr) for key, attr in CROSSREF_KEYS.items()}
        values.update({f"callout-{kind}": title for kind, title in self.callout_titles.items()})
        return values

    def long_date(self, year: int, month: int, day: int) -> str:
        """The date written out: "1 mars 2015" (sv) or "March 1, 2015" (en)."""
        name = self.months[month - 1]
        if self.lang == "sv":
            return f"{day} {name} {year}"
        return f"{name} {day}, {year}"


_BASE = {
    "sv": dict(
        fig_title="Figur",
        tbl_title="Tabell",
        fig_prefix="Figur",
        tbl_prefix="Tabell",
        sec_prefix="Avsnitt",
        eq_prefix="Ekvation",
        title_delim=":",
        toc_title="Innehållsförteckning",
        skip_link="Till huvudtexten",
        code_summary="Kod",
        keywords_title="Nyckelord",
        callout_titles={
            "note": "Notera",
            "tip": "Tips",
            "warning": "Varning",
            "important": "Viktigt",
            "caution": "Försiktigt",
        },
    ),
    "en": dict(
        fig_title="Figure",
        tbl_title="Table",
        fig_prefix="Figure",
        tbl_prefix="Table",
        sec_prefix="Section",
        eq_prefix="Equation",
        title_delim=":",
        toc_title="Table of contents",
        skip_link="Skip to the main text",
        code_summary="Code",
        keywords_title="Keywords",
        callout_titles={
            "note": "Note",
            "tip": "Tip",
            "warning": "Warning",
            "important": "Important",
            "caution": "Caution",
        },
    ),
}

#: Quarto ``crossref`` keys a document may set, and the field each overrides.
CROSSREF_KEYS = {
    "fig-title": "fig_title",
    "tbl-title": "tbl_title",
    "fig-prefix": "fig_prefix",
    "tbl-prefix": "tbl_prefix",
    "sec-prefix": "sec_prefix",
    "eq-prefix": "eq_prefix",
    "title-delim": "title_delim",
}


def labels_for(lang: str, crossref: Mapping[str, str] | None = None, toc_title: str | None = None) -> Labels:
    """The labels for a document language (``sv``, ``sv-SE``, ``en``, ...).

    Any language that is not Swedish gets the English labels.
    """
    key = "sv" if lang.lower().split("-")[0] == "sv" else "en"
    values = dict(_BASE[key])
    for quarto_key, field in CROSSREF_KEYS.items():
        if crossref and quarto_key in crossref:
            values[field] = str(crossref[quarto_key])
    # Quarto's default: a prefix follows the title unless set on its own.
    if crossref:
        if "fig-title" in crossref and "fig-prefix" not in crossref:
            values["fig_prefix"] = values["fig_title"]
        if "tbl-title" in crossref and "tbl-prefix" not in crossref:
            values["tbl_prefix"] = values["tbl_title"]
    if toc_title is not None:
        values["toc_title"] = str(toc_title)
    values["callout_titles"] = MappingProxyType(dict(values["callout_titles"]))
    return Labels(lang=key, months=_MONTHS[key], **values)
