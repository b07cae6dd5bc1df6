"""A deep chain for the scale benchmark: 10,000 residual MLP blocks, about 100,000 nodes.

Written the way a user writes a deep network: a ``for`` loop over layers, each
calling a small ``layer`` function with its own parameters.  Shapes are tiny
(a batch of 2, width 4) so the time goes to graphstep's bookkeeping, not to
NumPy.  Run ``graphstep benchmarks/graphs/chain_100k.py`` to step through it.
"""

import numpy as np

import graphstep as gs
from graphstep import numpy as gnp

LAYERS = 10_000
WIDTH = 4


def layer(h, W1, b1, W2, b2):
    """One residual block, h + (tanh(h·W1 + b1)·W2 + b2): six ops, ten nodes with its params."""
    a = gnp.tanh(h @ W1 + b1)
    return h + (a @ W2 + b2)


@gs.computation
def chain():
    rng = np.random.default_rng(0)
    h = gs.input(rng.standard_normal((2, WIDTH)), name="X")
    for k in range(LAYERS):
        W1 = gs.param(rng.standard_normal((WIDTH, WIDTH)) * 0.3, name=f"W1_{k}")
        b1 = gs.param(np.zeros(WIDTH), name=f"b1_{k}")
        W2 = gs.param(rng.standard_normal((WIDTH, WIDTH)) * 0.1, name=f"W2_{k}")
        b2 = gs.param(np.zeros(WIDTH), name=f"b2_{k}")
        h = layer(h, W1, b1, W2, b2)
    loss = gnp.mean(h ** 2)
    return loss
