"""Training step by step: the parameters equal a hand-written NumPy loop, undo is exact, regression converges."""

from __future__ import annotations

import numpy as np
import pytest
from support import sample

from graphstep import GraphstepError, Stepper, Training, train
from graphstep.core.training import OPTIMIZERS, UPDATE, Update


def numpy_loop(graph, iterations: int, lr: float, optimizer: str) -> dict[str, np.ndarray]:
    """The same training written out: gradients from a plain run of the stepper, the rules as PyTorch has them."""
    params = {name: np.asarray(graph.leaf_values[nid]) for name, nid in graph.params.items()}
    m = {name: np.zeros_like(p, dtype=float) for name, p in params.items()}
    v = {name: np.zeros_like(p, dtype=float) for name, p in params.items()}
    for t in range(1, iterations + 1):
        grads = Stepper(graph, values=params).run().grads()
        new = {}
        for name, p in params.items():
            g = grads[name]
            if optimizer == "sgd":
                new[name] = p - lr * g
            elif optimizer == "momentum":
                v[name] = 0.9 * v[name] + g
                new[name] = p - lr * v[name]
            else:
                m[name] = 0.9 * m[name] + (1 - 0.9) * g
                v[name] = 0.999 * v[name] + (1 - 0.999) * (g * g)
                m_hat, v_hat = m[name] / (1 - 0.9 ** t), v[name] / (1 - 0.999 ** t)
                new[name] = p - lr * m_hat / (np.sqrt(v_hat) + 1e-8)
        params = new
    return params


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("name", ["mlp", "regression"])
def test_params_equal_a_numpy_loop(name, optimizer):
    graph = sample(name)
    trained = train(graph, 5, 0.05, optimizer)
    expected = numpy_loop(graph, 5, 0.05, optimizer)
    assert trained.done and trained.position == trained.total == 5 * (Stepper(graph).total + len(graph.params))
    for p, want in expected.items():
        np.testing.assert_allclose(trained.params[p], want, rtol=0, atol=1e-12)
        np.testing.assert_allclose(trained.params_at(6)[p], want, rtol=0, atol=1e-12)


def test_losses_and_grad_norms_per_iteration():
    graph = sample("mlp")
    trained = train(graph, 4, 0.1, "momentum")
    assert len(trained.losses) == 4 and set(trained.grad_norms) == set(graph.params)
    for k in range(4):
        st = Stepper(graph, values=trained.params_at(k + 1)).run()
        assert trained.losses[k] == float(st.value(graph.output))
        for name in graph.params:
            assert trained.grad_norms[name][k] == float(np.linalg.norm(st.grad(name)))
    assert trained.losses[-1] < trained.losses[0]


def snapshot(training: Training):
    """Everything a step could change: position, the current stepper's values and grads, params, optimizer state."""
    st = training.stepper
    return (training.position, training.iteration, [st.value(n) for n in st.graph.order],
            [st.grad(n) for n in st.graph.order], training.params, {k: dict(s) for k, s in training._state.items()})


def assert_same(a, b):
    assert a[:2] == b[:2]
    for xs, ys in zip(a[2:4], b[2:4]):
        assert all((x is None and y is None) or np.array_equal(x, y) for x, y in zip(xs, ys, strict=True))
    assert a[4].keys() == b[4].keys() and all(np.array_equal(a[4][k], b[4][k]) for k in a[4])
    for name in a[5]:
        assert all(np.array_equal(a[5][name][s], b[5][name][s]) for s in a[5][name])


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_step_back_across_updates_and_iterations_is_exact(optimizer):
    graph = sample("mlp")
    training = Training(graph, 3, 0.1, optimizer)
    per = training.steps_per_iteration
    seen = []
    while True:
        seen.append(snapshot(training))
        if training.step() is None:
            break
    assert training.position == 3 * per
    for want in reversed(seen[:-1]):
        assert training.step_back()
        assert_same(snapshot(training), want)
    assert not training.step_back() and training.position == 0
    training.run()  # and forward again to the same trained params
    assert all(np.array_equal(training.params[k], v) for k, v in seen[-1][4].items())


def test_update_steps_say_the_rule_with_numbers_and_shapes():
    graph = sample("mlp")
    training = Training(graph, 2, 0.1)
    training.run_to(Stepper(graph).total)
    update = training.step()
    assert isinstance(update, Update) and training.phase == UPDATE
    assert update.lines == ("W1 ← W1 − 0.1·dW1  (4×16)",)
    assert np.array_equal(update.after, update.before - 0.1 * update.grad)
    adam = Training(graph, 2, 0.01, "adam").run_to(2 * Stepper(graph).total + 4)
    lines = adam.record(adam.position).lines
    assert lines[0] == "m_W1 ← 0.9·m_W1 + 0.1·dW1  (4×16)"
    assert any("1 − 0.9^2" in line for line in lines) and any("1 − 0.999^2" in line for line in lines)
    assert lines[-1] == "W1 ← W1 − 0.01·m̂/(√v̂ + 1e-08)  (4×16)"


def test_place_and_run_to_agree_with_stepping():
    graph = sample("regression")
    training = Training(graph, 3, 0.1)
    per, fwd = training.steps_per_iteration, Stepper(graph).forward_steps
    assert training.position_of(2, 3) == per + 3
    training.run_to(per + fwd)
    assert tuple(training.place) == (2, "forward", fwd, per)
    training.run_to(per + per)
    assert tuple(training.place) == (2, UPDATE, per, per)
    stepped = Training(graph, 3, 0.1)
    for _ in range(per + per):
        stepped.step()
    assert all(np.array_equal(stepped.params[k], training.params[k]) for k in graph.params)
    training.run_to(1)
    assert tuple(training.place) == (1, "forward", 1, per)
    assert training.run_iteration().position == per and training.run_iteration().position == 2 * per
    with pytest.raises(GraphstepError, match="no step 4:0"):
        training.position_of(4, 0)


def test_regression_reaches_the_normal_equations():
    graph = sample("regression_train")
    trained = train(graph, 40, 0.5)
    X, y = (graph.leaf_values[graph.ids[n]] for n in ("X", "y"))
    solution = np.linalg.solve(X.T @ X, X.T @ y)
    np.testing.assert_allclose(trained.params["theta"], solution, rtol=0, atol=1e-12)
    np.testing.assert_allclose(solution, np.linalg.lstsq(X, y, rcond=None)[0], rtol=0, atol=1e-12)
    assert trained.grad_norms["theta"][-1] < 1e-12 < trained.grad_norms["theta"][0]


@pytest.mark.parametrize(("args", "message"), [
    ((0, 0.1, "sgd"), "--train must be a whole number"),
    ((3, 0.0, "sgd"), "--lr must be a finite number > 0"),
    ((3, float("nan"), "sgd"), "--lr must be"),
    ((3, 0.1, "rmsprop"), "unknown optimizer 'rmsprop'"),
])
def test_bad_options_say_so(args, message):
    with pytest.raises(GraphstepError, match=message):
        Training(sample("mlp"), *args)


def test_a_graph_without_params_or_scalar_loss_is_refused():
    import graphstep as gs

    graph = gs.trace(lambda: gs.input(np.ones(3), name="x") * 2)
    with pytest.raises(GraphstepError, match="no parameters to train"):
        Training(graph, 2, 0.1)


def test_resume_and_resume_back_cross_iterations_and_stop_at_breakpoints():
    graph = sample("mlp")
    training = Training(graph, 3, 0.1)
    per = training.steps_per_iteration
    assert training.resume("end") is None and training.position == per  # the update phase included
    assert training.resume("forward") is None and tuple(training.place)[:3] == (2, "forward", 7)
    training.stepper.toggle_breakpoint("H")
    found = training.resume("end")  # H's backward step, in iteration 2
    assert found is not None and found.reason == "breakpoint" and training.iteration == 1
    assert training.resume("end") is None and training.position == 2 * per
    found = training.resume("end")  # the breakpoint holds in iteration 3 too
    assert found is not None and training.iteration == 2 and training.stepper.position == 3
    back = training.resume_back()  # back over the boundary to iteration 2's backward step of H
    assert back is not None and training.iteration == 1 and training.stepper.position == Stepper(graph).step_of(
        graph.ids["H"], "backward")
    training.run_to(per + 16)  # into the update phase, then to a node: the updates are undone first
    training.run_to_node("Z2")
    assert training.updates == [] and training.stepper.current == graph.ids["Z2"]
