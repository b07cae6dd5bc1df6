"""Provides the heat colouring every view shares: a value's colour class, an array as a grid of them, metrics.

A heatmap here is diverging around 0: an entry's class is ``neg1``…``neg4`` or
``pos1``…``pos4`` by ``|x| / max|x|`` (the finite entries' largest magnitude),
``zero`` for an exact 0, and ``nan``, ``posinf``, ``neginf`` for what is not a
number, so a NaN can never pass for a small value.  An array too large to write
in full is drawn as a grid of tiles, each the mean of its finite entries (a
tile holding a NaN or an infinity says so).  The TUI maps a class to a style
from its theme (``tui.styles``) and the pictures to a colour (``render.style``);
neither decides anything here.  A node's metric (gradient norm, value
magnitude, bytes held for backward) gets a level by half-decades below the
largest, as gradients span orders of magnitude.  No Textual, no Graphviz.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LEVELS = 4  # intensity steps on each side of zero
POSITIVE = tuple(f"pos{k}" for k in range(1, LEVELS + 1))
NEGATIVE = tuple(f"neg{k}" for k in range(1, LEVELS + 1))
MARKS = {"nan": "nan", "posinf": "inf", "neginf": "-inf"}  # the classes that are not numbers, as a cell writes them
CLASSES = (*reversed(NEGATIVE), "zero", *POSITIVE, *MARKS)
SPARKS = "▁▂▃▄▅▆▇█"
SAMPLED = 1 << 17  # values a histogram counts at most
METRICS = ("grad", "value", "held")  # what ``metric_of`` measures; the TUI's key cycles through them, then off
METRIC_TITLES = {"grad": "‖G‖ gradient norm", "value": "max |value|", "held": "bytes held for backward"}


@dataclass(frozen=True)
class HeatGrid:
    """An array ready to draw: a class per cell, and each cell's text when every cell is one entry."""

    classes: list[list[str]]  # rows × columns
    texts: list[list[str]] | None  # the entries written out, when ``tile`` is (1, 1) and texts were asked for
    tile: tuple[int, int]  # the rows × columns of the array each cell stands for
    shape: tuple[int, ...]  # of the array drawn
    scale: float  # max |x| over its finite entries (0 when it has none): the darkest level

    @property
    def full(self) -> bool:
        """Each cell is one entry (no tiles)."""
        return self.tile == (1, 1)


def as_matrix(a) -> np.ndarray:
    """The array as the 2-D grid a heatmap draws: a scalar 1×1, a vector one row, higher ranks their last axis
    as columns and every other axis stacked as rows (C order, as NumPy prints them)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return a.reshape(1, 1)
    return a.reshape(1, -1) if a.ndim == 1 else a.reshape(-1, a.shape[-1])


def heat_class(x: float, scale: float) -> str:
    """The class of one value on a map whose darkest level is ``scale`` (a positive max |x|)."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "posinf" if x > 0 else "neginf"
    if x == 0 or scale <= 0:
        return "zero"
    level = min(LEVELS, max(1, math.ceil(abs(x) / scale * LEVELS)))
    return f"{'pos' if x > 0 else 'neg'}{level}"


def classes_of(m: np.ndarray, scale: float) -> list[list[str]]:
    """``heat_class`` of each entry of a 2-D array, computed for the whole array at once."""
    index = np.full(m.shape, LEVELS)  # into CLASSES: neg4 … neg1, zero, pos1 … pos4, then the marks
    finite = np.isfinite(m)
    if scale > 0:
        level = np.clip(np.ceil(np.abs(m[finite]) / scale * LEVELS), 1, LEVELS).astype(int)
        index[finite] = LEVELS + np.sign(m[finite]).astype(int) * level
    index[np.isnan(m)] = CLASSES.index("nan")
    index[np.isposinf(m)] = CLASSES.index("posinf")
    index[np.isneginf(m)] = CLASSES.index("neginf")
    return np.array(CLASSES)[index].tolist()


def scale_of(a: np.ndarray) -> float:
    """The largest |x| over the finite entries; 0 when there are none."""
    finite = np.abs(a[np.isfinite(a)])
    return float(finite.max()) if finite.size else 0.0


def cell_text(x: float, digits: int = 3) -> str:
    """An entry as a cell writes it: ``digits`` significant digits, and ``nan``, ``inf``, ``-inf`` spelled out."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{digits}g}"


def heat_grid(a, max_rows: int, max_cols: int, *, texts: bool = True, digits: int = 3) -> HeatGrid:
    """The array as at most ``max_rows`` × ``max_cols`` cells: every entry when it fits, else tiles, each the
    mean of its finite entries (the same colours on one scale: a tile is as dark as its mean is large)."""
    m = as_matrix(np.asarray(a, dtype=float))
    rows, cols = m.shape
    tile = (max(1, -(-rows // max(1, max_rows))), max(1, -(-cols // max(1, max_cols))))
    if tile != (1, 1) and m.size:
        m = tile_means(m, tile)
    scale = scale_of(m)
    written = [[cell_text(x, digits) for x in row] for row in m.tolist()] if texts and tile == (1, 1) else None
    return HeatGrid(classes_of(m, scale), written, tile, np.shape(a), scale)


def tile_means(m: np.ndarray, tile: tuple[int, int]) -> np.ndarray:
    """Each ``tile`` of the 2-D ``m`` (the last ones in a row or column may be smaller) as one number: the mean
    of its finite entries, NaN when it holds a NaN, ±inf when it holds an infinity (and no NaN), so that a
    single bad entry still shows on the map."""
    starts = [np.arange(0, n, t) for n, t in zip(m.shape, tile)]

    def reduce(x: np.ndarray) -> np.ndarray:
        return np.add.reduceat(np.add.reduceat(x, starts[0], axis=0), starts[1], axis=1)

    finite = np.isfinite(m)
    if finite.all():  # the usual case: each tile's sum over its size
        sizes = [np.diff(np.append(at, n)) for at, n in zip(starts, m.shape)]
        return reduce(m) / np.outer(*sizes)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = reduce(np.where(finite, m, 0.0)) / reduce(finite.astype(float))
    means = np.where(reduce(np.isposinf(m).astype(int)) > 0, np.inf, means)
    means = np.where(reduce(np.isneginf(m).astype(int)) > 0, -np.inf, means)
    return np.where(reduce(np.isnan(m).astype(int)) > 0, np.nan, means)


def histogram(a, bins: int = 16) -> tuple[np.ndarray, float, float]:
    """Counts of the finite values in ``bins`` equal bins, with the range they cover (lowest, highest).  Over
    ``SAMPLED`` values, the counts are of every k-th one (the bars' heights, not the range, are approximate):
    a million-entry gradient's histogram then costs a millisecond per step, not ten."""
    values = np.asarray(a, dtype=float).ravel()
    if not np.isfinite(values).all():
        values = values[np.isfinite(values)]
    if not values.size:
        return np.zeros(bins, dtype=int), 0.0, 0.0
    low, high = float(values.min()), float(values.max())
    if high <= low:  # one value: every count in the middle bin
        counts = np.zeros(bins, dtype=int)
        counts[bins // 2] = values.size
        return counts, low, high
    if values.size > SAMPLED:
        values = values[:: values.size // SAMPLED]
    at = ((values - low) * (bins / (high - low))).astype(int)  # np.histogram's bins, without its checks
    return np.bincount(np.minimum(at, bins - 1), minlength=bins), low, high


def sparkline(counts) -> str:
    """Counts as block characters, the tallest bar the largest count (an empty bin a blank)."""
    counts = np.asarray(counts)
    top = counts.max() if counts.size else 0
    if top <= 0:
        return " " * counts.size
    return "".join(" " if c == 0 else SPARKS[math.ceil(c * len(SPARKS) / top) - 1] for c in counts)


# ── a node's metric, for colouring the graph ──

def metric_of(metric: str, value, grad, held: int) -> float | None:
    """A node's measure for ``metric`` (None when it has none yet): the gradient's norm, the value's largest
    |x|, or the bytes of its value held for backward (0 when nothing is held)."""
    if metric == "grad":
        return None if grad is None else _finite_norm(grad)
    if metric == "value":
        return None if value is None else scale_of(np.asarray(value, dtype=float))
    return float(held) if held else None


def _finite_norm(a) -> float:
    a = np.asarray(a, dtype=float)
    return float(np.sqrt(np.sum(np.square(a[np.isfinite(a)]))))


def metric_level(m: float | None, top: float) -> int:
    """A node's level 1…``LEVELS`` by half-decades below the largest measure ``top`` (``LEVELS`` down to a third
    of it, ``LEVELS − 1`` to a tenth, ``LEVELS − 2`` to a thirtieth, 1 below), 0 for a measure of 0, -1 for
    none: a deep net's vanishing gradients fade out level by level."""
    if m is None:
        return -1
    if m <= 0 or top <= 0:
        return 0
    steps = math.floor(2 * math.log10(m / top) + 1e-12)  # −1 from a third of the largest up to (not) all of it
    return min(LEVELS, max(1, LEVELS + 1 + steps))


class Measures:
    """One metric of every node of a stepper's graph, kept up to date as it steps: a step measures again only the
    nodes whose value or gradient it changed (``Stepper.changed``), so colouring a 10,000-node graph by gradient
    norm costs a few nodes a step, not every node."""

    def __init__(self, stepper, metric: str) -> None:
        self.stepper, self.metric = stepper, metric
        self.position: int | None = None
        self.of: dict[int, float] = {}  # node → its measure (nodes without one are absent)

    def sync(self) -> dict[int, float]:
        """The measures as of the stepper's position now."""
        st = self.stepper
        if self.metric == "held":  # the tally knows which values are held: only those
            self.of = {n: float(b) for n, b in st.held_by_node().items() if b}
            return self.of
        if self.position is None or abs(st.position - self.position) > len(st.graph):
            nodes = range(len(st.graph))
        else:  # the steps between the last position and this one, in either direction
            low, high = sorted((self.position, st.position))
            nodes = {n for k in range(low + 1, high + 1) for n in st.changed(k)}
        for n in nodes:
            m = metric_of(self.metric, st.value(n), st.grad(n), 0)
            if m is None:
                self.of.pop(n, None)
            else:
                self.of[n] = m
        self.position = st.position
        return self.of


def level_floor(level: int, top: float) -> float:
    """The smallest measure drawn at ``level`` (2 … ``LEVELS``; level 1 is all below level 2's) when the largest
    is ``top``: for the legend."""
    return top * 10.0 ** ((level - LEVELS - 1) / 2)


def short_number(x: float) -> str:
    """A number in at most about 6 characters: ``0.42``, ``3.1e-05``, ``1.2e+03`` as ``1.2e3``."""
    text = f"{x:.2g}"
    return text.replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")
