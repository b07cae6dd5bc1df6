"""Negative log marginal likelihood of a Gaussian process, written straight from the textbook.

K = σ_f²·exp(−‖xᵢ−xⱼ‖²/(2ℓ²)) + σ_n²·I and
−log p(y) = ½ yᵀK⁻¹y + ½ log det K + (n/2) log 2π, with ``np.linalg.inv`` and
``np.linalg.det``; the hyperparameters are learned in log space.
"""

import numpy as np

import graphstep as gs


def rbf_kernel(X1, X2, length_scale, sigma_f):
    sqdist = np.sum(X1 ** 2, 1).reshape(-1, 1) + np.sum(X2 ** 2, 1) - 2 * X1 @ X2.T
    return sigma_f ** 2 * np.exp(-0.5 / length_scale ** 2 * sqdist)


@gs.computation
def gp_nll():
    rng = gs.rng(9)
    X_train = rng.uniform(-3, 3, size=(7, 1))
    y_train = np.sin(X_train) + 0.1 * rng.standard_normal((7, 1))
    X = gs.input(X_train, name="X")
    y = gs.input(y_train, name="y")
    log_l = gs.param(np.array(0.2), name="log_l")
    log_sigma_f = gs.param(np.array(0.1), name="log_sigma_f")
    log_noise = gs.param(np.array(-1.5), name="log_noise")

    n = X.shape[0]
    K = rbf_kernel(X, X, np.exp(log_l), np.exp(log_sigma_f)) + np.exp(log_noise) ** 2 * np.eye(n)
    nll = 0.5 * y.T @ np.linalg.inv(K) @ y + 0.5 * np.log(np.linalg.det(K)) + 0.5 * n * np.log(2 * np.pi)
    return nll[0, 0]
