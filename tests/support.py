"""What the test files share: where the repository and its samples are, a traced sample, a line's number.

``tests/conftest.py`` puts this folder on ``sys.path`` (pytest's default
import mode), so every test file, in any folder, imports it as ``support``.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import pytest

import graphstep as gs

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
HAS_TORCH = importlib.util.find_spec("torch") is not None  # samples/torch_*.py need it (tests/pytorch say so)
# The first collector whose collection left torch imported in this process ("" when none did): set by conftest.py
TORCH_AT_COLLECTION = pytest.StashKey[str]()


@functools.cache
def sample(name: str) -> gs.Graph:
    """The traced sample ``samples/NAME.py``, traced once per session: a Graph is never changed by a walk."""
    return gs.trace(gs.load(str(SAMPLES / f"{name}.py")))


def line_of(path: Path, text: str) -> int:
    """The number of the first line of ``path`` that contains ``text``: tests name lines by their code."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


def session_at(target: Path, position: int = 0):
    """The TUI's headless half (``tui.session.Session``) on ``target`` after ``position`` steps, as the app starts."""
    from graphstep.tui.session import Session, trace_file  # only the view and TUI tests need the TUI's modules

    session = Session(str(target))
    session.adopt(trace_file(str(target), 0, "reverse", position))
    return session
