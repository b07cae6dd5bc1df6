"""Provides ``Training``: a traced computation trained for a few iterations, step by step, with exact undo; and
``OPTIMIZERS``, the update rules it steps through (sgd, momentum, adam).

Each iteration is one ``Stepper`` (forward, then backward) on that iteration's
parameters, followed by an **update** phase: one step per parameter, each
applying the optimizer's rule and saying it with the numbers
(``W1 ← W1 − 0.1·dW1  (4×16)``).  The next iteration's stepper is made with
``values=`` the updated parameters.  Nothing is written in place: an update
keeps the arrays it replaced, so stepping back across an update or an iteration
boundary restores them bit for bit.  Every iteration replays the traced graph: a
branch or a loop count the file took while tracing stays as it was (as a
``torch.jit.trace``d function does), whatever the new parameters would choose.

Positions are global (0 … ``total``); ``place`` says where one is: the
iteration (1-based), its phase and the step within the iteration.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..errors import GraphstepError
from ..text import fmt_shape
from .graph import Graph
from .records import BACKWARD, FORWARD, Step
from .stepper import Stepper

if TYPE_CHECKING:
    from .breaks import Break

UPDATE = "update"


# ── the optimizers: one entry each, its update, its state and its formula text ──
@dataclass(frozen=True)
class Optimizer:
    """An update rule: ``update(p, g, state, t, lr, **hyper) -> (new p, new state)``, never writing in place;
    ``lines`` says one update with its numbers, one line per quantity it makes (a moment, a bias correction)."""

    name: str
    formula: str  # the rule in symbols, for --help and the panel's title
    state: tuple[str, ...]  # what it keeps per parameter between iterations
    hyper: dict[str, float]
    update: Callable
    lines: Callable  # (name, shape, t, lr, **hyper) -> list[str]


def _sgd(p, g, state, t, lr):
    return p - lr * g, {}


def _sgd_lines(name, shape, t, lr):
    return [f"{name} ← {name} − {lr:g}·d{name}  {shape}"]


def _momentum(p, g, state, t, lr, mu):
    v = mu * state["v"] + g
    return p - lr * v, {"v": v}


def _momentum_lines(name, shape, t, lr, mu):
    return [f"v_{name} ← {mu:g}·v_{name} + d{name}  {shape}",
            f"{name} ← {name} − {lr:g}·v_{name}  {shape}"]


def _adam(p, g, state, t, lr, beta1, beta2, eps):
    m = beta1 * state["m"] + (1 - beta1) * g
    v = beta2 * state["v"] + (1 - beta2) * (g * g)
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v}


def _adam_lines(name, shape, t, lr, beta1, beta2, eps):
    return [f"m_{name} ← {beta1:g}·m_{name} + {1 - beta1:.3g}·d{name}  {shape}",
            f"v_{name} ← {beta2:g}·v_{name} + {1 - beta2:.3g}·d{name}²  {shape}",
            f"m̂ = m_{name}/(1 − {beta1:g}^{t}) = m_{name}/{1 - beta1 ** t:.4g}",
            f"v̂ = v_{name}/(1 − {beta2:g}^{t}) = v_{name}/{1 - beta2 ** t:.4g}",
            f"{name} ← {name} − {lr:g}·m̂/(√v̂ + {eps:g})  {shape}"]


OPTIMIZERS: dict[str, Optimizer] = {o.name: o for o in (
    Optimizer("sgd", "p ← p − lr·dp", (), {}, _sgd, _sgd_lines),
    Optimizer("momentum", "v ← μ·v + dp;  p ← p − lr·v", ("v",), {"mu": 0.9}, _momentum, _momentum_lines),
    Optimizer("adam", "m ← β₁m + (1−β₁)dp;  v ← β₂v + (1−β₂)dp²;  p ← p − lr·m̂/(√v̂ + ε)", ("m", "v"),
              {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, _adam, _adam_lines),
)}


# ── records ──
@dataclass(frozen=True)
class Update:
    """One update step: a parameter before and after, the gradient it used, the optimizer state it replaced."""

    iteration: int  # 1-based
    index: int  # 1-based within the update phase
    param: str
    node: int
    lines: tuple[str, ...]
    grad: np.ndarray
    before: np.ndarray
    after: np.ndarray
    state_before: dict = field(repr=False)
    state_after: dict = field(repr=False)

    @property
    def formula(self) -> str:
        """The rule on one line (the step listing's column)."""
        return "; ".join(self.lines)

    @property
    def grad_norm(self) -> float:
        return float(np.linalg.norm(self.grad))

    @property
    def moved(self) -> float:
        """‖after − before‖: how far the parameter moved."""
        return float(np.linalg.norm(np.asarray(self.after, dtype=float) - self.before))


class Place(NamedTuple):
    """Where a global position is: the iteration (1-based), the phase of its last step (forward, backward,
    update; forward at an iteration's start) and the step within the iteration (0 … ``steps``)."""

    iteration: int
    phase: str
    step: int
    steps: int


# ── the walk ──
class Training:
    """Train ``graph``'s params for ``iterations`` iterations of forward, backward and update, one step at a time.

    ``step`` takes a forward or backward step of the current iteration's stepper (a ``Step``) or an update step
    (an ``Update``); ``step_back`` undoes either, across iteration boundaries.  The optimizer state and every
    parameter array an update replaced are kept, so undo is exact.
    """

    def __init__(self, graph: Graph, iterations: int, lr: float, optimizer: str = "sgd", **hyper) -> None:
        check_options(iterations, lr, optimizer)
        if not graph.params:
            raise GraphstepError(f"{graph.name or 'the graph'} has no parameters to train",
                                 hint="a trainable leaf is gs.param(value, name=...)")
        if graph.shape_of(graph.output) != ():
            raise GraphstepError(f"training needs a scalar loss: {graph.name_of(graph.output)} is "
                                 f"{fmt_shape(graph.shape_of(graph.output))}")
        self.graph, self.iterations, self.lr = graph, iterations, float(lr)
        self.optimizer = OPTIMIZERS[optimizer]
        unknown = set(hyper) - set(self.optimizer.hyper)
        if unknown:
            raise GraphstepError(f"{optimizer} takes no {', '.join(sorted(unknown))}",
                                 hint=f"it takes {', '.join(self.optimizer.hyper) or 'only lr'}")
        self.hyper = {**self.optimizer.hyper, **hyper}
        self.names = list(graph.params)
        start = {name: np.asarray(graph.leaf_values[nid]) for name, nid in graph.params.items()}
        self._steppers = [Stepper(graph)]  # one per iteration reached; later ones kept when stepped back from
        self._params = [start]  # params at the start of each iteration reached, then after the last
        self._state = {name: {s: np.zeros_like(p, dtype=np.result_type(p, 0.0)) for s in self.optimizer.state}
                       for name, p in start.items()}
        self._updates: list[list[Update]] = [[]]
        self.iteration = 0  # 0-based index of the current iteration

    # ── the plan ──
    @property
    def steps_per_iteration(self) -> int:
        return self._steppers[0].total + len(self.names)

    @property
    def total(self) -> int:
        return self.iterations * self.steps_per_iteration

    @property
    def stepper(self) -> Stepper:
        """The current iteration's stepper (done during its update phase)."""
        return self._steppers[self.iteration]

    @property
    def updates(self) -> list[Update]:
        """The update steps taken in the current iteration."""
        return self._updates[self.iteration]

    @property
    def position(self) -> int:
        return self.iteration * self.steps_per_iteration + self.stepper.position + len(self.updates)

    @property
    def done(self) -> bool:
        return self.position == self.total

    @property
    def place(self) -> Place:
        """Where the walk is: iteration, phase of the last step, step within the iteration."""
        st, k = self.stepper, self.stepper.position + len(self.updates)
        phase = UPDATE if self.updates else st.phase_of(st.position) if st.position else FORWARD
        return Place(self.iteration + 1, phase, k, self.steps_per_iteration)

    @property
    def phase(self) -> str:
        """The phase of the last step taken (forward before any)."""
        return self.place.phase

    def position_of(self, iteration: int, step: int) -> int:
        """The global position of ``step`` steps into ``iteration`` (1-based), as ``--step 3:12`` gives it."""
        per = self.steps_per_iteration
        if not 1 <= iteration <= self.iterations or not 0 <= step <= per:
            raise GraphstepError(f"no step {iteration}:{step}: iterations 1…{self.iterations}, steps 0…{per}")
        return (iteration - 1) * per + step

    @property
    def params(self) -> dict[str, np.ndarray]:
        """The parameters as they are now: the last update's, or the current iteration's start."""
        current = dict(self._params[self.iteration])
        current.update({u.param: u.after for u in self.updates})
        return current

    def params_at(self, iteration: int) -> dict[str, np.ndarray]:
        """The parameters the forward pass of ``iteration`` (1-based) ran on; ``iterations + 1``: the trained ones
        (both once reached)."""
        return self._params[iteration - 1]

    # ── stepping ──
    def step(self) -> Step | Update | None:
        """Take one step: forward, backward or update; None at the end of training."""
        st = self.stepper
        if not st.done:
            return st.step()
        if len(self.updates) < len(self.names):
            return self._update()
        if self.iteration + 1 == self.iterations:
            return None
        self._next_iteration()
        return self.stepper.step()

    def _update(self) -> Update:
        """Apply the optimizer to the next parameter with the gradient this iteration's backward pass gave it."""
        name, t = self.names[len(self.updates)], self.iteration + 1
        before, g = self._params[self.iteration][name], self.stepper.grad(name)
        if g is None:  # a param the loss does not depend on gets no gradient: it stays
            g = np.zeros_like(before)
        state = self._state[name]
        with np.errstate(all="ignore"):
            after, new_state = self.optimizer.update(before, g, state, t, self.lr, **self.hyper)
        lines = self.optimizer.lines(name, fmt_shape(np.shape(before)), t, self.lr, **self.hyper)
        update = Update(t, len(self.updates) + 1, name, self.graph.params[name], tuple(lines), g, before,
                        np.asarray(after), state, new_state)
        self._state[name] = new_state
        self.updates.append(update)
        if len(self.updates) == len(self.names) and len(self._params) == self.iteration + 1:
            self._params.append(self.params)  # the next iteration's params (the same again after an undo)
        return update

    def _next_iteration(self) -> None:
        """Enter the next iteration: its stepper runs on the updated params (kept when stepped back from, since
        the same updates give the same params)."""
        self.iteration += 1
        if len(self._steppers) == self.iteration:
            self._steppers.append(Stepper(self.graph, values=self._params[self.iteration]))
            self._updates.append([])
        carry_marks(self._steppers[self.iteration - 1], self.stepper)

    def step_back(self) -> bool:
        """Undo the last step exactly, across an update or an iteration boundary; False at the start."""
        if self.updates:
            undone = self.updates.pop()
            self._state[undone.param] = undone.state_before
            return True
        if self.stepper.position > 1 or self.iteration == 0:
            return self.stepper.step_back()
        if self.stepper.step_back():  # the iteration's first step: back at the end of the previous update phase
            self._previous_iteration()
            return True
        self._previous_iteration()  # at an iteration's start already: that is the end of the one before
        return self.step_back()

    def _previous_iteration(self) -> None:
        """From the start of an iteration to the end of the one before (the same global position)."""
        self.iteration -= 1
        carry_marks(self._steppers[self.iteration + 1], self.stepper)

    def run_to(self, position: int) -> Training:
        """Step forward or back until ``position`` steps have been taken (each stepper's own runs are used
        within an iteration)."""
        position = max(0, min(position, self.total))
        while self.position > position:
            if self.updates or self.stepper.position <= 1:
                self.step_back()
            else:
                self.stepper.run_to(max(1, position - self.iteration * self.steps_per_iteration))
        while self.position < position:
            within = position - self.iteration * self.steps_per_iteration
            if not self.stepper.done and within > self.stepper.position:
                self.stepper.run_to(within)
            else:
                self.step()
        return self

    def run(self) -> Training:
        return self.run_to(self.total)

    def reset(self) -> Training:
        return self.run_to(0)

    def run_iteration(self) -> Training:
        """To the end of the current iteration's update phase, or of the next one when already there."""
        per = self.steps_per_iteration
        return self.run_to((self.position // per + 1) * per)

    # ── the walk as the TUI's keys move it: ``Stepper``'s methods of the same names, across iterations ──
    def resume(self, to: str = "end") -> Break | None:
        """``e``: to the end of this iteration, its updates included (of the next one when already there);
        ``f``: to the end of the next forward pass.  Either stops where a break condition holds (that Break)."""
        st, end = self.stepper, (self.iteration + 1) * self.steps_per_iteration
        nothing_left = len(self.updates) == len(self.names) if to == "end" else st.position >= st.forward_steps
        if nothing_left:  # on into the next iteration
            self.run_to(end)
            if self.step() is None:
                return None
        found = self.stepper.resume(to)
        if found is None and to == "end":
            self.run_to((self.iteration + 1) * self.steps_per_iteration)
        return found

    def resume_back(self) -> Break | None:
        """``E``: back to the last earlier step after which a break condition held, across iterations."""
        while True:
            while self.updates:
                self.step_back()
            found = self.stepper.resume_back()
            if found is not None or self.iteration == 0:
                return found
            self._previous_iteration()

    def run_to_node(self, node: int | str) -> Break | None:
        """``t``: to the next step of ``node`` in this iteration (``Stepper.run_to_node``), its updates undone."""
        while self.updates:
            self.step_back()
        return self.stepper.run_to_node(node)

    # ── what the views and the CLI show ──
    def record(self, k: int) -> Step | Update:
        """The record of global step ``k`` (1-based), which must be in the current iteration."""
        first = self.iteration * self.steps_per_iteration
        within = k - first
        if not 1 <= within <= self.stepper.position + len(self.updates):
            raise IndexError(f"step {k} is not a taken step of iteration {self.iteration + 1}")
        if within <= self.stepper.total:
            return self.stepper.record(within)
        return self.updates[within - self.stepper.total - 1]

    @property
    def losses(self) -> list[float]:
        """The loss of each iteration whose forward pass is complete."""
        out = self.graph.output
        return [float(st.value(out)) for st in self._steppers[:self.iteration + 1] if st.value(out) is not None]

    @property
    def grad_norms(self) -> dict[str, list[float]]:
        """Per parameter, the norm of its gradient in each iteration whose backward pass is complete."""
        done = [st for st in self._steppers[:self.iteration + 1] if st.done]
        return {name: [_norm(st.grad(name)) for st in done] for name in self.names}

    def describe(self) -> str:
        """``sgd, lr 0.1, 20 iterations``: the options, as the CLI header and the panel's title say them."""
        extra = "".join(f", {k} {v:g}" for k, v in self.hyper.items() if v != self.optimizer.hyper[k])
        return f"{self.optimizer.name}, lr {self.lr:g}{extra}, {self.iterations} iterations"


def carry_marks(old: Stepper, new: Stepper) -> None:
    """Breakpoints and break conditions set in one iteration hold in the next and the previous."""
    new.breakpoints, new.break_on_nonfinite, new.grad_norm_limit = \
        set(old.breakpoints), old.break_on_nonfinite, old.grad_norm_limit


def _norm(g) -> float:
    return 0.0 if g is None else float(np.linalg.norm(g))


def check_options(iterations: int, lr: float, optimizer: str) -> None:
    """Training options a user gave, with one clear message for a bad one."""
    if not isinstance(iterations, int) or isinstance(iterations, bool) or iterations < 1:
        raise GraphstepError(f"--train must be a whole number of iterations ≥ 1, not {iterations!r}")
    if not isinstance(lr, int | float) or not math.isfinite(lr) or lr <= 0:
        raise GraphstepError(f"--lr must be a finite number > 0, not {lr!r}")
    if optimizer not in OPTIMIZERS:
        raise GraphstepError(f"unknown optimizer {optimizer!r}", hint=f"choose one of {', '.join(OPTIMIZERS)}")


def train(graph: Graph, iterations: int, lr: float, optimizer: str = "sgd", **hyper) -> Training:
    """Train to the end at once: ``gs.train(graph, 20, lr=0.1).params``."""
    return Training(graph, iterations, lr, optimizer, **hyper).run()


__all__ = ["BACKWARD", "FORWARD", "OPTIMIZERS", "UPDATE", "Optimizer", "Place", "Training", "Update", "carry_marks",
           "train"]
