"""Tests a 20,000-node chain end to end with the recursion limit at 400: nothing may recurse with depth.

Tracing, stepping forward and backward (and back again), the gradient, the
terminal layout, node search and the DOT text all run on a chain thousands of
ranks deep; any recursion that grows with the depth of the graph overflows.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.analysis.search import find_nodes
from graphstep.render.dot import to_dot
from graphstep.render.layout import layout_graph

LAYERS = 4000  # five nodes each: 20,000 nodes, 16,000 ranks deep
STEP = 0.01
X = np.array([0.5, -1.0, 2.0])
W = np.array([0.8, 0.3, 1.2])


def deep(w, layers: int = LAYERS):
    """h ← h + 0.01·tanh(h ⊙ w), once per layer, then Σh²."""
    h = gs.input(X, name="x")
    for _ in range(layers):
        h = h + gnp.tanh(h * w) * STEP
    return gnp.sum(h ** 2)


def loss(w: np.ndarray) -> float:
    """The same function in plain NumPy, for central differences."""
    h = X.copy()
    for _ in range(LAYERS):
        h = h + np.tanh(h * w) * STEP
    return float(np.sum(h ** 2))


@contextmanager
def shallow_stack(limit: int = 400) -> Iterator[None]:
    """Lower the recursion limit for the block: a few hundred frames is all pytest and the libraries need."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


@pytest.fixture(scope="module")
def stepped() -> gs.Stepper:
    with shallow_stack():
        graph = gs.trace(deep, W)
        return gs.Stepper(graph).run()


def test_trace_is_20000_nodes_and_thousands_of_ranks_deep(stepped):
    graph = stepped.graph
    assert len(graph) >= 20_000
    assert len(graph.backward_nodes) >= 16_000


def test_gradient_matches_central_differences(stepped):
    assert stepped.done
    assert stepped.value(stepped.graph.output) == pytest.approx(loss(W), rel=1e-12)
    eps = 1e-6
    numeric = np.array([(loss(W + eps * e) - loss(W - eps * e)) / (2 * eps) for e in np.eye(len(W))])
    np.testing.assert_allclose(stepped.grad("w"), numeric, rtol=1e-6)


def test_step_back_to_the_start_and_forward_again(stepped):
    """The module's stepper itself, walked back and forth: it ends where it started, as the other tests read it
    (running a second 20,000-node stepper to its end cost as much as the rest of this test)."""
    graph, walker = stepped.graph, stepped
    with shallow_stack():
        grad = walker.grad("w")
        walker.run_to(0)
        assert walker.grad("w") is None and walker.value(graph.output) is None
        walker.run()
    np.testing.assert_array_equal(walker.grad("w"), grad)
    assert walker.done


def test_search(stepped):
    with shallow_stack():
        assert len(find_nodes(stepped.graph, "op:tanh")) == LAYERS


def test_layout_of_a_shallower_chain():
    """Every node laid out for 2,000 nodes, 1,600 ranks deep: four times the stack allowed."""
    with shallow_stack():
        graph = gs.trace(lambda w: deep(w, 400), W)
        lay = layout_graph(graph)
    assert len(lay.boxes) == len(graph) - 400 - 1  # the scalar 0.01s and the 2 are written into their ops
    assert lay.boxes[graph.output].y > lay.boxes[graph.params["w"]].y


def test_dot_text_of_the_stepped_state(stepped):
    with shallow_stack():
        dot = to_dot(stepped)
    assert dot.startswith("digraph") and "folded" in dot


def test_full_dot_text_of_a_shallower_chain():
    """Every node drawn (no folding) for 2,000 nodes, still 1,600 ranks deep: four times the stack allowed."""
    with shallow_stack():
        stepper = gs.Stepper(gs.trace(lambda w: deep(w, 400), W)).run()
        dot = to_dot(stepper, full=True)
    assert dot.count("shape=box") >= 1600


def test_the_lowered_limit_catches_recursion_with_depth():
    def down(k: int) -> int:
        return 0 if k == 0 else 1 + down(k - 1)

    with shallow_stack(), pytest.raises(RecursionError):
        down(1000)
