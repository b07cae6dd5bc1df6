"""``graphstep serve FILE``: the TUI in a browser.  The real server process is opened in headless Chromium,
a key steps the walk, and the screen (xterm.js's buffer, read as text) shows the gradient; it listens on
127.0.0.1 only, ctrl+c ends it with 130, and the TUI it serves gets serve's options."""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys

import pytest
from chromium import CHROMIUM, Chromium
from served import WAIT, answers, open_served, screen, serving, type_key, until
from support import SAMPLES

from graphstep.cli.main import _parser, main
from graphstep.cli.serve import public_url, tui_command

HAS_SERVE = importlib.util.find_spec("textual_serve") is not None
needs_serve = pytest.mark.skipif(not HAS_SERVE, reason="no textual-serve (pip install 'graphstep[serve]')")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")
MLP = str(SAMPLES / "mlp.py")


@needs_serve
@needs_chromium
def test_the_served_tui_steps_in_chromium_and_shows_the_gradient(tmp_path) -> None:
    with serving(MLP) as (server, url), Chromium(tmp_path / "profile", 1600, 1000) as browser:
        open_served(browser, f"{url}?fontsize=12", showing="step 0/15")
        type_key(browser, "n")
        screen(browser, showing="step 1/15")
        type_key(browser, "e")
        text = screen(browser, showing="done · step 15/15")
        assert "dW1 = Xᵀ·G  (4×8)·(8×16) → (4×16) ✓" in text
        assert "│ grad " in text and "received  step 14 from Z1 (add): (8×16)" in text  # the inspector's gradient
        assert re.search(r"G‖\d[\d.]*‖", text), "the graph draws each gradient's norm"
        os.killpg(server.pid, signal.SIGINT)  # ctrl+c in a terminal: the server and the TUIs it started
        _, err = server.communicate(timeout=WAIT)
        assert server.returncode == 130
        assert err.strip() == "graphstep: interrupted"
        until(lambda: not group_alive(server.pid), "the served TUI to end with the server")


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


@needs_serve
def test_it_says_where_it_serves_and_listens_on_this_machine_only() -> None:
    with serving(MLP) as (server, url):
        port = int(url.rsplit(":", 1)[1].strip("/"))
        outward = public_url("0.0.0.0", port).removeprefix("http://").rsplit(":", 1)[0]
        if not outward.startswith("127.") and outward[0].isdigit():  # a machine with a network: not served there
            assert not answers(f"http://{outward}:{port}/")
        server.terminate()
        out, err = server.communicate(timeout=WAIT)
    assert out.strip() == f"graphstep: serving {MLP} at {url.rstrip('/')} (this machine only); ctrl+c stops"
    assert (server.returncode, err) == (128 + signal.SIGTERM, "")


def test_the_address_a_browser_opens() -> None:
    assert public_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert public_url("::1", 8000) == "http://[::1]:8000"
    assert public_url("0.0.0.0", 80).startswith("http://") and "0.0.0.0" not in public_url("0.0.0.0", 80)


def test_the_served_tui_gets_serves_options() -> None:
    options = ["--break", "Z1", "--break", "H", "--reseed", "3", "--grad-norm-limit", "2.5", "--train", "5",
               "--lr", "0.05", "--optimizer", "adam"]
    served = _parser().parse_args(["serve", f"{MLP}:mlp", *options, "--port", "9000"])
    command = tui_command(served)
    assert command[:3] == [sys.executable, "-m", "graphstep.cli"]
    tui = _parser().parse_args(command[3:])
    assert vars(tui) == {key: value for key, value in vars(served).items() if key not in ("port", "host")} | {
        "command": "tui"}


def test_without_textual_serve_it_says_what_to_install(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)  # import fails as if not installed
    assert main(["serve", MLP]) == 2
    assert capsys.readouterr().err.splitlines()[0] == "graphstep: graphstep serve needs the textual-serve package"


def test_a_missing_file_or_a_bad_port_is_one_message(capsys) -> None:
    assert main(["serve", "no/such.py"]) == 2
    assert "no such file: no/such.py" in capsys.readouterr().err
    assert main(["serve", MLP, "--port", "70000"]) == 2
    assert "--port must be a port number from 1 to 65535, not 70000" in capsys.readouterr().err


@needs_serve
def test_a_port_in_use_is_one_message() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "graphstep.cli", "serve", MLP, "--port", str(port)],
                              capture_output=True, text=True, timeout=WAIT)
    assert done.returncode == 2
    assert done.stderr.startswith(f"graphstep: cannot serve on 127.0.0.1:{port}: ")
    assert "Traceback" not in done.stderr
