"""Provides what a trace keeps of a call that failed while tracing (a shape mismatch, an unsupported NumPy
function): the call as the trace's last node, of kind ``failed`` (``failed_params``, ``is_failure``), where its
operands stand on the user's line (``operand_spans``), and the graph the error carries (``forward_only``).

A failed node is a leaf of the walk: nothing executes it (its operands do not fit), it has no value and its
shape is unknown (recorded as ``()``).  Its ``params`` say what it was: the op (``op``), the error, and the
column span of each operand on the line.  The views draw it red, fed by its operands, with their shapes.
"""

from __future__ import annotations

import ast
import linecache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..errors import GraphstepError
    from .graph import Graph
    from .records import Node

FAILED = "failed"  # the kind of the node of a call that failed while tracing

Span = tuple[int, int]  # (first column, column after the last), 0-based characters of the source line


def failed_params(op: str, error: GraphstepError, frame, operands: int) -> dict[str, Any]:
    """The params of the failed node of ``op``: what it was, why it failed, the line as it ran and where its
    operands are written on it (``frame``: the user's frame that made the call, None when there is none)."""
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).rstrip() if frame is not None else ""
    return {"op": op, "error": error, "line": line, "spans": operand_spans(frame, operands)}


def is_failure(node: Node, error: BaseException) -> bool:
    """Whether ``node`` is the failed call that raised ``error`` (the trace's last node after a failure)."""
    return node.kind == FAILED and node.params.get("error") is error


def failed_node(graph: Graph) -> int | None:
    """The id of a partial graph's failed call (its last node), None for a graph that traced to the end."""
    last = len(graph) - 1
    return last if last >= 0 and graph.node(last).kind == FAILED else None


def forward_only(graph: Graph) -> Graph:
    """A partial graph as its walk treats it: every recorded node counts as used (what reaches an output is not
    known yet), and the walk is the forward pass only (there is no output to seed backward from)."""
    graph.feeds_output = [True] * len(graph)
    graph.backward_nodes = []
    walk = graph.walk
    walk.plans = dict.fromkeys(walk.plans, walk.plans["forward"])
    return graph


# ───────────────────────────── where the operands are written ─────────────────────────────


def operand_spans(frame, count: int) -> tuple[Span | None, ...]:
    """The columns of each of the ``count`` operands of the call ``frame`` is making, on its line: the instruction's
    source position (Python 3.11's ``co_positions``) is the failing expression, and its AST gives the operands
    (``X @ W1`` → ``X`` and ``W1``; ``np.linalg.det(W)`` → ``W``).  None for an operand it cannot place."""
    unknown = (None,) * count
    position = _position(frame)
    if position is None:
        return unknown
    line, col, end_col = position
    text = linecache.getline(frame.f_code.co_filename, line).rstrip("\n")
    if not text:  # code without a file (``exec`` of a string, ``python -c``): nothing to place the operands on
        return unknown
    encoded = text.encode("utf-8")
    try:
        expression = _parse(encoded[col:end_col].decode("utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return unknown
    parts = _operands(expression, count)
    if parts is None:
        return unknown
    chars = (lambda b: len(encoded[:b].decode("utf-8", errors="replace")))  # AST offsets count UTF-8 bytes
    return tuple(None if p is None or p.end_lineno != p.lineno or p.lineno != 1 else
                 (chars(col + p.col_offset), chars(col + p.end_col_offset)) for p in parts)


def _position(frame) -> tuple[int, int, int] | None:
    """(line, first byte, byte after the last) of the instruction ``frame`` runs, when it lies on one line."""
    if frame is None or not hasattr(frame.f_code, "co_positions"):
        return None
    try:
        line, end_line, col, end_col = list(frame.f_code.co_positions())[frame.f_lasti // 2]
    except (IndexError, ValueError):
        return None
    if line is None or col is None or end_col is None or end_line != line:
        return None
    return line, col, end_col


def _parse(source: str) -> ast.AST:
    """The expression (``X @ W1``) or statement (``z += w``) the failing instruction spans."""
    try:
        return ast.parse(source, mode="eval").body
    except SyntaxError:
        body = ast.parse(source).body
    if not body:
        raise SyntaxError(f"no statement in {source!r}")
    return body[0]


def _operands(node: ast.AST, count: int) -> list[ast.AST] | None:
    """The sub-expressions that are the call's operands, in the op's order, when there are ``count`` of them."""
    if isinstance(node, ast.BinOp):
        parts = [node.left, node.right]
    elif isinstance(node, ast.AugAssign):
        parts = [node.target, node.value]
    elif isinstance(node, ast.UnaryOp):
        parts = [node.operand]
    elif isinstance(node, (ast.Subscript, ast.Attribute)):
        parts = [node.value]
    elif isinstance(node, ast.Call):
        parts = list(node.args)
        if len(parts) == 1 and isinstance(parts[0], (ast.List, ast.Tuple)) and count > 1:  # np.stack([a, b])
            parts = list(parts[0].elts)
        if len(parts) < count and isinstance(node.func, ast.Attribute):  # t.reshape(4): the tensor comes first
            parts.insert(0, node.func.value)
    else:
        return None
    return parts if len(parts) == count else None
