"""Provides ``StepLog``: one line per step taken (phase, node, formula with shapes), newest marked.

A Line API widget that asks the session for the records of the visible lines
only; clicking a line selects that step's node.  With ``--train`` it lists the
current iteration: its forward and backward steps, then its update steps (the
rule with numbers and shapes), each selecting the param it updated.
"""

from __future__ import annotations

from rich.segment import Segment
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..core.training import Update
from .messages import NodePicked, StepPicked
from .session import Session
from .styles import CachedStyles


class StepLog(CachedStyles, ScrollView, can_focus=False):
    """The walk so far; follows its newest line."""

    STYLE_PREFIX = "step-log"
    COMPONENT_CLASSES = {"step-log--forward", "step-log--backward", "step-log--update", "step-log--newest",
                         "step-log--selected"}
    DEFAULT_CSS = "StepLog > .step-log--update { color: $text-warning; }"

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.session: Session | None = None
        self.selected: int | None = None

    def show(self, session: Session, selected: int | None) -> None:
        """Show the steps taken so far and scroll to the newest."""
        self.session, self.selected = session, selected
        count, total = walked(session)
        training = session.training
        of = f" · iteration {training.iteration + 1}/{training.iterations}" if training is not None else ""
        self.border_title = f"Steps · {count} of {total}{of}" if session.ready else "Steps"
        if self.virtual_size.height != total:  # the whole plan, so stepping never re-lays out the screen
            self.virtual_size = Size(self.scrollable_content_region.width, total)
        self.scroll_to(y=max(0, count - self.scrollable_content_region.height), animate=False, force=True,
                       immediate=True)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        k = self.scroll_offset.y + y + 1
        session = self.session
        count = walked(session)[0] if session is not None else 0
        if session is None or not session.ready or k > count:
            return Strip.blank(width, self.base_style)
        step = line_record(session, k)
        if isinstance(step, Update):
            style, phase, name, node = self._component("update"), "upd", step.param, step.node
            formula = step.formula[:width]
        else:
            style, name, node = self._component(step.phase), step.name, step.node
            phase = "fwd" if step.phase == "forward" else "bwd"
            formula = step.formula_prefix(width)  # a concat's 2,000 contributions: only those the line shows
        if k == count:
            style += self._component("newest")
        elif node == self.selected:
            style += self._component("selected")
        text = f"{k:>4} {phase} {name[:12]:<12} {formula}"
        return Strip([Segment(text, style)]).adjust_cell_length(width, style)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and self.session is not None and self.session.ready:
            k = self.scroll_offset.y + offset.y + 1
            if 1 <= k <= walked(self.session)[0]:
                step = line_record(self.session, k)
                self.post_message(NodePicked(step.node) if isinstance(step, Update) else StepPicked(k))


def walked(session: Session) -> tuple[int, int]:
    """(steps taken, steps in all) of the walk the log lists: the stepper's, or the current iteration's with
    its update steps when training."""
    if not session.ready:
        return 0, 0
    st, training = session.stepper, session.training
    if training is None:
        return st.position, st.total
    return st.position + len(training.updates), training.steps_per_iteration


def line_record(session: Session, k: int):
    """The record of line ``k``: a step of the stepper (cached by the session), or an update step after them."""
    st = session.stepper
    return session.record(k) if k <= st.total else session.training.updates[k - st.total - 1]
