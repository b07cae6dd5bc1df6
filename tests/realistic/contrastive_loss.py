"""Contrastive loss over every pair (Hadsell, Chopra & LeCun 2006), distances from ``np.linalg.norm``.

D = ‖eᵢ − eⱼ‖ for all pairs, the diagonal included: there eᵢ − eᵢ = 0, the
norm sits at its kink, and the gradient arriving is 2·Dᵢᵢ = 0.  The true
derivative is 0 (Dᵢᵢ does not move, whatever the weights); a rule computing
0·(0/0) would print NaN.
"""

import numpy as np

import graphstep as gs


@gs.computation
def contrastive_loss():
    rng = gs.rng(25)
    labels = np.array([0, 0, 1, 1, 2, 2])
    X = gs.input(rng.standard_normal((6, 4)) + labels[:, None], name="X")
    W = gs.param(rng.standard_normal((4, 3)) * 0.5, name="W")
    margin = 2.0

    emb = X @ W
    D = np.linalg.norm(emb[:, None, :] - emb[None, :, :], axis=-1)         # (6, 6), zero diagonal
    same = (labels[:, None] == labels[None, :]).astype(float)
    pair_loss = same * D ** 2 + (1 - same) * np.maximum(0, margin - D) ** 2
    return pair_loss.mean()
