"""Least squares C = (Xθ−y)ᵀ(Xθ−y) by the vector chain rule (seeds/001).

With z = Xθ − y and C = zᵀz: dC/dθ = (∂z/∂θ)ᵀ·dC/dz = Xᵀ·2z = 2Xᵀ(Xθ−y),
an (n) vector like θ.  It vanishes at θ = (XᵀX)⁻¹Xᵀy, the normal equations.
"""

import numpy as np

import graphstep as gs

rng = np.random.default_rng(1)
X_DATA = rng.standard_normal((6, 3))
Y_DATA = rng.standard_normal(6)


def cost(X, y, theta):
    z = X @ theta - y
    C = z @ z
    return C


@gs.computation
def least_squares():
    X = gs.input(X_DATA, name="X")
    y = gs.input(Y_DATA, name="y")
    theta = gs.param(np.zeros(3), name="theta")
    return cost(X, y, theta)
