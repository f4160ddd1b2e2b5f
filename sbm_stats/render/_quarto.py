"""Hand the render to Quarto, when a ``quarto`` executable is on PATH.

The command is the one Quarto documents (``quarto render --help``)::

    quarto render <doc.qmd> --to html,typst,docx --output-dir <tmp>
        --execute-params <params.yml> [--cache-refresh] [--quiet]

- ``pdf`` is asked for as Quarto's ``typst`` format, which writes a PDF with
  Typst, as the builtin engine does (no LaTeX);
- the parameters (the front matter's ``params`` overlaid by the ones given to
  the render) go in a YAML file, so that their types survive;
- ``cache=False`` adds ``--cache-refresh``;
- Quarto writes into a temporary folder; the files move into the output folder
  only when Quarto succeeded, as with the builtin engine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ._errors import RenderError
from ._progress import Progress

__all__ = ["find_quarto", "quarto_command", "run_quarto", "QUARTO_FORMATS"]

#: Our format name -> Quarto's format name and the extension of the file it writes.
QUARTO_FORMATS = {"html": ("html", ".html"), "pdf": ("typst", ".pdf"), "docx": ("docx", ".docx")}


def find_quarto() -> str | None:
    """The ``quarto`` executable on PATH, or ``None``."""
    return shutil.which("quarto")


def quarto_command(
    quarto: str, document: Path, formats: tuple[str, ...], output_dir: Path,
    params_file: Path | None, *, cache: bool, quiet: bool,
) -> list[str]:
    """The argument list of the ``quarto render`` call."""
    args = [quarto, "render", str(document),
            "--to", ",".join(QUARTO_FORMATS[f][0] for f in formats),
            "--output-dir", str(output_dir)]
    if params_file is not None:
        args += ["--execute-params", str(params_file)]
    if not cache:
        args.append("--cache-refresh")
    if quiet:
        args.append("--quiet")
    return args


def run_quarto(
    quarto: str,
    document: Path,
    formats: tuple[str, ...],
    *,
    params: Mapping[str, Any],
    workdir: Path,
    epoch: int | None,
    cache: bool,
    quiet: bool,
    progress: Progress,
) -> dict[str, Path]:
    """Run Quarto; return the file written for each format (inside ``workdir``).

    Raises
    ------
    RenderError
        If Quarto exits with an error or does not write an expected file.
    """
    out = workdir / "quarto-output"
    out.mkdir()
    params_file = None
    if params:
        params_file = workdir / "params.yml"
        params_file.write_text(yaml.safe_dump(dict(params), allow_unicode=True, sort_keys=True), encoding="utf-8")
    args = quarto_command(quarto, document.resolve(), formats, out.resolve(), params_file,
                          cache=cache, quiet=quiet)
    env = dict(os.environ)
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(epoch)
    progress.info("running " + " ".join(args))
    proc = subprocess.run(args, cwd=document.parent, env=env,
                          stdout=subprocess.DEVNULL if quiet else None,
                          stderr=subprocess.PIPE, text=True)
    if proc.stderr and not quiet:
        progress.head(proc.stderr.rstrip())
    if proc.returncode != 0:
        raise RenderError(
            f"quarto render failed (exit code {proc.returncode}) for {document.name}:\n{proc.stderr.strip()}",
            path=str(document),
        )
    written = {}
    missing = []
    for fmt in formats:
        path = out / (document.stem + QUARTO_FORMATS[fmt][1])
        if path.is_file():
            written[fmt] = path
        else:
            missing.append(path.name)
    if missing:
        raise RenderError(
            f"quarto render reported success but did not write {', '.join(missing)} in {out}",
            path=str(document),
        )
    return written
