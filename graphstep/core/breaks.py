"""Provides ``Break`` and ``check_step``: when ``Stepper.resume`` stops, and the message it gives.

Three conditions, tested after each step: a breakpoint on the step's node, the
first NaN/Inf (where non-finite numbers appear, not every node they flow
through), and a gradient contribution whose norm exceeds a limit.  The message
names the node, op, source line and shapes, so the CLI and the TUI say the same.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..text import fmt_shape, summarize
from .formulas import grad_name
from .records import BACKWARD, FORWARD, SEED, Node, Sent

if TYPE_CHECKING:
    from .graph import Graph
    from .stepper import Stepper


@dataclass
class Break:
    """Why ``resume`` stopped: a breakpoint, the first NaN/Inf, or a gradient above the norm limit."""

    reason: str  # "breakpoint", "nonfinite" or "grad-norm"
    step: int  # 1-based index of the step after which it stopped
    node: int
    phase: str  # "forward" or "backward"
    message: str  # names the node, op, source line, shapes and what was found
    source: str = ""  # "file.py:LINE"

    def __str__(self) -> str:
        return self.message


def check_step(st: Stepper, index: int | None = None) -> Break | None:
    """The break condition that holds after step ``index`` (default: the last taken), or None.

    NaN/Inf rule: a step breaks where non-finite numbers first appear, not everywhere they
    flow afterwards.  Forward: the value is non-finite while every input value is finite.
    Backward: a contribution is non-finite while the incoming gradient G, the node's value
    and its inputs' values are finite.  The seed breaks when it is itself non-finite.
    """
    k = st.position if index is None else index
    if not 1 <= k <= st.position:
        return None
    kind, nid = st.step_kind(k), st.node_of(k)
    found = _nonfinite(st, k, kind, nid) if st.break_on_nonfinite else None
    if found is None and st.grad_norm_limit is not None and kind == BACKWARD:
        found = _grad_norm(st, k, nid, st.grad_norm_limit)
    if found is None and kind != SEED and nid in st.breakpoints:
        found = _breakpoint(st, k, kind, nid)
    return found


def _finite(a) -> bool:
    return a is None or bool(np.isfinite(a).all())


def _nonfinite(st: Stepper, k: int, kind: str, nid: int) -> Break | None:
    graph, node = st.graph, st.graph.node(nid)
    if kind == SEED:
        if _finite(st.seed):
            return None
        return _break(st, "nonfinite", k, nid, f"the seed {grad_name(node.name)} holds {_found(st.seed)}", "")
    xs = [st.value(i) for i in node.inputs]
    if kind == FORWARD:
        out = st.value(nid)
        if _finite(out) or not all(map(_finite, xs)):
            return None
        return _break(st, "nonfinite", k, nid, f"{node.op} gave {_found(out)} of {node.name} "
                                                f"{fmt_shape(np.shape(out))}", _inputs(graph, node, xs))
    bad = [sent for sent in st.sent(k) if not _finite(sent.grad)]
    if not bad or not all(map(_finite, (st.grad(nid), st.value(nid), *xs))):
        return None
    sent = bad[0]
    return _break(st, "nonfinite", k, nid,
                  f"backward of {node.name} ({node.op}) sent {_found(sent.grad)} to "
                  f"{grad_name(graph.name_of(sent.target))} {fmt_shape(np.shape(sent.grad))} by {_rule(st, nid, sent)}",
                  f"G {summarize(st.grad(nid))} is finite; {_inputs(graph, node, xs)}")


def _inputs(graph: Graph, node: Node, xs: list) -> str:
    """``input x (4) has min -2.1 max 2; input y ()…``: the inputs a learner checks first."""
    return "; ".join(_describe(f"input {graph.name_of(i)}", x) for i, x in zip(node.inputs, xs, strict=True))


def _grad_norm(st: Stepper, k: int, nid: int, limit: float) -> Break | None:
    for sent in st.sent(k):
        norm = float(np.linalg.norm(np.ravel(sent.grad)))
        if norm > limit:
            name = st.graph.name_of(nid)
            g = float(np.linalg.norm(np.ravel(st.grad(nid))))
            return _break(st, "grad-norm", k, nid,
                          f"backward of {name} ({st.graph.node(nid).op}) sent "
                          f"{grad_name(st.graph.name_of(sent.target))} {fmt_shape(np.shape(sent.grad))} with norm "
                          f"{norm:.4g} > limit {limit:g} by {_rule(st, nid, sent)}", f"G at {name} has norm {g:.4g}")
    return None


def _rule(st: Stepper, nid: int, sent: Sent) -> str:
    """The rule that sent a gradient: ``dW1 = Xᵀ·G``."""
    return st.graph.formulas.backward_rule(nid, sent.pos).text


def _breakpoint(st: Stepper, k: int, kind: str, nid: int) -> Break:
    node = st.graph.node(nid)
    a = st.value(nid) if kind == FORWARD else st.grad(nid)
    what = "value" if kind == FORWARD else f"gradient {grad_name(node.name)}"
    return _break(st, "breakpoint", k, nid, f"breakpoint at {node.name} ({node.op}) after its {kind} step",
                  f"{what} {fmt_shape(np.shape(a))} {summarize(a)}")


def _break(st: Stepper, reason: str, k: int, nid: int, head: str, detail: str) -> Break:
    """A Break whose message reads ``HEAD at file:line  code line: DETAIL``."""
    node = st.graph.node(nid)
    code = linecache.getline(node.file, node.line).strip()
    where = f"{node.source}  {code}" if code else node.source
    message = f"{head} at {where}" + (f": {detail}" if detail else "")
    return Break(reason, k, nid, st.phase_of(k), message, node.source)


def _found(a) -> str:
    """'nan in 1 of 4 values', 'inf …', 'nan and inf …': what a non-finite array holds."""
    a = np.asarray(a)
    nan, inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
    kinds = " and ".join(w for w, c in (("nan", nan), ("inf", inf)) if c)
    return f"{kinds} in {nan + inf} of {a.size} values" if a.ndim else kinds


def _describe(label: str, a) -> str:
    """``input x−3 (4) has min -2.1 max 2 (1 zero)``: what a learner checks first."""
    a = np.asarray(a)
    if a.size == 0:
        return f"{label} {fmt_shape(a.shape)} is empty"
    if a.size == 1:
        return f"{label} {fmt_shape(a.shape)} is {a.item():.4g}"
    if not _finite(a):
        return f"{label} {fmt_shape(a.shape)} holds {_found(a)}"
    zeros = int(np.count_nonzero(a == 0))
    extra = f" ({zeros} zero{'s' if zeros > 1 else ''})" if zeros else ""
    return f"{label} {fmt_shape(a.shape)} has min {a.min():.4g} max {a.max():.4g}{extra}"
