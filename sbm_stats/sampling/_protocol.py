"""The selection protocol: Swedish Markdown from the Jinja2 template ``templates/protocol.md.j2``.

The template holds the protocol's text; each stage's part of "Steg för steg" comes from
its kind's :attr:`~sbm_stats.sampling.stages.Stage.protocol_template`, served to the
template as ``stage:<kind>`` from the registry, so a new kind brings its own text. Values
reach the template unformatted; the filters ``sv_int``, ``sv_decimal`` (Swedish numbers)
and ``cell`` (a Markdown table cell: ``|`` escaped, line breaks as spaces) format them.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from .._markup import escape_markdown, markdown_code
from .._version import __version__
from ._format import sv_decimal, sv_int
from ._prn import PRN_FORMULA
from ._reason import protocol_line
from .stages import STAGE_KINDS

if TYPE_CHECKING:  # pragma: no cover
    from ._select import Sample

__all__ = ["render_protocol", "SYNTHETIC_BANNER", "PROBABILITY_METHODS_SV"]

#: The line every protocol made from a synthetic frame starts and ends with.
SYNTHETIC_BANNER = "SYNTETISKA DATA – inte verkliga uppgifter"

#: How the protocol names the engine's ways of obtaining an inclusion probability (a
#: deterministic kind's probability 1 is named by its ``method_sv``).
PROBABILITY_METHODS_SV = {
    "simple_random_sample": "exakt (n/N)",
    "hypergeometric_chain": "exakt (hypergeometrisk kedja)",
    "monte_carlo": "Monte Carlo",
}

_TEMPLATES = Path(__file__).parent / "templates"


def _kind_template(name: str) -> tuple[str, None, Any] | None:
    """``stage:<kind>``: that kind's protocol text, read from the registry on every render."""
    prefix, _, kind = name.partition(":")
    if prefix != "stage" or kind not in STAGE_KINDS:
        return None
    return STAGE_KINDS[kind].protocol_template, None, lambda: False


def _md(value: Any) -> str:
    """Text from data in the protocol's Markdown, in running text or a table cell: shown as written
    (its ``|`` and markup escaped, in one line; see :func:`sbm_stats._markup.escape_markdown`)."""
    return escape_markdown(str(value))


@functools.cache
def _environment() -> jinja2.Environment:
    # a kind's template is never up to date (``lambda: False``), so Jinja asks the registry again
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(_TEMPLATES), jinja2.FunctionLoader(_kind_template)]),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(cell=_md, md=_md, code=markdown_code, sv_int=sv_int, sv_decimal=sv_decimal,
                       protocol_line=protocol_line)
    return env


def render_protocol(sample: Sample, published_check: Any = None) -> str:
    """The selection protocol of ``sample`` (with ``published_check``'s section when given)."""
    d = sample.design
    methods_sv = {**PROBABILITY_METHODS_SV, **{k: cls.method_sv for k, cls in STAGE_KINDS.items()}}
    methods = sorted({u.probability_method for u in sample.units})
    text = _environment().get_template("protocol.md.j2").render(
        sample=sample, d=d, banner=SYNTHETIC_BANNER, design_file=_short(d.path), prn_formula=PRN_FORMULA,
        version=__version__, stage_table=list(d.to_frame().itertuples()),
        kind_sv={k: cls.name_sv for k, cls in STAGE_KINDS.items()},
        names={u.municipality_code: u.municipality_name for u in sample.units},
        methods=[methods_sv.get(m, m) for m in methods],
        published_lines=published_check.protocol_section() if published_check is not None else [],
    )
    return text


def _short(path: str) -> str:
    from ._frame import _display

    return _display(Path(path)) if path else "–"
