"""Provides ``StatusLine``: how far long work has got (a gradient check, frames, per-sample gradients), as one
line on stderr rewritten in place.

It shows only when stderr is a terminal and only once the work has run a
second, so quick commands, pipes and logs get nothing extra.  A ticker thread
redraws it, so the elapsed time moves on even while one unit of work (a single
Graphviz layout) runs long.  It is a ``work.Progress`` callback:
``export_frames(..., progress=line)``.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import TextIO


class StatusLine:
    """``with StatusLine("drawing frames") as line: work(progress=line)``: the line is erased when the block ends."""

    def __init__(self, title: str, *, stream: TextIO | None = None, delay: float = 1.0, interval: float = 0.2) -> None:
        self.title, self.stream, self.delay, self.interval = title, stream or sys.stderr, delay, interval
        self.done = self.total = 0
        self.what = ""
        self.shown = False
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __call__(self, done: int, total: int, what: str = "") -> None:
        self.done, self.total, self.what = done, total, what

    def text(self, width: int = 80) -> str:
        """``drawing frames · 120/2,001 · step 119 · 14 s``, cut to ``width``."""
        count = f"{self.done:,}/{self.total:,}" if self.total else ""
        seconds = f"{time.monotonic() - self._start:.0f} s"
        line = " · ".join(part for part in (self.title, count, self.what, seconds) if part)
        return line if len(line) < width else line[:width - 2] + "…"

    def __enter__(self) -> StatusLine:
        if _is_terminal(self.stream):
            self._ticker = threading.Thread(target=self._tick, name="graphstep-status", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.shown:
            self._write("\r\x1b[K")

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            if time.monotonic() - self._start >= self.delay:
                self._write("\r" + self.text(shutil.get_terminal_size().columns) + "\x1b[K")
                self.shown = True

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: the work goes on without its line
            self._stop.set()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
