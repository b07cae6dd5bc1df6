"""Provides the served TUI for the tests and the screenshots: ``serving()`` runs ``graphstep serve`` on a free
port, ``open_served`` loads its page in headless Chromium (``chromium.Chromium``), ``type_key`` types into the
terminal there and ``screen`` reads the terminal back as text.

xterm.js draws on a canvas and textual-serve's page keeps its ``Terminal`` in a closure; a script run before the
page's own catches the Terminal as the page stores it (``this.terminal = new Terminal(...)``), so the screen is
read from xterm's buffer, as the user sees it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

WAIT = 60.0  # seconds a server or a page may take on a busy two-core machine before a test fails
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {configurable: true, set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && value.loadAddon) window.__terminal = value;
}});
"""
SCREEN_TEXT = """(() => {
    const t = window.__terminal;
    if (!t) return "";
    const buffer = t.buffer.active, rows = [];
    for (let y = 0; y < t.rows; y++) rows.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? "");
    return rows.join("\\n");
})()"""


def until(condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """The first true value of ``condition()``, asked again until ``timeout``: a server starts on its own time."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def serving(target: str, *options: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """``graphstep serve TARGET`` on a free port, once its page answers; killed at the end with the TUIs it
    started (one process group)."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "graphstep.cli", "serve", target, "--port", str(port), *options],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        until(lambda: answers(url) or server.poll() is not None, "the server to answer")
        assert server.poll() is None, server.communicate()
        yield server, url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.communicate()


def open_served(browser, url: str, showing: str) -> str:
    """Load the served page, with the terminal caught, and return its screen once it shows ``showing``."""
    browser.open("about:blank", ready="true")
    browser.send("Page.enable")  # without it, the script is kept but never run
    browser.send("Page.addScriptToEvaluateOnNewDocument", source=CATCH_TERMINAL)
    browser.send("Page.navigate", url=url)
    return screen(browser, showing)


def screen(browser, showing: str = "") -> str:
    """The terminal's text, once it shows ``showing``: the TUI answers on its own time."""
    return browser.wait_for(f"(s => s.includes({showing!r}) && s)({SCREEN_TEXT})")


def type_key(browser, key: str) -> None:
    """Type one character into the terminal, as a key press (xterm.js reads keydown, then sends it to the TUI)."""
    browser.eval("document.querySelector('.xterm-helper-textarea').focus()")
    event = {"key": key, "windowsVirtualKeyCode": ord(key.upper())}
    browser.send("Input.dispatchKeyEvent", type="keyDown", text=key, **event)
    browser.send("Input.dispatchKeyEvent", type="keyUp", **event)
