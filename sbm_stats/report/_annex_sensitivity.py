"""The design annex's tables of what the open assumptions change, on the SYNTHETIC frame.

:class:`SensitivityTables` shows every combination of the open assumptions and how its
sample differs from the design's, the municipalities whose inclusion probability moves
over the combinations (grouped by profile), and what changes between the design and its
variant files; every number a traced value.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ._annex_inputs import DesignInputs, id_part
from ._annex_values import DesignValues
from .formatting import fmt_int, fmt_num, join_sv, shown
from .values import ShownValue, TracedText, ValueSource, traced_frame, traced_table

__all__ = ["SensitivityTables", "RANGE_SHOWN"]

#: The smallest range of an inclusion probability over the variants that the annex shows.
RANGE_SHOWN = 0.01


@dataclass(frozen=True)
class SensitivityTables:
    """SYNTHETIC: the variants of the design and what they change; traced cells."""

    inputs: DesignInputs
    traced: DesignValues

    @property
    def range_shown(self) -> ShownValue:
        """The smallest range of a probability the sensitivity table shows: '0,01', traced to :data:`RANGE_SHOWN`."""
        return ShownValue(self.traced.values.given(
            "annex:range_shown", RANGE_SHOWN, formatted=fmt_num(RANGE_SHOWN, decimals=2),
            source=ValueSource("sbm_stats.report._annex_sensitivity.RANGE_SHOWN",
                               "Rapportens gräns för vilka kommuner tabellen över känsligheten visar "
                               "(RANGE_SHOWN i rapportkoden).")))

    @property
    def infeasible(self) -> tuple[str, ...]:
        """The combinations of the open assumptions, and the variant files, that cannot be carried out on
        the frame (left out of the tables), by their names in the report: 'A1+A2 alternativet, A9 ...'."""
        return self._infeasible()

    @shown
    def infeasible_names(self) -> str:
        """:attr:`infeasible` joined with 'och', each within quotes."""
        return join_sv(f"”{name}”" for name in self._infeasible())

    def infeasible_alone(self, assumption_id: str) -> bool:
        """Whether the variant that takes ``assumption_id``'s alternative and the design's choice in
        every other open assumption cannot be carried out on the frame (e.g. it does not reach the
        design's total: on a frame where one municipality tops two of Kronofogden's counts, the
        reading that passes over an already-selected municipality leaves a place empty)."""
        inputs = self.inputs
        return any({a.id for a in inputs.design.open_assumptions if v.choices[a.id] != a.default} == {assumption_id}
                   for v in inputs.sensitivity.infeasible)

    def _infeasible(self) -> tuple[str, ...]:
        inputs = self.inputs
        names = [", ".join(f"{a.tag} {inputs.choice_short(a, v.choices[a.id])}"
                           for a in inputs.design.open_assumptions if v.choices[a.id] != a.default)
                 for v in inputs.sensitivity.infeasible]
        files = [f"variantfilen ({name})" for name in inputs.variant_files_refused]
        return tuple(names + files)

    @property
    def infeasible_count(self) -> ShownValue:
        """How many combinations of the open assumptions cannot be carried out on the frame, traced."""
        return ShownValue(self.traced.infeasible_count)

    @property
    def variants_drawn(self) -> ShownValue:
        """How many combinations were carried out on the frame, traced."""
        return ShownValue(self.traced.variants_drawn)

    def _municipalities(self, codes: str) -> str:
        return join_sv(self.inputs.names[c] for c in codes.split()) or "–"

    def _changed(self, choices: dict[str, str]) -> str:
        """What a variant changes against the design, by the assumptions' tags: 'A5 och A10',
        'A1+A2 (alternativ 2)' where an assumption has several alternatives; 'inget: designen'."""
        changed = []
        for a in self.inputs.design.open_assumptions:
            choice = choices.get(a.id, a.default)
            if choice != a.default:
                several = len(a.alternatives) > 1
                changed.append(a.tag + (f" ({self.inputs.choice_short(a, choice)})" if several else ""))
        return join_sv(changed) if changed else "inget: designen"

    def table_variants(self) -> pd.DataFrame:
        """SYNTHETIC: every combination of the open assumptions and how its sample differs.

        One row per variant, named by the assumptions whose alternative it takes (what each
        alternative is, the table of assumptions says); the design first, then the variants
        that change one assumption, then two, and so on, each group in the assumptions' order.
        """
        inputs = self.inputs
        s = inputs.sensitivity
        v = s.variants_frame()
        order = [a.id for a in inputs.design.open_assumptions]
        defaults = {a.id: a.default for a in inputs.design.open_assumptions}

        def rank(k: int) -> tuple:
            changed = [i for i, a in enumerate(order) if s.variants[k].choices[a] != defaults[a]]
            return (len(changed), changed)

        rows = sorted(range(len(s.variants)), key=rank)
        variants = [s.variants[k] for k in rows]
        out = traced_frame({
            "Ändrat mot designen": [self._changed(x.choices) for x in variants],
            "Förväntad storlek": [ShownValue(self.traced.values.derive(
                f"variant:{id_part(x.name)}:expected_size", float(v.expected_size.iloc[k]),
                "summan av de exakta inklusionssannolikheterna i varianten (SYNTETISK ram)", inputs={},
                formatted=fmt_num(v.expected_size.iloc[k], decimals=1))) for k, x in zip(rows, variants)],
            "Med här, inte i designens urval": [self._municipalities(v.not_in_default.iloc[k]) for k in rows],
            "I designens urval, inte här": [self._municipalities(v.default_not_here.iloc[k]) for k in rows],
        })
        out.attrs["synthetic"] = s.synthetic
        return out

    def show_variants(self):
        """:meth:`table_variants` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table_variants(), index=False)

    def table_sensitivity(self) -> pd.DataFrame:
        """SYNTHETIC: municipalities whose inclusion probability moves by more than
        :data:`RANGE_SHOWN` over the variants, grouped by the same profile; traced cells."""
        traced = self.traced
        t = self.inputs.sensitivity.to_frame()
        t = t[t.probability_range > RANGE_SHOWN]
        key = ["probability_default", "probability_min", "probability_max", "variants_selected", "variants"]
        rounded = t.assign(**{c: t[c].round(4) for c in key[:3]})
        variants = traced.variants_drawn
        seed = traced.seed
        rows = []
        for values, group in rounded.groupby(key, sort=False):
            group_id, names, size = traced.group("kanslighet", list(group.municipality_name),
                                                 list(group.municipality_code))
            if int(values[4]) != variants.raw:
                raise ValueError(f"the sensitivity counts {values[4]} variants, the design file {variants.raw}")
            low, high = (traced.values.derive(
                f"{group_id}:{which}", float(values[i]), f"{word} exakt inklusionssannolikhet över de {{variants}} "
                "varianterna av designen (SYNTETISK ram)", inputs={"variants": variants},
                formatted=fmt_num(values[i], decimals=3)) for i, which, word in ((1, "min", "lägsta"),
                                                                                 (2, "max", "högsta")))
            selected = traced.values.derive(f"{group_id}:selected", int(values[3]),
                                            "antal av de {variants} varianterna som väljer kommunen med fröet {seed}",
                                            inputs={"variants": variants, "seed": seed}, fmt=fmt_int)
            rows.append({
                "Kommuner": names,
                "Antal": ShownValue(size),
                "Sannolikhet i designen": ShownValue(traced.values.given(
                    f"{group_id}:default", float(values[0]), source=traced.probability_source,
                    table=traced.frame_file, row=" ".join(sorted(group.municipality_code)),
                    column="sannolikhet, designen",
                    formatted=fmt_num(values[0], decimals=3))),
                "Lägst": ShownValue(low),
                "Högst": ShownValue(high),
                "Valda i varianter": TracedText.join(selected, " av ", variants),
                "_range": values[2] - values[1],
            })
        columns = ["Kommuner", "Antal", "Sannolikhet i designen", "Lägst", "Högst", "Valda i varianter"]
        # widest range first; then by the count's text, descending, as the table has always been ordered
        # ('9' before '112': a text order, kept so the report reads as before; a numeric order is a separate change)
        rows.sort(key=lambda r: str(r["Antal"]), reverse=True)
        rows.sort(key=lambda r: r["_range"], reverse=True)
        out = traced_frame({c: [r[c] for r in rows] for c in columns})
        out.attrs["synthetic"] = self.inputs.sensitivity.synthetic
        return out

    def show_sensitivity(self):
        """:meth:`table_sensitivity` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table_sensitivity(), index=False)

    def table_variant_changes(self) -> pd.DataFrame:
        """SYNTHETIC: what changes between the design and its variant files, grouped by profile
        (no rows when the package has no variant file)."""
        traced = self.traced
        c = self.inputs.variant_comparison if self.inputs.has_variant_files else None
        names = list(c.attrs["mean_size"]) if c is not None else []
        if len(names) < 2:  # no variant file, or none that can be carried out on the frame
            out = pd.DataFrame(columns=["Kommuner", "Antal"])
            out.attrs["synthetic"] = True
            return out
        c = c[c.differs]
        columns = {}
        for name in names:
            columns[f"Sannolikhet, {name}"] = c[name].round(4)
            columns[f"Vald, {name}"] = c[f"selected:{name}"].map({True: "ja", False: "nej"})
        key = list(columns)
        grouped = pd.DataFrame({"name": c.municipality_name, "code": c.municipality_code, **columns})
        rows = []
        for values, group in grouped.groupby(key, sort=False):
            group_id, names, size = traced.group("variantfil", list(group.name), list(group.code))
            row = {"Kommuner": names, "Antal": ShownValue(size)}
            for k, v in zip(key, values):
                row[k] = ShownValue(traced.values.given(
                    f"{group_id}:{id_part(k.split(', ', 1)[1])}", float(v), source=traced.probability_source,
                    table=traced.frame_file, row=" ".join(sorted(group.code)), column=k.lower(),
                    formatted=fmt_num(v, decimals=4))) if k.startswith("Sannolikhet") else v
            rows.append(row)
        selection = [k for k in key if k.startswith("Vald")]
        moved = [len({row[k] for k in selection}) > 1 for row in rows]
        ordered = [r for r, m in zip(rows, moved) if m] + [r for r, m in zip(rows, moved) if not m]
        out = traced_frame({k: [r[k] for r in ordered] for k in ["Kommuner", "Antal", *key]})
        out.attrs["synthetic"] = c.attrs.get("synthetic", True)
        return out

    def show_variant_changes(self):
        """:meth:`table_variant_changes` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table_variant_changes(), index=False)
