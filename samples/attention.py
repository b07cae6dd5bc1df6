"""Multi-head self-attention with 4-D heads, the way NumPy transformer code is written.

Heads are a reshape and a transpose: (B, T, C) → (B, T, H, D) → (B, H, T, D);
scores are ``q @ k.transpose(0, 1, -1, -2) / √D``, one (T×T) matrix per batch and
head, and the softmax is written by hand, max subtracted for stability.

Backward undoes each move: a transpose's gradient is the inverse permutation
(the negative axes −1, −2 included), a reshape's is a reshape back.  The matmuls
are batched over (B, H): dv = Pᵀ·G and dP = G·vᵀ per head.  The softmax gives
dS = P ⊙ (dP − Σⱼ dP ⊙ P), whose rows sum to zero — adding a constant to a row
of scores changes nothing — so the max subtracted for stability receives a zero
gradient: it only protects exp from overflow.
"""

import numpy as np

import graphstep as gs

B, T, C, H = 2, 5, 8, 2          # batch, time, channels, heads
D = C // H                        # channels per head


@gs.computation
def attention():
    rng = gs.rng(0)
    x = gs.input(rng.standard_normal((B, T, C)), name="x")
    target = gs.input(rng.standard_normal((B, T, C)), name="target")
    Wq = gs.param(rng.standard_normal((C, C)) / np.sqrt(C), name="Wq")
    Wk = gs.param(rng.standard_normal((C, C)) / np.sqrt(C), name="Wk")
    Wv = gs.param(rng.standard_normal((C, C)) / np.sqrt(C), name="Wv")
    Wo = gs.param(rng.standard_normal((C, C)) / np.sqrt(C), name="Wo")

    q = (x @ Wq).reshape(B, T, H, D).transpose(0, 2, 1, 3)      # (B, H, T, D)
    k = (x @ Wk).reshape(B, T, H, D).transpose(0, 2, 1, 3)
    v = (x @ Wv).reshape(B, T, H, D).transpose(0, 2, 1, 3)
    scores = q @ k.transpose(0, 1, -1, -2) / np.sqrt(D)          # (B, H, T, T)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    P = e / e.sum(axis=-1, keepdims=True)                       # each row sums to 1
    ctx = P @ v                                                 # (B, H, T, D): one context vector per query
    out = ctx.transpose(0, 2, 1, 3).reshape(B, T, C) @ Wo       # heads side by side again
    loss = np.mean((out - target) ** 2)
    return loss
