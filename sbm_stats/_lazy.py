"""Names a package exports from its private modules, imported on first use (PEP 562).

One mapping per package, module to names: ``__all__`` and the lookup are both made from
it, so there is one list of public names to keep, not two that must agree by hand.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["exports"]


def exports(package: str, namespace: dict[str, Any], public: Mapping[str, Sequence[str]]
            ) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``(__all__, __getattr__, __dir__)`` for ``package`` from ``{module: names}``.

    ``module`` is relative to ``package`` (``"._loaders"``).
    """
    where = {name: module for module, names in public.items() for name in names}
    if len(where) != sum(len(names) for names in public.values()):
        seen: set[str] = set()
        twice = sorted({n for names in public.values() for n in names if n in seen or seen.add(n)})
        raise ImportError(f"{package}: names exported twice: {', '.join(twice)}")

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(where))

    return list(where), __getattr__, __dir__
