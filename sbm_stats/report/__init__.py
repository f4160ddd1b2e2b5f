"""What the report shows: values, tables and figures in Swedish, computed from a data package.

:class:`Report` (``_report``) gathers one object per subject: ``figures``,
``publication``, ``interviews``, ``intervals``, ``design``, ``waves`` and ``audit``
(modules ``_figures``, ``_publication``, ``_interviews``, ``_intervals``,
``_design_annex``, ``_waves``, ``_audit``). ``formatting`` holds the Swedish number
formats, words and labels, ``plots`` the figures. The render engine that turns
``report.qmd`` into HTML, PDF and Word is :mod:`sbm_stats.render`.
"""

from __future__ import annotations

from .._lazy import exports

__all__, __getattr__, __dir__ = exports(__name__, globals(), {
    "._report": ["Report"],
    ".formatting": ["fmt_num", "fmt_int", "fmt_pct", "fmt_interval", "fmt_count_of", "Markdown", "NBSP",
                    "trusted_markdown", "number_in_words", "cap"],
})
