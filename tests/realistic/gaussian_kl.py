"""KL divergence between two multivariate Gaussians, straight from the closed form.

KL(𝒩₀‖𝒩₁) = ½ [tr(Σ₁⁻¹Σ₀) + (μ₁−μ₀)ᵀΣ₁⁻¹(μ₁−μ₀) − k + ln(det Σ₁ / det Σ₀)],
with ``np.trace``, ``np.linalg.inv`` and ``np.linalg.det``; both covariances are
parameterized as A·Aᵀ + εI so they stay positive definite.
"""

import numpy as np

import graphstep as gs

K = 3


@gs.computation
def gaussian_kl():
    rng = gs.rng(29)
    mu0 = gs.param(rng.standard_normal(K), name="mu0")
    mu1 = gs.param(rng.standard_normal(K), name="mu1")
    A0 = gs.param(np.eye(K) + 0.3 * rng.standard_normal((K, K)), name="A0")
    A1 = gs.param(np.eye(K) + 0.3 * rng.standard_normal((K, K)), name="A1")

    S0 = A0 @ A0.T + 1e-3 * np.eye(K)
    S1 = A1 @ A1.T + 1e-3 * np.eye(K)
    S1_inv = np.linalg.inv(S1)
    diff = mu1 - mu0
    kl = 0.5 * (np.trace(S1_inv @ S0) + diff @ S1_inv @ diff - K + np.log(np.linalg.det(S1) / np.linalg.det(S0)))
    return kl
