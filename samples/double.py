"""y = x·2 with a vector output: backward needs a seed (seeds/004).

PyTorch will not call ``y.backward()`` on a vector; ``y.backward(torch.ones(4))``
is the same as ``y.sum().backward()``.  Here the seed is ``ones(4)``, so the
gradient of x is [2, 2, 2, 2].
"""

import numpy as np

import graphstep as gs


@gs.computation(seed=np.ones(4))
def double():
    x = gs.param(np.arange(4.0), name="x")
    y = x * 2
    return y
