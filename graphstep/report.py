"""Provides ``graphstep run``: the headless walkthrough as a table, and ``--check``.

The same records the TUI shows, printed one line per step, so a walkthrough can
be reproduced in a terminal log, a test or a CI job.
"""

from __future__ import annotations

import shutil

from .gradcheck import gradcheck
from .graph import trace
from .loader import load, split_target
from .ops import fmt_shape
from .stepper import Step, Stepper, summarize


def run_command(target: str, *, check: bool = False, mode: str = "reverse", width: int | None = None) -> int:
    """Trace, step to the end printing every step; 0, or 1 when ``check`` finds a mismatch."""
    graph = trace(load(target))
    stepper = Stepper(graph, mode=mode)
    width = width or shutil.get_terminal_size((160, 40)).columns
    path, _ = split_target(target)
    print(f"graphstep  {path}:{graph.name}   {len(graph)} nodes, {stepper.total} steps, {mode} mode")
    for note in graph.notes:
        print(f"note: {note}")
    print(_row("step", "phase", "node", "op", "shape", "formula", "value / gradient", width))
    while (step := stepper.step()) is not None:
        print(_format(step, graph.node(step.node)["shape"], width))
    if mode == "reverse":
        print(f"note: {stepper.seed_note}")
        for name, g in stepper.grads().items():
            print(f"grad {name} {fmt_shape(g.shape if g is not None else ())}: {summarize(g)}")
    else:
        print(f"note: {stepper.tangent_note or 'tangents given'}")
        print(f"tangent of {graph.name_of(graph.output)}: {summarize(stepper.tangent())}")
    if not check:
        return 0
    report = gradcheck(graph)
    print("gradient check (central differences):")
    print("\n".join(f"  {line}" for line in str(report).splitlines()))
    print("gradient check passed" if report.ok else "gradient check FAILED")
    return 0 if report.ok else 1


def _format(step: Step, shape: tuple, width: int) -> str:
    phase = "fwd" if step.phase == "forward" else "bwd"
    return _row(str(step.index), phase, step.name, step.op or "seed", fmt_shape(shape), step.formula,
                summarize(step.value if step.phase == "forward" else _sent(step)), width)


def _sent(step: Step):
    return step.contributions[-1].grad if step.contributions else step.value


def _row(k, phase, name, op, shape, formula, summary, width) -> str:
    head = f"{k:>4} {phase:<5} {name[:14]:<14} {op[:11]:<11} {shape:<9} "
    room = max(20, width - len(head) - 34)
    formula = formula if len(formula) <= room else formula[: room - 1] + "…"
    return f"{head}{formula:<{room}} {summary[:33]}"
