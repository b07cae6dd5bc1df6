"""What the TUI tests share: the terminal size they run at, waiting for the app to settle, the screen as text."""

from __future__ import annotations

import asyncio
import html
import re

from textual import events
from textual.keys import key_to_character

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


HANDLED_WITHIN = 60.0  # seconds the app may take to handle one key on a busy machine before the test fails


async def press(pilot, *keys: str) -> None:
    """Press ``keys`` one after the other, each handled and repainted before the next.

    Pilot's own ``press`` waits until the process looks idle (two 20 ms sleeps per key, up to a second each
    while a thread of the app computes); here the test waits for the events themselves: a callback queued
    behind the key on the app and on every widget of the screen runs once all of them have handled what
    was posted before it.  Work sent to a worker is waited for by ``settle``.
    """
    app = pilot.app
    for key in keys:
        app.post_message(events.Key(key, key_to_character(key)))
        await handled(pilot)


async def handled(pilot) -> None:
    """Wait until the app and the widgets on its screen have handled everything posted to them, then repaint;
    twice, for the events a repaint sends (a widget resized by the new layout)."""
    for _ in range(2):
        await _drained(pilot.app)
        await pilot.pause(0)


async def _drained(app) -> None:
    """Every message queued now on the app and on its screen's widgets has been handled."""
    if not app.is_running:
        return
    pending: set[object] = set()
    done = asyncio.Event()
    for pump in [app, *app.screen.walk_children(with_self=True)]:
        pending.add(pump)
        if not pump.call_later(_mark, pending, done, pump):
            pending.discard(pump)
    waiting = asyncio.ensure_future(done.wait())
    try:
        for _ in range(int(HANDLED_WITHIN / 0.05)):
            if done.is_set() or not app.is_running:
                return
            await asyncio.wait({waiting}, timeout=0.05)
    finally:
        waiting.cancel()
    raise AssertionError(f"the app did not handle its events within {HANDLED_WITHIN:.0f} s")


def _mark(pending: set[object], done: asyncio.Event, pump: object) -> None:
    """``pump`` has handled what was queued before this call.  One module-level function, not a closure per wait:
    Textual counts a callback's parameters with ``inspect.signature`` every time (``call_later`` wraps the callback
    in a fresh ``partial``), and a closure's signature costs more to work out than this function's."""
    pending.discard(pump)
    if not pending:
        done.set()


async def until(pilot, condition, rounds: int = 1500) -> None:
    """Let the app run until ``condition()`` holds (a timer, a worker, the user's thread or a screen being closed
    makes it true): polled, with a bound generous enough for a busy machine."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the app never reached the state the test waits for")


async def settle(pilot) -> None:
    """Wait until what the app runs off the UI thread (the user's file, a check) has ended and the screen shows it."""
    await pilot.app.workers.wait_for_complete()
    await handled(pilot)


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


async def walked_to(pilot, name: str, walk: str = "e") -> None:
    """Once the file has run: ``walk`` (to the end, or ``f`` to the end of forward), then select ``name``."""
    app = pilot.app
    await settle(pilot)
    await press(pilot, walk)
    app.pick(app.session.graph.id(name))
    await handled(pilot)


async def back_at_start(pilot, start: str) -> None:
    """Bring an app shared by several tests back to where it started, ``start`` being its screen then: no screen
    over the main one, step 0 of reverse mode, following the current node.  Fails unless the screen is ``start``
    again, exactly, so what an earlier test left behind (in whatever order they run) cannot change what a later
    one sees, nor make a later check pass by itself (a node it should select already selected)."""
    app = pilot.app
    for _ in range(len(app.screen_stack) - 1):  # the help, a palette, a report: each closes on esc
        await press(pilot, "escape")
    if app.session.stepper.mode != "reverse":
        await press(pilot, "m")
    await press(pilot, "r", "escape")
    assert screen_text(app) == start, "the shared app is not back at its start screen"


def still_running(app) -> None:
    """What leaving ``run_test`` checks, for an app that stays up for the next test: nothing inside it raised or
    ended it (an exception in a handler ends the app with return code 1, and run_test would raise it)."""
    assert app.is_running and app.return_code is None, f"the app ended (return code {app.return_code})"
