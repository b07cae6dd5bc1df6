"""Provides ``graphstep run --json``: the walkthrough as JSON Lines, one object per step, for other tools.

The objects carry what a row of the table says, in full: the step's phase, node,
op, shapes, formula and source line, the value (forward) or the gradient arriving
(backward) and every contribution a backward step sends.  Arrays are summarised
(shape, dtype, min/mean/max, norm, NaN/Inf count) and written whole up to
``VALUES_UP_TO`` entries, so a consumer can replay a small walk number by number.
Standard JSON has no NaN or infinity: those entries are the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"``.  ``SCHEMA`` names the format; the JSON Schema
beside this module (``step_stream.schema.json``) defines it, and a change that
breaks a reader gets a new version.
"""

from __future__ import annotations

import json
import linecache
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..core.breaks import Break, check_step
from ..core.stepper import Step, Stepper

SCHEMA = "graphstep.steps/1"
VALUES_UP_TO = 64  # arrays with at most this many entries are written whole


def stream_walk(stepper: Stepper, source: str) -> int:
    """Print the walk as JSON Lines: a header, a step object per step (up to a break condition), a summary.
    0 at the end or at a breakpoint, 1 at a NaN/Inf or norm stop (as the table's exit codes)."""
    stop = None
    for obj in walk_objects(stepper, source):
        print(json.dumps(obj, ensure_ascii=False, allow_nan=False))
        if obj["type"] == "summary":
            stop = obj["stopped"]
    return 0 if stop is None or stop["reason"] == "breakpoint" else 1


def walk_objects(stepper: Stepper, source: str) -> Iterator[dict[str, Any]]:
    """The stream's objects, in order; the walk advances as they are taken."""
    graph = stepper.graph
    yield {"type": "header", "schema": SCHEMA, "file": source, "computation": graph.name, "mode": stepper.mode,
           "nodes": len(graph), "steps": stepper.total, "forward_steps": stepper.forward_steps,
           "notes": list(graph.notes)}
    watch = stepper.breakpoints or stepper.break_on_nonfinite or stepper.grad_norm_limit is not None
    stop: Break | None = None
    while (step := stepper.step()) is not None:
        yield step_object(stepper, step)
        stop = check_step(stepper) if watch else None
        if stop is not None:
            break
    yield summary_object(stepper, stop)


def step_object(stepper: Stepper, step: Step) -> dict[str, Any]:
    """One step, as its record says it (``Stepper.record``)."""
    node = stepper.graph.node(step.node)
    obj: dict[str, Any] = {
        "type": "step", "step": step.index, "phase": step.phase, "node": step.node, "name": step.name,
        "op": step.op, "kind": node.kind, "shape": list(node.shape), "dtype": node.dtype, "formula": step.formula,
        "source": {"at": node.source, "line": node.line, "function": node.func, "text": _line_text(node)},
        "inputs": [stepper.graph.name_of(i) for i in node.inputs],
        "value" if step.phase == "forward" else "grad": array_summary(step.value),
        "contributions": [{"to": c.name, "node": c.target, "formula": c.formula, "accumulated": c.accumulated,
                           "summed_axes": list(c.summed_axes), "ok": c.ok, "grad": array_summary(c.grad)}
                          for c in step.contributions],
    }
    if step.tangent is not None:
        obj["tangent"] = array_summary(step.tangent)
    if step.note:
        obj["note"] = step.note
    return obj


def summary_object(stepper: Stepper, stop: Break | None) -> dict[str, Any]:
    """Where the walk ended and its results: each param's gradient (reverse mode) or the output's tangent."""
    graph = stepper.graph
    stopped = None if stop is None else {"step": stop.step, "reason": stop.reason, "node": graph.name_of(stop.node),
                                         "message": stop.message}
    obj: dict[str, Any] = {
        "type": "summary", "position": stepper.position, "done": stepper.done, "stopped": stopped,
        "output": {"name": graph.name_of(graph.output), "value": array_summary(stepper.value(graph.output))},
    }
    if stepper.mode == "reverse":
        obj["seed_note"] = stepper.seed_note
        obj["grads"] = {name: array_summary(g) for name, g in stepper.grads().items()}
    else:
        obj["tangent"] = array_summary(stepper.tangent())
    return obj


def array_summary(a: np.ndarray | None) -> dict[str, Any] | None:
    """An array's shape, dtype and statistics over its finite entries, and the entries themselves when few."""
    if a is None:
        return None
    a = np.asarray(a)
    finite = a[np.isfinite(a)] if a.dtype.kind in "fc" else a.ravel()
    numeric = a.dtype.kind in "biuf"
    obj: dict[str, Any] = {"shape": list(a.shape), "dtype": a.dtype.name, "size": int(a.size),
                           "nonfinite": int(a.size - finite.size)}
    if numeric and finite.size:
        obj.update(min=_number(finite.min()), mean=_number(finite.mean()), max=_number(finite.max()),
                   norm=_number(np.linalg.norm(finite.astype(np.float64, copy=False))))
    if a.size <= VALUES_UP_TO:
        obj["values"] = _numbers(a.tolist())
    return obj


def _numbers(x):
    """Nested lists of Python numbers with NaN and ±inf spelt as JSON strings."""
    if isinstance(x, list):
        return [_numbers(v) for v in x]
    return _number(x)


def _number(x) -> Any:
    x = x.item() if isinstance(x, np.generic) else x
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    return x


def _line_text(node) -> str:
    return linecache.getline(node.file, node.line).strip() if node.line else ""
