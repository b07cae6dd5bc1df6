"""Provides ``SourceView``: the user's file around the current node's line, like a debugger."""

from __future__ import annotations

from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual.widget import Widget


class SourceView(Widget, can_focus=False):
    """A window of the source with the line that made the node highlighted."""

    COMPONENT_CLASSES = {"source-view--line", "source-view--number"}

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.lines: list[Text] = []
        self.line: int | None = None

    def load(self, path: str, lines: list[str]) -> None:
        """Highlight the file once; ``show`` then only picks a window."""
        self.border_title = path
        code = "\n".join(lines)
        self.lines = Syntax(code, "python", theme="ansi_dark").highlight(code).split("\n") if lines else []
        self.refresh()

    def show(self, line: int | None) -> None:
        """Centre the window on this 1-based line and mark it."""
        self.line = line
        self.refresh()

    def render(self) -> Group:
        height = max(1, self.content_region.height)
        if not self.lines:
            return Group(Text("(source not available)", style="dim"))
        line = self.line or 1
        top = max(0, min(line - 1 - height // 2, len(self.lines) - height))
        digits = len(str(len(self.lines)))
        out = Text(no_wrap=True, overflow="ellipsis")
        for k in range(top, min(top + height, len(self.lines))):
            mark = "▶" if k + 1 == self.line else " "
            out.append(f"{mark}{k + 1:>{digits}} ", self.get_component_rich_style("source-view--number"))
            text = self.lines[k].copy()
            if k + 1 == self.line:
                text.stylize(self.get_component_rich_style("source-view--line"))
                text.pad_right(max(0, self.content_region.width - digits - 2 - len(text)))
            out.append_text(text)
            if k + 1 < min(top + height, len(self.lines)):
                out.append("\n")
        return Group(out)  # through Rich, which keeps highlighted spans aligned
