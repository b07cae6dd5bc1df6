"""The compiled walk (core.program): a program fitted to the traced shapes computes exactly what the general one
does, big results go into buffers kept across steppers and never into one something still holds, and the
branch-free ``masked`` is ``np.where`` bit for bit."""
# ruff: noqa: N803, N806 - X, W1, H… are the names of the maths

from __future__ import annotations

import gc

import numpy as np
import pytest
from support import assert_identical, sample, states

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.core.ops.table import masked
from graphstep.core.program import BUFFERED_BYTES, PAUSED_FROM, Into, Program, building

SAMPLE_NAMES = ("double", "myfunc", "regression", "least_squares", "linear_regression", "mlp")


def big_mlp() -> gs.Graph:
    """A graph whose activations and first-layer gradient are past ``BUFFERED_BYTES``: they get buffers."""
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((64, 300)), rng.standard_normal((64, 3))

    def mlp():
        W1 = gs.param(rng.standard_normal((300, 200)) * 0.1, name="W1")
        b1 = gs.param(np.zeros(200), name="b1")
        W2 = gs.param(rng.standard_normal((200, 3)) * 0.1, name="W2")
        H = gs.nn.relu(gs.input(X, name="X") @ W1 + b1)
        return gnp.mean((H @ W2 - gs.input(Y, name="Y")) ** 2)

    graph = gs.trace(mlp)
    assert BUFFERED_BYTES <= 64 * 200 * 8
    return graph



@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_the_fitted_walk_computes_what_the_general_one_does(name):
    graph = sample(name)
    leaf = min(graph.leaf_values)
    general = gs.Stepper(graph, values={leaf: graph.leaf_values[leaf]})  # values given: the general program
    assert general._walk is not graph.walk
    assert_identical(states(gs.Stepper(graph).run()), states(general.run()))


def test_a_stepper_walking_while_another_is_made_computes_the_same():
    graph = big_mlp()
    first = gs.Stepper(graph).run_to(5)
    assert any(isinstance(call, Into) for _, call, _, _ in graph.walk.forward)
    assert_identical(states(first.run()), states(gs.Stepper(graph).run()))


def test_a_big_graph_walks_into_buffers_and_gives_the_same_numbers():
    graph = big_mlp()
    fitted = gs.Stepper(graph).run()
    general = gs.Stepper(graph, values={"X": graph.leaf_values[graph.inputs["X"]]}).run()
    assert any(isinstance(call, Into) for _, call, _, _ in graph.walk.forward)
    assert_identical(states(fitted), states(general))


def test_a_buffer_is_reused_only_once_nothing_holds_it():
    graph = big_mlp()
    H = next(n for n in graph.op_nodes if graph.node(n).op == "relu")
    first = gs.Stepper(graph).run()
    kept, dW1 = first.value(H), first.grad("W1")
    before, grad_before = kept.copy(), np.array(dW1)
    second = gs.Stepper(graph).run()  # the first stepper is alive: new arrays
    assert not np.shares_memory(second.value(H), kept) and not np.shares_memory(second.grad("W1"), dW1)
    del first
    spare = gs.Stepper(graph).run()  # `kept` and `dW1` are still held by this test: never written into
    assert np.array_equal(kept, before) and np.array_equal(dW1, grad_before)
    address = spare.value(H).ctypes.data
    del spare
    third = gs.Stepper(graph).run()
    assert third.value(H).ctypes.data == address  # dropped, so kept and used again: no fresh pages
    assert np.array_equal(third.value(H), before) and np.array_equal(second.value(H), before)


def test_step_back_and_forth_over_buffers_stays_exact():
    graph = big_mlp()
    walker = gs.Stepper(graph).run()
    reference = states(gs.Stepper(graph).run())
    while walker.step_back():
        pass
    walker.run()
    assert_identical(states(walker), reference)


def test_per_sample_params_get_a_program_of_their_own():
    graph = sample("mlp")
    assert Program(graph, {}).backward[0][2][0][4] is None  # no traced shapes promised: checked as computed
    assert gs.Stepper(graph, params={}).run().grad("W1") is not None


def test_grad_is_read_only_and_never_changes_under_you():
    walker = gs.Stepper(sample("mlp")).run()
    g = walker.grad("W1")
    with pytest.raises(ValueError, match="read-only"):
        g[0, 0] = 1.0
    copy = np.array(g)
    copy[0, 0] = 1.0  # a copy is yours
    while walker.step_back():
        pass
    walker.run()
    assert not np.shares_memory(g, copy) and np.array_equal(g, walker.grad("W1"))


def test_a_given_seed_stays_the_callers_array():
    seed = np.ones(4)
    walker = gs.Stepper(sample("double"), seed=seed).run()
    walker.grad(walker.graph.output)
    assert seed.flags.writeable and walker.seed is not seed


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("shape", [(), (7,), (3, 5)])
def test_masked_is_np_where_bit_for_bit(dtype, shape):
    rng = np.random.default_rng(1)
    g, x = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape)
    if g.size >= 4:
        g.flat[:4] = [np.inf, -np.inf, np.nan, -0.0]
        x.flat[:4] = [-1.0, 1.0, -1.0, 1.0]
    expected = np.where(x > 0, g, 0.0)
    for into in (None, np.empty(shape, dtype)):
        got = np.asarray(masked(g, x > 0, into))
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert got.tobytes() == expected.tobytes()


def test_the_backward_half_is_compiled_when_the_walk_first_reaches_it():
    graph = big_mlp()
    st = gs.Stepper(graph)
    assert "backward" not in graph.walk.__dict__  # a view opening at step 0 has not paid for it
    st.run_to(st.forward_steps)
    assert "backward" not in graph.walk.__dict__
    st.run()
    assert "backward" in graph.walk.__dict__


def test_a_walk_prepared_in_the_background_walks_to_the_same_numbers():
    prepared, plain = big_mlp(), big_mlp()
    stepper = gs.Stepper(prepared)
    assert "forward" not in prepared.walk.__dict__  # a new stepper at step 0 compiles nothing
    prepared.walk.prepare()
    first = stepper.run()  # waits for the background compile if it is still running
    assert {"forward", "backward"} <= prepared.walk.__dict__.keys()
    prepared.walk.prepare()  # compiled already: nothing to do
    assert_identical(states(first), states(gs.Stepper(plain).run()))


def test_the_vjp_program_reads_as_the_mapping_it_was():
    graph = big_mlp()
    program = graph.vjp_program
    assert list(program) == graph.backward_nodes and len(program) == len(graph.backward_nodes)
    leaf = graph.params["W1"]
    assert leaf not in program and program.get(leaf, ()) == ()
    with pytest.raises(KeyError):
        program[leaf]
    nid = graph.backward_nodes[0]
    op, inputs, kw = graph.program[nid]
    assert program[nid] == tuple((k, i, op.vjp_rule(k), kw) for k, i in enumerate(inputs) if graph.needs_grad[i])
    assert dict(program.items())[nid] == program[nid]


def test_a_walk_without_undo_ends_in_the_same_state_and_says_it_cannot_step_back():
    graph = big_mlp()
    once = gs.Stepper(graph, undo=False).run()  # graphstep export's walk: drawn once, at its end
    assert_identical(states(once), states(gs.Stepper(graph).run()))
    assert once.position == once.total and once._history[-1] is None  # no gradient it replaced is kept
    with pytest.raises(gs.GraphstepError, match="no undo history"):
        once.step_back()
    with pytest.raises(gs.GraphstepError, match="no undo history"):
        once.sent(once.total)
    assert once.position == once.total
    forward = gs.Stepper(graph, undo=False).run_to(3)  # a forward step needs no history to be undone
    assert forward.step_back() and forward.position == 2


def test_a_released_program_is_compiled_again_by_the_next_walk():
    graph = big_mlp()
    first = states(gs.Stepper(graph).run())
    graph.walk.release()
    assert "backward" not in graph.walk.__dict__ and "forward" not in graph.walk.__dict__
    assert_identical(states(gs.Stepper(graph).run()), first)


def test_compiling_the_backward_half_keeps_no_second_copy_of_the_sends():
    graph = big_mlp()
    gs.Stepper(graph).run()
    program = graph.vjp_program
    assert not program._made  # the compiled program holds its own: 13 MB at 100,000 nodes
    nid = graph.backward_nodes[0]
    assert program.unkept(nid) == program[nid] and program.unkept(nid) is program[nid]  # kept once read


def test_only_a_big_walk_pauses_the_collector_while_it_is_built():
    was_on = gc.isenabled()
    gc.enable()
    try:
        with building(PAUSED_FROM - 1):  # W4's 30 nodes: a pause would cost more than the passes it saves
            assert gc.isenabled()
        with building(PAUSED_FROM):
            assert not gc.isenabled()
        assert gc.isenabled()
    finally:
        if not was_on:
            gc.disable()
