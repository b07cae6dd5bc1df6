"""Negative log-likelihood of a 1-D Gaussian mixture, log-sum-exp written by hand.

log p(x) = log Σₖ πₖ 𝒩(x | μₖ, σₖ²): the per-component log terms are combined with
m + log Σ exp(a − m), m = max over components (the usual overflow-safe trick);
the weights come from a log-softmax of free logits, the scales from log σ.
"""

import numpy as np

import graphstep as gs

K = 3


def logsumexp(a, axis):
    m = np.max(a, axis=axis, keepdims=True)
    return m + np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True))


@gs.computation
def gmm_logsumexp():
    rng = gs.rng(19)
    data = np.concatenate([rng.normal(-2, 0.5, 8), rng.normal(1, 1.0, 8), rng.normal(4, 0.7, 8)])
    x = gs.input(data[:, None], name="x")                  # (24, 1)
    logits = gs.param(np.zeros(K), name="logits")
    mu = gs.param(np.array([-1.5, 0.5, 3.0]), name="mu")
    log_sigma = gs.param(np.zeros(K), name="log_sigma")

    log_pi = logits - logsumexp(logits, axis=0)
    sigma = np.exp(log_sigma)
    log_normal = -0.5 * ((x - mu) / sigma) ** 2 - log_sigma - 0.5 * np.log(2 * np.pi)   # (24, K)
    log_px = logsumexp(log_pi + log_normal, axis=1)
    return -np.mean(log_px)
