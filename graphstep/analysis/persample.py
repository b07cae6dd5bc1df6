"""Provides ``per_sample_gradients``: one gradient per row of the batch, against the batch gradient.

seeds/000: with a loss that averages over the batch, the batch gradient is the
mean of the per-sample gradients.  Each sample's gradient comes from re-running
the same graph, with the same executor the stepper uses, on that sample alone
(the batch axis kept, so shapes stay (1, …)):

* its data is cut to its row: every ``gs.input`` and constant whose first axis
  is the batch (one-hot labels, masks made with NumPy);
* an index that runs along the batch is cut with it: in ``logp[np.arange(N), y]``
  the one-row ``logp`` is indexed by ``[0], [y_r]``; an index array whose first
  axis is the batch (``scores[:, y]``) keeps its entry r;
* a reshape to ``(N, …)`` of a batch-first array becomes ``(1, …)``, and to
  ``(…, N)`` of a batch-last one (im2col's columns) ``(…, 1)``;
* a division by the batch size written as a constant (``np.sum(m) / num_train``)
  divides by 1, when that makes the batch gradient the mean of the samples'.

The graph is never changed: the Stepper takes the cut leaf values and op params.
When the batch gradient is not the mean of the per-sample ones, each sample's
forward values are compared with the batch's node by node: the first node that
disagrees is where the samples interact (a batch-norm statistic, a softmax over
axis 0, a max over the batch), and the report names it with its line.
"""

from __future__ import annotations

import threading
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..core.graph import Graph
from ..core.stepper import Stepper
from ..core.work import Progress, Work
from ..errors import GraphstepError
from ..text import fmt_shape, summarize

SHOWN = 8  # per-sample rows printed before the table elides the middle
INDEXED = ("getitem", "setitem")  # ops whose ``index`` param addresses the axes of their first input


@dataclass(frozen=True)
class Interaction:
    """The first node whose value for one sample alone disagrees with the batch's: where the samples interact."""

    node: int
    name: str
    op: str
    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name} ({self.op}, {self.source}): {self.reason}"


@dataclass
class PerSample:
    """Per-sample gradients of one param, their mean, and the batch gradient they should average to."""

    param: str
    n: int
    grads: np.ndarray  # (n, *param.shape)
    batch: np.ndarray
    rows_of: tuple[str, ...] = ()  # the inputs cut to one row
    notes: list[str] = field(default_factory=list)
    interaction: Interaction | None = None  # found when the samples interact (kind "other")

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
        if self.interaction is not None:
            out.append(f"  samples first interact at {self.interaction}")
        return out + [f"note: {note}" for note in self.notes]

    def verdict(self) -> str:
        if self.kind == "mean":
            return "✓ the batch gradient is the mean of the per-sample gradients (the loss averages over the batch)"
        if self.kind == "sum":
            return (f"✗ batch = {self.n} × mean: the batch gradient is the sum of the per-sample gradients, so the "
                    "loss sums over the batch (or divides by a batch size fixed as a constant) instead of averaging")
        ratio = f" (batch ≈ {self.ratio:.3g} × mean)" if np.isfinite(self.ratio) else ""
        return (f"✗ the batch gradient is neither the mean nor the sum of the per-sample gradients{ratio}: "
                "the samples interact in the loss")

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass
class _Cut:
    """What sample r alone runs on: leaf values and op params that replace the traced ones."""

    values: dict[int, np.ndarray]
    params: dict[int, dict]


class _UncuttableError(Exception):
    """An op whose arguments reach across the batch, so it has no one-sample version."""


def per_sample_gradients(graph: Graph, param: str | int, n: int | None = None, *, progress: Progress | None = None,
                         cancel: threading.Event | None = None) -> PerSample:
    """The gradient of ``param`` for each sample of the batch (n: the batch size, found from the inputs).

    ``progress(done, total, what)`` is called after each sample's re-run (``total`` grows when a second
    pass is needed); setting ``cancel`` stops at the next sample with ``Cancelled``.
    """
    pid = param_id(graph, param)
    out = graph.node(graph.output)
    if out.shape != ():
        raise GraphstepError(f"per-sample gradients need a scalar loss; {out.name} is {fmt_shape(out.shape)}",
                             source=out.source)
    n = batch_size(graph) if n is None else n
    with warnings.catch_warnings():  # one sample alone may average nothing or have no spread: the verdict says so
        warnings.simplefilter("ignore", RuntimeWarning)
        return _per_sample_report(graph, pid, n, Work("per-sample gradients", n, progress, cancel))


def _per_sample_report(graph: Graph, pid: int, n: int, work: Work) -> PerSample:
    """Per-sample gradients as the code is written, or with its batch size written as a number set to 1 when that
    makes the batch gradient their mean; where the samples interact when neither is a mean."""
    data = data_leaves(graph, n)
    batch_run = Stepper(graph).run()
    batch = _grad(graph, batch_run, pid)
    divisors = batch_divisors(graph, n)
    if divisors:  # one sample's loss as its code computes it for a batch of one: ÷ 1
        ones = {i: np.sign(graph.leaf_values[i]).astype(float) for i in divisors}  # ±n and ±1/n become ±1
        result, cuts = _per_sample(graph, pid, n, data, batch, ones, work)
        if result.kind == "mean":
            result.notes += [f"{graph.name_of(c)} ({graph.node(c).op}, {graph.node(c).source}) divides by the "
                             f"batch size {n} written as a number: for one sample alone it is 1"
                             for c in dict.fromkeys(divisors.values())]
            return result
    result, cuts = _per_sample(graph, pid, n, data, batch, {}, work)
    if result.kind == "other":
        result.interaction = interaction(graph, batch_run, cuts, work)
    return result


def param_id(graph: Graph, param: str | int) -> int:
    """The id of a param given by name or id; anything else is the user's error, naming the params."""
    nid = graph.ids.get(param) if isinstance(param, str) else param
    if nid is None or not 0 <= nid < len(graph) or graph.node(nid).kind != "param":
        raise GraphstepError(f"{param!r} is not a param of {graph.name or 'the graph'}",
                             hint=f"params: {', '.join(graph.params) or 'none'}")
    return nid


def batch_size(graph: Graph) -> int:
    """The leading dimension the inputs share; when they disagree, the most common one above 1."""
    dims = [graph.node(i).shape[0] for i in graph.inputs.values() if graph.node(i).shape]
    if dims and len(set(dims)) == 1:
        return dims[0]
    counts = Counter(d for d in dims if d > 1)
    if not counts:
        raise GraphstepError("no batch to split: per-sample gradients need gs.input arrays whose first axis "
                             "is the batch", hint="inputs: " + (", ".join(
                                 f"{k} {fmt_shape(graph.node(i).shape)}" for k, i in graph.inputs.items())
                                 or "none"))
    return max(counts, key=lambda d: (counts[d], d))


def data_leaves(graph: Graph, n: int) -> list[int]:
    """The leaves each sample owns a row of: gs.input arrays and constants whose first axis is the batch."""
    return [i for i in graph.leaf_values if graph.node(i).kind != "param" and graph.node(i).shape[:1] == (n,)]


def batch_divisors(graph: Graph, n: int) -> dict[int, int]:
    """Scalar constants that divide by the batch size (``/ num_train``, ``-1 / m * …``): const id → its op node."""
    found = {}
    for i, value in graph.leaf_values.items():
        if graph.node(i).kind != "const" or np.shape(value) != () or value.dtype.kind not in "iuf":
            continue
        for c in graph.consumers[i]:
            op, inputs, _ = graph.program[c]
            if (op.name == "divide" and inputs[1] == i and abs(value) == n) or (
                    op.name == "multiply" and np.isclose(abs(value), 1 / n, rtol=1e-12, atol=0)):
                found[i] = c
    return found


def _per_sample(graph: Graph, pid: int, n: int, data: list[int], batch: np.ndarray,
                fixed: dict, work: Work) -> tuple[PerSample, list[_Cut]]:
    work.total = max(work.total, work.done + n)
    work.check()
    cuts = [_cut(graph, n, r, data, fixed) for r in range(n)]
    grads = np.stack([_one_sample(graph, pid, cut, r, work) for r, cut in enumerate(cuts)])
    rows_of = tuple(graph.name_of(i) for i in data if graph.node(i).kind == "input")
    return PerSample(graph.name_of(pid), n, grads, batch, rows_of, _notes(graph, n, data, cuts)), cuts


def _grad(graph: Graph, st: Stepper, pid: int) -> np.ndarray:
    g = st.grad(pid)
    return np.zeros(graph.node(pid).shape) if g is None else g


def _one_sample(graph: Graph, pid: int, cut: _Cut, r: int, work: Work) -> np.ndarray:
    st = Stepper(graph, values=cut.values, params=cut.params)
    try:
        st.run()
    except GraphstepError:
        raise
    except Exception as err:  # an op whose arguments were fixed for the whole batch
        k = st.position + 1  # the step that failed
        raise _rerun_failed(graph, st.node_of(k), st.step_kind(k), r, err) from None
    work.advance(f"sample {r + 1}")
    return _grad(graph, st, pid)


def _rerun_failed(graph: Graph, nid: int, kind: str, r: int, err: Exception) -> GraphstepError:
    node = graph.node(nid)
    return GraphstepError(f"re-running {node.name} ({node.op}, {kind}) on sample {r} alone failed: {err}",
                          source=node.source, node=node.name,
                          hint="an op whose arguments depend on the batch size (a reshape to (n, …), say) "
                               "cannot be re-run one sample at a time")


# ───────────────────────────── cutting the graph's arguments to one sample ─────────────────────────────


def _cut(graph: Graph, n: int, r: int, data: list[int], fixed: dict) -> _Cut:
    """Sample r's leaf values and op params, found by walking the shapes forward: an index is cut by the
    axes of its operand that the batch runs along (those whose length the cut changed)."""
    values = {i: graph.leaf_values[i][r:r + 1] for i in data} | fixed
    full = [graph.node(i).shape for i in range(len(graph))]
    shapes = list(full)
    for i in data:
        shapes[i] = (1, *full[i][1:])
    params = {}
    for nid in graph.op_nodes:
        op, inputs, kw = graph.program[nid]
        ins = [shapes[i] for i in inputs]
        try:
            new = _cut_params(op.name, kw, full[inputs[0]], ins[0], n, r) if inputs else None
        except _UncuttableError as err:
            node = graph.node(nid)
            raise GraphstepError(f"{node.name} ({node.op}) has no one-sample version: {err}",
                                 source=node.source, node=node.name,
                                 hint="per-sample gradients re-run the loss on each sample's own rows; an op "
                                      "that reaches across the batch cannot be cut to one sample") from None
        try:
            shapes[nid] = tuple(op.shape(*ins, **(new or kw)))
        except (ValueError, IndexError, TypeError) as err:
            raise _rerun_failed(graph, nid, "forward", r, err) from None
        if new is not None:
            params[nid] = new
    return _Cut(values, params)


def _cut_params(opname: str, kw: dict, full: tuple, cut: tuple, n: int, r: int) -> dict | None:
    """An op's params for sample r alone (None: as traced): an index or a reshape that runs along the batch."""
    if opname in INDEXED and "index" in kw:
        index = cut_index(kw["index"], full, cut, n, r)
        return None if index is None else {**kw, "index": index}
    if opname == "reshape":
        shape = _cut_reshape(kw["shape"], full, cut, n)
        return None if shape is None else {**kw, "shape": shape}
    return None


def cut_index(index, full: tuple, cut: tuple, n: int, r: int):
    """``index`` for sample r alone (None: unchanged), given its operand's batch and one-sample shapes.

    An index array on a batch axis of the operand (``np.arange(N)``) *selects* samples:
    sample r keeps the positions where it selects r, re-based to row 0, and the arrays
    broadcast with it (the labels ``y``) keep the same positions.  Without a selector, an
    array whose first axis is the batch (``y`` in ``scores[:, y]``) keeps its entry r.
    """
    parts = _index_parts(index)
    if len(full) != len(cut):
        raise _UncuttableError(f"its operand goes from {fmt_shape(full)} to {fmt_shape(cut)} for one sample, so "
                               "which axis is the batch is unclear")
    batch_axes = {a for a, (f, c) in enumerate(zip(full, cut, strict=True)) if f != c}
    axes = _axes_of(parts, len(full))
    arrays = [k for k, p in enumerate(parts) if isinstance(p, np.ndarray)]
    for k, p in enumerate(parts):
        if axes[k] in batch_axes and k not in arrays and not _whole(p, full[axes[k]]):
            raise _UncuttableError(f"its index takes {_spelled(p)} along the batch axis {axes[k]}, so the loss "
                                   "reaches other samples than each sample's own")
    if not arrays:
        return None
    shape = np.broadcast_shapes(*(parts[k].shape for k in arrays))
    selectors = [k for k in arrays if axes[k] in batch_axes]
    if selectors:
        if any(cut[axes[k]] != 1 for k in selectors):
            raise _UncuttableError("its operand holds several rows of one sample, which an index into the batch "
                                   "cannot tell apart")
        axis, keep = _selected([parts[k] for k in selectors], shape, r)
    else:
        axis = _data_axis([parts[k] for k in arrays], shape, n)
        if axis is None:
            return None
        keep = np.array([r])
    for k in arrays:
        p, at = parts[k], axis - (len(shape) - parts[k].ndim)  # arrays broadcast from the right
        if at >= 0 and p.shape[at] == shape[axis]:
            p = np.take(p, keep, axis=at)
        parts[k] = p - r if k in selectors else p  # sample r is row 0 of its one-row operand
    return tuple(parts)


def _index_parts(index) -> list:
    """The index as a list of parts: lists and ranges as arrays, a boolean mask as the int arrays it stands for."""
    parts = []
    for p in index if isinstance(index, tuple) else (index,):
        if isinstance(p, (list, range, np.ndarray)):
            p = np.asarray(p)
            if p.dtype == bool and p.ndim:
                parts.extend(np.nonzero(p))
                continue
        parts.append(p)
    return parts


def _axes_of(parts: list, ndim: int) -> list[int | None]:
    """The operand axis each part of an index addresses (None for ``np.newaxis`` and ``...``)."""
    used = sum(p is not None and p is not Ellipsis for p in parts)
    axes, a = [], 0
    for p in parts:
        if p is Ellipsis:
            axes.append(None)
            a += ndim - used
        elif p is None:
            axes.append(None)
        else:
            axes.append(a)
            a += 1
    return axes


def _whole(p, length: int) -> bool:
    return isinstance(p, slice) and range(*p.indices(length)) == range(length)


def _spelled(p) -> str:
    if isinstance(p, slice):
        text = ":".join("" if v is None else str(v) for v in (p.start, p.stop, p.step)).rstrip(":")
        return f"the slice [{text}] of the samples"
    return f"sample {p} alone"


def _selected(selectors: list[np.ndarray], shape: tuple, r: int) -> tuple[int, np.ndarray]:
    """The index axis the selectors run along, and the positions on it where they select sample r."""
    picked = np.stack([np.broadcast_to(s, shape) for s in selectors])  # (selectors, *shape)
    if not picked.size:
        return 0, np.arange(0)
    varying = [a for a in range(len(shape)) if np.ptp(picked, axis=a + 1).any()]
    if not varying:
        raise _UncuttableError(f"its index takes sample {picked.flat[0]} alone along the batch axis, whatever "
                               "the sample")
    if len(varying) > 1:
        raise _UncuttableError(f"its index arrays {fmt_shape(shape)} pick samples along {len(varying)} axes at "
                               "once, pairing samples with each other")
    axis = varying[0]
    along = np.moveaxis(picked, axis + 1, 1).reshape(len(selectors), shape[axis], -1)[:, :, 0]
    return axis, np.flatnonzero((along == r).all(axis=0))


def _data_axis(arrays: list[np.ndarray], shape: tuple, n: int) -> int | None:
    """The index axis along which arrays whose first axis is the batch run (None: no such array)."""
    axes = {len(shape) - p.ndim for p in arrays if p.ndim and p.shape[0] == n}
    if len(axes) > 1:
        raise _UncuttableError("its index arrays run along the batch on different axes, pairing samples with "
                               "each other")
    return axes.pop() if axes else None


def _cut_reshape(shape, full: tuple, cut: tuple, n: int) -> tuple | None:
    """``reshape(x, (N, …))`` of a batch-first x is ``(1, …)`` for one sample, and ``(…, N)`` of a batch-last x
    is ``(…, 1)``: in C order the first axis is each sample's block, the last each sample's stride."""
    target = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    batch_axes = [a for a, (f, c) in enumerate(zip(full, cut, strict=False)) if f != c]
    if len(full) != len(cut) or len(batch_axes) != 1 or cut[batch_axes[0]] != 1 or not target:
        return None
    if batch_axes[0] == 0 and target[0] == n:
        return (1, *target[1:])
    if batch_axes[0] == len(full) - 1 and target[-1] == n:
        return (*target[:-1], 1)
    return None


def _notes(graph: Graph, n: int, data: list[int], cuts: list[_Cut]) -> list[str]:
    """What was cut besides the inputs: constants with a batch axis, indices that run along the batch."""
    notes = [f"constant {graph.name_of(i)} {fmt_shape(graph.node(i).shape)} has a first axis of {n}: "
             "cut per sample, as data" for i in data if graph.node(i).kind == "const"]
    for nid in dict.fromkeys(k for cut in cuts for k in cut.params):
        node = graph.node(nid)
        what = "index runs along" if node.op in INDEXED else "shape names"
        notes.append(f"{node.name} ({node.op}, {node.source}): its {what} the batch, cut to each sample")
    return notes


# ───────────────────────────── where the samples interact ─────────────────────────────


def interaction(graph: Graph, batch_run: Stepper, cuts: list[_Cut], work: Work | None = None) -> Interaction | None:
    """The first node (in order) on the way to the loss whose one-sample values disagree with the batch's.

    A node with a batch axis must give, for sample r alone, row r of its batch value; a
    node without one (a reduction over the batch, and what follows it) must be the mean
    or the sum of the samples' own values.
    """
    n, depends = len(cuts), _depends(graph, cuts)
    nodes = [m for m in graph.op_nodes if depends[m] and graph.feeds_output[m]]
    totals: dict[int, np.ndarray] = {}  # per node without a batch axis: the sum of the samples' values
    bad: dict[int, tuple] = {}
    work = work or Work("per-sample interaction", 0)
    work.total = work.done + n
    for r, cut in enumerate(cuts):
        run = Stepper(graph, values=cut.values, params=cut.params).run_forward()
        work.advance(f"where sample {r + 1} meets the others")
        for m in nodes:
            found = None if m in bad else _compare(graph, m, r, batch_run, run, totals)
            if found:
                bad[m] = found
    for m, total in totals.items():
        if m not in bad and not (_close(total / n, batch_run.value(m)) or _close(total, batch_run.value(m))):
            bad[m] = ("aggregate",)
    if not bad:
        return None
    m = min(bad)  # ids are in execution order
    node = graph.node(m)
    return Interaction(m, node.name, node.op, node.source, _reason(graph, m, bad[m], totals))


def _compare(graph: Graph, m: int, r: int, batch_run: Stepper, run: Stepper, totals: dict) -> tuple | None:
    """How node m's value for sample r alone disagrees with the batch's (None: it agrees so far)."""
    batch, one = batch_run.value(m), run.value(m)
    full, mine = np.shape(batch), np.shape(one)
    if full == mine and (r == 0 or m in totals):
        spread = _spread(graph, m, run) if r == 0 else None
        if spread:
            return ("broadcast", *spread)
        totals[m] = one + totals[m] if m in totals else np.array(one, dtype=float)
        return None
    axes = [a for a, (f, c) in enumerate(zip(full, mine, strict=False)) if f != c]
    if len(full) != len(mine) or len(axes) != 1 or mine[axes[0]] != 1 or m in totals:
        return ("paired", full, mine)
    if not _close(one, np.take(batch, [r], axis=axes[0])):
        return ("row", axes[0])
    return None


def _spread(graph: Graph, m: int, run: Stepper) -> tuple[int, int, int] | None:
    """(input, partner, axis) when node m broadcasts a cut input back to the batch's length against a partner
    that is not cut (a param with a batch-sized axis): one sample meets every row of the partner."""
    inputs, out = graph.program[m][1], graph.node(m).shape
    mine = {i: np.shape(run.value(i)) for i in inputs}

    def length(i: int, k: int) -> int:  # input i's length on output axis k: shapes align on the right
        at = k - len(out) + len(mine[i])
        return mine[i][at] if at >= 0 else 1

    for i in inputs:
        full = graph.node(i).shape
        for a in range(len(full) if len(mine[i]) == len(full) else 0):
            k = a + len(out) - len(full)
            if mine[i][a] != full[a] and k >= 0 and out[k] == full[a]:  # the cut axis is back to its length
                partner = next((j for j in inputs if length(j, k) == full[a]), None)
                if partner is not None:
                    return i, partner, k
    return None


def _depends(graph: Graph, cuts: list[_Cut]) -> list[bool]:
    """Nodes whose value changes when the batch is cut: downstream of cut leaves or of a cut index."""
    depends = [False] * len(graph)
    cut_ops = {k for cut in cuts for k in cut.params}
    for i in cuts[0].values:
        depends[i] = True
    for m in graph.op_nodes:
        depends[m] = m in cut_ops or any(depends[i] for i in graph.program[m][1])
    return depends


def _reason(graph: Graph, m: int, bad: tuple, statistics: dict) -> str:
    """Why node m mixes samples, in a learner's words."""
    op = graph.node(m).op
    stats = [i for i in graph.program[m][1] if i in statistics]  # inputs that already combine the batch
    if bad[0] == "broadcast":
        i, j, axis = bad[1:]
        return (f"it broadcasts one sample's {graph.name_of(i)} against all of {graph.name_of(j)} "
                f"{fmt_shape(graph.node(j).shape)}, whose axis {axis} has the batch's length but is not cut per "
                "sample (it does not come from the sample's rows: a param, say)")
    if bad[0] == "paired":
        return (f"its value is {fmt_shape(bad[1])} for the batch but {fmt_shape(bad[2])} for one sample: it pairs "
                "samples with each other")
    if bad[0] == "row" and stats:
        s = _origin(graph, stats[0], statistics)
        d = graph.node(s)
        return (f"it combines each sample's row with {d.name} ({d.op}, {d.source}), a statistic of the "
                "whole batch: every sample's result depends on the other samples")
    if bad[0] == "row":
        return (f"for one sample alone it differs from that sample's row of the batch value: {op} mixes values "
                f"along the batch axis {bad[1]}")
    if stats:
        return (f"{op} of {graph.name_of(stats[0])}, which already combines the batch: the loss is not a mean or a "
                "sum of per-sample losses")
    return (f"this {op} over the batch axis is neither the mean nor the sum of the samples' own values: a statistic "
            "of the whole batch")


def _origin(graph: Graph, s: int, statistics: dict) -> int:
    """Walk up a statistic (``sqrt(var + eps)``) to the reduction over the batch it starts from (``var``)."""
    while True:
        up = [i for i in graph.program[s][1] if i in statistics]
        if not up:
            return s
        s = up[0]


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))
