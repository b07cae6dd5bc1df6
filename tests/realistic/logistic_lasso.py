"""L1-regularized logistic regression from a zero start, the stable softplus via ``np.logaddexp``.

log(1 + e^(−m)) = logaddexp(0, −m) with margins m = y·(Xw + b), y ∈ {−1, +1}.
At w = 0 the penalty λ‖w‖₁ sits on its kink: its (sub)gradient there is 0, as in
PyTorch and JAX, and as central differences measure.
"""

import numpy as np

import graphstep as gs


@gs.computation
def logistic_lasso():
    rng = gs.rng(28)
    X_train = rng.standard_normal((20, 5))
    y_train = np.where(X_train @ np.array([1.0, -1.0, 0.0, 0.5, 0.0]) > 0, 1.0, -1.0)
    X = gs.input(X_train, name="X")
    y = gs.input(y_train, name="y")
    w = gs.param(np.zeros(5), name="w")
    b = gs.param(np.array(0.0), name="b")
    lam = 0.05

    margins = y * (X @ w + b)
    loss = np.mean(np.logaddexp(0, -margins)) + lam * np.sum(np.abs(w))
    return loss
