"""Fitting a full-covariance Gaussian by maximum likelihood, Σ = L·Lᵀ with L lower-triangular.

The free parameters pass through ``np.tril``; the log-determinant comes from
``np.linalg.slogdet`` and the Mahalanobis terms from ``np.linalg.solve`` and
``np.einsum``.
"""

import numpy as np

import graphstep as gs

D = 3


@gs.computation
def mvn_loglik():
    rng = gs.rng(12)
    A = rng.standard_normal((D, D))
    data = rng.standard_normal((20, D)) @ A.T + np.array([1.0, -2.0, 0.5])
    X = gs.input(data, name="X")
    mu = gs.param(np.zeros(D), name="mu")
    L_raw = gs.param(np.eye(D) + 0.2 * rng.standard_normal((D, D)), name="L_raw")

    L = np.tril(L_raw)
    Sigma = L @ L.T + 1e-3 * np.eye(D)
    diff = X - mu                                          # (n, D)
    sign, logdet = np.linalg.slogdet(Sigma)
    sol = np.linalg.solve(Sigma, diff.T)                   # (D, n)
    maha = np.einsum("ij,ji->i", diff, sol)
    nll = 0.5 * np.mean(maha) + 0.5 * logdet + 0.5 * D * np.log(2 * np.pi)
    return nll
