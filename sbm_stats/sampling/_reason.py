"""Why a municipality was selected: the reason as data, and its Swedish words written once.

A stage records a :class:`Reason` for each municipality it takes (and an extremes stage
for each pick it skips): the stage, the variable and measure that ranked it, its rank,
its value, the list it came from and that list's size, the place of the pick or draw in
the design's order, and which of the design's rules decided it (the tie-break, the rule
for a municipality already selected). Everything later reads these fields: the sample's
columns, the protocol, the report's design annex. The Swedish sentence is made from
them here, by :func:`reason_parts` (its numbers as :class:`Slot` s, so that a reader
such as the annex can put its own traced values in their place) and :func:`reason_sv`;
nothing parses the sentence back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .._markup import escape_markdown
from ._format import sv_decimal, sv_int

__all__ = ["Reason", "Passed", "Slot", "reason_parts", "reason_sv", "protocol_line", "REASON_COLUMNS",
           "TIES_SV", "ALREADY_SELECTED_SV"]

#: The design's tie rule, as the reason and the protocol name it.
TIES_SV = {"lowest_code": "lägst kommunkod först", "error": "stoppas för beslut"}
#: The design's rule for a top municipality already selected, as the protocol names it.
ALREADY_SELECTED_SV = {"next": "nästa i rangordningen tas", "skip": "ingen ny kommun"}


@dataclass(frozen=True)
class Passed:
    """A municipality ranked above the chosen one that an earlier stage (or pick) had taken."""

    code: str
    name: str
    taken_by: str  # the id of the stage that had taken it


@dataclass(frozen=True)
class Reason:
    """Why a stage took a municipality (or, for a skipped pick, why it took none).

    Attributes
    ----------
    stage, stage_kind : str
        The stage's id and kind (``certainty``, ``extremes``, ``random``).
    municipality_code, municipality_name : str
        The municipality taken (for a skipped pick: the top one, already selected).
    taken : bool
        False only for an extremes pick that took nothing (``already_selected: skip``).
    text : str or None
        A certainty stage's ``reason`` from the design file.
    variable, variable_label : str or None
        The frame column an extremes pick ranked on, and its Swedish label.
    measure : {"count", "per_inhabitant"} or None
        The measure of the ranking.
    per : int or None
        The scale of a per-inhabitant value (per ``per`` inhabitants).
    decimals : int or None
        The decimals a per-inhabitant value is written with.
    count, population : int or None
        The frame's count in ``variable`` and, for ``per_inhabitant``, its population.
    rank : int or None
        The 1-based place in the frame's ranking (value descending, equal values by the
        tie rule): where the pick found the municipality.
    value : float or None
        The value ranked on: the count, or count / population × ``per``.
    list_label : str or None
        The list it came from: a random stage's ``eligible`` condition, or for an
        extremes pick the ranking ``column (measure)``.
    list_size : int or None
        Municipalities on that list (meeting the condition; ranked by the pick).
    pool_size, draw_size : int or None
        A random stage's pool (the list less those already selected, when it excludes
        them) and how many it draws.
    draw_order : int or None
        The place of the pick among the extremes stage's picks, or of the random stage
        in the design's ``random_order`` (1-based).
    ties : str or None
        The design's tie rule, set when other municipalities share the chosen value.
    tied_with : tuple of str
        Their codes (in rank order).
    tied_names : tuple of str
        Their names.
    already_selected : str or None
        The design's rule for a top municipality already selected (``next`` or ``skip``),
        set when it applied: the pick passed earlier selections, or skipped.
    passed : tuple of Passed
        The municipalities ranked above the chosen one that were already selected.
    """

    stage: str
    stage_kind: str
    municipality_code: str
    municipality_name: str
    taken: bool = True
    text: str | None = None
    variable: str | None = None
    variable_label: str | None = None
    measure: Literal["count", "per_inhabitant"] | None = None
    per: int | None = None
    decimals: int | None = None
    count: int | None = None
    population: int | None = None
    rank: int | None = None
    value: float | None = None
    list_label: str | None = None
    list_size: int | None = None
    pool_size: int | None = None
    draw_size: int | None = None
    draw_order: int | None = None
    ties: str | None = None
    tied_with: tuple[str, ...] = ()
    tied_names: tuple[str, ...] = ()
    already_selected: str | None = None
    passed: tuple[Passed, ...] = ()

    def columns(self) -> dict[str, object]:
        """The fields a sample's row carries (:data:`REASON_COLUMNS`), lists joined by spaces."""
        return {
            "reason_variable": self.variable, "reason_measure": self.measure, "reason_rank": self.rank,
            "reason_value": self.value, "reason_count": self.count, "reason_population": self.population,
            "reason_per": self.per, "reason_list": self.list_label, "reason_list_size": self.list_size,
            "reason_pool_size": self.pool_size, "reason_draw_size": self.draw_size,
            "reason_draw_order": self.draw_order, "reason_ties": self.ties,
            "reason_tied_with": " ".join(self.tied_with) or None,
            "reason_already_selected": self.already_selected,
            "reason_passed": " ".join(p.code for p in self.passed) or None,
        }


#: The columns :meth:`Reason.columns` gives a sample's row.
REASON_COLUMNS = tuple(Reason("", "", "", "").columns())
#: Columns of :data:`REASON_COLUMNS` that hold whole numbers (nullable).
REASON_INT_COLUMNS = ("reason_rank", "reason_count", "reason_population", "reason_per", "reason_list_size",
                      "reason_pool_size", "reason_draw_size", "reason_draw_order")


@dataclass(frozen=True)
class Slot:
    """A number in a reason's words: ``name`` says which field (``per``, ``rank``, ``value``,
    ``draw_size``, ``pool_size``), ``text`` how the sampling writes it."""

    name: str
    text: str


def _value_text(reason: Reason) -> str:
    if reason.measure == "per_inhabitant":
        return sv_decimal(reason.value, reason.decimals if reason.decimals is not None else 1)
    return sv_int(int(reason.value))


def _phrase(reason: Reason) -> list[str | Slot]:
    """'högst antal X' or 'högst antal X per 10 000 invånare'."""
    if reason.measure == "count":
        return [f"högst antal {reason.variable_label}"]
    return [f"högst antal {reason.variable_label} per ", Slot("per", sv_int(reason.per)), " invånare"]


def reason_parts(reason: Reason, *, with_list: bool = True) -> list[str | Slot]:
    """The reason's Swedish words, each number a :class:`Slot` (``with_list``: a random
    stage's list named after its sizes)."""
    if reason.stage_kind == "random":
        parts: list[str | Slot] = ["slumpmässigt vald, ", Slot("draw_size", sv_int(reason.draw_size)), " av ",
                                   Slot("pool_size", sv_int(reason.pool_size)), " kommuner"]
        return parts + ([f": {reason.list_label}"] if with_list else [])
    if reason.stage_kind != "extremes":
        return [reason.text or ""]
    parts = _phrase(reason)
    if reason.rank and reason.rank > 1:
        parts += [" bland kommuner som inte redan valts (rang ", Slot("rank", sv_int(reason.rank)), " i ramen)"]
    parts += [": ", Slot("value", _value_text(reason))]
    if reason.ties:
        parts.append(f"; samma värde som {', '.join(reason.tied_names)} ({TIES_SV[reason.ties]})")
    return parts


def reason_sv(reason: Reason, *, with_list: bool = True) -> str:
    """The reason in Swedish: 'högst antal verkställda avhysningar: 99 999'."""
    return "".join(p.text if isinstance(p, Slot) else p for p in reason_parts(reason, with_list=with_list))


def protocol_line(reason: Reason) -> str:
    """An extremes pick's line in the protocol (Markdown): what it found and what it took.

    Names and labels are data, so they are escaped (shown as written); only the bold of
    the municipality taken is markup.
    """
    md = escape_markdown
    phrase = md("".join(p.text if isinstance(p, Slot) else p for p in _phrase(reason)))
    value = md(_value_text(reason))
    tie = (f"; samma värde som {md(', '.join(reason.tied_names))} ({TIES_SV[reason.ties]})"
           if reason.ties else "")
    if not reason.taken:
        return (f"{phrase}: {md(reason.municipality_name)} ({value}), redan vald "
                f"({_who(reason.passed[0]) if reason.passed else 'tidigare'}); ingen ny kommun "
                "(already_selected: skip)" + tie)
    name = f"**{md(reason.municipality_name)}** ({value}) vald"
    if not reason.passed:
        return f"{phrase}: {name}{tie}"
    passed = ", ".join(f"{md(p.name)} ({_who(p)})" for p in reason.passed)
    already = "vald" if len(reason.passed) == 1 else "valda"
    return f"{phrase}: {passed} redan {already}; rang {sv_int(reason.rank)}: {name}{tie}"


def _who(passed: Passed) -> str:
    return f"steg {passed.taken_by}" if passed.taken_by else "tidigare"
