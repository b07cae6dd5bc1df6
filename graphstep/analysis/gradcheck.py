"""Provides ``gradcheck``: reverse-mode gradients against central differences.

"Treat it as a scalar, match the shapes" derivations (seeds/002) are only trusted
once this passes.  Each difference moves one entry of a param by ±eps and re-runs
only the forward ops downstream of it (never the backward), with the op table's
forwards.  That costs a forward pass per entry, so by default a seeded random
sample of ``ENTRIES`` entries of each param is checked, and a graph of thousands of
nodes is checked within a ``BUDGET`` of op evaluations (fewer entries per param,
then a seeded sample of params); ``entries="all"`` checks every entry of every
param.  The report says what was checked.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from ..core.graph import Graph
from ..core.stepper import Stepper
from ..core.work import Progress, Work
from ..errors import GraphstepError

ENTRIES = 24  # entries of each param checked by default: a seeded random sample
BUDGET = 2_000_000  # op evaluations a default check may take (a few seconds); entries="all" has no limit
TOL = 1e-6  # relative error allowed for a float64 gradient


@dataclass
class CheckResult:
    """The check of one node's gradient at the ``entries`` (flat indices) that were perturbed."""

    name: str
    node: int
    rel_error: float
    max_abs_error: float
    checked: int  # entries perturbed
    size: int  # entries in the node
    ok: bool
    entries: tuple[int, ...] = ()  # flat indices of the entries checked, in order
    worst: tuple[int, ...] | None = None  # index of the entry with the largest error (None for a scalar)

    def __str__(self) -> str:
        part = "" if self.checked == self.size else f" ({self.checked} of {self.size} entries)"
        at = f" at {self.name}[{', '.join(map(str, self.worst))}]" if self.worst and not self.ok else ""
        mark = "✓" if self.ok else "✗ MISMATCH"
        return f"{self.name}: rel err {self.rel_error:.2e}, max abs err {self.max_abs_error:.2e}{at}{part} {mark}"


@dataclass
class GradcheckReport:
    """Per node checked its result; ``skipped`` names the params a budgeted check left out."""

    results: list[CheckResult]
    skipped: list[str] = field(default_factory=list)
    total: int = 0  # entries in every node asked for, checked or not

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def sampled(self) -> bool:
        """Some entries (or params) were left out."""
        return self.checked < self.total

    @property
    def checked(self) -> int:
        return sum(r.checked for r in self.results)

    def coverage(self) -> str:
        """What was checked, e.g. ``checked 96 of 1,234 entries (a seeded sample, at most 24 per param)``."""
        if not self.sampled:
            return f"checked every entry ({self.total:,})"
        per = max((r.checked for r in self.results), default=0)
        text = f"checked {self.checked:,} of {self.total:,} entries (a seeded random sample, at most {per} per param)"
        if self.skipped:
            text += (f"; {len(self.skipped):,} of {len(self.skipped) + len(self.results):,} params not checked, "
                     "to keep the check to a few seconds")
        return text

    def __str__(self) -> str:
        return "\n".join([*(str(r) for r in self.results), self.coverage()])


def gradcheck(subject: Graph | Stepper, nodes=None, *, entries: int | str = ENTRIES, eps: float = 1e-6,
              tol: float | None = None, seed: int = 0, budget: int | None = BUDGET, progress: Progress | None = None,
              cancel: threading.Event | None = None, max_entries: int | None = None) -> GradcheckReport:
    """Check every param's gradient (or the given nodes') by central differences.

    ``entries``: how many entries of each node to check (a random sample drawn with
    ``seed``), or ``"all"``; ``budget`` caps the op evaluations of a sampled check
    (None: no cap); ``tol``: the relative error allowed (default ``TOL``, looser for
    a float32 gradient, which carries float32's rounding).  ``progress(done, total,
    name)`` is called after each entry; setting ``cancel`` stops the check there with
    ``Cancelled``.  ``max_entries`` is the old name of ``entries``.
    """
    entries = max_entries if max_entries is not None else entries
    graph, output_seed = (subject.graph, subject.seed) if isinstance(subject, Stepper) else (subject, None)
    analytic = Stepper(graph, seed=output_seed).run()  # reverse mode, whatever the mode of the stepper given
    targets = list(graph.params.values()) if nodes is None else [graph.id(n) for n in nodes]
    for nid in targets:
        if not analytic.needs_grad[nid]:  # reverse mode computes no gradient here: nothing to compare
            node = graph.node(nid)
            raise GraphstepError(f"{node.name} ({node.kind}) has no gradient: no param lies upstream of it",
                                 source=node.source, hint="check a param or a node computed from one")
    forward = _Forward(graph, analytic)
    plan, skipped = _plan(forward, targets, entries, budget, np.random.default_rng(seed))
    work = Work("gradient check", sum(len(flat) for flat in plan.values()), progress, cancel)
    work.check()
    with np.errstate(all="ignore"):  # a NaN difference is a failed check, not a warning
        results = [_check(forward, analytic, nid, flat, eps, tol, work) for nid, flat in plan.items()]
    total = sum(int(np.prod(graph.node(n).shape, dtype=int)) for n in targets)
    return GradcheckReport(results, [graph.name_of(n) for n in skipped], total)


class _Forward:
    """The forward program of a run, re-run downstream of one node whose value is changed."""

    def __init__(self, graph: Graph, st: Stepper) -> None:
        self.graph, self.seed = graph, st.seed
        self.values = [st.value(n) for n in range(len(graph))]
        # op nodes after each node that lead to the output: a cheap bound on the ops one of its differences re-runs
        feeds = graph.feeds_output
        self.later = np.cumsum([feeds[n] and graph.program[n][0] is not None for n in reversed(graph.order)])[::-1]

    def cost(self, nid: int) -> int:
        """Op evaluations of one central difference of an entry of ``nid`` (at most)."""
        return 2 * int(self.later[nid + 1]) if nid + 1 < len(self.later) else 0

    def suffix(self, nid: int) -> list[tuple]:
        """(forward, input ids, params, node) of each op between ``nid`` and the output, in execution order."""
        graph, feeds = self.graph, self.graph.feeds_output
        reached, todo = {nid}, [nid]
        while todo:
            for c in graph.consumers[todo.pop()]:
                if c not in reached and feeds[c]:
                    reached.add(c)
                    todo.append(c)
        reached.discard(nid)
        return [(graph.program[n][0].forward, graph.program[n][1], graph.program[n][2], n) for n in sorted(reached)]

    def objective(self, values: list, suffix: list[tuple]) -> float:
        """⟨seed, output⟩ after re-running ``suffix`` on ``values``: a scalar even for a vector output."""
        for forward, inputs, kw, n in suffix:
            values[n] = forward(*[values[i] for i in inputs], **kw)
        return float(np.sum(self.seed * values[self.graph.output]))


def _plan(forward: _Forward, targets: list[int], entries: int | str, budget: int | None,
          rng: np.random.Generator) -> tuple[dict[int, np.ndarray], list[int]]:
    """Per node the flat indices to check, and the nodes left out: ``entries`` of each node within ``budget``."""
    sizes = {nid: int(np.prod(forward.graph.node(nid).shape, dtype=int)) for nid in targets}
    if entries == "all":
        return {nid: np.arange(sizes[nid]) for nid in targets}, []
    if not isinstance(entries, (int, np.integer)) or isinstance(entries, bool) or entries < 1:
        raise GraphstepError(f"entries must be a positive number or 'all', not {entries!r}")
    costs = {nid: max(forward.cost(nid), 1) for nid in targets}

    def spent(k: int) -> int:
        return sum(min(k, sizes[nid]) * costs[nid] for nid in targets)

    per = int(entries)
    if budget is not None and spent(per) > budget:  # fewer entries of each param, down to one
        per = max((k for k in range(1, per) if spent(k) <= budget), default=0)
    chosen, skipped = list(targets), []
    if per == 0:  # not even one entry each: one entry of each param of a seeded sample that fits
        per, chosen, left = 1, [], budget
        for k in rng.permutation(len(targets)):
            nid = targets[k]
            if costs[nid] <= left or not sizes[nid]:
                chosen.append(nid)
                left -= costs[nid] if sizes[nid] else 0
            else:
                skipped.append(nid)
        position = {nid: k for k, nid in enumerate(targets)}
        chosen.sort(key=position.get)
        skipped.sort(key=position.get)
    return {nid: _sample(sizes[nid], per, rng) for nid in chosen}, skipped


def _sample(size: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` flat indices of ``size`` entries, sorted (all of them when k ≥ size)."""
    return np.arange(size) if size <= k else np.sort(rng.choice(size, k, replace=False))


def _check(forward: _Forward, st: Stepper, nid: int, flat: np.ndarray, eps: float, tol: float,
           work: Work) -> CheckResult:
    graph = forward.graph
    base = np.asarray(st.value(nid))
    grad = st.grad(nid)
    grad = np.zeros(base.shape) if grad is None else grad
    analytic = grad.reshape(-1)[flat]
    moved = base.astype(float)  # differences in float64, whatever the param's dtype
    values, suffix = list(forward.values), forward.suffix(nid)
    values[nid] = moved
    numeric = np.empty(flat.size)
    for j, k in enumerate(flat):
        was = moved.flat[k]
        moved.flat[k] = was + eps
        plus = forward.objective(values, suffix)
        moved.flat[k] = was - eps
        minus = forward.objective(values, suffix)
        moved.flat[k] = was
        numeric[j] = (plus - minus) / (2 * eps)
        work.advance(graph.name_of(nid))
    diff = np.abs(numeric - analytic)
    # errors relative to the gradient's size: over a sample, the norm a sample of its size would have
    whole = np.linalg.norm(grad) * np.sqrt(flat.size / base.size) if base.size else 0.0
    scale = max(np.linalg.norm(numeric), np.linalg.norm(analytic), whole, 1e-12)
    rel = float(np.linalg.norm(numeric - analytic) / scale)
    worst = diff.max(initial=0.0)
    if tol is None:  # a float32 gradient is only as exact as float32: about 1e-4 after a few ops
        tol = max(TOL, 1e3 * float(np.finfo(grad.dtype).eps)) if grad.dtype.kind == "f" else TOL
    ok = bool(rel <= tol or worst <= tol * 1e-2)
    at = tuple(int(i) for i in np.unravel_index(flat[int(np.nanargmax(diff))], base.shape)) if (
        base.ndim and flat.size and not np.isnan(diff).all()) else None
    return CheckResult(graph.name_of(nid), nid, rel, float(worst), int(flat.size), int(base.size), ok,
                       tuple(int(k) for k in flat), at)
