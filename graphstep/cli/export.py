"""Provides ``graphstep export`` and ``graphstep doctor``: their messages and exit codes over ``render.export``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.graph import trace
from ..core.heap import keep
from ..core.loader import load
from ..core.stepper import Stepper
from ..core.training import Training
from ..errors import GraphstepError
from ..files import check_folder, check_replaceable
from ..render.chart import export_training, where
from ..render.engines import INSTALL_HINT, find_renderer
from ..render.export import FORMATS, at_step, export, export_frames
from ..render.scene import title
from .progress import StatusLine


def export_command(args: argparse.Namespace) -> int:
    """``graphstep export FILE[:NAME] -o OUT [--format] [--step N] [--rankdir] [--frames DIR] [--[no-]fold] [--force]``.

    Both targets are checked before anything is drawn, so a refusal writes nothing.
    """
    if not args.output and not args.frames:
        raise GraphstepError("nothing to write", hint="give -o OUT.svg (or .png .pdf .dot) and/or --frames DIR")
    force = args.force
    if args.output:
        check_replaceable(args.output, force=force)
    if args.frames:
        _frames_walk_one_pass(args)
        check_folder(args.frames, force=force)
    options = {"rankdir": args.rankdir, "full": args.full, "fold": args.fold, "force": force}
    try:
        graph = trace(load(args.target))
    except GraphstepError as err:
        if err.partial_graph is not None and args.output and not _animation(args.output):  # drawn red
            _export_partial(err.partial_graph, args, options)
        raise  # then the same message and exit code as ever
    if args.output and _animation(args.output):
        _animate(graph, args, options)
    elif args.output:
        walk = _state(graph, args)
        with StatusLine(f"drawing {args.output} ({len(graph):,} nodes)"):
            path = (export if isinstance(walk, Stepper) else export_training)(walk, args.output, format=args.format,
                                                                              **options)
        keep(graph, walk)  # the program exits next: freeing a 100,000-node graph and its walk took 0.1 s
        print(f"wrote {path} ({_describe(walk)})")
    if args.frames:
        fmt = args.format if args.format in ("svg", "png") else "svg"
        with StatusLine(f"drawing frames into {args.frames}") as line:
            written = export_frames(graph, args.frames, format=fmt, progress=line, **options)
        print(f"wrote {len(written) - 1} frames and {written[-1]} (open it in a browser; ←/→ step)")
    return 0


def _animation(output: str) -> bool:
    """Whether ``-o`` names an animation (.gif .apng .webp .mp4).  ``render.animate``, which brings Pillow (25 ms
    of every export's start), is imported only for a suffix that is not a picture's."""
    if Path(output).suffix.lstrip(".").lower() in FORMATS:
        return False
    from ..render.animate import animation_format

    return animation_format(output) is not None


def _export_partial(graph, args: argparse.Namespace, options: dict) -> None:
    """The graph recorded up to the call that failed while tracing (``core.partial``), as of ``--step`` (every
    recorded step without it, and with ``--train``: there is nothing to train yet)."""
    stepper = Stepper(graph).run() if getattr(args, "training", None) is not None else _state(graph, args)
    path = export(stepper, args.output, format=args.format, **options)
    print(f"wrote {path} (the graph up to the call that failed, drawn red)")


def _state(graph, args: argparse.Namespace) -> Stepper | Training:
    """The walk to draw: after ``--step`` steps (the end without it); with ``--train``, the training at ``--step
    I:K`` (its iteration's stepper is drawn, on that iteration's params, with the loss curve)."""
    from .train import parse_step, training_at

    training = getattr(args, "training", None)
    if training is not None:
        return training_at(graph, training, args.step)
    return walked(graph) if args.step is None else at_step(graph, parse_step(str(args.step), None))


def walked(graph) -> Stepper:
    """The walk to its end as one picture of it needs it: without undo history, and the compiled backward half
    dropped once run (``Stepper(undo=False)``, ``Program.release_backward``): at 100,000 nodes the picture is
    drawn in 40 MB less.  Only the program does this; the library's and the TUI's steppers step back.  The names,
    which the picture needs, are made first: the walk then fills the memory the tracer's naming notes leave (6 MB
    less at the peak)."""
    graph.records()
    stepper = Stepper(graph, undo=False).run_forward()
    graph.walk.release()  # the forward half, before the backward half is compiled into the memory it held
    stepper.run()
    graph.walk.release()
    return stepper


def _describe(walk: Stepper | Training) -> str:
    """``step 7 of 15 · forward pass done``, after ``iteration 2 of 3 · `` when training."""
    if isinstance(walk, Stepper):
        return title(walk.graph, walk).split(" · ", 2)[-1]
    return f"{where(walk)} · {_describe(walk.stepper)}"


def _frames_walk_one_pass(args: argparse.Namespace) -> None:
    """``--frames`` draws the steps of one forward and backward pass: with ``--train``, refused before anything is
    written (a picture of any step of the training is ``-o OUT --step I:K``)."""
    if getattr(args, "training", None) is not None:
        raise GraphstepError("--frames draws one pass, not a training: not with --train",
                             hint="draw a step of the training with -o OUT.svg --step I:K (iteration I, step K)")


def doctor() -> int:
    """Say which Graphviz renderer export will use, and how to get the other."""
    renderer = find_renderer()
    if renderer is None:
        print("graphstep doctor: no Graphviz renderer found; .dot export still works.")
        print(f"  {INSTALL_HINT}")
        return 2
    print(f"renderer: {renderer.describe()}")
    if renderer.kind == "dot":
        print("  (without dot on PATH, graphstep falls back to pygraphviz's bundled Graphviz: pip install pygraphviz)")
    else:
        print("  (a system Graphviz on PATH is preferred when present: apt/brew/conda install graphviz)")
    print("  force one with GRAPHSTEP_RENDERER=dot or GRAPHSTEP_RENDERER=pygraphviz")
    return 0


def _animate(graph, args: argparse.Namespace, options: dict) -> None:
    """``-o walk.gif`` (.apng .webp .mp4): the walk ``--from`` … ``--to``, a frame every ``--every`` steps."""
    if args.step is not None or getattr(args, "training", None) is not None:
        raise GraphstepError("an animation draws the walk, not one state: --step and --train do not apply",
                             hint="pick its steps with --from N --to M --every K")
    from ..render.animate import export_animation

    with StatusLine(f"drawing {args.output} ({len(graph):,} nodes)") as line:
        made = export_animation(graph, args.output, every=args.every, start=args.start, stop=args.stop,
                                scale=args.scale, fps=args.fps, progress=line, **options)
    print(f"wrote {made.path} ({made.describe()})")
