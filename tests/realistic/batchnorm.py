"""A two-layer net with batch normalization in the middle (CS231n's affine–batchnorm–relu).

Batch statistics are taken over axis 0 with ``keepdims``; the loss is a softmax
cross-entropy written by hand, averaged over the batch.
"""

import numpy as np

import graphstep as gs

N, D_IN, HIDDEN, CLASSES = 6, 5, 7, 3


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=0, keepdims=True)
    var = np.var(x, axis=0, keepdims=True)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta


@gs.computation
def batchnorm():
    rng = gs.rng(11)
    X = gs.input(rng.standard_normal((N, D_IN)), name="X")
    y = rng.integers(0, CLASSES, size=N)
    W1 = gs.param(rng.standard_normal((D_IN, HIDDEN)) * 0.5, name="W1")
    b1 = gs.param(np.zeros(HIDDEN), name="b1")
    gamma = gs.param(1.0 + 0.1 * rng.standard_normal(HIDDEN), name="gamma")
    beta = gs.param(0.1 * rng.standard_normal(HIDDEN), name="beta")
    W2 = gs.param(rng.standard_normal((HIDDEN, CLASSES)) * 0.5, name="W2")
    b2 = gs.param(np.zeros(CLASSES), name="b2")

    h = X @ W1 + b1
    h = batchnorm_forward(h, gamma, beta)
    h = np.maximum(0, h)
    scores = h @ W2 + b2
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].mean()
    return loss
