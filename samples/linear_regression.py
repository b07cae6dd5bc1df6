"""Linear regression J = ‖Xθ−y‖²/(2m), "match the shapes" (seeds/002, 003).

Treat everything as a scalar: dJ/dθ = (1/2m)·2(Xθ−y)·X; then make the shapes
fit θ (n+1)×1: dJ/dθ = Xᵀ(Xθ−y)/m.  Each backward step prints its shapes so
you can watch the transpose appear.
"""

import numpy as np

import graphstep as gs
from graphstep import numpy as gnp


@gs.computation
def linear_regression():
    rng = gs.rng(2)
    m = 12
    features = rng.standard_normal((m, 2))
    X = gs.input(np.hstack([np.ones((m, 1)), features]), name="X")
    y = gs.input(features @ np.array([[1.5], [-2.0]]) + 0.5 + 0.1 * rng.standard_normal((m, 1)), name="y")
    theta = gs.param(np.zeros((3, 1)), name="theta")
    r = X @ theta - y
    J = gnp.linalg.norm(r) ** 2 / (2 * m)
    return J
