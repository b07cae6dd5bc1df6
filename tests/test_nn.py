"""graphstep.nn against closed forms: cross-entropy's (softmax − one-hot)/n, MSE's 2(p − t)/N."""

from __future__ import annotations

import numpy as np
import pytest

import graphstep as gs
from graphstep import nn

LOGITS = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 2.0], [0.3, 0.3, -0.4], [2.5, -0.5, 0.0]])
LABELS = np.array([2, 0, 1, 0])


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("form", ["indices", "one-hot", "traced indices"])
def test_cross_entropy_gradient_is_softmax_minus_one_hot(form):
    one_hot = np.eye(3)[LABELS]

    def fn(z):
        if form == "indices":
            return nn.cross_entropy(z, LABELS)
        if form == "one-hot":
            return nn.cross_entropy(z, one_hot)
        return nn.cross_entropy(z, gs.input(LABELS, name="labels"))

    walker = gs.Stepper(gs.trace(fn, LOGITS)).run()
    p = softmax(LOGITS)
    n = LOGITS.shape[0]
    np.testing.assert_allclose(walker.value(walker.graph.output), -np.mean(np.log(p[np.arange(n), LABELS])))
    np.testing.assert_allclose(walker.grad("z"), (p - one_hot) / n)


def test_mse_gradient():
    target = np.array([[0.5], [-1.0], [2.0]])
    prediction = np.array([[1.0], [1.0], [1.0]])
    walker = gs.Stepper(gs.trace(lambda p: nn.mse(p, target), prediction)).run()
    np.testing.assert_allclose(walker.value(walker.graph.output), np.mean((prediction - target) ** 2))
    np.testing.assert_allclose(walker.grad("p"), 2 * (prediction - target) / target.size)


def test_activations_and_their_gradients():
    x0 = np.array([-2.0, -0.5, 0.5, 3.0])
    walker = gs.Stepper(gs.trace(lambda x: (nn.sigmoid(x) + nn.relu(x)).sum(), x0)).run()
    s = 1 / (1 + np.exp(-x0))
    np.testing.assert_allclose(walker.value(walker.graph.output), np.sum(s + np.maximum(x0, 0)))
    np.testing.assert_allclose(walker.grad("x"), s * (1 - s) + (x0 > 0))


def test_softmax_rows_sum_to_one_and_log_softmax_matches():
    def fn(z):
        return (nn.softmax(z) * np.arange(3.0)).sum() + nn.log_softmax(z, axis=0).sum()

    graph = gs.trace(fn, LOGITS)
    walker = gs.Stepper(graph).run_forward()
    soft = next(n for n in graph.op_nodes if graph.node(n).op == "softmax")
    np.testing.assert_allclose(walker.value(soft).sum(axis=-1), np.ones(4))
    log_soft = next(n for n in graph.op_nodes if graph.node(n).op == "log_softmax")
    np.testing.assert_allclose(walker.value(log_soft), np.log(softmax(LOGITS.T).T))
    assert gs.gradcheck(graph).ok
