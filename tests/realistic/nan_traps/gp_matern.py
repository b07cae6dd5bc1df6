"""A Gaussian process with an anisotropic Matérn-3/2 kernel, r = ‖xᵢ/ℓ − xⱼ/ℓ‖ as scikit-learn computes it.

k(r) = σ²(1 + √3 r/ℓ) exp(−√3 r/ℓ).  On the diagonal r = √0 = 0 exactly, where
√ has an infinite slope but dk/dr = 0: the gradient arriving at √ is 0, and the
true derivative of the likelihood is finite (0·∞ must not print NaN).
"""

import numpy as np

import graphstep as gs


@gs.computation
def gp_matern():
    rng = gs.rng(35)
    X_train = rng.uniform(0, 5, size=(6, 2))
    y_train = np.sin(X_train[:, 0]) + 0.3 * X_train[:, 1] + 0.1 * rng.standard_normal(6)
    X = gs.input(X_train, name="X")
    y = gs.input(y_train, name="y")
    log_ell = gs.param(np.array([0.3, 0.8]), name="log_ell")      # one length scale per input dimension
    log_amp = gs.param(np.array(0.0), name="log_amp")
    log_noise = gs.param(np.array(-2.0), name="log_noise")

    Z = X / np.exp(log_ell)
    r = np.sqrt(np.sum((Z[:, None, :] - Z[None, :, :]) ** 2, axis=-1))
    K = np.exp(2 * log_amp) * (1 + np.sqrt(3) * r) * np.exp(-np.sqrt(3) * r)
    K = K + np.exp(2 * log_noise) * np.eye(len(y_train))
    alpha = np.linalg.solve(K, y)
    sign, logdet = np.linalg.slogdet(K)
    return 0.5 * y @ alpha + 0.5 * logdet + 0.5 * len(y_train) * np.log(2 * np.pi)
