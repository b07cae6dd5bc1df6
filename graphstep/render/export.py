"""Provides ``export``, ``export_frames``, ``export_beside`` (library), ``export_command`` and ``doctor`` (CLI).

Every file goes through ``graphstep.files``: written atomically, never over a
file graphstep did not write (nor a read-only one) unless ``force``, keeping
the mode of the file it replaces; a folder of frames is replaced as a whole.
Long work reports to a ``progress`` callback and stops when ``cancel`` is set.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from ..core.graph import Graph
from ..core.heap import keep
from ..core.stepper import Stepper
from ..core.work import Progress, Work
from ..errors import GraphstepError
from ..files import Folder, check_replaceable, free_names, write_file
from .dot import LIMIT, Picture, picture_scene, split_subject
from .engines import TIMEOUT, measure, render
from .player import player_html
from .positions import DOT_BOXES, place

FORMATS = ("svg", "png", "pdf", "dot")


def export(subject: Graph | Stepper, path: str | os.PathLike, *, format: str | None = None,  # noqa: A002
           step: int | None = None, rankdir: str = "TB", full: bool = False, fold: bool | None = None,
           limit: int = LIMIT, timeout: float = TIMEOUT, force: bool = False) -> Path:
    """Write a picture of ``subject`` to ``path`` (.svg .png .pdf .dot); ``step`` draws the state after N steps.

    A Graph without ``step`` is drawn as structure; a Stepper as it stands now.
    ``fold``: True draws every repeat (loop iterations, equal calls) as one
    "× k" box, False none, None the long ones (see ``to_dot``).  ``force``
    replaces a file graphstep did not write, or a read-only one (keeping its mode).
    """
    path = Path(path)
    fmt = output_format(path, format)
    check_replaceable(path, force=force)  # before the layout: a refusal costs nothing
    subject = at_step(subject, step)
    data = picture(subject, fmt, rankdir=rankdir, full=full, fold=fold, limit=limit, timeout=timeout)
    return write_file(path, data, fmt, force=force)


def export_beside(stepper: Stepper, source: str | os.PathLike, formats: tuple[str, ...] = ("svg", "png"), *,
                  fold: bool | None = None) -> list[Path]:
    """Pictures of ``stepper`` beside the user's file (the TUI's ``x``): ``FILE-stepN.svg`` and ``.png``, folded
    as the TUI shows it (``fold``: the TUI's ``z``, see ``export``).

    A name held by a file graphstep did not write is never replaced: the pair
    moves on to ``FILE-stepN-2.svg`` (``-3`` …), so the two pictures stay a pair.
    """
    stem = f"{os.path.splitext(source)[0]}-step{stepper.position}"
    paths = free_names(lambda k: [Path(f"{stem}{f'-{k}' if k > 1 else ''}.{fmt}") for fmt in formats])
    for path in paths:
        export(stepper, path, fold=fold)
    return paths


def picture(subject: Graph | Stepper, fmt: str, *, rankdir: str = "TB", full: bool = False,
            fold: bool | None = None, limit: int = LIMIT, timeout: float = TIMEOUT) -> bytes:
    """The bytes of a picture in ``fmt`` (svg, png, pdf or dot)."""
    drawn = _picture(subject, rankdir=rankdir, full=full, fold=fold, limit=limit)
    keep(drawn)  # the graphstep program exits next: freeing a 100,000-node scene would be time lost
    return drawn.dot().encode("utf-8") if fmt == "dot" else draw(drawn, fmt, timeout=timeout)


def draw(drawn: Picture, fmt: str, *, timeout: float = TIMEOUT, dpi: float | None = None) -> bytes:
    """Graphviz's drawing of a picture: laid out by dot up to ``DOT_BOXES`` boxes, where its pictures are
    better; placed by graphstep's own layout above, where dot's time grows with the square of the boxes.
    ``dpi`` rasterises a PNG at that resolution (Graphviz's default is 96): sharp at any scale."""
    if drawn.boxes <= DOT_BOXES:
        return render(_at_dpi(drawn.dot(), dpi), fmt, timeout=timeout)
    placed = place(drawn, measure(drawn.sizing_dot(), timeout=timeout))
    return render(_at_dpi(drawn.dot(placed), dpi), fmt, timeout=timeout, placed=True)


def _at_dpi(dot: str, dpi: float | None) -> str:
    # a root-level ``dpi=`` is a graph attribute wherever it stands
    return dot if dpi is None else f"{dot.rstrip().removesuffix('}')}\tdpi={dpi:g}\n}}\n"


def _picture(subject: Graph | Stepper, *, rankdir: str, full: bool, fold: bool | None, limit: int) -> Picture:
    if rankdir not in ("TB", "LR"):
        raise GraphstepError(f"rankdir must be TB or LR, not {rankdir!r}")
    return Picture(picture_scene(subject, full=full, fold=fold, limit=limit), rankdir)


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


# ── frames ──

def export_frames(subject: Graph | Stepper, directory: str | os.PathLike, *, format: str = "svg",  # noqa: A002
                  rankdir: str = "TB", full: bool = False, fold: bool | None = None, limit: int = LIMIT,
                  timeout: float = TIMEOUT, force: bool = False, progress: Progress | None = None,
                  cancel: threading.Event | None = None) -> list[Path]:
    """One picture per step (``step-000.svg`` … after the last step) plus ``index.html``, a player for them.

    The folder is replaced as a whole (see ``graphstep.files``): stale frames
    of a longer earlier walk go, and a folder holding files graphstep did not
    write is refused unless ``force``.  ``progress(done, total, what)`` hears of
    each frame; setting ``cancel`` stops at the next one with ``work.Cancelled``,
    the old folder as it was.
    """
    if format not in ("svg", "png"):
        raise GraphstepError(f"frames are drawn as svg or png, not {format}")
    stepper = fresh_stepper(subject)
    work = Work(f"drawing the frames of {stepper.graph.name}", stepper.total + 1, progress, cancel)
    width = max(3, len(str(stepper.total)))
    frames = step_pictures(stepper, format, work, rankdir=rankdir, full=full, fold=fold, limit=limit,
                           timeout=timeout)
    drawn = []
    with Folder(directory, force=force) as folder, contextlib.closing(frames):
        for frame in frames:
            folder.write(f"step-{frame.step:0{width}d}.{format}", frame.image, format)
            drawn.append(frame)
            work.advance(f"step {frame.step}")
        folder.write("index.html", player_html(stepper.graph.name, drawn, format).encode("utf-8"), "html")
    return folder.paths


class Frame(NamedTuple):
    """One step's picture, with what a player or an animation says beside it."""

    step: int
    caption: str  # the step's formula (``_frame_title``)
    image: bytes
    focus: str | None  # the DOT name of the box holding the step's node (None at step 0)


def step_pictures(stepper: Stepper, fmt: str, work: Work, *, steps: Iterable[int] | None = None,
                  timeout: float = TIMEOUT, dpi: float | None = None, **options) -> Iterator[Frame]:
    """The frames of ``steps`` (default: step 0 … the last), in order; laid out in parallel, a bounded number at a
    time, each drawn once.

    Leaving early (an error, ``cancel``, ctrl+c) drops the layouts not yet begun.
    """
    workers = min(8, os.cpu_count() or 2)
    pending: deque = deque()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            for k in range(stepper.total + 1) if steps is None else steps:
                work.check()
                stepper.run_to(k)
                drawn = _picture(stepper, **options)
                image = pool.submit(draw, drawn, fmt, timeout=timeout, dpi=dpi)  # a Frame of a future till drawn
                pending.append(Frame(k, _frame_title(stepper), image, _focus(drawn, stepper)))
                if len(pending) > 2 * workers:
                    yield _drawn(pending.popleft())
            while pending:
                yield _drawn(pending.popleft())
        finally:
            for frame in pending:
                frame.image.cancel()


def _drawn(frame: Frame) -> Frame:
    return frame._replace(image=frame.image.result())


def _focus(drawn: Picture, stepper: Stepper) -> str | None:
    """The DOT name of the box the step's node is drawn in (its own, or a folded box holding it)."""
    if stepper.position == 0:
        return None
    node = stepper.record(stepper.position).node
    return drawn.scene.hidden.get(node) or f"n{node}"


def _frame_title(stepper: Stepper) -> str:
    if stepper.position == 0:
        return "step 0: start"
    record = stepper.record(stepper.position)
    return f"step {stepper.position} · {record.phase} · {record.formula}"
