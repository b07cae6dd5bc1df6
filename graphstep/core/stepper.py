"""Provides ``Stepper``: executes a ``Graph`` one node at a time, forward then
backward, with exact undo; and the facts the views display: the records of the
steps taken (``record``, ``sent``), what the plan says of each step
(``phase_of``, ``step_kind``, ``node_of``, ``step_of``) and how far each pass
has got (``phase``, ``stepped``, ``frontier``).

The executor runs the graph's program (``program.Program``: compiled once per graph,
shared by its steppers); only a small graph's first walk on its traced leaves takes
its forward values from the trace, which computed them with the same calls
(``Graph.take_traced``).  ``run`` takes each pass in one loop.  History stores what
a step changed (the previous gradient of each input it touched), not copies of the
state; no array a stepper holds is written again, so ``grad`` hands out the
stepper's own arrays, read-only.  ``resume`` runs until a break condition holds (a
breakpoint, the first NaN/Inf, a gradient above a norm limit); ``check_step`` is
that test for one step.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from ..errors import GraphstepError, RuleError
from ..text import fmt_shape
from .graph import Graph
from .program import Program, cached
from .records import BACKWARD, FORWARD, SEED, Contribution, Sent, Step  # noqa: F401 - re-exported
from .tally import Tally

RESUME_CHUNK = 1024  # steps ``resume`` takes at run speed before it looks for a NaN or Inf among them
CHECKED_IN_PLACE = 1024  # entries from which an array is checked for NaN/Inf alone rather than copied into one

if TYPE_CHECKING:
    from .breaks import Break


class Stepper:
    """Walks a graph forward then backward, one node per ``step()``; ``step_back()`` undoes."""

    def __init__(self, graph: Graph, seed=None, mode: str = "reverse", tangents: dict | None = None,
                 values: dict | None = None, params: dict | None = None, *, undo: bool = True) -> None:
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
        self._tally: Tally | None = None  # built on the first query of held bytes or arrivals
        self._grads: list = [None] * n
        self._tangents: list = [None] * n
        self._history: list = []  # per step: None (forward) or [(target, old grad, sent grad)]
        # False: backward steps keep no history (None), so no gradient they replaced stays alive: a walk drawn
        # once at its end (``graphstep export``) holds 10+ MB less at 100,000 nodes, and cannot step back
        self._undo = undo
        self.needs_grad = graph.needs_grad
        # the graph's program, shared by its steppers; values and params (node id → keyword params replacing the
        # traced ones: per-sample re-runs cut an index) change shapes, so they make one of this stepper's own
        self._walk = graph.walk if not (values or params) else Program(graph, params)
        # the values the trace computed, when this is the graph's first walk with the traced leaves: forward steps
        # take them instead of computing them again (the same calls on the same values gave them)
        self._traced = graph.take_traced() if not (values or params) and mode == "reverse" else None
        self.seed, self._seed_given = self._seed(seed)
        self._vjp_program = self._walk.vjps
        self._mixed = graph.mixed_dtypes  # only then may a gradient need casting to its input's dtype
        self.plan: list[tuple[str, int]] = self._walk.plans[mode]  # shared: never changed
        self.forward_steps = len(self._walk.plans["forward"])  # the plan's: reading ``forward`` compiles it
        if mode == "forward":
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
            if node.kind == "op":
                raise GraphstepError(f"only leaf values can be replaced: {node.name} is computed by "
                                     f"{node.op}", source=node.source)
            self._values[nid] = np.asarray(value)

    def _seed(self, seed) -> tuple[np.ndarray, bool]:
        """G at the output, in the output's dtype (float32 stays float32, as in PyTorch), and whether it was given
        (a copy of it: the caller's array stays theirs)."""
        out = self.graph.output
        shape, dtype = self.graph.shape_of(out), self._walk.seed_dtype
        seed = self.graph.seed if seed is None else seed
        if seed is None:
            ones = np.empty(shape, dtype)
            ones.fill(1)  # np.ones, without its Python wrapper: a small graph's stepper is made in microseconds
            return ones, False
        seed = np.array(seed, dtype=dtype)
        if seed.shape != shape:
            node = self.graph.node(out)
            raise GraphstepError(f"seed of shape {fmt_shape(seed.shape)} does not match output "
                                 f"{node.name} {fmt_shape(shape)}", source=node.source)
        return seed, True

    @property
    def seed_note(self) -> str:
        """How the seed came about, as the seed step says it: ``dloss/dloss = 1``, or why G is ones."""
        out = self.graph.node(self.graph.output)
        if self._seed_given:
            return f"seed d{out.name} given"
        if out.shape == ():
            return f"d{out.name}/d{out.name} = 1"
        return (f"output {out.name} is {fmt_shape(out.shape)}, not a scalar: "
                "no seed given, so G = ones, the same as backward of its sum")

    def _init_tangents(self, tangents: dict | None) -> None:
        given = tangents or {name: np.ones(self.graph.node(n).shape) for name, n in self.graph.params.items()}
        self.tangent_note = "" if tangents else "no tangents given: every param moves along ones"
        for name, t in given.items():
            nid = self.graph.id(name)
            node = self.graph.node(nid)  # a tangent in its param's dtype, as PyTorch's forward AD
            dtype = np.result_type(node.dtype, 0.0)
            self._tangents[nid] = np.broadcast_to(np.asarray(t, dtype=dtype), node.shape)

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
        """'forward', 'backward' or 'done': the pass of the next step."""
        return "done" if self.done else self.phase_of(self.position + 1)

    @property
    def current(self) -> int | None:
        """The node of the last step taken (None before the first)."""
        return self.plan[self.position - 1][1] if self.position else None

    def __repr__(self) -> str:
        """``Stepper(mlp, backward step 12/15, at Z1)``: where the walk stands, as a notebook or a REPL shows it."""
        k, name, mode = self.position, self.graph.name, ", forward mode" if self.mode == "forward" else ""
        if k == 0:
            return f"Stepper({name}, before step 1/{self.total}{mode})"
        done = ", done" if self.done else ""
        return f"Stepper({name}, {self.phase_of(k)} step {k}/{self.total}, at {self.graph.name_of(self.current)}" \
               f"{done}{mode})"

    # ── the plan: what each step is ──
    def phase_of(self, k: int) -> str:
        """FORWARD or BACKWARD: the pass step ``k`` (1-based) belongs to; the seed opens backward, and
        position 0, before any step, counts as forward."""
        return FORWARD if k <= self.forward_steps else BACKWARD

    def step_kind(self, k: int) -> str:
        """FORWARD, SEED or BACKWARD: what step ``k`` (1-based) does."""
        return self.plan[k - 1][0]

    def node_of(self, k: int) -> int:
        """The node step ``k`` (1-based) computes, or sends the gradient of."""
        return self.plan[k - 1][1]

    def step_of(self, node: int, kind: str = FORWARD) -> int | None:
        """The 1-based index of the node's FORWARD (or BACKWARD) step, None when the plan has no such step."""
        return self._step_ids.get((kind, node))

    @cached
    def _step_ids(self) -> dict[tuple[str, int], int]:
        return {key: k for k, key in enumerate(self.plan, start=1)}

    def stepped(self, kind: str = FORWARD) -> list[int]:
        """The nodes whose FORWARD (or BACKWARD) step has been taken, in the order taken."""
        forward, backward = self._taken_per_pass()
        return self.graph.op_nodes[:forward] if kind == FORWARD else self.graph.backward_nodes[:backward]

    def frontier(self) -> tuple[int, int]:
        """(last node computed forward or -1, last node whose backward step is taken or ``len(graph)``): forward
        runs in node order and backward in reverse, so every op up to the first has its value and every backward
        node from the second on has sent its gradient.  Constant time: views ask once per block per repaint."""
        forward, backward = self._taken_per_pass()
        return (self.graph.op_nodes[forward - 1] if forward else -1,
                self.graph.backward_nodes[backward - 1] if backward else len(self.graph))

    def _taken_per_pass(self) -> tuple[int, int]:
        """(forward steps taken, backward steps taken after the seed)."""
        return min(self.position, self.forward_steps), max(0, self.position - self.forward_steps - 1)

    # ── stepping ──
    def step(self) -> Step | None:
        """Take one step and describe it; None when the walk is complete."""
        if self.done:
            return None
        with np.errstate(all="ignore"):  # NaN/Inf are shown, not raised
            self._advance()
        return self.record(self.position)

    def _advance(self) -> None:
        """Take the next step."""
        self._take(self.position, self.position + 1)

    def _take(self, start: int, stop: int) -> None:
        """Take steps ``start + 1`` … ``stop`` of the plan: each pass in one loop (``run`` spends its time here)."""
        forward = self.forward_steps
        if start < forward:
            (self._forward if self.mode == "reverse" else self._forward_tangents)(start, min(stop, forward))
        if start <= forward < stop:
            self._send_seed()
        if stop > forward + 1:
            self._backward(max(start - forward - 1, 0), stop - forward - 1)

    def _forward(self, start: int, stop: int) -> None:
        """Forward steps ``start + 1`` … ``stop``: each op's value from its inputs'."""
        values, history = self._values, self._history
        if self._traced is not None:  # the graph's first walk: the trace computed these values
            traced = self._traced
            for nid in self.graph.op_nodes[start:stop]:
                values[nid] = traced[nid]
            history += [None] * (stop - start)
            return
        get = values.__getitem__
        for nid, call, inputs, kw in self._walk.forward[start:stop]:
            values[nid] = call(*map(get, inputs)) if kw is None else call(*map(get, inputs), **kw)
            history.append(None)

    def _forward_tangents(self, start: int, stop: int) -> None:
        """Forward mode: each op's value, and its tangent from its inputs' (``_jvp``)."""
        values, history = self._values, self._history
        for nid, call, inputs, kw in self._walk.forward[start:stop]:
            xs = [values[i] for i in inputs]
            out = values[nid] = call(*xs, **(kw or {}))
            self._tangents[nid] = self._jvp(self._walk.ops[nid][0], inputs, xs, kw or {}, out)
            history.append(None)

    def _jvp(self, op, inputs, xs, kw, out):
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

    def _send_seed(self) -> None:
        out = self.graph.output
        self._history.append([(out, self._grads[out], self.seed)])
        self._grads[out] = self.seed

    def _backward(self, start: int, stop: int) -> None:
        """Backward steps ``start + 1`` … ``stop`` after the seed: each node's VJPs send G to its inputs, where
        contributions from several consumers add up.  A step's history is what it changed: (input, gradient
        before, gradient sent) per input."""
        values, grads, history, mixed, undo = self._values, self._grads, self._history, self._mixed, self._undo
        get = values.__getitem__
        walk = self._walk  # a first walk (traced values taken) compiles nothing: the graph may never walk again
        steps = walk.unfitted(start, stop) if self._traced is not None and not walk.compiled("backward") \
            else walk.backward[start:stop]
        for nid, inputs, sends, whole in steps:
            args = (grads[nid], values[nid], *map(get, inputs))  # every rule's (g, out, *xs)
            pieces = whole(*args) if whole is not None else None  # a join: all its inputs' slices at once
            changes = []
            for k, i, rule, kw, shape in sends:
                c = pieces[k] if pieces is not None else rule(*args) if kw is None else rule(*args, **kw)
                x = args[k + 2]
                try:  # attribute reads: np.shape costs a dispatch per call
                    if c.shape != (shape if shape is not None else x.shape):
                        self._rule_failed(nid, k, c)
                except AttributeError:  # a rule gave a plain number
                    self._rule_failed(nid, k, c)
                if mixed and c.dtype != x.dtype and x.dtype.kind == "f":  # as PyTorch's engine: a gradient in its
                    c = c.astype(x.dtype)  # input's dtype (x32 · X64 sends float64 to the float32 x)
                old = grads[i]
                grads[i] = c if old is None else old + c
                changes.append((i, old, c))
            history.append(changes if undo else None)

    def _rule_failed(self, nid: int, k: int, c) -> None:
        """A VJP whose result is not shaped like its input is a bug in the op table: stop, naming everything."""
        node, target = self.graph.node(nid), self._walk.ops[nid][1][k]
        raise RuleError(f"internal error: the {node.op} rule sent {fmt_shape(np.shape(c))} to "
                        f"{self.graph.name_of(target)} {fmt_shape(np.shape(self._values[target]))}: "
                        f"{self.graph.formulas.backward_rule(nid, k).failed()}",
                        source=node.source, node=node.name,
                        hint="this is a bug in graphstep's op table, not in your code: please report it")

    def step_back(self) -> bool:
        """Undo the last step exactly; False when already at the start."""
        if not self._history:
            return False
        changes = self._history[-1]
        kind, nid = self.plan[self.position - 1]
        if changes is None and kind == BACKWARD:
            raise GraphstepError("this walk keeps no undo history (Stepper(graph, undo=False)): it cannot step "
                                 "back through the backward pass", hint="make a Stepper(graph) to step back")
        self._history.pop()
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
        if self.position < position:
            with np.errstate(all="ignore"):
                self._take(self.position, position)
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

    def resume(self, to: str | int = "end") -> Break | None:
        """Step until a break condition holds after a step (that Break), or to ``to`` ("end"/"forward", or a
        position): None.

        Conditions are tested after each step, so the first step is never held back by a
        breakpoint on the node just stopped at: resuming again moves past it.
        """
        if to not in ("end", "forward") and not (isinstance(to, int) and 0 <= to <= self.total):
            raise GraphstepError(f"resume to 'end', 'forward' or a position 0…{self.total}, not {to!r}")
        from .breaks import check_step  # the conditions read a Stepper: imported on first use

        target = self.total if to == "end" else self.forward_steps if to == "forward" else to
        with np.errstate(all="ignore"):
            while self.position < target:
                start = self.position
                end = quiet = self._unwatched_until(min(target, start + RESUME_CHUNK))
                if quiet > start:  # steps no breakpoint or norm limit watches: taken at run speed…
                    self._take(start, quiet)
                    if not self.break_on_nonfinite or self._finite_since(start):
                        continue
                    while self.position > start:  # …unless a NaN or Inf appeared: then again, one at a time
                        self.step_back()
                else:
                    end = start + 1
                while self.position < end:
                    self._advance()
                    found = check_step(self)
                    if found is not None:
                        return found
        return None

    def resume_back(self) -> Break | None:
        """Step back to the last earlier step after which a break condition held (that Break: a breakpoint, the
        first NaN/Inf, a gradient over the limit), or to the start: None.  The debugger's reverse-continue: the walk
        keeps every step's history, so going back is exact, and the stop is the one ``resume`` would have made.  As in
        ``resume``, unwatched steps are undone at run speed in chunks, after one look for a NaN or Inf among them."""
        from .breaks import check_step

        with np.errstate(all="ignore"):
            while self.position > 0:
                start = self.position
                end = quiet = self._unwatched_back_to(max(0, start - RESUME_CHUNK))
                if quiet < start:  # positions no breakpoint or norm limit watches: undone at run speed…
                    if not self.break_on_nonfinite or self._finite_since(max(quiet - 1, 0)):
                        self.run_to(quiet)
                        continue
                else:  # …and where one does, or a NaN or Inf was made among them, one at a time
                    end = start - 1
                while self.position > end:
                    self.step_back()
                    found = check_step(self) if self.position else None
                    if found is not None:
                        return found
        return None

    def run_to_node(self, node: int | str) -> Break | None:
        """Run to the next step of ``node`` (its forward step, then its backward one), stopping on the way as
        ``resume`` does (that Break); with none of its steps ahead, go back to its first.  A debugger's "run to
        cursor", in either pass."""
        nid = self.node_id(node)
        steps = [k for k in (self.step_of(nid, FORWARD), self.step_of(nid, BACKWARD)) if k is not None]
        if not steps:
            raise GraphstepError(f"{self.graph.name_of(nid)} has no step of its own: it is an input, and "
                                 f"is never computed or sent a gradient by a step")
        ahead = [k for k in steps if k > self.position]
        if not ahead:
            self.run_to(steps[0])
            return None
        return self.resume(to=ahead[0])

    def _unwatched_until(self, limit: int) -> int:
        """The position up to which, from here, no step is watched by a breakpoint or the norm limit."""
        if self.grad_norm_limit is not None:
            return self.position
        watched, plan = self.breakpoints, self.plan
        for k in range(self.position, limit):
            kind, nid = plan[k]
            if nid in watched and kind != SEED:
                return k
        return limit

    def _unwatched_back_to(self, limit: int) -> int:
        """The lowest position ≥ ``limit`` from which up to here no position a step back reaches is watched by a
        breakpoint or the norm limit (position q is watched when step q's node is)."""
        if self.grad_norm_limit is not None:
            return self.position
        watched, plan = self.breakpoints, self.plan
        for q in range(self.position - 1, max(limit, 1) - 1, -1):
            kind, nid = plan[q - 1]
            if nid in watched and kind != SEED:
                return q + 1
        return limit

    def _finite_since(self, start: int) -> bool:
        """Every value, seed and gradient sent by steps ``start + 1`` … now is finite: no NaN/Inf break among them
        (one holds only where a NaN or Inf is made)."""
        history, values, plan = self._history, self._values, self.plan
        arrays = []
        for k in range(start, self.position):
            kind, nid = plan[k]
            if kind == FORWARD:
                arrays.append(values[nid])
            elif kind == SEED:
                arrays.append(self.seed)
            else:
                arrays.extend(c for _, _, c in history[k])
        small = []
        for a in arrays:
            if a is None:
                continue
            if not isinstance(a, np.generic | np.ndarray):
                a = np.asarray(a)
            if a.size > CHECKED_IN_PLACE:
                if not np.isfinite(a).all():
                    return False
            else:
                small.append(a.ravel())
        return not small or bool(np.isfinite(np.concatenate(small)).all())

    # ── state ──
    def value(self, node: int | str) -> np.ndarray | None:
        """Forward value of a node (None while pending)."""
        return self._values[self.graph.id(node)]

    def grad(self, node: int | str) -> np.ndarray | None:
        """Gradient of the output with respect to a node, so far (None before any arrived): the stepper's own
        array, read-only (``np.array(st.grad(x))`` is one to change).  Later steps never change it in place."""
        return _read_only(self._grads[self.graph.id(node)])

    def grads(self) -> dict[str, np.ndarray | None]:
        """Gradients of every param, by name (read-only, as ``grad``)."""
        grads, out = self._grads, {}
        for name, nid in self.graph.params.items():  # _read_only, inline: a deep net has hundreds of params
            g = out[name] = grads[nid]
            if type(g) is np.ndarray:
                g.setflags(write=False)  # half the cost of g.flags.writeable = False, which makes a flags object
            elif g is not None:
                out[name] = _read_only(g)
        return out

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
        if not self.position:  # none yet: a view's first screen asks of every node it draws, and tallies nothing
            return []
        tally = self._tallied()
        if not tally.arrivals.get(node):  # none yet for this node: no index of the plan's arrivals
            return []
        steps = tally.arrival_steps.get(node, ())
        return [(k, self._contribution(self.plan[k - 1][1], sent))
                for k in steps[:bisect.bisect_right(steps, self.position)] for sent in self.sent(k)
                if sent.target == node]

    def sent(self, k: int) -> list[Sent]:
        """The gradients step ``k`` sent: the seed's to the output, a backward step's to each input that needs
        one (in input order), none for a forward step."""
        kind, nid = self._taken(k)
        changes = self._history[k - 1]
        if kind == FORWARD:
            return []
        if changes is None:
            raise GraphstepError(f"step {k}'s gradients were not kept: this walk keeps no undo history "
                                 "(Stepper(graph, undo=False))", hint="make a Stepper(graph) to read them")
        if kind == SEED:
            return [Sent(target, c, old) for target, old, c in changes]
        return [Sent(target, c, old, pos) for (pos, *_), (target, old, c) in zip(self._vjp_program[nid], changes)]

    def arrivals(self) -> Mapping[int, int]:
        """How many contributions each node has received so far (2+ means accumulated); a read-only view."""
        return MappingProxyType(self._tallied().arrivals)

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
        """Bytes of forward values kept alive because a backward rule still needs them (none before the first step,
        said without tallying the plan: a pass over 120,000 steps at 100,000 nodes, for a view's first screen)."""
        return 0 if self.mode == "forward" or not self.position else self._tallied().held

    def held_by_node(self) -> dict[int, int]:
        """The nodes whose forward value is held for backward now, with its bytes (``held_bytes`` is their sum)."""
        if self.mode == "forward" or not self.position:
            return {}
        tally = self._tallied()
        return {n: tally.nbytes[n] for n in tally.holds}

    def prepare(self) -> None:
        """Make what the first steps need while a view shows step 0, which needs none of it: the walk's halves,
        compiled in a background thread (``Program.prepare``), and the tally of the plan (bytes held,
        contributions arrived)."""
        self._walk.prepare()
        self._tallied()

    def _tallied(self) -> Tally:
        """The running counts, brought to the current position (cost: the steps since the last query)."""
        if self._tally is None:
            self._tally = Tally(self)
        self._tally.sync(self)
        return self._tally

    # ── records ──
    def record(self, index: int) -> Step:
        """The record of step ``index`` (1-based), which must have been taken."""
        kind, nid = self._taken(index)
        node, formulas = self.graph.node(nid), self.graph.formulas
        if kind == FORWARD:
            return Step(index, FORWARD, nid, node.name, node.op, self._values[nid], tangent=self._tangents[nid],
                        _formula=functools.partial(formulas.forward, nid))
        if kind == SEED:
            return Step(index, BACKWARD, nid, node.name, node.op, self.seed, note=self.seed_note,
                        _formula=functools.partial(formulas.seed, self.seed))
        contributions = [self._contribution(nid, sent) for sent in self.sent(index)]
        return Step(index, BACKWARD, nid, node.name, node.op, self._grads[nid], contributions)

    def _taken(self, k: int) -> tuple[str, int]:
        """(kind, node) of step ``k``, which must have been taken."""
        if not 1 <= k <= self.position:
            raise IndexError(f"step {k} has not been taken (position {self.position})")
        return self.plan[k - 1]

    def _contribution(self, nid: int, sent: Sent) -> Contribution:
        """A gradient sent by ``nid``'s backward step; ✓ when shaped like its target.  Its rule's text is written
        when the formula is first read (``Contribution.formula``)."""
        graph, k = self.graph, sent.pos
        ok = np.shape(sent.grad) == graph.shape_of(sent.target)
        return Contribution(sent.target, graph.name_of(sent.target), sent.grad, sent.accumulated,
                            graph.formulas.summed(nid, k), ok, functools.partial(graph.formulas.backward_rule, nid, k))


def _read_only(g):
    """A gradient as handed out: flagged read-only, so that nothing outside the stepper changes what it shows and
    undoes to (the stepper itself never writes into a gradient); a NumPy scalar as a 0-d array of its own."""
    if g is None:
        return None
    if not isinstance(g, np.ndarray):
        return np.array(g)
    g.setflags(write=False)
    return g
