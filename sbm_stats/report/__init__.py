"""What the report shows: values, tables and figures in Swedish, computed from a data package.

``_report`` holds :class:`Report`, ``formatting`` the Swedish number formats, ``plots``
the figures. The render engine that turns ``report.qmd`` into HTML, PDF and Word is
:mod:`sbm_stats.render`.
"""

from __future__ import annotations

from .._lazy import exports

__all__, __getattr__, __dir__ = exports(__name__, globals(), {
    "._report": ["Report", "number_in_words"],
    ".formatting": ["fmt_num", "fmt_int", "fmt_pct", "fmt_interval", "fmt_count_of", "Markdown", "NBSP"],
})
