"""A small graph's first walk takes its forward values from the trace (``Graph.take_traced``) instead of computing
them again, and its backward steps from the graph's sends unfitted (``Program.unfitted``) instead of compiling: it
must end in exactly the state a compiled walk that computes does, step and undo as any walk, and leave every walk
that changes the inputs (or comes later) to compute."""

from __future__ import annotations

import numpy as np
import pytest
from support import SAMPLES, assert_identical, my_func, states

import graphstep as gs
from graphstep.core.tracer import KEPT_BYTES

SAMPLE_NAMES = ("double", "myfunc", "regression", "least_squares", "linear_regression", "mlp", "attention",
                "batchnorm", "deep_mlp")


def fresh(name: str) -> gs.Graph:
    return gs.trace(gs.load(str(SAMPLES / f"{name}.py")))


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_the_first_walk_ends_where_a_computing_walk_does(name):
    graph = fresh(name)
    traced = dict(graph._traced)
    first = gs.Stepper(graph).run()
    assert graph.take_traced() is None  # handed over once
    assert all(first.value(n) is traced[n] for n in graph.op_nodes)  # taken, not computed
    assert not {"forward", "backward"} & graph.walk.__dict__.keys()  # and nothing compiled (``Program.unfitted``)
    computing = gs.Stepper(graph).run()
    assert computing._traced is None and {"forward", "backward"} <= graph.walk.__dict__.keys()
    assert_identical(states(first), states(computing))


def test_a_first_walk_whose_program_was_compiled_meanwhile_walks_it_to_the_same_numbers():
    graph = fresh("mlp")
    first = gs.Stepper(graph).run_to(len(graph.op_nodes) + 2)  # a step into backward, unfitted
    graph.walk.backward  # noqa: B018 - compiled, as ``Program.prepare`` does in the background
    assert_identical(states(first.run()), states(gs.Stepper(graph).run()))


def test_the_first_walk_of_a_while_loop_gives_numpys_gradient():
    a0 = np.array([0.3, -0.2, 0.5])
    graph = gs.trace(my_func, a0)
    st = gs.Stepper(graph).run()
    assert st._traced is not None
    steps = int(np.ceil(np.log2(100 / np.linalg.norm(a0))))
    np.testing.assert_array_equal(st.value(graph.output), a0 * 2.0**steps)
    np.testing.assert_array_equal(st.grad("a"), np.full(3, 2.0**steps))


def test_the_first_walk_steps_and_undoes_as_a_computing_walk():
    graph = fresh("mlp")
    first = gs.Stepper(graph)
    computing = gs.Stepper(graph, values={"X": graph.leaf_values[graph.inputs["X"]]})
    assert first._traced is not None and computing._traced is None
    while not first.done:
        first.step()
        computing.step()
        assert_identical(states(first), states(computing))
    while first.position:
        first.step_back()
        computing.step_back()
        assert_identical(states(first), states(computing))
    assert all(first.value(n) is None for n in graph.op_nodes)
    assert_identical(states(first.run()), states(computing.run()))


def test_a_walk_on_other_inputs_computes_and_leaves_the_traced_values_to_a_later_walk():
    graph = gs.trace(my_func, np.array([0.3, -0.2, 0.5]))
    other = np.array([1.0, 2.0, -1.5])
    st = gs.Stepper(graph, values={"a": other}).run()
    assert st._traced is None
    steps = sum(1 for n in graph.op_nodes if graph.node(n).op == "multiply")
    np.testing.assert_array_equal(st.value(graph.output), other * 2.0**steps)  # the unrolled loop, on `other`
    np.testing.assert_array_equal(st.grad("a"), np.full(3, 2.0**steps))
    assert gs.Stepper(graph)._traced is not None  # the first walk on the traced inputs still takes them


def test_forward_mode_computes_its_values():
    graph = fresh("regression")
    st = gs.Stepper(graph, mode="forward").run()
    assert st._traced is None and graph._traced is not None
    assert_identical([(st.value(n),) for n in graph.order], [(v,) for v, _ in states(gs.Stepper(graph).run())])


def test_a_trace_of_big_values_keeps_none_of_them():
    side = int(np.sqrt(KEPT_BYTES / 8)) + 1  # one value past the budget

    def big():
        w = gs.param(np.ones((side, side)), name="w")
        return (w * 2.0).sum()

    graph = gs.trace(big)
    assert graph.take_traced() is None
    st = gs.Stepper(graph).run()
    np.testing.assert_array_equal(st.grad("w"), np.full((side, side), 2.0))
