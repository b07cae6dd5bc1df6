"""The MLP of samples/mlp.py with a shape mistake: W2 is written as a row (1×16) where H @ W2 needs a column
(16×1), the row-vs-column slip of seeds/002.

graphstep opens on the graph recorded up to the failing call, drawn red, and the line
annotated under each operand with its shape (as tensor-sensor does for PyTorch):

    Z2 = H @ W2
         ─   ──
       8×16 1×16

n, p and f step through the layer that was recorded.  Fix W2 (shape (16, 1)), press l, and
the whole graph appears.  It lives apart from samples/*.py, which all trace.
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
    W2 = gs.param(rng.standard_normal((1, 16)) * 0.5, name="W2")  # the mistake: H @ W2 needs (16, 1)
    Z1 = X @ W1 + b1
    H = gnp.tanh(Z1)
    Z2 = H @ W2
    loss = gnp.mean((Z2 - y) ** 2)
    return loss
