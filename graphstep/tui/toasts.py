"""Provides ``guard_toast_timers``: a toast shown as its notification expires must not freeze the app.

Textual (8.2.8, the latest) checks that a notification has not expired, then makes its ``Toast``, which reads
the time left again and hands it to ``set_timer``.  When the time ran out in between (another thread, the
user's file or a check, held the interpreter for a few milliseconds), the delay is negative, and Textual's
``Timer`` with a negative interval never ends: the app spins at 100 % CPU and the toast never leaves.  Found
by the test suite on a busy machine.  Such a toast now gets a moment on screen and leaves.
"""

from __future__ import annotations

from textual.widgets import _toast

SHORTEST = 0.05  # seconds a toast shown at its expiry stays up


def guard_toast_timers() -> None:
    """Give every toast a positive timeout (once per process)."""
    toast = _toast.Toast
    if getattr(toast.__init__, "guarded", False):
        return
    made = toast.__init__

    def init_with_time_left(self, notification) -> None:
        made(self, notification)
        self._timeout = max(self._timeout, SHORTEST)

    init_with_time_left.guarded = True
    toast.__init__ = init_with_time_left
