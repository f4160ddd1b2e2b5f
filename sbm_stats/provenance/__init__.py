"""The provenance protocol: what the render engine knows of a document's traced values.

The render engine (:mod:`sbm_stats.render`) writes a document's values file and hands
the values its document showed to the filter that links each number to its source. It
knows them only through this module, never through the report that makes them
(:mod:`sbm_stats.report.values` implements the protocol):

* :data:`VALUES_COLUMNS`: the columns of the values file ``<stem>.values.csv``;
* :func:`provide`: a registry of traced values registers itself here, in the process
  that runs the document (the kernel), with the function listing what it showed;
* :func:`shown_values`: what the kernel calls after the last chunk (through
  ``sys.modules["sbm_stats.provenance"]``, so that a document that imports no registry
  imports nothing): ``{"values": {id: {tag: record}}}``, or None when no registry
  was provided or it showed nothing. A record has the keys of :data:`VALUES_COLUMNS`
  and ``inputs``/``input-tags`` (see :func:`sbm_stats.report.values.shown_values`).

This module imports nothing of the package: ``render`` and ``report`` both depend on
it, and on nothing of each other (CONTRIBUTING.md, "How the packages depend on each other").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["VALUES_COLUMNS", "provide", "shown_values"]

#: The columns of the values file ``<stem>.values.csv``, in order.
VALUES_COLUMNS = ("id", "section", "formatted", "raw", "table", "row", "column", "source", "source_url",
                  "computation", "inputs", "claim", "verdict")

_provider: tuple[Callable[[], dict[str, Any]], Callable[[], bool]] | None = None


def provide(listing: Callable[[], dict[str, Any]], has_shown: Callable[[], bool]) -> None:
    """Register the registry of this process: ``listing()`` gives its shown values as
    :func:`shown_values` returns them, ``has_shown()`` whether it showed any. A later call
    replaces an earlier one (one registry per process)."""
    global _provider
    _provider = (listing, has_shown)


def shown_values() -> dict[str, Any] | None:
    """The values the registered registry showed, or None (no registry, or nothing shown).

    >>> provide(lambda: {"values": {}}, lambda: False); shown_values() is None
    True
    """
    if _provider is None:
        return None
    listing, has_shown = _provider
    return listing() if has_shown() else None
