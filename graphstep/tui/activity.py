"""Provides ``ActivityBar``: the line that says what runs off the UI thread, how far it is, and how to stop it.

``running samples/myfunc.py… 4s · esc stops it`` while the user's file runs (a
bar that sweeps: nobody knows how long a file takes), ``gradient check · W1
120/400 · esc stops it`` with a bar that fills while a check runs.  It reads the
job on a timer, so a job reports progress by setting an attribute, never by a
call into the UI from its thread.  The line appears only once a job has run for
``GRACE``: most runs of a file end sooner, and a line that comes and goes lays
the whole screen out twice (and flickers) for nothing.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Label, ProgressBar

from .jobs import Job

REFRESH = 0.1  # seconds between redraws while a job runs
GRACE = 0.15  # seconds a job runs before the line shows it


class ActivityBar(Horizontal):
    """Hidden while nothing runs; otherwise one line: what runs, for how long or how far, and ``esc stops it``."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.job: Job | None = None
        self._said: Text | None = None
        self._reveal: Timer | None = None  # shows the line once the job has run for GRACE

    def compose(self) -> ComposeResult:
        yield Label(id="activity-text")
        yield ProgressBar(id="activity-progress", show_eta=False, show_percentage=False)  # the text says how far

    def on_mount(self) -> None:
        self._timer = self.set_interval(REFRESH, self._redraw, pause=True)

    def show(self, job: Job | None) -> None:
        """Follow ``job`` (None: nothing runs, hide); a new job is shown once it has run for ``GRACE``."""
        self.job = job
        if self._reveal is not None:
            self._reveal.stop()
            self._reveal = None
        if job is None:
            self.set_class(False, "running")
            self._timer.pause()
            return
        self.query_one(ProgressBar).update(total=None, progress=0)
        if self.has_class("running"):  # one job after another: the line stays up
            self._redraw()
        else:
            self._reveal = self.set_timer(GRACE, self._appear)

    def _appear(self) -> None:
        self._reveal = None
        if self.job is not None:
            self.add_class("running")
            self._redraw()
            self._timer.resume()

    def _redraw(self) -> None:
        job = self.job
        if job is None:
            return
        if job.stopped:  # until it has ended: a call into C (a sleep, a read) finishes before the stop lands
            waited = time.monotonic() - job.started
            self._say(Text(f" stopping: {job.what}… {waited:.0f}s · q quits ", style="bold"))
            return
        text = Text(f" {job.what}", style="bold")
        if job.progress is None:
            text.append(f"… {time.monotonic() - job.started:.0f}s")
        else:
            done, total, what = job.progress
            text.append(f" · {what} {done:,}/{total:,}")
            self.query_one(ProgressBar).update(total=max(total, 1), progress=done)
        text.append(" · esc stops it ", style="dim")
        self._say(text)

    def _say(self, text: Text) -> None:
        """Show ``text`` unless the line already says it: a label's update lays the screen out again, and the
        timer ticks ten times a second while the seconds it shows change once (the loading screen's worker ran
        behind dozens of layouts)."""
        if text != self._said:
            self._said = text
            self.query_one("#activity-text", Label).update(text)
