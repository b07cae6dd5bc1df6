"""Provides ``Navigator``: where the user is in the graph view, with no Textual in it.

The app keeps its keys; what they mean for the selection lives here, so it can be
tested without a terminal.  The navigator chooses the drawing (``Session.drawing``
for the anchor), keeps the selected item of it (a node or a block), follows the
node the walk is on (``walk_node``) until the user picks another (esc follows again), orders
the drawn items for ↑ ↓ tab, keeps the selection by name across a reload, and
keeps a search's matches for ``]`` and ``[``.  Every method leaves ``drawing``
and ``selected`` consistent; the app then redraws its widgets from them.
"""

from __future__ import annotations

from bisect import bisect_left

from ..analysis.search import next_match
from .session import Drawing, Session


class Navigator:
    """The selection and the drawing it is in, over a session with a graph to step (``session.ready``)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.selected: int | None = None  # an item of ``drawing``: a node, or a block of folded or hidden nodes
        self.follow = True  # the selection is the stepper's current node, and moves with it
        self.anchor: int | None = None  # the node whose iterations are open (or the focus is on)
        self.drawing: Drawing | None = None
        self.order: list[int] = []  # the items of the drawing, top to bottom, left to right: ↑ ↓ tab
        self.query = ""
        self.matches: list[int] = []  # the nodes the last search found, in id order

    # ── what the selection stands for ──
    def selected_node(self) -> int | None:
        """The node the selection stands for: itself, or for a block the step in it, else its first node."""
        block = self.drawing.block(self.selected) if self.drawing is not None else None
        if block is None:
            return self.selected
        current = self.walk_node()
        return current if current is not None and self.drawing.item_of(current) == block.id else block.nodes[0]

    def walk_node(self) -> int | None:
        return self.session.walk_node()

    def selected_name(self) -> str | None:
        """The name of the selected node: what a reload keeps selected (node ids change when the file does)."""
        node = self.selected_node() if self.session.ready else None
        return self.session.graph.name_of(node) if node is not None else None

    def current_item(self) -> int | None:
        """The item drawing the stepper's current node (None before the first step and after the last)."""
        current = self.walk_node()
        return self.drawing.item_of(current) if current is not None and self.drawing is not None else None

    # ── moving it ──
    def refresh(self) -> None:
        """After a step (or any change to the session): the drawing for it, and the current node selected
        while following."""
        self.sync()
        if self.follow:
            current = self.walk_node()
            self.selected = self.drawing.item_of(current) if current is not None else self._first()

    def follow_current(self) -> None:
        """esc: the selection follows the stepper's current node again."""
        self.follow = True
        self.refresh()

    def pick(self, item: int) -> None:
        """Select a node or a block; following resumes when it is the current node.

        A node hidden in a folded block opens where it is; in focus mode the focus moves to it.
        """
        drawing = self.drawing
        if drawing is not None and drawing.block(item) is None and (self.session.focused or
                                                                    drawing.item_of(item) != item):
            self.anchor = item
        self.follow = item == self.walk_node()
        self.selected = item
        self.sync()

    def select_by(self, delta: int) -> None:
        """↑ ↓ tab: the item ``delta`` places on in drawing order, wrapping around."""
        if self.order:
            at = self.order.index(self.selected) if self.selected in self.order else 0
            self.pick(self.order[(at + delta) % len(self.order)])

    def open(self) -> bool:
        """``o``: open the selected block, a folded run at its first member, a context box at its nearest node
        (the last of it when it lies before the anchor).  False when the selection is not a block."""
        block = self.drawing.block(self.selected) if self.drawing is not None else None
        if block is None:
            return False
        behind = block.repeat is None and self.anchor is not None and block.nodes[0] < self.anchor
        self.anchor = block.nodes[-1] if behind else block.nodes[0]
        self.follow, self.selected = False, self.anchor
        self.refresh()
        return True

    def toggle_view(self, what: str) -> None:
        """Toggle the session's ``folded`` or ``focused``, keeping the selected node in the open."""
        node = self.selected_node()
        setattr(self.session, what, not getattr(self.session, what))
        if not self.follow and node is not None:
            self.anchor = node
        self.refresh()

    def reloaded(self, keep: str | None) -> None:
        """A new run of the file: select the node named ``keep`` again (as breakpoints and watches follow
        their names), else follow the current node."""
        self.drawing = None
        node = self.session.graph.ids.get(keep) if keep is not None else None
        if node is None:
            self.selected, self.follow = None, True
        else:
            self.selected = node
            self.anchor = node if not self.follow else self.anchor
        self.refresh()

    # ── search matches: ] and [ ──
    def use_matches(self, query: str, matches: list[int], node: int | None = None) -> None:
        """Keep a search's matches for ``]`` and ``[``, and go to ``node`` (by default the next match)."""
        self.query, self.matches = query, matches
        target = node if node is not None else next_match(matches, self.selected_node(), 1)
        if target is not None:
            self.pick(target)

    def jump(self, direction: int) -> bool:
        """``]`` (1) and ``[`` (-1): the next or previous match, wrapping around.  False with no matches."""
        if not self.matches:
            return False
        self.pick(next_match(self.matches, self.selected_node(), direction))
        return True

    def match_note(self) -> str:
        """``match 3/17 “tanh”`` while the selected node is one of the matches."""
        node, matches = self.selected_node(), self.matches
        k = bisect_left(matches, node) if node is not None else len(matches)
        return f"match {k + 1}/{len(matches)} “{self.query}”" if k < len(matches) and matches[k] == node else ""

    # ── the drawing ──
    def sync(self) -> None:
        """Choose the drawing for the anchor (the current node while following), the selection carried into it."""
        session = self.session
        if self.follow:
            current = self.walk_node()
            start = session.graph.op_nodes[0] if session.focused and session.graph.op_nodes else None
            self.anchor = current if current is not None else start
        drawing = session.drawing(self.anchor, following=self.follow)
        if drawing is self.drawing:
            return
        node = self.selected_node()
        self.drawing = drawing
        boxes = drawing.layout.boxes
        self.order = sorted(boxes, key=lambda n: (boxes[n].y, boxes[n].x))
        if node is not None:
            self.selected = drawing.item_of(node)

    def _first(self) -> int | None:
        return self.order[0] if self.order else None
