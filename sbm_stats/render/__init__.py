"""Render a Quarto document (``.qmd``) to HTML, PDF and Word.

Two engines do the work:

- **quarto**: ``quarto render``, when a ``quarto`` executable is on PATH;
- **builtin**: for machines where Quarto cannot be installed. The document is
  read (front matter, ``{python}`` chunks with ``#|`` options, inline values,
  cross-references, callouts), turned into a notebook, executed with nbclient
  in a kernel of the current environment, assembled into pandoc markdown, and
  written by pandoc (from the ``pypandoc-binary`` wheel) as self-contained HTML
  and DOCX, and through pandoc's Typst writer and the ``typst`` package as PDF.

The public names are :func:`render`, :class:`RenderResult` and
:class:`RenderError`; the command line is ``sbm-stats render``.
:func:`number_coverage` finds the numbers a rendered HTML shows without their
provenance (see :mod:`sbm_stats.report.values`).
"""

from ._coverage import NumberCoverage, UntracedNumber, number_coverage
from ._errors import RenderError
from ._render import RenderResult, render

__all__ = ["render", "RenderResult", "RenderError", "number_coverage", "NumberCoverage", "UntracedNumber"]
