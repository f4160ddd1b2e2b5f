"""Write a command's text outputs whole or not at all (through :class:`~sbm_stats._publish.Publication`)."""

from __future__ import annotations

from pathlib import Path

from ._publish import Publication

__all__ = ["write_files"]


def write_files(folder: Path, files: dict[str, str], *, option: str = "--out") -> list[Path]:
    """Write ``files`` (name -> UTF-8 text) into ``folder``; return the paths written.

    The files are staged beside ``folder`` and moved into it together, under a lock on
    ``folder``; see :mod:`sbm_stats._publish`.

    Raises
    ------
    OutputError
        Naming ``option`` and the path, when ``folder`` (or a folder above it) is a file,
        a destination is a folder, or the disk refuses the write; nothing is written then.
    """
    with Publication(folder, option=option, names=tuple(files)) as pub:
        for name, text in files.items():
            pub.write_text(name, text)
        return pub.publish(list(files))
