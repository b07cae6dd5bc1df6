"""A one-hidden-layer classifier trained with ``gs.nn.cross_entropy`` and L2 weight decay."""

import numpy as np

import graphstep as gs

N, D, HIDDEN, C = 12, 4, 8, 3


@gs.computation
def softmax_classifier():
    rng = gs.rng(16)
    X = gs.input(rng.standard_normal((N, D)), name="X")
    y = rng.integers(0, C, size=N)
    W1 = gs.param(rng.standard_normal((D, HIDDEN)) * 0.5, name="W1")
    b1 = gs.param(np.zeros(HIDDEN), name="b1")
    W2 = gs.param(rng.standard_normal((HIDDEN, C)) * 0.5, name="W2")
    b2 = gs.param(np.zeros(C), name="b2")

    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    loss = gs.nn.cross_entropy(logits, y) + 1e-3 * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    return loss
