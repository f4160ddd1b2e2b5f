"""Transcribe the public source files in ../shared/sources into data/ (developer tool).

This is how data/municipalities.csv was made; it is kept so that anyone with the same
source files can check the transcription. The package never runs it and never reads
../shared: data/ is self-contained.

    python scripts/transcribe_sources.py ../shared/sources data/

Join rule: the SCB population table (BE0101N1) has names but no codes, so each
population row is matched to the CC0 code list on (county name, short municipality
name); the script stops if any of the 290 fails to match exactly once.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

YEARS = ("2012", "2013", "2014")


def main(src: Path, out: Path) -> None:
    with open(src / "municipalities_2025_cc0.csv", encoding="utf-8", newline="") as fh:
        codes = list(csv.DictReader(fh))
    with open(src / "scb_be0101n1_population_1968_2017.csv", encoding="utf-8-sig", newline="") as fh:
        pop = list(csv.DictReader(fh))
    by_name: dict[tuple[str, str], dict] = {}
    for row in pop:
        key = (row["lan"], row["kommun"])
        if key in by_name:
            raise SystemExit(f"population: {key} appears twice")
        by_name[key] = row
    rows = []
    for m in codes:
        key = (m["county_name"], m["municipality_name_short"])
        if key not in by_name:
            raise SystemExit(f"no population row for {key}")
        p = by_name.pop(key)
        rows.append(
            {
                "municipality_code": m["municipality_code"],
                "municipality_name": m["municipality_name_short"],
                "county_code": m["county_code"],
                "county_name": m["county_name"],
                **{f"population_{y}": p[y] for y in YEARS},
            }
        )
    if by_name:
        raise SystemExit(f"population rows without a code: {sorted(by_name)}")
    rows.sort(key=lambda r: r["municipality_code"])
    with open(out / "municipalities.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    for y in YEARS:
        print(y, sum(int(r[f"population_{y}"]) for r in rows))
    print(len(rows), "municipalities written")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
