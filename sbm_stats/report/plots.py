"""The report's figures, drawn by code with fixed sizes, fonts and colours.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot, so
that nothing is drawn twice in a notebook and no global state is touched. Axis labels
use Swedish number format (decimal comma, space between thousands). A figure drawn
from synthetic data says so in its title.
"""

from __future__ import annotations

import functools
import io

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .formatting import fmt_num, fmt_pct

__all__ = ["STYLE", "ReportFigure", "housing_ladder", "bme_national", "situation3", "forest", "inclusion_by_population",
           "inclusion_by_county", "coverage_curves", "sensitivity"]

#: rcParams applied to every figure: fonts shipped with matplotlib, no hash salt, no dates.
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "sbm-stats",
    "figure.dpi": 150,
    # labels come from data (questions, counties, names): "$x^2$" in one is text, not mathtext
    "text.parse_math": False,
}
BLUE, GREY, RED, GREEN = "#1f4e79", "#8c8c8c", "#a4282a", "#3b7d3a"
_SV_INT = FuncFormatter(lambda x, _: fmt_num(x, decimals=0))  # a minus sign, not a hyphen (fmt_num)
_SV_PCT = FuncFormatter(lambda x, _: fmt_pct(x))


class ReportFigure:
    """A matplotlib figure that shows itself in Jupyter as a PNG, without pyplot.

    PNG only: Quarto prefers ``image/svg+xml`` over ``image/png`` whenever a value
    offers both, so a figure with an SVG representation would be an SVG under Quarto
    and a PNG under the builtin engine (and every render would draw it twice). The
    bytes are reproducible: no software or date metadata, the style of
    :data:`STYLE`. ``.figure`` is the underlying :class:`~matplotlib.figure.Figure`
    (``savefig`` writes SVG, PDF and the rest).
    """

    #: Print resolution of the PNG output.
    DPI = 200

    def __init__(self, figure: Figure):
        self.figure = figure

    def _repr_png_(self) -> bytes:
        return self._bytes("png", metadata={"Software": None}, dpi=self.DPI)

    def _bytes(self, fmt: str, **kwargs) -> bytes:
        buf = io.BytesIO()
        with matplotlib.rc_context(STYLE):
            self.figure.savefig(buf, format=fmt, **kwargs)
        return buf.getvalue()

    def savefig(self, path, **kwargs) -> None:
        """Save like :meth:`matplotlib.figure.Figure.savefig`, in the figure's style."""
        with matplotlib.rc_context(STYLE):
            self.figure.savefig(path, **kwargs)


def _styled(func):
    """Build the figure inside ``rc_context(STYLE)``: text and axes take their style when
    created, so the caller's rcParams are neither used nor changed."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> ReportFigure:
        with matplotlib.rc_context(STYLE):
            return ReportFigure(func(*args, **kwargs))

    return wrapper


def _figure(width: float = 6.5, height: float = 3.2) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


@_styled
def housing_ladder() -> Figure:
    """Figur 1: a housing ladder from emergency housing up to an own contract."""
    steps = ["Akutboende,\nhärbärge", "Inackorderingshem,\nkategoriboende", "Träningslägenhet",
             "Socialt kontrakt", "Eget kontrakt"]
    fig = _figure(6.5, 3.0)
    ax = fig.add_subplot()
    for i, label in enumerate(steps):
        top = i == len(steps) - 1
        ax.bar(i, i + 1, width=0.98, color=GREEN if top else BLUE, alpha=0.35 + 0.13 * i, edgecolor="white")
        ax.text(i, i + 1.08, label, ha="center", va="bottom", fontsize=8)
    ax.annotate("Steg mot ett eget kontrakt", xy=(len(steps) - 0.5, -0.35), xytext=(-0.5, -0.35),
                va="center", fontsize=8, color=GREY,
                arrowprops={"arrowstyle": "->", "color": GREY, "lw": 1})
    ax.set_xlim(-0.6, len(steps) - 0.4)
    ax.set_ylim(-0.7, len(steps) + 1.0)
    ax.axis("off")
    return fig


@_styled
def bme_national(municipalities, flats) -> Figure:
    """Boverket's figures for 2008 and 2013: municipalities and flats, each source a bar.

    ``flats`` has a ``series`` column: ``"published"`` (the publication's figures) or
    ``"summary"`` (Boverket's own summary); within a period the published bar comes first.
    """
    fig = _figure(6.5, 3.0)
    left, right = fig.subplots(1, 2)
    periods = list(municipalities.period)
    bars = left.bar(periods, municipalities["count"].astype(float), color=BLUE, width=0.6)
    left.bar_label(bars, labels=[fmt_num(v) for v in municipalities["count"].astype(float)], fontsize=8)
    left.set_title("Kommuner med sekundär bostadsmarknad", fontsize=9)
    left.yaxis.set_major_formatter(_SV_INT)
    colours = {"published": BLUE, "summary": GREY}
    labels = {"published": "Publikationen (Boverket 2014:36)", "summary": "Sammanfattningen av Boverkets rapport"}
    flats = flats.sort_values(["period", "series"], ascending=[True, True])
    xs, width = [], 0.38
    for i, (period, group) in enumerate(flats.groupby("period", sort=True)):
        for j, (_, row) in enumerate(group.iterrows()):
            x = i + (j - (len(group) - 1) / 2) * width
            b = right.bar(x, float(row["value"]), width=width * 0.95, color=colours[row.series],
                          label=labels[row.series])
            right.bar_label(b, labels=[fmt_num(float(row["value"]))], fontsize=7)
        xs.append((i, period))
    right.set_xticks([i for i, _ in xs], [p for _, p in xs])
    right.set_title("Andrahandslägenheter", fontsize=9)
    right.yaxis.set_major_formatter(_SV_INT)
    handles, names = right.get_legend_handles_labels()
    unique = dict(zip(names, handles))
    right.legend(unique.values(), unique.keys(), fontsize=7, loc="upper left", frameon=False)
    right.set_ylim(0, float(flats["value"].max()) * 1.3)
    left.set_ylim(0, float(municipalities["count"].max()) * 1.2)
    return fig


@_styled
def situation3(figures) -> Figure:
    """Socialstyrelsen's counts of persons in situation 3."""
    fig = _figure(4.5, 2.8)
    ax = fig.add_subplot()
    values = figures["value"].astype(float)
    bars = ax.bar(list(figures.period), values, color=BLUE, width=0.5)
    ax.bar_label(bars, labels=[fmt_num(v) for v in values], fontsize=8)
    ax.set_ylabel("Personer")
    ax.yaxis.set_major_formatter(_SV_INT)
    ax.set_ylim(0, float(values.max()) * 1.2)
    return fig


@_styled
def forest(labels, estimate, low, high, *, small_base=None, small_base_label: str = "Liten bas (färre än 10 kommuner)",
           xlabel: str = "", title: str = "") -> Figure:
    """Proportions with their intervals, one row per question, top to bottom.

    Parameters
    ----------
    labels : sequence of str
        One label per row.
    estimate, low, high : array-like
        The proportions and the bounds of their intervals.
    small_base : array-like of bool, optional
        True for rows with a small base: drawn with an open grey marker and a grey
        line, with the legend ``small_base_label``.
    xlabel, title : str
        The x axis's label (say the level and the method) and an optional title.
    """
    import numpy as np

    n = len(labels)
    small = np.zeros(n, dtype=bool) if small_base is None else np.asarray(small_base, dtype=bool)
    if small.shape != (n,):
        raise ValueError(f"small_base has {small.size} values; labels has {n}")
    estimate, low, high = (np.asarray(x, dtype=float) for x in (estimate, low, high))
    fig = _figure(6.5, 1.1 + 0.26 * n)
    ax = fig.add_subplot()
    ys = np.arange(n)[::-1]
    big = ~small
    ax.hlines(ys[big], low[big], high[big], color=BLUE, lw=1.6)
    ax.plot(estimate[big], ys[big], "o", color=BLUE, ms=4)
    if small.any():
        ax.hlines(ys[small], low[small], high[small], color=GREY, lw=1.2)
        ax.plot(estimate[small], ys[small], "o", mfc="white", mec=GREY, ms=4.5, mew=1.0,
                label=small_base_label)
        ax.legend(fontsize=7, frameon=False, loc="lower right")
    ax.set_yticks(ys, labels, fontsize=7.5)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(_SV_PCT)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=8)
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


@_styled
def inclusion_by_population(population, probability, *, synthetic: bool, highlight=None,
                            highlight_label: str = "Tillfrågade 2014") -> Figure:
    """Inclusion probability against population (log scale).

    With ``synthetic`` the axes say SYNTETISKA DATA inside the plot, so that the label
    stays with the figure wherever it is copied; ``highlight`` (bool array) marks points
    with open red circles labelled ``highlight_label``.
    """
    fig = _figure(6.5, 3.4)
    ax = fig.add_subplot()
    ax.scatter(population, probability, s=9, color=BLUE, alpha=0.7, linewidths=0)
    if highlight is not None:
        ax.scatter(population[highlight], probability[highlight], s=16, facecolors="none",
                   edgecolors=RED, linewidths=0.8, label=highlight_label)
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(0.0, 0.9))
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(_SV_INT)
    ax.set_xlabel("Folkmängd 31 december 2013 (logaritmisk skala)")
    ax.set_ylabel("Inklusionssannolikhet")
    ax.set_ylim(-0.03, 1.05)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: fmt_num(x, decimals=1)))
    if synthetic:
        ax.text(0.5, 0.55, "SYNTETISKA DATA", transform=ax.transAxes, ha="center", va="center",
                fontsize=22, color=RED, alpha=0.25, fontweight="bold")
        ax.set_title("SYNTETISKA DATA – inte verkliga uppgifter", fontsize=9, color=RED)
    return fig


@_styled
def inclusion_by_county(county, probability, *, synthetic: bool) -> Figure:
    """Inclusion probabilities by county: one dot per municipality, the county mean as a bar."""
    import pandas as pd

    frame = pd.DataFrame({"county": list(county), "p": list(probability)})
    order = list(frame.groupby("county", sort=False).p.mean().sort_values().index)
    fig = _figure(6.5, 0.8 + 0.22 * len(order))
    ax = fig.add_subplot()
    for i, name in enumerate(order):
        values = frame.loc[frame.county == name, "p"].to_numpy()
        ax.plot(values, [i] * len(values), "o", ms=3, color=BLUE, alpha=0.6)
        ax.plot([values.mean()] * 2, [i - 0.3, i + 0.3], color=RED, lw=1.2)
    ax.set_yticks(range(len(order)), order, fontsize=7)
    ax.set_xlabel("Inklusionssannolikhet (streck: länets medelvärde)")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: fmt_num(x, decimals=1)))
    ax.set_xlim(-0.03, 1.03)
    if synthetic:
        ax.set_title("SYNTETISKA DATA – inte verkliga uppgifter", fontsize=9, color=RED)
    return fig


@_styled
def coverage_curves(p, coverage, method, *, confidence_level: float, nobs: int) -> Figure:
    """Coverage against the true proportion, one panel per method, the nominal level marked."""
    import numpy as np

    methods = list(dict.fromkeys(method))
    fig = _figure(6.5, 1.2 + 1.3 * ((len(methods) + 2) // 3))
    axes = np.atleast_1d(fig.subplots((len(methods) + 2) // 3, 3, sharex=True, sharey=True)).ravel()
    p, coverage, method = np.asarray(p), np.asarray(coverage), np.asarray(method)
    for ax, m in zip(axes, methods):
        sel = method == m
        ax.plot(p[sel], coverage[sel], color=BLUE, lw=0.8)
        ax.axhline(confidence_level, color=RED, lw=0.8, ls="--")
        ax.set_title(m, fontsize=8)
        ax.set_ylim(0.8, 1.0)
        ax.xaxis.set_major_formatter(_SV_PCT)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: fmt_num(x, decimals=2)))
    for ax in axes[len(methods):]:
        ax.axis("off")
    fig.supxlabel(f"Sann andel (n = {nobs})", fontsize=8)
    fig.supylabel("Täckningsgrad", fontsize=8)
    return fig


@_styled
def sensitivity(base, other, *, base_label: str, other_label: str, synthetic: bool) -> Figure:
    """Inclusion probabilities under two designs against each other."""
    fig = _figure(4.2, 4.0)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color=GREY, lw=0.8, ls="--")
    ax.scatter(base, other, s=9, color=BLUE, alpha=0.7, linewidths=0)
    ax.set_xlabel(base_label)
    ax.set_ylabel(other_label)
    fmt = FuncFormatter(lambda x, _: fmt_num(x, decimals=1))
    ax.xaxis.set_major_formatter(fmt)
    ax.yaxis.set_major_formatter(fmt)
    if synthetic:
        ax.set_title("SYNTETISKA DATA – inte verkliga uppgifter", fontsize=9, color=RED)
    return fig
