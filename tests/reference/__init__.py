"""Reference tables for the tests: each file says in its header where its numbers come from."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent


def read_reference(name: str) -> pd.DataFrame:
    """Read a reference CSV of this folder; lines starting with '#' are its provenance."""
    return pd.read_csv(HERE / name, comment="#", dtype={"context": str}, keep_default_na=True)
