"""A data package's rows as the value registry reads them: each table, key, row and source read once.

:class:`PackageRows` is the registry's reading of its package
(:class:`~sbm_stats.report.values.ValueRegistry`): a table by name (refused with the
names it could be), its primary key from its schema, the first row with a given key
(the key indexed once per table), and the source of a row (its ``source_id``, else the
sources the descriptor lists for the table).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..data._package import DataPackage

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .values import ValueSource

__all__ = ["PackageRows"]

#: The columns that name a row, in the order they are looked for (a figure's label, a municipality's name, ...).
_NAME_COLUMNS = ("label_sv", "name_sv", "factor_sv", "municipality_name")


@dataclass
class PackageRows:
    """The rows of ``package`` a registry reads, each read once."""

    package: DataPackage
    # what has been read, each kept once: tables, their keys, key -> first row, rows, sources
    _tables: dict[str, Any] = field(default_factory=dict, repr=False)
    _keys: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _indexes: dict[str, dict[tuple[str, ...], int]] = field(default_factory=dict, repr=False)
    _rows: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict, repr=False)
    _sources: dict[tuple[Any, ...], ValueSource | None] = field(default_factory=dict, repr=False)
    _column_titles: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def table(self, name: str) -> pd.DataFrame:
        """The package's table ``name`` (a ValueTraceError naming the tables when it has none such)."""
        if name not in self._tables:
            if name not in self.package.table_names:
                from .values import ValueTraceError

                raise ValueTraceError(f"table ({name!r}) must be one of "
                                      + ", ".join(repr(t) for t in self.package.table_names))
            self._tables[name] = self.package.table(name)
        return self._tables[name]

    def key(self, name: str) -> list[str]:
        """The primary key columns of the table ``name``, from its schema."""
        if name not in self._keys:
            self._keys[name] = self._read_key(name)
        return self._keys[name]

    def _schema(self, name: str) -> Mapping[str, Any]:
        schema = self.package.resource(name)["schema"]
        if isinstance(schema, str):
            from ..data._tables import read_json_file

            schema = read_json_file(self.package.path / schema, self.package.display(self.package.path / schema))
        return schema

    def _read_key(self, name: str) -> list[str]:
        key = self._schema(name).get("primaryKey")
        return [key] if isinstance(key, str) else list(key or [])

    def names(self, table: str, row: Mapping[str, Any], column: str) -> tuple[tuple[str, str], ...]:
        """The Swedish names of ``table`` (its title), its ``row`` (its name column) and ``column`` (its title)."""
        if table not in self._column_titles:
            fields = self._schema(table).get("fields", [])
            self._column_titles[table] = {f["name"]: f["title"] for f in fields if f.get("title")}
        row_name = next((row.get(c) for c in _NAME_COLUMNS if isinstance(row.get(c), str) and row.get(c)), None)
        names = (("table", self.package.resource(table).get("title")), ("row", row_name),
                 ("column", self._column_titles[table].get(column)))
        return tuple((what, str(name)) for what, name in names if name)

    def row(self, table: str, keys: tuple[Any, ...]) -> dict[str, Any] | None:
        """The first row of ``table`` whose key columns read ``keys`` (compared as text), as a dict.

        The table's key is indexed once (key as text -> first row) and each row read
        is kept: a report reads several hundred values from a few tables.
        """
        index = self._indexes.get(table)
        if index is None:
            frame = self.table(table)
            columns = [frame[name].astype(str).tolist() for name in self.key(table)]
            index = {}
            for position, key in enumerate(zip(*columns)):
                index.setdefault(key, position)
            self._indexes[table] = index
        position = index.get(tuple(str(k) for k in keys))
        if position is None:
            return None
        if (table, position) not in self._rows:
            self._rows[(table, position)] = self.table(table).iloc[position].to_dict()
        return self._rows[(table, position)]

    def source(self, table: str, row: Mapping[str, Any]) -> ValueSource | None:
        """The row's ``source_id``, else the sources the descriptor lists for the whole table."""
        source_id = row.get("source_id")
        section = row.get("section")
        key = (table, source_id if isinstance(source_id, str) else None,
               section if isinstance(section, str) else None)
        if key not in self._sources:
            self._sources[key] = self._read_source(table, row)
        return self._sources[key]

    def _read_source(self, table: str, row: Mapping[str, Any]) -> ValueSource | None:
        from .values import ValueSource  # values imports this module

        if "sources by id" not in self._tables:
            self._tables["sources by id"] = self.table("sources").set_index("source_id")
        sources = self._tables["sources by id"]
        source_id = row.get("source_id")
        if not isinstance(source_id, str) or not source_id:
            resource = self.package.resource(table)
            ids = [s.get("title") for s in resource.get("sources") or [] if s.get("title") in sources.index]
            if not ids:
                return None
            urls = [u for u in (sources.loc[i].get("url") for i in ids) if isinstance(u, str) and u]
            names = [_short_name(sources.loc[i]) for i in ids]
            return ValueSource(" ".join(ids), " ".join(_citation(sources.loc[i]) for i in ids),
                               urls[0] if urls else None,
                               short_name="; ".join(names) if all(names) else None)
        entry = sources.loc[source_id]
        url = entry.get("url")
        section = row.get("section") if entry.get("kind") == "publication" else None
        return ValueSource(source_id, _citation(entry),
                           url if isinstance(url, str) and url else None,
                           section if isinstance(section, str) and section else None,
                           short_name=_short_name(entry))


def _short_name(entry: Mapping[str, Any]) -> str | None:
    """A source's short Swedish name (``short_name_sv``), or None where the package has none."""
    name = entry.get("short_name_sv")
    return name.strip() if isinstance(name, str) and name.strip() else None


def _citation(entry: Mapping[str, Any]) -> str:
    """A source's citation as the report's reader reads it: the Swedish one (``citation_sv``) where the
    package gives it, else the citation as written."""
    swedish = entry.get("citation_sv")
    return swedish if isinstance(swedish, str) and swedish.strip() else str(entry["citation"])
