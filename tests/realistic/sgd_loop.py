"""Ten steps of gradient descent on a quadratic, unrolled inside the traced computation.

f(x) = ½ xᵀAx − bᵀx has gradient Ax − b, written out; each update
``x = x - lr * grad`` makes a new node, so the graph is the whole optimization
and backward gives the hypergradient d f(x₁₀)/d lr and d f(x₁₀)/d x₀.
A divergence guard, ``if not np.isfinite(loss): break``, reads the traced value.
"""

import numpy as np

import graphstep as gs


@gs.computation
def sgd_loop():
    rng = gs.rng(14)
    M = rng.standard_normal((4, 4))
    A = gs.input(M @ M.T / 4 + np.eye(4), name="A")
    b = gs.input(rng.standard_normal(4), name="b")
    x = gs.param(rng.standard_normal(4), name="x0")
    lr = gs.param(np.array(0.1), name="lr")

    history = []
    for step in range(10):
        grad = A @ x - b
        x = x - lr * grad
        loss = 0.5 * x @ A @ x - b @ x
        if not np.isfinite(loss):
            print(f"diverged at step {step}")
            break
        history.append(float(loss))
    return loss
