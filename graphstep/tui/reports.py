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
        """Everything here, nothing looked up on mount: a screen closed as it opens is mounted emptied."""
        with VerticalScroll(id="report") as box:
            box.border_title, box.border_subtitle = self.title_text, "esc closes"
            if self.ok is not None:
                box.add_class("ok" if self.ok else "bad")
            yield Static(self._text(), id="report-body")

    def _text(self) -> Text:
        text = Text()
        for line in self.lines:
            style = "bold" if line and not line.startswith(" ") and line.endswith(":") else ""
            text.append(line + "\n", style=style)
        return text
