"""``sbm-stats render ...``: render a Quarto document to HTML, PDF and Word."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..render import RenderError, render
from ..render._render import ENGINES, FORMATS


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "render",
        help="render a Quarto document (.qmd) to HTML, PDF and Word",
        description=(
            "Render a .qmd file. With --engine auto (the default) Quarto renders when a "
            "quarto executable is on PATH; otherwise the builtin engine runs the chunks "
            "with nbclient and writes with pandoc and Typst. Progress goes to standard "
            "error, the paths written to standard output."
        ),
    )
    parser.add_argument("path", help="the .qmd file")
    parser.add_argument(
        "--to", default="html", metavar="FORMATS",
        help=f"comma-separated output formats among {', '.join(FORMATS)} (default: html)",
    )
    parser.add_argument("--out", default="_output", metavar="DIR",
                        help="the output folder (default: _output)")
    parser.add_argument(
        "--param", "-P", action="append", default=[], metavar="NAME=VALUE",
        help="set a parameter of the document (repeatable); VALUE is read as JSON when it "
             "parses (2014, 0.95, true, null, \"text\", [1, 2]) and as text otherwise",
    )
    parser.add_argument("--engine", choices=ENGINES, default="auto",
                        help="auto (quarto if on PATH, else builtin), builtin or quarto")
    parser.add_argument(
        "--no-cache", dest="cache", action="store_false",
        help="execute even if nothing changed (by default a render reuses the stored "
             "execution when the code, the parameters, the installed packages and every file "
             "and module the last run read are unchanged)",
    )
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="where executions are kept (default: $SBM_STATS_CACHE_DIR, else "
                             "$XDG_CACHE_HOME/sbm-stats, else ~/.cache/sbm-stats; never inside --out)")
    parser.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                        help="seconds each chunk may run (default: the front matter's "
                             "'execute: timeout', else 600)")
    parser.add_argument("--resource-path", action="append", default=[], metavar="DIR",
                        help="a folder besides the document's own that its images may come from "
                             "(repeatable; relative to the document)")
    parser.add_argument("--no-wait", dest="wait", action="store_false",
                        help="fail at once when another render is writing into --out "
                             "(by default wait for it)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress messages")
    parser.set_defaults(func=_render)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 10**7:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def parse_param(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` to ``(name, value)``; the value is JSON if it parses, else text."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise RenderError(f"--param ({text!r}) must be written NAME=VALUE, e.g. wave=2014")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return name, value


def _render(args: argparse.Namespace) -> int:
    params = dict(parse_param(p) for p in args.param)
    result = render(
        args.path,
        to=args.to,
        out_dir=args.out,
        params=params,
        engine=args.engine,
        cache=args.cache,
        cache_dir=args.cache_dir,
        quiet=args.quiet,
        timeout=args.timeout,
        wait=args.wait,
        resource_path=args.resource_path,
    )
    for path in result.outputs:
        print(path)
    return 0
