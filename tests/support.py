"""What the test files share: where the repository and its samples are, a traced sample, a line's number.

``tests/conftest.py`` puts this folder on ``sys.path`` (pytest's default
import mode), so every test file, in any folder, imports it as ``support``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import graphstep as gs

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"


@functools.cache
def sample(name: str) -> gs.Graph:
    """The traced sample ``samples/NAME.py``, traced once per session: a Graph is never changed by a walk."""
    return gs.trace(gs.load(str(SAMPLES / f"{name}.py")))


def line_of(path: Path, text: str) -> int:
    """The number of the first line of ``path`` that contains ``text``: tests name lines by their code."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)
