"""Provides ``graphstep export`` and ``graphstep doctor``: their messages and exit codes over ``render.export``."""

from __future__ import annotations

import argparse

from ..core.graph import trace
from ..core.loader import load
from ..core.stepper import Stepper
from ..errors import GraphstepError
from ..files import check_folder, check_replaceable
from ..render.engines import INSTALL_HINT, find_renderer
from ..render.export import at_step, export, export_frames
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
        check_folder(args.frames, force=force)
    graph = trace(load(args.target))
    options = {"rankdir": args.rankdir, "full": args.full, "fold": args.fold, "force": force}
    if args.output:
        stepper = Stepper(graph).run() if args.step is None else at_step(graph, args.step)
        with StatusLine(f"drawing {args.output} ({len(graph):,} nodes)"):
            path = export(stepper, args.output, format=args.format, **options)
        print(f"wrote {path} ({_describe(stepper)})")
    if args.frames:
        fmt = args.format if args.format in ("svg", "png") else "svg"
        with StatusLine(f"drawing frames into {args.frames}") as line:
            written = export_frames(graph, args.frames, format=fmt, progress=line, **options)
        print(f"wrote {len(written) - 1} frames and {written[-1]} (open it in a browser; ←/→ step)")
    return 0


def _describe(stepper: Stepper) -> str:
    return title(stepper.graph, stepper).split(" · ", 2)[-1]


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
