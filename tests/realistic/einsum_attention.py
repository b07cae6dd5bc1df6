"""Causal multi-head attention written with ``np.einsum`` (the einops-era idiom).

Heads are moved with ``np.moveaxis``; scores are ``einsum('bhqd,bhkd->bhqk')``;
future positions get −inf from a ``np.tril`` mask via ``np.where``; the output
is ``einsum('bhqk,bhkd->bhqd')``, heads joined again with ``swapaxes`` and reshape.
"""

import numpy as np

import graphstep as gs

B, T, C, H = 2, 4, 6, 3
D = C // H


@gs.computation
def einsum_attention():
    rng = gs.rng(32)
    x = gs.input(rng.standard_normal((B, T, C)), name="x")
    Wq = gs.param(rng.standard_normal((C, C)) / np.sqrt(C), name="Wq")
    Wk = gs.param(rng.standard_normal((C, C)) / np.sqrt(C), name="Wk")
    Wv = gs.param(rng.standard_normal((C, C)) / np.sqrt(C), name="Wv")
    w_out = gs.param(rng.standard_normal(C), name="w_out")

    def heads(W):
        return np.moveaxis((x @ W).reshape(B, T, H, D), 2, 1)        # (B, H, T, D)

    q, k, v = heads(Wq), heads(Wk), heads(Wv)
    scores = np.einsum("bhqd,bhkd->bhqk", q, k) / np.sqrt(D)
    causal = np.tril(np.ones((T, T), dtype=bool))
    scores = np.where(causal, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    out = np.einsum("bhqk,bhkd->bhqd", weights, v)
    out = out.swapaxes(1, 2).reshape(B, T, C)
    return np.mean(np.tanh(out @ w_out) ** 2)
