"""The error raised when a document cannot be rendered."""

from __future__ import annotations

from ..errors import SbmStatsError

__all__ = ["RenderError"]


class RenderError(SbmStatsError, ValueError):
    """A Quarto document that cannot be rendered.

    Raised for a malformed document (front matter, chunk options, an unresolved
    cross-reference), a chunk that fails when executed, an invalid argument to
    :func:`sbm_stats.render.render`, or a failure of pandoc, Typst or Quarto.

    When a chunk fails, the attributes say which one and why; they are ``None``
    otherwise.

    Attributes
    ----------
    path : str or None
        The ``.qmd`` file.
    label : str or None
        The failing chunk's ``label`` option (``None`` for an unlabelled chunk).
    line : int or None
        The line of the ``.qmd`` where the failing chunk (or the faulty construct)
        starts, counting from 1.
    source : str or None
        The failing chunk's code, as written in the ``.qmd``.
    traceback : str or None
        The Python traceback from the kernel, without terminal colour codes.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        label: str | None = None,
        line: int | None = None,
        source: str | None = None,
        traceback: str | None = None,
    ):
        super().__init__(message)
        self.path = path
        self.label = label
        self.line = line
        self.source = source
        self.traceback = traceback
