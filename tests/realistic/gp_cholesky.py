"""The same Gaussian-process likelihood the stable way (Rasmussen & Williams, Algorithm 2.1).

L = cholesky(K), α = Lᵀ \\ (L \\ y), −log p(y) = ½ yᵀα + Σ log Lᵢᵢ + (n/2) log 2π,
with ``np.linalg.cholesky``, ``np.linalg.solve`` and ``np.diag``; the kernel's
pairwise distances are built by broadcasting.
"""

import numpy as np

import graphstep as gs


@gs.computation
def gp_cholesky():
    rng = gs.rng(10)
    X_train = rng.uniform(-2, 2, size=(6, 2))
    y_train = np.cos(X_train[:, 0]) + 0.5 * X_train[:, 1] + 0.05 * rng.standard_normal(6)
    X = gs.input(X_train, name="X")
    y = gs.input(y_train, name="y")
    log_ell = gs.param(np.array([0.3, -0.2]), name="log_ell")     # one length scale per input dimension
    log_amp = gs.param(np.array(0.0), name="log_amp")
    log_noise = gs.param(np.array(-1.0), name="log_noise")

    n = len(y_train)
    Z = X / np.exp(log_ell)
    diff = Z[:, None, :] - Z[None, :, :]
    K = np.exp(2 * log_amp) * np.exp(-0.5 * np.sum(diff ** 2, axis=-1))
    K = K + (np.exp(2 * log_noise) + 1e-8) * np.eye(n)
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    nll = 0.5 * y @ alpha + np.sum(np.log(np.diag(L))) + 0.5 * n * np.log(2 * np.pi)
    return nll
