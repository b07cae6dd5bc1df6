"""The classic first mistake: an MLP whose weights all start at zero (the symmetry lesson).

Every hidden pre-activation is exactly 0, so ``np.maximum(0, z)`` sits on its
tie for every unit.  There the two sides share the gradient, ½ each (as JAX and
PyTorch's ``maximum`` do, and as central differences measure), and every hidden
unit receives the same gradient: they stay identical forever.
"""

import numpy as np

import graphstep as gs


@gs.computation
def zero_init_mlp():
    rng = gs.rng(24)
    X = gs.input(rng.standard_normal((6, 3)), name="X")
    y = gs.input(rng.standard_normal((6, 1)), name="y")
    W1 = gs.param(np.zeros((3, 4)), name="W1")
    b1 = gs.param(np.zeros(4), name="b1")
    W2 = gs.param(np.full((4, 1), 0.1), name="W2")
    b2 = gs.param(np.zeros(1), name="b2")

    h = np.maximum(0, X @ W1 + b1)
    pred = h @ W2 + b2
    return np.mean((pred - y) ** 2)
