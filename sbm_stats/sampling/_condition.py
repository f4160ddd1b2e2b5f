"""Eligibility conditions: a small, safe language over the frame's columns.

A design file says which municipalities a stage may choose with a condition such as
``bme_children_under_18 == "yes"``. The condition is parsed here (never ``eval``-ed)
and checked against the frame's Table Schema when the design is loaded, so that an
unknown column, a misspelt answer (``"Yes"``) or a comparison of text with a number
is reported before anything is drawn.

Grammar (keywords in lower case)::

    condition  := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" or_expr ")" | comparison
    comparison := COLUMN OP literal | COLUMN ["not"] "in" "[" literal ("," literal)* "]"
    OP         := "==" | "!=" | "<" | "<=" | ">" | ">="
    literal    := a "double" or 'single' quoted string | a number

Text columns allow ``==``, ``!=`` and ``in``; for a column with an ``enum`` constraint
every literal must be one of its values. Number columns allow every operator with a
number literal.

A condition is at most :data:`MAX_LENGTH` characters long, nests ``(`` and ``not`` at most
:data:`MAX_DEPTH` deep and writes numbers with at most :data:`MAX_DIGITS` digits; beyond
that it is refused with a :class:`ConditionError` (never a ``RecursionError``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import pandas as pd

__all__ = ["Condition", "parse_condition", "ConditionError", "MAX_LENGTH", "MAX_DEPTH", "MAX_DIGITS"]

#: The longest condition accepted, in characters (a design's conditions are a line or two).
MAX_LENGTH = 2_000
#: The deepest nesting of parentheses and ``not`` accepted.
MAX_DEPTH = 32
#: The most digits a number literal may have.
MAX_DIGITS = 30


class ConditionError(ValueError):
    """A condition that does not parse or does not fit the frame; the caller adds where."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"[^"]*"|'[^']*')
      | (?P<number>[+-]?\d+(?:\.\d+)?)
      | (?P<op>==|!=|<=|>=|<|>)
      | (?P<punct>[()\[\],])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_SPACE = re.compile(r"\s*")
_KEYWORDS = {"and", "or", "not", "in"}


@dataclass(frozen=True)
class _Compare:
    column: str
    op: str
    values: tuple[Any, ...]  # one value, or the list of an ``in``


@dataclass(frozen=True)
class _Not:
    operand: "_Node"


@dataclass(frozen=True)
class _Bool:
    op: str  # "and" | "or"
    operands: tuple["_Node", ...]


_Node = Union[_Compare, _Not, _Bool]


@dataclass(frozen=True)
class Condition:
    """A parsed eligibility condition.

    Attributes
    ----------
    text : str
        The condition as written in the design file.
    columns : tuple of str
        The frame columns it reads, in order of first use.

    Examples
    --------
    >>> import pandas as pd
    >>> c = parse_condition('answer == "yes" and n >= 2')
    >>> c.columns
    ('answer', 'n')
    >>> c.evaluate(pd.DataFrame({"answer": ["yes", "no", "yes"], "n": [3, 5, 1]})).tolist()
    [True, False, False]
    """

    text: str
    tree: _Node
    columns: tuple[str, ...]

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """A boolean array, one value per row of ``frame``."""
        return np.asarray(_evaluate(self.tree, frame), dtype=bool)

    def check(self, fields: dict[str, dict]) -> None:
        """Check every column and literal against a Table Schema's fields (by name).

        Raises
        ------
        ConditionError
            Naming the column or value and what is allowed.
        """
        for node in _comparisons(self.tree):
            field = fields.get(node.column)
            if field is None:
                raise ConditionError(
                    f"unknown column {node.column!r}; the frame's columns are: {', '.join(fields)}"
                )
            kind = field.get("type", "string")
            if kind == "string":
                if node.op not in ("==", "!=", "in", "not in"):
                    raise ConditionError(
                        f"column {node.column!r} holds text: use ==, != or in, not {node.op}"
                    )
                allowed = field.get("constraints", {}).get("enum")
                for value in node.values:
                    if not isinstance(value, str):
                        raise ConditionError(
                            f"column {node.column!r} holds text: compare it with a quoted value, not {value!r}"
                        )
                    if allowed is not None and value not in allowed:
                        raise ConditionError(
                            f"value {value!r} for column {node.column!r} must be one of: "
                            + ", ".join(f'"{a}"' for a in allowed)
                        )
            elif kind in ("integer", "number"):
                for value in node.values:
                    if isinstance(value, str):
                        raise ConditionError(
                            f"column {node.column!r} holds numbers: compare it with a number, not {value!r}"
                        )
            else:
                raise ConditionError(f"column {node.column!r} has type {kind!r}, which conditions cannot use")


def parse_condition(text: Any) -> Condition:
    """Parse ``text`` into a :class:`Condition`.

    Raises
    ------
    ConditionError
        Saying where the text stops making sense.

    Examples
    --------
    >>> parse_condition('kind in ["a", "b"] or not size < 10').columns
    ('kind', 'size')
    """
    if not isinstance(text, str) or not text.strip():
        raise ConditionError(f"a condition must be non-empty text such as 'column == \"value\"', not {text!r}")
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"a condition must be at most {MAX_LENGTH} characters long; this one has "
                             f"{len(text)} (it starts {text[:40]!r})")
    tokens = _tokenize(text)
    parser = _Parser(tokens, text)
    tree = parser.parse_or()
    if parser.pos != len(tokens):
        raise ConditionError(f"unexpected {tokens[parser.pos][1]!r} in condition {text!r}")
    columns: list[str] = []
    for node in _comparisons(tree):
        if node.column not in columns:
            columns.append(node.column)
    return Condition(text=text, tree=tree, columns=tuple(columns))


def _tokenize(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        if _SPACE.match(text, pos).end() == len(text):
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise ConditionError(f"cannot read {text[pos:].strip()[:20]!r} in condition {text!r}")
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "string":
            out.append(("literal", value[1:-1]))
        elif kind == "number":
            if sum(c.isdigit() for c in value) > MAX_DIGITS:
                raise ConditionError(f"a number in a condition must have at most {MAX_DIGITS} digits; "
                                     f"found {value[:20]}... in condition {text[:80]!r}")
            out.append(("literal", float(value) if "." in value else int(value)))
        elif kind == "word" and value in _KEYWORDS:
            out.append((value, value))
        elif kind == "word" and value in ("And", "AND", "Or", "OR", "Not", "NOT", "In", "IN"):
            raise ConditionError(f"write the keyword {value!r} in lower case, in condition {text!r}")
        elif kind == "word":
            out.append(("column", value))
        else:
            out.append((value, value))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]], text: str):
        self.tokens = tokens
        self.text = text
        self.pos = 0
        self.depth = 0

    def _peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def _take(self, kind: str, what: str) -> Any:
        if self._peek() != kind:
            found = repr(self.tokens[self.pos][1]) if self.pos < len(self.tokens) else "the end"
            raise ConditionError(f"expected {what}, found {found}, in condition {self.text!r}")
        value = self.tokens[self.pos][1]
        self.pos += 1
        return value

    def parse_or(self) -> _Node:
        nodes = [self.parse_and()]
        while self._peek() == "or":
            self.pos += 1
            nodes.append(self.parse_and())
        return nodes[0] if len(nodes) == 1 else _Bool("or", tuple(nodes))

    def parse_and(self) -> _Node:
        nodes = [self.parse_not()]
        while self._peek() == "and":
            self.pos += 1
            nodes.append(self.parse_not())
        return nodes[0] if len(nodes) == 1 else _Bool("and", tuple(nodes))

    def parse_not(self) -> _Node:
        if self._peek() not in ("not", "("):
            return self.parse_comparison()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError(f"a condition may nest parentheses and 'not' at most {MAX_DEPTH} deep; "
                                 f"write it more simply: {self.text[:80]!r}")
        try:
            if self._peek() == "not":
                self.pos += 1
                return _Not(self.parse_not())
            self.pos += 1
            node = self.parse_or()
            self._take(")", "')'")
            return node
        finally:
            self.depth -= 1

    def parse_comparison(self) -> _Node:
        column = self._take("column", "a column name")
        kind = self._peek()
        if kind in ("==", "!=", "<", "<=", ">", ">="):
            self.pos += 1
            return _Compare(column, kind, (self._take("literal", "a quoted text or a number"),))
        negate = False
        if kind == "not":
            self.pos += 1
            negate = True
        self._take("in", "a comparison (==, !=, <, <=, >, >=, in)")
        self._take("[", "'[' to open the list after 'in'")
        values = [self._take("literal", "a quoted text or a number")]
        while self._peek() == ",":
            self.pos += 1
            values.append(self._take("literal", "a quoted text or a number"))
        self._take("]", "']' to close the list")
        return _Compare(column, "not in" if negate else "in", tuple(values))


def _comparisons(node: _Node):
    if isinstance(node, _Compare):
        yield node
    elif isinstance(node, _Not):
        yield from _comparisons(node.operand)
    else:
        for child in node.operands:
            yield from _comparisons(child)


def _evaluate(node: _Node, frame: pd.DataFrame) -> np.ndarray:
    if isinstance(node, _Not):
        return ~_evaluate(node.operand, frame)
    if isinstance(node, _Bool):
        parts = [_evaluate(child, frame) for child in node.operands]
        out = parts[0]
        for part in parts[1:]:
            out = (out & part) if node.op == "and" else (out | part)
        return out
    values = frame[node.column].to_numpy(dtype=object)
    if node.op in ("in", "not in"):
        hit = np.isin(values, np.array(node.values, dtype=object))
        return ~hit if node.op == "not in" else hit
    v = node.values[0]
    ops = {
        "==": lambda a: a == v,
        "!=": lambda a: a != v,
        "<": lambda a: a < v,
        "<=": lambda a: a <= v,
        ">": lambda a: a > v,
        ">=": lambda a: a >= v,
    }
    return np.array([bool(ops[node.op](a)) for a in values], dtype=bool)
