"""Provides ``StepLog``: one line per step taken (phase, node, formula with shapes), newest marked.

A Line API widget that asks the session for the records of the visible lines
only; clicking a line selects that step's node.
"""

from __future__ import annotations

from rich.segment import Segment
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .messages import StepPicked
from .session import Session
from .styles import CachedStyles


class StepLog(CachedStyles, ScrollView, can_focus=False):
    """The walk so far; follows its newest line."""

    STYLE_PREFIX = "step-log"
    COMPONENT_CLASSES = {"step-log--forward", "step-log--backward", "step-log--newest", "step-log--selected"}

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.session: Session | None = None
        self.selected: int | None = None

    def show(self, session: Session, selected: int | None) -> None:
        """Show the steps taken so far and scroll to the newest."""
        self.session, self.selected = session, selected
        count = session.stepper.position if session.ready else 0
        self.border_title = f"Steps · {count} of {session.stepper.total}" if session.ready else "Steps"
        total = session.stepper.total if session.ready else 0
        if self.virtual_size.height != total:  # the whole plan, so stepping never re-lays out the screen
            self.virtual_size = Size(self.scrollable_content_region.width, total)
        self.scroll_to(y=max(0, count - self.scrollable_content_region.height), animate=False, force=True,
                       immediate=True)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        k = self.scroll_offset.y + y + 1
        session = self.session
        if session is None or not session.ready or k > session.stepper.position:
            return Strip.blank(width, self.base_style)
        step = session.record(k)
        style = self._component(step.phase)
        if k == session.stepper.position:
            style += self._component("newest")
        elif step.node == self.selected:
            style += self._component("selected")
        phase = "fwd" if step.phase == "forward" else "bwd"
        text = f"{k:>4} {phase} {step.name[:12]:<12} {step.formula[:width]}"  # a concat of 2,000 is long
        return Strip([Segment(text, style)]).adjust_cell_length(width, style)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and self.session is not None and self.session.ready:
            k = self.scroll_offset.y + offset.y + 1
            if 1 <= k <= self.session.stepper.position:
                self.post_message(StepPicked(k))
