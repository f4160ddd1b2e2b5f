"""Read YAML that a user wrote: the safe loader, with limits on aliases and nesting.

``yaml.safe_load`` refuses object tags, but it still expands aliases: a "billion laughs"
file of a few hundred bytes becomes a structure that is small in memory (the aliases share
their objects) yet grows without bound as soon as anything walks or prints it, as an error
message does. Nothing this project reads needs more than a handful of aliases, or nesting
deeper than a few levels, so both are capped and a file beyond the caps is refused with the
line it goes wrong on.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["load_yaml", "describe", "YAMLLimitError", "MAX_ALIASES", "MAX_DEPTH", "MAX_EXPANDED"]

#: At most this many ``*alias`` references in one document.
MAX_ALIASES = 64
#: At most this many nested collections (mappings and sequences) in one document.
MAX_DEPTH = 64
#: At most this many values in the document with every alias written out (a chain of
#: aliases that each double the one before stays under :data:`MAX_ALIASES` and still
#: reaches billions).
MAX_EXPANDED = 100_000


class YAMLLimitError(yaml.YAMLError):
    """A YAML document beyond :data:`MAX_ALIASES` or :data:`MAX_DEPTH`."""

    def __init__(self, problem: str, mark: yaml.Mark | None):
        self.problem = problem
        self.problem_mark = mark
        line = f" (line {mark.line + 1})" if mark is not None else ""
        super().__init__(f"{problem}{line}")


class _LimitedLoader(yaml.SafeLoader):
    """``SafeLoader`` that counts aliases and nesting while composing the node graph."""

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YAMLLimitError(f"more than {MAX_ALIASES} aliases (*name); write the values out",
                                     self.peek_event().start_mark)
            return super().compose_node(parent, index)
        nested = self.check_event(yaml.MappingStartEvent) or self.check_event(yaml.SequenceStartEvent)
        if nested:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise YAMLLimitError(f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            if nested:
                self._depth -= 1

    def compose_document(self) -> Any:  # type: ignore[override]
        node = super().compose_document()
        if self._aliases and _expanded_size(node, {}) > MAX_EXPANDED:
            raise YAMLLimitError(f"expands to more than {MAX_EXPANDED} values through its aliases; "
                                 "write the values out", node.start_mark)
        return node


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many nodes ``node`` stands for with every alias written out (memoised by identity)."""
    key = id(node)
    if key not in memo:
        memo[key] = 1  # a recursive alias counts once rather than looping
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(_expanded_size(item, memo) for item in node.value)
        else:
            total = 1
        memo[key] = total
    return memo[key]


def describe(exc: yaml.YAMLError) -> str:
    """What went wrong, without PyYAML's marks (whose lines count from the start of the
    text parsed, not of the file it came from: callers name the line themselves).

    >>> try:
    ...     load_yaml("a: [1")
    ... except yaml.YAMLError as exc:
    ...     describe(exc)
    "while parsing a flow sequence: expected ',' or ']', but got '<stream end>'"
    """
    problem = getattr(exc, "problem", None)
    if not problem:
        return str(exc)
    context = getattr(exc, "context", None)
    return f"{context}: {problem}" if context else str(problem)


def load_yaml(text: str) -> Any:
    """Parse one YAML document with the safe loader and the limits above.

    Raises
    ------
    yaml.YAMLError
        For text that is not YAML, or a :class:`YAMLLimitError` beyond the limits;
        both carry ``problem_mark`` (the line) where PyYAML knows it.

    Examples
    --------
    >>> load_yaml("a: &x [1, 2]\\nb: *x")
    {'a': [1, 2], 'b': [1, 2]}
    >>> load_yaml("[" * 100 + "]" * 100)
    Traceback (most recent call last):
    ...
    sbm_stats._yaml.YAMLLimitError: nested more than 64 levels deep (line 1)
    """
    loader = _LimitedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
