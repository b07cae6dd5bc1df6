"""Multi-head self-attention on a (batch, time, channels) input, as course code writes it.

One fused projection makes q, k and v (``np.split``); heads are split off with
reshape + transpose to (B, H, T, D); scores use ``k.transpose(0, 1, -1, -2)``;
the softmax is written by hand with max-subtraction; heads are merged back.
"""

import numpy as np

import graphstep as gs

B, T, C, H = 2, 4, 8, 2
D = C // H


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def split_heads(x):
    return x.reshape(B, T, H, D).transpose(0, 2, 1, 3)


@gs.computation
def multihead_attention():
    rng = gs.rng(3)
    x = gs.input(rng.standard_normal((B, T, C)), name="x")
    target = gs.input(rng.standard_normal((B, T, C)), name="target")
    W_qkv = gs.param(rng.standard_normal((C, 3 * C)) / np.sqrt(C), name="W_qkv")
    b_qkv = gs.param(np.zeros(3 * C), name="b_qkv")
    W_o = gs.param(rng.standard_normal((C, C)) / np.sqrt(C), name="W_o")

    qkv = x @ W_qkv + b_qkv
    q, k, v = np.split(qkv, 3, axis=-1)
    q, k, v = split_heads(q), split_heads(k), split_heads(v)      # (B, H, T, D)
    att = q @ k.transpose(0, 1, -1, -2) / np.sqrt(D)              # (B, H, T, T)
    att = softmax(att)
    out = att @ v                                                 # (B, H, T, D)
    out = out.transpose(0, 2, 1, 3).reshape(B, T, C)
    y = out @ W_o
    loss = np.mean((y - target) ** 2)
    return loss
