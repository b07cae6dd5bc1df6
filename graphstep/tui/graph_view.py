"""Provides ``GraphView``: the layered graph drawn with box-drawing characters, coloured by state.

A Line API widget: ``render_line`` asks the precomputed ``Layout`` for the runs
of one visible row, so scrolling a 2,000-node graph costs only what is on screen.
It draws a session ``Drawing``: nodes, and blocks (folded repeats, context boxes)
in double lines, each with the walk's progress inside it (``render.view``) on its bottom border.
A step repaints only the boxes whose ``Look`` changed (state, selection, current,
breakpoint, progress, the value and gradient written on the bottom border), not the
whole view: a key then costs a few boxes, whatever the graph.  ``cycle_metric``
colours the boxes by a metric instead of their state (``render.heat``: gradient
norm, value magnitude, bytes held for backward), with its legend on the border.
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Offset, Region, Size, Spacing
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..render import heat
from ..render.layout import Layout
from ..text import human_bytes
from .messages import NodePicked
from .session import Drawing, Session
from .styles import CachedStyles

STATES = ("pending", "computed", "unused", "grad", "current")
HEAVY = str.maketrans("┌┐└┘─│┬┴", "┏┓┗┛━┃┳┻")
DOUBLE = str.maketrans("┌┐└┘─│┬┴", "╔╗╚╝═║╤╧")
BOX_ROWS = 3


class Look(NamedTuple):
    """Everything a box's drawing depends on: when it is unchanged after a step, the box is not repainted."""

    state: str  # a node's colour (``Stepper.state``), or a block's (``BlockProgress.state``)
    selected: bool
    current: bool  # the last step's node is (in) this item: its middle row is reversed
    breakpoint: bool
    progress: str = ""  # a block's count on its bottom border: ``3/51 computed``
    inside: str = ""  # the name of the node in progress inside a block
    values: tuple[str, str] = ("", "")  # a node's value and gradient, short, for its bottom border
    level: int | None = None  # the node's level of the metric the graph is coloured by (-1: it has none yet)


class GraphView(CachedStyles, ScrollView, can_focus=False):
    """The DAG; follows the current node, highlights the selected item (a node or a block)."""

    STYLE_PREFIX = "graph-view"
    COMPONENT_CLASSES = {"graph-view--pending", "graph-view--computed", "graph-view--unused", "graph-view--grad",
                         "graph-view--current", "graph-view--selected", "graph-view--edge", "graph-view--block",
                         "graph-view--failed",
                         "graph-view--heat-pos", "graph-view--heat-neg", "graph-view--heat-nan", "graph-view--heat-inf"}

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.drawing: Drawing | None = None
        self.session: Session | None = None
        self.selected: int | None = None
        self._painted: dict[int, Look] = {}  # the look of each item as last painted, at ``_painted_at``
        self._painted_at = Offset()
        self.metric: str | None = None  # what the boxes are coloured by (``render.heat.METRICS``), or their state
        self._summaries: dict[int, tuple] = {}  # node → (value, gradient, their border texts), arrays held weakly
        self._measures: heat.Measures | None = None  # of the metric the boxes are coloured by
        self._top: tuple[tuple, float] = ((), 0.0)  # (stepper, position, metric) → the largest measure then
        self._extent: tuple[object, tuple, Size] = (None, (), Size())  # graph, kind of view, its largest drawing

    def cycle_metric(self) -> str | None:
        """The next way of colouring the boxes: by state, then each metric in turn, then by state again."""
        order = (None, *heat.METRICS)
        self.metric = order[(order.index(self.metric) + 1) % len(order)]
        if self.drawing is not None:
            self.border_subtitle = self._legend()
        self.refresh()
        return self.metric

    @property
    def layout_(self) -> Layout | None:
        return self.drawing.layout if self.drawing is not None else None

    def show(self, drawing: Drawing, session: Session) -> None:
        """Draw this drawing with the state of the session's stepper."""
        self.drawing, self.session = drawing, session
        self.virtual_size = self._largest(drawing, session)  # lays the screen out only when it changes
        self._keep_in_view(drawing)
        self._painted = {}
        self.border_subtitle = self._legend()
        self.refresh()

    def _largest(self, drawing: Drawing, session: Session) -> Size:
        """The virtual size: the largest drawing of this kind of view of this graph shown so far.  Stepping from
        one iteration of a folded loop into the next changes the drawing's size; a virtual size that changed with
        it would make a scrollbar come and go, and Textual lay out and paint the whole screen at each (~50 ms at
        10,000 nodes).  Another kind of view (``z``, ``F``, other hops) starts afresh, with its own size."""
        key, (graph, seen_kind, seen) = drawing.shown.key, self._extent
        kind, width, height = (key.kind, key.hops, key.folded), drawing.layout.width, drawing.layout.height
        if graph is session.graph and seen_kind == kind:
            width, height = max(width, seen.width), max(height, seen.height)
        self._extent = (session.graph, kind, Size(width, height))
        return self._extent[2]

    def _keep_in_view(self, drawing: Drawing) -> None:
        """Scroll no further than this drawing needs, as if the virtual size were its own: a drawing narrower than
        the largest is not shown scrolled off its left or top."""
        view = self.scrollable_content_region.size
        x = min(self.scroll_x, max(0, drawing.layout.width - view.width))
        y = min(self.scroll_y, max(0, drawing.layout.height - view.height))
        if (x, y) != (self.scroll_x, self.scroll_y):
            self.scroll_to(x, y, animate=False, immediate=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.drawing is not None:  # the theme changed: the legend's colours with it
            self.border_subtitle = self._legend()

    def state_styles(self) -> dict[str, Style]:
        """The colour of each state of a node, as the graph draws it (app.tcss)."""
        return {s: self.get_component_rich_style(f"graph-view--{s}") for s in STATES}

    def _legend(self) -> Text:
        """``pending · computed · unused · grad · current``, each in the graph's own colour for it; when coloured
        by a metric, its levels instead (``_metric_legend``)."""
        if self.metric is not None:
            return self._metric_legend()
        styles = self.state_styles()
        legend = Text(" · ").join(Text(state, style=styles[state]) for state in STATES[:-1])
        legend.append(" · ").append(" current ", style=styles["current"] + Style(reverse=True))
        blocks = self.drawing.view is not None and self.drawing.view.blocks
        return legend.append(" · ╔═╗ block (o opens)" if blocks else "")

    def _metric_legend(self) -> Text:
        """``‖G‖ gradient norm  ≥0.7 ≥0.22 ≥0.07 <0.07 · h: next``, each level in its colour."""
        _, top = self._metric() if self.session is not None and self.session.ready else ({}, 0.0)
        number = (lambda x: human_bytes(round(x))) if self.metric == "held" else heat.short_number
        legend = Text(f"{heat.METRIC_TITLES[self.metric]} ")
        for level in range(heat.LEVELS, 0, -1):
            text = f"≥{number(heat.level_floor(level, top))}" if level > 1 else f"<{number(heat.level_floor(2, top))}"
            legend.append(f" {text} " if top > 0 else "  ", style=self._component(f"heat:pos{level}"))
        return legend.append(" · h: next")

    def select(self, item: int | None, follow: int | None = None) -> None:
        """Mark ``item`` as selected, scroll so that ``follow`` (or it) is visible, and repaint what changed."""
        self.selected = item
        target = follow if follow is not None else item
        if self.layout_ is not None and target in self.layout_.boxes:
            box = self.layout_.boxes[target]
            self.scroll_to_region(Region(box.x, box.y, box.w, BOX_ROWS), spacing=Spacing(1, 2, 1, 2),
                                  animate=False, immediate=True)
        self.repaint_changed()

    def repaint_changed(self) -> None:
        """Refresh the boxes on screen whose look differs from the one painted (a scroll repaints them all)."""
        if self.drawing is None or self.session is None or not self.session.ready:
            return
        boxes, (sx, sy), current = self.layout_.boxes, self.scroll_offset, self._current_item()
        if self.metric is not None:  # the largest measure may have moved: the legend's levels with it
            self.border_subtitle = self._legend()
        for item, look in self._painted.items():
            if self._look(item, current) != look:
                box = boxes[item]
                self.refresh(Region(box.x - sx, box.y - sy, box.w, BOX_ROWS))

    def _style_for(self, name: str) -> Style:
        """A component style on the widget's base style; "selected" and "block" only add to the state's colour."""
        if not name:
            return super()._style_for(name)
        base = Style() if name in ("selected", "block") else self.rich_style
        return base + self.get_component_rich_style(f"graph-view--{name}", partial=True)

    def _state(self, item: int) -> str:
        if item == self.session.failed:
            return "failed"  # the call that failed while tracing (``core.partial``): it never computes
        stepper = self.session.stepper
        state = stepper.state(item)
        if state == "computed" and not stepper.graph.feeds_output[item]:
            return "unused"  # e.g. a while-loop test: computed, but no path to the output
        return state

    def _current_item(self) -> int | None:
        current = self.session.walk_node()
        return self.drawing.item_of(current) if current is not None else None

    def _look(self, item: int, current: int | None) -> Look:
        block = self.drawing.block(item)
        selected, here = item == self.selected, item == current
        if block is None:
            level = None
            if self.metric is not None:
                measures, top = self._metric()
                level = heat.metric_level(measures.get(item), top)
            return Look(self._state(item), selected, here, item in self.session.stepper.breakpoints,
                        values=self._values(item), level=level)
        progress = self.drawing.shown.progress(self.session.stepper, block)
        name = self.session.graph.name_of(progress.current) if progress.current is not None else ""
        return Look(progress.state, selected, here, False, progress.text, name)

    def _values(self, node: int) -> tuple[str, str]:
        """The node's value and gradient as its bottom border writes them (``1.04``, ``G‖0.41‖``), made once
        per array: the stepper never changes an array it handed out, it replaces it.  The arrays are held
        weakly, so a value a step back dropped is not kept alive here."""
        st = self.session.stepper
        value, grad = st.value(node), st.grad(node)
        known = self._summaries.get(node)
        if known is not None and _same(known[0], value) and _same(known[1], grad):
            return known[2]
        texts = (_short(value, ""), _short(grad, "G"))
        self._summaries[node] = (_ref(value), _ref(grad), texts)
        return texts

    def _metric(self) -> tuple[dict[int, float], float]:
        """Each node's measure of the metric (``render.heat.Measures``) and the largest, once per step."""
        st = self.session.stepper
        if self._measures is None or self._measures.stepper is not st or self._measures.metric != self.metric:
            self._measures = heat.Measures(st, self.metric)
        key = (id(st), st.position, self.metric)
        if self._top[0] != key:
            self._top = (key, max(self._measures.sync().values(), default=0.0))
        return self._measures.of, self._top[1]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.base_style
        if self.drawing is None or self.session is None or not self.session.ready:
            return Strip.blank(width, base)
        if self.scroll_offset != self._painted_at:  # scrolled: every box on screen is painted again
            self._painted, self._painted_at = {}, self.scroll_offset
        sx, sy = self.scroll_offset
        row, x, segments = sy + y, sx, []
        current = self._current_item()
        for run in self.layout_.runs(row, sx, sx + width):
            start = max(run.x, sx)
            if start > x:
                segments.append(Segment(" " * (start - x), self._component("edge")))
            text, style = self._run(run.node, run.text, row, current)
            text = text[start - run.x: sx + width - run.x]
            segments.append(Segment(text, style))
            x = start + len(text)
        return Strip(segments).adjust_cell_length(width, base)

    def _run(self, item: int, text: str, row: int, current: int | None) -> tuple[str, Style]:
        """The text and style of one run: edges plain, nodes by state, blocks in double lines with progress."""
        if item < 0:
            return text, self._component("edge")
        look = self._painted[item] = self._look(item, current)
        box = self.layout_.boxes[item]
        style = self._component(look.state)
        if self.drawing.block(item) is None:
            text = text.translate(HEAVY) if look.selected else text
            if row == box.y and look.breakpoint and len(text) > 3:
                text = text[:1] + "●b" + text[3:]  # a breakpoint: e and f stop here
            if row == box.y + 2 and len(text) == box.w:
                text = _with_values(text, *look.values)
            if look.level is not None:  # coloured by a metric: the level's colour instead of the state's
                style = (self._component("pending") if look.level < 0 else
                         self.base_style + self._component(f"heat:pos{look.level}" if look.level else "heat:zero"))
        else:
            style += self._component("block")
            text = text.translate(HEAVY if look.selected else DOUBLE)
            if row == box.y + 2 and look.progress:
                text = _on_border(text, look.progress, look.inside)
        if look.selected:
            style += self._component("selected")
        if look.current and row == box.y + 1:
            style += Style(reverse=True)
        return text, style

    def item_at(self, col: int, row: int) -> int | None:
        """The node or block drawn at this cell of the whole drawing, if any."""
        if self.layout_ is None:
            return None
        hits = [run.node for run in self.layout_.runs(row, col, col + 1) if run.node >= 0]
        return hits[0] if hits else None

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        item = self.item_at(offset.x + self.scroll_offset.x, offset.y + self.scroll_offset.y)
        if item is not None:
            self.post_message(NodePicked(item))


def _ref(a) -> weakref.ref | None:
    return weakref.ref(a) if isinstance(a, np.ndarray) else None


def _same(ref: weakref.ref | None, a) -> bool:
    """``a`` is the array ``ref`` was made for (no array for None; a freed one is nothing)."""
    return a is None if ref is None else a is not None and ref() is a


def _short(a, prefix: str) -> str:
    """A value or gradient in a few characters: a scalar itself (``G 0.12``), a tensor its norm (``G‖0.41‖``)."""
    if a is None:
        return ""
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        return ""
    if a.size == 1:
        return f"{prefix} {heat.short_number(float(a.reshape(-1)[0]))}".strip()
    return f"{prefix}‖{heat.short_number(float(np.linalg.norm(a.astype(float, copy=False))))}‖"


def _with_values(line: str, value: str, grad: str) -> str:
    """The bottom border with the value left of the connector and the gradient right of it, each when it fits
    (``└─ 1.04 ─┬─ G 1 ─┘``); the gradient first, as the backward pass is what a learner follows."""
    mid = len(line) // 2  # the connector (or the plain border's middle)
    right = f" {grad} " if grad else ""
    if right and len(right) <= len(line) - mid - 4:
        line = line[: len(line) - 2 - len(right)] + right + line[-2:]
    left = f" {value} " if value else ""
    if left and len(left) <= mid - 3:
        line = line[:2] + left + line[2 + len(left):]
    return line


def _on_border(line: str, progress: str, current: str) -> str:
    """The bottom border with the progress written into its right half: ``╚══╤══ ▶ a#4 · 3/51 computed ═╝``."""
    room = len(line) - (len(line) // 2 + 1) - 3  # right of the connector, inside the corner
    for text in (f" ▶ {current} · {progress} " if current else "", f" ▶ {progress} " if current else "",
                 f" {progress} ", f" {progress.split()[0]} "):
        if text and len(text) <= room:
            return line[: len(line) - 2 - len(text)] + text + line[-2:]
    return line
