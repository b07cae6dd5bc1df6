"""Provides ``find_nodes`` and ``next_match``: find nodes of a traced graph by name, op, kind or source line.

A query is one or more words, all of which a node must match (case-insensitive;
``-`` also finds the ``−`` of automatic names such as ``Z2−y``):

========================  ===================================================
``W1``                    the name contains ``w1``, or the op or kind is ``w1``
``matmul`` / ``param``    (so a bare op or kind name finds those nodes too)
``name:Z``                the name contains ``z`` (names only)
``op:matmul``             the op is ``matmul``
``kind:input``            the kind is ``input`` (param, input, const, op)
``line:14``               the node was recorded on line 14 (of any file)
``mlp.py:14``             line 14 of a file whose path ends in ``mlp.py``
========================  ===================================================

Matches come back in execution order, not ranked: an exact name is not moved
first, so stepping through the matches follows the walk the stepper takes.
The index is built once per graph (held weakly, so it goes with the graph) and
a query at 10,000 nodes is a scan of one list of names or a dictionary lookup.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from ..core.graph import Graph
from ..core.heap import paused_gc

_INDEXES: WeakKeyDictionary[Graph, _Index] = WeakKeyDictionary()


@dataclass
class _Index:
    """Per graph: lower-cased names in execution order, and node lists by op, kind, line and source."""

    order: list[int]
    names: list[str]
    ops: list[str]
    kinds: list[str]
    by_op: dict[str, list[int]] = field(default_factory=dict)
    by_kind: dict[str, list[int]] = field(default_factory=dict)
    by_line: dict[int, list[int]] = field(default_factory=dict)
    by_source: dict[str, list[int]] = field(default_factory=dict)


def find_nodes(graph: Graph, query: str) -> list[int]:
    """Ids of the nodes matching every word of ``query``, in execution order (see the module docstring)."""
    index = _index(graph)
    found: list[int] | None = None
    for word in _fold(query).split():
        hits = _match(index, word)
        if found is not None:
            keep = set(hits)
            hits = [n for n in found if n in keep]
        found = hits
        if not found:
            return []
    return found or []


def next_match(matches: Sequence[int], current: int | None, direction: int = 1) -> int | None:
    """The match after (``direction`` > 0) or before ``current`` in execution order, wrapping around.

    ``matches`` are node ids in execution order, as ``find_nodes`` gives them;
    node ids are in execution order too (a graph records each op after its
    inputs), so ``current`` need not be a match itself.  None when there are
    no matches; the first (or last) match when ``current`` is None.
    """
    if not matches:
        return None
    if current is None:
        return matches[0] if direction > 0 else matches[-1]
    if direction > 0:
        k = bisect_right(matches, current)
        return matches[k % len(matches)]
    k = bisect_left(matches, current) - 1
    return matches[k]  # -1 wraps to the last


def _index(graph: Graph) -> _Index:
    """The graph's index, built on first use."""
    index = _INDEXES.get(graph)
    if index is None:
        index = _INDEXES[graph] = _build(graph)
    return index


@paused_gc()  # 100,000 names and lists: the collector would walk the whole graph for nothing
def _build(graph: Graph) -> _Index:
    order = list(graph.order)
    nodes = [graph.node(n) for n in order]
    index = _Index(order, [_fold(d.name) for d in nodes], [(d.op or "").lower() for d in nodes],
                   [d.kind for d in nodes])
    for n, d in zip(order, nodes):
        if d.op:
            index.by_op.setdefault(d.op.lower(), []).append(n)
        index.by_kind.setdefault(d.kind, []).append(n)
        index.by_line.setdefault(d.line, []).append(n)
        index.by_source.setdefault(d.source.lower(), []).append(n)
    return index


def _fold(text: str) -> str:
    """Lower case, with the minus sign of automatic names (``Z2−y``) typed as ``-``."""
    return text.lower().replace("−", "-")


def _match(index: _Index, word: str) -> list[int]:
    """The nodes one word of a query matches, in execution order."""
    key, sep, value = word.partition(":")
    if sep and key == "op":
        return index.by_op.get(value, [])
    if sep and key == "kind":
        return index.by_kind.get(value, [])
    if sep and key == "name":
        return [n for n, name in zip(index.order, index.names) if value in name]
    if sep and key == "line" and value.isdigit():
        return index.by_line.get(int(value), [])
    path, sep, line = word.rpartition(":")
    if sep and path and line.isdigit():
        return _at_source(index, path, line)
    return [n for n, name, op, kind in zip(index.order, index.names, index.ops, index.kinds)
            if word in name or word in (op, kind)]


def _at_source(index: _Index, path: str, line: str) -> list[int]:
    """Nodes recorded at ``path:line``, where the recorded path equals ``path`` or ends in ``/path``."""
    want, tail = f"{path}:{line}", f"/{path}:{line}"
    sources = [s for s in index.by_source if s == want or s.endswith(tail)]
    if len(sources) == 1:
        return index.by_source[sources[0]]
    members = {n for s in sources for n in index.by_source[s]}
    return [n for n in index.order if n in members]
