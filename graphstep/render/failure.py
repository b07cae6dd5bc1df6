"""Provides ``Failure``: the call that failed while tracing, as every view tells it (the message, the operands
and their shapes, the source line annotated under each operand with its shape, as tensor-sensor draws a
PyTorch error), and ``annotate``, that drawing of a line.

The TUI's inspector and the exported pictures both read a ``Failure`` (``failure_of``), so they say the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.graph import Graph
from ..core.partial import failed_node
from ..text import fmt_shape

UNDERLINE = "─"


@dataclass(frozen=True)
class Failure:
    """The failed call of a partial graph (``core.partial``), in words."""

    node: int
    name: str
    op: str  # matmul, numpy.linalg.det
    message: str  # the error as the command line prints it: where, what, which node, the hint
    reason: str  # what went wrong, alone: ``matmul cannot combine X (8×4), W1 (3×16): …``
    operands: tuple[tuple[str, tuple[int, ...]], ...]  # (name, shape) of each operand, in the call's order
    code: str  # the source line, without its indentation
    annotation: tuple[str, ...]  # ``code`` with each operand underlined and its shape below it

    @property
    def signature(self) -> str:
        """``matmul  X (8×4), W1 (3×16)``: the op and what it was given."""
        return f"{self.op}  " + ", ".join(f"{name} {fmt_shape(shape)}" for name, shape in self.operands)


def failure_of(graph: Graph) -> Failure | None:
    """The failed call of ``graph``, None for a graph that traced to the end."""
    nid = failed_node(graph)
    if nid is None:
        return None
    node = graph.node(nid)
    operands = tuple((graph.name_of(i), graph.shape_of(i)) for i in node.inputs)
    line = node.params["line"]  # as it ran: the file may have changed since
    indent = len(line) - len(line.lstrip())
    marks = [(start - indent, end - indent, shape_label(shape))
             for span, (_, shape) in zip(node.params["spans"], operands, strict=True) if span is not None
             for start, end in [span]]
    code = line.strip()
    error = node.params["error"]
    return Failure(nid, node.name, node.params["op"], error.summary(), error.message, operands, code,
                   tuple(annotate(code, marks)) if code else ())


def failure_note(graph: Graph) -> str:
    """What a picture says under its title when ``graph`` ends at a failed call ("" when it does not)."""
    nid = failed_node(graph)
    if nid is None:
        return ""
    node = graph.node(nid)
    return f"the trace stopped at {node.source}: {node.params['error'].message} (in red)"


def shape_label(shape: tuple[int, ...]) -> str:
    """``8×4`` under an operand (a scalar: ``()``)."""
    return "×".join(map(str, shape)) or "()"


def annotate(code: str, marks: list[tuple[int, int, str]]) -> list[str]:
    """``code`` with each mark's columns underlined and its label centred below, labels that would touch moved
    to a row of their own::

        Z1 = X @ W1 + b1
             ─   ──
            8×4 3×16
    """
    if not marks:
        return [code]
    under = [" "] * max(end for _, end, _ in marks)
    for start, end, _ in marks:
        under[start:end] = UNDERLINE * (end - start)
    rows: list[str] = []
    for start, end, label in sorted(marks):
        at = max(0, start + (end - start - len(label)) // 2)
        free = next((k for k, row in enumerate(rows) if len(row) < at), None)  # a space between two labels
        if free is None:
            rows.append(" " * at + label)
        else:
            rows[free] = rows[free].ljust(at) + label
    return [code, "".join(under).rstrip(), *rows]
