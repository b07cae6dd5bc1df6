"""A 6-layer MLP written with a loop: what real graphs look like, and how graphstep folds them.

Each hidden layer is a call of ``layer``, ``H(l) = tanh(H(l−1)·W(l) + b(l))``,
on the same shapes, so graphstep finds six calls doing the same thing and can
draw them as one block "× 6" (``z`` in the TUI), opening the layer being
stepped.  Backward runs the G recursion of seeds/002 through all six:
G(l−1) = (G(l) ⊙ (1 − H(l)²))·W(l)ᵀ and dW(l) = H(l−1)ᵀ·(G(l) ⊙ (1 − H(l)²)).
"""

import numpy as np

import graphstep as gs
from graphstep import numpy as gnp

LAYERS = 6
WIDTH = 16


def layer(H, W, b):
    Z = H @ W + b
    return gnp.tanh(Z)


@gs.computation
def deep_mlp():
    rng = gs.rng(0)
    X = gs.input(rng.standard_normal((8, WIDTH)), name="X")
    y = gs.input(rng.standard_normal((8, 1)), name="y")
    H = X
    for k in range(1, LAYERS + 1):
        W = gs.param(rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH), name=f"W{k}")
        b = gs.param(np.zeros(WIDTH), name=f"b{k}")
        H = layer(H, W, b)
    w_out = gs.param(rng.standard_normal((WIDTH, 1)) / np.sqrt(WIDTH), name="w_out")
    loss = gnp.mean((H @ w_out - y) ** 2)
    return loss
