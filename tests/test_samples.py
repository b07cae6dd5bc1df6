"""Each sample's gradients equal the closed form of its seed (DESIGN.md's samples table)."""
# ruff: noqa: N803, N806 - X, W1, H… are the names of the maths

from __future__ import annotations

import numpy as np
import pytest
from support import REPO

import graphstep as gs


@pytest.fixture(scope="module")
def run_sample():
    """Load samples/NAME.py from the repository, trace it, run forward and backward."""

    def run(name: str) -> gs.Stepper:
        return gs.Stepper(gs.trace(gs.load(str(REPO / "samples" / f"{name}.py")))).run()

    return run


def leaf(walker: gs.Stepper, name: str) -> np.ndarray:
    return walker.value(name)


def test_double_gradient_is_two(run_sample):
    walker = run_sample("double")
    np.testing.assert_array_equal(walker.seed, np.ones(4))  # the seed the computation declares
    np.testing.assert_array_equal(walker.grad("x"), [2.0, 2.0, 2.0, 2.0])
    np.testing.assert_array_equal(walker.value(walker.graph.output), 2 * np.arange(4.0))


def test_myfunc_gradient_is_f_over_a(run_sample):
    walker = run_sample("myfunc")
    a = leaf(walker, "a")
    f = walker.value(walker.graph.output)
    np.testing.assert_allclose(walker.grad("a"), f / a)
    assert abs(f) >= 100  # the while loop ran until the norm reached 100


@pytest.mark.parametrize("a0", [0.01, 0.37, 3.0, 99.0, 150.0, -0.01, -0.8, -42.0, -150.0])
def test_myfunc_gradient_for_positive_and_negative_a(run_sample, a0):
    myFunc = gs.load(str(REPO / "samples" / "myfunc.py")).__globals__["myFunc"]
    graph = gs.trace(lambda a: myFunc(a), np.array(a0))
    walker = gs.Stepper(graph).run()
    f = walker.value(graph.output)
    # closed form: f = ±2^k·a with k the doublings needed to reach |·| ≥ 100, sign flipped when a < 0
    k = max(0, int(np.ceil(np.log2(100 / abs(a0)))))
    expected = 2.0 ** k * abs(a0)
    np.testing.assert_allclose(f, expected)
    np.testing.assert_allclose(walker.grad("a"), f / a0)
    assert np.sign(walker.grad("a")) == np.sign(a0)
    ops = [graph.node(n).op for n in graph.op_nodes]
    assert ops.count("norm") == k + 1  # the unrolled while: one test per iteration, plus the last


def test_regression_gradients(run_sample):
    walker = run_sample("regression")
    X, y = leaf(walker, "X"), leaf(walker, "y")
    b0, b1 = leaf(walker, "beta0"), leaf(walker, "beta1")
    n = X.shape[0]
    y_hat = b0 + X @ b1
    np.testing.assert_allclose(walker.grad("beta0"), np.mean(-2 * (y - y_hat)))
    np.testing.assert_allclose(walker.grad("beta1"), (1 / n) * X.T @ (-2 * (y - y_hat)))
    assert walker.grad("beta0").shape == () and walker.grad("beta1").shape == (5, 1)


def test_least_squares_gradient(run_sample):
    walker = run_sample("least_squares")
    X, y, theta = leaf(walker, "X"), leaf(walker, "y"), leaf(walker, "theta")
    np.testing.assert_allclose(walker.grad("theta"), 2 * X.T @ (X @ theta - y))
    np.testing.assert_allclose(walker.value(walker.graph.output), (X @ theta - y) @ (X @ theta - y))


def test_least_squares_gradient_vanishes_at_the_normal_equations():
    namespace = gs.load(str(REPO / "samples" / "least_squares.py")).__globals__
    cost, X, y = namespace["cost"], namespace["X_DATA"], namespace["Y_DATA"]
    best = np.linalg.solve(X.T @ X, X.T @ y)
    walker = gs.Stepper(gs.trace(lambda theta: cost(X, y, theta), best)).run()
    np.testing.assert_allclose(walker.grad("theta"), np.zeros(3), atol=1e-12)
    # and elsewhere it is 2Xᵀ(Xθ−y), not zero
    other = best + np.array([0.5, -0.25, 1.0])
    walker = gs.Stepper(gs.trace(lambda theta: cost(X, y, theta), other)).run()
    np.testing.assert_allclose(walker.grad("theta"), 2 * X.T @ (X @ other - y))
    assert np.linalg.norm(walker.grad("theta")) > 0.1


def test_linear_regression_gradient(run_sample):
    walker = run_sample("linear_regression")
    X, y, theta = leaf(walker, "X"), leaf(walker, "y"), leaf(walker, "theta")
    m = X.shape[0]
    np.testing.assert_allclose(walker.grad("theta"), X.T @ (X @ theta - y) / m)
    np.testing.assert_allclose(walker.value(walker.graph.output), np.sum((X @ theta - y) ** 2) / (2 * m))
    assert walker.grad("theta").shape == (3, 1)


def test_mlp_gradients_follow_the_G_recursion(run_sample):
    walker = run_sample("mlp")
    X, y = leaf(walker, "X"), leaf(walker, "y")
    W1, b1, W2 = leaf(walker, "W1"), leaf(walker, "b1"), leaf(walker, "W2")
    m = X.shape[0]
    # forward: Z1 = X·W1 + b1, H = tanh Z1, Z2 = H·W2, J = mean((Z2 − y)²)
    H = np.tanh(X @ W1 + b1)
    Z2 = H @ W2
    # seeds/002: G2 = ∂J/∂Z2; dW2 = Hᵀ·G2; G1 = (G2·W2ᵀ) ⊙ σ'(Z1); dW1 = Xᵀ·G1
    G2 = 2 * (Z2 - y) / (m * y.shape[1])
    G1 = (G2 @ W2.T) * (1 - H ** 2)
    np.testing.assert_allclose(walker.grad("W2"), H.T @ G2)
    np.testing.assert_allclose(walker.grad("W1"), X.T @ G1)
    np.testing.assert_allclose(walker.grad("b1"), G1.sum(axis=0))
    np.testing.assert_allclose(walker.grad("H"), G2 @ W2.T)
    np.testing.assert_allclose(walker.grad("Z2"), G2)
