"""Characters no text of a data package may hold, found with the place they are in.

A data package's text reaches HTML, PDF (Typst), Word (OpenXML), CSV and the terminal.
Some characters cannot be carried by all of them and break them in different ways: NUL
and the other C0 control characters, DEL and the C1 control characters (XML 1.0 forbids the
C0 ones, a terminal obeys them: U+009B is the escape sequence introducer CSI),
U+FFFE and U+FFFF (not characters; XML forbids them) and lone surrogates (halves of a
UTF-16 pair, which no UTF-8 writer can encode: the render or the audit stopped with an
internal error). They are refused when the package is read, with the file, line and
column (a YAML file: the key path), rather than met later by a writer.

Allowed are the tab, the line feed and the carriage return (a line break in a cell, as
a spreadsheet writes it). A CSV file cannot hold a lone surrogate (it is not UTF-8);
YAML can, written as an escape in a double-quoted string (``"\\ud800"``), and so can
the other characters (``"\\0"``, ``"\\x07"``, ``"\\uFFFE"``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from .._markup import UNSAFE
from ..errors import Problem

__all__ = ["FORBIDDEN", "first_forbidden", "cell_problems", "yaml_problems", "EXPECTED"]

#: The characters refused in any text of a data package: those no output gets
#: (:data:`sbm_stats._markup.UNSAFE`, which the writers drop), so that none is dropped unseen.
FORBIDDEN = UNSAFE

#: What a problem says was expected instead.
EXPECTED = ("text without control characters (other than tab and line breaks), U+FFFE, U+FFFF or lone "
            "surrogates, which no report format can show")


def first_forbidden(text: str) -> str | None:
    """The first refused character of ``text``, described (``"U+0000 (NUL) at character 3"``), or None.

    >>> first_forbidden("Ale kommun") is None
    True
    >>> first_forbidden("a\\x1b[31m")
    'U+001B at character 2'
    >>> first_forbidden("x\\ud800")
    'U+D800 (a lone surrogate) at character 2'
    """
    found = FORBIDDEN.search(text)
    if found is None:
        return None
    char = found.group()
    code = ord(char)
    if code == 0:
        kind = " (NUL)"
    elif 0xD800 <= code <= 0xDFFF:
        kind = " (a lone surrogate)"
    elif code in (0xFFFE, 0xFFFF):
        kind = " (not a character)"
    else:
        kind = f" ({unicodedata.name(char)})" if unicodedata.name(char, "") else ""
    return f"U+{code:04X}{kind} at character {found.start() + 1}"


def _shown(text: str) -> str:
    """The text for a message: short, and printable (the refused characters escaped by ``repr``)."""
    return text if len(text) <= 60 else text[:57] + "..."


def cell_problems(header: Sequence[str], rows: Sequence[Sequence[str]], lines: Sequence[int],
                  name: str) -> list[Problem]:
    """A problem for every cell of a table's rows (as read) holding a refused character.

    The header is not looked at here: a column name with such a character is not a name
    of the table's schema, which the reader refuses first.
    """
    out: list[Problem] = []
    if not any(FORBIDDEN.search(cell) for row in rows for cell in row):  # the usual case, checked at once
        return out
    for line, row in zip(lines, rows):
        for i, cell in enumerate(row):
            where = first_forbidden(cell)
            if where is not None:
                column = header[i] if i < len(header) else f"#{i + 1}"
                out.append(Problem(name, line, column, _shown(cell), f"{EXPECTED} (found {where})"))
    return out


def yaml_problems(text: str, name: str) -> list[Problem]:
    r"""A problem for every key or string of a YAML text holding a refused character.

    Each names the line and, as its column, the key path (``claims[3].reading``). The
    text is composed with the loader's limits (:mod:`sbm_stats._yaml`); a text that is not
    YAML has no problems here (its reader reports it).

    >>> text = 'claims:\n- id: a\n  reading: "x\\0"\n'
    >>> problem = yaml_problems(text, "c.yaml")[0]
    >>> problem.line, problem.column, problem.value
    (3, 'claims[0].reading', 'x\x00')
    """
    import yaml

    from .._yaml import _LimitedLoader

    loader = _LimitedLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError:
        return []
    finally:
        loader.dispose()
    out = []
    stack: list[tuple[str, Any]] = [("", root)] if root is not None else []
    seen: set[int] = set()  # an alias is the node it names: each node once (``&a [*a]`` holds itself)
    while stack:  # a loop, not recursion
        path, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                key_text = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                here = f"{path}.{key_text}" if path else key_text
                where = first_forbidden(key_text)
                if where is not None:
                    out.append(Problem(name, key.start_mark.line + 1, path or "(top level)", _shown(key_text),
                                       f"a key of {EXPECTED} (found {where})"))
                stack.append((here, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(node.value))))
        elif isinstance(node, yaml.ScalarNode):
            where = first_forbidden(node.value)
            if where is not None:
                out.append(Problem(name, node.start_mark.line + 1, path or "(top level)", _shown(node.value),
                                   f"{EXPECTED} (found {where})"))
    return sorted(out, key=lambda p: p.line or 0)
