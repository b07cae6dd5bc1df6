"""Provides ``compare``: what changed between two traces of a computation (after an edit or new data).

Structure comes from the graphs alone: node counts, how often each source line
ran (a ``while`` that loops 7 times, then 5), params added, removed or
reshaped, the output's shape.  Values come from steppers when given: the output
old → new and each param's gradient, as far as both have computed them.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass, field

import numpy as np

from ..core.graph import Graph
from ..core.stepper import Stepper
from ..text import fmt_shape, summarize

Shape = tuple[int, ...]


@dataclass
class LineRuns:
    """How often one source line ran in the old and the new trace."""

    source: str  # "file.py:LINE"
    code: str
    old_ops: int
    new_ops: int
    old_runs: int
    new_runs: int

    def __str__(self) -> str:
        counts = (f"ran {self.old_runs} → {self.new_runs} times" if self.old_runs != self.new_runs
                  else f"{self.old_ops} → {self.new_ops} ops")
        return f"{self.source}  {self.code}  — {counts}"


@dataclass
class Comparison:
    """The differences between two traces; ``lines()`` says them, the fields let tests assert them."""

    old_nodes: int
    new_nodes: int
    line_runs: list[LineRuns]  # only lines whose op count changed, in source order
    params_added: dict[str, Shape]
    params_removed: dict[str, Shape]
    params_reshaped: dict[str, tuple[Shape, Shape]]
    output_shape: tuple[Shape, Shape]
    inputs_added: dict[str, Shape] = field(default_factory=dict)
    inputs_removed: dict[str, Shape] = field(default_factory=dict)
    inputs_reshaped: dict[str, tuple[Shape, Shape]] = field(default_factory=dict)
    values_changed: dict[str, float] = field(default_factory=dict)  # leaf (input/param) name → max |Δ|
    output_value: tuple[np.ndarray, np.ndarray] | None = None  # when both steppers computed it
    grad_changes: dict[str, float] = field(default_factory=dict)  # param name → max |Δ gradient|

    @property
    def changed(self) -> bool:
        structure = (self.old_nodes != self.new_nodes or self.line_runs or self.params_added or self.params_removed
                     or self.params_reshaped or self.output_shape[0] != self.output_shape[1] or self.inputs_added
                     or self.inputs_removed or self.inputs_reshaped)
        output = self.output_value is not None and not _same(*self.output_value)
        return bool(structure or self.values_changed or output or any(self.grad_changes.values()))

    def lines(self) -> list[str]:
        """The differences as a learner reads them, most structural first."""
        out = [f"nodes {self.old_nodes} → {self.new_nodes}"]
        out += [str(runs) for runs in self.line_runs]
        for kind, added, removed, reshaped in (("param", self.params_added, self.params_removed,
                                                self.params_reshaped),
                                               ("input", self.inputs_added, self.inputs_removed,
                                                self.inputs_reshaped)):
            out += [f"{kind} {k} {fmt_shape(s)} added" for k, s in added.items()]
            out += [f"{kind} {k} {fmt_shape(s)} removed" for k, s in removed.items()]
            out += [f"{kind} {k} reshaped {fmt_shape(a)} → {fmt_shape(b)}" for k, (a, b) in reshaped.items()]
        old_shape, new_shape = self.output_shape
        if old_shape != new_shape:
            out.append(f"output shape {fmt_shape(old_shape)} → {fmt_shape(new_shape)}")
        out += [f"value of {k} changed: max |Δ| {d:.3g}" for k, d in self.values_changed.items()]
        if self.output_value is not None:
            old, new = self.output_value
            out.append(f"output {summarize(old)} (unchanged)" if _same(old, new) else
                       f"output {summarize(old)} → {summarize(new)}{_delta(old, new)}")
        out += [f"grad {k}: max |Δ| {d:.3g}" for k, d in self.grad_changes.items() if d != 0]
        return out if self.changed else [*out, "no differences"]

    def __str__(self) -> str:
        return "\n".join(self.lines())


def compare(old: Graph, new: Graph, old_stepper: Stepper | None = None,
            new_stepper: Stepper | None = None) -> Comparison:
    """What changed from ``old`` to ``new``: structure always, values where both steppers have them."""
    params = _leaves(old.params, old, new.params, new)
    inputs = _leaves(old.inputs, old, new.inputs, new)
    result = Comparison(len(old), len(new), line_runs(old, new), *params,
                        (old.node(old.output).shape, new.node(new.output).shape), *inputs)
    result.values_changed = _value_changes(old, new)
    if old_stepper is not None and new_stepper is not None:
        a, b = old_stepper.value(old.output), new_stepper.value(new.output)
        if a is not None and b is not None:
            result.output_value = (np.array(a), np.array(b))
        result.grad_changes = _grad_changes(old_stepper, new_stepper)
    return result


def line_runs(old: Graph, new: Graph) -> list[LineRuns]:
    """Lines whose op count differs, with how often each ran in either trace."""
    before, after = _ops_by_line(old), _ops_by_line(new)
    found = []
    for key in sorted(before.keys() | after.keys()):
        (source, a, ran_a), (_, b, ran_b) = before.get(key, ("", 0, 0)), after.get(key, ("", 0, 0))
        if a != b:
            found.append(LineRuns(source or after[key][0], linecache.getline(*key).strip(), a, b, ran_a, ran_b))
    return found


def _ops_by_line(graph: Graph) -> dict[tuple[str, int], tuple[str, int, int]]:
    """(file, line) → (its "file.py:LINE" as shown, its op count, how often it ran).

    A line ran once per group (loop iteration, function call) its ops were made in: the grouping knows.
    """
    innermost = graph.grouping.innermost
    seen: dict[tuple[str, int], tuple[str, list[int]]] = {}
    for nid in graph.op_nodes:
        node = graph.node(nid)
        seen.setdefault((node.file, node.line), (node.source, []))[1].append(nid)
    return {key: (source, len(ops), len({innermost[n] for n in ops})) for key, (source, ops) in seen.items()}


def _leaves(old_ids: dict[str, int], old: Graph, new_ids: dict[str, int], new: Graph) -> tuple[dict, dict, dict]:
    """(added, removed, reshaped) leaves matched by name."""
    shape_old = {k: old.node(i).shape for k, i in old_ids.items()}
    shape_new = {k: new.node(i).shape for k, i in new_ids.items()}
    added = {k: s for k, s in shape_new.items() if k not in shape_old}
    removed = {k: s for k, s in shape_old.items() if k not in shape_new}
    reshaped = {k: (s, shape_new[k]) for k, s in shape_old.items() if k in shape_new and s != shape_new[k]}
    return added, removed, reshaped


def _value_changes(old: Graph, new: Graph) -> dict[str, float]:
    """Inputs and params present in both with the same shape whose values differ."""
    changes = {}
    for names_old, names_new in ((old.inputs, new.inputs), (old.params, new.params)):
        for k, i in names_old.items():
            j = names_new.get(k)
            if j is not None and old.node(i).shape == new.node(j).shape:
                diff = _max_abs(old.leaf_values[i], new.leaf_values[j])
                if diff:
                    changes[k] = diff
    return changes


def _grad_changes(a: Stepper, b: Stepper) -> dict[str, float]:
    """Max |Δ| of each param's gradient that both steppers have, same name and shape."""
    changes = {}
    for k in (k for k in a.graph.params if k in b.graph.params):
        ga, gb = a.grad(k), b.grad(k)
        if ga is not None and gb is not None and ga.shape == gb.shape:
            changes[k] = _max_abs(ga, gb)
    return changes


def _max_abs(a, b) -> float:
    if np.array_equal(a, b, equal_nan=True):
        return 0.0
    with np.errstate(invalid="ignore"):
        d = np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))
    return float(np.max(d, initial=0.0)) if not np.isnan(d).any() else float("nan")


def _same(a, b) -> bool:
    return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b, equal_nan=True))


def _delta(old, new) -> str:
    return f" (max |Δ| {_max_abs(old, new):.3g})" if np.shape(old) == np.shape(new) else ""
