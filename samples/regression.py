"""Regression with row-vector samples, MSE averaged over a batch (seeds/000).

The formula is ŷ = β0 + xᵀβ1 for one column-vector sample; with samples as rows
the code reads ``b0 + X @ b1``.  The batch gradient is the mean of per-sample
gradients: dβ0 = mean(−2(y−ŷ)), dβ1 = (1/n)·Xᵀ(−2(y−ŷ)).  Watch b0 (a scalar
added to a (10×1) column) get its gradient by summing over the batch.
"""

import numpy as np

import graphstep as gs
from graphstep import numpy as gnp


@gs.computation
def regression():
    rng = gs.rng(0)
    X = gs.input(rng.standard_normal((10, 5)), name="X")
    y = gs.input(rng.standard_normal((10, 1)), name="y")
    b0 = gs.param(np.zeros(()), name="beta0")
    b1 = gs.param(rng.standard_normal((5, 1)) * 0.1, name="beta1")
    y_hat = b0 + X @ b1
    return gnp.mean((y - y_hat) ** 2)
