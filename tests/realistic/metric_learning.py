"""A triplet loss on learned embeddings, pairwise distances with ``np.einsum``.

Embeddings E = tanh(X·W); squared distances ‖eᵢ−eⱼ‖² = eᵢ·eᵢ + eⱼ·eⱼ − 2 eᵢ·eⱼ,
every term an einsum; each anchor is paired with its hardest positive and a
fixed negative, hinge ``np.maximum(0, d_ap − d_an + margin)``.
"""

import numpy as np

import graphstep as gs

N, D, E = 8, 5, 3


@gs.computation
def metric_learning():
    rng = gs.rng(13)
    labels = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    X = gs.input(rng.standard_normal((N, D)) + labels[:, None], name="X")
    W = gs.param(rng.standard_normal((D, E)) * 0.4, name="W")

    emb = np.tanh(np.einsum("nd,de->ne", X, W))
    sq = np.einsum("ij,ij->i", emb, emb)
    dist = sq[:, None] + sq[None, :] - 2 * np.einsum("ik,jk->ij", emb, emb)

    positive = np.array([1, 0, 3, 2, 5, 4, 7, 6])         # the other sample of the same label
    negative = (positive + 2) % N
    d_ap = dist[np.arange(N), positive]
    d_an = dist[np.arange(N), negative]
    margin = 0.5
    loss = np.mean(np.maximum(0, d_ap - d_an + margin))
    return loss
