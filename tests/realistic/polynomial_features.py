"""Polynomial regression on features centred at a learned point c.

``np.stack([(x - c) ** k for k in range(4)], axis=1)``: the k = 0 column is
(x − c)⁰ = 1, and one sample sits exactly at x = c, where its derivative
0·(x − c)⁻¹ must be 0, not NaN.
"""

import numpy as np

import graphstep as gs


@gs.computation
def polynomial_features():
    x_train = np.linspace(-1, 1, 9)                      # x = 0 is one of the samples
    y_train = 0.5 - x_train + 2 * x_train ** 3
    x = gs.input(x_train, name="x")
    y = gs.input(y_train, name="y")
    c = gs.param(np.array(0.0), name="c")
    w = gs.param(np.array([0.1, -0.2, 0.3, 0.4]), name="w")

    features = np.stack([(x - c) ** k for k in range(4)], axis=1)     # (9, 4)
    pred = features @ w
    return np.mean((pred - y) ** 2)
