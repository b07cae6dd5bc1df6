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

from ..text import summarize
from .ops import fmt_shape
from .records import BACKWARD, FORWARD, SEED
from .tracer import _term

if TYPE_CHECKING:
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
    kind, nid = st.plan[k - 1]
    found = _nonfinite(st, k, kind, nid) if st.break_on_nonfinite else None
    if found is None and st.grad_norm_limit is not None and kind == BACKWARD:
        found = _grad_norm(st, k, nid, st.grad_norm_limit)
    if found is None and kind != SEED and nid in st.breakpoints:
        found = _breakpoint(st, k, kind, nid)
    return found


def _finite(a) -> bool:
    return a is None or bool(np.isfinite(a).all())


def _nonfinite(st: Stepper, k: int, kind: str, nid: int) -> Break | None:
    graph, values = st.graph, st._values
    node = graph.node(nid)
    if kind == SEED:
        if _finite(st.seed):
            return None
        return _break(st, "nonfinite", k, nid, f"the seed d{_term(node['name'])} holds {_found(st.seed)}", "")
    inputs = st._program[nid][1]
    parts = "; ".join(_describe(f"input {graph.name_of(i)}", values[i]) for i in inputs)
    if kind == FORWARD:
        if _finite(values[nid]) or not all(_finite(values[i]) for i in inputs):
            return None
        return _break(st, "nonfinite", k, nid, f"{node['op']} gave {_found(values[nid])} of {node['name']} "
                                                f"{fmt_shape(np.shape(values[nid]))}", parts)
    bad = [(pos, target, c) for (pos, *_), (target, _, c) in zip(st._vjp_program[nid], st._history[k - 1])
           if not _finite(c)]
    if not bad or not all(_finite(a) for a in (st._grads[nid], values[nid], *(values[i] for i in inputs))):
        return None
    pos, target, c = bad[0]
    return _break(st, "nonfinite", k, nid,
                  f"backward of {node['name']} ({node['op']}) sent {_found(c)} to d{_term(graph.name_of(target))} "
                  f"{fmt_shape(np.shape(c))} by {graph.backward_rule(nid, pos)[0]}",
                  f"G {summarize(st._grads[nid])} is finite; {parts}")


def _grad_norm(st: Stepper, k: int, nid: int, limit: float) -> Break | None:
    for (pos, *_), (target, _, c) in zip(st._vjp_program[nid], st._history[k - 1]):
        norm = float(np.linalg.norm(np.ravel(c)))
        if norm > limit:
            name = st.graph.name_of(nid)
            g = float(np.linalg.norm(np.ravel(st._grads[nid])))
            return _break(st, "grad-norm", k, nid,
                          f"backward of {name} ({st.graph.node(nid)['op']}) sent d{_term(st.graph.name_of(target))} "
                          f"{fmt_shape(np.shape(c))} with norm {norm:.4g} > limit {limit:g} by "
                          f"{st.graph.backward_rule(nid, pos)[0]}", f"G at {name} has norm {g:.4g}")
    return None


def _breakpoint(st: Stepper, k: int, kind: str, nid: int) -> Break:
    node = st.graph.node(nid)
    a = st._values[nid] if kind == FORWARD else st._grads[nid]
    what = "value" if kind == FORWARD else f"gradient d{_term(node['name'])}"
    return _break(st, "breakpoint", k, nid, f"breakpoint at {node['name']} ({node['op']}) after its {kind} step",
                  f"{what} {fmt_shape(np.shape(a))} {summarize(a)}")


def _break(st: Stepper, reason: str, k: int, nid: int, head: str, detail: str) -> Break:
    """A Break whose message reads ``HEAD at file:line  code line: DETAIL``."""
    node = st.graph.node(nid)
    code = linecache.getline(node["file"], node["line"]).strip()
    where = f"{node['source']}  {code}" if code else node["source"]
    phase = FORWARD if st.plan[k - 1][0] == FORWARD else BACKWARD
    return Break(reason, k, nid, phase, f"{head} at {where}" + (f": {detail}" if detail else ""), node["source"])


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
