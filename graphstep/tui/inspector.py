"""Provides ``Inspector``: everything the stepper knows about the selected node.

Kind, op and source line; forward and backward formulas with shapes and the
shape check; value and gradient as heatmaps (``arrays``: every entry written
out on its colour when they fit, else a map of coloured cells or tiles with a
histogram); each contribution that arrived during backward; the
gradient-check result; the local Jacobian on request.  Only formatting happens
here: every number comes from the Stepper.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass

import numpy as np
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from ..analysis.explain import explain_at
from ..core.formulas import grad_name, term
from ..core.stepper import BACKWARD, FORWARD
from ..errors import GraphstepError
from ..render.heat import heat_class, scale_of
from ..render.view import KINDS
from ..text import fmt_array, fmt_shape
from .arrays import Row, Styles, array_lines
from .entry import EntryCursor, gets_gradient, span
from .session import Session
from .styles import CachedStyles

JACOBIAN_MAX = 64  # entries in and out
MAX_ROWS = 12  # contributions listed per node
KEY_WIDTH = 9  # the narrowest the key column gets
GRID_ROWS = 8  # rows of a matrix drawn in entry mode: a taller one is drawn as the window around the cursor
CELL_GUESS = 8  # the width of a cell (a number and its gap) the entry grid first tries
STATE_TEXT = {"pending": "pending: not computed yet", "computed": "computed (forward value known)",
              "grad": "gradient known", "current": "current: the last step was here"}


Cell = tuple[int, int, int, tuple[int, ...]]  # an entry drawn in entry mode: its row, its columns [start, end), index


def _pages(lines: int, page: int) -> int:
    """The scrollable height for ``lines`` in a panel ``page`` lines high: whole pages.  A changed virtual size
    lays out the whole screen again (a fifth of a step's time), and the detail's length changes with nearly
    every step where it overflows the panel (a training's inspector, under its plot); in whole pages it changes
    when the detail crosses a page, and a detail that fits leaves it as it was."""
    page = max(page, 1)
    return max(1, -(-lines // page)) * page


class Inspector(CachedStyles, ScrollView, can_focus=False):
    """The selected node, in detail; pre-rendered to lines so a step repaints without re-layout."""

    STYLE_PREFIX = "inspector"
    COMPONENT_CLASSES = {"inspector--ok", "inspector--bad", "inspector--stopped", "inspector--break",
                         "inspector--cursor", "inspector--axis", "inspector--heat-neg", "inspector--heat-pos",
                         "inspector--heat-nan", "inspector--heat-inf"}

    @dataclass
    class EntryPicked(Message):
        """The user clicked an entry of the matrix drawn in entry mode."""

        index: tuple[int, ...]

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.lines: list[Strip] = []
        self._width = 1  # of the lines painted
        self._shown: tuple = ()
        self._args: tuple = ()
        self._rows: tuple = ()
        self.cells: list[Cell] = []  # where entry mode drew each entry (painted line, columns, index): for a click

    def show(self, session: Session, node: int | None, jacobian: bool = False,
             entry: EntryCursor | None = None) -> None:
        """Redraw for ``node`` from the session's stepper; with ``entry`` active on it, its cursor and explanation."""
        self._args, self._rows, self.cells = (session, node, jacobian, entry), (), []
        if not self.size:  # not laid out yet (the panels open once the file has run): its first resize paints it
            return
        if node is None or not session.ready:
            self.border_title = "Inspector"
            self._paint([], Text("no node selected", style="dim"))
            return
        info = session.graph.node(node)
        self.border_title = f"{info.name} · {info.op or info.kind} · {info.source}"
        width = max(20, self.scrollable_content_region.width - 12)
        if self._shown != (node, jacobian):
            self._shown = (node, jacobian)
            self.scroll_to(y=0, animate=False, immediate=True)
        cursor = entry if entry is not None and entry.active and entry.node == node else None
        rows = _sections(session, node, width, self._component, cursor)
        if cursor is not None:  # under the node's shape, kind and state, so it is in view without scrolling
            block, cells = _entry_rows(session, cursor, width, self._component)
            rows[3:3] = block
            cells = [(3 + row, x0, x1, index) for row, x0, x1, index in cells]
        starts: list[int] = []
        self._paint(rows, _jacobian(session, node, width) if jacobian else None, starts)
        if cursor is not None:
            x = _key_width(rows)
            self.cells = [(starts[row], x + x0, x + x1, index) for row, x0, x1, index in cells]

    def on_click(self, event: events.Click) -> None:
        """A click on an entry in entry mode puts the cursor there (the app moves it, then redraws)."""
        offset = event.get_content_offset(self)
        if offset is None or not self.cells:
            return
        x, y = offset.x + self.scroll_offset.x, offset.y + self.scroll_offset.y
        index = next((index for line, x0, x1, index in self.cells if line == y and x0 <= x < x1), None)
        if index is not None:
            self.post_message(self.EntryPicked(index))

    def show_rows(self, title: str, rows: list[tuple[str, str]]) -> None:
        """Redraw with prepared rows: what a folded block or a context box stands for (``Session.block_rows``)."""
        self._args, self._rows = (), (title, rows)
        self.border_title = title
        if not self.size:  # its first resize paints it
            return
        if self._shown != (title,):
            self._shown = (title,)
            self.scroll_to(y=0, animate=False, immediate=True)
        self._paint([(key, Text(value)) for key, value in rows])

    def _paint(self, rows: list[Row], below: RenderableType | None = None, starts: list[int] | None = None) -> None:
        """Render the rows (and what goes ``below`` them) to lines once; ``render_line`` then only slices them."""
        width, style, console = max(1, self.scrollable_content_region.width), self.base_style, self.app.console
        self._width = width
        self.lines = grid_lines(rows, width, console, style, starts)
        if below is not None:
            options = console.options.update_width(width)
            self.lines += [Strip(line, width) for line in console.render_lines(below, options, style=style)]
        self.virtual_size = Size(width, _pages(len(self.lines), self.scrollable_content_region.height))
        self.refresh()

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The text a mouse drag selected, for copying: the lines as shown, without their styles."""
        return selection.extract("\n".join(line.text for line in self.lines)), "\n"

    def on_resize(self) -> None:
        self._show_again()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._show_again()  # the lines were rendered in the old theme's colours

    def _show_again(self) -> None:
        if self._args:
            self.show(*self._args)
        elif self._rows:
            self.show_rows(*self._rows)

    def render_line(self, y: int) -> Strip:
        k = self.scroll_offset.y + y  # lines are as wide as they were painted: a resize paints them again
        return self.lines[k] if k < len(self.lines) else Strip.blank(self._width, self.base_style)


def grid_lines(rows: list[Row], width: int, console: Console, style: Style,
               starts: list[int] | None = None) -> list[Strip]:
    """The rows in two columns, a bold key at least 9 wide and the value wrapped beside it: cell for cell what
    Rich's ``Table.grid(padding=(0, 1))`` draws, without the table measuring and wrapping every cell twice
    (which was half the cost of a key press).  ``starts`` gets the first line of each row."""
    if not rows:
        return []
    key_width = _key_width(rows)
    longest = max(cell_len(line) for _, value in rows for line in value.plain.split("\n"))
    value_width = max(1, min(width - key_width, longest))  # the table shrinks to its longest value
    key_style, lines = style + Style(bold=True), []
    for key, value in rows:
        if starts is not None:
            starts.append(len(lines))
        value_style = style + console.get_style(value.style) if value.style else style
        plain = value.plain
        if "\n" in plain or "\t" in plain or cell_len(plain) > value_width:
            wrapped = value.wrap(console, value_width, justify="left", overflow="ellipsis")
        else:  # most values fit on their line: wrapping would only pad them
            wrapped = [value + Text(" " * (value_width - cell_len(plain)))]
        for k, line in enumerate(wrapped):
            segments = [Segment(key.ljust(key_width) if k == 0 else " " * key_width, key_style)]
            segments += [Segment(s.text, value_style + s.style if s.style else value_style)
                         for s in line.render(console)]
            lines.append(Strip(segments).adjust_cell_length(width, style))
    return lines


def _key_width(rows: list[Row]) -> int:
    """Where the value column starts: after the longest key (at least ``KEY_WIDTH``) and a space."""
    return max(KEY_WIDTH, *(cell_len(key) for key, _ in rows)) + 1


def _sections(session: Session, node: int, width: int, styles: Styles, cursor: EntryCursor | None = None) -> list[Row]:
    st, info = session.stepper, session.graph.node(node)
    where = f" in {info.func}()" if info.func else ""
    rows = [("shape", Text(f"{fmt_shape(info.shape)} {info.dtype}")),
            ("kind", Text(f"{KINDS[info.kind]}{where}")),
            ("state", Text(STATE_TEXT[st.state(node)] + ("" if session.graph.feeds_output[node] else
                                                           "; does not reach the output, so no gradient")))]
    rows += _stops(session, node, styles)
    rows += _formulas(session, node, styles)
    rows += _index(session, node, width)
    explored = "" if cursor is None else "grad" if cursor.gradient else "value"
    rows += _array_or_note("value", st.value(node), width, explored, styles)
    if st.mode == "reverse":
        rows += _array_or_note("grad", st.grad(node), width, explored, styles)
        rows += _received(session, node, styles)
    else:
        rows += array_lines("tangent", st.tangent(node), width, styles)
    rows += _gradcheck(session, node, styles)
    if node == session.graph.output and st.mode == "reverse":
        rows.append(("seed", Text(st.seed_note, style="dim")))
    return rows


def _array_or_note(label: str, a, width: int, explored: str, styles: Styles) -> list[Row]:
    """The array's rows, or in entry mode, for the array the cursor is on, where it went."""
    if label == explored:
        return [(label, Text("↑ in the entry view above", style="dim"))]
    return array_lines(label, a, width, styles)


def _stops(session: Session, node: int, styles: Styles) -> list[Row]:
    """Why ``e``/``f`` stopped here (while the walk is still at that step), and the node's breakpoint."""
    rows: list[Row] = []
    stop = session.stop
    if stop is not None and stop.node == node and stop.step == session.stepper.position:
        rows.append(("stopped", Text(stop.message, style=styles("stopped") if stop.reason != "breakpoint" else "bold")))
    if node in session.stepper.breakpoints:
        rows.append(("break", Text("● breakpoint: e and f stop after this node's forward and backward steps",
                                   style=styles("break"))))
    return rows


def _formulas(session: Session, node: int, styles: Styles) -> list[Row]:
    graph = session.graph
    if graph.node(node).op is None:
        return [("backward", Text("a leaf: its gradient is the sum of what its consumers send", style="dim"))]
    done = session.taken(node, FORWARD)
    rows = [("forward", Text(done.formula if done else graph.forward_formula(node) + "   (pending)"))]
    back = session.taken(node, BACKWARD)
    if back is not None:
        rows += [("backward" if k == 0 else "", _checked(c.formula, styles))
                 for k, c in enumerate(back.contributions[:MAX_ROWS])]
        rows += _more(len(back.contributions))
    elif session.step_of(node, BACKWARD) is not None:
        rules = graph.vjp_program.get(node, ())  # a concat of 2,000 inputs has 2,000: only the rows shown are made
        rows += [("backward" if row == 0 else "",
                  Text(f"{graph.formulas.backward_rule(node, k).gives(graph.shape_of(i))}   (pending)", style="dim"))
                 for row, (k, i, *_) in enumerate(rules[:MAX_ROWS])]
        rows += _more(len(rules))
    why = graph.formulas.why(node)
    return rows + ([("why", Text(why, style="dim"))] if why else [])


def _index(session: Session, node: int, width: int) -> list[Row]:
    """A fancy index as the learner wrote it (``[arange(12), y]``), then the values of each array in it."""
    info = session.graph.node(node)
    parts = info.index_text
    if not parts:
        return []
    index = info.params["index"]
    rows: list[Row] = [("index", Text(f"[{', '.join(parts)}]"))]
    for text, part in zip(parts, index if isinstance(index, tuple) else (index,), strict=False):
        if isinstance(part, (np.ndarray, list)) and np.ndim(part):
            rows.append(("", Text(f"{text} = {fmt_array(part, max(20, width - len(text) - 3))}")))
    return rows


def _more(count: int) -> list[Row]:
    """A concat of 2,000 inputs sends 2,000 contributions: the inspector lists the first few."""
    return [("", Text(f"… and {count - MAX_ROWS:,} more", style="dim"))] if count > MAX_ROWS else []


def _checked(formula: str, styles: Styles) -> Text:
    """A rule's result with its check mark lit: ✓ in the theme's success colour, ✗ in its error colour."""
    text = Text(formula)
    text.highlight_words(["✓"], style=styles("ok"))
    text.highlight_words(["✗"], style=styles("bad"))
    return text


def _received(session: Session, node: int, styles: Styles) -> list[Row]:
    found = session.stepper.contributions_to(node)
    rows: list[Row] = []
    for k, (index, c) in enumerate(found[:MAX_ROWS]):
        sender = session.record(index)
        # each note on its own line, so a narrow panel never splits it
        note = f"\n  summed over broadcast axis {', '.join(map(str, c.summed_axes))}" if c.summed_axes else ""
        note += "\n  added (+=) to the gradient already here" if c.accumulated else ""
        line = _checked(f"step {index} from {sender.name} ({sender.op}): {fmt_shape(np.shape(c.grad))}{note}", styles)
        rows.append(("received" if k == 0 else "", line))
    rows += _more(len(found))
    if len(found) > 1:
        rows.append(("", Text(f"grad = sum of these {len(found)} contributions", style="bold")))
    return rows


def _gradcheck(session: Session, node: int, styles: Styles) -> list[Row]:
    if session.check is None:
        return [("gradcheck", Text("press c to check every parameter", style="dim"))]
    result = next((r for r in session.check.results if r.node == node), None)
    if result is None:
        return [("gradcheck", Text("not a parameter", style="dim"))]
    return [("gradcheck", Text(str(result), style=styles("ok" if result.ok else "bad")))]


def _jacobian(session: Session, node: int, width: int) -> RenderableType:
    st, info = session.stepper, session.graph.node(node)
    if info.op is None:
        return Text("Jacobian: a leaf has no local Jacobian", style="dim")
    parts: list[RenderableType] = []
    out_size = int(np.prod(info.shape, dtype=int))
    for k, i in enumerate(info.inputs):
        name, in_size = session.graph.name_of(i), int(np.prod(session.graph.node(i).shape, dtype=int))
        head = f"∂{info.name}/∂{name}  ({out_size}×{in_size}, numerator layout)"
        if out_size > JACOBIAN_MAX or in_size > JACOBIAN_MAX:
            parts.append(Text(f"{head}: too large to show (≤ {JACOBIAN_MAX} entries each way)", style="dim"))
            continue
        try:
            parts.append(Text(f"{head}\n{fmt_array(st.jacobian(node, k), width, 12)}"))
        except Exception as err:  # the engine says why (pending values, no rule)
            parts.append(Text(f"{head}: {err}", style="dim"))
    return Group(Text("local Jacobian", style="bold"), *parts)


# ───────────────────────────── entry mode ─────────────────────────────


def _entry_rows(session: Session, cursor: EntryCursor, width: int, styles: Styles) -> tuple[list[Row], list[Cell]]:
    """The array under the cursor (the window of it that fits) and the explanation of the entry at the cursor."""
    st, node = session.stepper, cursor.node
    name = (grad_name if cursor.gradient else term)(session.graph.name_of(node))
    other = f" · d {'value' if cursor.gradient else 'gradient'}" if gets_gradient(session, node) else ""
    moves = ("", " · ←→ move", " · ←→↑↓ move", " · ←→↑↓ move · pgup pgdn slice")[min(len(cursor.shape), 3)]
    head = Text(f"{name} {fmt_shape(cursor.shape)}{moves}{other} · esc leaves", style="dim")
    grid, cells = _grid(st.grad(node) if cursor.gradient else st.value(node), cursor, width - 2, styles)
    rows = [("entry", head), *grid]
    return rows + _explained(session, cursor), [(1 + row, x0, x1, index) for row, x0, x1, index in cells]


def _grid(a, cursor: EntryCursor, width: int, styles: Styles) -> tuple[list[Row], list[Cell]]:
    """The 2-D slice holding the cursor, as many of its rows and columns around the cursor as fit, numbered."""
    shape, index = cursor.shape, cursor.index
    if not shape:
        return [], []  # a scalar: the explanation is all there is
    if 0 in shape:
        return [("", Text("no entries: the array is empty", style="dim"))], []
    lead, plane = index[:-2], None if a is None else np.asarray(a)[index[:-2]]
    matrix = len(shape) > 1
    n_rows, n_cols = (shape[-2], shape[-1]) if matrix else (1, shape[0])
    r_at, c_at = (index[-2], index[-1]) if matrix else (0, index[0])
    label = len(str(n_rows - 1)) + 1 if matrix else 0
    rows, cell = span(r_at, n_rows, GRID_ROWS), CELL_GUESS
    for _ in range(3):  # wide numbers leave room for fewer columns, whose numbers may be narrower
        cols = span(c_at, n_cols, (width - label) // cell)
        texts = {(r, c): _number(plane, r, c, matrix) for r in rows for c in cols}
        need = max(map(len, texts.values())) + 1
        if need <= cell:
            break
        cell = need
    axis, lines, cells = styles("axis"), [], []
    here = axis + Style(bold=True)  # the cursor's row and column numbers
    real = plane is not None and np.asarray(plane).dtype.kind in "biuf"  # coloured by its heat, as the value is
    scale = scale_of(np.asarray(plane, dtype=float)) if real else 0.0
    header = Text(" " * label)
    for c in cols:
        header.append(str(c).rjust(cell), style=here if c == c_at else axis)
    for y, r in enumerate(rows, start=1):
        line = Text(f"{r} ".rjust(label) if matrix else "", style=here if r == r_at else axis)
        for k, c in enumerate(cols):
            x0 = label + k * cell
            heat = styles(f"heat:{heat_class(float(_entry(plane, r, c, matrix)), scale)}") if real else ""
            line.append(texts[r, c].rjust(cell), style=styles("cursor") if (r, c) == (r_at, c_at) else heat)
            cells.append((y, x0, x0 + cell, lead + ((r, c) if matrix else (c,))))
        lines.append(line)
    grid = [("", header), *(("", line) for line in lines)]
    note = _window_note(shape, lead, rows, cols, matrix)
    if note:
        grid.append(("", Text(note, style=axis)))
    return grid, cells


def _number(plane, r: int, c: int, matrix: bool) -> str:
    """One entry as the grid writes it (4 significant digits); ``·`` while the array is not computed yet."""
    return "·" if plane is None else f"{_entry(plane, r, c, matrix):.4g}"


def _entry(plane, r: int, c: int, matrix: bool):
    return plane[r, c] if matrix else plane[c]


def _window_note(shape: tuple, lead: tuple, rows: range, cols: range, matrix: bool) -> str:
    """``rows 2–9 of 16 · columns 0–5 of 16 · slice [1,:,:]``: which part of a large array the grid shows."""
    parts = [f"rows {rows[0]}–{rows[-1]} of {shape[-2]}"] if matrix and len(rows) < shape[-2] else []
    parts += [f"columns {cols[0]}–{cols[-1]} of {shape[-1]}"] if len(cols) < shape[-1] else []
    parts += [f"slice [{','.join(map(str, lead))},:,:]"] if lead else []
    return " · ".join(parts)


def _explained(session: Session, cursor: EntryCursor) -> list[Row]:
    """``explain``'s lines for the entry, with the numbers of the walk as it stands; when the entry has none yet
    (a gradient still to arrive), the engine's message, then the value's explanation if there is one."""
    st, node = session.stepper, cursor.node
    try:
        lines = explain_at(st, node, cursor.index, cursor.gradient).lines()
    except GraphstepError as err:
        rows = [("explain", Text(err.message, style="dim"))]
        if cursor.gradient:
            with suppress(GraphstepError):  # not computed yet either: the message says when
                rows += [("value" if k == 0 else "", Text(line))
                         for k, line in enumerate(explain_at(st, node, cursor.index).lines())]
        return rows
    return [("explain" if k == 0 else "", Text(line, style="" if k == 0 else "dim")) for k, line in enumerate(lines)]
