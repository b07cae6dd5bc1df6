"""Provides ``export_training``, ``export_training_beside`` (the TUI's ``x``) and ``TrainingPicture``: a picture
of one iteration of a training, with the loss and each parameter's gradient norm per iteration drawn under its
title.

The curves are bar charts in Graphviz's HTML-like labels (a column of two
cells per iteration: empty above, filled below), so SVG, PNG and PDF draw them
alike with no plotting library; the bars widen with the title above them, as
Graphviz stretches a nested table to its cell.  The iteration drawn is marked; iterations not
reached yet are a grey baseline; a series spanning over two decades is drawn on
a log scale and says so.  The graph itself is drawn as ``export`` draws it.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import GraphstepError
from ..files import check_replaceable, free_names, write_file
from . import style as S
from .dot import LIMIT, Picture, picture_scene
from .engines import TIMEOUT
from .export import draw, output_format

if TYPE_CHECKING:
    from ..core.training import Training

BAR_HEIGHT = 36  # points: the tallest bar
LOWEST_BAR = 4  # points: the smallest value's bar, taller than the 1-point baseline of an iteration not reached
BARS_WIDTH = 240  # points the bars of one series share at most
MAX_BARS = 80  # iterations drawn at most; a longer training draws evenly spaced ones
MAX_SERIES = 9  # the loss and up to 8 gradient norms; further params are counted, not drawn
LOG_SPAN = 100.0  # a positive series whose largest value is this many times its smallest is drawn on a log scale
LOSS, NORM, EMPTY = "#4c6ef5", S.EDGE_GRAD, S.PENDING


class TrainingPicture(Picture):
    """``Picture`` of the training's current iteration, its title followed by the training chart."""

    def __init__(self, training: Training, *, rankdir: str = "TB", full: bool = False, fold: bool | None = None,
                 limit: int = LIMIT) -> None:
        if rankdir not in ("TB", "LR"):
            raise GraphstepError(f"rankdir must be TB or LR, not {rankdir!r}")
        super().__init__(picture_scene(training.stepper, full=full, fold=fold, limit=limit), rankdir)
        self.chart = chart_html(training)

    def _digraph(self):
        g = super()._digraph()
        scene = self.scene
        title = S.title_html(scene.title, scene.note, scene.stateful)[1:-1]  # the table inside <…>
        g.attr(label=f'<<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="0"><TR><TD ALIGN="LEFT">{title}</TD></TR>'
                     f'<TR><TD ALIGN="LEFT">{self.chart}</TD></TR></TABLE>>')  # the last label given is drawn
        return g


def export_training(training: Training, path: str | os.PathLike, *, format: str | None = None,  # noqa: A002
                    rankdir: str = "TB", full: bool = False, fold: bool | None = None, limit: int = LIMIT,
                    timeout: float = TIMEOUT, force: bool = False) -> Path:
    """Write a picture of the training as it stands (``export``'s formats and options) with its chart."""
    path = Path(path)
    fmt = output_format(path, format)
    check_replaceable(path, force=force)
    drawn = TrainingPicture(training, rankdir=rankdir, full=full, fold=fold, limit=limit)
    data = drawn.dot().encode("utf-8") if fmt == "dot" else draw(drawn, fmt, timeout=timeout)
    return write_file(path, data, fmt, force=force)


def export_training_beside(training: Training, source: str | os.PathLike, formats: tuple[str, ...] = ("svg", "png"),
                           *, fold: bool | None = None) -> list[Path]:
    """The TUI's ``x`` while training: ``FILE-iteration3-step16.svg`` and ``.png`` beside the user's file, never
    over a file graphstep did not write (``export_beside``'s ``-2``, ``-3`` … then)."""
    stem = f"{os.path.splitext(source)[0]}-iteration{training.iteration + 1}-step{training.place.step}"
    paths = free_names(lambda k: [Path(f"{stem}{f'-{k}' if k > 1 else ''}.{fmt}") for fmt in formats])
    for path in paths:
        export_training(training, path, fold=fold)
    return paths


def where(training: Training) -> str:
    """``iteration 2 of 3``, or in its update phase ``iteration 2 of 3 · update 1 of 3: W1 ← W1 − 0.1·dW1  (4×16)``
    (the picture then draws the backward pass the update used): which step of the training a picture draws."""
    at = f"iteration {training.iteration + 1} of {training.iterations}"
    updates = training.updates
    if not updates:
        return at
    return f"{at} · update {len(updates)} of {len(training.names)}: {updates[-1].lines[-1]}"


def chart_html(training: Training) -> str:
    """The chart as an HTML-like table: a heading, then a row per series (name, bars, first → last value)."""
    norms = training.grad_norms
    series = [("loss", training.losses, LOSS), *((f"‖d{name}‖", values, NORM) for name, values in norms.items())]
    shown, left = series[:MAX_SERIES], len(series) - MAX_SERIES
    marked = training.place.iteration
    bars = "".join(_series_row(label, values, colour, training.iterations, marked) for label, values, colour in shown)
    lines = [f'<B>Training</B> · {_esc(training.describe())} · drawn: {_esc(where(training))} '
             f'<FONT COLOR="{S.CURRENT}">■</FONT>',
             f'<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="1">{bars}</TABLE>']
    if left > 0:
        lines.append(f'<FONT COLOR="{S.MUTED}">… and the gradient norms of {left} more param{"s" * (left > 1)} '
                     f'(graphstep run --train lists them)</FONT>')
    rows = "".join(f'<TR><TD ALIGN="LEFT">{line}</TD></TR>' for line in lines)
    return f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">{rows}</TABLE>'


def _series_row(label: str, values: list[float], colour: str, iterations: int, marked: int) -> str:
    """One series: its name, a bar per iteration drawn (the marked one in the current step's colour), its range."""
    drawn = sorted({*bar_iterations(iterations), marked})  # the iteration drawn has its bar, however many there are
    heights, log = bar_heights(values)
    cells = []
    width = max(2, min(10, BARS_WIDTH // len(drawn) - 1))
    for k in drawn:
        height = heights[k - 1] if k <= len(values) else 0
        fill = EMPTY if height == 0 else S.CURRENT if k == marked else colour
        cells.append(_bar(width, max(height, 1), fill))
    summary = f"{_num(values[0])} → {_num(values[-1])}" if values else "not reached yet"
    if log:
        summary += " (log scale)"
    return (f'<TR><TD ALIGN="RIGHT"><FONT FACE="{S.MONO}">{_esc(label)}</FONT></TD>'
            f'<TD><TABLE BORDER="0" CELLSPACING="1" CELLPADDING="0"><TR>{"".join(cells)}</TR></TABLE></TD>'
            f'<TD ALIGN="LEFT"><FONT COLOR="{S.MUTED}">{_esc(summary)}</FONT></TD></TR>')


def bar_iterations(iterations: int) -> list[int]:
    """The iterations (1-based) given a bar: every one, or ``MAX_BARS`` evenly spaced with the first and last."""
    if iterations <= MAX_BARS:
        return list(range(1, iterations + 1))
    return sorted({1 + round((iterations - 1) * k / (MAX_BARS - 1)) for k in range(MAX_BARS)})


def bar_heights(values: list[float]) -> tuple[list[int], bool]:
    """Each value's bar height in points (``LOWEST_BAR`` … ``BAR_HEIGHT``; NaN or ±inf full height), and whether the
    scale is logarithmic.  A linear scale starts at 0 (or at the smallest value when one is negative)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return [BAR_HEIGHT] * len(values), False
    log = min(finite) > 0 and max(finite) >= LOG_SPAN * min(finite)
    scale = (lambda v: math.log10(v)) if log else (lambda v: v)
    lo = scale(min(finite)) if log else min(0.0, min(finite))
    hi = scale(max(finite))
    span = hi - lo or 1.0
    return [LOWEST_BAR + round((BAR_HEIGHT - LOWEST_BAR) * (scale(v) - lo) / span) if math.isfinite(v) else BAR_HEIGHT
            for v in values], log


def _bar(width: int, height: int, fill: str) -> str:
    return (f'<TD><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">'
            f'<TR><TD WIDTH="{width}" HEIGHT="{BAR_HEIGHT + 1 - height}"></TD></TR>'
            f'<TR><TD BGCOLOR="{fill}" WIDTH="{width}" HEIGHT="{height}"></TD></TR></TABLE></TD>')


def _num(v: float) -> str:
    return f"{v:.3g}"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
