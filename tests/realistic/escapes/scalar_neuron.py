"""A single neuron written with the ``math`` module, as scalar tutorials do (micrograd's warm-up).

``math.exp`` takes a Python float: given a traced scalar it calls ``float()`` on
it, and unless graphstep refuses, the sigmoid silently leaves the graph.
"""

import math

import numpy as np

import graphstep as gs


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


@gs.computation
def scalar_neuron():
    x = gs.input(np.array([0.5, -1.0, 2.0]), name="x")
    w = gs.param(np.array([0.3, 0.1, -0.2]), name="w")
    b = gs.param(np.array(0.1), name="b")
    y = 1.0

    p = sigmoid(x @ w + b)
    return (p - y) ** 2 + 0.01 * np.sum(w ** 2)
