"""Provides ``Chromium``: a headless Chromium driven through its own DevTools pipe, for tests and screenshots.

``--remote-debugging-pipe`` speaks the DevTools protocol as JSON messages ending
in NUL, read on file descriptor 3 and answered on 4: real key presses reach a
page, and its state is read back, without a browser-automation package.
``CHROMIUM`` is None where Chromium is not installed (Debian: ``apt-get install
chromium``; ``.ci/run`` installs it).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WAIT = 30.0  # seconds before a condition that never comes fails
ANSWER = WAIT + 10.0  # seconds the pipe waits for an answer: longer than a page waits for its condition
# The page asks for its condition again each frame (16 ms), as the page itself settles; an error (the page not
# there yet) counts as not yet. Asked from here instead, each question is a round trip through the browser
# process: thousands of them in a wait, and most of the browser's CPU time.
WAIT_IN_PAGE = """(async () => {
  const until = Date.now() + %(ms)d;
  let error = "";
  for (;;) {
    try { const value = await (%(expression)s); if (value) return {value}; } catch (e) { error = String(e); }
    if (Date.now() > until) return {error};
    await new Promise((next) => setTimeout(next, 16));
  }
})()"""
# What a page under test never needs and costs CPU time all the same: WebGL, which without a GPU Chromium draws
# on the CPU (SwiftShader; xterm.js in graphstep serve has a 2D fallback and half a CPU-second more with WebGL),
# and the address bar's suggestion popup, a web page of its own that headless Chromium renders whenever a tab
# navigates (another half a CPU-second for a served TUI).
LEAN = ["--disable-3d-apis",
        "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup"]
KEYS = {"ArrowRight": 39, "ArrowLeft": 37, "Home": 36, "End": 35, " ": 32}


def _as_fds_3_and_4(commands: int, answers: int) -> None:
    # moved above 4 first, so the second dup2 cannot close the first's source
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (commands, answers)]
    for target, fd in zip((3, 4), high):
        os.dup2(fd, target)


class Chromium:
    """A headless Chromium with one page, spoken to over the DevTools pipe."""

    def __init__(self, profile, width: int = 1000, height: int = 700) -> None:
        to_browser, self._writer = os.pipe()
        self._reader, from_browser = os.pipe()
        # the browser reads commands on fd 3 and answers on fd 4
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", *LEAN, "--remote-debugging-pipe",
             f"--user-data-dir={profile}", f"--window-size={width},{height}", "--no-first-run", "about:blank"],
            pass_fds=(3, 4), preexec_fn=lambda: _as_fds_3_and_4(to_browser, from_browser),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._buffer, self._id, self.session, self.target = b"", 0, None, None

    def send(self, method: str, session: bool = True, **params) -> dict:
        """Send a command and wait for its answer."""
        answer = self._call(method, session, **params)
        assert "error" not in answer, answer["error"]
        return answer["result"]

    def _call(self, method: str, session: bool = True, **params) -> dict:
        """Send a command; its answer, an error included."""
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._writer, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") == self._id:
                return answer

    def _receive(self) -> dict:
        deadline = time.monotonic() + ANSWER
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._reader], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, "Chromium did not answer"
            chunk = os.read(self._reader, 1 << 16)
            assert chunk, "Chromium closed its pipe"
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url: str, ready: str = "document.body.dataset.step !== undefined") -> None:
        """Open ``url`` in a new page, in place of the page opened before (a page left open goes on running its
        scripts and animations, and its state would reach the next test), attach to it and wait until it has
        loaded and ``ready`` holds."""
        if self.target:
            self.send("Target.closeTarget", session=False, targetId=self.target)
        self.target = self.send("Target.createTarget", session=False, url=url)["targetId"]
        self.session = self.send("Target.attachToTarget", session=False, targetId=self.target,
                                 flatten=True)["sessionId"]
        # a new page holds about:blank, complete, until ``url`` replaces it
        arrived = "true" if url == "about:blank" else "location.href !== 'about:blank'"
        self.wait_for(f"{arrived} && document.readyState === 'complete' && {ready}")

    def eval(self, expression: str):
        return self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                         awaitPromise=True)["result"].get("value")

    def wait_for(self, expression: str):
        """The value of ``expression`` once it is truthy (the page settles on its own time, never a sleep): the
        page waits for it (``WAIT_IN_PAGE``), asked again where a navigation ended the page that was waiting."""
        deadline = time.monotonic() + WAIT
        while True:
            left = max(0, int((deadline - time.monotonic()) * 1000))
            answer = self._call("Runtime.evaluate", expression=WAIT_IN_PAGE % {"ms": left, "expression": expression},
                                returnByValue=True, awaitPromise=True)
            evaluated = answer.get("result", {})
            assert "exceptionDetails" not in evaluated, f"{expression}: {evaluated['exceptionDetails']}"  # a typo
            found = evaluated.get("result", {}).get("value") or {}
            if "value" in found:
                return found["value"]
            assert time.monotonic() < deadline, f"never true: {expression} {found.get('error', answer.get('error'))}"

    def press(self, key: str) -> None:
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key=key, code=key if len(key) > 1 else "Space",
                      windowsVirtualKeyCode=KEYS[key], text=key if kind == "keyDown" and key == " " else "")

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for fd in (self._reader, self._writer):
            os.close(fd)
        self.process.terminate()
        self.process.wait(timeout=WAIT)

    def screenshot(self, path: Path) -> Path:
        """The window as it shows now, as a PNG (``--screenshot`` draws a scrolled page blank)."""
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"]))
        return path
