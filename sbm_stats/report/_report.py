"""What ``report.qmd`` shows, as small objects by subject, built from one data package.

:meth:`Report.load` reads a data package once and offers:

* ``figures`` (:class:`~sbm_stats.report._figures.Figures`): the publication's figures as
  inline values (``figures.count(id)``, ``figures.verbal(id)``, ``figures.growth(a, b)``)
  and the figures drawn from them;
* ``publication`` (:class:`~sbm_stats.report._publication.Publication`): its Tabell 1,
  Figur 1, housing solutions, and the package's sources;
* ``interviews`` (:class:`~sbm_stats.report._interviews.Interviews`): the municipalities
  asked in 2014, their groups, and the interview counts;
* ``intervals`` (:class:`~sbm_stats.report._intervals.Intervals`): intervals for the
  counts, small bases marked, the finite population correction in the annex only;
* ``design`` (:class:`~sbm_stats.report._design_annex.DesignAnnex`): the sample design
  file's fields in words, its tables, and the design drawn on the SYNTHETIC frame;
* ``waves`` (:class:`~sbm_stats.report._waves.Waves`): the comparison of the waves;
* ``audit`` (:class:`~sbm_stats.report._audit.AuditSummary`): the audit's counts and table.

The sentences are in ``report.qmd``; these objects supply values (as
:class:`~sbm_stats.report.formatting.Markdown`; every number in digits a traced
:class:`~sbm_stats.report.values.ShownValue` of the report's one
:class:`~sbm_stats.report.values.ValueRegistry`, ``values``), tables and figures.

Examples
--------
>>> R = Report.load()
>>> R.figures.count("res.forced_moves"), R.interviews.names("fixed_large")
('16', 'Stockholm, Göteborg, Malmö och Helsingborg')
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..data._package import DataPackage
from ._audit import AuditSummary
from ._design_annex import DesignAnnex
from ._figures import Figures
from ._intervals import Intervals
from ._interviews import Interviews
from ._publication import Publication
from ._waves import Waves
from .values import ValueRegistry

__all__ = ["Report"]


@dataclass(frozen=True)
class Report:
    """The report's subjects, built from one data package by :meth:`load`."""

    package: DataPackage
    figures: Figures
    publication: Publication
    interviews: Interviews
    intervals: Intervals
    design: DesignAnnex
    waves: Waves
    audit: AuditSummary
    values: ValueRegistry = field(default=None, repr=False, compare=False)
    _shown: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(
        cls,
        *,
        data_dir: DataPackage | str | Path | None = None,
        confidence_level: float = 0.95,
        ci_method: str = "wilson",
        seed: int = 2014,
    ) -> Report:
        """Read the data package ``data_dir`` (the bundled one if None or empty).

        Parameters
        ----------
        data_dir : DataPackage, str or Path, optional
            The data package (or its folder, with ``datapackage.json``); opened once here
            and passed to every subject.
        confidence_level : float, default 0.95
            The level of every interval.
        ci_method : str, default "wilson"
            The interval method (one of ``PROPORTION_METHODS``).
        seed : int, default 2014
            The seed of the permanent random numbers of the design annex's sample.

        Raises
        ------
        ValueError
            A confidence level outside (0, 1), an unknown method or a seed that is not a
            whole number of at least 0, naming the argument and the value.
        """
        from .._validate import check_choice, check_confidence_level
        from ..estimation.proportions import PROPORTION_METHODS

        confidence_level = check_confidence_level(confidence_level)
        ci_method = check_choice("ci_method", ci_method, PROPORTION_METHODS)
        if isinstance(seed, bool) or not isinstance(seed, (int, float)) or not float(seed).is_integer() or seed < 0:
            raise ValueError(f"seed ({seed!r}) must be a whole number of at least 0")
        package = DataPackage.open(data_dir or None)
        values = ValueRegistry(package)
        figures = Figures(package, values)
        interviews = Interviews(figures)
        return cls(
            package=package,
            figures=figures,
            publication=Publication(package),
            interviews=interviews,
            intervals=Intervals(interviews, confidence_level, ci_method, len(package.table("municipalities"))),
            design=DesignAnnex.load(package, int(seed), values),
            waves=Waves(figures),
            audit=AuditSummary(package, values),
            values=values,
        )

    @property
    def data_dir(self) -> Path:
        """The folder of the data package."""
        return self.package.path

    def show(self, table: pd.DataFrame):
        """The table as the report shows it: without the row numbers of the DataFrame's index.

        The Styler's id (which prefixes every element id of its HTML) comes from the
        table's content and how often that content was shown before, not from pandas'
        random default, so that a render under Quarto, which keeps the Styler's HTML,
        is the same every time. Cells and headers are HTML-escaped (a Styler writes them
        as markup by default): a name from the data package holding ``<b>`` or ``&amp;``
        shows as written, under Quarto and the builtin engine alike.
        """
        digest = hashlib.sha256(table.to_csv().encode("utf-8")).hexdigest()[:10]
        self._shown[digest] = self._shown.get(digest, 0) + 1
        styler = table.style.hide(axis="index").format(escape="html").format_index(escape="html", axis=1)
        return styler.set_uuid(f"{digest}-{self._shown[digest]}")
