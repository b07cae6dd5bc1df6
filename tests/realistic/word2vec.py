"""Skip-gram with negative sampling (CS224n assignment 2), for a batch of (center, outside) pairs.

Embeddings are looked up by fancy indexing (a word may appear twice: its rows'
gradients add up); scores are ``np.dot`` products; −log σ(uₒ·v_c) − Σ log σ(−uₖ·v_c).
"""

import numpy as np

import graphstep as gs

VOCAB, DIM, NEG = 7, 4, 3


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def neg_sampling_loss(v_c, outside_idx, neg_idx, U):
    u_o = U[outside_idx]
    loss = -np.log(sigmoid(np.dot(u_o, v_c)))
    u_neg = U[neg_idx]                                    # (NEG, DIM)
    loss = loss - np.sum(np.log(sigmoid(-np.dot(u_neg, v_c))))
    return loss


@gs.computation
def word2vec():
    rng = gs.rng(20)
    V = gs.param(rng.standard_normal((VOCAB, DIM)) * 0.5, name="V")    # center vectors
    U = gs.param(rng.standard_normal((VOCAB, DIM)) * 0.5, name="U")    # outside vectors
    pairs = [(0, 1), (2, 1), (0, 3), (5, 6)]
    negatives = rng.integers(0, VOCAB, size=(len(pairs), NEG))

    loss = 0.0
    for (center, outside), neg in zip(pairs, negatives):
        loss = loss + neg_sampling_loss(V[center], outside, neg, U)
    return loss / len(pairs)
