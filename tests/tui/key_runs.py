"""Runs of keys whose screens in between no check reads: each key handled before the next, the screen painted once.

``tui_support.press`` handles a key and forces two repaints of the screen before the next; the repaints are most
of a key's CPU. A test that walks to the state it then reads, or checks the app's state (the stepper, the
selection, the graph view's drawing) after every key, needs the key handled, not painted: the app runs a key's
action and redraws its views' state before it reads the next. Held in one ``App.batch_update`` (Textual's public
way to suspend repaints), a step on myfunc.py costs ~5 CPU-ms instead of ~23 pressed; merely not forcing the
repaints leaves the screen's 60 Hz timer painting between keys whenever the key took a frame's time (~15 ms).
"""

from __future__ import annotations

from textual import events
from textual.keys import key_to_character
from tui_support import _drained, handled


async def press_through(pilot, *keys: str, paint: bool = True) -> None:
    """Press ``keys`` one after the other, each handled by the app and the widgets of its screen before the next
    (twice over, as ``press`` does: a key the app sends on to a widget), with no repaint in between; then lay the
    screen out and paint it, unless ``paint`` is False (a loop that checks the app's state after each key and
    reads the screen after ``handled``). Unpainted, the layout is the last one painted: a check on the view's
    scroll region wants ``press``."""
    app = pilot.app
    with app.batch_update():
        for key in keys:
            app.post_message(events.Key(key, key_to_character(key)))
            await _drained(app)
            await _drained(app)
    if paint:
        await handled(pilot)
