"""What the test files share: where the repository and its samples are, a traced sample, a line's number, the
seed notes' myFunc, and a walk's every value and gradient compared bit for bit.

``tests/conftest.py`` puts this folder on ``sys.path`` (pytest's default
import mode), so every test file, in any folder, imports it as ``support``.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
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


def my_func(a):
    """The seed notes' myFunc (autograd with control flow): doubles ``a`` until its norm reaches 100."""
    while a.norm() < 100:
        a = a * 2
    if a.sum() > 0:
        return a
    return -1 * a


def states(st: gs.Stepper) -> list:
    """Every node's (value, gradient) where the walk ``st`` stands."""
    return [(st.value(n), st.grad(n)) for n in st.graph.order]


def assert_identical(a: list, b: list) -> None:
    """Two walks' ``states``: the same numbers bit for bit (a rule must not even change the sign of a zero), types
    (a reduction's NumPy scalar stays one), shapes and dtypes."""
    for n, (left, right) in enumerate(zip(a, b, strict=True)):
        for x, y in zip(left, right, strict=True):
            assert (x is None) == (y is None), n
            if x is not None:
                assert type(x) is type(y), (n, type(x), type(y))
                assert np.shape(x) == np.shape(y) and np.asarray(x).dtype == np.asarray(y).dtype, n
                assert np.asarray(x).tobytes() == np.asarray(y).tobytes(), n
