"""An LSTM cell run over three time steps, gates split from one matmul.

``sigmoid`` is written as ``1 / (1 + np.exp(-x))``; the four gates come from one
(N, 4H) pre-activation, cut with slicing for i, f, o and ``np.split`` for the rest.
"""

import numpy as np

import graphstep as gs

N, D, H, STEPS = 3, 4, 5, 3


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_step(x, h_prev, c_prev, Wx, Wh, b):
    a = x @ Wx + h_prev @ Wh + b          # (N, 4H)
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    o, g = np.split(a[:, 2 * H:], 2, axis=1)
    o, g = sigmoid(o), np.tanh(g)
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c


@gs.computation
def lstm_cell():
    rng = gs.rng(2)
    xs = gs.input(rng.standard_normal((STEPS, N, D)), name="xs")
    Wx = gs.param(rng.standard_normal((D, 4 * H)) / np.sqrt(D), name="Wx")
    Wh = gs.param(rng.standard_normal((H, 4 * H)) / np.sqrt(H), name="Wh")
    b = gs.param(np.zeros(4 * H), name="b")
    h0 = gs.param(0.1 * rng.standard_normal((N, H)), name="h0")
    w_out = gs.param(rng.standard_normal(H), name="w_out")
    y = gs.input(rng.standard_normal(N), name="y")

    h, c = h0, np.zeros((N, H))
    for t in range(STEPS):
        h, c = lstm_step(xs[t], h, c, Wx, Wh, b)
    pred = h @ w_out
    return np.mean((pred - y) ** 2)
