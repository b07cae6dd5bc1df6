"""Provides ``per_sample_gradients``: one gradient per row of the batch, against the batch gradient.

seeds/000: with a loss that averages over the batch, the batch gradient is the
mean of the per-sample gradients.  Each sample's gradient comes from re-running
the same graph with every batched ``gs.input`` cut to that one row (the batch
axis kept, so shapes stay (1, …)), with the same executor the stepper uses.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .errors import GraphstepError
from .graph import Graph
from .ops import fmt_shape
from .stepper import Stepper, summarize

SHOWN = 8  # per-sample rows printed before the table elides the middle


@dataclass
class PerSample:
    """Per-sample gradients of one param, their mean, and the batch gradient they should average to."""

    param: str
    n: int
    grads: np.ndarray  # (n, *param.shape)
    batch: np.ndarray
    rows_of: tuple[str, ...] = ()  # the inputs cut to one row
    notes: list[str] = field(default_factory=list)

    @property
    def mean(self) -> np.ndarray:
        return self.grads.mean(axis=0)

    @property
    def max_abs_diff(self) -> float:
        """max |mean of per-sample − batch|."""
        return float(np.max(np.abs(self.mean - self.batch), initial=0.0))

    @property
    def ok(self) -> bool:
        """The batch gradient is the mean of the per-sample gradients (a loss averaged over the batch)."""
        return _close(self.mean, self.batch)

    @property
    def ratio(self) -> float:
        """batch ≈ ratio · mean (least squares): 1 for a mean loss, n for a sum."""
        m, b = np.ravel(self.mean), np.ravel(self.batch)
        denom = float(m @ m)
        return float(m @ b) / denom if denom else float("nan")

    @property
    def kind(self) -> str:
        """'mean', 'sum' (batch = n · mean: the loss adds samples up) or 'other' (samples interact)."""
        if self.ok:
            return "mean"
        return "sum" if _close(self.n * self.mean, self.batch) else "other"

    def lines(self) -> list[str]:
        """A short table: the per-sample rows (the middle elided when long), mean, batch, and the verdict."""
        shape = fmt_shape(self.batch.shape)
        rows = f" (rows of {', '.join(self.rows_of)})" if self.rows_of else ""
        out = [f"per-sample gradients of {self.param} {shape}, n = {self.n}{rows}"]
        shown = range(self.n) if self.n <= SHOWN else [*range(SHOWN - 2), None, self.n - 1]
        for r in shown:
            if r is None:
                out.append(f"  {'…':<20} {self.n - SHOWN + 1} more")
            else:
                g = self.grads[r]
                out.append(f"  {f'sample {r}':<20} {summarize(g):<44} ‖g‖ {np.linalg.norm(np.ravel(g)):.4g}")
        out.append(f"  {'mean of per-sample':<20} {summarize(self.mean)}")
        out.append(f"  {'batch gradient':<20} {summarize(self.batch)}")
        out.append(f"  {'max |mean − batch|':<20} {self.max_abs_diff:.3g}")
        out.append(self.verdict())
        return out + [f"note: {note}" for note in self.notes]

    def verdict(self) -> str:
        if self.kind == "mean":
            return "✓ the batch gradient is the mean of the per-sample gradients (the loss averages over the batch)"
        if self.kind == "sum":
            return (f"✗ batch = {self.n} × mean: the batch gradient is the sum of the per-sample gradients, so the "
                    "loss sums over the batch (or divides by a batch size fixed as a constant) instead of averaging")
        return (f"✗ the batch gradient is neither the mean nor the sum of the per-sample gradients "
                f"(batch ≈ {self.ratio:.3g} × mean): the samples interact in the loss")

    def __str__(self) -> str:
        return "\n".join(self.lines())


def per_sample_gradients(graph: Graph, param: str | int, n: int | None = None) -> PerSample:
    """The gradient of ``param`` for each sample of the batch (n: the batch size, found from the inputs)."""
    pid = param_id(graph, param)
    out = graph.node(graph.output)
    if out["shape"] != ():
        raise GraphstepError(f"per-sample gradients need a scalar loss; {out['name']} is {fmt_shape(out['shape'])}",
                             source=out["source"])
    n = batch_size(graph) if n is None else n
    batched = [i for i in graph.inputs.values() if graph.node(i)["shape"][:1] == (n,)]
    batch = Stepper(graph).run().grad(pid)
    grads = np.stack([_one_sample(graph, pid, batched, r) for r in range(n)])
    return PerSample(graph.name_of(pid), n, grads, batch, tuple(graph.name_of(i) for i in batched),
                     _notes(graph, n))


def param_id(graph: Graph, param: str | int) -> int:
    """The id of a param given by name or id; anything else is the user's error, naming the params."""
    nid = graph.ids.get(param) if isinstance(param, str) else param
    if nid is None or not 0 <= nid < len(graph) or graph.node(nid)["kind"] != "param":
        raise GraphstepError(f"{param!r} is not a param of {graph.name or 'the graph'}",
                             hint=f"params: {', '.join(graph.params) or 'none'}")
    return nid


def batch_size(graph: Graph) -> int:
    """The leading dimension the inputs share; when they disagree, the most common one above 1."""
    dims = [graph.node(i)["shape"][0] for i in graph.inputs.values() if graph.node(i)["shape"]]
    if dims and len(set(dims)) == 1:
        return dims[0]
    counts = Counter(d for d in dims if d > 1)
    if not counts:
        raise GraphstepError("no batch to split: per-sample gradients need gs.input arrays whose first axis "
                             "is the batch", hint="inputs: " + (", ".join(
                                 f"{k} {fmt_shape(graph.node(i)['shape'])}" for k, i in graph.inputs.items())
                                 or "none"))
    return max(counts, key=lambda d: (counts[d], d))


def _one_sample(graph: Graph, pid: int, batched: list[int], r: int) -> np.ndarray:
    st = Stepper(graph, values={i: graph.leaf_values[i][r:r + 1] for i in batched})
    try:
        st.run()
    except Exception as err:  # an op whose arguments were fixed for the whole batch
        kind, nid = st.plan[st.position]
        node = graph.node(nid)
        raise GraphstepError(f"re-running {node['name']} ({node['op']}, {kind}) on sample {r} alone failed: {err}",
                             source=node["source"], node=node["name"],
                             hint="an op whose arguments depend on the batch size (a reshape to (n, …), say) "
                                  "cannot be re-run one sample at a time") from None
    g = st.grad(pid)
    return np.zeros(graph.node(pid)["shape"]) if g is None else g


def _notes(graph: Graph, n: int) -> list[str]:
    """Constants with a batch-sized first axis are not cut, which can mix samples."""
    return [f"constant {graph.name_of(i)} {fmt_shape(graph.node(i)['shape'])} has a first axis of {n} "
            "but is not cut per sample (only gs.input arrays are)"
            for i in graph.leaf_values if graph.node(i)["kind"] == "const" and graph.node(i)["shape"][:1] == (n,)]


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))
