"""Provides ``Breadcrumb``: where the selected node is in the whole graph, and a minimap of the walk.

One line under the status bar: the groups holding the selected node
(``myFunc() ▸ while a.norm() < 100 ▸ iteration 3 of 18``) on the left, and on
the right its place in execution order with a bar of the whole graph coloured
by how far forward and backward have got.  Shown for graphs with groups or
many nodes, where a screen of boxes no longer says where you are.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from .session import Drawing, Session
from .styles import CachedStyles

CELLS = (12, 32)  # minimap width in narrow and wide terminals


class Breadcrumb(CachedStyles, Widget, can_focus=False):
    """One line; drawn by ``render`` so an update never re-lays out the screen."""

    STYLE_PREFIX = "breadcrumb"
    COMPONENT_CLASSES = {"breadcrumb--pending", "breadcrumb--computed", "breadcrumb--grad", "breadcrumb--here",
                         "breadcrumb--path"}

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.shown: tuple = ()

    def show(self, session: Session, drawing: Drawing, item: int | None) -> None:
        """Redraw for the selected item (a node, or a block of the drawing)."""
        self.shown = (session, drawing, item)
        self.refresh()

    def render(self) -> Text:
        if not self.shown or self.shown[2] is None or not self.shown[0].ready:
            return Text()
        session, drawing, item = self.shown
        block = drawing.block(item)
        width = self.content_size.width
        right = self._minimap(session, block.nodes[0] if block is not None else item, CELLS[width >= 120])
        parts = [f"{session.graph.name}()", *filter(None, drawing.shown.where(item).split(" ▸ "))]
        if session.training is not None:
            parts.insert(0, f"iteration {session.training.place.iteration} of {session.training.iterations}")
        room = max(0, width - len(right) - 1)
        left = " ▸ ".join(parts)
        while len(left) >= room and len(parts) > 1:  # drop the outermost groups first: the innermost say most
            parts = parts[1:]
            left = " ▸ ".join(["…", *parts])
        left = left if len(left) < room else "…" + left[len(left) - room + 2:]
        text = Text(" ", end="")
        text.append(left.ljust(room), self._component("path"))
        text.append_text(right)
        return text

    def _minimap(self, session: Session, node: int, cells: int) -> Text:
        """``node 39 of 54 ▕███▌░░░░▏``: blue computed, green with gradient, the selected node's cell marked."""
        total = len(session.graph)
        last, first_back = session.stepper.frontier()
        text = Text(f"node {node + 1:,} of {total:,} ▕")
        here = node * cells // total
        for c in range(cells):
            lo, hi = c * total // cells, (c + 1) * total // cells - 1
            if c == here:
                text.append("◆", self._component("here"))
            elif lo >= first_back:
                text.append("█", self._component("grad"))
            elif hi <= last:
                text.append("█", self._component("computed"))
            elif lo <= last:
                text.append("▌", self._component("computed"))
            else:
                text.append("░", self._component("pending"))
        text.append("▏")
        return text
