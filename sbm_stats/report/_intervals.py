"""Confidence intervals for the 2014 interview results, and how the report shows them.

The intervals assume that the interviewed municipalities were a simple random sample,
which they were not; the report says so wherever an interval is shown. The results
table and the forest plot carry no finite population correction: that correction is
valid only for a simple random sample of the country's municipalities and is shown,
with that warning, in the methods annex alone (:meth:`Intervals.table_methods`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._interviews import Interviews
from .formatting import METHOD_NAMES_SV, fmt_int, fmt_interval, fmt_num, fmt_pct, fmt_percent_points, shown
from .values import ShownValue, TracedText, ValueSource, traced_frame, traced_table

__all__ = ["Intervals", "SMALL_BASE"]

#: A result whose base is below this many municipalities is marked "liten bas".
SMALL_BASE = 10


@dataclass(frozen=True)
class Intervals:
    """Intervals at one confidence level with one method, over every interview result.

    Attributes
    ----------
    interviews : Interviews
        The results (counts and bases).
    confidence_level : float
        For example 0.95.
    method : str
        One of :data:`sbm_stats.estimation.proportions.PROPORTION_METHODS`.
    population_size : int
        N for the finite population correction of the annex: the municipalities of the
        data package.
    """

    interviews: Interviews
    confidence_level: float
    method: str
    population_size: int

    # ------------------------------------------------------------------ values

    def _ci(self, counts, bases, *, method: str | None = None, population_size: int | None = None):
        from ..estimation.proportions import proportion_ci

        return proportion_ci(counts, bases, confidence_level=self.confidence_level, method=method or self.method,
                             population_size=population_size)

    @functools.cached_property
    def _counts(self) -> tuple[np.ndarray, np.ndarray]:
        r = self.interviews.results
        return r["count"].astype(int).to_numpy(), r["base"].astype(int).to_numpy()

    @functools.cached_property
    def intervals(self):
        """The intervals of every result with the report's method, no correction."""
        return self._ci(*self._counts)

    @functools.cached_property
    def small_base(self) -> np.ndarray:
        """True for results whose base is below :data:`SMALL_BASE` municipalities."""
        return self._counts[1] < SMALL_BASE

    def _one(self, figure_id: str) -> tuple[int, int]:
        f = self.interviews.figures
        return int(f.raw(figure_id, "count")), int(f.raw(figure_id, "base"))

    # ------------------------------------------------------------------ shown in the prose

    @property
    def _registry(self):
        return self.interviews.figures.values

    @property
    def level(self) -> ShownValue:
        """The confidence level, traced to the report's parameter: '95 %'."""
        source = ValueSource("confidence_level", "Rapportens parameter confidence_level (konfidensgraden).")
        return ShownValue(self._registry.given("parameter:confidence_level", self.confidence_level, source=source,
                                               formatted=fmt_pct(self.confidence_level)))

    @property
    @shown
    def method_name(self) -> str:
        """The method in Swedish: 'Wilsons metod'."""
        return METHOD_NAMES_SV[self.method]

    @property
    def population(self) -> ShownValue:
        """N in digits, traced as the rows of the package's municipalities table: '290'."""
        return ShownValue(self._registry.derive("rows:municipalities", self.population_size,
                                                "antal rader i tabellen municipalities", inputs={},
                                                formatted=fmt_int(self.population_size)))

    @property
    def small_base_limit(self) -> ShownValue:
        """The limit of a small base in digits: '10', traced to :data:`SMALL_BASE`."""
        return ShownValue(self._registry.given(
            "annex:small_base", SMALL_BASE, fmt=fmt_int,
            source=ValueSource("sbm_stats.report._intervals.SMALL_BASE",
                               "Rapportens gräns för en liten bas (SMALL_BASE i rapportkoden): färre intervjuade "
                               "kommuner än så märks ”liten bas”.")))

    @property
    @shown
    def small_base_count(self) -> str:
        """How many results have a small base, in words up to twelve."""
        from .formatting import number_in_words

        return number_in_words(int(self.small_base.sum()))

    def _inputs(self, figure_id: str) -> dict:
        f = self.interviews.figures
        return {"count": f.count(figure_id).value, "base": f.base(figure_id).value}

    def share(self, figure_id: str) -> ShownValue:
        """count / base of a result, traced: '55 %'."""
        count, base = self._one(figure_id)
        registry = self.interviews.figures.values
        return ShownValue(registry.derive(f"share:{figure_id}", count / base, "{count} / {base}",
                                          inputs=self._inputs(figure_id), formatted=fmt_pct(count / base)))

    def _result_interval(self, figure_id: str, finite_population: bool):
        """One result's interval, how it was made in words ('Wilson, 95 %, ändlighetskorrektion
        N = 290') and the key its values' ids end in (method, level, and ':fpc' with the correction)."""
        count, base = self._one(figure_id)
        ci = self._ci(count, base, population_size=self.population_size if finite_population else None)
        how = f"{METHOD_NAMES_SV[self.method]}, {fmt_pct(self.confidence_level)}"
        if finite_population:
            how += f", ändlighetskorrektion N = {fmt_int(self.population_size)}"
        key = f"{self.method}:{self.confidence_level:g}" + (":fpc" if finite_population else "")
        return ci, how, key

    def interval(self, figure_id: str, *, finite_population: bool = False) -> ShownValue:
        """The interval of one result, traced: '36–73 %'; with ``finite_population`` Cochran's correction for N."""
        ci, how, key = self._result_interval(figure_id, finite_population)
        registry = self.interviews.figures.values
        value_id = f"ci:{figure_id}:{key}"
        return ShownValue(registry.derive(value_id, f"{ci.low!r}–{ci.high!r}", f"{{count}} av {{base}} ({how})",
                                          inputs=self._inputs(figure_id), formatted=fmt_interval(ci.low, ci.high)))

    # ------------------------------------------------------------------ tables and the figure

    def table_results(self) -> pd.DataFrame:
        """Counts, shares and intervals, small bases marked; no finite population correction; traced cells."""
        f = self.interviews.figures
        ids = self.interviews.results.figure_id
        return traced_frame({
            "Fråga": self.interviews.results.label_sv.to_numpy(),
            "Antal": [TracedText.join(f.count(i), " av ", f.base(i)) for i in ids],
            "Andel": [self.share(i) for i in ids],
            TracedText.join(self.level, " KI"): [self.interval(i) for i in ids],
            "Bas": ["liten bas" if small else "" for small in self.small_base],
        })

    def show_results(self):
        """:meth:`table_results` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table_results(), index=False)

    def table_all_methods(self) -> pd.DataFrame:
        """Every result with the interval of every method, side by side."""
        from ..estimation.proportions import PROPORTION_METHODS

        out = pd.DataFrame({"Fråga": self.interviews.results.label_sv.to_numpy(),
                            "Antal": self.interviews.counts_of()})
        for method in PROPORTION_METHODS:
            ci = self._ci(*self._counts, method=method)
            out[METHOD_NAMES_SV[method]] = [fmt_interval(lo, hi, decimals=1) for lo, hi in zip(ci.low, ci.high)]
        return out

    def table_methods(self, figure_id: str) -> pd.DataFrame:
        """Every method for one result, without and with the finite population correction; traced cells."""
        from ..estimation.proportions import PROPORTION_METHODS

        count, base = self._one(figure_id)
        rows = []
        for method in PROPORTION_METHODS:
            plain = self._ci(count, base, method=method)
            fpc = self._ci(count, base, method=method, population_size=self.population_size)
            rows.append({
                "Metod": METHOD_NAMES_SV[method],
                "Nedre": self._bound(figure_id, method, plain.low, "nedre"),
                "Övre": self._bound(figure_id, method, plain.high, "övre"),
                TracedText.join("Nedre, N = ", self.population): self._bound(figure_id, method, fpc.low, "nedre",
                                                                             fpc=True),
                TracedText.join("Övre, N = ", self.population): self._bound(figure_id, method, fpc.high, "övre",
                                                                            fpc=True),
            })
        return traced_frame({key: [r[key] for r in rows] for key in rows[0]})

    def _bound(self, figure_id: str, method: str, bound: float, which: str, *, fpc: bool = False) -> ShownValue:
        """One bound of one method's interval (percent, one decimal), traced to the count and base."""
        how = f"{METHOD_NAMES_SV[method]}, {which} gräns"
        inputs = {**self._inputs(figure_id), "level": self.level.value}
        if fpc:
            how += ", ändlighetskorrektion N = {population}"
            inputs["population"] = self.population.value
        value_id = f"ci:{figure_id}:{method}:{self.confidence_level:g}:{'low' if which == 'nedre' else 'high'}" \
            + (":fpc" if fpc else "")
        return ShownValue(self._registry.derive(value_id, float(bound), f"{{count}} av {{base}} ({how}, {{level}})",
                                                inputs=inputs, formatted=fmt_pct(bound, decimals=1)))

    def show_methods(self, figure_id: str):
        """:meth:`table_methods` as the report shows it: a markdown table of traced cells."""
        return traced_table(self.table_methods(figure_id), index=False)

    def table_fpc_effect(self) -> pd.DataFrame:
        """Interval widths without and with the correction, for results on the whole sample."""
        counts, bases = self._counts
        whole = bases == self.interviews.interviewed
        plain = self._ci(counts[whole], bases[whole])
        fpc = self._ci(counts[whole], bases[whole], population_size=self.population_size)
        width, width_fpc = plain.high - plain.low, fpc.high - fpc.low
        return pd.DataFrame({
            "Fråga": self.interviews.results.label_sv.to_numpy()[whole],
            "Bredd utan korrektion": [fmt_percent_points(w, decimals=1) for w in width],
            "Bredd med korrektion": [fmt_percent_points(w, decimals=1) for w in width_fpc],
            "Kvot": [fmt_num(q, decimals=3) for q in width_fpc / width],
        })

    # ------------------------------------------------------------------ what the finite population correction changes

    def _n_and_big_n(self, figure_id: str) -> tuple[int, int, dict]:
        n = self._one(figure_id)[1]
        return n, self.population_size, {"n": self.interviews.figures.base(figure_id).value,
                                         "N": self.population.value}

    def fpc_fraction(self, figure_id: str) -> ShownValue:
        """The sampling fraction n / N of a result's base: '10 %'."""
        n, big_n, inputs = self._n_and_big_n(figure_id)
        return ShownValue(self._registry.derive(f"fpc:{figure_id}:fraction", n / big_n, "{n} / {N}", inputs=inputs,
                                                formatted=fmt_pct(n / big_n)))

    def fpc_se_factor(self, figure_id: str) -> ShownValue:
        """What the factor (1 - n/N) alone does to the standard error, sqrt(1 - n/N): '0,949'."""
        n, big_n, inputs = self._n_and_big_n(figure_id)
        factor = float(np.sqrt(1 - n / big_n))
        return ShownValue(self._registry.derive(f"fpc:{figure_id}:se_factor", factor, "√(1 − {n} / {N})",
                                                inputs=inputs, formatted=fmt_num(factor, decimals=3)))

    def unbiased_se_factor(self, figure_id: str) -> ShownValue:
        """What dividing by n - 1 instead of n does to the standard error, sqrt(n / (n - 1)): '1,018'."""
        n, _, inputs = self._n_and_big_n(figure_id)
        factor = float(np.sqrt(n / (n - 1)))
        return ShownValue(self._registry.derive(f"fpc:{figure_id}:n_factor", factor, "√({n} / ({n} − 1))",
                                                inputs={"n": inputs["n"]}, formatted=fmt_num(factor, decimals=3)))

    def fpc_df(self, figure_id: str) -> ShownValue:
        """The degrees of freedom of the corrected interval, n - 1: '28'."""
        n, _, inputs = self._n_and_big_n(figure_id)
        return ShownValue(self._registry.derive(f"fpc:{figure_id}:df", n - 1, "{n} − 1", inputs={"n": inputs["n"]},
                                                fmt=fmt_int))

    def quantile(self, figure_id: str | None = None) -> ShownValue:
        """The quantile at the report's level: the normal one without ``figure_id`` ('1,960'), else
        Student's t with the base less one degrees of freedom ('2,048')."""
        from scipy import special

        tail = (1 - self.confidence_level) / 2
        inputs = {"level": self.level.value}
        if figure_id is None:
            raw, value_id = float(-special.ndtri(tail)), "quantile:normal"
            formula = "normalfördelningens kvantil ({level})"
        else:
            n = self._one(figure_id)[1]
            inputs["n"] = self.interviews.figures.base(figure_id).value
            raw, value_id = float(-special.stdtrit(n - 1, tail)), f"quantile:t:{figure_id}"
            formula = "t-fördelningens kvantil ({level}, {n} − 1 frihetsgrader)"
        return ShownValue(self._registry.derive(f"{value_id}:{self.confidence_level:g}", raw, formula, inputs=inputs,
                                                formatted=fmt_num(raw, decimals=3)))

    def width(self, figure_id: str, *, finite_population: bool = False) -> ShownValue:
        """The width of a result's interval in percentage points, one decimal: '34,0'."""
        ci, how, key = self._result_interval(figure_id, finite_population)
        width = ci.high - ci.low
        value_id = f"width:{figure_id}:{key}"
        formula = f"övre − nedre gräns för {{count}} av {{base}} ({how})"
        return ShownValue(self._registry.derive(value_id, width, formula, inputs=self._inputs(figure_id),
                                                formatted=fmt_percent_points(width, decimals=1)))

    def korn_graubard(self, figure_id: str) -> ShownValue:
        """Korn & Graubard's interval (R ``svyciprop(method = "beta")``) for a result as a simple random
        sample of N without replacement: '36–73 %'."""
        from ..estimation.weighted import weighted_proportion

        count, base = self._one(figure_id)
        ci = weighted_proportion([1] * count + [0] * (base - count), [self.population_size / base] * base,
                                 population_size=self.population_size, method="beta",
                                 confidence_level=self.confidence_level)
        value_id = f"ci:{figure_id}:korn-graubard:{self.confidence_level:g}:fpc"
        how = (f"Korn och Graubard, {fmt_pct(self.confidence_level)}, "
               f"ändlighetskorrektion N = {fmt_int(self.population_size)}")
        return ShownValue(self._registry.derive(value_id, f"{ci.low!r}–{ci.high!r}", f"{{count}} av {{base}} ({how})",
                                                inputs=self._inputs(figure_id),
                                                formatted=fmt_interval(ci.low, ci.high)))

    def plot_forest(self):
        """The results with their intervals; small bases drawn open and grey."""
        from . import plots

        r = self.interviews.results
        ci = self.intervals
        labels = [f"{t} ({fmt_int(c)}/{fmt_int(b)})" for t, c, b in zip(r.label_sv, r["count"], r["base"])]
        axis = f"Andel med {self.level} konfidensintervall\n({self.method_name}, utan ändlighetskorrektion)"
        return plots.forest(labels, ci.estimate, ci.low, ci.high, small_base=self.small_base,
                            small_base_label=f"Liten bas (färre än {SMALL_BASE} kommuner)", xlabel=axis)
