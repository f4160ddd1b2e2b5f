"""Build the Jupyter notebook (nbformat v4) that runs a parsed document.

The notebook holds, in reading order:

- a hidden *setup* cell that configures figure output and defines the helper
  that publishes inline values;
- one markdown cell per stretch of prose;
- one code cell per ``{python}`` chunk (a raw cell for ``eval: false``), its
  source exactly as written (``#|`` lines included, so that line numbers in a
  traceback count from the chunk's fence);
- before each stretch of prose that holds `` `{python} expr` `` values, a hidden
  *inline* cell that evaluates them there, so that they see the state the
  chunks above them left, as in Quarto;
- after the chunk tagged ``parameters`` (Quarto's and papermill's convention),
  a cell tagged ``injected-parameters`` that assigns the parameters given to
  the render; with no such chunk, it goes first.

Every cell carries ``metadata["sbm"]`` saying what it is.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

import nbformat
from nbformat import NotebookNode

from ._errors import RenderError
from ._qmd import Chunk, MarkdownBlock, QmdDocument
from ._settings import DocumentSettings

__all__ = ["INLINE_MIME", "INLINE_BATCH_MIME", "build_notebook", "expand_inline_outputs", "parameter_defaults",
           "format_params_source"]

#: The MIME type under which an inline cell publishes each value.
INLINE_MIME = "application/vnd.sbm-stats.inline+json"

#: The MIME type of the one message in which an inline cell publishes its values (a list of
#: the values' bundles, each with its :data:`INLINE_MIME`); the render turns it back into one
#: output per value (:func:`expand_inline_outputs`), as if each had been published alone.
INLINE_BATCH_MIME = "application/vnd.sbm-stats.inline-batch+json"

_SETUP = '''\
def __sbm_setup__():
    ip = get_ipython()
    ip.run_line_magic("config", "InlineBackend.figure_formats = {formats!r}")
    ip.run_line_magic("config", "InlineBackend.print_figure_kwargs = dict(bbox_inches='tight', dpi={dpi})")
    ip.run_line_magic("config", "InlineBackend.close_figures = True")

    # A matplotlib Figure shown as a value (returned by a function, whatever the
    # backend: the inline one, or Agg chosen by the code) is drawn as an image.
    def png(fig):
        from IPython.core.pylabtools import print_figure
        return print_figure(fig, "png", bbox_inches="tight", dpi={dpi})

    def svg(fig):
        from IPython.core.pylabtools import print_figure
        return print_figure(fig, "svg", bbox_inches="tight", metadata={{"Date": None}})

    formatters = ip.display_formatter.formatters
    formatters["image/png"].for_type_by_name("matplotlib.figure", "Figure", png)
    if {svg!r}:
        formatters["image/svg+xml"].for_type_by_name("matplotlib.figure", "Figure", svg)

    # A DataFrame is shown in full: a table in a publication must not lose rows,
    # columns or the end of long texts to pandas' screen-size limits.
    def frame_html(frame):
        import pandas
        with pandas.option_context("display.max_rows", None, "display.max_columns", None,
                                   "display.max_colwidth", None):
            return frame._repr_html_()

    for module in ("pandas", "pandas.core.frame"):
        formatters["text/html"].for_type_by_name(module, "DataFrame", frame_html)

    # The inline values of a cell go out in one message when the cell has run (also when
    # one of them failed: the values before it), not one message each.
    def publish_inline():
        if __sbm_inline__.pending:
            from IPython.display import publish_display_data
            batch, __sbm_inline__.pending = __sbm_inline__.pending, []
            publish_display_data({{{batch_mime!r}: batch}})

    ip.events.register("post_execute", publish_inline)
__sbm_setup__()
del __sbm_setup__


def __sbm_inline__(i, value):
    """Format an inline value with every representation IPython gives it (published with the cell's others).

    The renderer picks one as Quarto does: text/markdown, else text/plain.
    """
    data, _ = get_ipython().display_formatter.format(value)
    __sbm_inline__.pending.append({{**data, {mime!r}: {{"id": i}}}})


__sbm_inline__.pending = []
'''


def expand_inline_outputs(cell: NotebookNode) -> None:
    """Replace the batch of inline values in ``cell``'s outputs by one display output per value, in place.

    The outputs are those the kernel would have sent publishing each value alone (the
    engine did so before batching): ``{"output_type": "display_data", "data": <bundle>,
    "metadata": {}}``, in the order the values were evaluated.
    """
    outputs = cell.get("outputs", [])
    if not any(o.get("output_type") == "display_data" and INLINE_BATCH_MIME in o.get("data", {}) for o in outputs):
        return
    expanded = []
    for output in outputs:
        batch = output.get("data", {}).get(INLINE_BATCH_MIME) if output.get("output_type") == "display_data" else None
        if batch is None:
            expanded.append(output)
            continue
        expanded += [nbformat.from_dict({"output_type": "display_data", "data": bundle, "metadata": {}})
                     for bundle in batch]
    cell.outputs = expanded


def _meta(kind: str, **more: Any) -> dict[str, Any]:
    return {"sbm": {"kind": kind, **more}}


def setup_source(settings: DocumentSettings) -> str:
    """The code of the hidden setup cell."""
    formats = ["png"] if settings.fig_format == "png" else ["png", "svg"]
    return _SETUP.format(formats=formats, dpi=settings.fig_dpi, mime=INLINE_MIME, batch_mime=INLINE_BATCH_MIME,
                         svg=settings.fig_format == "svg")


def parameter_defaults(doc: QmdDocument) -> dict[str, Any]:
    """The literal values the ``parameters`` chunk assigns (``name = <literal>``).

    Assignments whose value is not a Python literal are left out.
    """
    for chunk in doc.chunks:
        if "parameters" in chunk.options.tags:
            try:
                tree = ast.parse(chunk.source)
            except SyntaxError:
                return {}
            values = {}
            for node in tree.body:
                if (isinstance(node, (ast.Assign, ast.AnnAssign))
                        and node.value is not None):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    if len(targets) == 1 and isinstance(targets[0], ast.Name):
                        try:
                            values[targets[0].id] = ast.literal_eval(node.value)
                        except (ValueError, SyntaxError, TypeError):
                            pass
            return values
    return {}


def format_params_source(params: Mapping[str, Any]) -> str:
    """The code of the injected parameters cell (papermill's layout)."""
    lines = ["# Parameters (injected by sbm-stats render)"]
    lines += [f"{name} = {value!r}" for name, value in params.items()]
    return "\n".join(lines)


def _inline_source(block: MarkdownBlock) -> str:
    lines = []
    for expr in block.inlines:
        lines.append(f"__sbm_inline__({expr.id}, ({expr.code}\n))")
    return "\n".join(lines)


def build_notebook(doc: QmdDocument, settings: DocumentSettings, params: Mapping[str, Any]) -> NotebookNode:
    """The notebook that runs ``doc`` with ``params`` injected.

    Raises
    ------
    RenderError
        If an inline expression is not valid Python.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    cells = [nbformat.v4.new_code_cell(setup_source(settings), metadata=_meta("setup"))]
    has_params_chunk = any("parameters" in c.options.tags for c in doc.chunks)
    if params and not has_params_chunk:
        cells.append(nbformat.v4.new_code_cell(
            format_params_source(params),
            metadata={**_meta("injected"), "tags": ["injected-parameters"]},
        ))
    for block_index, block in enumerate(doc.blocks):
        if isinstance(block, MarkdownBlock):
            if block.inlines:
                for expr in block.inlines:
                    try:
                        ast.parse(f"({expr.code}\n)", mode="eval")
                    except SyntaxError as exc:
                        raise RenderError(
                            f"{doc.path.name}, line {expr.line}: the inline expression "
                            f"`{{python}} {expr.code}` is not valid Python ({exc.msg})",
                            path=str(doc.path), line=expr.line, source=expr.code,
                        ) from None
                cells.append(nbformat.v4.new_code_cell(
                    _inline_source(block),
                    metadata=_meta("inline", block=block_index, ids=[e.id for e in block.inlines]),
                ))
            cells.append(nbformat.v4.new_markdown_cell(block.text, metadata=_meta("markdown", block=block_index)))
            continue
        chunk: Chunk = block
        tags = list(chunk.options.tags)
        if chunk.options.error:
            tags.append("raises-exception")
        meta = _meta("chunk", block=block_index, chunk=chunk.index, label=chunk.options.label, line=chunk.line)
        if tags:
            meta["tags"] = tags
        if chunk.options.eval:
            cells.append(nbformat.v4.new_code_cell(chunk.source, metadata=meta))
        else:
            cells.append(nbformat.v4.new_raw_cell(chunk.source, metadata=meta))
        if "parameters" in chunk.options.tags and params:
            cells.append(nbformat.v4.new_code_cell(
                format_params_source(params),
                metadata={**_meta("injected"), "tags": ["injected-parameters"]},
            ))
    nb.cells = cells
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb
