"""Provides the ``graphstep`` command: the TUI, ``run``, ``export`` and ``doctor``.

Only argument parsing, exit codes and messages live here.  A user error prints
one message and exits 2; a failed gradient check, a stop at a NaN/Inf or a
gradient above ``--grad-norm-limit``, or a per-sample mismatch exits 1; ctrl+c
exits 130 with one line, never a traceback; a reader that closes the pipe
(``graphstep run FILE | head``) ends it quietly with 141, as Unix tools do.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import math
import os
import signal
import sys
import threading
import warnings
from collections.abc import Sequence

from .. import __version__
from ..core.heap import hold_heap, own_heap
from ..core.work import Cancelled
from ..errors import GraphstepError

COMMANDS = ("run", "export", "doctor", "tui", "serve")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphstep", description="Make backpropagation visible: step a NumPy computation node by node.",
        epilog="graphstep FILE[:NAME] opens the interactive stepper; see also 'graphstep run -h' and "
               "'graphstep export -h'.")
    parser.add_argument("--version", action="version", version=f"graphstep {__version__}")
    sub = parser.add_subparsers(dest="command")

    _add_tui_options(sub.add_parser("tui", help="open the interactive stepper (the default command)"))
    serve = sub.add_parser("serve", help="serve the interactive stepper to a web browser, on this machine only "
                                         "unless --host says otherwise (needs graphstep[serve])")
    _add_tui_options(serve)
    serve.add_argument("--port", type=int, default=8000, help="the port to listen on (default 8000)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="the address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 serves "
                            "every network it is on)")

    run = sub.add_parser("run", help="step headless and print a table of every step")
    run.add_argument("target", metavar="FILE[:NAME]")
    run.add_argument("--check", action="store_true",
                     help="gradient check by central differences of a seeded random sample of up to 24 entries "
                          "of each param (fewer on graphs of thousands of nodes; it says how many); exit 1 on a "
                          "mismatch")
    run.add_argument("--check-all", action="store_true",
                     help="gradient check of every entry of every param (slow on big graphs: ctrl+c stops it)")
    run.add_argument("--mode", choices=("reverse", "forward"), default="reverse")
    run.add_argument("--width", type=int, default=None, help="table width (default: terminal width)")
    run.add_argument("--break", dest="breaks", action="append", default=[], metavar="NAME",
                     help="stop after the step of node NAME, forward or backward (repeatable; exit 0)")
    run.add_argument("--stop-nonfinite", action="store_true",
                     help="stop at the first step where NaN or Inf appears (exit 1)")
    run.add_argument("--grad-norm-limit", type=_norm_limit, default=None, metavar="X",
                     help="stop after a backward step sending a gradient of norm above X (exit 1)")
    run.add_argument("--per-sample", metavar="PARAM",
                     help="per-sample gradients of PARAM against the batch gradient (exit 1 unless it is their mean)")
    run.add_argument("--full", action="store_true",
                     help="a row for every step and a line for every param's gradient (without it, the middle of a "
                          "long walk is taken without rows, and of a long list of params not listed)")
    run.add_argument("--backward", type=int, default=None, metavar="N", help=_BACKWARD)
    run.add_argument("--explain", dest="explains", action="append", default=[], metavar="ENTRY",
                     help="after the results, how one entry is made, as its scalar sum with the numbers: a gradient "
                          "'dW1[2,5]' or a value 'Z1[3,7]' (repeatable)")
    run.add_argument("--json", action="store_true",
                     help="write the walk as JSON Lines instead of the table: a header, an object per step, a summary "
                          "(the format is in README); the file's own prints go to stderr")
    _add_reseed(run)
    _add_training(run)

    export = sub.add_parser("export", help="write a picture of the graph (.svg .png .pdf .dot), or the walk as an "
                                           "animation (.gif .apng .webp; .mp4 with graphstep[video])")
    export.add_argument("target", metavar="FILE[:NAME]")
    export.add_argument("-o", "--output", required=False, help="output file; format from its suffix")
    export.add_argument("--format", choices=("svg", "png", "pdf", "dot"), help="override the suffix")
    export.add_argument("--step", type=_step, default=None, metavar="N|I:K",
                        help="draw the state after N steps (default: the end); with --train, I:K is step K of "
                             "iteration I")
    export.add_argument("--rankdir", choices=("LR", "TB"), default="TB")
    export.add_argument("--frames", metavar="DIR", help="write one picture per step into DIR, plus index.html")
    animation = export.add_argument_group("animations (-o walk.gif, .apng, .webp, .mp4)")
    animation.add_argument("--every", type=int, default=1, metavar="K", help="a frame every K steps (the last "
                                                                             "step always has one)")
    animation.add_argument("--from", dest="start", type=int, default=0, metavar="N", help="the first step drawn")
    animation.add_argument("--to", dest="stop", type=int, default=None, metavar="N",
                           help="the last step drawn (default: the end)")
    animation.add_argument("--scale", type=float, default=1.0, metavar="X",
                           help="frame size: 1 is the size of the PNG export, 0.5 half (a smaller file)")
    animation.add_argument("--fps", type=float, default=1.0, metavar="X",
                           help="frames a second (default 1); the last frame stays 3 seconds")
    export.add_argument("--fold", action=argparse.BooleanOptionalAction, default=None,
                        help="draw each repeat (loop iterations or calls doing the same thing) as one box '× k', "
                             "the step in progress opened; --no-fold draws them all (default: fold repeats of more "
                             "than 6, and all repeats in graphs over 300 nodes)")
    export.add_argument("--full", action="store_true", help="draw every node, neither folded nor collapsed, even for "
                                                            "very large graphs")
    export.add_argument("--force", action="store_true", help="replace files graphstep did not write, and read-only "
                                                             "ones (their mode is kept)")
    export.add_argument("--backward", type=int, default=None, metavar="N", help=_BACKWARD)
    _add_training(export)

    sub.add_parser("doctor", help="say which Graphviz renderer graphstep will use")
    return parser


_BACKWARD = "a PyTorch script: record up to its N-th .backward() call (default: the first)"


def _add_tui_options(parser: argparse.ArgumentParser) -> None:
    """The TUI's arguments: ``graphstep serve`` takes the same, and hands them to the TUI it serves."""
    parser.add_argument("target", metavar="FILE[:NAME]")
    parser.add_argument("--break", dest="breaks", action="append", default=[], metavar="NAME",
                        help="a breakpoint on this node (repeatable): e and f stop there in both passes")
    parser.add_argument("--grad-norm-limit", type=_norm_limit, default=None, metavar="X",
                        help="e and f also stop where a gradient's norm exceeds X (they always stop at NaN/Inf)")
    _add_reseed(parser)
    parser.add_argument("--backward", type=int, default=None, metavar="N", help=_BACKWARD)
    _add_training(parser)


def _add_reseed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reseed", type=_draw, default=0, metavar="K",
                        help="draw new inputs: every gs.rng(seed) in the file draws with K as well (L in the TUI)")


def _add_training(parser: argparse.ArgumentParser) -> None:
    """``--train N --lr X --optimizer NAME``; checked by ``cli.train.training_options`` (one message, exit 2)."""
    parser.add_argument("--train", metavar="N", help="train the params for N iterations: forward, backward, then an "
                                                     "update step per param, on the updated params each time")
    parser.add_argument("--lr", metavar="X", help="the learning rate of --train (default 0.1)")
    parser.add_argument("--optimizer", metavar="NAME", help="the update rule of --train: sgd (default), momentum "
                                                            "(μ 0.9) or adam (β 0.9, 0.999)")


def _norm_limit(text: str) -> float:
    """``--grad-norm-limit``: a finite number ≥ 0 (a NaN limit would never stop anything)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number ≥ 0, not {text!r}")
    return value


def _step(text: str) -> int | str:
    """``--step``: N steps (an int), or ``I:K`` (kept as text: step K of iteration I, with ``--train``)."""
    iteration, colon, step = text.partition(":")
    if not (iteration.isdigit() and (step.isdigit() if colon else True)):
        raise argparse.ArgumentTypeError(f"must be a number of steps N, or I:K with --train, not {text!r}")
    return text if colon else int(text)


def _draw(text: str) -> int:
    """``--reseed``: a whole number ≥ 0 (NumPy seeds are never negative)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number ≥ 0, not {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """The ``graphstep`` command; its exit code.  Nothing but a message ever reaches the terminal: a second
    ctrl+c while the first is being reported is caught too."""
    if argv is None:  # the program itself, not a library or a test calling main: its heap is its own to freeze
        own_heap()
        # and its output its own: a NaN is the table's and the TUI's to show and explain ("input e (0) is empty"),
        # as np.errstate already keeps NumPy's floating-point warnings out; NumPy's own Python warnings of an empty
        # mean or a variance of one value would follow the table as a stray line naming fromnumeric.py
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"numpy\.")
        if sys.argv[1:2] in (["run"], ["export"]):  # one graph, kept till the program exits
            hold_heap()
    try:
        try:
            code = _main(argv)
            sys.stdout.flush()  # a reader that went away shows here, not as a message at interpreter exit
            if argv is None:  # the program ends: its exit need not collect a 100,000-node graph (0.8 s)
                gc.freeze()
            return code
        except KeyboardInterrupt:
            return _interrupted(from_console=argv is None)
        except BrokenPipeError:
            _drop_stdout()
            return 141  # 128 + SIGPIPE: what `yes | head -1` gives
    except KeyboardInterrupt:
        return 130


def _main(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        argv = ["tui", *argv]
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 2
    try:
        return _dispatch(args)
    except Cancelled as err:
        print(f"graphstep: {err.summary()}", file=sys.stderr)
        return 130
    except GraphstepError as err:
        if getattr(err, "traceback_text", ""):  # the user's own exception: their frames first
            print(err.traceback_text.rstrip(), file=sys.stderr)
        print(f"graphstep: {err.summary()}", file=sys.stderr)
        return 2


def _interrupted(from_console: bool) -> int:
    """ctrl+c: one line and 130.  Run as the ``graphstep`` program, later ctrl+c's are ignored: it is exiting."""
    if from_console and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        print("\ngraphstep: interrupted", file=sys.stderr)
    return 130


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit cannot raise into a closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in ("run", "export", "tui"):
        from ..pytorch import select_backward

        select_backward(args.backward, args.target)
    from .train import training_options

    training = args.training = training_options(args) if args.command in ("run", "tui", "export", "serve") else None
    if args.command == "run" and training is not None:
        from .train import train_command

        return train_command(args, training)
    if args.command == "run":
        from .run import run_command

        return run_command(args.target, check="all" if args.check_all else args.check, mode=args.mode,
                           width=args.width, breaks=args.breaks,
                           stop_nonfinite=args.stop_nonfinite, grad_norm_limit=args.grad_norm_limit,
                           per_sample=args.per_sample, full=args.full, explains=args.explains,
                           as_json=args.json, reseed=args.reseed)
    if args.command == "export":
        from .export import export_command

        return export_command(args)
    if args.command == "serve":
        from .serve import serve_command

        return serve_command(args)
    if args.command == "doctor":
        from .export import doctor

        return doctor()
    from ..tui.app import run_app

    return run_app(args.target, breaks=args.breaks, grad_norm_limit=args.grad_norm_limit, reseed=args.reseed,
                   training=training)


if __name__ == "__main__":
    sys.exit(main())
