"""Least squares trained step by step until its gradient vanishes (seeds/001).

C = (Xθ−y)ᵀ(Xθ−y)/m, the seed's cost averaged over the m samples, has the
gradient dC/dθ = 2Xᵀ(Xθ−y)/m: it is zero exactly at the normal equations'
solution θ* = (XᵀX)⁻¹Xᵀy.  Train it and watch each update move θ towards θ*:

    graphstep samples/regression_train.py --train 20 --lr 0.5
    graphstep run samples/regression_train.py --train 20 --lr 0.5

With lr 0.5 every step shrinks the distance to θ* at least fourfold here (the
eigenvalues of the Hessian 2XᵀX/m lie in 1.5…2.2), so after 20 iterations the
gradient is ~1e-13; try lr 1.0 to see it diverge, or --optimizer momentum.
"""

import numpy as np

import graphstep as gs

rng = np.random.default_rng(5)
M = 20
X_DATA = rng.standard_normal((M, 3))
Y_DATA = X_DATA @ np.array([1.5, -2.0, 0.5]) + 0.1 * rng.standard_normal(M)


@gs.computation
def regression_train():
    X = gs.input(X_DATA, name="X")
    y = gs.input(Y_DATA, name="y")
    theta = gs.param(np.zeros(3), name="theta")
    z = X @ theta - y
    C = z @ z / M
    return C
