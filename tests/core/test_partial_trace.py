"""Tests the partial graph a failed trace keeps (issue 14 part 4): the nodes recorded before the call that
failed, that call as the last node (kind ``failed``) fed by its operands with their shapes, the error carrying
the graph, and a walk of the recorded part."""

from __future__ import annotations

import numpy as np
import pytest
from support import SAMPLES

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.core.partial import FAILED, failed_node
from graphstep.errors import ShapeError, UnsupportedError
from graphstep.render.failure import annotate, failure_of


def mlp_with(W1_shape=(4, 16), b1_shape=(16,)):
    def mlp():
        X = gs.input(np.ones((8, 4)), name="X")
        W1 = gs.param(np.ones(W1_shape), name="W1")
        b1 = gs.param(np.zeros(b1_shape), name="b1")
        Z1 = X @ W1 + b1
        H = gnp.tanh(Z1)
        return H.sum()

    return mlp


def failed_trace(fn, *arrays):
    """The error a trace raises, with its partial graph and the failed node's record."""
    with pytest.raises((ShapeError, UnsupportedError)) as info:
        gs.trace(fn, *arrays)
    graph = info.value.partial_graph
    assert graph is not None
    nid = failed_node(graph)
    assert nid == len(graph) - 1 and graph.output == nid
    return info.value, graph, graph.node(nid)


def operands(graph, node):
    return [(graph.name_of(i), graph.shape_of(i)) for i in node.inputs]


def test_matmul_mismatch_keeps_the_leaves_and_the_failing_matmul():
    err, graph, node = failed_trace(mlp_with(W1_shape=(3, 16)))
    assert str(err) == err.summary() and "matmul cannot combine X (8×4), W1 (3×16)" in str(err)  # as before
    assert node.kind == FAILED and node.op is None and node.params["op"] == "matmul" and node.name == "Z1"
    assert operands(graph, node) == [("X", (8, 4)), ("W1", (3, 16))]
    assert [graph.node(n).kind for n in graph.order[:-1]] == ["input", "param", "param"]
    assert node.source == err.source


def test_broadcast_mismatch_is_fed_by_the_recorded_matmul_and_names_the_statement_after_it():
    err, graph, node = failed_trace(mlp_with(b1_shape=(4,)))
    assert "add cannot combine" in err.message and "(4)" in err.message
    assert node.params["op"] == "add" and node.name == "Z1"
    assert operands(graph, node) == [("X@W1", (8, 16)), ("b1", (4,))]
    matmul = node.inputs[0]
    assert graph.node(matmul).op == "matmul" and graph.op_nodes == [matmul]
    failure = failure_of(graph)
    assert failure.annotation == ("Z1 = X @ W1 + b1", "     ──────   ──", "      8×16    4")


def test_unsupported_function_inside_a_loop_keeps_the_iterations_before_it():
    def fn(x):
        h = x
        for k in range(3):
            h = gnp.tanh(h) * 2.0
            if k == 2:
                h = np.ediff1d(h)
        return h.sum()

    err, graph, node = failed_trace(fn, np.ones(5))
    assert "numpy.ediff1d" in err.message
    assert node.params["op"] == "numpy.ediff1d" and node.name == "h#4"  # after h, h#2, h#3 of the loop
    assert [graph.node(n).op for n in graph.op_nodes] == ["tanh", "multiply"] * 3
    assert operands(graph, node) == [(graph.name_of(graph.op_nodes[-1]), (5,))]
    assert failure_of(graph).annotation == ("h = np.ediff1d(h)", " " * 15 + "─", " " * 15 + "5")


def test_a_raw_array_operand_is_a_leaf_box_named_by_its_variable():
    def fn(w):
        data = np.ones((2, 3))
        return (data @ w).sum()

    err, graph, node = failed_trace(fn, np.ones((4, 1)))
    assert operands(graph, node) == [("data", (2, 3)), ("w", (4, 1))]
    assert graph.node(node.inputs[0]).kind == "const"


def test_the_recorded_part_walks_forward_only():
    _, graph, node = failed_trace(mlp_with(b1_shape=(4,)))
    st = gs.Stepper(graph)
    assert st.total == len(graph.op_nodes) == 1  # no seed, no backward: there is no output yet
    st.run()
    np.testing.assert_allclose(st.value("X@W1"), np.ones((8, 4)) @ np.ones((4, 16)))
    assert st.value(node.name) is None and st.state(graph.output) == "pending"
    assert all(graph.feeds_output)  # nothing is "unused" before the trace ended


def test_a_trace_that_ends_and_an_error_of_the_users_own_carry_no_partial_graph():
    assert failed_node(gs.trace(mlp_with())) is None

    def fn(x):
        return gnp.tanh(x) / 0 if 1 / 0 else x

    with pytest.raises(gs.UserCodeError) as info:
        gs.trace(fn, np.ones(2))
    assert info.value.partial_graph is None


def test_the_broken_sample_fails_in_its_second_layer():
    err, graph, node = failed_trace(gs.load(str(SAMPLES / "broken" / "mlp_shapes.py")))
    assert [graph.name_of(n) for n in graph.op_nodes] == ["X@W1", "Z1", "H"]
    assert operands(graph, node) == [("H", (8, 16)), ("W2", (1, 16))]


def test_annotate_moves_labels_that_would_touch_to_a_row_of_their_own():
    assert annotate("y = a*b", [(4, 5, "100×200"), (6, 7, "3")]) == ["y = a*b", "    ─ ─", " 100×200", "      3"]
    assert annotate("y = f(x)", []) == ["y = f(x)"]


def test_the_message_names_an_operand_an_op_made_by_its_variable():
    """``H = tanh(Z1); H @ W2`` with W2 the wrong shape: the op made H before the trace named it, and the message,
    said once the partial graph is named, says H, as the failure view's call row does."""
    def mlp():
        X = gs.input(np.ones((8, 4)), name="X")
        W2 = gs.param(np.ones((1, 16)), name="W2")
        H = gnp.tanh(X @ gs.param(np.ones((4, 16)), name="W1"))
        return (H @ W2).sum()

    err, graph, node = failed_trace(mlp)
    assert "matmul cannot combine H (8×16), W2 (1×16): inner dimensions differ" in str(err)
    assert str(err) == err.summary() and operands(graph, node) == [("H", (8, 16)), ("W2", (1, 16))]


def test_code_without_a_source_file_still_fails_with_its_shape_message():
    """Code compiled from a string (``python -c``, a notebook's exec) has no line to annotate: the operands are not
    placed, and the error is the shape error, not one of graphstep's own from reading the missing line."""
    namespace = {"gs": gs, "np": np}
    exec(compile("def f(w):\n    x = gs.input(np.ones((8, 4)), name='X')\n    return (x @ w).sum()\n",
                 "<string>", "exec"), namespace)
    err, graph, node = failed_trace(namespace["f"], np.ones((3, 16)))
    assert "matmul cannot combine X (8×4), w (3×16)" in str(err)
    assert node.params["spans"] == (None, None)
