"""Provides what long work shares: a ``progress(done, total, what)`` callback, a ``cancel`` event checked
between units of work, and ``Cancelled``, raised once it is set.

The gradient check and per-sample gradients take ``progress=`` and ``cancel=`` so
that a view (the TUI's progress bar, the CLI's status line) can show how far they
are and stop them at once; the engine itself never prints.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..errors import GraphstepError

Progress = Callable[[int, int, str], None]  # (units done, units in all, what is being worked on)


class Cancelled(GraphstepError):  # noqa: N818 - a request carried out, not an error
    """Long work stopped on request (a cancel event, ``interrupt_thread``): not a failure of the user's code."""


class Work:
    """Counts the units of one long job, reports each to ``progress`` and stops when ``cancel`` is set."""

    def __init__(self, title: str, total: int, progress: Progress | None = None,
                 cancel: threading.Event | None = None) -> None:
        self.title, self.total, self.done = title, total, 0
        self._progress, self._cancel = progress, cancel

    def check(self) -> None:
        """Raise ``Cancelled`` if the job was asked to stop: call it before each unit."""
        if self._cancel is not None and self._cancel.is_set():
            raise Cancelled(f"{self.title} stopped after {self.done:,} of {self.total:,}")

    def advance(self, what: str, units: int = 1) -> None:
        """``units`` more are done (``what`` names the last): report it, then stop here if asked to."""
        self.done += units
        if self._progress is not None:
            self._progress(self.done, self.total, what)
        self.check()
