"""Publish a command's outputs whole or not at all, under a lock, whatever happens meanwhile.

Every command that writes files (``render``, ``sample``, ``audit``) goes through
:class:`Publication`:

1. **Check** the output folder before any work: it, or the first existing folder above
   it, must be a folder, and every destination named up front must not be a folder.
2. **Lock** the output folder (an exclusive ``flock`` on a lock file named after the
   folder's real path, symbolic links resolved, in a folder of the user's own in the system's temporary
   folder, so that the lock exists
   before the folder does). A second run into the same folder waits for the first,
   saying so once, and then renders on its own; ``wait=False`` fails at once instead.
3. **Stage** everything in a hidden folder *beside* the output folder (same file system,
   so that the final renames are atomic), never inside it: a crash or ``kill -9`` leaves
   at most a ``.sbm-staging-*`` folder beside it, which the next run into the same
   folder removes once its process is gone.
4. **Publish** in one step: with SIGINT and SIGTERM held back (noted by a handler of the
   main thread and acted on once the step is over, whichever thread the system delivered
   them to), create the output folder if needed and rename each staged entry over its
   destination. A destination this run
   did not write is never touched; an output folder this run did not create is never
   removed.

While a publication is open in the main thread, SIGTERM raises :class:`Terminated`
(and SIGINT ``KeyboardInterrupt``, as always), so that the staging folder is removed
on the way out; the previous handlers are restored when it closes. Write errors
(read-only or full disk, a path under ``/proc``) become an :class:`OutputError` that
names the path and the system's reason.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

from .errors import SbmStatsError, Terminated

__all__ = ["Publication", "OutputError", "Terminated", "os_error_message", "terminate_on_sigterm",
           "block_signals_in_this_thread"]

_STAGING_PREFIX = ".sbm-staging-"


class OutputError(SbmStatsError, OSError):
    """An output that cannot be written where it was asked for (nothing was written)."""


def os_error_message(exc: OSError, path: str | os.PathLike[str] | None = None) -> str:
    """``"<path>: <reason>"`` for an OSError, in the system's words."""
    where = path if path is not None else (exc.filename or "")
    reason = exc.strerror or str(exc)
    return f"{where}: {reason}" if where else reason


@contextlib.contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` for the duration (main thread only).

    A handler the program installed itself is left as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous not in (signal.SIG_DFL, None):
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Terminated()

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold back SIGINT and SIGTERM until the block ends, then act on them as usual.

    Blocking the signals in the main thread's mask is not enough: the system then delivers
    a signal sent to the process to another thread (a worker, a client library's thread),
    and Python still runs the handler in the main thread at its next instruction, in the
    middle of the block. So the handlers themselves are swapped for one that notes the
    signal; when the block ends the previous handlers come back and each signal noted is
    raised again, once. Only the main thread can do this; elsewhere the block just runs.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []

    def note(signum: int, frame: object) -> None:
        if signum not in noted:
            noted.append(signum)

    previous = {}
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, note)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        for signum in noted:
            signal.raise_signal(signum)


def block_signals_in_this_thread() -> None:
    """Keep SIGINT and SIGTERM away from the calling (worker) thread: the main thread handles them.

    For ``ThreadPoolExecutor(initializer=...)``: a signal the system delivers to a worker
    does not interrupt the main thread's wait, so the handler would run late.
    """
    if hasattr(signal, "pthread_sigmask") and threading.current_thread() is not threading.main_thread():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def _lock_path(folder: Path) -> Path:
    """The lock file of ``folder``, in a folder of this user's own in the temporary folder.

    Per user, so that one user's lock folder (created under that user's umask) never
    stops another's run; a folder of that name owned by someone else is refused.
    """
    # keyed on the real path: a symbolic link to the folder (or to a folder above it) is the same folder
    real = os.path.realpath(folder)
    tag = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    locks = Path(tempfile.gettempdir()) / f"sbm-stats-locks-{os.getuid()}"
    locks.mkdir(mode=0o700, exist_ok=True)
    if locks.is_symlink() or locks.stat().st_uid != os.getuid():
        raise OutputError(f"{locks} belongs to another user; remove it or set TMPDIR (nothing was written)")
    return locks / f"{tag}.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Publication:
    """Stage outputs beside ``folder`` and publish them in one step (see the module docstring).

    Parameters
    ----------
    folder : path
        The output folder (created at publication if missing).
    option : str
        How the user named it (``--out``), for messages.
    names : iterable of str, optional
        Destinations known up front, checked before any work.
    wait : bool
        Wait for another run into the same folder (default) or fail at once.
    on_wait : callable, optional
        Called once with a message when this run has to wait.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with Publication(out) as pub:
    ...     _ = (pub.staging / "a.txt").write_text("hej", encoding="utf-8")
    ...     pub.publish(["a.txt"])
    [PosixPath('.../out/a.txt')]
    >>> sorted(p.name for p in out.parent.iterdir())
    ['out']
    """

    def __init__(self, folder: str | os.PathLike[str], *, option: str = "--out",
                 names: tuple[str, ...] | list[str] = (), wait: bool = True,
                 on_wait: Callable[[str], None] | None = None):
        self.folder = Path(os.path.abspath(folder))
        self.option = option
        self.names = tuple(names)
        self.wait = wait
        self.on_wait = on_wait
        self.staging: Path = Path()
        self.published: list[Path] = []
        self._lock_fd: int | None = None
        self._stack = contextlib.ExitStack()

    # ------------------------------------------------------------------ checks
    def _anchor(self) -> Path:
        """The first existing folder at or above the output folder."""
        for p in (self.folder, *self.folder.parents):
            if p.exists() or p.is_symlink():
                if not p.is_dir():
                    raise OutputError(f"{self.option} ({self.folder}) must be a folder, but {p} is a file "
                                      "(nothing was written)")
                return p
        raise OutputError(f"{self.option} ({self.folder}): no existing folder above it")  # pragma: no cover

    def check(self, names: tuple[str, ...] | list[str]) -> None:
        """Every destination in ``names`` must be free or a file (not a folder)."""
        for name in names:
            dst = self.folder / name
            if dst.is_dir() and not (self.staging / name).is_dir():
                raise OutputError(f"{self.option}: {dst}: expected a file to replace (found a folder); "
                                  "nothing was written")

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> Publication:
        anchor = self._anchor()
        self.check(self.names)
        self._stack.enter_context(terminate_on_sigterm())
        try:
            self._lock()
            self._sweep(anchor)
            parent = self.folder.parent if self.folder.parent.is_dir() else anchor
            self.staging = Path(tempfile.mkdtemp(prefix=f"{_STAGING_PREFIX}{self.folder.name}-{os.getpid()}-",
                                                 dir=parent))
        except OSError as exc:
            self._close()
            raise OutputError(f"{self.option}: cannot prepare {self.folder}: {os_error_message(exc)} "
                              "(nothing was written)") from None
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._close()

    def _close(self) -> None:
        try:
            if self.staging != Path() and self.staging.exists():
                with _signals_held():
                    shutil.rmtree(self.staging, ignore_errors=True)
        finally:
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
            self._stack.close()

    def _lock(self) -> None:
        import fcntl

        fd = os.open(_lock_path(self.folder), os.O_RDWR | os.O_CREAT, 0o666)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not self.wait:
                    raise OutputError(f"{self.option}: another sbm-stats run is writing to {self.folder}; "
                                      "try again when it has finished (nothing was written)") from None
                if self.on_wait:
                    self.on_wait(f"waiting for another sbm-stats run writing to {self.folder}")
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._lock_fd = fd

    def _sweep(self, anchor: Path) -> None:
        """Remove staging folders beside the output folder left by runs that were killed."""
        parent = self.folder.parent if self.folder.parent.is_dir() else anchor
        prefix = f"{_STAGING_PREFIX}{self.folder.name}-"
        try:
            entries = list(parent.iterdir())
        except OSError:
            return
        for entry in entries:
            if not entry.name.startswith(prefix) or not entry.is_dir():
                continue
            pid_text = entry.name[len(prefix):].split("-", 1)[0]
            if pid_text.isdigit() and not _alive(int(pid_text)):
                shutil.rmtree(entry, ignore_errors=True)

    # ------------------------------------------------------------------ writing
    def write_text(self, name: str, text: str) -> Path:
        """Write ``text`` (UTF-8) as ``name`` in the staging folder."""
        path = self.staging / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
            os.chmod(path, 0o644)
        except OSError as exc:
            raise OutputError(f"{self.option}: cannot write {name}: {os_error_message(exc)} "
                              "(nothing was written)") from None
        return path

    def publish(self, names: list[str] | tuple[str, ...], *, withdraw: tuple[str, ...] | list[str] = ()) -> list[Path]:
        """Move the staged ``names`` into the output folder, in one step; return their paths.

        ``withdraw`` names files of the output folder that this run's outputs make stale
        (an earlier run's supporting file that this run does not write): they leave the
        folder in the same step, moved into the staging folder that is then removed.

        Raises
        ------
        OutputError
            If a destination is a folder the output cannot replace, or the output folder
            cannot be created or written; nothing is published then (a failure in the
            middle of the renames, which only a vanishing disk can cause, is reported
            with the files already moved).
        """
        missing = [n for n in names if not (self.staging / n).exists()]
        if missing:  # pragma: no cover - a programming error of the caller
            raise RuntimeError(f"not staged: {', '.join(missing)}")
        self.check(names)
        done: list[Path] = []
        with _signals_held():
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                for name in names:
                    src, dst = self.staging / name, self.folder / name
                    if src.is_dir() and dst.is_dir():
                        old = self.staging / f".old-{name}"
                        os.replace(dst, old)
                    os.replace(src, dst)
                    done.append(dst)
                for name in withdraw:
                    stale = self.folder / name
                    if name not in names and stale.is_file() and not stale.is_symlink():
                        os.replace(stale, self.staging / f".stale-{name}")
            except OSError as exc:
                moved = f"; already replaced: {', '.join(str(p) for p in done)}" if done else \
                    " (nothing was written)"
                if exc.errno == errno.EXDEV:  # pragma: no cover
                    raise OutputError(f"{self.option}: {self.folder} is on another file system than "
                                      f"its staging folder{moved}") from None
                raise OutputError(f"{self.option}: cannot write into {self.folder}: "
                                  f"{os_error_message(exc)}{moved}") from None
        self.published.extend(done)
        return done
