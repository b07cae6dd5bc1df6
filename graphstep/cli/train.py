"""Provides ``graphstep run FILE --train N``: a training walk printed as the run table prints a pass, with the
update rows, then the loss and gradient norm of every iteration and the trained parameters."""

from __future__ import annotations

import argparse
import math
import shutil

from ..core.loader import load_and_trace, split_target
from ..core.training import Training, Update, check_options
from ..errors import GraphstepError
from ..text import fmt_shape, summarize

ALONE = ("check", "check_all", "breaks", "stop_nonfinite", "grad_norm_limit", "per_sample", "explains", "json")


def training_options(args: argparse.Namespace) -> dict | None:
    """``--train N --lr X --optimizer NAME`` as ``Training``'s keywords; None without ``--train``.  A bad value is
    one GraphstepError (exit 2), not argparse's usage: ``--train 0``, ``--lr -1``, ``--optimizer rmsprop``."""
    if args.train is None:
        given = [f"--{name}" for name in ("lr", "optimizer") if getattr(args, name) is not None]
        if given:
            verb = "needs" if len(given) == 1 else "need"
            raise GraphstepError(f"{' and '.join(given)} {verb} --train N", hint="e.g. --train 20 --lr 0.1")
        return None
    iterations = _number(args.train, int, "--train must be a whole number of iterations ≥ 1")
    lr = _number(args.lr if args.lr is not None else "0.1", float, "--lr must be a finite number > 0")
    optimizer = args.optimizer or "sgd"
    check_options(iterations, lr, optimizer)
    return {"iterations": iterations, "lr": lr, "optimizer": optimizer}


def _number(text: str, kind: type, message: str):
    try:
        return kind(text)
    except ValueError:
        raise GraphstepError(f"{message}, not {text!r}") from None


def parse_step(text: str, training: Training | None) -> int:
    """``--step``: ``N`` steps in all, or ``I:K``, step K of iteration I (1-based) when training."""
    iteration, colon, step = text.partition(":")
    try:
        numbers = (int(iteration), int(step)) if colon else (int(text),)
    except ValueError:
        numbers = ()
    if not numbers or (colon and training is None):
        raise GraphstepError(f"--step {text}: give a number of steps" + (", or ITERATION:STEP" if training else ""),
                             hint="e.g. --step 12, or --step 3:12 with --train")
    return training.position_of(*numbers) if colon else numbers[0]


def training_at(graph, options: dict, step: int | str | None) -> Training:
    """``export --train``: the training walked to ``step`` (its end without one), which the picture draws: the
    iteration's stepper (in an update phase, the finished backward pass it updates from) and the loss curve."""
    training = Training(graph, **options)
    return training.run_to(training.total if step is None else parse_step(str(step), training))


def train_command(args: argparse.Namespace, options: dict) -> int:
    """Train, listing the first iteration's steps (every one's with ``--full``), then the loss curve as a table."""
    mixed = [f"--{name.replace('_', '-')}" for name in ALONE if getattr(args, name, None)]
    if mixed or args.mode != "reverse":
        raise GraphstepError(f"--train runs on its own: not with {', '.join(mixed) or '--mode forward'}")
    from .run import _row  # the run table's columns (imported here: the TUI reads only the options above)

    graph = load_and_trace(args.target, reseed=getattr(args, "reseed", 0) or None)
    training = Training(graph, **options)
    width = args.width or shutil.get_terminal_size((160, 40)).columns
    path, _ = split_target(args.target)
    forward = training.stepper.total
    print(f"graphstep  {path}:{graph.name}   {len(graph)} nodes, {forward} steps + {len(training.names)} updates "
          f"per iteration; training: {training.describe()}")
    for note in graph.notes:
        print(f"note: {note}")
    print(_row("step", "phase", "node", "op", "shape", "formula", "value / gradient", width))
    for iteration in range(1, training.iterations + 1):
        if args.full or iteration == 1:
            print(f"iteration {iteration}")
            _list_iteration(training, width)
        else:
            training.run_iteration()
        if iteration == 1 and training.iterations > 1 and not args.full:
            print(f"     … iterations 2–{training.iterations} taken without rows (--full lists every step)")
    _print_curve(training)
    return 0 if all(math.isfinite(loss) for loss in training.losses) else 1


def _list_iteration(training: Training, width: int) -> None:
    """One row per step of the current iteration, its update steps included."""
    from .run import _format
    for _ in range(training.steps_per_iteration):
        step = training.step()
        if isinstance(step, Update):
            _print_update(step, training.stepper.total + step.index, width)
        else:
            print(_format(step, training.graph.node(step.node).shape, width))


def _print_update(update: Update, k: int, width: int) -> None:
    """An update row (step ``k`` of its iteration), then one more row for each further line of its rule (Adam's
    moments, bias corrections)."""
    from .run import _row
    shape = fmt_shape(update.before.shape)
    print(_row(str(k), "upd", update.param, "update", shape, update.lines[0],
               f"‖d{update.param}‖ {update.grad_norm:.4g}", width))
    for line in update.lines[1:]:
        print(_row("", "", "", "", "", line, "", width).rstrip())


def _print_curve(training: Training) -> None:
    """The loss and each parameter's gradient norm per iteration, then the trained parameters."""
    names = training.names
    print(("iteration  loss          " + "  ".join(f"‖d{name}‖"[:12].ljust(12) for name in names)).rstrip())
    norms = training.grad_norms
    for k, loss in enumerate(training.losses):
        print((f"{k + 1:>9}  {loss:<12.6g}  " + "  ".join(f"{norms[name][k]:<12.4g}" for name in names)).rstrip())
    for name, value in training.params.items():
        print(f"param {name} {fmt_shape(value.shape)} after {training.iterations} iterations: {summarize(value)}")
    last = {name: values[-1] for name, values in norms.items()}
    print("final gradient norms: " + ", ".join(f"‖d{name}‖ = {norm:.3g}" for name, norm in last.items()))
