"""A two-layer MLP, Z(l+1) = σ(Z(l)·W(l+1)), trained on an 8-sample batch (seeds/002).

Backward computes G(l) = ∂J/∂Z(l) from G(l+1), layer by layer:
G(l) = (G(l+1) ⊙ σ'(Z(l+1)))·W(l+1)ᵀ and dW(l) = Z(l−1)ᵀ·(G(l) ⊙ σ'(Z(l))).
Look for: dW1 = Xᵀ·G with shapes (4×8)·(8×16) → (4×16); the bias b1 (16)
summing G over the batch axis; and the forward values kept for backward.
"""

import numpy as np

import graphstep as gs
from graphstep import numpy as gnp


@gs.computation
def mlp():
    rng = gs.rng(0)
    X = gs.input(rng.standard_normal((8, 4)), name="X")
    y = gs.input(rng.standard_normal((8, 1)), name="y")
    W1 = gs.param(rng.standard_normal((4, 16)) * 0.5, name="W1")
    b1 = gs.param(np.zeros(16), name="b1")
    W2 = gs.param(rng.standard_normal((16, 1)) * 0.5, name="W2")
    Z1 = X @ W1 + b1
    H = gnp.tanh(Z1)
    Z2 = H @ W2
    loss = gnp.mean((Z2 - y) ** 2)
    return loss
