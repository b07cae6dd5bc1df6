"""Provides ``Stepper``: executes a ``Graph`` one node at a time, forward then
backward, with exact undo; and the step records the views display.

The executor reads only the graph (op entries, input ids, leaf values), never
the values the tracer saw.  History stores what a step changed (the previous
gradient of each input it touched), not copies of the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import GraphstepError
from .graph import Graph
from .ops import fmt_shape

FORWARD, BACKWARD, SEED = "forward", "backward", "seed"


@dataclass
class Contribution:
    """One gradient sent from a node to one of its inputs during backward."""

    target: int
    name: str
    grad: np.ndarray  # what this step sent
    formula: str  # e.g. "dW1 = Xᵀ·G  (4×8)·(8×16) → (4×16) ✓"
    accumulated: bool  # added to a gradient that was already there
    summed_axes: tuple[int, ...]  # broadcast axes summed away
    ok: bool  # the contribution has the input's shape


@dataclass
class Step:
    """What one step did: the record every view (CLI table, TUI, log) shows."""

    index: int  # 1-based
    phase: str  # "forward" or "backward"
    node: int
    name: str
    op: str | None
    formula: str
    value: np.ndarray | None  # forward: the value; backward: the gradient G at the node
    contributions: list[Contribution] = field(default_factory=list)
    tangent: np.ndarray | None = None  # forward mode
    note: str = ""

    @property
    def summary(self) -> str:
        return summarize(self.value)


def summarize(a: np.ndarray | None, width: int = 40) -> str:
    """A short, readable summary of an array: all of it if small, else min/mean/max."""
    if a is None:
        return "—"
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{a.item():.4g}"
    if a.size <= 4:
        text = np.array2string(a, precision=4, suppress_small=True, separator=" ")
        return text.replace("\n", "")
    if not np.all(np.isfinite(a)):
        return f"nan/inf! min {np.nanmin(a):.3g} max {np.nanmax(a):.3g}"
    return f"min {a.min():.3g} mean {a.mean():.3g} max {a.max():.3g}"


class Stepper:
    """Walks a graph forward then backward, one node per ``step()``; ``step_back()`` undoes."""

    def __init__(self, graph: Graph, seed=None, mode: str = "reverse", tangents: dict | None = None) -> None:
        if mode not in ("reverse", "forward"):
            raise GraphstepError(f"mode must be 'reverse' or 'forward', not {mode!r}")
        self.graph, self.mode = graph, mode
        n = len(graph)
        self._values: list = [None] * n
        for nid, value in graph.leaf_values.items():
            self._values[nid] = value
        self._grads: list = [None] * n
        self._tangents: list = [None] * n
        self._history: list = []  # per step: None (forward) or [(target, old grad, contribution)]
        self.needs_grad = graph.needs_grad
        self.seed, self.seed_note = self._seed(seed)
        self._program, self._vjp_program = graph.program, graph.vjp_program
        self.plan: list[tuple[str, int]] = [(FORWARD, nid) for nid in graph.op_nodes]
        self.forward_steps = len(self.plan)
        if mode == "reverse":
            self.plan += [(SEED, graph.output)] + [(BACKWARD, nid) for nid in graph.backward_nodes]
        else:
            self._init_tangents(tangents)

    # ── set-up ──
    def _seed(self, seed) -> tuple[np.ndarray, str]:
        out = self.graph.node(self.graph.output)
        seed = self.graph.seed if seed is None else np.asarray(seed, dtype=float)
        if seed is not None:
            if seed.shape != out["shape"]:
                raise GraphstepError(f"seed of shape {fmt_shape(seed.shape)} does not match output "
                                     f"{out['name']} {fmt_shape(out['shape'])}", source=out["source"])
            return seed, f"seed d{out['name']} given"
        if out["shape"] == ():
            return np.ones(()), f"d{out['name']}/d{out['name']} = 1"
        return np.ones(out["shape"]), (f"output {out['name']} is {fmt_shape(out['shape'])}, not a scalar: "
                                       "no seed given, so G = ones, the same as backward of its sum")

    def _init_tangents(self, tangents: dict | None) -> None:
        given = tangents or {name: np.ones(self.graph.node(n)["shape"]) for name, n in self.graph.params.items()}
        self.tangent_note = "" if tangents else "no tangents given: every param moves along ones"
        for name, t in given.items():
            nid = self.graph.id(name)
            self._tangents[nid] = np.broadcast_to(np.asarray(t, dtype=float), self.graph.node(nid)["shape"])

    # ── position ──
    @property
    def position(self) -> int:
        """Steps taken so far."""
        return len(self._history)

    @property
    def total(self) -> int:
        return len(self.plan)

    @property
    def done(self) -> bool:
        return self.position == self.total

    @property
    def phase(self) -> str:
        """'forward', 'backward' or 'done': the phase of the next step."""
        if self.done:
            return "done"
        return FORWARD if self.position < self.forward_steps else BACKWARD

    @property
    def current(self) -> int | None:
        """The node of the last step taken (None before the first)."""
        return self.plan[self.position - 1][1] if self.position else None

    # ── stepping ──
    def step(self) -> Step | None:
        """Take one step and describe it; None when the walk is complete."""
        if self.done:
            return None
        with np.errstate(all="ignore"):  # NaN/Inf are shown, not raised
            self._advance()
        return self.record(self.position)

    def _advance(self) -> None:
        self._take(*self.plan[len(self._history)])

    def _take(self, kind: str, nid: int) -> None:
        if kind is FORWARD:
            self._forward(nid)
            self._history.append(None)
        elif kind is SEED:
            self._history.append([(nid, self._grads[nid], self.seed)])
            self._grads[nid] = self.seed
        else:
            self._history.append(self._backward(nid))

    def _forward(self, nid: int) -> None:
        op, inputs, kw = self._program[nid]
        values = self._values
        if self.mode == "reverse":
            values[nid] = op.forward(*map(values.__getitem__, inputs), **kw)
            return
        xs = [values[i] for i in inputs]
        out = values[nid] = op.forward(*xs, **kw)
        self._tangents[nid] = self._jvp(op, nid, inputs, xs, kw, out)

    def _jvp(self, op, nid, inputs, xs, kw, out):
        total = None
        for k, i in enumerate(inputs):
            t = self._tangents[i]
            if t is not None:
                extra = {"i": k} if op.variadic else {}
                part = op.jvp_rule(k)(t, out, *xs, **kw, **extra)
                total = part if total is None else total + part
        if total is not None and np.shape(total) != np.shape(out):
            total = np.broadcast_to(total, np.shape(out))
        return total

    def _backward(self, nid: int) -> list:
        values, grads = self._values, self._grads
        g, out = grads[nid], values[nid]
        xs = [values[i] for i in self._program[nid][1]]
        changes = []
        for _k, i, rule, kw in self._vjp_program[nid]:
            c = rule(g, out, *xs, **kw)
            old = grads[i]
            grads[i] = c if old is None else old + c  # several consumers: contributions add up
            changes.append((i, old, c))
        return changes

    def step_back(self) -> bool:
        """Undo the last step exactly; False when already at the start."""
        if not self._history:
            return False
        changes = self._history.pop()
        kind, nid = self.plan[self.position]
        if kind == FORWARD:
            self._values[nid] = None
            self._tangents[nid] = None
        else:
            for target, old, _ in reversed(changes):
                self._grads[target] = old
        return True

    def run(self) -> Stepper:
        """Step to the end."""
        return self.run_to(self.total)

    def run_forward(self) -> Stepper:
        """Step to the end of the forward pass."""
        return self.run_to(max(self.position, self.forward_steps))

    def run_to(self, position: int) -> Stepper:
        """Step forward or back until ``position`` steps have been taken."""
        position = max(0, min(position, self.total))
        while self.position > position:
            self.step_back()
        take = self._take
        with np.errstate(all="ignore"):
            for kind, nid in self.plan[self.position:position]:
                take(kind, nid)
        return self

    def reset(self) -> Stepper:
        return self.run_to(0)

    # ── state ──
    def value(self, node: int | str) -> np.ndarray | None:
        """Forward value of a node (None while pending)."""
        return self._values[self.graph.id(node)]

    def grad(self, node: int | str) -> np.ndarray | None:
        """Gradient of the output with respect to a node, so far (None before any arrived)."""
        g = self._grads[self.graph.id(node)]
        return None if g is None else np.array(g)

    def grads(self) -> dict[str, np.ndarray | None]:
        """Gradients of every param, by name."""
        return {name: self.grad(nid) for name, nid in self.graph.params.items()}

    def tangent(self, node: int | str | None = None) -> np.ndarray | None:
        """Forward mode: the tangent (directional derivative) of a node, the output by default."""
        t = self._tangents[self.graph.id(self.graph.output if node is None else node)]
        return None if t is None else np.array(t)

    def state(self, node: int) -> str:
        """'current', 'grad', 'computed' or 'pending': how the views colour a node."""
        if node == self.current:
            return "current"
        if self._grads[node] is not None:
            return "grad"
        return "computed" if self._values[node] is not None else "pending"

    def contributions_to(self, node: int) -> list[tuple[int, Contribution]]:
        """Every contribution that has arrived at ``node`` so far, as (step index, contribution)."""
        found = []
        for k, changes in enumerate(self._history, start=1):
            if changes and any(t == node for t, _, _ in changes) and self.plan[k - 1][0] == BACKWARD:
                found += [(k, c) for c in self.record(k).contributions if c.target == node]
        return found

    def arrivals(self) -> dict[int, int]:
        """How many contributions each node has received so far (2+ means accumulated)."""
        counts: dict[int, int] = {}
        for k, changes in enumerate(self._history):
            if changes and self.plan[k][0] == BACKWARD:
                for target, _, _ in changes:
                    counts[target] = counts.get(target, 0) + 1
        return counts

    def jacobian(self, node: int | str, k: int) -> np.ndarray:
        """Local Jacobian ∂node/∂(input k) in numerator layout, (out size × in size), built from the VJP."""
        nid = self.graph.id(node)
        op, inputs, kw = self.graph.program[nid]
        xs = [self._values[i] for i in inputs]
        out = self._values[nid]
        if op is None or out is None or any(x is None for x in xs) or op.vjp_rule(k) is None:
            raise GraphstepError(f"no local Jacobian for {self.graph.name_of(nid)} input {k} yet")
        rule, extra = op.vjp_rule(k), ({"i": k} if op.variadic else {})
        rows = []
        for j in range(np.size(out)):
            unit = np.zeros(np.size(out))
            unit[j] = 1.0
            rows.append(np.reshape(rule(unit.reshape(np.shape(out)), out, *xs, **kw, **extra), -1))
        return np.array(rows).reshape(np.size(out), np.size(xs[k]))

    def held_bytes(self) -> int:
        """Bytes of forward values kept alive because a backward rule still needs them."""
        if self.mode == "forward":
            return 0
        done_backward = {nid for kind, nid in self.plan[self.forward_steps:self.position] if kind == BACKWARD}
        held: set[int] = set()
        for _, nid in self.plan[: min(self.position, self.forward_steps)]:
            if not self.needs_grad[nid] or nid in done_backward:
                continue
            op, inputs, _ = self.graph.program[nid]
            if op.saves in ("out", "both"):
                held.add(nid)
            if op.saves in ("inputs", "both"):
                held.update(inputs)
        return sum(self._values[n].nbytes for n in held if self._values[n] is not None)

    # ── records ──
    def record(self, index: int) -> Step:
        """The record of step ``index`` (1-based), which must have been taken."""
        if not 1 <= index <= self.position:
            raise IndexError(f"step {index} has not been taken (position {self.position})")
        kind, nid = self.plan[index - 1]
        node = self.graph.node(nid)
        if kind == FORWARD:
            return Step(index, FORWARD, nid, node["name"], node["op"], self.graph.forward_formula(nid),
                        self._values[nid], tangent=self._tangents[nid])
        if kind == SEED:
            return Step(index, BACKWARD, nid, node["name"], node["op"],
                        f"d{node['name']} = {summarize(self.seed)}  {fmt_shape(self.seed.shape)}",
                        self.seed, note=self.seed_note)
        contributions = [self._contribution(nid, k, target, old, c)
                         for (k, *_), (target, old, c) in zip(self._vjp_program[nid], self._history[index - 1])]
        text = "; ".join(c.formula for c in contributions)
        return Step(index, BACKWARD, nid, node["name"], node["op"], text, self._grads[nid], contributions)

    def _contribution(self, nid: int, k: int, target: int, old, c) -> Contribution:
        text, shapes, summed = self.graph.backward_rule(nid, k)
        if old is not None:  # a second consumer: the contribution is added
            text = text.replace(" = ", " += ", 1)
        ok = np.shape(c) == self.graph.node(target)["shape"]
        formula = f"{text}  {shapes} → {fmt_shape(np.shape(c))} {'✓' if ok else '✗'}"
        return Contribution(target, self.graph.name_of(target), c, formula, old is not None, summed, ok)

    def _repr_mimebundle_(self, include=None, exclude=None):
        from .render.dot import mimebundle

        return mimebundle(self)
