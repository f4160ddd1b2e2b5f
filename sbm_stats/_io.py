"""Write a command's output files whole or not at all.

Every destination is checked before anything is written; the files are written to a
temporary folder inside the output folder (one file system, so the final renames cannot
half-fail) and renamed into place at the end. A failure leaves the folder as it was, and
removes it if this call created it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .errors import DataValidationError, Problem

__all__ = ["write_files"]


def write_files(folder: Path, files: dict[str, str], *, option: str = "--out") -> list[Path]:
    """Write ``files`` (name -> UTF-8 text) into ``folder``; return the paths written.

    Raises
    ------
    DataValidationError
        Naming ``option`` and the path, when ``folder`` (or a folder above it) is a file,
        or a destination is a folder; nothing is written then.
    """
    blocker = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise DataValidationError([Problem(str(folder), None, None, None,
                                           f"a folder to write to ({blocker} is a file)")], summary=option)
    for name in files:
        if (folder / name).exists() and not (folder / name).is_file():
            raise DataValidationError([Problem(str(folder / name), None, None, None,
                                               "a file to replace (found a folder); nothing was written")],
                                      summary=option)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".sbm-stats-", dir=folder))
    done = False
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8", newline="")
            os.chmod(tmp / name, 0o644)
        for name in files:
            os.replace(tmp / name, folder / name)
        done = True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not done and created:
            shutil.rmtree(folder, ignore_errors=True)
    return [folder / name for name in files]
