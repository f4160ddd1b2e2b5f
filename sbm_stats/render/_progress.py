"""Progress messages on the terminal (standard error)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Writes one line per step to ``stream`` (standard error by default); silent if ``quiet``."""

    def __init__(self, quiet: bool = False, stream: TextIO | None = None):
        self.quiet = quiet
        self._stream = stream

    def _write(self, text: str) -> None:
        if self.quiet:
            return
        stream = self._stream if self._stream is not None else sys.stderr
        print(text, file=stream, flush=True)

    def info(self, text: str) -> None:
        self._write(f"  {text}")

    def head(self, text: str) -> None:
        self._write(text)

    def warn(self, text: str) -> None:
        self._write(f"  warning: {text}")

    def chunk(self, i: int, n: int, name: str, line: int) -> None:
        width = len(str(n))
        self._write(f"  [{i:>{width}}/{n}] {name} (line {line})")

    def wrote(self, path: Path) -> None:
        size = path.stat().st_size
        human = f"{size / 1024:.0f} kB" if size >= 1024 else f"{size} B"
        self._write(f"  wrote {path} ({human})")
