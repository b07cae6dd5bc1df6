"""Cross-entropy with label smoothing, targets gathered with ``np.take_along_axis``.

The smoothed target puts 1 − ε on the true class and ε/(C−1) elsewhere; the loss
is written as (1 − ε − ε/(C−1))·(−log p_y) + ε/(C−1)·Σ_c(−log p_c), log-softmax by hand.
"""

import numpy as np

import graphstep as gs

N, D, C = 8, 5, 4


@gs.computation
def label_smoothing():
    rng = gs.rng(34)
    X = gs.input(rng.standard_normal((N, D)), name="X")
    y = rng.integers(0, C, size=N)
    W = gs.param(rng.standard_normal((D, C)) * 0.5, name="W")
    b = gs.param(np.zeros(C), name="b")
    eps = 0.1

    logits = X @ W + b
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    nll = -np.take_along_axis(log_probs, y[:, None], axis=1).squeeze(1)
    smooth = -log_probs.sum(axis=1)
    off = eps / (C - 1)
    loss = (1 - eps - off) * nll + off * smooth
    return loss.mean()
