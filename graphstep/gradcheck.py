"""Provides ``gradcheck``: reverse-mode gradients against central differences.

Differences re-run only the part of the graph downstream of the perturbed node,
with the same executor the stepper uses; "treat it as a scalar, match the
shapes" derivations (seeds/002) are only trusted once this passes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import GraphstepError
from .graph import Graph
from .stepper import Stepper


@dataclass
class CheckResult:
    """The check of one node's gradient."""

    name: str
    node: int
    rel_error: float
    max_abs_error: float
    checked: int  # entries perturbed
    size: int  # entries in the node
    ok: bool

    def __str__(self) -> str:
        part = "" if self.checked == self.size else f" ({self.checked} of {self.size} entries)"
        mark = "✓" if self.ok else "✗ MISMATCH"
        return f"{self.name}: rel err {self.rel_error:.2e}, max abs err {self.max_abs_error:.2e}{part} {mark}"


@dataclass
class GradcheckReport:
    results: list[CheckResult]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def __str__(self) -> str:
        return "\n".join(str(r) for r in self.results)


def gradcheck(subject: Graph | Stepper, nodes=None, *, eps: float = 1e-6, tol: float = 1e-6,
              max_entries: int = 256, seed: int = 0) -> GradcheckReport:
    """Check every param's gradient (or the given nodes') by central differences."""
    stepper = subject if isinstance(subject, Stepper) else Stepper(subject)
    if stepper.mode != "reverse":
        stepper = Stepper(stepper.graph, seed=stepper.seed)
    analytic = Stepper(stepper.graph, seed=stepper.seed).run()
    graph = stepper.graph
    targets = list(graph.params.values()) if nodes is None else [graph.id(n) for n in nodes]
    for nid in targets:
        if not analytic.needs_grad[nid]:  # reverse mode computes no gradient here: nothing to compare
            node = graph.node(nid)
            raise GraphstepError(f"{node['name']} ({node['kind']}) has no gradient: no param lies upstream of it",
                                 source=node["source"], hint="check a param or a node computed from one")
    rng = np.random.default_rng(seed)
    return GradcheckReport([_check(graph, analytic, nid, eps, tol, max_entries, rng) for nid in targets])


def _check(graph: Graph, st: Stepper, nid: int, eps, tol, max_entries, rng) -> CheckResult:
    base = st.value(nid)
    grad = st.grad(nid)
    if grad is None:
        grad = np.zeros(np.shape(base))
    flat = np.arange(np.size(base))
    if flat.size > max_entries:
        flat = np.sort(rng.choice(flat.size, max_entries, replace=False))
    downstream = _downstream(graph, nid)
    numeric, analytic = np.empty(flat.size), grad.reshape(-1)[flat]
    for j, k in enumerate(flat):
        plus, minus = (_objective(graph, st, nid, base, k, d, downstream) for d in (eps, -eps))
        numeric[j] = (plus - minus) / (2 * eps)
    diff = np.abs(numeric - analytic)
    scale = max(np.linalg.norm(numeric), np.linalg.norm(analytic), 1e-12)
    rel = float(np.linalg.norm(numeric - analytic) / scale)
    return CheckResult(graph.name_of(nid), nid, rel, float(diff.max(initial=0.0)), flat.size,
                       int(np.size(base)), bool(rel <= tol or diff.max(initial=0.0) <= tol * 1e-2))


def _downstream(graph: Graph, nid: int) -> list[int]:
    affected = {nid}
    order = []
    for n in graph.order[nid + 1:]:
        op, inputs, _ = graph.program[n]
        if op is not None and any(i in affected for i in inputs):
            affected.add(n)
            order.append(n)
    return order


def _objective(graph: Graph, st: Stepper, nid: int, base, k: int, delta: float, downstream) -> float:
    """⟨seed, output⟩ with entry k of node nid moved by delta (a scalar even for vector outputs)."""
    values = {nid: base.astype(float).copy()}
    values[nid].reshape(-1)[k] += delta
    for n in downstream:
        op, inputs, kw = graph.program[n]
        xs = [values[i] if i in values else st.value(i) for i in inputs]
        with np.errstate(all="ignore"):
            values[n] = op.forward(*xs, **kw)
    out = values.get(graph.output, st.value(graph.output))
    return float(np.sum(st.seed * out))
