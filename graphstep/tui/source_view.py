"""Provides ``SourceView``: the user's file around the current node's line, like a debugger.

A Line API widget: the file is highlighted once, and a step that stays on the
same line repaints nothing here.  Colour comes just after the screen that shows
the graph is painted: Pygments builds its Python lexer on first use (~50 ms),
which is not on the way to the first screen.
"""

from __future__ import annotations

import functools

from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from .styles import CachedStyles


class SourceView(CachedStyles, Widget, can_focus=False):
    """A window of the source with the line that made the node highlighted."""

    STYLE_PREFIX = "source-view"
    COMPONENT_CLASSES = {"source-view--line", "source-view--number"}

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.lines: list[Text] = []
        self.line: int | None = None
        self._source: list[str] = []

    def load(self, path: str, lines: list[str]) -> None:
        """Show the file in plain text; ``highlight`` colours it."""
        self.border_title = path
        self._source = lines
        self.lines = [Text(line) for line in lines]
        self.refresh()

    def highlight(self) -> None:
        """Colour the file as Python, once the screen now due has been painted."""
        self.call_after_refresh(self._highlight, self._source)

    def _highlight(self, lines: list[str]) -> None:
        if lines is not self._source or not lines:
            return  # another file was loaded meanwhile
        self.lines = list(_highlighted("\n".join(lines)))
        self.refresh()

    def show(self, line: int | None) -> None:
        """Centre the window on this 1-based line and mark it (a repaint only when the line changes)."""
        if line != self.line:
            self.line = line
            self.refresh()

    def render_line(self, y: int) -> Strip:
        width, height = self.content_region.width, max(1, self.content_region.height)
        if not self.lines:
            text = Text("(source not available)", style="dim") if y == 0 else Text()
        else:
            line = self.line or 1
            top = max(0, min(line - 1 - height // 2, len(self.lines) - height))
            text = self._numbered(top + y, width) if top + y < len(self.lines) else Text()
        text.truncate(width, overflow="ellipsis")
        return Strip(text.render(self.app.console)).apply_style(self.base_style)

    def _numbered(self, k: int, width: int) -> Text:
        """Line ``k`` (0-based) as ``▶23 code``: its number, marked and lit when it made the node."""
        digits = len(str(len(self.lines)))
        here = k + 1 == self.line
        text = Text(end="").append(f"{'▶' if here else ' '}{k + 1:>{digits}} ", self._component("number"))
        text.append_text(self.lines[k])
        if here:
            text.stylize(self._component("line"), digits + 2)
            text.pad_right(max(0, width - len(text)))
        return text


@functools.lru_cache(maxsize=8)
def _highlighted(code: str) -> tuple[Text, ...]:
    """The file's lines coloured as Python: once per text of a file (a reload of an unchanged file, or of the file
    it was before an edit, colours nothing again).  The lines are never changed: ``_numbered`` copies them."""
    from rich.syntax import Syntax

    return tuple(Syntax(code, "python", theme="ansi_dark").highlight(code).split("\n"))
