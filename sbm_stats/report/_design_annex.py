"""The sample-design annex: the design file's own fields as words, tables and a figure, by subject.

:meth:`DesignAnnex.load` opens the data package's design and its SYNTHETIC demonstration
frame once (:class:`~sbm_stats.report._annex_inputs.DesignInputs`) and offers, as
``report.qmd`` uses them:

* ``text`` (:class:`~sbm_stats.report._annex_text.DesignText`): the design in words and
  its sizes in digits (``design.text.total``, ``design.text.ties``);
* ``tables`` (:class:`~sbm_stats.report._annex_tables.DesignTables`): the stages and the
  open assumptions as tables;
* ``drawn`` (:class:`~sbm_stats.report._annex_sample.SampleTable`): the sample drawn on
  the SYNTHETIC frame, each reason read from its fields;
* ``probabilities`` (:class:`~sbm_stats.report._annex_probabilities.ProbabilityFacts`):
  exact inclusion probabilities, the published sample against the frame, the figure;
* ``sensitivity`` (:class:`~sbm_stats.report._annex_sensitivity.SensitivityTables`): the
  variants of the open assumptions and the variant files;

each number a traced value of the report's registry
(:class:`~sbm_stats.report._annex_values.DesignValues`). The demonstration frame is
SYNTHETIC: every table and figure made from it says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..data._package import DataPackage
from ._annex_inputs import DesignInputs
from ._annex_probabilities import ProbabilityFacts
from ._annex_sample import SampleTable
from ._annex_sensitivity import SensitivityTables
from ._annex_tables import DesignTables
from ._annex_text import DesignText
from ._annex_values import DesignValues
from .values import ValueRegistry

__all__ = ["DesignAnnex"]


@dataclass(frozen=True)
class DesignAnnex:
    """The design of a data package, drawn on its SYNTHETIC frame with a seed, by subject."""

    inputs: DesignInputs
    traced: DesignValues
    text: DesignText
    tables: DesignTables
    drawn: SampleTable
    probabilities: ProbabilityFacts
    sensitivity: SensitivityTables

    @classmethod
    def load(cls, package: DataPackage, seed: int, values: ValueRegistry | None = None) -> DesignAnnex:
        """The annex of ``package`` with ``seed``; its numbers traced in ``values`` (a registry of its
        own when not given)."""
        inputs = DesignInputs(package, seed)
        traced = DesignValues(inputs, values if values is not None else ValueRegistry(package))
        text = DesignText(inputs, traced)
        return cls(
            inputs=inputs, traced=traced, text=text, tables=DesignTables(inputs, traced, text),
            drawn=SampleTable(inputs, traced), probabilities=ProbabilityFacts(inputs, traced),
            sensitivity=SensitivityTables(inputs, traced),
        )
