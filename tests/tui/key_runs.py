"""Runs of keys whose screens in between no check reads: each key handled before the next, the screen painted once.

``tui_support.press`` handles a key and forces two repaints of the screen before the next; the repaints are most
of a key's CPU (a step on myfunc.py: ~17 CPU-ms pressed, ~7 without them). A test that walks to the state it then
reads, or checks the app's state (the stepper, the selection, the graph view's layout) after every key, needs the
key handled, not painted: the app runs a key's action and redraws its views' state before it reads the next.
"""

from __future__ import annotations

from textual import events
from textual.keys import key_to_character
from tui_support import _drained, handled


async def press_through(pilot, *keys: str, paint: bool = True) -> None:
    """Press ``keys`` one after the other, each handled by the app and the widgets of its screen before the next
    (twice over, as ``press`` does: a key the app sends on to a widget); then paint the screen, unless ``paint`` is
    False (a loop that checks the app's state after each key and reads the screen once, after ``handled``)."""
    app = pilot.app
    for key in keys:
        app.post_message(events.Key(key, key_to_character(key)))
        await _drained(app)
        await _drained(app)
    if paint:
        await handled(pilot)
