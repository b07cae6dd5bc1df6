"""An op recorded right after its arguments' constants (``a * 2``) takes the constant's place in the code
(``Tracer.add_again``), and a node made where an earlier one was, in the same call (a loop's next pass), takes
that node's place (``Tracer._place_again``), instead of reading it off the frames again: the records must be what
reading gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support import SAMPLES, line_of

import graphstep as gs
from graphstep.core import tracer
from graphstep.core.records import NODE_FIELDS

SAMPLE_FILES = sorted(p for p in SAMPLES.glob("*.py") if not p.name.startswith("torch_"))  # torch: tests/pytorch


def _read_off_the_frames(monkeypatch) -> None:
    """``add_again`` as the general ``add``, in a function compiled as tracer.py's own, so that ``add`` skips
    its frame as it skips the rest of the tracer's and reads the place off the frames; and no place kept for the
    next pass of a loop."""
    namespace: dict = {}
    source = ("def add_again(self, kind, value, op, inputs, params):\n"
              "    return self.add(kind, value, op=op, inputs=inputs, params=params)\n")
    exec(compile(source, tracer.__file__, "exec"), namespace)  # noqa: S102 - a fixed text, for its filename
    monkeypatch.setattr(tracer.Tracer, "add_again", namespace["add_again"])
    monkeypatch.setattr(tracer.Tracer, "_place_again", lambda self, frame: self._place(frame))


def _records(graph: gs.Graph) -> list[tuple]:
    return [tuple(getattr(graph.node(n), key) for key in NODE_FIELDS) for n in graph.order]


def _helper(a):
    return 3.0 * a  # the reflected operator: the constant is the first argument


def _generator(a):
    for _ in range(2):
        a = a * 2
        yield a


def computation(a):
    while a.norm() < 100:
        b = a * 2
        a = b
    c = _helper(a) - 1
    with gs.scope("tail"):
        d = sum(_generator(c)) + np.ones(3)
    return (d ** 2).sum()


def _traced() -> gs.Graph:
    return gs.trace(computation, np.array([0.1, 0.2, 0.3]))  # one line: the param's place, in both traces


def test_an_op_after_its_constants_records_the_place_it_was_made(monkeypatch):
    graph = _traced()
    with monkeypatch.context() as patched:
        _read_off_the_frames(patched)
        read = _traced()
    assert _records(graph) == _records(read)
    doubled = [graph.node(n) for n in graph.op_nodes if graph.node(n).op == "multiply"]
    here = Path(__file__)
    assert doubled[0].name == "b" and doubled[0].line == line_of(here, "b = a * 2")
    assert doubled[-1].line == line_of(here, "a = a * 2") and doubled[-1].scope == "tail"


def _traced_file(path: Path) -> gs.Graph:
    return gs.trace(gs.load(str(path)))


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.stem)
def test_every_sample_records_as_reading_the_frames_does(path, monkeypatch):
    graph = _traced_file(path)
    with monkeypatch.context() as patched:
        _read_off_the_frames(patched)
        read = _traced_file(path)
    assert _records(graph) == _records(read)

