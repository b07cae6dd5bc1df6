"""Provides ``graphstep run``: the headless walkthrough as a table, break conditions, ``--check``
and ``--per-sample``.

The same records the TUI shows, printed one line per step, so a walkthrough can
be reproduced in a terminal log, a test or a CI job.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Sequence

import numpy as np

from ..analysis.explain import explain, parse_entry
from ..analysis.gradcheck import ENTRIES, gradcheck
from ..analysis.persample import per_sample_gradients
from ..core.breaks import Break, check_step
from ..core.graph import Graph
from ..core.loader import load_and_trace, split_target
from ..core.stepper import Step, Stepper
from ..errors import GraphstepError
from ..pytorch import agreement
from ..text import fmt_shape, summarize
from .progress import StatusLine
from .stream import stream_walk

ROWS_SHOWN = 2_000  # a longer walk prints its first and last 1,000 steps; --full prints every one
GRADS_SHOWN = 200  # likewise the gradients of its params


def run_command(target: str, *, check: bool | str = False, mode: str = "reverse", width: int | None = None,
                breaks: Sequence[str] = (), stop_nonfinite: bool = False, grad_norm_limit: float | None = None,
                per_sample: str | None = None, full: bool = False, explains: Sequence[str] = (),
                as_json: bool = False, reseed: int = 0) -> int:
    """Trace, step to the end printing every step, or until a break condition holds.

    ``check``: True checks a sample of each param's entries, ``"all"`` every entry.  ``full``: a row for every step
    and every param however many (else the middle of a walk longer than ``ROWS_SHOWN`` is taken without rows).
    0; 1 when stopped at a NaN/Inf or above the norm limit, when ``check`` finds a
    mismatch, or when the batch gradient is not the mean of the per-sample ones.  ``explains``: entries
    (``dW1[2,5]``, ``Z1[3,7]``) printed after the results as the scalar sums they are.  ``as_json``: the walk as
    JSON Lines (``stream``) instead of the table.  ``reseed``: new draws of every ``gs.rng(seed)``, as ``L`` does.
    """
    if as_json:
        _refuse_with_json({"--check": check, "--per-sample": per_sample, "--explain": explains, "--full": full})
    with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():  # the file's prints
        graph = load_and_trace(target, reseed=reseed or None)
    stepper = Stepper(graph, mode=mode)
    stepper.breakpoints.update(stepper.node_id(name) for name in breaks)  # unknown names fail before the table
    stepper.break_on_nonfinite, stepper.grad_norm_limit = stop_nonfinite, grad_norm_limit
    if as_json:
        return stream_walk(stepper, split_target(target)[0])
    for entry in explains:  # a bad name or index fails before the table
        parse_entry(graph, entry)
    samples = None
    if per_sample is not None:  # fails before the table
        with StatusLine("per-sample gradients") as line:
            samples = per_sample_gradients(graph, per_sample, progress=line)
    path, _ = split_target(target)
    print(f"graphstep  {path}:{graph.name}   {len(graph)} nodes, {stepper.total} steps, {mode} mode")
    for note in graph.notes:
        print(f"note: {note}")
    stop = _walk(stepper, width or shutil.get_terminal_size((160, 40)).columns, full)
    if stop is not None:
        print(f"stopped after step {stop.step}: {stop.message}")
        _print_explanations(stepper, explains, stopped=stop.step)
        return 0 if stop.reason == "breakpoint" else 1
    _print_results(stepper, full)
    _print_explanations(stepper, explains)
    failed = bool(check) and not _check(graph, "all" if check == "all" else ENTRIES)
    if check:
        failed = not _torch_agrees(target, stepper) or failed
    if samples is not None:
        print("\n".join(samples.lines()))
        failed = failed or not samples.ok
    return 1 if failed else 0


def _refuse_with_json(given: dict[str, object]) -> None:
    """--json is the walk alone: the options (by their names on the command line) that print more than the walk
    are refused, not silently dropped."""
    used = [option for option, value in given.items() if value]
    if used:
        raise GraphstepError(f"--json writes the walk alone: {', '.join(used)} cannot go with it",
                             hint="run once with --json and once with the other options")


def _walk(stepper: Stepper, width: int, full: bool) -> Break | None:
    """Print one row per step until the end, or until a break condition holds after a step; the middle of a long
    walk is taken without rows, at run speed, stopping as a row-by-row walk would."""
    print(_row("step", "phase", "node", "op", "shape", "formula", "value / gradient", width))
    watch = stepper.breakpoints or stepper.break_on_nonfinite or stepper.grad_norm_limit is not None
    total = stepper.total
    skip_from, skip_to = (None, total) if full or total <= ROWS_SHOWN else (ROWS_SHOWN // 2, total - ROWS_SHOWN // 2)
    while (step := stepper.step()) is not None:
        print(_format(step, stepper.graph.node(step.node).shape, width))
        stop = check_step(stepper) if watch else None
        if stop is not None:
            return stop
        if stepper.position == skip_from:
            stop = _without_rows(stepper, skip_to)
            if stop is not None:
                print(_format(stepper.record(stop.step), stepper.graph.node(stop.node).shape, width))
                return stop
    return None


def _without_rows(stepper: Stepper, to: int) -> Break | None:
    """Steps up to position ``to`` with no row each, stopping where a break condition holds (``resume``: at run
    speed where none is set); a line says which."""
    start = stepper.position
    stop = stepper.resume(to=to)
    last = stepper.position - (stop is not None)  # a break's own step gets its row
    print(f"     … steps {start + 1:,}–{last:,} taken without a row ({last - start:,} steps; --full prints every one)")
    return stop


def _print_results(stepper: Stepper, full: bool) -> None:
    graph = stepper.graph
    if stepper.mode == "reverse":
        print(f"note: {stepper.seed_note}")
        grads = list(stepper.grads().items())
        shown = grads if full or len(grads) <= GRADS_SHOWN else [*grads[:GRADS_SHOWN // 2], None,
                                                                  *grads[-GRADS_SHOWN // 2:]]
        for item in shown:
            if item is None:
                print(f"… the gradients of {len(grads) - GRADS_SHOWN:,} more params (--full lists every one)")
                continue
            name, g = item
            print(f"grad {name} {fmt_shape(g.shape if g is not None else ())}: {summarize(g)}")
    else:
        print(f"note: {stepper.tangent_note or 'tangents given'}")
        print(f"tangent of {graph.name_of(graph.output)}: {summarize(stepper.tangent())}")
    if not stepper.break_on_nonfinite and not _all_finite(stepper):
        first = Stepper(graph, mode=stepper.mode).resume()  # find where the NaN/Inf first appeared
        if first is not None and first.reason == "nonfinite":
            print(f"note: step {first.step} is the first with NaN/Inf (stop there with --stop-nonfinite): "
                  f"{first.message}")


def _print_explanations(stepper: Stepper, entries: Sequence[str], stopped: int | None = None) -> None:
    """Each ``--explain`` entry as the scalar sum it is, with the numbers of the finished walk, or of the step a
    break stopped it at (said; an entry not made yet by then says when it will be)."""
    at = f" (as of step {stopped}, where the walk stopped)" if stopped is not None else ""
    for entry in entries:
        try:
            lines = explain(stepper, entry).lines()
        except GraphstepError as err:
            if stopped is None:
                raise
            lines = [str(err)]
        print(f"explain {entry}{at}:")
        print("\n".join(f"  {line}" for line in lines))


def _all_finite(stepper: Stepper) -> bool:
    results = [stepper.value(stepper.graph.output), *stepper.grads().values(), stepper.tangent()]
    return all(a is None or bool(np.isfinite(a).all()) for a in results)


def _check(graph: Graph, entries: int | str) -> bool:
    with StatusLine("gradient check") as line:
        report = gradcheck(graph, entries=entries, progress=line)
    print("gradient check (central differences):")
    print("\n".join(f"  {line}" for line in str(report).splitlines()))
    if report.sampled:
        print("  (--check-all checks every entry)")
    print("gradient check passed" if report.ok else "gradient check FAILED")
    return report.ok


def _torch_agrees(target: str, stepper: Stepper) -> bool:
    """A PyTorch script's gradients against torch's own ``.grad`` for the same script; True for a NumPy file."""
    found = agreement(target, stepper.grads())
    if found is None:
        return True
    lines, ok = found
    print("\n".join(lines))
    return ok


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
