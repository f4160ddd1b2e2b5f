"""The project's own exception types.

Every error raised for bad *input* (a data file, a design file, an argument) is a
subclass of :class:`SbmStatsError` and of :class:`ValueError`, so that callers who
only know the standard library can still catch it.

A data error never stops at the first problem: :class:`DataValidationError` carries
every :class:`Problem` found in one pass (in the spirit of ``pandera``'s
``lazy=True``), each naming the file, the line, the column, the offending value and
what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SbmStatsError", "Problem", "DataValidationError", "DesignError", "Terminated"]

#: At most this many problems are spelled out in an exception's message; all of them
#: stay available in ``DataValidationError.problems``.
MAX_PROBLEMS_IN_MESSAGE = 50


class SbmStatsError(Exception):
    """Base class of all errors that sbm_stats raises for bad input."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input.

    Attributes
    ----------
    file : str or None
        The file (or other source) the problem is in.
    line : int or None
        The line (CSV) or sheet row (Excel) as a person opening the file counts them:
        the header is line 1, the first data row line 2.
    column : str or None
        The column, where the problem is in one.
    value : object
        The offending value as read (``None`` where there is none to show).
    expected : str
        What was expected instead, in words.
    """

    file: str | None
    line: int | None
    column: str | None
    value: Any
    expected: str

    def __str__(self) -> str:
        where = [self.file or "<input>"]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = ", ".join(where)
        if self.value is not None:
            text += f": value {self.value!r}"
        return f"{text}: expected {self.expected}"


class DataValidationError(SbmStatsError, ValueError):
    """One or more problems in a data file; all of them are in :attr:`problems`."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], *, summary: str = ""):
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.summary = summary
        super().__init__(self._message())

    def _message(self) -> str:
        n = len(self.problems)
        head = self.summary or f"{n} problem{'s' if n != 1 else ''} found in the input"
        lines = [f"{head}:"]
        lines += [f"  - {p}" for p in self.problems[:MAX_PROBLEMS_IN_MESSAGE]]
        if n > MAX_PROBLEMS_IN_MESSAGE:
            lines.append(f"  ... and {n - MAX_PROBLEMS_IN_MESSAGE} more (see .problems)")
        return "\n".join(lines)


class DesignError(SbmStatsError, ValueError):
    """A sample design file, or a design applied to a frame, that cannot be carried out."""


class Terminated(BaseException):
    """SIGTERM arrived; raised by the command line's signal handler so that clean-up runs.

    Like :class:`KeyboardInterrupt` it derives from :class:`BaseException`, so that an
    ``except Exception`` on the way up does not swallow it; ``sbm-stats`` ends with exit
    status :attr:`exit_code` (128 + 15, as a process killed by SIGTERM).
    """

    exit_code = 143
