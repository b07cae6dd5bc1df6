"""Provides ``export`` (library), ``export_command`` and ``doctor`` (CLI): pictures written to files.

Every file is written atomically: the bytes are rendered first, written to a
temporary file in the same directory and moved into place, so a failure never
leaves a half-written picture.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import GraphstepError
from ..graph import Graph, trace
from ..loader import load
from ..stepper import Stepper
from .dot import LIMIT, split_subject, to_dot
from .engines import INSTALL_HINT, TIMEOUT, find_renderer, render
from .player import player_html
from .scene import title

FORMATS = ("svg", "png", "pdf", "dot")


def export(subject: Graph | Stepper, path: str | os.PathLike, *, format: str | None = None,  # noqa: A002
           step: int | None = None, rankdir: str = "TB", full: bool = False, fold: bool | None = None,
           limit: int = LIMIT, timeout: float = TIMEOUT) -> Path:
    """Write a picture of ``subject`` to ``path`` (.svg .png .pdf .dot); ``step`` draws the state after N steps.

    A Graph without ``step`` is drawn as structure; a Stepper as it stands now.
    ``fold``: True draws every repeat (loop iterations, equal calls) as one
    "× k" box, False none, None the long ones (see ``to_dot``).
    """
    path = Path(path)
    fmt = output_format(path, format)
    subject = at_step(subject, step)
    data = picture(subject, fmt, rankdir=rankdir, full=full, fold=fold, limit=limit, timeout=timeout)
    write_atomic(path, data)
    return path


def picture(subject: Graph | Stepper, fmt: str, *, rankdir: str = "TB", full: bool = False,
            fold: bool | None = None, limit: int = LIMIT, timeout: float = TIMEOUT) -> bytes:
    """The bytes of a picture in ``fmt`` (svg, png, pdf or dot)."""
    if rankdir not in ("TB", "LR"):
        raise GraphstepError(f"rankdir must be TB or LR, not {rankdir!r}")
    dot = to_dot(subject, rankdir=rankdir, full=full, fold=fold, limit=limit)
    return dot.encode("utf-8") if fmt == "dot" else render(dot, fmt, timeout=timeout)


def output_format(path: Path, format: str | None) -> str:  # noqa: A002
    """The format from ``--format`` or else the file's suffix."""
    fmt = (format or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise GraphstepError(f"cannot tell the picture format of {str(path)!r}",
                             hint="end the file name in .svg, .png, .pdf or .dot, or pass --format")
    return fmt


def at_step(subject: Graph | Stepper, step: int | None) -> Graph | Stepper:
    """A Stepper moved to ``step`` (a fresh one for a Graph); the subject itself when ``step`` is None."""
    if step is None:
        return subject
    stepper = fresh_stepper(subject)
    if not 0 <= step <= stepper.total:
        raise GraphstepError(f"step {step} is out of range: {stepper.graph.name} has steps 0 to {stepper.total}")
    return stepper.run_to(step)


def fresh_stepper(subject: Graph | Stepper) -> Stepper:
    """A new Stepper at step 0 over the same graph and seed: drawing never moves the caller's stepper."""
    graph, stepper = split_subject(subject)
    if stepper is None:
        return Stepper(graph)
    return Stepper(graph, seed=stepper.seed, mode=stepper.mode)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory; GraphstepError if unwritable."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise GraphstepError(f"cannot write {path}: directory {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise GraphstepError(f"cannot write {path}: {err.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as err:
        _remove(tmp)
        raise GraphstepError(f"cannot write {path}: {err.strerror}") from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


# ── frames ──

def export_frames(subject: Graph | Stepper, directory: str | os.PathLike, *, format: str = "svg",  # noqa: A002
                  rankdir: str = "TB", full: bool = False, fold: bool | None = None, limit: int = LIMIT,
                  timeout: float = TIMEOUT) -> list[Path]:
    """One picture per step (``step-000.svg`` … after the last step) plus ``index.html``, a player for them."""
    if format not in ("svg", "png"):
        raise GraphstepError(f"frames are drawn as svg or png, not {format}")
    stepper = fresh_stepper(subject)
    graph = stepper.graph
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise GraphstepError(f"cannot create {directory}: {err.strerror}") from None
    dots, titles = [], []
    for k in range(stepper.total + 1):
        stepper.run_to(k)
        dots.append(to_dot(stepper, rankdir=rankdir, full=full, fold=fold, limit=limit))
        titles.append(_frame_title(stepper))
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
        images = list(pool.map(lambda dot: render(dot, format, timeout=timeout), dots))
    width = max(3, len(str(stepper.total)))
    paths = [directory / f"step-{k:0{width}d}.{format}" for k in range(len(images))]
    for path, data in zip(paths, images):
        write_atomic(path, data)
    index = directory / "index.html"
    write_atomic(index, player_html(graph.name, images, titles, format).encode("utf-8"))
    return [*paths, index]


def _frame_title(stepper: Stepper) -> str:
    if stepper.position == 0:
        return "step 0: start"
    record = stepper.record(stepper.position)
    return f"step {stepper.position} · {record.phase} · {record.formula}"


# ── command line ──

def export_command(args: argparse.Namespace) -> int:
    """``graphstep export FILE[:NAME] -o OUT [--format] [--step N] [--rankdir] [--frames DIR] [--[no-]fold]``."""
    if not args.output and not args.frames:
        raise GraphstepError("nothing to write", hint="give -o OUT.svg (or .png .pdf .dot) and/or --frames DIR")
    graph = trace(load(args.target))
    options = {"rankdir": args.rankdir, "full": args.full, "fold": args.fold}
    if args.output:
        stepper = at_step(graph, len(Stepper(graph).plan) if args.step is None else args.step)
        path = export(stepper, args.output, format=args.format, **options)
        print(f"wrote {path} ({_describe(stepper)})")
    if args.frames:
        fmt = args.format if args.format in ("svg", "png") else "svg"
        written = export_frames(graph, args.frames, format=fmt, **options)
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
