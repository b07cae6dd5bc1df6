"""Per-sample gradients: their mean is the batch gradient when the loss averages over the batch (seeds/000)."""
# ruff: noqa: N803, N806 - X, W1, H… are the names of the maths

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.errors import GraphstepError
from graphstep.persample import batch_size, per_sample_gradients

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "samples"


def sample(name: str) -> gs.Graph:
    return gs.trace(gs.load(str(SAMPLES_DIR / f"{name}.py")))


def leaf(graph: gs.Graph, name: str) -> np.ndarray:
    return graph.leaf_values[graph.ids[name]]


@pytest.mark.parametrize("param", ["beta0", "beta1"])
def test_regression_per_sample_gradients_average_to_the_batch_gradient(param):
    graph = sample("regression")
    result = per_sample_gradients(graph, param)
    X, y, b0, b1 = (leaf(graph, k) for k in ("X", "y", "beta0", "beta1"))
    r = y - (b0 + X @ b1)  # (10×1)
    # one sample: loss_i = (y_i − ŷ_i)², so dβ0_i = −2 r_i and dβ1_i = −2 r_i x_iᵀ
    expected = -2 * r[:, 0] if param == "beta0" else (-2 * r[:, :, None] * X[:, :, None])
    assert result.n == 10 and result.grads.shape == (10, *np.shape(leaf(graph, param)))
    np.testing.assert_allclose(result.grads, expected.reshape(result.grads.shape), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result.mean, result.batch, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.batch, gs.Stepper(graph).run().grad(param), rtol=0, atol=0)
    assert result.ok and result.kind == "mean" and result.max_abs_diff < 1e-12
    assert np.isclose(result.ratio, 1.0)
    assert result.rows_of == ("X", "y")


@pytest.mark.parametrize("param", ["W1", "b1", "W2"])
def test_mlp_per_sample_gradients_follow_the_G_recursion_for_one_row(param):
    graph = sample("mlp")
    result = per_sample_gradients(graph, param)
    X, y, W1, b1, W2 = (leaf(graph, k) for k in ("X", "y", "W1", "b1", "W2"))
    for i in range(8):  # seeds/002 with a batch of one: m = 1
        x = X[i:i + 1]
        H = np.tanh(x @ W1 + b1)
        G2 = 2 * (H @ W2 - y[i:i + 1])
        G1 = (G2 @ W2.T) * (1 - H ** 2)
        expected = {"W1": x.T @ G1, "b1": G1.sum(axis=0), "W2": H.T @ G2}[param]
        np.testing.assert_allclose(result.grads[i], expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.mean, result.batch, rtol=0, atol=1e-12)
    assert result.ok


def test_a_sum_loss_gives_n_times_the_mean():
    rng = np.random.default_rng(4)
    X_data, y_data = rng.standard_normal((6, 3)), rng.standard_normal((6, 1))

    def summed():
        X, y = gs.input(X_data, name="X"), gs.input(y_data, name="y")
        w = gs.param(np.full((3, 1), 0.5), name="w")
        return gnp.sum((X @ w - y) ** 2)

    result = per_sample_gradients(gs.trace(summed), "w")
    w = np.full((3, 1), 0.5)
    np.testing.assert_allclose(result.batch, 2 * X_data.T @ (X_data @ w - y_data))
    np.testing.assert_allclose(result.n * result.mean, result.batch, rtol=1e-12)
    assert not result.ok and result.kind == "sum" and np.isclose(result.ratio, 6.0)
    assert "batch = 6 × mean" in str(result) and "sum of the per-sample gradients" in str(result)


def test_least_squares_sums_over_samples():
    result = per_sample_gradients(sample("least_squares"), "theta")
    assert result.kind == "sum" and np.isclose(result.ratio, result.n)


def test_samples_that_interact_are_neither_mean_nor_sum():
    data = np.array([[1.0], [2.0], [4.0]])

    def centred():
        x = gs.input(data, name="x")
        w = gs.param(np.array(1.5), name="w")
        z = x * w
        return gnp.mean((z - gnp.mean(z)) ** 2)  # a batch statistic: one sample alone has variance 0

    result = per_sample_gradients(gs.trace(centred), "w")
    np.testing.assert_array_equal(result.grads, np.zeros(3))
    # d/dw var(w·x) = 2 w var(x)
    np.testing.assert_allclose(result.batch, 2 * 1.5 * np.var(data))
    assert result.kind == "other" and "samples interact" in str(result)


def test_table_lines():
    result = per_sample_gradients(sample("regression"), "beta1")
    lines = result.lines()
    assert lines[0] == "per-sample gradients of beta1 (5×1), n = 10 (rows of X, y)"
    assert any(line.strip().startswith("sample 0 ") for line in lines)
    assert any("…" in line and "3 more" in line for line in lines)  # 10 rows: the middle is elided
    assert any(line.strip().startswith("sample 9 ") for line in lines)
    assert any(line.strip().startswith("mean of per-sample") for line in lines)
    assert any(line.strip().startswith("batch gradient") for line in lines)
    assert lines[-1].startswith("✓ the batch gradient is the mean")
    assert str(result) == "\n".join(lines)


# ───────────────────────────── the batch size ─────────────────────────────


def _graph_with_inputs(*shapes):
    def fn():
        xs = [gs.input(np.ones(s), name=f"x{i}") for i, s in enumerate(shapes)]
        w = gs.param(np.ones(()), name="w")
        return sum((x.sum() for x in xs), w * 0.0)

    return gs.trace(fn)


def test_batch_size_is_the_shared_leading_dimension_or_the_most_common_one():
    assert batch_size(_graph_with_inputs((5, 2), (5,))) == 5
    assert batch_size(_graph_with_inputs((4, 3), (4, 1), (3, 3), ())) == 4
    assert batch_size(_graph_with_inputs((1, 3), (1,))) == 1
    with pytest.raises(GraphstepError, match="no batch to split"):
        batch_size(_graph_with_inputs((), ()))  # scalars only: no leading axis
    with pytest.raises(GraphstepError, match="no batch to split"):
        per_sample_gradients(sample("myfunc"), "a")


def test_batch_size_can_be_given():
    result = per_sample_gradients(_graph_with_inputs((4, 3), (3, 3)), "w", n=3)
    assert result.n == 3 and result.rows_of == ("x1",)


# ───────────────────────────── errors ─────────────────────────────


def test_a_reshape_fixed_to_the_batch_names_its_node_and_line():
    path = SAMPLES_DIR.parent / "tests" / "test_persample.py"

    def reshaped():
        X = gs.input(np.arange(12.0).reshape(4, 3), name="X")
        w = gs.param(np.ones(12), name="w")
        flat = gnp.reshape(X, (12,))  # fixed to a batch of 4
        return gnp.sum(flat * w)

    with pytest.raises(GraphstepError) as err:
        per_sample_gradients(gs.trace(reshaped), "w")
    text = err.value.summary()
    line = next(n for n, t in enumerate(path.read_text().splitlines(), start=1) if "flat = gnp.reshape" in t)
    assert f"test_persample.py:{line}" in text and "flat (reshape" in text and "sample 0" in text
    assert "depend on the batch size" in text


def test_bad_params_and_outputs_are_refused():
    with pytest.raises(GraphstepError, match="'X' is not a param") as err:
        per_sample_gradients(sample("mlp"), "X")
    assert "W1, b1, W2" in err.value.summary()
    with pytest.raises(GraphstepError, match="need a scalar loss"):
        per_sample_gradients(sample("double"), "x")


def test_constants_with_a_batch_axis_are_noted():
    def with_const():
        X = gs.input(np.ones((3, 2)), name="X")
        c = gs.const(np.ones((3, 1)), name="c")
        w = gs.param(np.ones((2, 1)), name="w")
        return gnp.mean(X @ w * c)

    result = per_sample_gradients(gs.trace(with_const), "w")
    assert any("constant c (3×1)" in note for note in result.notes)
    assert any(line.startswith("note: constant c") for line in result.lines())
