"""The audit of the publication's quantitative claims, as the report shows it."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pandas as pd

from .._markup import markdown_code
from ..data._package import DataPackage
from .formatting import cap, fmt_int, number_in_words, shown, unbroken_numbers
from .values import ShownValue, TracedText, ValueRegistry, ValueSource, traced_frame, traced_table

__all__ = ["AuditSummary"]

#: A number as the report writes it: '16 386', '45,39', '0,50'; a year (1900–2099) is not traced.
_NUMBER = re.compile(r"(?<![\w,.])[−-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?(?![\d\w])"
                     r"|(?<![\w,.])[−-]?\d+(?:,\d+)?(?![\d\w])")
_YEAR = re.compile(r"(?:19|20)\d\d")
#: A number that is part of a date or a fixed name, not a quantity: the day of "31 december",
#: the number of "Rapport 2014:36" or "S2014/1394/SAM". Never traced.
_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december")
_DAY = re.compile(r"[ \u00a0](?:" + "|".join(_MONTHS) + r")\b", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def _fixed(text: str, start: int, end: int) -> bool:
    """True if the number at ``text[start:end]`` is a day of a date or part of a reference, not a quantity."""
    before, after = text[max(0, start - 2):start], text[end:end + 2]
    return bool(_DAY.match(text, end)) or bool(re.fullmatch(r"\w[:/]", before)) or bool(re.match(r"[:/]\w", after))


def _same_text(a: str, b: str) -> bool:
    """The same text once every kind of space is one space: '9\u00a0644\u00a0864' and '9 644 864'."""
    return _SPACES.sub(" ", a).strip() == _SPACES.sub(" ", b).strip()


@dataclass(frozen=True)
class AuditSummary:
    """:func:`~sbm_stats.audit.audit` run once on the data package ``package``.

    Its counts are traced in ``values`` (the report's registry; a registry of its own
    when not given) as counts over the claims file of the package.
    """

    package: DataPackage
    values: ValueRegistry | None = None

    def __post_init__(self) -> None:
        if self.values is None:
            object.__setattr__(self, "values", ValueRegistry(self.package))

    @functools.cached_property
    def result(self):
        """The :class:`~sbm_stats.audit.AuditResult`: the registry's own run when it audits this package."""
        if self.values.package is self.package:
            return self.values.audit()
        from ..audit._claims import audit

        return audit(self.package)

    @functools.cached_property
    def _counts(self) -> dict[str, int]:
        return self.result.counts()

    def _count(self, verdict: str | None, what: str) -> ShownValue:
        n = len(self.result.claims) if verdict is None else self._counts[verdict]
        where = f" ({self.package.display(self.package.claims_path)})"
        value_id = "audit:claims" if verdict is None else f"audit:{verdict.replace(' ', '_')}"
        return ShownValue(self.values.derive(value_id, n, f"antal {what} i granskningen{where}", inputs={},
                                             formatted=fmt_int(n)))

    @property
    def claims(self) -> ShownValue:
        """How many claims were checked, in digits, traced."""
        return self._count(None, "påståenden")

    @property
    def consistent(self) -> ShownValue:
        """How many hold, in digits, traced."""
        return self._count("consistent", "påståenden som stämmer")

    @property
    def inconsistent(self) -> ShownValue:
        """How many do not hold, in digits, traced."""
        return self._count("inconsistent", "påståenden som inte stämmer")

    @property
    def not_verifiable(self) -> ShownValue:
        """How many cannot be checked with the data, in digits, traced."""
        return self._count("not verifiable", "påståenden som inte kan prövas")

    @property
    @shown
    def source_conflicts(self) -> str:
        """How many of the discrepancies are figures two sources give differently, in words,
        capitalised (it starts a sentence)."""
        n = sum(c.kind == "same_figure" and c.verdict == "inconsistent" for c in self.result.claims)
        return cap(number_in_words(n))

    def _figure_inputs(self, claim) -> dict:
        """The claim's figures (count or value, and base), traced to ``published_figures``, named ``f0``, ``f1``, ..."""
        inputs = {}
        for figure_id in claim.figures:
            figure = self.package.figure(figure_id)
            if figure.count is not None or figure.value is not None:
                inputs[f"f{len(inputs)}"] = self.values.figure(figure_id, "count" if figure.count is not None
                                                               else "value")
            if figure.base is not None:
                inputs[f"f{len(inputs)}"] = self.values.figure(figure_id, "base")
        return inputs

    def _published(self, claim) -> ShownValue:
        """What the publication says, as the audit reads it, traced to the claim's figures and linked to its verdict.

        When it is one figure as written, it is that figure's row (not a computation
        ``x = x``).
        """
        if claim.kind == "same_figure":
            return self._sourced(claim, 0, "published")
        inputs = self._figure_inputs(claim)
        if len(inputs) == 1:
            (figure,) = inputs.values()
            if figure.table and _same_text(figure.formatted, claim.published):
                value = self.values.read(figure.table, figure.row, figure.column, id=f"claim:{claim.id}:published",
                                         formatted=claim.published)
                return ShownValue(self.values.claimed(value, claim.id))
        formula = "publikationens uppgifter: " + ", ".join(f"{{{name}}}" for name in inputs) if inputs \
            else "publikationens ordalydelse"
        value = self.values.derive(f"claim:{claim.id}:published", claim.published, formula, inputs=inputs,
                                   formatted=unbroken_numbers(claim.published))
        return ShownValue(self.values.claimed(value, claim.id))

    def _recomputed(self, claim) -> ShownValue:
        """The audit's recomputation, its rule and detail as the computation, the claim's figures as inputs."""
        if claim.kind == "same_figure":
            return self._sourced(claim, 1, "recomputed")
        rule = claim.detail if claim.rule in ("", "–") else f"{claim.rule}: {claim.detail}"
        formula = rule.replace("{", "{{").replace("}", "}}")
        return ShownValue(self.values.derive(f"claim:{claim.id}:recomputed", claim.recomputed, formula,
                                             inputs=self._figure_inputs(claim),
                                             formatted=unbroken_numbers(claim.recomputed)))

    def _sourced(self, claim, k: int, part: str) -> TracedText:
        """The ``k``-th figure a ``same_figure`` claim compares, read from its row, with its source:
        "11 270 (Socialstyrelsen 2015; `socstyr_2015`)", the source's short name as text and its id
        in code style. The publication's figure (``part`` "published") is linked to the verdict.
        """
        figure_id = claim.figures[k]
        figure = self.package.figure(figure_id)
        number = self.values.figure(figure_id, "count" if figure.count is not None else "value")
        value = self.values.read(number.table, number.row, number.column, id=f"claim:{claim.id}:{part}",
                                 formatted=number.formatted)
        if part == "published":
            value = self.values.claimed(value, claim.id)
        source = figure.source
        named = TracedText.join(ShownValue(value), f" ({self.package.source_name(source)}; ")
        return TracedText(f"{named}{source})", f"{named._repr_markdown_()}{markdown_code(source)})")

    def _numbers_of(self, claim, text: str, part: str, inputs: dict):
        """``text`` (the claim's wording or the audit's rule) with each number in it traced.

        A number equal to one of the claim's figures is that figure (its row of
        ``published_figures``); another number of the wording is the claims file's text for
        the claim; another number of the rule is part of the audit's recomputation, with the
        claim's figures as its inputs. Years, the days of dates and the numbers of fixed
        names ("Rapport 2014:36") are text, not traced.
        """
        found = [m for m in _NUMBER.finditer(text)
                 if not _YEAR.fullmatch(m.group()) and not _fixed(text, m.start(), m.end())]
        if not found:
            return text
        claims_file = self.package.display(self.package.claims_path)
        parts, end = [], 0
        for k, m in enumerate(found):
            written = unbroken_numbers(m.group())
            raw = float(re.sub(r"[\s\u00a0\u202f]", "", written).replace(",", ".").replace("−", "-"))
            value_id = f"claim:{claim.id}:{part}:{k + 1}"
            same = [name for name, v in inputs.items() if isinstance(v.raw, (int, float)) and float(v.raw) == raw]
            figure = inputs[same[0]] if same else None
            if figure is not None and figure.table:
                value = self.values.read(figure.table, figure.row, figure.column, id=value_id, formatted=written)
            elif part == "rule":
                rule = text.replace("{", "{{").replace("}", "}}")
                # the rule in quotes: its own "=" must not read as the value's computation
                value = self.values.derive(value_id, raw, f"talet i granskningens uträkning ”{rule}”", inputs=inputs,
                                           formatted=written)
            else:
                value = self.values.given(value_id, raw, formatted=written, table=claims_file, row=claim.id,
                                          column="claim", source=ValueSource(
                                              claims_file, f"Granskningens påståendefil {claims_file}: "
                                              "publikationens ordalydelse och granskningens läsning av den."))
            parts += [text[end:m.start()], value]
            end = m.end()
        return TracedText.join(*parts, text[end:])

    def table(self) -> pd.DataFrame:
        """The full audit, one row per claim, in Swedish; the published and recomputed values traced."""
        from ..audit._claims import VERDICTS_SV

        a = self.result.to_frame()
        claims = self.result.claims
        inputs = [self._figure_inputs(c) for c in claims]
        return traced_frame({
            "Påstående": [self._numbers_of(c, f"{w} ({r})" if r else w, "claim", i)
                          for c, w, r, i in zip(claims, a.claim, a.reading, inputs)],
            "Publicerat": [self._published(c) for c in claims],
            "Omräknat": [self._recomputed(c) for c in claims],
            "Utfall": [VERDICTS_SV[v] for v in a.verdict],
            "Regel och uträkning": [self._numbers_of(c, d if r in ("", "–") else f"{r}: {d}", "rule", i)
                                    for c, r, d, i in zip(claims, a.rule, a.detail, inputs)],
        })

    def show(self):
        """:meth:`table` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table(), index=False)
