"""The ``sbm-stats`` command line.

Each group of subcommands lives in its own private module with a
``register(subparsers)`` function that adds its parsers and sets ``func`` on them;
``func(args)`` returns the process exit code.

Every way a command can end goes through :func:`main`, which prints at most one
message and returns one exit status:

======================================  ====  ==============================================
what happened                           exit  what is printed (standard error)
======================================  ====  ==============================================
the command ran                         0/1   its own output (1: ``--strict`` and the like)
bad input (any :class:`SbmStatsError`)  2     ``sbm-stats: error: <file, line, column: ...>``
a file the system refuses (OSError)     2     ``sbm-stats: error: <path>: <system's reason>``
a bad argument (argparse)               2     the usage and the argument
the reader of stdout went away (pipe)   141   nothing
Ctrl-C (SIGINT)                         130   ``sbm-stats: interrupted``
SIGTERM                                 143   ``sbm-stats: terminated``
anything else: a bug of sbm-stats       70    ``sbm-stats: internal error ...`` and where to
                                              report it
======================================  ====  ==============================================

No traceback is shown unless ``--debug`` is given before the subcommand
(``sbm-stats --debug audit``). While a command runs, SIGTERM raises
:class:`~sbm_stats.errors.Terminated` so that ``finally`` blocks (which remove
temporary files) run, exactly as Ctrl-C does through :class:`KeyboardInterrupt`;
:func:`main` restores the previous handler before it returns.
"""

from __future__ import annotations

import argparse
import importlib
import os
import select
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from .._version import __version__
from ..errors import SbmStatsError, Terminated

__all__ = ["main", "build_parser", "EXIT_USER_ERROR", "EXIT_INTERNAL_ERROR", "EXIT_INTERRUPTED",
           "EXIT_TERMINATED"]

#: Exit status for bad input, a refused file or a bad argument (as argparse uses).
EXIT_USER_ERROR = 2
#: Exit status for a bug of sbm-stats (``EX_SOFTWARE`` of BSD's ``sysexits.h``).
EXIT_INTERNAL_ERROR = 70
#: Exit status after Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130
#: Exit status after SIGTERM (128 + SIGTERM).
EXIT_TERMINATED = Terminated.exit_code
#: Exit status when the reader of standard output went away (128 + SIGPIPE), silently.
EXIT_BROKEN_PIPE = 141

#: Modules that add subcommands, in the order they appear in ``--help``.
COMMAND_MODULES = (
    "sbm_stats.cli._data",
    "sbm_stats.cli._sample",
    "sbm_stats.cli._render",
    "sbm_stats.cli._preview",
    "sbm_stats.cli._audit",
    "sbm_stats.cli._values",
)

#: Where an internal error should be reported (the project is named as in the README).
REPORT_TO = "the sbm-stats issue tracker"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sbm-stats",
        description=(
            "Reproduce Socialstyrelsen's 2014 interview study of the secondary housing "
            "market: validate the data, re-run the sample design, audit the published "
            "figures and render the report."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--debug", action="store_true",
        help="show the full Python traceback of an error (give it before the command)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``sbm-stats`` command and return its exit status (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv[: next((i for i, a in enumerate(argv) if not a.startswith("-")), len(argv))]
    with _sigterm_raises():
        try:
            parser = build_parser()
            args = parser.parse_args(argv)
            if not getattr(args, "func", None):
                parser.print_help()
                return 0 if args.command is None else EXIT_USER_ERROR
            return int(args.func(args) or 0)
        except KeyboardInterrupt:
            return _fail(debug, EXIT_INTERRUPTED, "sbm-stats: interrupted")
        except Terminated:
            return _fail(debug, EXIT_TERMINATED, "sbm-stats: terminated")
        except SbmStatsError as exc:
            return _fail(debug, EXIT_USER_ERROR, f"sbm-stats: error: {exc}")
        except BrokenPipeError as exc:
            if _stdout_gone():  # `sbm-stats audit | head`: the reader has all it wanted
                return EXIT_BROKEN_PIPE
            return _fail(debug, EXIT_USER_ERROR, f"sbm-stats: error: {os_error_text(exc)}")
        except OSError as exc:
            return _fail(debug, EXIT_USER_ERROR, f"sbm-stats: error: {os_error_text(exc)}")
        except Exception as exc:
            return _fail(debug, EXIT_INTERNAL_ERROR, internal_error_text(exc))


def os_error_text(exc: OSError) -> str:
    """``"<path>: <reason>"`` in the system's words, e.g. ``"/proc/x: No such file or directory"``.

    Examples
    --------
    >>> os_error_text(PermissionError(13, "Permission denied", "/root/x"))
    '/root/x: Permission denied'
    >>> os_error_text(OSError(18, "Invalid cross-device link", "/a", None, "/b"))
    '/a -> /b: Invalid cross-device link'
    """
    reason = exc.strerror or str(exc) or type(exc).__name__
    paths = [p for p in (exc.filename, exc.filename2) if p is not None]
    where = " -> ".join(os.fsdecode(p) if isinstance(p, (str, bytes, os.PathLike)) else str(p) for p in paths)
    return f"{where}: {reason}" if where else reason


def internal_error_text(exc: BaseException) -> str:
    """The message for an exception that is a bug of sbm-stats rather than bad input.

    Examples
    --------
    >>> print(internal_error_text(RuntimeError("boom")))  # doctest: +ELLIPSIS
    sbm-stats: internal error of sbm-stats ...: RuntimeError: boom
    This is a bug in sbm-stats, not a problem with your input: please report it with the command ... issue tracker.
    """
    detail = str(exc).strip()
    return (
        f"sbm-stats: internal error of sbm-stats {__version__}: {type(exc).__name__}"
        + (f": {detail}" if detail else "")
        + "\nThis is a bug in sbm-stats, not a problem with your input: please report it with the command "
        f"and the output of --debug (sbm-stats --debug COMMAND ...) on {REPORT_TO}."
    )


def _stdout_gone() -> bool:
    """Whether standard output is a pipe whose reader has gone; if so, point it at /dev/null so
    that the interpreter's final flush does not print an error of its own."""
    try:
        fd = sys.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        gone = any(event & select.POLLERR for _, event in poller.poll(0))
        if gone:
            os.dup2(os.open(os.devnull, os.O_WRONLY), fd)
        return gone
    except (OSError, ValueError, AttributeError):  # stdout without a descriptor (captured), or no poll()
        return False


def _fail(debug: bool, code: int, message: str) -> int:
    if debug:
        traceback.print_exc(file=sys.stderr)
    print(message, file=sys.stderr)
    return code


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While the block runs, SIGTERM raises :class:`Terminated` (once; later ones are ignored
    so that the clean-up they interrupt can finish). The previous handler is restored."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    fired = False

    def handler(signum: int, frame: object) -> None:
        nonlocal fired
        if not fired:
            fired = True
            raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
