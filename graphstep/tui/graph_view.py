"""Provides ``GraphView``: the layered graph drawn with box-drawing characters, coloured by state.

A Line API widget: ``render_line`` asks the precomputed ``Layout`` for the runs
of one visible row, so scrolling a 2,000-node graph costs only what is on screen.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size, Spacing
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..render.layout import Layout
from ..stepper import Stepper
from .messages import NodePicked
from .styles import CachedStyles

HEAVY = str.maketrans("┌┐└┘─│┬┴", "┏┓┗┛━┃┳┻")


class GraphView(CachedStyles, ScrollView, can_focus=False):
    """The DAG; follows the current node, highlights the selected one."""

    STYLE_PREFIX = "graph-view"
    COMPONENT_CLASSES = {"graph-view--pending", "graph-view--computed", "graph-view--unused", "graph-view--grad",
                         "graph-view--current", "graph-view--selected", "graph-view--edge"}

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.layout_: Layout | None = None
        self.stepper: Stepper | None = None
        self.selected: int | None = None

    def show(self, layout: Layout, stepper: Stepper) -> None:
        """Draw this layout with the state of this stepper."""
        self.layout_, self.stepper = layout, stepper
        self.virtual_size = Size(layout.width, layout.height)
        self.refresh()

    def select(self, node: int | None, follow: int | None = None) -> None:
        """Mark ``node`` as selected and scroll so that ``follow`` (or it) is visible."""
        self.selected = node
        target = follow if follow is not None else node
        if self.layout_ is not None and target in self.layout_.boxes:
            box = self.layout_.boxes[target]
            self.scroll_to_region(Region(box.x, box.y, box.w, 3), spacing=Spacing(1, 2, 1, 2), animate=False,
                                   immediate=True)
        self.refresh()

    def _style_for(self, name: str) -> Style:
        """A component style on the widget's base style; "selected" only adds to the state's colour."""
        base = Style() if name == "selected" else self.rich_style
        return base + self.get_component_rich_style(f"graph-view--{name}", partial=True)

    def _style(self, node: int) -> Style:
        if node < 0 or self.stepper is None:
            return self._component("edge")
        state = self.stepper.state(node)
        if state == "computed" and not self.stepper.graph.feeds_output[node]:
            state = "unused"  # e.g. a while-loop test: computed, but no path to the output
        style = self._component(state)
        return style + self._component("selected") if node == self.selected else style

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if self.layout_ is None:
            return Strip.blank(width, self.rich_style)
        sx, sy = self.scroll_offset
        row, x, segments = sy + y, sx, []
        current = self.stepper.current if self.stepper else None
        for run in self.layout_.runs(row, sx, sx + width):
            start = max(run.x, sx)
            if start > x:
                segments.append(Segment(" " * (start - x), self._component("edge")))
            text = run.text[start - run.x: sx + width - run.x]
            if run.node == self.selected:
                text = text.translate(HEAVY)
            style = self._style(run.node)
            if run.node == current and run.node >= 0 and row == self.layout_.boxes[run.node].y + 1:
                style += Style(reverse=True)
            segments.append(Segment(text, style))
            x = start + len(text)
        return Strip(segments).adjust_cell_length(width, self.rich_style)

    def node_at(self, col: int, row: int) -> int | None:
        """The node drawn at this cell of the whole drawing, if any."""
        if self.layout_ is None:
            return None
        hits = [run.node for run in self.layout_.runs(row, col, col + 1) if run.node >= 0]
        return hits[0] if hits else None

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        node = self.node_at(offset.x + self.scroll_offset.x, offset.y + self.scroll_offset.y)
        if node is not None:
            self.post_message(NodePicked(node))
