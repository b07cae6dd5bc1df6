"""Runs the real ``graphstep samples/mlp.py`` in a tmux terminal and reads its screen."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from support import REPO

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def _wait_for(session: str, text: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; screen was:\n{screen}")


def test_real_terminal_steps_forward_and_backward():
    session = f"graphstep-{uuid.uuid4().hex[:8]}"
    program = Path(sys.executable).with_name("graphstep")
    program = program if program.exists() else f"{sys.executable} -m graphstep.cli"
    command = f"env -u COLUMNS -u LINES {program} samples/mlp.py"  # size from the terminal, not the env
    env = {"TERM": "xterm-256color", "PYTHONPATH": str(REPO)}
    _tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "48", "-c", str(REPO),
          *[f"-e{k}={v}" for k, v in env.items()], command)
    subprocess.run(["tmux", "resize-window", "-t", session, "-x", "160", "-y", "48"], capture_output=True)
    try:
        screen = _wait_for(session, "W1  param  (4×16)")
        assert "W1  param  (4×16)" in screen and "reverse mode" in screen
        _tmux("send-keys", "-t", session, "n", "n")
        screen = _wait_for(session, "step 2/15")
        assert "Z1 = (X@W1) + b1" in screen
        _tmux("send-keys", "-t", session, "e")
        screen = _wait_for(session, "done · step 15/15")
        assert len(max(screen.splitlines(), key=len)) > 100  # really 160 columns wide
        assert "dW1 = Xᵀ·G  (4×8)·(8×16) → (4×16) ✓" in screen
        _tmux("send-keys", "-t", session, "p")
        _wait_for(session, "step 14/15")
        _tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(session):
            time.sleep(0.2)
        assert not _alive(session), "q did not quit"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def _alive(session: str) -> bool:
    return subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode == 0
