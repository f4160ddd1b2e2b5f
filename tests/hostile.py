"""A hostile copy of the bundled data package: markup and code in every text field it holds.

:func:`build_hostile_package` copies ``data/`` and appends :data:`PAYLOAD` to every free
text field of every table, the design files, the frame's schema, the claims and the
descriptor (keys, enums and patterned fields stay as they are, so the package stays
valid), and gives the sources' URLs :data:`HOSTILE_URLS`. Each payload that runs marks the
page (``data-pwned`` on ``<body>``, or the title), so a browser shows whether any ran.
"""

from __future__ import annotations

import csv
import json
import shutil
from itertools import cycle
from pathlib import Path

import yaml

#: Markup, code and links a data package might hold: each must be shown as the text it is.
PAYLOADS = (
    "<svg onload=\"document.body.setAttribute('data-pwned','svg')\"></svg>",
    "<script>document.body.setAttribute('data-pwned','script')</script>",
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">",
    "`#text(fill: red)[TYPST-INJECTED #(6*7)]`{=typst}",
    "`</w:t></w:r></w:p><w:p>`{=openxml}",
    "`<b>RAW</b>`{=html}",
    "$x^2$",
    "*bold*",
    "_it_",
    "[link](javascript:document.title='PWNED')",
    "@tbl-design",
)
#: One string with every payload, appended to each text field.
PAYLOAD = " ".join(PAYLOADS)

#: Addresses that must not become links, and one that must (the last).
HOSTILE_URLS = (
    "javascript:document.title='PWNED'",
    " JaVaScRiPt :document.title='PWNED'",
    " JaVaScRiPt:document.title='PWNED'",
    "data:text/html,<script>document.title='PWNED'</script>",
    "vbscript:msgbox(1)",
    "java\tscript:document.title='PWNED'",
    "relative/page.html",
    "https://example.org/hostile?q=<b>&x=\"y\"",
)

#: Cells whose text the loaders compare with a fixed word, left as they are (an ext.* figure's
#: section must read 'Externa källor': sbm_stats/data/_loaders.py); so is a figure's verbal
#: quantity that is a term of verbal_quantities.csv, which the audit reads as a range.
_FIXED_WORDS = frozenset({"Externa källor"})

#: Descriptor, design and schema keys whose values are text a reader may see.
_TEXT_KEYS = frozenset({"title", "description", "label", "question", "source", "note", "claim", "section",
                        "statement", "reason"})


def build_hostile_package(source: Path, target: Path) -> Path:
    """Copy the package ``source`` to ``target`` with :data:`PAYLOAD` in every text field; return ``target``."""
    shutil.copytree(source, target)
    descriptor = json.loads((target / "datapackage.json").read_text(encoding="utf-8"))
    urls = cycle(HOSTILE_URLS)
    with (target / "verbal_quantities.csv").open(encoding="utf-8", newline="") as handle:
        keep = _FIXED_WORDS | {row["term"] for row in csv.DictReader(handle)}
    for resource in descriptor["resources"]:
        schema = resource.get("schema")
        if isinstance(schema, dict):  # a schema in a file of its own (the frame) has no free text
            _poison_table(target / resource["path"], schema, urls, keep)
    _poison_tree(descriptor, keys=frozenset({"title", "description"}))
    (target / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2),
                                             encoding="utf-8")
    for path in [*target.glob("design/*.yaml"), *target.glob("audit/*.yaml")]:
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
        _poison_tree(tree, keys=_TEXT_KEYS)
        path.write_text(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for path in target.glob("schemas/*.json"):
        tree = json.loads(path.read_text(encoding="utf-8"))
        _poison_tree(tree, keys=_TEXT_KEYS)
        path.write_text(json.dumps(tree, ensure_ascii=False, indent=2), encoding="utf-8")
    return target


def _free_text_columns(schema: dict) -> list[str]:
    """The string columns without a pattern, an enum or a key role: text the package may choose freely."""
    keys = schema.get("primaryKey") or []
    keys = [keys] if isinstance(keys, str) else list(keys)
    for fk in schema.get("foreignKeys", []):
        fields = fk["fields"]
        keys += [fields] if isinstance(fields, str) else list(fields)
    out = []
    for field in schema.get("fields", []):
        constraints = field.get("constraints", {})
        if (field.get("type", "string") == "string" and field["name"] not in keys
                and not {"pattern", "enum"} & set(constraints)):
            out.append(field["name"])
    return out


def _poison_table(path: Path, schema: dict, urls, keep: frozenset[str]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    text = [c for c in _free_text_columns(schema) if c in columns]
    for row in rows:
        for column in text:
            if column == "url":
                row[column] = next(urls)
            elif row[column] and row[column] not in keep:
                row[column] = f"{row[column]} {PAYLOAD}"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _poison_tree(tree, *, keys: frozenset[str]) -> None:
    """Append the payload to every string under one of ``keys``, anywhere in a JSON/YAML tree."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key in keys and isinstance(value, str):
                tree[key] = f"{value} {PAYLOAD}"
            else:
                _poison_tree(value, keys=keys)
    elif isinstance(tree, list):
        for item in tree:
            _poison_tree(item, keys=keys)
