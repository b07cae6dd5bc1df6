"""A log of a negative number: break on the first NaN, see where it appeared and why.

``loss = mean(log(x − 3))`` is fine while every x is above 3, but one x is 0.9,
so ``log(0.9 − 3)`` is NaN and the NaN then flows into the loss and every
gradient.  ``graphstep run samples/nan.py --stop-nonfinite`` (or ``e`` in the
TUI) stops at the log node, the first place a NaN appears, and prints its
input: x−3 has min −2.1, a negative number under a log.
"""

import numpy as np

import graphstep as gs
from graphstep import numpy as gnp


@gs.computation
def nan():
    x = gs.param(np.array([4.0, 3.5, 0.9, 5.0]), name="x")
    y = gnp.log(x - 3)
    loss = gnp.mean(y)
    return loss
