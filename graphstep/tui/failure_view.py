"""Provides what the TUI says of a call that failed while tracing (``core.partial``): the inspector's rows for
the red node (the message, the operands and their shapes, the line annotated under each operand with its shape,
what to do next) and the graph view's title while the graph shown ends at it."""

from __future__ import annotations

from ..render.failure import failure_of
from .session import Session

NEXT = "fix the file, then press l to reload · n p f step through what was recorded before it"


def failure_rows(session: Session) -> tuple[str, list[tuple[str, str]]]:
    """(title, rows) for the inspector (``Inspector.show_rows``) on the failed node."""
    failure = failure_of(session.graph)
    error = session.failure
    rows = [("failed", error.message), ("call", failure.signature)]
    if failure.annotation:
        rows.append(("line", "\n".join(failure.annotation)))
    if error.hint:
        rows.append(("hint", error.hint))
    rows.append(("", NEXT))
    where = session.graph.node(failure.node).source
    return f"{failure.name} · {failure.op} failed · {where}", rows


def failed_title(session: Session) -> str:
    """`` · stopped at Z1 (matmul failed)``: said after the graph view's title while the graph ends at a failure."""
    if session.failed is None:
        return ""
    node = session.graph.node(session.failed)
    return f" · stopped at {node.name} ({node.params['op']} failed)"


def whole_graph_needed(session: Session, what: str) -> str:
    """Why ``what`` (a gradient check) cannot run on a graph that ends at a failed call; "" when it can."""
    if session.failed is None:
        return ""
    name = session.graph.name_of(session.failed)
    return f"the file stops at {name}, so there are no gradients for {what}: fix it, then press l to reload"
