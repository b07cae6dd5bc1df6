"""A discrete-time survival model: per-interval hazards, survival as their cumulative product.

S(t) = Πₛ≤ₜ (1 − hₛ) via ``np.cumprod``; an event in interval t contributes
h_t·S(t−1), a censoring after t contributes S(t).  The per-subject terms are
gathered with ``np.take_along_axis``.
"""

import numpy as np

import graphstep as gs

N, D, T = 6, 3, 5


@gs.computation
def discrete_survival():
    rng = gs.rng(31)
    X = gs.input(rng.standard_normal((N, D)), name="X")
    interval = rng.integers(0, T, size=N)
    event = np.array([1, 0, 1, 1, 0, 1])
    W = gs.param(rng.standard_normal((D, T)) * 0.3, name="W")
    b = gs.param(np.full(T, -1.0), name="b")

    hazard = 1 / (1 + np.exp(-(X @ W + b)))            # (N, T)
    survival = np.cumprod(1 - hazard, axis=1)          # S(t)
    survival_before = survival / (1 - hazard)          # S(t−1)
    idx = interval[:, None]
    h_t = np.take_along_axis(hazard, idx, axis=1)[:, 0]
    s_t = np.take_along_axis(survival, idx, axis=1)[:, 0]
    s_prev = np.take_along_axis(survival_before, idx, axis=1)[:, 0]
    log_lik = np.where(event == 1, np.log(h_t) + np.log(s_prev), np.log(s_t))
    return -np.mean(log_lik)
