"""Multiple-instance learning with a noisy-OR: a bag is positive if any of its instances is.

P(bag) = 1 − Πᵢ (1 − pᵢ) over the instances of the bag (``np.prod`` along axis 1),
trained with binary cross-entropy on the bag labels only.
"""

import numpy as np

import graphstep as gs

BAGS, INSTANCES, D = 5, 4, 3


@gs.computation
def noisy_or_mil():
    rng = gs.rng(30)
    X = gs.input(rng.standard_normal((BAGS, INSTANCES, D)), name="X")
    bag_labels = gs.input(np.array([1.0, 0.0, 1.0, 0.0, 1.0]), name="bag_labels")
    w = gs.param(rng.standard_normal(D) * 0.5, name="w")
    b = gs.param(np.array(-1.0), name="b")

    p = 1 / (1 + np.exp(-(X @ w + b)))                 # (BAGS, INSTANCES)
    p_bag = 1 - np.prod(1 - p, axis=1)
    bce = -(bag_labels * np.log(p_bag) + (1 - bag_labels) * np.log(1 - p_bag))
    return np.mean(bce)
