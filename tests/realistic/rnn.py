"""A vanilla RNN unrolled over 5 steps with a for loop (Karpathy's min-char-rnn shape of code).

h_t = tanh(x_t·Wxh + h_{t−1}·Whh + bh); every step predicts a class, and the
loss is the mean cross-entropy over the steps, softmax written by hand.
"""

import numpy as np

import graphstep as gs

VOCAB, HIDDEN, STEPS = 4, 6, 5


@gs.computation
def rnn():
    rng = gs.rng(4)
    inputs = rng.integers(0, VOCAB, size=STEPS)
    targets = rng.integers(0, VOCAB, size=STEPS)
    Wxh = gs.param(rng.standard_normal((VOCAB, HIDDEN)) * 0.3, name="Wxh")
    Whh = gs.param(rng.standard_normal((HIDDEN, HIDDEN)) * 0.3, name="Whh")
    Why = gs.param(rng.standard_normal((HIDDEN, VOCAB)) * 0.3, name="Why")
    bh = gs.param(np.zeros(HIDDEN), name="bh")
    by = gs.param(np.zeros(VOCAB), name="by")

    h = np.zeros(HIDDEN)
    loss = 0
    for t in range(STEPS):
        x = np.zeros(VOCAB)
        x[inputs[t]] = 1
        h = np.tanh(x @ Wxh + h @ Whh + bh)
        y = h @ Why + by
        p = np.exp(y) / np.sum(np.exp(y))
        loss += -np.log(p[targets[t]])
    return loss / STEPS
