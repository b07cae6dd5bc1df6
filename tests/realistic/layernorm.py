"""Layer normalization over the feature axis, followed by a linear read-out (transformer style).

Statistics are per row (``axis=-1, keepdims=True``), so each sample is normalized
on its own; the loss is a mean squared error on a (batch, time, features) tensor.
"""

import numpy as np

import graphstep as gs


def layer_norm(x, g, b, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)
    return g * (x - mean) / np.sqrt(variance + eps) + b


@gs.computation
def layernorm():
    rng = gs.rng(5)
    x = gs.param(rng.standard_normal((2, 3, 6)) * 2.0 + 1.0, name="x")
    g = gs.param(np.ones(6) + 0.1 * rng.standard_normal(6), name="g")
    b = gs.param(np.zeros(6), name="b")
    W = gs.param(rng.standard_normal((6, 4)) * 0.3, name="W")
    target = gs.input(rng.standard_normal((2, 3, 4)), name="target")

    h = layer_norm(x, g, b)
    out = h @ W
    return np.mean((out - target) ** 2)
