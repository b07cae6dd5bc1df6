"""Robust linear regression with the Huber loss, the two branches chosen by ``np.where``.

Quadratic for small residuals, linear beyond ``delta``: outliers pull on the fit
with a bounded force ±delta.
"""

import numpy as np

import graphstep as gs


def huber(r, delta=1.0):
    return np.where(np.abs(r) <= delta, 0.5 * r ** 2, delta * (np.abs(r) - 0.5 * delta))


@gs.computation
def huber_regression():
    rng = gs.rng(18)
    X_train = rng.standard_normal((12, 3))
    y_train = X_train @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(12)
    y_train[[2, 7]] += np.array([6.0, -5.0])              # two outliers
    X = gs.input(X_train, name="X")
    y = gs.input(y_train, name="y")
    w = gs.param(np.array([0.8, -1.5, 0.2]), name="w")
    b = gs.param(np.array(0.1), name="b")

    residual = X @ w + b - y
    return np.mean(huber(residual, delta=1.0))
