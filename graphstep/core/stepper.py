"""Provides ``Stepper``: executes a ``Graph`` one node at a time, forward then
backward, with exact undo; and the step records the views display.

The executor reads only the graph (op entries, input ids, leaf values), never
the values the tracer saw.  History stores what a step changed (the previous
gradient of each input it touched), not copies of the state.  ``resume`` runs
until a break condition holds (a breakpoint, the first NaN/Inf, a gradient
above a norm limit); ``check_step`` is that test for one step.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from ..errors import GraphstepError, RuleError
from ..text import summarize  # noqa: F401 - re-exported: views import it from here
from .graph import Graph
from .ops import fmt_shape
from .records import BACKWARD, FORWARD, SEED, Contribution, Step  # noqa: F401 - re-exported

if TYPE_CHECKING:
    from .breaks import Break

class Stepper:
    """Walks a graph forward then backward, one node per ``step()``; ``step_back()`` undoes."""

    def __init__(self, graph: Graph, seed=None, mode: str = "reverse", tangents: dict | None = None,
                 values: dict | None = None, params: dict | None = None) -> None:
        if mode not in ("reverse", "forward"):
            raise GraphstepError(f"mode must be 'reverse' or 'forward', not {mode!r}")
        self.graph, self.mode = graph, mode
        n = len(graph)
        self._values: list = [None] * n
        for nid, value in graph.leaf_values.items():
            self._values[nid] = value
        if values:
            self._override(values)
        self.breakpoints: set[int] = set()
        self.break_on_nonfinite = True
        self.grad_norm_limit: float | None = None
        self._index: _Index | None = None  # built on the first query of held bytes or arrivals
        self._grads: list = [None] * n
        self._tangents: list = [None] * n
        self._history: list = []  # per step: None (forward) or [(target, old grad, contribution)]
        self.needs_grad = graph.needs_grad
        self.seed, self.seed_note = self._seed(seed)
        self._program, self._vjp_program = graph.program, graph.vjp_program
        if params:  # node id → keyword params replacing the traced ones (per-sample re-runs cut an index)
            self._program = [(op, ins, params.get(nid, kw)) for nid, (op, ins, kw) in enumerate(self._program)]
            self._vjp_program = {nid: tuple((k, i, rule, {**kw, **params.get(nid, {})}) for k, i, rule, kw in rules)
                                 for nid, rules in self._vjp_program.items()}
        self.plan: list[tuple[str, int]] = [(FORWARD, nid) for nid in graph.op_nodes]
        self.forward_steps = len(self.plan)
        if mode == "reverse":
            self.plan += [(SEED, graph.output)] + [(BACKWARD, nid) for nid in graph.backward_nodes]
        else:
            self._init_tangents(tangents)

    # ── set-up ──
    def node_id(self, node: int | str) -> int:
        """The id of a node given by id or name; an unknown one is the user's error, with the names to pick from."""
        try:
            return self.graph.id(node)
        except KeyError:
            names = [self.graph.name_of(n) for n in self.graph.order]
            shown = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
            raise GraphstepError(f"no node {node!r} in {self.graph.name or 'the graph'}",
                                 hint=f"nodes: {shown}") from None

    def _override(self, values: dict) -> None:
        """Replace leaf values (per-sample re-runs give one row of each batched input)."""
        for key, value in values.items():
            nid = self.node_id(key)
            node = self.graph.node(nid)
            if node["kind"] == "op":
                raise GraphstepError(f"only leaf values can be replaced: {node['name']} is computed by "
                                     f"{node['op']}", source=node["source"])
            self._values[nid] = np.asarray(value)

    def _seed(self, seed) -> tuple[np.ndarray, str]:
        out = self.graph.node(self.graph.output)
        dtype = np.result_type(out["dtype"], 0.0)  # G in the output's dtype: float32 stays float32, as in PyTorch
        seed = self.graph.seed if seed is None else seed
        if seed is not None:
            seed = np.asarray(seed, dtype=dtype)
            if seed.shape != out["shape"]:
                raise GraphstepError(f"seed of shape {fmt_shape(seed.shape)} does not match output "
                                     f"{out['name']} {fmt_shape(out['shape'])}", source=out["source"])
            return seed, f"seed d{out['name']} given"
        if out["shape"] == ():
            return np.ones((), dtype), f"d{out['name']}/d{out['name']} = 1"
        return np.ones(out["shape"], dtype), (f"output {out['name']} is {fmt_shape(out['shape'])}, not a scalar: "
                                       "no seed given, so G = ones, the same as backward of its sum")

    def _init_tangents(self, tangents: dict | None) -> None:
        given = tangents or {name: np.ones(self.graph.node(n)["shape"]) for name, n in self.graph.params.items()}
        self.tangent_note = "" if tangents else "no tangents given: every param moves along ones"
        for name, t in given.items():
            nid = self.graph.id(name)
            node = self.graph.node(nid)  # a tangent in its param's dtype, as PyTorch's forward AD
            dtype = np.result_type(node["dtype"], 0.0)
            self._tangents[nid] = np.broadcast_to(np.asarray(t, dtype=dtype), node["shape"])

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
        for k, i, rule, kw in self._vjp_program[nid]:
            c = rule(g, out, *xs, **kw)
            if getattr(c, "shape", None) != xs[k].shape:  # attribute reads: np.shape costs a dispatch per call
                self._rule_failed(nid, k, c)
            if c.dtype != xs[k].dtype and xs[k].dtype.kind == "f":  # as PyTorch's engine: a gradient in its input's
                c = c.astype(xs[k].dtype)  # dtype (x32 · X64 sends float64 to the float32 x)
            old = grads[i]
            grads[i] = c if old is None else old + c  # several consumers: contributions add up
            changes.append((i, old, c))
        return changes

    def _rule_failed(self, nid: int, k: int, c) -> None:
        """A VJP whose result is not shaped like its input is a bug in the op table: stop, naming everything."""
        node, target = self.graph.node(nid), self._program[nid][1][k]
        text, shapes, _ = self.graph.backward_rule(nid, k)
        raise RuleError(f"internal error: the {node['op']} rule sent {fmt_shape(np.shape(c))} to "
                        f"{self.graph.name_of(target)} {fmt_shape(np.shape(self._values[target]))}: "
                        f"{text}  {shapes} ✗",
                        source=node["source"], node=node["name"],
                        hint="this is a bug in graphstep's op table, not in your code: please report it")

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

    # ── breaks ──
    def toggle_breakpoint(self, node: int | str) -> bool:
        """Set or clear a breakpoint on a node; True when it is now set."""
        nid = self.node_id(node)
        if nid in self.breakpoints:
            self.breakpoints.discard(nid)
            return False
        self.breakpoints.add(nid)
        return True

    def resume(self, to: str = "end") -> Break | None:
        """Step until a break condition holds after a step (that Break), or to ``to`` ("end"/"forward"): None.

        Conditions are tested after each step, so the first step is never held back by a
        breakpoint on the node just stopped at: resuming again moves past it.
        """
        if to not in ("end", "forward"):
            raise GraphstepError(f"resume to 'end' or 'forward', not {to!r}")
        from .breaks import check_step  # the conditions read a Stepper: imported on first use

        target = self.total if to == "end" else self.forward_steps
        with np.errstate(all="ignore"):
            while self.position < target:
                self._advance()
                found = check_step(self)
                if found is not None:
                    return found
        return None

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
        steps = self._indexed().arrival_steps.get(node, ())
        found = []
        for k in steps[:bisect.bisect_right(steps, self.position)]:
            nid = self.plan[k - 1][1]
            found += [(k, self._contribution(nid, pos, target, old, c))
                      for (pos, *_), (target, old, c) in zip(self._vjp_program[nid], self._history[k - 1])
                      if target == node]
        return found

    def arrivals(self) -> Mapping[int, int]:
        """How many contributions each node has received so far (2+ means accumulated); a read-only view."""
        return MappingProxyType(self._indexed().arrivals)

    def changed(self, k: int) -> tuple[int, ...]:
        """Nodes whose value or gradient step ``k`` changes: the watches a view refreshes."""
        if not 1 <= k <= self.total:
            raise IndexError(f"no step {k} (the plan has {self.total})")
        kind, nid = self.plan[k - 1]
        if kind == BACKWARD:
            return tuple(dict.fromkeys(i for _, i, _, _ in self._vjp_program[nid]))
        return (nid,)

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
        return 0 if self.mode == "forward" else self._indexed().held

    def _indexed(self) -> _Index:
        """The per-position index, brought to the current position (cost: the steps since the last query)."""
        if self._index is None:
            self._index = _Index(self)
        self._index.sync(self)
        return self._index

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


class _Index:
    """What the views ask on every repaint (held bytes, arrivals), kept per position.

    Each step's effect is fixed by the plan, so the index follows the stepper lazily:
    a query applies (or reverts) only the steps since the last one, and the hot loop
    of ``run_to`` pays nothing.
    """

    def __init__(self, st: Stepper) -> None:
        self.position, self.held = 0, 0
        self.arrivals: dict[int, int] = {}
        self.holds: dict[int, int] = {}  # node → backward steps still needing its value
        self.nbytes: dict[int, int] = {}  # node → bytes of its value (fixed once computed)
        self.arrival_steps: dict[int, list[int]] = {}  # node → backward steps sending it a contribution
        self.saved: dict[int, tuple[int, ...]] = {}  # backward node → the values its rule reads
        for nid, (op, inputs, _) in enumerate(st.graph.program):
            if nid in st._vjp_program:
                keep = (nid,) if op.saves in ("out", "both") else ()
                self.saved[nid] = keep + (tuple(inputs) if op.saves in ("inputs", "both") else ())
        for k, (kind, nid) in enumerate(st.plan, start=1):
            if kind == BACKWARD:
                for i in dict.fromkeys(i for _, i, _, _ in st._vjp_program[nid]):  # x·x: one step, two arrivals
                    self.arrival_steps.setdefault(i, []).append(k)

    def sync(self, st: Stepper) -> None:
        while self.position < st.position:
            self.position += 1
            self._apply(st, self.position, 1)
        while self.position > st.position:
            self._apply(st, self.position, -1)
            self.position -= 1

    def _apply(self, st: Stepper, k: int, sign: int) -> None:
        kind, nid = st.plan[k - 1]
        if kind == FORWARD and nid in self.saved:
            for n in self.saved[nid]:
                self._hold(st, n, sign)
        elif kind == BACKWARD:
            for n in self.saved[nid]:  # backward done: its saved values may be freed
                self._hold(st, n, -sign)
            for _, i, _, _ in st._vjp_program[nid]:
                count = self.arrivals.get(i, 0) + sign
                if count:
                    self.arrivals[i] = count
                else:
                    del self.arrivals[i]

    def _hold(self, st: Stepper, n: int, sign: int) -> None:
        count = self.holds.get(n, 0)
        if sign > 0 and count == 0:
            if n not in self.nbytes:
                self.nbytes[n] = st._values[n].nbytes
            self.held += self.nbytes[n]
        elif sign < 0 and count == 1:
            self.held -= self.nbytes[n]
        if count + sign:
            self.holds[n] = count + sign
        else:
            del self.holds[n]


# ───────────────────────────── break conditions ─────────────────────────────
