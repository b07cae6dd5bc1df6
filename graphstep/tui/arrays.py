"""Provides ``array_lines``: a value, gradient or tangent as the inspector draws it, on ``render.heat``'s colours.

Every entry written out on its colour when the array fits the panel (a vector wraps, a matrix up to
``HEAT_ROWS`` rows), else a map of coloured cells, or of tiles of entries when even those do not fit, with
what the colours stand for and a histogram of the values.  The colours are the theme's (``app.tcss``),
looked up by class name through ``styles``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rich.style import Style
from rich.text import Span, Text

from ..render.heat import NEGATIVE, POSITIVE, HeatGrid, as_matrix, heat_grid, histogram, sparkline
from ..text import fmt_array, fmt_shape, summarize

HEAT_ROWS = 12  # rows of a matrix written out in full; a taller one is a map of coloured cells
NARROWEST = 4  # the fewest columns a written entry takes ("0.5" and a gap): wider arrays are not even formatted
HISTOGRAM_BINS = 24  # bars of the histogram under a map of tiles

Styles = Callable[[str], Style]  # a component style by name ("ok", "heat:pos3" …): its colour is set in app.tcss
Row = tuple[str, Text]  # one line of the inspector's grid: a key, and its value (wrapped beside it)


def array_lines(label: str, a, width: int, styles: Styles) -> list[Row]:
    """Rows for a value, gradient or tangent: the array as a heatmap (``heat_lines``), then shape, dtype and
    min/mean/max; under a map without numbers, what its colours stand for and a histogram of the values."""
    if a is None:
        return [(label, Text("— not yet", style="dim"))]
    a = np.asarray(a)
    if a.ndim == 0 or a.size == 0 or a.dtype.kind not in "biuf":
        lines, grid = [Text(fmt_array(a, width))], None
    else:
        lines, grid = heat_lines(a, width, styles)
    rows = [(label if k == 0 else "", line) for k, line in enumerate(lines)]
    stats = summarize(a) if a.size > 4 else ""
    rows.append(("", Text(f"{fmt_shape(a.shape)} {a.dtype}  {stats}".rstrip(), style="dim")))
    if grid is not None and grid.texts is None:  # a map without numbers: its scale, and the values' spread
        rows.append(("", _colour_bar(grid, styles)))
        counts, low, high = histogram(a, HISTOGRAM_BINS)
        rows.append(("", Text(sparkline(counts)).append(f"  histogram {low:.3g} … {high:.3g}", style="dim")))
    return rows


def _colour_bar(grid: HeatGrid, styles: Styles) -> Text:
    """``−3.85 ▮▮▮▮▮▮▮▮▮ 3.85 · a cell: 1 entry``: what the colours of a map without numbers stand for."""
    bar = Text(f"{-grid.scale:.3g} ", style="dim")
    for cls in (*reversed(NEGATIVE), "zero", *POSITIVE):
        bar.append("  ", style=styles(f"heat:{cls}"))
    what = "1 entry" if grid.full else f"mean of {grid.tile[0]}×{grid.tile[1]}"
    return bar.append(f" {grid.scale:.3g} · a cell: {what}", style="dim")


def heat_lines(a: np.ndarray, width: int, styles: Styles) -> tuple[list[Text], HeatGrid]:
    """The array coloured by ``render.heat``: every entry written out when they fit the panel (a vector wraps,
    a matrix up to ``HEAT_ROWS`` rows), else one coloured cell per entry, or per tile of entries when even
    those do not fit."""
    m = as_matrix(a)
    if m.shape[1] == 1 and m.shape[0] > HEAT_ROWS:
        m = m.T  # a tall column is written across, wrapped as a vector is (the shape line under it says which)
    rows, cols = m.shape
    if (rows == 1 and cols <= HEAT_ROWS * width // NARROWEST) or (rows <= HEAT_ROWS and cols * NARROWEST <= width):
        grid = heat_grid(m, rows, cols)  # the numbers may fit: write them, and see
        cell = max(len(t) for row in grid.texts for t in row) + 1
        per_line = max(1, width // cell)
        if rows == 1 and -(-cols // per_line) <= HEAT_ROWS:
            texts, classes = grid.texts[0], grid.classes[0]
            return [_cells(texts[k:k + per_line], classes[k:k + per_line], cell, styles)
                    for k in range(0, cols, per_line)], grid
        if rows <= HEAT_ROWS and cols <= per_line:
            return [_cells(t, c, cell, styles) for t, c in zip(grid.texts, grid.classes)], grid
    grid = heat_grid(m, HEAT_ROWS, max(1, width // 2), texts=False)
    marks = {"nan": "××", "posinf": "∞∞", "neginf": "∞∞"}
    return [_cells([marks.get(c, "  ") for c in row], row, 2, styles) for row in grid.classes], grid


def _cells(texts: list[str], classes: list[str], cell: int, styles: Styles) -> Text:
    """One line of a heatmap: each text right-aligned in its cell, the cell in its class's colour (one span each:
    a ``Text.append`` per cell was most of the cost of a step's inspector)."""
    plain = "".join(text.rjust(cell) for text in texts)
    return Text(plain, spans=[Span(k * cell, (k + 1) * cell, styles(f"heat:{cls}")) for k, cls in enumerate(classes)])
