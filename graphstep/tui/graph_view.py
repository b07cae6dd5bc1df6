"""Provides ``GraphView``: the layered graph drawn with box-drawing characters, coloured by state.

A Line API widget: ``render_line`` asks the precomputed ``Layout`` for the runs
of one visible row, so scrolling a 2,000-node graph costs only what is on screen.
It draws a session ``Drawing``: nodes, and blocks (folded repeats, context boxes)
in double lines, each with the walk's progress inside it (``render.view``) on its bottom border.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size, Spacing
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..render.layout import Layout
from .messages import NodePicked
from .session import Drawing, Session
from .styles import CachedStyles

HEAVY = str.maketrans("┌┐└┘─│┬┴", "┏┓┗┛━┃┳┻")
DOUBLE = str.maketrans("┌┐└┘─│┬┴", "╔╗╚╝═║╤╧")


class GraphView(CachedStyles, ScrollView, can_focus=False):
    """The DAG; follows the current node, highlights the selected item (a node or a block)."""

    STYLE_PREFIX = "graph-view"
    COMPONENT_CLASSES = {"graph-view--pending", "graph-view--computed", "graph-view--unused", "graph-view--grad",
                         "graph-view--current", "graph-view--selected", "graph-view--edge", "graph-view--block"}

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.drawing: Drawing | None = None
        self.session: Session | None = None
        self.selected: int | None = None

    @property
    def layout_(self) -> Layout | None:
        return self.drawing.layout if self.drawing is not None else None

    def show(self, drawing: Drawing, session: Session) -> None:
        """Draw this drawing with the state of the session's stepper."""
        self.drawing, self.session = drawing, session
        self.virtual_size = Size(drawing.layout.width, drawing.layout.height)
        self.refresh()

    def select(self, item: int | None, follow: int | None = None) -> None:
        """Mark ``item`` as selected and scroll so that ``follow`` (or it) is visible."""
        self.selected = item
        target = follow if follow is not None else item
        if self.layout_ is not None and target in self.layout_.boxes:
            box = self.layout_.boxes[target]
            self.scroll_to_region(Region(box.x, box.y, box.w, 3), spacing=Spacing(1, 2, 1, 2), animate=False,
                                  immediate=True)
        self.refresh()

    def _style_for(self, name: str) -> Style:
        """A component style on the widget's base style; "selected" and "block" only add to the state's colour."""
        base = Style() if name in ("selected", "block") else self.rich_style
        return base + self.get_component_rich_style(f"graph-view--{name}", partial=True)

    def _state(self, item: int) -> str:
        stepper = self.session.stepper
        state = stepper.state(item)
        if state == "computed" and not stepper.graph.feeds_output[item]:
            return "unused"  # e.g. a while-loop test: computed, but no path to the output
        return state

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if self.drawing is None or self.session is None or not self.session.ready:
            return Strip.blank(width, self.rich_style)
        sx, sy = self.scroll_offset
        row, x, segments = sy + y, sx, []
        current = self.session.stepper.current
        current = self.drawing.item_of(current) if current is not None else None
        for run in self.layout_.runs(row, sx, sx + width):
            start = max(run.x, sx)
            if start > x:
                segments.append(Segment(" " * (start - x), self._component("edge")))
            text, style = self._run(run.node, run.text, row, current)
            text = text[start - run.x: sx + width - run.x]
            segments.append(Segment(text, style))
            x = start + len(text)
        return Strip(segments).adjust_cell_length(width, self.rich_style)

    def _run(self, item: int, text: str, row: int, current: int | None) -> tuple[str, Style]:
        """The text and style of one run: edges plain, nodes by state, blocks in double lines with progress."""
        if item < 0:
            return text, self._component("edge")
        box = self.layout_.boxes[item]
        block = self.drawing.block(item)
        selected = item == self.selected
        if block is None:
            style = self._component(self._state(item))
            text = text.translate(HEAVY) if selected else text
            if row == box.y and item in self.session.stepper.breakpoints and len(text) > 3:
                text = text[:1] + "●b" + text[3:]  # a breakpoint: e and f stop here
        else:
            progress = self.drawing.shown.progress(self.session.stepper, block)
            style = self._component(progress.state) + self._component("block")
            text = text.translate(HEAVY if selected else DOUBLE)
            if row == box.y + 2 and progress.text:
                text = _on_border(text, progress.text, self.session.graph.name_of(progress.current)
                                  if progress.current is not None else "")
        if selected:
            style += self._component("selected")
        if item == current and row == box.y + 1:
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


def _on_border(line: str, progress: str, current: str) -> str:
    """The bottom border with the progress written into its right half: ``╚══╤══ ▶ a#4 · 3/51 computed ═╝``."""
    room = len(line) - (len(line) // 2 + 1) - 3  # right of the connector, inside the corner
    for text in (f" ▶ {current} · {progress} " if current else "", f" ▶ {progress} " if current else "",
                 f" {progress} ", f" {progress.split()[0]} "):
        if text and len(text) <= room:
            return line[: len(line) - 2 - len(text)] + text + line[-2:]
    return line
