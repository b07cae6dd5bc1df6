"""CS231n's ``rnn_forward``: hidden states written into a preallocated ``np.zeros((N, T, H))``.

``h[:, t, :] = next_h`` stores a traced (N, H) block into a plain array, which
NumPy can only do by converting it: graphstep must refuse it at that line (or
keep its gradient), never drop it silently.
"""

import numpy as np

import graphstep as gs

N, T, D, H = 2, 3, 4, 5


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return np.tanh(x @ Wx + prev_h @ Wh + b)


def rnn_forward(x, h0, Wx, Wh, b):
    h = np.zeros((N, T, H))
    prev_h = h0
    for t in range(T):
        next_h = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = next_h
        prev_h = next_h
    return h


@gs.computation
def rnn_states_buffer():
    rng = gs.rng(41)
    x = gs.input(rng.standard_normal((N, T, D)), name="x")
    h0 = gs.param(rng.standard_normal((N, H)) * 0.1, name="h0")
    Wx = gs.param(rng.standard_normal((D, H)) * 0.3, name="Wx")
    Wh = gs.param(rng.standard_normal((H, H)) * 0.3, name="Wh")
    b = gs.param(np.zeros(H), name="b")

    h = rnn_forward(x, h0, Wx, Wh, b)
    return np.sum(h ** 2) / N
