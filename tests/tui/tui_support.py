"""What the TUI tests share: the terminal size they run at, waiting for the app to settle, the screen as text."""

from __future__ import annotations

import html
import re

SIZE = (160, 48)


SVG_TEXT = re.compile(r'<text [^>]*\bx="([\d.]+)"[^>]*\btextLength="([\d.]+)"[^>]*-line-(\d+)\)">([^<]*)</text>')


def screen_text(app) -> str:
    """What the terminal shows, as plain text: read from Textual's public SVG screenshot, where each run of text
    is a ``<text>`` at ``x = column × cell width`` on its line (spaces between runs are not drawn)."""
    rows: dict[int, list[str]] = {}
    for x, length, line, escaped in SVG_TEXT.findall(app.export_screenshot()):
        text = html.unescape(escaped).replace("\xa0", " ")
        column = round(float(x) / (float(length) / len(text)))
        row = rows.setdefault(int(line), [])
        row.extend(" " * (column - len(row)))
        row[column:column + len(text)] = text
    return "\n".join("".join(rows.get(y, [])).rstrip() for y in range(app.size.height)) + "\n"


async def settle(pilot) -> None:
    """Wait until what the app runs off the UI thread (the user's file, a check) has ended and the screen shows it."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def notes(app) -> list[str]:
    """Every notification the app gives from now on, in order: a toast leaves the screen on a wall-clock timer,
    so a test on a busy machine asserts on what was said, not on whether the toast is still up."""
    said: list[str] = []
    show = app.notify

    def notify(message, *args, **kwargs):
        said.append(str(message))
        return show(message, *args, **kwargs)

    app.notify = notify
    return said
