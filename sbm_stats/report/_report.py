"""What ``report.qmd`` shows, computed once here so that the report holds no logic.

:class:`Report` loads the data package once and offers three kinds of method:

* **inline values** for the prose, already formatted in Swedish (``R.n(id)``, ``R.w(id)``,
  ``R.v(id)``, ``R.words(id)``, ``R.growth(a, b)``): every number in the report's text
  comes from ``data/`` through one of these;
* **tables** (``R.table_*``): DataFrames with Swedish column names and formatted cells;
* **figures** (``R.plot_*``): matplotlib figures with fixed sizes and fonts.

Examples
--------
>>> R = Report.load()
>>> R.n("res.forced_moves"), R.base("res.forced_moves"), R.w("res.family_moves")
('16', '29', 'fyra')
>>> R.growth("bme.flats_2008", "bme.flats_2013")
'45\\xa0%'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import plots
from ..audit._claims import VERDICTS_SV, AuditResult, audit
from ..estimation.compare import census_change
from ..data._loaders import (
    _resolve,
    load_housing_solutions,
    load_municipalities,
    load_published_figures,
    load_sample_2014,
    load_sources,
    load_vulnerability_factors,
)
from .formatting import fmt_int, fmt_interval, fmt_num, fmt_pct, shown

__all__ = ["Report", "number_in_words"]

_WORDS = ("noll", "en", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio", "elva", "tolv")
_ORDINALS = ("nollte", "första", "andra", "tredje", "fjärde", "femte", "sjätte", "sjunde", "åttonde",
             "nionde", "tionde", "elfte", "tolfte")
#: The interval methods as the report names them.
METHOD_NAMES_SV = {
    "wilson": "Wilsons metod", "clopper-pearson": "Clopper–Pearsons exakta metod",
    "jeffreys": "Jeffreys metod", "agresti-coull": "Agresti–Coulls metod", "wald": "Walds metod",
    "logit": "logitmetoden",
}
_CATEGORY_SV = {"akutboende": "Akutboende", "overgangsboende": "Övergångsboende",
                "langsiktigt_boende": "Långsiktigt boende"}
_LEVEL_SV = {"strukturell": "Strukturell", "institutionell": "Institutionell",
             "relationell": "Relationell", "individuell": "Individuell"}
_GROUP_SV = {"fixed_large": "Fast vald (stor kommun)", "other_selected": "Övriga steg"}


@dataclass(frozen=True)
class _Bounds:
    """Interval bounds for a mix of rows with and without a correction (NaN: not applicable)."""

    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"estimate": self.estimate, "low": self.low, "high": self.high})


def number_in_words(n: int, *, gender: str = "en") -> str:
    """A whole number as Swedish text: words up to twelve, digits above (Svenska skrivregler).

    >>> number_in_words(4), number_in_words(1, gender="ett"), number_in_words(16)
    ('fyra', 'ett', '16')
    """
    if gender not in {"en", "ett"}:
        raise ValueError(f"gender ({gender!r}) must be 'en' or 'ett'")
    if not float(n).is_integer() or n < 0:
        raise ValueError(f"n ({n!r}) must be a non-negative whole number")
    n = int(n)
    if n == 1:
        return gender
    return _WORDS[n] if n < len(_WORDS) else fmt_int(n)


@dataclass(frozen=True)
class Report:
    """The report's data, loaded once, with formatted accessors.

    Build it with :meth:`Report.load`. The options are the report's parameters:
    ``confidence_level`` and ``ci_method`` for the intervals, ``seed`` and
    ``replicates`` for the sample-design annex.
    """

    figures: pd.DataFrame
    data_dir: Path
    confidence_level: float = 0.95
    ci_method: str = "wilson"
    seed: int = 2014
    replicates: int = 20000
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(
        cls,
        *,
        data_dir: str | Path | None = None,
        confidence_level: float = 0.95,
        ci_method: str = "wilson",
        seed: int = 2014,
        replicates: int = 20000,
    ) -> Report:
        from .._validate import check_choice, check_confidence_level
        from ..estimation.proportions import PROPORTION_METHODS

        confidence_level = check_confidence_level(confidence_level)
        ci_method = check_choice("ci_method", ci_method, PROPORTION_METHODS)
        for name, value in (("seed", seed), ("replicates", replicates)):
            if isinstance(value, bool) or not float(value).is_integer() or value < 0:
                raise ValueError(f"{name} ({value!r}) must be a whole number of at least 0")
        folder = _resolve(data_dir)
        figures = load_published_figures(folder).set_index("figure_id")
        return cls(figures, folder, confidence_level, ci_method, int(seed), int(replicates))

    # ------------------------------------------------------------------ inline values

    def _row(self, figure_id: str) -> pd.Series:
        if figure_id not in self.figures.index:
            raise KeyError(f"figure_id ({figure_id!r}) is not in published_figures.csv")
        return self.figures.loc[figure_id]

    def _get(self, figure_id: str, column: str) -> float:
        value = self._row(figure_id)[column]
        if pd.isna(value):
            raise ValueError(f"{figure_id} has no {column} in published_figures.csv")
        return float(value)

    @shown
    def n(self, figure_id: str) -> str:
        """The count of a figure, in digits: '16'."""
        return fmt_int(self._get(figure_id, "count"))

    @shown
    def base(self, figure_id: str) -> str:
        """The base of a figure: '29'."""
        return fmt_int(self._get(figure_id, "base"))

    @shown
    def w(self, figure_id: str, *, gender: str = "en") -> str:
        """The count (or whole value) in words up to twelve ('fyra'), digits above."""
        return number_in_words(self._number(figure_id), gender=gender)

    @shown
    def wb(self, figure_id: str, *, gender: str = "en") -> str:
        """The base in words up to twelve ('fyra' in 'två av de fyra'), digits above."""
        return number_in_words(self._get(figure_id, "base"), gender=gender)

    @shown
    def v(self, figure_id: str, *, decimals: int = 0, words: bool = False) -> str:
        """The value of a figure: '16 386'; with ``words=True`` small whole numbers in words."""
        value = self._get(figure_id, "value")
        if words and value.is_integer():
            return number_in_words(value)
        return fmt_num(value, decimals=decimals)

    @shown
    def ordinal(self, figure_id: str) -> str:
        """The value as a Swedish ordinal: 'tredje'."""
        value = self._get(figure_id, "value")
        if not value.is_integer() or not 1 <= value < len(_ORDINALS):
            raise ValueError(f"{figure_id} has value {value!r}; an ordinal needs a whole number from 1 to "
                             f"{len(_ORDINALS) - 1}")
        return _ORDINALS[int(value)]

    @shown
    def words(self, figure_id: str) -> str:
        """The publication's verbal quantity for a figure: 'drygt hälften'."""
        verbal = self._row(figure_id)["verbal"]
        if pd.isna(verbal):
            raise ValueError(f"{figure_id} has no verbal quantity in published_figures.csv")
        return str(verbal)

    @staticmethod
    @shown
    def cap(text: str) -> str:
        """Capitalise the first letter (for a value that starts a sentence)."""
        return text[:1].upper() + text[1:]

    def share(self, figure_id: str, *, decimals: int = 0) -> str:
        """count / base as a percentage: '55 %'."""
        return fmt_pct(self._get(figure_id, "count") / self._get(figure_id, "base"), decimals=decimals)

    def _number(self, figure_id: str) -> float:
        row = self._row(figure_id)
        return self._get(figure_id, "count" if pd.notna(row["count"]) else "value")

    def change(self, before: str, after: str):
        """:func:`~sbm_stats.estimation.compare.census_change` between two figures, years from their periods."""
        return self._change(before, after)

    def _change(self, before: str, after: str):
        start = int(str(self._row(before)["period"])[:4])
        end = int(str(self._row(after)["period"])[:4])
        return census_change(self._number(before), self._number(after), start=start, end=end)

    @shown
    def growth(self, before: str, after: str, *, decimals: int = 0) -> str:
        """Relative change between two figures as a percentage: '45 %'."""
        return fmt_pct(self._change(before, after).relative, decimals=decimals)

    @shown
    def per_year(self, before: str, after: str, *, decimals: int = 0) -> str:
        """Absolute change per year between the figures' years: '1 023'."""
        return fmt_num(self._change(before, after).per_year, decimals=decimals)

    @shown
    def names(self, group: str) -> str:
        """The municipalities of a publication group, as a Swedish list."""
        s = load_sample_2014(self.data_dir)
        return _join_sv(list(s.loc[s.publication_group == group, "municipality_name"]))

    @shown
    def declined_names(self) -> str:
        """The municipalities that were asked but not interviewed."""
        s = load_sample_2014(self.data_dir)
        return _join_sv(list(s.loc[~s.interviewed.astype(bool), "municipality_name"]))

    # ------------------------------------------------------------------ tables

    def show(self, table: pd.DataFrame):
        """The table as the report shows it: without the row numbers of the DataFrame's index.

        The Styler's id (which prefixes every element id of its HTML) comes from the
        table's content and how often that content was shown before, not from pandas'
        random default, so that a render under Quarto, which keeps the Styler's HTML,
        is the same every time.
        """
        import hashlib

        digest = hashlib.sha256(table.to_csv().encode("utf-8")).hexdigest()[:10]
        seen = self._cache.setdefault("shown_tables", {})
        seen[digest] = seen.get(digest, 0) + 1
        return table.style.hide(axis="index").set_uuid(f"{digest}-{seen[digest]}")

    def table_vulnerability(self) -> pd.DataFrame:
        """The publication's Tabell 1: one row per level, its factors joined."""
        t = load_vulnerability_factors(self.data_dir).sort_values(["level_position", "position"])
        rows = t.groupby("level_position", sort=True).agg(level=("level", "first"), factors=("factor_sv", list))
        return pd.DataFrame({
            "Nivå": [_LEVEL_SV[x] for x in rows.level],
            "Sårbarhetsfaktorer": [_sentence_list(f) for f in rows.factors],
        })

    def table_housing_solutions(self) -> pd.DataFrame:
        """The three lists of housing solutions, one column each."""
        h = load_housing_solutions(self.data_dir).sort_values(["category", "position"])
        cols = {}
        for cat in ("akutboende", "overgangsboende", "langsiktigt_boende"):
            cols[_CATEGORY_SV[cat]] = list(h.loc[h.category == cat, "name_sv"].str.replace('"', "”"))
        depth = max(len(v) for v in cols.values())
        return pd.DataFrame({k: v + [""] * (depth - len(v)) for k, v in cols.items()})

    def table_sample(self) -> pd.DataFrame:
        """The 30 municipalities asked: county, population 2013, group, interviewed."""
        s = load_sample_2014(self.data_dir)
        m = load_municipalities(self.data_dir).set_index("municipality_code")
        s = s.join(m[["county_name", "population_2013"]], on="municipality_code")
        s = s.sort_values(["publication_group", "municipality_name"], key=_sv_sort_key)
        return pd.DataFrame({
            "Kommun": s.municipality_name.to_numpy(),
            "Kommunkod": s.municipality_code.to_numpy(),
            "Län": s.county_name.to_numpy(),
            "Folkmängd 2013": [fmt_int(x) for x in s.population_2013],
            "Grupp": [_GROUP_SV[g] for g in s.publication_group],
            "Intervjuad": ["ja" if x else "nej (avböjde)" for x in s.interviewed],
        })

    def sources_markdown(self) -> str:
        """The data package's sources as a Markdown list, each with a link to its address."""
        items = []
        for row in load_sources(self.data_dir).itertuples():
            link = f" [{_host(row.url)}]({row.url})" if pd.notna(row.url) else ""
            items.append(f"- `{row.source_id}`: {row.citation}{link}")
        return "\n".join(items)

    def audit_result(self) -> AuditResult:
        if "audit" not in self._cache:
            self._cache["audit"] = audit(data_dir=self.data_dir)
        return self._cache["audit"]

    def table_audit(self) -> pd.DataFrame:
        """The full audit, one row per claim, in Swedish."""
        a = self.audit_result().to_frame()
        return pd.DataFrame({
            "Påstående": [f"{c} ({r})" if r else c for c, r in zip(a.claim, a.reading)],
            "Publicerat": a.published.to_numpy(),
            "Omräknat": a.recomputed.to_numpy(),
            "Utfall": [VERDICTS_SV[v] for v in a.verdict],
            "Regel och uträkning": [d if r in ("", "–") else f"{r}: {d}" for r, d in zip(a.rule, a.detail)],
        })

    @shown
    def audit_summary(self) -> str:
        """A paragraph on the audit's outcome, with its counts."""
        a = self.audit_result()
        c = a.counts()
        conflicts = [x for x in a.claims if x.kind == "same_figure" and x.verdict == "inconsistent"]
        return (
            f"Granskningen omfattar {fmt_int(len(a.claims))} påståenden. "
            f"{fmt_int(c['consistent'])} stämmer med data, {fmt_int(c['inconsistent'])} stämmer inte "
            f"och {fmt_int(c['not verifiable'])} kan inte prövas med de uppgifter projektet har. "
            f"{self.cap(number_in_words(len(conflicts)))} av avvikelserna gäller tal där två källor "
            "anger olika värden; båda värdena finns kvar i datapaketet med sina källor. "
            "Där texten kan läsas på flera sätt prövas varje läsart för sig. Att delarna av en bas "
            "inte summerar till basen (som när kommuner med och utan rutin inte tillsammans blir alla "
            "intervjuade) behöver inte vara ett fel i publikationen: det betyder att resten av "
            "kommunerna inte redovisas."
        )

    # ------------------------------------------------------------------ intervals

    @property
    def population_size(self) -> int:
        """N for the finite population correction: the municipalities of the frame in data/."""
        if "population_size" not in self._cache:
            self._cache["population_size"] = len(load_municipalities(self.data_dir))
        return self._cache["population_size"]

    @property
    def nobs(self) -> int:
        """The number of municipalities interviewed (the base of the main results)."""
        return int(self._get("method.interviewed", "count"))

    def interview_results(self) -> pd.DataFrame:
        """The 2014 interview counts with their bases, in the publication's order.

        Only statements with both a count and a stated base are included; a count whose
        base the text leaves open (such as Kronofogden's presence at moves) is not.
        """
        f = self.figures
        rows = f[(f.topic == "interview") & (f.period == "2014") & f["count"].notna() & f["base"].notna()]
        return rows[~rows.index.duplicated()].reset_index()

    def _fpc_sizes(self, bases) -> list[int | None]:
        """N for each base: the country's municipalities where the base is the interviewed
        sample; none where the base is a subgroup (such as the four with family moves),
        whose own population is unknown."""
        return [self.population_size if int(b) == self.nobs else None for b in bases]

    def intervals(self, *, method: str | None = None, population_size: int | None = None):
        """:func:`~sbm_stats.estimation.proportions.proportion_ci` over every interview result.

        With ``population_size``, only results whose base is the interviewed sample get the
        correction; results on a subgroup get NaN bounds (see :meth:`_fpc_sizes`).
        """
        from ..estimation.proportions import proportion_ci

        r = self.interview_results()
        counts, bases = r["count"].astype(int).to_numpy(), r["base"].astype(int).to_numpy()
        method = method or self.ci_method
        if population_size is None:
            return proportion_ci(counts, bases, confidence_level=self.confidence_level, method=method)
        full = bases == self.nobs
        ci = proportion_ci(counts[full], bases[full], confidence_level=self.confidence_level,
                           method=method, population_size=population_size)
        low, high = np.full(len(r), np.nan), np.full(len(r), np.nan)
        low[full], high[full] = ci.low, ci.high
        return _Bounds(estimate=counts / bases, low=low, high=high)

    def _level(self) -> str:
        return fmt_pct(self.confidence_level)

    def table_results(self) -> pd.DataFrame:
        """Counts, shares and intervals, with the finite population correction where it applies."""
        r = self.interview_results()
        plain = self.intervals()
        fpc = self.intervals(population_size=self.population_size)
        level = self._level()
        return pd.DataFrame({
            "Fråga": r.label_sv.to_numpy(),
            "Antal": [f"{fmt_int(c)} av {fmt_int(b)}" for c, b in zip(r["count"], r["base"])],
            "Andel": [fmt_pct(x) for x in plain.estimate],
            f"{level} KI": [fmt_interval(lo, hi) for lo, hi in zip(plain.low, plain.high)],
            f"{level} KI, N = {fmt_int(self.population_size)}": [
                "– (delgrupp)" if np.isnan(lo) else fmt_interval(lo, hi) for lo, hi in zip(fpc.low, fpc.high)],
        })

    def table_all_methods(self) -> pd.DataFrame:
        """Every interview result with the interval of every method, side by side."""
        from ..estimation.proportions import PROPORTION_METHODS

        r = self.interview_results()
        out = pd.DataFrame({"Fråga": r.label_sv.to_numpy(),
                            "Antal": [f"{fmt_int(c)} av {fmt_int(b)}" for c, b in zip(r["count"], r["base"])]})
        for method in PROPORTION_METHODS:
            ci = self.intervals(method=method)
            out[METHOD_NAMES_SV[method]] = [fmt_interval(lo, hi, decimals=1) for lo, hi in zip(ci.low, ci.high)]
        return out

    def table_fpc_effect(self) -> pd.DataFrame:
        """Interval widths with and without the finite population correction, and their ratio."""
        r = self.interview_results()
        plain = self.intervals()
        fpc = self.intervals(population_size=self.population_size)
        width, width_fpc = plain.high - plain.low, fpc.high - fpc.low
        return pd.DataFrame({
            "Fråga": r.label_sv.to_numpy(),
            "Bredd utan korrektion": [fmt_num(w * 100, decimals=1) for w in width],
            "Bredd med korrektion": ["–" if np.isnan(w) else fmt_num(w * 100, decimals=1) for w in width_fpc],
            "Kvot": ["–" if np.isnan(q) else fmt_num(q, decimals=3) for q in width_fpc / width],
        })

    def plot_forest(self):
        """The interview proportions with their intervals."""
        r = self.interview_results()
        ci = self.intervals()
        labels = [f"{t} ({fmt_int(c)}/{fmt_int(b)})" for t, c, b in zip(r.label_sv, r["count"], r["base"])]
        return plots.forest(labels, ci.estimate, ci.low, ci.high)

    @shown
    def interval_summary(self) -> str:
        """How to read the intervals, with the forced-moves example computed."""
        from ..estimation.proportions import proportion_ci

        c, n = int(self._get("res.forced_moves", "count")), int(self._get("res.forced_moves", "base"))
        plain = proportion_ci(c, n, confidence_level=self.confidence_level, method=self.ci_method)
        fpc = proportion_ci(c, n, confidence_level=self.confidence_level, method=self.ci_method,
                            population_size=self.population_size)
        return (
            "Publikationen redovisar antal av de intervjuade kommunerna utan osäkerhetsmått. "
            "Kommunerna valdes inte genom ett obundet slumpmässigt urval utan efter storlek, "
            "extremvärden och slumpmässiga dragningar ur delgrupper, och kommunvisa svar finns inte "
            "publicerade. Därför går det inte att göra en designbaserad skattning för landets "
            f"{fmt_int(self.population_size)} kommuner. Intervallen i rapporten beskriver i stället "
            "den slumpliknande osäkerhet som skulle gälla om de intervjuade kommunerna vore ett "
            "obundet slumpmässigt urval – ett uttryckligt antagande, inte en egenskap hos urvalet. "
            f"Metoden är {METHOD_NAMES_SV[self.ci_method]} med konfidensgraden {self._level()}. "
            f"Till exempel hade {fmt_int(c)} av {fmt_int(n)} kommuner påtvingade flyttningar "
            f"({fmt_pct(c / n)}); intervallet blir {fmt_interval(plain.low, plain.high)}, och med "
            f"ändlighetskorrektion för {fmt_int(n)} av {fmt_int(self.population_size)} kommuner "
            f"{fmt_interval(fpc.low, fpc.high)}. Korrektionen gör intervallen något smalare men ändrar "
            "inte slutsatsen att en andel beräknad på så få kommuner är mycket osäker."
        )

    def table_interval_methods(self, figure_id: str) -> pd.DataFrame:
        """Every interval method for one result, with and without the correction."""
        from ..estimation.proportions import PROPORTION_METHODS as METHODS, proportion_ci

        c, n = int(self._get(figure_id, "count")), int(self._get(figure_id, "base"))
        rows = []
        for method in METHODS:
            plain = proportion_ci(c, n, confidence_level=self.confidence_level, method=method)
            fpc = proportion_ci(c, n, confidence_level=self.confidence_level, method=method,
                                population_size=self.population_size)
            rows.append({
                "Metod": METHOD_NAMES_SV[method],
                "Nedre": fmt_pct(plain.low, decimals=1), "Övre": fmt_pct(plain.high, decimals=1),
                f"Nedre, N = {fmt_int(self.population_size)}": fmt_pct(fpc.low, decimals=1),
                f"Övre, N = {fmt_int(self.population_size)}": fmt_pct(fpc.high, decimals=1),
            })
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ waves

    def wave_records(self) -> pd.DataFrame:
        """The long table of measures by wave that :func:`~sbm_stats.estimation.compare.wave_table` takes."""
        from ..data._loaders import load_wave_measures

        w = load_wave_measures(self.data_dir)
        f = self.figures
        ids = w.figure_id
        get = lambda col: [f.loc[i, col] if pd.notna(i) else pd.NA for i in ids]  # noqa: E731
        records = pd.DataFrame({
            "measure": w.measure_id, "wave": w.wave.astype(int),
            "count": pd.array(get("count"), dtype="Int64"), "base": pd.array(get("base"), dtype="Int64"),
            "value": pd.array(get("value"), dtype="Float64"),
            "missing_reason": w.missing_reason,
        })
        # a figure published only in words has no number to compare: say so
        verbal_only = records["count"].isna() & records["value"].isna() & records["missing_reason"].isna()
        records.loc[verbal_only, "missing_reason"] = [
            f"Anges bara i ord: '{f.loc[i, 'verbal']}'." for i in ids[verbal_only]]
        return records

    def table_waves(self) -> pd.DataFrame:
        """The comparison table: one row per measure and wave, a reason for every gap."""
        from ..estimation.compare import wave_table
        from ..data._loaders import load_wave_measures

        table = wave_table(self.wave_records())
        w = load_wave_measures(self.data_dir).assign(wave=lambda d: d.wave.astype(int))
        table = table.merge(w[["measure_id", "wave", "label_sv", "figure_id", "comparability_note"]],
                            left_on=["measure", "wave"], right_on=["measure_id", "wave"], how="left")
        f = self.figures

        def shown(row) -> str:
            if pd.isna(row.figure_id):
                return "–"
            fig = f.loc[row.figure_id]
            if pd.notna(fig["count"]) and pd.notna(fig["base"]):
                return f"{fmt_int(fig['count'])} av {fmt_int(fig['base'])}"
            if pd.notna(fig["count"]):
                return fmt_int(fig["count"])
            if pd.notna(fig["value"]):
                return fmt_num(fig["value"])
            return str(fig["verbal"])

        return pd.DataFrame({
            "Mått": table.label_sv.to_numpy(),
            "Våg": table.wave.astype(str).to_numpy(),
            "Uppgift": [shown(r) for r in table.itertuples()],
            "Period": [f.loc[i, "period"] if pd.notna(i) else "–" for i in table.figure_id],
            "Anmärkning": [r.missing_reason if pd.notna(r.missing_reason) else (r.comparability_note or "")
                           for r in table.itertuples()],
        })

    @shown
    def wave_summary(self) -> str:
        """What can and cannot be compared between the waves."""
        before = self._number("bme.municipalities_2008")
        after = self._number("bme.municipalities_2013")
        return (
            "Boverkets siffror bygger på bostadsmarknadsenkäten, som går till alla kommuner; de är "
            "totalräkningar och har därför ingen urvalsosäkerhet, bara mät- och svarsfel. Antalet "
            f"kommuner med sekundär bostadsmarknad ökade från {fmt_int(before)} till {fmt_int(after)} "
            f"({self.growth('bme.municipalities_2008', 'bme.municipalities_2013', decimals=1)}), och "
            f"antalet lägenheter med {self.growth('bme.flats_2008', 'bme.flats_2013', decimals=1)}, "
            f"i genomsnitt {self.per_year('bme.flats_2008', 'bme.flats_2013')} per år mellan "
            f"{self._row('bme.flats_2008')['period']} och {self._row('bme.flats_2013')['period']}. "
            "Intervjustudiernas resultat från 2008 och 2011 finns inte i de källor projektet har, "
            "så intervjuresultaten 2014 kan inte jämföras med tidigare intervjuer; tabellen anger skälet "
            "för varje saknat värde i stället för att utelämna raden."
        )

    # ------------------------------------------------------------------ sample design

    def design(self):
        """The 2014 sample design (``data/design/2014.yaml`` of the data folder)."""
        from ..sampling import load_design

        if "design" not in self._cache:
            self._cache["design"] = load_design(self.data_dir / "design" / "2014.yaml")
        return self._cache["design"]

    def demo_frame(self) -> pd.DataFrame:
        """The SYNTHETIC demonstration frame (labelled so in its attrs)."""
        from ..sampling import demo_frame

        if "frame" not in self._cache:
            self._cache["frame"] = demo_frame(self.data_dir)
        return self._cache["frame"]

    def table_design(self) -> pd.DataFrame:
        """The design stage by stage: kind, size, eligibility and the assumption it rests on."""
        kinds = {"certainty": "fast urval", "extremes": "högst värde", "random": "obundet slumpmässigt"}
        sizes = self.design().to_frame().set_index("stage")["size"]
        rows = []
        for stage in self.design().stages:
            if stage.kind == "extremes":
                rule = {"next": "nästa i rangordningen om kommunen redan är vald",
                        "skip": "hoppas över om kommunen redan är vald"}[stage.already_selected]
                rule += f"; per {fmt_int(stage.per)} invånare" if stage.per else ""
            elif stage.kind == "random":
                rule = str(stage.eligible.text) + ("; redan valda utesluts" if stage.exclude_selected else "")
            else:
                rule = "–"
            rows.append({"Steg": stage.label, "Typ": kinds[stage.kind],
                         "Antal": fmt_int(sizes[stage.id]), "Villkor och regel": rule})
        return pd.DataFrame(rows)

    @shown
    def design_summary(self) -> str:
        """The design and its open assumptions in a paragraph, sizes taken from the design."""
        d = self.design()
        stages = d.to_frame()
        sizes = list(stages["size"])
        random_sizes = list(stages.loc[stages.kind == "random", "size"])
        return (
            "Publikationen beskriver urvalet i ord. Här är det skrivet som en deklarativ design "
            f"(data/design/2014.yaml) med {number_in_words(len(d.stages), gender='ett')} steg, som ger "
            f"{' + '.join(fmt_int(x) for x in sizes)} = {fmt_int(sum(sizes))} kommuner. Publikationen "
            "anger de fasta kommunerna, kompletteringen och summan, men inte hur resten fördelas "
            "mellan Kronofogdesteget och dragningarna ur de två BME-listorna; storleken på de "
            f"dragningarna ({', '.join(fmt_int(x) for x in random_sizes[:2])}) är därför ett antagande, "
            "liksom att kommunerna som inte besvarat barnfrågan drogs slumpmässigt och att "
            "Kronofogdens statistik avser 2013. "
            "Andra antaganden gäller vad som händer när kommunen med högst värde redan är vald (här: "
            "nästa kommun i rangordningen), hur lika värden rangordnas (lägst kommunkod först), vilken "
            "folkmängd \"per invånare\" avser (31 december 2013), om de två BME-listorna får överlappa "
            "(ja, men en redan vald kommun kan inte väljas igen) och om dragningarna är oberoende (ja, "
            "ett eget permanent slumptal per steg). Varje antagande är en parameter i designfilen och "
            "kan ändras utan att koden ändras. Slumptalen härleds ur fröet och kommunkoden med en "
            "kryptografisk hashfunktion, så att samma frö ger samma urval på alla datorer."
        )

    def demo_sample(self):
        """The design drawn from the SYNTHETIC frame with the report's seed."""
        from ..sampling import select_sample

        if "sample" not in self._cache:
            self._cache["sample"] = select_sample(self.demo_frame(), self.design(), seed=self.seed,
                                                  replicates=self.replicates)
        return self._cache["sample"]

    def table_demo_sample(self) -> pd.DataFrame:
        """SYNTHETIC: the drawn sample with stage, reason, random number and probabilities.

        The table's caption in the report says SYNTETISKA DATA; ``attrs['synthetic']`` says so
        to code that reads the frame.
        """
        s = self.demo_sample().to_frame()
        stage_labels = {st.id: st.label.split(":")[0].replace("Steg ", "") for st in self.design().stages}
        out = pd.DataFrame({
            "Steg": [stage_labels[x] for x in s.stage],
            "Kommun": s.municipality_name.to_numpy(),
            "Skäl": [r.split(": ")[0] if k == "random" else r for r, k in zip(s.reason, s.stage_kind)],
            "Slumptal": [fmt_num(x, decimals=4) if pd.notna(x) else "–" for x in s.random_number],
            "Sannolikhet": [fmt_num(x, decimals=3) for x in s.inclusion_probability],
            "Vikt": [fmt_num(x, decimals=1) for x in s.design_weight],
        })
        out.attrs["synthetic"] = True
        return out

    def inclusion(self):
        """Inclusion probabilities on the SYNTHETIC frame: exact and by Monte Carlo."""
        from ..sampling import inclusion_probabilities

        if "inclusion" not in self._cache:
            self._cache["inclusion"] = inclusion_probabilities(
                self.demo_frame(), self.design(), replicates=self.replicates, seed=self.seed)
        return self._cache["inclusion"]

    def plot_inclusion(self):
        """SYNTHETIC: inclusion probability against population, the published 30 marked."""
        p = self.inclusion().to_frame()
        frame = self.demo_frame().set_index("municipality_code")
        population = frame.loc[p.municipality_code, "population_2013"].astype(float).to_numpy()
        asked = p.municipality_code.isin(set(load_sample_2014(self.data_dir).municipality_code)).to_numpy()
        return plots.inclusion_by_population(population, p.monte_carlo.to_numpy(), synthetic=True, highlight=asked)

    @shown
    def published_sample_summary(self) -> str:
        """What the published 30 look like against the design on the SYNTHETIC frame."""
        from ..sampling import published_sample_check

        check = published_sample_check(self.demo_frame(), self.design())
        inc = self.inclusion()
        n_exact = int(pd.notna(pd.Series(inc.exact)).sum())
        return (
            f"Inklusionssannolikheterna är exakta för {fmt_int(n_exact)} av {fmt_int(len(inc.codes))} "
            f"kommuner och skattas dessutom med Monte Carlo över {fmt_int(inc.replicates)} upprepningar "
            f"(största avvikelse mellan de två: {fmt_num(inc.max_abs_z(), decimals=1)} standardfel). "
            f"Av de {fmt_int(len(check.units))} kommuner som publikationen nämner kunde "
            f"{fmt_int(len(check.units) - len(check.flagged))} ha valts av något steg på den syntetiska "
            "ramen. Det säger mindre än det låter: varje svar på BME-frågan om barn (ja, nej, inget svar) "
            "har en egen slumpmässig dragning i designen, så varje kommun kan väljas på vilken ram som "
            "helst. Kontrollen blir informativ genom sannolikheten för varje steg, och den är här bara en "
            "illustration: på verkliga data från Kronofogden och BME skulle den visa vilka steg som "
            "faktiskt kunde ha valt varje kommun och hur troligt det var."
        )

    # ------------------------------------------------------------------ figures

    def plot_ladder(self):
        """Figur 1: the housing ladder."""
        return plots.housing_ladder()

    def plot_bme(self):
        """Boverket's national figures 2008 and 2013, both sources for 2008."""
        f = self.figures
        muni = f[(f.unit == "municipalities") & f.index.isin(["bme.municipalities_2008", "bme.municipalities_2013"])]
        flats = f[(f.unit == "flats") & f.period.isin(["2008", "2013"])
                  & f.source_id.isin(["socstyr_2015", "boverket_2014_36_summary"])]
        sources = load_sources(self.data_dir).set_index("source_id")
        return plots.bme_national(muni, flats, sources)

    def plot_sos(self):
        """Socialstyrelsen's counts of persons in situation 3, 2005 and 2011."""
        f = self.figures.loc[["sos.situation3_2005", "sos.situation3_2011"]]
        return plots.situation3(f)


def _join_sv(items: list[str]) -> str:
    """'a, b och c'."""
    items = [str(x) for x in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " och " + items[-1]


def _sentence_list(items: list[str]) -> str:
    return ", ".join(items)


_SV_ORDER = str.maketrans("åäöéü", "{|}eu")  # å, ä, ö after z, as in Swedish


def _sv_sort_key(series: pd.Series) -> pd.Series:
    """Sort Swedish names with å, ä, ö after z (locale-independent)."""
    return series.astype(str).str.lower().str.translate(_SV_ORDER)


def _host(url: str) -> str:
    """'www.boverket.se/sv/...' -> 'boverket.se'."""
    host = url.split("://", 1)[-1].split("/", 1)[0]
    return host.removeprefix("www.")
