"""Which cells a live preview must run again after an edit, and which outputs it may keep.

``sbm-stats preview`` keeps one kernel alive across renders (``_preview.py``). After
an edit it compares the new notebook with what the kernel has run, cell by cell:

- **prose only** (every code cell and every inline expression as before; a chunk's
  ``#|`` options, such as its caption or ``echo``, may have changed): nothing runs;
  every output is the last execution's.
- **inline expressions** changed, the chunks not: only the changed inline cells run,
  in the kernel as the last run left it, *if* no chunk after such an expression binds
  or changes a name it reads or a name a chunk before it bound (then the state it sees,
  also through a function it calls, is the state it would see in a full run);
  otherwise the preview re-runs from that expression, as below.
- **a chunk** changed (or was added, removed, moved): the cells from the first changed
  chunk on run again, in the kernel as the chunks before it left it. The chunks after
  the change had run in that kernel too: the names only they bound are deleted first
  (so that a name the new code no longer defines is missing, as in a full run).

The rule that makes re-running from a chunk safe: **a chunk does not rebind, delete or
change (``x.attr = ...``, ``x[key] = ...``) a name that an earlier chunk bound**. The
preview checks it on the code (Python's ``ast``) before each partial run; where a
later chunk breaks it, or where the code cannot be read (IPython magics, ``exec``,
``eval``, ``globals()``, ``from m import *``), it restarts the kernel and runs every
cell, as Quarto's own preview always does. What the check cannot see is a change made
through a method (``frame.drop(columns=..., inplace=True)``, ``rows.append(...)``) of
an object an earlier chunk made: a document that does that shows, in the preview, the
object as the later chunks left it. ``sbm-stats render`` always runs every cell.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from nbformat import NotebookNode

from ._notebook import INLINE_MIME
from ._qmd import QmdDocument

__all__ = ["Effects", "effects", "Ran", "KernelState", "Plan", "plan_run", "state_after"]

#: Calls whose effect on the kernel's names the check cannot follow.
_OPAQUE_CALLS = frozenset({"exec", "eval", "globals", "locals", "vars", "__import__"})


@dataclass(frozen=True)
class Effects:
    """What a cell's code does to the kernel's global names, as far as its text shows.

    ``binds``: names assigned, deleted, imported or defined at the top level;
    ``changes``: names whose object is changed through an attribute or an item
    (``x.a = 1``, ``x[k] = v``, ``del x[k]``), or declared ``global`` in a function;
    ``reads``: every name loaded; ``opaque``: the code cannot be followed (not Python,
    or ``exec`` and the like).
    """

    binds: frozenset[str] = frozenset()
    changes: frozenset[str] = frozenset()
    reads: frozenset[str] = frozenset()
    opaque: bool = False


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


class _Walker(ast.NodeVisitor):
    def __init__(self) -> None:
        self.binds: set[str] = set()
        self.changes: set[str] = set()
        self.reads: set[str] = set()
        self.opaque = False
        self.local = 0  # depth of function, lambda, class and comprehension scopes

    def _scoped(self, nodes: Sequence[ast.AST]) -> None:
        self.local += 1
        for node in nodes:
            self.visit(node)
        self.local -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not self.local:
            self.binds.add(node.name)
        for item in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if item is not None:
                self.visit(item)
        self._scoped(node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not self.local:
            self.binds.add(node.name)
        for item in [*node.decorator_list, *node.bases, *node.keywords]:
            self.visit(item)
        self._scoped(node.body)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for item in [*node.args.defaults, *node.args.kw_defaults]:
            if item is not None:
                self.visit(item)
        self._scoped([node.body])

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        self.visit(node.generators[0].iter)  # evaluated in the enclosing scope
        rest: list[ast.AST] = [node.generators[0].target, *node.generators[0].ifs]
        for gen in node.generators[1:]:
            rest += [gen.target, gen.iter, *gen.ifs]
        rest += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        self._scoped(rest)

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.binds.add(node.target.id)  # binds in the enclosing function or module, even in a comprehension
        self.visit(node.value)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.reads.add(node.id)
        elif not self.local:
            self.binds.add(node.id)

    def _target(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            root = _root(target)
            if root is not None:
                self.changes.add(root)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for item in target.elts:
                self._target(item)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign | ast.AnnAssign | ast.Delete) -> None:
        for target in node.targets if isinstance(node, ast.Delete) else [node.target]:
            self._target(target)
        self.generic_visit(node)

    visit_AnnAssign = visit_Delete = visit_AugAssign

    def visit_Global(self, node: ast.Global | ast.Nonlocal) -> None:
        self.binds.update(node.names)
        self.changes.update(node.names)

    visit_Nonlocal = visit_Global

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.opaque = True
            elif not self.local:
                self.binds.add(alias.asname or alias.name.split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in _OPAQUE_CALLS:
            self.opaque = True
        if isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") and node.args:
            root = _root(node.args[0])
            if root is not None:
                self.changes.add(root)
        self.generic_visit(node)


def effects(source: str) -> Effects:
    """What ``source`` does to the kernel's global names (see :class:`Effects`).

    Examples
    --------
    >>> e = effects("import pandas as pd\\nx = 1\\nframe['a'] = [v for v in range(x)]\\ndef f(): y = 2")
    >>> sorted(e.binds), sorted(e.changes), sorted(e.reads), e.opaque
    (['f', 'pd', 'x'], ['frame'], ['frame', 'range', 'v', 'x'], False)
    >>> effects("%timeit x").opaque
    True
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return Effects(opaque=True)
    walker = _Walker()
    walker.visit(tree)
    return Effects(frozenset(walker.binds), frozenset(walker.changes), frozenset(walker.reads), walker.opaque)


def _signature(cell: NotebookNode, doc: QmdDocument, codes: dict[int, str]) -> tuple[Any, ...]:
    """What must be equal for a cell's outputs to be reused: its code and the tags that change
    how it runs. A chunk's ``#|`` lines are left out: they change how its outputs are shown
    (a caption, ``echo``), not what runs; ``eval`` makes it another kind of cell, ``error``
    a tag, ``tags: [parameters]`` moves the injected cell."""
    sbm = cell.metadata.get("sbm", {})
    tags = tuple(sorted(t for t in cell.metadata.get("tags", []) if t == "raises-exception"))
    if sbm.get("kind") == "inline":
        return ("inline", tuple(codes[i] for i in sbm.get("ids", [])))
    if sbm.get("kind") == "chunk":
        return ("chunk", doc.chunks[sbm["chunk"]].code, tags)
    return (sbm.get("kind"), cell.source, tags)


def _is_inline(cell: NotebookNode) -> bool:
    return cell.metadata.get("sbm", {}).get("kind") == "inline"


@dataclass(frozen=True)
class Ran:
    """A non-inline code cell whose effects are in the kernel: its signature, effects and executed cell.

    ``cell`` is ``None`` (and ``signature`` too) for a cell that failed part-way.
    """

    signature: tuple[Any, ...] | None
    effects: Effects
    cell: NotebookNode | None


@dataclass
class KernelState:
    """What the live kernel has run: its non-inline cells in order, and the inline cells' outputs.

    ``inline`` maps ``(number of non-inline cells before it, signature)`` to an
    executed inline cell.
    """

    ran: list[Ran] = field(default_factory=list)
    inline: dict[tuple[int, tuple[Any, ...]], NotebookNode] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """What to do for a new notebook.

    ``mode`` says it in one word: ``'all'`` (fresh kernel, every cell), ``'from'``
    (from a chunk on), ``'inline'`` (changed inline expressions only), ``'prose'``
    (no code runs). ``run`` are the indices of the cells to run; ``copy`` maps the
    index of each other code cell to the executed cell whose outputs it takes;
    ``forget`` are names to delete from the kernel first; ``reason`` is for the
    terminal.
    """

    mode: Literal["all", "from", "inline", "prose"]
    run: tuple[int, ...] = ()
    copy: dict[int, NotebookNode] = field(default_factory=dict)
    forget: tuple[str, ...] = ()
    reason: str = ""

    @property
    def restart(self) -> bool:
        return self.mode == "all"


def _everything(nb: NotebookNode, reason: str) -> Plan:
    return Plan("all", tuple(i for i, c in enumerate(nb.cells) if c.cell_type == "code"), reason=reason)


def _name(doc: QmdDocument, cell: NotebookNode | None) -> str:
    sbm = cell.metadata.get("sbm", {}) if cell is not None else {}
    if sbm.get("kind") == "chunk":
        chunk = doc.chunks[sbm["chunk"]]
        return f"{chunk.name} (line {chunk.line})"
    return "a chunk that failed" if cell is None else f"the {sbm.get('kind', 'hidden')} cell"


def plan_run(nb: NotebookNode, doc: QmdDocument, state: KernelState | None) -> Plan:  # noqa: C901
    """The cells of ``nb`` to run in a kernel that has run ``state`` (see the module docstring)."""
    if state is None:
        return _everything(nb, "a new kernel")
    codes = {e.id: e.code for e in doc.inlines}
    cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    new = [(i, c, _signature(c, doc, codes)) for i, c in cells if not _is_inline(c)]
    old = state.ran
    k = next((j for j in range(min(len(old), len(new))) if old[j].signature != new[j][2]),
             min(len(old), len(new)))
    changed = k < len(old) or k < len(new)
    start = new[k][0] if k < len(new) else len(nb.cells)
    new_effects: dict[int, Effects] = {}

    def effects_of(j: int) -> Effects:  # of the j-th new non-inline cell, worked out once
        if j not in new_effects:
            new_effects[j] = effects(new[j][1].source)
        return new_effects[j]

    copies: dict[int, NotebookNode] = {}
    late: list[int] = []
    for i, cell in cells:
        if i >= start or not _is_inline(cell):
            continue
        before = sum(1 for j, _, _ in new if j < i)
        found = state.inline.get((before, _signature(cell, doc, codes)))
        if found is not None:
            copies[i] = found
            continue
        reads = effects("\n".join(codes[n] for n in cell.metadata["sbm"]["ids"]))
        later = [r.effects for r in old[before:]] + [effects_of(j) for j in range(before, len(new))]
        touched = set().union(*(e.binds | e.changes for e in later)) if later else set()
        earlier = set().union(*(effects_of(j).binds for j in range(before))) if before else set()
        if reads.opaque or any(e.opaque for e in later) or (reads.reads | earlier) & touched:
            start, k, changed = i, before, True  # it must see the state of its place: run from there
            break
        late.append(i)
    copies = {i: c for i, c in copies.items() if i < start}
    late = [i for i in late if i < start]

    forget: set[str] = set()
    if k < len(old):
        earlier = set().union(*(effects_of(j).binds for j in range(k))) if k else set()
        for ran in old[k:]:
            clash = (ran.effects.binds | ran.effects.changes) & earlier
            if ran.effects.opaque or clash:
                what = "code it cannot follow" if ran.effects.opaque else ", ".join(sorted(clash))
                return _everything(nb, f"{_name(doc, ran.cell)} changes what an earlier chunk made ({what}): "
                                       "a fresh kernel runs every cell")
            forget |= ran.effects.binds
        forget -= earlier
    for j in range(k):
        copies[new[j][0]] = old[j].cell  # type: ignore[assignment]
    run = tuple(late) + tuple(i for i, _ in cells if i >= start)
    if changed:
        where = _name(doc, new[k][1]) if k < len(new) else "the end (chunks removed)"
        return Plan("from", run, copies, tuple(sorted(forget)), f"code changed: running from {where}")
    if late:
        return Plan("inline", run, copies, (), f"{len(late)} inline cell{'s' if len(late) > 1 else ''} changed")
    return Plan("prose", (), copies, (), "prose only: nothing runs")


def copy_outputs(nb: NotebookNode, plan: Plan) -> None:
    """Give the cells ``plan`` does not run the outputs of the cells they match (inline ids renumbered)."""
    for index, source in plan.copy.items():
        cell = nb.cells[index]
        outputs = copy.deepcopy(source.get("outputs", []))
        if _is_inline(cell):
            ids = dict(zip(source.metadata["sbm"]["ids"], cell.metadata["sbm"]["ids"]))
            for out in outputs:
                mark = out.get("data", {}).get(INLINE_MIME)
                if mark is not None:
                    mark["id"] = ids[int(mark["id"])]
        cell.outputs = outputs
        cell.execution_count = source.get("execution_count")


def _failed(cell: NotebookNode) -> bool:
    allowed = "raises-exception" in cell.metadata.get("tags", [])
    return not allowed and any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def state_after(nb: NotebookNode, doc: QmdDocument, plan: Plan, *, ok: bool) -> KernelState | None:
    """What the kernel holds after ``plan`` ran on ``nb`` (``ok``: without an error).

    After an error in a cell, the state is the cells before it (and the failed cell, as
    something that must be undone before it runs again); ``None`` when the error is not
    in a cell (a timeout, a dead kernel): the kernel must be restarted.
    """
    codes = {e.id: e.code for e in doc.inlines}
    cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    failed = None if ok else next((i for i in plan.run if _failed(nb.cells[i])), None)
    if not ok and failed is None:
        return None
    run = set(plan.run)
    first = min((i for i in plan.run if not _is_inline(nb.cells[i])), default=len(nb.cells))
    limit = len(nb.cells) if failed is None else max(failed, first)
    state = KernelState()
    before = 0
    for i, cell in cells:
        if _is_inline(cell):
            if i in plan.copy or (i in run and (failed is None or i < failed)):
                state.inline[(before, _signature(cell, doc, codes))] = cell
            continue
        if i < limit:
            state.ran.append(Ran(_signature(cell, doc, codes), effects(cell.source), cell))
        elif i == failed:
            state.ran.append(Ran(None, effects(cell.source), None))
        before += 1
    return state
