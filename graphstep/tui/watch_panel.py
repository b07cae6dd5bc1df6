"""Provides ``WatchPanel``: a few nodes kept in view while you step, changes highlighted.

Each watched node shows its value and gradient summaries; a row lights up when
the last step changed it (``Stepper.changed``), so the moment a gradient
arrives is visible without selecting the node.  Hidden while nothing is watched.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ..text import fmt_shape, summarize
from .session import Session


class WatchPanel(Static):
    """Watched nodes: name, shape, value and gradient, lit when the last step touched them."""

    COMPONENT_CLASSES = {"watch-panel--value", "watch-panel--grad", "watch-panel--lit"}

    def show(self, session: Session, watched: list[int]) -> None:
        """Redraw the watched rows as of the session's stepper."""
        self.display = bool(watched) and session.ready
        if not self.display:
            return
        st = session.stepper
        touched = set(st.changed(st.position)) if st.position else set()
        value, grad, lit_row = (self.get_component_rich_style(f"watch-panel--{name}") for name in ("value", "grad",
                                                                                                  "lit"))
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True, style="dim")
        table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        for nid in watched:
            node = session.graph.node(nid)
            lit = nid in touched
            table.add_row(Text(("● " if lit else "  ") + session.graph.name_of(nid), style="bold" if lit else ""),
                          fmt_shape(node.shape), Text(f"v {summarize(st.value(nid), 30)}", style=value),
                          Text(f"g {summarize(st.grad(nid), 30)}", style=grad),
                          style=lit_row if lit else "")
        self.border_title = f"Watches · {len(watched)}"
        self.border_subtitle = "w toggles the selected node"
        self.update(table)
