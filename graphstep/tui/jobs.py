"""Provides ``Job``: work the UI must never wait for (the user's file, the gradient check) in a daemon thread.

A Textual thread worker runs in asyncio's default executor, which ``App.run``
joins on the way out: a ``while True:`` in the user's file there would keep
graphstep from ever exiting.  A job's thread is a daemon; the UI awaits its
result and reads its progress on a timer, and ``stop`` both sets its cancel
event (the gradient check and per-sample gradients look at it between entries)
and interrupts the user's code (``loader.interrupt_thread``: their own loop
never looks).  Quitting never waits for a job: ``run_app`` ends the process if
one is stuck where no interrupt reaches (a blocking call in C).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

from ..core.loader import interrupt_thread

T = TypeVar("T")
RETRY = 0.05  # seconds between attempts to interrupt a job that is not in the user's code at that instant


class EscapedError(Exception):
    """A ``BaseException`` other than an ``Exception`` that left a job: raised as itself in the UI's event loop it
    would end the app, so it arrives wrapped (the original is ``__cause__``)."""


class Job(Generic[T]):
    """``fn(job)`` run once in its own daemon thread; ``await job.result()`` gives what it returned or raised."""

    def __init__(self, what: str, fn: Callable[[Job], T], kind: str = "") -> None:
        self.what = what  # "running samples/myfunc.py", "gradient check": what the activity line says
        self.kind = kind  # "file": the user's own code runs in it
        self.cancel = threading.Event()
        self.progress: tuple[int, int, str] | None = None  # (done, total, what): the latest report
        self.started = time.monotonic()
        self._future: Future[T] = Future()
        self._thread = threading.Thread(target=self._run, args=(fn,), name=f"graphstep: {what}", daemon=True)

    def start(self) -> Job[T]:
        self._thread.start()
        return self

    def report(self, done: int, total: int, what: str) -> None:
        """The engine's ``progress=`` callback: keep the latest count for the UI's timer (no cross-thread call)."""
        self.progress = (done, total, what)

    def _run(self, fn: Callable[[Job], T]) -> None:
        if not self._future.set_running_or_notify_cancel():
            return
        try:
            self._future.set_result(fn(self))
        except Exception as err:
            self._future.set_exception(err)
        except BaseException as err:  # not the user's code: its guard turns whatever it raises into an error
            escaped = EscapedError(f"{type(err).__name__}: {err}")
            escaped.__cause__ = err
            self._future.set_exception(escaped)

    async def result(self) -> T:
        return await asyncio.wrap_future(self._future)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def done(self) -> bool:
        """The job has its result (or error); its thread may still be on its way out."""
        return self._future.done()

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the thread to end; True once it has."""
        self._thread.join(timeout)
        return not self.alive

    @property
    def stopped(self) -> bool:
        """``stop`` was called: whatever the job ends with now, it ended because it was asked to."""
        return self.cancel.is_set()

    def stop(self) -> None:
        """Ask the work to stop: the cancel event for code that looks, an interrupt for the user's code.

        Between loading the file and tracing it the thread is in no user code for an
        instant, and an interrupt then reaches nothing: try again shortly, until one lands or the job ends.
        """
        self.cancel.set()
        if not self.done and not interrupt_thread(self._thread) and self.alive:
            retry = threading.Timer(RETRY, self.stop)
            retry.daemon = True
            retry.start()
