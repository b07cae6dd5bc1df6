"""Batch normalization couples the samples of a batch: backward sees the whole batch at once.

Z = X·W1 + b1 is normalized per feature over the batch axis,
Ẑ = (Z − μ)/σ with μ and σ² = var taken over axis 0, then scaled: Y = γ⊙Ẑ + β.
Because μ and σ depend on every row, each row's gradient dZ depends on all of
dY.  Everything collapses to one closed form per feature:

    dZ = (γ/σ) ⊙ (dY − mean(dY) − Ẑ ⊙ mean(dY ⊙ Ẑ)),   dγ = Σ dY ⊙ Ẑ,   dβ = Σ dY

Look for: dZ sums to zero over the batch (moving a feature's inputs together
changes nothing after normalization) and so the bias b1 gets a zero gradient:
the mean subtraction cancels it, which is why layers before batch norm drop
their bias.  Watch the mean and var nodes receive gradient from the whole batch.
"""

import numpy as np

import graphstep as gs

EPS = 1e-5


@gs.computation
def batchnorm():
    rng = gs.rng(0)
    X = gs.input(rng.standard_normal((8, 4)), name="X")
    y = gs.input(rng.standard_normal((8, 1)), name="y")
    W1 = gs.param(rng.standard_normal((4, 6)) * 0.5, name="W1")
    b1 = gs.param(0.1 * rng.standard_normal(6), name="b1")   # cancelled by the mean subtraction
    gamma = gs.param(np.ones(6), name="gamma")
    beta = gs.param(np.zeros(6), name="beta")
    W2 = gs.param(rng.standard_normal((6, 1)) * 0.5, name="W2")

    Z = X @ W1 + b1                                  # (8×6)
    mu = np.mean(Z, axis=0, keepdims=True)           # (1×6): one mean per feature, over the batch
    var = np.var(Z, axis=0, keepdims=True)           # (1×6)
    Z_hat = (Z - mu) / np.sqrt(var + EPS)
    Y = gamma * Z_hat + beta
    H = np.tanh(Y)
    loss = np.mean((H @ W2 - y) ** 2)
    return loss
