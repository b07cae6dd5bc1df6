"""Provides ``ReportScreen``: a modal page of text the engine produced (compare, per-sample gradients).

The screen formats nothing itself: it shows the lines the report's ``lines()``
gave, with the first line as the title, so the CLI and the TUI say the same.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class ReportScreen(ModalScreen[None]):
    """A titled report; esc (or the key that opened it) closes it."""

    BINDINGS = [Binding("escape,q,enter", "dismiss", "close")]

    def __init__(self, title: str, lines: list[str], ok: bool | None = None) -> None:
        super().__init__()
        self.title_text, self.lines, self.ok = title, lines, ok

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="report"):
            yield Static(id="report-body")

    def on_mount(self) -> None:
        box = self.query_one("#report")
        box.border_title = self.title_text
        box.border_subtitle = "esc closes"
        if self.ok is not None:
            box.add_class("ok" if self.ok else "bad")
        text = Text()
        for line in self.lines:
            style = "bold" if line and not line.startswith(" ") and line.endswith(":") else ""
            text.append(line + "\n", style=style)
        self.query_one("#report-body", Static).update(text)
