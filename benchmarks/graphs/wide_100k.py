"""A wide graph for the scale benchmark: one input feeding 20,000 branches, about 100,000 nodes.

Heavy fan-out: the input ``x`` is used by every branch (so its gradient is the
sum of 20,000 contributions), and one ``concatenate`` joins all the branches
again before the loss.  Shapes are tiny so the time goes to graphstep itself.
Run ``graphstep benchmarks/graphs/wide_100k.py`` to step through it.
"""

import numpy as np

import graphstep as gs
from graphstep import numpy as gnp

BRANCHES = 20_000
WIDTH = 4


def branch(x, w, b):
    """One small head on the shared input: tanh(x·w + b), three ops, five nodes with its params."""
    return gnp.tanh(x @ w + b)


@gs.computation
def wide():
    rng = np.random.default_rng(0)
    x = gs.input(rng.standard_normal((2, WIDTH)), name="x")
    heads = []
    for k in range(BRANCHES):
        w = gs.param(rng.standard_normal((WIDTH, 1)) * 0.5, name=f"w{k}")
        b = gs.param(np.zeros(1), name=f"b{k}")
        heads.append(branch(x, w, b))
    out = gnp.concatenate(heads, axis=1)
    loss = gnp.mean(out ** 2)
    return loss
