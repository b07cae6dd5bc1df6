"""Break conditions (breakpoints, the first NaN/Inf, gradient norms), ``resume``, ``changed`` and the
per-position index behind ``held_bytes``, ``arrivals`` and ``contributions_to``."""
# ruff: noqa: N803, N806 - X, W1, H… are the names of the maths

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import SAMPLES, line_of, sample

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.core.breaks import check_step
from graphstep.core.stepper import BACKWARD, FORWARD, SEED
from graphstep.errors import GraphstepError

SAMPLE_NAMES = ("double", "myfunc", "regression", "least_squares", "linear_regression", "mlp", "nan")
def step_of(walker: gs.Stepper, kind: str, node: int) -> int:
    return walker.plan.index((kind, node)) + 1


# ───────────────────────────── NaN / Inf ─────────────────────────────


def test_nan_sample_stops_at_the_log_with_its_source_line():
    graph = sample("nan")
    walker = gs.Stepper(graph)
    found = walker.resume()
    y = graph.ids["y"]
    assert found.reason == "nonfinite" and found.node == y and found.phase == "forward"
    assert found.step == step_of(walker, FORWARD, y) == walker.position
    line = line_of(SAMPLES / "nan.py", "gnp.log(x - 3)")
    assert f"samples/nan.py:{line}  y = gnp.log(x - 3)" in found.message
    assert found.source == f"samples/nan.py:{line}"
    # what was found: one NaN among 4 values, because x−3 goes down to 0.9 − 3 = −2.1
    assert "log gave nan in 1 of 4 values" in found.message
    assert "input x−3 (4) has min -2.1 max 2" in found.message
    assert np.isnan(walker.value(y)[2]) and np.isfinite(walker.value(graph.ids["x−3"])).all()


def test_resume_after_the_nan_runs_to_the_end_with_the_closed_form_gradient():
    walker = gs.Stepper(sample("nan"))
    walker.resume()
    assert walker.resume() is None and walker.done  # downstream NaNs came in through their inputs: no more stops
    x = walker.value("x")
    # d/dx mean(log(x − 3)) = 1 / (4(x − 3)): finite even where the log was NaN
    np.testing.assert_allclose(walker.grad("x"), 1 / (4 * (x - 3)))
    assert np.isnan(walker.value(walker.graph.output))


def test_only_the_first_nonfinite_node_breaks():
    def fn(x):
        y = gnp.log(x)
        z = gnp.exp(y * 2)
        w = gnp.sqrt(x - 10)  # a second, independent origin
        return (z + w).sum()

    graph = gs.trace(fn, np.array([-1.0, 4.0]))
    walker = gs.Stepper(graph)
    stops = []
    while (found := walker.resume()) is not None:
        stops.append((found.phase, graph.name_of(found.node)))
    assert stops[:2] == [("forward", "y"), ("forward", "w")]
    assert all(phase == "backward" for phase, _ in stops[2:])


def test_backward_inf_breaks_at_the_rule_that_made_it():
    graph = gs.trace(lambda x: gnp.sqrt(x).sum(), np.array([0.0, 1.0, 4.0]))
    walker = gs.Stepper(graph)
    found = walker.resume()
    sqrt = graph.ids[graph.name_of(graph.node(graph.output).inputs[0])]
    assert found.reason == "nonfinite" and found.phase == "backward" and found.node == sqrt
    assert found.step == step_of(walker, BACKWARD, sqrt)
    assert "sent inf in 1 of 3 values to dx (3)" in found.message and "G / (2·" in found.message
    # d sqrt(x)/dx = 1 / (2 sqrt x): inf at 0, then 1/2 and 1/4
    np.testing.assert_array_equal(walker.grad("x"), [np.inf, 0.5, 0.25])


def test_nonfinite_break_can_be_switched_off():
    walker = gs.Stepper(sample("nan"))
    walker.break_on_nonfinite = False
    assert walker.resume() is None and walker.done


def test_a_nonfinite_seed_breaks():
    walker = gs.Stepper(gs.trace(lambda x: x * 2, np.ones(2)), seed=np.array([1.0, np.nan]))
    found = walker.resume()
    assert found.reason == "nonfinite" and walker.plan[found.step - 1][0] == SEED
    assert "the seed" in found.message and "nan in 1 of 2 values" in found.message


# ───────────────────────────── breakpoints ─────────────────────────────


def test_toggle_breakpoint_by_name_or_id():
    walker = gs.Stepper(sample("mlp"))
    H = walker.graph.ids["H"]
    assert walker.toggle_breakpoint("H") is True and walker.breakpoints == {H}
    assert walker.toggle_breakpoint(H) is False and walker.breakpoints == set()
    with pytest.raises(GraphstepError, match="no node 'nope'"):
        walker.toggle_breakpoint("nope")


def test_breakpoint_stops_after_forward_then_after_backward_then_reaches_the_end():
    graph = sample("mlp")
    walker = gs.Stepper(graph)
    walker.toggle_breakpoint("H")
    H = graph.ids["H"]
    first = walker.resume()
    assert (first.reason, first.phase, first.step) == ("breakpoint", "forward", step_of(walker, FORWARD, H))
    np.testing.assert_allclose(walker.value(H), np.tanh(walker.value("X") @ walker.value("W1") + walker.value("b1")))
    second = walker.resume()  # the breakpoint just hit does not hold the walk back
    assert (second.phase, second.step) == ("backward", step_of(walker, BACKWARD, H))
    assert "breakpoint at H (tanh) after its backward step" in second.message
    assert "samples/mlp.py:" in second.message and "H = gnp.tanh(Z1)" in second.message
    assert walker.resume() is None and walker.done


def test_breakpoint_on_the_output_skips_the_seed():
    graph = sample("regression")
    walker = gs.Stepper(graph)
    walker.toggle_breakpoint(graph.output)
    steps = [found.step for found in iter(walker.resume, None)]
    assert steps == [step_of(walker, FORWARD, graph.output), step_of(walker, BACKWARD, graph.output)]
    assert walker.plan[steps[0]][0] == SEED  # the seed step sits between them and did not stop


def test_resume_to_forward():
    walker = gs.Stepper(sample("mlp"))
    walker.toggle_breakpoint("Z2")
    assert walker.resume("forward").node == walker.graph.ids["Z2"]
    assert walker.resume("forward") is None and walker.position == walker.forward_steps
    walker.step()
    assert walker.resume("forward") is None and walker.position == walker.forward_steps + 1  # already past: no-op
    with pytest.raises(GraphstepError):
        walker.resume("middle")


def test_check_step_is_what_resume_tests():
    graph = sample("mlp")
    walker = gs.Stepper(graph)
    walker.toggle_breakpoint("Z1")
    walker.grad_norm_limit = 0.5
    stepped = []
    while walker.step() is not None:
        found = check_step(walker)
        if found is not None:
            stepped.append((found.step, found.reason))
    resumed = gs.Stepper(graph)
    resumed.breakpoints, resumed.grad_norm_limit = {graph.ids["Z1"]}, 0.5
    assert stepped == [(b.step, b.reason) for b in iter(resumed.resume, None)]
    # mean's backward sends ones(8)/8, norm √8/8 ≈ 0.354 ≤ 0.5; every later contribution is above 0.5, and a
    # gradient above the limit is reported before the breakpoint at Z1's backward step
    first_backward = walker.forward_steps + 2
    assert np.isclose(np.linalg.norm(walker.record(first_backward).contributions[0].grad), np.sqrt(8) / 8)
    assert stepped == [(step_of(walker, FORWARD, graph.ids["Z1"]), "breakpoint")] + [
        (k, "grad-norm") for k in range(first_backward + 1, walker.total + 1)]
    assert check_step(walker, 0) is None


# ───────────────────────────── gradient norm ─────────────────────────────


def test_grad_norm_limit_stops_at_the_first_contribution_above_it():
    graph = sample("mlp")
    walker = gs.Stepper(graph)
    walker.grad_norm_limit = 0.5
    found = walker.resume()
    assert found.reason == "grad-norm" and found.phase == "backward"
    # every contribution before the stop had norm ≤ 0.5, the stopping one is above
    reference = gs.Stepper(graph).run()
    norms = {k: max((np.linalg.norm(c.grad) for c in reference.record(k).contributions), default=0.0)
             for k in range(reference.forward_steps + 2, reference.total + 1)}
    assert found.step == min(k for k, n in norms.items() if n > 0.5)
    # it is d(Z2−y) = 2(Z2 − y)/8 from the square, norm ‖2(Z2 − y)/8‖
    r = walker.value("Z2") - walker.value("y")
    expected = np.linalg.norm(2 * r / 8)
    assert f"with norm {expected:.4g} > limit 0.5" in found.message
    np.testing.assert_allclose(walker.grad("Z2−y"), 2 * r / 8)


# ───────────────────────────── changed ─────────────────────────────


def _state(walker: gs.Stepper) -> list:
    return [(walker._values[n], walker._grads[n]) for n in walker.graph.order]


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_changed_names_exactly_the_nodes_a_step_changes(name):
    walker = gs.Stepper(sample(name))
    for k in range(1, walker.total + 1):
        before = _state(walker)
        walker.step()
        after = _state(walker)
        moved = {n for n, (b, a) in enumerate(zip(before, after)) if b[0] is not a[0] or b[1] is not a[1]}
        assert set(walker.changed(k)) == moved, k


def test_changed_by_kind():
    graph = sample("mlp")
    walker = gs.Stepper(graph)
    Z1, H = graph.ids["Z1"], graph.ids["H"]
    assert walker.changed(step_of(walker, FORWARD, H)) == (H,)
    assert walker.changed(walker.forward_steps + 1) == (graph.output,)  # the seed
    assert walker.changed(step_of(walker, BACKWARD, Z1)) == (graph.ids["X@W1"], graph.params["b1"])
    square = gs.trace(lambda x: (x * x).sum(), np.ones(2))
    squared = square.node(square.output).inputs[0]
    assert gs.Stepper(square).changed(gs.Stepper(square).plan.index((BACKWARD, squared)) + 1) == (0,)
    with pytest.raises(IndexError):
        walker.changed(0)


# ───────────────────────────── the per-position index ─────────────────────────────


def held_reference(walker: gs.Stepper) -> int:
    """The definition: values a backward rule still to run reads, for forward steps already taken."""
    done = {nid for kind, nid in walker.plan[:walker.position] if kind == BACKWARD}
    held = set()
    for kind, nid in walker.plan[:walker.position]:
        if kind == FORWARD and nid in walker.graph.vjp_program and nid not in done:
            op, inputs, _ = walker.graph.program[nid]
            held |= {nid} if op.saves in ("out", "both") else set()
            held |= set(inputs) if op.saves in ("inputs", "both") else set()
    return sum(walker.value(n).nbytes for n in held)


def arrivals_reference(walker: gs.Stepper) -> dict[int, int]:
    counts: dict[int, int] = {}
    for kind, nid in walker.plan[:walker.position]:
        if kind == BACKWARD:
            for _, i, _, _ in walker.graph.vjp_program[nid]:
                counts[i] = counts.get(i, 0) + 1
    return counts


def assert_index_is_right(walker: gs.Stepper) -> None:
    assert walker.held_bytes() == held_reference(walker)
    assert dict(walker.arrivals()) == arrivals_reference(walker)
    for node, count in arrivals_reference(walker).items():
        arrived = walker.contributions_to(node)
        assert len(arrived) == count and all(c.target == node and k <= walker.position for k, c in arrived)


# Each move carries the position a jump goes to: drawing 40 positions up front for however few moves there were
# was most of Hypothesis's work, and Hypothesis's work was nearly all of this test's time.
MOVES = st.lists(st.tuples(st.sampled_from(["step", "back", "jump", "query"]), st.integers(0, 60)), max_size=40)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(SAMPLE_NAMES), moves=MOVES)
def test_index_equals_the_definition_after_any_walk(name, moves):
    walker = gs.Stepper(sample(name))
    for move, to in moves:
        if move == "step":
            walker.step()
        elif move == "back":
            walker.step_back()
        elif move == "jump":
            walker.run_to(to)
        else:
            assert_index_is_right(walker)
    assert_index_is_right(walker)


def test_index_at_every_position_of_the_mlp_forward_and_back():
    walker = gs.Stepper(sample("mlp"))
    for _ in range(walker.total):
        walker.step()
        assert_index_is_right(walker)
    while walker.step_back():
        assert_index_is_right(walker)
    assert walker.held_bytes() == 0 and dict(walker.arrivals()) == {}


def test_myfunc_holds_nothing_at_the_end():
    # the while test a.norm() needs no gradient path to the output: it never holds a value
    walker = gs.Stepper(sample("myfunc")).run()
    assert walker.held_bytes() == 0


def test_repaint_queries_stay_cheap_on_a_big_graph():
    def chain(x):
        for _ in range(3300):
            x = gnp.tanh(x * 1.0)
        return x.sum()

    walker = gs.Stepper(gs.trace(chain, np.ones(4))).run_forward()
    assert len(walker.graph) > 9900
    walker.held_bytes(), walker.arrivals()  # build the index once
    for _ in range(500):  # a step and the queries of one repaint, 500 times (timed in benchmarks/bench_scale.py)
        walker.step()
        walker.held_bytes(), walker.arrivals(), walker.contributions_to(walker.current)
    assert walker._tally.position == walker.position  # the tally followed the steps instead of rescanning
    assert_index_is_right(walker)


# ───────────────────────────── leaf-value overrides ─────────────────────────────


def test_values_override_leaves():
    graph = sample("regression")
    X, y = graph.leaf_values[graph.ids["X"]], graph.leaf_values[graph.ids["y"]]
    walker = gs.Stepper(graph, values={"X": X[:2], graph.ids["y"]: y[:2]}).run()
    b0, b1 = walker.value("beta0"), walker.value("beta1")
    r = y[:2] - (b0 + X[:2] @ b1)
    np.testing.assert_allclose(walker.value(graph.output), np.mean(r ** 2))
    np.testing.assert_allclose(walker.grad("beta1"), X[:2].T @ (-2 * r) / 2)
    np.testing.assert_array_equal(graph.leaf_values[graph.ids["X"]], X)  # the graph is untouched


def test_values_override_refuses_op_nodes_and_unknown_names():
    with pytest.raises(GraphstepError, match="only leaf values"):
        gs.Stepper(sample("mlp"), values={"H": np.zeros((8, 16))})
    with pytest.raises(GraphstepError, match="no node 'Q'"):
        gs.Stepper(sample("mlp"), values={"Q": np.zeros(3)})


# ───────────────────────── resume on a long walk ─────────────────────────


def _long_chain(bad_at: int, links: int = 1500):
    """A chain of ``links`` tanh steps whose link ``bad_at`` takes a log of a negative number: far past
    ``resume``'s chunk of steps taken at run speed."""

    def f():
        x = gs.param(np.linspace(0.1, 0.5, 4), name="x")
        h = x
        for k in range(links):
            h = gnp.tanh(h) if k != bad_at else gnp.log(h - 1.0)
        return h.sum()

    return gs.trace(f)


def _stepwise(walker: gs.Stepper):
    """``resume`` as its definition says: a step, then the conditions, until one holds or the walk ends."""
    while walker.position < walker.total:
        walker.step()
        found = check_step(walker)
        if found is not None:
            return found
    return None


@pytest.mark.parametrize("bad_at", [3, 1200, None])
def test_resume_in_chunks_stops_where_a_step_at_a_time_does(bad_at):
    graph = _long_chain(bad_at if bad_at is not None else -1)
    fast, slow = gs.Stepper(graph), gs.Stepper(graph)
    found, expected = fast.resume(), _stepwise(slow)
    assert fast.position == slow.position
    if bad_at is None:
        assert found is None and expected is None and fast.done
    else:
        assert found.step == expected.step and found.message == expected.message and found.phase == "forward"
    again, expected = fast.resume(), _stepwise(slow)  # past the NaN: everything after it is NaN, no new break
    assert again == expected and fast.position == slow.position
    for node in graph.params:
        np.testing.assert_array_equal(fast.grad(node), slow.grad(node))


def test_resume_in_chunks_stops_at_a_breakpoint_past_the_first_chunk():
    graph = _long_chain(-1)
    walker = gs.Stepper(graph)
    target = graph.backward_nodes[1300]
    walker.breakpoints.add(target)
    found = walker.resume()
    assert found.reason == "breakpoint" and found.node == target and found.phase == "forward"
    assert walker.position == step_of(walker, FORWARD, target)
    found = walker.resume()
    assert found.node == target and found.phase == "backward" and walker.position == step_of(walker, BACKWARD, target)


# ───────────────────── reverse-continue and run to a node ─────────────────────


def test_resume_back_stops_where_resume_stopped_in_reverse_order():
    graph = sample("mlp")
    walker = gs.Stepper(graph)
    walker.toggle_breakpoint("H")
    walker.toggle_breakpoint("Z2")
    stops = []
    while (found := walker.resume()) is not None:
        stops.append((walker.position, found.message))
    assert len(stops) == 4  # H and Z2, each forward and backward
    back = []
    while (found := walker.resume_back()) is not None:
        back.append((walker.position, found.message))
    assert walker.position == 0 and back == stops[::-1]  # from the end: every stop, latest first
    assert walker.position == 0


def test_resume_back_from_the_end_finds_the_first_nan_exactly():
    graph = sample("nan")
    ahead, behind = gs.Stepper(graph), gs.Stepper(graph)
    first = ahead.resume()
    behind.run()
    found = behind.resume_back()
    assert found.step == first.step == behind.position and found.message == first.message
    for node in range(len(graph)):  # state restored exactly: the same as walking there
        for read in (gs.Stepper.value, gs.Stepper.grad):
            a, b = read(ahead, node), read(behind, node)
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_array_equal(a, b)


def _stepwise_back(walker: gs.Stepper):
    """``resume_back`` as its definition says: a step back, then the conditions, until one holds or the start."""
    while walker.step_back():
        found = check_step(walker) if walker.position else None
        if found is not None:
            return found
    return None


def _stops_back(walker: gs.Stepper, resume_back) -> list[tuple[int, str]]:
    """Every stop going back from the end, latest first."""
    walker.run()
    stops = []
    while (found := resume_back(walker)) is not None:
        stops.append((walker.position, found.reason, found.message))
    assert walker.position == 0
    return stops


@pytest.mark.parametrize(("graph", "marks"), [
    (lambda: sample("nan"), ()),
    (lambda: sample("mlp"), ("H", "Z2")),
    (lambda: sample("attention"), ()),
    (lambda: _long_chain(1200), ()),  # a NaN past the first chunk back from the end, and every link after it NaN
    (lambda: _long_chain(-1), (1300, 40)),  # breakpoints far apart: chunks at run speed between them
    (lambda: _long_chain(700, links=10_000), (9000, 3)),  # 10,000 nodes: a NaN and breakpoints
], ids=["nan", "mlp", "attention", "nan-past-a-chunk", "breakpoints", "10k"])
def test_resume_back_in_chunks_stops_where_a_step_at_a_time_does(graph, marks):
    graph = graph()
    fast, slow = gs.Stepper(graph), gs.Stepper(graph)
    for mark in marks:  # a name, or the k-th node of the chain's backward order
        for walker in (fast, slow):
            walker.toggle_breakpoint(mark if isinstance(mark, str) else graph.backward_nodes[mark])
    stops = _stops_back(fast, gs.Stepper.resume_back)
    assert stops == _stops_back(slow, _stepwise_back) and (stops or not marks)


def test_resume_back_in_chunks_restores_the_state_exactly_and_honours_the_norm_limit():
    graph = _long_chain(1200)
    fast, slow = gs.Stepper(graph), gs.Stepper(graph)
    for walker in (fast, slow):
        walker.run()
    found, expected = fast.resume_back(), _stepwise_back(slow)
    assert found.step == expected.step == fast.position == slow.position and found.reason == "nonfinite"
    for node in range(len(graph)):
        for read in (gs.Stepper.value, gs.Stepper.grad):
            a, b = read(fast, node), read(slow, node)
            assert (a is None) == (b is None) and (a is None or np.array_equal(a, b, equal_nan=True))
    limited = sample("mlp")
    fast, slow = gs.Stepper(limited), gs.Stepper(limited)
    fast.grad_norm_limit = slow.grad_norm_limit = 0.05
    assert _stops_back(fast, gs.Stepper.resume_back) == _stops_back(slow, _stepwise_back) != []


def test_run_to_node_goes_to_its_forward_then_its_backward_step_then_back():
    graph = sample("mlp")
    walker = gs.Stepper(graph)
    h = graph.ids["H"]
    assert walker.run_to_node("H") is None and walker.position == step_of(walker, FORWARD, h)
    assert walker.run_to_node("H") is None and walker.position == step_of(walker, BACKWARD, h)
    assert walker.run_to_node("H") is None and walker.position == step_of(walker, FORWARD, h)  # none ahead: back
    walker.reset()
    walker.toggle_breakpoint("Z1")
    found = walker.run_to_node("loss")  # a breakpoint on the way stops it, as resume would
    assert found.reason == "breakpoint" and walker.position == step_of(walker, FORWARD, graph.ids["Z1"])
    with pytest.raises(GraphstepError, match="no step of its own"):
        walker.run_to_node("X")
