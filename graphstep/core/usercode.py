"""Provides the guard around the user's code (their file's top level, their computation): nothing it
does escapes as anything but a ``GraphstepError`` naming their file and line.

While it runs, ``sys.stdin`` refuses to be read (tracing must never wait for a
keyboard the TUI owns), a real ctrl+c is told apart from ``raise KeyboardInterrupt``
(main thread only: signals reach no other), and another thread can stop it with
``interrupt_thread`` (an endless ``while`` loop in a file being reloaded).
``graph.run_user_code`` runs the user's code with ``guarded``, and ``loader.load_and_trace``
holds one guard over loading and tracing, so that a stop is never between two.
"""

from __future__ import annotations

import ctypes
import io
import linecache
import signal
import sys
import threading
import traceback

from ..errors import GraphstepError, UserCodeError
from .tracer import _INTERNAL, _user_frame, display_path
from .work import Cancelled


class TraceCancelled(BaseException):
    """Raised inside a thread running the user's code by ``interrupt_thread``.

    A BaseException, so the user's ``except Exception`` cannot swallow it; the guard
    turns it into ``Cancelled``.
    """


# signal's C functions: its Python wrappers turn each handler into an enum and back, ~8 µs of every trace
_signal, _SIGINT = signal._signal, int(signal.SIGINT)
_lock = threading.Lock()
_guards: dict[int, Guard] = {}  # thread id → the guard of the user's code it is running
_stdin = {"users": 0, "saved": None}


def interrupt_thread(thread: threading.Thread) -> bool:
    """Stop ``thread`` wherever it is in the user's code: its ``load``/``trace`` raises ``Cancelled``.

    Safe to call from any thread, any number of times; False when the thread is not
    running the user's code.  The stop happens at the thread's next Python bytecode,
    so one long call into C (``time.sleep``, a huge matmul) finishes first; a file that
    swallows it (a bare ``except:`` in its loop) runs on, so run it in a daemon thread.
    """
    with _lock:
        guard = _guards.get(thread.ident)
        if guard is None:
            return False
        if not guard.cancelled:  # one exception per run: the guard's clean-up then cannot be hit twice
            guard.cancelled = True
            _set_async_exc(guard.thread, TraceCancelled)
    return True


def _set_async_exc(thread: int, exc: type[BaseException] | None) -> None:
    """Raise ``exc`` in ``thread`` at its next bytecode (None: forget one not raised yet)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), ctypes.py_object(exc) if exc else None)


class Guard:
    """What is changed while the user's code runs on one thread, and undone after; a nested run (a file
    that traces at its top level) changes nothing and shares the outer run's.

    ``enter`` and ``leave`` record each change as they make it, so that ``leave`` undoes exactly what
    was done even when a ctrl+c or ``interrupt_thread`` lands half-way, and can be called again.
    """

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.outer = _guards.get(self.thread)
        self.nested = self.outer is not None
        self.cancelled = False  # interrupt_thread was called
        self.pressed = False  # a real ctrl+c arrived (main thread only)
        self.can_tell = threading.current_thread() is not threading.main_thread()  # no signal reaches it
        self._handler = None  # the SIGINT handler ours replaced
        self._took_stdin = False

    def enter(self) -> None:
        if self.nested:
            return
        self._watch_ctrl_c()
        with _lock:
            if _stdin["users"] == 0:
                _stdin["saved"], sys.stdin = sys.stdin, _NoStdin()
            _stdin["users"], self._took_stdin = _stdin["users"] + 1, True
            _guards[self.thread] = self  # last: only now can interrupt_thread reach this thread

    def _watch_ctrl_c(self) -> None:
        """On the main thread, note a real ctrl+c before it becomes KeyboardInterrupt (only over Python's own
        handler: someone else's we leave alone, and then cannot tell).  A process started with ctrl+c ignored
        (``nohup``, a job a script put in the background) gets none: any KeyboardInterrupt there is the file's."""
        if threading.current_thread() is not threading.main_thread():
            return
        handler = _signal.getsignal(_SIGINT)
        if handler is signal.default_int_handler:
            self._handler = signal.default_int_handler
            _signal.signal(_SIGINT, self._on_ctrl_c)
            self.can_tell = True
        elif handler == signal.SIG_IGN:
            self.can_tell = True

    def _on_ctrl_c(self, signum, frame) -> None:
        self.pressed = True
        raise KeyboardInterrupt

    def real_ctrl_c(self) -> bool:
        """Whether a KeyboardInterrupt now is the user pressing ctrl+c (or may be: we could not tell)."""
        return (self.outer or self).pressed or not self.can_tell

    def leave(self) -> None:
        """Undo what ``enter`` changed."""
        if self.nested:
            return
        with _lock:
            if self.cancelled:  # first: after this, interrupt_thread can send nothing more to this thread
                _set_async_exc(self.thread, None)
            if _guards.get(self.thread) is self:
                del _guards[self.thread]
            if self._took_stdin:
                _stdin["users"], self._took_stdin = _stdin["users"] - 1, False
                if _stdin["users"] == 0:
                    sys.stdin, _stdin["saved"] = _stdin["saved"], None
        if self._handler is not None:
            _signal.signal(_SIGINT, self._handler)
            self._handler = None


class _NoStdin(io.TextIOBase):
    """``sys.stdin`` while the user's code runs: reading it fails at once, naming the line, instead of waiting."""

    encoding = "utf-8"

    def read(self, size: int | None = -1) -> str:
        raise _stdin_error()

    def readline(self, size: int | None = -1) -> str:
        raise _stdin_error()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise io.UnsupportedOperation("graphstep gives no standard input to the code it traces")

    @property
    def buffer(self):
        raise _stdin_error()


def _stdin_error() -> GraphstepError:
    frame = _user_frame()
    where = f"{display_path(frame.f_code.co_filename)}:{frame.f_lineno}" if frame else ""
    return GraphstepError("your file reads standard input, which graphstep does not provide while tracing",
                          source=where, hint="write the data into the file, or read it from a file by its name "
                                             "(input() waits for a keyboard that graphstep's views own)")


def guarded(call, *args):
    """``call(*args)`` under this thread's guard: ``interrupt_thread`` reaches it from start to end (a stop
    becomes ``Cancelled``), stdin refuses to be read, and a KeyboardInterrupt no ctrl+c caused is the user's
    error.  Anything else ``call`` raises passes through (``graph.run_user_code`` names the user's line)."""
    guard = Guard()
    try:
        try:
            guard.enter()
            return call(*args)
        finally:
            guard.leave()
    except TraceCancelled as err:
        guard.leave()  # again: the stop may have landed inside the first leave
        if guard.nested:
            raise
        raise cancelled(err) from None
    except KeyboardInterrupt as err:
        guard.leave()
        if guard.real_ctrl_c():
            raise
        raise exit_error(err) from None


# ── what the user's code raised, as one message ──

def user_location(tb) -> str:
    """``file.py:LINE`` of the innermost frame of ``tb`` in the user's code ('' when none is)."""
    frames = [f for f in traceback.extract_tb(tb) if not f.filename.startswith(_INTERNAL)]
    return f"{display_path(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""


def user_code_error(err: BaseException) -> UserCodeError:
    """Wrap an exception from user code with its traceback trimmed to the user's frames."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if not f.filename.startswith(_INTERNAL)]
    text = "Traceback (most recent call last):\n" + "".join(traceback.format_list(frames)) if frames else ""
    return UserCodeError(f"{type(err).__name__}: {err}", text, source=user_location(err.__traceback__))


def exit_error(err: SystemExit | KeyboardInterrupt) -> UserCodeError:
    """``sys.exit(5)`` or ``raise KeyboardInterrupt`` in the user's file: what it did and where, no traceback."""
    where = user_location(err.__traceback__)
    if isinstance(err, KeyboardInterrupt):
        return UserCodeError("your file raised KeyboardInterrupt", "", source=where,
                             hint="graphstep stops on a real ctrl+c by itself; remove the raise")
    path, _, line = where.rpartition(":")
    raised = "SystemExit" in linecache.getline(path, int(line)) if line.isdigit() else False
    code = "" if err.code is None else repr(err.code)
    what = f"raised SystemExit({code})" if raised else f"called sys.exit({code})"
    return UserCodeError(f"your file {what}", "", source=where,
                         hint="graphstep runs the file to find its computation, then traces the computation: "
                              "exit only under `if __name__ == \"__main__\":`")


def located(err: GraphstepError) -> GraphstepError:
    """A refusal raised in the user's code (``gs.param`` outside a computation) names their line."""
    if not err.source:
        err.source = user_location(err.__traceback__)
        err.args = (err.render(),)
    return err


def cancelled(err: BaseException) -> Cancelled:
    where = user_location(err.__traceback__)
    return Cancelled("stopped while your file was running" if where else "stopped before your file was traced",
                     source=where, hint="a loop that never ends? fix the file and load it again")


def graphstep_cause(err: BaseException) -> GraphstepError | None:
    """Our own refusal that NumPy wrapped in its error (``buf[0] = t`` → "setting an array element…")."""
    seen = 0
    while err is not None and seen < 8:
        if isinstance(err, GraphstepError):
            return err
        err, seen = err.__cause__ or err.__context__, seen + 1
    return None
