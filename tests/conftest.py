"""Puts this folder on ``sys.path`` for every test file, wherever it lives: ``from support import SAMPLES``.

pytest's default (prepend) import mode inserts a conftest's folder; the
fixtures every folder shares live here too.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test sees a 160-column terminal, whatever runs it: ``graphstep run`` fits its table to the terminal,
    and a test worker's terminal is whatever the process was started from (a pipe, a 100-column tty)."""
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.setenv("LINES", "48")
