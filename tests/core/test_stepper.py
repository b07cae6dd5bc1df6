"""The stepper: one step at a time equals run(), exact undo, accumulation, broadcasting,
seeds, forward mode, held bytes, gradient check and local Jacobians."""
# ruff: noqa: N803, N806 - X, W1, H… are the names of the maths

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import SAMPLES, sample

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.core.ops import OPS
from graphstep.errors import GraphstepError

SAMPLE_NAMES = ("double", "myfunc", "regression", "least_squares", "linear_regression", "mlp")
def snapshot(stepper: gs.Stepper) -> list:
    """Everything a step can change: value, gradient and tangent of every node."""
    return [(stepper.value(n), stepper.grad(n), stepper._tangents[n]) for n in stepper.graph.order]


def assert_same_state(a: gs.Stepper, b: gs.Stepper) -> None:
    assert a.position == b.position
    for n, (left, right) in enumerate(zip(snapshot(a), snapshot(b), strict=True)):
        for what, x, y in zip(("value", "grad", "tangent"), left, right, strict=True):
            assert (x is None) == (y is None), f"node {n} {what}: {x!r} vs {y!r}"
            if x is not None:
                assert np.array_equal(x, y), f"node {n} {what} differs"


# ───────────────────────────── stepping ─────────────────────────────


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_one_step_at_a_time_equals_run(name):
    graph = sample(name)
    stepped = gs.Stepper(graph)
    records = []
    while (step := stepped.step()) is not None:
        records.append(step)
    ran = gs.Stepper(graph).run()
    assert len(records) == stepped.total == ran.position and stepped.done
    assert [r.index for r in records] == list(range(1, stepped.total + 1))
    assert [r.phase for r in records[:stepped.forward_steps]] == ["forward"] * stepped.forward_steps
    assert all(r.phase == "backward" for r in records[stepped.forward_steps:])
    for key, g in ran.grads().items():
        assert g is not None and g.shape == graph.node(key).shape  # a gradient has its variable's shape
        assert np.array_equal(stepped.grads()[key], g)
    assert stepped.step() is None


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_step_back_from_the_end_restores_every_position(name):
    graph = sample(name)
    walker = gs.Stepper(graph).run()
    for k in range(walker.total, -1, -1):
        assert_same_state(walker, gs.Stepper(graph).run_to(k))
        assert walker.step_back() == (k > 0)
    assert_same_state(walker, gs.Stepper(graph))


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(SAMPLE_NAMES), moves=st.lists(st.sampled_from(["step", "back", "back"]), max_size=80),
       start=st.integers(0, 60), mode=st.sampled_from(["reverse", "forward"]))
def test_any_walk_of_steps_and_undos_equals_a_fresh_run_to(name, moves, start, mode):
    graph = sample(name)
    walker = gs.Stepper(graph, mode=mode).run_to(start)
    for move in moves:
        walker.step() if move == "step" else walker.step_back()
    assert_same_state(walker, gs.Stepper(graph, mode=mode).run_to(walker.position))


def test_step_back_at_the_start_is_a_no_op():
    walker = gs.Stepper(sample("mlp"))
    assert walker.step_back() is False and walker.position == 0


def test_gradients_of_run_twice_after_reset_are_identical():
    walker = gs.Stepper(sample("mlp")).run()
    first = walker.grads()
    walker.reset().run()
    for key, g in walker.grads().items():
        assert np.array_equal(g, first[key])


# ───────────────────────────── accumulation and broadcasting ─────────────────────────────


def test_a_node_used_twice_receives_the_sum():
    def fn(x):
        h = gnp.tanh(x)
        left = h * 2.0
        right = h * 3.0
        return (left + right).sum()

    x0 = np.array([0.3, -0.7])
    graph = gs.trace(fn, x0)
    walker = gs.Stepper(graph).run()
    h = graph.ids["h"]
    arrived = walker.contributions_to(h)
    assert [c.accumulated for _, c in arrived] == [False, True]
    assert [c.formula.startswith("dh = ") for _, c in arrived] == [True, False]
    assert arrived[1][1].formula.startswith("dh += ")
    np.testing.assert_allclose(arrived[0][1].grad + arrived[1][1].grad, walker.grad(h))
    np.testing.assert_allclose(walker.grad(h), [5.0, 5.0])
    assert walker.arrivals()[h] == 2
    np.testing.assert_allclose(walker.grad("x"), 5.0 * (1 - np.tanh(x0) ** 2))


def test_x_times_x_accumulates_both_factors():
    walker = gs.Stepper(gs.trace(lambda x: (x * x).sum(), np.array([1.5, -2.0]))).run()
    np.testing.assert_allclose(walker.grad("x"), [3.0, -4.0])
    (_, first), (_, second) = walker.contributions_to(walker.graph.params["x"])
    assert not first.accumulated and second.accumulated


def test_bias_broadcast_sums_over_the_batch_and_says_so():
    graph = sample("mlp")
    walker = gs.Stepper(graph).run()
    b1 = graph.params["b1"]
    [(index, contribution)] = walker.contributions_to(b1)
    assert contribution.summed_axes == (0,)
    assert "Σ axis 0" in contribution.formula and contribution.formula.endswith("→ (16) ✓")
    z1 = graph.ids["Z1"]
    assert walker.record(index).node == z1
    np.testing.assert_allclose(walker.grad("b1"), walker.grad(z1).sum(axis=0))
    # the other input of the add had the full shape: nothing summed
    [other] = [c for c in walker.record(index).contributions if c.target != b1]
    assert other.summed_axes == () and "Σ" not in other.formula


def test_scalar_param_broadcast_over_a_column_sums_everything():
    graph = sample("regression")
    walker = gs.Stepper(graph).run()
    [(_, contribution)] = walker.contributions_to(graph.params["beta0"])
    assert contribution.summed_axes == (0, 1) and "Σ axis 0,1" in contribution.formula


def test_dW1_formula_reads_like_the_seed():
    graph = sample("mlp")
    walker = gs.Stepper(graph).run()
    [(_, contribution)] = walker.contributions_to(graph.params["W1"])
    assert contribution.formula == "dW1 = Xᵀ·G  (4×8)·(8×16) → (4×16) ✓"
    assert contribution.ok and contribution.grad.shape == (4, 16)


def test_forward_records_show_formula_with_shapes():
    walker = gs.Stepper(sample("mlp"))
    first = walker.step()
    assert first.phase == "forward" and first.op == "matmul"
    assert first.formula.endswith("(8×4)·(4×16) → (8×16)")
    np.testing.assert_allclose(first.value, walker.value("X") @ walker.value("W1"))


# ───────────────────────────── seeds ─────────────────────────────


def _double(x):
    return x * 2


def test_non_scalar_output_without_seed_uses_ones_and_says_so():
    graph = gs.trace(_double, np.arange(3.0))
    walker = gs.Stepper(graph).run()
    np.testing.assert_array_equal(walker.seed, np.ones(3))
    assert "no seed" in walker.seed_note and "ones" in walker.seed_note
    seed_step = walker.record(walker.forward_steps + 1)
    assert seed_step.note == walker.seed_note
    np.testing.assert_allclose(walker.grad("x"), [2.0, 2.0, 2.0])


def test_ones_seed_equals_backward_of_the_sum():
    x0 = np.array([0.2, -1.0, 0.5])
    vector = gs.Stepper(gs.trace(lambda x: gnp.tanh(x) * x, x0)).run()
    summed = gs.Stepper(gs.trace(lambda x: (gnp.tanh(x) * x).sum(), x0)).run()
    np.testing.assert_allclose(vector.grad("x"), summed.grad("x"))


def test_seed_given():
    seed = np.array([1.0, -2.0, 0.5])
    walker = gs.Stepper(gs.trace(_double, np.arange(3.0)), seed=seed).run()
    np.testing.assert_allclose(walker.grad("x"), 2 * seed)
    assert "given" in walker.seed_note


def test_seed_of_the_wrong_shape_is_refused():
    with pytest.raises(GraphstepError, match=r"seed of shape \(2\)"):
        gs.Stepper(gs.trace(_double, np.arange(3.0)), seed=np.ones(2))


# ───────────────────────────── forward mode ─────────────────────────────


@pytest.mark.parametrize("name", ["mlp", "regression", "least_squares", "linear_regression", "myfunc"])
def test_forward_mode_tangent_equals_reverse_gradient_dotted(name):
    graph = sample(name)
    rng = np.random.default_rng(3)
    reverse = gs.Stepper(graph).run().grads()
    directions = {key: rng.standard_normal(np.shape(g)) for key, g in reverse.items()}
    forward = gs.Stepper(graph, mode="forward", tangents=directions).run()
    expected = sum(np.sum(reverse[key] * v) for key, v in directions.items())
    np.testing.assert_allclose(forward.tangent(), expected, rtol=1e-10)
    assert forward.plan == [("forward", n) for n in graph.op_nodes]  # no backward pass


def test_forward_mode_vector_output_pushes_the_whole_tangent():
    x0, v = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, -3.0])
    walker = gs.Stepper(gs.trace(lambda x: gnp.exp(x) * x, x0), mode="forward", tangents={"x": v}).run()
    np.testing.assert_allclose(walker.tangent(), (np.exp(x0) * x0 + np.exp(x0)) * v)


@pytest.mark.parametrize("a0", [0.37, -1.3, 5.0, -250.0])
def test_myfunc_forward_tangent_equals_f_over_a(a0):
    myFunc = gs.load(str(SAMPLES / "myfunc.py")).__globals__["myFunc"]  # the sample's own function
    graph = gs.trace(lambda a: myFunc(a), np.array(a0))
    forward = gs.Stepper(graph, mode="forward").run()  # default tangent: ones
    assert forward.tangent_note
    f = forward.value(graph.output)
    np.testing.assert_allclose(forward.tangent(), f / a0)
    np.testing.assert_allclose(gs.Stepper(graph).run().grad("a"), f / a0)


# ───────────────────────────── memory ─────────────────────────────


def test_held_bytes_rise_in_forward_and_fall_to_zero():
    graph = sample("mlp")
    walker = gs.Stepper(graph)
    assert walker.held_bytes() == 0
    walker.run_forward()
    peak = walker.held_bytes()
    # X (8×4), W1 (4×16), H (8×16), W2 (16×1), Z2−y (8×1) and the rest are kept for backward
    assert peak >= (8 * 4 + 4 * 16 + 8 * 16 + 16 + 8) * 8
    walker.step()
    walker.step()
    assert 0 < walker.held_bytes() <= peak
    walker.run()
    assert walker.held_bytes() == 0
    walker.step_back()
    assert walker.held_bytes() > 0


# ───────────────────────────── gradient check ─────────────────────────────


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_gradcheck_passes_on_samples(name):
    report = gs.gradcheck(sample(name))
    assert report.ok, str(report)
    assert {r.name for r in report.results} == set(sample(name).params)
    assert all(r.rel_error < 1e-6 for r in report.results)


def test_gradcheck_of_a_chosen_node():
    report = gs.gradcheck(sample("mlp"), nodes=["H", "Z1"])
    assert report.ok and [r.name for r in report.results] == ["H", "Z1"]


def test_gradcheck_fails_on_a_wrong_rule(monkeypatch):
    wrong = dataclasses.replace(OPS["tanh"], vjp=(lambda g, out, x: g * (1.0 - out),))  # forgot the square
    monkeypatch.setitem(OPS, "tanh", wrong)
    graph = gs.trace(gs.load(str(SAMPLES / "mlp.py")))  # traced after the patch: uses the wrong rule
    report = gs.gradcheck(graph)
    assert not report.ok
    by_name = {r.name: r for r in report.results}
    assert not by_name["W1"].ok and not by_name["b1"].ok  # below the tanh: wrong
    assert by_name["W2"].ok  # above the tanh: untouched
    assert "MISMATCH" in str(report)


def test_gradcheck_fails_on_a_wrong_broadcast_rule(monkeypatch):
    # a bias gradient that forgets to sum over the batch (takes the first row)
    wrong = dataclasses.replace(OPS["add"], vjp=(OPS["add"].vjp[0], lambda g, out, x, y: g.reshape(-1, *y.shape)[0]))
    monkeypatch.setitem(OPS, "add", wrong)
    report = gs.gradcheck(gs.trace(gs.load(str(SAMPLES / "mlp.py"))))
    assert not {r.name: r for r in report.results}["b1"].ok


# ───────────────────────────── local Jacobians ─────────────────────────────


def _numeric_jacobian(op, xs, kw, k, eps=1e-6):
    out = np.asarray(op.forward(*xs, **kw))
    columns = []
    for j in range(xs[k].size):
        step = np.zeros(xs[k].size)
        step[j] = eps
        plus = [x + step.reshape(x.shape) if m == k else x for m, x in enumerate(xs)]
        minus = [x - step.reshape(x.shape) if m == k else x for m, x in enumerate(xs)]
        columns.append((np.ravel(op.forward(*plus, **kw)) - np.ravel(op.forward(*minus, **kw))) / (2 * eps))
    return np.array(columns).T.reshape(out.size, xs[k].size)


@pytest.mark.parametrize(("node", "k"), [("X@W1", 1), ("X@W1", 0), ("Z1", 1), ("H", 0), ("Z2", 0), ("Z2", 1)])
def test_jacobian_agrees_with_finite_differences(node, k):
    graph = sample("mlp")
    walker = gs.Stepper(graph).run_forward()
    nid = graph.ids[node]
    op, inputs, kw = graph.program[nid]
    xs = [walker.value(i) for i in inputs]
    J = walker.jacobian(node, k)
    assert J.shape == (walker.value(nid).size, xs[k].size)  # numerator layout
    np.testing.assert_allclose(J, _numeric_jacobian(op, xs, kw, k), rtol=1e-6, atol=1e-8)


def test_jacobian_of_tanh_is_diagonal():
    walker = gs.Stepper(sample("mlp")).run_forward()
    J = walker.jacobian("H", 0)
    np.testing.assert_allclose(J, np.diag(1 - np.ravel(walker.value("H")) ** 2))


def test_jacobian_before_the_forward_value_is_refused():
    with pytest.raises(GraphstepError, match="no local Jacobian"):
        gs.Stepper(sample("mlp")).jacobian("H", 0)


def test_gradcheck_of_a_node_without_gradient_is_refused():
    with pytest.raises(GraphstepError, match=r"X \(input\) has no gradient"):
        gs.gradcheck(sample("mlp"), nodes=["X"])


# ───────────────────────────── the plan: phases, steps, what each step sent ─────────────────────────────


@pytest.mark.parametrize("name", ["mlp", "myfunc"])
def test_the_stepper_says_which_pass_and_node_each_step_is(name):
    walker = gs.Stepper(sample(name))
    for k, (kind, nid) in enumerate(walker.plan, start=1):
        assert (walker.step_kind(k), walker.node_of(k), walker.step_of(nid, kind)) == (kind, nid, k)
        assert walker.phase_of(k) == ("forward" if kind == "forward" else "backward")  # the seed opens backward
    leaf = next(iter(walker.graph.params.values()))
    assert walker.phase_of(0) == "forward" and walker.step_of(leaf) is None  # a leaf has no forward step
    phases = []
    while not walker.done:
        phases.append(walker.phase)
        walker.step()
    assert walker.phase == "done" and phases == [walker.phase_of(k) for k in range(1, walker.total + 1)]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_stepped_and_frontier_follow_the_walk(mode):
    graph = sample("mlp")
    walker = gs.Stepper(graph, mode=mode)
    for position in range(walker.total + 1):
        walker.run_to(position)
        taken = walker.plan[:position]
        forward = [nid for kind, nid in taken if kind == "forward"]
        backward = [nid for kind, nid in taken if kind == "backward"]
        assert walker.stepped() == forward and walker.stepped("backward") == backward
        assert walker.frontier() == (forward[-1] if forward else -1, backward[-1] if backward else len(graph))


def test_sent_says_what_each_step_sent_where():
    graph = sample("mlp")
    walker = gs.Stepper(graph).run()
    seed = walker.step_of(graph.output, "seed")
    [sent] = walker.sent(seed)
    assert sent.target == graph.output and sent.pos is None and sent.before is None and sent.grad == 1.0
    assert walker.sent(walker.step_of(graph.ids["H"])) == []  # a forward step sends nothing
    k = walker.step_of(graph.ids["Z1"], "backward")
    assert [(s.pos, s.target, s.accumulated) for s in walker.sent(k)] == [
        (0, graph.ids["X@W1"], False), (1, graph.params["b1"], False)]
    assert [s.grad for s in walker.sent(k)] == [c.grad for c in walker.record(k).contributions]
    walker.run_to(k - 1)
    with pytest.raises(IndexError):
        walker.sent(k)
