"""Cox proportional-hazards partial likelihood (DeepSurv's loss) with a linear risk score.

Sorted by decreasing time, each event's risk set is everyone before it, so the
denominators are a cumulative sum: log Σ_{j ∈ R(i)} exp(ηⱼ) = log cumsum(exp η)ᵢ.
"""

import numpy as np

import graphstep as gs


@gs.computation
def cox_ph():
    rng = gs.rng(21)
    X_train = rng.standard_normal((10, 3))
    time = rng.exponential(1.0, size=10)
    event = rng.random(10) < 0.7
    order = np.argsort(-time)                             # longest survivors first
    X = gs.input(X_train[order], name="X")
    observed = event[order].astype(float)
    beta = gs.param(np.array([0.3, -0.5, 0.1]), name="beta")

    eta = X @ beta
    log_risk = np.log(np.cumsum(np.exp(eta)))
    partial_ll = np.sum((eta - log_risk) * observed)
    return -partial_ll / np.sum(observed)
